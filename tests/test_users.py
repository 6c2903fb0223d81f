"""People and roles: the first user is admin, admins manage the rest, the rules hold."""

from __future__ import annotations

import pytest

from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database
from tui_crm.services import clients, settings, users
from tui_crm.services.errors import PermissionDenied, ValidationError
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.startup import open_for_use


def test_first_user_is_admin_and_later_ones_are_sales(db):
    assert db.opened.role == "admin"
    assert users.register("maria").role == "sales"


def test_admin_adds_colleagues_and_changes_roles(db):
    ana = users.add_user("ana", "accounting", "Ana Núñez")
    assert (ana.login, ana.role, ana.full_name) == ("ana", "accounting", "Ana Núñez")
    with pytest.raises(ValidationError) as exc:
        users.add_user("ana", "boss")
    assert set(exc.value.errors) == {"login", "role"}
    with pytest.raises(ValidationError):
        users.add_user("two words", "sales")
    assert users.set_role("ana", "readonly").role == "readonly"


def test_the_last_admin_stays(db):
    with pytest.raises(ValidationError, match="last admin"):
        users.set_role("tester", "sales")
    with pytest.raises(ValidationError, match="last admin"):
        users.set_active("tester", False)
    users.add_user("boss", "admin")
    users.set_role("tester", "sales")  # now allowed: another admin exists


def test_roles_are_enforced_in_the_services(db):
    users.add_user("sam", "sales")
    users.add_user("rita", "readonly")
    set_actor(Actor("sam", "sales"))
    cid = clients.create_client(clients.ClientInput(legal_name="Sales Can SL"))
    with pytest.raises(PermissionDenied, match="sam"):
        clients.delete_client(cid)
    with pytest.raises(PermissionDenied):
        settings.set_value("company.name", "Nope")
    with pytest.raises(PermissionDenied):
        users.set_role("rita", "admin")
    set_actor(Actor("rita", "readonly"))
    with pytest.raises(PermissionDenied, match="rita"):
        clients.create_client(clients.ClientInput(legal_name="Read Only SL"))
    settings.set_value("ui.language", "es")  # one's own preference is not a business setting


def test_a_deactivated_account_cannot_open_the_database(db, monkeypatch):
    users.add_user("gone", "sales")
    users.set_active("gone", False)
    close_database()
    monkeypatch.setenv("TUI_CRM_USER", "gone")
    with pytest.raises(PermissionDenied, match="deactivated"):
        open_for_use(DatabaseTarget(str(db.path)))


def test_only_an_admin_may_act_as_someone_else(db, monkeypatch):
    users.add_user("sam", "sales")
    close_database()
    monkeypatch.setenv("TUI_CRM_USER", "sam")
    with pytest.raises(PermissionDenied, match="--user"):
        open_for_use(DatabaseTarget(str(db.path)), user="tester")
    monkeypatch.setenv("TUI_CRM_USER", "tester")
    assert open_for_use(DatabaseTarget(str(db.path)), user="sam").login == "sam"


def test_audit_log_can_be_read_back_filtered(db):
    from tui_crm.services.audit import AuditFilter, count_entries, list_entries

    cid = clients.create_client(clients.ClientInput(legal_name="Audit SL"))
    clients.update_client(cid, clients.ClientInput(legal_name="Audit SL 2"), 1)
    mine = list_entries(AuditFilter(client_id=cid))
    assert [e.action for e in mine] == ["update", "create"]  # newest first
    assert mine[0].changes["legal_name"] == ["Audit SL", "Audit SL 2"]
    assert "legal_name: Audit SL → Audit SL 2" in mine[0].describe_changes()
    assert count_entries(AuditFilter(user="tester", entity="client")) == 2
    assert count_entries(AuditFilter(user="nobody")) == 0
