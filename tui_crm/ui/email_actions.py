"""The App's email entry points (a mixin of `CrmApp`; their palette entries are in
`commands/email.py`).

`CrmApp.send_document(kind, id)` is the one hook the client file, the invoice and
quote views and the reminders screen call: kind "invoice" or "quote" (the record's
id), "retry" (a failed email's timeline entry), or "reminder" with `client_id` and
`invoice_ids`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from .base import CrmNode


class EmailActions(CrmNode, App[None]):
    """Mixed into CrmApp: open the send dialog, the settings and the reminders."""

    def send_document(
        self,
        kind: str,
        document_id: int | None = None,
        *,
        client_id: int | None = None,
        invoice_ids: tuple[int, ...] | list[int] = (),
        level: int | None = None,
        period: tuple[Any, Any] | None = None,
        then: Callable[[int | None], None] | None = None,
    ) -> None:
        """Open the send dialog; `then` gets the timeline entry id (None if nothing sent).
        A statement of account is a client's (`client_id`) for a `period` (from, to)."""
        from .screens.send_email import SendEmailScreen, SendRequest

        request = SendRequest(
            kind,
            document_id,
            client_id=client_id,
            invoice_ids=tuple(invoice_ids),
            level=level,
            period=period,
        )
        self.push_screen(SendEmailScreen(request), then)

    def show_settings(self) -> None:
        """The settings form (values read in a worker first)."""
        from .screens.settings import load_settings

        self.run_service(load_settings, self._open_settings, group="settings-form")

    def _open_settings(self, values: dict[str, Any]) -> None:
        from .screens.settings import SettingsScreen

        self.push_screen(SettingsScreen(values))

    def show_email_templates(self) -> None:
        """The email templates (built-in and the business's own)."""
        from .screens.email_templates import EmailTemplatesScreen

        self.push_screen(EmailTemplatesScreen())

    def show_reminders(self, marked: tuple[int, ...] = ()) -> None:
        """Overdue invoices to remind (the given ones already marked)."""
        from .screens.reminders import RemindersScreen

        self.push_screen(RemindersScreen(marked))
