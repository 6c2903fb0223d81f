"""Two people, one database, one client: the second save sees the first person's name,
and both changes can be kept."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tui_crm.services import clients, settings, users

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_both_edit_the_same_client_and_both_changes_are_kept(db, tmp_path, app_env, cli):
    from tui_crm.db import close_database

    settings.set_many(
        {
            "company.name": "Gestoría Central SL",
            "company.tax_id": "B12345674",
            "company.address": "Calle Mayor 1",
            "company.postal_code": "28001",
            "company.city": "Madrid",
        }
    )
    users.add_user("ana", "sales")
    users.add_user("luis", "sales")
    clients.create_client(
        clients.ClientInput(
            legal_name="Talleres Núñez SL",
            kind="client",
            email="info@nunez.es",
            phone="+34 911 000 000",
        )
    )
    close_database()
    command = [sys.executable, "-m", "tui_crm", "--db", str(db.path)]
    # The test's login is the database's admin; it acts as each colleague (--user), as the
    # identity comes from the process's user id and both panes run as the same one.
    with TmuxSession(tmp_path, app_env.vars) as tmux:
        ana = tmux.start([*command, "--user", "ana"], size=(100, 30))
        luis = tmux.start([*command, "--user", "luis"], size=(100, 30))
        for pane in (ana, luis):
            pane.wait_for("Quotes awaiting an answer")  # the home screen first
            time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
            pane.send("f2")
            pane.wait_for("Talleres Núñez SL")
            pane.send("e")
            pane.wait_for("Legal name")
        # Ana changes the phone and saves first.
        ana.send(*["tab"] * 7, "ctrl+u")
        ana.type("+34 600 111 222")
        ana.send("ctrl+s")
        ana.wait_gone("Legal name")
        # Luis changes the email from the version he opened: refused, with Ana's name.
        luis.send(*["tab"] * 6, "ctrl+u")
        luis.type("luis@nunez.es")
        luis.send("ctrl+s")
        screen = luis.wait_for("ana changed this client")
        assert "Keep both" in screen
        luis.send("b")
        luis.wait_gone("Keep both")  # the dialog is closed
        luis.wait_for("Their version is loaded")
        # The form repaints as the toast appears: wait for its fields, not the first frame.
        screen = luis.wait_for("+34 600 111 222")  # Ana's phone, reloaded
        assert "luis@nunez.es" in screen  # Luis's email, back on top
        luis.send("ctrl+s")
        luis.wait_gone("Legal name")
        luis.wait_for("Saved.")
        for pane in (ana, luis):
            pane.send("ctrl+q")
            assert pane.wait_exit() == "0"

    report = cli("--db", db, "report", "clients", "--format", "json")
    assert report.returncode == 0, report.stderr
    (client,) = json.loads(report.stdout)
    assert client["phone"] == "+34 600 111 222"  # Ana's change
    assert client["email"] == "luis@nunez.es"  # Luis's change, on top of Ana's
