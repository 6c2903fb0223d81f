"""Palette commands (ctrl+p) of email and settings: "Settings", "Payment reminders" and
"Email templates"."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ...i18n import _
from .base import CommandList, Entry

if TYPE_CHECKING:
    from ..base import CrmApi


class EmailCommands(CommandList):
    """ "Settings" (email, SMTP password, business data) and "Payment reminders"."""

    def entries(self) -> list[Entry]:
        app = cast("CrmApi", self.app)
        return [
            (
                _("Settings"),
                app.show_settings,
                _("Email (SMTP and password), reminders, business data"),
            ),
            (
                _("Payment reminders"),
                lambda: app.show_reminders(),
                _("Remind clients of overdue invoices by email"),
            ),
            (
                _("Email templates"),
                app.show_email_templates,
                _("Texts for quotes, invoices and reminders, Spanish and English"),
            ),
        ]
