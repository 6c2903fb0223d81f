"""Money in from the bank on the PostgreSQL path: payments, a mandate and a remittance, a
Norma 43 statement confirming it and a returned debit, the payments report and Modelo
347, through the command line against a real server."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.bank_support import Movement, write_statement
from tests.import_support import NIFS, xlsx

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]
TOMORROW = dt.date.today() + dt.timedelta(days=1)


def test_the_bank_on_postgresql(pg_url, cli, tmp_path):
    def ok(*args):
        result = cli("--db", pg_url, *args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    ok("init")
    for key, value in (
        ("company.name", "Diseño Núñez SL"),
        ("company.tax_id", "B58818501"),
        ("company.address", "Calle Mayor 1"),
        ("company.postal_code", "28001"),
        ("company.city", "Madrid"),
        ("company.iban", "ES9121000418450200051332"),
        ("company.bic", "CAIXESBBXXX"),
        ("sepa.creditor_id", "ES23ZZZ47690558N"),
    ):
        ok("config", "set", key, value)
    source = xlsx(
        tmp_path / "clientes.xlsx",
        [
            ["Nombre", "NIF", "CP", "Población"],
            ["Peña SL", NIFS[0], "46001", "València"],
            ["Otra SL", NIFS[1], "28001", "Madrid"],
        ],
    )
    ok("import", "clients", source)
    year = dt.date.today().year
    first = ok("invoice", "create", "--client", NIFS[0], "--line", "Obra|1|4000|21",
               "--date", f"{year}-01-10", "--issue").strip()  # fmt: skip
    second = ok("invoice", "create", "--client", NIFS[1], "--line", "Web|1|100|21",
                "--date", f"{year}-01-11", "--issue").strip()  # fmt: skip
    ok("mandate", "add", "--client", NIFS[1], "--reference", "M-OTRA", "--signed",
       f"{year - 1}-05-01", "--iban", "ES1000492352082414205416")  # fmt: skip
    out = tmp_path / "remesa.xml"
    made = ok("remittance", "create", "--due-by", f"{year}-12-31", "-o", out,
              "--collect-on", TOMORROW.isoformat())  # fmt: skip
    [remittance] = json.loads(ok("remittance", "list", "--format", "json"))
    assert (
        f"Remittance {remittance['id']}: 1 direct debit (1 first), €121.00, to collect on " in made
    )
    statement = write_statement(
        tmp_path / "extracto.n43",
        [
            Movement(TOMORROW, "4840.00", ["TRANSFERENCIA", f"FRA {first}"]),
            Movement(TOMORROW, "121.00", ["ABONO REMESA", remittance["message_id"]]),
            Movement(
                TOMORROW + dt.timedelta(days=2),
                "-121.00",
                ["DEVOLUCION", f"{second}-R{remittance['id']}"],
                shared_item=14,
            ),
        ],
    )
    imported = ok("import", "statement", statement, "--accept-sure")
    assert imported.count("[accepted]") == 3, imported
    again = ok("import", "statement", statement, "--accept-sure")
    assert again.count("[already imported: accepted]") == 3
    paid = json.loads(ok("report", "payments", "--format", "json"))
    assert [(p["invoices"], p["amount"], p["method"], p["reversed"]) for p in paid] == [
        (first, "4840.00", "transfer", False),
        (second, "121.00", "direct_debit", True),
    ]
    # as of the bank's dates (the statement's payments are dated after today)
    after = (TOMORROW + dt.timedelta(days=2)).isoformat()
    board = json.loads(ok("report", "receivables", "--as-of", after, "--format", "json"))
    assert [r["number"] for r in board] == [second]
    extra = ok("payment", "add", "--client", NIFS[1], "--amount", "21")
    ok("payment", "reverse", extra.strip(), "--reason", "error")
    declared = json.loads(ok("report", "347", "--year", str(year), "--format", "json"))
    assert [(d["tax_id"], d["province"], d["total"]) for d in declared] == [
        (NIFS[0], "46", "4840.00")
    ]
    listed = json.loads(ok("mandate", "list", "--format", "json"))
    assert listed[0]["sequence"] == "RCUR" and listed[0]["active"] is True
