"""Choose a client by typing part of its name, tax ID, email or phone (searched as you type)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import _
from ..base import CrmModalScreen
from ..safe_text import one_line

PICKER_SIZE = 12


def search_clients(text: str, limit: int = PICKER_SIZE) -> list[Any]:
    """Active clients and leads matching `text` (the client list's own search)."""
    from ...services.client_list import ClientFilter, list_clients

    return list_clients(ClientFilter(text=text.strip(), status="active"), 0, limit)


class ClientPicker(CrmModalScreen[int | None]):
    """A search box over every client: type, up/down, enter chooses, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, title: str, *, initial_text: str = ""):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial_text = initial_text
        self._found: list[Any] = []
        self._generation = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker client-picker"):
            yield Static(Content(self.title_text), classes="form-title")
            yield Input(
                self.initial_text,
                placeholder=_("name, trade name, tax ID, email or phone"),
                compact=True,
                id="client-picker-search",
            )
            options = OptionList(id="client-picker-options")
            options.can_focus = False
            yield options
            yield Static(
                Content(_("type to search · enter choose · escape cancel")),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#client-picker-search", Input).focus()
        self._search(self.initial_text)

    @on(Input.Changed, "#client-picker-search")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        self._generation += 1
        generation = self._generation
        self.run_service(
            lambda: search_clients(text),
            lambda found: self._show(generation, found),
            group="client-picker",
            exclusive=True,
        )

    def _show(self, generation: int, found: list[Any]) -> None:
        if generation != self._generation:
            return
        self._found = found
        options = self.query_one("#client-picker-options", OptionList)
        options.clear_options()
        if not found:
            options.add_option(Option(Content(_("No client matches.")), disabled=True))
            return
        for row in found:
            parts = [row.name]
            if row.tax_id:
                parts.append(row.tax_id)
            if row.city:
                parts.append(row.city)
            if row.kind == "lead":
                parts.append(_("lead"))
            options.add_option(Option(Content(one_line(" · ".join(parts)))))
        options.highlighted = 0

    @on(Input.Submitted, "#client-picker-search")
    def _submitted(self) -> None:
        index = self.query_one("#client-picker-options", OptionList).highlighted
        if index is not None and 0 <= index < len(self._found):
            self.dismiss(self._found[index].id)

    @on(OptionList.OptionSelected, "#client-picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self._found):
            self.dismiss(self._found[event.option_index].id)

    def action_move(self, step: int) -> None:
        if not self._found:
            return
        options = self.query_one("#client-picker-options", OptionList)
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._found) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
