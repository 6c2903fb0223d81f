"""The audit log: who changed what and when, filtered by user, entity and dates."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Header, Input, Label

from ...i18n import _
from ...services.audit import AuditEntry, AuditFilter
from ..base import CrmScreen
from ..formatting import local_datetime
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource


def audit_row(entry: AuditEntry) -> Row:
    return Row(
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


def audit_source(flt: AuditFilter) -> PagedSource[AuditEntry]:
    from ...services.audit import count_entries, list_entries

    return PagedSource.over(count_entries, list_entries, flt, audit_row, remember=True)


class AuditScreen(CrmScreen[None]):
    """Newest first; the filter fields apply on enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", _("Filter"), id="filter"),
        Binding("escape", "back", _("Back"), id="back"),
    ]

    def __init__(self, client_id: int | None = None, title: str | None = None):
        super().__init__()
        self.flt = AuditFilter(client_id=client_id)
        self.source = audit_source(self.flt)
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
        from ...services.records import parse_date

        typed = {
            key: self.query_one(f"#audit-{key}", Input).value.strip() for key in ("since", "until")
        }
        errors: dict[str, str] = {}
        since, until = (parse_date(typed[key], errors, key) for key in ("since", "until"))
        if errors:
            wrong = typed[next(iter(errors))]
            self.notify(
                _("{value!r} is not a date (expected YYYY-MM-DD)").format(value=wrong),
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
        self.source = audit_source(self.flt)
        table = self.query_one(LazyTable)
        table.set_source(self.source)
        table.focus()

    @on(LazyTable.RowSelected)
    def _open(self, event: LazyTable.RowSelected) -> None:
        from ..dialogs.audit_entry import AuditDetail

        entry = self.source.item(event.row_key)
        if entry is not None:
            self.app.push_screen(AuditDetail(entry))

    def action_back(self) -> None:
        if self.query_one(LazyTable).has_focus:
            self.app.pop_screen()
        else:
            self.query_one(LazyTable).focus()
