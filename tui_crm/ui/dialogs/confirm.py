"""A yes/no question before anything destructive."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...i18n import _


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; `y`/enter confirm, `n`/escape cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", _("Yes"), id="yes"),
        Binding("n,escape", "answer(False)", _("No"), id="no"),
    ]

    def __init__(self, question: str, *, yes: str | None = None, no: str | None = None):
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes_label = yes or _("Yes")
        self.no_label = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="dialog-yes", variant="primary")
                yield Button(f"{self.no_label} (n)", id="dialog-no")

    def on_mount(self) -> None:
        self.query_one("#dialog-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "dialog-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
