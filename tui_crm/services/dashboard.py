"""The home screen's figures: what needs doing today and how the business is going.

Every figure is read with the query of the report or list it opens, so the dashboard
never says something its list does not:
- follow-ups: my agenda's entries due today (follow-ups and meetings) and my overdue
  follow-ups (services.agenda's conditions; `report agenda`);
- receivables: what is overdue today and what was overdue the same day last month
  (services.receivables.total_overdue; `report receivables`);
- revenue: this month so far against the same days of the same month last year
  (services.analytics.monthly_revenue; `report monthly`);
- quotes awaiting an answer: sent and still valid, with their value (the quote list's
  filter, services.quotes);
- orders to invoice: open or partially invoiced, with the value not yet invoiced
  (the order list's, services.orders);
- the largest defaulters (services.receivables.defaulters; `report defaulters`);
- VERI*FACTU records pending or rejected (services.verifactu.counts);
- leads by stage (the leads' board, services.leads; `report leads`);
- concentration: the client with the largest share of the last 12 months' revenue (the
  12 calendar months ending with this one: what `report pnl` lists per client and
  month), with a warning when it passes `analytics.concentration_alert` (default 30 %).

Each section is read on its own (`section(name)`), so the screen shows each as soon as it
is known; `SECTIONS` lists the cheap ones first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..db import execute
from ..money import from_cents
from . import settings

ZERO = Decimal("0.00")
TOP_DEFAULTERS = 5
SECTIONS = (
    "follow_ups",
    "leads",
    "quotes",
    "orders",
    "verifactu",
    "revenue",
    "receivables",
    "defaulters",
    "concentration",
)


@dataclass(frozen=True)
class FollowUps:
    today: int  # follow-ups due today and meetings today
    overdue: int  # follow-ups past their day
    meetings_today: int


@dataclass(frozen=True)
class Overdue:
    amount: Decimal  # overdue today
    month_ago: Decimal  # overdue on the same day last month
    as_of: dt.date
    month_ago_date: dt.date

    @property
    def change(self) -> Decimal:
        return self.amount - self.month_ago


@dataclass(frozen=True)
class Revenue:
    month: str  # "2026-03"
    amount: Decimal  # this month up to today
    previous_year: Decimal  # the same month last year, up to the same day
    change_pct: Decimal | None


@dataclass(frozen=True)
class CountValue:
    count: int
    value: Decimal


@dataclass(frozen=True)
class DefaulterLine:
    client_id: int
    client: str
    overdue: Decimal
    oldest_days_overdue: int


@dataclass(frozen=True)
class Verifactu:
    pending: int
    rejected: int  # rejected outright, plus accepted with errors to correct


@dataclass(frozen=True)
class Concentration:
    start: dt.date
    end: dt.date
    total: Decimal  # the business's revenue in the 12 months
    client_id: int | None  # the largest client
    client: str
    revenue: Decimal
    share_pct: Decimal  # 0..100, two decimals
    threshold_pct: int  # analytics.concentration_alert

    @property
    def alert(self) -> bool:
        return self.client_id is not None and self.share_pct > self.threshold_pct


def _today(as_of: dt.date | None) -> dt.date:
    return as_of or dt.date.today()


def one_month_earlier(day: dt.date) -> dt.date:
    """The same day a month earlier (the month's last day when it has no such day)."""
    from .analytics import add_months

    first = add_months(day.replace(day=1), -1)
    nxt = add_months(first, 1)
    return first.replace(day=min(day.day, (nxt - dt.timedelta(days=1)).day))


def follow_ups(as_of: dt.date | None = None, login: str = "") -> FollowUps:
    """My agenda today: follow-ups due today, meetings today, and overdue follow-ups."""
    from .agenda import AgendaFilter, _conditions

    day = _today(as_of)
    flt = AgendaFilter(as_of=day, login=login, until=day)
    follow, follow_params, meeting, meeting_params = _conditions(flt)
    row = execute(
        "SELECT COALESCE(SUM(CASE WHEN a.due_date < ? THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN a.due_date = ? THEN 1 ELSE 0 END), 0) "
        f"FROM activity a WHERE {follow}",
        [day.isoformat(), day.isoformat(), *follow_params],
    ).fetchone()
    meetings = int(
        execute(f"SELECT COUNT(*) FROM activity a WHERE {meeting}", meeting_params).fetchone()[0]
    )
    return FollowUps(today=int(row[1]) + meetings, overdue=int(row[0]), meetings_today=meetings)


def overdue(as_of: dt.date | None = None) -> Overdue:
    """What is overdue today, and on the same day last month (the receivables board's sum)."""
    from .receivables import ReceivablesFilter, total_overdue

    day = _today(as_of)
    before = one_month_earlier(day)
    return Overdue(
        amount=total_overdue(ReceivablesFilter(as_of=day, bucket="overdue")),
        month_ago=total_overdue(ReceivablesFilter(as_of=before, bucket="overdue")),
        as_of=day,
        month_ago_date=before,
    )


def revenue(as_of: dt.date | None = None) -> Revenue:
    """This month's revenue so far against the same days of it last year (`report monthly`)."""
    from .analytics import monthly_revenue, report_period

    [month] = monthly_revenue(report_period(as_of=_today(as_of)), months=1)
    return Revenue(month.month, month.revenue, month.previous_year_revenue, month.change_pct)


def quotes_awaiting(as_of: dt.date | None = None) -> CountValue:
    """Quotes sent and still valid (waiting for the client's answer), and their total.

    The quote list's filter (status "sent"); quotes whose validity has ended count as
    expired, as the list shows them once it has expired them."""
    from .quotes import QuoteFilter, _where

    where, params = _where(QuoteFilter(status="sent"))
    row = execute(
        "SELECT COUNT(*), COALESCE(SUM(q.total_cents), 0) FROM quote q "
        f"JOIN client c ON c.id = q.client_id WHERE {where} "
        "AND (q.valid_until IS NULL OR q.valid_until >= ?)",
        [*params, _today(as_of).isoformat()],
    ).fetchone()
    return CountValue(int(row[0]), from_cents(int(row[1])))


def orders_to_invoice() -> CountValue:
    """Open and partially invoiced orders, and what is still to invoice of them (the
    order list's "pending" filter and open value)."""
    from .orders import OrderFilter, _where

    where, params = _where(OrderFilter(status="pending"))
    row = execute(
        "SELECT COUNT(*), COALESCE(SUM((SELECT COALESCE(SUM((l.base_cents * "
        "(l.quantity_milli - l.quantity_invoiced_milli) + l.quantity_milli / 2) "
        "/ l.quantity_milli), 0) FROM order_line l WHERE l.order_id = o.id)), 0) "
        f"FROM sales_order o JOIN client c ON c.id = o.client_id WHERE {where}",
        params,
    ).fetchone()
    return CountValue(int(row[0]), from_cents(int(row[1])))


def largest_defaulters(as_of: dt.date | None = None, top: int = TOP_DEFAULTERS) -> list:
    """The clients owing the most overdue money (`report defaulters`, its first rows)."""
    from .receivables import ReceivablesFilter, defaulters

    return [
        DefaulterLine(d.client_id, d.client, d.overdue, d.oldest_days_overdue)
        for d in defaulters(ReceivablesFilter(as_of=_today(as_of)), top)
    ]


def verifactu_records() -> Verifactu:
    """VERI*FACTU records waiting to go to AEAT, and those AEAT refused or flagged."""
    from .verifactu import counts

    found = counts()
    return Verifactu(
        pending=found.get("pending", 0),
        rejected=found.get("rejected", 0) + found.get("accepted_with_errors", 0),
    )


def concentration_threshold() -> int:
    try:
        return int(settings.get("analytics.concentration_alert"))
    except ValueError:
        return 30


def concentration(as_of: dt.date | None = None) -> Concentration:
    """The largest client's share of the last 12 months' revenue (sales, as `report pnl`)."""
    from .analytics import ISSUED, add_months
    from .receivables import share

    end = _today(as_of)
    start = add_months(end.replace(day=1), -11)
    window = [start.isoformat(), end.isoformat()]
    total_row = execute(
        "SELECT COALESCE(SUM(i.base_cents), 0) FROM invoice i "
        f"WHERE {ISSUED} AND i.issue_date BETWEEN ? AND ?",
        window,
    ).fetchone()
    total = from_cents(int(total_row[0]))
    top = execute(
        "SELECT g.client_id, c.legal_name, g.sales FROM (SELECT i.client_id, "
        "SUM(i.base_cents) AS sales FROM invoice i "
        f"WHERE {ISSUED} AND i.issue_date BETWEEN ? AND ? GROUP BY i.client_id "
        "ORDER BY sales DESC, i.client_id LIMIT 1) g JOIN client c ON c.id = g.client_id",
        window,
    ).fetchone()
    threshold = concentration_threshold()
    if top is None or total <= 0:
        return Concentration(start, end, total, None, "", ZERO, ZERO, threshold)
    amount = from_cents(int(top[2]))
    pct = (share(amount, total) * 100).quantize(Decimal("0.01"))
    return Concentration(start, end, total, top[0], top[1], amount, pct, threshold)


def section(name: str, as_of: dt.date | None = None) -> Any:
    """One section's figures by its name (one of SECTIONS)."""
    if name == "follow_ups":
        return follow_ups(as_of)
    if name == "receivables":
        return overdue(as_of)
    if name == "revenue":
        return revenue(as_of)
    if name == "quotes":
        return quotes_awaiting(as_of)
    if name == "orders":
        return orders_to_invoice()
    if name == "defaulters":
        return largest_defaulters(as_of)
    if name == "verifactu":
        return verifactu_records()
    if name == "concentration":
        return concentration(as_of)
    if name == "leads":
        from .leads import count_by_stage

        return count_by_stage()
    raise KeyError(name)


@dataclass(frozen=True)
class Dashboard:
    """Every section at once (tests, the command line)."""

    follow_ups: FollowUps
    receivables: Overdue
    revenue: Revenue
    quotes: CountValue
    orders: CountValue
    defaulters: list
    verifactu: Verifactu
    concentration: Concentration
    leads: dict


def dashboard(as_of: dt.date | None = None) -> Dashboard:
    from ..db import read_snapshot

    with read_snapshot():
        return Dashboard(**{name: section(name, as_of) for name in SECTIONS})
