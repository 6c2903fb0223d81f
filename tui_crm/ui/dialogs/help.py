"""F1: this screen's keys, in the language in use (not the framework's generic list).

The keys come from the screen's own bindings and those of the widget with the focus
(the line editor, a client-file tab …), then the keys that work everywhere (F1–F6,
the palette, quit). What Textual's own widgets bind (an input's cursor keys) is left
out: those work as in any text box.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...i18n import _

# Keys every screen has, said once in the "everywhere" part, whatever binds them.
GLOBAL_ACTIONS = ("to_list", "toggle_help", "quit", "command_palette")


def _ours(node: Any, binding: Binding) -> bool:
    """Bound by tui-crm (a screen or widget of ours, or the app), not by Textual's own
    classes (focus moves, copying, its palette key): the class nearest the node that
    binds the key decides."""
    for cls in type(node).__mro__:
        for declared in cls.__dict__.get("BINDINGS", ()):
            keys = declared.key if isinstance(declared, Binding) else declared[0]
            if binding.key in (k.strip() for k in keys.split(",")):
                return cls.__module__.startswith("tui_crm.")
    return type(node).__module__.startswith("tui_crm.")


def _key_text(app: Any, binding: Binding) -> str:
    shown = binding.key_display or app.get_key_display(binding)
    if len(shown) >= 2 and shown[0] == "f" and shown[1:].isdigit():
        return shown.upper()  # F2, as printed on the key
    return shown


def screen_keys(screen: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(this screen's keys, the keys that work everywhere), each as (key, what it does)."""
    app = screen.app
    here: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    in_a_list = False
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        if type(active.node).__name__ == "LazyTable":
            in_a_list = True  # its keys are said once, in words, below
            continue
        if not binding.description or not active.enabled:
            continue
        global_key = active.node is app or binding.action.split("(")[0] in GLOBAL_ACTIONS
        if not _ours(active.node, binding) or binding.action == "command_palette":
            continue  # Textual's own keys; the palette is said below, in words
        entry = (_key_text(app, binding), binding.description)
        if entry in seen:
            continue
        seen.add(entry)
        (everywhere if global_key else here).append(entry)
    if in_a_list:
        here[:0] = [
            ("↑ ↓ pgup pgdn home end", _("Move in the list")),
            ("⏎", _("Open the highlighted row")),
        ]
    everywhere.append(("ctrl+p", _("Command palette: every action, by name")))
    return here, everywhere


def _lines(entries: list[tuple[str, str]]) -> Content:
    width = max((len(key) for key, _what in entries), default=0)
    return Content("\n").join(
        Content.assemble((key.ljust(width), "bold"), "  ", what) for key, what in entries
    )


class ScreenHelp(ModalScreen[None]):
    """The keys of the screen beneath; escape, F1 or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "close", _("Close"), id="close"),
    ]

    def __init__(self, title: str, here: list[tuple[str, str]], everywhere: list[tuple[str, str]]):
        super().__init__(classes="dialog-screen")
        self.help_title = title
        self.here = here
        self.everywhere = everywhere

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Static(
                Content(_("Keys: {screen}").format(screen=self.help_title)), classes="form-title"
            )
            with VerticalScroll(classes="help-keys"):
                if self.here:
                    yield Static(_lines(self.here), id="help-here")
                yield Static(Content(_("Everywhere")), classes="form-title help-part")
                yield Static(_lines(self.everywhere), id="help-everywhere")
            yield Static(Content(_("escape closes")), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
