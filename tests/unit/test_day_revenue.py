"""`day_revenue` (m0017): the whole business's counted invoices per issue date, kept by
triggers on `invoice`. After every kind of write (issue, payment, rectification, void, a
draft's edits and deletion) it must equal the aggregate computed afresh from the invoices;
the figures read from it (monthly revenue, the P&L's months, the billing the defaulters'
shares divide by) must equal the same figures summed over the invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer
from postgres_support import fresh_schema

FRESH = (
    "SELECT issue_date, COUNT(*), SUM(base_cents), SUM(cost_cents), SUM(total_cents) "
    "FROM invoice WHERE status NOT IN ('draft', 'voided') AND issue_date IS NOT NULL "
    "GROUP BY 1 ORDER BY 1"
)
STORED = (
    "SELECT day, invoices, base_cents, cost_cents, total_cents FROM day_revenue "
    "WHERE invoices > 0 ORDER BY 1"
)
TODAY = dt.date(2026, 6, 30)


def _rows(sql: str) -> list[tuple]:
    from tui_crm.db import execute

    return [
        tuple(str(v)[:10] if isinstance(v, (str, dt.date)) else int(v) for v in r)
        for r in execute(sql)
    ]


def _every_kind_of_write() -> tuple[int, int]:
    from tui_crm.services import invoices, payments, settings, verifactu

    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    alfa = make_client("Alfa Diseño SL", "B60889649")
    beta = make_client("Beta Obras SL", "A58818501")
    first = issued(alfa, dt.date(2025, 2, 10), line(price="1000", unit_cost=D("300")))
    issued(alfa, dt.date(2025, 2, 10), line(price="250.55", unit_cost=D("10.10")))
    other = issued(beta, dt.date(2025, 3, 3), line(quantity="3", price="99.99"))
    voided = issued(beta, dt.date(2025, 3, 4), line(price="400"))
    payments.register_payment(alfa, dt.date(2025, 3, 1), D("1210.00"))
    verifactu.void_invoice(voided.id, "Emitida por error")
    rect = invoices.create_rectifying_draft(
        first.id, "difference", "Descuento acordado", [line(quantity="-2", price="100")]
    )
    invoices.issue_invoice(rect, dt.date(2025, 3, 15))
    cancel = invoices.create_rectifying_draft(other.id, "difference", "Anulada")
    invoices.issue_invoice(cancel, dt.date(2025, 3, 20))
    kept = draft(alfa, line(price="5000"))
    invoices.delete_draft(draft(beta, line(price="7000")))
    issued(beta, dt.date(2026, 1, 7), line(price="60", unit_cost=D("20")))
    invoices.issue_invoice(kept, dt.date(2026, 1, 9))
    return alfa, beta


def _assert_days_are_exact(rebuild: tuple[str, ...]) -> None:
    from tui_crm.db import execute, is_sqlite
    from tui_crm.services import analytics
    from tui_crm.services import receivables as rv

    month = "substr(issue_date, 1, 7)" if is_sqlite() else "to_char(issue_date, 'YYYY-MM')"
    stored = _rows(STORED)
    assert stored == _rows(FRESH)
    assert len(stored) == 6  # two invoices share 10 February; 4 March's was voided
    for statement in rebuild:
        execute(statement)
    assert _rows(STORED) == stored
    # What is read from the days equals what the invoices say.
    for as_of in (dt.date(2025, 3, 10), dt.date(2025, 12, 31), TODAY):
        flt = rv.ReceivablesFilter(as_of=as_of)
        report = rv.defaulters_report(flt)
        assert report.billing == rv.total_billing(flt)
        assert report.overdue == rv.total_overdue(flt)
        period = analytics.report_period(as_of=as_of, today=TODAY)
        months = analytics.monthly_revenue(period)
        by_month = {
            r[0]: Decimal(int(r[1])) / 100
            for r in execute(
                f"SELECT {month}, SUM(base_cents) FROM invoice WHERE status NOT IN "
                "('draft', 'voided') AND issue_date <= ? GROUP BY 1",
                (as_of.isoformat(),),
            )
        }
        assert {m.month: m.revenue for m in months if m.revenue} == {
            k: v for k, v in by_month.items() if v and k >= months[0].month
        }


def test_day_totals_follow_every_kind_of_write(db) -> None:
    from tui_crm.migrations import m0017_modelo347_figures as m0017

    _every_kind_of_write()
    _assert_days_are_exact(m0017.SQLITE_DAYS_REBUILD)


def test_defaulters_report_shares_and_wholes(db) -> None:
    """The defaulters' wholes are everyone's overdue (a client in credit included) and the
    billing up to the date; the list and its shares are the receivables board's."""
    from tui_crm.services import receivables as rv

    _every_kind_of_write()
    flt = rv.ReceivablesFilter(as_of=TODAY)
    report = rv.defaulters_report(flt)
    assert [d.client_id for d in report.defaulters] == [d.client_id for d in rv.defaulters(flt)]
    assert report.defaulters and report.overdue > 0
    assert sum((d.overdue for d in report.defaulters), D(0)) == report.overdue
    for d in report.defaulters:
        assert d.share_of_billing == rv.share(d.overdue, report.billing)
        assert d.share_of_overdue == rv.share(d.overdue, report.overdue)
    # Without names (the Reports screen names a page at a time): the same rows once named.
    bare = rv.defaulters_report(flt, names=False).defaulters
    assert {d.client for d in bare} == {""}
    assert rv.named(bare) == list(report.defaulters)
    assert rv.defaulters_report(rv.ReceivablesFilter(as_of=dt.date(2025, 2, 1))).defaulters == ()


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_day_totals_on_postgresql(pg_url, app_env) -> None:
    from tui_crm.migrations import m0017_modelo347_figures as m0017

    with fresh_schema(pg_url):
        _every_kind_of_write()
        _assert_days_are_exact(m0017.POSTGRESQL_DAYS_REBUILD)
