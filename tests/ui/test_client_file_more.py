"""More journeys with real keys: documents, agenda, palette, browser filters, hostile text."""

from __future__ import annotations

import datetime as dt
import hashlib

from textual.widgets import Input

from tests.people import ME
from tests.ui.screen_text import screen_lines, screen_text
from tui_crm import config
from tui_crm.models import Activity, Document, Invoice
from tui_crm.services import clients, tags, timeline, users
from tui_crm.services.clients import AddressInput, ClientInput
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.timeline import ActivityData
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.activity_view import ActivityView
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.activity_form import ActivityForm, RescheduleForm
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.client_form import ClientForm
from tui_crm.ui.screens.clients import ClientsScreen
from tui_crm.ui.screens.document_forms import AttachForm, ExportForm
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle

TODAY = dt.date.today()


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields), AddressInput(city="Jaén"))


def table(app, selector: str) -> LazyTable:
    return app.screen.query_one(selector, LazyTable)


# --- documents -----------------------------------------------------------------------


async def test_documents_attach_save_a_copy_and_remove(db, tmp_path) -> None:
    cid = make("Alfa SL")
    source = tmp_path / "in" / "contrato.pdf"
    source.parent.mkdir()
    source.write_bytes(b"%PDF-1.4 firmado")
    out = tmp_path / "out"
    out.mkdir()
    sha = hashlib.sha256(b"%PDF-1.4 firmado").hexdigest()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid, "documents")
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        assert isinstance(app.screen, AttachForm)
        path = app.screen.query_one(f"#{field_id('path')}", Input)
        path.value = str(source.parent) + "/con"
        await settle(pilot, app)
        await pilot.press("end", "right")  # → accepts the completion
        assert path.value == str(source)
        await pilot.press("tab", *"firmado el lunes", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert "contrato.pdf" in screen_text(app)
        assert (config.attachments_dir(db.path) / sha[:2] / sha).exists()

        await pilot.press("s")
        await settle(pilot, app)
        assert isinstance(app.screen, ExportForm)
        app.screen.query_one(f"#{field_id('path')}", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert (out / "contrato.pdf").read_bytes() == b"%PDF-1.4 firmado"
        # again: the file exists, the reason shows beside the path until "replace" is ticked
        await pilot.press("s")
        await settle(pilot, app)
        form = app.screen
        form.query_one(f"#{field_id('path')}", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        assert "already exists" in str(form.query_one(f"#{field_id('path')}-error").render())
        await pilot.press("escape", "y")
        await settle(pilot, app)

        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert table(app, "#list-documents").row_count == 0
    assert Document.select().count() == 0
    assert not (config.attachments_dir(db.path) / sha[:2] / sha).exists()


# --- agenda ----------------------------------------------------------------------------


async def test_agenda_mark_done_reschedule_toggle_and_jump(db) -> None:
    alfa = make("Alfa SL")
    beta = make("Beta SL")
    overdue = timeline.create_activity(
        alfa, ActivityData(subject="Reclamar pago", due_date=TODAY - dt.timedelta(days=2))
    )
    today = timeline.create_activity(beta, ActivityData(subject="Enviar oferta", due_date=TODAY))
    users.register("marta")
    set_actor(Actor("marta", "sales"))
    timeline.create_activity(beta, ActivityData(subject="De Marta", due_date=TODAY))
    set_actor(Actor(ME, "admin"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen)
        agenda = table(app, "#agenda-table")
        assert agenda.row_count == 2
        assert [agenda.get_row(i).style for i in range(2)] == ["danger", "warning"]
        text = screen_text(app)
        assert "Reclamar pago" in text and "overdue" in text and "De Marta" not in text
        await pilot.press("m")  # everyone's
        await settle(pilot, app)
        assert agenda.row_count == 3 and "De Marta" in screen_text(app)
        await pilot.press("m")
        await settle(pilot, app)
        await pilot.press("d")  # the overdue one, under the cursor
        await settle(pilot, app)
        assert timeline.get_activity(overdue).done_at is not None
        assert agenda.row_count == 1
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, RescheduleForm)
        due = app.screen.query_one(f"#{field_id('due_date')}", Input)
        due.value = (TODAY + dt.timedelta(days=7)).isoformat()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert timeline.get_activity(today).due_date == TODAY + dt.timedelta(days=7)
        assert "upcoming" in screen_text(app)
        await pilot.press("enter")  # to the client, on its timeline
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert app.screen.client_id == beta and app.screen.active_tab == "timeline"
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, AgendaScreen)
        await pilot.press("f2")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)


# --- palette -----------------------------------------------------------------------------


async def test_palette_new_client_and_new_activity_for(db) -> None:
    cid = make("Zapatería Núñez")
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"new client")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientForm)
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"activity nunez")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.pause(0.3)
        await settle(pilot, app)
        assert isinstance(app.screen, ActivityForm)
        assert app.screen.client_id == cid
        await pilot.press(*"Llamada desde la paleta", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
    assert [a.subject for a in Activity.select()] == ["Llamada desde la paleta"]


async def test_palette_lists_the_screen_actions(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid, "timeline")
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"reschedule")
        await pilot.pause(0.4)
        assert "Reschedule" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"merge")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot, app)
        assert "Merge Alfa SL with" in screen_text(app)


# --- browser ----------------------------------------------------------------------------


async def test_browser_filters_owner_tag_overdue_and_sort(db) -> None:
    users.register("marta")
    alfa = make("Alfa SL", owner_login="marta")
    beta = make("Beta SL")
    make("Gamma SL")
    tags.set_tags(beta, ["vip"])
    Invoice.create(
        client=alfa,
        status="issued",
        series="F",
        year=TODAY.year,
        number=1,
        code="F-1",
        issue_date=TODAY - dt.timedelta(days=60),
        due_date=TODAY - dt.timedelta(days=30),
        base=100,
        total=121,
        outstanding=121,
    )
    Invoice.create(
        client=beta,
        status="issued",
        series="F",
        year=TODAY.year,
        number=2,
        code="F-2",
        issue_date=TODAY,
        due_date=TODAY + dt.timedelta(days=30),
        base=900,
        total=1089,
        outstanding=1089,
    )
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        browser = table(app, "#client-table")
        assert browser.row_count == 3
        await pilot.press("v")
        await settle(pilot, app)
        assert browser.row_count == 1 and "Alfa SL" in browser.render_line(1).text
        assert "with overdue invoices" in screen_text(app)
        await pilot.press("v", "t")
        await settle(pilot, app)
        await pilot.press(*"vi", "enter")
        await settle(pilot, app)
        assert browser.row_count == 1 and "Beta SL" in browser.render_line(1).text
        await pilot.press("t", "enter")  # "(any tag)"
        await settle(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        await pilot.press(*"marta", "enter")
        await settle(pilot, app)
        assert browser.row_count == 1 and "Alfa SL" in browser.render_line(1).text
        await pilot.press("u", "enter", "o")  # any owner; sort by revenue this year
        await settle(pilot, app)
        assert "by revenue this year" in screen_text(app)
        assert [browser.get_row(i).key for i in range(3)][:2] == [beta, alfa]


async def test_enter_on_the_first_search_match_opens_its_file(db) -> None:
    make("Muñoz Hermanos SL")
    make("Peña Arquitectos")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"pena", "enter")  # enter opens the first match
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert "Peña Arquitectos" in screen_text(app)
        await pilot.press("escape", "slash", *"zzz", "enter")  # no match: nothing opens
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)


# --- hostile input ------------------------------------------------------------------------

HOSTILE_NAME = "[bold red]ACME[/] 🚀 شركة النور"
HOSTILE_NOTE = "[link=http://x]clic[/link] \x1b[31m rojo \u202e עברית 👩‍💻\n" + ("ñ" * 10_000)


async def test_hostile_names_and_notes_show_exactly_and_never_break_the_screen(db) -> None:
    cid = clients.create_client(
        ClientInput(legal_name=HOSTILE_NAME, notes="[i]nota[/i]\x07 ok"),
        AddressInput(city="[blink]Jaén[/]"),
    )
    timeline.create_activity(cid, ActivityData(subject="[b]asunto[/b] 🎉", body=HOSTILE_NOTE))
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        lines = screen_lines(app)
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        assert any("[bold red]ACME[/]" in line for line in lines)
        await pilot.press("enter")
        await settle(pilot, app)
        text = screen_text(app)
        assert "[bold red]ACME[/] 🚀" in text and "[i]nota[/i] ok" in text
        await pilot.press("2")
        await settle(pilot, app)
        assert "[blink]Jaén[/]" in screen_text(app)
        await pilot.press("4")
        await settle(pilot, app)
        assert "[b]asunto[/b] 🎉" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ActivityView)
        text = screen_text(app)
        assert "[link=http://x]clic[/link]" in text
        assert "\x1b" not in app.export_screenshot()
        lines = screen_lines(app)
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        await pilot.press("end")  # the 10,000-character note scrolls to its end
        await settle(pilot, app)
        assert "ññññ" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
    [entry] = timeline.list_timeline(cid)
    assert entry.body.endswith("ñ" * 10_000)


async def test_overview_long_values_wrap_under_themselves_never_under_the_labels(db) -> None:
    website = "https://www.example.com/" + "/".join(f"seccion{i}" for i in range(12))
    cid = make("Alfa SL", website=website, email="info@alfa.es")
    tags.set_tags(cid, [f"etiqueta-{i:02}" for i in range(14)])
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        lines = screen_lines(app)
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Legal name"))
        column = lines[start].index("Alfa SL")  # where every value starts
        rows = lines[start:]
        tag_row = next(i for i, line in enumerate(rows) if line.lstrip().startswith("Tags"))
        assert rows[tag_row][column:].startswith("etiqueta-00, ")
        # the tags take more than one line: the rest starts under the first value, and
        # the next label comes after them
        last = next(i for i, line in enumerate(rows) if line.lstrip().startswith("Last change"))
        assert last > tag_row + 1
        for line in rows[tag_row + 1 : last]:
            assert line[:column].strip() == ""
            assert line[column:].startswith("etiqueta-")
        # nothing cut: every tag is shown, and the website (one word) folds under itself
        shown = "".join(line[column:].strip() for line in rows)
        assert all(f"etiqueta-{i:02}" in shown for i in range(14))
        assert website in shown
        assert all(len(line) <= 80 for line in lines)


async def test_a_client_deleted_meanwhile_says_so_and_its_file_closes(db) -> None:
    cid = make("Alfa SL")
    gone = make("Beta SL")
    clients.delete_client(gone)  # another colleague deleted it while the list showed it
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(gone)
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)
        assert any(f"client {gone} does not exist" in n.message for n in app._notifications)
        app.open_client(cid)  # and the next file opens as usual
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert "Alfa SL" in screen_text(app)


async def test_a_client_found_missing_under_a_dialog_closes_its_file_with_the_dialog(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        file = app.screen
        assert isinstance(file, ClientFileScreen)
        app.push_screen(ConfirmDialog("Still there?"))
        await settle(pilot, app)
        clients.delete_client(cid)  # a colleague, meanwhile
        file.load_file()  # the file reads itself again under the dialog
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)  # the dialog on top is not closed
        assert any(f"client {cid} does not exist" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)  # and the file went with it
