"""The app starts with app.tcss and its first screen's stylesheet only; the rest is read
once that screen shows its rows, and before any other screen opens. Reading them later
must change nothing on the first screen, and every other screen is styled as before."""

from __future__ import annotations

import asyncio

import pytest

from tui_crm.ui import app as app_module
from tui_crm.ui.app import CrmApp
from tui_crm.ui.styles import MODE_STYLESHEETS, STYLESHEETS, css_paths

from .conftest import settle


def _styles(app: CrmApp) -> dict[str, object]:
    """Every node's rules from the stylesheets, by its place in the DOM."""
    found = {}
    for screen in app.screen_stack:
        for n, node in enumerate(screen.walk_children(with_self=True)):
            key = f"{type(screen).__name__}/{n}/{type(node).__name__}#{node.id}"
            found[key] = (
                sorted(node.classes),
                {name: repr(value) for name, value in node._css_styles.get_rules().items()},
            )
    return found


@pytest.fixture
def later_by_hand(monkeypatch):
    """The later stylesheets are read only when the test says so."""
    monkeypatch.setattr(app_module, "LATER_CSS_AFTER_ROWS_S", 600)
    monkeypatch.setattr(app_module, "LATER_CSS_AT_LATEST_S", 600)


def test_every_mode_names_the_stylesheets_of_its_first_screen():
    assert set(MODE_STYLESHEETS) == set(CrmApp.MODES)
    assert {name for names in MODE_STYLESHEETS.values() for name in names} <= set(STYLESHEETS)


@pytest.mark.parametrize("mode", sorted(MODE_STYLESHEETS))
async def test_reading_the_other_stylesheets_changes_nothing_on_the_first_screen(
    db, later_by_hand, mode
):
    app = CrmApp(db.opened, first_run=False, start=mode)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        read = {str(path) for path in app.css_path}
        assert read == {str(path) for path in css_paths("app", *MODE_STYLESHEETS[mode])}
        before = _styles(app)

        app._read_later_css()
        await pilot.pause()

        assert {str(path) for path in app.css_path} == {
            str(path) for path in css_paths(*STYLESHEETS)
        }
        assert _styles(app) == before


async def test_the_cascade_keeps_the_order_of_reading_every_stylesheet_at_start(db, later_by_hand):
    app = CrmApp(db.opened, first_run=False, start="reports")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app._read_later_css()
        ours = [key for key in app.stylesheet.source if key[1] == ""][: len(STYLESHEETS)]
        assert [path for path, _ in ours] == [str(path) for path in css_paths(*STYLESHEETS)]


async def test_another_screen_opened_first_is_styled_by_its_stylesheet(db, later_by_hand):
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert app._later_css  # not read yet: the test's timers are far away

        await pilot.press("f4")  # the invoices, whose rules are in invoices.tcss
        await settle(pilot, app)

        assert not app._later_css
        table = app.screen.query_one("#invoice-table")
        assert "height" in table._css_styles.get_rules()  # invoices.tcss: height 1fr


async def test_the_rest_is_read_soon_after_the_first_rows(db):
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await asyncio.sleep(app_module.LATER_CSS_AFTER_ROWS_S + 0.1)
        await pilot.pause()
        assert not app._later_css
        assert len(app.css_path) == len(STYLESHEETS)
