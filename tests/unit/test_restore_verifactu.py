"""Restore and VERI*FACTU: a restore never takes back a record (legal evidence sent, or to
be sent, to AEAT). The records the backup lacks are carried over in chain order; the
transmission state (AEAT's answers since the backup) comes from the live copy; a voided
invoice stays voided; the chain heads end where the live ones do; a backup whose chain
went another way is refused with nothing changed; and the restored data passes `check`."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from invoicing_support import D, draft, line, make_client, set_issuer
from people import ME
from smtp_support import FileKeyring, keyring_env

from tui_crm.db import close_database, execute
from tui_crm.models import Invoice, VerifactuChain, VerifactuRecord, VerifactuSubmission
from tui_crm.services import invoices, maintenance, payments, settings, verifactu
from tui_crm.services.errors import RuleViolation
from tui_crm.services.restore import plan_restore, restore_database
from tui_crm.services.startup import open_for_use

TODAY = dt.date.today()
NIF = "B12345674"  # the issuer of invoicing_support


@pytest.fixture
def vf(db):
    """A business with VERI*FACTU on and one client with a Spanish NIF."""
    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    return make_client("Peña y Muñoz SL", "A58818501")


def issue(client_id: int, *lines, **kw):
    return invoices.issue_invoice(draft(client_id, *lines, **kw))


def chain() -> list[tuple]:
    """(sequence, number, type, hash, status, csv) of every record, in chain order."""
    return [
        tuple(r)
        for r in execute(
            "SELECT sequence, invoice_number, record_type, hash, status, csv "
            "FROM verifactu_record ORDER BY issuer_nif, sequence"
        )
    ]


def assert_check_clean(db) -> list[str]:
    findings = maintenance.check_file(db.path)
    errors = [f.message for f in findings if f.level == "error"]
    assert errors == [], errors
    messages = [f.message for f in findings]
    # Every record is verified, counted in a sentence that agrees with its number
    # (issue 16, item 7: "1 record, its hash...", "2 records, every hash...").
    n = len(chain())
    verified = (
        "VERI*FACTU: 1 record, its hash and chain verified"
        if n == 1
        else f"VERI*FACTU: {n} records, every hash and chain verified"
    )
    assert verified in messages, messages
    return messages


def test_records_made_after_the_backup_are_carried_in_chain_order(vf, db, tmp_path):
    first = issue(vf, line(price="100"))
    ticket = issue(vf, line("Café", price="3"), invoice_type="F2")
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    second = issue(vf, line(price="200"))
    full = issue(vf, line(price="3"), invoice_type="F3", replaces=[ticket.code])
    live = chain()
    assert [r[0] for r in live] == [1, 2, 3, 4]

    plan = plan_restore(backup)
    assert [r.key for r in plan.of("invoice")] == [second.code, full.code]
    assert [r.key for r in plan.of("verifactu_record")] == [live[2][3], live[3][3]]
    listed = [r.describe() for r in plan.of("verifactu_record")]
    assert listed[0] == f"VERI*FACTU registro de alta of {second.code} (record 3 of {NIF}, pending)"
    assert full.code in listed[1] and "record 4" in listed[1]

    restore_database(backup, confirmed=plan)
    assert chain() == live  # every record, the same hashes at the same places
    head = VerifactuChain.get_by_id(NIF)
    assert (head.last_sequence, head.last_hash) == (4, live[3][3])
    # the F3 came with the simplified invoice it replaces, and the link is guarded again
    assert invoices.get_invoice(invoices.find_by_code(full.code)).replaces == (ticket.code,)
    messages = assert_check_clean(db)
    assert any("issued invoices are protected" in m for m in messages)
    # The chain goes on from the carried head: the next record is the fifth.
    after = issue(vf, line(price="5"))
    record = VerifactuRecord.get(VerifactuRecord.invoice == after.id)
    assert (record.sequence, record.previous_hash) == (5, live[3][3])
    assert all(f.level == "ok" for f in verifactu.verify_chain())
    entry = execute("SELECT changes FROM audit_log WHERE action = 'restore'").fetchone()[0]
    assert f"VERI*FACTU {NIF} #3 alta {second.code}" in entry
    del first


def test_a_void_after_the_backup_survives_the_restore(vf, db, tmp_path):
    kept = issue(vf, line(price="100"))
    paid = issue(vf, line(price="50"))
    payment = payments.register_payment(vf, TODAY, paid.total, allocations=[(paid.id, paid.total)])
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    # After the backup: a payment reversed and its invoice voided; the first voided too;
    # an invoice issued and voided, which the backup never saw.
    payments.reverse_payment(payment, "devuelto por el banco")
    verifactu.void_invoice(paid.id, "emitida por error")
    verifactu.void_invoice(kept.id, "duplicada")
    late = issue(vf, line(price="70"))
    verifactu.void_invoice(late.id, "cliente equivocado")
    live = chain()
    assert [r[2] for r in live] == ["alta", "alta", "anulacion", "anulacion", "alta", "anulacion"]

    plan = plan_restore(backup)
    anulaciones = [r.describe() for r in plan.of("verifactu_record") if "anulación" in r.describe()]
    assert len(anulaciones) == 3 and kept.code in anulaciones[1]

    restore_database(backup)
    assert chain() == live
    for invoice, reason in ((kept, "duplicada"), (paid, "emitida por error"), (late, None)):
        now = Invoice.get(Invoice.code == invoice.code)
        assert now.status == "voided" and now.outstanding == 0
        if reason:
            assert now.void_reason == reason and now.voided_by == ME
    state = verifactu.invoice_record_state(Invoice.get(Invoice.code == kept.code).id)
    assert state.record_type == "anulacion" and state.voided
    assert execute(
        "SELECT reversed_at IS NOT NULL, reversal_reason FROM payment WHERE id = ?", (payment,)
    ).fetchone() == (1, "devuelto por el banco")
    # voided invoices count for nothing
    client = execute(
        "SELECT revenue_total_cents, outstanding_cents FROM client WHERE id = ?", (vf,)
    ).fetchone()
    assert client == (0, 0)
    assert_check_clean(db)
    # a voided invoice cannot be voided twice, restored or not
    with pytest.raises(RuleViolation, match="already voided"):
        verifactu.void_invoice(Invoice.get(Invoice.code == kept.code).id, "otra vez")


def test_a_backup_from_before_verifactu_gets_every_record(vf, db, tmp_path):
    """A backup of the days before VERI*FACTU was turned on: every record is carried and
    VERI*FACTU stays on (a system does not switch modes at will)."""
    settings.set_value("verifactu.enabled", "no")
    old = issue(vf, line(price="10"))
    backup = maintenance.backup_database(tmp_path / "before.sqlite3")
    settings.set_value("verifactu.enabled", "yes")
    installation = settings.get("verifactu.installation")
    new = issue(vf, line(price="20"))
    restore_database(backup)
    assert settings.get("verifactu.enabled") == "yes"
    assert settings.get("verifactu.installation") == installation != ""
    assert [r[1] for r in chain()] == [new.code]
    assert verifactu.invoice_record_state(old.id).kind == "none"
    assert_check_clean(db)


def _issue_in_backup(backup, db, series: str):
    """Issue an invoice in the backup file itself (as if it had lived on elsewhere)."""
    close_database()
    open_for_use(db.target.__class__(str(backup)))
    try:
        settings.set_value("invoice.series", series)
        client = execute("SELECT id FROM client ORDER BY id LIMIT 1").fetchone()[0]
        return issue(client, line(price="1"))
    finally:
        close_database()
        open_for_use(db.target)


def test_a_backup_whose_chain_went_another_way_is_refused(vf, db, tmp_path):
    issue(vf, line(price="100"))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    elsewhere = _issue_in_backup(backup, db, "X")  # record 2 in the backup only
    before = chain()
    with pytest.raises(RuleViolation, match=rf"chain of {NIF} is not the beginning.*record 2"):
        plan_restore(backup)
    with pytest.raises(RuleViolation, match="nothing was changed"):
        restore_database(backup)
    assert not list(db.path.parent.glob("*before-restore*"))  # refused before any copy
    # The live chain went on too: a different record 2. Still refused.
    issue(vf, line(price="300"))
    with pytest.raises(RuleViolation, match=elsewhere.code):
        restore_database(backup)
    assert chain()[:1] == before and len(chain()) == 2


def test_the_command_line_names_the_records_it_carries(vf, db, tmp_path, cli):
    issue(vf, line(price="100"))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    second = issue(vf, line(price="200"))
    verifactu.void_invoice(second.id, "error")
    close_database()
    refused = cli("--db", db, "restore", backup)
    assert refused.returncode == 1
    out = refused.stdout
    assert "The backup lacks 2 VERI*FACTU records" in out
    assert f"VERI*FACTU registro de alta of {second.code} (record 2 of {NIF}, pending)" in out
    assert f"VERI*FACTU registro de anulación of {second.code} (record 3 of {NIF}" in out
    done = cli("--db", db, "restore", backup, "--yes")
    assert done.returncode == 0, done.stderr
    check = cli("--db", db, "check")
    assert check.returncode == 0, check.stdout
    conn = sqlite3.connect(db.path)
    try:
        assert conn.execute("SELECT status FROM invoice WHERE code = ?", (second.code,)).fetchone()
        assert conn.execute("SELECT COUNT(*) FROM verifactu_record").fetchone()[0] == 3
    finally:
        conn.close()


# --- AEAT's answers since the backup -----------------------------------------------------


@pytest.fixture
def sending(vf, aeat, aeat_pki, tmp_path, monkeypatch):
    import keyring

    for name, value in keyring_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    settings.set_many(
        {
            "verifactu.environment": "test",
            "verifactu.endpoint": aeat.url,
            "verifactu.certificate": str(aeat_pki.client_p12),
        }
    )
    from tui_crm.services import secrets

    secrets.set_verifactu_password(aeat_pki.password)
    aeat.wait_seconds = 0
    yield aeat
    keyring.set_keyring(previous)


def test_aeat_s_answers_since_the_backup_come_from_the_live_copy(vf, db, tmp_path, sending):
    from aeat_standin import FUTURE_DATE

    from tui_crm.services import verifactu_sender as sender

    def send():
        return sender.send_pending(cafile=str(sending.pki.ca_file))

    accepted = issue(vf, line(price="100"))
    refused = issue(vf, line(price="200"))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")  # both pending in it
    sending.outcomes[refused.code] = ("Incorrecto", *FUTURE_DATE)
    report = send()
    assert (report.accepted, report.rejected) == (1, 1)
    del sending.outcomes[refused.code]
    rejected = VerifactuRecord.get(VerifactuRecord.invoice == refused.id)
    correction = verifactu.correct_record(rejected.id)  # a subsanación, after the backup
    late = issue(vf, line(price="300"))
    assert send().accepted == 2
    live = chain()
    submissions = [(s.id, s.csv, s.response) for s in VerifactuSubmission.select()]
    assert len(submissions) == 2

    restore_database(backup)
    assert chain() == live  # statuses and CSVs included
    first = VerifactuRecord.get(VerifactuRecord.invoice == accepted.id)
    assert first.status == "accepted" and first.csv == submissions[0][1] != ""
    assert first.submission_id == submissions[0][0]
    assert (rejected.id, "rejected", "1112") == (
        VerifactuRecord.get_by_id(rejected.id).id,
        VerifactuRecord.get_by_id(rejected.id).status,
        VerifactuRecord.get_by_id(rejected.id).error_code,
    )
    fixed = VerifactuRecord.get_by_id(correction)
    assert fixed.subsanacion and fixed.status == "accepted" and fixed.corrects_id == rejected.id
    assert [(s.id, s.csv, s.response) for s in VerifactuSubmission.select()] == submissions
    assert verifactu.invoice_record_state(late.id).status == "accepted"
    assert sender.pending_count() == 0
    assert_check_clean(db)
    # nothing goes to AEAT a second time after the restore
    received = len(sending.received)
    assert send().sent == 0 and len(sending.received) == received


def test_amounts_are_unchanged_by_the_restore(vf, db, tmp_path):
    """The carried records' invoices keep what the records say (check compares them)."""
    issue(vf, line(price="100"))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    second = issue(vf, line("Horas", quantity="3", price="45.50"), irpf_rate=D(15))
    restore_database(backup)
    record = VerifactuRecord.get(VerifactuRecord.invoice_number == second.code)
    assert record.total == "165.17"  # 136.50 + 21 % IVA (IRPF is not in ImporteTotal)
    assert_check_clean(db)


def test_a_backup_from_before_migration_10_gets_every_record(vf, db, tmp_path):
    """A backup of schema version 8 has no VERI*FACTU tables at all: it is brought up to
    date and every record of the live chain is carried, in order."""
    import subprocess
    import sys

    codes = [issue(vf, line(price=p)).code for p in ("10", "20")]
    backup = tmp_path / "old.sqlite3"
    made = subprocess.run(
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
    live = chain()
    plan = plan_restore(backup)
    assert [r.label[0] for r in plan.of("verifactu_record")] == codes
    restore_database(backup)
    assert chain() == live
    assert settings.get("verifactu.enabled") == "yes"
    assert_check_clean(db)
