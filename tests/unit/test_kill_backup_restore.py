"""Backup and restore killed (SIGKILL) at random moments while a colleague issues invoices
with VERI*FACTU on (each invoice its registro de alta; every fifth voided at once, its
registro de anulación after it).

After every kill: the database passes its integrity check and `check` (which verifies
every VERI*FACTU hash and chain), nothing partial is left once `check` has run (a killed
backup's temporary file is removed by it), every invoice the colleague was told was
issued is there with its record, every one it voided is still voided, and the
colleague's numbers are gapless and were never handed out twice. A restore that completes
carries the colleague's invoices and records over; one killed leaves the old data or the
new, whole. The number of kills that landed while the process was still working is
printed (`pytest -s`) and must reach KILLS each."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database
from tui_crm.services.maintenance import check_file

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

KILLS = 20  # kills that must land while the process works, for backup and for restore
MAX_RUNS = 60

COLLEAGUE = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from decimal import Decimal
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import invoices, verifactu
    from tui_crm.services.lines import LineInput
    from tui_crm.services.startup import open_for_use

    target, client = DatabaseTarget(sys.argv[1]), int(sys.argv[2])
    print("ready", flush=True)
    while True:  # one command-line job after another, each opening the database anew
        try:
            open_for_use(target, create=False)
            draft = invoices.create_draft(invoices.InvoiceDraftInput(
                client_id=client, series="K",
                lines=[LineInput(description="Horas", quantity=Decimal(2),
                                 unit_price=Decimal("40"))]))
            issued = invoices.issue_invoice(draft, dt.date.today())
            print(issued.code, flush=True)
            if issued.number % 5 == 0:  # issued by mistake: voided (registro de anulación)
                verifactu.void_invoice(issued.id, "emitida por error")
                print("V", issued.code, flush=True)
        except Exception as exc:
            print("!", type(exc).__name__, exc, flush=True)
        finally:
            close_database()
        time.sleep(0.2)
    """
)


class Colleague:
    """The colleague's process and every code it was told was issued."""

    def __init__(self, db: Path, client: int, env: dict[str, str]) -> None:
        self.codes: list[str] = []
        self.voided: list[str] = []
        self.errors: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", COLLEAGUE, str(db), str(client)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.proc.stdout.readline().strip() == "ready"
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for text in self.proc.stdout:
            with self._lock:
                if text.startswith("!"):
                    self.errors.append(text.strip())
                elif text.startswith("V "):
                    self.voided.append(text.split()[1])
                else:
                    self.codes.append(text.strip())

    def issued(self) -> list[str]:
        with self._lock:
            return list(self.codes)

    def voids(self) -> list[str]:
        with self._lock:
            return list(self.voided)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def _prepare(db: Path) -> int:
    from tui_crm.demo import generate_demo
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(str(db)))
    generate_demo(clients=100, invoices=5000, seed=3)
    close_database()
    conn = sqlite3.connect(db)
    try:
        # The demo business turned VERI*FACTU on: the colleague's invoices get records.
        enabled = conn.execute("SELECT value FROM setting WHERE key = 'verifactu.enabled'")
        assert enabled.fetchone() == ("yes",)
        assert conn.execute("SELECT COUNT(*) FROM verifactu_record").fetchone()[0] > 0
        return conn.execute(
            "SELECT id FROM client WHERE kind = 'client' AND status = 'active' "
            "AND tax_id <> '' ORDER BY id LIMIT 1"
        ).fetchone()[0]
    finally:
        conn.close()


def _assert_sound(db: Path, colleague: Colleague, label: str) -> None:
    """Integrity, nothing partial, every issued invoice there with its VERI*FACTU record,
    every voided one still voided, numbers gapless and unique, each chain whole."""
    told = colleague.issued()  # read before the database: everything in it is committed
    voided = colleague.voids()
    findings = check_file(db)  # also removes what a killed process left
    errors = [f.message for f in findings if f.level == "error"]
    assert errors == [], (label, errors)
    assert any("integrity check passed" in f.message for f in findings), label
    leftovers = [p.name for p in db.parent.iterdir() if p.name.startswith(".tui-crm-")]
    assert leftovers == [], (label, leftovers)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", label
        rows = conn.execute(
            "SELECT year, number, code FROM invoice WHERE series = 'K' AND status <> 'draft'"
        ).fetchall()
        counters = dict(
            conn.execute("SELECT year, last_number FROM series_counter WHERE series = 'K'")
        )
        records = dict(
            conn.execute(
                "SELECT i.code, GROUP_CONCAT(r.record_type, ' ') FROM invoice i "
                "JOIN verifactu_record r ON r.invoice_id = i.id WHERE i.series = 'K' "
                "GROUP BY i.id"
            )
        )
        statuses = dict(conn.execute("SELECT code, status FROM invoice WHERE series = 'K'"))
        heads = conn.execute(
            "SELECT c.issuer_nif, c.last_sequence, c.last_hash, COUNT(r.id), MAX(r.sequence), "
            "(SELECT hash FROM verifactu_record x WHERE x.issuer_nif = c.issuer_nif "
            "AND x.sequence = c.last_sequence) FROM verifactu_chain c "
            "JOIN verifactu_record r ON r.issuer_nif = c.issuer_nif GROUP BY c.issuer_nif"
        ).fetchall()
    finally:
        conn.close()
    assert [c for c in told if not records.get(c, "").startswith("alta")] == [], label
    assert [c for c in voided if statuses.get(c) != "voided"] == [], (label, "un-voided")
    assert [c for c in voided if "anulacion" not in records.get(c, "")] == [], label
    for nif, last, last_hash, count, highest, hash_at_last in heads:
        assert count == highest == last and hash_at_last == last_hash, (label, nif, "chain")
    codes = {code for _y, _n, code in rows}
    missing = [code for code in told if code not in codes]
    assert missing == [], (label, missing)
    assert len(told) == len(set(told)), (label, "a number was handed out twice")
    by_year: dict[int, list[int]] = {}
    for year, number, _code in rows:
        by_year.setdefault(year, []).append(number)
    for year, numbers in by_year.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), (label, year, "gap")
        assert counters[year] >= len(numbers), (label, year, "counter behind")


def _mark(db: Path, value: str) -> None:
    """A change in the live data only (the backup has another value): old data or new?"""
    conn = sqlite3.connect(db, timeout=30)
    try:
        conn.execute(
            "INSERT OR REPLACE INTO setting (key, value, updated_at, updated_by) "
            "VALUES ('company.phone', ?, '2026-03-02 10:00:00', 'test')",
            (value,),
        )
        conn.commit()
    finally:
        conn.close()


def _old_or_new(db: Path, old: str, base: str, label: str) -> str:
    """The live data is the old (still marked) or the restored one, with its audit entry
    naming a safety copy that holds the old data."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        phone = conn.execute("SELECT value FROM setting WHERE key = 'company.phone'").fetchone()
        entries = conn.execute(
            "SELECT changes FROM audit_log WHERE action = 'restore' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    value = phone[0] if phone else ""
    if value == old:
        return "old"
    assert value == base, (label, value)
    assert len(entries) == 1, (label, "the restored data lacks its audit entry")
    import json

    safety = Path(json.loads(entries[0][0])["safety_copy"][1])
    conn = sqlite3.connect(safety)
    try:
        kept = conn.execute("SELECT value FROM setting WHERE key = 'company.phone'").fetchone()
    finally:
        conn.close()
    assert kept == (old,), (label, "the safety copy does not hold the replaced data")
    return "new"


def _run_and_kill(args: list[str], delay: float, env: dict[str, str]) -> bool:
    """Start `tui-crm ARGS`, SIGKILL it after `delay` seconds; True if it was still working."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_crm", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    time.sleep(delay)
    working = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return working


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tui_crm", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def test_backup_and_restore_killed_at_random_moments(tmp_path, app_env):
    rng = random.Random(20260302)
    started = time.monotonic()
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "crm.sqlite3"
    client = _prepare(db)
    env = app_env.vars
    colleague = Colleague(db, client, env)
    try:
        time.sleep(0.5)
        _mark(db, "in the backup")
        base = folder / "base.sqlite3"
        backup_time = _timed(["--db", str(db), "backup", str(base)], env)
        backup_kills = 0
        for run in range(MAX_RUNS):
            if backup_kills >= KILLS:
                break
            target = folder / f"copy-{run}.sqlite3"
            delay = rng.uniform(0.4, 1.0) * backup_time
            backup_kills += _run_and_kill(["--db", str(db), "backup", str(target)], delay, env)
            if target.exists():  # finished before the kill: a whole, sound copy
                conn = sqlite3.connect(target)
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                conn.close()
            _assert_sound(db, colleague, f"backup run {run}")

        backup_phase = time.monotonic() - started
        restore = ["--db", str(db), "restore", str(base), "--yes", "--wait", "20"]
        restore_time = _timed(restore, env)
        _assert_sound(db, colleague, "a whole restore")
        restore_kills = late_kills = 0
        outcomes = {"old": 0, "new": 0}
        for run in range(MAX_RUNS):
            if restore_kills >= KILLS:
                break
            delay = rng.uniform(0.5, 1.25) * restore_time
            copies = len(list(folder.glob("*before-restore*")))
            _mark(db, f"before restore run {run}")
            killed = _run_and_kill(restore, delay, env)
            restore_kills += killed
            late_kills += killed and len(list(folder.glob("*before-restore*"))) > copies
            outcome = _old_or_new(db, f"before restore run {run}", "in the backup", f"run {run}")
            outcomes[outcome] += 1
            _assert_sound(db, colleague, f"restore run {run}")
        _timed(restore, env)
        issued_at_the_end = len(colleague.issued())
    finally:
        colleague.stop()
    _assert_sound(db, colleague, "at the end")
    print(
        f"\nkills while working: backup {backup_kills}, restore {restore_kills} "
        f"({late_kills} after its safety copy was made; the database was then the old one "
        f"{outcomes['old']} times, the restored one {outcomes['new']} times, whole each time); "
        f"the colleague issued {issued_at_the_end} invoices meanwhile, each with its "
        f"VERI*FACTU record ({len(colleague.voids())} voided) "
        f"({len(colleague.errors)} refusals: {sorted(set(e[:60] for e in colleague.errors))[:3]}); "
        f"a backup took {backup_time:.2f} s, a restore {restore_time:.2f} s; "
        f"backup phase {backup_phase:.0f} s, all {time.monotonic() - started:.0f} s"
    )
    assert backup_kills >= KILLS and restore_kills >= KILLS
    assert issued_at_the_end > 0
