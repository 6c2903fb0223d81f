"""Properties of the analytics over random books: per-client revenues add up to the
business's, shares add up to 1 (within rounding), months add up to the year, and the
whole-year shortcut through `client_revenue` agrees with summing the invoices.

Each example writes a fresh database: issued invoices (ordinary and rectifying, some
negative), drafts with planned dates (which never count), over four years, for a few
clients. The expected figures are computed here in Python from the generated rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_crm.services import analytics

FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)
SPAN = (LAST_DAY - FIRST_DAY).days
CLIENTS = 5

invoice_strategy = st.tuples(
    st.integers(0, CLIENTS - 1),  # client
    st.integers(0, SPAN),  # issue date
    st.integers(-50_000, 500_000),  # base in cents (negative: a rectifying invoice)
    st.integers(0, 100),  # cost, percent of the base
    st.sampled_from(["issued", "issued", "issued", "paid", "draft"]),
)
book_strategy = st.lists(invoice_strategy, min_size=0, max_size=40)
day_strategy = st.integers(0, SPAN).map(lambda n: FIRST_DAY + dt.timedelta(days=n))


@pytest.fixture
def fresh_book(app_env, tmp_path_factory):
    """A function writing a new database with the given invoices; returns the client ids."""
    from tui_crm import db as db_module
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use

    counter = itertools.count()

    @contextlib.contextmanager
    def open_book(rows):
        from tui_crm.models import Client, Invoice

        directory = tmp_path_factory.mktemp(f"book{next(counter)}")
        open_for_use(DatabaseTarget(str(directory / "crm.sqlite3")))
        try:
            ids = [
                Client.create(legal_name=f"Cliente {n}", sort_name=f"cliente {n}", kind="client").id
                for n in range(CLIENTS)
            ]
            for number, (client, day, base, cost_pct, status) in enumerate(rows, 1):
                issue = FIRST_DAY + dt.timedelta(days=day)
                base_cents = base
                cost_cents = base * cost_pct // 100
                total_cents = base_cents * 121 // 100
                issued = status != "draft"
                Invoice.insert(
                    kind="rectifying" if base < 0 else "standard",
                    status=status,
                    series="R" if base < 0 else "F",
                    year=issue.year if issued else None,
                    number=number if issued else None,
                    code=f"X{number:05d}" if issued else None,
                    client=ids[client],
                    issue_date=issue,
                    due_date=issue + dt.timedelta(days=30),
                    base=Decimal(base_cents) / 100,
                    cost=Decimal(cost_cents) / 100,
                    total=Decimal(total_cents) / 100,
                    outstanding=Decimal(0) if status == "paid" else Decimal(total_cents) / 100,
                    paid=Decimal(total_cents) / 100 if status == "paid" else Decimal(0),
                ).execute()
            yield ids
        finally:
            db_module.close_database()

    return open_book


def _expected(rows, ids, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """Revenue and cost in cents per client id, issued invoices dated start..end."""
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for client, day, base, cost_pct, status in rows:
        issue = FIRST_DAY + dt.timedelta(days=day)
        if status != "draft" and start <= issue <= end:
            found[ids[client]][0] += base
            found[ids[client]][1] += base * cost_pct // 100
    return {k: (v[0], v[1]) for k, v in found.items()}


def _cents(value: Decimal) -> int:
    return int(value * 100)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=book_strategy, as_of=day_strategy, whole_year=st.booleans())
def test_revenues_add_up_and_shares_add_up_to_one(fresh_book, rows, as_of, whole_year) -> None:
    today = LAST_DAY
    period = (
        analytics.report_period(as_of.year, today=today)
        if whole_year
        else analytics.report_period(as_of=as_of, today=today)
    )
    with fresh_book(rows) as ids:
        current = _expected(rows, ids, period.start, period.end)
        previous = _expected(rows, ids, period.previous_start, period.previous_end)
        total = sum(v[0] for v in current.values())
        previous_total = sum(v[0] for v in previous.values())

        ranked = list(analytics.ranking_rows(period))
        # Every client with revenue in either period is ranked, once, with its revenue.
        expected = {
            c: (current.get(c, (0, 0))[0], previous.get(c, (0, 0))[0])
            for c in set(current) | set(previous)
            if current.get(c, (0, 0))[0] or previous.get(c, (0, 0))[0]
        }
        assert {r.client_id: (_cents(r.revenue), _cents(r.previous_revenue)) for r in ranked} == (
            expected
        )
        # Per-client revenues add up to the business's revenue (also read on its own).
        assert sum(_cents(r.revenue) for r in ranked) == total
        assert _cents(analytics.business_revenue(period.start, period.end)) == total
        # Shares add up to 1, each rounded to 4 decimals (at most half a unit off each).
        if total and ranked:
            error = abs(sum(r.share for r in ranked) - 1)
            assert error <= Decimal("0.00005") * len(ranked)
        # Ranks are 1..n in revenue order.
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        assert [r.revenue for r in ranked] == sorted((r.revenue for r in ranked), reverse=True)

        # The top/bottom summary agrees with the full list.
        summary = analytics.client_ranking(period, limit=2)
        assert (_cents(summary.total), _cents(summary.previous_total)) == (total, previous_total)
        assert summary.clients == len(ranked)
        assert [r.client_id for r in summary.top] == [r.client_id for r in ranked[:2]]
        assert [r.client_id for r in summary.bottom] == [r.client_id for r in ranked[::-1][:2]]

        # The months of the year (to the as-of date) add up to the year, and their
        # previous-year figures to the previous period.
        months = [
            m for m in analytics.monthly_revenue(period) if m.month >= f"{period.year:04d}-01"
        ]
        assert sum(_cents(m.revenue) for m in months) == total
        assert sum(_cents(m.previous_year_revenue) for m in months) == previous_total

        # Profit and loss: sales add up to the revenue, cost to the cost of sales.
        pnl = list(analytics.iter_pnl_rows(period))
        assert sum(_cents(r.sales) for r in pnl) == total
        assert sum(_cents(r.cost_of_sales) for r in pnl) == sum(v[1] for v in current.values())
        assert analytics.count_pnl(period) == len(pnl)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=book_strategy, year=st.integers(2024, 2026))
def test_whole_years_from_client_revenue_agree_with_the_invoices(fresh_book, rows, year) -> None:
    whole = analytics.report_period(year, today=LAST_DAY)
    with fresh_book(rows) as ids:
        assert analytics._whole_years(whole)  # read from client_revenue
        by_table = [
            (r.client_id, r.revenue, r.previous_revenue) for r in analytics.ranking_rows(whole)
        ]
        # The same figures summed here from the generated invoices, client by client.
        expected = {
            c: (cur, previous)
            for c in ids
            for cur in [_expected(rows, ids, whole.start, whole.end).get(c, (0, 0))[0]]
            for previous in [
                _expected(rows, ids, whole.previous_start, whole.previous_end).get(c, (0, 0))[0]
            ]
            if cur or previous
        }
        assert {c: (_cents(a), _cents(b)) for c, a, b in by_table} == expected
        # Shares of the whole business's revenue in the client file agree too.
        assert _cents(analytics.business_revenue(whole.start, whole.end)) == sum(
            v[0] for v in expected.values()
        )
        assert _cents(analytics.business_revenue(None, whole.end)) == sum(
            v[0] for v in _expected(rows, ids, FIRST_DAY, whole.end).values()
        )


_CENTS = st.one_of(
    st.integers(-10_000, 10_000),
    st.integers(-(10**14), 10**14),
    st.sampled_from([0, 1, -1, 2, 3, 7, 8, 16, 10_000, 20_000, -20_000]),
)


@given(part=_CENTS, whole=_CENTS)
@settings(max_examples=2000)
def test_shares_and_changes_in_cents_equal_the_decimal_ones(part: int, whole: int) -> None:
    """The ranking computes shares and changes from cents in integers (a row per client):
    the very values, signs of zero and exponents included, of the Decimal formulas."""
    from tui_crm.money import from_cents
    from tui_crm.services.receivables import share, share_of_cents

    fast, slow = share_of_cents(part, whole), share(from_cents(part), from_cents(whole))
    assert (fast, str(fast)) == (slow, str(slow))
    # A ranking row works its share and change out of its cents when read.
    row = analytics.RankingRow(1, 1, "", "", part, whole, whole)
    assert (row.share, str(row.share)) == (slow, str(slow))
    fast = analytics.percent_change_of_cents(part, whole)
    slow = analytics.percent_change(from_cents(part), from_cents(whole))
    assert (fast, str(fast)) == (slow, str(slow))
    assert (row.change_pct, str(row.change_pct)) == (slow, str(slow))
    change = from_cents(part) - from_cents(whole)
    assert (row.change, str(row.change)) == (change, str(change))
