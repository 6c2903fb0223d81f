"""`analytics.ranking_top`: the ranking's top clients read from the per-year totals (the
Reports screen shows them before the whole ranking is computed). Whenever it answers,
its rows must be exactly the top of `client_ranking` (ties broken the same way, the same
shares and changes); when the per-year totals cannot say it, it says None. On SQLite and
on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import issued, line, make_client, set_issuer
from postgres_support import fresh_schema

TODAY = dt.date(2026, 6, 30)


def _book() -> dict[str, int]:
    """Four clients, three tied in 2025 and two of those tied again the year before; the
    invoices in issue order (issue dates never go backwards)."""
    set_issuer()
    ids = {
        name: make_client(f"{name} SL", tax_id)
        for name, tax_id in (
            ("Alfa", "B60889649"),
            ("Beta", "A58818501"),
            ("Gamma", "B19306562"),
            ("Delta", "A28017895"),
        )
    }
    for day, amounts in (
        (dt.date(2024, 6, 1), {"Beta": "300", "Gamma": "300", "Delta": "50"}),
        (dt.date(2025, 1, 15), {"Alfa": "100"}),
        (dt.date(2025, 1, 20), {"Beta": "100"}),
        (dt.date(2025, 5, 1), {"Alfa": "900", "Beta": "900", "Gamma": "1000", "Delta": "500"}),
        (dt.date(2026, 1, 10), {"Alfa": "700", "Beta": "700", "Gamma": "700", "Delta": "50"}),
    ):
        for name, price in amounts.items():
            issued(ids[name], day, line(price=price))
    return ids


def _check(ids: dict[str, int]) -> None:
    from tui_crm.services import analytics

    def period(year: int, as_of: dt.date | None = None) -> analytics.ReportPeriod:
        return analytics.report_period(year, as_of, today=TODAY)

    def names(rows) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        return [by_id[r.client_id] for r in rows]

    whole = period(2025)
    # 2025: Alfa, Beta and Gamma 1000 each; 2024: Beta and Gamma 300, Alfa nothing.
    assert names(analytics.ranking_top(whole, 2)) == ["Beta", "Gamma"]
    # Year to date (no 2026 invoice after 1 February): Alfa and Beta 700 each and 100 in
    # January 2025 (ordered by id), Gamma 700 and nothing then; Delta 50.
    ytd = period(2026, dt.date(2026, 2, 1))
    assert names(analytics.ranking_top(ytd, 3)) == ["Alfa", "Beta", "Gamma"]
    for p in (whole, ytd, period(2026)):
        for limit in (1, 2, 3, 4):
            top = analytics.ranking_top(p, limit)
            assert top == analytics.client_ranking(p, limit).top, (p, limit)
    # Not said by the per-year totals: fewer clients with revenue than asked for, revenue
    # after the as-of date in its year, a year without revenue.
    assert analytics.ranking_top(whole, 5) is None
    assert analytics.ranking_top(period(2026, dt.date(2026, 1, 5)), 2) is None
    assert analytics.ranking_top(period(2023), 1) is None


def test_ranking_top_is_the_rankings_top(db) -> None:
    _check(_book())


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_ranking_top_on_postgresql(pg_url, app_env) -> None:
    with fresh_schema(pg_url):
        _check(_book())


def test_every_client_ranked_makes_the_same_rows_as_one_ranking_row() -> None:
    """`report revenue` makes its tens of thousands of rows by a loop written out
    (`analytics._ranked`): each row must be `_ranking_row`'s, to the sign and exponent of
    every Decimal (a -0.0000 share of a negative whole included)."""
    from tui_crm.services import analytics

    amounts = (0, None, 1, -1, 5, -5, 149, 150, -150, 12_345, -98_765, 10**9 + 7, -(10**9))
    rows = [
        (i, f"Cliente {i}", "" if i % 3 else None, cur, prev)
        for i, (cur, prev) in enumerate(((a, b) for a in amounts for b in amounts), 1)
    ]
    for total in (0, 1, -1, 3, 12_345, -98_765, 10**12):
        slow = [analytics._ranking_row((*r, i), total) for i, r in enumerate(rows, 1)]
        fast = list(analytics._ranked(rows, total))
        assert [_shown(r) for r in fast] == [_shown(r) for r in slow]
        # ... and each value the Decimal formulas' (money.from_cents, share_of_cents,
        # percent_change_of_cents), to the sign of zero and the exponent.
        assert [_shown(r) for r in fast] == [_formulas(r, total) for r in rows_in(rows)]
        # `report revenue` reads them in one loop (`ranking_values`): the same values.
        values = [tuple(map(repr, v)) for v in analytics.ranking_values(fast)]
        assert values == [_shown(r)[2:] for r in fast]


def rows_in(rows: list) -> list:
    return [(i, *r) for i, r in enumerate(rows, 1)]


def _shown(r) -> tuple:
    """Every value a report or a screen reads from a ranking row, as repr (exponents)."""
    values = (r.rank, r.client_id, r.client, r.tax_id, r.revenue, r.share)
    return tuple(map(repr, (*values, r.previous_revenue, r.change, r.change_pct)))


def _formulas(row: tuple, total: int) -> tuple:
    from tui_crm.money import from_cents
    from tui_crm.services.analytics import percent_change_of_cents
    from tui_crm.services.receivables import share_of_cents

    rank, client_id, name, tax_id, cur, prev = row
    cur, prev = cur or 0, prev or 0
    values = (rank, client_id, name, tax_id or "", from_cents(cur), share_of_cents(cur, total))
    change = from_cents(cur) - from_cents(prev)
    return tuple(map(repr, (*values, from_cents(prev), change, percent_change_of_cents(cur, prev))))
