"""The scale case on PostgreSQL: a throwaway server started by the bench (Debian's
postgresql, which `make test` / `make system-deps` install), its data directory kept in
`.bench/` and loaded once from the SQLite scale database.

- `scale_server(dataset)`: a context manager giving the URL of a server holding the
  dataset. The data directory `.bench/pg-<dataset stem>/` is reused when its
  `fingerprint` file matches the SQLite dataset's (its generation time and schema
  version), upgraded by the migrations when only the schema version moved on (as the
  SQLite file was); otherwise it is made afresh: `initdb`, the schema by the application's own
  migrations (`open_for_use`), then every table copied from the SQLite file with
  `COPY ... FROM STDIN` (triggers and foreign-key checks off for the load:
  `session_replication_role = replica`; derived tables such as `client_revenue` are
  copied, not recomputed), sequences moved past the copied ids, `ANALYZE`. The server is
  stopped when the block ends; the directory stays for the next run.
- `Unavailable`: raised when no PostgreSQL is installed (the bench then says so).
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from .dataset import CACHE_DIR
from .registry import Dataset

LOAD_BATCH = 20_000  # rows per COPY chunk


class Unavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise Unavailable("PostgreSQL is not installed (make system-deps installs it)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise Unavailable("running as root without runuser")
    return ["runuser", "-u", "postgres", "--"]


def fingerprint(dataset: Dataset) -> str:
    meta = dataset.meta
    return json.dumps(
        {
            "dataset": dataset.path.name,
            "generated_at": dataset.generated_at,
            "schema_version": meta.get("schema_version"),
            "loader": 3,
        },
        sort_keys=True,
    )


def _same_data(stamp: str, wanted: str) -> bool:
    """The loaded data is the dataset's, only at an older schema version."""
    try:
        old, new = json.loads(stamp), json.loads(wanted)
    except ValueError:
        return False
    keys = ("dataset", "generated_at", "loader")
    return (
        all(old.get(k) == new.get(k) for k in keys)
        and isinstance(old.get("schema_version"), int)
        and isinstance(new.get("schema_version"), int)
        and old["schema_version"] < new["schema_version"]
    )


def _upgrade(url: str) -> None:
    """The loaded database brought to the latest schema by the application's migrations."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(url))
    close_database()


@contextlib.contextmanager
def _server(data: Path, loading: bool = False) -> Iterator[str]:
    """Start a server on `data` (a socket directory beside it), yield its URL, stop it.
    `loading`: no WAL for the load's COPYs and no fsync (the clean stop after it writes
    everything out; a crash mid-load leaves no fingerprint, so the load starts over)."""
    import psycopg2

    bindir, run_as = _bindir(), _run_as()
    port = _free_port()
    sockets = data.parent / f"{data.name}.sock"
    sockets.mkdir(exist_ok=True)
    if run_as:
        shutil.chown(sockets, "postgres")
    log = data.parent / f"{data.name}.log"
    log.touch()
    if run_as:
        shutil.chown(log, "postgres")
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB "
            "-c work_mem=32MB -c maintenance_work_mem=256MB -c max_wal_size=4GB "
            "-c synchronous_commit=on"
            + (" -c wal_level=minimal -c max_wal_senders=0 -c fsync=off" if loading else ""),
            "-l",
            str(log),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        for _ in range(100):
            try:
                psycopg2.connect(host="127.0.0.1", port=port, user="postgres").close()
                break
            except psycopg2.OperationalError:
                time.sleep(0.1)
        yield f"postgresql://postgres@127.0.0.1:{port}/crm"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
        )


def _initdb(data: Path) -> None:
    bindir, run_as = _bindir(), _run_as()
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    if run_as:
        shutil.chown(data, "postgres")
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )


def _copy_sql(column: str, kind: str) -> str:
    """SQLite expression writing `column` as a field of COPY's text format."""
    quoted = f'"{column}"'
    if kind == "bytea":
        return f"CASE WHEN {quoted} IS NULL THEN '\\N' ELSE '\\\\x' || hex({quoted}) END"
    text = f"CAST({quoted} AS TEXT)"
    for plain, escaped in (("'\\'", "'\\\\'"), ("char(9)", "'\\t'"), ("char(10)", "'\\n'")):
        text = f"replace({text}, {plain}, {escaped})"
    text = f"replace({text}, char(13), '\\r')"
    return f"COALESCE({text}, '\\N')"


def _load(url: str, sqlite_path: Path) -> dict[str, int]:
    """The schema by the application's migrations, then every table's rows by COPY."""
    import psycopg2

    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services.startup import open_for_use

    admin = psycopg2.connect(url.replace("/crm", "/postgres"))
    admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE crm")
    admin.close()
    open_for_use(DatabaseTarget(url))  # the schema, as the application makes it
    close_database()

    target = psycopg2.connect(url)
    cur = target.cursor()
    cur.execute("SET session_replication_role = replica")  # no triggers, no FK checks
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'"
    )
    tables = [r[0] for r in cur.fetchall()]
    # Emptied at once (one by one, a CASCADE would empty tables already loaded), in the
    # load's transaction: with wal_level=minimal the COPYs then skip the WAL.
    cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
    # Secondary indexes are built once after the load (a sort beats a million inserts).
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    )
    indexes = cur.fetchall()
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    for table in tables:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        columns = cur.fetchall()
        # SQLite writes each row as a line of COPY's text format itself (C speed):
        # NULL as \N, bytea as \\x + hex, text with backslash, tab, newline and CR escaped.
        line = " || char(9) || ".join(_copy_sql(name, kind) for name, kind in columns)
        try:
            rows = source.execute(f'SELECT {line} FROM "{table}"')
        except sqlite3.OperationalError:
            continue  # a table SQLite does not have (or not with these columns)
        quoted = ", ".join(f'"{name}"' for name, _kind in columns)
        n = 0
        while True:
            chunk = rows.fetchmany(LOAD_BATCH)
            if not chunk:
                break
            buffer = io.StringIO("\n".join(r[0] for r in chunk) + "\n")
            cur.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', buffer)
            n += len(chunk)
        counts[table] = n
    for _name, definition in indexes:
        cur.execute(definition)
    # Sequences past the copied ids.
    cur.execute(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
        "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
        "AND a.attnum > 0 AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
        "IS NOT NULL"
    )
    for table, column, sequence in cur.fetchall():
        cur.execute(
            f'SELECT setval(%s, GREATEST(COALESCE((SELECT MAX("{column}") FROM "{table}"), 0), 1))',
            (sequence,),
        )
    target.commit()
    target.autocommit = True
    target.cursor().execute("VACUUM ANALYZE")
    target.close()
    source.close()
    return counts


@contextlib.contextmanager
def scale_server(dataset: Dataset) -> Iterator[str]:
    """The URL of a running server holding `dataset` (loaded now, or kept from before)."""
    try:
        import psycopg2  # noqa: F401
    except ImportError as exc:
        raise Unavailable("psycopg2 is not installed") from exc
    data = CACHE_DIR / f"pg-{dataset.path.stem}"
    stamp = CACHE_DIR / f"pg-{dataset.path.stem}.fingerprint"
    wanted = fingerprint(dataset)
    fresh = not (data.exists() and stamp.exists() and stamp.read_text() == wanted)
    if fresh and data.exists() and stamp.exists() and _same_data(stamp.read_text(), wanted):
        print(f"upgrading {data.name} to the latest schema by its migrations", flush=True)
        started = time.perf_counter()
        with _server(data) as url:
            _upgrade(url)
        stamp.write_text(wanted)
        print(f"  upgraded in {time.perf_counter() - started:.0f} s", flush=True)
        fresh = False
    if fresh:
        stamp.unlink(missing_ok=True)
        print(f"loading the scale database into PostgreSQL ({data.name})", flush=True)
        started = time.perf_counter()
        _initdb(data)
        with _server(data, loading=True) as url:
            counts = _load(url, dataset.path)
        stamp.write_text(wanted)
        print(
            f"  loaded {sum(counts.values()):,} rows of {len(counts)} tables in "
            f"{time.perf_counter() - started:.0f} s (kept in .bench/{data.name})",
            flush=True,
        )
    with _server(data) as url:
        yield url
