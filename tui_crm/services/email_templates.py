"""Email templates: Spanish and English texts for quotes, invoices and payment reminders.

Rules:
- a template has a name, a language, a kind (quote, invoice, reminder1, reminder2,
  reminder3: first, second and final notice; general: any email from the client
  file), a subject and a body;
- the built-in templates (named after their kind, in Spanish and English) live in
  this module; a template saved by the business with the same name and language
  replaces the built-in one, and deleting it brings the built-in one back;
- placeholders are `{name}`; each kind knows its own (see PLACEHOLDERS); an
  unknown placeholder, a format spec or a stray brace is an error naming it, at
  save time and at render time; `{{` and `}}` write literal braces. Rendering only
  substitutes strings: user text is never evaluated (no attribute or index access);
- saving and deleting templates is a business setting (admin), audited.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ..db import transactional
from ..i18n import N_, _
from ..models import EmailTemplate
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require

KINDS = ("quote", "invoice", "reminder1", "reminder2", "reminder3", "general")
KIND_LABELS = {
    "general": N_("General (any email from the client file)"),
    "quote": N_("Quote"),
    "invoice": N_("Invoice"),
    "reminder1": N_("Payment reminder (first)"),
    "reminder2": N_("Payment reminder (second)"),
    "reminder3": N_("Payment reminder (final notice)"),
}
LANGUAGES = ("es", "en")
LANGUAGE_LABELS = {"es": N_("Spanish"), "en": N_("English")}

_COMMON = ("client", "contact", "company", "date")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "general": (*_COMMON, "tax_id", "outstanding", "user"),
    "invoice": (*_COMMON, "number", "total", "due_date", "issue_date", "outstanding", "iban"),
    "quote": (*_COMMON, "number", "total", "title", "valid_until", "quote_date"),
    **{
        f"reminder{level}": (
            *_COMMON,
            "number",
            "total",
            "due_date",
            "invoices",
            "days_overdue",
            "iban",
        )
        for level in (1, 2, 3)
    },
}
PLACEHOLDER_LABELS = {
    "client": N_("the client's legal name"),
    "contact": N_("the recipient's name (the client's name without a contact)"),
    "company": N_("your business name"),
    "date": N_("today's date"),
    "number": N_("the document number (several, comma separated, in a reminder)"),
    "total": N_("the total (in a reminder: the outstanding total)"),
    "due_date": N_("the due date (in a reminder: the earliest)"),
    "issue_date": N_("the issue date"),
    "outstanding": N_("the amount still unpaid"),
    "iban": N_("your IBAN for transfers"),
    "title": N_("the quote's title"),
    "valid_until": N_("the date the quote is valid until"),
    "quote_date": N_("the quote's date"),
    "invoices": N_("one line per invoice: number, due date, outstanding, days overdue"),
    "days_overdue": N_("days overdue of the oldest invoice"),
    "tax_id": N_("the client's tax ID"),
    "user": N_("your name (the user writing)"),
}
SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    language: str
    kind: str
    subject: str
    body: str
    builtin: bool = False  # a built-in text, not (or no longer) replaced by the business


_ES_SIGN = "\n\nUn saludo,\n{company}"
_EN_SIGN = "\n\nKind regards,\n{company}"

BUILTIN: dict[tuple[str, str], tuple[str, str]] = {
    ("general", "es"): (
        "{company}: ",
        "Hola, {contact}:\n\n\n\nUn saludo,\n{user}\n{company}",
    ),
    ("general", "en"): (
        "{company}: ",
        "Dear {contact},\n\n\n\nKind regards,\n{user}\n{company}",
    ),
    ("invoice", "es"): (
        "Factura {number} de {company}",
        "Hola, {contact}:\n\n"
        "Te enviamos adjunta la factura {number}, de {issue_date}, por un total de {total}, "
        "con vencimiento el {due_date}.\n\n"
        "Para cualquier duda sobre ella basta con responder a este correo." + _ES_SIGN,
    ),
    ("invoice", "en"): (
        "Invoice {number} from {company}",
        "Dear {contact},\n\n"
        "Please find attached invoice {number} of {issue_date} for {total}, due on "
        "{due_date}.\n\n"
        "If you have any question about it, just reply to this email." + _EN_SIGN,
    ),
    ("quote", "es"): (
        "Presupuesto {number} de {company}",
        "Hola, {contact}:\n\n"
        "Te enviamos adjunto nuestro presupuesto {number}, por un total de {total}, válido "
        "hasta el {valid_until}.\n\n"
        "Si te encaja, responde a este correo y nos ponemos en marcha." + _ES_SIGN,
    ),
    ("quote", "en"): (
        "Quote {number} from {company}",
        "Dear {contact},\n\n"
        "Please find attached our quote {number} for {total}, valid until {valid_until}.\n\n"
        "If it suits you, reply to this email and we will get started." + _EN_SIGN,
    ),
    ("reminder1", "es"): (
        "Recordatorio de pago: {number}",
        "Hola, {contact}:\n\n"
        "Según nuestros registros, estas facturas siguen pendientes de pago:\n\n"
        "{invoices}\n\n"
        "Total pendiente: {total}. Te adjuntamos una copia.\n\n"
        "Si ya has hecho el pago, no tengas en cuenta este mensaje; si no, te agradeceremos "
        "que lo hagas en los próximos días." + _ES_SIGN,
    ),
    ("reminder1", "en"): (
        "Payment reminder: {number}",
        "Dear {contact},\n\n"
        "According to our records, these invoices are still unpaid:\n\n"
        "{invoices}\n\n"
        "Outstanding total: {total}. A copy is attached.\n\n"
        "If you have already paid, please disregard this message; otherwise we would be "
        "grateful if you could settle it in the next few days." + _EN_SIGN,
    ),
    ("reminder2", "es"): (
        "Segundo aviso: facturas pendientes ({number})",
        "Hola, {contact}:\n\n"
        "Te escribimos de nuevo porque estas facturas siguen sin pagar:\n\n"
        "{invoices}\n\n"
        "Total pendiente: {total}. La más antigua lleva {days_overdue} días vencida.\n\n"
        "Te rogamos que realices el pago cuanto antes o que nos digas si hay algún problema "
        "con ellas." + _ES_SIGN,
    ),
    ("reminder2", "en"): (
        "Second notice: unpaid invoices ({number})",
        "Dear {contact},\n\n"
        "We are writing again because these invoices remain unpaid:\n\n"
        "{invoices}\n\n"
        "Outstanding total: {total}. The oldest is {days_overdue} days overdue.\n\n"
        "Please pay as soon as possible, or let us know if there is any problem with "
        "them." + _EN_SIGN,
    ),
    ("reminder3", "es"): (
        "Último aviso antes de reclamar el pago: {number}",
        "Hola, {contact}:\n\n"
        "A pesar de nuestros avisos anteriores, estas facturas siguen pendientes:\n\n"
        "{invoices}\n\n"
        "Total pendiente: {total}.\n\n"
        "Si no recibimos el pago en los próximos 7 días, nos veremos obligados a iniciar su "
        "reclamación. Si ya lo has hecho, envíanos el justificante respondiendo a este "
        "correo." + _ES_SIGN,
    ),
    ("reminder3", "en"): (
        "Final notice before we claim payment: {number}",
        "Dear {contact},\n\n"
        "Despite our previous reminders, these invoices are still unpaid:\n\n"
        "{invoices}\n\n"
        "Outstanding total: {total}.\n\n"
        "If we do not receive payment within 7 days, we will have to start a formal claim. "
        "If you have already paid, please reply with the proof of payment." + _EN_SIGN,
    ),
}


def placeholders_text(kind: str) -> str:
    """The placeholders a template of this kind may use, for help texts."""
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS.get(kind, ()))


def fill(text: str, values: dict[str, str], field: str = "body") -> str:
    """`text` with each {placeholder} replaced by its value; ValidationError naming the
    unknown ones (or a stray brace). Only plain names are allowed: no `{a.b}`, `{a[0]}`,
    `{a!r}` or `{a:>9}`, so a template can never reach into the program."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValidationError(
            {field: _("has a lone { or }; write {{ or }} for a literal brace")}
        ) from None
    out: list[str] = []
    unknown: list[str] = []
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if spec or conversion or name not in values:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            if shown not in unknown:
                unknown.append(shown)
            continue
        out.append(values[name])
    if unknown:
        raise ValidationError(
            {
                field: _("unknown placeholders {names}; known: {known}").format(
                    names=", ".join(unknown),
                    known=", ".join("{" + k + "}" for k in values),
                )
            }
        )
    return "".join(out)


def check_text(kind: str, subject: str, body: str) -> None:
    """ValidationError when the subject or body uses a placeholder this kind does not know."""
    sample = {name: "" for name in PLACEHOLDERS[kind]}
    errors: dict[str, str] = {}
    for field, text in (("subject", subject), ("body", body)):
        try:
            fill(text, sample, field)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)


def _builtin(kind: str, language: str) -> TemplateInfo:
    subject, body = BUILTIN[(kind, language)]
    return TemplateInfo(kind, language, kind, subject, body, builtin=True)


def list_templates(kind: str | None = None) -> list[TemplateInfo]:
    """Every template (the business's and the built-in ones it has not replaced), by name."""
    found: dict[tuple[str, str], TemplateInfo] = {
        (k, lang): _builtin(k, lang) for (k, lang) in BUILTIN if kind in (None, k)
    }
    query = EmailTemplate.select()
    if kind is not None:
        query = query.where(EmailTemplate.kind == kind)
    for row in query:
        found[(row.name, row.language)] = TemplateInfo(
            row.name, row.language, row.kind, row.subject, row.body
        )
    return sorted(found.values(), key=lambda t: (KINDS.index(t.kind), t.name, t.language))


def template_names(kind: str) -> list[str]:
    """The names of the templates of one kind, the built-in one first."""
    names = {t.name for t in list_templates(kind)}
    return sorted(names, key=lambda n: (n != kind, n.casefold()))


def get_template(name: str, language: str) -> TemplateInfo:
    """The template with this name in this language, else in English, Spanish or any other."""
    rows = {t.language: t for t in list_templates() if t.name == name}
    if not rows:
        known = sorted({t.name for t in list_templates()})
        raise NotFound(
            _("there is no email template {name!r}; templates: {names}").format(
                name=name, names=", ".join(known)
            )
        )
    for lang in (language, "en", "es"):
        if lang in rows:
            return rows[lang]
    return rows[sorted(rows)[0]]


def _clean(name: str, language: str, kind: str, subject: str, body: str) -> TemplateInfo:
    errors: dict[str, str] = {}
    name = clean_input(name)
    language = clean_input(language).lower()
    subject = clean_input(subject)
    body = clean_input(body)
    if not name:
        errors["name"] = _("is required")
    elif len(name) > 60:
        errors["name"] = _("is longer than {n} characters").format(n=60)
    if len(language) < 2 or len(language) > 5 or not language.replace("-", "").isalpha():
        errors["language"] = _("must be a language code such as es or en")
    if kind not in KINDS:
        errors["kind"] = _("must be one of {values}").format(values=", ".join(KINDS))
    if not subject:
        errors["subject"] = _("is required")
    elif len(subject) > SUBJECT_LIMIT or "\n" in subject:
        errors["subject"] = _("must be one line of at most {n} characters").format(n=SUBJECT_LIMIT)
    if not body:
        errors["body"] = _("is required")
    elif len(body) > BODY_LIMIT:
        errors["body"] = _("is longer than {n} characters").format(n=BODY_LIMIT)
    if errors:
        raise ValidationError(errors)
    check_text(kind, subject, body)
    builtin_kind = next((k for (k, lang) in BUILTIN if k == name), None)
    if builtin_kind is not None and builtin_kind != kind:
        raise ValidationError(
            {"kind": _("the template {name!r} is for {kind}").format(name=name, kind=builtin_kind)}
        )
    return TemplateInfo(name, language, kind, subject, body)


@transactional
def save_template(name: str, language: str, kind: str, subject: str, body: str) -> TemplateInfo:
    """Create or replace the business's template `name` in `language` (admin; audited).

    Placeholders are checked against the kind; a built-in name keeps its kind."""
    require("settings.write")
    clean = _clean(name, language, kind, subject, body)
    row = EmailTemplate.get_or_none(
        (EmailTemplate.name == clean.name) & (EmailTemplate.language == clean.language)
    )
    if row is None:
        EmailTemplate.create(
            name=clean.name,
            language=clean.language,
            kind=clean.kind,
            subject=clean.subject,
            body=clean.body,
        )
        audit.record(
            "create",
            "email_template",
            f"{clean.name}/{clean.language}",
            changes={"subject": (None, clean.subject)},
            summary=clean.name,
        )
    else:
        if row.kind != clean.kind:
            raise ValidationError(
                {
                    "kind": _("the template {name!r} is for {kind}").format(
                        name=row.name, kind=row.kind
                    )
                }
            )
        EmailTemplate.update(subject=clean.subject, body=clean.body).where(
            EmailTemplate.id == row.id
        ).execute()
        audit.record(
            "update",
            "email_template",
            f"{clean.name}/{clean.language}",
            changes={
                "subject": (row.subject, clean.subject),
                "body": (row.body[:200], clean.body[:200]),
            },
            summary=clean.name,
        )
    return clean


@transactional
def delete_template(name: str, language: str) -> bool:
    """Remove the business's template; a built-in one of that name and language comes back.
    False when there was nothing to remove."""
    require("settings.write")
    row = EmailTemplate.get_or_none(
        (EmailTemplate.name == name) & (EmailTemplate.language == language)
    )
    if row is None:
        return False
    row.delete_instance()
    audit.record(
        "delete",
        "email_template",
        f"{name}/{language}",
        changes={"subject": (row.subject, None)},
        summary=name,
    )
    return True
