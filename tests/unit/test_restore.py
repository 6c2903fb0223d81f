"""Restore: all or nothing, and never taking back an issued invoice.

A backup must prove it is a complete tui-crm database before anything changes; the
issued invoices it lacks are listed and carried over (lines, client, payments,
counters); nobody else may have the database open; safety copies never share a name;
the restore's audit entry is in the restored data itself."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from invoicing_support import issued, line, make_client, set_issuer

from tui_crm.db import close_database, execute
from tui_crm.migrations import latest_version
from tui_crm.services import clients, invoices, maintenance, payments
from tui_crm.services.errors import PermissionDenied, RuleViolation
from tui_crm.services.restore import (
    LEGAL_TABLES,
    inspect_backup,
    plan_restore,
    restore_database,
)
from tui_crm.services.session import Actor, set_actor

D = Decimal
DAY = dt.date(2026, 3, 2)


def _codes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT code FROM invoice WHERE status <> 'draft' ORDER BY series, year, number"
            )
        ]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def shop(db):
    set_issuer()
    return make_client()


def test_fake_backup_is_refused_and_nothing_changes(db, shop, tmp_path):
    """Two tables and a schema_version row passed the old check and half-restored."""
    issued(shop, DAY)
    fake = tmp_path / "fake.sqlite3"
    conn = sqlite3.connect(fake)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT);"
        "INSERT INTO schema_version VALUES (9, 'x', '2026-01-01');"
        "CREATE TABLE client (id INTEGER PRIMARY KEY, legal_name TEXT);"
    )
    conn.close()
    before = db.path.read_bytes()
    with pytest.raises(RuleViolation, match=r"not a complete tui-crm database.*audit_log"):
        restore_database(fake)
    assert _codes(db.path) == ["F2026-00001"]
    assert not list(db.path.parent.glob("*before-restore*"))  # refused before any copy
    assert db.path.read_bytes() == before or _integrity(db.path) == "ok"


def test_backup_of_another_application_or_broken_is_refused(db, shop, tmp_path):
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(RuleViolation, match="another application"):
        restore_database(other)

    newer = maintenance.backup_database(tmp_path / "newer.sqlite3")
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_version VALUES (99, 'future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(RuleViolation, match="newer than this tui-crm"):
        restore_database(newer)

    dangling = maintenance.backup_database(tmp_path / "dangling.sqlite3")
    conn = sqlite3.connect(dangling)
    conn.execute(
        "INSERT INTO invoice_line (position, description, quantity_milli, unit_price_cents, "
        "discount_bp, vat_rate_bp, recargo_rate_bp, unit_cost_cents, base_cents, invoice_id) "
        "VALUES (1, 'x', 1000, 1, 0, 2100, 0, 0, 1, 999)"
    )
    conn.commit()
    conn.close()
    with pytest.raises(RuleViolation, match="foreign key check"):
        restore_database(dangling)

    damaged = maintenance.backup_database(tmp_path / "damaged.sqlite3")
    _damage(damaged)
    with pytest.raises(RuleViolation, match=r"damaged|integrity|malformed"):
        restore_database(damaged)

    with pytest.raises(RuleViolation, match="the database itself"):
        restore_database(db.path)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(db.path)
    with pytest.raises(RuleViolation, match="the database itself"):
        restore_database(link)
    assert _integrity(db.path) == "ok"


def _damage(path: Path) -> None:
    """Overwrite pages in the middle of a database file with garbage."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        for offset in range(4096 * 2, size - 4096, 4096 * 3):
            fh.seek(offset + 10)
            fh.write(b"\xde\xad\xbe\xef" * 200)


def test_only_an_admin_restores(db, shop, tmp_path):
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    set_actor(Actor(login="sam", role="sales"))
    with pytest.raises(PermissionDenied, match="sam"):
        plan_restore(backup)
    with pytest.raises(PermissionDenied, match="sam"):
        restore_database(backup)


def test_issued_invoices_the_backup_lacks_are_carried_over(db, shop, tmp_path):
    """Issued invoices are legal records: after a restore every one still exists, with
    its lines, its client, its payments, and no number is handed out twice."""
    first = issued(shop, DAY)
    backup = maintenance.backup_database(tmp_path / "monday.sqlite3")
    # After the backup: a new client with an invoice, paid in part; another invoice of
    # the first client paid together with the first invoice; a draft; a client rename.
    newcomer = make_client("Ángel Pérez Núñez", "12345678Z")
    second = issued(newcomer, DAY, line("Consultoría", "3", "45.50"))
    payments.register_payment(newcomer, DAY, D("50.00"), allocations=[(second.id, D("50.00"))])
    third = issued(shop, DAY + dt.timedelta(days=1), line("Hosting", "1", "10"))
    both = payments.register_payment(
        shop,
        DAY + dt.timedelta(days=2),
        first.total + third.total,
        allocations=[(first.id, first.total), (third.id, third.total)],
    )
    clients.update_client(shop, clients.ClientInput(legal_name="Renamed SL", tax_id="A58818501"), 1)

    plan = plan_restore(backup)
    assert [r.key for r in plan.missing] == [second.code, third.code]
    assert "Ángel Pérez Núñez" in plan.missing[0].describe()

    result = restore_database(backup, confirmed=plan)
    assert [r.key for r in result.carried] == [second.code, third.code]
    assert _codes(db.path) == [first.code, second.code, third.code]
    # the carried invoices with their lines and amounts
    carried_second = invoices.get_invoice(invoices.find_by_code(second.code))
    assert carried_second.totals.total == second.total
    assert [ln.description for ln in carried_second.lines] == ["Consultoría"]
    assert carried_second.paid == D("50.00")
    # the newcomer came back with it, searchable, its figures right
    newcomer_now = clients.get_client(carried_second.client_id)
    assert newcomer_now.data.legal_name == "Ángel Pérez Núñez"
    assert newcomer_now.outstanding == second.total - D("50.00")
    assert clients.find_by_tax_id("12345678Z") == carried_second.client_id
    # the payment over an invoice of the backup and a carried one moved both
    first_now = invoices.get_invoice(first.id)
    assert first_now.status == "paid" and first_now.outstanding == 0
    third_now = invoices.get_invoice(invoices.find_by_code(third.code))
    assert third_now.status == "paid"
    assert clients.get_client(shop).outstanding == 0
    assert execute("SELECT COUNT(*) FROM payment_allocation WHERE payment_id IN "
                   "(SELECT id FROM payment WHERE amount_cents = ?)",
                   (int((first.total + third.total) * 100),)).fetchone()[0] == 2  # fmt: skip
    del both
    # the rest is the backup's: the rename is gone
    assert clients.get_client(shop).data.legal_name == "Peña y Muñoz SL"
    # numbers continue after the highest ever issued
    fourth = issued(shop, DAY + dt.timedelta(days=3))
    assert fourth.number == 4  # after F2026-00003, carried over
    # the restore's entry is in the restored data
    entry = execute(
        "SELECT summary, changes FROM audit_log WHERE action = 'restore' ORDER BY id DESC"
    ).fetchone()
    assert str(result.safety) in entry[0]
    assert second.code in entry[1] and third.code in entry[1]
    assert _integrity(db.path) == "ok"


def test_a_draft_that_was_issued_after_the_backup_is_not_there_twice(db, shop, tmp_path):
    draft_id = invoices.create_draft(invoices.InvoiceDraftInput(client_id=shop, lines=[line()]))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    code = invoices.issue_invoice(draft_id, DAY).code
    restore_database(backup)
    rows = execute("SELECT id, status, code FROM invoice").fetchall()
    assert rows == [(draft_id, "issued", code)]


def test_a_number_used_for_another_invoice_in_the_backup_is_refused(db, shop, tmp_path):
    issued(shop, DAY)
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    issued(shop, DAY, line("Live", "1", "100"))
    conn = sqlite3.connect(backup)  # the backup got a different F2026-00002 somehow
    changed = {  # the first invoice again, under the live second one's number
        "id": "id + 100",
        "base_cents": "base_cents + 1",
        "total_cents": "total_cents + 1",
        "outstanding_cents": "outstanding_cents + 1",
        "number": "2",
        "code": "'F2026-00002'",
    }
    columns = [r[1] for r in conn.execute("PRAGMA table_info(invoice)")]
    selected = ", ".join(changed.get(c, f'"{c}"') for c in columns)
    conn.execute(
        f"INSERT INTO invoice SELECT {selected} FROM invoice "
        "WHERE id = (SELECT MIN(id) FROM invoice)"
    )
    conn.commit()
    conn.close()
    with pytest.raises(RuleViolation, match="F2026-00002 is a different record"):
        restore_database(backup)
    assert _codes(db.path) == ["F2026-00001", "F2026-00002"]


def test_safety_copies_never_share_a_name(db, shop, tmp_path):
    """Two restores in the same second wrote the same safety-copy name."""
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    first = restore_database(backup).safety
    issued(shop, DAY)  # only in what the second restore replaces
    second = restore_database(backup).safety
    assert first != second
    assert first.exists() and second.exists()
    assert "before-restore" in first.name
    assert _codes(second) == ["F2026-00001"]
    assert _codes(db.path) == ["F2026-00001"]  # carried over, too


HOLDER = textwrap.dedent(
    """
    import sys, time
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    open_for_use(DatabaseTarget(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def test_restore_refuses_while_another_session_has_the_database_open(
    db, shop, tmp_path, app_env, cli
):
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    issued(shop, DAY)
    close_database()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=app_env.vars,
    )
    try:
        assert holder.stdout.readline()
        busy = cli("--db", db, "restore", backup, "--yes")
        assert busy.returncode == 1
        assert "other tui-crm sessions have" in busy.stderr
        assert "run the restore again" in busy.stderr
        assert not list(db.path.parent.glob("*before-restore*"))
    finally:
        holder.communicate("\n", timeout=30)
    done = cli("--db", db, "restore", backup, "--yes")
    assert done.returncode == 0, done.stderr
    assert "F2026-00001" in done.stdout  # listed before anything changed
    assert "before-restore" in done.stdout
    assert _codes(db.path) == ["F2026-00001"]


def test_the_command_line_lists_what_is_carried_and_asks(db, shop, tmp_path, cli):
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    issued(shop, DAY)
    close_database()
    refused = cli("--db", db, "restore", backup)
    assert refused.returncode == 1
    assert "F2026-00001" in refused.stdout and "carried over" in refused.stdout
    assert "--yes" in refused.stderr
    assert not list(db.path.parent.glob("*before-restore*"))


def test_the_legal_tables_are_named_in_one_registry():
    # The invoices first: each VERI*FACTU record points at its invoice.
    assert [t.table for t in LEGAL_TABLES] == ["invoice", "verifactu_record"]
    invoice, records = LEGAL_TABLES
    assert invoice.key == "code"
    assert ("invoice_line", "invoice_id") in invoice.children
    assert records.key == "hash" and records.match == ("issuer_nif", "sequence")
    assert records.order == "l.issuer_nif, l.sequence"  # generation order


def test_a_backup_from_before_the_mark_is_recognised_by_its_schema(db, shop, tmp_path):
    """A backup written before migration 9 has no application id: all the tables of its
    schema version prove it is ours; the restored data is brought up to date (the live
    issued invoice, which it lacks, carried over)."""
    issued(shop, DAY)
    backup = tmp_path / "old.sqlite3"
    made = subprocess.run(  # a database of schema version 8, made by another process
        [
            sys.executable,
            "-c",
            "import sys; from tui_crm.config import DatabaseTarget; "
            "from tui_crm.db import open_database, close_database; "
            "from tui_crm.migrations import upgrade; "
            "open_database(DatabaseTarget(sys.argv[1])); upgrade(8); close_database()",
            str(backup),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()
    assert inspect_backup(backup) == 8
    result = restore_database(backup)
    assert result.version == 8
    close_database()
    with open(db.path, "rb") as fh:
        assert int.from_bytes(fh.read(100)[68:72], "big") == 0x7443524D
    conn = sqlite3.connect(db.path)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == latest_version()
    conn.close()
    assert _codes(db.path) == ["F2026-00001"]
