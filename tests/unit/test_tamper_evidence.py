"""A colleague with the sqlite3 shell: what the guards refuse, and what `check` then names.

On a shared SQLite file the group may write the file, so nothing stops someone set on
cheating; but every audit entry is hash-chained and every issued invoice fingerprinted,
so `tui-crm check` names each entry changed or removed, each invoice that no longer
matches what was issued, each guard trigger dropped and each role given behind the
application's back.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.invoicing_support import draft, line, make_client, set_issuer
from tests.people import ME
from tui_crm import hashchain
from tui_crm.db import close_database, execute
from tui_crm.services import clients, evidence, invoices, users
from tui_crm.services.protections import protection_problems


def _issue_some(count: int = 2) -> list[str]:
    set_issuer()
    client_id = make_client("Cliente Honrado SL", "B60889649")
    return [
        invoices.issue_invoice(draft(client_id, line(price=str(100 * (n + 1))))).code
        for n in range(count)
    ]


def test_a_link_binds_the_previous_hash_and_the_canonical_content() -> None:
    import datetime as dt
    from decimal import Decimal

    first = hashchain.link(hashchain.GENESIS, {"n": 1, "text": "entrada"})
    assert len(first) == 64 and first == hashchain.link("", {"text": "entrada", "n": 1})
    assert hashchain.link(first, {"n": 2}) != hashchain.link("0" * 64, {"n": 2})
    assert hashchain.digest({"a": 1}) != hashchain.digest({"a": "1"})
    assert (
        hashchain.canonical(
            {"d": dt.date(2026, 1, 2), "t": dt.datetime(2026, 1, 2, 3, 4, 5), "m": Decimal("1.50")}
        )
        == b'{"d":"2026-01-02","m":"1.50","t":"2026-01-02 03:04:05"}'
    )
    assert hashchain.canonical({"ñ": "Muñoz"}) == '{"ñ":"Muñoz"}'.encode()


def test_check_is_clean_after_ordinary_work(db, cli) -> None:
    _issue_some()
    clients.create_client(clients.ClientInput(legal_name="Otro SL"))
    assert evidence.audit_breaks() == []
    assert evidence.invoice_mismatches() == []
    assert evidence.role_mismatches() == []
    assert (
        protection_problems(lambda sql, params: execute(sql, params).fetchall(), "sqlite") == []
    )  # the guards, the audit log's included
    rows = execute('SELECT "prev_hash", "hash" FROM "audit_log" ORDER BY "id"').fetchall()
    assert rows[0][0] == "" and all(len(h) == 64 for _p, h in rows)
    assert all(rows[n][0] == rows[n - 1][1] for n in range(1, len(rows)))  # each links back
    close_database()
    result = cli("--db", db, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "their chain intact" in result.stdout
    assert "2 issued invoices match what was issued" in result.stdout


def test_the_guards_refuse_a_plain_sqlite3_shell(db) -> None:
    _issue_some(1)
    close_database()
    shell = sqlite3.connect(db.path)
    try:
        for sql in (
            "UPDATE audit_log SET summary = 'nada' WHERE id = 1",
            "DELETE FROM audit_log WHERE id = 1",
            "UPDATE invoice SET total_cents = 999999 WHERE status <> 'draft'",
            "UPDATE invoice SET fiscal_hash = '' WHERE status <> 'draft'",
            "DELETE FROM invoice WHERE status <> 'draft'",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                shell.execute(sql)
    finally:
        shell.close()


def test_check_names_what_a_colleague_with_the_sqlite3_shell_changed(db, cli) -> None:
    codes = _issue_some(2)
    users.add_user("luis", "sales")
    for n in range(3):
        clients.create_client(clients.ClientInput(legal_name=f"Relleno {n} SL"))
    last = execute('SELECT MAX("id") FROM "audit_log"').fetchone()[0]
    close_database()
    # What the issue saw: made himself admin, deleted audit entries, dropped the trigger
    # and raised an invoice's total.
    shell = sqlite3.connect(db.path)
    with shell:
        shell.execute("UPDATE user SET role = 'admin' WHERE login = 'luis'")
        for name in ("audit_log_no_update", "audit_log_no_delete", "invoice_issued_update"):
            shell.execute(f"DROP TRIGGER {name}")
        shell.execute("DELETE FROM audit_log WHERE id = 3")
        shell.execute("UPDATE audit_log SET summary = 'nada que ver' WHERE id = 5")
        shell.execute(f"DELETE FROM audit_log WHERE id = {last}")
        shell.execute(
            "UPDATE invoice SET total_cents = total_cents + 10000 WHERE code = ?", (codes[1],)
        )
    shell.close()
    result = cli("--db", db, "check")
    assert result.returncode == 1
    out = result.stdout
    for expected in (
        "trigger audit_log_no_update on audit_log is missing: the audit log is not protected",
        "trigger invoice_issued_update on invoice is missing: issued invoices are not protected",
        "audit entries between #2 and #4 were removed or replaced",
        "audit entry #5 was changed after it was written",
        f"audit entries after #{last - 1} were removed (the log ended at #{last})",
        f"issued invoice {codes[1]} no longer matches what was issued",
        "user luis is admin, but the audit log last made them sales",
    ):
        assert expected in out, (expected, out)
    assert codes[0] not in out  # the untouched invoice is not named
    assert "their chain intact" not in out


def test_entries_slipped_in_and_roles_given_without_a_trace(db, cli) -> None:
    clients.create_client(clients.ClientInput(legal_name="Uno SL"))
    close_database()
    shell = sqlite3.connect(db.path)
    with shell:
        shell.execute(
            "INSERT INTO audit_log (at, user, action, entity, entity_id, changes, summary) "
            "VALUES ('2026-01-01 00:00:00', 'ana', 'delete', 'client', '1', '{}', '')"
        )
        shell.execute(
            "INSERT INTO user (login, full_name, email, role, active, created_at) "
            "VALUES ('mallory', '', '', 'admin', 1, '2026-01-01 00:00:00')"
        )
    shell.close()
    out = cli("--db", db, "check").stdout
    assert "was written behind the application's back" in out
    assert "audit entries after #" in out and "were added behind the application's back" in out
    assert "user mallory is admin, and the audit log never made them so" in out
    assert f"user {ME}" not in out


def test_migration_chains_existing_entries_and_fingerprints_issued_invoices(db) -> None:
    """m0012's frozen copies compute exactly what the live code computes."""
    from tui_crm.migrations import m0012_tamper_evidence as m

    codes = _issue_some(2)
    row = evidence._dicts(execute('SELECT * FROM "audit_log" ORDER BY "id" LIMIT 1'))[0]
    assert m._link("", m.audit_content(row)) == row["hash"]
    for code in codes:
        [(invoice_id, fingerprint)] = execute(
            'SELECT "id", "fiscal_hash" FROM "invoice" WHERE "code" = ?', (code,)
        ).fetchall()
        [(text,)] = execute(
            f'SELECT {m.fiscal_json_sql("sqlite")} FROM "invoice" i WHERE i."id" = ?',
            (invoice_id,),
        ).fetchall()
        assert evidence.fiscal_json_sql() == m.fiscal_json_sql("sqlite")
        assert evidence.fingerprint(text) == fingerprint
        assert json.loads(text)[4] == code and len(json.loads(text)[-1]) == 1  # one line


def test_demo_data_is_fingerprinted_and_chained_like_real_work(db) -> None:
    from tui_crm.demo import generate_demo

    summary = generate_demo(clients=30, invoices=300)
    issued = execute("SELECT COUNT(*) FROM invoice WHERE status <> 'draft'").fetchone()[0]
    assert issued >= summary.invoices - 50 > 0
    assert evidence.invoice_mismatches() == []
    assert evidence.audit_breaks() == [] and evidence.role_mismatches() == []
