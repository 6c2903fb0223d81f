"""The client file's Analytics tab and analytics line, pressing the real keys (book of
`analytics_book`, as of 2026-03-15)."""

from __future__ import annotations

from analytics_book import AS_OF, build_book

from tests.ui.screen_text import screen_text
from tui_crm.services import clients
from tui_crm.ui.app import CrmApp
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.widgets.client_analytics import ClientAnalyticsLine, ClientAnalyticsPanel

from .conftest import settle


async def open_file(pilot, app, client_id: int, tab: str = "overview") -> ClientFileScreen:
    app.push_screen(ClientFileScreen(client_id, tab, as_of=AS_OF))
    await settle(pilot, app)
    assert isinstance(app.screen, ClientFileScreen)
    return app.screen


def panel_text(screen) -> str:
    panel = screen.query_one(ClientAnalyticsPanel)
    return "\n".join(str(w.render()) for w in panel.query("Static"))


async def test_analytics_tab_shows_every_figure(db) -> None:
    book = build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        screen = await open_file(pilot, app, book.alfa)
        await pilot.press("9")  # the Analytics tab
        await settle(pilot, app)
        assert screen.active_tab == "analytics"
        assert app.focused is screen.query_one(ClientAnalyticsPanel)
        text = screen_text(app)
        # Revenue: total, this year, last year, same dates, change, shares.
        for expected in (
            "Total €7,400.00",
            "This year €4,000.00",
            "Last year €2,400.00",
            "Same dates last year €2,000.00",
            "+€2,000.00 (+100.0%)",
            "80.0% this year · 52.1% all time",
            # Payments.
            "Outstanding €1,210.00",
            "Average days to pay 36.3",
            "Average days late 6.3",
            "Paid on time 33%",
            "Not a defaulter",
            # Lifetime value, and how it is computed.
            "Lifetime value €9,600.00",
            "average invoice €1,600.00 × 2.0 invoices a year",
            "3 years of relationship",
            # Products, quotes, orders, pipeline, last interaction.
            "Diseño web (WEB)",
            "Mantenimiento",
            "Rejected quotes 1 (€1,500.00)",
            "Open orders 1 (€500.00 to invoice)",
            "Opportunity pipeline €11,000.00 in 2 open opportunities, €5,750.00 weighted",
            "Envío de propuesta",
        ):
            assert expected in text, expected
        # Margin table: January 2026 (3000 - 1200 = 1800, 60 %) and the 12-month total.
        assert any(
            "2026-01" in line and "€1,800.00" in line and "60.0%" in line
            for line in text.splitlines()
        )
        # The total names the days it covers (not "12 months": it runs to the as-of day).
        assert any(
            "2025-04-01 to 2026-03-15" in line and "€2,700.00" in line for line in text.splitlines()
        )
        # n / e / delete do nothing here (and are not offered).
        await pilot.press("e", "n", "delete")
        await settle(pilot, app)
        assert app.screen is screen
        # ← and → move through the tabs, Analytics included.
        await pilot.press("left")
        await settle(pilot, app)
        assert screen.active_tab == "sales"
        await pilot.press("right")
        await settle(pilot, app)
        assert screen.active_tab == "analytics"


async def test_analytics_line_under_the_header_and_defaulter_flag(db) -> None:
    book = build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        screen = await open_file(pilot, app, book.beta)
        line = screen.query_one(ClientAnalyticsLine)
        text = str(line.render())
        # Beta owes 5808.00 past due: flagged first.
        assert text.startswith("DEFAULTER")
        # Last year 5000 (#5 + #7); this year 800 vs 1000 on the same dates: -20 %.
        assert "Last year €5,000.00" in text and "−20.0% vs same dates last year" in text
        # 800 of the business's 5000 this year.
        assert "Share this year 16.0%" in text
        assert "Pays in 30.0 days" in text
        await pilot.press("9")
        await settle(pilot, app)
        assert "Defaulter: €5,808.00 overdue." in screen_text(app)
        assert "(2 invoices, the oldest 100 days late)" in screen_text(app)


async def test_analytics_line_fits_80_columns_and_hostile_names_stay_text(db) -> None:
    book = build_book()
    clients.update_client(
        book.alfa,
        clients.ClientInput(legal_name="[b]Alfa[/b]", tax_id="11111111H", kind="client"),
        1,
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        screen = await open_file(pilot, app, book.alfa, "analytics")
        assert screen.active_tab == "analytics"
        line = screen.query_one(ClientAnalyticsLine)
        assert line.size.height == 1
        assert len(str(line.render())) <= 78
        assert "Last year €2,400.00" in str(line.render())
        assert "[b]Alfa[/b]" in screen_text(app)
        # Scrolling the panel down reaches the last section.
        await pilot.press("end")
        await settle(pilot, app)
        assert "Envío de propuesta" in screen_text(app)
