"""Real operating-system users for the tests of identity and roles.

tui-crm takes the user from the process's real user id, so a test of "sales may not do
this" runs a real process as a real other user. `OsUsers` (root only: CI runs the tests
as root) makes throwaway users with `useradd`, all in one throwaway group, and a
setgid directory shared by that group (the README's shared-server set-up); `run` starts
`python -m tui_crm` as one of them (`subprocess.run(user=..., group=...)`, which drops
privileges in the child). Everything is removed at the end. Where the tests do not run
as root, the fixture skips them and says why.

Names are `tc<pid><label>`: unique per test process, so parallel workers (and other
checkouts testing on the same machine) never collide.

The other users must be able to run Python: when this interpreter lives where they cannot
reach it (a pyenv under /root), the system's interpreter of the same version runs with
this environment's site-packages (`-S`: nothing else on its path); without one, skip.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.people import IMPOSTOR


@dataclass(frozen=True)
class OsUser:
    name: str
    uid: int
    gid: int
    home: Path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A clean environment for this user: own home and XDG directories, English, and an
        impostor's name where a cheater would write one (ignored by tui-crm)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TUI_CRM_USER": IMPOSTOR,
            "LOGNAME": IMPOSTOR,
            "USER": IMPOSTOR,
        }
        env.update(extra or {})
        return env


_BOOT = (
    "import runpy, site, sys; site.addsitedir(sys.argv[1]); "
    "sys.argv = ['tui-crm', *sys.argv[2:]]; "
    "runpy.run_module('tui_crm', run_name='__main__', alter_sys=True)"
)


def _reachable_by_others(path: Path) -> bool:
    """Every directory on the way traversable, and the file executable, by others."""
    path = path.resolve()
    if not path.stat().st_mode & stat.S_IXOTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)


def tui_crm_command() -> list[str] | None:
    """How another user starts `python -m tui_crm` with this environment (None: cannot)."""
    if _reachable_by_others(Path(sys.executable)):
        return [sys.executable, "-m", "tui_crm"]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = Path(f"/usr/bin/python{version}")
    site_packages = Path(sysconfig.get_paths()["purelib"])
    if system.exists() and _reachable_by_others(system):
        return [str(system), "-S", "-c", _BOOT, str(site_packages)]
    return None


def _retry(command: list[str]) -> None:
    """useradd and friends refuse while another process holds /etc/passwd's lock."""
    for attempt in range(60):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode == 0:
            return
        if "lock" not in (done.stderr + done.stdout).lower() or attempt == 59:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
        time.sleep(0.1)


class OsUsers:
    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.prefix = f"tc{os.getpid()}"
        self.group = f"{self.prefix}g"
        _retry(["groupadd", self.group])
        self.gid = grp.getgrnam(self.group).gr_gid
        # Under /tmp, not pytest's private temporary directory: other users must reach it.
        self.base = Path(tempfile.mkdtemp(prefix="tui-crm-users-"))
        os.chown(self.base, 0, self.gid)
        os.chmod(self.base, 0o750)
        self.shared = self.base / "crm"
        self.shared.mkdir()
        os.chown(self.shared, 0, self.gid)
        os.chmod(self.shared, 0o2770)  # the README's shared directory: setgid, no others
        self.users: dict[str, OsUser] = {}

    def user(self, label: str) -> OsUser:
        if label in self.users:
            return self.users[label]
        name = f"{self.prefix}{label}"[:32]
        home = self.base / name
        _retry(["useradd", "-M", "-N", "-g", self.group, "-d", str(home), "-s", "/bin/false", name])
        entry = pwd.getpwnam(name)
        for sub in ("", "data", "config", "state"):
            path = home / sub
            path.mkdir(exist_ok=True)
            os.chown(path, entry.pw_uid, self.gid)
            os.chmod(path, 0o700)
        user = OsUser(name, entry.pw_uid, self.gid, home)
        self.users[label] = user
        return user

    def run(
        self,
        user: OsUser,
        *args: object,
        env: dict[str, str] | None = None,
        input: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """`python -m tui_crm ARGS` as `user` (never raises on a non-zero exit)."""
        return subprocess.run(
            [*self.command, *(os.fspath(a) for a in args)],  # type: ignore[arg-type]
            user=user.uid,
            group=user.gid,
            extra_groups=[user.gid],
            env=user.env(env),
            cwd=user.home,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    def share(self, path: Path, mode: int = 0o660) -> Path:
        """Give a file made by the test process to the group, as tui-crm's files are."""
        os.chown(path, 0, self.gid)
        os.chmod(path, mode)
        return path

    def close(self) -> None:
        for user in self.users.values():
            with contextlib.suppress(RuntimeError):
                _retry(["userdel", user.name])
        with contextlib.suppress(RuntimeError):
            _retry(["groupdel", self.group])
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def os_users() -> Iterator[OsUsers]:
    if os.geteuid() != 0:
        pytest.skip("needs root to create throwaway operating-system users (CI runs as root)")
    if shutil.which("useradd") is None:
        pytest.skip("useradd is not installed")
    command = tui_crm_command()
    if command is None:
        pytest.skip(f"other users cannot run {sys.executable} and there is no system Python")
    users = OsUsers(command)
    try:
        yield users
    finally:
        users.close()
