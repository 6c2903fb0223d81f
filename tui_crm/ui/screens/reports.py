"""The Reports screen (F6): what the business earns, from whom, and what is coming.

Six reports, one tab each (1–6 or ← →): the client ranking (top and bottom clients by
revenue, share, previous year, change), monthly revenue for 24 months as a bar chart
beside the same months a year earlier and as a table, defaulters, profit and loss per
client and month, the opportunity pipeline by stage, and the Modelo 347 of the year
(clients above €3,005.06 with IVA, per quarter; `services.modelo347`).

Every report is for a period: a calendar year up to an as-of date (see
`services.analytics.report_period`). `[` and `]` step the year, `p` sets year, as-of
date and how many clients the ranking shows, `t` goes back to this year. Each report
is computed in its own thread worker when it is first shown for a period; the screen
stays responsive meanwhile (the pane shows it is loading), and a result that arrives
for an old period is dropped. `x` exports the report shown to Excel (the ranking and
defaulters in full), enter on a client opens its file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Header, Static, TabbedContent, TabPane

from ...i18n import N_, _, count_text, ngettext
from ...money import ZERO
from ..analytics_text import month_label, percent, share, signed_money, signed_percent
from ..base import CrmScreen
from ..dialogs.form import FieldSpec
from ..formatting import date as show_date
from ..formatting import money
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource, PagedSource

REPORTS = (
    ("ranking", N_("Ranking")),
    ("monthly", N_("Monthly revenue")),
    ("defaulters", N_("Defaulters")),
    ("pnl", N_("Profit and loss")),
    ("pipeline", N_("Pipeline")),
    ("m347", N_("Modelo 347")),
)
REPORT_KEYS = tuple(key for key, _label in REPORTS)


def pane_id(report: str) -> str:
    return f"rp-{report}"


# --- columns and rows of each report (built in the worker thread) -------------------------


def ranking_columns() -> list[Column]:
    return [
        Column("rank", "#", 4, align="right", min_width=3),
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("revenue", _("Revenue"), 13, align="right", min_width=12),
        Column("share", _("Share"), 8, align="right", min_width=8),
        Column("previous", _("Previous year"), 13, align="right", min_width=12, priority=2),
        Column("change", _("Change"), 13, align="right", min_width=13, priority=1),
        Column("change_pct", _("Change %"), 9, align="right", min_width=8),
    ]


def ranking_row(r: Any) -> Row:
    return Row(
        key=r.client_id,
        cells=(
            str(r.rank),
            r.client,
            money(r.revenue),
            share(r.share),
            money(r.previous_revenue),
            signed_money(r.change),
            signed_percent(r.change_pct),
        ),
        style="danger" if r.change < 0 else "",
    )


def ranking_rows(ranking: Any) -> list[Row]:
    row = ranking_row
    rows = [row(r) for r in ranking.top]
    shown = {r.rank for r in ranking.top}
    bottom = [r for r in reversed(ranking.bottom) if r.rank not in shown]
    if bottom:
        gap = bottom[0].rank - len(ranking.top) - 1
        label = _("… {n} more clients …").format(n=gap) if gap else "…"
        rows.append(Row(key="gap", cells=("", label), style="muted"))
        rows.extend(row(r) for r in bottom)
    return rows


def ranking_summary(ranking: Any) -> Content:
    period = ranking.period
    if not ranking.clients:
        return Content(
            _("No revenue in {year} nor in {previous} up to the same date.").format(
                year=period.year, previous=period.year - 1
            )
        )
    return Content.assemble(
        (_("Revenue") + " ", "dim"),
        (money(ranking.total), "bold"),
        ("  " + _("same dates of {year}").format(year=period.year - 1) + " ", "dim"),
        (money(ranking.previous_total), "bold"),
        ("  " + _("change") + " ", "dim"),
        (
            f"{signed_money(ranking.change)} ({signed_percent(ranking.change_pct)})",
            "bold green" if ranking.change >= 0 else "bold red",
        ),
        ("  " + ranked_text(ranking.clients, len(ranking.top)), "dim"),
    )


def ranked_text(clients: int, top: int) -> str:
    if clients <= 2 * top:
        return ngettext("{n} client", "{n} clients", clients).format(n=count_text(clients))
    return _("{n} clients; the top and bottom {top}").format(n=clients, top=top)


def monthly_columns() -> list[Column]:
    return [
        Column("month", _("Month"), 8, min_width=7),
        Column("revenue", _("Revenue"), 14, align="right", min_width=12),
        Column("previous", _("A year earlier"), 14, align="right", min_width=12),
        Column("change", _("Change %"), 9, align="right", min_width=8),
    ]


def monthly_rows(months: Sequence[Any]) -> list[Row]:
    return [
        Row(
            key=m.month,
            cells=(
                month_label(m.month),
                money(m.revenue),
                money(m.previous_year_revenue),
                signed_percent(m.change_pct),
            ),
            style="muted" if not m.revenue and not m.previous_year_revenue else "",
        )
        for m in months
    ]


def monthly_summary(comparison: Any) -> Content:
    """The headline: the months listed against the same days a year earlier
    (`analytics.monthly_comparison`), each period named by its dates."""
    c = comparison
    return Content.assemble(
        (
            _("{start} to {end}").format(start=show_date(c.start), end=show_date(c.end)) + " ",
            "dim",
        ),
        (money(c.revenue), "bold"),
        (
            "  "
            + _("same days a year earlier ({start} to {end})").format(
                start=show_date(c.previous_start), end=show_date(c.previous_end)
            )
            + " ",
            "dim",
        ),
        (money(c.previous_revenue), "bold"),
        ("  " + _("change") + " ", "dim"),
        (
            signed_percent(c.change_pct),
            "bold green" if c.revenue >= c.previous_revenue else "bold red",
        ),
    )


def defaulter_columns() -> list[Column]:
    return [
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("tax_id", _("Tax ID"), 11, min_width=9, priority=2),
        Column("overdue", _("Overdue"), 13, align="right", min_width=12),
        Column("invoices", _("Invoices"), 8, align="right", min_width=5, priority=3),
        Column("oldest", _("Days late"), 9, align="right", min_width=6),
        Column("billing", _("Of billing"), 10, align="right", min_width=8, priority=1),
        Column("share", _("Of overdue"), 10, align="right", min_width=8),
    ]


def defaulter_row(d: Any) -> Row:
    return Row(
        key=d.client_id,
        cells=(
            d.client,
            d.tax_id,
            money(d.overdue),
            str(d.invoices),
            str(d.oldest_days_overdue),
            share(d.share_of_billing),
            share(d.share_of_overdue),
        ),
        style="danger-strong" if d.oldest_days_overdue > 60 else "danger",
    )


def defaulter_summary(summary: Any, count: int) -> Content:
    if not count:
        return Content.styled(
            _("Nobody owes anything overdue on {date}.").format(date=show_date(summary.as_of)),
            "green",
        )
    return Content.assemble(
        (
            ngettext("{n} defaulter owes", "{n} defaulters owe", count).format(n=count_text(count))
            + " ",
            "dim",
        ),
        (money(summary.overdue), "bold red"),
        (" " + _("overdue:") + " ", "dim"),
        (share(summary.overdue_share), "bold"),
        (
            " "
            + _("of {billing} billed up to {date}").format(
                billing=money(summary.billing), date=show_date(summary.as_of)
            ),
            "dim",
        ),
    )


def pnl_columns() -> list[Column]:
    return [
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("month", _("Month"), 8, min_width=7),
        Column("sales", _("Sales"), 13, align="right", min_width=12),
        Column("cost", _("Cost of sales"), 13, align="right", min_width=12, priority=2),
        Column("margin", _("Margin"), 13, align="right", min_width=12),
        Column("margin_pct", _("Margin %"), 9, align="right", min_width=8, priority=1),
        Column("expenses", _("Expenses"), 13, align="right", min_width=12, priority=2),
        Column("net_margin", _("After expenses"), 13, align="right", min_width=12, priority=1),
    ]


def pnl_row(r: Any) -> Row:
    return Row(
        key=f"{r.client_id or 0}:{r.month}",
        cells=(
            r.client,
            month_label(r.month),
            money(r.sales),
            money(r.cost_of_sales),
            money(r.margin),
            percent(r.margin_pct),
            money(r.expenses),
            money(r.net_margin),
        ),
        style="danger" if r.net_margin < 0 else "",
    )


def pnl_summary(months: Sequence[Any], period: Any) -> Content:
    sales = sum((m.revenue for m in months), ZERO)
    cost = sum((m.cost for m in months), ZERO)
    spent = sum((m.expenses for m in months), ZERO)
    from ...services.analytics import percent_of_whole

    return Content.assemble(
        (_("Sales") + " ", "dim"),
        (money(sales), "bold"),
        ("  " + _("cost of sales") + " ", "dim"),
        (money(cost), "bold"),
        ("  " + _("margin") + " ", "dim"),
        (money(sales - cost), "bold green" if sales >= cost else "bold red"),
        (f" ({percent(percent_of_whole(sales - cost, sales))})", "bold"),
        ("  " + _("expenses") + " ", "dim"),
        (money(spent), "bold"),
        ("  " + _("after expenses") + " ", "dim"),
        (money(sales - cost - spent), "bold green" if sales >= cost + spent else "bold red"),
        (
            "  "
            + _("{start} to {end}").format(
                start=show_date(period.start), end=show_date(period.end)
            ),
            "dim",
        ),
    )


def pipeline_columns() -> list[Column]:
    return [
        Column("stage", _("Stage"), 14, flex=True, min_width=10),
        Column("count", _("Opportunities"), 13, align="right", min_width=6),
        Column("amount", _("Amount"), 14, align="right", min_width=12),
        Column("weighted", _("Weighted"), 14, align="right", min_width=12),
    ]


def pipeline_rows(stages: Sequence[Any]) -> list[Row]:
    from ...services.analytics import STAGE_LABELS

    return [
        Row(
            key=s.stage,
            cells=(
                _(STAGE_LABELS.get(s.stage, s.stage)),
                str(s.count),
                money(s.amount),
                money(s.weighted_amount),
            ),
            style="" if s.is_open else "muted",
        )
        for s in stages
    ]


def pipeline_summary(stages: Sequence[Any], by_year: bool, year: int) -> Content:
    open_stages = [s for s in stages if s.is_open]
    won = next((s for s in stages if s.stage == "won"), None)
    scope = (
        _("expected to close in {year}").format(year=year)
        if by_year
        else _("every opportunity so far")
    )
    return Content.assemble(
        (_("Open pipeline") + " ", "dim"),
        (money(sum((s.amount for s in open_stages), ZERO)), "bold"),
        (
            " " + _("in {n} opportunities,").format(n=sum(s.count for s in open_stages)) + " ",
            "dim",
        ),
        (money(sum((s.weighted_amount for s in open_stages), ZERO)), "bold"),
        (" " + _("weighted by probability") + "  ", "dim"),
        (_("won") + " ", "dim"),
        (money(won.amount if won else ZERO), "bold green"),
        ("  (" + scope + ")", "dim"),
    )


def m347_columns() -> list[Column]:
    return [
        Column("client", _("Client"), 22, flex=True, min_width=12),
        Column("tax_id", _("Tax ID"), 11, min_width=9),
        Column("province", _("Prov."), 5, min_width=4, priority=2),
        Column("total", _("Total"), 13, align="right", min_width=12),
        Column("q1", _("Q1"), 12, align="right", min_width=12, priority=1),
        Column("q2", _("Q2"), 12, align="right", min_width=12, priority=1),
        Column("q3", _("Q3"), 12, align="right", min_width=12, priority=1),
        Column("q4", _("Q4"), 12, align="right", min_width=12, priority=1),
    ]


def m347_row(d: Any) -> Row:
    return Row(
        key=d.client_id,
        cells=(
            d.client,
            d.tax_id,
            d.province if not d.country else f"{d.province} {d.country}",
            money(d.total),
            money(d.q1),
            money(d.q2),
            money(d.q3),
            money(d.q4),
        ),
    )


def m347_source(year: int, count: int) -> PagedSource:
    """The `count` declared tax IDs of `year`, a page at a time with their names and
    provinces as the table shows them (a year may declare tens of thousands: fetched
    whole, one row at a time, in a worker, they waited on the screen's thread)."""
    from ...services import modelo347

    return PagedSource(
        lambda: count,
        lambda offset, limit: modelo347.describe(modelo347.totals_page(year, offset, limit)),
        m347_row,
    )


def m347_summary(count: int, total: Decimal, year: int) -> Content:
    return Content.assemble(
        (_("Modelo 347 of {year}:").format(year=year) + " ", "dim"),
        (
            ngettext("{n} client", "{n} clients", count).format(n=count_text(count)) + " ",
            "bold",
        ),
        (_("above €3,005.06 with IVA, together") + " ", "dim"),
        (money(total), "bold"),
        ("  " + _("(no invoices with IRPF withheld; x exports it)"), "dim"),
    )


EMPTY = {
    "ranking": N_("No client has revenue in this year or the previous one."),
    "monthly": N_("No months."),
    "defaulters": N_("Nobody owes anything overdue."),
    "pnl": N_("Nothing invoiced in this period."),
    "pipeline": N_("No opportunities."),
    "m347": N_("No client reached €3,005.06 with IVA in this year."),
}


# --- computing (in thread workers) --------------------------------------------------------


def compute_first_rows(report: str, period: Any, top: int) -> list[Row] | None:
    """The report's first rows when they can be had before the whole report (in a worker):
    the ranking's top clients, read from the per-year totals without ranking everyone
    (`analytics.ranking_top`); None when they cannot (the whole report brings them)."""
    from ...services import analytics

    if report != "ranking":
        return None
    found = analytics.ranking_top(period, top)
    return None if found is None else [ranking_row(r) for r in found]


def compute(report: str, period: Any, top: int, by_year: bool) -> dict[str, Any]:
    """One report's figures and rows (in a worker, inside one read-only transaction)."""
    from ...services import analytics, receivables

    if report == "ranking":
        ranking = analytics.client_ranking(period, top)
        return {"summary": ranking_summary(ranking), "rows": ranking_rows(ranking)}
    if report == "monthly":
        months = analytics.monthly_revenue(period)
        return {
            "summary": monthly_summary(analytics.monthly_comparison(period, months)),
            "rows": monthly_rows(months),
            "chart": [(m.month, m.revenue, m.previous_year_revenue) for m in months],
        }
    if report == "defaulters":
        # One aggregate row gives the count and both wholes of the summary line; the
        # database orders the groups and hands over a page at a time (there may be tens
        # of thousands, and rows fetched one by one in a worker wait on the screen's thread).
        found = receivables.defaulter_pages(receivables.ReceivablesFilter(as_of=period.end))
        return {
            "summary": defaulter_summary(found, len(found)),
            "source": PagedSource(lambda: len(found), found.rows, defaulter_row),
        }
    if report == "pnl":
        months = analytics.pnl_months(period)
        return {"summary": pnl_summary(months, period)}
    if report == "m347":
        from ...services import modelo347

        # The count and amount as one row the database adds up; each page cut by it.
        count, total = modelo347.declared_count(period.year)
        return {
            "summary": m347_summary(count, total, period.year),
            "source": m347_source(period.year, count),
        }
    stages = analytics.pipeline_by_stage(period, by_year=by_year)
    return {
        "summary": pipeline_summary(stages, by_year, period.year),
        "rows": pipeline_rows(stages),
    }


def pnl_source(period: Any) -> PagedSource:
    """The P&L table reads its pages itself (a year may hold a row per client and month)."""
    from ...services import analytics

    return PagedSource(
        lambda: analytics.count_pnl(period),
        lambda offset, limit: analytics.pnl_rows(period, offset, limit),
        pnl_row,
    )


# Each report's table: its columns and the LazyTable's options.
TABLES: dict[str, tuple[Callable[[], list[Column]], dict[str, Any]]] = {
    "ranking": (ranking_columns, {}),
    "monthly": (monthly_columns, {}),
    "defaulters": (defaulter_columns, {}),
    "pnl": (pnl_columns, {"page_size": 200}),
    "pipeline": (pipeline_columns, {}),
    "m347": (m347_columns, {}),
}
# The tabs' labels where shorter than the report's name.
TAB_LABELS = {"monthly": N_("Monthly"), "pnl": N_("P&L")}


# --- the screen ---------------------------------------------------------------------------


class ReportsScreen(CrmScreen[None]):
    """The business's reports for a period; each computed in a worker when shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step_report(-1)", _("Reports"), key_display="←→", id="report_prev"),
        Binding("right", "step_report(1)", _("Next report"), show=False, id="report_next"),
        Binding(
            "left_square_bracket", "step_year(-1)", _("Year −"), key_display="[", id="year_prev"
        ),
        Binding(
            "right_square_bracket", "step_year(1)", _("Year +"), key_display="]", id="year_next"
        ),
        Binding("p", "period", _("Period"), id="period"),
        Binding("t", "this_year", _("This year"), show=False, id="this_year"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
        *[
            Binding(str(i + 1), f"show_report('{key}')", _(label), show=False)
            for i, (key, label) in enumerate(REPORTS)
        ],
    ]

    def __init__(self, *, as_of: dt.date | None = None, year: int | None = None) -> None:
        from ...services.analytics import ReportChoice

        super().__init__()
        self.choice = ReportChoice(year, as_of)
        self.generation = 0  # bumped on every change of period: older results are dropped
        self.computed: dict[str, int] = {}  # report -> generation shown
        self.results: dict[str, dict[str, Any]] = {}
        # The summary line and table of each report whose pane is built (kept here: a
        # pane built this moment is not mounted yet, so a query would not find them).
        self.built: dict[str, tuple[Static, LazyTable]] = {}
        self.chart: Any = None  # the monthly chart, once its pane is built
        # The source of rows shown before their whole report (the ranking's top), which
        # the whole report's rows then fill, so the rows shown stay on screen meanwhile.
        self.first_rows: dict[str, LoadedSource[Row]] = {}

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rp-period")
        with TabbedContent(initial=pane_id("ranking"), id="rp-tabs"):
            for report, label in REPORTS:
                with TabPane(_(TAB_LABELS.get(report, label)), id=pane_id(report)):
                    if report == "ranking":  # the tab shown first; the others when shown
                        yield self._body(report)
        yield Footer()

    # Each pane's summary and table (and the monthly chart) are built when its tab is
    # first shown, then kept: opening the screen builds only the ranking's, so its rows
    # are not kept waiting behind five tables and a chart nobody has asked for yet.
    def _body(self, report: str, source: Any = None) -> Vertical:
        summary = Static("", classes="rp-summary", id=f"rp-{report}-summary")
        widgets: list[Any] = [summary]
        if report == "monthly":
            from textual_plotext import PlotextPlot

            self.chart = PlotextPlot(id="rp-chart")
            widgets.append(self.chart)
        columns, options = TABLES[report]
        table = LazyTable(
            columns(), source, empty_text=_(EMPTY[report]), id=f"rp-{report}-table", **options
        )
        widgets.append(table)
        self.built[report] = (summary, table)
        return Vertical(*widgets, classes="rp-body")

    def _build(self, report: str, source: Any = None) -> bool:
        """Build the report's pane if it is not built yet (`source`: its table's first
        source); whether it was built now."""
        if report in self.built:
            return False
        self.query_one(f"#{pane_id(report)}", TabPane).mount(self._body(report, source))
        return True

    def on_mount(self) -> None:
        self.title = _("Reports")
        self._show_period()
        # The ranking's worker starts now, not a frame later: its rows are what is awaited.
        self._activated()

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    # --- which report, which period ------------------------------------------------------

    @property
    def active(self) -> str:
        active = self.query_one(TabbedContent).active or pane_id("ranking")
        return active.removeprefix("rp-")

    @property
    def period(self) -> Any:
        return self.choice.period()

    @property
    def by_year(self) -> bool:
        """The pipeline follows a chosen year (expected close), not the default one."""
        return self.choice.year is not None

    def table(self, report: str | None = None) -> LazyTable:
        return self.built[report or self.active][1]

    def summary(self, report: str) -> Static:
        return self.built[report][0]

    def _show_period(self) -> None:
        period = self.period
        text = _("{year}: {start} to {end}, compared with the same dates of {previous}").format(
            year=period.year,
            start=show_date(period.start),
            end=show_date(period.end),
            previous=period.year - 1,
        )
        self.query_one("#rp-period", Static).update(Content.styled(text, "bold"))

    @on(TabbedContent.TabActivated, "#rp-tabs")
    def _tab_changed(self) -> None:
        self._activated()

    def _activated(self) -> None:
        self.refresh_bindings()
        report = self.active
        if self.computed.get(report) != self.generation:
            self.compute(report)
        self.table(report).focus()

    def action_show_report(self, report: str) -> None:
        self.query_one(TabbedContent).active = pane_id(report)

    def action_step_report(self, step: int) -> None:
        index = (REPORT_KEYS.index(self.active) + step) % len(REPORT_KEYS)
        self.action_show_report(REPORT_KEYS[index])

    def set_choice(self, choice: Any) -> None:
        """A new period (or ranking size): every report is stale, the shown one recomputes."""
        self.choice = choice
        self.generation += 1
        self._show_period()
        self._activated()

    def action_step_year(self, step: int) -> None:
        from dataclasses import replace

        from ...services.analytics import FIRST_YEAR, report_period

        year = self.period.year + step
        last = max(dt.date.today().year, self.choice.as_of.year if self.choice.as_of else 0)
        if not FIRST_YEAR <= year <= last:
            self.notify(_("There is no later year yet."), severity="warning")
            return
        as_of = self.choice.as_of
        if as_of is not None and as_of.year < year:
            as_of = None  # an as-of date before the year would be refused
        choice = replace(self.choice, year=year, as_of=as_of)
        report_period(choice.year, choice.as_of)  # cannot fail after the checks above
        self.set_choice(choice)

    def action_this_year(self) -> None:
        from dataclasses import replace

        self.set_choice(replace(self.choice, year=None, as_of=None))

    def action_period(self) -> None:
        from ...services.analytics import parse_report_choice
        from ..dialogs.prompt import PromptForm

        period = self.period

        def submit(values: dict[str, Any]) -> Any:
            return parse_report_choice(values["year"], values["as_of"], values["top"])

        def chosen(choice: Any) -> None:
            if choice is not None:
                self.set_choice(choice)

        form = PromptForm(
            _("Period of the reports"),
            [
                FieldSpec("year", _("Year"), "int", placeholder=str(dt.date.today().year)),
                FieldSpec("as_of", _("As of"), "date"),
                FieldSpec("top", _("Clients at top and bottom"), "int"),
            ],
            submit,
            {
                "year": str(self.choice.year or ""),
                "as_of": self.choice.as_of.isoformat() if self.choice.as_of else "",
                "top": str(self.choice.top),
            },
            hint=_(
                "Empty year: the as-of date's (or this one). Empty date: today, or the end of "
                "the year. Now: {start} to {end}."
            ).format(start=show_date(period.start), end=show_date(period.end)),
        )
        self.app.push_screen(form, chosen)

    def action_reload(self) -> None:
        self.generation += 1
        self._activated()

    # --- computing -------------------------------------------------------------------------

    def compute(self, report: str) -> None:
        """Start the report's worker for the current period (a running one is replaced)."""
        period, generation = self.period, self.generation
        self.computed[report] = generation
        self.first_rows.pop(report, None)
        source = pnl_source(period) if report == "pnl" else None
        built_now = self._build(report, source)
        pane = self.query_one(f"#{pane_id(report)}", TabPane)
        self.summary(report).update(_("Computing…"))
        if report == "pnl":
            # The P&L's table reads its own pages: its rows come first, the totals above
            # them fill in when computed and never cover them.
            if not built_now:
                self.table("pnl").set_source(source)
        else:
            pane.loading = True
        choice, by_year = self.choice, self.by_year

        def failed(exc: Exception) -> bool:
            self.query_one(f"#{pane_id(report)}", TabPane).loading = False
            self.computed.pop(report, None)
            message = _("Could not compute the report: {error}").format(error=exc)
            self.summary(report).update(Content(message))
            self.notify(message, severity="error", markup=False)
            return True

        def whole() -> None:
            if self.computed.get(report) != generation or generation != self.generation:
                return  # a newer period's computation has started
            self.run_service(
                lambda: compute(report, period, choice.top, by_year),
                lambda result: self._show_result(report, result, generation),
                refused=failed,
                group=f"report-{report}",
                exclusive=True,
                snapshot=True,
            )

        if report == "ranking":
            # The top clients first (an index walk); once they are painted, the whole
            # ranking (an aggregate of every client) adds the bottom ones and the summary.
            def first(rows: list[Row] | None) -> None:
                self._show_first_rows(report, generation, rows)
                self.call_after_refresh(whole)

            self.run_service(
                lambda: compute_first_rows(report, period, choice.top),
                first,
                refused=failed,
                group=f"report-{report}",
                exclusive=True,
                snapshot=True,
            )
            return
        whole()

    def _show_first_rows(self, report: str, generation: int, rows: list[Row] | None) -> None:
        """The rows that came before the whole report: shown at once, the summary still
        computing above them."""
        if rows is None or generation != self.generation or self.computed.get(report) != generation:
            return  # nothing before the whole report, or for a period no longer chosen
        self.query_one(f"#{pane_id(report)}", TabPane).loading = False
        source = self.first_rows[report] = LoadedSource.of(rows)
        self.table(report).set_source(source)

    def _show_result(self, report: str, result: dict[str, Any], generation: int) -> None:
        if self.computed.get(report) != self.generation or generation != self.generation:
            return  # computed for a period that is no longer chosen
        self.results[report] = result
        self.query_one(f"#{pane_id(report)}", TabPane).loading = False
        self.summary(report).update(result["summary"])
        first = self.first_rows.pop(report, None)
        if "rows" in result and first is not None:
            # Rows already shown (the ranking's top): the same source gets every row and
            # the table re-reads it, keeping its cursor and the rows shown until then.
            first.loaded = list(result["rows"])
            self.table(report).refresh_rows()
        elif "rows" in result:
            self.table(report).set_source(LoadedSource.of(result["rows"]))
        elif "source" in result:
            self.table(report).set_source(result["source"])
        if report == "monthly":
            self._draw_chart(result["chart"])

    def _draw_chart(self, months: Sequence[tuple[str, Decimal, Decimal]]) -> None:
        """Bars of each month's revenue beside the same month a year earlier."""
        plot = self.chart
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if not months:
            plot.refresh()
            return
        positions = list(range(len(months)))
        current = [float(m[1]) for m in months]
        previous = [float(m[2]) for m in months]
        plt.multiple_bar(
            positions,
            [previous, current],
            labels=[_("A year earlier"), _("Revenue")],
            color=["gray", "cyan"],
            width=0.8,
        )
        step = 3 if len(months) > 12 else 1
        ticks = positions[::step]
        plt.xticks(ticks, [month_label(months[i][0]) for i in ticks])
        top = max([*current, *previous, 0.0])
        bottom = min([*current, *previous, 0.0])
        values = _nice_ticks(bottom, top)
        plt.yticks(values, [_compact_money(v) for v in values])
        _ticks_in_order(plt)
        plt.title(_("Monthly revenue (taxable base), each beside the same month a year earlier"))
        plot.refresh()

    # --- export and opening a client -----------------------------------------------------

    def action_export(self) -> None:
        from ...services import reports
        from ..dialogs.export import export_list

        report, choice, period = self.active, self.choice, self.period
        year, as_of = choice.year, choice.as_of
        note = _("{start} to {end}, compared with the same dates of {previous}").format(
            start=show_date(period.start), end=show_date(period.end), previous=period.year - 1
        )
        exports: dict[str, tuple[str, Sequence[Any], Callable[[], Any], str]] = {
            "ranking": (
                _("Client ranking {year}").format(year=period.year),
                reports.REVENUE_COLUMNS,
                lambda: reports.as_percentages(reports.revenue_rows(year, as_of)),
                "ranking",
            ),
            "monthly": (
                _("Monthly revenue"),
                reports.MONTHLY_COLUMNS,
                lambda: reports.monthly_rows(year, as_of),
                "ingresos-mensuales",
            ),
            "defaulters": (
                _("Defaulters"),
                reports.DEFAULTER_COLUMNS,
                lambda: reports.as_percentages(reports.defaulter_rows(period.end)),
                "morosos",
            ),
            "pnl": (
                _("Profit and loss {year}").format(year=period.year),
                reports.PNL_COLUMNS,
                lambda: reports.pnl_rows(year, as_of),
                "resultados",
            ),
            "pipeline": (
                _("Pipeline"),
                reports.PIPELINE_COLUMNS,
                lambda: reports.pipeline_rows(year, as_of),
                "embudo",
            ),
            "m347": (
                _("Modelo 347 {year}").format(year=period.year),
                m347_export_columns(),
                lambda: m347_export_rows(period.year),
                "modelo-347",
            ),
        }
        title, columns, rows, stem = exports[report]
        if report == "m347":
            note = _("year {year}").format(year=period.year)
        export_list(self, title, columns, rows, stem=stem, notes=[note])

    @on(LazyTable.RowSelected)
    def _open_client(self, event: LazyTable.RowSelected) -> None:
        key = event.row_key
        if self.active == "pnl" and isinstance(key, str) and ":" in key:
            key = int(key.split(":", 1)[0]) or None  # 0: expenses of no client
        if self.active in ("ranking", "defaulters", "pnl", "m347") and isinstance(key, int):
            self.crm.open_client(key)

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the report: {error}").format(error=event.error), severity="error"
        )


def m347_export_columns() -> Sequence[Any]:
    from ...services import modelo347

    return modelo347.COLUMNS


def m347_export_rows(year: int) -> Any:
    from ...services import modelo347

    return modelo347.rows(year)


def _ticks_in_order(plt: Any) -> None:
    """Put the chart's ticks back in axis order.

    plotext drops duplicate ticks through a set of (tick, label) pairs, so it keeps them in
    an order that follows the labels' string hashes, which Python randomizes per process;
    and it places each x label around the ones already placed. Unsorted, the month labels
    moved by a cell from one run to the next."""
    monitor = plt.monitor
    for ticks, labels in ((monitor.xticks, monitor.xlabels), (monitor.yticks, monitor.ylabels)):
        for side, side_ticks in enumerate(ticks):
            if side_ticks:
                pairs = sorted(zip(side_ticks, labels[side], strict=True))
                ticks[side] = [tick for tick, _label in pairs]
                labels[side] = [label for _tick, label in pairs]


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering low..high (0 included): 0, 2500, 5000, 7500 ..."""
    span = max(high - low, 1.0)
    raw = span / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = (low // step) * step
    values = []
    value = start
    while value <= high + step / 2:
        values.append(value)
        value += step
    return values


def _compact_money(value: float) -> str:
    """Short euro amounts for the chart's axis: €2.5K, 1,2 mil €."""
    from babel.numbers import format_compact_currency

    from ...i18n import current_language

    locale = {"es": "es_ES"}.get(current_language(), "en_IE")
    return format_compact_currency(value, "EUR", locale=locale, fraction_digits=1)
