"""A colleague saved the record first: say who, when and what differs."""

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


class ConflictDialog(ModalScreen[str]):
    """Someone saved first: say who, when and what differs; keep both, reload or keep editing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "choose('both')", _("Keep both"), id="both"),
        Binding("r", "choose('reload')", _("Reload theirs"), id="reload"),
        Binding("k,escape", "choose('keep')", _("Keep editing"), id="keep"),
    ]

    def __init__(
        self, message: str, differences: dict[str, tuple[object, object]], labels: dict[str, str]
    ):
        super().__init__(classes="dialog-screen")
        self.message = message
        self.differences = differences
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.message), classes="dialog-text")
            if self.differences:
                lines = [_("What differs (yours → theirs):")]
                for key, (mine, theirs) in self.differences.items():
                    label = self.labels.get(key, key)
                    lines.append(f"  {label}: {mine!s} → {theirs!s}")
                yield Static(Content("\n".join(lines)), classes="dialog-details")
            yield Static(
                Content(
                    _(
                        "Keep both loads their version and puts the fields you changed back on "
                        "top, for you to review and save; reload shows their version (your "
                        "typing is lost); keep editing leaves the form as it is."
                    )
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Keep both (b)"), id="conflict-both", variant="primary")
                yield Button(_("Reload theirs (r)"), id="conflict-reload", variant="warning")
                yield Button(_("Keep editing (k)"), id="conflict-keep")

    def on_mount(self) -> None:
        self.query_one("#conflict-both", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = {"conflict-both": "both", "conflict-reload": "reload"}
        self.dismiss(choice.get(event.button.id or "", "keep"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
