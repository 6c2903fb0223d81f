"""A yes/no question before anything destructive.

It takes only its own keys: the language's "yes" letter (`y`, `s` in Spanish) confirms,
`n` or escape cancel. Everything else a person was typing when it appeared (the rest of a
name, a space, enter) is swallowed: no button holds the focus, so neither enter nor space
can press one. When the question opened in the middle of such typing (letters that ran
nothing, just before: `CrmApp.typing_elsewhere`), its yes letter counts only after a
pause: "Vidal Asesores" typed into a client file opens the archive question at the `a`,
and the `s` right behind it is not a "sí". A mouse click on a button still answers.
"""

from __future__ import annotations

import time
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
# Keys less than this far apart are one stream of typing (seconds): a person who sees a
# question appear stops longer than this before answering it.
TYPING_GAP = 0.8


def yes_key() -> str:
    """The letter that answers yes in the language in use (`y`; `s` for "sí")."""
    return pgettext("key that answers yes", "y")


def no_key() -> str:
    """The letter that answers no (`n` in both languages)."""
    return pgettext("key that answers no", "n")


class AnswerButton(Button, can_focus=False):
    """A button of a question: clicked with the mouse, never pressed by enter or space."""


def typing_state(app: Any) -> tuple[bool, float]:
    """(was the person typing elsewhere as the question opened, when the last key came)."""
    typing = getattr(app, "typing_elsewhere", None)
    return bool(typing and typing()), time.monotonic()


def still_typing(typing: bool, last_key: float) -> tuple[bool, float]:
    """A key has come: is the stream of typing still going on (no pause since the last
    key long enough to have read the question), and its time."""
    now = time.monotonic()
    return typing and now - last_key < TYPING_GAP, now


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
        self._typing = False  # opened in the middle of typing: yes waits for a pause
        self._last_key = 0.0

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
        self._typing, self._last_key = typing_state(self.app)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "dialog-yes")

    def on_key(self, event: events.Key) -> None:
        key = event.key
        self._typing, self._last_key = still_typing(self._typing, self._last_key)
        if key == yes_key() and not self._typing:
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
