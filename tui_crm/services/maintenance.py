"""Health checks and backups of the database file."""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..db import database, db_path, is_sqlite
from ..i18n import _
from ..migrations import current_version, latest_version

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


def check_database() -> list[Finding]:
    """Integrity, schema version, journal mode, permissions and file system of the database."""
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
    from .verifactu import verify_chain

    findings.extend(Finding(f.level, f.message) for f in verify_chain())
    from . import evidence

    findings.extend(evidence.findings())  # audit chain, issued invoices, guard triggers
    if not is_sqlite():
        findings.append(Finding("ok", _("PostgreSQL database: file checks do not apply")))
        return findings
    result = [row[0] for row in database.execute_sql("PRAGMA integrity_check").fetchall()]
    if result == ["ok"]:
        findings.append(Finding("ok", _("integrity check passed")))
    else:
        findings.append(
            Finding(
                "error",
                _("integrity check failed: {details}").format(details="; ".join(result[:5])),
            )
        )
    broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        findings.append(
            Finding("error", _("{n} rows point to records that do not exist").format(n=len(broken)))
        )
    mode = database.execute_sql("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        findings.append(
            Finding("warning", _("journal mode is {mode}, expected wal").format(mode=mode))
        )
    path = db_path()
    if path is not None:
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
    return findings


def backup_database(destination: Path) -> Path:
    """A consistent copy while others keep writing (SQLite's online backup), checked after.

    The copy is written under a temporary name and renamed when complete, so a
    half-written backup never looks like a good one.
    """
    source = db_path()
    if source is None:
        from .errors import RuleViolation

        raise RuleViolation(_("backup works on SQLite databases; use pg_dump for PostgreSQL"))
    destination = destination.expanduser()
    if not destination.parent.is_dir():
        from .errors import RuleViolation

        raise RuleViolation(_("directory {path} does not exist").format(path=destination.parent))
    fd, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=".backup-", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(str(source), timeout=30)
        dst = sqlite3.connect(tmp_name)
        try:
            src.backup(dst, pages=4096)
            dst.execute("PRAGMA journal_mode=DELETE")
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != "ok":
            from .errors import RuleViolation

            raise RuleViolation(
                _("the backup failed its integrity check: {details}").format(details=ok)
            )
        os.chmod(tmp, 0o660)
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
    return destination


def _refuse(message: str) -> None:
    from .errors import RuleViolation

    raise RuleViolation(message)


def inspect_backup(path: Path) -> int:
    """Check that `path` is a sound tui-crm database; returns its schema version."""
    from ..migrations import latest_version as newest

    path = path.expanduser()
    if not path.is_file():
        _refuse(_("{path} does not exist").format(path=path))
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            _refuse(_("{path} is not a tui-crm database (not SQLite)").format(path=path))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            _refuse(_("{path} fails its integrity check: {details}").format(path=path, details=ok))
        try:
            version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            version = 0
    finally:
        conn.close()
    if version == 0:
        _refuse(_("{path} is not a tui-crm database (no schema version)").format(path=path))
    if version > newest():
        _refuse(
            _("{path} is at schema version {v}, newer than this tui-crm ({latest})").format(
                path=path, v=version, latest=newest()
            )
        )
    return int(version)


def restore_database(backup: Path) -> Path:
    """Replace the open database's content with a backup (admin only).

    The backup must pass its integrity check. The current content is first saved
    beside the database (`…before-restore-<time>.sqlite3`), then the backup is
    copied in through SQLite's online backup, so colleagues' processes see the
    restored data on their next read instead of a swapped file under their feet.
    Returns the path of the safety copy.
    """
    import datetime as dt

    from ..migrations import upgrade
    from . import audit
    from .permissions import require

    require("data.restore")
    live = db_path()
    if live is None:
        _refuse(_("restore works on SQLite databases; use pg_restore for PostgreSQL"))
    backup = backup.expanduser().resolve()
    if backup == live.resolve():
        _refuse(_("that is the database itself, not a backup"))
    inspect_backup(backup)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
    backup_database(safety)
    database.close()
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(str(live), timeout=60)
    try:
        src.backup(dst, pages=4096)
    finally:
        dst.close()
        src.close()
    database.connect(reuse_if_open=True)
    upgrade()  # an older backup is brought up to this version's schema
    audit.record("restore", "database", str(live), summary=str(backup))
    return safety


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
