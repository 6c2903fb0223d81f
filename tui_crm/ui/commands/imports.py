"""Palette commands (ctrl+p) of the imports: "Import clients …" and "Import invoice
history …", from any screen."""

from __future__ import annotations

from functools import partial

from ...i18n import _
from .base import CommandList, Entry


class ImportCommands(CommandList):
    """The palette's "Import clients …" and "Import invoice history …", from any screen."""

    def entries(self) -> list[Entry]:
        return [
            (
                _("Import clients from Excel or CSV"),
                partial(self._open, "clients"),
                _("key i on the client list; check the columns, dry run, import"),
            ),
            (
                _("Import invoice history from Excel or CSV"),
                partial(self._open, "invoices"),
                _("issued invoices with their numbers, and what was paid"),
            ),
        ]

    def _open(self, kind: str) -> None:
        from ..screens.import_clients import ImportScreen

        self.app.push_screen(ImportScreen(kind=kind))
