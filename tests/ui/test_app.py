"""The first TUI: first-run form, the client list over the database, search, palette."""

from __future__ import annotations

from tui_crm.services import clients, settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.screens.first_run import FirstRunScreen, _field_id
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle


def _make_clients(names):
    return [
        clients.create_client(
            clients.ClientInput(legal_name=name), clients.AddressInput(city="Jaén")
        )
        for name in names
    ]


async def test_first_run_asks_for_the_business_data_and_saves_it(db):
    app = CrmApp(db.opened)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, FirstRunScreen)
        assert app.focused.id == _field_id("company.name")
        await pilot.press(*"Talleres Núñez SL", "tab", *"B12345675", "ctrl+s")
        await settle(pilot, app)
        # the tax ID is wrong and address fields are missing: the form stays, reasons shown
        assert isinstance(app.screen, FirstRunScreen)
        error = app.screen.query_one(f"#{_field_id('company.tax_id')}-error")
        assert "check digit" in str(error.render())
        assert "-shown" in app.screen.query_one(f"#{_field_id('company.city')}-error").classes
        assert app.focused.id == _field_id("company.tax_id")  # the first wrong field, in form order
        await pilot.press("backspace", "4")  # B12345674 is valid
        await pilot.press("tab", *"Calle Mayor 1", "tab", *"23001", "tab", *"Jaén", "ctrl+s")
        await settle(pilot, app)
        assert not isinstance(app.screen, FirstRunScreen)
    assert settings.get("company.name") == "Talleres Núñez SL"
    assert settings.get("company.tax_id") == "B12345674"
    assert settings.get("company.city") == "Jaén"
    assert settings.missing_for_invoicing() == []


async def test_first_run_can_be_left_for_later(db):
    app = CrmApp(db.opened)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FirstRunScreen)
    assert settings.missing_for_invoicing()  # still missing: it will ask again next time


async def test_client_list_search_and_filters(db):
    _make_clients(["Muñoz Hermanos SL", "Peña Arquitectos", "Ibáñez [bold]Consulting[/]"])
    archived = _make_clients(["Archivada SA"])[0]
    clients.archive_client(archived)
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 3  # active only
        assert "Ibáñez [bold]Consulting[/]" in table.render_line(1).text  # literally, sorted first

        await pilot.press("slash", *"munoz")
        await settle(pilot, app)
        assert table.row_count == 1
        await pilot.press("enter")  # opens the first match (issue 3)
        await settle(pilot, app)
        from tui_crm.ui.screens.client_file import ClientFileScreen

        assert isinstance(app.screen, ClientFileScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.focused is table
        assert "Muñoz Hermanos SL" in table.render_line(1).text

        await pilot.press("slash", "escape")  # escape clears the search
        await settle(pilot, app)
        assert table.row_count == 3
        await pilot.press("a")  # archived
        await settle(pilot, app)
        assert table.row_count == 1
        assert "Archivada SA" in table.render_line(1).text


async def test_palette_goes_to_a_client(db):
    ids = _make_clients([f"Cliente {i:03d}" for i in range(150)] + ["Zapatería Núñez"])
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"nunez")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.pause(0.3)
        await settle(pilot, app)
        # the palette opens the client's file (issue 3), not just the row of the list
        from tui_crm.ui.screens.client_file import ClientFileScreen

        assert isinstance(app.screen, ClientFileScreen)
        assert app.screen.client_id == ids[-1]


async def test_modes_show_the_theme_in_use_when_opened_and_when_come_back_to(db):
    """A mode's screen is styled by the stylesheet in use: opened after the theme changed,
    and come back to after the theme changed while it was left (each mode's new screen is
    no longer restyled from scratch when it opens: its widgets are styled as they mount)."""
    from textual.widgets import Header

    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        dark = app.screen.query_one(Header).styles.background
        app.theme = "textual-light"
        await settle(pilot, app)
        light = app.screen.query_one(Header).styles.background
        assert light != dark
        await pilot.press("f4")  # a mode opened after the change
        await settle(pilot, app)
        assert app.current_mode == "invoices"
        assert app.screen.query_one(Header).styles.background == light
        app.theme = "textual-dark"
        await settle(pilot, app)
        await pilot.press("f2")  # the mode left while the theme changed
        await settle(pilot, app)
        assert app.screen.query_one(Header).styles.background == dark
