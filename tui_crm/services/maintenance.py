"""Health checks and backups of the database file."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee

from ..db import database, db_path, read_snapshot
from ..i18n import _, ngettext
from ..migrations import current_version, latest_version
from .errors import RuleViolation
from .output_files import output_file, remove_stale_temporaries

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "9p",
        "afs",
        "glusterfs",
        "ceph",
        "fuse.glusterfs",
        "davfs",
        "fuse.davfs2",
        "lustre",
    }
)


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning", "error"
    message: str


def filesystem_type(path: Path) -> str:
    """The type of the file system holding `path`, from /proc/mounts (Linux); "" if unknown."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = str(path.resolve())
    best, best_type = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) >= len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def _permission_findings(path: Path) -> list[Finding]:
    findings = []
    for candidate in (path, path.parent):
        try:
            mode = candidate.stat().st_mode
        except OSError:
            continue
        if mode & stat.S_IROTH or mode & stat.S_IWOTH:
            findings.append(
                Finding(
                    "warning",
                    _(
                        "{path} is readable or writable by every user of this machine "
                        "(mode {mode}); run: chmod o-rwx {path}"
                    ).format(path=candidate, mode=oct(stat.S_IMODE(mode))),
                )
            )
    return findings


Query = Callable[[str, tuple], list[tuple]]

INTEGRITY_LINES = 20  # problems listed one per line; past this, how many more


def _guarded(findings: list[Finding], what: str, step: Callable[[], None]) -> None:
    """Run one check; a database error becomes one finding instead of ending `check`."""
    try:
        step()
    except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
        findings.append(
            Finding(
                "error", _("{what}: {error}").format(what=what, error=" ".join(str(exc).split()))
            )
        )


def _schema_findings(query: Query, findings: list[Finding]) -> None:
    from ..db import missing_tables

    tables = {r[0] for r in query("SELECT name FROM sqlite_master WHERE type = 'table'", ())}
    if "schema_version" not in tables:
        findings.append(Finding("error", _("no schema_version table: not a tui-crm database")))
        return
    version = int(query('SELECT MAX("version") FROM "schema_version"', ())[0][0] or 0)
    latest = latest_version()
    if version == latest:
        findings.append(Finding("ok", _("schema version {v} (up to date)").format(v=version)))
    elif version > latest:
        findings.append(
            Finding(
                "error",
                _(
                    "schema version {v} is newer than this tui-crm ({latest}): upgrade tui-crm"
                ).format(v=version, latest=latest),
            )
        )
    else:
        findings.append(
            Finding(
                "warning",
                _("schema version {v}, this tui-crm expects {latest}").format(
                    v=version, latest=latest
                ),
            )
        )
    for table in missing_tables(tables, version):
        findings.append(
            Finding(
                "error",
                _("table {table} of schema version {v} is missing").format(table=table, v=version),
            )
        )


def _integrity_findings(query: Query, findings: list[Finding]) -> None:
    """SQLite's integrity check, one finding per problem; when the check itself cannot run
    (a damaged page stops it), table by table, so every damaged table is named."""
    try:
        # one row can hold several problems, one a line, under a "*** in database" heading
        result = [
            line
            for row in query("PRAGMA integrity_check", ())
            for line in str(row[0]).splitlines()
            if line.strip() and not line.startswith("*** in database")
        ]
    except (sqlite3.DatabaseError, peewee.DatabaseError):
        result = []
        for (table,) in query(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", ()
        ):
            try:
                rows = query(f'PRAGMA integrity_check("{table}")', ())
            except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
                result.append(_("table {table}: {error}").format(table=table, error=exc))
                continue
            for row in rows:
                for line in str(row[0]).splitlines():
                    if line != "ok" and not line.startswith("*** in database"):
                        result.append(_("table {table}: {error}").format(table=table, error=line))
    if result == ["ok"]:
        findings.append(Finding("ok", _("integrity check passed")))
        return
    for line in result[:INTEGRITY_LINES]:
        findings.append(
            Finding("error", _("integrity check: {details}").format(details=" ".join(line.split())))
        )
    if len(result) > INTEGRITY_LINES:
        findings.append(
            Finding(
                "error",
                ngettext(
                    "integrity check: {n} more problem",
                    "integrity check: {n} more problems",
                    len(result) - INTEGRITY_LINES,
                ).format(n=len(result) - INTEGRITY_LINES),
            )
        )


def _foreign_key_findings(query: Query, findings: list[Finding]) -> None:
    broken: dict[tuple[str, str], int] = {}
    for row in query("PRAGMA foreign_key_check", ()):
        key = (str(row[0]), str(row[2]))
        broken[key] = broken.get(key, 0) + 1
    for (table, parent), n in sorted(broken.items()):
        findings.append(
            Finding(
                "error",
                ngettext(
                    "{n} row of {table} points to a {parent} record that does not exist",
                    "{n} rows of {table} point to {parent} records that do not exist",
                    n,
                ).format(n=n, table=table, parent=parent),
            )
        )


def _protection_findings(query: Query, dialect: str, findings: list[Finding]) -> None:
    from .protections import protection_problems

    problems = protection_problems(query, dialect)
    for problem in problems:
        if problem.what.guards == "records":
            text = _("{problem}: VERI*FACTU records are not protected; run `tui-crm init`").format(
                problem=problem
            )
        elif problem.what.guards == "audit":
            text = _("{problem}: the audit log is not protected; run `tui-crm init`").format(
                problem=problem
            )
        else:
            text = _("{problem}: issued invoices are not protected; run `tui-crm init`").format(
                problem=problem
            )
        findings.append(Finding("error", text))
    if not problems:
        findings.append(Finding("ok", _("issued invoices are protected in the database")))


class _BorrowedConnection(peewee.SqliteDatabase):
    """The services' queries, run on a reading connection `check` already holds."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(":memory:", autoconnect=True)
        self._borrowed = conn

    def _connect(self):  # type: ignore[no-untyped-def]
        return self._borrowed

    def _close(self, conn) -> None:  # type: ignore[no-untyped-def]
        pass  # the connection is the caller's


def _record_findings(
    findings: list[Finding], path: Path | None = None, conn: sqlite3.Connection | None = None
) -> None:
    """The legal records' own checks (VERI*FACTU: every hash and chain, every invoice against
    its record; tamper evidence: the audit log's chain, every issued invoice against its
    fingerprint, guard triggers and roles), through the services' queries, in one snapshot.
    `check` of a file that is not open for use in this process lends them its reading
    connection for the time of the check: the services' handle of a database that was
    closed would open a connection of its own and keep it, and a connection this process
    forgets keeps the file's WAL index mapped after the others have removed it (its next
    readers here then read a damaged file). A process that has the database open (the TUI)
    reads through its own pool: the shared handle is never swapped under its workers."""
    from ..db import holds_open_lock
    from .verifactu import verify_chain

    def run() -> None:
        from . import evidence

        with read_snapshot():  # records, chain heads and invoices as of one moment
            findings.extend(Finding(f.level, f.message) for f in verify_chain())
            # audit chain, issued invoices, guards
            findings.extend(Finding(level, message) for level, message in evidence.findings())

    open_path = db_path()
    if conn is None or (
        open_path is not None and path is not None and open_path == path and holds_open_lock(path)
    ):
        run()
        return
    previous = database.obj
    database.initialize(_BorrowedConnection(conn))
    try:
        run()
    finally:
        database.initialize(previous)


def _file_findings(path: Path, findings: list[Finding], backup_dir: str = "") -> None:
    from .output_files import remove_stale_temporaries

    fs_type = filesystem_type(path)
    if fs_type in NETWORK_FILESYSTEMS:
        findings.append(
            Finding(
                "error",
                _(
                    "the database is on a network file system ({fs}); SQLite's WAL mode needs "
                    "a local disk: move it to the server's own disk"
                ).format(fs=fs_type),
            )
        )
    findings.extend(_permission_findings(path))
    directories = [path.parent]
    if backup_dir:
        directories.append(Path(backup_dir).expanduser())
    removed = [p for d in directories for p in remove_stale_temporaries(d)]
    if removed:
        findings.append(
            Finding(
                "ok",
                ngettext(
                    "removed {n} temporary file left by an interrupted backup, export or print",
                    "removed {n} temporary files left by interrupted backups, exports or prints",
                    len(removed),
                ).format(n=len(removed)),
            )
        )


def check_file(path: Path) -> list[Finding]:
    """`tui-crm check` of a SQLite file: every problem found, one finding each, even on a
    damaged file (each check runs on its own; a failing one becomes a finding).

    Checks: a tui-crm database at all; the schema version and every table of it;
    integrity; foreign keys; the triggers that keep issued invoices and VERI*FACTU records
    unchanged (`services.protections`); the records' hashes and chains; the journal mode;
    the file system and permissions; and it removes the temporary files interrupted
    backups left beside the database and in `backup.directory`. Opens the
    file read-only (`db.peek`'s way: nothing is created beside it)."""
    from ..db import (
        DamagedDatabase,
        DatabaseError,
        inspect_file,
        read_only_reason_for,
        reading_connection,
    )

    path = path.expanduser()
    findings: list[Finding] = []
    try:
        kind = inspect_file(path)
    except DamagedDatabase as exc:  # say so, then see what else can be read
        findings.append(
            Finding("error", _("the database cannot be read: {error}").format(error=exc.error))
        )
        kind = "damaged"
    except DatabaseError as exc:
        return [Finding("error", str(exc))]
    if kind == "missing":
        return [
            Finding(
                "error", _("database {path} does not exist (run `tui-crm init`)").format(path=path)
            )
        ]
    if kind == "empty":
        return [Finding("error", _("{path} is empty (run `tui-crm init`)").format(path=path))]
    try:
        conn = reading_connection(path)
    except sqlite3.DatabaseError as exc:
        return [
            Finding(
                "error", _("cannot open database {target}: {error}").format(target=path, error=exc)
            )
        ]

    def query(sql: str, params: tuple) -> list[tuple]:
        return conn.execute(sql, params).fetchall()

    backup_dir = ""
    try:
        _guarded(findings, _("schema"), lambda: _schema_findings(query, findings))
        _guarded(findings, _("integrity check"), lambda: _integrity_findings(query, findings))
        _guarded(findings, _("foreign keys"), lambda: _foreign_key_findings(query, findings))
        _guarded(
            findings, _("protections"), lambda: _protection_findings(query, "sqlite", findings)
        )

        def backups() -> None:
            nonlocal backup_dir
            rows = query("SELECT value FROM setting WHERE key = 'backup.directory'", ())
            backup_dir = str(rows[0][0]) if rows and rows[0][0] else ""

        _guarded(findings, _("settings"), backups)
        _guarded(findings, _("records"), lambda: _record_findings(findings, path, conn))
    finally:
        conn.close()
    header_mode = _header_journal_mode(path)
    if header_mode and header_mode != "wal":
        findings.append(
            Finding("warning", _("journal mode is {mode}, expected wal").format(mode=header_mode))
        )
    reason = read_only_reason_for(path)
    if reason:
        findings.append(
            Finding(
                "warning", _("{reason}: tui-crm opens it read-only for you").format(reason=reason)
            )
        )
    _file_findings(path, findings, backup_dir)
    return findings


def _header_journal_mode(path: Path) -> str:
    """ "wal" or "delete" from the file's header (bytes 18-19), "" if unreadable."""
    from ..db import read_header

    try:
        header = read_header(path, 20)
    except OSError:
        return ""
    if len(header) < 20:
        return ""
    return "wal" if header[18] == 2 else "delete"


def check_database() -> list[Finding]:
    """`check` of the open database: the SQLite file's checks (`check_file`), or on
    PostgreSQL the schema version, the protections of migrations 8 and 10 and the records."""
    path = db_path()
    if path is not None:
        return check_file(path)
    findings: list[Finding] = []
    version, latest = current_version(), latest_version()
    if version == latest:
        findings.append(Finding("ok", _("schema version {v} (up to date)").format(v=version)))
    else:
        findings.append(
            Finding(
                "warning",
                _("schema version {v}, this tui-crm expects {latest}").format(
                    v=version, latest=latest
                ),
            )
        )

    def query(sql: str, params: tuple) -> list[tuple]:
        return list(database.execute_sql(sql, params).fetchall())

    _guarded(
        findings, _("protections"), lambda: _protection_findings(query, "postgresql", findings)
    )
    _guarded(findings, _("records"), lambda: _record_findings(findings))
    findings.append(Finding("ok", _("PostgreSQL database: file checks do not apply")))
    return findings


def copy_database(source: Path, destination: Path) -> None:
    """A consistent copy of the database at `source` into the empty file `destination`:
    SQLite's `VACUUM INTO` reads one snapshot (writers go on meanwhile), writes a compact
    file in rollback-journal mode, application id included; checked after."""
    from ..db import reading_connection

    src = reading_connection(source, query_only=False)
    try:
        src.execute("VACUUM INTO ?", (str(destination),))
    finally:
        src.close()
    dst = sqlite3.connect(str(destination))
    try:
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
    if ok != "ok":
        raise RuleViolation(
            _("the backup failed its integrity check: {details}").format(details=ok)
        )


def backup_database(destination: Path, *, force: bool = False) -> Path:
    """A consistent copy while others keep writing, checked after, written the safe way.

    Refused: the database itself or one of its files (by name, symlink or hard link),
    any existing file unless `force`, and even with it a database in use
    (`output_files.check_target`). The copy is made in a fresh temporary file beside
    the target and renamed when complete and checked; a failure (the disk full…) leaves
    nothing behind. Temporary files an interrupted backup left in that directory are
    removed first.
    """
    source = db_path()
    if source is None:
        raise RuleViolation(_("backup works on SQLite databases; use pg_dump for PostgreSQL"))
    destination = Path(destination).expanduser()
    if destination.parent.is_dir():
        remove_stale_temporaries(destination.parent)
    with output_file(destination, force=force) as out:
        copy_database(source, out.path)
    assert out.final is not None
    return out.final


def _refuse(message: str) -> None:
    raise RuleViolation(message)


def daily_backup(today=None) -> Path | None:
    """Take today's backup if the business turned daily backups on and it is not there yet,
    and remove those older than `backup.keep_days`. Safe to call from every start and cron."""
    import datetime as dt

    from . import settings

    if settings.get("backup.daily") != "yes":
        return None
    live = db_path()
    if live is None:
        return None
    today = today or dt.date.today()
    directory = Path(settings.get("backup.directory") or live.parent / "backups").expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{live.stem}-{today.isoformat()}.sqlite3"
    taken = None
    if not target.exists():
        taken = backup_database(target)
    keep = int(settings.get("backup.keep_days") or 14)
    for old in directory.glob(f"{live.stem}-????-??-??.sqlite3"):
        try:
            day = dt.date.fromisoformat(old.stem[len(live.stem) + 1 :])
        except ValueError:
            continue
        if (today - day).days >= keep:
            old.unlink(missing_ok=True)
    return taken
