"""A yes/no question before anything destructive.

It takes only its own keys: the language's "yes" letter (`y`, `s` in Spanish) confirms,
`n` or escape cancel. Everything else a person was typing when it appeared (the rest of a
name, a space, enter) is swallowed: no button holds the focus, so neither enter nor space
can press one. A mouse click on a button still answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...i18n import _, pgettext

NO_KEYS = ("n", "escape")


def yes_key() -> str:
    """The letter that answers yes in the language in use (`y`; `s` for "sí")."""
    return pgettext("key that answers yes", "y")


def no_key() -> str:
    """The letter that answers no (`n` in both languages)."""
    return pgettext("key that answers no", "n")


class AnswerButton(Button, can_focus=False):
    """A button of a question: clicked with the mouse, never pressed by enter or space."""


def swallow_typing(event: events.Key) -> None:
    """Keep a key from reaching anything else: the person was typing elsewhere."""
    event.stop()
    event.prevent_default()


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; the yes letter confirms, `n`/escape cancel, nothing else does."""

    def __init__(self, question: str, *, yes: str | None = None, no: str | None = None):
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes_label = yes or _("Yes")
        self.no_label = no or _("No")
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield AnswerButton(
                    f"{self.yes_label} ({yes_key()})", id="dialog-yes", variant="primary"
                )
                yield AnswerButton(f"{self.no_label} ({no_key()}/esc)", id="dialog-no")

    def on_mount(self) -> None:
        self.set_focus(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "dialog-yes")

    def on_key(self, event: events.Key) -> None:
        key = event.key
        if key == yes_key():
            self.action_answer(True)
        elif key in (no_key(), *NO_KEYS):
            self.action_answer(False)
        swallow_typing(event)

    def action_answer(self, value: bool) -> None:
        if not self._answered:  # a second key in flight answers nothing
            self._answered = True
            self.dismiss(value)


def ask(node: Any, question: str, then: Callable[[], None], *, yes: str | None = None) -> None:
    """Ask `question` (a ConfirmDialog over `node`'s app); `then()` only on yes."""

    def answer(ok: bool | None) -> None:
        if ok:
            then()

    node.app.push_screen(ConfirmDialog(question, yes=yes), answer)
