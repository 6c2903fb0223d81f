"""VERI*FACTU on the command line as a script uses it: the settings, issuing simplified and
rectifying invoices, voiding, `report verifactu`, `verifactu xml`, `verifactu declaration`
and `check` — exit codes, one-line errors, the JSON shape of the report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from invoicing_support import ISSUER

from tui_crm.verifactu import schema

REPORT_KEYS = [
    "number", "issue_date", "record_type", "invoice_type", "vat_total", "total",
    "previous_hash", "hash", "generated_at", "status", "error_code", "error", "csv",
]  # fmt: skip


@pytest.fixture
def shop(cli, app_env, tmp_path):
    """The issuer's data, VERI*FACTU on, one client (A58818501), set up as a user would."""
    path = tmp_path / "shop.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    for key, value in {**ISSUER, "verifactu.enabled": "yes"}.items():
        done = cli("--db", path, "config", "set", key, value)
        assert done.returncode == 0, done.stderr
    script = (
        "import sys\n"
        "from tui_crm.config import DatabaseTarget\n"
        "from tui_crm.services.startup import open_for_use\n"
        "from tui_crm.services import clients\n"
        "open_for_use(DatabaseTarget(sys.argv[1]))\n"
        "clients.create_client(clients.ClientInput(legal_name='Peña y Muñoz SL', "
        "tax_id='A58818501'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=app_env.vars
    )
    assert result.returncode == 0, result.stderr
    return path


def _create(cli, shop, *extra: str):
    return cli(
        "--db", shop, "invoice", "create", "--client", "A58818501", "--issue", *extra
    )  # fmt: skip


def test_records_reports_and_xml_from_the_command_line(cli, shop) -> None:
    first = _create(cli, shop, "--line", "Diseño web|1|1000|21", "--irpf", "15")
    assert first.returncode == 0, first.stderr
    number = first.stdout.strip()
    ticket = _create(cli, shop, "--type", "F2", "--line", "Café|2|1,50|10")
    assert ticket.returncode == 0, ticket.stderr
    too_much = _create(cli, shop, "--type", "F2", "--line", "Ordenador|1|900|21")
    assert too_much.returncode == 1
    assert len(too_much.stderr.strip().splitlines()) == 1 and "400" in too_much.stderr
    exempt = _create(
        cli, shop, "--line", "Curso|1|300|0", "--exempt", "Exenta, art. 20 LIVA",
        "--exemption-code", "E1",
    )  # fmt: skip
    assert exempt.returncode == 0, exempt.stderr
    rectified = cli(
        "--db", shop, "invoice", "rectify", number, "--reason", "Cliente en concurso",
        "--cause", "R2", "--issue",
    )  # fmt: skip
    assert rectified.returncode == 0, rectified.stderr
    voided = cli("--db", shop, "invoice", "void", exempt.stdout.strip(), "--reason", "Error")
    assert voided.returncode == 0, voided.stderr
    assert "anulación" in voided.stdout

    report = cli("--db", shop, "report", "verifactu", "--format", "json")
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)
    assert all(list(row) == REPORT_KEYS for row in rows)
    assert [(r["record_type"], r["invoice_type"]) for r in rows] == [
        ("alta", "F1"),
        ("alta", "F2"),
        ("alta", "F1"),
        ("alta", "R2"),
        ("anulacion", None),
    ]
    assert rows[0]["number"] == number and rows[0]["total"] == "1210.00"
    assert rows[0]["vat_total"] == "210.00" and rows[0]["previous_hash"] is None
    assert [r["previous_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert all(r["status"] == "pending" and r["generated_at"][-6] in "+-" for r in rows)
    assert rows[3]["total"] == "-1210.00"

    xml = cli("--db", shop, "verifactu", "xml", number)
    assert xml.returncode == 0, xml.stderr
    schema.validate(xml.stdout.strip().encode())
    assert f"<sf:NumSerieFactura>{number}</sf:NumSerieFactura>" in xml.stdout
    everything = cli("--db", shop, "verifactu", "xml", exempt.stdout.strip(), "--all")
    assert everything.stdout.count("<sf:TipoHuella>") == 2  # its alta and its anulación
    unknown = cli("--db", shop, "verifactu", "xml", "F2026-99999")
    assert unknown.returncode == 1 and "F2026-99999" in unknown.stderr

    check = cli("--db", shop, "check")
    assert "VERI*FACTU: 5 records, every hash and chain verified" in check.stdout


def test_the_settings_explain_what_they_refuse(cli, shop) -> None:
    assert _create(cli, shop, "--line", "X|1|10|21").returncode == 0
    off = cli("--db", shop, "config", "set", "verifactu.enabled", "no")
    assert off.returncode == 1 and "cannot be turned off" in off.stderr
    bad = cli("--db", shop, "config", "set", "verifactu.environment", "staging")
    assert bad.returncode == 1 and "test, production" in bad.stderr
    got = cli("--db", shop, "config", "get", "verifactu.installation")
    assert got.returncode == 0 and len(got.stdout.strip()) == 14
    missing = cli("--db", shop, "config", "set", "verifactu.certificate", "/nonexistent/c.p12")
    assert missing.returncode == 1 and "is not a file" in missing.stderr
    usage = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--type", "F9")
    assert usage.returncode == 2


def test_void_needs_an_admin_and_a_reason(cli, shop) -> None:
    number = _create(cli, shop, "--line", "X|1|10|21").stdout.strip()
    no_reason = cli("--db", shop, "invoice", "void", number)
    assert no_reason.returncode == 2
    blank = cli("--db", shop, "invoice", "void", number, "--reason", " ")
    assert blank.returncode == 1 and "reason" in blank.stderr


def test_the_declaration_names_the_system_and_the_producer(cli) -> None:
    result = cli("verifactu", "declaration")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for expected in (
        "DECLARACIÓN RESPONSABLE",
        "Nombre del sistema informático: tui-crm",
        "Código identificador del sistema informático: TC",
        "Versión:",
        "Componentes",
        "VERI*FACTU",
        "Productor:",
        "NIF",
        "Real Decreto 1007/2023",
        "Orden HAC/1177/2024",
        "En ",
    ):
        assert expected in text, expected
    from tui_crm.verifactu.system import PRODUCER

    for expected in (PRODUCER.name, PRODUCER.nif, PRODUCER.address, "datos del productor son"):
        assert expected in text, expected


def _add_client(path, app_env, name: str, tax_id: str = "", trade_name: str = "") -> None:
    script = (
        "import sys\n"
        "from tui_crm.config import DatabaseTarget\n"
        "from tui_crm.services.startup import open_for_use\n"
        "from tui_crm.services import clients\n"
        "open_for_use(DatabaseTarget(sys.argv[1]))\n"
        "clients.create_client(clients.ClientInput(legal_name=sys.argv[2], tax_id=sys.argv[3], "
        "trade_name=sys.argv[4]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), name, tax_id, trade_name],
        capture_output=True,
        text=True,
        env=app_env.vars,
    )
    assert result.returncode == 0, result.stderr


def test_a_simplified_invoice_for_a_walk_in_customer_from_the_command_line(
    cli, shop, app_env
) -> None:
    """F2 needs no recipient's tax ID: --client-name finds a client without one."""
    _add_client(shop, app_env, "Cliente de mostrador", trade_name="Contado")
    ticket = cli(
        "--db", shop, "invoice", "create", "--client-name", "cliente de MOSTRADOR",
        "--type", "F2", "--line", "Café|2|1,50|10", "--issue",
    )  # fmt: skip
    assert ticket.returncode == 0, ticket.stderr
    number = ticket.stdout.strip()
    report = json.loads(cli("--db", shop, "report", "verifactu", "--format", "json").stdout)
    (row,) = [r for r in report if r["number"] == number]
    assert (row["invoice_type"], row["total"]) == ("F2", "3.30")
    xml = cli("--db", shop, "verifactu", "xml", number).stdout
    assert "<sf:TipoFactura>F2</sf:TipoFactura>" in xml and "Destinatarios" not in xml
    # by its trade name too, accents and case aside; a draft (no --issue) prints its id
    by_trade = cli(
        "--db", shop, "invoice", "create", "--client-name", "CONTADO", "--type", "F2",
        "--line", "Té|1|2|10",
    )  # fmt: skip
    assert by_trade.returncode == 0 and by_trade.stdout.strip().isdigit(), by_trade.stderr
    # an ordinary invoice for a client without tax ID is still refused when issued, and
    # nothing is left behind (no draft, no number)
    refused = cli(
        "--db", shop, "invoice", "create", "--client-name", "Contado", "--line", "X|1|10|21",
        "--issue",
    )  # fmt: skip
    assert refused.returncode == 1 and "has no tax ID" in refused.stderr
    assert "Traceback" not in refused.stderr
    import sqlite3

    conn = sqlite3.connect(shop)
    try:
        rows = conn.execute(
            "SELECT i.status, i.invoice_type FROM invoice i JOIN client c ON c.id = i.client_id "
            "WHERE c.legal_name = 'Cliente de mostrador' ORDER BY i.id"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [("issued", "F2"), ("draft", "F2")]


def test_client_name_must_name_exactly_one_client(cli, shop, app_env) -> None:
    unknown = cli(
        "--db", shop, "invoice", "create", "--client-name", "Nadie", "--type", "F2",
        "--line", "X|1|1|21",
    )  # fmt: skip
    assert unknown.returncode == 1
    assert unknown.stderr.strip().endswith(
        "--client-name: no client is named Nadie (create it first, in the TUI or with "
        "`tui-crm import clients`)"
    )
    _add_client(shop, app_env, "Contado")
    _add_client(shop, app_env, "CONTADO")
    twice = cli(
        "--db", shop, "invoice", "create", "--client-name", "contado", "--type", "F2",
        "--line", "X|1|1|21",
    )  # fmt: skip
    assert twice.returncode == 1 and "2 clients are named contado" in twice.stderr
    both = cli(
        "--db", shop, "invoice", "create", "--client", "A58818501", "--client-name", "x",
        "--line", "X|1|1|21",
    )  # fmt: skip
    assert both.returncode == 2  # bad usage: one or the other
    neither = cli("--db", shop, "invoice", "create", "--line", "X|1|1|21")
    assert neither.returncode == 2 and "--client" in neither.stderr
