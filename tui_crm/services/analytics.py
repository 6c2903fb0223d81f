"""Analytics: what each client is worth, and the business's reports (ranking, monthly
revenue, profit and loss, pipeline). Every figure is one SQL aggregate; invoices are
never loaded into Python.

Definitions shared by every figure here:

- **Revenue** is the taxable base (`base_cents`) of issued invoices (status other than
  draft), counted on their issue date. Rectifying invoices are issued invoices too:
  their (usually negative) base is counted on *their* issue date, so revenue is net of
  corrections. This is exactly what `client_revenue` holds per client and year
  (migration m0004), which the reports use when a period covers whole years.
- **Periods** compare like with like: "this year" runs from 1 January to the as-of
  date; the previous period is the same dates one year earlier (29 February becomes
  28 February). A past year is therefore compared in full with the year before it,
  and the current year to date with the same part of last year.
- **Shares** are fractions between 0 and 1 rounded to four decimals
  (`receivables.share`); **percentages** (`change_pct`, `margin_pct`) are percent
  with two decimals, None when there is nothing to compare with (no previous revenue,
  no positive sales).
- **Margin** is revenue minus cost of sales: the invoice's `cost_cents`, the sum of
  its lines' quantity x unit cost (the cost typed on the line, by default the
  product's), each rounded to the cent. **Expenses** (`services.expenses`: their base,
  on their date) are a separate aggregate, joined into the same months and clients;
  "margin after expenses" is margin minus expenses. An expense without a client
  counts in the business's totals and in the P&L under no client.
- **Payment behaviour** looks at issued invoices with a positive total that no
  issued rectifying invoice corrects (a corrected invoice is settled by a
  compensation, not by the client paying it); "paid" means fully paid on or before
  the as-of date.

Outstanding, overdue and defaulters are the receivables board's own figures
(`services.receivables`), reused, not recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ..db import execute, is_sqlite, read_snapshot
from ..i18n import N_, _
from ..models import OPPORTUNITY_STAGES
from ..money import ZERO, from_cents
from . import settings
from .errors import ValidationError
from .receivables import (
    ReceivablesFilter,
    bucket_totals,
    defaulters,
    rounded_quotient,
    share,
    share_of_cents,
)

# Invoices that count: issued and not voided. Written exactly as the WHERE of the covering
# index `invoice_counted_by_date` (m0010) so the planner can use it.
ISSUED = "i.status NOT IN ('draft', 'voided') AND i.issue_date IS NOT NULL"
OPEN_STAGES = ("new", "qualified", "proposal", "negotiation")
PCT_STEP = Decimal("0.01")
DAYS_STEP = Decimal("0.1")
TOP_PRODUCTS = 5
MARGIN_MONTHS = 12
MONTHLY_MONTHS = 24
CLV_MONTHS = 24
FIRST_YEAR = 1900
STAGE_LABELS = {
    "new": N_("new"),
    "qualified": N_("qualified"),
    "proposal": N_("proposal"),
    "negotiation": N_("negotiation"),
    "won": N_("won"),
    "lost": N_("lost"),
}


# --- arithmetic ------------------------------------------------------------------------


def percent_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """(current - previous) / |previous| x 100, two decimals; None when previous is zero."""
    if not previous:
        return None
    value = (Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100
    return value.quantize(PCT_STEP, rounding=ROUND_HALF_UP)


def percent_of_whole(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100, two decimals; None when whole is zero or negative (a margin % of
    no sales, or of a month of corrections only, means nothing)."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(PCT_STEP, rounding=ROUND_HALF_UP)


def _weighted_cents(amount_x_probability: int) -> Decimal:
    """Sum of amount_cents x probability (percent) -> euros, rounded half up once."""
    cents = (Decimal(amount_x_probability) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return from_cents(int(cents))


def _int(value: object) -> int:
    return int(value or 0)


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _moment(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def one_year_earlier(day: dt.date) -> dt.date:
    """The same date one year earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the month of `month`."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(day: dt.date) -> str:
    """How months are named in SQL results and reports: "2026-03"."""
    return f"{day.year:04d}-{day.month:02d}"


def _month_sql(column: str) -> str:
    if is_sqlite():
        return f"substr({column}, 1, 7)"
    return f"to_char({column}, 'YYYY-MM')"


def _days_sql(later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later` (both dates)."""
    if is_sqlite():
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
    return f"({later} - {earlier})"


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """What every report is computed for: a calendar year up to an as-of date.

    `start` is 1 January of `year`, `end` the as-of date (31 December for a past
    year). `previous_start`/`previous_end` are the same dates one year earlier.
    """

    year: int
    end: dt.date

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def previous_start(self) -> dt.date:
        return dt.date(self.year - 1, 1, 1)

    @property
    def previous_end(self) -> dt.date:
        return one_year_earlier(self.end)

    @property
    def is_whole_year(self) -> bool:
        return self.end == dt.date(self.year, 12, 31)


def report_period(
    year: int | None = None, as_of: dt.date | None = None, today: dt.date | None = None
) -> ReportPeriod:
    """The period of a report from `--year` and `--as-of` (either, both or neither).

    Neither: this year up to today. A year alone: that year up to 31 December, or up
    to today for the current year. An as-of date alone: its year up to that date.
    Both: the year up to the as-of date (which must fall on or after 1 January of it).
    Refused: a year before 1900 or after the current one.
    """
    today = today or dt.date.today()
    if year is None:
        day = as_of or today
        return ReportPeriod(day.year, day)
    last = max(today.year, as_of.year) if as_of else today.year
    if not FIRST_YEAR <= year <= last:
        raise ValidationError(
            {"year": _("must be between {first} and {last}").format(first=FIRST_YEAR, last=last)}
        )
    end = dt.date(year, 12, 31)
    if as_of is not None:
        if as_of.year < year:
            raise ValidationError(
                {
                    "as_of": _("{date} is before the year {year} starts").format(
                        date=as_of.isoformat(), year=year
                    )
                }
            )
        return ReportPeriod(year, min(end, as_of))
    return ReportPeriod(year, min(end, today))


def _no_revenue_after(day: dt.date) -> bool:
    """True when no issued invoice of `day`'s year is dated after `day` (so the year's
    total in `client_revenue` is exactly its revenue up to `day`)."""
    if day == dt.date(day.year, 12, 31):
        return True
    row = execute(
        f"SELECT 1 FROM invoice i WHERE i.issue_date > ? AND i.issue_date <= ? AND {ISSUED} "
        "LIMIT 1",
        (day.isoformat(), dt.date(day.year, 12, 31).isoformat()),
    ).fetchone()
    return row is None


def business_revenue(start: dt.date | None, end: dt.date) -> Decimal:
    """The whole business's revenue from `start` (None: the beginning) to `end`.

    When the period is whole calendar years (up to the last invoice) it is read from
    `client_revenue`, otherwise it is summed over the invoices of the period."""
    if (start is None or (start.month, start.day) == (1, 1)) and _no_revenue_after(end):
        sql = "SELECT COALESCE(SUM(base_cents), 0) FROM client_revenue WHERE year <= ?"
        params: list[object] = [end.year]
        if start is not None:
            sql += " AND year >= ?"
            params.append(start.year)
        return from_cents(_int(execute(sql, params).fetchone()[0]))
    sql = (
        f"SELECT COALESCE(SUM(i.base_cents), 0) FROM invoice i WHERE {ISSUED} AND i.issue_date <= ?"
    )
    params = [end.isoformat()]
    if start is not None:
        sql += " AND i.issue_date >= ?"
        params.append(start.isoformat())
    return from_cents(_int(execute(sql, params).fetchone()[0]))


# --- one client ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthMargin:
    month: str  # "2026-03"
    revenue: Decimal
    cost: Decimal
    expenses: Decimal = ZERO  # the month's expenses (their base)

    @property
    def margin(self) -> Decimal:
        """Revenue - cost of sales - expenses."""
        return self.revenue - self.cost - self.expenses

    @property
    def margin_pct(self) -> Decimal | None:
        return percent_of_whole(self.margin, self.revenue)


@dataclass(frozen=True)
class ProductFigure:
    name: str  # the product's name, or the line's description for lines without one
    code: str  # "" for lines without a product
    is_service: bool | None  # None: a line without a product
    quantity: Decimal
    revenue: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


@dataclass(frozen=True)
class LifetimeValue:
    """Average invoice value x invoices per year (both over the last 24 months) x years."""

    revenue_24m: Decimal
    invoices_24m: int
    relationship_years: int

    @property
    def average_invoice(self) -> Decimal:
        if not self.invoices_24m:
            return ZERO
        return (self.revenue_24m / self.invoices_24m).quantize(PCT_STEP, rounding=ROUND_HALF_UP)

    @property
    def invoices_per_year(self) -> Decimal:
        return (Decimal(self.invoices_24m) * 12 / CLV_MONTHS).quantize(DAYS_STEP, ROUND_HALF_UP)

    @property
    def value(self) -> Decimal:
        """Exactly revenue_24m / 2 x years; computed from the unrounded factors."""
        if not self.invoices_24m:
            return ZERO
        average = self.revenue_24m / self.invoices_24m
        per_year = Decimal(self.invoices_24m) * 12 / CLV_MONTHS
        return (average * per_year * self.relationship_years).quantize(
            PCT_STEP, rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class LastInteraction:
    at: dt.datetime  # UTC
    kind: str
    subject: str


@dataclass(frozen=True)
class ClientAnalytics:
    """Everything the client file's Analytics tab shows, as of `as_of`."""

    client_id: int
    as_of: dt.date
    revenue_total: Decimal
    revenue_this_year: Decimal
    revenue_last_year: Decimal
    revenue_last_year_to_date: Decimal
    business_this_year: Decimal
    business_total: Decimal
    invoices_total: int
    outstanding: Decimal
    overdue: Decimal
    overdue_invoices: int
    oldest_days_overdue: int | None
    paid_invoices: int
    days_to_pay_weighted: int  # sum of days x total cents (see avg_days_to_pay)
    days_late_weighted: int
    paid_cents: int
    paid_on_time: int
    unpaid_overdue: int
    margin_months: tuple[MonthMargin, ...]
    lifetime: LifetimeValue
    top_products: tuple[ProductFigure, ...]
    rejected_quotes: int
    rejected_quotes_value: Decimal
    open_orders: int
    open_orders_value: Decimal
    open_opportunities: int
    pipeline_value: Decimal
    pipeline_weighted: Decimal
    last_interaction: LastInteraction | None

    @property
    def change(self) -> Decimal:
        """This year to date minus the same dates last year."""
        return self.revenue_this_year - self.revenue_last_year_to_date

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.revenue_this_year, self.revenue_last_year_to_date)

    @property
    def share_this_year(self) -> Decimal:
        """This client's revenue this year / the business's revenue this year (0..1)."""
        return share(self.revenue_this_year, self.business_this_year)

    @property
    def share_all_time(self) -> Decimal:
        return share(self.revenue_total, self.business_total)

    @property
    def avg_days_to_pay(self) -> Decimal | None:
        """Sum(days from issue to full payment x total) / sum(total), one decimal."""
        if not self.paid_cents:
            return None
        return (Decimal(self.days_to_pay_weighted) / self.paid_cents).quantize(
            DAYS_STEP, rounding=ROUND_HALF_UP
        )

    @property
    def avg_days_late(self) -> Decimal | None:
        """Sum(days paid after the due date, 0 if on time, x total) / sum(total)."""
        if not self.paid_cents:
            return None
        return (Decimal(self.days_late_weighted) / self.paid_cents).quantize(
            DAYS_STEP, rounding=ROUND_HALF_UP
        )

    @property
    def on_time_share(self) -> Decimal | None:
        """Invoices paid by their due date / (paid invoices + unpaid ones past due), 0..1."""
        due = self.paid_invoices + self.unpaid_overdue
        if not due:
            return None
        return share(Decimal(self.paid_on_time), Decimal(due))

    @property
    def is_defaulter(self) -> bool:
        """A defaulter owes overdue money (the receivables board's rule)."""
        return self.overdue > 0

    @property
    def margin_start(self) -> dt.date:
        """The first day the margin months cover (the first of their first month): the
        months run from it to `as_of`."""
        if not self.margin_months:
            return self.as_of
        return dt.date.fromisoformat(self.margin_months[0].month + "-01")

    @property
    def margin_12m(self) -> MonthMargin:
        """The margin of the months listed, `margin_start` to `as_of` (the last month up to
        that day: not a whole 12 months unless `as_of` is a month's last day)."""
        return MonthMargin(
            _("total"),
            sum((m.revenue for m in self.margin_months), ZERO),
            sum((m.cost for m in self.margin_months), ZERO),
            sum((m.expenses for m in self.margin_months), ZERO),
        )


def _revenue_figures(client_id: int, day: dt.date) -> tuple:
    """Revenue total, this year, last year, last year to date, the 24-month window."""
    window_after = one_year_earlier(one_year_earlier(day))  # the 24 months up to `day`
    last_year_end = dt.date(day.year - 1, 12, 31)
    d = day.isoformat()
    return execute(
        "SELECT COALESCE(SUM(i.base_cents), 0), "
        "COALESCE(SUM(CASE WHEN i.issue_date >= ? THEN i.base_cents END), 0), "
        "COALESCE(SUM(CASE WHEN i.issue_date BETWEEN ? AND ? THEN i.base_cents END), 0), "
        "COALESCE(SUM(CASE WHEN i.issue_date BETWEEN ? AND ? THEN i.base_cents END), 0), "
        "COALESCE(SUM(CASE WHEN i.issue_date > ? THEN i.base_cents END), 0), "
        "COUNT(CASE WHEN i.issue_date > ? AND i.kind = 'standard' THEN 1 END), "
        "COUNT(CASE WHEN i.kind = 'standard' THEN 1 END) "
        f"FROM invoice i WHERE i.client_id = ? AND {ISSUED} AND i.issue_date <= ?",
        (
            dt.date(day.year, 1, 1).isoformat(),
            dt.date(day.year - 1, 1, 1).isoformat(),
            last_year_end.isoformat(),
            dt.date(day.year - 1, 1, 1).isoformat(),
            one_year_earlier(day).isoformat(),
            window_after.isoformat(),
            window_after.isoformat(),
            client_id,
            d,
        ),
    ).fetchone()


def _payment_figures(client_id: int, day: dt.date) -> tuple:
    """Sums behind average days to pay, days late and the on-time share."""
    d = day.isoformat()
    paid = "(i.status = 'paid' AND i.paid_date IS NOT NULL AND i.paid_date <= ?)"
    to_pay = _days_sql("i.paid_date", "i.issue_date")
    late = _days_sql("i.paid_date", "i.due_date")
    return execute(
        f"SELECT COUNT(CASE WHEN {paid} THEN 1 END), "
        f"COALESCE(SUM(CASE WHEN {paid} THEN {to_pay} * i.total_cents END), 0), "
        f"COALESCE(SUM(CASE WHEN {paid} AND {late} > 0 THEN {late} * i.total_cents END), 0), "
        f"COALESCE(SUM(CASE WHEN {paid} THEN i.total_cents END), 0), "
        f"COUNT(CASE WHEN {paid} AND i.paid_date <= i.due_date THEN 1 END), "
        f"COUNT(CASE WHEN NOT {paid} AND i.due_date < ? THEN 1 END) "
        f"FROM invoice i WHERE i.client_id = ? AND {ISSUED} AND i.issue_date <= ? "
        "AND i.total_cents > 0 AND NOT EXISTS (SELECT 1 FROM invoice r WHERE r.rectifies_id = i.id "
        "AND r.status NOT IN ('draft', 'voided') AND r.issue_date <= ?)",
        (d, d, d, d, d, d, d, client_id, d, d),
    ).fetchone()


def daily_sums(
    start: dt.date, end: dt.date, client_id: int | None = None
) -> list[tuple[dt.date, int, int]]:
    """(day, base cents, cost cents) of the issued invoices of each day start..end.

    Summed per day rather than per month on purpose: grouped by the issue date, SQLite
    walks the covering index `invoice_counted_by_date` (m0010) in order and never sorts,
    five times faster than grouping by a month expression; the few hundred day totals
    are then added into months by the callers. The whole business's days are read from
    `day_revenue` (m0017, kept by triggers on `invoice` with the same rule): a few
    hundred rows instead of every invoice of the period."""
    where = f"{ISSUED} AND i.issue_date BETWEEN ? AND ?"
    params: list[object] = [start.isoformat(), end.isoformat()]
    if client_id is None:
        return [
            (_day(r[0]), _int(r[1]), _int(r[2]))  # type: ignore[misc]
            for r in execute(
                "SELECT d.day, d.base_cents, d.cost_cents FROM day_revenue d "
                "WHERE d.day BETWEEN ? AND ? AND d.invoices > 0 ORDER BY d.day",
                params,
            )
        ]
    where = "i.client_id = ? AND " + where
    params.insert(0, client_id)
    return [
        (_day(r[0]), _int(r[1]), _int(r[2]))  # type: ignore[misc]
        for r in execute(
            "SELECT i.issue_date, SUM(i.base_cents), SUM(i.cost_cents) FROM invoice i "
            f"WHERE {where} GROUP BY i.issue_date",
            params,
        )
    ]


def expense_sums(start: dt.date, end: dt.date, client_id: int | None = None) -> dict[str, int]:
    """Expenses (their base, cents) per month "YYYY-MM" from start to end; of one client,
    or of the whole business (every expense, with or without a client)."""
    where = "e.expense_date BETWEEN ? AND ?"
    params: list[object] = [start.isoformat(), end.isoformat()]
    if client_id is not None:
        where = "e.client_id = ? AND " + where
        params.insert(0, client_id)
    month = _month_sql("e.expense_date")
    return {
        str(r[0]): _int(r[1])
        for r in execute(
            f"SELECT {month}, SUM(e.base_cents) FROM expense e WHERE {where} GROUP BY {month}",
            params,
        )
    }


def margin_by_month(client_id: int | None, day: dt.date, months: int) -> list[MonthMargin]:
    """Revenue, cost of sales and expenses per month for the `months` months ending with
    `day`'s month (that month up to `day`); every month is listed, empty ones with zeros."""
    first = add_months(day.replace(day=1), -months + 1)
    found: dict[str, tuple[int, int]] = {}
    for issued, base, cost in daily_sums(first, day, client_id):
        key = month_key(issued)
        old = found.get(key, (0, 0))
        found[key] = (old[0] + base, old[1] + cost)
    spent = expense_sums(first, day, client_id)
    out = []
    for k in range(months):
        key = month_key(add_months(first, k))
        base, cost = found.get(key, (0, 0))
        out.append(
            MonthMargin(key, from_cents(base), from_cents(cost), from_cents(spent.get(key, 0)))
        )
    return out


_LINE_COST = (
    "CASE WHEN l.quantity_milli * l.unit_cost_cents >= 0 "
    "THEN (l.quantity_milli * l.unit_cost_cents + 500) / 1000 "
    "ELSE -((500 - l.quantity_milli * l.unit_cost_cents) / 1000) END"
)


def top_products(client_id: int, day: dt.date, limit: int = TOP_PRODUCTS) -> list[ProductFigure]:
    """What the client buys most, by revenue: invoice lines grouped by product (lines
    without a product by their description), with quantity, revenue and line cost
    (quantity x unit cost, rounded half up to the cent per line)."""
    rows = execute(
        "SELECT COALESCE(l.product_id, 0), "
        "CASE WHEN l.product_id IS NULL THEN l.description ELSE '' END, "
        "MIN(p.name), MIN(p.code), MIN(CASE WHEN p.is_service THEN 1 ELSE 0 END), "
        f"SUM(l.quantity_milli), SUM(l.base_cents), SUM({_LINE_COST}) "
        "FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
        "LEFT JOIN product p ON p.id = l.product_id "
        f"WHERE i.client_id = ? AND {ISSUED} AND i.issue_date <= ? "
        "GROUP BY 1, 2 HAVING SUM(l.base_cents) <> 0 ORDER BY 7 DESC, 1, 2 LIMIT ?",
        (client_id, day.isoformat(), limit),
    )
    out = []
    for r in rows:
        has_product = bool(r[0])
        name = (r[2] if has_product else r[1]) or ""
        out.append(
            ProductFigure(
                name=name.split("\n", 1)[0],
                code=(r[3] or "") if has_product else "",
                is_service=bool(r[4]) if has_product else None,
                quantity=Decimal(_int(r[5])) / 1000,
                revenue=from_cents(_int(r[6])),
                cost=from_cents(_int(r[7])),
            )
        )
    return out


def _sales_figures(client_id: int, day: dt.date) -> tuple:
    """Rejected quotes, open orders (the base still to invoice, as the order list shows
    it) and open opportunities, in one round trip."""
    d = day.isoformat()
    stages = ", ".join(f"'{s}'" for s in OPEN_STAGES)
    return execute(
        "SELECT "
        "(SELECT COUNT(*) FROM quote q WHERE q.client_id = ? AND q.status = 'rejected' "
        " AND q.date <= ?), "
        "(SELECT COALESCE(SUM(q.base_cents), 0) FROM quote q WHERE q.client_id = ? "
        " AND q.status = 'rejected' AND q.date <= ?), "
        "(SELECT COUNT(*) FROM sales_order o WHERE o.client_id = ? "
        " AND o.status IN ('open', 'partially_invoiced') AND o.date <= ?), "
        "(SELECT COALESCE(SUM((l.base_cents * (l.quantity_milli - l.quantity_invoiced_milli) "
        "  + l.quantity_milli / 2) / l.quantity_milli), 0) "
        " FROM sales_order o JOIN order_line l ON l.order_id = o.id WHERE o.client_id = ? "
        " AND o.status IN ('open', 'partially_invoiced') AND o.date <= ? "
        " AND l.quantity_milli <> 0), "
        f"(SELECT COUNT(*) FROM opportunity p WHERE p.client_id = ? AND p.stage IN ({stages})), "
        "(SELECT COALESCE(SUM(p.amount_cents), 0) FROM opportunity p WHERE p.client_id = ? "
        f" AND p.stage IN ({stages})), "
        "(SELECT COALESCE(SUM(p.amount_cents * p.probability), 0) FROM opportunity p "
        f" WHERE p.client_id = ? AND p.stage IN ({stages}))",
        (client_id, d, client_id, d, client_id, d, client_id, d, client_id, client_id, client_id),
    ).fetchone()


def last_interaction(client_id: int, day: dt.date | None = None) -> LastInteraction | None:
    """The latest timeline entry that happened (or was completed) by the end of `day`
    (default: now): the same rule as the client's `last_activity_at`."""
    if day is None:
        from ..models.base import utcnow

        cutoff = utcnow()
    else:
        cutoff = dt.datetime.combine(day, dt.time(23, 59, 59))
    limit = cutoff.isoformat(" ")
    row = execute(
        "SELECT t.kind, t.subject, t.at FROM ("
        " SELECT a.kind, a.subject, a.occurred_at AS at, a.id FROM activity a "
        " WHERE a.client_id = ? AND a.occurred_at <= ?"
        " UNION ALL SELECT a.kind, a.subject, a.done_at, a.id FROM activity a "
        " WHERE a.client_id = ? AND a.done_at <= ?) t ORDER BY t.at DESC, t.id DESC LIMIT 1",
        (client_id, limit, client_id, limit),
    ).fetchone()
    if row is None:
        return None
    return LastInteraction(at=_moment(row[2]), kind=row[0], subject=row[1] or "")  # type: ignore[arg-type]


def relationship_years() -> int:
    """The expected length of a client relationship in years (setting, default 3)."""
    try:
        return max(1, int(settings.get("analytics.relationship_years")))
    except ValueError:
        return 3


def client_analytics(client_id: int, as_of: dt.date | None = None) -> ClientAnalytics:
    """Every analytics figure of one client as of a date (default today), read in one
    snapshot with a handful of aggregate queries; NotFound for a missing client.

    Formulas (see the module docstring for revenue, shares and payment behaviour):
    - total = revenue of every issued invoice up to the as-of date;
    - this year = 1 January .. as-of; last year = the whole previous calendar year;
      change = this year - the same dates last year, change % = change / |that| x 100;
    - share this year = this year / the business's revenue over the same dates;
      share all time = total / the business's revenue up to the as-of date;
    - outstanding / overdue / oldest days overdue: the receivables board as of the date;
    - average days to pay = sum((paid date - issue date) x total) / sum(total), over
      fully paid invoices; average days late = the same with max(0, paid - due date);
    - paid on time = paid by the due date / (paid + unpaid past their due date);
    - margin per month = revenue - cost of sales, for the 12 months ending this month;
    - lifetime value = (revenue / invoices) x (invoices / 2 years) x relationship years,
      revenue and invoices (ordinary, not rectifying) of the 24 months up to the date
      (issued after the same date two years earlier);
    - top products: see `top_products`; rejected quotes: count and taxable base;
      open orders: the base still to invoice; pipeline: opportunities not won or lost,
      amount and amount x probability;
    - last interaction: see `last_interaction`.
    """
    from .records import live_client

    day = as_of or dt.date.today()
    with read_snapshot():
        live_client(client_id)
        revenue = _revenue_figures(client_id, day)
        pay = _payment_figures(client_id, day)
        flt = ReceivablesFilter(as_of=day, client_id=client_id)
        buckets = bucket_totals(flt)
        overdue = sum((b.amount for b in buckets if b.bucket != "not_due"), ZERO)
        owing = defaulters(flt, 1, billing=ZERO, overdue_total=overdue)
        sales = _sales_figures(client_id, day)
        months = margin_by_month(client_id, day, MARGIN_MONTHS)
        products = top_products(client_id, day)
        interaction = last_interaction(client_id, as_of)
        business_year = business_revenue(dt.date(day.year, 1, 1), day)
        business_total = business_revenue(None, day)
        years = relationship_years()
    return ClientAnalytics(
        client_id=client_id,
        as_of=day,
        revenue_total=from_cents(_int(revenue[0])),
        revenue_this_year=from_cents(_int(revenue[1])),
        revenue_last_year=from_cents(_int(revenue[2])),
        revenue_last_year_to_date=from_cents(_int(revenue[3])),
        business_this_year=business_year,
        business_total=business_total,
        invoices_total=_int(revenue[6]),
        outstanding=sum((b.amount for b in buckets), ZERO),
        overdue=overdue,
        overdue_invoices=sum(b.count for b in buckets if b.bucket != "not_due"),
        oldest_days_overdue=owing[0].oldest_days_overdue if owing else None,
        paid_invoices=_int(pay[0]),
        days_to_pay_weighted=_int(pay[1]),
        days_late_weighted=_int(pay[2]),
        paid_cents=_int(pay[3]),
        paid_on_time=_int(pay[4]),
        unpaid_overdue=_int(pay[5]),
        margin_months=tuple(months),
        lifetime=LifetimeValue(from_cents(_int(revenue[4])), _int(revenue[5]), years),
        top_products=tuple(products),
        rejected_quotes=_int(sales[0]),
        rejected_quotes_value=from_cents(_int(sales[1])),
        open_orders=_int(sales[2]),
        open_orders_value=from_cents(_int(sales[3])),
        open_opportunities=_int(sales[4]),
        pipeline_value=from_cents(_int(sales[5])),
        pipeline_weighted=_weighted_cents(_int(sales[6])),
        last_interaction=interaction,
    )


# --- client ranking ----------------------------------------------------------------------


class RankingRow(NamedTuple):
    """One ranked client: a named tuple of integer cents, not a dataclass of Decimals
    (every client ranked makes tens of thousands of them). The amounts, the share and the
    change are worked out from the cents when read, always to the same values and
    exponents (`money.from_cents`, `share_of_cents`, `percent_change_of_cents`)."""

    rank: int  # 1 = the largest revenue of the period
    client_id: int
    client: str
    tax_id: str
    revenue_cents: int
    previous_cents: int
    total_cents: int  # the period's total revenue, the whole `share` divides by

    @property
    def revenue(self) -> Decimal:
        return Decimal(self.revenue_cents) * _CENT

    @property
    def previous_revenue(self) -> Decimal:
        return Decimal(self.previous_cents) * _CENT

    @property
    def share(self) -> Decimal:
        """Of the period's total revenue, 0..1."""
        return share_of_cents(self.revenue_cents, self.total_cents)

    @property
    def change(self) -> Decimal:
        return self.revenue - self.previous_revenue  # exact: both in cents

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change_of_cents(self.revenue_cents, self.previous_cents)


@dataclass(frozen=True)
class Ranking:
    period: ReportPeriod
    clients: int  # clients with revenue in the period or the previous one
    total: Decimal
    previous_total: Decimal
    top: tuple[RankingRow, ...]
    bottom: tuple[RankingRow, ...]  # the smallest first

    @property
    def change(self) -> Decimal:
        return self.total - self.previous_total

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.total, self.previous_total)


def _whole_years(period: ReportPeriod) -> bool:
    """Both the period and the previous one are whole years as far as invoices go."""
    return _no_revenue_after(period.end) and _no_revenue_after(period.previous_end)


def _month_end(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def _month_groups(start: dt.date, end: dt.date, clients: str = "") -> tuple[str, list[object]]:
    """SQL of (client_id, m, sales, cost) per client and month with counted invoices
    from `start` (the first of a month) to `end`; `clients`, a condition on a client id
    without parameters ("IN (SELECT id FROM cl)"), keeps only those clients.

    Whole months are read from `client_month_revenue` (m0015, kept by triggers); the
    last month too when no counted invoice of it is dated after `end`. Otherwise that
    month's days up to `end` are summed over the invoices (a few thousand at most)."""
    last = end.replace(day=1)
    whole_last = end == _month_end(end) or (
        execute(
            f"SELECT 1 FROM invoice i WHERE i.issue_date > ? AND i.issue_date <= ? AND {ISSUED} "
            "LIMIT 1",
            (end.isoformat(), _month_end(end).isoformat()),
        ).fetchone()
        is None
    )
    upto = month_key(end) if whole_last else month_key(add_months(last, -1))
    sql = (
        "SELECT r.client_id, r.month AS m, r.base_cents AS sales, r.cost_cents AS cost "
        "FROM client_month_revenue r WHERE r.month BETWEEN ? AND ? AND r.invoices > 0"
        + (f" AND r.client_id {clients}" if clients else "")
    )
    params: list[object] = [month_key(start), upto]
    if not whole_last:
        month = _month_sql("i.issue_date")
        sql += (
            # BIGINT: PostgreSQL's SUM of integers is a NUMERIC, slower to add and to fetch.
            f" UNION ALL SELECT i.client_id, {month}, CAST(SUM(i.base_cents) AS BIGINT), "
            "CAST(SUM(i.cost_cents) AS BIGINT) "
            f"FROM invoice i WHERE {ISSUED} AND i.issue_date BETWEEN ? AND ? "
            + (f"AND i.client_id {clients} " if clients else "")
            + f"GROUP BY i.client_id, {month}"
        )
        params += [max(start, last).isoformat(), end.isoformat()]
    return sql, params


def _ranking_groups(period: ReportPeriod) -> tuple[str, list[object]]:
    """SQL of (client_id, cur, prev) per client with revenue in either period."""
    if _whole_years(period):
        # Whole years: the running per-client, per-year totals (m0004) say it already.
        return (
            "SELECT r.client_id, "
            "SUM(CASE WHEN r.year = ? THEN r.base_cents ELSE 0 END) AS cur, "
            "SUM(CASE WHEN r.year = ? THEN r.base_cents ELSE 0 END) AS prev "
            "FROM client_revenue r WHERE r.year IN (?, ?) GROUP BY r.client_id "
            "HAVING SUM(CASE WHEN r.year = ? THEN r.base_cents ELSE 0 END) <> 0 "
            "OR SUM(CASE WHEN r.year = ? THEN r.base_cents ELSE 0 END) <> 0",
            [period.year, period.year - 1] * 3,
        )
    # Both periods start on 1 January: their whole months come from the per-month totals
    # (m0015), only a last part month from the invoices; added per client.
    current, current_params = _month_groups(period.start, period.end)
    previous, previous_params = _month_groups(period.previous_start, period.previous_end)
    return (
        "SELECT u.client_id, CAST(SUM(u.cur) AS BIGINT) AS cur, "
        "CAST(SUM(u.prev) AS BIGINT) AS prev FROM ("
        f"SELECT c.client_id, c.sales AS cur, 0 AS prev FROM ({current}) c "
        f"UNION ALL SELECT p.client_id, 0, p.sales FROM ({previous}) p) u "
        "GROUP BY u.client_id HAVING SUM(u.cur) <> 0 OR SUM(u.prev) <> 0",
        [*current_params, *previous_params],
    )


_CENT = Decimal("0.01")


def _euros(cents: int) -> Decimal:
    """`money.from_cents` of an int already checked (a report's hot loop): the same value
    and exponent, by one multiplication (exact: cents are far below 28 digits)."""
    return Decimal(cents) * _CENT


def percent_change_of_cents(current: int, previous: int) -> Decimal | None:
    """`percent_change` of two amounts in cents: (current - previous) / |previous| x 100."""
    if not previous:
        return None
    return rounded_quotient((current - previous) * 10_000, abs(previous), 2)


def _ranking_row(r: tuple, total_cents: int) -> RankingRow:
    """(client_id, name, tax ID, revenue cents, previous cents, rank) -> its row."""
    return RankingRow(_int(r[5]), r[0], r[1], r[2] or "", _int(r[3]), _int(r[4]), total_cents)


def client_ranking(period: ReportPeriod, limit: int = 10) -> Ranking:
    """The top and bottom `limit` clients by revenue in the period, in one aggregate.

    The clients ranked are those with revenue in the period or in the previous one (a
    client lost this year ranks last with 0); ties go to the larger previous revenue,
    then the older client. Share = revenue / the period's total revenue; change and
    change % compare with the same dates one year earlier. The bottom list starts
    with the smallest revenue."""
    groups, params = _ranking_groups(period)
    # The aggregate is computed once (a CTE used three times is materialised); the top
    # and the bottom are LIMITs over it (a heap of `limit` rows, not a sort of them all).
    side = (
        "SELECT {side}, x.client_id, c.legal_name, c.tax_id, x.cur, x.prev, t.n, t.total, "
        "t.ptotal FROM (SELECT * FROM g ORDER BY {order} LIMIT ?) x "
        "JOIN client c ON c.id = x.client_id CROSS JOIN t"
    )
    sql = (
        f"WITH g AS ({groups}), t AS (SELECT COUNT(*) AS n, COALESCE(SUM(cur), 0) AS total, "
        "COALESCE(SUM(prev), 0) AS ptotal FROM g) "
        + side.format(side=0, order="cur DESC, prev DESC, client_id")
        + " UNION ALL "
        + side.format(side=1, order="cur, prev, client_id DESC")
    )
    with read_snapshot():
        rows = list(execute(sql, [*params, limit, limit]))
    if not rows:
        return Ranking(period, 0, ZERO, ZERO, (), ())
    count = _int(rows[0][6])
    total_cents = _int(rows[0][7])
    total, previous_total = from_cents(total_cents), from_cents(_int(rows[0][8]))
    top_rows = sorted((r for r in rows if r[0] == 0), key=lambda r: (-r[4], -r[5], r[1]))
    bottom_rows = sorted((r for r in rows if r[0] == 1), key=lambda r: (r[4], r[5], -r[1]))
    top = tuple(_ranking_row((*r[1:6], i + 1), total_cents) for i, r in enumerate(top_rows))
    bottom = tuple(
        _ranking_row((*r[1:6], count - i), total_cents) for i, r in enumerate(bottom_rows)
    )
    return Ranking(period, count, total, previous_total, top, bottom)


def ranking_top(period: ReportPeriod, limit: int = 10) -> tuple[RankingRow, ...] | None:
    """The top of `client_ranking(period, limit)`, exactly, without ranking every client,
    when the per-client, per-year totals say it: no counted invoice of the period's year
    is dated after its end (so `client_revenue`, m0004, holds each client's revenue of
    the period) and the `limit`-th largest of them is above zero (so every client ranked
    below has less, and none without revenue this year can come before). None otherwise:
    then only the whole ranking says it.

    The `limit`-th largest revenue is read from the index `client_revenue_year_base`; the
    clients with at least that much (ties included) get their previous revenue read
    (`_month_groups` for those clients alone) and are ordered as the ranking orders them.
    Shares divide by the period's total from `day_revenue` (m0017: the same rule)."""
    if limit < 1 or not _no_revenue_after(period.end):
        return None
    with read_snapshot():
        row = execute(
            "SELECT r.base_cents FROM client_revenue r WHERE r.year = ? "
            "ORDER BY r.base_cents DESC LIMIT 1 OFFSET ?",
            (period.year, limit - 1),
        ).fetchone()
        if row is None or _int(row[0]) <= 0:
            return None
        previous, previous_params = _month_groups(
            period.previous_start, period.previous_end, "IN (SELECT t.client_id FROM t)"
        )
        rows = execute(
            "WITH t AS (SELECT r.client_id, r.base_cents AS cur FROM client_revenue r "
            "WHERE r.year = ? AND r.base_cents >= ?), "
            f"p AS (SELECT x.client_id, SUM(x.sales) AS prev FROM ({previous}) x "
            "GROUP BY x.client_id) "
            "SELECT t.client_id, c.legal_name, c.tax_id, t.cur, COALESCE(p.prev, 0) FROM t "
            "JOIN client c ON c.id = t.client_id LEFT JOIN p ON p.client_id = t.client_id",
            [period.year, _int(row[0]), *previous_params],
        ).fetchall()
        total = execute(
            "SELECT COALESCE(SUM(d.base_cents), 0) FROM day_revenue d WHERE d.day BETWEEN ? AND ?",
            (period.start.isoformat(), period.end.isoformat()),
        ).fetchone()
    total_cents = _int(total[0])
    rows.sort(key=lambda r: (-_int(r[3]), -_int(r[4]), r[0]))
    return tuple(_ranking_row((*r, i + 1), total_cents) for i, r in enumerate(rows[:limit]))


def ranking_rows(period: ReportPeriod) -> Iterator[RankingRow]:
    """Every ranked client, the largest revenue first (the `report revenue` command).

    One aggregate sorted by the database; ranks and totals are counted here (window
    functions over every client would cost the database more than the aggregate)."""
    rows = _every_client_ranked(period)
    yield from _ranked(rows, int(sum(r[3] or 0 for r in rows)))


def ranked_values(period: ReportPeriod) -> Iterator[tuple]:
    """`ranking_values(ranking_rows(period))`, the values `report revenue` prints, made
    straight from the aggregate's rows (no `RankingRow` for each of them)."""
    rows = _every_client_ranked(period)
    yield from _values(rows, int(sum(r[3] or 0 for r in rows)))


def _every_client_ranked(period: ReportPeriod) -> list[tuple]:
    """(client_id, name, tax ID, cur cents, prev cents) of every client ranked, in rank
    order (the revenue, then the previous revenue, both largest first, then the id)."""
    order = "ORDER BY g.cur DESC, g.prev DESC, g.client_id"
    with read_snapshot():
        if is_sqlite():
            groups, params = _ranking_groups(period)
            return execute(
                "SELECT g.client_id, c.legal_name, c.tax_id, g.cur, g.prev FROM ("
                f"{groups}) g JOIN client c ON c.id = g.client_id {order}",
                params,
            ).fetchall()
        if (joined := _ranking_join(period)) is not None:
            return execute(f"{joined[0]} {order}", joined[1]).fetchall()
        return _ranking_named_apart(period, order)


def _year_part(start: dt.date, end: dt.date) -> tuple[str, list[object]]:
    """SQL of (client_id, cents): each client's revenue from `start` (1 January) to `end`
    (the same year), one row per client. The year's running total (`client_revenue`,
    m0004) when no counted invoice of the year is dated after `end`; else the per-month
    totals (m0015) and a last part month from the invoices (`_month_groups`), added up."""
    if _no_revenue_after(end):
        return (
            "SELECT r.client_id, r.base_cents AS cents FROM client_revenue r WHERE r.year = ?",
            [start.year],
        )
    months, params = _month_groups(start, end)
    return (
        "SELECT x.client_id, CAST(SUM(x.sales) AS BIGINT) AS cents "
        f"FROM ({months}) x GROUP BY x.client_id",
        params,
    )


def _ranking_join(period: ReportPeriod) -> tuple[str, list[object]] | None:
    """PostgreSQL's SQL of (client_id, name, tax ID, cur, prev) per client with revenue in
    either period (`_ranking_groups`' rows, named), when the period's revenue is its
    year's running total (`client_revenue`): then one row per client is joined to the
    previous period's (a FULL JOIN) and to the client's name, instead of a union of both
    periods' months added up per client (PostgreSQL adds a union's rows up slowly, in
    NUMERIC, and cannot tell how many clients it gives: it guesses 200 and would look
    each one's name up by its key). None otherwise (`_ranking_named_apart`)."""
    if not _no_revenue_after(period.end):
        return None
    current, current_params = _year_part(period.start, period.end)
    previous, previous_params = _year_part(period.previous_start, period.previous_end)
    return (
        "SELECT g.client_id, n.legal_name, n.tax_id, g.cur, g.prev FROM ("
        "SELECT COALESCE(c.client_id, p.client_id) AS client_id, "
        "COALESCE(c.cents, 0) AS cur, COALESCE(p.cents, 0) AS prev "
        f"FROM ({current}) c FULL JOIN ({previous}) p ON p.client_id = c.client_id "
        "WHERE COALESCE(c.cents, 0) <> 0 OR COALESCE(p.cents, 0) <> 0) g "
        "JOIN client n ON n.id = g.client_id",
        [*current_params, *previous_params],
    )


def _ranking_named_apart(period: ReportPeriod, order: str) -> list[tuple]:
    """PostgreSQL's (client_id, name, tax ID, cur, prev) of `_ranking_groups` in `order`,
    the names read in one scan beside the sorted aggregate: PostgreSQL cannot tell how
    many clients an aggregate over a union gives, guesses 200 and would look each one's
    name up by its key (70,000 lookups). A client that came between the two statements
    is looked up on its own."""
    groups, params = _ranking_groups(period)
    names = {r[0]: (r[1], r[2]) for r in execute("SELECT id, legal_name, tax_id FROM client")}
    found = execute(
        f"SELECT g.client_id, g.cur, g.prev FROM ({groups}) g {order}", params
    ).fetchall()
    for r in execute(
        "SELECT id, legal_name, tax_id FROM client WHERE id = ANY(?)",
        ([g[0] for g in found if g[0] not in names],),
    ):
        names[r[0]] = (r[1], r[2])
    return [(g[0], *names[g[0]], g[1], g[2]) for g in found]


def _ranked(rows: list, total_cents: int) -> Iterator[RankingRow]:
    """The `RankingRow` of each (client_id, name, tax ID, revenue, previous) in rank
    order, `_ranking_row`'s values (the Decimals are made when read, a row at a time)."""
    row = RankingRow
    for position, (client_id, name, tax_id, cur, prev) in enumerate(rows, 1):
        revenue, previous = int(cur or 0), int(prev or 0)
        yield row(position, client_id, name, tax_id or "", revenue, previous, total_cents)


def ranking_values(rows: Iterable[RankingRow]) -> Iterator[tuple]:
    """(client, tax ID, revenue, share, previous revenue, change, change %) of each row
    of one ranking (one total): its properties' values, worked out in one loop (`report
    revenue` prints every client ranked; a property each would cost a call per value)."""
    rows = list(rows)
    if rows:
        yield from _values([r[1:6] for r in rows], rows[0].total_cents)


def _values(rows: Iterable[tuple], total: int) -> Iterator[tuple]:
    """`ranking_values` of each (client_id, name, tax ID, cur cents, prev cents)."""
    cent = _CENT
    for _client_id, name, tax_id, cur, prev in rows:
        revenue, previous = int(cur or 0), int(prev or 0)
        current, before = Decimal(revenue) * cent, Decimal(previous) * cent
        yield (
            name,
            tax_id or "",
            current,
            share_of_cents(revenue, total),
            before,
            current - before,  # exact: both in cents
            percent_change_of_cents(revenue, previous),
        )


# --- monthly revenue ---------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRevenue:
    month: str  # "2026-03"
    revenue: Decimal
    previous_year_revenue: Decimal  # the same month a year earlier (same dates)

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.revenue, self.previous_year_revenue)


def monthly_revenue(period: ReportPeriod, months: int = MONTHLY_MONTHS) -> list[MonthRevenue]:
    """Revenue per month for the `months` months ending with the period's last month,
    each beside the same month one year earlier; one aggregate (per day, see
    `daily_sums`) over 12 + `months` months.

    The last month runs to the as-of date, so its previous-year figure runs to the same
    day of that month a year earlier (a half month is never compared with a whole one)."""
    end = period.end
    first = add_months(end.replace(day=1), -months + 1)
    earliest = add_months(first, -12)
    clip = one_year_earlier(end)
    found: dict[str, tuple[int, int]] = {}  # month -> (whole month, up to the clip date)
    for issued, base, _cost in daily_sums(earliest, end):
        key = month_key(issued)
        whole, clipped = found.get(key, (0, 0))
        found[key] = (whole + base, clipped + (base if issued <= clip else 0))
    last = month_key(end)
    out = []
    for k in range(months):
        day = add_months(first, k)
        key = month_key(day)
        before = found.get(month_key(add_months(day, -12)), (0, 0))
        previous = before[1] if key == last else before[0]
        out.append(MonthRevenue(key, from_cents(found.get(key, (0, 0))[0]), from_cents(previous)))
    return out


@dataclass(frozen=True)
class RevenueComparison:
    """The revenue of a period beside the same period one year earlier (like with like)."""

    start: dt.date
    end: dt.date
    revenue: Decimal
    previous_start: dt.date
    previous_end: dt.date
    previous_revenue: Decimal

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.revenue, self.previous_revenue)


def monthly_comparison(period: ReportPeriod, months: list[MonthRevenue]) -> RevenueComparison:
    """The monthly report's headline: the last 12 months listed (their first day to the
    period's end, the last month only up to that day) against exactly the same days one
    year earlier, never against a longer period (each row's previous-year figure is
    already clipped that way)."""
    shown = months[-12:]
    start = dt.date.fromisoformat(shown[0].month + "-01") if shown else period.end
    return RevenueComparison(
        start=start,
        end=period.end,
        revenue=sum((m.revenue for m in shown), ZERO),
        previous_start=one_year_earlier(start),
        previous_end=one_year_earlier(period.end),
        previous_revenue=sum((m.previous_year_revenue for m in shown), ZERO),
    )


# --- profit and loss per client and month ---------------------------------------------------


@dataclass(frozen=True)
class PnlRow:
    client_id: int | None  # None: expenses of no client
    client: str
    tax_id: str
    month: str
    sales: Decimal
    cost_of_sales: Decimal
    expenses: Decimal = ZERO

    @property
    def margin(self) -> Decimal:
        return self.sales - self.cost_of_sales

    @property
    def margin_pct(self) -> Decimal | None:
        return percent_of_whole(self.margin, self.sales)

    @property
    def net_margin(self) -> Decimal:
        """Margin after expenses."""
        return self.margin - self.expenses


def pnl_groups(period: ReportPeriod) -> tuple[str, list[object]]:
    """SQL of the profit and loss's sales side before names: (client_id, m, sales, cost)
    per client and month of the period."""
    return _month_groups(period.start, period.end)


# Expenses are their own aggregate (client 0: no client), joined into the sales groups'
# (client, month) keys, so the sales side can be read however it is best read.
_PNL_EXPENSES = (
    "SELECT COALESCE(e.client_id, 0) AS client_id, {emonth} AS m, SUM(e.base_cents) AS spent "
    "FROM expense e WHERE e.expense_date BETWEEN ? AND ? "
    "GROUP BY COALESCE(e.client_id, 0), {emonth}"
)


def _pnl_parts(period: ReportPeriod, clients: str = "") -> tuple[str, str, list[object]]:
    """The sales groups, the expenses groups and their parameters, in that order; with
    `clients` (see `_month_groups`), only those clients' rows and the expenses of none."""
    groups, params = _month_groups(period.start, period.end, clients)
    spent = _PNL_EXPENSES.format(emonth=_month_sql("e.expense_date"))
    if clients:
        spent = spent.replace(
            "WHERE e.expense_date",
            f"WHERE (e.client_id IS NULL OR e.client_id {clients}) AND e.expense_date",
        )
    return groups, spent, [*params, period.start.isoformat(), period.end.isoformat()]


# The first clients by name with a row in the profit and loss of a period: a counted
# invoice or an expense in it (an index seek or two per client, walked in name order).
_PNL_FIRST_CLIENTS = (
    "SELECT c.id FROM client c WHERE EXISTS (SELECT 1 FROM invoice i WHERE i.client_id = c.id "
    f"AND i.issue_date BETWEEN ? AND ? AND {ISSUED}) OR EXISTS (SELECT 1 FROM expense e "
    "WHERE e.client_id = c.id AND e.expense_date BETWEEN ? AND ?) "
    "ORDER BY c.sort_name, c.id LIMIT ?"
)


def _pnl_sql(period: ReportPeriod, rows: int | None = None) -> tuple[str, list[object]]:
    """The profit and loss's rows in order. With `rows`, only what its first `rows` rows
    can come from: the rows of the first `rows` clients by name that have any (each has
    at least one, so they hold every client row among the first `rows`) and the
    expenses of no client (which come last)."""
    first = ""
    params: list[object] = []
    clients = ""
    if rows is not None:
        first = f"cl AS ({_PNL_FIRST_CLIENTS}), "
        params = [period.start.isoformat(), period.end.isoformat()] * 2 + [rows]
        clients = "IN (SELECT cl.id FROM cl)"
    groups, spent, part_params = _pnl_parts(period, clients)
    return (
        f"WITH {first}g AS ({groups}), x AS ({spent}), "
        "k AS (SELECT client_id, m FROM g UNION SELECT client_id, m FROM x) "
        "SELECT k.client_id, c.legal_name, c.tax_id, k.m, COALESCE(g.sales, 0), "
        "COALESCE(g.cost, 0), COALESCE(x.spent, 0) FROM k "
        "LEFT JOIN g ON g.client_id = k.client_id AND g.m = k.m "
        "LEFT JOIN x ON x.client_id = k.client_id AND x.m = k.m "
        "LEFT JOIN client c ON c.id = k.client_id "
        "ORDER BY CASE WHEN c.id IS NULL THEN 1 ELSE 0 END, c.sort_name, k.client_id, k.m",
        [*params, *part_params],
    )


def count_pnl(period: ReportPeriod) -> int:
    """How many (client, month) rows the profit and loss of the period has: the sales
    groups (one per client and month already) and the expenses groups of a client and
    month without sales, counted apart instead of merging every key."""
    groups, spent, params = _pnl_parts(period)
    sql = (
        f"WITH g AS ({groups}), x AS ({spent}) SELECT (SELECT COUNT(*) FROM g) + "
        "(SELECT COUNT(*) FROM x WHERE NOT EXISTS (SELECT 1 FROM g "
        "WHERE g.client_id = x.client_id AND g.m = x.m))"
    )
    return _int(execute(sql, params).fetchone()[0])


def pnl_rows(period: ReportPeriod, offset: int = 0, limit: int | None = None) -> list[PnlRow]:
    """Sales, cost of sales, margin, expenses and margin after expenses per client and
    month of the period (1 January to the as-of date), clients by name, months in
    order, expenses of no client last; a page at a time if `limit`."""
    sql, params = _pnl_sql(period, None if limit is None else offset + limit)
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_pnl_row(r) for r in execute(sql, params)]


def _pnl_row(r: tuple) -> PnlRow:
    client_id = r[0] or None
    return PnlRow(
        client_id,
        r[1] or ("" if client_id else _("(no client)")),
        r[2] or "",
        r[3],
        from_cents(_int(r[4])),
        from_cents(_int(r[5])),
        from_cents(_int(r[6])),
    )


def iter_pnl_rows(period: ReportPeriod, page: int = 5000) -> Iterator[PnlRow]:
    """Every row of `pnl_rows`, read from one cursor (the command line, exports)."""
    sql, params = _pnl_sql(period)
    cursor = execute(sql, params)
    while True:
        rows = cursor.fetchmany(page)
        if not rows:
            return
        for r in rows:
            yield _pnl_row(r)


def pnl_months(period: ReportPeriod) -> list[MonthMargin]:
    """The business's sales, cost of sales and expenses per month of the period (P&L totals)."""
    months = (period.end.year - period.start.year) * 12 + period.end.month
    return margin_by_month(None, period.end, months)


# --- pipeline by stage -----------------------------------------------------------------------


@dataclass(frozen=True)
class StageFigure:
    stage: str
    count: int
    amount: Decimal
    weighted_amount: Decimal  # sum(amount x probability), rounded once to the cent

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


def pipeline_by_stage(period: ReportPeriod, *, by_year: bool = False) -> list[StageFigure]:
    """Opportunities per stage (every stage, in pipeline order): count, amount and
    weighted amount (amount x probability). Only opportunities created by the as-of
    date count; with `by_year`, only those expected to close within the period's year."""
    cutoff = dt.datetime.combine(period.end, dt.time(23, 59, 59)).isoformat(" ")
    where = "p.created_at <= ?"
    params: list[object] = [cutoff]
    if by_year:
        where += " AND p.expected_close BETWEEN ? AND ?"
        params += [period.start.isoformat(), dt.date(period.year, 12, 31).isoformat()]
    found = {
        r[0]: r
        for r in execute(
            "SELECT p.stage, COUNT(*), COALESCE(SUM(p.amount_cents), 0), "
            "COALESCE(SUM(p.amount_cents * p.probability), 0) "
            f"FROM opportunity p WHERE {where} GROUP BY p.stage",
            params,
        )
    }
    out = []
    for stage in OPPORTUNITY_STAGES:
        r = found.get(stage, (stage, 0, 0, 0))
        out.append(
            StageFigure(stage, _int(r[1]), from_cents(_int(r[2])), _weighted_cents(_int(r[3])))
        )
    return out


# --- the Reports screen's choice of period ------------------------------------------------


@dataclass(frozen=True)
class ReportChoice:
    """What the Reports screen computes for: `year`/`as_of` as `report_period` reads them,
    and how many clients the ranking shows at the top and at the bottom."""

    year: int | None = None
    as_of: dt.date | None = None
    top: int = 10

    def period(self, today: dt.date | None = None) -> ReportPeriod:
        return report_period(self.year, self.as_of, today)


MAX_TOP = 500


def parse_report_choice(
    year: object, as_of: object, top: object, today: dt.date | None = None
) -> ReportChoice:
    """The period form's values, checked: a year (empty: the as-of date's, or this one), an
    as-of date (empty: today, or the end of the year), and 1 to 500 clients for the top
    and bottom of the ranking. ValidationError names each wrong field."""
    from .records import parse_date, parse_int

    errors: dict[str, str] = {}
    today = today or dt.date.today()
    year_value = (
        parse_int(year, errors, "year", FIRST_YEAR, today.year) if str(year or "").strip() else None
    )
    day = parse_date(as_of, errors, "as_of")
    count = parse_int(top, errors, "top", 1, MAX_TOP) if str(top or "").strip() else 10
    if errors:
        raise ValidationError(errors)
    choice = ReportChoice(year_value, day, count)
    choice.period(today)  # refuses an as-of date before the year
    return choice
