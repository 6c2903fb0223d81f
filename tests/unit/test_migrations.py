"""tui_crm.migrations on real database files: fresh, step by step, idempotent, too new."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_crm import db as db_module
from tui_crm.config import DatabaseTarget
from tui_crm.migrations import (
    SchemaError,
    all_migrations,
    current_version,
    latest_version,
    upgrade,
)
from tui_crm.services import clients, search
from tui_crm.services.clients import ClientFilter
from tui_crm.services.startup import open_for_use

NOW = "2025-03-01 10:00:00"


def versions_after(version: int) -> list[int]:
    """The migration numbers after `version`."""
    return [m.version for m in all_migrations() if m.version > version]


def test_migration_numbers_run_without_gaps() -> None:
    """Released migrations are numbered 1, 2, 3 … with none missing or repeated: a gap
    means a piece of work was merged without the migration it reserved a number for."""
    versions = [m.version for m in all_migrations()]
    assert versions == list(range(1, len(versions) + 1))


CLIENTS = [
    # id, legal_name, trade_name, tax_id, email, phone
    (1, "Muñoz Asesores SL", "", "B12345674", "info@munoz.es", "954 123 456"),
    (2, "Ángel Pérez Núñez", "Carpintería Ángel", "12345678Z", "angel@perez.es", ""),
    (3, "Société Générale Lyon", "", "FR40303265045", "", "+33 4 72 00 00 00"),
    (4, "Škoda Praha s.r.o.", "", "25596641", "", ""),
]
CONTACTS = [
    # id, client_id, first_name, last_name, email
    (1, 1, "Lucía", "Fernández", "lucia@munoz.es"),
    (2, 1, "José", "García", ""),
    (3, 3, "Hélène", "Dupont", "helene@sg.fr"),
]


@pytest.fixture
def raw_db(app_env, tmp_path: Path):
    """A database file opened WITHOUT migrating it (the test chooses the schema version)."""
    path = tmp_path / "raw.sqlite3"
    db_module.open_database(DatabaseTarget(str(path)))
    yield path
    db_module.close_database()


def table_dump(table: str, columns: list[str] | None = None) -> list[tuple]:
    """Every row of `table` (only `columns`, when given: those an older version had)."""
    what = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    return [tuple(r) for r in db_module.execute(f'SELECT {what} FROM "{table}" ORDER BY 1')]


def column_names(table: str) -> list[str]:
    return [r[1] for r in db_module.execute(f'PRAGMA table_info("{table}")')]


def tables() -> set[str]:
    return set(db_module.database.get_tables())


def fill_version_1() -> None:
    """Clients with accented names, addresses and contacts, written as version 1 knew them."""
    for cid, legal, trade, tax_id, email, phone in CLIENTS:
        db_module.execute(
            "INSERT INTO client (id, version, created_at, updated_at, updated_by, kind, status, "
            "is_company, legal_name, trade_name, sort_name, tax_id, tax_id_country, "
            "tax_id_compact, email, phone, mobile, fax, website, payment_days, payment_method, "
            "iban, vat_rate_bp, vat_exempt, exemption_reason, irpf_rate_bp, recargo, notes, "
            "revenue_total_cents, outstanding_cents) VALUES "
            "(?, 3, ?, ?, 'maria', 'client', 'active', 1, ?, ?, ?, ?, 'ES', ?, ?, ?, '', '', '', "
            "30, 'transfer', '', 2100, 0, '', 1500, 0, 'nota con acentos: ñ á é', ?, ?)",
            (
                cid,
                NOW,
                NOW,
                legal,
                trade,
                (trade or legal).lower(),
                tax_id,
                tax_id,
                email,
                phone,
                123456 * cid,
                1001 * cid,
            ),
        )
        db_module.execute(
            "INSERT INTO address (version, created_at, updated_at, updated_by, client_id, label, "
            "line1, line2, postal_code, city, province, country, contact_name, "
            "is_invoice_default, is_delivery_default, is_quote_default) VALUES "
            "(1, ?, ?, 'maria', ?, 'Sede', 'Calle Ñ 1', '', '41003', 'Sevilla', 'Sevilla', 'ES', "
            "'', 1, 1, 1)",
            (NOW, NOW, cid),
        )
    for contact_id, cid, first, last, email in CONTACTS:
        db_module.execute(
            "INSERT INTO contact (id, version, created_at, updated_at, updated_by, client_id, "
            "first_name, last_name, position, email, phone, mobile, is_billing, notes) VALUES "
            "(?, 1, ?, ?, 'maria', ?, ?, ?, 'Gerente', ?, '', '600 111 222', 0, '')",
            (contact_id, NOW, NOW, cid, first, last, email),
        )
    db_module.execute(
        "INSERT INTO setting (key, value, updated_at, updated_by) VALUES "
        "('company.name', 'Gestoría Núñez', ?, 'maria')",
        (NOW,),
    )


def test_fresh_database_ends_at_the_latest_version(db) -> None:
    assert current_version() == latest_version() >= 2
    versions = [r[0] for r in db_module.execute('SELECT version FROM "schema_version" ORDER BY 1')]
    assert versions == versions_after(0)
    assert db.opened.migrated == len(versions_after(0))
    assert {"client", "contact", "invoice", "audit_log", "client_search"} <= tables()


def test_upgrade_to_version_1_then_to_latest_keeps_every_row(raw_db) -> None:
    applied = upgrade(target=1)
    assert [m.version for m in applied] == [1]
    assert current_version() == 1
    assert "client" in tables()
    assert "client_search" not in tables()  # the search index came with version 2

    fill_version_1()
    before = {t: table_dump(t) for t in ("client", "address", "contact", "setting")}
    old_columns = {t: column_names(t) for t in before}

    applied = upgrade()
    assert [m.version for m in applied] == versions_after(1)
    assert current_version() == latest_version()

    # Later versions may add columns (m0014: the leads' stage): the old ones keep every value.
    for table, rows in before.items():
        # Every value kept. The client list's sort key is the one value that changes on
        # purpose: m0016 sorts by the legal name (it was the trade name when there was one).
        columns = old_columns[table]
        keep = [i for i, name in enumerate(columns) if name != "sort_name"]
        after = [tuple(row[i] for i in keep) for row in table_dump(table, columns)]
        assert after == [tuple(row[i] for i in keep) for row in rows], table
    assert {r[0] for r in db_module.execute("SELECT lead_stage FROM client")} == {"new"}
    from tui_crm.text import fold

    traded = "SELECT legal_name, sort_name FROM client WHERE trade_name <> ''"
    for legal, sort_name in db_module.execute(traded):
        assert sort_name == fold(legal)  # "angel perez nunez", no longer "carpinteria angel"
    assert len(before["client"]) == len(CLIENTS)
    assert len(before["contact"]) == len(CONTACTS)
    names = [r[0] for r in db_module.execute("SELECT legal_name FROM client ORDER BY id")]
    assert names == [c[1] for c in CLIENTS]

    # The new version's feature works on the rows that were already there.
    def found(text: str) -> list[str]:
        return [r.name for r in clients.list_clients(ClientFilter(text=text), 0, None)]

    assert found("munoz") == ["Muñoz Asesores SL"]
    assert found("MUÑOZ ASES") == ["Muñoz Asesores SL"]
    assert found("nunez") == ["Ángel Pérez Núñez"]
    assert found("carpinteria") == ["Ángel Pérez Núñez"]
    assert found("societe generale") == ["Société Générale Lyon"]
    assert found("skoda") == ["Škoda Praha s.r.o."]
    assert found("lucia fernandez") == ["Muñoz Asesores SL"]  # a contact
    assert found("helene") == ["Société Générale Lyon"]
    assert found("5596641") == ["Škoda Praha s.r.o."]
    assert clients.count_clients(ClientFilter(text="garcia")) == 1
    indexed = db_module.execute("SELECT COUNT(*) FROM client_search").fetchone()[0]
    assert indexed == len(CLIENTS)


def test_the_migrations_frozen_search_documents_are_the_live_ones(raw_db) -> None:
    """Migrations 2 and 7 build the search documents from a frozen copy, never the live
    service; the live service must still build the same ones (a change to it needs a
    migration that rebuilds the index)."""
    upgrade(target=1)
    fill_version_1()
    upgrade()
    frozen = table_dump("client_search")
    assert len(frozen) == len(CLIENTS)
    assert search.rebuild_search_index() == len(CLIENTS)
    assert table_dump("client_search") == frozen


def test_services_work_after_upgrading_an_old_database(raw_db) -> None:
    upgrade(target=1)
    fill_version_1()
    db_module.close_database()
    opened = open_for_use(DatabaseTarget(str(raw_db)))
    assert opened.migrated == len(versions_after(1))
    detail = clients.get_client(1)
    assert detail.version == 3
    assert detail.data.legal_name == "Muñoz Asesores SL"
    assert str(detail.revenue_total) == "1234.56"
    assert detail.addresses[0].line1 == "Calle Ñ 1"
    new_id = clients.create_client(clients.ClientInput(legal_name="Nueva Muñoz SL"))
    assert new_id == 5
    hits = {r.id for r in clients.list_clients(ClientFilter(text="muñoz"), 0, None)}
    assert hits == {1, 5}


def test_upgrade_twice_is_a_no_op(raw_db) -> None:
    assert len(upgrade()) == len(versions_after(0))
    schema = table_dump("schema_version")
    sql = sorted(r[0] or "" for r in db_module.execute("SELECT sql FROM sqlite_master"))
    assert upgrade() == []
    assert upgrade(target=1) == []
    assert table_dump("schema_version") == schema
    assert sorted(r[0] or "" for r in db_module.execute("SELECT sql FROM sqlite_master")) == sql


def test_rebuilding_the_search_index_gives_the_same_documents(db) -> None:
    for name in ("Muñoz Asesores SL", "Ángel Pérez", "Zeta"):
        clients.create_client(clients.ClientInput(legal_name=name))
    docs = table_dump("client_search")
    assert search.rebuild_search_index() == 3
    assert table_dump("client_search") == docs


def test_database_newer_than_the_app_is_refused(raw_db) -> None:
    upgrade()
    future = latest_version() + 7
    db_module.execute(
        'INSERT INTO "schema_version" (version, name, applied_at) VALUES (?, ?, ?)',
        (future, "from the future", NOW),
    )
    with pytest.raises(SchemaError) as info:
        upgrade()
    message = str(info.value)
    assert str(future) in message
    assert str(latest_version()) in message
    assert "upgrade tui-crm" in message
    assert current_version() == future  # nothing was touched

    db_module.close_database()
    with pytest.raises(SchemaError, match=str(future)):
        open_for_use(DatabaseTarget(str(raw_db)))
