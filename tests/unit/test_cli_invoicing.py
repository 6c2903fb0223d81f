"""The invoicing command line as a script or cron job uses it: exit codes, one-line errors,
JSON shapes of the invoices, receivables and defaulters reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from invoicing_support import ISSUER

# The columns of `export invoices` too: one definition of the invoice list (issue 14).
INVOICE_KEYS = [
    "number", "series", "kind", "status", "issue_date", "due_date", "client", "tax_id", "base",
    "vat", "recargo", "irpf", "total", "paid", "outstanding",
]  # fmt: skip
RECEIVABLE_KEYS = [
    "number", "series", "issue_date", "due_date", "client", "tax_id", "base", "vat",
    "recargo", "irpf", "total", "paid", "outstanding", "status", "days_overdue", "bucket",
]  # fmt: skip
DEFAULTER_KEYS = [
    "client", "tax_id", "overdue", "invoices", "oldest_days_overdue", "share_of_billing",
    "share_of_overdue",
]  # fmt: skip


@pytest.fixture
def shop(cli, app_env, tmp_path):
    """A database with the issuer's data and one lead (A58818501), set up as a user would."""
    path = tmp_path / "shop.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    for key, value in ISSUER.items():
        assert cli("--db", path, "config", "set", key, value).returncode == 0
    script = (
        "import sys\n"
        "from tui_crm.config import DatabaseTarget\n"
        "from tui_crm.services.startup import open_for_use\n"
        "from tui_crm.services import clients\n"
        "open_for_use(DatabaseTarget(sys.argv[1]))\n"
        "clients.create_client(clients.ClientInput(legal_name='Peña y Muñoz SL', "
        "tax_id='A58818501', kind='lead'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        env=app_env.vars,
    )
    assert result.returncode == 0, result.stderr
    return path


def test_invoice_create_issue_and_reports(cli, shop) -> None:
    created = cli(
        "--db", shop, "invoice", "create", "--client", "A58818501",
        "--line", "Diseño web|10|1.000,50|21", "--line", "Hosting | 1 | 120.00 | 21%",
        "--irpf", "15", "--date", "2026-01-10", "--issue",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "F2026-00001"
    draft = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", "X|1|5|10")
    assert draft.returncode == 0 and draft.stdout.strip().isdigit()

    report = cli("--db", shop, "report", "invoices", "--format", "json", "--year", "2026")
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)
    assert len(rows) == 1 and list(rows[0]) == INVOICE_KEYS
    row = rows[0]
    assert row["number"] == "F2026-00001" and row["series"] == "F"
    assert (row["issue_date"], row["due_date"]) == ("2026-01-10", "2026-02-09")
    assert (row["client"], row["tax_id"]) == ("Peña y Muñoz SL", "A58818501")
    assert (row["base"], row["vat"], row["irpf"]) == ("10125.00", "2126.25", "1518.75")
    assert (row["total"], row["paid"], row["outstanding"]) == ("10732.50", "0.00", "10732.50")
    assert row["status"] == "issued" and row["recargo"] == "0.00"
    assert row["kind"] == "standard"
    assert (
        json.loads(
            cli("--db", shop, "report", "invoices", "--format", "json", "--year", "2025").stdout
        )
        == []
    )

    board = json.loads(
        cli(
            "--db", shop, "report", "receivables", "--as-of", "2026-03-15", "--format", "json"
        ).stdout
    )
    assert list(board[0]) == RECEIVABLE_KEYS
    assert (board[0]["days_overdue"], board[0]["bucket"]) == (34, "31-60")
    assert board[0]["outstanding"] == "10732.50"
    defaulters = json.loads(
        cli(
            "--db", shop, "report", "defaulters", "--as-of", "2026-03-15", "--format", "json"
        ).stdout
    )
    assert defaulters == [
        {
            "client": "Peña y Muñoz SL",
            "tax_id": "A58818501",
            "overdue": "10732.50",
            "invoices": 1,
            "oldest_days_overdue": 34,
            "share_of_billing": "1.0000",
            "share_of_overdue": "1.0000",
        }
    ]
    assert list(defaulters[0]) == DEFAULTER_KEYS
    not_yet = cli("--db", shop, "report", "defaulters", "--as-of", "2026-02-01", "--format", "json")
    assert json.loads(not_yet.stdout) == []
    plain = cli("--db", shop, "report", "receivables", "--as-of", "2026-03-15")
    assert plain.returncode == 0 and "F2026-00001" in plain.stdout and "31-60" in plain.stdout


def test_print_writes_pdfs(cli, shop, tmp_path) -> None:
    cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", "Diseño|1|100|21",
        "--date", "2026-01-10", "--issue")  # fmt: skip
    out = tmp_path / "f.pdf"
    printed = cli("--db", shop, "print", "invoice", "F2026-00001", "-o", out)
    assert printed.returncode == 0, printed.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    missing = cli("--db", shop, "print", "invoice", "F2026-00099", "-o", out)
    assert missing.returncode == 1 and "F2026-00099" in missing.stderr
    assert "Traceback" not in missing.stderr
    no_quote = cli("--db", shop, "print", "quote", "P2026-0001", "-o", out)
    assert no_quote.returncode == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Diseño|2|1.2.3|21", "--line 1: unit price '1.2.3'"),
        ("Diseño|dos|10|21", "--line 1: quantity 'dos'"),
        ("Diseño|2|10", "--line 1: expected DESCRIPTION|QTY|UNIT_PRICE|IVA%"),
        ("Diseño|2|10|22", "lines[1].vat_rate"),
        ("Diseño|0|10|21", "lines[1].quantity"),
        ("|2|10|21", "--line 1: the description is empty"),
    ],
)
def test_bad_lines_are_one_line_errors(cli, shop, line, expected) -> None:
    result = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", line)
    assert result.returncode == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_refusals_exit_1_and_leave_no_draft(cli, shop) -> None:
    ok = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", "A|1|10|21",
             "--date", "2026-02-10", "--issue")  # fmt: skip
    assert ok.returncode == 0
    early = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", "B|1|10|21",
                "--date", "2026-02-01", "--issue")  # fmt: skip
    assert early.returncode == 1
    assert "2026-02-01" in early.stderr and "2026-02-10" in early.stderr
    unknown = cli("--db", shop, "invoice", "create", "--client", "B00000000", "--line", "A|1|1|21")
    assert unknown.returncode == 1 and "B00000000" in unknown.stderr
    rows = json.loads(cli("--db", shop, "report", "invoices", "--format", "json").stdout)
    assert [r["number"] for r in rows] == ["F2026-00001"]
    usage = cli("--db", shop, "invoice", "create", "--line", "A|1|1|21")
    assert usage.returncode == 2
    irpf = cli("--db", shop, "invoice", "create", "--client", "A58818501", "--line", "A|1|1|21",
               "--irpf", "16")  # fmt: skip
    assert irpf.returncode == 1 and "irpf_rate" in irpf.stderr


def test_recurring_run_for_cron(cli, shop) -> None:
    result = cli("--db", shop, "recurring", "run", "--as-of", "2026-01-31")
    assert result.returncode == 0, result.stderr
    assert "0 invoices created" in result.stdout
