"""What a client is worth, on its client file: a line of figures under the header and the
Analytics tab.

- `ClientAnalyticsLine`: one line beside the client file's key figures: defaulter flag,
  last year and the change against the same dates last year, share of this year's
  revenue, days to pay. Items that do not fit the width are left out, least important
  first, so it never takes more than one line of an 80x24 terminal.
- `ClientAnalyticsPanel`: the Analytics tab: revenue (total, this year, last year, same
  dates last year, change, shares), payments (outstanding, overdue, days to pay, days
  late, on-time share, defaulter), lifetime value and how it is computed, margin per
  month for 12 months, top products and services, rejected quotes, open orders,
  pipeline, last interaction.

Both read `services.analytics.client_analytics` in a thread worker with its own database
connection; whichever loads hands the same figures to the other (one computation per
refresh). The panel re-reads every time its tab is shown, so the figures are never
older than the last look. Text typed by users (product names, subjects) is shown as
plain text, never as markup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import JustifyMethod
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...i18n import _
from ..analytics_text import (
    DASH,
    days,
    month_label,
    number,
    percent,
    quantity,
    share,
    signed_money,
    signed_percent,
)
from ..base import CrmNode
from ..formatting import local_datetime, money
from ..safe_text import one_line

ANALYTICS_TAB = "analytics"


def _deliver(screen: Any, data: Any) -> None:
    """Hand freshly read figures to every analytics widget of the screen."""
    for widget in screen.query(ClientAnalyticsLine):
        widget.show(data)
    for widget in screen.query(ClientAnalyticsPanel):
        widget.show(data)


class _Loader(CrmNode):
    """Reads one client's analytics in a thread worker and delivers them to the screen."""

    client_id: int
    as_of: dt.date | None

    def reload(self) -> None:
        from ...services.analytics import client_analytics
        from ...services.errors import NotFound

        client_id, as_of = self.client_id, self.as_of

        def failed(exc: Exception) -> bool:
            if isinstance(exc, NotFound):
                return True  # the client file says so itself
            message = _("Could not compute the analytics: {error}").format(error=exc)
            self.notify(message, severity="error", markup=False)
            return True

        self.run_service(
            lambda: client_analytics(client_id, as_of),
            lambda data: _deliver(self.screen, data),
            refused=failed,
            group="client-analytics",
            exclusive=True,
        )


# --- the line under the header ------------------------------------------------------------


class ClientAnalyticsLine(_Loader, Static):
    """Defaulter flag, last year and change, share of this year's revenue, days to pay."""

    DEFAULT_CSS = """
    ClientAnalyticsLine {
        height: 1;
        margin: 0 1;
        color: $text;
    }
    """

    def __init__(
        self,
        client_id: int,
        *,
        as_of: dt.date | None = None,
        id: str | None = None,
        read_on_mount: bool = True,
    ):
        """`read_on_mount=False`: the owner calls `reload()` when it wants the figures."""
        super().__init__("", id=id)
        self.client_id = client_id
        self.as_of = as_of
        self.data: Any = None
        self.read_on_mount = read_on_mount

    def on_mount(self) -> None:
        if self.read_on_mount:
            self.reload()

    def on_resize(self) -> None:
        if self.data is not None:
            self.show(self.data)

    def show(self, data: Any) -> None:
        self.data = data
        groups = self._groups(data)
        width = max(10, self.size.width or 78)
        line: Content | None = None
        for group in groups:
            candidate = group if line is None else line + "  " + group
            if candidate.cell_length <= width:
                line = candidate
        self.update(line or Content(""))

    @staticmethod
    def _groups(a: Any) -> list[Content]:
        """Figures in order of importance (the first ones stay when space is short)."""
        groups = []
        if a.is_defaulter:
            groups.append(Content.assemble((_("DEFAULTER"), "bold reverse red")))
        change = (
            _("{change} vs same dates last year").format(change=signed_percent(a.change_pct))
            if a.change_pct is not None
            else ""
        )
        groups.append(
            Content.assemble(
                (_("Last year") + " ", "dim"),
                (money(a.revenue_last_year), "bold"),
                *([("  " + change, "green" if a.change >= 0 else "red")] if change else []),
            )
        )
        groups.append(
            Content.assemble(
                (_("Share this year") + " ", "dim"), (share(a.share_this_year), "bold")
            )
        )
        if a.avg_days_to_pay is not None:
            groups.append(
                Content.assemble(
                    (_("Pays in") + " ", "dim"),
                    (days(a.avg_days_to_pay), "bold"),
                )
            )
        groups.append(
            Content.assemble((_("Lifetime value") + " ", "dim"), (money(a.lifetime.value), "bold"))
        )
        return groups


# --- the Analytics tab ----------------------------------------------------------------------


def _table(*headers: tuple[str, JustifyMethod]) -> Table:
    table = Table(box=None, pad_edge=False, expand=False, header_style="bold", padding=(0, 2, 0, 0))
    for label, justify in headers:
        table.add_column(label, justify=justify, no_wrap=True)
    return table


def revenue_section(a: Any) -> Content:
    lines = [
        Content.assemble(
            (_("Total") + " ", "dim"),
            (money(a.revenue_total), "bold"),
            ("   " + _("This year") + " ", "dim"),
            (money(a.revenue_this_year), "bold"),
            ("   " + _("Last year") + " ", "dim"),
            (money(a.revenue_last_year), "bold"),
        ),
        Content.assemble(
            (_("Same dates last year") + " ", "dim"),
            (money(a.revenue_last_year_to_date), "bold"),
            ("   " + _("Change") + " ", "dim"),
            (
                f"{signed_money(a.change)} ({signed_percent(a.change_pct)})",
                "bold green" if a.change >= 0 else "bold red",
            ),
        ),
        Content.assemble(
            (_("Share of the business's revenue") + " ", "dim"),
            (share(a.share_this_year), "bold"),
            (" " + _("this year") + " · ", "dim"),
            (share(a.share_all_time), "bold"),
            (" " + _("all time"), "dim"),
        ),
    ]
    return Content("\n").join(lines)


def payments_section(a: Any) -> Content:
    overdue = Content.assemble(
        (_("Outstanding") + " ", "dim"),
        (money(a.outstanding), "bold"),
        ("   " + _("Overdue") + " ", "dim"),
        (money(a.overdue), "bold red" if a.overdue else "bold"),
    )
    if a.overdue_invoices:
        overdue += Content.styled(
            " "
            + _("({n} invoices, the oldest {days} days late)").format(
                n=a.overdue_invoices, days=a.oldest_days_overdue
            ),
            "red",
        )
    behaviour = Content.assemble(
        (_("Average days to pay") + " ", "dim"),
        (number(a.avg_days_to_pay), "bold"),
        ("   " + _("Average days late") + " ", "dim"),
        (number(a.avg_days_late), "bold"),
        ("   " + _("Paid on time") + " ", "dim"),
        (share(a.on_time_share, 0), "bold"),
    )
    note = Content.styled(
        _(
            "Days are weighted by each invoice's amount, from issue to full payment; on time "
            "counts paid invoices and unpaid ones past their due date."
        ),
        "dim italic",
    )
    flag = (
        Content.styled(
            _("Defaulter: {amount} overdue.").format(amount=money(a.overdue)), "bold reverse red"
        )
        if a.is_defaulter
        else Content.styled(_("Not a defaulter: nothing overdue."), "green")
    )
    return Content("\n").join([overdue, behaviour, flag, note])


def lifetime_section(a: Any) -> Content:
    life = a.lifetime
    value = Content.assemble(
        (_("Lifetime value") + " ", "dim"), (money(life.value), "bold"), ("  =  ", "dim")
    )
    how = _(
        "average invoice {average} × {per_year} invoices a year (both over the last 24 months: "
        "{invoices} invoices, {revenue}) × {years} years of relationship (setting "
        "analytics.relationship_years)"
    ).format(
        average=money(life.average_invoice),
        per_year=number(life.invoices_per_year),
        invoices=life.invoices_24m,
        revenue=money(life.revenue_24m),
        years=life.relationship_years,
    )
    return value + Content(how)


def margin_table(a: Any) -> Table:
    table = _table(
        (_("Month"), "left"),
        (_("Revenue"), "right"),
        (_("Cost"), "right"),
        (_("Expenses"), "right"),
        (_("Margin"), "right"),
        (_("Margin %"), "right"),
    )
    for m in a.margin_months:
        empty = not m.revenue and not m.cost and not m.expenses
        style = "dim" if empty else ("red" if m.margin < 0 else "")
        table.add_row(
            month_label(m.month),
            money(m.revenue),
            money(m.cost),
            money(m.expenses),
            money(m.margin),
            percent(m.margin_pct),
            style=style,
        )
    total = a.margin_12m
    table.add_row(
        _("{start} to {end}").format(start=_date(a.margin_start), end=_date(a.as_of)),
        money(total.revenue),
        money(total.cost),
        money(total.expenses),
        money(total.margin),
        percent(total.margin_pct),
        style="bold",
    )
    return table


def products_table(a: Any) -> Table | Content:
    if not a.top_products:
        return Content.styled(_("Nothing invoiced yet."), "dim italic")
    table = _table(
        (_("Product or service"), "left"),
        (_("Kind"), "left"),
        (_("Quantity"), "right"),
        (_("Revenue"), "right"),
        (_("Margin"), "right"),
    )
    for p in a.top_products:
        kind = DASH if p.is_service is None else (_("Service") if p.is_service else _("Product"))
        name = one_line(p.name) + (f" ({p.code})" if p.code else "")
        table.add_row(
            Text(name, overflow="ellipsis"),  # user text: plain, never markup
            kind,
            quantity(p.quantity),
            money(p.revenue),
            money(p.margin),
        )
    return table


def sales_section(a: Any) -> Content:
    lines = [
        Content.assemble(
            (_("Rejected quotes") + " ", "dim"),
            (str(a.rejected_quotes), "bold"),
            (" (" + money(a.rejected_quotes_value) + ")", ""),
            ("   " + _("Open orders") + " ", "dim"),
            (str(a.open_orders), "bold"),
            (" (" + _("{amount} to invoice").format(amount=money(a.open_orders_value)) + ")", ""),
        ),
        Content.assemble(
            (_("Opportunity pipeline") + " ", "dim"),
            (money(a.pipeline_value), "bold"),
            (
                " "
                + _("in {n} open opportunities, {weighted} weighted by probability").format(
                    n=a.open_opportunities, weighted=money(a.pipeline_weighted)
                ),
                "",
            ),
        ),
    ]
    return Content("\n").join(lines)


def interaction_section(a: Any) -> Content:
    from ...services.timeline import KIND_LABELS

    last = a.last_interaction
    if last is None:
        return Content.styled(_("No interaction on the timeline yet."), "dim italic")
    return Content.assemble(
        (_("Last interaction") + " ", "dim"),
        (local_datetime(last.at), "bold"),
        (" · " + _(KIND_LABELS.get(last.kind, last.kind)) + " · ", ""),
        (one_line(last.subject) or DASH, ""),  # user text: a Content part, never markup
    )


class ClientAnalyticsPanel(_Loader, VerticalScroll, can_focus=True):
    """The Analytics tab of the client file (see the module docstring)."""

    DEFAULT_CSS = """
    ClientAnalyticsPanel {
        height: 1fr;
        padding: 0 1;
        &:focus { background-tint: $foreground 5%; }
        & > .ca-title { text-style: bold; color: $primary; margin-top: 1; }
        & > .ca-as-of { color: $text-muted; }
    }
    """

    SECTIONS = (
        "revenue",
        "payments",
        "lifetime",
        "margin",
        "products",
        "sales",
        "interaction",
    )

    def __init__(self, client_id: int, *, as_of: dt.date | None = None, id: str | None = None):
        super().__init__(id=id)
        self.client_id = client_id
        self.as_of = as_of
        self.data: Any = None

    def compose(self) -> ComposeResult:
        titles = {
            "revenue": _("Revenue"),
            "payments": _("Payments"),
            "lifetime": _("Lifetime value"),
            "margin": _("Margin by month"),
            "products": _("Top products and services"),
            "sales": _("Quotes, orders and pipeline"),
            "interaction": _("Timeline"),
        }
        yield Static(_("Computing…"), classes="ca-as-of", id="ca-as-of")
        for key in self.SECTIONS:
            yield Static(titles[key], classes="ca-title")
            yield Static("", id=f"ca-{key}")

    def on_show(self) -> None:
        """Shown (its tab opened): read the figures again."""
        self.reload()

    def on_mount(self) -> None:
        if self.data is not None:  # read before the panel was composed
            self.show(self.data)

    def show(self, data: Any) -> None:
        self.data = data
        if not self.query("#ca-as-of"):
            return  # not composed yet: shown on mount
        self.query_one("#ca-as-of", Static).update(
            _(
                "As of {date}. Revenue is the taxable base of issued invoices, net of corrections."
            ).format(date=_date(data.as_of))
        )
        self.query_one("#ca-revenue", Static).update(revenue_section(data))
        self.query_one("#ca-payments", Static).update(payments_section(data))
        self.query_one("#ca-lifetime", Static).update(lifetime_section(data))
        self.query_one("#ca-margin", Static).update(margin_table(data))
        self.query_one("#ca-products", Static).update(products_table(data))
        self.query_one("#ca-sales", Static).update(sales_section(data))
        self.query_one("#ca-interaction", Static).update(interaction_section(data))


def _date(day: dt.date) -> str:
    from ..formatting import date

    return date(day)
