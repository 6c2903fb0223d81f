"""People and roles: the first user is admin, admins manage the rest, the rules hold."""

from __future__ import annotations

import pytest

from tests.people import ME
from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database
from tui_crm.services import clients, settings, users
from tui_crm.services.errors import NotFound, PermissionDenied, ValidationError
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
        users.set_role(ME, "sales")
    with pytest.raises(ValidationError, match="last admin"):
        users.set_active(ME, False)
    users.add_user("boss", "admin")
    users.set_role(ME, "sales")  # now allowed: another admin exists


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


def test_a_deactivated_account_cannot_be_acted_as(db):
    users.add_user("gone", "sales")
    users.set_active("gone", False)
    close_database()
    with pytest.raises(PermissionDenied, match="deactivated"):
        open_for_use(DatabaseTarget(str(db.path)), user="gone")


def test_a_deactivated_admin_cannot_open_the_database(db):
    users.add_user("boss", "admin")
    set_actor(Actor("boss", "admin"))
    users.set_active(ME, False)
    close_database()
    with pytest.raises(PermissionDenied, match="deactivated"):
        open_for_use(DatabaseTarget(str(db.path)))
    with pytest.raises(PermissionDenied, match="deactivated"):  # nor act as anyone else
        open_for_use(DatabaseTarget(str(db.path)), user="boss")


def test_an_admin_acts_as_an_existing_user_and_the_audit_names_both(db):
    from tui_crm.services.audit import AuditFilter, list_entries

    users.add_user("sam", "sales")
    close_database()
    with pytest.raises(NotFound, match="unknown user"):
        open_for_use(DatabaseTarget(str(db.path)), user="nobody")
    opened = open_for_use(DatabaseTarget(str(db.path)), user="sam")
    assert (opened.login, opened.role, opened.real_login) == ("sam", "sales", ME)
    with pytest.raises(PermissionDenied, match="sam"):  # sam's role, not the admin's
        settings.set_value("company.name", "Nope")
    cid = clients.create_client(clients.ClientInput(legal_name="Como Sam SL"))
    [entry] = list_entries(AuditFilter(client_id=cid))
    assert (entry.user, entry.real_user) == ("sam", ME)
    close_database()
    opened = open_for_use(DatabaseTarget(str(db.path)))
    assert (opened.login, opened.real_login) == (ME, "")
    clients.update_client(cid, clients.ClientInput(legal_name="Como Yo SL"), 1)
    assert [(e.user, e.real_user) for e in list_entries(AuditFilter(client_id=cid))] == [
        (ME, ME),
        ("sam", ME),
    ]


def test_audit_log_can_be_read_back_filtered(db):
    from tui_crm.services.audit import AuditFilter, count_entries, list_entries

    cid = clients.create_client(clients.ClientInput(legal_name="Audit SL"))
    clients.update_client(cid, clients.ClientInput(legal_name="Audit SL 2"), 1)
    mine = list_entries(AuditFilter(client_id=cid))
    assert [e.action for e in mine] == ["update", "create"]  # newest first
    assert mine[0].changes["legal_name"] == ["Audit SL", "Audit SL 2"]
    assert "legal_name: Audit SL → Audit SL 2" in mine[0].describe_changes()
    assert count_entries(AuditFilter(user=ME, entity="client")) == 2
    assert count_entries(AuditFilter(user="nobody")) == 0
