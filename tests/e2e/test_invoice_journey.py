"""End to end in a real 80x24 terminal: write an invoice by keyboard (one line from the
catalog by its code), issue it, quit, and find it with `tui-crm report invoices`."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tui_crm.services import catalog, clients, settings

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_write_and_issue_an_invoice_then_report_it(db, tmp_path, app_env, cli):
    from decimal import Decimal

    settings.set_many(
        {
            "company.name": "Diseño Núñez SL",
            "company.tax_id": "B12345674",
            "company.address": "Calle Mayor 1",
            "company.postal_code": "28001",
            "company.city": "Madrid",
        }
    )
    clients.create_client(
        clients.ClientInput(legal_name="Peña y Muñoz SL", kind="client", tax_id="A58818501"),
        clients.AddressInput(line1="Avinguda Diagonal 2", postal_code="08001", city="Barcelona"),
    )
    catalog.create_product(
        catalog.ProductInput(code="WEB01", name="Diseño web", unit_price=Decimal("500"))
    )
    from tui_crm.db import close_database

    close_database()
    year = dt.date.today().year
    with TmuxSession(tmp_path, app_env.vars) as tmux:
        pane = tmux.start([sys.executable, "-m", "tui_crm", "--db", str(db.path)], size=(80, 24))
        pane.wait_for("Quotes awaiting an answer")  # it opens on the home screen
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("f2")
        assert "1 rows" not in pane.wait_for("· 1 row")
        time.sleep(0.5)  # keys sent in the very first instants after start-up can be lost
        pane.send("f4")
        pane.wait_for("No invoices match")
        pane.send("n")
        pane.wait_for("New invoice for which client?")
        pane.type("peña")
        pane.wait_for("Peña y Muñoz SL · A58818501")
        pane.send("enter")
        pane.wait_for("No lines yet: n adds one.")
        pane.send("n")
        pane.type("WEB01")
        pane.wait_for("WEB01  Diseño web")  # the catalog's suggestion
        pane.send("enter")
        pane.wait_for("WEB01 · Diseño")  # the line took the product's name and price
        pane.type("2")  # over the quantity 1, selected
        pane.send("enter")
        pane.wait_for("Total €1,210.00")
        pane.send("n")
        pane.type("Consultoría [b]extra[/b]")
        pane.send("tab")
        pane.type("3")
        pane.send("tab")
        pane.type("45,50")
        pane.send("enter")
        pane.wait_for("Total €1,375.17")
        pane.send("ctrl+s")
        pane.wait_for("Draft invoice 1")
        pane.send("f9")
        screen = pane.wait_for(f"F{year}-00001")
        assert "Issue this invoice" in screen
        pane.send("y")
        screen = pane.wait_for(f"Invoice F{year}-00001")
        assert "Consultoría [b]extra[/b]" in screen and "Outstanding €1,375.17" in screen
        assert "Traceback" not in screen
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        pane.send("escape")
        assert "1 rows" not in pane.wait_for("· 1 row")
        pane.send("ctrl+q")
        assert pane.wait_exit() == "0"

    report = cli("--db", db.path, "report", "invoices", "--format", "json")
    assert report.returncode == 0, report.stderr
    [invoice] = json.loads(report.stdout)
    assert invoice["number"] == f"F{year}-00001"
    assert invoice["client"] == "Peña y Muñoz SL" and invoice["tax_id"] == "A58818501"
    assert (invoice["base"], invoice["vat"], invoice["total"]) == ("1136.50", "238.67", "1375.17")
    assert invoice["outstanding"] == "1375.17" and invoice["status"] == "issued"
    assert invoice["issue_date"] == dt.date.today().isoformat()
