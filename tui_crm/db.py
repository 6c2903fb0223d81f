"""The one database handle, its pragmas, and the unit of work with a bounded retry.

SQLite runs in WAL mode with foreign keys on, `synchronous=FULL`, a busy timeout
of 10 s, and every transaction `BEGIN IMMEDIATE` so two writers never deadlock
upgrading a read lock. A PostgreSQL URL goes through the same code;
the pragmas are SQLite's only.
"""

from __future__ import annotations

import functools
import os
import random
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from .config import DatabaseTarget
from .i18n import _

# peewee imports psycopg2 and its extras when they are installed: a tenth of the cold
# start of everyone on SQLite. They are imported when a PostgreSQL database is opened
# (`_load_psycopg2`), and handed to peewee then.
_DEFERRED_PSYCOPG2 = "psycopg2" not in sys.modules
if _DEFERRED_PSYCOPG2:
    sys.modules["psycopg2"] = None  # type: ignore[assignment]  # `import psycopg2` fails
try:
    import peewee
finally:
    if _DEFERRED_PSYCOPG2:
        del sys.modules["psycopg2"]

try:
    import fcntl
except ImportError:  # not on Windows: there SQLite's busy handler alone decides
    fcntl = None  # type: ignore[assignment]

database = peewee.DatabaseProxy()

BUSY_TIMEOUT_S = 10
POOL_CONNECTIONS = 16  # at most this many threads of one process use the database at once
POOL_STALE_S = 600  # an idle connection older than this is closed, not reused
POOL_WAIT_S = 30  # a thread waits this long for a free connection
LOCK_RETRIES = 5

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "full"),
    ("busy_timeout", BUSY_TIMEOUT_S * 1000),
    ("cache_size", -32000),  # 32 MB page cache per connection
    ("temp_store", "memory"),
)
# A database this process may only read: nothing that writes (not even the journal mode);
# the read-only URI keeps the file as it is (temporary tables, in memory, still work).
READ_ONLY_PRAGMAS = (
    ("foreign_keys", 1),
    ("busy_timeout", BUSY_TIMEOUT_S * 1000),
    ("cache_size", -32000),
    ("temp_store", "memory"),
)


class DatabaseError(Exception):
    """A database that cannot be opened or used: the message names the problem."""


class DamagedDatabase(DatabaseError):
    """A SQLite file that SQLite cannot read as it is: `tui-crm check` says what it can."""

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error or message


class ReadOnlyDatabase(DatabaseError):
    """A write on a database this process opened read-only: the message says why."""


# The mark `PRAGMA application_id` leaves in the header of every tui-crm database ("tCRM"),
# written by migration 9 (so at `init` and on the first start after an upgrade). Older
# files are recognised by their schema instead (`inspect_file`).
APPLICATION_ID = 0x7443524D
SQLITE_MAGIC = b"SQLite format 3\x00"
OPEN_WAIT_S = 30  # a process opening the database waits this long for a restore to finish


def _size_limit() -> int | None:
    """This process's file size limit in bytes (`ulimit -f`), None when unlimited."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def describe_fault(exc: BaseException) -> str | None:
    """The cause of a failed write in words ("the disk is full"), or None when it is not one
    of the faults of the machine a person can act on (disk, quota, size limit, permissions)."""
    import errno

    size_limit = _size_limit()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno is not None:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return _("the disk is full")
            if exc.errno == errno.EFBIG:
                return _("a file reached the size limit of this process (ulimit -f)")
            if exc.errno == errno.EROFS:
                return _("the file system is read-only")
            if exc.errno in (errno.EACCES, errno.EPERM):
                return _("permission denied")
            if exc.errno == errno.EIO:
                return _("the disk reported an input/output error")
        text = str(exc).lower()
        if isinstance(exc, sqlite3.Error | peewee.DatabaseError):
            if "disk is full" in text:
                return _("the disk is full")
            if "disk i/o error" in text:
                if size_limit is not None:
                    return _("a file reached the size limit of this process (ulimit -f)")
                return _("the disk reported an input/output error (is it full?)")
            if "readonly database" in text or "read-only" in text:
                return _("the database is read-only for this process")
            if "malformed" in text or "not a database" in text:
                return _("the database file is damaged (run `tui-crm check`)")
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def file_mode(directory: Path) -> int:
    """The mode of a file we create in `directory`: the umask's, never world-accessible, and
    group-readable and -writable in a group-shared directory (setgid or group-writable)."""
    mask = os.umask(0o077)
    os.umask(mask)
    mask |= 0o007
    try:
        dir_mode = directory.stat().st_mode
    except OSError:
        dir_mode = 0
    if dir_mode & 0o2000 or dir_mode & 0o020:
        mask &= ~0o060
    return 0o666 & ~mask


def _read_only_uri(path: Path, *, live: bool) -> str:
    """A URI that opens `path` for reading and never creates a file beside it.

    With no `-wal` beside it nobody is writing in WAL mode, and `immutable` keeps SQLite
    from creating `-wal`/`-shm` files (a reader that cannot write the database would
    leave them behind with its own owner and mode, locking the others out); with one,
    a plain read-only connection shares the writers' WAL index."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    if not (live and Path(f"{path}-wal").exists()):
        uri += "&immutable=1"
    return uri


def reading_connection(path: Path, *, query_only: bool = True) -> sqlite3.Connection:
    """A connection that only reads the SQLite file at `path` and leaves nothing behind.

    A file this process may write is opened the ordinary way, with `query_only`: SQLite
    makes its WAL files and removes them when the last connection closes, and its locks
    keep the reading consistent while others write. A file it may not write is opened
    read-only (`_read_only_uri`): a read-only connection would create `-wal`/`-shm`
    files it can never remove."""
    if read_only_reason_for(path):
        conn = sqlite3.connect(_read_only_uri(path, live=True), uri=True, timeout=BUSY_TIMEOUT_S)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, uri=False)
        if query_only:  # (VACUUM INTO, which writes another file, needs it off)
            conn.execute("PRAGMA query_only = 1")
    return conn


def attach_name(path: Path) -> str:
    """What `ATTACH DATABASE ?` takes to read `path` (see `reading_connection`); the main
    connection must have been opened with `uri=True`."""
    if read_only_reason_for(path):
        return _read_only_uri(path, live=True)
    from urllib.parse import quote

    return f"file:{quote(str(path.absolute()))}"


def peek(
    path: Path, *, hold: list[sqlite3.Connection] | None = None
) -> tuple[int, set[str], int | None]:
    """(application id, tables, schema version or None) of an existing SQLite file, read
    without writing anything (see `reading_connection`). With `hold`, the connection is
    appended there instead of closed, for the caller to close (see `open_database`)."""
    conn = reading_connection(path)
    keep = False
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = None
        if "schema_version" in tables:
            try:
                row = conn.execute('SELECT MAX("version") FROM "schema_version"').fetchone()
                version = int(row[0]) if row and row[0] is not None else None
            except sqlite3.DatabaseError:
                version = None
        if hold is not None:
            hold.append(conn)
            keep = True
        return app_id, tables, version
    finally:
        if not keep:
            conn.close()


def missing_tables(tables: set[str], version: int) -> list[str]:
    """The tables of tui-crm's schema `version` that `tables` lacks (none for a version this
    release does not know: the migrations refuse those by name)."""
    from .migrations import expected_tables, latest_version

    if version < 1 or version > latest_version():
        return []
    return sorted(set(expected_tables(version)) - tables)


_header_lock = threading.Lock()
_header_fds: dict[tuple[int, int], int] = {}
_spare_fds: list[int] = []  # descriptors of SQLite files that must stay open, unused


def read_header(path: Path, size: int = 100) -> bytes:
    """The first `size` bytes of a file that may be a SQLite database open in this process.

    Closing any descriptor of a file drops every POSIX lock the process holds on it,
    SQLite's included: a plain open() and close() of a database that a connection of this
    process has open lets a colleague's process reset the WAL under that connection, which
    then reads "database disk image is malformed" (SQLite's "How To Corrupt", 2.2). So a
    SQLite file is read through one descriptor per file, kept for the life of the process
    and never closed; another file's descriptor is closed at once (SQLite locks none)."""
    info = os.stat(path)  # no descriptor, no lock dropped
    key = (info.st_dev, info.st_ino)
    with _header_lock:
        fd = _header_fds.get(key)
        if fd is not None:
            return os.pread(fd, size, 0)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        opened = os.fstat(fd)
        key = (opened.st_dev, opened.st_ino)  # the file may have been replaced meanwhile
        header = os.pread(fd, size, 0)
        if header[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
            os.close(fd)
        elif key in _header_fds:
            _spare_fds.append(fd)
        else:
            _header_fds[key] = fd
        return header


def inspect_file(path: Path, *, hold: list[sqlite3.Connection] | None = None) -> str:
    """What `path` holds: "missing", "empty" (no bytes, or SQLite without a table) or "ours"
    (a tui-crm database: our application id, or a schema version with all its tables).

    Anything else is refused with one line (DatabaseError) and left exactly as it was:
    a file that is not SQLite, a database of another application. `hold`: see `peek`.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        raise DatabaseError(
            _("cannot read {path}: {error}").format(path=path, error=exc.strerror)
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseError(_("{path} is a directory, not a database file").format(path=path))
    if st.st_size == 0:
        return "empty"
    try:
        header = read_header(path, len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseError(
            _("cannot read {path}: {error}").format(path=path, error=exc.strerror)
        ) from None
    if header != SQLITE_MAGIC:
        raise DatabaseError(_("{path} is not a tui-crm database (not SQLite)").format(path=path))
    try:
        app_id, tables, version = peek(path, hold=hold)
    except sqlite3.DatabaseError as exc:
        raise DamagedDatabase(
            _("cannot open database {target}: {error} (run `tui-crm check`)").format(
                target=path, error=exc
            ),
            str(exc),
        ) from None
    if app_id == APPLICATION_ID:
        return "ours"
    if app_id != 0:
        raise DatabaseError(
            _(
                "{path} is the database of another application (SQLite application id "
                "{app_id:#010x}), not tui-crm's; nothing was changed"
            ).format(path=path, app_id=app_id)
        )
    if not tables:
        return "empty"
    if version is None:
        raise DatabaseError(
            _("{path} is not a tui-crm database (it has other tables); nothing was changed").format(
                path=path
            )
        )
    lacking = missing_tables(tables, version)
    if lacking:
        raise DatabaseError(
            _(
                "{path} is not a complete tui-crm database: schema version {v} lacks {tables}; "
                "nothing was changed"
            ).format(path=path, v=version, tables=", ".join(lacking))
        )
    return "ours"


def read_only_reason_for(path: Path) -> str:
    """Why this process can only read `path` ("" when it may write): the file, or a WAL
    companion, is not writable, or SQLite could not create its `-wal`/`-shm` files."""
    if not path.exists():
        return ""
    if not os.access(path, os.W_OK):
        return _("you cannot write {path}").format(path=path)
    companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    for companion in companions:
        if companion.exists() and not os.access(companion, os.W_OK):
            return _("you cannot write {path}").format(path=companion)
    directory = path.parent
    if not os.access(directory, os.W_OK | os.X_OK) and not all(c.exists() for c in companions):
        return _("you cannot create files in {directory}").format(directory=directory)
    return ""


class _SqliteDatabase:
    """Mixed into the pool class: the file's path, read-only state, and rollbacks that do not
    hide the error that ended the transaction.

    SQLite rolls a transaction back by itself when a write fails for the disk (full, I/O
    error); peewee's ROLLBACK then fails with "cannot rollback - no transaction is
    active", and that message used to replace the real one."""

    file_path: Path
    read_only: str = ""  # why this process may not write, or ""

    def rollback(self):  # type: ignore[no-untyped-def]
        if not self.is_closed() and not self.connection().in_transaction:
            return None  # SQLite already rolled back: let the original error through
        return super().rollback()  # type: ignore[misc]

    def savepoint(self):  # type: ignore[no-untyped-def]
        return _Savepoint(self)


class _Savepoint(peewee._savepoint):
    def rollback(self, begin: bool = True) -> None:
        if not self.db.connection().in_transaction:
            return  # the whole transaction is gone already (see _SqliteDatabase)
        super().rollback(begin)


def _pool_class():
    from playhouse.pool import PooledSqliteDatabase

    return type("TuiCrmSqliteDatabase", (_SqliteDatabase, PooledSqliteDatabase), {})


def _connect_sqlite(
    path: Path,
    *,
    create: bool,
    initialise: bool = False,
    hold: list[sqlite3.Connection] | None = None,
) -> peewee.Database:
    if not path.parent.exists():
        raise DatabaseError(_("directory {path} does not exist").format(path=path.parent))
    kind = inspect_file(path, hold=hold)
    if kind == "missing" and not create:
        raise DatabaseError(
            _("database {path} does not exist (run `tui-crm init`)").format(path=path)
        )
    if kind == "empty" and not initialise:
        raise DatabaseError(
            _(
                "{path} is empty; only `tui-crm init` makes a tui-crm database of an existing file"
            ).format(path=path)
        )
    read_only = read_only_reason_for(path)
    if kind == "missing":
        secure_umask(path.parent)
        try:
            # Group-shared by design, never world-readable; WAL and SHM files inherit this mode.
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode(path.parent)))
        except FileExistsError:
            return _connect_sqlite(path, create=create, initialise=initialise, hold=hold)
        except OSError as exc:
            raise DatabaseError(
                _("cannot create {path}: {error}").format(path=path, error=exc.strerror)
            ) from None
    elif not read_only:
        secure_umask(path.parent)
    hold_open_lock(path)
    # A pool: the UI reads in short-lived thread workers, each inside
    # `connection_context()`; closing hands the connection back instead of dropping its
    # page cache, so the next worker's query runs warm (a search keystroke over 100,000
    # clients: ~8 ms warm, ~35 ms on a fresh connection). The busy timeout is the pragma.
    pool = _pool_class()
    options = {
        "max_connections": POOL_CONNECTIONS,
        "stale_timeout": POOL_STALE_S,
        "timeout": POOL_WAIT_S,
        "check_same_thread": False,
        "autoconnect": True,
    }
    if read_only:
        db = pool(
            _read_only_uri(path, live=True),
            uri=True,
            pragmas=READ_ONLY_PRAGMAS,
            **options,
        )
    else:
        db = pool(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", **options)
    db.file_path = path
    db.read_only = read_only
    return db


def _load_psycopg2() -> None:
    """Give peewee the psycopg2 it did not import at start (what its own import does)."""
    if getattr(peewee, "psycopg2", None) is not None:
        return
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid
    except ImportError:
        return  # peewee says the driver is missing when asked to connect
    register_uuid()
    peewee.psycopg2 = psycopg2
    peewee.pg_extensions = extensions
    peewee.pg_register_uuid = register_uuid
    peewee.Json_pg2 = Json
    adapter = peewee.Psycopg2Adapter  # what its class body sets when psycopg2 is there
    adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN


def _connect_postgres(url: str) -> peewee.Database:
    _load_psycopg2()
    from playhouse.db_url import connect

    try:
        return connect(url)
    except Exception as exc:  # an unknown scheme or a missing driver
        raise DatabaseError(_("cannot use database URL: {error}").format(error=exc)) from exc


def open_database(
    target: DatabaseTarget, *, create: bool = True, initialise: bool = False
) -> peewee.Database:
    """Point the shared proxy at `target` and check it answers.

    SQLite: a missing file is created when `create`; an existing empty one only when
    `initialise` (`tui-crm init`); a file that is not a tui-crm database is refused and
    left untouched; one this process cannot write is opened read-only (`read_only_reason`).
    While the file is open the process holds a shared lock on `<database>-open.lock`
    (see `hold_open_lock`)."""
    # The connection that checked the file stays open until ours is: closed first, it
    # would be the file's last one, and SQLite would checkpoint and delete the WAL and
    # shared-memory files that our connection creates again a moment later.
    held: list[sqlite3.Connection] = []
    try:
        if target.is_sqlite:
            assert target.path is not None
            db = _connect_sqlite(target.path, create=create, initialise=initialise, hold=held)
        else:
            db = _connect_postgres(target.value)
        database.initialize(db)
        try:
            db.connect(reuse_if_open=True)
            db.execute_sql("SELECT 1").fetchone()
        except (peewee.DatabaseError, sqlite3.DatabaseError) as exc:
            db.close()
            release_open_lock()
            raise DatabaseError(
                _("cannot open database {target}: {error}").format(
                    target=target, error=describe_fault(exc) or exc
                )
            ) from exc
    finally:
        for conn in held:
            conn.close()
    return db


def close_database(*, keep_lock: bool = False) -> None:
    """Close this thread's connection and the pool's idle ones; the open lock goes too unless
    `keep_lock` (the TUI closes before its workers reconnect lazily to the same file)."""
    obj = database.obj
    if obj is None:
        return
    if not obj.is_closed():
        obj.close()
    close_all = getattr(obj, "close_all", None)
    if close_all is not None:  # the pool's idle connections too
        close_all()
    if not keep_lock:
        release_open_lock()


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def db_path() -> Path | None:
    obj = database.obj
    if isinstance(obj, peewee.SqliteDatabase):
        return getattr(obj, "file_path", None) or Path(obj.database)
    return None


def read_only_reason() -> str:
    """Why the open database is read-only for this process ("" when it may write)."""
    return getattr(database.obj, "read_only", "") or ""


def refuse_if_read_only() -> None:
    """Refuse a write, in one sentence that says why editing is off."""
    reason = read_only_reason()
    if reason:
        raise ReadOnlyDatabase(
            _("editing is off: {reason}, so tui-crm opened the database read-only").format(
                reason=reason
            )
        )


# --- the open lock: who has the database open ---------------------------------------

_open_lock: dict[str, object] = {}  # "path" -> str, "fd" -> int


def open_lock_path(path: Path) -> Path:
    return Path(f"{path}-open.lock")


def hold_open_lock(path: Path) -> None:
    """Hold a shared flock on `<database>-open.lock` while this process has the file open.

    A restore takes the same lock exclusively (`exclusive_open_lock`), so it runs only
    when nobody else has the database open, and a process that starts during a restore
    waits for it (up to OPEN_WAIT_S) and then reads the restored data. The kernel drops
    the lock when the process ends, however it ends. A reader that can neither create
    nor open the lock file (a read-only directory) goes without it."""
    if fcntl is None:
        return
    key = str(path.absolute())
    if _open_lock.get("path") == key:
        return
    release_open_lock()
    lock_path = open_lock_path(path)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, file_mode(path.parent))
    except OSError:
        try:
            fd = os.open(lock_path, os.O_RDONLY)
        except OSError:
            return
    deadline = time.monotonic() + OPEN_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise DatabaseError(
                    _("a restore of {path} is in progress; try again when it has finished").format(
                        path=path
                    )
                ) from None
            time.sleep(0.1)
    _open_lock.update(path=key, fd=fd)


def holds_open_lock(path: Path) -> bool:
    """Whether this process has the database at `path` open for use (opened, and not closed
    since): the open lock `hold_open_lock` took. Without flock (Windows), whether the open
    database is that file and this thread has a connection to it."""
    if fcntl is None:
        obj = database.obj
        return obj is not None and db_path() == path and not obj.is_closed()
    return _open_lock.get("path") == str(path.absolute())


def release_open_lock() -> None:
    fd = _open_lock.pop("fd", None)
    _open_lock.pop("path", None)
    if isinstance(fd, int):
        os.close(fd)  # closing the descriptor drops the flock


@contextmanager
def exclusive_open_lock(path: Path, wait_s: float = 0) -> Iterator[None]:
    """The open lock taken exclusively: nobody else has the database open, and nobody opens
    it until this ends (they wait). Refused (DatabaseError) when others keep it open for
    more than `wait_s` seconds. This process's own shared lock, if any, is converted."""
    if fcntl is None:
        yield
        return
    key = str(path.absolute())
    own = _open_lock.get("fd") if _open_lock.get("path") == key else None
    fd = (
        own
        if isinstance(own, int)
        else os.open(open_lock_path(path), os.O_RDWR | os.O_CREAT, file_mode(path.parent))
    )
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseError(
                        _(
                            "other tui-crm sessions have {path} open; ask everyone to quit "
                            "tui-crm (and wait for running cron jobs), then run the restore again"
                        ).format(path=path)
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        if fd is own:
            fcntl.flock(fd, fcntl.LOCK_SH)  # back to an ordinary user of the database
        else:
            os.close(fd)


def is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "database table is locked" in text
    )


P = ParamSpec("P")
R = TypeVar("R")


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service function as one IMMEDIATE transaction, retried a few times when busy.

    Nested calls join the outer transaction (a savepoint); only the outermost call
    retries, because only it can start the whole unit of work again.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if database.obj is None:
            raise DatabaseError(_("no database is open"))
        refuse_if_read_only()
        if database.in_transaction():
            with database.atomic():
                return fn(*args, **kwargs)
        for attempt in range(LOCK_RETRIES + 1):
            try:
                with writer_turn(), database.atomic():
                    return fn(*args, **kwargs)
            except (peewee.OperationalError, sqlite3.OperationalError) as exc:
                _wait_if_busy(exc, attempt)
        raise AssertionError("unreachable")

    return wrapper


@contextmanager
def streamed_transaction() -> Iterator[None]:
    """One IMMEDIATE transaction for work that cannot be started again, as `transactional`
    runs a function: rows being read from a file as they are written, say.

    Only its start is retried while the database is busy: once `BEGIN IMMEDIATE` holds
    the write lock, nothing inside waits for another writer. Nested in a transaction, it
    joins it (a savepoint).
    """
    if database.obj is None:
        raise DatabaseError(_("no database is open"))
    refuse_if_read_only()
    if database.in_transaction():
        with database.atomic():
            yield
        return
    with writer_turn(), ExitStack() as stack:
        for attempt in range(LOCK_RETRIES + 1):
            try:
                stack.enter_context(database.atomic())
                break
            except (peewee.OperationalError, sqlite3.OperationalError) as exc:
                _wait_if_busy(exc, attempt)
        yield


def _wait_if_busy(exc: Exception, attempt: int) -> None:
    """Re-raise `exc` unless the database was busy and retries are left; else wait a
    growing, jittered moment before the next attempt."""
    if not is_locked_error(exc) or attempt == LOCK_RETRIES:
        raise exc
    time.sleep(0.05 * (2**attempt) + random.random() * 0.05)


_turn_lock = threading.Lock()
_turn_files: dict[str, int] = {}


@contextmanager
def writer_turn() -> Iterator[None]:
    """Writers of every process on one SQLite file take turns through a lock file.

    SQLite's busy handler polls with growing sleeps, so under steady writing one
    process can starve while the others keep winning the lock; a blocking flock on
    `<database>-writer.lock` queues them in the kernel instead. Threads of one process
    queue on a mutex first. The lock goes with the process if it dies. PostgreSQL
    needs none of this.
    """
    path = db_path()
    if path is None or fcntl is None:
        yield
        return
    with _turn_lock:
        key = str(path)
        fd = _turn_files.get(key)
        if fd is None:
            fd = os.open(f"{key}-writer.lock", os.O_RDWR | os.O_CREAT, 0o660)
            _turn_files[key] = fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def connection() -> Iterator[None]:
    """A connection for the current thread (thread workers open their own)."""
    with database.connection_context():
        yield


def secure_umask(shared_dir: Path | None = None) -> None:
    """Files we create are never world-readable; in a group-shared directory (setgid or
    group-writable) they are group-readable and group-writable, so colleagues can use them."""
    current = os.umask(0o007)
    mask = current | 0o007
    if shared_dir is not None:
        try:
            mode = shared_dir.stat().st_mode
        except OSError:
            mode = 0
        if mode & 0o2000 or mode & 0o020:
            mask &= ~0o070
    os.umask(mask)


def execute(sql: str, params: tuple | list = ()):
    """Run raw SQL written with `?` placeholders on whichever database is open."""
    obj = database.obj
    if obj is not None and not isinstance(obj, peewee.SqliteDatabase):
        sql = sql.replace("?", obj.param)
    return database.execute_sql(sql, params)


def execute_many(sql: str, rows) -> None:
    """`execute` for many rows of parameters (one statement, executemany)."""
    obj = database.obj
    if obj is not None and not isinstance(obj, peewee.SqliteDatabase):
        sql = sql.replace("?", obj.param)
    database.cursor().executemany(sql, rows)


def read_snapshot():
    """A read-only transaction: one consistent view across several queries (a long report),
    without taking SQLite's write lock."""
    if is_sqlite():
        return database.atomic("DEFERRED")
    return database.atomic()
