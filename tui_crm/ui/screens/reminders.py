"""Payment reminders: pick overdue invoices, send one reminder per client listing them.

The list is the receivables board's overdue invoices (most overdue first) with the
last reminder sent for each (level and date) and the level due next. Keys: space
marks an invoice, `a` marks every overdue invoice of the highlighted client, `s`
sends the marked ones (one client: the send dialog to review the text; several:
one email per client after a confirmation), `r` sends what the schedule says is
due today (what `tui-crm remind` does from cron), escape goes back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _, count_text
from ...services.receivables import ReceivablesFilter
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..formatting import date as show_date
from ..formatting import local_datetime, money
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource

LEVEL_LABELS = {1: "1", 2: "2", 3: "3"}


def reminder_columns() -> list[Column]:
    return [
        Column("mark", "✓", 1, min_width=1),
        Column("code", _("Number"), 12, min_width=11),
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("due", _("Due"), 10, min_width=10, priority=2),
        Column("days", _("Days"), 5, align="right", min_width=4),
        Column("outstanding", _("Outstanding"), 12, align="right", min_width=12),
        Column("last", _("Last reminder"), 16, min_width=10, priority=1),
        Column("next", _("Next"), 4, align="right", min_width=4, priority=3),
    ]


def overdue_page(flt: ReceivablesFilter, offset: int, limit: int) -> list[tuple[Any, Any]]:
    """Overdue invoices with the last reminder sent for each (in a worker)."""
    from ...services.email import last_reminders
    from ...services.receivables import list_receivables

    rows = list_receivables(flt, offset, limit)
    last = last_reminders([r.invoice_id for r in rows])
    return [(r, last.get(r.invoice_id)) for r in rows]


def send_reminders(
    groups: dict[int, list[int]], names: dict[int, str]
) -> tuple[int, int, list[str]]:
    """One reminder per client listing its marked invoices (in a worker): how many went,
    how many did not, and why not, client by client."""
    from ...services import email
    from ...services.errors import ServiceError

    sent = failed = 0
    problems: list[str] = []
    email.check_ready()
    for client_id, ids in groups.items():
        try:
            result = email.send(email.compose_reminder(client_id, ids))
        except ServiceError as exc:
            problems.append(f"{names.get(client_id, '')}: {exc}")
            continue
        if result is not None and result.sent:
            sent += 1
        else:
            failed += 1
            if result is not None:
                problems.append(f"{names.get(client_id, '')}: {result.reason}")
    return sent, failed, problems


class RemindersScreen(CrmScreen[None]):
    """Overdue invoices to remind, with the last reminder of each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("space", "mark", _("Mark"), id="mark"),
        Binding("a", "mark_client", _("Mark client"), id="mark_client"),
        Binding("s", "send", _("Send reminders"), id="send_reminders"),
        Binding("r", "run_schedule", _("Send due by schedule"), id="run_schedule"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, marked: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.marked: set[int] = set(marked)
        self.owners: dict[int, tuple[int, str]] = {}  # of the invoices marked by client
        self.source = self._source()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="reminders-summary")
        yield LazyTable(
            reminder_columns(),
            self.source,
            page_size=200,
            empty_text=_("No overdue invoices: nobody to remind."),
            id="reminders-table",
        )
        yield Footer()

    def _source(self) -> PagedSource[tuple[Any, Any]]:
        from ...services.receivables import count_receivables

        flt = ReceivablesFilter(bucket="overdue")
        return PagedSource.over(count_receivables, overdue_page, flt, self._row, remember=True)

    def _row(self, found: tuple[Any, Any]) -> Row:
        r, reminder = found
        last_text = ""
        next_level = 1
        if reminder is not None:
            last_text = f"{reminder.level} · {local_datetime(reminder.sent_at)[:10]}"
            next_level = min(reminder.level + 1, 3)
        return Row(
            key=r.invoice_id,
            cells=(
                "✓" if r.invoice_id in self.marked else "",
                r.code,
                r.client_name,
                show_date(r.due_date),
                str(r.days_overdue),
                money(r.outstanding),
                last_text,
                LEVEL_LABELS[next_level],
            ),
            style=r.style,
        )

    def _owner(self, invoice_id: int) -> tuple[int, str] | None:
        """(client id, client name) of an invoice listed or marked."""
        found = self.source.item(invoice_id)
        if found is not None:
            return found[0].client_id, found[0].client_name
        return self.owners.get(invoice_id)

    def on_mount(self) -> None:
        from ...services import reminders

        self.title = _("Payment reminders")
        self.query_one(LazyTable).focus()
        self.run_service(reminders.schedule, self._show_summary, group="reminders-schedule")

    def _show_summary(self, days: tuple[int, ...] | None = None) -> None:
        if days is not None:
            self._days = days
        days = getattr(self, "_days", ())
        table = self.query_one(LazyTable)
        schedule = (
            _("schedule: levels 1, 2, 3 at {days} days overdue").format(
                days=", ".join(str(d) for d in days)
            )
            if days
            else _("automatic reminders are off (reminders.schedule)")
        )
        clients = {owner[0] for i in self.marked if (owner := self._owner(i))}
        text = _("{n} overdue invoices · {marked} marked ({clients} clients) · {schedule}").format(
            n=count_text(table.row_count),
            marked=len(self.marked),
            clients=len(clients),
            schedule=schedule,
        )
        self.query_one("#reminders-summary", Static).update(Content(text))

    @on(LazyTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_summary()

    def _highlighted_invoice(self) -> int | None:
        key = self.query_one(LazyTable).selected_key
        return int(key) if key is not None else None

    def action_mark(self) -> None:
        invoice_id = self._highlighted_invoice()
        if invoice_id is None:
            return
        if invoice_id in self.marked:
            self.marked.discard(invoice_id)
        else:
            self.marked.add(invoice_id)
        table = self.query_one(LazyTable)
        table.refresh_rows()
        table.move_cursor(table.cursor_index + 1)
        self._show_summary()

    def action_mark_client(self) -> None:
        from ...services.receivables import list_receivables

        invoice_id = self._highlighted_invoice()
        owner = None if invoice_id is None else self._owner(invoice_id)
        if owner is None:
            return
        flt = ReceivablesFilter(client_id=owner[0], bucket="overdue")
        self.run_service(
            lambda: list_receivables(flt, 0, None),
            self._marked_client,
            group="reminders-mark",
            exclusive=True,
        )

    def _marked_client(self, rows: list[Any]) -> None:
        ids = {r.invoice_id for r in rows}
        for r in rows:
            self.owners[r.invoice_id] = (r.client_id, r.client_name)
        if ids <= self.marked:
            self.marked.difference_update(ids)
        else:
            self.marked.update(ids)
        self.query_one(LazyTable).refresh_rows()
        self._show_summary()

    def _groups(self) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        for invoice_id in sorted(self.marked):
            owner = self._owner(invoice_id)
            if owner is not None:
                groups.setdefault(owner[0], []).append(invoice_id)
        return groups

    def action_send(self) -> None:
        groups = self._groups()
        if not groups:
            invoice_id = self._highlighted_invoice()
            owner = None if invoice_id is None else self._owner(invoice_id)
            if invoice_id is None or owner is None:
                self.notify(_("Mark invoices with space first."), severity="warning")
                return
            groups = {owner[0]: [invoice_id]}
        if len(groups) == 1:
            [(client_id, ids)] = groups.items()
            self.app.push_screen(
                self._send_screen(client_id, ids), lambda sent: sent and self._after_send()
            )
            return
        names = sorted(
            {owner[1] for ids in groups.values() for i in ids if (owner := self._owner(i))}
        )
        question = _(
            "Send {n} reminders, one per client, each listing its marked invoices "
            "(the level due next, the client's language)? {clients}"
        ).format(n=len(groups), clients=", ".join(names[:8]) + (" …" if len(names) > 8 else ""))

        def answer(ok: bool | None) -> None:
            if ok:
                self.notify(_("Sending {n} reminders…").format(n=len(groups)))
                self._send_all(groups)

        self.app.push_screen(ConfirmDialog(question, yes=_("Send")), answer)

    def _send_screen(self, client_id: int, ids: list[int]):
        from .send_email import SendEmailScreen, SendRequest

        return SendEmailScreen(SendRequest("reminder", client_id=client_id, invoice_ids=tuple(ids)))

    def _send_all(self, groups: dict[int, list[int]]) -> None:
        names = {cid: owner[1] for cid, ids in groups.items() if (owner := self._owner(ids[0]))}
        self.run_service(
            lambda: send_reminders(groups, names),
            lambda done: self._batch_done(*done),
            group="reminders-send",
            exclusive=True,
        )

    def _batch_done(self, sent: int, failed: int, problems: list[str]) -> None:
        message = _("{sent} reminders sent, {failed} not sent.").format(sent=sent, failed=failed)
        if problems:
            message += " " + "; ".join(problems[:3])
        self.notify(message, severity="error" if problems else "information", timeout=12)
        self._after_send()

    def _after_send(self) -> None:
        self.marked.clear()
        self.query_one(LazyTable).refresh_rows()
        self._show_summary()

    def action_run_schedule(self) -> None:
        def answer(ok: bool | None) -> None:
            if ok:
                self._run_schedule()

        self.app.push_screen(
            ConfirmDialog(
                _(
                    "Send every reminder the schedule says is due today (what `tui-crm remind` "
                    "does from cron)?"
                ),
                yes=_("Send"),
            ),
            answer,
        )

    def _run_schedule(self) -> None:
        from ...services import reminders

        def done(run: Any) -> None:
            problems = [f"{p.client_name}: {r.reason}" for p, r in run.failed]
            problems += [text for _p, text in run.problems]
            self._batch_done(len(run.sent), len(run.failed), problems)

        self.run_service(
            lambda: reminders.run_reminders(dt.date.today()),
            done,
            group="reminders-send",
            exclusive=True,
        )

    def action_reload(self) -> None:
        self.query_one(LazyTable).refresh_rows()

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return len(self.app.screen_stack) > 1
        return True
