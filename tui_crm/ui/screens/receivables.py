"""The receivables board (F5): every unpaid issued invoice, aged, most overdue first.

Rows are coloured by the service's hint: due within 7 days orange ("warning"), overdue
red ("danger"), past 60 days darker ("danger-strong"); "↩" after the number marks an
invoice whose direct debit the bank returned. Above the table, the summary:
totals per aging bucket, the overdue share of total billing and the largest
defaulters. Keys: `p` registers a payment for the highlighted invoice (the row updates
in place, the cursor stays), enter opens the invoice, `d` lists every defaulter, `m`
opens the payment reminders (the "Reminded" column shows each invoice's last one), `r`
reconciles a bank statement;
filters: `c` client, `u` owner, `b` bucket, `a` as-of date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import N_, _, count_text
from ...services.receivables import BUCKET_LABELS, BUCKETS, ReceivableRow, ReceivablesFilter
from ..dialogs.form import FieldSpec
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import money
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource
from .list_screen import ListScreen

BUCKET_FILTERS = ("", "overdue", *BUCKETS)
FILTER_LABELS = {"": N_("every invoice"), "overdue": N_("overdue only")}
DEFAULTERS_SHOWN = 3


def bucket_label(bucket: str) -> str:
    if bucket in BUCKET_LABELS:
        return _(BUCKET_LABELS[bucket])
    return _(FILTER_LABELS.get(bucket, bucket))


def percent(fraction: Any) -> str:
    """0.1234 -> "12.3 %" (the service gives shares as fractions with four decimals)."""
    from decimal import Decimal

    value = (Decimal(fraction) * 100).quantize(Decimal("0.1"))
    return f"{value} %"


def receivable_row(found: tuple[ReceivableRow, Any]) -> Row:
    """An unpaid invoice with its last reminder sent (services.email.LastReminder) or None."""
    r, reminded = found
    days = str(r.days_overdue) if r.days_overdue > 0 else ""
    last = f"{reminded.level} · {show_date(reminded.sent_at.date())}" if reminded else ""
    return Row(
        key=r.invoice_id,
        cells=(
            f"{r.code} ↩" if r.debit_returned_on else r.code,  # its direct debit came back
            r.client_name,
            show_date(r.issue_date),
            show_date(r.due_date),
            money(r.total),
            money(r.paid) if r.paid else "",
            money(r.outstanding),
            days,
            bucket_label(r.bucket),
            last,
        ),
        style=r.style,
    )


def receivable_page(
    flt: ReceivablesFilter, offset: int, limit: int
) -> list[tuple[ReceivableRow, Any]]:
    """A page of the board with the last reminder of each invoice (in a worker)."""
    from ...services.email import last_reminders
    from ...services.receivables import list_receivables

    rows = list_receivables(flt, offset, limit)
    reminded = last_reminders([r.invoice_id for r in rows])
    return [(r, reminded.get(r.invoice_id)) for r in rows]


def receivable_columns() -> list[Column]:
    return [
        Column("code", _("Number"), 12, min_width=11),
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("issued", _("Issued"), 10, min_width=10, priority=3),
        Column("due", _("Due"), 10, min_width=10),
        Column("total", _("Total"), 12, align="right", min_width=10, priority=2),
        Column("paid", _("Paid"), 12, align="right", min_width=10, priority=4),
        Column("outstanding", _("Outstanding"), 12, align="right", min_width=10),
        Column("days", _("Days"), 5, align="right", min_width=4),
        Column("bucket", _("Aging"), 10, min_width=8, priority=1),
        Column("reminded", _("Reminded"), 13, min_width=10, priority=5),
    ]


def summary_text(summary: Any) -> str:
    """The board's summary in three short paragraphs (they wrap at 80 columns)."""
    head = _(
        "As of {date}: {n} unpaid invoices, {outstanding} outstanding; overdue {overdue}, "
        "{share} of {billing} billed"
    ).format(
        date=show_date(summary.as_of),
        n=count_text(summary.count),
        outstanding=money(summary.outstanding),
        overdue=money(summary.overdue),
        share=percent(summary.overdue_share),
        billing=money(summary.billing),
    )
    buckets = " · ".join(
        f"{bucket_label(b.bucket)} {money(b.amount)} ({count_text(b.count)})"
        for b in summary.buckets
    )
    if summary.defaulters:
        shown = ", ".join(
            f"{d.client} {money(d.overdue)} ({percent(d.share_of_billing)})"
            for d in summary.defaulters[:DEFAULTERS_SHOWN]
        )
        defaulters = _("Defaulters: {list} · d lists them").format(list=shown)
    else:
        defaulters = _("No defaulters: nothing is overdue.")
    return "\n".join((head, buckets, defaulters))


class ReceivablesScreen(ListScreen):
    """Unpaid issued invoices, most overdue first, with the aging summary."""

    LIST_ID = "rv"
    STATUS_FIELD = "bucket"
    STATUS_FILTERS = BUCKET_FILTERS

    CLIENT_PROMPT = N_("Receivables of which client?")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pay", _("Payment"), id="pay"),
        Binding("b", "cycle_bucket", _("Bucket"), id="filter_bucket"),
        Binding("c", "filter_client", _("Client"), id="filter_client"),
        Binding("u", "filter_owner", _("Owner"), id="filter_owner"),
        Binding("a", "as_of", _("As of"), id="as_of"),
        Binding("d", "defaulters", _("Defaulters"), id="defaulters"),
        Binding("m", "remind", _("Reminder"), id="remind"),
        Binding("r", "reconcile", _("Bank statement"), id="reconcile"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: ReceivablesFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or ReceivablesFilter()
        self.summary: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(_("Reading the board…")), id="rv-summary")
        yield Static("", id="rv-filters")
        yield LazyTable(
            receivable_columns(),
            self.make_source(),
            page_size=100,
            empty_text=_("Nothing is waiting to be paid."),
            id="rv-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Receivables")
        self._show_filters()
        self.table.focus()

    def make_source(self) -> PagedSource[tuple[ReceivableRow, Any]]:
        from ...services.receivables import count_receivables

        return PagedSource.over(count_receivables, receivable_page, self.flt, receivable_row)

    # --- summary and filters --------------------------------------------------------

    @on(LazyTable.Loaded, "#rv-table")
    def _rows_read(self) -> None:
        """The rows are read (the first page on screen): now the summary, after them rather
        than competing with them."""
        from ...services.receivables import receivables_summary

        flt = self.flt

        def failed(exc: Exception) -> bool:
            message = _("Could not read the board: {error}").format(error=exc)
            self.notify(message, severity="error", markup=False)
            return True

        self.run_service(
            lambda: receivables_summary(flt, top=20),
            lambda summary: self._show_summary(flt, summary),
            refused=failed,
            group="rv-summary",
            exclusive=True,
        )

    def _show_summary(self, flt: ReceivablesFilter, summary: Any) -> None:
        if flt != self.flt:
            return
        self.summary = summary
        self.query_one("#rv-summary", Static).update(Content(summary_text(summary)))

    def filter_parts(self) -> list[str]:
        parts = [bucket_label(self.flt.bucket), *self.client_parts()]
        if self.flt.owner_login:
            parts.append(_("owner {login}").format(login=self.flt.owner_login))
        if self.flt.as_of is not None:
            parts.append(_("as of {date}").format(date=show_date(self.flt.as_of)))
        return parts

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the board: {error}").format(error=event.error), severity="error"
        )

    @on(LazyTable.RowSelected, "#rv-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.crm.open_invoice(int(event.row_key))

    def action_cycle_bucket(self) -> None:
        self.action_cycle_status()

    def action_filter_owner(self) -> None:
        from ...services import users

        def chosen_from(logins: list[str]) -> None:
            from ..dialogs.choice import ChoicePrompt

            options = [(_("(any owner)"), ""), *((login, login) for login in logins)]

            def chosen(value: str | None) -> None:
                if value is not None:
                    self._apply(owner_login=value)

            self.app.push_screen(ChoicePrompt(_("Clients of which owner?"), options), chosen)

        self.run_service(lambda: [u.login for u in users.list_users() if u.active], chosen_from)

    def action_as_of(self) -> None:
        from ...services.records import read_date

        def submit(values: dict[str, Any]) -> dt.date:
            day = read_date(values["as_of"], "as_of")
            return day or dt.date.today()

        form = PromptForm(
            _("Receivables as of"),
            [FieldSpec("as_of", _("Date"), "date")],
            submit,
            {"as_of": self.flt.date.isoformat()},
            hint=_("Days overdue and buckets are counted to this date; empty means today."),
        )

        def chosen(day: dt.date | None) -> None:
            if day is not None:
                self._apply(as_of=None if day == dt.date.today() else day)

        self.app.push_screen(form, chosen)

    def action_defaulters(self) -> None:
        from ..dialogs.choice import ChoicePrompt

        if self.summary is None:
            return
        if not self.summary.defaulters:
            self.notify(_("No defaulters: nothing is overdue."))
            return
        options = [
            (
                _(
                    "{client} · {amount} overdue · {n} invoices · oldest {days} days · {share}"
                ).format(
                    client=d.client,
                    amount=money(d.overdue),
                    n=d.invoices,
                    days=d.oldest_days_overdue,
                    share=percent(d.share_of_billing),
                ),
                d.client_id,
            )
            for d in self.summary.defaulters
        ]

        def chosen(client_id: int | None) -> None:
            if client_id is not None:
                self.filter_client(client_id)

        self.app.push_screen(
            ChoicePrompt(
                _("Defaulters (the largest overdue first); enter shows their invoices"), options
            ),
            chosen,
        )

    def action_pay(self) -> None:
        from ...services import receivables

        invoice_id = self.selected_id()
        if invoice_id is None:
            return
        as_of = self.flt.as_of

        def found(row: Any) -> None:
            if row is None:
                self.notify(_("This invoice is paid already."), severity="warning")
                self.action_reload()
                return
            self.crm.register_payment(
                row.client_id, invoice_id, lambda _payment: self.action_reload()
            )

        self.run_service(lambda: receivables.get_receivable(invoice_id, as_of), found)

    def action_remind(self) -> None:
        """Payment reminders (services.email), the highlighted invoice already marked."""
        key = self.table.selected_key
        self.crm.show_reminders((int(key),) if key is not None else ())

    def action_reconcile(self) -> None:
        """Bank statements: import one, review its lines against these invoices."""
        from .reconcile import ReconcileScreen

        self.app.push_screen(ReconcileScreen())

    def action_export(self) -> None:
        """The board as filtered now (bucket, client, owner, as-of date), to Excel."""
        from ...services import reports
        from ...services.receivables import count_receivables
        from ..dialogs.export import export_list

        flt = self.flt
        export_list(
            self,
            _("Receivables"),
            reports.RECEIVABLE_COLUMNS,
            lambda: reports.receivable_rows(flt=flt),
            stem="cobros",
            count=lambda: count_receivables(flt),
        )
