"""Sending quotes, invoices and payment reminders by email, with the PDF attached.

Rules:
- the SMTP server, port, security (STARTTLS, SSL or none), user, From, Reply-To and
  "copy to self" are each user's settings (`smtp.*`); the password comes from the
  keyring (`services.secrets`) and is used only to log in: it is never stored,
  logged or put in an error;
- a configuration problem (no server, no From address, no password in the keyring,
  no keyring, a password that would travel unencrypted to another machine) refuses
  before anything is recorded;
- every email becomes a timeline entry of kind "email" first (a draft, with what
  it was sent to and about in `email_message`), then goes out; a sent one is marked
  `sent` with its Message-ID; a failure marks it `failed` with the server's reason
  and keeps it, to retry (`retry_email`); nothing is lost: an email whose files are
  not printed again from a record (from the client file, a meeting's invitation)
  keeps its further recipients, copies and files, byte for byte as composed, until
  it is sent; a retry goes out under the same timeline entry and Message-ID, and an
  email already sent, or being sent by someone right now, is not sent again;
- the recipient is a contact of the client (billing contacts first) or the
  client's own address, or any address typed; the copy to self goes as Bcc on the
  envelope only (no Bcc header reaches anyone);
- only issued invoices are sent (a draft is not an invoice yet); a draft quote
  becomes "sent" once its email went out;
- a payment reminder lists invoices of one client; each listed invoice records
  its reminder level in `payment_reminder`, whose unique (invoice, level) index
  is claimed before sending, so two runs never send the same level twice;
- no database transaction is open while talking to the SMTP server (colleagues
  are never blocked by a slow server); the timeouts are `smtp.timeout` seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..db import database, execute, transactional
from ..i18n import _
from ..models import Activity, Client, Contact, EmailAttachment, EmailMessage
from ..models.base import utcnow
from ..text import has_control, one_line
from . import audit, email_templates, secrets, settings
from .errors import NotFound, RuleViolation, ServiceError, ValidationError
from .permissions import require
from .records import live_client
from .session import login
from .validation import check_email

PURPOSES = ("invoice", "quote", "reminder", "general", "invitation", "statement")
# Emails whose files are not printed again from a record: kept as composed, to retry.
KEPT_FILES = ("general", "invitation")
ATTACHMENTS_LIMIT = 20 * 1024 * 1024  # what most mail servers accept, all files together
# A password may go unencrypted only to the machine itself (a local relay).
LOCAL_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))
# A send that started this long ago and never finished was interrupted (a crash):
# its reminder claims may be taken over by the next run.
STALE_AFTER = dt.timedelta(minutes=15)


class SendFailed(ServiceError):
    """The server (or the network) refused the email; the entry is kept as a draft."""

    def __init__(self, message: str, activity_id: int):
        self.activity_id = activity_id
        super().__init__(message)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # starttls ssl none
    user: str
    from_addr: str  # as set: "ana@example.com" or "Ana <ana@example.com>"
    reply_to: str
    bcc_self: bool
    timeout: int

    @property
    def from_email(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.from_addr)[1]


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    contact_id: int | None = None
    is_billing: bool = False
    position: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return f"{self.name} <{self.email}>"
        return self.email


@dataclass(frozen=True)
class EmailDraft:
    """An email ready to send (or to show for review): what, to whom, and the text."""

    purpose: str  # invoice quote reminder
    client_id: int
    client_name: str
    recipient: Recipient | None
    subject: str
    body: str
    template: str
    language: str
    invoice_id: int | None = None
    quote_id: int | None = None
    document: str = ""  # the number shown to people: "F2026-00001", "P2026-0003"
    reminder_level: int | None = None
    reminder_items: tuple[tuple[int, int], ...] = ()  # (invoice id, level)
    attachments: tuple[str, ...] = ()  # file names, for the preview
    values: dict[str, str] = field(default_factory=dict)  # placeholders, to re-render
    more_to: tuple[Recipient, ...] = ()  # further recipients (To) after `recipient`
    cc: tuple[Recipient, ...] = ()  # copies (Cc), e.g. colleagues
    files: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, data) to attach

    @property
    def all_to(self) -> tuple[Recipient, ...]:
        """Everyone in To, the first recipient first."""
        return ((self.recipient,) if self.recipient else ()) + self.more_to


@dataclass(frozen=True)
class SendResult:
    activity_id: int
    sent: bool
    message_id: str
    to: str
    reason: str = ""
    # Sent, but not to everyone: the copies the server refused, or the recipients an
    # earlier attempt had reached, left out of this one. "" otherwise.
    note: str = ""


# --- configuration ----------------------------------------------------------------


def smtp_config() -> SmtpConfig:
    """This user's SMTP settings (their settings file)."""
    values = settings.get_all()
    return SmtpConfig(
        host=values["smtp.host"],
        port=int(values["smtp.port"] or 587),
        security=values["smtp.security"] or "starttls",
        user=values["smtp.user"],
        from_addr=values["smtp.from"],
        reply_to=values["smtp.reply_to"],
        bcc_self=values["smtp.bcc_self"] == "yes",
        timeout=int(values["smtp.timeout"] or 30),
    )


def missing_settings(config: SmtpConfig | None = None) -> list[str]:
    """The smtp.* settings still needed before an email can be sent."""
    config = config or smtp_config()
    return [
        key
        for key, value in (("smtp.host", config.host), ("smtp.from", config.from_addr))
        if not value
    ]


def check_ready(config: SmtpConfig | None = None) -> tuple[SmtpConfig, str | None]:
    """The configuration and password to send with, or a refusal saying what to set up.

    Without `smtp.user` the server is used without logging in (no password needed)."""
    config = config or smtp_config()
    missing = missing_settings(config)
    if missing:
        raise RuleViolation(
            _(
                "email is not set up: {keys} not set (Settings, or `tui-crm config set KEY VALUE`)"
            ).format(keys=", ".join(missing))
        )
    if not config.user:
        return config, None
    if config.security == "none" and config.host not in LOCAL_HOSTS:
        raise RuleViolation(
            _(
                "smtp.security is none: the password would cross the network unencrypted; "
                "use starttls (port 587) or ssl (port 465)"
            )
        )
    password = secrets.smtp_password(user=config.user, host=config.host)
    if password is None:
        raise RuleViolation(
            _(
                "no SMTP password is stored for {account}; set it in Settings or with "
                "`tui-crm secrets set smtp`"
            ).format(account=secrets.smtp_account(config.user, config.host))
        )
    return config, password


# --- recipients and language ---------------------------------------------------------


def recipients(client_id: int) -> list[Recipient]:
    """Who an email to this client can go to: billing contacts first, then the other
    contacts with an email, then the client's own address (each address once)."""
    client = live_client(client_id)
    found: list[Recipient] = []
    seen: set[str] = set()
    contacts = (
        Contact.select()
        .where((Contact.client == client_id) & (Contact.email != ""))
        .order_by(Contact.is_billing.desc(), Contact.first_name, Contact.last_name, Contact.id)
    )
    for c in contacts:
        key = c.email.casefold()
        if key in seen:
            continue
        seen.add(key)
        name = " ".join(p for p in (c.first_name, c.last_name) if p)
        found.append(Recipient(c.email, name, c.id, bool(c.is_billing), c.position))
    if client.email and client.email.casefold() not in seen:
        found.append(Recipient(client.email, client.legal_name))
    return found


def default_recipient(client_id: int) -> Recipient | None:
    """The billing contact first, else any contact with an email, else the client's address."""
    found = recipients(client_id)
    return found[0] if found else None


def recipient_for(client_id: int, email: str) -> Recipient:
    """A typed address: the matching contact when it is one, else the address alone."""
    try:
        address = check_email(email)
    except ValueError as exc:
        raise ValidationError({"to": str(exc)}) from None
    for r in recipients(client_id):
        if r.email.casefold() == address.casefold():
            return r
    return Recipient(address, "")


def language_for_client(client_id: int) -> str:
    """The client's documents' language (services.client_language's rule)."""
    from .client_language import language_for_client as rule

    return rule(client_id)


# --- formatting values for a language --------------------------------------------------

_LOCALES = {"es": "es_ES", "en": "en_IE"}


def _locale(language: str) -> str:
    return _LOCALES.get(language, "en_IE")


def format_money(amount: Decimal, language: str) -> str:
    from babel.numbers import format_currency

    return format_currency(amount, "EUR", locale=_locale(language))


def format_day(day: dt.date | None, language: str) -> str:
    if day is None:
        return "—"
    from babel.dates import format_date

    return format_date(day, format="long", locale=_locale(language))


def _common_values(client_name: str, recipient: Recipient | None, language: str) -> dict[str, str]:
    return {
        "client": client_name,
        "contact": (recipient.name if recipient and recipient.name else client_name),
        "company": settings.get("company.name"),
        "date": format_day(dt.date.today(), language),
    }


def _invoice_line(code: str, due: dt.date, outstanding: Decimal, days: int, language: str) -> str:
    if language == "es":
        return (
            f"- {code}: vencida el {format_day(due, language)}, pendiente "
            f"{format_money(outstanding, language)} ({days} días de retraso)"
        )
    return (
        f"- {code}: due {format_day(due, language)}, outstanding "
        f"{format_money(outstanding, language)} ({days} days overdue)"
    )


# --- composing -------------------------------------------------------------------------


def _render(draft: EmailDraft, template: email_templates.TemplateInfo) -> EmailDraft:
    subject = email_templates.fill(template.subject, draft.values, "subject")
    body = email_templates.fill(template.body, draft.values, "body")
    return replace(
        draft,
        subject=" ".join(subject.split())[: email_templates.SUBJECT_LIMIT],
        body=body,
        template=template.name,
        language=template.language,
    )


def _pick_template(kind: str, name: str | None, language: str) -> email_templates.TemplateInfo:
    template = email_templates.get_template(name or kind, language)
    if template.kind != kind:
        raise ValidationError(
            {
                "template": _("the template {name!r} is for {kind}, not {wanted}").format(
                    name=template.name,
                    kind=_(email_templates.KIND_LABELS[template.kind]),
                    wanted=_(email_templates.KIND_LABELS[kind]),
                )
            }
        )
    return template


def with_template(draft: EmailDraft, name: str, language: str | None = None) -> EmailDraft:
    """The same email written from another template (or language)."""
    kind = draft.purpose if draft.purpose != "reminder" else f"reminder{draft.reminder_level}"
    template = _pick_template(kind, name, language or draft.language)
    values = dict(draft.values)
    if template.language != draft.language:
        values = _values_for(draft, template.language)
    return _render(replace(draft, values=values, language=template.language), template)


def with_recipient(draft: EmailDraft, recipient: Recipient) -> EmailDraft:
    """The same email to someone else (the greeting follows the recipient)."""
    values = dict(draft.values)
    values["contact"] = recipient.name or draft.client_name
    changed = replace(draft, recipient=recipient, values=values)
    kind = draft.purpose if draft.purpose != "reminder" else f"reminder{draft.reminder_level}"
    return _render(changed, _pick_template(kind, draft.template, draft.language))


def _values_for(draft: EmailDraft, language: str) -> dict[str, str]:
    if draft.purpose == "invoice" and draft.invoice_id is not None:
        return _invoice_values(draft.invoice_id, draft.recipient, language)
    if draft.purpose == "quote" and draft.quote_id is not None:
        return _quote_values(draft.quote_id, draft.recipient, language)
    return _reminder_values(
        draft.client_id, [i for i, _level in draft.reminder_items], draft.recipient, language
    )


def _invoice_values(invoice_id: int, recipient: Recipient | None, language: str) -> dict[str, str]:
    from . import invoices

    inv = invoices.get_invoice(invoice_id)
    values = _common_values(inv.client_name, recipient, language)
    values.update(
        number=inv.display_code,
        total=format_money(inv.totals.total, language),
        due_date=format_day(inv.due_date, language),
        issue_date=format_day(inv.issue_date, language),
        outstanding=format_money(inv.outstanding, language),
        iban=settings.get("company.iban"),
    )
    if inv.issuer_name:
        values["company"] = inv.issuer_name
    return values


def _quote_values(quote_id: int, recipient: Recipient | None, language: str) -> dict[str, str]:
    from . import quotes

    quote = quotes.get_quote(quote_id)
    values = _common_values(quote.client_name, recipient, language)
    values.update(
        number=quote.code,
        total=format_money(quote.totals.total, language),
        title=quote.data.title,
        valid_until=format_day(quote.data.valid_until, language),
        quote_date=format_day(quote.data.date, language),
    )
    return values


def _compose(
    purpose: str,
    kind: str,
    client_id: int,
    client_name: str,
    values: Callable[[Recipient | None, str], dict[str, str]],
    *,
    template: str | None,
    language: str | None,
    to: str | None,
    **document: Any,
) -> EmailDraft:
    """An email to a client about `document` (its fields of EmailDraft): to `to`, else the
    client's billing contact; in `language`, else the client's; from the template named,
    else the default of `kind`; `values(recipient, language)` fills the template."""
    recipient = recipient_for(client_id, to) if to else default_recipient(client_id)
    chosen = _pick_template(kind, template, language or language_for_client(client_id))
    draft = EmailDraft(
        purpose=purpose,
        client_id=client_id,
        client_name=client_name,
        recipient=recipient,
        subject="",
        body="",
        template=chosen.name,
        language=chosen.language,
        values=values(recipient, chosen.language),
        **document,
    )
    return _render(draft, chosen)


def compose_invoice(
    invoice_id: int,
    *,
    template: str | None = None,
    language: str | None = None,
    to: str | None = None,
) -> EmailDraft:
    """The email for an issued invoice: its client's billing contact, the client's
    language, the "invoice" template (or the one named), the PDF to attach."""
    from . import invoices

    inv = invoices.get_invoice(invoice_id)
    if inv.is_draft:
        raise RuleViolation(
            _("{number} is a draft; issue it before sending it").format(number=inv.display_code)
        )
    if inv.is_voided:
        raise RuleViolation(
            _("{number} was voided: it should never have existed, so it is not sent").format(
                number=inv.display_code
            )
        )
    return _compose(
        "invoice",
        "invoice",
        inv.client_id,
        inv.client_name,
        lambda recipient, chosen: _invoice_values(invoice_id, recipient, chosen),
        template=template,
        language=language,
        to=to,
        invoice_id=inv.id,
        document=inv.display_code,
        attachments=(f"{inv.code}.pdf",),
    )


def compose_quote(
    quote_id: int,
    *,
    template: str | None = None,
    language: str | None = None,
    to: str | None = None,
) -> EmailDraft:
    """The email for a quote (any status; a draft quote becomes "sent" once it went out)."""
    from . import quotes

    quote = quotes.get_quote(quote_id)
    return _compose(
        "quote",
        "quote",
        quote.client_id,
        quote.client_name,
        lambda recipient, chosen: _quote_values(quote_id, recipient, chosen),
        template=template,
        language=language,
        to=to,
        quote_id=quote.id,
        document=quote.code,
        attachments=(f"{quote.code}.pdf",),
    )


def compose(
    kind: str, document_id: int, *, template: str | None = None, to: str | None = None
) -> EmailDraft:
    """`compose_invoice` or `compose_quote` by kind ("invoice" or "quote")."""
    if kind == "invoice":
        return compose_invoice(document_id, template=template, to=to)
    if kind == "quote":
        return compose_quote(document_id, template=template, to=to)
    raise ValidationError({"kind": _("must be one of {values}").format(values="invoice, quote")})


def compose_statement(
    client_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    to: str | None = None,
) -> EmailDraft:
    """The email of a client's statement of account (`services.statements`): to `to`,
    else the client's billing contact, written in the client's language where the
    application knows it, the statement's PDF attached when sent."""
    from . import statements

    found = statements.statement(client_id, date_from, date_to)
    recipient = recipient_for(client_id, to) if to else default_recipient(client_id)
    with statements.in_client_language(client_id):
        from ..exports.pdf import format_date
        from ..exports.pdf import format_money as pdf_money
        from ..i18n import current_language

        language = current_language()
        values = {
            "client": found.client_name,
            "start": format_date(found.date_from),
            "end": format_date(found.date_to),
            "balance": pdf_money(found.closing),
        }
        subject = _("Statement of account {start} to {end}").format(**values)
        body = _(
            "Hello,\n\nAttached is the statement of account of {client} from {start} to "
            "{end}. The balance on {end} is {balance}.\n\nKind regards"
        ).format(**values)
    return EmailDraft(
        purpose="statement",
        client_id=client_id,
        client_name=found.client_name,
        recipient=recipient,
        subject=subject,
        body=body,
        template="",
        language=language,
        document=_("Statement"),
        attachments=(statements.file_name(found),),
        values={"date_from": found.date_from.isoformat(), "date_to": found.date_to.isoformat()},
    )


@dataclass(frozen=True)
class _Unpaid:
    id: int
    code: str
    client_id: int
    client_name: str
    due_date: dt.date
    outstanding: Decimal
    days_overdue: int


def _unpaid_invoices(invoice_ids: list[int], as_of: dt.date) -> list[_Unpaid]:
    from ..money import from_cents
    from .receivables import UNPAID

    if not invoice_ids:
        return []
    marks = ", ".join("?" for _ in invoice_ids)
    rows = execute(
        f"SELECT i.id, i.code, i.client_id, i.client_name, i.due_date, i.outstanding_cents "
        f"FROM invoice i WHERE i.id IN ({marks}) AND {UNPAID} ORDER BY i.due_date, i.id",
        list(invoice_ids),
    )
    out = []
    for r in rows:
        due = dt.date.fromisoformat(str(r[4])[:10])
        out.append(_Unpaid(r[0], r[1], r[2], r[3], due, from_cents(int(r[5])), (as_of - due).days))
    return out


def _reminder_values(
    client_id: int,
    invoice_ids: list[int],
    recipient: Recipient | None,
    language: str,
    as_of: dt.date | None = None,
) -> dict[str, str]:
    as_of = as_of or dt.date.today()
    unpaid = _unpaid_invoices(invoice_ids, as_of)
    client = live_client(client_id)
    values = _common_values(client.legal_name, recipient, language)
    total = sum((u.outstanding for u in unpaid), Decimal(0))
    values.update(
        number=", ".join(u.code for u in unpaid),
        total=format_money(total, language),
        due_date=format_day(min((u.due_date for u in unpaid), default=None), language),
        invoices="\n".join(
            _invoice_line(u.code, u.due_date, u.outstanding, max(u.days_overdue, 0), language)
            for u in unpaid
        ),
        days_overdue=str(max((u.days_overdue for u in unpaid), default=0)),
        iban=settings.get("company.iban"),
    )
    return values


def next_level(invoice_id: int) -> int:
    """The reminder level an invoice is due next: one after its last sent reminder (max 3)."""
    last = last_reminders([invoice_id]).get(invoice_id)
    return min((last.level if last else 0) + 1, 3)


def compose_reminder(
    client_id: int,
    invoice_ids: list[int],
    *,
    level: int | None = None,
    template: str | None = None,
    language: str | None = None,
    to: str | None = None,
    as_of: dt.date | None = None,
    items: tuple[tuple[int, int], ...] | None = None,
) -> EmailDraft:
    """One payment reminder to a client listing its unpaid invoices among `invoice_ids`.

    The level (1 first, 2 second, 3 final notice) is the one given, else the highest
    level any listed invoice is due next; it picks the template "reminder<level>"."""
    as_of = as_of or dt.date.today()
    client = live_client(client_id)
    unpaid = [u for u in _unpaid_invoices(list(invoice_ids), as_of) if u.client_id == client_id]
    if not unpaid:
        raise RuleViolation(
            _("{client} has none of these invoices unpaid; no reminder to send").format(
                client=client.legal_name
            )
        )
    if level is not None and level not in (1, 2, 3):
        raise ValidationError({"level": _("must be 1, 2 or 3")})
    if items is None:
        level = level or max(next_level(u.id) for u in unpaid)
        items = tuple((u.id, level) for u in unpaid)
    else:
        keep = {u.id for u in unpaid}
        items = tuple((i, lvl) for i, lvl in items if i in keep)
        level = level or max(lvl for _i, lvl in items)
    ids = [u.id for u in unpaid]
    return _compose(
        "reminder",
        f"reminder{level}",
        client_id,
        client.legal_name,
        lambda recipient, chosen: _reminder_values(client_id, ids, recipient, chosen, as_of),
        template=template,
        language=language,
        to=to,
        document=", ".join(u.code for u in unpaid),
        reminder_level=level,
        reminder_items=items,
        attachments=tuple(f"{u.code}.pdf" for u in unpaid),
    )


# --- the reminders already sent ------------------------------------------------------


@dataclass(frozen=True)
class LastReminder:
    invoice_id: int
    level: int
    sent_at: dt.datetime


def last_reminders(invoice_ids: list[int]) -> dict[int, LastReminder]:
    """The last reminder SENT for each invoice (its level and when), for the receivables
    board; a reminder being sent right now, or that failed, does not count."""
    out: dict[int, LastReminder] = {}
    ids = list(dict.fromkeys(invoice_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = execute(
            "SELECT r.invoice_id, r.level, r.sent_at FROM payment_reminder r "
            "LEFT JOIN activity a ON a.id = r.activity_id "
            f"WHERE r.invoice_id IN ({marks}) "
            "AND (r.activity_id IS NULL OR a.email_status = 'sent') "
            "ORDER BY r.invoice_id, r.level",
            chunk,
        )
        for invoice_id, level, sent_at in rows:
            moment = (
                sent_at
                if isinstance(sent_at, dt.datetime)
                else dt.datetime.fromisoformat(str(sent_at))
            )
            out[int(invoice_id)] = LastReminder(int(invoice_id), int(level), moment)
    return out


# --- recording -----------------------------------------------------------------------


def _check_draft(draft: EmailDraft) -> EmailDraft:
    errors: dict[str, str] = {}
    if draft.recipient is None:
        errors["to"] = _(
            "{client} has no email address and no contact with one; type an address"
        ).format(client=draft.client_name)
    else:
        try:
            check_email(draft.recipient.email)
        except ValueError as exc:
            errors["to"] = str(exc)
    for field_name, people in (("to", draft.more_to), ("cc", draft.cc)):
        for person in people:
            try:
                check_email(person.email)
            except ValueError as exc:
                errors[field_name] = f"{person.email}: {exc}"
    if sum(len(data) for _name, _mime, data in draft.files) > ATTACHMENTS_LIMIT:
        errors["attach"] = _("the attachments add up to more than {n} MB").format(
            n=ATTACHMENTS_LIMIT // (1024 * 1024)
        )
    subject = " ".join(draft.subject.split())  # line breaks of a filled template: spaces
    if not subject:
        errors["subject"] = _("is required")
    elif has_control(subject):
        errors["subject"] = _("must be one line, without control characters")
    elif len(subject) > email_templates.SUBJECT_LIMIT:
        errors["subject"] = _("is longer than {n} characters").format(
            n=email_templates.SUBJECT_LIMIT
        )
    if not draft.body.strip():
        errors["body"] = _("is required")
    elif len(draft.body) > email_templates.BODY_LIMIT * 5:
        errors["body"] = _("is longer than {n} characters").format(n=email_templates.BODY_LIMIT * 5)
    if draft.purpose not in PURPOSES:
        errors["purpose"] = _("must be one of {values}").format(values=", ".join(PURPOSES))
    if errors:
        raise ValidationError(errors)
    return replace(draft, subject=subject)


def _new_message_id(config: SmtpConfig) -> str:
    from email.utils import make_msgid

    domain = config.from_email.rsplit("@", 1)[-1] if "@" in config.from_email else None
    return make_msgid("tui-crm", domain=domain)


def _claim(items: tuple[tuple[int, int], ...], activity_id: int, *, automatic: bool) -> list[int]:
    """Take the (invoice, level) reminder slots for this email; the unique index refuses a
    slot another email holds. An automatic run may take over the slot of an interrupted
    or failed send. Returns the invoice ids claimed."""
    now = utcnow()
    stale = (now - STALE_AFTER).isoformat(" ")
    claimed = []
    for invoice_id, level in items:
        if automatic:
            execute(
                "DELETE FROM payment_reminder WHERE invoice_id = ? AND level = ? "
                "AND activity_id IN (SELECT a.id FROM activity a "
                "JOIN email_message m ON m.activity_id = a.id "
                "WHERE a.id <> ? AND (a.email_status = 'failed' OR "
                "(a.email_status = 'draft' AND m.last_attempt_at < ?)))",
                (invoice_id, level, activity_id, stale),
            )
        cursor = execute(
            "INSERT INTO payment_reminder (invoice_id, level, sent_at, activity_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (invoice_id, level) DO NOTHING",
            (invoice_id, level, now.isoformat(" "), activity_id),
        )
        if cursor.rowcount:
            claimed.append(invoice_id)
    return claimed


@transactional
def _record_draft(
    draft: EmailDraft, message_id: str, *, reuse: int | None = None, automatic: bool = False
) -> int | None:
    """Write the email on the timeline as a draft (or update the failed draft `reuse`),
    with its envelope, and claim its reminder slots. None when an automatic reminder
    found every slot taken by another run (nothing is written then)."""
    require("email.send")
    live_client(draft.client_id)
    recipient = draft.recipient
    assert recipient is not None
    now = utcnow()
    values = dict(
        subject=draft.subject,
        body=draft.body,
        contact=recipient.contact_id,
        outcome=_("sending to {to}").format(to=", ".join(r.email for r in draft.all_to))[:200],
        email_status="draft",
        message_id=message_id,
        occurred_at=now,
        updated_at=now,
        updated_by=login(),
    )
    if reuse is not None:
        _check_retry(reuse, now)
        Activity.update(version=Activity.version + 1, **values).where(
            Activity.id == reuse
        ).execute()
        activity_id = reuse
    else:
        activity_id = Activity.create(
            client=draft.client_id, kind="email", author=login(), **values
        ).id
    envelope = dict(
        purpose=draft.purpose,
        invoice=draft.invoice_id,
        quote=draft.quote_id,
        reminder_level=draft.reminder_level,
        reminder_invoices=json.dumps([list(item) for item in draft.reminder_items]),
        to_addr=recipient.email,
        to_name=recipient.name[:200],
        template=draft.template[:60],
        language=draft.language[:5],
        last_attempt_at=now,
        more_to=_people_json(draft.more_to, draft.purpose),
        cc=_people_json(draft.cc, draft.purpose),
    )
    if EmailMessage.get_or_none(EmailMessage.activity == activity_id) is None:
        EmailMessage.create(activity=activity_id, attempts=1, **envelope)
    else:
        EmailMessage.update(attempts=EmailMessage.attempts + 1, **envelope).where(
            EmailMessage.activity == activity_id
        ).execute()
    if draft.purpose in KEPT_FILES:
        _keep_files(activity_id, draft.files)
    if draft.reminder_items:
        claimed = _claim(draft.reminder_items, activity_id, automatic=automatic)
        if automatic and not claimed:
            raise _NothingToClaim()
    audit.record(
        "create" if reuse is None else "update",
        "activity",
        activity_id,
        client_id=draft.client_id,
        changes={
            "kind": (None, "email"),
            "email_status": (None, "draft"),
            "to": (None, ", ".join(r.email for r in draft.all_to)),
            "subject": (None, draft.subject),
        }
        | ({"cc": (None, ", ".join(r.email for r in draft.cc))} if draft.cc else {})
        | (
            {"attachments": (None, ", ".join(n for n, _m, _d in draft.files))}
            if draft.files
            else {}
        ),
        summary=_("Email to {to}: {subject}").format(to=recipient.email, subject=draft.subject)[
            :200
        ],
    )
    return activity_id


def _people_json(people: tuple[Recipient, ...], purpose: str) -> str:
    """JSON of the people; "[]" (not "") for an email kept whole, so a retry can tell it
    from one written before m0020, whose copies and files were not kept."""
    if not people and purpose not in KEPT_FILES:
        return ""
    return json.dumps([[p.email, p.name, p.contact_id] for p in people])


def _people(text: str) -> tuple[Recipient, ...]:
    return tuple(
        Recipient(str(address), str(name or ""), int(contact) if contact else None)
        for address, name, contact in json.loads(text or "[]")
    )


def _check_retry(activity_id: int, now: dt.datetime) -> None:
    """An email is sent again only when it failed, or when its last attempt was
    interrupted long ago (a crash): never once sent, never while someone is sending it."""
    row = execute(
        "SELECT a.email_status, a.message_id, m.last_attempt_at FROM activity a "
        "JOIN email_message m ON m.activity_id = a.id WHERE a.id = ?",
        (activity_id,),
    ).fetchone()
    if row is None:
        raise NotFound(
            _("timeline entry {id} is not an email sent from tui-crm").format(id=activity_id)
        )
    status, message_id, last = row
    if status == "sent":
        raise RuleViolation(
            _("this email was already sent (Message-ID {id})").format(id=message_id)
        )
    if status == "draft" and last is not None:
        started = last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))
        if now - started < STALE_AFTER:
            raise RuleViolation(
                _("this email is being sent right now (since {time}); wait for its result").format(
                    time=started.strftime("%H:%M:%S")
                )
            )


def _keep_files(activity_id: int, files: tuple[tuple[str, str, bytes], ...]) -> None:
    """Keep the files as they go now (a retry edited by a person may drop some)."""
    EmailAttachment.delete().where(EmailAttachment.activity == activity_id).execute()
    for position, (name, mime, data) in enumerate(files):
        EmailAttachment.create(
            activity=activity_id,
            position=position,
            filename=name[:255],
            mime=(mime or "application/octet-stream")[:100],
            data=bytes(data),
        )


def kept_files(activity_id: int) -> tuple[tuple[str, str, bytes], ...]:
    """The files an unsent email carries, as they were composed: (name, MIME type, data)."""
    rows = (
        EmailAttachment.select()
        .where(EmailAttachment.activity == activity_id)
        .order_by(EmailAttachment.position)
    )
    return tuple((r.filename, r.mime, bytes(r.data)) for r in rows)


class _NothingToClaim(Exception):
    """Every reminder slot was taken by another run: roll the draft back."""


@transactional
def _record_result(
    draft: EmailDraft,
    activity_id: int,
    reason: str | None,
    *,
    note: str = "",
    delivered: list[str] | None = None,
) -> None:
    """Mark the email sent (with its reminders and the quote's status; `note` says who it
    did not reach) or failed, with the server's reason and the recipients it reached all
    the same (`delivered`, left out of a retry); a failed reminder gives its slots back
    for the next run."""
    from . import quotes
    from .timeline import refresh_last_activity

    now = utcnow()
    to = ", ".join(r.email for r in draft.all_to)
    if reason is None:
        outcome = _("sent to {to}").format(to=to)
        if note:
            outcome += "; " + note
        Activity.update(
            email_status="sent",
            outcome=outcome[:200],
            occurred_at=now,
            version=Activity.version + 1,
            updated_at=now,
        ).where(Activity.id == activity_id).execute()
        EmailMessage.update(error="").where(EmailMessage.activity == activity_id).execute()
        # Sent: it will never go again, so its kept files would only weigh.
        EmailAttachment.delete().where(EmailAttachment.activity == activity_id).execute()
        for invoice_id, level in draft.reminder_items:
            # A person may send a level again by hand: the board then shows the new date.
            execute(
                "INSERT INTO payment_reminder (invoice_id, level, sent_at, activity_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (invoice_id, level) DO UPDATE SET "
                "sent_at = excluded.sent_at, activity_id = excluded.activity_id",
                (invoice_id, level, now.isoformat(" "), activity_id),
            )
        if draft.quote_id is not None:
            quote = quotes.get_quote(draft.quote_id)
            if quote.status == "draft":
                quotes.mark_sent(draft.quote_id)
        audit.record(
            "send",
            "activity",
            activity_id,
            client_id=draft.client_id,
            changes={"email_status": ("draft", "sent")},
            summary=_("Email to {to}: {subject}").format(to=to, subject=draft.subject)[:200],
        )
    else:
        Activity.update(
            email_status="failed",
            outcome=_("not sent: {reason}").format(reason=reason)[:200],
            version=Activity.version + 1,
            updated_at=now,
        ).where(Activity.id == activity_id).execute()
        reached = list(dict.fromkeys(delivered or []))  # in order, each once
        EmailMessage.update(error=reason, delivered=json.dumps(reached) if reached else "").where(
            EmailMessage.activity == activity_id
        ).execute()
        execute("DELETE FROM payment_reminder WHERE activity_id = ?", (activity_id,))
        audit.record(
            "update",
            "activity",
            activity_id,
            client_id=draft.client_id,
            changes={"email_status": ("draft", "failed"), "error": (None, reason)},
            summary=_("Email to {to} not sent").format(to=to),
        )
    refresh_last_activity(draft.client_id)


# --- transmitting ---------------------------------------------------------------------


def _attachments(draft: EmailDraft) -> list[tuple[str, bytes] | tuple[str, bytes, str]]:
    from . import printing

    if draft.purpose in ("general", "invitation"):
        return [(name, data, mime) for name, mime, data in draft.files]

    # The PDFs speak the email's language (the client's, or the one the sender chose).
    if draft.purpose == "invoice" and draft.invoice_id is not None:
        printed = printing.print_invoice(draft.invoice_id, language=draft.language)
        return [(printed.filename, printed.data)]
    if draft.purpose == "quote" and draft.quote_id is not None:
        printed = printing.print_quote(draft.quote_id, language=draft.language)
        return [(printed.filename, printed.data)]
    if draft.purpose == "statement":
        from .statements import attachment

        return [attachment(draft)]
    files = []
    for invoice_id, _level in draft.reminder_items:
        printed = printing.print_invoice(invoice_id, language=draft.language)
        files.append((printed.filename, printed.data))
    return files


def build_message(
    draft: EmailDraft,
    config: SmtpConfig,
    message_id: str,
    files: list[tuple[str, bytes]] | list[tuple[str, bytes] | tuple[str, bytes, str]],
):
    """The MIME message: From (with the business name when the address has none), To,
    Cc, Reply-To, Subject, Date, Message-ID, the text and the files (PDFs unless a file
    says its MIME type; a calendar invitation is attached with its METHOD). No Bcc header."""
    from email.message import EmailMessage as MimeMessage
    from email.utils import formataddr, formatdate, parseaddr

    assert draft.recipient is not None
    name, address = parseaddr(config.from_addr)
    msg = MimeMessage()
    # Names stored before control characters were refused must not break a header.
    msg["From"] = formataddr((one_line(name or settings.get("company.name")), address))
    msg["To"] = ", ".join(formataddr((one_line(r.name), r.email)) for r in draft.all_to)
    if draft.cc:
        msg["Cc"] = ", ".join(formataddr((one_line(r.name), r.email)) for r in draft.cc)
    if config.reply_to:
        msg["Reply-To"] = config.reply_to
    msg["Subject"] = draft.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg["Content-Language"] = draft.language
    msg.set_content(draft.body)
    for file in files:
        filename, data = file[0], file[1]
        mime = file[2] if len(file) > 2 else "application/pdf"  # type: ignore[misc]
        maintype, _slash, subtype = (mime or "application/octet-stream").partition("/")
        if maintype == "text" and subtype.startswith("calendar"):
            # An invitation: text/calendar; method=REQUEST (or CANCEL), as mail readers expect.
            method = subtype.partition("method=")[2].strip() or "REQUEST"
            msg.add_attachment(
                data.decode("utf-8"),
                subtype="calendar",
                filename=filename,
                params={"method": method},
            )
        else:
            msg.add_attachment(
                data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
            )
    return msg


def _text(value: object) -> str:
    return _plain_text(value)


def _plain_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


def _reason(exc: BaseException, config: SmtpConfig, password: str | None) -> str:
    """The server's (or the network's) reason, in one line, never with the password: what
    comes from the exception or the server loses any fragment of it (our own words stay)."""
    where = f"{config.host}:{config.port}"

    def _text(value: object) -> str:
        return scrub(_plain_text(value), password)

    if isinstance(exc, smtplib.SMTPAuthenticationError):
        text = _("the server refused the user name or password ({code} {message})").format(
            code=exc.smtp_code, message=_text(exc.smtp_error)
        )
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items()]
        text = _("the server refused the recipient {who}").format(who=", ".join(parts))
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        text = _("the server refused the sender {sender} ({code} {message})").format(
            sender=exc.sender, code=exc.smtp_code, message=_text(exc.smtp_error)
        )
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        text = _("the server {where} does not support {what}").format(
            where=where, what=_text(exc) or "STARTTLS/AUTH"
        )
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        text = _("the server {where} closed the connection: {message}").format(
            where=where, message=_text(exc) or "-"
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = _("the server answered {code} {message}").format(
            code=exc.smtp_code, message=_text(exc.smtp_error)
        )
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = _("the certificate of {where} could not be verified: {message}").format(
            where=where, message=_text(exc.verify_message or exc)
        )
    elif isinstance(exc, ssl.SSLError):
        text = _("the secure connection to {where} failed: {message}").format(
            where=where, message=_text(exc.reason or exc)
        )
    elif isinstance(exc, socket.gaierror):
        text = _("the server name {host} could not be found").format(host=config.host)
    elif isinstance(exc, TimeoutError | socket.timeout):
        text = _("no answer from {where} within {n} seconds").format(where=where, n=config.timeout)
    elif isinstance(exc, ConnectionRefusedError):
        text = _("{where} refused the connection (is the port right?)").format(where=where)
    elif isinstance(exc, OSError):
        text = _("could not reach {where}: {message}").format(
            where=where, message=_text(exc.strerror or exc)
        )
    elif isinstance(exc, UnicodeError):
        # its message quotes the text it could not encode, and where: never repeat it
        text = _("a value could not be encoded for the server ({what})").format(
            what=type(exc).__name__
        )
    else:
        text = f"{type(exc).__name__}: {_text(exc)}"
    return text.replace(password, "********") if password else text


def scrub(text: str, secret: str | None) -> str:
    """`text` without the secret, nor a fragment of it (4 characters or more), so no
    message, log or table ever holds any part of it."""
    if not secret:
        return text
    if secret in text:
        text = text.replace(secret, "********")
    size = len(secret)
    for length in range(min(size, 64), 3, -1):
        for start in range(0, size - length + 1):
            part = secret[start : start + length]
            if part in text:
                text = text.replace(part, "********")
    return text


def smtp_login(server: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with the user name and password as UTF-8 (RFC 4616 for PLAIN; LOGIN alike).

    smtplib encodes credentials as ASCII, so a password with "ñ" could never log in (and
    its UnicodeEncodeError named the letter and its position). PLAIN is preferred, then
    LOGIN; a server offering neither gets smtplib's own login (CRAM-MD5), for ASCII."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    server.ehlo_or_helo_if_needed()
    if not server.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = server.esmtp_features["auth"].upper().split()
    secret = password.encode("utf-8")
    if "PLAIN" in offered:
        code, answer = server.docmd("AUTH", "PLAIN " + b64(b"\0" + user.encode() + b"\0" + secret))
    elif "LOGIN" in offered:
        code, answer = server.docmd("AUTH", "LOGIN " + b64(user.encode("utf-8")))
        if code == 334:
            code, answer = server.docmd(b64(secret))
    elif password.isascii() and user.isascii():
        server.login(user, password)
        return
    else:
        raise smtplib.SMTPNotSupportedError(
            "the server offers no login that takes a non-ASCII user name or password"
        )
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, answer)


def transmit(
    config: SmtpConfig, password: str | None, message, recipients_: list[str]
) -> dict[str, tuple[int, bytes]]:
    """Hand the message to the SMTP server (STARTTLS, SSL or plain), logging in when a user
    is set. Returns the recipients the server refused while it took the others (smtplib's
    {address: (code, answer)}); raises the smtplib/ssl/socket error when nobody got it
    (every recipient refused among them); `_reason` turns it into words."""
    context = ssl.create_default_context()
    if config.security == "ssl":
        server = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        server.ehlo()
        if config.security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if config.user:
            smtp_login(server, config.user, password or "")
        return server.send_message(message, from_addr=config.from_email, to_addrs=recipients_)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def send(
    draft: EmailDraft, *, reuse: int | None = None, automatic: bool = False
) -> SendResult | None:
    """Send an email composed by `compose_*` (possibly edited by a person).

    Recorded on the timeline as a draft first, then sent; the result (sent with its
    Message-ID, or failed with the reason) is recorded whatever happens. Refuses
    before recording anything when email is not set up. Must not be called inside a
    transaction (the SMTP conversation never holds the database). None only for an
    automatic reminder whose invoices another run has just claimed."""
    if database.in_transaction():
        raise RuntimeError("send() talks to the SMTP server: call it outside a transaction")
    require("email.send")
    draft = _check_draft(draft)
    config, password = check_ready()
    message_id = _new_message_id(config)
    if reuse is not None:
        existing = Activity.get_or_none(Activity.id == reuse)
        if existing is not None and existing.message_id:
            message_id = existing.message_id  # the same email again: the same Message-ID
    files = _attachments(draft)
    try:
        activity_id = _record_draft(draft, message_id, reuse=reuse, automatic=automatic)
    except _NothingToClaim:
        return None
    assert activity_id is not None and draft.recipient is not None
    message = build_message(draft, config, message_id, files)
    envelope = [r.email for r in draft.all_to] + [r.email for r in draft.cc]
    if config.bcc_self and config.from_email.casefold() != draft.recipient.email.casefold():
        envelope.append(config.from_email)
    # A retry leaves out whom an earlier attempt reached (m0023); never the main recipient.
    reached = _delivered(activity_id) if reuse is not None else []
    known = {a.casefold() for a in reached}
    main = envelope[0]
    left_out = [a for a in envelope[1:] if a.casefold() in known]
    envelope = [main, *(a for a in envelope[1:] if a.casefold() not in known)]
    reason = None
    refused: dict[str, tuple[int, bytes]] = {}
    try:
        refused = transmit(config, password, message, envelope)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        reason = _reason(exc, config, password)
    delivered: list[str] = []
    note = ""
    if reason is None and main in refused:
        # The copies went, the email did not: they are kept, so a retry leaves them out.
        refused_main = smtplib.SMTPRecipientsRefused({main: refused[main]})
        reason = _reason(refused_main, config, password)
        delivered = [a for a in envelope if a not in refused]
        if delivered:
            reason += "; " + _("the copies to {who} were delivered and are not sent again").format(
                who=", ".join(delivered)
            )
    elif reason is None:
        parts = []
        if refused:
            parts.append(_reason(smtplib.SMTPRecipientsRefused(refused), config, password))
        if left_out:
            parts.append(
                _("not sent again to {who} (an earlier attempt reached them)").format(
                    who=", ".join(left_out)
                )
            )
        note = "; ".join(parts)
    _record_result(draft, activity_id, reason, note=note, delivered=[*reached, *delivered])
    return SendResult(
        activity_id, reason is None, message_id, draft.recipient.email, reason or "", note
    )


def _delivered(activity_id: int) -> list[str]:
    """The addresses earlier attempts of this email reached (m0023), as they were sent."""
    message = EmailMessage.get_or_none(EmailMessage.activity == activity_id)
    if message is None or not message.delivered:
        return []
    return [str(a) for a in json.loads(message.delivered)]


# --- retrying a failed email -------------------------------------------------------------


@dataclass(frozen=True)
class StoredEmail:
    activity_id: int
    client_id: int
    status: str
    subject: str
    body: str
    to: str
    to_name: str
    purpose: str
    document: str
    attempts: int
    error: str
    occurred_at: dt.datetime


def get_email(activity_id: int) -> StoredEmail:
    """An email entry of the timeline with its envelope."""
    activity = Activity.get_or_none(Activity.id == activity_id)
    message = EmailMessage.get_or_none(EmailMessage.activity == activity_id)
    if activity is None or activity.kind != "email" or message is None:
        raise NotFound(
            _("timeline entry {id} is not an email sent from tui-crm").format(id=activity_id)
        )
    document = ""
    if message.invoice_id:
        row = execute("SELECT code, id FROM invoice WHERE id = ?", (message.invoice_id,)).fetchone()
        document = (row[0] or "") if row else ""
    elif message.quote_id:
        row = execute("SELECT code FROM quote WHERE id = ?", (message.quote_id,)).fetchone()
        document = row[0] if row else ""
    elif message.reminder_invoices:
        ids = [int(i) for i, _level in json.loads(message.reminder_invoices or "[]")]
        if ids:
            marks = ", ".join("?" for _ in ids)
            document = ", ".join(
                r[0]
                for r in execute(f"SELECT code FROM invoice WHERE id IN ({marks}) ORDER BY id", ids)
            )
    return StoredEmail(
        activity_id=activity.id,
        client_id=activity.client_id,
        status=activity.email_status,
        subject=activity.subject,
        body=activity.body,
        to=message.to_addr,
        to_name=message.to_name,
        purpose=message.purpose,
        document=document,
        attempts=message.attempts,
        error=message.error,
        occurred_at=activity.occurred_at,
    )


def stored_draft(activity_id: int) -> EmailDraft:
    """A failed (or interrupted) email as it was written, ready to send again."""
    activity = Activity.get_or_none(Activity.id == activity_id)
    message = EmailMessage.get_or_none(EmailMessage.activity == activity_id)
    if activity is None or message is None or activity.kind != "email":
        raise NotFound(
            _("timeline entry {id} is not an email sent from tui-crm").format(id=activity_id)
        )
    if activity.email_status == "sent":
        raise RuleViolation(
            _("this email was already sent (Message-ID {id})").format(id=activity.message_id)
        )
    files: tuple[tuple[str, str, bytes], ...] = ()
    if message.purpose in KEPT_FILES:
        if not message.more_to:
            # Written before its copies and files were kept: it must be written anew.
            raise RuleViolation(
                _("an email written from the client file is sent again by writing it anew")
            )
        files = kept_files(activity_id)
    client = live_client(activity.client_id)
    items = tuple(
        (int(i), int(level)) for i, level in json.loads(message.reminder_invoices or "[]")
    )
    if message.purpose == "reminder":
        unpaid = {u.id for u in _unpaid_invoices([i for i, _l in items], dt.date.today())}
        paid = [i for i, _l in items if i not in unpaid]
        if paid:
            marks = ", ".join("?" for _ in paid)
            codes = ", ".join(
                r[0] for r in execute(f"SELECT code FROM invoice WHERE id IN ({marks})", paid)
            )
            raise RuleViolation(
                _("{codes} has been paid since; write a new reminder instead").format(codes=codes)
            )
    contact = None
    if activity.contact_id:
        contact = Contact.get_or_none(Contact.id == activity.contact_id)
    recipient = Recipient(
        message.to_addr,
        message.to_name,
        contact.id if contact else None,
        bool(contact.is_billing) if contact else False,
    )
    if message.purpose == "invoice" and message.invoice_id is None:
        raise RuleViolation(_("the invoice of this email no longer exists"))
    if message.purpose == "quote" and message.quote_id is None:
        raise RuleViolation(_("the quote of this email no longer exists"))
    return EmailDraft(
        purpose=message.purpose,
        client_id=client.id,
        client_name=client.legal_name,
        recipient=recipient,
        subject=activity.subject,
        body=activity.body,
        template=message.template,
        language=message.language,
        invoice_id=message.invoice_id,
        quote_id=message.quote_id,
        reminder_level=message.reminder_level,
        reminder_items=items,
        more_to=_people(message.more_to),
        cc=_people(message.cc),
        files=files,
        attachments=tuple(name for name, _mime, _data in files),
    )


def retry_email(activity_id: int, draft: EmailDraft | None = None) -> SendResult:
    """Send a failed or interrupted email again, as it was written (or as edited in
    `draft`); the same timeline entry records the new attempt."""
    stored = stored_draft(activity_id)
    result = send(draft or stored, reuse=activity_id)
    assert result is not None
    return result


def unsent_emails(client_id: int | None = None) -> list[StoredEmail]:
    """The emails waiting on a timeline (drafts and failures), newest first."""
    sql = "SELECT a.id FROM activity a WHERE a.email_status IN ('draft', 'failed')"
    params: list[object] = []
    if client_id is not None:
        sql += " AND a.client_id = ?"
        params.append(client_id)
    sql += " ORDER BY a.occurred_at DESC, a.id DESC"
    out = []
    for (activity_id,) in execute(sql, params):
        try:
            out.append(get_email(activity_id))
        except NotFound:
            continue
    return out


def client_name(client_id: int) -> str:
    client = Client.get_or_none(Client.id == client_id)
    return client.legal_name if client else ""


def send_test_email(config: SmtpConfig | None = None, password: str | None = None) -> str:
    """Send a short test message to the From address itself (nothing is recorded);
    returns the address it went to. A refusal is a RuleViolation with the server's
    reason, so the settings screen can say what is wrong."""
    from email.message import EmailMessage as MimeMessage
    from email.utils import formatdate

    if config is None:
        config, password = check_ready()
    elif config.user and password is None:
        config, password = check_ready(config)
    msg = MimeMessage()
    msg["From"] = config.from_addr
    msg["To"] = config.from_addr
    msg["Subject"] = _("tui-crm test email")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = _new_message_id(config)
    msg.set_content(
        _("This message confirms that tui-crm can send email through {host}:{port}.").format(
            host=config.host, port=config.port
        )
    )
    try:
        transmit(config, password, msg, [config.from_email])
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise RuleViolation(_reason(exc, config, password)) from None
    return config.from_email
