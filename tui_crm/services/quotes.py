"""Quotes (presupuestos): their fields, their life cycle, and the order they become.

Rules enforced here:
- the code is generated ("P2026-0001": P, the year of the quote's date, a
  four-digit counter per year) and unique; the title and at least one line are
  required;
- validity is given in days or as a date (the other is derived); a quote still
  draft or sent after its validity is expired by `expire_quotes(as_of)`, which
  every list calls when it loads and which the command line runs;
- shipping is "included", "not_included" or "amount" (a charge that enters the
  totals as a taxable line at the highest IVA rate of the quote);
- statuses: draft -> sent -> accepted (becomes an order) or rejected (with a
  reason) or expired; only draft and sent quotes are edited; internal notes never
  reach the client (the PDF leaves them out);
- totals always come from `money.document_totals`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import N_, _
from ..models import Client, Quote, QuoteLine
from ..models.base import utcnow
from ..money import ZERO, Totals, from_cents, round_cents
from ..text import clean_input
from . import audit
from .errors import ConflictError, ConflictInfo, NotFound, RuleViolation, ValidationError
from .invoices import address_for, format_address
from .lines import (
    DocumentLine,
    LineInput,
    clean_lines,
    document_taxes,
    has_recargo,
    read_lines,
    totals_columns,
    totals_of,
    write_lines,
)
from .orders import next_code
from .permissions import can, require
from .session import login

QUOTE_PREFIX = "P"
SHIPPING_MODES = ("included", "not_included", "amount")
EDITABLE_STATUSES = ("draft", "sent")
SHIPPING_LINE = N_("Shipping")
DEFAULT_VALID_DAYS = 30


@dataclass
class QuoteInput:
    """What the quote editor sends. None for IRPF/recargo/exemption = the client's default."""

    client_id: int
    title: str = ""
    lines: list[LineInput] = field(default_factory=list)
    date: dt.date | None = None  # default today
    valid_days: int | None = None
    valid_until: dt.date | None = None  # default date + 30 days
    delivery_time: str = ""
    shipping_mode: str = "included"
    shipping: Decimal = Decimal(0)
    payment_terms: str = ""
    milestones: str = ""
    warranty: str = ""
    conditions: str = ""
    internal_notes: str = ""
    irpf_rate: Decimal | None = None
    recargo: bool | None = None
    exemption_reason: str | None = None
    project_id: int | None = None
    opportunity_id: int | None = None
    address_id: int | None = None


@dataclass(frozen=True)
class QuoteDetail:
    id: int
    version: int
    code: str
    status: str
    client_id: int
    client_name: str
    client_tax_id: str
    client_address: str
    data: QuoteInput
    lines: tuple[DocumentLine, ...]
    totals: Totals
    rejected_reason: str
    order_ids: tuple[int, ...]
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def valid_until(self) -> dt.date | None:
        return self.data.valid_until

    def is_expired(self, as_of: dt.date | None = None) -> bool:
        until = self.data.valid_until
        return until is not None and until < (as_of or dt.date.today())


@dataclass(frozen=True)
class QuoteRow:
    id: int
    code: str
    title: str
    date: dt.date
    valid_until: dt.date | None
    status: str
    client_id: int
    client_name: str
    base: Decimal
    total: Decimal


def _shipping_line(lines: list[LineInput], amount: Decimal, recargo: bool) -> LineInput:
    from ..money import RECARGO_FOR_VAT

    vat = max((Decimal(line.vat_rate) for line in lines), default=Decimal(21))
    return LineInput(
        description=_(SHIPPING_LINE),
        quantity=Decimal(1),
        unit_price=amount,
        vat_rate=vat,
        recargo_rate=RECARGO_FOR_VAT[vat] if recargo else Decimal(0),
    )


def with_shipping(
    lines: list[LineInput], mode: str, shipping: Decimal, recargo: bool, exempt: bool
) -> list[LineInput]:
    """The lines that make the totals: the quote's lines plus shipping when it is charged
    (taxed at the highest IVA rate of the lines; no IVA on an exempt quote)."""
    if mode != "amount" or not shipping:
        return list(lines)
    basis = [LineInput(vat_rate=ZERO)] if exempt else lines
    return [*lines, _shipping_line(basis, shipping, recargo and not exempt)]


def _clean(data: QuoteInput) -> tuple[dict[str, object], list[LineInput], Totals]:
    errors: dict[str, str] = {}
    client = Client.get_or_none(Client.id == data.client_id)
    if client is None or client.status == "merged":
        raise NotFound(_("client {id} does not exist").format(id=data.client_id))
    from .projects import check_project

    check_project(data.project_id, client.id, errors)
    title = clean_input(data.title or "")
    if not title:
        errors["title"] = _("is required")
    elif len(title) > 200:
        errors["title"] = _("is longer than {n} characters").format(n=200)
    date = data.date or dt.date.today()
    valid_days, valid_until = data.valid_days, data.valid_until
    if valid_until is not None:
        if valid_until < date:
            errors["valid_until"] = _("is before the quote's date")
        valid_days = (valid_until - date).days
    elif valid_days is not None:
        try:
            valid_days = int(valid_days)
            if not 0 <= valid_days <= 3650:
                raise ValueError
            valid_until = date + dt.timedelta(days=valid_days)
        except (TypeError, ValueError):
            errors["valid_days"] = _("must be between {low} and {high}").format(low=0, high=3650)
    else:
        valid_days = DEFAULT_VALID_DAYS
        valid_until = date + dt.timedelta(days=valid_days)
    if data.shipping_mode not in SHIPPING_MODES:
        errors["shipping_mode"] = _("must be one of {values}").format(
            values=", ".join(SHIPPING_MODES)
        )
    shipping = Decimal(0)
    try:
        shipping = Decimal(data.shipping or 0)
        if shipping < 0 or shipping != round_cents(shipping):
            raise ValueError
    except (ArithmeticError, ValueError, TypeError):
        errors["shipping"] = _("must be an amount of at least 0 with up to two decimals")
    if data.shipping_mode == "amount" and not shipping:
        errors["shipping"] = _("is required when shipping is charged")
    if data.shipping_mode != "amount":
        shipping = Decimal(0)
    texts = {}
    for name, limit in (
        ("delivery_time", 100),
        ("payment_terms", 5000),
        ("milestones", 5000),
        ("warranty", 5000),
        ("conditions", 20000),
        ("internal_notes", 20000),
    ):
        value = clean_input(getattr(data, name) or "")
        if len(value) > limit:
            errors[name] = _("is longer than {n} characters").format(n=limit)
        texts[name] = value
    tax = document_taxes(client, data.irpf_rate, data.recargo, data.exemption_reason, errors)
    irpf, recargo, exemption = tax.irpf_rate, tax.recargo, tax.exemption_reason
    address = None
    try:
        address = address_for(client.id, data.address_id)
    except ValidationError as exc:
        errors.update(exc.errors)
    lines: list[LineInput] = []
    try:
        lines = clean_lines(data.lines, tax)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    totals = totals_of(
        with_shipping(lines, data.shipping_mode, shipping, recargo, bool(exemption)), irpf
    )
    values: dict[str, object] = {
        "client": client.id,
        "title": title,
        "date": date,
        "valid_days": valid_days,
        "valid_until": valid_until,
        "shipping_mode": data.shipping_mode,
        "shipping": shipping,
        "project": data.project_id,
        "opportunity": data.opportunity_id,
        "address": address.id if address else None,
        **texts,
        **totals_columns(totals, irpf, exemption),
    }
    return values, lines, totals


def _load(quote_id: int) -> Quote:
    quote = Quote.get_or_none(Quote.id == quote_id)
    if quote is None:
        raise NotFound(_("quote {id} does not exist").format(id=quote_id))
    return quote


@transactional
def create_quote(data: QuoteInput) -> int:
    """Write a draft quote with its generated code; returns its id."""
    require("quotes.write")
    values, lines, totals = _clean(data)
    date = values["date"]
    assert isinstance(date, dt.date)
    quote = Quote.create(
        code=next_code("quote", QUOTE_PREFIX, date.year),
        status="draft",
        created_by=login(),
        updated_by=login(),
        **values,
    )
    write_lines(QuoteLine, "quote", quote.id, lines)
    audit.record(
        "create",
        "quote",
        quote.id,
        client_id=data.client_id,
        changes={"code": (None, quote.code), "total": (None, totals.total)},
        summary=f"{quote.code} {values['title']}",
    )
    return quote.id


@transactional
def update_quote(quote_id: int, data: QuoteInput, expected_version: int) -> int:
    """Save a draft or sent quote if nobody saved it since `expected_version`."""
    require("quotes.write")
    quote = _load(quote_id)
    if quote.status not in EDITABLE_STATUSES:
        raise RuleViolation(
            _("{code} is {status} and can no longer be edited").format(
                code=quote.code, status=_(quote.status)
            )
        )
    values, lines, totals = _clean(data)
    if values["client"] != quote.client_id:
        raise ValidationError({"client_id": _("a quote cannot move to another client")})
    updated = (
        Quote.update(version=Quote.version + 1, updated_at=utcnow(), updated_by=login(), **values)
        .where((Quote.id == quote_id) & (Quote.version == expected_version))
        .execute()
    )
    if not updated:
        current = Quote.get_by_id(quote_id)
        raise ConflictError(
            ConflictInfo("quote", quote_id, current.updated_by, current.updated_at, {}),
            _("{user} changed this quote meanwhile (version {theirs}); nothing was saved").format(
                user=current.updated_by or "?", theirs=current.version
            ),
        )
    write_lines(QuoteLine, "quote", quote_id, lines)
    audit.record(
        "update",
        "quote",
        quote_id,
        client_id=quote.client_id,
        changes={"total": (quote.total, totals.total)} if quote.total != totals.total else {},
        summary=quote.code,
    )
    return expected_version + 1


def _set_status(quote: Quote, status: str, **extra: object) -> None:
    Quote.update(
        status=status, version=Quote.version + 1, updated_at=utcnow(), updated_by=login(), **extra
    ).where(Quote.id == quote.id).execute()
    changes: dict[str, tuple[object, object]] = {"status": (quote.status, status)}
    for key, value in extra.items():
        changes[key] = (getattr(quote, key, None), value)
    audit.record(
        "update", "quote", quote.id, client_id=quote.client_id, changes=changes, summary=quote.code
    )


@transactional
def mark_sent(quote_id: int) -> None:
    """A draft quote was sent to the client."""
    require("quotes.write")
    quote = _load(quote_id)
    if quote.status == "sent":
        return
    if quote.status != "draft":
        raise RuleViolation(
            _("{code} is {status}; only a draft is sent").format(
                code=quote.code, status=quote.status
            )
        )
    _set_status(quote, "sent")


@transactional
def accept_quote(quote_id: int, as_of: dt.date | None = None) -> int:
    """The client accepted: the quote becomes an order (returned id).

    Refused for a quote already accepted, rejected, or past its validity."""
    require("quotes.write")
    quote = _load(quote_id)
    today = as_of or dt.date.today()
    if quote.status not in EDITABLE_STATUSES:
        raise RuleViolation(
            _("{code} is {status} and cannot be accepted").format(
                code=quote.code, status=quote.status
            )
        )
    if quote.valid_until is not None and quote.valid_until < today:
        raise RuleViolation(
            _("{code} expired on {date}; renew its validity before accepting it").format(
                code=quote.code, date=quote.valid_until.isoformat()
            )
        )
    from .orders import create_order

    lines = [line.as_input() for line in read_lines(QuoteLine, QuoteLine.quote, quote_id)]
    recargo = has_recargo(lines)
    lines = with_shipping(
        lines, quote.shipping_mode, quote.shipping, recargo, bool(quote.exemption_reason)
    )
    _set_status(quote, "accepted")
    return create_order(
        quote.client_id,
        lines,
        title=quote.title,
        date=today,
        irpf_rate=quote.irpf_rate,
        exemption_reason=quote.exemption_reason,
        quote_id=quote.id,
        project_id=quote.project_id,
    )


@transactional
def reject_quote(quote_id: int, reason: str) -> None:
    """The client said no; the reason is kept (it feeds "rejected quotes" analytics)."""
    require("quotes.write")
    reason = clean_input(reason or "")
    if not reason:
        raise ValidationError({"reason": _("is required")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("is longer than {n} characters").format(n=200)})
    quote = _load(quote_id)
    if quote.status not in (*EDITABLE_STATUSES, "expired"):
        raise RuleViolation(
            _("{code} is {status} and cannot be rejected").format(
                code=quote.code, status=quote.status
            )
        )
    _set_status(quote, "rejected", rejected_reason=reason)


@transactional
def delete_quote(quote_id: int) -> None:
    """Delete a draft quote (one sent to a client stays, as rejected or expired)."""
    require("quotes.write")
    quote = _load(quote_id)
    if quote.status != "draft":
        raise RuleViolation(
            _("{code} was sent to the client and is kept; reject it instead").format(
                code=quote.code
            )
        )
    Quote.delete().where(Quote.id == quote_id).execute()
    audit.record("delete", "quote", quote_id, client_id=quote.client_id, summary=quote.code)


def expire_quotes(as_of: dt.date | None = None) -> int:
    """Mark expired every draft or sent quote whose validity ended before `as_of` (default
    today); returns how many. Safe to call from any list as it loads: when nothing is due
    it only reads (no write lock is taken), and for someone who may not change quotes
    (read-only) it changes nothing: a reader never writes."""
    if not can("quotes.write"):
        return 0
    as_of = as_of or dt.date.today()
    due = Quote.select(Quote.id).where(
        Quote.status.in_(EDITABLE_STATUSES)
        & Quote.valid_until.is_null(False)
        & (Quote.valid_until < as_of)
    )
    if not due.exists():
        return 0
    return _expire(as_of)


@transactional
def _expire(as_of: dt.date) -> int:
    rows = list(
        Quote.select(Quote.id, Quote.code, Quote.client, Quote.status, Quote.valid_until).where(
            Quote.status.in_(EDITABLE_STATUSES)
            & Quote.valid_until.is_null(False)
            & (Quote.valid_until < as_of)
        )
    )
    if not rows:
        return 0
    Quote.update(status="expired", version=Quote.version + 1, updated_at=utcnow()).where(
        Quote.id.in_([r.id for r in rows]) & Quote.status.in_(EDITABLE_STATUSES)
    ).execute()
    for row in rows:
        audit.record(
            "update",
            "quote",
            row.id,
            client_id=row.client_id,
            changes={"status": (row.status, "expired")},
            summary=_("{code} expired on {date}").format(
                code=row.code, date=row.valid_until.isoformat()
            ),
        )
    return len(rows)


def get_quote(quote_id: int) -> QuoteDetail:
    quote = _load(quote_id)
    client = Client.get_by_id(quote.client_id)
    lines = read_lines(QuoteLine, QuoteLine.quote, quote_id)
    inputs = [line.as_input() for line in lines]
    recargo = has_recargo(lines)
    charged = with_shipping(
        inputs, quote.shipping_mode, quote.shipping, recargo, bool(quote.exemption_reason)
    )
    totals = totals_of(charged, quote.irpf_rate)
    address = None
    try:
        address = address_for(client.id, quote.address_id)
    except ValidationError:
        address = None
    order_ids = tuple(
        int(r[0]) for r in execute("SELECT id FROM sales_order WHERE quote_id = ?", (quote_id,))
    )
    data = QuoteInput(
        client_id=quote.client_id,
        title=quote.title,
        lines=inputs,
        date=quote.date,
        valid_days=quote.valid_days,
        valid_until=quote.valid_until,
        delivery_time=quote.delivery_time,
        shipping_mode=quote.shipping_mode,
        shipping=quote.shipping,
        payment_terms=quote.payment_terms,
        milestones=quote.milestones,
        warranty=quote.warranty,
        conditions=quote.conditions,
        internal_notes=quote.internal_notes,
        irpf_rate=quote.irpf_rate,
        recargo=recargo,
        exemption_reason=quote.exemption_reason,
        project_id=quote.project_id,
        opportunity_id=quote.opportunity_id,
        address_id=quote.address_id,
    )
    return QuoteDetail(
        id=quote.id,
        version=quote.version,
        code=quote.code,
        status=quote.status,
        client_id=quote.client_id,
        client_name=client.legal_name,
        client_tax_id=client.tax_id,
        client_address=format_address(address),
        data=data,
        lines=lines,
        totals=totals,
        rejected_reason=quote.rejected_reason,
        order_ids=order_ids,
        created_by=quote.created_by,
        updated_at=quote.updated_at,
        updated_by=quote.updated_by,
    )


def find_by_code(code: str) -> int:
    row = Quote.get_or_none(Quote.code == code.strip().upper())
    if row is None:
        raise NotFound(_("quote {code} does not exist").format(code=code))
    return row.id


@dataclass(frozen=True)
class QuoteFilter:
    client_id: int | None = None
    status: str = ""
    text: str = ""
    year: int | None = None


def _where(flt: QuoteFilter) -> tuple[str, list[object]]:
    clauses = ["1 = 1"]
    params: list[object] = []
    if flt.client_id is not None:
        clauses.append("q.client_id = ?")
        params.append(flt.client_id)
    if flt.status:
        clauses.append("q.status = ?")
        params.append(flt.status)
    if flt.year is not None:
        clauses.append("q.date >= ? AND q.date < ?")
        params.extend([f"{flt.year:04d}-01-01", f"{flt.year + 1:04d}-01-01"])
    if flt.text.strip():
        like = f"%{flt.text.strip()}%"
        clauses.append("(q.code LIKE ? OR q.title LIKE ? OR c.legal_name LIKE ?)")
        params.extend([like, like, like])
    return " AND ".join(clauses), params


def count_quotes(flt: QuoteFilter, as_of: dt.date | None = None) -> int:
    """How many quotes match (expires the overdue ones first, so statuses are current)."""
    expire_quotes(as_of)
    where, params = _where(flt)
    return int(
        execute(
            f"SELECT COUNT(*) FROM quote q JOIN client c ON c.id = q.client_id WHERE {where}",
            params,
        ).fetchone()[0]
    )


def list_quotes(flt: QuoteFilter, offset: int = 0, limit: int = 100) -> list[QuoteRow]:
    """One page of quotes, newest first (call `count_quotes` first: it expires old ones)."""
    where, params = _where(flt)
    sql = (
        "SELECT q.id, q.code, q.title, q.date, q.valid_until, q.status, q.client_id, "
        "c.legal_name, q.base_cents, q.total_cents FROM quote q JOIN client c "
        f"ON c.id = q.client_id WHERE {where} ORDER BY q.date DESC, q.id DESC LIMIT ? OFFSET ?"
    )
    return [
        QuoteRow(
            id=r[0],
            code=r[1],
            title=r[2],
            date=dt.date.fromisoformat(str(r[3])),
            valid_until=dt.date.fromisoformat(str(r[4])) if r[4] else None,
            status=r[5],
            client_id=r[6],
            client_name=r[7],
            base=from_cents(int(r[8])),
            total=from_cents(int(r[9])),
        )
        for r in execute(sql, [*params, limit, offset])
    ]


@transactional
def invoice_quote(quote_id: int, issue_date: dt.date | None = None) -> int:
    """A draft invoice straight from a quote (without an order): accepted or sent quotes."""
    require("invoices.draft")
    from .invoices import InvoiceDraftInput, create_draft

    detail = get_quote(quote_id)
    if detail.status not in ("accepted", "sent", "draft"):
        raise RuleViolation(
            _("{code} is {status} and cannot be invoiced").format(
                code=detail.code, status=detail.status
            )
        )
    lines = with_shipping(
        list(detail.data.lines),
        detail.data.shipping_mode,
        detail.data.shipping,
        bool(detail.data.recargo),
        bool(detail.data.exemption_reason),
    )
    return create_draft(
        InvoiceDraftInput(
            client_id=detail.client_id,
            lines=lines,
            issue_date=issue_date,
            irpf_rate=detail.data.irpf_rate,
            recargo=detail.data.recargo,
            exemption_reason=detail.data.exemption_reason,
            payment_terms=detail.data.payment_terms,
            project_id=detail.data.project_id,
            address_id=detail.data.address_id,
            notes=_("Quote {code}").format(code=detail.code),
        ),
        quote_id=quote_id,
    )
