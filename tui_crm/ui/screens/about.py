"""About tui-crm: its version and the declaración responsable of the invoicing system
(Orden HAC/1177/2024: visible to its users inside the system)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from ...i18n import _
from ..widgets.footer import Footer


class AboutScreen(Screen[None]):
    """What this program is and what its producer declares."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", _("Back"), id="back")]

    def compose(self) -> ComposeResult:
        from ...services.verifactu import declaration
        from ...verifactu.system import SYSTEM_NAME, VERSION

        yield Header()
        with VerticalScroll(id="about-body"):
            yield Static(
                Content(
                    _(
                        "{name} {version}: keyboard-first CRM and invoicing for the terminal."
                    ).format(name=SYSTEM_NAME, version=VERSION)
                ),
                id="about-title",
            )
            yield Static(Content(declaration()), id="about-declaration")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("About")
        self.query_one("#about-body").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
