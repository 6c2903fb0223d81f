"""Palette commands (ctrl+p) for money in from the bank: "Reconcile bank statement",
"Direct-debit remittance" and "Direct-debit mandates"."""

from __future__ import annotations

from ...i18n import _
from .base import CommandList, Entry


class BankCommands(CommandList):
    """The bank's screens from anywhere."""

    def entries(self) -> list[Entry]:
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

    def _reconcile(self) -> None:
        from ..screens.reconcile import ReconcileScreen

        self.app.push_screen(ReconcileScreen())

    def _remittance(self) -> None:
        from ..screens.remittance import RemittanceScreen

        self.app.push_screen(RemittanceScreen())

    def _mandates(self) -> None:
        from ..screens.mandates import MandatesScreen

        self.app.push_screen(MandatesScreen())
