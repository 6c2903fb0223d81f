"""End to end in a real terminal: search, open a client, add a note, quit, find it from the CLI."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tests.people import ME
from tui_crm.services import clients, settings

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_search_open_note_quit_and_report(db, tmp_path, app_env, cli):
    settings.set_many(
        {
            "company.name": "Gestoría Ejemplo SL",
            "company.tax_id": "B12345674",
            "company.address": "Calle Mayor 1",
            "company.postal_code": "23001",
            "company.city": "Jaén",
        }
    )
    clients.create_client(
        clients.ClientInput(legal_name="Ferretería Muñoz SL", kind="client", tax_id="A58818501"),
        clients.AddressInput(city="Jaén"),
    )
    clients.create_client(clients.ClientInput(legal_name="Panadería Peña"))
    from tui_crm.db import close_database

    close_database()
    with TmuxSession(tmp_path, app_env.vars) as tmux:
        pane = tmux.start([sys.executable, "-m", "tui_crm", "--db", str(db.path)], size=(100, 30))
        pane.wait_for("Quotes awaiting an answer")  # it opens on the home screen
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("f2")
        pane.wait_for("2 rows")
        screen = pane.wait_for("Panadería Peña")  # the count can show a frame before the rows
        assert "Ferretería Muñoz SL" in screen and "Panadería Peña" in screen
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("slash")
        pane.type("munoz")
        pane.wait_gone("Panadería Peña")
        pane.send("enter")  # opens the first match
        # The header and the overview are filled by separate widgets, and Textual can
        # paint a frame between them: wait for the tax ID, then read the whole file.
        pane.wait_for("Legal name")
        screen = pane.wait_for("A58818501")
        assert "Ferretería Muñoz SL" in screen and "Legal name" in screen
        pane.send("4")
        pane.wait_for("Nothing on the timeline yet")
        pane.send("n")
        pane.wait_for("New timeline entry")
        time.sleep(0.3)  # as a person would: the form has its focus before typing starts
        pane.type("[b]ya[/b] Llamó: quiere 3 cajas 🚀")
        pane.send("ctrl+s")
        pane.wait_gone("New timeline entry")  # the form closed: saved
        # The markup shows as typed; at 80 columns the subject keeps its first 23 characters.
        screen = pane.wait_for("[b]ya[/b] Llamó: quiere")
        assert "Traceback" not in screen
        lines = screen.splitlines()
        assert len(lines) <= 30 and all(len(line) <= 100 for line in lines)
        pane.send("escape")
        screen = pane.wait_for("· 1 row")  # back in the list, still searching "munoz"
        assert "1 rows" not in screen
        pane.send("ctrl+q")
        assert pane.wait_exit() == "0"

    report = cli("--db", db.path, "report", "timeline", "--client", "A58818501", "--format", "json")
    assert report.returncode == 0, report.stderr
    [entry] = json.loads(report.stdout)
    assert entry["subject"] == "[b]ya[/b] Llamó: quiere 3 cajas 🚀"
    assert (entry["kind"], entry["author"]) == ("note", ME)
    plain = cli("--db", db.path, "report", "timeline", "--client", "a58818501")
    assert plain.returncode == 0 and "Llamó: quiere 3 cajas" in plain.stdout
    missing = cli("--db", db.path, "report", "timeline", "--client", "B00000000")
    assert missing.returncode == 1 and "no client with tax ID B00000000" in missing.stderr
