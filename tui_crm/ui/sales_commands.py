"""Palette commands (ctrl+p) of the sales side: "New invoice", "New quote", "Register
payment", "Receivables", "Invoices", "Quotes", "Orders", "Recurring
invoices", "Catalog", and "New invoice for …" /
"New quote for …" / "Payment from …" any client found by what is typed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..i18n import _
from .commands import client_matches


class SalesCommands(Provider):
    """Invoices, quotes, orders, payments and the receivables board from anywhere."""

    def _commands(self) -> list[tuple[str, Callable[[], None], str]]:
        app = self.app
        return [
            (_("New invoice"), lambda: app.new_invoice(), _("Choose the client, then write it")),  # type: ignore[attr-defined]
            (_("New quote"), lambda: app.new_quote(), _("Choose the client, then write it")),  # type: ignore[attr-defined]
            (
                _("Register payment"),
                lambda: app.register_payment(),  # type: ignore[attr-defined]
                _("Choose the client, then the invoices it settles"),
            ),
            (
                _("Receivables"),
                lambda: app.switch_mode("receivables"),
                _("Unpaid invoices by age (F5)"),
            ),
            (_("Invoices"), lambda: app.switch_mode("invoices"), _("Every invoice (F4)")),
            (_("Quotes"), lambda: app.show_quotes(), _("Every quote, with its status")),  # type: ignore[attr-defined]
            (_("Orders"), lambda: app.show_orders(), _("Orders and what is left to invoice")),  # type: ignore[attr-defined]
            (
                _("Recurring invoices"),
                lambda: app.show_recurring(),  # type: ignore[attr-defined]
                _("Invoices made every month, quarter or year; run what is due"),
            ),
            (
                _("Catalog"),
                lambda: app.show_catalog(),  # type: ignore[attr-defined]
                _("Products and services that lines pick by code or name"),
            ),
        ]

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(Content(title), command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)
        text = query.strip()
        actions = (
            (_("new invoice for"), _("New invoice for: {name}"), "new_invoice"),
            (_("new quote for"), _("New quote for: {name}"), "new_quote"),
            (_("payment from"), _("Payment from: {name}"), "register_payment"),
        )
        for prefix, template, method in actions:
            if not text.casefold().startswith(prefix.casefold()):
                continue
            name = text[len(prefix) :].strip()
            if len(name) < 2:
                return
            try:
                found = await asyncio.to_thread(client_matches, name, 8)
            except Exception:  # the palette must not break because the database is busy
                return
            for position, (client_id, client_name, tax_id) in enumerate(found):
                label = Content(template.format(name=client_name))
                action = getattr(self.app, method)
                yield Hit(
                    score=0.95 - position / 100,
                    match_display=label,
                    command=lambda cid=client_id, act=action: act(cid),
                    text=label.plain,
                    help=tax_id or None,
                )
            return
