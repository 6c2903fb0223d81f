"""Another record has the same tax ID or email: save anyway, open it, or keep editing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...i18n import _
from ..safe_text import one_line


class DuplicateDialog(ModalScreen[object]):
    """Another record has the same tax ID or email: save anyway, open it, or keep editing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "answer('save')", _("Save anyway"), id="save_anyway"),
        Binding("o", "open(0)", _("Open it"), id="open_other"),
        Binding("escape,k", "answer('keep')", _("Keep editing"), id="keep"),
        *[Binding(str(i + 1), f"open({i})", _("Open that one"), show=False) for i in range(9)],
    ]

    def __init__(self, duplicates: Sequence[Any]):
        super().__init__(classes="dialog-screen")
        self.duplicates = list(duplicates)

    def compose(self) -> ComposeResult:
        reasons = {"tax_id": _("same tax ID"), "email": _("same email")}
        listed = [
            f"  {i + 1}. {one_line(d.legal_name)} ({reasons.get(d.reason, d.reason)})"
            for i, d in enumerate(self.duplicates[:9])
        ]
        with Vertical(classes="dialog"):
            yield Static(
                Content(_("This may be a duplicate of a record already on file:")),
                classes="dialog-text",
            )
            yield Static(Content("\n".join(listed)), classes="dialog-details")
            yield Static(
                Content(_("o (or 1–9) opens it · s saves anyway · escape keeps editing")),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Open it (o)"), id="dup-open", variant="primary")
                yield Button(_("Save anyway (s)"), id="dup-save", variant="warning")
                yield Button(_("Keep editing"), id="dup-keep")

    def on_mount(self) -> None:
        self.query_one("#dup-open", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "dup-open":
            self.action_open(0)
        else:
            self.dismiss("save" if event.button.id == "dup-save" else "keep")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)

    def action_open(self, index: int) -> None:
        if 0 <= index < len(self.duplicates):
            self.dismiss(self.duplicates[index].id)
