"""Palette commands (ctrl+p) for money in from the bank: "Reconcile bank statement",
"Direct-debit remittance" and "Direct-debit mandates"."""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..i18n import _


class BankCommands(Provider):
    """The bank's screens from anywhere."""

    def _commands(self) -> list[tuple[str, Callable[[], None], str]]:
        return [
            (
                _("Reconcile bank statement"),
                self._reconcile,
                _("Import a Norma 43 file and match its lines to open invoices"),
            ),
            (
                _("Direct-debit remittance"),
                self._remittance,
                _("Collect the invoices due by a date (a SEPA pain.008 file)"),
            ),
            (
                _("Direct-debit mandates"),
                self._mandates,
                _("Clients' signed SEPA mandates"),
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

    def _reconcile(self) -> None:
        from .screens.reconcile import ReconcileScreen

        self.app.push_screen(ReconcileScreen())

    def _remittance(self) -> None:
        from .screens.remittance import RemittanceScreen

        self.app.push_screen(RemittanceScreen())

    def _mandates(self) -> None:
        from .screens.mandates import MandatesScreen

        self.app.push_screen(MandatesScreen())
