"""The home screen (F12, where the app opens): what needs doing today, how the business goes.

One line per figure, each opening its list with one key (or enter on the line): `a` my
agenda, `l` the leads' board, `r` receivables, `v` revenue (reports), `q` quotes
awaiting an answer, `o` orders to invoice, `d` the defaulters (receivables), `f`
VERI*FACTU, `c` the largest client.
The frame paints at once; each line fills in when its figures arrive from a worker
(`services.dashboard`: one worker reads the sections in order, the cheap ones first,
a second one the two slowest once the first line is shown). A warning shows
above the lines when one client brings more than `analytics.concentration_alert` of the
last 12 months' revenue.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import _, ngettext
from ..analytics_text import percent, signed_money, signed_percent
from ..base import CrmScreen
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.footer import Footer

# (section, key, what opens) in the order the lines show.
LINES = (
    ("follow_ups", "a"),
    ("leads", "l"),
    ("receivables", "r"),
    ("revenue", "v"),
    ("quotes", "q"),
    ("orders", "o"),
    ("defaulters", "d"),
    ("verifactu", "f"),
    ("concentration", "c"),
)


def _titles() -> dict[str, str]:
    return {
        "follow_ups": _("Agenda"),
        "leads": _("Leads"),
        "receivables": _("Overdue receivables"),
        "revenue": _("Revenue this month"),
        "quotes": _("Quotes awaiting an answer"),
        "orders": _("Orders to invoice"),
        "defaulters": _("Largest defaulters"),
        "verifactu": "VERI*FACTU",
        "concentration": _("Largest client, last 12 months"),
    }


def line_text(section: str, figures: Any) -> str:
    """What a line says once its figures are known (plain text, never markup)."""
    if section == "follow_ups":
        return _("{today} due today ({meetings} meetings), {overdue} overdue follow-ups").format(
            today=figures.today, meetings=figures.meetings_today, overdue=figures.overdue
        )
    if section == "leads":
        return _("{new} new, {contacted} contacted, {qualified} qualified, {lost} lost").format(
            **figures
        )
    if section == "receivables":
        return _("{amount} ({change} since {date})").format(
            amount=money(figures.amount),
            change=signed_money(figures.change),
            date=show_date(figures.month_ago_date),
        )
    if section == "revenue":
        return _("{amount} against {previous} a year ago ({change})").format(
            amount=money(figures.amount),
            previous=money(figures.previous_year),
            change=signed_percent(figures.change_pct) if figures.change_pct is not None else "–",
        )
    if section in ("quotes", "orders"):
        return ngettext("{n} worth {value}", "{n} worth {value}", figures.count).format(
            n=figures.count, value=money(figures.value)
        )
    if section == "defaulters":
        if not figures:
            return _("nobody owes overdue money")
        return "; ".join(f"{one_line(d.client)[:30]} {money(d.overdue)}" for d in figures[:3])
    if section == "verifactu":
        return _("{pending} pending, {rejected} rejected").format(
            pending=figures.pending, rejected=figures.rejected
        )
    if section == "concentration":
        if figures.client_id is None:
            return _("no revenue in the last 12 months")
        return _("{client}: {share} of {total}").format(
            client=one_line(figures.client)[:40],
            share=percent(figures.share_pct),
            total=money(figures.total),
        )
    return ""


def alert_text(figures: Any) -> str:
    return _(
        "Warning: {client} brings {share} of the last 12 months' revenue (more than {limit})."
    ).format(
        client=one_line(figures.client),
        share=percent(figures.share_pct),
        limit=percent(figures.threshold_pct, 0),
    )


def _prompt(section: str, key: str, text: str) -> str:
    from rich.markup import escape

    return f"[b]{key}[/b]  {escape(_titles()[section])}: {escape(text)}"


class DashboardScreen(CrmScreen[None]):
    """Today's work and the business's figures; every line opens its list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "open('follow_ups')", _("Agenda"), id="dash_agenda"),
        Binding("l", "open('leads')", _("Leads"), id="dash_leads"),
        Binding("r", "open('receivables')", _("Receivables"), id="dash_receivables"),
        Binding("v", "open('revenue')", _("Revenue"), id="dash_revenue"),
        Binding("q", "open('quotes')", _("Quotes"), id="dash_quotes"),
        Binding("o", "open('orders')", _("Orders"), id="dash_orders"),
        Binding("d", "open('defaulters')", _("Defaulters"), id="dash_defaulters", show=False),
        Binding("f", "open('verifactu')", "VERI*FACTU", id="dash_verifactu", show=False),
        Binding("c", "open('concentration')", _("Largest client"), id="dash_client", show=False),
        Binding("ctrl+r", "reload", _("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, Any] = {}
        self._rest: tuple[str, ...] = ()
        self._rest_started = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="dashboard-alert", classes="hidden")
        yield OptionList(
            *(Option(_prompt(section, key, "…"), id=section) for section, key in LINES),
            id="dashboard-lines",
        )
        yield Static(
            _("A key (or enter on a line) opens its list; F2 clients, F3 agenda, F4 invoices."),
            classes="screen-help",
            id="dashboard-help",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Home")
        self.query_one(OptionList).focus()
        self.action_reload()

    def returned(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Read the figures: the cheap sections one after another in one worker, in the
        order of `SECTIONS`, each line filled as soon as its figures are read; the two
        slowest (a million invoices aggregated) in a second worker, started once the
        first line is shown, so they never hold up the first figures (nine workers at
        once shared the processor with the screen being drawn)."""
        from ...services import dashboard

        self._rest_started = False
        first, rest = dashboard.SECTIONS[:-2], dashboard.SECTIONS[-2:]
        self._rest = rest
        self.run_services_in_order(
            [self._step(section) for section in first], group="dashboard", exclusive=True
        )

    def _step(self, section: str) -> tuple[Any, Any, Any]:
        from ...services import dashboard

        return (
            lambda: dashboard.section(section),
            lambda figures: self._show(section, figures),
            lambda error: self._failed(section, error),
        )

    def _start_rest(self) -> None:
        if not self._rest_started:
            self._rest_started = True
            self.run_services_in_order(
                [self._step(section) for section in self._rest],
                group="dashboard-slow",
                exclusive=True,
            )

    def _show(self, section: str, figures: Any) -> None:
        self._start_rest()
        self.figures[section] = figures
        key = dict(LINES)[section]
        lines = self.query_one(OptionList)
        lines.replace_option_prompt(section, _prompt(section, key, line_text(section, figures)))
        if section == "concentration":
            alert = self.query_one("#dashboard-alert", Static)
            if figures.alert:
                alert.update(alert_text(figures))
                alert.remove_class("hidden")
            else:
                alert.add_class("hidden")

    def _failed(self, section: str, error: Exception) -> bool:
        from ...services.calls import failure_text

        self._start_rest()
        key = dict(LINES)[section]
        self.query_one(OptionList).replace_option_prompt(
            section,
            _prompt(
                section, key, _("could not be read: {error}").format(error=failure_text(error))
            ),
        )
        return True

    @on(OptionList.OptionSelected, "#dashboard-lines")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.action_open(event.option.id)

    async def action_open(self, section: str) -> None:
        """Open the list behind a line, in the area it belongs to (so F12 comes back here
        from anywhere, and the list stays where its area's key finds it). The area opens
        on its own list, as its F-key does (what was left open on top is closed, unless
        it holds unsaved work), and the line's list goes on it."""
        crm = self.crm
        if section == "follow_ups":
            await crm.action_to_list("agenda")
        elif section == "leads":
            from .leads import LeadsScreen

            await crm.action_to_list("clients")
            crm.push_screen(LeadsScreen())
        elif section in ("receivables", "defaulters"):
            await crm.action_to_list("receivables")
        elif section == "revenue":
            await crm.action_to_list("reports")
        elif section in ("quotes", "orders", "verifactu"):
            await crm.action_to_list("invoices")
            {"quotes": crm.show_quotes, "orders": crm.show_orders, "verifactu": crm.show_verifactu}[
                section
            ]()
        elif section == "concentration":
            figures = self.figures.get("concentration")
            if figures is not None and figures.client_id is not None:
                await crm.action_to_list("clients")
                crm.open_client(figures.client_id, tab="analytics")
            else:
                await crm.action_to_list("reports")
