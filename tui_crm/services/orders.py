"""Sales orders: what an accepted quote becomes, invoiced at once or in parts.

Rules enforced here:
- an order is made from an accepted quote (`quotes.accept_quote`), with the
  quote's lines (and its shipping charge as a line);
- it is invoiced at once or in parts: chosen lines and quantities become a draft
  invoice whose lines point at the order lines (the quantities invoiced are kept by
  `order_ledger`, which the invoices call as they are drafted, issued and voided);
  its open value (the base still to invoice) is always visible;
- an order with nothing invoiced can be cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import _
from ..models import Client, OrderLine, SalesOrder
from ..models.base import utcnow
from ..money import ZERO, from_cents, line_base, quantity_to_milli
from . import audit
from .errors import NotFound, RuleViolation, ValidationError
from .lines import DocumentLine, LineInput, read_lines, totals_columns, totals_of, write_lines
from .order_ledger import NO_QUANTITY, drafted_quantities
from .permissions import require
from .session import login

ORDER_PREFIX = "PED"


def next_code(table: str, prefix: str, year: int, width: int = 4) -> str:
    """The next free code "PREFIX2026-0001" of a table with a UNIQUE `code` (quotes, orders).

    Runs inside the caller's IMMEDIATE transaction, so two writers never take the same one.
    """
    stem = f"{prefix}{year}-"
    row = execute(
        f'SELECT code FROM "{table}" WHERE code LIKE ? ORDER BY LENGTH(code) DESC, code DESC '
        "LIMIT 1",
        (stem + "%",),
    ).fetchone()
    number = 1
    if row is not None:
        try:
            number = int(str(row[0])[len(stem) :]) + 1
        except ValueError:
            number = 1
    return f"{stem}{number:0{width}d}"


@dataclass(frozen=True)
class OrderLineInfo:
    line: DocumentLine
    quantity_invoiced: Decimal  # on issued invoices
    quantity_in_drafts: Decimal  # on draft invoices not issued yet
    open_quantity: Decimal  # still to put on an invoice
    open_value: Decimal  # base of the open quantity


@dataclass(frozen=True)
class OrderDetail:
    id: int
    version: int
    code: str
    title: str
    date: dt.date
    status: str
    client_id: int
    client_name: str
    quote_id: int | None
    quote_code: str | None
    project_id: int | None
    base: Decimal
    vat: Decimal
    recargo: Decimal
    irpf_rate: Decimal
    irpf: Decimal
    total: Decimal
    invoiced: Decimal  # base on issued invoices
    open_value: Decimal  # base still to invoice
    exemption_reason: str
    lines: tuple[OrderLineInfo, ...]
    invoice_ids: tuple[int, ...]


@dataclass(frozen=True)
class OrderRow:
    id: int
    code: str
    title: str
    date: dt.date
    status: str
    client_id: int
    client_name: str
    base: Decimal
    invoiced: Decimal
    open_value: Decimal


def create_order(
    client_id: int,
    lines: Sequence[LineInput],
    *,
    title: str = "",
    date: dt.date | None = None,
    irpf_rate: Decimal = Decimal(0),
    exemption_reason: str = "",
    quote_id: int | None = None,
    project_id: int | None = None,
) -> int:
    """Write an order from cleaned lines (inside the caller's transaction: accept a quote)."""
    date = date or dt.date.today()
    totals = totals_of(lines, irpf_rate)
    order = SalesOrder.create(
        client=client_id,
        quote=quote_id,
        project=project_id,
        code=next_code("sales_order", ORDER_PREFIX, date.year),
        title=title,
        date=date,
        status="open",
        updated_by=login(),
        **totals_columns(totals, irpf_rate, exemption_reason),
    )
    write_lines(OrderLine, "order", order.id, lines)
    audit.record(
        "create",
        "order",
        order.id,
        client_id=client_id,
        changes={"code": (None, order.code), "total": (None, totals.total)},
        summary=order.code,
    )
    return order.id


def _load(order_id: int) -> SalesOrder:
    order = SalesOrder.get_or_none(SalesOrder.id == order_id)
    if order is None:
        raise NotFound(_("order {id} does not exist").format(id=order_id))
    return order


def get_order(order_id: int) -> OrderDetail:
    """An order with, per line, what is invoiced, in drafts, and still open."""
    order = _load(order_id)
    lines = read_lines(OrderLine, OrderLine.order, order_id)
    invoiced = {
        r.id: r.quantity_invoiced
        for r in OrderLine.select(OrderLine.id, OrderLine.quantity_invoiced).where(
            OrderLine.order == order_id
        )
    }
    drafted = drafted_quantities([line.id for line in lines], None)
    infos = []
    open_total = ZERO
    for line in lines:
        done = invoiced.get(line.id, NO_QUANTITY)
        in_drafts = drafted.get(line.id, NO_QUANTITY)
        left = line.quantity - done - in_drafts
        value = line_base(max(line.quantity - done, NO_QUANTITY), line.unit_price, line.discount)
        open_total += value
        infos.append(OrderLineInfo(line, done, in_drafts, left, value))
    client = Client.get_by_id(order.client_id)
    quote_code = None
    if order.quote_id:
        row = execute("SELECT code FROM quote WHERE id = ?", (order.quote_id,)).fetchone()
        quote_code = row[0] if row else None
    invoice_ids = tuple(
        int(r[0])
        for r in execute(
            "SELECT DISTINCT l.invoice_id FROM invoice_line l JOIN order_line o "
            "ON o.id = l.order_line_id WHERE o.order_id = ? ORDER BY l.invoice_id",
            (order_id,),
        )
    )
    return OrderDetail(
        id=order.id,
        version=order.version,
        code=order.code,
        title=order.title,
        date=order.date,
        status=order.status,
        client_id=order.client_id,
        client_name=client.legal_name,
        quote_id=order.quote_id,
        quote_code=quote_code,
        project_id=order.project_id,
        base=order.base,
        vat=order.vat,
        recargo=order.recargo,
        irpf_rate=order.irpf_rate,
        irpf=order.irpf,
        total=order.total,
        invoiced=order.invoiced,
        open_value=open_total if order.status != "cancelled" else ZERO,
        exemption_reason=order.exemption_reason,
        lines=tuple(infos),
        invoice_ids=invoice_ids,
    )


@transactional
def invoice_order(
    order_id: int,
    quantities: dict[int, Decimal] | None = None,
    *,
    issue_date: dt.date | None = None,
) -> int:
    """A draft invoice for (part of) an order; returns the draft's id.

    `quantities` maps order line id -> quantity to invoice now; None invoices
    everything still open. Asking more than is open is refused. The invoice keeps what
    the documents before it carried: the order's taxes, project and lines, and the
    accepted quote's payment terms and address."""
    require("invoices.draft")
    from .invoices import InvoiceDraftInput, create_draft

    detail = get_order(order_id)
    if detail.status == "cancelled":
        raise RuleViolation(_("order {code} is cancelled").format(code=detail.code))
    by_id = {info.line.id: info for info in detail.lines}
    if quantities is not None:
        unknown = [i for i in quantities if i not in by_id]
        if unknown:
            raise ValidationError(
                {"quantities": _("line {id} is not a line of this order").format(id=unknown[0])}
            )
    lines: list[LineInput] = []
    for info in detail.lines:
        quantity = info.open_quantity if quantities is None else quantities.get(info.line.id)
        if quantity is None or quantity == 0:
            continue
        try:
            quantity_to_milli(quantity)
        except Exception:
            raise ValidationError(
                {f"quantities[{info.line.id}]": _("has more than three decimals")}
            ) from None
        if quantity < 0:
            raise ValidationError({f"quantities[{info.line.id}]": _("must be positive")})
        line = info.line.as_input()
        line.quantity = Decimal(quantity)
        line.order_line_id = info.line.id
        lines.append(line)
    if not lines:
        raise RuleViolation(_("order {code} has nothing left to invoice").format(code=detail.code))
    # What the accepted quote promised the client travels on to its invoices: the payment
    # terms and the address it was sent to (an order keeps no copy of its own).
    terms, address_id = "", None
    if detail.quote_id is not None:
        row = execute(
            "SELECT payment_terms, address_id FROM quote WHERE id = ?", (detail.quote_id,)
        ).fetchone()
        if row is not None:
            terms, address_id = row[0] or "", row[1]
    return create_draft(
        InvoiceDraftInput(
            client_id=detail.client_id,
            lines=lines,
            issue_date=issue_date,
            irpf_rate=detail.irpf_rate,
            recargo=any(info.line.recargo_rate for info in detail.lines),
            exemption_reason=detail.exemption_reason,
            project_id=detail.project_id,
            payment_terms=terms,
            address_id=address_id,
            notes=_("Order {code}").format(code=detail.code)
            + (f" — {detail.title}" if detail.title else ""),
        ),
        quote_id=detail.quote_id,
        order_id=order_id,
    )


@transactional
def cancel_order(order_id: int, reason: str = "") -> None:
    """Cancel an order nothing of which was invoiced yet (draft invoices of it are refused)."""
    require("quotes.write")
    order = _load(order_id)
    if order.status == "cancelled":
        return
    invoiced = execute(
        "SELECT COUNT(*) FROM order_line WHERE order_id = ? AND quantity_invoiced_milli > 0",
        (order_id,),
    ).fetchone()[0]
    if invoiced:
        raise RuleViolation(
            _("order {code} is already (partly) invoiced and cannot be cancelled").format(
                code=order.code
            )
        )
    SalesOrder.update(
        status="cancelled", version=SalesOrder.version + 1, updated_at=utcnow(), updated_by=login()
    ).where(SalesOrder.id == order_id).execute()
    audit.record(
        "update",
        "order",
        order_id,
        client_id=order.client_id,
        changes={"status": (order.status, "cancelled")},
        summary=f"{order.code} {reason}".strip(),
    )


@dataclass(frozen=True)
class OrderFilter:
    client_id: int | None = None
    status: str = ""  # "", open, partially_invoiced, invoiced, cancelled, "pending" (open+partial)
    text: str = ""


def _where(flt: OrderFilter) -> tuple[str, list[object]]:
    clauses = ["1 = 1"]
    params: list[object] = []
    if flt.client_id is not None:
        clauses.append("o.client_id = ?")
        params.append(flt.client_id)
    if flt.status == "pending":
        clauses.append("o.status IN ('open', 'partially_invoiced')")
    elif flt.status:
        clauses.append("o.status = ?")
        params.append(flt.status)
    if flt.text.strip():
        like = f"%{flt.text.strip()}%"
        clauses.append("(o.code LIKE ? OR o.title LIKE ? OR c.legal_name LIKE ?)")
        params.extend([like, like, like])
    return " AND ".join(clauses), params


def count_orders(flt: OrderFilter) -> int:
    where, params = _where(flt)
    return int(
        execute(
            f"SELECT COUNT(*) FROM sales_order o JOIN client c ON c.id = o.client_id WHERE {where}",
            params,
        ).fetchone()[0]
    )


def list_orders(flt: OrderFilter, offset: int = 0, limit: int = 100) -> list[OrderRow]:
    """One page of orders, newest first, with the open value of each."""
    where, params = _where(flt)
    sql = (
        "SELECT o.id, o.code, o.title, o.date, o.status, o.client_id, c.legal_name, o.base_cents, "
        "o.invoiced_cents, CASE WHEN o.status = 'cancelled' THEN 0 ELSE "
        "(SELECT COALESCE(SUM((l.base_cents * (l.quantity_milli - l.quantity_invoiced_milli) "
        " + l.quantity_milli / 2) / l.quantity_milli), 0) "
        " FROM order_line l WHERE l.order_id = o.id) END "
        f"FROM sales_order o JOIN client c ON c.id = o.client_id WHERE {where} "
        "ORDER BY o.date DESC, o.id DESC LIMIT ? OFFSET ?"
    )
    return [
        OrderRow(
            id=r[0],
            code=r[1],
            title=r[2],
            date=dt.date.fromisoformat(str(r[3])),
            status=r[4],
            client_id=r[5],
            client_name=r[6],
            base=from_cents(int(r[7])),
            invoiced=from_cents(int(r[8])),
            open_value=from_cents(int(r[9])),
        )
        for r in execute(sql, [*params, limit, offset])
    ]
