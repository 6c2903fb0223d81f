"""Typing a word never acts (issue 16): confirmations take only their own keys, `/`
searches from a client file, F2/F3 go to their lists, every checkbox label is readable."""

from __future__ import annotations

from textual.color import Color
from textual.widgets import Checkbox, Input

from tui_crm.models import Client
from tui_crm.services import clients
from tui_crm.services.clients import AddressInput, ClientInput
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.clients import ClientsScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import fresh_ui, settle


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields), AddressInput(city="Jaén"))


async def open_file(pilot, app, client_id: int, tab: str = "overview") -> ClientFileScreen:
    app.open_client(client_id, tab)
    await settle(pilot, app)
    assert isinstance(app.screen, ClientFileScreen)
    return app.screen


async def test_a_name_typed_into_a_client_file_archives_nothing(db) -> None:
    """ "vidal quiñ…" used to pop the archive question at its `a` and confirm it with what
    followed; now the question swallows the rest of the typing, even space and enter."""
    cid = make("Vidal Quiñones SL", kind="client")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        await pilot.press(*"vidal quiñ")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)  # asked at the `a`, nothing done
        await pilot.press("space", "enter", *"o", "tab", "enter", "space", *"sl")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)  # still asking: only y or n answer
        assert Client.get_by_id(cid).status == "active"
        await pilot.press("n")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
    assert Client.get_by_id(cid).status == "active"
    assert Client.get_by_id(cid).kind == "client"


async def test_the_yes_key_and_escape_answer_the_question(db) -> None:
    cid = make("Alfa SL", kind="client")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        await pilot.press("a", "escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert Client.get_by_id(cid).status == "active"
        await pilot.press("a")
        await settle(pilot, app)
        assert "Archive (y)" in str(app.screen.query_one("#dialog-yes").label)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
    assert Client.get_by_id(cid).status == "archived"


async def test_a_spanish_question_answers_to_s_not_to_y(db) -> None:
    cid = make("Alfa SL", kind="client")
    with fresh_ui("es") as ui:
        await _archive_in_spanish(ui, db, cid)
    assert Client.get_by_id(cid).status == "archived"


async def _archive_in_spanish(ui, db, cid: int) -> None:
    app = ui.CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        yes = str(app.screen.query_one("#dialog-yes").label)
        assert yes.endswith("(s)"), yes
        await pilot.press("y")  # "y" is a word in Spanish ("and"), not an answer
        await settle(pilot, app)
        assert Client.get_by_id(cid).status == "active"
        await pilot.press("s")
        await settle(pilot, app)


async def test_slash_in_a_client_file_searches_the_clients(db) -> None:
    cid = make("Ferretería Muñoz SL")
    make("Transportes Treviño SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid, "contacts")
        await pilot.press("slash")
        await settle(pilot, app)
        await pilot.press(*"treviño")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)
        search = app.screen.query_one("#client-search", Input)
        assert search.value == "treviño"
        assert app.screen.query_one(LazyTable).row_count == 1
        await pilot.press("escape", "escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)  # the file was left, not stacked
    assert Client.get_by_id(cid).status == "active"


async def test_f2_and_f3_go_to_their_lists(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        app.show_audit(cid, "History")
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen)
        await pilot.press("enter")  # nothing on the agenda: stays
        app.open_client(cid)
        await settle(pilot, app)
        await pilot.press("f2")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)
        assert len(app.screen_stack) == 1
        await pilot.press("f3")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen) and len(app.screen_stack) == 1
        await pilot.press("f2")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)


async def test_f2_keeps_a_form_with_unsaved_changes(db) -> None:
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        await pilot.press(*"Talleres")
        await pilot.press("f3", "f2")
        await settle(pilot, app)
        assert app.screen is form  # nothing typed is lost


def _readable(app, box: Checkbox) -> None:
    style = box.get_component_rich_style("toggle--label")
    fg = Color.from_rich_color(style.color)
    bg = Color.from_rich_color(style.bgcolor)
    assert abs(fg.brightness - bg.brightness) > 0.4, (box.label, style)


async def test_every_checkbox_label_is_readable(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for opened in ("client form", "address form", "contact form"):
            if opened == "client form":
                await pilot.press("n")
            else:
                await open_file(pilot, app, cid, "addresses" if "address" in opened else "contacts")
                await pilot.press("n")
            await settle(pilot, app)
            boxes = list(app.screen.query(Checkbox))
            assert boxes, opened
            for box in boxes:
                _readable(app, box)
                box.focus()
                await pilot.pause()
                _readable(app, box)
            await pilot.press("escape")
            await settle(pilot, app)
            if isinstance(app.screen, ConfirmDialog):
                await pilot.press("y")
                await settle(pilot, app)


async def test_slash_finds_in_a_list_without_a_search_of_its_own(db) -> None:
    """The agenda: `/` and a word move the cursor to it; its letters run no keys."""
    import datetime as dt

    from tui_crm.services import timeline
    from tui_crm.services.timeline import ActivityData
    from tui_crm.ui.widgets.find_bar import FindBar

    cid = make("Alfa SL")
    today = dt.date.today()
    for subject in ("Llamar a Rocío", "Enviar oferta", "Reclamar la factura"):
        timeline.create_activity(cid, ActivityData(subject=subject, due_date=today))
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 3
        await pilot.press("slash", *"reclamar")  # "d" would mark one done, "r" reschedule
        await settle(pilot, app)
        assert isinstance(app.focused, FindBar)
        assert "Reclamar" in table.get_row(table.cursor_index).cells[5]
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.focused is table and not app.screen.query(FindBar)
    assert all(a.done_at is None for a in timeline.list_timeline(cid))


async def test_a_spanish_name_typed_on_does_not_answer_si(db) -> None:
    """ "vidal asesores": the archive question opens at the `a` of "vidal" … and of "as";
    the `s` right behind, typed before the question could be read, is no "sí". After a
    pause, `s` answers."""
    cid = make("Vidal Asesores SL", kind="client")
    with fresh_ui("es") as ui:
        await _type_on_in_spanish(ui, db, cid)
    assert Client.get_by_id(cid).status == "archived"


async def _type_on_in_spanish(ui, db, cid: int) -> None:
    import asyncio

    app = ui.CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        for key in "vidal asesores":  # a person typing: a key every tenth of a second
            await pilot.press(key)
            await asyncio.sleep(0.1)
        await settle(pilot, app)
        assert app.screen.__class__.__name__ == "ConfirmDialog"
        assert Client.get_by_id(cid).status == "active"  # none of its "s" said yes
        await asyncio.sleep(1.0)  # the person stops and reads the question
        await pilot.press("s")
        await settle(pilot, app)
