"""Shared fixtures: an isolated environment, a real database file, and the command line.

Every test that touches the database uses a REAL SQLite file under `tmp_path`
(never `:memory:`), opened the way the application opens it, so WAL, pragmas,
migrations and file modes are the ones users get.

Fixtures
--------
`app_env`
    Isolates the process environment (monkeypatch): XDG data/config/state
    directories under `tmp_path`, `TUI_CRM_DB` unset, `LANG=C.UTF-8` (English
    messages; LANGUAGE/LC_ALL/LC_MESSAGES unset), and `TUI_CRM_USER`, `LOGNAME` and
    `USER` set to "impostor": the application must ignore them (the user is the
    process's real user id, `tests.people.ME`), so every test shows it does.
    Returns an `AppEnv` with those directories and `vars`, the complete
    environment dict to hand to a subprocess.
`db`
    A fresh database file `tmp_path / "db" / "crm.sqlite3"` opened through
    `tui_crm.services.startup.open_for_use` (migrated to the latest schema, the test
    process's own login `tests.people.ME` registered as admin, the first user, and set
    as the acting user). Returns an
    `OpenDatabase` (`.path`, `.target`, `.opened`; `os.fspath(db)` is the path).
    The database is closed after the test.
`cli`
    `cli(*args, env=None, input=None, timeout=120)` runs `python -m tui_crm ARGS`
    in a subprocess with the `app_env` environment (plus `env` overrides; a value
    of None removes the variable) and returns the `subprocess.CompletedProcess`
    with text stdout/stderr. Arguments may be `Path`s or an `OpenDatabase`.
    It never raises on a non-zero exit: assert on `.returncode`.
`aeat_pki`, `aeat`
    Certificates for, and a running, local stand-in of AEAT's VERI*FACTU service over
    HTTPS with mutual TLS (tests/aeat_standin.py).
`pg_url`
    The URL of a throwaway PostgreSQL server started for the test module (skipped,
    saying why, where PostgreSQL is not installed; tests/postgres_support.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aeat_standin import aeat, aeat_pki  # noqa: F401 - fixtures for every test
from postgres_support import pg_url  # noqa: F401 - the throwaway PostgreSQL server
from smtp_support import MemoryKeyring

from tests.people import IMPOSTOR
from tui_crm.config import DatabaseTarget

ENV_REMOVED = ("TUI_CRM_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES")


@dataclass(frozen=True)
class AppEnv:
    """The isolated environment of one test (see the module docstring)."""

    root: Path
    data_home: Path
    config_home: Path
    state_home: Path
    vars: dict[str, str] = field(default_factory=dict)

    @property
    def settings_file(self) -> Path:
        """Where the per-user settings (`ui.language`, ...) are written."""
        return self.config_home / "tui-crm" / "settings.json"


@dataclass(frozen=True)
class OpenDatabase:
    """A database file opened for the test: its path, target and the start-up result."""

    path: Path
    target: DatabaseTarget
    opened: object  # tui_crm.services.startup.Opened

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """Isolated XDG directories, no TUI_CRM_DB, English C.UTF-8 locale, and an impostor's name
    in every variable that must not decide who the user is."""
    root = tmp_path / "env"
    homes = {name: root / name for name in ("data", "config", "state")}
    for path in homes.values():
        path.mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(homes["data"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(homes["config"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(homes["state"]))
    for name in ("TUI_CRM_USER", "LOGNAME", "USER"):
        monkeypatch.setenv(name, IMPOSTOR)
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ENV_REMOVED:
        monkeypatch.delenv(name, raising=False)
    return AppEnv(
        root=root,
        data_home=homes["data"],
        config_home=homes["config"],
        state_home=homes["state"],
        vars=dict(os.environ),
    )


@pytest.fixture
def db(app_env: AppEnv, tmp_path: Path) -> Iterator[OpenDatabase]:
    """A fresh, migrated database file opened for use by the test's own login, its first user
    and so its admin (closed afterwards)."""
    from tui_crm import db as db_module
    from tui_crm import i18n
    from tui_crm.services.startup import open_for_use

    directory = tmp_path / "db"
    directory.mkdir(mode=0o700)
    path = directory / "crm.sqlite3"
    target = DatabaseTarget(str(path))
    opened = open_for_use(target)
    try:
        yield OpenDatabase(path=path, target=target, opened=opened)
    finally:
        db_module.close_database()
        i18n.setup("en")


@pytest.fixture
def keyring_backend() -> Iterator[MemoryKeyring]:
    """The keyring as a dictionary in memory for the test (`.store`), the machine's own
    left untouched; given back afterwards."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def cli(app_env: AppEnv) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m tui_crm ARGS` as a user would, in the isolated environment."""

    def run(
        *args: object,
        env: dict[str, str | None] | None = None,
        input: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        environment = dict(app_env.vars)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "tui_crm",
                *(os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args),
            ],
            env=environment,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            cwd=app_env.root,
        )

    return run
