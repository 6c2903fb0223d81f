"""`tui-crm report revenue|monthly|defaulters|pnl|pipeline`: JSON shapes, formats, periods,
and one-line refusals, run as a user would (a subprocess over the book of `analytics_book`)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from analytics_book import build_book


@pytest.fixture
def book_db(db):
    build_book()
    return db


def _json(cli, book_db, *args: str) -> list[dict]:
    result = cli("--db", book_db, "report", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_revenue_json_keys_shares_and_percentages(cli, book_db) -> None:
    rows = _json(cli, book_db, "revenue", "--as-of", "2026-03-15")
    assert [list(r) for r in rows] == [
        ["client", "tax_id", "revenue", "share", "previous_revenue", "change", "change_pct"]
    ] * 3
    # Shares are fractions 0..1, change_pct a percentage, amounts decimal strings.
    assert rows[0] == {
        "client": "Alfa Diseño SL",
        "tax_id": "11111111H",
        "revenue": "4000.00",
        "share": "0.8000",
        "previous_revenue": "2000.00",
        "change": "2000.00",
        "change_pct": "100.00",
    }
    assert rows[1]["change_pct"] == "-20.00"
    # Delta had nothing a year earlier: no percentage (null), not a division by zero.
    assert rows[2]["client"] == "Delta Nueva SL"
    assert rows[2]["change_pct"] is None
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1.0)


def test_revenue_of_a_year_and_top_and_bottom(cli, book_db) -> None:
    rows = _json(cli, book_db, "revenue", "--year", "2025")
    assert [(r["client"], r["revenue"], r["previous_revenue"]) for r in rows] == [
        ("Beta Obras SL", "5000.00", "300.00"),
        ("Alfa Diseño SL", "2400.00", "1000.00"),
        ("Gamma Perdida SL", "0.00", "500.00"),
    ]
    # --top 1: the largest, then the smallest.
    rows = _json(cli, book_db, "revenue", "--year", "2025", "--top", "1")
    assert [r["client"] for r in rows] == ["Beta Obras SL", "Gamma Perdida SL"]


def test_monthly_json(cli, book_db) -> None:
    rows = _json(cli, book_db, "monthly", "--as-of", "2026-03-15")
    assert len(rows) == 24
    assert set(rows[0]) == {"month", "revenue", "previous_year_revenue"}
    assert rows[0]["month"] == "2024-04"
    assert rows[-1] == {"month": "2026-03", "revenue": "1200.00", "previous_year_revenue": "0.00"}
    assert {"month": "2026-01", "revenue": "3000.00", "previous_year_revenue": "2000.00"} in rows


def test_defaulters_json_keys_as_of_and_year(cli, book_db) -> None:
    rows = _json(cli, book_db, "defaulters", "--as-of", "2026-03-15")
    assert rows == [
        {
            "client": "Beta Obras SL",
            "tax_id": "22222222J",
            "overdue": "5808.00",
            "invoices": 2,
            "oldest_days_overdue": 100,
            "share_of_billing": "0.3380",
            "share_of_overdue": "1.0000",
        }
    ]
    # As of the end of 2025 only #7 (due 2025-12-05) was overdue: 26 days, 4840.00.
    # Billing to 2025-12-31: 1210 + 605 + 363 + 2420 + 1210 + 605 - 121 + 4840 = 11132.
    rows = _json(cli, book_db, "defaulters", "--year", "2025")
    assert [(r["overdue"], r["invoices"], r["oldest_days_overdue"]) for r in rows] == [
        ("4840.00", 1, 26)
    ]
    assert rows[0]["share_of_billing"] == "0.4348"  # 4840 / 11132 = 0.43478


def test_pnl_and_pipeline_json(cli, book_db) -> None:
    rows = _json(cli, book_db, "pnl", "--year", "2025")
    assert list(rows[0]) == [
        "client",
        "tax_id",
        "month",
        "sales",
        "cost_of_sales",
        "margin",
        "margin_pct",
        "expenses",
        "net_margin",
    ]
    assert rows[0] == {
        "client": "Alfa Diseño SL",
        "tax_id": "11111111H",
        "month": "2025-01",
        "sales": "2000.00",
        "cost_of_sales": "800.00",
        "margin": "1200.00",
        "margin_pct": "60.00",
        "expenses": "0.00",
        "net_margin": "1200.00",
    }
    assert len(rows) == 5
    stages = _json(cli, book_db, "pipeline", "--as-of", "2026-03-15")
    assert list(stages[0]) == ["stage", "count", "amount", "weighted_amount"]
    assert [s["stage"] for s in stages] == [
        "new",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert stages[2] == {
        "stage": "proposal",
        "count": 1,
        "amount": "10000.00",
        "weighted_amount": "5000.00",
    }
    # --year: opportunities expected to close in that year; none of the book's has a date.
    assert all(s["count"] == 0 for s in _json(cli, book_db, "pipeline", "--year", "2026"))


def test_plain_github_and_csv(cli, book_db) -> None:
    plain = cli("--db", book_db, "report", "revenue", "--year", "2025")
    assert plain.returncode == 0, plain.stderr
    assert "Beta Obras SL" in plain.stdout and "Previous year" in plain.stdout
    github = cli("--db", book_db, "report", "monthly", "--year", "2025", "--format", "github")
    assert github.stdout.startswith("| Month")
    text = cli("--db", book_db, "report", "pnl", "--year", "2025", "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "client",
        "tax_id",
        "month",
        "sales",
        "cost_of_sales",
        "margin",
        "margin_pct",
        "expenses",
        "net_margin",
    ]
    assert table[-1] == [
        "Beta Obras SL",
        "22222222J",
        "2025-11",
        "4000.00",
        "1000.00",
        "3000.00",
        "75.00",
        "0.00",
        "3000.00",
    ]


def test_bad_periods_are_one_line_errors(cli, book_db) -> None:
    future = cli("--db", book_db, "report", "revenue", "--year", "2999", "--format", "json")
    assert future.returncode == 1
    assert future.stdout == ""  # nothing half-written
    assert len(future.stderr.strip().splitlines()) == 1 and "year" in future.stderr
    before = cli("--db", book_db, "report", "pnl", "--year", "2025", "--as-of", "2024-01-01")
    assert before.returncode == 1 and "before the year 2025" in before.stderr
    bad_date = cli("--db", book_db, "report", "monthly", "--as-of", "yesterday")
    assert bad_date.returncode == 2
    assert "Traceback" not in future.stderr + before.stderr + bad_date.stderr
    unknown = cli("--db", book_db, "report", "profit")
    assert unknown.returncode == 2
