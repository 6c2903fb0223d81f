"""`client_month_revenue` (m0015): the per-client, per-month sales and cost of sales the
profit and loss and `report revenue` read, kept by triggers on `invoice`. After every
kind of write (issue, payment, rectification, void, a draft's edits and deletion) it
must equal the aggregate computed afresh from the invoices, and the reports read from it
must equal the same reports summed over the invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer
from postgres_support import fresh_schema

FRESH = (
    "SELECT client_id, {month}, COUNT(*), SUM(base_cents), SUM(cost_cents) FROM invoice "
    "WHERE status NOT IN ('draft', 'voided') AND issue_date IS NOT NULL "
    "GROUP BY 1, 2 ORDER BY 1, 2"
)


def _stored() -> list[tuple]:
    from tui_crm.db import execute

    return [
        tuple(int(v) if isinstance(v, (int, Decimal)) else v for v in r)
        for r in execute(
            "SELECT client_id, month, invoices, base_cents, cost_cents FROM client_month_revenue "
            "WHERE invoices > 0 ORDER BY 1, 2"
        )
    ]


def _fresh() -> list[tuple]:
    from tui_crm.db import execute, is_sqlite

    month = "substr(issue_date, 1, 7)" if is_sqlite() else "to_char(issue_date, 'YYYY-MM')"
    return [
        tuple(int(v) if isinstance(v, (int, Decimal)) else v for v in r)
        for r in execute(FRESH.format(month=month))
    ]


def _fresh_pnl(start: dt.date, end: dt.date) -> list[tuple]:
    """(client_id, month, sales, cost) summed here from the invoices, the P&L's order."""
    from tui_crm.db import execute, is_sqlite

    month = "substr(i.issue_date, 1, 7)" if is_sqlite() else "to_char(i.issue_date, 'YYYY-MM')"
    return [
        (r[0], r[1], D(int(r[2])) / 100, D(int(r[3])) / 100)
        for r in execute(
            f"SELECT i.client_id, {month}, SUM(i.base_cents), SUM(i.cost_cents) FROM invoice i "
            "JOIN client c ON c.id = i.client_id WHERE i.status NOT IN ('draft', 'voided') "
            "AND i.issue_date BETWEEN ? AND ? GROUP BY i.client_id, c.sort_name, 2 "
            "ORDER BY c.sort_name, i.client_id, 2",
            (start.isoformat(), end.isoformat()),
        )
    ]


def _every_kind_of_write() -> tuple[int, int]:
    """Invoices issued, paid, rectified, voided, moved and deleted as drafts, in three
    months of two years; returns the two clients."""
    from tui_crm.services import invoices, payments, settings, verifactu

    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    alfa = make_client("Alfa Diseño SL", "B60889649")
    beta = make_client("Beta Obras SL", "A58818501")
    feb = dt.date(2025, 2, 10)
    first = issued(alfa, feb, line(price="1000", unit_cost=D("300")))
    issued(alfa, dt.date(2025, 2, 20), line(price="250.55", unit_cost=D("10.10")))
    other = issued(beta, dt.date(2025, 3, 3), line(quantity="3", price="99.99"))
    voided = issued(beta, dt.date(2025, 3, 4), line(price="400"))
    payments.register_payment(alfa, dt.date(2025, 3, 1), D("1210.00"))
    verifactu.void_invoice(voided.id, "Emitida por error")
    # A rectifying invoice a month later takes 200 back from February's first invoice.
    rect = invoices.create_rectifying_draft(
        first.id, "difference", "Descuento acordado", [line(quantity="-2", price="100")]
    )
    invoices.issue_invoice(rect, dt.date(2025, 3, 15))
    # A full cancellation of Beta's March invoice, the same month.
    cancel = invoices.create_rectifying_draft(other.id, "difference", "Anulada")
    invoices.issue_invoice(cancel, dt.date(2025, 3, 20))
    # Drafts never count, whatever is done to them.
    kept = draft(alfa, line(price="5000"))
    gone = draft(beta, line(price="7000"))
    invoices.delete_draft(gone)
    issued(beta, dt.date(2026, 1, 7), line(price="60", unit_cost=D("20")))
    invoices.issue_invoice(kept, dt.date(2026, 1, 9))
    return alfa, beta


def test_month_totals_follow_every_kind_of_write(db) -> None:
    _every_kind_of_write()
    stored = _stored()
    assert stored == _fresh()
    assert {r[1] for r in stored} == {"2025-02", "2025-03", "2026-01"}


def test_reports_from_month_totals_equal_the_invoices(db) -> None:
    from tui_crm.services import analytics

    alfa, beta = _every_kind_of_write()
    for period in (
        analytics.report_period(2025, today=dt.date(2026, 6, 30)),  # whole year
        analytics.report_period(as_of=dt.date(2025, 3, 10), today=dt.date(2026, 6, 30)),
        analytics.report_period(as_of=dt.date(2026, 1, 8), today=dt.date(2026, 6, 30)),
        analytics.report_period(as_of=dt.date(2026, 1, 31), today=dt.date(2026, 6, 30)),
    ):
        rows = [
            (r.client_id, r.month, r.sales, r.cost_of_sales)
            for r in analytics.iter_pnl_rows(period)
        ]
        assert rows == _fresh_pnl(period.start, period.end), period
        assert analytics.count_pnl(period) == len(rows)
        assert [(r.client_id, r.month) for r in analytics.pnl_rows(period, 1, 1)] == [
            (c, m) for c, m, _s, _k in rows[1:2]
        ]
        current = {c: s for c, s in _per_client(period.start, period.end).items()}
        previous = _per_client(period.previous_start, period.previous_end)
        ranked = {
            r.client_id: (r.revenue, r.previous_revenue) for r in analytics.ranking_rows(period)
        }
        expected = {
            c: (current.get(c, D(0)), previous.get(c, D(0)))
            for c in (alfa, beta)
            if current.get(c) or previous.get(c)
        }
        assert ranked == expected, period


def _per_client(start: dt.date, end: dt.date) -> dict[int, Decimal]:
    found: dict[int, Decimal] = {}
    for client_id, _month, sales, _cost in _fresh_pnl(start, end):
        found[client_id] = found.get(client_id, D(0)) + sales
    return {c: v for c, v in found.items() if v}


def test_the_migration_fills_the_table_from_existing_invoices(db) -> None:
    """An older database's invoices are counted when m0015 runs (its backfill)."""
    from tui_crm.db import execute
    from tui_crm.migrations import m0015_client_month_revenue as m0015

    _every_kind_of_write()
    for statement in m0015.SQLITE_REBUILD:
        execute(statement)
    assert _stored() == _fresh()


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_month_totals_on_postgresql(pg_url, app_env) -> None:
    from tui_crm.db import execute
    from tui_crm.migrations import m0015_client_month_revenue as m0015

    with fresh_schema(pg_url):
        alfa, _beta = _every_kind_of_write()
        assert _stored() == _fresh()
        assert len(_stored()) == 5  # Alfa: Feb, Mar, Jan; Beta: Mar, Jan
        # The client file reads the active custom fields: a boolean test PostgreSQL takes.
        from tui_crm.services.client_file import client_file

        assert client_file(alfa).detail.data.legal_name == "Alfa Diseño SL"
        for statement in m0015.POSTGRESQL_REBUILD:
            execute(statement)
        assert _stored() == _fresh()
