"""Backups while others write, restore with its safeguards, daily backups kept N days."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui_crm.db import close_database
from tui_crm.services import clients, maintenance, settings
from tui_crm.services.errors import PermissionDenied, RuleViolation
from tui_crm.services.restore import restore_database
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
    safety = restore_database(backup).safety
    assert clients.get_client(first).data.legal_name == "Antes SL"
    conn = sqlite3.connect(safety)
    assert conn.execute("SELECT legal_name FROM client").fetchone()[0] == "Después SL"
    conn.close()


def test_restore_refuses_bad_files_and_non_admins(db, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    with pytest.raises(RuleViolation, match="not SQLite"):
        restore_database(junk)
    with pytest.raises(RuleViolation, match="does not exist"):
        restore_database(tmp_path / "missing.sqlite3")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(RuleViolation, match="no schema version"):
        restore_database(other)
    backup = maintenance.backup_database(tmp_path / "ok.sqlite3")
    set_actor(Actor(login="sam", role="sales"))
    with pytest.raises(PermissionDenied, match="sam"):
        restore_database(backup)


def test_restore_from_the_command_line_asks_for_confirmation(db, cli, tmp_path):
    backup = maintenance.backup_database(tmp_path / "b.sqlite3")
    refused = cli("--db", db, "restore", backup)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    busy = cli("--db", db, "restore", backup, "--yes")  # this test process has it open
    assert busy.returncode == 1
    assert "other tui-crm sessions have" in busy.stderr
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


# --- the target: never the live data, never an existing file unasked ----------------------


def test_backup_never_targets_the_database_or_its_files(db, tmp_path):
    """`tui-crm backup` given the live database's own path replaced the open file."""
    live = db.path
    link = tmp_path / "alias.sqlite3"
    link.symlink_to(live)
    hard = live.parent / "hard.sqlite3"
    os.link(live, hard)
    dir_link = tmp_path / "dbdir"
    dir_link.symlink_to(live.parent)
    targets = [
        live,
        Path(f"{live}-wal"),
        Path(f"{live}-shm"),  # even when it does not exist at the moment
        Path(f"{live}-open.lock"),
        link,
        hard,
        dir_link / live.name,
    ]
    for target in targets:
        for force in (False, True):
            with pytest.raises(RuleViolation, match="open database or one of its files"):
                maintenance.backup_database(target, force=force)
    assert sqlite3.connect(live).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_existing_file_is_replaced_only_with_force_and_never_a_live_database(db, tmp_path):
    existing = tmp_path / "yesterday.sqlite3"
    existing.write_bytes(b"keep me")
    with pytest.raises(RuleViolation, match="exists; choose another name or add --force"):
        maintenance.backup_database(existing)
    assert existing.read_bytes() == b"keep me"
    assert maintenance.backup_database(existing, force=True) == existing
    assert sqlite3.connect(existing).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    dangling = tmp_path / "dangling.sqlite3"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(RuleViolation, match="exists"):
        maintenance.backup_database(dangling)
    # a symlink is replaced, never followed
    victim = tmp_path / "victim.txt"
    victim.write_text("not to be overwritten")
    pointer = tmp_path / "pointer.sqlite3"
    pointer.symlink_to(victim)
    maintenance.backup_database(pointer, force=True)
    assert victim.read_text() == "not to be overwritten"
    assert not pointer.is_symlink()
    # another database in use (a colleague's, in WAL mode) is never replaced
    other = tmp_path / "colleague.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    try:
        with pytest.raises(RuleViolation, match="never replaced, not even with --force"):
            maintenance.backup_database(other, force=True)
    finally:
        conn.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tui-crm-")] == []


def test_an_interrupted_backups_leftovers_are_removed_by_the_next_one(db, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / ".tui-crm-k1ll3d00.part"
    stale.write_bytes(b"\0" * 4096)
    (folder / ".tui-crm-k1ll3d00.part-journal").write_bytes(b"j")
    busy = folder / ".tui-crm-wr1t1ng0.part"  # a backup being written right now
    busy.write_bytes(b"\0" * 4096)
    not_ours = folder / ".tui-crm-notes.txt"
    not_ours.write_text("mine")
    holder = open(busy, "rb")  # noqa: SIM115
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        maintenance.backup_database(folder / "today.sqlite3")
    finally:
        holder.close()
    names = sorted(p.name for p in folder.iterdir())
    assert names == [".tui-crm-notes.txt", ".tui-crm-wr1t1ng0.part", "today.sqlite3"]


def test_print_and_export_refuse_an_existing_file_alike(db, cli, tmp_path):
    """`print -o FILE` overwrote without asking; `export` asked. Now both refuse, naming
    --force, and --force replaces."""
    from invoicing_support import issued, make_client, set_issuer

    set_issuer()
    issued(make_client(), dt.date(2026, 3, 2))
    close_database()
    pdf = tmp_path / "f.pdf"
    xlsx = tmp_path / "clients.xlsx"
    for target, command in (
        (pdf, ("print", "invoice", "F2026-00001", "-o", pdf)),
        (xlsx, ("export", "clients", "-o", xlsx)),
    ):
        target.write_bytes(b"old")
        refused = cli("--db", db, *command)
        assert refused.returncode == 1
        assert "exists; choose another name or add --force" in refused.stderr
        assert target.read_bytes() == b"old"
        done = cli("--db", db, *command, "--force")
        assert done.returncode == 0, done.stderr
        assert target.read_bytes() != b"old"
        for protected in (db.path, Path(f"{db.path}-wal")):
            refused = cli("--db", db, *command[:-1], protected, "--force")
            assert refused.returncode == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tui-crm-")] == []
    assert sqlite3.connect(db.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_files_we_write_follow_the_folders_sharing_rules(db, tmp_path):
    """Group-readable and -writable in a group-shared (setgid) folder, never world-readable."""
    from tui_crm.services.output_files import write_bytes

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2770)
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    old = os.umask(0o022)
    try:
        assert oct(maintenance.backup_database(shared / "b.sqlite3").stat().st_mode & 0o777) == (
            "0o660"
        )
        assert oct(write_bytes(shared / "f.pdf", b"%PDF-").stat().st_mode & 0o777) == "0o660"
        assert oct(write_bytes(private / "f.pdf", b"%PDF-").stat().st_mode & 0o777) == "0o640"
    finally:
        os.umask(old)
