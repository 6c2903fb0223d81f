"""The home screen: the app opens on it, the frame first and the figures as they come,
each line opening its list with one key, F12 back from anywhere, the concentration
warning. Over the demo business (tests/ui/conftest.py), pressing the real keys."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from tui_crm.services import dashboard, settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.dashboard import DashboardScreen, line_text
from tui_crm.ui.screens.invoice_list import InvoicesScreen
from tui_crm.ui.screens.order_list import OrdersScreen
from tui_crm.ui.screens.quote_list import QuotesScreen
from tui_crm.ui.screens.receivables import ReceivablesScreen
from tui_crm.ui.screens.reports import ReportsScreen

from .conftest import settle


def line(screen: DashboardScreen, section: str) -> str:
    lines = screen.query_one(OptionList)
    return str(lines.get_option(section).prompt)


async def test_opens_on_the_dashboard_with_the_services_figures(demo) -> None:
    app = CrmApp(demo, first_run=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await settle(pilot, app)
        for section in dashboard.SECTIONS:
            expected = line_text(section, dashboard.section(section))
            assert expected and expected in line(screen, section), section
        await pilot.press("q")
        await settle(pilot, app)
        assert isinstance(app.screen, QuotesScreen)
        await pilot.press("f12")
        await settle(pilot, app)
        assert app.screen is screen
        await pilot.press("o")
        await settle(pilot, app)
        assert isinstance(app.screen, OrdersScreen)
        # in the invoices' area (F4), on its own list, as F4 would open it: not on the quotes
        # left open before
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoicesScreen)
        await pilot.press("f12")
        await settle(pilot, app)
        assert app.screen is screen
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen)
        await pilot.press("f12", "down", "down", "enter")  # the third line: receivables
        await settle(pilot, app)
        assert isinstance(app.screen, ReceivablesScreen)
        await pilot.press("f12", "v")  # this month's revenue: the Reports screen
        await settle(pilot, app)
        assert isinstance(app.screen, ReportsScreen)


async def test_warns_when_one_client_brings_too_much(demo) -> None:
    share = dashboard.concentration().share_pct
    settings.set_many({"analytics.concentration_alert": str(max(1, int(share) - 1))})
    app = CrmApp(demo, first_run=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, app)
        alert = app.screen.query_one("#dashboard-alert", Static)
        assert alert.display
        assert dashboard.concentration().client in str(alert.render())
        await pilot.press("c")
        await settle(pilot, app)
        from tui_crm.ui.screens.client_file import ClientFileScreen

        assert isinstance(app.screen, ClientFileScreen)
        assert app.screen.client_id == dashboard.concentration().client_id


async def test_no_warning_under_the_threshold(demo) -> None:
    settings.set_many({"analytics.concentration_alert": "100"})
    app = CrmApp(demo, first_run=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, app)
        assert not app.screen.query_one("#dashboard-alert", Static).display
