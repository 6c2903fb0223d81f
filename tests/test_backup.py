"""Backups while others write, restore with its safeguards, daily backups kept N days."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from tui_crm.services import clients, maintenance, settings
from tui_crm.services.errors import PermissionDenied, RuleViolation
from tui_crm.services.session import Actor, set_actor

WRITER = textwrap.dedent(
    """
    import sys, time
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import clients
    open_for_use(DatabaseTarget(sys.argv[1]))
    print("ready", flush=True)
    deadline = time.time() + float(sys.argv[2])
    n = 0
    while time.time() < deadline:
        clients.create_client(clients.ClientInput(legal_name=f"Writer {n}"))
        n += 1
    print(n, flush=True)
    """
)


def test_backup_is_consistent_while_another_process_writes(db, tmp_path, app_env):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db.path), "3"],
        stdout=subprocess.PIPE,
        text=True,
        env=app_env.vars,
    )
    assert writer.stdout.readline().strip() == "ready"
    copies = [maintenance.backup_database(tmp_path / f"copy{i}.sqlite3") for i in range(3)]
    written = int(writer.stdout.readline())
    assert writer.wait(timeout=30) == 0
    assert written > 0
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every client of the copy has its audit row: a transaction is in whole or not at all
        created = conn.execute("SELECT COUNT(*) FROM audit_log WHERE entity='client'").fetchone()
        assert conn.execute("SELECT COUNT(*) FROM client").fetchone() == created
        assert oct(copy.stat().st_mode & 0o777) in ("0o660", "0o640")
        conn.close()


def test_restore_brings_back_the_backup_and_keeps_a_safety_copy(db, tmp_path):
    first = clients.create_client(clients.ClientInput(legal_name="Antes SL"))
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    clients.update_client(first, clients.ClientInput(legal_name="Después SL"), 1)
    safety = maintenance.restore_database(backup).safety
    assert clients.get_client(first).data.legal_name == "Antes SL"
    conn = sqlite3.connect(safety)
    assert conn.execute("SELECT legal_name FROM client").fetchone()[0] == "Después SL"
    conn.close()


def test_restore_refuses_bad_files_and_non_admins(db, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    with pytest.raises(RuleViolation, match="not SQLite"):
        maintenance.restore_database(junk)
    with pytest.raises(RuleViolation, match="does not exist"):
        maintenance.restore_database(tmp_path / "missing.sqlite3")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(RuleViolation, match="no schema version"):
        maintenance.restore_database(other)
    backup = maintenance.backup_database(tmp_path / "ok.sqlite3")
    set_actor(Actor(login="sam", role="sales"))
    with pytest.raises(PermissionDenied, match="sam"):
        maintenance.restore_database(backup)


def test_restore_from_the_command_line_asks_for_confirmation(db, cli, tmp_path):
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    refused = cli("--db", db, "restore", backup)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    busy = cli("--db", db, "restore", backup, "--yes")  # this test process has it open
    assert busy.returncode == 1
    assert "other tui-crm sessions have" in busy.stderr
    from tui_crm.db import close_database

    close_database()
    done = cli("--db", db, "restore", backup, "--yes")
    assert done.returncode == 0, done.stderr
    assert "before-restore" in done.stdout


def test_daily_backup_once_a_day_and_pruned(db, tmp_path):
    folder = tmp_path / "daily"
    assert maintenance.daily_backup() is None  # off by default
    settings.set_many(
        {"backup.daily": "yes", "backup.keep_days": "3", "backup.directory": str(folder)}
    )
    day = dt.date(2026, 3, 1)
    for offset in range(6):
        assert maintenance.daily_backup(day + dt.timedelta(days=offset)) is not None
    assert maintenance.daily_backup(day + dt.timedelta(days=5)) is None  # already taken today
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [f"crm-2026-03-0{d}.sqlite3" for d in (4, 5, 6)]
