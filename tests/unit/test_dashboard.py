"""The home screen's figures: each equals the report (or list) it opens, on the same data
(the demo business, generated as of today, plus a few entries of mine)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from tui_crm.demo import generate_demo
from tui_crm.services import dashboard, orders, quotes, reports, settings, timeline
from tui_crm.services.agenda import AgendaFilter
from tui_crm.services.analytics import add_months

TODAY = dt.date.today()


@pytest.fixture
def business(db):
    generate_demo(40, 400, 3, today=TODAY)
    client_id = execute_one("SELECT MIN(id) FROM client WHERE status = 'active'")
    for days, subject in ((-3, "late"), (-1, "late too"), (0, "today"), (2, "soon")):
        timeline.create_activity(
            client_id,
            timeline.ActivityData(
                kind="call", subject=subject, due_date=TODAY + dt.timedelta(days=days)
            ),
        )
    return db


def execute_one(sql: str, params=()):
    from tui_crm.db import execute

    return execute(sql, params).fetchone()[0]


def test_follow_ups_are_my_agenda(business) -> None:
    figures = dashboard.follow_ups()
    statuses = Counter(row["status"] for row in reports.agenda_rows(AgendaFilter()))
    assert figures.overdue == statuses["overdue"] >= 2
    assert figures.today == statuses["today"] >= 1


def test_overdue_and_its_change_are_the_receivables_report(business) -> None:
    figures = dashboard.overdue()
    now = sum((r["outstanding"] for r in reports.receivable_rows(TODAY) if r["days_overdue"] > 0),
              Decimal(0))  # fmt: skip
    before_day = dashboard.one_month_earlier(TODAY)
    before = sum(
        (r["outstanding"] for r in reports.receivable_rows(before_day) if r["days_overdue"] > 0),
        Decimal(0),
    )
    assert figures.amount == now > 0
    assert figures.month_ago == before
    assert figures.change == now - before


def test_revenue_is_the_monthly_report(business) -> None:
    figures = dashboard.revenue()
    last = list(reports.monthly_rows(None, TODAY))[-1]
    assert figures.month == last["month"]
    assert figures.amount == last["revenue"]
    assert figures.previous_year == last["previous_year_revenue"]


def test_quotes_and_orders_are_their_lists(business) -> None:
    quotes.expire_quotes(TODAY)  # what the quote list does as it opens
    flt = quotes.QuoteFilter(status="sent")
    listed = quotes.list_quotes(flt, 0, 100_000)
    figures = dashboard.quotes_awaiting()
    assert figures.count == quotes.count_quotes(flt) == len(listed)
    assert figures.value == sum((q.total for q in listed), Decimal(0))
    pending = orders.list_orders(orders.OrderFilter(status="pending"), 0, 100_000)
    figures = dashboard.orders_to_invoice()
    assert figures.count == len(pending)
    assert figures.value == sum((o.open_value for o in pending), Decimal(0))


def test_defaulters_are_the_report_first_rows(business) -> None:
    figures = dashboard.largest_defaulters()
    rows = list(reports.defaulter_rows(TODAY))[: dashboard.TOP_DEFAULTERS]
    assert [(d.client, d.overdue) for d in figures] == [(r["client"], r["overdue"]) for r in rows]
    assert figures


def test_verifactu_is_the_records_report(business) -> None:
    figures = dashboard.verifactu_records()
    statuses = Counter(r["status"] for r in reports.verifactu_rows())
    assert sum(statuses.values()) > 0  # the demo keeps VERI*FACTU records
    assert figures.pending == statuses["pending"]
    assert figures.rejected == statuses["rejected"] + statuses["accepted_with_errors"]


def test_concentration_is_the_pnl_report_and_warns(business) -> None:
    figures = dashboard.concentration()
    start = add_months(TODAY.replace(day=1), -11)
    sales: Counter = Counter()
    for year in sorted({start.year, TODAY.year}):
        for row in reports.pnl_rows(year, TODAY if year == TODAY.year else None):
            if row["month"] >= start.strftime("%Y-%m"):
                sales[row["client"]] += row["sales"]
    total = sum(sales.values(), Decimal(0))
    biggest, amount = max(sales.items(), key=lambda kv: kv[1])
    assert figures.total == total and figures.revenue == amount and figures.client == biggest
    assert figures.share_pct == (amount / total * 100).quantize(Decimal("0.01"))
    assert figures.threshold_pct == 30
    settings.set_many({"analytics.concentration_alert": str(int(figures.share_pct) - 1 or 1)})
    assert dashboard.concentration().alert
    settings.set_many({"analytics.concentration_alert": "100"})
    assert not dashboard.concentration().alert


def test_leads_are_the_leads_report(business) -> None:
    counted = Counter(row["stage"] for row in reports.lead_rows())
    figures = dashboard.section("leads")
    assert figures == {stage: counted[stage] for stage in ("new", "contacted", "qualified", "lost")}
    assert sum(figures.values()) > 0


def test_everything_at_once(business) -> None:
    whole = dashboard.dashboard()
    assert whole.follow_ups == dashboard.follow_ups()
    assert whole.revenue == dashboard.revenue()
