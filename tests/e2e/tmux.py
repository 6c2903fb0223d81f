"""Drive the real application in a real terminal: tmux with send-keys and capture-pane.

    with TmuxSession(tmp_path, env) as tmux:
        pane = tmux.start([sys.executable, "-m", "tui_crm", "--db", str(db)], size=(100, 30))
        pane.wait_for("Clients")
        pane.send("slash", "m", "u", "n")      # Textual-style key names or literal text
        pane.type("Muñoz")                     # literal text
        screen = pane.wait_for("Muñoz Hermanos")
        pane.send("ctrl+q")
        pane.wait_exit()

Each session uses its own tmux server socket, so tests never see each other's panes.
`make test` installs tmux; tests skip (saying why) only where it is missing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

KEYS = {
    "enter": "Enter",
    "escape": "Escape",
    "tab": "Tab",
    "shift+tab": "BTab",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "home": "Home",
    "end": "End",
    "pageup": "PPage",
    "pagedown": "NPage",
    "backspace": "BSpace",
    "delete": "DC",
    "space": "Space",
    "slash": "/",
    "question_mark": "?",
}


def tmux_key(name: str) -> str:
    if name in KEYS:
        return KEYS[name]
    if name.startswith("ctrl+") and len(name) == 6:
        return "C-" + name[-1]
    if name.startswith("f") and name[1:].isdigit():
        return name.upper()
    return name


class Pane:
    def __init__(self, session: TmuxSession, target: str, status_file: Path):
        self.session = session
        self.target = target
        self.status_file = status_file

    def capture(self) -> str:
        return self.session.run("capture-pane", "-p", "-t", self.target).stdout

    def send(self, *keys: str) -> None:
        for key in keys:
            self.session.run("send-keys", "-t", self.target, tmux_key(key))
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self.session.run("send-keys", "-t", self.target, "-l", text)
        time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on screen; last screen:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text not in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} is still on screen:\n{screen}")

    def exit_status(self) -> str | None:
        """The program's exit status once it has ended (written by the wrapping shell)."""
        try:
            text = self.status_file.read_text().strip()
        except FileNotFoundError:
            return None
        return text or None

    def wait_exit(self, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.exit_status()
            if status is not None:
                return status
            time.sleep(0.1)
        raise AssertionError(f"the program did not exit:\n{self.capture()}")


class TmuxSession:
    def __init__(self, tmp_path: Path, env: dict[str, str]):
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed (make test installs it)")
        self.directory = tmp_path
        self.socket = str(tmp_path / "tmux.sock")
        # Panes stay after their program exits, so the exit status can be read.
        self.config = tmp_path / "tmux.conf"
        self.config.write_text("set -g remain-on-exit on\nset -g status off\n")
        self.env = dict(env)
        self.count = 0

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["tmux", "-S", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.env,
        )

    def start(
        self,
        command: Sequence[str],
        *,
        size: tuple[int, int] = (100, 30),
        env: dict[str, str] | None = None,
    ) -> Pane:
        """Start `command` in a new window of its own size; the pane stays after it exits."""
        self.count += 1
        name = f"w{self.count}"
        merged = {**self.env, **(env or {})}
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in merged.items() if k != "TERM")
        term = merged.get("TERM", "xterm-256color")
        status_file = self.directory / f"{name}.status"
        shell = (
            f"export {exports}; export TERM={shlex.quote(term)}; {shlex.join(command)}; "
            f"echo $? > {shlex.quote(str(status_file))}"
        )
        args = ["-x", str(size[0]), "-y", str(size[1])]
        if self.count == 1:
            self.run(
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-n",
                name,
                *args,
                "sh",
                "-c",
                shell,
            )
            self.run("set-option", "-t", "e2e", "remain-on-exit", "on")
            self.run("set-option", "-t", "e2e", "default-terminal", term)
        else:
            self.run("new-window", "-d", "-t", "e2e", "-n", name, "sh", "-c", shell)
            self.run("resize-window", "-t", f"e2e:{name}", *args)
        return Pane(self, f"e2e:{name}", status_file)

    def close(self) -> None:
        self.run("kill-server", check=False)
        if os.path.exists(self.socket):
            os.unlink(self.socket)

    def __enter__(self) -> TmuxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
