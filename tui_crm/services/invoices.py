"""Invoices: drafts, issuing with gapless numbers, rectifying invoices, the invoice list.

Rules enforced here (RD 1619/2012, the invoicing regulation), for the TUI and the command
line alike:
- a draft has no number; it takes its defaults from the client (invoice address,
  payment days -> due date, IRPF, recargo de equivalencia, IVA exemption);
- issuing happens inside ONE IMMEDIATE transaction: it takes the next number of the
  series and year from `series_counter` (created on first use), refuses an issue
  date earlier than the last one of that series and year, freezes the client's
  fiscal data, billing address and the issuer's data on the invoice, sets the
  code, makes it `issued` with outstanding = total, updates the client's running
  figures, turns a lead into a client (setting `clients.lead_to_client_on_invoice`),
  and audits. Numbers are therefore correlative and gapless per series and year;
  the UNIQUE index on (series, year, number) guards them too;
- the code is SERIES + YEAR + "-" + the number on five digits: "F2026-00001",
  "R2026-00003" (wider past 99,999);
- an issued invoice is immutable: every write path here refuses it, and SQLite
  triggers (migration 0003) refuse any other writer; drafts can be deleted,
  issued invoices never;
- corrections are rectifying invoices in their own series (setting
  `invoice.rectifying_series`, default "R"), referencing the original with a
  reason, "by difference" (lines with negative quantities for what is
  corrected) or "by replacement" (the original's lines cancelled in full plus
  the restated lines). On issue, the rectified invoice's outstanding is
  compensated by a zero-amount "compensation" payment, so every invoice keeps
  total = paid + outstanding and the client's outstanding stays right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..db import execute, is_sqlite, transactional
from ..exports.pdf import PdfDocument, PdfParty, coverage_of, lines_from, taxes_from
from ..i18n import _
from ..i18n.formats import date_text
from ..models import Address, Client, Invoice, InvoiceLine, InvoiceReplaced, SeriesCounter
from ..models.base import utcnow
from ..money import ZERO, Totals, from_cents, to_cents
from ..text import clean_input
from . import audit, settings, verifactu
from .errors import ConflictError, ConflictInfo, NotFound, RuleViolation, ValidationError
from .lines import (
    DocumentLine,
    LineInput,
    clean_lines,
    document_taxes,
    has_recargo,
    negated,
    read_lines,
    totals_columns,
    totals_of,
    write_lines,
)
from .permissions import require
from .session import login
from .validation import TaxIdError, check_tax_id

RECTIFICATION_MODES = ("difference", "replacement")


# --- plain data in and out -------------------------------------------------------


@dataclass
class InvoiceDraftInput:
    """What the invoice editor (or the command line) sends.

    None means "the client's default": series from settings, IRPF, recargo and
    IVA exemption from the client, address = the client's invoice address; the
    due date, when not given, is the issue date plus the client's payment days.
    """

    client_id: int
    lines: list[LineInput] = field(default_factory=list)
    series: str = ""
    issue_date: dt.date | None = None
    operation_date: dt.date | None = None
    due_date: dt.date | None = None
    irpf_rate: Decimal | None = None
    recargo: bool | None = None
    exemption_reason: str | None = None
    payment_terms: str = ""
    notes: str = ""
    project_id: int | None = None
    address_id: int | None = None
    rectification_reason: str = ""  # rectifying drafts only
    # VERI*FACTU coding: F1/F2/F3 ("" = F1; a rectifying draft keeps its R1-R5), the AEAT
    # code of an exemption (None or "" = inferred from its text), the simplified invoices
    # an F3 replaces (their numbers).
    invoice_type: str = ""
    exemption_code: str | None = None
    replaces: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceDefaults:
    """What a new invoice for this client starts with (the editor shows it)."""

    client_id: int
    client_name: str
    tax_id: str
    series: str
    vat_rate: Decimal
    irpf_rate: Decimal
    recargo: bool
    exemption_reason: str
    payment_days: int
    address_id: int | None
    address: str
    payment_terms: str


@dataclass(frozen=True)
class AllocationInfo:
    payment_id: int
    date: dt.date
    amount: Decimal
    method: str
    reference: str
    reversed: bool


@dataclass(frozen=True)
class InvoiceDetail:
    """An invoice as screens and the PDF see it (plain values; drafts show live client data)."""

    id: int
    version: int
    kind: str
    status: str
    series: str
    year: int | None
    number: int | None
    code: str | None
    client_id: int
    client_name: str
    client_tax_id: str
    client_address: str
    issuer_name: str
    issuer_tax_id: str
    issuer_address: str
    issue_date: dt.date | None
    operation_date: dt.date | None
    due_date: dt.date | None
    irpf_rate: Decimal
    recargo: bool
    exemption_reason: str
    payment_terms: str
    notes: str
    lines: tuple[DocumentLine, ...]
    totals: Totals
    paid: Decimal
    outstanding: Decimal
    paid_date: dt.date | None
    rectifies_id: int | None
    rectifies_code: str | None
    rectifies_issue_date: dt.date | None
    rectification_reason: str
    rectification_mode: str
    rectified_by: tuple[str, ...]
    quote_id: int | None
    order_id: int | None
    project_id: int | None
    address_id: int | None
    recurring_id: int | None
    created_by: str
    issued_by: str
    issued_at: dt.datetime | None
    updated_at: dt.datetime
    updated_by: str
    payments: tuple[AllocationInfo, ...] = ()
    invoice_type: str = "F1"
    exemption_code: str = ""
    replaces: tuple[str, ...] = ()
    imported: bool = False
    voided_at: dt.datetime | None = None
    voided_by: str = ""
    void_reason: str = ""
    debit_returned_on: dt.date | None = None  # a direct debit of it came back (services.bank)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_voided(self) -> bool:
        return self.status == "voided"

    @property
    def is_simplified(self) -> bool:
        """A simplified invoice (F2) or its rectification (R5): no recipient identified."""
        return self.invoice_type in ("F2", "R5")

    @property
    def display_code(self) -> str:
        return self.code or _("Draft {id}").format(id=self.id)

    def as_input(self) -> InvoiceDraftInput:
        """The editable part, to edit a draft (locked lines left out)."""
        return InvoiceDraftInput(
            client_id=self.client_id,
            lines=[line.as_input() for line in self.lines if not line.locked],
            series=self.series,
            issue_date=self.issue_date,
            operation_date=self.operation_date,
            due_date=self.due_date,
            irpf_rate=self.irpf_rate,
            recargo=self.recargo,
            exemption_reason=self.exemption_reason,
            payment_terms=self.payment_terms,
            notes=self.notes,
            project_id=self.project_id,
            address_id=self.address_id,
            rectification_reason=self.rectification_reason,
            invoice_type=self.invoice_type,
            exemption_code=self.exemption_code,
            replaces=list(self.replaces),
        )


@dataclass(frozen=True)
class IssuedInvoice:
    id: int
    code: str
    series: str
    year: int
    number: int
    issue_date: dt.date
    due_date: dt.date
    total: Decimal


# --- helpers ---------------------------------------------------------------------


def _client(client_id: int) -> Client:
    client = Client.get_or_none(Client.id == client_id)
    if client is None or client.status == "merged":
        raise NotFound(_("client {id} does not exist").format(id=client_id))
    return client


def format_address(address: Address | None) -> str:
    """The frozen address text: line1, line2, postal code and city, province, country."""
    if address is None:
        return ""
    parts = [
        address.line1,
        address.line2,
        " ".join(p for p in (address.postal_code, address.city) if p),
        address.province,
        address.country if address.country and address.country != "ES" else "",
    ]
    return "\n".join(p for p in parts if p)


def address_for(client_id: int, address_id: int | None) -> Address | None:
    if address_id is not None:
        address = Address.get_or_none((Address.id == address_id) & (Address.client == client_id))
        if address is None:
            raise ValidationError({"address_id": _("is not an address of this client")})
        return address
    return (
        Address.select()
        .where(Address.client == client_id)
        .order_by(Address.is_invoice_default.desc(), Address.id)
        .first()
    )


def issuer_snapshot() -> tuple[str, str, str]:
    """The business's name, tax ID and address as printed on its invoices."""
    values = settings.get_all()
    city_line = " ".join(p for p in (values["company.postal_code"], values["company.city"]) if p)
    country = values.get("company.country") or "ES"
    address = "\n".join(
        p
        for p in (
            values["company.address"],
            city_line,
            values.get("company.province", ""),
            country if country != "ES" else "",
        )
        if p
    )
    return values["company.name"], values["company.tax_id"], address


def _series(value: str, field_name: str = "series") -> str:
    try:
        return settings.validate("invoice.series", value)
    except ValidationError as exc:
        raise ValidationError({field_name: next(iter(exc.errors.values()))}) from None


def invoice_code(series: str, year: int, number: int) -> str:
    """ "F2026-00001": series, year, dash, number on (at least) five digits."""
    return f"{series}{year}-{number:05d}"


def invoice_defaults(client_id: int) -> InvoiceDefaults:
    """The defaults a new invoice for `client_id` takes (shown by the editor before saving)."""
    client = _client(client_id)
    address = address_for(client_id, None)
    days = client.payment_days
    return InvoiceDefaults(
        client_id=client.id,
        client_name=client.legal_name,
        tax_id=client.tax_id,
        series=settings.get("invoice.series"),
        vat_rate=Decimal(0) if client.vat_exempt else client.vat_rate,
        irpf_rate=client.irpf_rate,
        recargo=bool(client.recargo),
        exemption_reason=client.exemption_reason if client.vat_exempt else "",
        payment_days=days,
        address_id=address.id if address else None,
        address=format_address(address),
        payment_terms=_client_terms(client_id, days),
    )


def _client_terms(client_id: int, days: int) -> str:
    """The default payment terms in the client's language (its documents' language), so
    that what the person writing the invoice sees is what the client reads."""
    from ..i18n import in_language
    from .client_language import language_for_client, payment_terms

    with in_language(language_for_client(client_id)):
        return payment_terms(days)


# --- drafts ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Clean:
    values: dict[str, object]
    lines: list[LineInput]
    totals: Totals
    replaced: list[int] = field(default_factory=list)


def rectifying_type_for(requested: str, original: Invoice | None) -> str:
    """R5 when the rectified invoice is simplified, else the legal cause asked (R1-R4)."""
    if original is None:
        return verifactu.check_invoice_type(requested or "R1", "rectifying")
    try:
        return verifactu.rectifying_type(requested or "R1", original)
    except ValidationError as exc:
        raise ValidationError({"invoice_type": next(iter(exc.errors.values()))}) from None


def _write_replaced(invoice_id: int, replaced: list[int]) -> None:
    InvoiceReplaced.delete().where(InvoiceReplaced.invoice == invoice_id).execute()
    if replaced:
        InvoiceReplaced.insert_many(
            [{"invoice": invoice_id, "replaced": other} for other in replaced]
        ).execute()


def _clean_draft(
    data: InvoiceDraftInput,
    *,
    kind: str = "standard",
    original: Invoice | None = None,
    mode: str = "",
) -> _Clean:
    errors: dict[str, str] = {}
    client = _client(data.client_id)
    from .projects import check_project

    check_project(data.project_id, client.id, errors)
    rect_series = settings.get("invoice.rectifying_series")
    if kind == "rectifying":
        series = rect_series
    else:
        try:
            series = _series(data.series or settings.get("invoice.series"))
            if series == rect_series:
                errors["series"] = _(
                    "{series} is the rectifying series; ordinary invoices need another one"
                ).format(series=series)
        except ValidationError as exc:
            errors.update(exc.errors)
            series = ""
    tax = document_taxes(client, data.irpf_rate, data.recargo, data.exemption_reason, errors)
    irpf, recargo, exemption = tax.irpf_rate, tax.recargo, tax.exemption_reason
    if len(exemption) > 200:
        errors["exemption_reason"] = _("is longer than {n} characters").format(n=200)
    if exemption and recargo:
        errors["recargo"] = _("an IVA-exempt invoice has no recargo de equivalencia")
    try:
        address = address_for(client.id, data.address_id)
    except ValidationError as exc:
        errors.update(exc.errors)
        address = None
    if data.issue_date and not FIRST_YEAR <= data.issue_date.year <= LAST_YEAR:
        errors["issue_date"] = _("must be in the years {first} to {last}").format(
            first=FIRST_YEAR, last=LAST_YEAR
        )
    if data.due_date and not FIRST_YEAR <= data.due_date.year <= LAST_YEAR + 1:
        errors["due_date"] = _("must be in the years {first} to {last}").format(
            first=FIRST_YEAR, last=LAST_YEAR + 1
        )
    if data.due_date and data.issue_date and data.due_date < data.issue_date:
        errors["due_date"] = _("is before the issue date")
    invoice_type = ""
    exemption_code = ""
    replaced: list[int] = []
    try:
        if kind == "rectifying":
            invoice_type = rectifying_type_for(data.invoice_type, original)
        else:
            invoice_type = verifactu.check_invoice_type(data.invoice_type, kind)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        exemption_code = verifactu.check_exemption_code(data.exemption_code or "", exemption)
    except ValidationError as exc:
        errors.update(exc.errors)
    codes = [c for c in (data.replaces or []) if c.strip()]
    if codes and invoice_type != "F3":
        errors["replaces"] = _("only an F3 invoice replaces simplified invoices")
    elif codes:
        try:
            replaced = verifactu.replaced_invoices(codes)
        except ValidationError as exc:
            errors.update(exc.errors)
    reason = clean_input(data.rectification_reason or "")
    if kind == "rectifying" and not reason:
        errors["rectification_reason"] = _("is required")
    lines: list[LineInput] = []
    try:
        lines = clean_lines(
            data.lines,
            tax,
            allow_negative=kind == "rectifying",
            require_one=not (kind == "rectifying" and mode == "replacement"),
        )
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if kind == "rectifying" and original is not None:
        if data.client_id != original.client_id:
            raise ValidationError({"client_id": _("must be the client of the rectified invoice")})
        if mode == "replacement":
            cancelling = [
                replace(
                    negated(line.as_input()),
                    description=_("Cancels: {description}").format(description=line.description),
                )
                for line in read_lines(InvoiceLine, InvoiceLine.invoice, original.id)
            ]
            lines = cancelling + lines
    for line in lines:
        if line.order_line_id is not None and kind == "rectifying":
            line.order_line_id = None
    totals = totals_of(lines, irpf)
    values: dict[str, object] = {
        "series": series,
        "client": client.id,
        "issue_date": data.issue_date,
        "operation_date": data.operation_date,
        "due_date": data.due_date,
        "payment_terms": clean_input(data.payment_terms or ""),
        "notes": clean_input(data.notes or ""),
        "project": data.project_id,
        "address": address.id if address else None,
        "rectification_reason": reason if kind == "rectifying" else "",
        "invoice_type": invoice_type,
        "exemption_code": exemption_code,
        **totals_columns(totals, irpf, exemption),
    }
    return _Clean(values, lines, totals, replaced)


def _check_order_lines(lines: list[LineInput], exclude_invoice_id: int | None) -> None:
    if any(line.order_line_id for line in lines):
        from .order_ledger import check_invoiceable

        check_invoiceable(lines, exclude_invoice_id=exclude_invoice_id)


@transactional
def create_draft(
    data: InvoiceDraftInput, *, quote_id: int | None = None, order_id: int | None = None
) -> int:
    """Write a draft invoice (no number yet); returns its id."""
    require("invoices.draft")
    clean = _clean_draft(data)
    _check_order_lines(clean.lines, None)
    invoice = Invoice.create(
        kind="standard",
        status="draft",
        created_by=login(),
        updated_by=login(),
        quote=quote_id,
        order=order_id,
        **clean.values,
    )
    write_lines(InvoiceLine, "invoice", invoice.id, clean.lines)
    _write_replaced(invoice.id, clean.replaced)
    audit.record(
        "create",
        "invoice",
        invoice.id,
        client_id=data.client_id,
        changes={"status": (None, "draft"), "total": (None, clean.totals.total)},
        summary=_("Draft invoice {id}").format(id=invoice.id),
    )
    return invoice.id


def _load(invoice_id: int) -> Invoice:
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFound(_("invoice {id} does not exist").format(id=invoice_id))
    return invoice


def _refuse_issued(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise RuleViolation(
            _(
                "{code} is issued and can no longer change; correct it with a rectifying invoice"
            ).format(code=invoice.code)
        )


def _load_draft(invoice_id: int) -> Invoice:
    invoice = _load(invoice_id)
    _refuse_issued(invoice)
    return invoice


def _conflict(invoice_id: int, expected_version: int) -> ConflictError:
    current = Invoice.get_by_id(invoice_id)
    return ConflictError(
        ConflictInfo("invoice", invoice_id, current.updated_by, current.updated_at, {}),
        _(
            "{user} changed this invoice meanwhile (version {theirs}, you started from {mine}); "
            "nothing was saved"
        ).format(user=current.updated_by or "?", theirs=current.version, mine=expected_version),
    )


@transactional
def update_draft(invoice_id: int, data: InvoiceDraftInput, expected_version: int) -> int:
    """Save a draft if nobody saved it since `expected_version`; returns the new version.

    Issued invoices are refused. A rectifying draft keeps its original, client,
    series and mode (a replacement's cancelling lines are regenerated)."""
    require("invoices.draft")
    invoice = _load_draft(invoice_id)
    original = _load(invoice.rectifies_id) if invoice.rectifies_id else None
    if invoice.kind == "rectifying" and not data.invoice_type:
        data = replace(data, invoice_type=invoice.invoice_type)
    clean = _clean_draft(
        data, kind=invoice.kind, original=original, mode=invoice.rectification_mode
    )
    if invoice.kind == "standard":
        _check_order_lines(clean.lines, invoice_id)
    updated = (
        Invoice.update(
            version=Invoice.version + 1, updated_at=utcnow(), updated_by=login(), **clean.values
        )
        .where(
            (Invoice.id == invoice_id)
            & (Invoice.version == expected_version)
            & (Invoice.status == "draft")
        )
        .execute()
    )
    if not updated:
        raise _conflict(invoice_id, expected_version)
    write_lines(InvoiceLine, "invoice", invoice_id, clean.lines)
    _write_replaced(invoice_id, clean.replaced)
    audit.record(
        "update",
        "invoice",
        invoice_id,
        client_id=invoice.client_id,
        changes={"total": (invoice.total, clean.totals.total)}
        if invoice.total != clean.totals.total
        else {},
        summary=_("Draft invoice {id}").format(id=invoice_id),
    )
    return expected_version + 1


@transactional
def delete_draft(invoice_id: int) -> None:
    """Delete a draft. An issued invoice is never deleted (it is corrected by a rectifying one)."""
    require("invoices.draft")
    invoice = _load(invoice_id)
    if invoice.status != "draft":
        raise RuleViolation(
            _(
                "{code} is issued and cannot be deleted; correct it with a rectifying invoice"
            ).format(code=invoice.code)
        )
    Invoice.delete().where((Invoice.id == invoice_id) & (Invoice.status == "draft")).execute()
    audit.record(
        "delete",
        "invoice",
        invoice_id,
        client_id=invoice.client_id,
        changes={"total": (invoice.total, None)},
        summary=_("Draft invoice {id}").format(id=invoice_id),
    )


# --- issuing ---------------------------------------------------------------------


def _valid_tax_id(client: Client) -> str:
    if not client.tax_id:
        raise RuleViolation(
            _("Cannot issue: {name} has no tax ID; an invoice needs the recipient's tax ID").format(
                name=client.legal_name
            )
        )
    try:
        return check_tax_id(client.tax_id, client.tax_id_country or "ES").display
    except TaxIdError as exc:
        raise RuleViolation(
            _("Cannot issue: the tax ID of {name} is not valid ({reason})").format(
                name=client.legal_name, reason=exc
            )
        ) from None


FIRST_YEAR, LAST_YEAR = 2000, 2099  # an issue date outside these is a typing error


def issue_date_problem(date: dt.date, today: dt.date | None = None) -> str | None:
    """Why `date` cannot be an issue date (None when it can): an invoice is issued on a
    real day, not after today and within the years this software numbers invoices."""
    today = today or dt.date.today()
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        return _("the issue date {date} is not in the years {first} to {last}").format(
            date=date_text(date), first=FIRST_YEAR, last=LAST_YEAR
        )
    if date > today:
        return _("the issue date {date} is after today ({today})").format(
            date=date_text(date), today=date_text(today)
        )
    return None


def last_issue_date(series: str, year: int) -> dt.date | None:
    """The issue date of the last invoice of `series` in `year` (None before the first)."""
    counter = SeriesCounter.get_or_none(
        (SeriesCounter.series == series) & (SeriesCounter.year == year)
    )
    return counter.last_issue_date if counter is not None else None


def check_issue_date(invoice: Invoice, client: Client, date: dt.date) -> dt.date:
    """Refuse an issue date the invoice cannot have, with the reason in the user's words and
    date format; returns the due date it would get. The one check of the dates that both
    the issue and its preview run, so a preview never promises what the issue refuses: a
    real day, not after today, within the years numbered; not earlier than the last issue
    date of the series (correlative numbers, dates never going backwards, RD 1619/2012
    art. 6.1.a); a due date not before it; what VERI*FACTU accepts."""
    if verifactu.enabled() and not invoice.imported:
        verifactu.check_issue_dates(date, invoice.operation_date)
    problem = issue_date_problem(date)
    if problem:
        raise RuleViolation(_("Cannot issue: {reason}").format(reason=problem))
    due = invoice.due_date or date + dt.timedelta(days=client.payment_days)
    if due < date:
        raise RuleViolation(
            _("Cannot issue: the due date {due} is before the issue date {date}").format(
                due=date_text(due), date=date_text(date)
            )
        )
    series, year = invoice.series, date.year
    last_date = last_issue_date(series, year)
    if last_date is not None and date < last_date:
        last = (
            Invoice.select(Invoice.code)
            .where((Invoice.series == series) & (Invoice.year == year))
            .order_by(Invoice.number.desc())
            .first()
        )
        raise RuleViolation(
            _(
                "Cannot issue on {date}: it is earlier than {last}, the issue date of {code}, the "
                "last invoice of series {series}; issue dates never go backwards"
            ).format(
                date=date_text(date),
                last=date_text(last_date),
                code=last.code if last else f"{series}{year}",
                series=series,
            )
        )
    return due


@transactional
def issue_invoice(invoice_id: int, issue_date: dt.date | None = None) -> IssuedInvoice:
    """Number, freeze and issue a draft, all in one IMMEDIATE transaction (see module doc).

    `issue_date` defaults to the draft's planned date, else today. Refused: an
    issued invoice, missing business data, a client without a valid tax ID, no
    lines, an issue date after today, outside the years 2000-2099 or earlier than
    the series' last one, a due date before it.
    """
    require("invoices.issue")
    invoice = _load_draft(invoice_id)
    date = issue_date or invoice.issue_date or dt.date.today()
    missing = settings.missing_for_invoicing()
    if missing:
        raise RuleViolation(
            _(
                "Cannot issue: the business data is incomplete: {fields} (set it in Settings or "
                "with `tui-crm config set`)"
            ).format(fields=", ".join(settings.label(key) for key in missing))
        )
    client = _client(invoice.client_id)
    simplified = verifactu.is_simplified(invoice.invoice_type)
    # A simplified invoice (F2, and R5 rectifying one) needs no recipient's tax ID and
    # identifies none (RD 1619/2012 art. 7); every other invoice needs a valid one.
    client_tax_id = "" if simplified else _valid_tax_id(client)
    lines = read_lines(InvoiceLine, InvoiceLine.invoice, invoice_id)
    if not lines:
        raise RuleViolation(_("Cannot issue an invoice without lines"))
    if any(line.vat_rate == 0 for line in lines) and not invoice.exemption_reason:
        raise RuleViolation(
            _(
                "Cannot issue: lines without IVA need the legal reason of the exemption "
                '(e.g. "Exenta de IVA, art. 20.Uno Ley 37/1992")'
            )
        )
    recording = verifactu.enabled() and not invoice.imported
    due = check_issue_date(invoice, client, date)
    series, year = invoice.series, date.year
    SeriesCounter.insert(series=series, year=year, last_number=0).on_conflict_ignore().execute()
    counter = SeriesCounter.get((SeriesCounter.series == series) & (SeriesCounter.year == year))
    number = counter.last_number + 1
    moved = (
        SeriesCounter.update(last_number=number, last_issue_date=date)
        .where(
            (SeriesCounter.series == series)
            & (SeriesCounter.year == year)
            & (SeriesCounter.last_number == counter.last_number)
        )
        .execute()
    )
    if moved != 1:  # cannot happen inside BEGIN IMMEDIATE; refuse rather than risk a gap
        raise RuleViolation(_("the invoice counter moved meanwhile; try again"))
    code = invoice_code(series, year, number)
    totals = totals_of([line.as_input() for line in lines], invoice.irpf_rate)
    verifactu.check_simplified(invoice, totals.base + totals.vat + totals.recargo)
    issuer_name, issuer_tax_id, issuer_address = issuer_snapshot()
    address = (
        address_for(client.id, invoice.address_id)
        if invoice.address_id
        else address_for(client.id, None)
    )
    if invoice.kind == "rectifying":
        original = _load(invoice.rectifies_id)
        if original.status == "draft":
            raise RuleViolation(_("the rectified invoice is not issued"))
        if original.status == "voided":
            raise RuleViolation(
                _("{code} was voided; a voided invoice is not rectified").format(code=original.code)
            )
    now = utcnow()
    updated = (
        Invoice.update(
            status="paid" if totals.total == 0 else "issued",
            year=year,
            number=number,
            code=code,
            issue_date=date,
            due_date=due,
            paid=ZERO,
            outstanding=totals.total,
            paid_date=date if totals.total == 0 else None,
            client_name=client.legal_name,
            client_tax_id=client_tax_id,
            client_address="" if simplified else format_address(address),
            issuer_name=issuer_name,
            issuer_tax_id=issuer_tax_id,
            issuer_address=issuer_address,
            address=address.id if address else None,
            issued_by=login(),
            issued_at=now,
            version=Invoice.version + 1,
            updated_at=now,
            updated_by=login(),
            **totals_columns(totals, invoice.irpf_rate, invoice.exemption_reason),
        )
        .where((Invoice.id == invoice_id) & (Invoice.status == "draft"))
        .execute()
    )
    if updated != 1:
        raise RuleViolation(_("the invoice was issued or deleted meanwhile"))
    from . import evidence

    evidence.seal_invoice(invoice_id)  # a fingerprint of what was issued, for `check`
    execute(
        "UPDATE client SET revenue_total_cents = revenue_total_cents + ?, "
        "outstanding_cents = outstanding_cents + ? WHERE id = ?",
        (to_cents(totals.base), to_cents(totals.total), client.id),
    )
    if any(line.order_line_id for line in lines):
        from .order_ledger import record_invoiced

        record_invoiced(invoice_id)
    if invoice.kind == "rectifying":
        _compensate(invoice_id, original, totals.total, invoice.rectification_mode, date, code)
    if client.kind == "lead" and settings.get("clients.lead_to_client_on_invoice") == "yes":
        from .clients import convert_to_client

        convert_to_client(client.id)
    if recording:
        # The registro de alta, chained, in this same transaction: no invoice without it.
        verifactu.record_issue(invoice_id)
    audit.record(
        "issue",
        "invoice",
        invoice_id,
        client_id=client.id,
        changes={
            "status": ("draft", "issued"),
            "code": (None, code),
            "issue_date": (invoice.issue_date, date),
            "total": (invoice.total, totals.total),
        },
        summary=code,
    )
    return IssuedInvoice(invoice_id, code, series, year, number, date, due, totals.total)


# --- rectifying invoices --------------------------------------------------------


@transactional
def create_rectifying_draft(
    original_id: int,
    mode: str,
    reason: str,
    lines: list[LineInput] | None = None,
    *,
    issue_date: dt.date | None = None,
    cause: str = "R1",
) -> int:
    """A draft rectifying invoice for an issued one, in the rectifying series.

    `cause` is the legal cause AEAT classifies it by (VERI*FACTU's TipoFactura): R1 error
    in law and art. 80.1, 80.2, 80.6 LIVA (the usual one: wrong data, returns, discounts),
    R2 insolvency proceedings (art. 80.3), R3 bad debt (art. 80.4), R4 any other; a
    simplified invoice (F2) is always rectified by an R5.

    mode "difference": `lines` are the corrections (negative quantities take away);
    by default every line of the original negated (a full cancellation).
    mode "replacement": the original's lines are cancelled in full (locked lines,
    regenerated by the service) and `lines` restate the invoice as it should have
    been; by default a copy of the original's lines to edit.
    Refused: a draft or a rectifying invoice as the original, an unknown mode, no
    reason, or a replacement of an invoice that was already rectified.
    """
    require("invoices.rectify")
    original = _load(original_id)
    if original.status == "draft":
        raise RuleViolation(_("a draft is edited, not rectified"))
    if original.kind == "rectifying":
        raise RuleViolation(
            _("{code} is itself a rectifying invoice; rectify the original invoice again").format(
                code=original.code
            )
        )
    if original.status == "voided":
        raise RuleViolation(
            _("{code} was voided; a voided invoice is not rectified").format(code=original.code)
        )
    if mode not in RECTIFICATION_MODES:
        raise ValidationError(
            {"mode": _("must be one of {values}").format(values=", ".join(RECTIFICATION_MODES))}
        )
    if mode == "replacement":
        previous = (
            Invoice.select(Invoice.code, Invoice.id).where(Invoice.rectifies == original_id).first()
        )
        if previous is not None:
            raise RuleViolation(
                _(
                    "{code} already has a rectifying invoice ({other}); correct it by difference"
                ).format(
                    code=original.code,
                    other=previous.code or _("Draft {id}").format(id=previous.id),
                )
            )
    original_lines = read_lines(InvoiceLine, InvoiceLine.invoice, original_id)
    if lines is None:
        if mode == "difference":
            lines = [negated(line.as_input()) for line in original_lines]
        else:
            lines = [replace(line.as_input(), order_line_id=None) for line in original_lines]
    data = InvoiceDraftInput(
        client_id=original.client_id,
        lines=list(lines),
        issue_date=issue_date,
        irpf_rate=original.irpf_rate,
        recargo=has_recargo(original_lines),
        exemption_reason=original.exemption_reason,
        payment_terms=original.payment_terms,
        address_id=original.address_id,
        project_id=original.project_id,
        rectification_reason=reason,
        invoice_type=cause,
        exemption_code=original.exemption_code or None,
    )
    clean = _clean_draft(data, kind="rectifying", original=original, mode=mode)
    invoice = Invoice.create(
        kind="rectifying",
        status="draft",
        rectifies=original_id,
        rectification_mode=mode,
        created_by=login(),
        updated_by=login(),
        **clean.values,
    )
    write_lines(InvoiceLine, "invoice", invoice.id, clean.lines)
    audit.record(
        "create",
        "invoice",
        invoice.id,
        client_id=original.client_id,
        changes={
            "kind": (None, "rectifying"),
            "rectifies": (None, original.code),
            "mode": (None, mode),
            "type": (None, clean.values["invoice_type"]),
            "reason": (None, clean.values["rectification_reason"]),
        },
        summary=_("Rectifying draft for {code}").format(code=original.code),
    )
    return invoice.id


def _compensate(
    rect_id: int, original: Invoice, rect_total: Decimal, mode: str, date: dt.date, code: str
) -> None:
    """Offset the rectifying invoice against what the original still owes.

    Difference: a negative correction takes away from the original's outstanding
    (never below zero; the rest stays on the rectifying invoice as money owed to
    the client). Replacement: the original is cancelled in full (its whole
    outstanding moves to the rectifying invoice, which is what is now owed)."""
    original = Invoice.get_by_id(original.id)
    owed = original.outstanding
    if mode == "replacement":
        amount = owed
    elif rect_total < 0:
        amount = min(-rect_total, max(owed, ZERO))
    else:
        amount = ZERO
    if amount == 0:
        return
    from .payments import record_compensation

    record_compensation(
        client_id=original.client_id,
        date=date,
        reference=code,
        allocations=[(original.id, amount), (rect_id, -amount)],
    )


# --- reads -----------------------------------------------------------------------


def get_invoice(invoice_id: int) -> InvoiceDetail:
    """Everything about one invoice; a draft shows the client's current data."""
    invoice = _load(invoice_id)
    locked = 0
    original = None
    if invoice.rectifies_id:
        original = Invoice.get_or_none(Invoice.id == invoice.rectifies_id)
        if invoice.rectification_mode == "replacement" and original is not None:
            locked = InvoiceLine.select().where(InvoiceLine.invoice == original.id).count()
    lines = read_lines(InvoiceLine, InvoiceLine.invoice, invoice_id, locked_count=locked)
    totals = totals_of([line.as_input() for line in lines], invoice.irpf_rate)
    if invoice.status == "draft":
        client = _client(invoice.client_id)
        address = (
            address_for(client.id, invoice.address_id)
            if invoice.address_id
            else (address_for(client.id, None))
        )
        client_name, client_tax_id, client_address = (
            client.legal_name,
            client.tax_id,
            format_address(address),
        )
        issuer_name, issuer_tax_id, issuer_address = issuer_snapshot()
    else:
        client_name, client_tax_id, client_address = (
            invoice.client_name,
            invoice.client_tax_id,
            invoice.client_address,
        )
        issuer_name, issuer_tax_id, issuer_address = (
            invoice.issuer_name,
            invoice.issuer_tax_id,
            invoice.issuer_address,
        )
        # Issued: the stored totals are the legal ones (they equal the recomputation).
        totals = Totals(
            base=invoice.base,
            vat=invoice.vat,
            recargo=invoice.recargo,
            irpf=invoice.irpf,
            total=invoice.total,
            cost=invoice.cost,
            breakdown=totals.breakdown,
        )
    payments = tuple(
        AllocationInfo(
            payment_id=int(r[0]),
            date=dt.date.fromisoformat(str(r[1])),
            amount=from_cents(int(r[2])),
            method=r[3],
            reference=r[4],
            reversed=r[5] is not None,
        )
        for r in execute(
            "SELECT p.id, p.date, a.amount_cents, p.method, p.reference, p.reversed_at "
            "FROM payment_allocation a JOIN payment p ON p.id = a.payment_id "
            "WHERE a.invoice_id = ? ORDER BY p.date, p.id",
            (invoice_id,),
        )
    )
    rectified_by = tuple(
        r.code or _("Draft {id}").format(id=r.id)
        for r in Invoice.select(Invoice.id, Invoice.code)
        .where(Invoice.rectifies == invoice_id)
        .order_by(Invoice.id)
    )
    return InvoiceDetail(
        id=invoice.id,
        version=invoice.version,
        kind=invoice.kind,
        status=invoice.status,
        series=invoice.series,
        year=invoice.year,
        number=invoice.number,
        code=invoice.code,
        client_id=invoice.client_id,
        client_name=client_name,
        client_tax_id=client_tax_id,
        client_address=client_address,
        issuer_name=issuer_name,
        issuer_tax_id=issuer_tax_id,
        issuer_address=issuer_address,
        issue_date=invoice.issue_date,
        operation_date=invoice.operation_date,
        due_date=invoice.due_date,
        irpf_rate=invoice.irpf_rate,
        recargo=has_recargo(lines),
        exemption_reason=invoice.exemption_reason,
        payment_terms=invoice.payment_terms,
        notes=invoice.notes,
        lines=lines,
        totals=totals,
        paid=invoice.paid,
        outstanding=invoice.outstanding,
        paid_date=invoice.paid_date,
        rectifies_id=invoice.rectifies_id,
        rectifies_code=original.code if original else None,
        rectifies_issue_date=original.issue_date if original else None,
        rectification_reason=invoice.rectification_reason,
        rectification_mode=invoice.rectification_mode,
        rectified_by=rectified_by,
        quote_id=invoice.quote_id,
        order_id=invoice.order_id,
        project_id=invoice.project_id,
        address_id=invoice.address_id,
        recurring_id=invoice.recurring_id,
        created_by=invoice.created_by,
        issued_by=invoice.issued_by,
        issued_at=invoice.issued_at,
        updated_at=invoice.updated_at,
        updated_by=invoice.updated_by,
        payments=payments,
        invoice_type=invoice.invoice_type or ("R1" if invoice.kind == "rectifying" else "F1"),
        exemption_code=invoice.exemption_code,
        replaces=tuple(
            r.code
            for r in Invoice.select(Invoice.code)
            .join(InvoiceReplaced, on=(InvoiceReplaced.replaced == Invoice.id))
            .where(InvoiceReplaced.invoice == invoice_id)
            .order_by(Invoice.code)
        ),
        imported=bool(invoice.imported),
        voided_at=invoice.voided_at,
        voided_by=invoice.voided_by,
        void_reason=invoice.void_reason,
        debit_returned_on=invoice.debit_returned_on,
    )


@dataclass(frozen=True)
class IssuePreview:
    """What issuing a draft now would give (the confirmation dialog shows it)."""

    invoice_id: int
    code: str
    series: str
    issue_date: dt.date
    due_date: dt.date
    total: Decimal
    client_name: str
    unprintable: str = ""  # characters no font on this machine prints (printing.py)


def preview_issue(invoice_id: int, issue_date: dt.date | None = None) -> IssuePreview:
    """The number, dates and total a draft would be issued with; nothing is written.

    The number is the next of the series and year as of now: a colleague issuing
    first takes it, and `issue_invoice` then assigns the following one (it never
    trusts this preview). Refused for an invoice that is already issued, and refused as
    the issue would refuse it for its date (`check_issue_date`): a preview never promises
    a number and date the issue then refuses."""
    invoice = _load_draft(invoice_id)
    client = _client(invoice.client_id)
    date = issue_date or invoice.issue_date or dt.date.today()
    due = check_issue_date(invoice, client, date)
    counter = SeriesCounter.get_or_none(
        (SeriesCounter.series == invoice.series) & (SeriesCounter.year == date.year)
    )
    number = (counter.last_number if counter else 0) + 1
    return IssuePreview(
        invoice_id=invoice_id,
        code=invoice_code(invoice.series, date.year, number),
        series=invoice.series,
        issue_date=date,
        due_date=due,
        total=invoice.total,
        client_name=client.legal_name,
        unprintable=unprintable_in_invoice(invoice_id),
    )


# --- what the PDF of an invoice says (printed by `printing`, checked at the issue) ---


def unprintable_in_invoice(invoice_id: int) -> str:
    """The characters of an invoice no font on this machine prints ("" when none): the
    issue says so, as the print does."""
    return coverage_of(invoice_document(invoice_id)).describe()


def issuer_party() -> PdfParty:
    """The business as a draft's PDF names it (an issued invoice's is frozen on it)."""
    name, tax_id, address = issuer_snapshot()
    values = settings.get_all()
    extra = tuple(
        v for v in (values.get("company.email", ""), values.get("company.phone", "")) if v
    )
    return PdfParty(name=name, tax_id=tax_id, address=address, extra=extra)


def invoice_document(invoice_id: int) -> PdfDocument:
    """What the PDF of an invoice says (plain data, frozen for an issued invoice)."""
    inv = get_invoice(invoice_id)
    if inv.is_draft:
        issuer = issuer_party()
    else:
        values = settings.get_all()
        extra = tuple(
            v for v in (values.get("company.email", ""), values.get("company.phone", "")) if v
        )
        issuer = PdfParty(inv.issuer_name, inv.issuer_tax_id, inv.issuer_address, extra)
    kind = "draft" if inv.is_draft else ("rectifying" if inv.kind == "rectifying" else "invoice")
    qr = None
    if not inv.is_draft and not inv.is_voided and not inv.imported:
        qr = verifactu.qr_for_invoice(invoice_id)
    return PdfDocument(
        kind=kind,
        number=inv.display_code,
        series=inv.series,
        issuer=issuer,
        recipient=PdfParty(inv.client_name, inv.client_tax_id, inv.client_address),
        lines=lines_from(inv.lines),
        taxes=taxes_from(inv.totals.breakdown),
        base=inv.totals.base,
        vat=inv.totals.vat,
        recargo=inv.totals.recargo,
        irpf_rate=inv.irpf_rate,
        irpf=inv.totals.irpf,
        total=inv.totals.total,
        date=inv.issue_date,
        operation_date=inv.operation_date,
        due_date=inv.due_date,
        exemption_reason=inv.exemption_reason,
        payment_terms=inv.payment_terms,
        notes=inv.notes,
        iban=settings.get("company.iban") if inv.totals.total > 0 else "",
        rectifies=inv.rectifies_code or "",
        rectifies_date=inv.rectifies_issue_date,
        rectification_reason=inv.rectification_reason,
        rectification_mode=inv.rectification_mode,
        created_at=inv.issued_at,
        qr_url=qr.url if qr else "",
        simplified=inv.is_simplified and not inv.is_draft,
        voided=inv.is_voided,
    )


def filter_choices() -> tuple[list[str], list[int]]:
    """The series and the years that have invoices (the invoice list's filter choices)."""
    series = [r[0] for r in execute("SELECT DISTINCT series FROM invoice ORDER BY series")]
    years = [
        int(r[0])
        for r in execute(
            "SELECT DISTINCT year FROM invoice WHERE year IS NOT NULL ORDER BY year DESC"
        )
    ]
    return series, years


def find_by_code(code: str) -> int:
    """The id of the invoice with this number ("F2026-00001"); NotFound otherwise."""
    row = Invoice.get_or_none(Invoice.code == code.strip().upper())
    if row is None:
        raise NotFound(_("invoice {code} does not exist").format(code=code))
    return row.id


# The invoice list, a page at a time (the F4 screen, `report invoices`).


@dataclass(frozen=True)
class InvoiceFilter:
    text: str = ""  # number or client name contains
    client_id: int | None = None
    status: str = ""  # "", draft, issued, partially_paid, paid, unpaid
    series: str = ""
    year: int | None = None
    kind: str = ""  # "", standard, rectifying
    issued_until: dt.date | None = None  # issued on or before (reports' --as-of)


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    code: str | None
    series: str
    year: int | None
    kind: str
    status: str
    client_id: int
    client_name: str
    tax_id: str
    issue_date: dt.date | None
    due_date: dt.date | None
    base: Decimal
    vat: Decimal
    recargo: Decimal
    irpf: Decimal
    total: Decimal
    paid: Decimal
    outstanding: Decimal


def invoice_where(flt: InvoiceFilter) -> tuple[str, list[object]]:
    clauses = ["1 = 1"]
    params: list[object] = []
    if flt.client_id is not None:
        clauses.append("i.client_id = ?")
        params.append(flt.client_id)
    if flt.status == "unpaid":
        clauses.append("i.outstanding_cents <> 0 AND i.status IN ('issued', 'partially_paid')")
    elif flt.status == "issued_any":
        clauses.append("i.status <> 'draft'")
    elif flt.status:
        clauses.append("i.status = ?")
        params.append(flt.status)
    if flt.series:
        clauses.append("i.series = ?")
        params.append(flt.series.upper())
    if flt.year is not None:
        clauses.append("i.year = ?")
        params.append(flt.year)
    if flt.kind:
        clauses.append("i.kind = ?")
        params.append(flt.kind)
    if flt.issued_until is not None:
        clauses.append("i.issue_date <= ?")
        params.append(flt.issued_until.isoformat())
    text = flt.text.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(i.code LIKE ? ESCAPE '\\' OR i.client_name LIKE ? ESCAPE '\\' "
            "OR (i.status = 'draft' AND c.legal_name LIKE ? ESCAPE '\\'))"
        )
        params.extend([like, like, like])
    return " AND ".join(clauses), params


def count_invoices(flt: InvoiceFilter) -> int:
    """How many invoices the filter matches (the invoice list's count).

    Every invoice (the list as F4 opens it) is counted on SQLite over `invoice_client_id`,
    the smallest index holding a row per invoice: the planner picks
    `invoice_status_due_date`, twice its size (some 40 against 27 ms at a million)."""
    where, params = invoice_where(flt)
    join = " JOIN client c ON c.id = i.client_id" if flt.text.strip() else ""
    table = "invoice i"
    if not params and where == "1 = 1" and is_sqlite():
        table = "invoice i INDEXED BY invoice_client_id"
    return int(execute(f"SELECT COUNT(*) FROM {table}{join} WHERE {where}", params).fetchone()[0])


def list_invoices(
    flt: InvoiceFilter, offset: int = 0, limit: int | None = 100, *, oldest_first: bool = False
) -> list[InvoiceRow]:
    """One page of invoices: drafts first, then newest issued first (or oldest first).

    Newest first is read as two index walks, the drafts then the issued invoices by
    `invoice_issue_date` backwards: one ORDER BY putting drafts first would sort every
    invoice (a million at the scale case) for each page."""
    where, params = invoice_where(flt)
    columns = (
        "SELECT i.id, i.code, i.series, i.year, i.kind, i.status, i.client_id, "
        "CASE WHEN i.status = 'draft' THEN c.legal_name ELSE i.client_name END, "
        "CASE WHEN i.status = 'draft' THEN c.tax_id ELSE i.client_tax_id END, "
        "i.issue_date, i.due_date, i.base_cents, i.vat_cents, i.recargo_cents, i.irpf_cents, "
        "i.total_cents, i.paid_cents, i.outstanding_cents "
        "FROM invoice i JOIN client c ON c.id = i.client_id WHERE "
    )
    if oldest_first:
        page = ""
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            params = [*params, limit, offset]
        sql = f"{columns}{where} ORDER BY i.issue_date, i.series, i.number, i.id{page}"
        return _invoice_rows(execute(sql, params).fetchall())
    newest = " ORDER BY i.issue_date DESC, i.id DESC"
    drafts_sql = f"{columns}{where} AND i.status = 'draft'{newest}"
    issued_sql = f"{columns}{where} AND i.status <> 'draft'{newest}"
    if limit is None:
        rows = [*execute(drafts_sql, params).fetchall(), *execute(issued_sql, params).fetchall()]
        return _invoice_rows(rows[offset:])
    drafts = execute(drafts_sql + " LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    if len(drafts) == limit:
        return _invoice_rows(drafts)
    skip = 0 if drafts else offset - _count_drafts(where, params, flt)
    rest = execute(
        issued_sql + " LIMIT ? OFFSET ?", [*params, limit - len(drafts), max(0, skip)]
    ).fetchall()
    return _invoice_rows([*drafts, *rest])


def _count_drafts(where: str, params: list[object], flt: InvoiceFilter) -> int:
    join = " JOIN client c ON c.id = i.client_id" if flt.text.strip() else ""
    sql = f"SELECT COUNT(*) FROM invoice i{join} WHERE {where} AND i.status = 'draft'"
    return int(execute(sql, params).fetchone()[0])


def _invoice_rows(rows: list[tuple]) -> list[InvoiceRow]:
    def day(value: object) -> dt.date | None:
        return dt.date.fromisoformat(str(value)) if value else None

    return [
        InvoiceRow(
            id=r[0],
            code=r[1],
            series=r[2],
            year=r[3],
            kind=r[4],
            status=r[5],
            client_id=r[6],
            client_name=r[7] or "",
            tax_id=r[8] or "",
            issue_date=day(r[9]),
            due_date=day(r[10]),
            base=from_cents(int(r[11])),
            vat=from_cents(int(r[12])),
            recargo=from_cents(int(r[13])),
            irpf=from_cents(int(r[14])),
            total=from_cents(int(r[15])),
            paid=from_cents(int(r[16])),
            outstanding=from_cents(int(r[17])),
        )
        for r in rows
    ]
