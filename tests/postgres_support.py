"""A throwaway PostgreSQL server for the tests of the PostgreSQL path: `throwaway_cluster`,
and `pg_url`, a module fixture offered to every test by conftest.py. Debian's postgresql
package, installed by `make test`; the tests are skipped, saying why, only where no
PostgreSQL is installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    port: int
    socket: Path  # the directory of its Unix socket
    url: str  # postgresql://postgres@127.0.0.1:PORT/crm


@contextmanager
def throwaway_cluster(
    auth: Sequence[str] = ("-A", "trust"), roles: Sequence[str] = ()
) -> Iterator[Cluster]:
    """A server of its own (initdb with `auth`) with a database `crm` and login `roles`,
    stopped and removed afterwards; skips the test where PostgreSQL is not installed."""
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    try:
        import psycopg2
    except ImportError:
        pytest.skip("psycopg2 is not installed (pip install -e '.[test]')")
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        run_as = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's private temporary directory: the server runs as another user.
    base = Path(tempfile.mkdtemp(prefix="tui-crm-pg-"))
    data = base / "data"
    data.mkdir()
    os.chmod(base, 0o755)  # the socket directory: every local user may reach it
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), *auth, "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        for _ in range(50):
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres")
                break
            except psycopg2.OperationalError:
                time.sleep(0.1)
        conn.autocommit = True
        cursor = conn.cursor()
        cursor.execute("CREATE DATABASE crm")
        for login in roles:
            cursor.execute(f"CREATE ROLE {login} LOGIN")
        conn.close()
        yield Cluster(port, base, f"postgresql://postgres@127.0.0.1:{port}/crm")
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def empty_database(url: str, name: str) -> str:
    """The URL of a new, empty database `name` on the server of `url`: for a test that
    needs the whole database to itself (the module's `pg_url` is shared by its tests)."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return f"{url.rsplit('/', 1)[0]}/{name}"


@contextmanager
def fresh_schema(url: str) -> Iterator[None]:
    """The application's schema made afresh on `url` (what an earlier test of the module
    left there dropped) and open for the block; closed after it."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database, execute
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(url))
    try:
        execute("DROP SCHEMA public CASCADE")
        execute("CREATE SCHEMA public")
        close_database()
        open_for_use(DatabaseTarget(url))
        yield
    finally:
        close_database()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """The URL of the module's throwaway server (trust authentication)."""
    with throwaway_cluster() as cluster:
        yield cluster.url
