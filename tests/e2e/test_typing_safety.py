"""End to end at 80x24: a person types a name into a client file, as if into a search box.
Nothing is archived or deleted: the archive question swallows the rest of the typing
(space and enter too) and answers only to its own keys; `/` then searches the clients."""

from __future__ import annotations

import sqlite3
import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tui_crm.services import clients, contacts, settings
from tui_crm.services.contacts import ContactData

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_typing_a_name_into_a_client_file_archives_nothing(db, tmp_path, app_env):
    settings.set_many(
        {
            "company.name": "Gestoría Ejemplo SL",
            "company.tax_id": "B12345674",
            "company.address": "Calle Mayor 1",
            "company.postal_code": "23001",
            "company.city": "Jaén",
        }
    )
    vidal = clients.create_client(
        clients.ClientInput(legal_name="Vidal Quiñones SL", kind="client", tax_id="A58818501"),
        clients.AddressInput(city="Jaén"),
    )
    contacts.create_contact(vidal, ContactData(first_name="Rocío", last_name="Vidal"))
    clients.create_client(clients.ClientInput(legal_name="Panadería Peña"))
    from tui_crm.db import close_database

    close_database()
    with TmuxSession(tmp_path, app_env.vars) as tmux:
        pane = tmux.start([sys.executable, "-m", "tui_crm", "--db", str(db.path)], size=(80, 24))
        pane.wait_for("Quotes awaiting an answer")  # it opens on the home screen
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("f2")
        pane.wait_for("Panadería Peña")
        time.sleep(0.5)
        pane.send("slash")
        pane.type("vidal")
        pane.wait_gone("Panadería Peña")
        pane.send("enter")
        pane.wait_for("Legal name")
        time.sleep(0.5)
        # The person thinks the search still has the focus and goes on typing.
        pane.type("vidal quiñ")
        screen = pane.wait_for("Archive Vidal Quiñones SL?")
        pane.send("space", "enter")
        pane.type("ones sl")  # its "n" says no
        screen = pane.wait_gone("Archive Vidal Quiñones SL?")
        assert "Traceback" not in screen
        pane.send("escape")  # whatever the rest opened (the edit form) closes unsaved
        time.sleep(0.5)
        screen = pane.capture()
        if "Discard your changes?" in screen:
            pane.send("n")  # keep editing …
            time.sleep(0.3)
            pane.send("escape")
            pane.wait_for("Discard your changes?")
            pane.send("y")  # … then discard: nothing typed is saved
        # `/` from the file: the client list's search, which takes the typing.
        time.sleep(0.5)
        pane.send("slash")
        pane.type("quiñones")
        screen = pane.wait_for("· 1 row")
        assert "Vidal Quiñones SL" in screen
        pane.send("ctrl+q")
        assert pane.wait_exit() == "0"

    with sqlite3.connect(db.path) as con:  # the database as the process left it
        row = con.execute(
            "SELECT legal_name, status, kind FROM client WHERE id = ?", (vidal,)
        ).fetchone()
        contacts_left = con.execute(
            "SELECT COUNT(*) FROM contact WHERE client_id = ?", (vidal,)
        ).fetchone()[0]
        clients_left = con.execute("SELECT COUNT(*) FROM client").fetchone()[0]
    assert row == ("Vidal Quiñones SL", "active", "client")
    assert (contacts_left, clients_left) == (1, 2)
