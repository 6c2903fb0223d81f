"""Pick one value from a list by typing part of it (a tag, an owner, a comment template)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import _
from ...text import fold
from ..safe_text import one_line


class ChoicePrompt(ModalScreen[Any]):
    """A filtered list: type to narrow it, up/down to move, enter to choose, escape to cancel.

    Dismisses with the chosen option's value, or None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
        Binding("down", "move(1)", _("Next"), show=False),
        Binding("up", "move(-1)", _("Previous"), show=False),
    ]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, Any]],
        *,
        hint: str = "",
        empty: str = "",
    ):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.options = list(options)
        self.hint = hint
        self.empty = empty or _("Nothing to choose from.")
        self._shown: list[tuple[str, Any]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Static(Content(self.title_text), classes="form-title")
            yield Input(placeholder=_("type to filter"), compact=True, id="picker-filter")
            yield OptionList(id="picker-options")
            yield Static(
                Content(self.hint or _("enter choose · escape cancel")), classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-filter", Input).focus()

    def _fill(self, text: str) -> None:
        wanted = fold(text.strip())
        self._shown = [(label, value) for label, value in self.options if wanted in fold(label)]
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        if not self._shown:
            options.add_option(Option(Content(self.empty), disabled=True))
            return
        options.add_options(Option(Content(one_line(label))) for label, _value in self._shown)
        options.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        self._choose(self.query_one("#picker-options", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self._shown):
            return
        self.dismiss(self._shown[index][1])

    def action_move(self, step: int) -> None:
        options = self.query_one("#picker-options", OptionList)
        if not self._shown:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
