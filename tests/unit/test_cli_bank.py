"""The bank's command line as scripts and cron use it: `payment add|reverse`, `report
payments`, `import statement`, `remittance`, `mandate`; exit codes and one-line errors;
and every changing command refused, before it changes anything, to those whose role
may not register payments."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from bank_support import Movement, write_statement
from invoicing_support import JAN, D, issued, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.services import invoices, settings, users

PAYMENT_KEYS = [
    "id", "date", "client", "tax_id", "amount", "method", "reference", "invoices", "reversed",
]  # fmt: skip
TOMORROW = dt.date.today() + dt.timedelta(days=1)


@pytest.fixture
def shop(db):
    set_issuer()
    settings.set_many(
        {
            "company.iban": "ES9121000418450200051332",
            "company.bic": "CAIXESBBXXX",
            "sepa.creditor_id": "ES23ZZZ47690558N",
        }
    )
    pena = make_client("Peña y Muñoz SL", "A58818501")
    otra = make_client("Otra Empresa SL", "B58818501")
    for login, role in (("rosa", "sales"), ("lola", "readonly"), ("ana", "accounting")):
        users.register(login)
        users.set_role(login, role)
    return {
        "path": str(db.path),
        "pena": pena,
        "a": issued(pena, JAN, line(price="1000")),  # 1210.00
        "b": issued(pena, JAN, line(price="100")),  # 121.00
        "c": issued(otra, JAN, line(price="50")),  # 60.50
    }


def state() -> tuple:
    """Everything a refused command must leave as it was."""
    return tuple(
        execute(sql).fetchall()
        for sql in (
            "SELECT id, paid_cents, outstanding_cents, status FROM invoice ORDER BY id",
            "SELECT id, reversed_at FROM payment ORDER BY id",
            "SELECT COUNT(*) FROM bank_movement",
            "SELECT COUNT(*) FROM bank_statement",
            "SELECT id, status FROM remittance ORDER BY id",
            "SELECT id, active, sequence FROM sepa_mandate ORDER BY id",
        )
    )


def one_line_error(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("tui-crm: error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_payments_from_the_command_line_and_their_report(shop, cli) -> None:
    db, a, b = shop["path"], shop["a"], shop["b"]
    added = cli("--db", db, "payment", "add", "--invoice", a.code, "--amount", "1.000,00",
                "--date", "2026-02-01", "--method", "transfer", "--reference", "TR-1")  # fmt: skip
    assert added.returncode == 0, added.stderr
    first = int(added.stdout)
    assert invoices.get_invoice(a.id).outstanding == D("210.00")
    # --client: the oldest first (a owes 210.00, then b 121.00)
    added = cli("--db", db, "payment", "add", "--client", "A58818501", "--amount", "300",
                "--date", "2026-02-10")  # fmt: skip
    assert added.returncode == 0, added.stderr
    second = int(added.stdout)
    assert invoices.get_invoice(a.id).status == "paid"
    assert invoices.get_invoice(b.id).outstanding == D("31.00")

    before = state()
    assert "Overpayment refused" in one_line_error(
        cli("--db", db, "payment", "add", "--invoice", b.code, "--amount", "500")
    )
    assert "more than the client owes" in one_line_error(
        cli("--db", db, "payment", "add", "--client", "A58818501", "--amount", "500")
    )
    assert "not an amount" in one_line_error(
        cli("--db", db, "payment", "add", "--invoice", b.code, "--amount", "abc")
    )
    assert "does not exist" in one_line_error(
        cli("--db", db, "payment", "add", "--invoice", "F1999-00001", "--amount", "1")
    )
    assert "tax ID" in one_line_error(
        cli("--db", db, "payment", "add", "--client", "X0000000T", "--amount", "1")
    )
    assert cli("--db", db, "payment", "add", "--invoice", b.code).returncode == 2
    assert state() == before

    reversed_ = cli("--db", db, "payment", "reverse", str(first), "--reason", "Devuelto")
    assert reversed_.returncode == 0, reversed_.stderr
    assert "already reversed" in one_line_error(
        cli("--db", db, "payment", "reverse", str(first), "--reason", "otra vez")
    )
    assert invoices.get_invoice(a.id).outstanding == D("1000.00")

    rows = json.loads(cli("--db", db, "report", "payments", "--format", "json").stdout)
    assert [list(r) for r in rows] == [PAYMENT_KEYS, PAYMENT_KEYS]
    assert [(r["id"], r["date"], r["amount"], r["reversed"]) for r in rows] == [
        (first, "2026-02-01", "1000.00", True),
        (second, "2026-02-10", "300.00", False),
    ]
    assert rows[0]["invoices"] == a.code and rows[0]["reference"] == "TR-1"
    assert rows[1]["invoices"] == f"{a.code}, {b.code}"
    assert (rows[1]["client"], rows[1]["tax_id"]) == ("Peña y Muñoz SL", "A58818501")
    window = cli("--db", db, "report", "payments", "--from", "2026-02-05", "--to", "2026-02-28",
                 "--format", "json")  # fmt: skip
    assert [r["id"] for r in json.loads(window.stdout)] == [second]
    csv = cli("--db", db, "report", "payments", "--format", "csv").stdout.splitlines()
    assert csv[0] == ",".join(PAYMENT_KEYS) and len(csv) == 3


def test_import_statement_dry_run_accept_sure_and_again(shop, cli, tmp_path) -> None:
    db, a = shop["path"], shop["a"]
    path = write_statement(
        tmp_path / "febrero.n43",
        [
            Movement(dt.date(2026, 2, 3), "1210.00", ["TRANSFERENCIA", f"FRA {a.code}"]),
            Movement(dt.date(2026, 2, 4), "5.00", ["INGRESO"]),
        ],
    )
    dry = cli("--db", db, "import", "statement", path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"→ {a.code} (sure: invoice number and amount)  [new]" in dry.stdout
    assert "dry run, nothing written" in dry.stdout
    assert execute("SELECT COUNT(*) FROM bank_movement").fetchone()[0] == 0

    done = cli("--db", db, "import", "statement", path, "--accept-sure")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("[accepted]") and lines[1].endswith("[waiting for review]")
    assert (
        lines[-1]
        == "febrero.n43: 2 lines, 2 new, 0 already imported; 1 accepted, 1 waiting for review"
    )
    assert invoices.get_invoice(a.id).status == "paid"

    again = cli("--db", db, "import", "statement", path, "--accept-sure")
    assert again.returncode == 0
    assert "[already imported: accepted]" in again.stdout
    assert again.stdout.splitlines()[-1].endswith(
        "0 new, 2 already imported; 0 accepted, 1 waiting for review"
    )

    junk = tmp_path / "extracto.n43"
    junk.write_text("esto no es un extracto\n")
    assert "extracto.n43" in one_line_error(cli("--db", db, "import", "statement", junk))


def test_remittances_and_mandates_from_the_command_line(shop, cli, tmp_path) -> None:
    from lxml import etree

    from tests.bank_support import pain008_schema as schema

    db = shop["path"]
    added = cli("--db", db, "mandate", "add", "--client", "A58818501", "--reference", "M-PENA",
                "--signed", "2025-01-10", "--iban", "ES76 2077 0024 0031 0257 5766")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "IBAN" in one_line_error(
        cli("--db", db, "mandate", "add", "--client", "B58818501", "--reference", "M-OTRA",
            "--signed", "2025-01-10", "--iban", "ES76 2077 0024 0031 0257 5767")
    )  # fmt: skip
    listed = json.loads(cli("--db", db, "mandate", "list", "--format", "json").stdout)
    assert [(m["reference"], m["sequence"], m["active"]) for m in listed] == [
        ("M-PENA", "FRST", True)
    ]
    out = tmp_path / "remesa.xml"
    dry = cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", out,
              "--dry-run")  # fmt: skip
    assert dry.returncode == 0 and "2 direct debits, €1,331.00" in dry.stdout and not out.exists()
    made = cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", out,
               "--collect-on", TOMORROW.isoformat())  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "2 direct debits (2 first), €1,331.00" in made.stdout  # both under a new mandate
    assert schema().validate(etree.parse(str(out)))
    again = cli(
        "--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", tmp_path / "z.xml"
    )
    assert "nothing to collect" in one_line_error(again)
    assert not (tmp_path / "z.xml").exists()
    rows = json.loads(cli("--db", db, "remittance", "list", "--format", "json").stdout)
    assert [(r["count"], r["total"], r["status"]) for r in rows] == [(2, "1331.00", "sent")]
    plain = cli("--db", db, "remittance", "list").stdout  # what a person reads (issue 16)
    assert "waiting for the bank" in plain and "1,331.00" in plain and "sent" not in plain
    assert cli("--db", db, "remittance", "cancel", str(rows[0]["id"])).returncode == 0
    assert "exists" in one_line_error(
        cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", out)
    )
    forced = cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", out,
                 "--force")  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert "must be after today" in one_line_error(
        cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", tmp_path / "y.xml",
            "--collect-on", dt.date.today().isoformat())
    )  # fmt: skip
    revoked = cli("--db", db, "mandate", "revoke", "M-PENA")
    assert revoked.returncode == 0
    assert execute("SELECT active FROM sepa_mandate").fetchone()[0] == 0


@pytest.mark.parametrize("login", ["rosa", "lola"])
def test_every_changing_command_is_refused_before_it_changes_anything(
    shop, cli, tmp_path, login
) -> None:
    db, a = shop["path"], shop["a"]
    statement = write_statement(
        tmp_path / "s.n43", [Movement(dt.date(2026, 2, 3), "1210.00", [f"FRA {a.code}"])]
    )
    # Something to reverse, to cancel and to revoke, made by the admin.
    pid = cli("--db", db, "payment", "add", "--invoice", shop["b"].code, "--amount", "1").stdout
    mandate = cli("--db", db, "mandate", "add", "--client", "B58818501", "--reference", "M-1",
                  "--signed", "2025-01-10", "--iban", "ES1000492352082414205416")  # fmt: skip
    assert mandate.returncode == 0
    out = tmp_path / "r.xml"
    assert (
        cli("--db", db, "remittance", "create", "--due-by", "2026-03-01", "-o", out).returncode == 0
    )
    rid = str(execute("SELECT id FROM remittance").fetchone()[0])
    before = state()
    as_them = ("--user", login)  # the admin acting as the colleague (identity is the uid)
    target = tmp_path / "nueva.xml"
    commands = [
        ("payment", "add", "--invoice", a.code, "--amount", "10"),
        ("payment", "add", "--client", "A58818501", "--amount", "10"),
        ("payment", "reverse", pid.strip(), "--reason", "no"),
        ("import", "statement", statement),
        ("import", "statement", statement, "--accept-sure"),
        ("remittance", "create", "--due-by", "2026-12-31", "-o", target, "--force"),
        ("remittance", "cancel", rid),
        ("mandate", "add", "--client", "A58818501", "--reference", "M-2",
         "--signed", "2025-01-10", "--iban", "ES7620770024003102575766"),
        ("mandate", "revoke", "M-1"),
        ("config", "set", "sepa.creditor_id", "ES23ZZZ47690558N"),
    ]  # fmt: skip
    for command in commands:
        result = cli("--db", db, *as_them, *command)
        assert "may not" in one_line_error(result), command
        assert state() == before, command
    assert not target.exists()
    dry = cli("--db", db, *as_them, "import", "statement", statement, "--dry-run")
    assert dry.returncode == 0 and state() == before
    reports = [("report", "payments"), ("report", "347", "--year", "2026"), ("mandate", "list")]
    for command in reports:
        assert cli("--db", db, *as_them, *command).returncode == 0, command
    # accounting may
    allowed = cli("--db", db, "--user", "ana", "payment", "add", "--invoice", a.code,
                  "--amount", "10")  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
