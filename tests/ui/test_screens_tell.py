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
    app = CrmApp(db.opened, first_run=False)
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
        app = ui.CrmApp(db.opened, first_run=False)
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
    app = CrmApp(db.opened, first_run=False)
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
    app = CrmApp(db.opened, first_run=False)
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
    app = CrmApp(db.opened, first_run=False)
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
