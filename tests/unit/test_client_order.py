"""The client list sorts by what it shows, and a search lists name matches first (issue 16,
item 12)."""

from __future__ import annotations

from tui_crm.services import clients, contacts
from tui_crm.services.clients import ClientFilter, list_clients, position_of


def _client(legal: str, trade: str = "") -> int:
    return clients.create_client(clients.ClientInput(legal_name=legal, trade_name=trade))


def test_by_name_sorts_by_the_legal_name_shown(db) -> None:
    _client("Zapatería Ortiz SL", trade="Alfa Calzados")
    _client("Bodegas Martín SA")
    _client("Carpintería Ñúñez")
    names = [row.name for row in list_clients(ClientFilter())]
    assert names == ["Bodegas Martín SA", "Carpintería Ñúñez", "Zapatería Ortiz SL"]


def test_a_name_match_ranks_above_a_contact_match(db) -> None:
    by_contact = _client("Andamios Bermejo SL")
    contacts.create_contact(
        by_contact, contacts.ContactData(first_name="Luis", last_name="Treviño")
    )
    named = _client("Transportes Treviño SL")
    exact = _client("Treviño")
    found = list_clients(ClientFilter(text="treviño"))
    assert [row.id for row in found] == [exact, named, by_contact]
    assert position_of(ClientFilter(text="treviño"), by_contact) == 2
    assert position_of(ClientFilter(text="treviño"), named) == 1
    assert position_of(ClientFilter(), by_contact) == 0  # no search: by name


def test_the_migration_sorts_existing_clients_by_legal_name(db) -> None:
    """m0016 on a database whose clients were sorted by trade name (as before it)."""
    from tui_crm.db import database, execute
    from tui_crm.migrations import m0016_client_language_and_name_order as m

    with_trade = _client("Zapatería Ortiz SL", trade="Alfa Calzados")
    plain = _client("Bodegas Martín SA")
    with database.atomic():
        execute("ALTER TABLE client DROP COLUMN language")  # back to before m0016
        execute("UPDATE client SET sort_name = 'alfa calzados' WHERE id = ?", (with_trade,))
        m.up(database, "sqlite")
    rows = dict(execute("SELECT id, sort_name FROM client").fetchall())
    assert rows == {with_trade: "zapateria ortiz sl", plain: "bodegas martin sa"}
    assert execute("SELECT language FROM client WHERE id = ?", (plain,)).fetchone() == ("",)
