"""One entry of the audit log in full: every changed field, before and after."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...i18n import _
from ...services.audit import AuditEntry
from ..formatting import local_datetime


class AuditDetail(ModalScreen[None]):
    """Every changed field of one audit entry, before and after."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", _("Close"))]

    def __init__(self, entry: AuditEntry):
        super().__init__(classes="dialog-screen")
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        lines = [
            f"{local_datetime(e.at)} · {e.who} · {e.action} · {e.entity} {e.entity_id}",
            e.summary,
            "",
        ]
        for name, pair in e.changes.items():
            before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            lines.append(f"{name}:")
            lines.append("    " + _("before") + f": {'' if before is None else before}")
            lines.append("    " + _("after") + f":  {'' if after is None else after}")
        with Vertical(classes="dialog"), VerticalScroll():
            yield Static(Content("\n".join(lines)))

    def action_close(self) -> None:
        self.dismiss(None)
