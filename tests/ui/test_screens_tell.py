"""What the screens say (issue 16): F1 is this screen's keys, the agenda says when only
everyone's has entries, "done" can be undone, the palette's Screenshot is saved and said,
the Quotes and Orders screens paint every row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.people import ME
from tests.ui.screen_text import screen_text
from tui_crm import config
from tui_crm.services import clients, timeline, users
from tui_crm.services.clients import AddressInput, ClientInput
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.timeline import ActivityData
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.help import ScreenHelp
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.client_file import ClientFileScreen

from .conftest import fresh_ui, settle

TODAY = dt.date.today()


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields), AddressInput(city="Jaén"))


async def test_f1_shows_the_keys_of_this_screen(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        await pilot.press("f1")
        await settle(pilot, app)
        assert isinstance(app.screen, ScreenHelp)
        text = screen_text(app)
        assert "Archive/unarchive" in text and "Search clients" in text  # this screen's
        assert "F2" in text and "Clients" in text  # … and the keys of everywhere
        assert "Scroll" not in text and "Focus Next" not in text  # not Textual's list
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)


async def test_f1_speaks_spanish(db) -> None:
    with fresh_ui("es") as ui:
        app = ui.CrmApp(db.opened, first_run=False, start="clients")
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot, app)
            await pilot.press("f1")
            await settle(pilot, app)
            text = screen_text(app)
    assert "Teclas" in text and "Buscar" in text and "Clientes" in text
    assert "Search" not in text


async def test_an_empty_agenda_of_mine_offers_everyones(db) -> None:
    alfa = make("Alfa SL")
    users.register("marta")
    set_actor(Actor("marta", "sales"))
    for subject in ("Llamar", "Enviar oferta"):
        timeline.create_activity(alfa, ActivityData(subject=subject, due_date=TODAY))
    set_actor(Actor(ME, "admin"))
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen)
        words = " ".join(screen_text(app).split())  # the text wraps: never cut at 80 columns
        assert "Everyone's agenda has 2 entries: m shows them." in words, words
        await pilot.press("m")
        await settle(pilot, app)
        assert "Llamar" in screen_text(app)
        await pilot.press("d")
        await settle(pilot, app)
        assert any("u undoes it" in str(n.message) for n in app._notifications)
        done = [a for a in timeline.list_timeline(alfa) if a.done_at is not None]
        assert len(done) == 1
        await pilot.press("u")
        await settle(pilot, app)
        assert all(a.done_at is None for a in timeline.list_timeline(alfa))


async def test_the_palettes_screenshot_is_saved_and_said(db) -> None:
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"screenshot")
        await settle(pilot, app)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await settle(pilot, app)
        said = [str(n.message) for n in app._notifications if "Screenshot saved" in str(n.message)]
    assert said, [str(n.message) for n in app._notifications]
    path = Path(said[0].split(" to ", 1)[1])
    assert path.parent == config.data_dir() / "screenshots"
    assert path.read_text(encoding="utf-8").startswith("<svg")


async def test_quotes_and_orders_paint_every_row(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for show in (app.show_quotes, app.show_orders):
            app.open_client(cid)  # a screen with text on every row beneath
            await settle(pilot, app)
            show()
            await settle(pilot, app)
            for y in range(6):
                for x in range(0, 80, 7):
                    widget, _region = app.screen.get_widget_at(x, y)
                    assert widget is not app.screen, (show.__name__, x, y)
            await pilot.press("escape")
            await settle(pilot, app)


async def test_a_fields_error_wraps_at_80_columns(db) -> None:
    from textual.widgets import Input

    from tui_crm.ui.dialogs.form import field_id

    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        await pilot.press(*"Talleres Sur")
        form.query_one(f"#{field_id('tax_id')}", Input).value = "B12345675"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        error = form.query_one(f"#{field_id('tax_id')}-error")
        said = str(error.render())
        assert "check digit" in said
        assert error.size.height >= 2  # wrapped, not cut at the form's edge
        words = " ".join(screen_text(app).split())
        assert said.split()[-1] in words  # its last word is on screen


async def test_the_client_files_tabs_are_never_cut(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        text = screen_text(app)
        for name in ("Info", "Contacts", "Timeline", "Opps.", "Docs", "Sales", "Stats"):
            assert name in text, name
        await pilot.resize_terminal(140, 30)
        await settle(pilot, app)
        text = screen_text(app)
        assert "Opportunities" in text and "Analytics" in text


async def test_the_invoice_list_keeps_date_status_and_due_at_80_columns(db) -> None:
    from tui_crm.ui.widgets.lazy_table import LazyTable

    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f4")
        await settle(pilot, app)
        header = screen_text(app).splitlines()[4]
        for column in ("Number", "Date", "Client", "Total", "Status", "Due"):
            assert column in header, header
        assert "Base" not in header  # the least important gave way first
        assert app.screen.query_one(LazyTable).size.width <= 80


def test_columns_give_way_least_important_first() -> None:
    from tui_crm.ui.screens.agenda import agenda_columns
    from tui_crm.ui.screens.receivables import receivable_columns
    from tui_crm.ui.widgets.lazy_table import Column, layout_widths

    columns = [
        Column("a", "A", 10, min_width=10),
        Column("b", "B", 20, flex=True, min_width=8),
        Column("c", "C", 10, min_width=6, priority=1),
        Column("d", "D", 10, min_width=6, priority=2),
    ]
    # Squeezed (the optional ones first) before anything is hidden …
    assert layout_widths(columns, 58) == [10, 20, 10, 10]
    assert layout_widths(columns, 40) == [10, 10, 6, 6]
    # … and hidden least important first, only when even their minimums do not fit.
    assert layout_widths(columns, 36) == [10, 14, 6, 0]
    assert layout_widths(columns, 30) == [10, 8, 6, 0]
    assert layout_widths(columns, 25) == [10, 11, 0, 0]
    board = dict(
        zip(
            (c.key for c in receivable_columns()),
            layout_widths(receivable_columns(), 118),
            strict=True,
        )
    )
    assert board["reminded"] >= 10 and board["bucket"] >= len("Over 90 days")
    agenda = dict(
        zip((c.key for c in agenda_columns()), layout_widths(agenda_columns(), 118), strict=True)
    )
    assert agenda["subject"] >= len("Reclamación de la factura F2026-00123")


async def test_the_sales_tab_says_statuses_in_words(db) -> None:
    from invoicing_support import draft, set_issuer

    set_issuer()
    cid = make("Alfa SL", kind="client")
    draft(cid)
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid, "sales")
        await settle(pilot, app)
        text = screen_text(app)
    assert "Draft" in text and " draft " not in text


async def test_spanish_screens_say_words_and_decimal_commas(db) -> None:
    """The Sales tab's statuses in Spanish, the board's shares with a decimal comma."""
    from invoicing_support import issued, make_client, set_issuer

    set_issuer()
    cid = make_client()
    issued(cid, TODAY - dt.timedelta(days=60))
    with fresh_ui("es") as ui:
        app = ui.CrmApp(db.opened, first_run=False, start="clients")
        async with app.run_test(size=(120, 35)) as pilot:
            await settle(pilot, app)
            app.open_client(cid, "sales")
            await settle(pilot, app)
            sales = screen_text(app)
            await pilot.press("f5")
            await settle(pilot, app)
            board = " ".join(screen_text(app).split())
    assert "Emitida" in sales and "issued" not in sales
    assert "100,0 %" in board and "100.0" not in board, board


async def test_the_palettes_invoices_and_receivables_open_their_lists_as_f4_and_f5(db) -> None:
    """What was left open on top of the section (the quotes here) is closed, as F4/F5 do."""
    from tui_crm.ui.screens.invoice_list import InvoicesScreen
    from tui_crm.ui.screens.quote_list import QuotesScreen
    from tui_crm.ui.screens.receivables import ReceivablesScreen

    app = CrmApp(db.opened, first_run=False, start="invoices")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.show_quotes()
        await settle(pilot, app)
        assert isinstance(app.screen, QuotesScreen)
        await pilot.press("f2")
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"Invoices")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoicesScreen), app.screen
        assert app.current_mode == "invoices"
        await pilot.press("f5")
        await settle(pilot, app)
        app.open_client(make("Beta SL"))
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"Receivables")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ReceivablesScreen), app.screen
