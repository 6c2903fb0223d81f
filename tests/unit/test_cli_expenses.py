"""`tui-crm expense add|list|import`, `report projects`, `print statement` as a script runs
them: exit statuses, one-line errors naming row and column, all-or-nothing imports."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from import_support import xlsx
from invoicing_support import ISSUER

PROJECT_KEYS = [
    "project", "client", "status", "quoted", "ordered", "invoiced", "paid", "pending",
    "cost", "margin",
]  # fmt: skip


@pytest.fixture
def shop(cli, app_env, tmp_path):
    """The issuer's data, a client A58818501 with a project "Web" and one issued invoice in
    it (1 x 100 at 21 %, a line cost of 30), set up as a user would."""
    path = tmp_path / "shop.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    for key, value in ISSUER.items():
        assert cli("--db", path, "config", "set", key, value).returncode == 0
    script = (
        "import sys, datetime as dt\n"
        "from decimal import Decimal as D\n"
        "from tui_crm.config import DatabaseTarget\n"
        "from tui_crm.services.startup import open_for_use\n"
        "from tui_crm.services import clients, invoices, projects\n"
        "from tui_crm.services.lines import LineInput\n"
        "open_for_use(DatabaseTarget(sys.argv[1]))\n"
        "c = clients.create_client(clients.ClientInput(legal_name='Peña y Muñoz SL', "
        "tax_id='A58818501'))\n"
        "p = projects.create_project(c, projects.ProjectData(name='Web'))\n"
        "d = invoices.create_draft(invoices.InvoiceDraftInput(client_id=c, project_id=p, "
        "lines=[LineInput(description='Diseño', quantity=D(1), unit_price=D(100), "
        "vat_rate=D(21), unit_cost=D(30))]))\n"
        "invoices.issue_invoice(d, dt.date(2026, 2, 1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=app_env.vars
    )
    assert result.returncode == 0, result.stderr
    return path


def _json(cli, db, *args):
    result = cli("--db", db, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_expense_add_list_and_project_report(cli, shop, tmp_path) -> None:
    receipt = tmp_path / "ticket.pdf"
    receipt.write_bytes(b"%PDF-1.4 ticket")
    added = cli(
        "--db", shop, "expense", "add", "--date", "2026-02-03", "--supplier", "Hosting SL",
        "--supplier-tax-id", "B27714633", "--base", "20", "--vat", "4,20",
        "--client", "A58818501", "--project", "1", "--file", receipt,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    rows = _json(cli, shop, "expense", "list")
    assert rows == [
        {
            "id": 1,
            "expense_date": "2026-02-03",
            "supplier_name": "Hosting SL",
            "supplier_tax_id": "B27714633",
            "description": "",
            "base": "20.00",
            "vat": "4.20",
            "total": "24.20",
            "client": "Peña y Muñoz SL",
            "project": "Web",
            "document": "ticket.pdf",
        }
    ]
    projects = _json(cli, shop, "report", "projects", "--client", "A58818501")
    assert list(projects[0]) == PROJECT_KEYS
    assert projects[0] == {
        "project": "Web",
        "client": "Peña y Muñoz SL",
        "status": "active",
        "quoted": "0.00",
        "ordered": "0.00",
        "invoiced": "100.00",
        "paid": "0.00",
        "pending": "121.00",
        "cost": "50.00",  # the line's 30 + the expense's 20
        "margin": "50.00",
    }
    pnl = _json(cli, shop, "report", "pnl", "--year", "2026", "--as-of", "2026-03-01")
    assert [(r["sales"], r["cost_of_sales"], r["expenses"], r["net_margin"]) for r in pnl] == [
        ("100.00", "30.00", "20.00", "50.00")
    ]
    bad = cli("--db", shop, "expense", "add", "--date", "2026-02-03", "--supplier", "X",
              "--supplier-tax-id", "B12345678", "--base", "1")  # fmt: skip
    assert bad.returncode == 1 and "supplier_tax_id" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    unknown = cli("--db", shop, "report", "projects", "--client", "B12345674")
    assert unknown.returncode == 1 and "B12345674" in unknown.stderr
    out = tmp_path / "gastos.xlsx"
    exported = cli("--db", shop, "export", "expenses", "-o", out)
    assert exported.returncode == 0, exported.stderr
    import openpyxl

    sheet = openpyxl.load_workbook(out).active
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Hosting SL" in texts and "Supplier tax ID" in texts


def test_expense_import_is_all_or_nothing(cli, shop, tmp_path) -> None:
    header = ["Fecha", "Proveedor", "NIF", "Concepto", "Base imponible", "IVA", "NIF cliente"]
    good = ["2026-02-01", "Imprenta", "B27714633", "Tarjetas", 50, 10.5, "A58818501"]
    bad_tax = ["2026-02-02", "Taller", "B12345678", "", 10, 2.1, ""]
    bad_base = ["2026-02-03", "Bar", "", "", "diez", 0, ""]
    sheet = xlsx(tmp_path / "gastos.xlsx", [header, good, bad_tax, bad_base], title="Gastos")
    result = cli("--db", shop, "expense", "import", sheet)
    assert result.returncode == 1
    assert "row 3, column C (NIF): is not a valid Spanish NIF, CIF or NIE" in result.stdout
    assert "row 4, column E (Base imponible): is not an amount" in result.stdout
    assert "Nothing imported: 2 of 3 rows rejected" in result.stdout
    assert _json(cli, shop, "expense", "list") == []
    fixed = xlsx(tmp_path / "bien.xlsx", [header, good], title="Gastos")
    dry = cli("--db", shop, "expense", "import", fixed, "--dry-run")
    assert dry.returncode == 0 and "Dry run" in dry.stdout
    assert _json(cli, shop, "expense", "list") == []
    done = cli("--db", shop, "expense", "import", fixed)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _json(cli, shop, "expense", "list")
    assert [(r["supplier_name"], r["total"], r["client"]) for r in rows] == [
        ("Imprenta", "60.50", "Peña y Muñoz SL")
    ]


def test_print_statement_refuses_to_overwrite(cli, shop, tmp_path) -> None:
    out = tmp_path / "extracto.pdf"
    printed = cli("--db", shop, "print", "statement", "--client", "A58818501",
                  "--from", "2026-01-01", "--to", "2026-06-30", "-o", out)  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    from pypdf import PdfReader

    text = PdfReader(out).pages[0].extract_text()
    # the client (a Spanish tax ID) reads Spanish, whatever language the person printing
    # uses (services.client_language): Spanish here with the English default
    assert "Extracto de cuenta" in text and "F2026-00001" in text and "121,00" in text
    assert "Statement of account" not in text
    again = cli("--db", shop, "print", "statement", "--client", "A58818501", "-o", out)
    assert again.returncode == 1 and "--force" in again.stderr
    forced = cli("--db", shop, "print", "statement", "--client", "A58818501", "-o", out,
                 "--force", "--to", dt.date(2026, 1, 31).isoformat())  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert "F2026-00001" not in PdfReader(out).pages[0].extract_text()
    es_pdf = tmp_path / "es.pdf"
    spanish = cli("--db", shop, "print", "statement", "--client", "A58818501", "-o", es_pdf,
                  "--to", "2026-06-30", env={"LANG": "es_ES.UTF-8"})  # fmt: skip
    assert spanish.returncode == 0, spanish.stderr
    es = PdfReader(tmp_path / "es.pdf").pages[0].extract_text()
    assert "Extracto de cuenta" in es and "121,00" in es  # the same with a Spanish LANG
    missing = cli("--db", shop, "print", "statement", "-o", tmp_path / "x.pdf")
    assert missing.returncode == 1 and "--client" in missing.stderr
    start_after_end = cli("--db", shop, "print", "statement", "--client", "A58818501", "--from",
                          "2026-05-01", "--to", "2026-04-01", "-o", tmp_path / "y.pdf")  # fmt: skip
    assert start_after_end.returncode == 1 and "Traceback" not in start_after_end.stderr
    assert not (tmp_path / "y.pdf").exists()
