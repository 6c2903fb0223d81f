"""`analytics.ranking_rows` (`report revenue`): every client ranked, whichever way the
figures are read (PostgreSQL joins the year's running totals to the previous period's
when they say it, and adds the months up otherwise), must be the ranking an aggregate
over the invoices themselves gives: the same clients, order, ranks, amounts, shares and
changes. On SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import issued, line, make_client, set_issuer
from postgres_support import fresh_schema

TODAY = dt.date(2026, 6, 30)
_RAW = (
    "SELECT u.client_id, c.legal_name, c.tax_id, SUM(u.cur), SUM(u.prev) FROM ("
    "SELECT client_id, base_cents AS cur, 0 AS prev FROM invoice "
    "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
    "UNION ALL SELECT client_id, 0, base_cents FROM invoice "
    "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ?) u "
    "JOIN client c ON c.id = u.client_id GROUP BY u.client_id, c.legal_name, c.tax_id"
)


def _book() -> None:
    """Six clients over three years: ties, a client with revenue only in 2024, one whose
    credit nets 2025 to zero, invoices after the as-of dates in their years."""
    set_issuer()
    ids = [
        make_client(f"{name} SL", tax_id)
        for name, tax_id in (
            ("Alfa", "B60889649"),
            ("Beta", "A58818501"),
            ("Gamma", "B19306562"),
            ("Delta", "A28017895"),
            ("Épsilon", "B82846825"),
            ("Zeta", "A08001851"),
        )
    ]
    alfa, beta, gamma, delta, epsilon, zeta = ids
    made = {}
    for day, amounts in (
        (dt.date(2024, 6, 1), {beta: "300", gamma: "300", delta: "50", zeta: "20"}),
        (dt.date(2025, 1, 15), {alfa: "100", epsilon: "80"}),
        (dt.date(2025, 2, 3), {beta: "100", delta: "75.55"}),
        (dt.date(2025, 5, 1), {alfa: "900", beta: "900", gamma: "1000", delta: "500"}),
        (dt.date(2025, 11, 20), {gamma: "40"}),
        (dt.date(2026, 1, 10), {alfa: "700", beta: "700", gamma: "700", delta: "50"}),
        (dt.date(2026, 2, 2), {gamma: "0.01", epsilon: "12.34"}),
        (dt.date(2026, 3, 5), {beta: "1"}),
    ):
        for client, price in amounts.items():
            made[client, day] = issued(client, day, line(price=price))
    # Épsilon's 2025 nets to zero: its January invoice cancelled in June.
    from tui_crm.services import invoices

    first = made[epsilon, dt.date(2025, 1, 15)]
    cancel = invoices.create_rectifying_draft(first.id, "difference", "Anulada")
    invoices.issue_invoice(cancel, dt.date(2025, 6, 1))


def _expected(period) -> list[tuple]:
    """The ranking from the invoices, ordered and ranked as the report ranks."""
    from tui_crm.db import execute
    from tui_crm.services import analytics

    days = (period.start, period.end, period.previous_start, period.previous_end)
    found = [
        (r[0], r[1], r[2], int(r[3]), int(r[4]))
        for r in execute(_RAW, [d.isoformat() for d in days])
        if int(r[3]) or int(r[4])
    ]
    found.sort(key=lambda r: (-r[3], -r[4], r[0]))
    total = sum(r[3] for r in found)
    return [_values(analytics._ranking_row((*r, i), total)) for i, r in enumerate(found, 1)]


def _values(r) -> tuple:
    shown = (r.rank, r.client_id, r.client, r.tax_id, r.revenue, r.share, r.previous_revenue)
    return tuple(map(repr, (*shown, r.change, r.change_pct)))


def _check() -> None:
    from tui_crm.services import analytics, reports

    def period(year: int, as_of: dt.date | None = None) -> analytics.ReportPeriod:
        return analytics.report_period(year, as_of, today=TODAY)

    periods = [
        period(2024),
        period(2025),  # whole years
        period(2026),  # nothing after its end this year, after it the year before
        period(2026, dt.date(2026, 2, 2)),  # the previous one ends within a month
        period(2026, dt.date(2026, 1, 12)),  # invoices after the end: the months
        period(2025, dt.date(2025, 2, 3)),
        period(2025, dt.date(2025, 5, 31)),
    ]
    for p in periods:
        rows = [_values(r) for r in analytics.ranking_rows(p)]
        assert rows == _expected(p), p
        assert rows, p
        # What `report revenue` prints and exports: the same values, column by column.
        printed = [tuple(map(repr, d.values())) for d in reports.revenue_rows(p.year, p.end)]
        assert printed == [(*r[2:4], *r[4:]) for r in rows], p


def test_every_client_ranked_agrees_with_the_invoices(db) -> None:
    _book()
    _check()


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_every_client_ranked_agrees_with_the_invoices_on_postgresql(pg_url, app_env) -> None:
    with fresh_schema(pg_url):
        _book()
        _check()
