"""The audit log: who changed what and when, filtered by user, entity and dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, Label, Static

from ...i18n import _
from ...services.audit import AuditEntry, AuditFilter
from ..formatting import local_datetime
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row


class AuditSource:
    def __init__(self, flt: AuditFilter):
        self.flt = flt
        self.entries: dict[int, AuditEntry] = {}

    def count(self) -> int:
        from ...db import database
        from ...services.audit import count_entries

        with database.connection_context():
            return count_entries(self.flt)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        from ...db import database
        from ...services.audit import list_entries

        with database.connection_context():
            entries = list_entries(self.flt, offset, limit)
        rows = []
        for entry in entries:
            self.entries[entry.id] = entry
            rows.append(
                Row(
                    key=entry.id,
                    cells=(
                        local_datetime(entry.at),
                        entry.who,
                        entry.action,
                        entry.entity,
                        entry.entity_id,
                        entry.summary,
                        entry.describe_changes(),
                    ),
                )
            )
        return rows


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


def _parse_day(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class AuditScreen(Screen[None]):
    """Newest first; the filter fields apply on enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", _("Filter"), id="filter"),
        Binding("escape", "back", _("Back"), id="back"),
    ]

    def __init__(self, client_id: int | None = None, title: str | None = None):
        super().__init__()
        self.flt = AuditFilter(client_id=client_id)
        self.source = AuditSource(self.flt)
        self.title_text = title or _("Audit log")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-filters"):
            yield Label(_("User"))
            yield Input(compact=True, id="audit-user")
            yield Label(_("Entity"))
            yield Input(compact=True, placeholder="client, invoice…", id="audit-entity")
            yield Label(_("From"))
            yield Input(compact=True, placeholder=_("YYYY-MM-DD"), id="audit-since")
            yield Label(_("To"))
            yield Input(compact=True, placeholder=_("YYYY-MM-DD"), id="audit-until")
        yield LazyTable(
            [
                Column("at", _("When"), 16),
                Column("user", _("User"), 10),
                Column("action", _("Action"), 8),
                Column("entity", _("Entity"), 10, priority=2),
                Column("id", _("ID"), 7, priority=3),
                Column("summary", _("Summary"), 24, priority=1),
                Column("changes", _("Changes"), 30, flex=True),
            ],
            self.source,
            empty_text=_("Nothing recorded for this filter."),
            id="audit-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.title_text
        self.query_one(LazyTable).focus()

    def action_filter(self) -> None:
        self.query_one("#audit-user", Input).focus()

    @on(Input.Submitted)
    def _apply(self) -> None:
        try:
            since = _parse_day(self.query_one("#audit-since", Input).value)
            until = _parse_day(self.query_one("#audit-until", Input).value)
        except ValueError as exc:
            self.notify(
                _("{value!r} is not a date (expected YYYY-MM-DD)").format(value=str(exc)),
                severity="warning",
            )
            return
        self.flt = replace(
            self.flt,
            user=self.query_one("#audit-user", Input).value.strip(),
            entity=self.query_one("#audit-entity", Input).value.strip(),
            since=since,
            until=until,
        )
        self.source = AuditSource(self.flt)
        table = self.query_one(LazyTable)
        table.set_source(self.source)
        table.focus()

    @on(LazyTable.RowSelected)
    def _open(self, event: LazyTable.RowSelected) -> None:
        entry = self.source.entries.get(int(event.row_key))
        if entry is not None:
            self.app.push_screen(AuditDetail(entry))

    def action_back(self) -> None:
        if self.query_one(LazyTable).has_focus:
            self.app.pop_screen()
        else:
            self.query_one(LazyTable).focus()
