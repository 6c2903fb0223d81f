"""The agenda (F3): follow-ups overdue, due today and upcoming, and meetings, across clients.

`d` marks the entry under the cursor done (`u` undoes it), `r` reschedules it, enter opens its
client on the Timeline tab, `m` switches between mine and everyone's. Overdue
entries are red, today's orange. When mine is empty and everyone's is not, the screen
says so and `m` shows everyone's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _, count_text, ngettext
from ..base import CrmScreen
from ..formatting import date as show_date
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource


def agenda_row(item: Any) -> Row:
    from ...services.agenda import STATUS_LABELS
    from ...services.timeline import KIND_LABELS

    style = {"overdue": "danger", "today": "warning"}.get(item.status, "")
    return Row(
        key=item.activity_id,
        cells=(
            show_date(item.due_date),
            item.time,
            _(STATUS_LABELS[item.status]),
            item.client,
            _(KIND_LABELS.get(item.kind, item.kind)),
            item.subject,
            item.contact,
            item.author,
        ),
        style=style,
    )


def agenda_columns() -> list[Column]:
    # Give way least important first: the contact, the kind, the time (meetings have
    # one), who wrote it, when; the subject keeps a readable width at 80 columns.
    return [
        Column("date", _("Date"), 10, min_width=10),
        Column("time", _("Time"), 5, min_width=5, priority=4),
        Column("status", _("When"), 9, min_width=8, priority=1),
        Column("client", _("Client"), 18, min_width=16),
        Column("kind", _("Kind"), 8, min_width=7, priority=5),
        # Wide enough for "Reclamación de la factura F2026-00123" from 120 columns.
        Column("subject", _("Subject"), 38, flex=True, min_width=20),
        Column("contact", _("Contact"), 14, min_width=8, priority=6),
        Column("author", _("By"), 8, min_width=8, priority=2),
    ]


def EMPTY_AGENDA() -> str:
    return _("Nothing to follow up. New follow-ups: a due date on a timeline entry.")


class AgendaScreen(CrmScreen[None]):
    """Follow-ups and meetings of every client; mine by default."""

    REREAD_AFTER_DIALOGS = True  # back from a client or a form (or F3 again): what changed

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "done", _("Done"), id="done"),
        Binding("r", "reschedule", _("Reschedule"), id="reschedule"),
        Binding("m", "toggle_mine", _("Mine/everyone"), id="mine"),
        Binding("u", "undo_done", _("Undo done"), id="undo_done"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("ctrl+r", "reload", _("Reload"), id="reload"),
    ]

    def __init__(self, *, as_of: dt.date | None = None) -> None:
        from ...services.agenda import AgendaFilter

        super().__init__()
        self.flt = AgendaFilter(as_of=as_of)
        self.source = self._source()
        self.last_done: int | None = None  # what `u` reopens
        self.everyone_count: int | None = None  # said when mine is empty

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="agenda-filters")
        yield LazyTable(
            agenda_columns(),
            self.source,
            page_size=200,
            empty_text=EMPTY_AGENDA(),
            id="agenda-table",
        )
        yield Footer()

    def _source(self) -> PagedSource[Any]:
        from ...services.agenda import count_agenda, list_agenda

        return PagedSource.over(count_agenda, list_agenda, self.flt, agenda_row, remember=True)

    def on_mount(self) -> None:
        self.title = _("Agenda")
        self._show_filter()
        self.query_one(LazyTable).focus()

    def returned(self) -> None:
        self.action_reload()

    def _show_filter(self) -> None:
        whose = _("everyone's") if self.flt.everyone else _("mine")
        table = self.query_one(LazyTable)
        parts = [
            _("Agenda of {day}").format(day=show_date(self.flt.day())),
            whose,
        ]
        if not table.is_loading:
            parts.append(
                ngettext("{n} entry", "{n} entries", table.row_count).format(
                    n=count_text(table.row_count)
                )
            )
        self.query_one("#agenda-filters", Static).update(Content(" · ".join(parts)))

    @on(LazyTable.RowHighlighted)
    @on(LazyTable.Loaded)
    def _rows_arrived(self) -> None:
        self._show_filter()
        table = self.query_one(LazyTable)
        if not table.is_loading and table.row_count == 0 and not self.flt.everyone:
            self._count_everyones()

    def _count_everyones(self) -> None:
        """Mine is empty: how many everyone's has, to say so and offer it (`m`)."""
        from ...services.agenda import count_agenda

        flt = replace(self.flt, everyone=True)

        def counted(n: int) -> None:
            table = self.query_one(LazyTable)
            if self.flt.everyone or table.row_count:
                return
            if n:
                table.empty_text = ngettext(
                    "Nothing of yours to follow up. Everyone's agenda has {n} entry: m shows it.",
                    "Nothing of yours to follow up. Everyone's agenda has {n} entries: "
                    "m shows them.",
                    n,
                ).format(n=count_text(n))
            else:
                table.empty_text = EMPTY_AGENDA()
            table.refresh()

        self.run_service(lambda: count_agenda(flt), counted, group="agenda-everyone")

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the agenda: {error}").format(error=event.error), severity="error"
        )

    def action_toggle_mine(self) -> None:
        self.flt = replace(self.flt, everyone=not self.flt.everyone)
        self.query_one(LazyTable).empty_text = EMPTY_AGENDA()
        self.source = self._source()
        self.query_one(LazyTable).set_source(self.source)
        self._show_filter()

    def action_reload(self) -> None:
        self.query_one(LazyTable).refresh_rows()
        self._show_filter()

    def action_export(self) -> None:
        """The agenda as shown (mine or everyone's, as of its day), to Excel."""
        from ...services import reports
        from ..dialogs.export import export_list

        flt = self.flt
        export_list(
            self,
            _("Agenda"),
            reports.AGENDA_COLUMNS,
            lambda: reports.agenda_rows(flt),
            stem="agenda",
        )

    def _current(self) -> Any:
        table = self.query_one(LazyTable)
        key = table.selected_key
        if key is None:
            self.nothing_selected()
            return None
        return self.source.item(key)

    def _changed(self, message: str) -> None:
        self.notify(message)
        self.action_reload()

    def action_done(self) -> None:
        from ...services import timeline

        item = self._current()
        if item is not None:
            activity_id = item.activity_id
            self.last_done = activity_id
            self.run_service(
                lambda: timeline.mark_done(activity_id),
                lambda _done: self._changed(_("Marked done: u undoes it.")),
                group="agenda-action",
            )

    def action_undo_done(self) -> None:
        """`d` took an entry off the agenda: `u` puts it back (reopens it)."""
        from ...services import timeline

        activity_id = self.last_done
        if activity_id is None:
            self.notify(_("Nothing to undo."), severity="warning")
            return
        self.last_done = None
        self.run_service(
            lambda: timeline.reopen(activity_id),
            lambda _done: self._changed(_("Reopened: back on the agenda.")),
            group="agenda-action",
        )

    def action_reschedule(self) -> None:
        from .activity_form import RescheduleForm

        item = self._current()
        if item is None:
            return
        if not item.is_follow_up:
            self.notify(
                _("A meeting moves by editing it on the client's timeline."), severity="warning"
            )
            return

        def saved(result: object) -> None:
            if result is not None:
                self._changed(_("Rescheduled."))

        self.app.push_screen(
            RescheduleForm(item.activity_id, item.version, item.due_date, item.subject), saved
        )

    @on(LazyTable.RowSelected, "#agenda-table")
    def _open_client(self, event: LazyTable.RowSelected) -> None:
        item = self.source.item(event.row_key)
        if item is not None:
            self.crm.open_client(item.client_id, tab="timeline")
