"""Faults say what happened: a full disk (a real 6 MB file system) and a file size limit
(`ulimit -f`, the same code paths without root) make import, `invoice create --issue`,
export, backup and print say so in one line, leave nothing partial and change nothing.
Invalid UTF-8 in an argument is one clear line, and the crash logger never crashes."""

from __future__ import annotations

import csv
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from invoicing_support import issued, make_client, set_issuer

from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database
from tui_crm.services.startup import open_for_use

pytestmark = [pytest.mark.xdist_group("faults")]

HOLDER = textwrap.dedent(
    """
    import sys
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import clients
    open_for_use(DatabaseTarget(sys.argv[1]))
    clients.find_by_tax_id("A58818501")
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def _prepare(path: Path) -> None:
    open_for_use(DatabaseTarget(str(path)))
    set_issuer()
    client = make_client()
    for n in range(20):
        make_client(f"Cliente {n:02d} SL", "")
    issued(client, dt.date(2026, 3, 2))
    close_database()


def _state(path: Path) -> tuple:
    """What a failed command must not change (read without writing anything)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return (
            conn.execute("SELECT COUNT(*) FROM client").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM invoice").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM document").fetchone()[0],
            conn.execute("SELECT last_number FROM series_counter").fetchall(),
            conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0],
        )
    finally:
        conn.close()


def _import_file(folder: Path) -> Path:
    path = folder / "clientes.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Razón social", "Email", "Notas"])
        for n in range(3000):
            writer.writerow([f"Importado {n} SL", f"i{n}@example.es", "x" * 200])
    return path


def _commands(db: Path, out: Path, source: Path) -> dict[str, tuple]:
    return {
        "import": ("--db", db, "import", "clients", source),
        "issue": (
            *("--db", db, "invoice", "create", "--client", "A58818501"),
            *("--line", "Diseño|1|100|21", "--issue"),
        ),
        "export": ("--db", db, "export", "clients", "--status", "all", "-o", out / "c.xlsx"),
        "backup": ("--db", db, "backup", out / "copy.sqlite3"),
        "print": ("--db", db, "print", "invoice", "F2026-00001", "-o", out / "f.pdf"),
    }


def _leftovers(*folders: Path) -> list[str]:
    return sorted(
        p.name
        for folder in folders
        for p in folder.iterdir()
        if p.name.startswith(".tui-crm-") or p.suffix in (".xlsx", ".pdf") or "copy" in p.name
    )


@pytest.fixture
def small_fs(tmp_path):
    """A 6 MB tmpfs mounted under tmp_path (root only; skipped, saying why, elsewhere)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_full_disk_is_said_and_changes_nothing(small_fs, tmp_path, cli, app_env):
    db = small_fs / "crm.sqlite3"
    _prepare(db)
    source = _import_file(tmp_path)
    # A colleague has the database open, as on any shared server.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=app_env.vars,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        before = _state(db)
        filler = small_fs / "filler"
        with open(filler, "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        for name, args in _commands(db, small_fs, source).items():
            result = cli(*args)
            assert result.returncode == 1, (name, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, (name, result.stderr)
            assert "the disk is full" in lines[0], (name, lines[0])
            assert "internal error" not in lines[0] and "rollback" not in lines[0]
            assert _leftovers(small_fs) == [], name
            assert _state(db) == before, name
        filler.unlink()
        check = cli("--db", db, "check")
        assert "integrity check passed" in check.stdout, check.stdout
    finally:
        holder.communicate("\n", timeout=30)


LIMITED = textwrap.dedent(
    """
    import resource, runpy, sys
    limit = int(sys.argv.pop(1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.argv[0] = "tui-crm"
    runpy.run_module("tui_crm", run_name="__main__", alter_sys=True)
    """
)


def test_a_file_size_limit_is_said_and_changes_nothing(tmp_path, app_env):
    """The same code paths as a full disk, without root: writes past `ulimit -f` fail."""
    db = tmp_path / "db" / "crm.sqlite3"
    db.parent.mkdir()
    _prepare(db)
    out = tmp_path / "out"
    out.mkdir()
    source = _import_file(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=app_env.vars,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        before = _state(db)
        for name, args in _commands(db, out, source).items():
            result = subprocess.run(
                [sys.executable, "-c", LIMITED, "8192", *map(str, args)],
                env=app_env.vars,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 1, (name, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, (name, result.stderr)
            assert "size limit of this process" in lines[0], (name, lines[0])
            assert _leftovers(out, db.parent) == [], name
            assert _state(db) == before, name
    finally:
        holder.communicate("\n", timeout=30)


def test_an_argument_that_is_not_utf8_is_one_clear_line(tmp_path, app_env):
    result = subprocess.run(
        [sys.executable, "-m", "tui_crm", b"--db", tmp_path.joinpath("x").as_posix().encode()
         + b"\xff\xfe.sqlite3", b"report", b"clients"],
        env=app_env.vars,
        capture_output=True,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.decode("utf-8").strip().splitlines()
    assert len(lines) == 1
    assert "argument 2" in lines[0] and "not valid UTF-8" in lines[0] and "\\xff" in lines[0]
    assert not list(tmp_path.glob("x*"))  # nothing was created


def test_the_crash_logger_never_crashes(app_env, monkeypatch, capsys):
    from tui_crm import cli

    monkeypatch.setattr(sys, "argv", ["tui-crm", "--db", "bad\udcff\udcfe.sqlite3"])

    def explode(args):
        raise RuntimeError("boom \udcff")

    monkeypatch.setitem(cli.COMMANDS, "check", explode)
    assert cli.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError" in err and "details in" in err
    log = Path(app_env.state_home).rglob("crash.log")
    text = next(log).read_text(encoding="utf-8")
    assert "bad\\udcff" in text or "bad\\xff" in text
    # and a log directory it cannot write is no crash either
    monkeypatch.setenv("XDG_STATE_HOME", f"/proc/{uuid.uuid4().hex}")
    assert cli.main(["check"]) == 1
    assert os.path.isdir(app_env.state_home)
