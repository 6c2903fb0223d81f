"""Opening and checking: another application's file is left alone, an empty file is made a
database only by `init`, `check` reports every problem of a damaged file (one line each),
the protections living in the database are checked and put back, and a file this process
cannot write is opened read-only, leaving nothing behind and saying why editing is off."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from invoicing_support import issued, make_client, set_issuer

from tui_crm.config import DatabaseTarget
from tui_crm.db import APPLICATION_ID, DatabaseError, close_database, open_database
from tui_crm.migrations import latest_version
from tui_crm.services.startup import open_for_use

DAY = __import__("datetime").date(2026, 3, 2)


def _app_id(path: Path) -> int:
    with open(path, "rb") as fh:
        return int.from_bytes(fh.read(100)[68:72], "big")


def _companions(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def test_a_new_database_carries_the_application_id(db):
    close_database()
    assert _app_id(db.path) == APPLICATION_ID


def test_another_applications_database_is_refused_and_left_alone(tmp_path, cli, app_env):
    other = tmp_path / "photos.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, path TEXT)")
    conn.execute("INSERT INTO photo (path) VALUES ('a.jpg')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for command in (("report", "clients"), ("init",), ()):
        result = cli("--db", other, *command, env={"TERM": "dumb"}, timeout=30)
        assert result.returncode == 1, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "not a tui-crm database" in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    assert other.read_bytes() == before  # nothing added to it
    assert _companions(other) == []
    stamped = tmp_path / "stamped.sqlite3"
    conn = sqlite3.connect(stamped)
    conn.execute("PRAGMA application_id = 42")
    conn.execute("CREATE TABLE schema_version (version INTEGER)")
    conn.commit()
    conn.close()
    result = cli("--db", stamped, "report", "clients")
    assert result.returncode == 1 and "another application" in result.stderr


def test_an_empty_file_is_made_a_database_only_by_init(tmp_path, cli, app_env):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    for command in (("report", "clients"), ("config", "get"), ("check",)):
        result = cli("--db", empty, *command)
        assert result.returncode == 1
        assert "init" in result.stderr + result.stdout
        assert empty.stat().st_size == 0
    assert cli("--db", empty, "init").returncode == 0
    assert _app_id(empty) == APPLICATION_ID
    assert cli("--db", empty, "report", "clients").returncode == 0


def test_an_older_database_is_recognised_by_its_schema(tmp_path, app_env):
    """A database from before migration 9 has no application id: its schema says it is ours."""
    from tui_crm.migrations import all_migrations, latest_version, upgrade

    path = tmp_path / "old.sqlite3"
    open_database(DatabaseTarget(str(path)))
    upgrade(8)
    close_database()
    assert _app_id(path) == 0
    opened = open_for_use(DatabaseTarget(str(path)), create=False)
    close_database()
    # 9 and every later one (numbers may have gaps while parallel work lands)
    assert opened.migrated == len([m for m in all_migrations() if m.version > 8])
    assert latest_version() in {m.version for m in all_migrations()}
    assert _app_id(path) == APPLICATION_ID
    # and one that lacks a table of its version is refused
    broken = tmp_path / "broken.sqlite3"
    open_database(DatabaseTarget(str(broken)))
    upgrade(8)
    from tui_crm.db import execute

    execute("DROP TABLE payment_reminder")
    close_database()
    with pytest.raises(DatabaseError, match="lacks payment_reminder"):
        open_database(DatabaseTarget(str(broken)), create=False)


def _damage(path: Path, *names: str) -> None:
    """Overwrite the root pages of these tables and indexes with garbage."""
    conn = sqlite3.connect(path)
    marks = ", ".join("?" for _n in names)
    pages = [
        r[0]
        for r in conn.execute(f"SELECT rootpage FROM sqlite_master WHERE name IN ({marks})", names)
    ]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as fh:
        for page in pages:
            fh.seek((page - 1) * size + 8)
            fh.write(b"\xff\x00\xee" * 300)


def test_check_on_a_damaged_database_reports_each_problem(db, cli):
    set_issuer()
    client = make_client()
    for day in range(1, 20):
        issued(client, DAY.replace(day=day))
    close_database()
    _damage(db.path, "invoice_line", "invoice_code", "client_revenue")
    result = cli("--db", db, "check")
    assert result.returncode == 1
    assert "internal error" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stdout.splitlines() if line.strip().startswith("error")]
    assert len(errors) >= 2, result.stdout  # every problem on its own line
    assert any("integrity check:" in line for line in errors), result.stdout
    up_to_date = f"schema version {latest_version()} (up to date)"
    assert any(up_to_date in line for line in result.stdout.splitlines())
    assert all(len(line) < 400 for line in result.stdout.splitlines()), result.stdout


def test_check_sees_a_dropped_protection_and_init_puts_it_back(db, cli):
    """A colleague dropped an issued-invoice trigger with the sqlite3 shell; check said ok."""
    close_database()
    assert cli("--db", db, "check").returncode == 0
    conn = sqlite3.connect(db.path)
    conn.execute('DROP TRIGGER "invoice_issued_delete"')
    conn.execute('DROP TRIGGER "invoice_line_issued_update"')
    conn.execute(
        'CREATE TRIGGER "invoice_line_issued_update" BEFORE UPDATE ON "invoice_line" '
        "WHEN 0 BEGIN SELECT 1; END"
    )
    conn.commit()
    conn.close()
    check = cli("--db", db, "check")
    assert check.returncode == 1
    assert "trigger invoice_issued_delete on invoice is missing" in check.stdout
    assert "trigger invoice_line_issued_update on invoice_line differs" in check.stdout
    init = cli("--db", db, "init")
    assert init.returncode == 0, init.stderr
    assert "invoice_issued_delete" in init.stdout
    assert cli("--db", db, "check").returncode == 0


def test_check_sees_a_dropped_verifactu_protection_and_init_puts_it_back(db, cli):
    """Migration 10's triggers keep VERI*FACTU records unchanged and chained: one dropped,
    one altered, one made harmless are each named by check and put back by init."""
    set_issuer()
    from tui_crm.services import settings

    settings.set_many({"verifactu.enabled": "yes"})
    invoice = issued(make_client(), DAY)
    close_database()
    conn = sqlite3.connect(db.path)
    conn.execute('DROP TRIGGER "verifactu_record_update"')
    conn.execute('DROP TRIGGER "invoice_replaced_insert"')
    conn.execute(
        'CREATE TRIGGER "invoice_replaced_insert" BEFORE INSERT ON "invoice_replaced" '
        "WHEN 0 BEGIN SELECT 1; END"
    )
    conn.execute('DROP TRIGGER "verifactu_record_delete"')
    conn.commit()
    # With the trigger gone the record can be changed by hand: what check is there for.
    conn.execute("UPDATE verifactu_record SET environment = 'production'")
    conn.execute("UPDATE verifactu_record SET environment = 'test'")
    conn.commit()
    conn.close()
    check = cli("--db", db, "check")
    assert check.returncode == 1
    lines = [line for line in check.stdout.splitlines() if "error" in line]
    assert any(
        "trigger verifactu_record_update on verifactu_record is missing" in line
        and "VERI*FACTU records are not protected" in line
        for line in lines
    ), check.stdout
    assert "trigger invoice_replaced_insert on invoice_replaced differs" in check.stdout
    assert "trigger verifactu_record_delete on verifactu_record is missing" in check.stdout
    assert "issued invoices are not protected" not in check.stdout  # those are in place
    init = cli("--db", db, "init")
    assert init.returncode == 0, init.stderr
    for name in ("verifactu_record_update", "invoice_replaced_insert", "verifactu_record_delete"):
        assert name in init.stdout
    again = cli("--db", db, "check")
    assert again.returncode == 0, again.stdout
    # Put back exactly: the record refuses to change again.
    conn = sqlite3.connect(db.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            conn.execute(
                "UPDATE verifactu_record SET hash = 'X' WHERE invoice_id = ?", (invoice.id,)
            )
        with pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"):
            conn.execute("DELETE FROM verifactu_record")
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_check_of_a_closed_database_leaves_no_connection_behind(db):
    """check_file in a process that had the database open and closed it: the records' checks
    used to reopen it through the services' handle and keep that connection, whose WAL
    index then went stale once the other processes removed the files (its next readers in
    this process read "database disk image is malformed")."""
    set_issuer()
    from tui_crm.services import settings

    settings.set_many({"verifactu.enabled": "yes"})
    issued(make_client(), DAY)
    close_database()

    def open_files() -> list[str]:
        """What a SQLite connection holds: the file opened for writing, or its WAL files.
        (The one read-only descriptor `db.read_header` keeps per file is not a connection:
        it is kept so that closing it never drops this process's SQLite locks.)"""
        found = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
                with open(f"/proc/self/fdinfo/{fd}") as info:
                    flags = int(info.read().split("flags:")[1].split()[0], 8)
            except (OSError, IndexError, ValueError):
                continue
            if not target.startswith(str(db.path)) or target.endswith(".lock"):
                continue
            if target != str(db.path) or flags & os.O_ACCMODE != os.O_RDONLY:
                found.append(target)
        return found

    assert open_files() == []
    from tui_crm.services.maintenance import check_file

    findings = check_file(db.path)
    assert [f.message for f in findings if f.level == "error"] == []
    # The one record issued above (a count of one says "its hash", issue 16, item 7).
    assert "VERI*FACTU: 1 record, its hash and chain verified" in [f.message for f in findings]
    assert open_files() == []


def test_a_database_before_verifactu_is_not_asked_for_its_protections():
    from tui_crm.services.protections import protection_problems, protections

    names = {p.name for p in protections("sqlite", 9)}
    assert "invoice_issued_update" in names and "verifactu_record_update" not in names
    assert {p.name for p in protections("sqlite")} >= {"verifactu_record_chain"}

    def old_database(sql: str, params: tuple) -> list[tuple]:
        if "schema_version" in sql:
            return [(9,)]
        return [("whatever",)] if "sqlite_master" in sql else []

    problems = protection_problems(old_database, "sqlite")
    assert all(p.what.guards == "invoices" for p in problems)


def test_check_removes_what_an_interrupted_backup_left(db, cli, tmp_path):
    stale = db.path.parent / ".tui-crm-abcd1234.part"
    stale.write_bytes(b"x" * 1000)
    foreign = db.path.parent / ".other-abcd1234.part"
    foreign.write_bytes(b"not ours")
    close_database()
    result = cli("--db", db, "check")
    assert "removed 1 temporary file" in result.stdout
    assert not stale.exists() and foreign.exists()


# --- a database this process cannot write -------------------------------------------------


@pytest.fixture
def unwritable():
    """Make a file unwritable for this process: chmod for a user, `chattr +i` for root
    (root writes whatever the mode says); undone afterwards."""
    made: list[tuple[Path, str, int]] = []

    def make(path: Path) -> None:
        mode = path.stat().st_mode
        if os.geteuid() == 0:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
            if done.returncode != 0:
                pytest.skip(f"as root a file is unwritable only when immutable: {done.stderr!r}")
            made.append((path, "chattr", mode))
        else:
            path.chmod(0o440)
            made.append((path, "chmod", mode))
        assert not os.access(path, os.W_OK)

    yield make
    for path, how, mode in made:
        if how == "chattr":
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(mode & 0o7777)


def test_a_database_you_cannot_write_is_read_leaving_nothing_behind(db, cli, unwritable):
    """One reader's attempt left -wal/-shm files with mode 0440 that locked everyone out."""
    set_issuer()
    issued(make_client(), DAY)
    close_database()
    assert _companions(db.path) == ["crm.sqlite3-open.lock", "crm.sqlite3-writer.lock"]
    unwritable(db.path)
    report = cli("--db", db, "report", "invoices", "--format", "csv")
    assert report.returncode == 0, report.stderr
    assert "F2026-00001" in report.stdout
    refused = cli("--db", db, "config", "set", "company.city", "Jaén")
    assert refused.returncode == 1
    assert "editing is off: you cannot write" in refused.stderr
    assert "read-only" in refused.stderr
    issue = cli("--db", db, "invoice", "create", "--client", "A58818501", "--line", "x|1|1|21")
    assert issue.returncode == 1 and "editing is off" in issue.stderr
    assert cli("--db", db, "check").returncode == 1  # says it is read-only for you
    copy = db.path.parent.parent / "copy.sqlite3"
    backup = cli("--db", db, "backup", copy)  # reading is allowed, a backup included
    assert backup.returncode == 0, backup.stderr
    assert "F2026-00001" in cli("--db", copy, "report", "invoices").stdout
    assert _companions(db.path) == ["crm.sqlite3-open.lock", "crm.sqlite3-writer.lock"]


async def test_the_tui_says_why_editing_is_off(db, unwritable):
    from tui_crm.ui.app import CrmApp

    close_database()
    unwritable(db.path)
    opened = open_for_use(db.target)
    try:
        assert "you cannot write" in opened.read_only
        app = CrmApp(opened)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert "read-only" in app.sub_title
            notes = [n.message for n in app._notifications]
            assert any("Editing is off: you cannot write" in n for n in notes), notes
    finally:
        close_database()
    assert _companions(db.path) == ["crm.sqlite3-open.lock", "crm.sqlite3-writer.lock"]


PROBE_LOCK = """
import fcntl, os, sys
# SQLite's SHARED lock range on a database file (os_unix.c: PENDING_BYTE 0x40000000,
# SHARED_FIRST = PENDING_BYTE + 2, SHARED_SIZE = 510): a write lock there is refused
# while any other process holds SQLite's shared lock.
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000000 + 2)
    print("free")
except OSError:
    print("held")
"""


def _sqlite_lock(path, env) -> str:
    import sys

    probe = subprocess.run(
        [sys.executable, "-c", PROBE_LOCK, str(path)], capture_output=True, text=True, env=env
    )
    return probe.stdout.strip()


def test_reading_a_database_file_this_process_has_open_keeps_its_locks(db, app_env):
    """Closing any descriptor of a file drops the process's POSIX locks on it, SQLite's
    too. `check`, opening and the backup-target checks read the header of a database this
    process may have open; with open()/close() a colleague closing the database could then
    reset the WAL under our connection ("database disk image is malformed")."""
    import sqlite3

    from tui_crm.db import inspect_file, read_header
    from tui_crm.services.maintenance import check_file
    from tui_crm.services.output_files import sqlite_in_use

    conn = sqlite3.connect(db.path)
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM client").fetchone()  # SQLite's shared lock, held
    try:
        assert _sqlite_lock(db.path, app_env.vars) == "held"
        assert read_header(db.path, 16) == b"SQLite format 3\x00"
        assert inspect_file(db.path) == "ours"
        sqlite_in_use(db.path)
        check_file(db.path)
        assert _sqlite_lock(db.path, app_env.vars) == "held"
        with open(db.path, "rb") as fh:  # what the code did before: the lock is gone
            fh.read(16)
        assert _sqlite_lock(db.path, app_env.vars) == "free"
    finally:
        conn.close()
