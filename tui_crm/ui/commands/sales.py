"""Palette commands (ctrl+p) of the sales side: "New invoice", "New quote", "Register
payment", "Receivables", "Invoices", "Quotes", "Orders", "Recurring invoices",
"Catalog", "Expenses", and "New invoice for …" / "New quote for …" / "Payment from …" any client
found by what is typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.command import Hits

from ...i18n import _
from .base import CommandList, Entry, client_hits, strip_prefix

if TYPE_CHECKING:
    from ..base import CrmApi


class SalesCommands(CommandList):
    """Invoices, quotes, orders, payments and the receivables board from anywhere."""

    @property
    def crm(self) -> CrmApi:
        return cast("CrmApi", self.app)

    def entries(self) -> list[Entry]:
        app = self.crm
        return [
            (_("New invoice"), lambda: app.new_invoice(), _("Choose the client, then write it")),
            (_("New quote"), lambda: app.new_quote(), _("Choose the client, then write it")),
            (
                _("Register payment"),
                lambda: app.register_payment(),
                _("Choose the client, then the invoices it settles"),
            ),
            (
                _("Receivables"),
                lambda: app.action_to_list("receivables"),
                _("Unpaid invoices by age (F5)"),
            ),
            (_("Invoices"), lambda: app.action_to_list("invoices"), _("Every invoice (F4)")),
            (_("Quotes"), app.show_quotes, _("Every quote, with its status")),
            (_("Orders"), app.show_orders, _("Orders and what is left to invoice")),
            (
                _("Recurring invoices"),
                lambda: app.show_recurring(),
                _("Invoices made every month, quarter or year; run what is due"),
            ),
            (
                _("Expenses"),
                app.show_expenses,
                _("Costs that are not lines of a sale: for the P&L and margins"),
            ),
            (
                _("Catalog"),
                app.show_catalog,
                _("Products and services that lines pick by code or name"),
            ),
        ]

    async def search(self, query: str) -> Hits:
        async for hit in super().search(query):
            yield hit
        app = self.crm
        text = query.strip()
        for prefix, template, command in (
            (_("new invoice for"), _("New invoice for: {name}"), app.new_invoice),
            (_("new quote for"), _("New quote for: {name}"), app.new_quote),
            (_("payment from"), _("Payment from: {name}"), app.register_payment),
        ):
            name = strip_prefix(text, prefix)
            if name is None:
                continue
            if len(name) >= 2:
                async for hit in client_hits(name, template, command, score=0.95, limit=8):
                    yield hit
            return
