"""Over SSH: the app works in the terminals people log in with, at 80x24, keyboard only."""

from __future__ import annotations

import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tui_crm.services import clients

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.parametrize(
    ("term", "colorterm"),
    [("xterm-256color", "truecolor"), ("screen-256color", ""), ("linux", "")],
)
def test_opens_searches_and_quits_in_each_terminal(db, tmp_path, app_env, term, colorterm):
    clients.create_client(clients.ClientInput(legal_name="Ferretería Muñoz SL", kind="client"))
    clients.create_client(clients.ClientInput(legal_name="Panadería Peña"))
    from tui_crm.db import close_database

    close_database()
    env = {**app_env.vars, "TERM": term, "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}
    if colorterm:
        env["COLORTERM"] = colorterm
    else:
        env.pop("COLORTERM", None)
    with TmuxSession(tmp_path, env) as tmux:
        pane = tmux.start(
            [sys.executable, "-m", "tui_crm", "--db", str(db.path), "--no-mouse"], size=(80, 24)
        )
        pane.wait_for("Welcome to tui-crm")  # no business data yet: the first-run form
        pane.send("escape")
        pane.wait_gone("Welcome to tui-crm")
        pane.wait_for("Quotes awaiting an answer")  # then the home screen
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("f2")
        screen = pane.wait_for("Panadería Peña")
        assert "Ferretería Muñoz SL" in screen
        assert "Traceback" not in screen
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        pane.send("slash")
        pane.type("munoz")
        pane.wait_gone("Panadería Peña")
        screen = pane.wait_for("Ferretería Muñoz SL")
        assert "Panadería Peña" not in screen
        pane.send("ctrl+q")
        assert pane.wait_exit() == "0"
