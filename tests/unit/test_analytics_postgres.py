"""The analytics on PostgreSQL: the same book, the same hand-worked figures (the SQL has
dialect-specific parts: months, day differences, the covering index of m0006)."""

from __future__ import annotations

import datetime as dt

import pytest
from analytics_book import AS_OF, build_book
from invoicing_support import D
from postgres_support import fresh_schema

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


def test_analytics_figures_on_postgresql(pg_url, app_env) -> None:
    from tui_crm.services import analytics, reports

    with fresh_schema(pg_url):
        # The timeline service's last-activity query does not run on PostgreSQL 15 yet
        # (a FROM subquery without an alias): the entries are written as plain rows.
        book = build_book(timeline_service=False)
        a = analytics.client_analytics(book.alfa, AS_OF)
        assert (a.revenue_total, a.revenue_this_year, a.change_pct) == (
            D("7400.00"),
            D("4000.00"),
            D("100.00"),
        )
        assert (a.avg_days_to_pay, a.avg_days_late, a.on_time_share) == (
            D("36.3"),
            D("6.3"),
            D("0.3333"),
        )
        assert a.lifetime.value == D("9600.00")
        assert [p.name for p in a.top_products] == ["Diseño web", "Mantenimiento", "Servidor"]
        assert a.last_interaction is not None
        assert a.last_interaction.at == dt.datetime(2026, 3, 12, 9, 30)
        whole = analytics.report_period(2025, today=AS_OF)
        ranking = analytics.client_ranking(whole, 2)
        assert [(r.client, r.share) for r in ranking.top] == [
            ("Beta Obras SL", D("0.6757")),
            ("Alfa Diseño SL", D("0.3243")),
        ]
        ytd = analytics.report_period(as_of=AS_OF)
        assert [r.change_pct for r in analytics.ranking_rows(ytd)] == [
            D("100.00"),
            D("-20.00"),
            None,
        ]
        months = {m.month: m for m in analytics.monthly_revenue(ytd)}
        assert (months["2026-03"].revenue, months["2026-03"].previous_year_revenue) == (
            D("1200.00"),
            D("0.00"),
        )
        assert [(r.client, r.month) for r in analytics.pnl_rows(whole)][:2] == [
            ("Alfa Diseño SL", "2025-01"),
            ("Alfa Diseño SL", "2025-03"),
        ]
        assert analytics.count_pnl(whole) == 5
        assert [s.weighted_amount for s in analytics.pipeline_by_stage(ytd)][:3] == [
            D("33.33"),
            D("0.00"),
            D("5000.00"),
        ]
        assert [r["overdue"] for r in reports.defaulter_rows(AS_OF)] == [D("5808.00")]
