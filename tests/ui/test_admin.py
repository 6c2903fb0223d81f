"""Users and roles, and the audit log, by keyboard."""

from __future__ import annotations

from tui_crm.models import User
from tui_crm.services import clients
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.audit_entry import AuditDetail
from tui_crm.ui.screens.audit import AuditScreen
from tui_crm.ui.screens.users import UsersScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle


async def test_admin_adds_a_user_and_changes_roles(db):
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"users and roles")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, UsersScreen)
        await pilot.press("n", *"ana", "tab", *"Ana Peña", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, UsersScreen)
        assert User.get(User.login == "ana").role == "sales"
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 2
        await pilot.press("home")  # "ana" sorts before the admin (the test login)
        await settle(pilot, app)
        await pilot.press("e", "enter", "down", "enter", "ctrl+s")  # sales -> the next role
        await settle(pilot, app)
        assert User.get(User.login == "ana").role == "readonly"
        await pilot.press("d")  # asked first
        await settle(pilot, app)
        assert User.get(User.login == "ana").active is True
        await pilot.press("y")
        await settle(pilot, app)
        assert User.get(User.login == "ana").active is False


async def test_audit_log_filters_and_shows_details(db):
    cid = clients.create_client(clients.ClientInput(legal_name="[red]Rojo[/] SL"))
    clients.update_client(cid, clients.ClientInput(legal_name="Azul SL"), 1)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot, app)
        app.show_audit()
        await settle(pilot, app)
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count >= 3  # user registration, create, update
        await pilot.press("slash", "tab", *"client", "enter")
        await settle(pilot, app)
        assert table.row_count == 2
        assert "[red]Rojo[/] SL" in table.render_line(1).text  # markup shown literally
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AuditDetail)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)


async def test_the_client_file_shows_its_own_history(db):
    mine = clients.create_client(clients.ClientInput(legal_name="Historia SL"))
    other = clients.create_client(clients.ClientInput(legal_name="Otra SL"))
    clients.update_client(mine, clients.ClientInput(legal_name="Historia SL", phone="600000000"), 1)
    clients.update_client(other, clients.ClientInput(legal_name="Otra SL 2"), 1)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(mine)
        await settle(pilot, app)
        await pilot.press("H")
        await settle(pilot, app)
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 2  # its create and update, not the other client's
        assert "phone" in table.render_line(1).text
