"""Dates that cannot be: an invoice issued in year 1 or in 2146 is refused with the reason,
and a recurring run as of a future date is refused where it would issue."""

from __future__ import annotations

import datetime as dt
import sqlite3

from tests.invoicing_support import line, make_client, set_issuer
from tui_crm.services import recurring

TODAY = dt.date.today()


def _invoices(path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT id, status, code FROM invoice ORDER BY id").fetchall()


def test_invoice_create_with_an_impossible_date_issues_nothing(db, cli) -> None:
    set_issuer()
    make_client("Fechas SL", "B60889649")
    base = ("--db", db, "invoice", "create", "--client", "B60889649", "--line", "X|1|10|21")
    for date, reason in (
        ("0001-01-01", "is not in the years 2000 to 2099"),
        ("2146-03-01", "is not in the years 2000 to 2099"),
        ((TODAY + dt.timedelta(days=1)).isoformat(), "is after today"),
    ):
        result = cli(*base, "--date", date, "--issue")
        assert result.returncode == 1, result.stdout
        assert reason in result.stderr and date in result.stderr
        assert _invoices(db.path) == []  # no number handed out, not even a draft left
    done = cli(*base, "--date", TODAY.isoformat(), "--issue")
    assert done.returncode == 0 and done.stdout.strip() == f"F{TODAY.year}-00001"


def test_recurring_run_as_of_a_future_date_is_refused_when_it_would_issue(db, cli) -> None:
    set_issuer()
    client_id = make_client("Cuota SL", "B60889649")
    recurring.create_recurring(
        recurring.RecurringInput(
            client_id=client_id,
            title="Cuota",
            next_date=TODAY,
            issue_directly=True,
            lines=[line(price="30")],
        )
    )
    for as_of in ("9999-12-31", (TODAY + dt.timedelta(days=40)).isoformat()):
        result = cli("--db", db, "recurring", "run", "--as-of", as_of)
        assert result.returncode == 1
        assert f"--as-of {as_of} is after today" in result.stderr
        assert _invoices(db.path) == []
    done = cli("--db", db, "recurring", "run")
    assert done.returncode == 0, done.stderr
    assert [status for _id, status, _code in _invoices(db.path)] == ["issued"]


def test_drafts_may_be_planned_ahead_but_not_past_2099(db, cli) -> None:
    set_issuer()
    client_id = make_client("Borradores SL", "B60889649")
    recurring.create_recurring(
        recurring.RecurringInput(
            client_id=client_id, title="Borrador", next_date=TODAY, lines=[line(price="5")]
        )
    )  # drafts only: a future as-of makes the drafts of the periods up to it
    ahead = (TODAY + dt.timedelta(days=62)).isoformat()
    result = cli("--db", db, "recurring", "run", "--as-of", ahead)
    assert result.returncode == 0, result.stderr
    assert {status for _id, status, _code in _invoices(db.path)} == {"draft"}
    refused = cli(
        "--db", db, "invoice", "create", "--client", "B60889649", "--line", "X|1|1|21",
        "--date", "2146-01-01",
    )  # fmt: skip
    assert refused.returncode == 1 and "issue_date: must be in the years 2000 to 2099" in (
        refused.stderr
    )
