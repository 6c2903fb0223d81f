"""Known answers: every analytics figure of the book in `analytics_book`, worked out by hand.

The arithmetic is in the comments; amounts are euros, totals are base x 1.21.
"""

from __future__ import annotations

import datetime as dt

import pytest
from analytics_book import AS_OF, build_book
from invoicing_support import D

from tui_crm.services import analytics, reports, settings
from tui_crm.services.errors import NotFound, ValidationError


@pytest.fixture
def book(db):
    return build_book()


# --- one client ------------------------------------------------------------------------


def test_client_revenue_year_over_year_and_shares(book) -> None:
    a = analytics.client_analytics(book.alfa, AS_OF)
    # Total to AS_OF: 1000 + 2000 + 500 - 100 (#8) + 3000 + 1000 = 7400 (#13 is after AS_OF).
    assert a.revenue_total == D("7400.00")
    # This year (2026-01-01 .. 03-15): #9 3000 + #11 1000.
    assert a.revenue_this_year == D("4000.00")
    # Last year, whole: 2000 + 500 - 100.
    assert a.revenue_last_year == D("2400.00")
    # Same dates last year (2025-01-01 .. 03-15): only #4 (#6 is 03-20).
    assert a.revenue_last_year_to_date == D("2000.00")
    # Change 4000 - 2000 = 2000, i.e. +100 %.
    assert a.change == D("2000.00")
    assert a.change_pct == D("100.00")
    # Business this year to AS_OF: 4000 + 800 (Beta) + 200 (Delta) = 5000 -> 4000/5000.
    assert a.business_this_year == D("5000.00")
    assert a.share_this_year == D("0.8000")
    # Business all time to AS_OF: 1800 + 7400 + 5000 = 14200 -> 7400/14200 = 0.52113 -> 0.5211.
    assert a.business_total == D("14200.00")
    assert a.share_all_time == D("0.5211")
    # Ordinary invoices to AS_OF: #1 #4 #6 #9 #11.
    assert a.invoices_total == 5


def test_client_receivables_and_payment_behaviour(book) -> None:
    a = analytics.client_analytics(book.alfa, AS_OF)
    # Unpaid: #11 1210.00, due 03-31 (not yet due). #6 was paid 484 after the 121 compensation.
    assert (a.outstanding, a.overdue, a.overdue_invoices) == (D("1210.00"), D("0.00"), 0)
    assert a.oldest_days_overdue is None
    assert not a.is_defaulter
    # Paid invoices that count: #1 (30 days, on time, 1210), #4 (40 days, 10 late, 2420),
    # #9 (36 days, 6 late, 3630). #6 is rectified, #8 negative, #11 not paid nor due.
    assert a.paid_invoices == 3
    # Days to pay: (30 x 1210 + 40 x 2420 + 36 x 3630) / 7260 = 263780 / 7260 = 36.33 -> 36.3
    assert a.avg_days_to_pay == D("36.3")
    # Days late: (0 x 1210 + 10 x 2420 + 6 x 3630) / 7260 = 45980 / 7260 = 6.33 -> 6.3
    assert a.avg_days_late == D("6.3")
    # On time: 1 of 3 (no unpaid invoice is past its due date).
    assert a.on_time_share == D("0.3333")

    b = analytics.client_analytics(book.beta, AS_OF)
    # Overdue: #7 4840.00 (due 2025-12-05) + #10 968.00 (due 2026-03-03) = 5808.00.
    assert (b.outstanding, b.overdue, b.overdue_invoices) == (D("5808.00"), D("5808.00"), 2)
    # 2025-12-05 -> 2026-03-15: 26 (rest of Dec) + 31 + 28 + 15 = 100 days.
    assert b.oldest_days_overdue == 100
    assert b.is_defaulter
    # #3 and #5 paid in 30 days, on time; #7 and #10 unpaid past due: 2 / 4 on time.
    assert (b.avg_days_to_pay, b.avg_days_late) == (D("30.0"), D("0.0"))
    assert b.on_time_share == D("0.5000")

    g = analytics.client_analytics(book.gamma, AS_OF)
    # #2: 2024-05-20 -> 2024-06-01 = 12 days, on time.
    assert (g.avg_days_to_pay, g.avg_days_late, g.on_time_share) == (D("12.0"), D("0.0"), D(1))
    d = analytics.client_analytics(book.delta, AS_OF)
    # Nothing paid or past due yet: no averages rather than a misleading 0.
    assert (d.avg_days_to_pay, d.avg_days_late, d.on_time_share) == (None, None, None)


def test_client_margin_per_month(book) -> None:
    a = analytics.client_analytics(book.alfa, AS_OF)
    months = {m.month: m for m in a.margin_months}
    # The 12 months ending March 2026: 2025-04 .. 2026-03, every one listed.
    assert (a.margin_months[0].month, a.margin_months[-1].month) == ("2025-04", "2026-03")
    assert len(a.margin_months) == 12
    # April 2025: the rectifying invoice, -100 with no cost (no margin % of negative sales).
    assert (months["2025-04"].revenue, months["2025-04"].margin) == (D("-100.00"), D("-100.00"))
    assert months["2025-04"].margin_pct is None
    # January 2026: #9 3000 - (2 x 400 + 400) = 1800, 1800 / 3000 = 60 %.
    assert (months["2026-01"].revenue, months["2026-01"].cost) == (D("3000.00"), D("1200.00"))
    assert (months["2026-01"].margin, months["2026-01"].margin_pct) == (D("1800.00"), D("60.00"))
    # March 2026 to AS_OF: #11 1000 with no cost = 100 %; #13 (03-20) is after AS_OF.
    assert (months["2026-03"].margin, months["2026-03"].margin_pct) == (D("1000.00"), D("100.00"))
    # An empty month: zeros, and no margin % (nothing to divide by).
    assert (months["2025-07"].revenue, months["2025-07"].margin_pct) == (D("0.00"), None)
    # 12 months: revenue -100 + 3000 + 1000 = 3900, cost 1200, margin 2700.
    total = a.margin_12m
    assert (total.revenue, total.cost, total.margin) == (D("3900.00"), D("1200.00"), D("2700.00"))


def test_client_lifetime_value(book) -> None:
    a = analytics.client_analytics(book.alfa, AS_OF)
    # 24 months up to AS_OF: issued after 2024-03-15: #4 2000, #6 500, #8 -100, #9 3000,
    # #11 1000 -> revenue 6400 over 4 ordinary invoices (#1 of 2024-03-10 is older).
    life = a.lifetime
    assert (life.revenue_24m, life.invoices_24m) == (D("6400.00"), 4)
    # Average invoice 6400 / 4 = 1600.00; 4 invoices in 2 years = 2.0 a year.
    assert (life.average_invoice, life.invoices_per_year) == (D("1600.00"), D("2.0"))
    # Default relationship of 3 years: 1600 x 2 x 3 = 9600.00.
    assert (life.relationship_years, life.value) == (3, D("9600.00"))
    settings.set_value("analytics.relationship_years", "5")
    # 1600 x 2 x 5 = 16000.00.
    assert analytics.client_analytics(book.alfa, AS_OF).lifetime.value == D("16000.00")
    # Delta: one invoice of 200 in 24 months: 200 x 0.5 a year x 5 years = 500.00.
    assert analytics.client_analytics(book.delta, AS_OF).lifetime.value == D("500.00")


def test_client_top_products_quotes_orders_pipeline_and_last_interaction(book) -> None:
    a = analytics.client_analytics(book.alfa, AS_OF)
    top = [(p.name, p.code, p.is_service, p.quantity, p.revenue, p.cost) for p in a.top_products]
    assert top == [
        # WEB: #1 x1 + #4 x2 + #9 x2 = 5 x 1000 = 5000, cost 5 x 400 = 2000.
        ("Diseño web", "WEB", True, D(5), D("5000.00"), D("2000.00")),
        # "Mantenimiento" lines without a product: #6 x5 - #8 x1 + #11 x10 = 14 -> 1400.
        ("Mantenimiento", "", None, D(14), D("1400.00"), D("0.00")),
        # SRV (a product, not a service): #9 x1 = 1000, cost 400.
        ("Servidor", "SRV", False, D(1), D("1000.00"), D("400.00")),
    ]
    assert a.top_products[0].margin == D("3000.00")
    # Rejected by AS_OF: the 2025-06-01 quote of 1500 (the 2026-04-01 one is later).
    assert (a.rejected_quotes, a.rejected_quotes_value) == (1, D("1500.00"))
    # Open order: 10 x 50 = 500 still to invoice; the cancelled order does not count.
    assert (a.open_orders, a.open_orders_value) == (1, D("500.00"))
    # Open opportunities: 10000 (50 %) + 1000 (75 %) = 11000, weighted 5000 + 750 = 5750.
    assert (a.open_opportunities, a.pipeline_value) == (2, D("11000.00"))
    assert a.pipeline_weighted == D("5750.00")
    # Latest entry by the end of 2026-03-15: the note of 03-12 (the meeting is on 03-20).
    assert a.last_interaction is not None
    assert (a.last_interaction.kind, a.last_interaction.subject) == ("note", "Envío de propuesta")
    assert a.last_interaction.at == dt.datetime(2026, 3, 12, 9, 30)


def test_client_analytics_of_a_missing_client_is_not_found(book) -> None:
    with pytest.raises(NotFound):
        analytics.client_analytics(999_999, AS_OF)


# --- ranking --------------------------------------------------------------------------------


def _rows(ranking_rows) -> list[tuple]:
    return [
        (r.client, r.revenue, r.share, r.previous_revenue, r.change, r.change_pct)
        for r in ranking_rows
    ]


def test_ranking_of_a_whole_past_year(book) -> None:
    period = analytics.report_period(2025, today=AS_OF)
    assert (period.start, period.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    ranking = analytics.client_ranking(period, limit=2)
    # Ranked: clients with revenue in 2025 or 2024 (Delta has none): Beta, Alfa, Gamma.
    assert ranking.clients == 3
    # 2025: 7400; 2024: 1800; +5600 = +311.11 %.
    assert (ranking.total, ranking.previous_total) == (D("7400.00"), D("1800.00"))
    assert (ranking.change, ranking.change_pct) == (D("5600.00"), D("311.11"))
    assert _rows(ranking.top) == [
        # Beta 5000 / 7400 = 0.67568 -> 0.6757; from 300: +4700 = +1566.67 %.
        ("Beta Obras SL", D("5000.00"), D("0.6757"), D("300.00"), D("4700.00"), D("1566.67")),
        # Alfa 2400 / 7400 = 0.32432 -> 0.3243; from 1000: +1400 = +140 %.
        ("Alfa Diseño SL", D("2400.00"), D("0.3243"), D("1000.00"), D("1400.00"), D("140.00")),
    ]
    # Bottom 2, smallest first: Gamma (0, lost its 500 = -100 %), then Alfa.
    assert [r.client for r in ranking.bottom] == ["Gamma Perdida SL", "Alfa Diseño SL"]
    assert _rows(ranking.bottom)[0] == (
        "Gamma Perdida SL",
        D("0.00"),
        D("0.0000"),
        D("500.00"),
        D("-500.00"),
        D("-100.00"),
    )
    assert [r.rank for r in ranking.top] == [1, 2]
    assert [r.rank for r in ranking.bottom] == [3, 2]


def test_ranking_of_the_year_to_date_compares_the_same_dates(book) -> None:
    period = analytics.report_period(as_of=AS_OF)
    # Previous period: 2025-01-01 .. 2025-03-15.
    assert (period.previous_start, period.previous_end) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 15),
    )
    rows = list(analytics.ranking_rows(period))
    assert _rows(rows) == [
        # Alfa 4000 / 5000 = 0.8; from 2000 (#4): +2000 = +100 %.
        ("Alfa Diseño SL", D("4000.00"), D("0.8000"), D("2000.00"), D("2000.00"), D("100.00")),
        # Beta 800 / 5000 = 0.16; from 1000 (#5): -200 = -20 %.
        ("Beta Obras SL", D("800.00"), D("0.1600"), D("1000.00"), D("-200.00"), D("-20.00")),
        # Delta 200 / 5000 = 0.04; nothing a year earlier: no percentage.
        ("Delta Nueva SL", D("200.00"), D("0.0400"), D("0.00"), D("200.00"), None),
    ]
    # Gamma had nothing in either period: not ranked.
    ranking = analytics.client_ranking(period, limit=10)
    assert (ranking.clients, ranking.total, ranking.previous_total) == (
        3,
        D("5000.00"),
        D("3000.00"),
    )
    # With 3 clients and limit 10 both lists hold everyone.
    assert [r.client for r in ranking.bottom] == [
        "Delta Nueva SL",
        "Beta Obras SL",
        "Alfa Diseño SL",
    ]


def test_ranking_reads_whole_years_from_client_revenue_and_agrees_with_invoices(book) -> None:
    # 2025 with an as-of of 2025-12-31 is the same whole year; force the invoice path by
    # asking up to 2025-12-30 and compare with the whole year minus nothing on 12-31.
    whole = list(analytics.ranking_rows(analytics.report_period(2025, today=AS_OF)))
    almost = list(
        analytics.ranking_rows(analytics.report_period(2025, dt.date(2025, 12, 30), today=AS_OF))
    )
    # No invoice was issued on 2025-12-31 nor 2024-12-31, so both must agree exactly,
    # one read from client_revenue, the other summed over the invoices.
    assert _rows(whole) == _rows(almost)
    assert analytics._whole_years(analytics.report_period(2025, today=AS_OF))
    assert not analytics._whole_years(analytics.report_period(as_of=AS_OF))


# --- monthly revenue -------------------------------------------------------------------------


def test_monthly_revenue_of_the_last_24_months_beside_the_previous_year(book) -> None:
    rows = analytics.monthly_revenue(analytics.report_period(as_of=AS_OF))
    assert len(rows) == 24
    assert (rows[0].month, rows[-1].month) == ("2024-04", "2026-03")
    by = {r.month: (r.revenue, r.previous_year_revenue) for r in rows}
    assert by["2024-05"] == (D("500.00"), D("0.00"))  # Gamma #2
    assert by["2024-06"] == (D("300.00"), D("0.00"))  # Beta #3
    # March 2025: #6 500; March 2024: #1 1000.
    assert by["2025-03"] == (D("500.00"), D("1000.00"))
    # April 2025: only the rectifying invoice, -100.
    assert by["2025-04"] == (D("-100.00"), D("0.00"))
    # May 2025 is empty; May 2024 had Gamma's 500 beside it.
    assert by["2025-05"] == (D("0.00"), D("500.00"))
    assert by["2025-11"] == (D("4000.00"), D("0.00"))
    # January 2026: #9 3000 beside January 2025: #4 2000.
    assert by["2026-01"] == (D("3000.00"), D("2000.00"))
    # February 2026: #10 800 beside #5 1000.
    assert by["2026-02"] == (D("800.00"), D("1000.00"))
    # March 2026 to the 15th: #11 1000 + #12 200 = 1200 (#13 is on the 20th), beside
    # March 2025 to the 15th: nothing (#6 is on the 20th), not the whole month's 500.
    assert by["2026-03"] == (D("1200.00"), D("0.00"))
    # The 24 months add up to all revenue to AS_OF except March 2024: 14200 - 1000.
    assert sum((r.revenue for r in rows), D(0)) == D("13200.00")


def test_monthly_revenue_of_a_past_year_ends_in_its_december(book) -> None:
    rows = analytics.monthly_revenue(analytics.report_period(2025, today=AS_OF))
    assert (rows[0].month, rows[-1].month) == ("2024-01", "2025-12")
    by = {r.month: (r.revenue, r.previous_year_revenue) for r in rows}
    assert by["2025-03"] == (D("500.00"), D("1000.00"))
    assert by["2025-12"] == (D("0.00"), D("0.00"))


# --- defaulters (the receivables board's rows, reused) ---------------------------------------


def test_defaulters_report_rows(book) -> None:
    rows = list(reports.defaulter_rows(AS_OF))
    # Only Beta owes past its due dates: #7 4840 (100 days) + #10 968 (12 days) = 5808.
    # Billing to AS_OF (totals): 1210 + 605 + 363 + 2420 + 1210 + 605 - 121 + 4840 + 3630
    # + 968 + 1210 + 242 = 17182 -> 5808 / 17182 = 0.33803 -> 0.3380; all of the overdue.
    assert rows == [
        {
            "client": "Beta Obras SL",
            "tax_id": "22222222J",
            "overdue": D("5808.00"),
            "invoices": 2,
            "oldest_days_overdue": 100,
            "share_of_billing": D("0.3380"),
            "share_of_overdue": D("1.0000"),
        }
    ]
    # The overdue total the shares divide by is the four overdue buckets together.
    from tui_crm.services import receivables

    flt = receivables.ReceivablesFilter(as_of=AS_OF)
    buckets = receivables.bucket_totals(flt)
    assert receivables.total_overdue(flt) == sum(b.amount for b in buckets[1:]) == D("5808.00")


# --- profit and loss ---------------------------------------------------------------------------


def test_profit_and_loss_per_client_and_month(book) -> None:
    period = analytics.report_period(2025, today=AS_OF)
    rows = [
        (r.client, r.month, r.sales, r.cost_of_sales, r.margin, r.margin_pct)
        for r in analytics.pnl_rows(period)
    ]
    assert rows == [
        # Alfa January: #4 2000 - 2 x 400 = 1200, 60 %.
        ("Alfa Diseño SL", "2025-01", D("2000.00"), D("800.00"), D("1200.00"), D("60.00")),
        ("Alfa Diseño SL", "2025-03", D("500.00"), D("0.00"), D("500.00"), D("100.00")),
        # The correction in April: -100 of sales, -100 of margin, no margin % of negative sales.
        ("Alfa Diseño SL", "2025-04", D("-100.00"), D("0.00"), D("-100.00"), None),
        # Beta February: #5 1000 - 500 = 500, 50 %; November: #7 4000 - 1000 = 3000, 75 %.
        ("Beta Obras SL", "2025-02", D("1000.00"), D("500.00"), D("500.00"), D("50.00")),
        ("Beta Obras SL", "2025-11", D("4000.00"), D("1000.00"), D("3000.00"), D("75.00")),
    ]
    assert analytics.count_pnl(period) == 5
    assert [r.month for r in analytics.pnl_rows(period, offset=3, limit=1)] == ["2025-02"]
    assert [r.month for r in analytics.iter_pnl_rows(period, page=2)] == [
        "2025-01",
        "2025-03",
        "2025-04",
        "2025-02",
        "2025-11",
    ]
    months = {m.month: m for m in analytics.pnl_months(period)}
    assert len(months) == 12
    # The business in November 2025: sales 4000, cost 1000.
    assert (months["2025-11"].revenue, months["2025-11"].cost) == (D("4000.00"), D("1000.00"))


# --- pipeline ---------------------------------------------------------------------------------


def test_pipeline_by_stage(book) -> None:
    rows = analytics.pipeline_by_stage(analytics.report_period(as_of=AS_OF))
    assert [(s.stage, s.count, s.amount, s.weighted_amount) for s in rows] == [
        # SEO 333.33 x 10 % = 33.333 -> 33.33.
        ("new", 1, D("333.33"), D("33.33")),
        # Gamma's "Vuelta" was created on 2026-04-01, after the as-of date.
        ("qualified", 0, D("0.00"), D("0.00")),
        ("proposal", 1, D("10000.00"), D("5000.00")),
        ("negotiation", 1, D("1000.00"), D("750.00")),
        ("won", 1, D("2000.00"), D("2000.00")),
        ("lost", 1, D("5000.00"), D("0.00")),
    ]
    today = analytics.pipeline_by_stage(analytics.report_period())
    # Today it is there: 700 x 25 % = 175.
    assert (today[1].count, today[1].amount, today[1].weighted_amount) == (
        1,
        D("700.00"),
        D("175.00"),
    )


# --- periods ---------------------------------------------------------------------------------


def test_report_periods() -> None:
    today = dt.date(2026, 11, 23)
    assert analytics.report_period(today=today) == analytics.ReportPeriod(2026, today)
    assert analytics.report_period(2026, today=today).end == today
    assert analytics.report_period(2024, today=today).end == dt.date(2024, 12, 31)
    assert analytics.report_period(2024, dt.date(2024, 6, 30), today=today).end == dt.date(
        2024, 6, 30
    )
    # An as-of date after the year: the whole year.
    assert analytics.report_period(2024, dt.date(2025, 6, 30), today=today).end == dt.date(
        2024, 12, 31
    )
    # 29 February compares with 28 February.
    leap = analytics.report_period(as_of=dt.date(2028, 2, 29), today=today)
    assert leap.previous_end == dt.date(2027, 2, 28)
    with pytest.raises(ValidationError, match="year"):
        analytics.report_period(2027, today=today)
    with pytest.raises(ValidationError, match="before the year"):
        analytics.report_period(2025, dt.date(2024, 12, 31), today=today)


def test_percentages() -> None:
    assert analytics.percent_change(D("150"), D("100")) == D("50.00")
    assert analytics.percent_change(D("0"), D("100")) == D("-100.00")
    # From a negative base (corrections): measured against its size.
    assert analytics.percent_change(D("50"), D("-100")) == D("150.00")
    assert analytics.percent_change(D("10"), D("0")) is None
    assert analytics.percent_of_whole(D("1"), D("3")) == D("33.33")
    assert analytics.percent_of_whole(D("1"), D("0")) is None
    assert analytics.percent_of_whole(D("-1"), D("-1")) is None


def test_report_choice_from_the_period_form() -> None:
    today = dt.date(2026, 11, 23)
    choice = analytics.parse_report_choice("", "", "", today=today)
    assert choice == analytics.ReportChoice(None, None, 10)
    assert choice.period(today) == analytics.ReportPeriod(2026, today)
    choice = analytics.parse_report_choice("2025", "15/03/2025", "5", today=today)
    assert (choice.year, choice.as_of, choice.top) == (2025, dt.date(2025, 3, 15), 5)
    with pytest.raises(ValidationError) as refused:
        analytics.parse_report_choice("20x5", "yesterday", "0", today=today)
    assert set(refused.value.errors) == {"year", "as_of", "top"}
    with pytest.raises(ValidationError, match="before the year"):
        analytics.parse_report_choice("2026", "2025-12-31", "", today=today)
