"""The Reports screen (F6), pressing the real keys over the book of `analytics_book`:
switching reports, the chart, year and period changes, workers, export, opening a client."""

from __future__ import annotations

import openpyxl
from analytics_book import AS_OF, build_book
from textual.widgets import Input, TabPane
from textual_plotext import PlotextPlot

from tests.ui.screen_text import screen_text
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.export import ExportDialog, ExportProgress
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.dialogs.prompt import PromptForm
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.reports import ReportsScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle


async def open_reports(pilot, app) -> ReportsScreen:
    app.push_screen(ReportsScreen(as_of=AS_OF))
    await settle(pilot, app)
    assert isinstance(app.screen, ReportsScreen)
    return app.screen


def summary(screen: ReportsScreen, report: str) -> str:
    return str(screen.query_one(f"#rp-{report}-summary").render())


def cells(table: LazyTable) -> list[tuple[str, ...]]:
    return [table.get_row(i).cells for i in range(table.row_count)]


async def test_f6_opens_the_reports_and_the_period_form_sets_year_and_date(db) -> None:
    build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f6")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert screen.active == "ranking"
        assert screen.computed["ranking"] == screen.generation  # computed on arrival
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PromptForm)
        # A date before the year is refused beside the field, the form stays.
        await pilot.press(*"2025", "tab", *"2024-12-31", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        assert "before the year 2025" in str(
            app.screen.query_one(f"#{field_id('as_of')}-error").render()
        )
        year = app.screen.query_one(f"#{field_id('year')}", Input)
        year.value = ""
        date = app.screen.query_one(f"#{field_id('as_of')}", Input)
        date.value = "2026-03-15"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        assert "2026: 2026-01-01 to 2026-03-15" in screen_text(app)
        # 4000 + 800 + 200; a year earlier 2000 + 1000.
        assert "Revenue €5,000.00" in summary(screen, "ranking")
        assert "+€2,000.00 (+66.7%)" in summary(screen, "ranking")
        table = screen.table("ranking")
        assert [c[1] for c in cells(table)] == ["Alfa Diseño SL", "Beta Obras SL", "Delta Nueva SL"]
        assert cells(table)[0][2:4] == ("€4,000.00", "80.0%")


async def test_switching_reports_and_the_monthly_chart(db) -> None:
    build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        screen = await open_reports(pilot, app)
        assert "monthly" not in screen.computed  # computed when first shown, not before
        await pilot.press("2")
        await settle(pilot, app)
        assert screen.active == "monthly"
        chart = screen.results["monthly"]["chart"]
        assert len(chart) == 24
        assert chart[0][0] == "2024-04"
        assert chart[-1][0] == "2026-03"
        assert (chart[-1][1], chart[-1][2]) == (1200, 0)  # to the 15th, beside nothing
        plot = screen.query_one("#rp-chart", PlotextPlot)
        assert plot.size.height >= 8
        text = screen_text(app)
        # The chart is drawn: its legend, an axis tick and bars.
        assert "A year earlier" in text and "2025-01" in text and "█" in text
        # The months listed against exactly the same days a year earlier, both named.
        headline = summary(screen, "monthly")
        assert "2025-04-01 to 2026-03-15 €8,900.00" in headline
        assert "same days a year earlier (2024-04-01 to 2025-03-15)" in headline
        monthly = screen.table("monthly")
        assert monthly.row_count == 24
        assert cells(monthly)[-3] == ("2026-01", "€3,000.00", "€2,000.00", "+50.0%")
        await pilot.press("right")
        await settle(pilot, app)
        assert screen.active == "defaulters"
        assert "1 defaulter owes €5,808.00 overdue: 33.8%" in summary(screen, "defaulters")
        assert cells(screen.table("defaulters"))[0][:5] == (
            "Beta Obras SL",
            "22222222J",
            "€5,808.00",
            "2",
            "100",
        )
        await pilot.press("4")
        await settle(pilot, app)
        assert screen.active == "pnl"
        assert "Sales €5,000.00" in summary(screen, "pnl")
        assert [c[:3] for c in cells(screen.table("pnl"))] == [
            ("Alfa Diseño SL", "2026-01", "€3,000.00"),
            ("Alfa Diseño SL", "2026-03", "€1,000.00"),
            ("Beta Obras SL", "2026-02", "€800.00"),
            ("Delta Nueva SL", "2026-03", "€200.00"),
        ]
        await pilot.press("5")
        await settle(pilot, app)
        assert [c[0] for c in cells(screen.table("pipeline"))] == [
            "new",
            "qualified",
            "proposal",
            "negotiation",
            "won",
            "lost",
        ]
        assert "Open pipeline €11,333.33" in summary(screen, "pipeline")
        await pilot.press("right")  # the Modelo 347 tab comes after the pipeline
        await settle(pilot, app)
        assert screen.active == "m347"
        await pilot.press("right")  # wraps around to the ranking
        await settle(pilot, app)
        assert screen.active == "ranking"


async def test_year_change_recomputes_every_report_for_the_new_period(db) -> None:
    build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = await open_reports(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("1", "left_square_bracket")
        await settle(pilot, app)
        assert "2025: 2025-01-01 to 2025-12-31" in screen_text(app)
        # 2025 whole: 7400 against 1800 in 2024.
        assert "Revenue €7,400.00" in summary(screen, "ranking")
        assert [c[1] for c in cells(screen.table("ranking"))] == [
            "Beta Obras SL",
            "Alfa Diseño SL",
            "Gamma Perdida SL",
        ]
        # The monthly report was computed for 2026: stale, recomputed when shown again.
        assert screen.computed["monthly"] != screen.generation
        await pilot.press("2")
        await settle(pilot, app)
        assert screen.results["monthly"]["chart"][-1][0] == "2025-12"
        # Two years back without waiting: only the last period's result is shown.
        await pilot.press("1", "left_square_bracket", "left_square_bracket")
        await settle(pilot, app)
        assert "2023: 2023-01-01 to 2023-12-31" in screen_text(app)
        assert "No revenue in 2023 nor in 2022" in summary(screen, "ranking")
        assert not screen.query_one("#rp-ranking", TabPane).loading
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        # 2024: 1800 against nothing in 2023.
        assert "Revenue €1,800.00" in summary(screen, "ranking")
        await pilot.press("t")  # back to this year
        await settle(pilot, app)
        assert screen.choice.year is None and screen.choice.as_of is None


async def test_export_the_ranking_to_excel_with_shares_as_percentages(db, tmp_path) -> None:
    build_book()
    out = tmp_path / "ranking.xlsx"
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_reports(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("ctrl+u", *str(out), "enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, ExportDialog | ExportProgress)
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Client ranking 2026"
    header = rows[3]
    assert header[:4] == ("Client", "Tax ID", "Revenue", "Share")
    alfa = next(r for r in rows if r[0] == "Alfa Diseño SL")
    # Revenue a number in euros; the share 80 % as a spreadsheet percentage.
    assert alfa[2] == 4000 and abs(alfa[3] - 0.8) < 1e-9 and alfa[6] == 1
    share_cell = next(c for c in sheet[5] if c.column == 4)
    assert "%" in share_cell.number_format


async def test_enter_on_a_ranked_client_opens_its_file(db) -> None:
    book = build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_reports(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert app.screen.client_id == book.beta
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ReportsScreen)


async def test_reports_fit_80_columns(db) -> None:
    build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        screen = await open_reports(pilot, app)
        for key in "12345":
            await pilot.press(key)
            await settle(pilot, app)
            lines = screen_text(app).splitlines()
            assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        await pilot.press("2")
        await settle(pilot, app)
        assert screen.query_one("#rp-chart", PlotextPlot).size.height >= 8
        assert "2026-01" in screen_text(app)  # a tick of the chart


async def test_the_pnl_rows_are_never_covered_while_its_totals_compute(db) -> None:
    """The P&L's table reads its own pages: no loading indicator covers its pane while the
    totals above it are computed (the rows come first, the summary fills in after)."""
    build_book()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        screen = await open_reports(pilot, app)
        pane = screen.query_one("#rp-pnl", TabPane)
        seen = []
        pane.watch(pane, "loading", lambda value: seen.append(value), init=False)
        await pilot.press("4")
        await settle(pilot, app)
        assert screen.active == "pnl"
        assert seen == [] and not pane.loading
        assert "Sales €5,000.00" in summary(screen, "pnl")
        assert screen.table("pnl").row_count == 4
        await pilot.press("2")  # another report still shows its indicator while computing
        await settle(pilot, app)
        assert not screen.query_one("#rp-monthly", TabPane).loading


async def test_the_rankings_top_shows_before_the_whole_ranking(db, monkeypatch) -> None:
    """The top clients come from the per-year totals and show at once; the whole ranking
    (bottom clients, summary) fills in after them, the cursor left where it was moved."""
    import threading
    from dataclasses import replace

    from tui_crm.ui.screens import reports

    build_book()
    release = threading.Event()
    whole = reports.compute

    def held(report, *args):
        if report == "ranking":
            release.wait(30)
        return whole(report, *args)

    monkeypatch.setattr(reports, "compute", held)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = ReportsScreen(year=2025)
        screen.choice = replace(screen.choice, top=2)
        app.push_screen(screen)
        table = None
        for _ in range(500):
            await pilot.pause(0.01)
            if "ranking" in screen.built and screen.table("ranking").row_count:
                table = screen.table("ranking")
                if table.get_row(table.row_count - 1) is not None:
                    break
        assert table is not None
        # 2025: Beta 5000 and Alfa 2400 of 7400, while the whole ranking is still computing.
        assert [c[:4] for c in cells(table)] == [
            ("1", "Beta Obras SL", "€5,000.00", "67.6%"),
            ("2", "Alfa Diseño SL", "€2,400.00", "32.4%"),
        ]
        assert "Computing" in summary(screen, "ranking")
        assert not screen.query_one("#rp-ranking", TabPane).loading
        await pilot.press("down")
        release.set()
        await settle(pilot, app)
        # Gamma (nothing in 2025, 500 in 2024) ranks last, after a gap of no client.
        assert [c[:2] for c in cells(table)] == [
            ("1", "Beta Obras SL"),
            ("2", "Alfa Diseño SL"),
            ("", "…"),
            ("3", "Gamma Perdida SL"),
        ]
        assert "Revenue €7,400.00" in summary(screen, "ranking")
        assert table.cursor_index == 1
