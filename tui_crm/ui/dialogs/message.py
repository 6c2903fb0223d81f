"""A message that must be read: why an invoice cannot be issued, what a run created."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...i18n import _


class MessageDialog(ModalScreen[None]):
    """A message that must be read (why an invoice cannot be issued); enter or escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "close", _("Close"), id="close"),
    ]

    def __init__(self, title: str, message: str, *, severity: str = "error"):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.severity = severity

    def compose(self) -> ComposeResult:
        with Vertical(classes=f"dialog message-dialog -{self.severity}"):
            yield Static(Content(self.title_text), classes="form-title")
            yield Static(Content(self.message), classes="dialog-text", id="message-text")
            yield Static(Content(_("enter or escape close")), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
