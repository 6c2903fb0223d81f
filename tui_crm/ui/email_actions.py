"""The App's email entry points, and their command palette entries.

`CrmApp.send_document(kind, id)` is the one hook the client file, the invoice and
quote views and the reminders screen call: kind "invoice" or "quote" (the record's
id), "retry" (a failed email's timeline entry), or "reminder" with `client_id` and
`invoice_ids`. The palette offers "Settings", "Payment reminders" and
"Email templates".
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..i18n import _


class EmailActions:
    """Mixed into CrmApp: open the send dialog, the settings and the reminders."""

    def send_document(
        self,
        kind: str,
        document_id: int | None = None,
        *,
        client_id: int | None = None,
        invoice_ids: tuple[int, ...] | list[int] = (),
        level: int | None = None,
        then: Callable[[int | None], None] | None = None,
    ) -> None:
        """Open the send dialog; `then` gets the timeline entry id (None if nothing sent)."""
        from .screens.send_email import SendEmailScreen, SendRequest

        request = SendRequest(
            kind, document_id, client_id=client_id, invoice_ids=tuple(invoice_ids), level=level
        )
        self.push_screen(SendEmailScreen(request), then)  # type: ignore[attr-defined]

    def show_settings(self) -> None:
        """The settings form (values read in a worker first)."""
        self.run_worker(  # type: ignore[attr-defined]
            self._load_settings_for_form, thread=True, exclusive=True, exit_on_error=False
        )

    def _load_settings_for_form(self) -> None:
        from ..db import database
        from .screens.settings import load_settings

        try:
            with database.connection_context():
                values = load_settings()
        except Exception as exc:
            message = _("Could not read the settings: {error}").format(error=exc)
            self.call_from_thread(self.notify, message, severity="error")  # type: ignore[attr-defined]
            return
        self.call_from_thread(self._open_settings, values)  # type: ignore[attr-defined]

    def _open_settings(self, values: dict) -> None:
        from .screens.settings import SettingsScreen

        self.push_screen(SettingsScreen(values))  # type: ignore[attr-defined]

    def show_email_templates(self) -> None:
        """The email templates (built-in and the business's own)."""
        from .screens.email_templates import EmailTemplatesScreen

        self.push_screen(EmailTemplatesScreen())  # type: ignore[attr-defined]

    def show_reminders(self, marked: tuple[int, ...] = ()) -> None:
        """Overdue invoices to remind (the given ones already marked)."""
        from .screens.reminders import RemindersScreen

        self.push_screen(RemindersScreen(marked))  # type: ignore[attr-defined]


class EmailCommands(Provider):
    """ "Settings" (email, SMTP password, business data) and "Payment reminders"."""

    def _entries(self) -> list[tuple[str, str, Callable[[], None]]]:
        app = self.app
        return [
            (
                _("Settings"),
                _("Email (SMTP and password), reminders, business data"),
                getattr(app, "show_settings", lambda: None),
            ),
            (
                _("Payment reminders"),
                _("Remind clients of overdue invoices by email"),
                getattr(app, "show_reminders", lambda: None),
            ),
            (
                _("Email templates"),
                _("Texts for quotes, invoices and reminders, Spanish and English"),
                getattr(app, "show_email_templates", lambda: None),
            ),
        ]

    async def discover(self) -> Hits:
        for label, help_text, command in self._entries():
            yield DiscoveryHit(Content(label), command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, command in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, help=help_text)
