"""Analytics at scale: the Reports screen's ranking, monthly revenue and defaulters over the
dataset's invoices (1,000,000 at the scale case), each against the raw SQL doing the same
aggregate, measured in the same run (target ≤ 1.5 ×, as for the receivables board).

- ranking, year to date: `analytics.client_ranking` (top and bottom 10 with shares,
  previous year, change) against the bare per-client aggregate of the two periods;
- ranking of the last whole year: the same function, which reads whole years from
  `client_revenue` (m0004), against the raw aggregate over that year's invoices;
- monthly revenue: `analytics.monthly_revenue` (24 months beside the year before)
  against the plain `GROUP BY month` over the same 36 months of invoices;
- defaulters: `reports.defaulter_rows` (every defaulter with both shares) against the
  raw overdue-per-client aggregate plus the two totals the shares divide by;
- `report revenue` printed as a plain-text table against the same rows as CSV, both in
  the process (the table lays out its cells without tabulate's per-cell type guessing);
- the CLI's full ranking (`report revenue`) and the profit and loss screen's first page
  with its count, against the same raw aggregates (both read whole months from
  `client_month_revenue`, m0015);
- Modelo 347 of this year: the screen's totals (from the figures m0017 keeps) and the
  whole return with names and provinces (`report 347`), against the same aggregate over
  the year's invoices;
- informational: a client's Analytics tab (the client with the most invoices).

Run alone: `python -m bench -k analytics`.
"""

from __future__ import annotations

import datetime as dt

from .registry import Context, Result, register

RATIO = 1.5


def _raw_ranking(start: dt.date, end: dt.date, p_start: dt.date, p_end: dt.date) -> list:
    """Revenue per client in the period and in the previous one: the aggregate alone."""
    from tui_crm.db import execute

    return execute(
        "SELECT client_id, SUM(cur), SUM(prev) FROM ("
        "SELECT client_id, base_cents AS cur, 0 AS prev FROM invoice "
        "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
        "UNION ALL SELECT client_id, 0, base_cents FROM invoice "
        "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ?) "
        "GROUP BY client_id",
        (start.isoformat(), end.isoformat(), p_start.isoformat(), p_end.isoformat()),
    ).fetchall()


@register(order=70, name="analytics ranking")
def analytics_ranking(ctx: Context) -> list[Result]:
    from tui_crm.db import execute
    from tui_crm.services import analytics, reports

    ctx.open()
    ytd = analytics.report_period()
    whole = analytics.report_period(ytd.year - 1)
    measured = ctx.measure(lambda: analytics.client_ranking(ytd, 10))
    reference = ctx.measure(
        lambda: _raw_ranking(ytd.start, ytd.end, ytd.previous_start, ytd.previous_end)
    )
    naive = ctx.measure(
        lambda: execute(
            "SELECT client_id, SUM(CASE WHEN issue_date >= ? THEN base_cents ELSE 0 END), "
            "SUM(CASE WHEN issue_date <= ? THEN base_cents ELSE 0 END) FROM invoice "
            "WHERE status NOT IN ('draft', 'voided') "
            "AND (issue_date BETWEEN ? AND ? OR issue_date BETWEEN ? AND ?) GROUP BY client_id",
            (
                ytd.start.isoformat(),
                ytd.previous_end.isoformat(),
                ytd.start.isoformat(),
                ytd.end.isoformat(),
                ytd.previous_start.isoformat(),
                ytd.previous_end.isoformat(),
            ),
        ).fetchall(),
        repeat=3,
    )
    whole_measured = ctx.measure(lambda: analytics.client_ranking(whole, 10))
    whole_reference = ctx.measure(
        lambda: _raw_ranking(whole.start, whole.end, whole.previous_start, whole.previous_end)
    )
    # What `report revenue` makes before it prints: every client's row with its values
    # (the ranking rows keep cents and make their Decimals when read).
    full = ctx.measure(lambda: sum(1 for _row in reports.revenue_rows(ytd.year, ytd.end)), repeat=3)
    return [
        Result(
            measured,
            reference,
            f"analytics: client ranking {ytd.year} to date, {ctx.invoices:,} invoices",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
            note=f"the same aggregate written with OR ranges: {naive * 1000:.0f} ms",
        ),
        Result(
            whole_measured,
            whole_reference,
            f"analytics: client ranking of {whole.year} (whole year)",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        ),
        Result(
            full,
            reference,
            "analytics: every client ranked (report revenue)",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        ),
    ]


@register(order=70, name="analytics revenue printed")
def analytics_revenue_printed(ctx: Context) -> Result:
    """`report revenue` as the command line prints it (every client ranked), in this
    process into memory: the plain-text table a person reads (amounts and percentages in
    the language's format, columns laid out) against the same rows written as CSV."""
    import contextlib
    import io

    from tui_crm.cli.common import print_rows
    from tui_crm.services import analytics, reports

    ctx.open()
    period = analytics.report_period()
    printed = io.StringIO()

    def print_report(fmt: str) -> None:
        printed.seek(0)
        printed.truncate()
        with contextlib.redirect_stdout(printed):
            rows = reports.revenue_rows(period.year, period.end)
            print_rows(rows, reports.REVENUE_COLUMNS, fmt)

    measured = ctx.measure(lambda: print_report("plain"), repeat=3)
    count = printed.getvalue().count("\n") - 1  # the header's line
    reference = ctx.measure(lambda: print_report("csv"), repeat=3)
    return Result(
        measured,
        reference,
        f"report revenue printed as a table, {count:,} rows",
        f"≤ {RATIO} × the same rows as CSV",
        max_ratio=RATIO,
    )


@register(order=71, name="analytics monthly")
def analytics_monthly(ctx: Context) -> list[Result]:
    from tui_crm.db import execute
    from tui_crm.services import analytics

    ctx.open()
    period = analytics.report_period()
    earliest = analytics.add_months(period.end.replace(day=1), -35)
    params = (earliest.isoformat(), period.end.isoformat())
    measured = ctx.measure(lambda: analytics.monthly_revenue(period))
    reference = ctx.measure(
        lambda: execute(
            "SELECT substr(issue_date, 1, 7), SUM(base_cents) FROM invoice "
            "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? GROUP BY 1",
            params,
        ).fetchall()
    )
    per_day = ctx.measure(
        lambda: execute(
            "SELECT issue_date, SUM(base_cents) FROM invoice "
            "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
            "GROUP BY issue_date",
            params,
        ).fetchall()
    )
    return [
        Result(
            measured,
            reference,
            "analytics: monthly revenue, 24 months beside the year before",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
            note=f"the raw per-day aggregate it is built on: {per_day * 1000:.0f} ms",
        )
    ]


@register(order=72, name="analytics defaulters")
def analytics_defaulters(ctx: Context) -> list[Result]:
    from tui_crm.db import execute
    from tui_crm.services import reports

    ctx.open()
    today = dt.date.today().isoformat()

    def raw() -> None:
        execute(
            "SELECT g.client_id, c.legal_name, c.tax_id, g.owed, g.n, g.oldest FROM ("
            "SELECT client_id, SUM(outstanding_cents) AS owed, COUNT(*) AS n, "
            "MIN(due_date) AS oldest FROM invoice WHERE outstanding_cents <> 0 "
            "AND status IN ('issued', 'partially_paid') AND issue_date <= ? AND due_date < ? "
            "GROUP BY client_id HAVING SUM(outstanding_cents) > 0) g "
            "JOIN client c ON c.id = g.client_id ORDER BY g.owed DESC",
            (today, today),
        ).fetchall()
        execute(
            "SELECT SUM(total_cents) FROM invoice WHERE status NOT IN ('draft', 'voided') "
            "AND issue_date <= ?",
            (today,),
        ).fetchone()
        execute(
            "SELECT SUM(outstanding_cents) FROM invoice WHERE outstanding_cents <> 0 "
            "AND status IN ('issued', 'partially_paid') AND issue_date <= ? AND due_date < ?",
            (today, today),
        ).fetchone()

    measured = ctx.measure(lambda: list(reports.defaulter_rows()))
    reference = ctx.measure(raw)
    count = len(list(reports.defaulter_rows()))
    return [
        Result(
            measured,
            reference,
            f"analytics: defaulters ({count:,} clients) with their shares",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        )
    ]


@register(order=73, name="analytics pnl and client")
def analytics_informational(ctx: Context) -> list[Result]:
    from tui_crm.db import execute
    from tui_crm.services import analytics

    ctx.open()
    period = analytics.report_period()
    first_page = ctx.measure(
        lambda: (analytics.count_pnl(period), analytics.pnl_rows(period, 0, 200)), repeat=3
    )
    raw_pnl = ctx.measure(
        lambda: execute(
            "SELECT client_id, substr(issue_date, 1, 7), SUM(base_cents), SUM(cost_cents) "
            "FROM invoice WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
            "GROUP BY 1, 2",
            (period.start.isoformat(), period.end.isoformat()),
        ).fetchall(),
        repeat=3,
    )
    client_id, invoices = execute(
        "SELECT client_id, COUNT(*) FROM invoice GROUP BY client_id ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    tab = ctx.measure(lambda: analytics.client_analytics(client_id))
    return [
        Result(
            first_page,
            raw_pnl,
            "analytics: P&L screen, count and first page of 200",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        ),
        Result(
            tab,
            None,
            f"analytics: a client's Analytics tab ({invoices:,} invoices)",
            "informational",
        ),
    ]


# The year's Modelo 347 summed over its invoices, with every rule of `services.modelo347`:
# what the return cost before m0017 kept its figures, and the reference for both lines.
_RAW_347 = (
    "SELECT key, MAX(id), SUM(amount) FROM (SELECT i.id, "
    "i.base_cents + i.vat_cents + i.recargo_cents AS amount, "
    "CASE WHEN k = '' THEN 'client:' || CAST(i.client_id AS TEXT) "
    "WHEN SUBSTR(k, 1, 2) = 'ES' AND LENGTH(k) = 11 THEN SUBSTR(k, 3) ELSE k END AS key "
    "FROM (SELECT i.*, UPPER(REPLACE(REPLACE(REPLACE(i.client_tax_id, ' ', ''), '-', ''), "
    "'.', '')) AS k FROM invoice i WHERE i.status NOT IN ('draft', 'voided') AND i.issue_date >= ? "
    "AND i.issue_date < ? AND i.irpf_rate_bp = 0) i "
    "LEFT JOIN invoice o ON o.id = i.rectifies_id JOIN client c ON c.id = i.client_id "
    "WHERE (o.id IS NULL OR o.irpf_rate_bp = 0) "
    "AND NOT (c.tax_id_country <> 'ES' AND i.vat_cents = 0 AND i.recargo_cents = 0)) t "
    "GROUP BY key HAVING SUM(amount) > 300506"
)


@register(order=74, name="analytics modelo 347")
def analytics_modelo347(ctx: Context) -> list[Result]:
    """The Reports screen's Modelo 347 (the declared tax IDs with their totals, from the
    figures m0017 keeps) and the whole return with names (`report 347`), against the
    aggregate over the year's invoices."""
    from tui_crm.db import execute
    from tui_crm.services import modelo347

    ctx.open()
    year = dt.date.today().year
    bounds = (dt.date(year, 1, 1).isoformat(), dt.date(year + 1, 1, 1).isoformat())
    reference = ctx.measure(lambda: execute(_RAW_347, bounds).fetchall(), repeat=3)
    screen = ctx.measure(lambda: modelo347.totals(year), repeat=3)
    full = ctx.measure(lambda: modelo347.declared(year), repeat=3)
    count = len(modelo347.totals(year))
    return [
        Result(
            screen,
            reference,
            f"analytics: Modelo 347 of {year} ({count:,} tax IDs), the screen's totals",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        ),
        Result(
            full,
            reference,
            "analytics: Modelo 347 with names and provinces (report 347)",
            f"≤ {RATIO} × the raw SQL aggregate",
            max_ratio=RATIO,
        ),
    ]
