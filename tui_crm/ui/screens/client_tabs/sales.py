"""The client file's Sales tab: its quotes, orders and invoices (overdue ones in red).
`n` writes a new invoice or quote, enter opens one, `M` emails the highlighted quote or
invoice, `R` shows the client's recurring invoices."""

from __future__ import annotations

from typing import Any

from ....i18n import N_, _
from ...formatting import date as show_date
from ...formatting import money
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import PagedSource
from .base import ListTab


def sales_row(s: Any, today: Any) -> Row:
    from ....services.client_file import SALES_KINDS

    overdue = (
        s.kind == "invoice"
        and s.status in ("issued", "partially_paid")
        and s.outstanding
        and s.due_date is not None
        and s.due_date < today
    )
    return Row(
        key=f"{s.kind}:{s.id}",
        cells=(
            _(SALES_KINDS.get(s.kind, s.kind)),
            s.code or _("(draft)"),
            show_date(s.date),
            s.title,
            s.status,
            money(s.total),
            money(s.outstanding) if s.outstanding else "",
        ),
        style="danger" if overdue else ("muted" if s.status == "draft" else ""),
    )


class SalesTab(ListTab):
    KEY = "sales"
    ACTIONS = frozenset({"new", "email", "recurring"})
    EMPTY = N_("No quotes, orders or invoices yet.")

    def columns(self) -> list[Column]:
        return [
            Column("kind", _("Kind"), 8, min_width=6, priority=3),
            Column("code", _("Number"), 13, min_width=9),
            Column("date", _("Date"), 10, min_width=10),
            Column("title", _("Title"), 12, flex=True, min_width=8, priority=2),
            Column("status", _("Status"), 14, min_width=6, priority=1),
            Column("total", _("Total"), 13, align="right", min_width=10),
            Column("outstanding", _("Outstanding"), 13, align="right", min_width=10),
        ]

    def source(self) -> PagedSource[Any]:
        from ....services import client_file

        client_id, today = self.client_id, self.today
        return PagedSource(
            lambda: client_file.count_sales(client_id),
            lambda offset, limit: client_file.list_sales(client_id, offset, limit),
            lambda s: sales_row(s, today),
        )

    def new(self) -> None:
        self.crm.new_sales_document(self.client_id)

    def open(self, key: Any) -> None:
        self.crm.open_sales_record(str(key))

    def email(self) -> None:
        """`M`: the send dialog for the highlighted quote or invoice."""
        key = self.selected()
        if key is None:
            return
        kind, _sep, ident = str(key).partition(":")
        if kind not in ("invoice", "quote"):
            self.notify(_("Only quotes and invoices are sent by email."), severity="warning")
            return
        self.crm.send_document(
            kind, int(ident), then=lambda _entry: self.changed("timeline", "sales")
        )

    def recurring(self) -> None:
        """`R`: this client's recurring invoice templates."""
        self.crm.show_recurring(self.client_id, self.client_name)
