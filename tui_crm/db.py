"""The one database handle, its pragmas, and the unit of work with a bounded retry.

SQLite runs in WAL mode with foreign keys on, `synchronous=FULL`, a busy timeout
of 10 s, and every transaction `BEGIN IMMEDIATE` so two writers never deadlock
upgrading a read lock (DESIGN §3). A PostgreSQL URL goes through the same code;
the pragmas are SQLite's only.
"""

from __future__ import annotations

import functools
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import peewee

try:
    import fcntl
except ImportError:  # not on Windows: there SQLite's busy handler alone decides
    fcntl = None  # type: ignore[assignment]

from .config import DatabaseTarget
from .i18n import _

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


class DatabaseError(Exception):
    """A database that cannot be opened or used: the message names the problem."""


def _connect_sqlite(path: Path, *, create: bool) -> peewee.SqliteDatabase:
    if path.exists() and path.is_dir():
        raise DatabaseError(_("{path} is a directory, not a database file").format(path=path))
    if not path.parent.exists():
        raise DatabaseError(_("directory {path} does not exist").format(path=path.parent))
    if not path.exists() and not create:
        raise DatabaseError(
            _("database {path} does not exist (run `tui-crm init`)").format(path=path)
        )
    if path.exists() and path.stat().st_size > 0:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise DatabaseError(
                    _("{path} is not a tui-crm database (not SQLite)").format(path=path)
                )
    secure_umask(path.parent)
    if not path.exists():
        # Group-shared by design, never world-readable; WAL and SHM files inherit this mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o660))
    from playhouse.pool import PooledSqliteDatabase

    # A pool: the UI reads in short-lived thread workers, each inside
    # `connection_context()`; closing hands the connection back instead of dropping its
    # page cache, so the next worker's query runs warm (a search keystroke over 100,000
    # clients: ~8 ms warm, ~35 ms on a fresh connection). The busy timeout is the pragma.
    db = PooledSqliteDatabase(
        str(path),
        pragmas=SQLITE_PRAGMAS,
        max_connections=POOL_CONNECTIONS,
        stale_timeout=POOL_STALE_S,
        timeout=POOL_WAIT_S,
        lock_type="IMMEDIATE",
        check_same_thread=False,
        autoconnect=True,
    )
    return db


def _connect_postgres(url: str) -> peewee.Database:
    from playhouse.db_url import connect

    try:
        return connect(url)
    except Exception as exc:  # an unknown scheme or a missing driver
        raise DatabaseError(_("cannot use database URL: {error}").format(error=exc)) from exc


def open_database(target: DatabaseTarget, *, create: bool = True) -> peewee.Database:
    """Point the shared proxy at `target` and check it answers."""
    if target.is_sqlite:
        assert target.path is not None
        db = _connect_sqlite(target.path, create=create)
    else:
        db = _connect_postgres(target.value)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1").fetchone()
    except (peewee.DatabaseError, sqlite3.DatabaseError) as exc:
        db.close()
        raise DatabaseError(
            _("cannot open database {target}: {error}").format(target=target, error=exc)
        ) from exc
    return db


def close_database() -> None:
    obj = database.obj
    if obj is None:
        return
    if not obj.is_closed():
        obj.close()
    close_all = getattr(obj, "close_all", None)
    if close_all is not None:  # the pool's idle connections too
        close_all()


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def db_path() -> Path | None:
    obj = database.obj
    if isinstance(obj, peewee.SqliteDatabase):
        return Path(obj.database)
    return None


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
        if database.in_transaction():
            with database.atomic():
                return fn(*args, **kwargs)
        for attempt in range(LOCK_RETRIES + 1):
            try:
                with writer_turn(), database.atomic():
                    return fn(*args, **kwargs)
            except (peewee.OperationalError, sqlite3.OperationalError) as exc:
                if not is_locked_error(exc) or attempt == LOCK_RETRIES:
                    raise
                time.sleep(0.05 * (2**attempt) + random.random() * 0.05)
        raise AssertionError("unreachable")

    return wrapper


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
