"""Recurring invoices (palette "Recurring invoices", or `R` on a client's Sales tab):
the templates that become an invoice every month, quarter or year.

The list shows client, title, frequency, next date, end date, whether the run leaves
a draft or issues directly, whether the template is active, and the total per run.
`n` new (the client is asked for, unless the list is one client's), `e` or enter
edits (`recurring_editor.RecurringEditor`), `delete` deletes after confirmation (the
invoices made stay), `a` activates or deactivates, `r` runs what is due today
(`recurring.run_recurring`) and reports what was created and any problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _, ngettext, pgettext
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog, ask
from ..dialogs.message import MessageDialog
from ..formatting import date as show_date
from ..formatting import money, rows_text
from ..labels import label
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource
from .document_editor import new_document
from .recurring_editor import FREQUENCY_LABELS, RecurringEditor, load_template


def run_total(detail: Any) -> Decimal:
    """What one run invoices: the template's lines and IRPF, as the invoice will store it."""
    from ...services.lines import totals_of

    lines = [line.as_input() for line in detail.lines]
    return totals_of(lines, detail.data.irpf_rate or 0).total


def template_row(detail: Any) -> Row:
    data = detail.data
    return Row(
        key=detail.id,
        cells=(
            one_line(detail.client_name),
            one_line(data.title),
            label(FREQUENCY_LABELS, data.frequency),
            show_date(data.next_date) if data.next_date else "",
            show_date(data.end_date) if data.end_date else "",
            _("issue") if data.issue_directly else _("draft"),
            pgettext("recurring invoice", "active")
            if data.active
            else pgettext("recurring invoice", "inactive"),
            money(run_total(detail)),
        ),
        style="" if data.active else "muted",
    )


def run_report(run: Any, names: dict[int, str]) -> tuple[str, str]:
    """The run's outcome in words: (message, severity)."""
    parts: list[str] = []
    if not run.created:
        parts.append(_("Nothing was due on {date}.").format(date=show_date(run.as_of)))
    else:
        created = ngettext("{n} invoice created:", "{n} invoices created:", len(run.created))
        parts.append(created.format(n=len(run.created)))
        for made in run.created:
            what = (
                _("issued {code}").format(code=made.code)
                if made.code
                else _("draft invoice {id}").format(id=made.invoice_id)
            )
            parts.append(
                "  "
                + _("{client}, period {date}: {what}").format(
                    client=one_line(names.get(made.recurring_id, "?")),
                    date=show_date(made.period),
                    what=what,
                )
            )
    if run.problems:
        parts.append("")
        parts.append(_("Problems:"))
        for problem in run.problems:
            parts.append(
                "  "
                + _("{client}, period {date}: {message}").format(
                    client=one_line(names.get(problem.recurring_id, "?")),
                    date=show_date(problem.period),
                    message=one_line(problem.message),
                )
            )
    if run.created:
        parts.append("")
        parts.append(_("F4 lists them; drafts wait there to be checked and issued."))
    return "\n".join(parts), ("warning" if run.problems else "information")


class RecurringScreen(CrmScreen[None]):
    """Every recurring invoice template, or one client's."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
        Binding("a", "toggle_active", _("Activate/deactivate"), id="toggle_active"),
        Binding("r", "run_due", _("Run due now"), id="run_due"),
    ]

    def __init__(self, client_id: int | None = None, client_name: str = ""):
        super().__init__()
        self.client_id = client_id
        self.client_name = client_name

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="recurring-filters", classes="list-filters")
        yield LazyTable(
            [
                Column("client", _("Client"), 12, flex=True, min_width=10),
                Column("title", _("Title"), 10, flex=True, min_width=8),
                Column("frequency", _("Every"), 9, min_width=7),
                Column("next", _("Next"), 10, min_width=10),
                Column("end", _("Ends"), 10, min_width=10, priority=3),
                Column("mode", _("Run"), 5, min_width=5, priority=1),
                Column("state", _("State"), 8, min_width=8, priority=2),
                Column("total", _("Per run"), 12, align="right", min_width=12),
            ],
            self._source(),
            empty_text=_("No recurring invoices: n creates one."),
            id="recurring-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Recurring invoices")
        if self.client_name:
            self.sub_title = one_line(self.client_name)
        self._show_filters()
        self.table.focus()

    def _source(self) -> LoadedSource[Any]:
        from ...services import recurring

        client_id = self.client_id
        return LoadedSource(lambda: recurring.list_recurring(client_id), template_row)

    @property
    def table(self) -> LazyTable:
        return self.query_one("#recurring-table", LazyTable)

    def _show_filters(self) -> None:
        parts = [
            _("client {name}").format(name=one_line(self.client_name))
            if self.client_id is not None
            else _("all clients")
        ]
        if not self.table.is_loading:
            parts.append(rows_text(self.table.row_count))
        self.query_one("#recurring-filters", Static).update(Content(" · ".join(parts)))

    @on(LazyTable.RowHighlighted)
    def _rows_arrived(self) -> None:
        self._show_filters()

    @on(LazyTable.RowSelected, "#recurring-table")
    def _open(self) -> None:
        self.action_edit()

    def returned(self) -> None:
        self.reload_rows()

    def reload_rows(self) -> None:
        self.table.refresh_rows()
        self._show_filters()

    def _selected_id(self) -> int | None:
        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return None
        return int(key)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        if self.client_id is not None:
            self._new_for(self.client_id)
            return
        self.crm.pick_client(_("Recurring invoice for which client?"), self._new_for)

    def _new_for(self, client_id: int) -> None:
        self.run_service(
            lambda: new_document(client_id),
            lambda data: self.app.push_screen(RecurringEditor(data)),
        )

    def action_edit(self) -> None:
        recurring_id = self._selected_id()
        if recurring_id is None:
            return
        self.run_service(
            lambda: load_template(recurring_id),
            lambda data: self.app.push_screen(RecurringEditor(data)),
        )

    def action_delete(self) -> None:
        from ...services import recurring

        row = self.table.get_row(self.table.cursor_index)
        if row is None:
            self.nothing_selected()
            return
        recurring_id = int(row.key)

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: recurring.delete_recurring(recurring_id),
                    lambda _r: self.reload_rows(),
                    done=_("Deleted."),
                )

        question = _(
            "Delete the recurring invoice {title} of {client}? The invoices it made stay."
        ).format(title=row.cells[1] or "-", client=row.cells[0])
        self.app.push_screen(ConfirmDialog(question, yes=_("Delete")), answer)

    def action_toggle_active(self) -> None:
        from ...services import recurring

        recurring_id = self._selected_id()
        if recurring_id is None:
            return

        def toggle() -> tuple[bool, dt.date | None]:
            detail = recurring.get_recurring(recurring_id)
            active = not detail.data.active
            data = replace(detail.data, active=active)
            recurring.update_recurring(recurring_id, data, detail.version)
            return active, data.next_date

        def done(result: tuple[bool, dt.date | None]) -> None:
            active, next_date = result
            if not active:
                self.notify(_("Deactivated."))
            elif next_date is not None and next_date <= dt.date.today():
                # Reactivated late: the periods missed since then are all due now.
                message = _("Activated. Due since {date}: r creates those invoices.")
                self.notify(message.format(date=show_date(next_date)), severity="warning")
            else:
                self.notify(_("Activated."))
            self.reload_rows()

        ask(
            self,
            _("Activate or deactivate this recurring invoice? A deactivated one issues nothing."),
            lambda: self.run_service(toggle, done),
            yes=_("Activate/deactivate"),
        )

    def action_run_due(self) -> None:
        from ...services import recurring

        def run() -> tuple[Any, dict[int, str]]:
            result = recurring.run_recurring(dt.date.today())
            names = {t.id: t.client_name for t in recurring.list_recurring()}
            return result, names

        def report(found: tuple[Any, dict[int, str]]) -> None:
            result, names = found
            message, severity = run_report(result, names)
            self.reload_rows()
            self.app.push_screen(
                MessageDialog(_("Recurring invoices run"), message, severity=severity)
            )

        def go() -> None:
            self.notify(_("Creating the invoices due today…"))
            self.run_service(run, report, refusal_title=_("Cannot run"))

        ask(
            self,
            _("Create every recurring invoice due today? Those set to issue directly are issued."),
            go,
            yes=_("Run due now"),
        )
