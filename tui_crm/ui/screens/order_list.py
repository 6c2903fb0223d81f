"""Orders (palette "Orders"): newest first, by default those with something still to
invoice. Keys: `/` search (code, title or client), `s` status, enter opens the order.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ...i18n import N_, _
from ...services.orders import OrderFilter, OrderRow
from ..formatting import date as show_date
from ..formatting import money
from ..labels import ORDER_STATUS_LABELS, label
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource
from .list_screen import SearchableList

STATUS_FILTERS = ("pending", "", "open", "partially_invoiced", "invoiced", "cancelled")
STATUS_FILTER_LABELS = {"pending": N_("still to invoice"), "": N_("every status")}


def order_row(r: OrderRow) -> Row:
    return Row(
        key=r.id,
        cells=(
            r.code,
            show_date(r.date),
            r.client_name,
            r.title,
            money(r.base),
            money(r.invoiced) if r.invoiced else "",
            money(r.open_value) if r.open_value else "",
            label(ORDER_STATUS_LABELS, r.status),
        ),
        style="muted" if r.status in ("invoiced", "cancelled") else "",
    )


def order_source(flt: OrderFilter) -> PagedSource[OrderRow]:
    from ...services import orders

    return PagedSource.over(orders.count_orders, orders.list_orders, flt, order_row)


def order_columns() -> list[Column]:
    return [
        Column("code", _("Code"), 12, min_width=11),
        Column("date", _("Date"), 10, min_width=10, priority=2),
        Column("client", _("Client"), 20, flex=True, min_width=12),
        Column("title", _("Title"), 18, flex=True, min_width=10, priority=4),
        Column("base", _("Base"), 12, align="right", min_width=12, priority=3),
        Column("invoiced", _("Invoiced"), 12, align="right", min_width=12, priority=1),
        Column("open", _("Open value"), 12, align="right", min_width=12),
        Column("status", _("Status"), 12, min_width=8),
    ]


class OrdersScreen(SearchableList):
    """Orders, newest first; by default those with something still to invoice."""

    LIST_ID = "order"
    STATUS_FILTERS = STATUS_FILTERS
    STATUS_LABELS = ORDER_STATUS_LABELS
    STATUS_FILTER_LABELS = STATUS_FILTER_LABELS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("slash", "search", _("Search"), id="search"),
        Binding("s", "cycle_status", _("Status"), id="filter_status"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: OrderFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or OrderFilter(status="pending")

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            order_columns(),
            _("/ search code, title or client…"),
            _("No orders here: an accepted quote becomes one."),
        )

    def on_mount(self) -> None:
        self.show_list(_("Orders"))

    def make_source(self) -> PagedSource[OrderRow]:
        return order_source(self.flt)

    def filter_parts(self) -> list[str]:
        return [self.status_part()]

    @on(LazyTable.RowSelected, "#order-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.crm.open_order(int(event.row_key))

    def action_back(self) -> None:
        self.dismiss(None)
