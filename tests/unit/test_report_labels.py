"""Labels say exactly what their figure is (issue 16, item 5): the monthly report's
headline compares the months it lists with exactly the same days a year earlier; the
client's margin names the period it covers."""

from __future__ import annotations

import datetime as dt

from invoicing_support import D, issued, line, make_client, set_issuer

from tui_crm.services import analytics

AS_OF = dt.date(2026, 12, 6)


def test_monthly_headline_compares_like_with_like(db) -> None:
    set_issuer()
    client_id = make_client()
    issued(client_id, dt.date(2025, 3, 1), line(price="1000"))  # a year earlier: counts
    issued(client_id, dt.date(2025, 12, 20), line(price="5000"))  # after 6 Dec 2025: not
    issued(client_id, dt.date(2026, 2, 1), line(price="800"))
    issued(client_id, dt.date(2026, 12, 2), line(price="200"))
    period = analytics.report_period(None, AS_OF, today=AS_OF)
    months = analytics.monthly_revenue(period)
    c = analytics.monthly_comparison(period, months)
    assert (c.start, c.end) == (dt.date(2026, 1, 1), AS_OF)
    assert (c.previous_start, c.previous_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 6))
    assert c.revenue == D("1000.00")
    # Not 6000 (the whole of 2025): the same days one year earlier.
    assert c.previous_revenue == D("1000.00")
    assert c.previous_revenue == analytics.business_revenue(c.previous_start, c.previous_end)
    assert c.change_pct == D("0.00")


def test_client_margin_names_the_days_it_covers(db) -> None:
    set_issuer()
    client_id = make_client()
    issued(client_id, dt.date(2025, 12, 20), line(price="5000", unit_cost=D("1000")))
    issued(client_id, dt.date(2026, 6, 1), line(price="300", unit_cost=D("100")))
    a = analytics.client_analytics(client_id, AS_OF)
    # The months listed run from 1 January to the as-of day: that is what the total is.
    assert (a.margin_start, a.as_of) == (dt.date(2026, 1, 1), AS_OF)
    assert a.margin_12m.revenue == D("300.00") and a.margin_12m.cost == D("100.00")
    assert a.margin_12m.revenue == analytics.business_revenue(a.margin_start, a.as_of)
