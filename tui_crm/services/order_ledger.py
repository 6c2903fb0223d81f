"""The quantities of order lines that invoices take: what a draft may still ask, what an
issued invoice counts, what a void gives back; and the order's status that follows.

Rules enforced here:
- what is asked may not exceed what is still open (ordered - invoiced - already in other
  drafts): over-invoicing is refused, at draft time and again when the invoice is issued;
- `quantity_invoiced` counts issued invoices only, so deleting a draft gives its
  quantities back, and voiding an issued invoice gives them back too;
- the order's status follows: open, partially_invoiced, invoiced.

`invoices` calls these inside its own transactions; `orders` reads the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..db import execute
from ..i18n import _
from ..models import InvoiceLine, OrderLine, SalesOrder
from ..models.base import utcnow
from ..money import milli_to_quantity, to_cents
from . import audit
from .errors import NotFound, RuleViolation
from .lines import LineInput
from .session import login

NO_QUANTITY = Decimal(0)


def _over_invoicing(asked: Decimal, row: OrderLine, order: SalesOrder, left: Decimal):
    return RuleViolation(
        _(
            'Over-invoicing refused: {asked} of "{description}" (order {code}) asked, '
            "{left} left to invoice"
        ).format(asked=asked, description=row.description, code=order.code, left=left)
    )


def drafted_quantities(
    order_line_ids: Sequence[int], exclude_invoice_id: int | None
) -> dict[int, Decimal]:
    if not order_line_ids:
        return {}
    marks = ",".join("?" for _ in order_line_ids)
    params: list[object] = list(order_line_ids)
    extra = ""
    if exclude_invoice_id is not None:
        extra = " AND i.id <> ?"
        params.append(exclude_invoice_id)
    rows = execute(
        "SELECT l.order_line_id, SUM(l.quantity_milli) FROM invoice_line l "
        "JOIN invoice i ON i.id = l.invoice_id "
        f"WHERE l.order_line_id IN ({marks}) AND i.status = 'draft'{extra} "
        "GROUP BY l.order_line_id",
        params,
    )
    return {int(r[0]): milli_to_quantity(int(r[1])) for r in rows}


def check_invoiceable(lines: Sequence[LineInput], exclude_invoice_id: int | None = None) -> None:
    """Refuse lines that would invoice more of an order line than is still open."""
    asked: dict[int, Decimal] = {}
    for line in lines:
        if line.order_line_id is not None:
            asked[line.order_line_id] = asked.get(line.order_line_id, NO_QUANTITY) + Decimal(
                line.quantity
            )
    drafted = drafted_quantities(list(asked), exclude_invoice_id)
    for order_line_id, quantity in asked.items():
        row = OrderLine.get_or_none(OrderLine.id == order_line_id)
        if row is None:
            raise NotFound(_("order line {id} does not exist").format(id=order_line_id))
        order = SalesOrder.get_by_id(row.order_id)
        if order.status == "cancelled":
            raise RuleViolation(_("order {code} is cancelled").format(code=order.code))
        left = row.quantity - row.quantity_invoiced - drafted.get(order_line_id, NO_QUANTITY)
        if quantity > left:
            raise _over_invoicing(quantity, row, order, left)


def record_invoiced(invoice_id: int) -> None:
    """On issue: count the invoice's quantities as invoiced on their order lines.

    Called inside `invoices.issue_invoice`'s transaction; refuses over-invoicing."""
    orders: set[int] = set()
    for line in InvoiceLine.select().where(
        (InvoiceLine.invoice == invoice_id) & InvoiceLine.order_line.is_null(False)
    ):
        row = OrderLine.get_by_id(line.order_line_id)
        if row.quantity_invoiced + line.quantity > row.quantity:
            order = SalesOrder.get_by_id(row.order_id)
            raise _over_invoicing(line.quantity, row, order, row.quantity - row.quantity_invoiced)
        OrderLine.update(quantity_invoiced=row.quantity_invoiced + line.quantity).where(
            OrderLine.id == row.id
        ).execute()
        execute(
            "UPDATE sales_order SET invoiced_cents = invoiced_cents + ? WHERE id = ?",
            (to_cents(line.base), row.order_id),
        )
        orders.add(row.order_id)
    for order_id in orders:
        _refresh_status(order_id)


def release_invoiced(invoice_id: int) -> None:
    """When an issued invoice is voided: its quantities are no longer invoiced on their
    order lines (the inverse of `record_invoiced`, inside the voiding transaction)."""
    orders: set[int] = set()
    for line in InvoiceLine.select().where(
        (InvoiceLine.invoice == invoice_id) & InvoiceLine.order_line.is_null(False)
    ):
        row = OrderLine.get_or_none(OrderLine.id == line.order_line_id)
        if row is None:
            continue
        OrderLine.update(quantity_invoiced=row.quantity_invoiced - line.quantity).where(
            OrderLine.id == row.id
        ).execute()
        execute(
            "UPDATE sales_order SET invoiced_cents = invoiced_cents - ? WHERE id = ?",
            (to_cents(line.base), row.order_id),
        )
        orders.add(row.order_id)
    for order_id in orders:
        _refresh_status(order_id)


def _refresh_status(order_id: int) -> None:
    open_lines = execute(
        "SELECT COUNT(*) FROM order_line WHERE order_id = ? "
        "AND quantity_invoiced_milli < quantity_milli",
        (order_id,),
    ).fetchone()[0]
    any_invoiced = execute(
        "SELECT COUNT(*) FROM order_line WHERE order_id = ? AND quantity_invoiced_milli > 0",
        (order_id,),
    ).fetchone()[0]
    order = SalesOrder.get_by_id(order_id)
    status = "invoiced" if not open_lines else ("partially_invoiced" if any_invoiced else "open")
    if status != order.status:
        SalesOrder.update(
            status=status, version=SalesOrder.version + 1, updated_at=utcnow(), updated_by=login()
        ).where(SalesOrder.id == order_id).execute()
        audit.record(
            "update",
            "order",
            order_id,
            client_id=order.client_id,
            changes={"status": (order.status, status)},
            summary=order.code,
        )
