"""The client journeys, pressing the real keys: create, edit, conflict, records, merge, delete."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input

from tests.people import ME
from tests.ui.screen_text import screen_text
from tui_crm.models import Address, Client, Contact
from tui_crm.services import clients, contacts, timeline, users
from tui_crm.services.clients import AddressInput, ClientInput
from tui_crm.services.contacts import ContactData
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.timeline import ActivityData
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.conflict import ConflictDialog
from tui_crm.ui.dialogs.duplicates import DuplicateDialog
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.client_form import ClientForm
from tui_crm.ui.screens.clients import ClientsScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields), AddressInput(city="Jaén"))


async def open_file(pilot, app, client_id: int, tab: str = "overview") -> ClientFileScreen:
    app.open_client(client_id, tab)
    await settle(pilot, app)
    assert isinstance(app.screen, ClientFileScreen)
    return app.screen


def table(app, tab: str) -> LazyTable:
    return app.screen.query_one(f"#list-{tab}", LazyTable)


async def test_n_name_ctrl_s_creates_a_lead_and_opens_its_file(db) -> None:
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientForm)
        assert app.focused.id == field_id("legal_name")
        await pilot.press(*"Pérez & Hijos [b]SL[/b]", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert "Pérez & Hijos [b]SL[/b]" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(LazyTable).row_count == 1  # the list shows it at once
    [client] = Client.select()
    assert (client.legal_name, client.kind, client.updated_by) == (
        "Pérez & Hijos [b]SL[/b]",
        "lead",
        ME,
    )


async def test_wrong_fields_show_their_reason_beside_them(db) -> None:
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        await pilot.press(*"Talleres Sur")
        form.query_one(f"#{field_id('tax_id')}", Input).value = "B12345675"
        form.query_one(f"#{field_id('email')}", Input).value = "ana@"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        tax_error = str(form.query_one(f"#{field_id('tax_id')}-error").render())
        assert "check digit" in tax_error
        assert "email address" in str(form.query_one(f"#{field_id('email')}-error").render())
        assert app.focused.id == field_id("tax_id")
    assert Client.select().count() == 0


async def test_duplicate_warning_offers_to_open_the_other_record(db) -> None:
    existing = make("Talleres Núñez SL", tax_id="B12345674")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        app.screen.query_one(f"#{field_id('tax_id')}", Input).value = "ESB12345674"
        await pilot.press(*"Talleres Nunez", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, DuplicateDialog)
        assert "Talleres Núñez SL" in screen_text(app)
        await pilot.press("o")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert app.screen.client_id == existing
    assert Client.select().count() == 1


async def test_duplicate_can_be_saved_anyway(db) -> None:
    make("Talleres Núñez SL", email="info@nunez.es")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        app.screen.query_one(f"#{field_id('email')}", Input).value = "info@NUNEZ.es"
        await pilot.press(*"Núñez Taller 2", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, DuplicateDialog)
        await pilot.press("s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
    assert Client.select().count() == 2


async def test_edit_then_conflict_with_a_colleague_offers_reload(db) -> None:
    cid = make("Alfa SL", phone="953 000 111")
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        await pilot.press("e")  # on the Overview, e edits the client
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ClientForm)
        # a colleague saves first
        users.register("marta")
        set_actor(Actor("marta", "sales"))
        version = clients.get_client(cid).version
        clients.update_client(cid, ClientInput(legal_name="Alfa Sociedad Limitada"), version)
        set_actor(Actor(ME, "admin"))
        trade = form.query_one(f"#{field_id('trade_name')}", Input)
        trade.focus()
        await pilot.press(*"Alfa")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        text = screen_text(app)
        assert "marta changed this client" in text and "nothing was saved" in text
        await pilot.press("r")
        await settle(pilot, app)
        assert app.screen is form
        name = form.query_one(f"#{field_id('legal_name')}", Input)
        assert name.value == "Alfa Sociedad Limitada"
        await pilot.press("ctrl+s")  # now saved over their version, on purpose
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert "Alfa Sociedad Limitada" in screen_text(app)
    assert clients.get_client(cid).data.legal_name == "Alfa Sociedad Limitada"


async def test_add_address_contact_and_note_from_the_file(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        # addresses: tab 2, n, fields, ctrl+s
        await pilot.press("2", "n")
        await settle(pilot, app)
        await pilot.press(
            *"Almacén", "tab", *"Polígono Los Olivares 12", "tab", "tab", *"23009", "tab", *"Jaén"
        )
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        assert table(app, "addresses").row_count == 2
        assert "Polígono Los Olivares 12" in screen_text(app)
        # contacts: → to the next tab
        await pilot.press("right", "n")
        await settle(pilot, app)
        await pilot.press(*"Rocío", "tab", *"Alcalá", "tab", *"Gerente", "tab", *"rocio@alfa.es")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert table(app, "contacts").row_count == 1
        assert "Rocío Alcalá" in screen_text(app)
        # timeline: a note in one step
        await pilot.press("right", "n")
        await settle(pilot, app)
        await pilot.press(*"Llamada: quiere ampliar", "ctrl+s")
        await settle(pilot, app)
        assert table(app, "timeline").row_count == 1
        assert "Llamada: quiere ampliar" in screen_text(app)
        # Full tab names with every count need 101 cells here ("Addresses 2", "Contacts
        # 1", …): at 100 columns the tabs drop their counts rather than cut a name (16B).
        await pilot.resize_terminal(120, 30)
        await settle(pilot, app)
        assert "Timeline 1" in screen_text(app)
    assert Address.select().where(Address.client == cid).count() == 2
    assert Contact.get(Contact.client == cid).email == "rocio@alfa.es"
    [entry] = timeline.list_timeline(cid)
    assert (entry.kind, entry.author) == ("note", ME)
    assert Client.get_by_id(cid).last_activity_at is not None


async def test_follow_up_stands_out_and_d_marks_it_done(db) -> None:
    cid = make("Alfa SL")
    ana = contacts.create_contact(cid, ContactData(first_name="Ana"))
    timeline.create_activity(cid, ActivityData(subject="Nota vieja"))
    overdue = timeline.create_activity(
        cid,
        ActivityData(
            kind="call",
            subject="Reclamar pago",
            contact_id=ana,
            due_date=dt.date.today() - dt.timedelta(days=3),
        ),
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid, "timeline")
        lines = table(app, "timeline")
        assert lines.get_row(0).key == overdue  # open follow-ups first
        assert lines.get_row(0).style == "danger"
        assert "1 follow-up (1 overdue)" in screen_text(app)
        await pilot.press("d")
        await settle(pilot, app)
        assert timeline.get_activity(overdue).done_at is not None
        assert "follow-up" not in screen_text(app).split("Overview")[0]
        assert table(app, "timeline").get_row(0).style == ""
        await pilot.press("d")  # again: reopened
        await settle(pilot, app)
        assert timeline.get_activity(overdue).done_at is None


async def test_template_fills_a_note_in_one_step(db) -> None:
    cid = make("Alfa SL")
    timeline.create_template(
        "Visita", kind="meeting", subject="Visita a {client}", body="Revisado con {user}"
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid, "timeline")
        await pilot.press("t")
        await settle(pilot, app)
        await pilot.press("enter")  # the only template
        await settle(pilot, app)
        subject = app.screen.query_one(f"#{field_id('subject')}", Input)
        assert subject.value == "Visita a Alfa SL"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
    [entry] = timeline.list_timeline(cid)
    assert (entry.kind, entry.subject, entry.body) == (
        "meeting",
        "Visita a Alfa SL",
        f"Revisado con {ME}",
    )


async def test_delete_a_contact_after_confirmation(db) -> None:
    cid = make("Alfa SL")
    contacts.create_contact(cid, ContactData(first_name="Ana"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid, "contacts")
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Delete the contact Ana?" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        assert Contact.select().count() == 1
        await pilot.press("delete", "y")
        await settle(pilot, app)
        assert table(app, "contacts").row_count == 0
    assert Contact.select().count() == 0


async def test_deleting_a_client_with_invoices_shows_the_reason(db) -> None:
    from tui_crm.models import Invoice

    cid = make("Alfa SL")
    Invoice.create(
        client=cid,
        status="issued",
        series="F",
        year=2026,
        number=1,
        code="F2026-00001",
        issue_date=dt.date(2026, 1, 2),
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)  # no question asked: it cannot be
        assert any("1 issued invoice;" in str(n.message) for n in app._notifications)
    assert Client.get_by_id(cid).status == "active"


async def test_archive_convert_and_delete_a_lead(db) -> None:
    cid = make("Alfa SL")
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, cid)
        await pilot.press("c")  # lead -> client, once asked
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        assert Client.get_by_id(cid).kind == "lead"
        await pilot.press("y")
        await settle(pilot, app)
        assert Client.get_by_id(cid).kind == "client"
        assert "Client since" in screen_text(app)
        await pilot.press("a", "y")
        await settle(pilot, app)
        assert Client.get_by_id(cid).status == "archived"
        assert "archived" in screen_text(app)
        await pilot.press("a")  # un-archive needs no question
        await settle(pilot, app)
        assert Client.get_by_id(cid).status == "active"
        await pilot.press("delete", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientsScreen)
    assert Client.get_or_none(Client.id == cid) is None


async def test_merge_from_the_client_file(db) -> None:
    keep = make("Talleres Núñez SL")
    gone = make("Talleres Nuñez", tax_id="B12345674")
    contacts.create_contact(gone, ContactData(first_name="Rocío"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_file(pilot, app, keep)
        await pilot.press("m")
        await settle(pilot, app)
        # the search starts with the first word of the name: the duplicate is listed
        await pilot.press("down", "enter")
        await settle(pilot, app)
        text = screen_text(app)
        assert "Talleres Núñez SL stays and absorbs Talleres Nuñez." in text
        assert (
            "1 contact " in text
            and "1 contacts" not in text
            and "tax ID filled in: B12345674" in text
        )
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen) and app.screen.client_id == keep
        assert "Merged into this" in screen_text(app)
        await pilot.press("3")  # the Contacts tab (its list is read when first shown)
        await settle(pilot, app)
        assert table(app, "contacts").row_count == 1
    assert Client.get_by_id(gone).status == "merged"
    assert Client.get_by_id(gone).merged_into_id == keep


async def test_a_tab_list_is_read_when_first_shown_and_kept(db) -> None:
    """The file opens on its Overview without reading its seven lists; a tab's list is
    built when the tab is first shown and stays, re-read after a change."""
    client = make("Ferretería Lozano SL")
    contacts.create_contact(client, ContactData(first_name="Rocío"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = await open_file(pilot, app, client)
        assert not screen.query(LazyTable)
        await pilot.press("3")
        await settle(pilot, app)
        assert [t.id for t in screen.query(LazyTable)] == ["list-contacts"]
        assert table(app, "contacts").row_count == 1
        await pilot.press("1", "3")
        await settle(pilot, app)
        assert [t.id for t in screen.query(LazyTable)] == ["list-contacts"]
        contacts.create_contact(client, ContactData(first_name="Andrés"))
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert table(app, "contacts").row_count == 2
