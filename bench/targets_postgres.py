"""The data-level targets side by side on SQLite and PostgreSQL (issue 19), so a team
choosing PostgreSQL knows what it gets.

The same service functions (the application's code paths, the PostgreSQL dialect where
they have one) are timed on the SQLite scale database and on a PostgreSQL server holding
the same rows (`bench/postgres.py`: a throwaway server started here, its data directory
loaded once by COPY from the SQLite file and kept in `.bench/`). Each target's raw SQL
reference is written in the database's own dialect and measured in the same run.

The result lines are PostgreSQL's; the SQLite figures of the same target are in each
note, and a side-by-side table is printed as the benchmark ends. Run alone:
`python -m bench -k postgres`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .registry import Context, Result, register
from .targets import SEARCH_KEYSTROKES

RATIO = 1.5


@dataclass(frozen=True)
class Figure:
    label: str
    measured: float
    reference: float | None
    target: str
    max_ratio: float | None = None
    max_seconds: float | None = None

    def result(self, prefix: str, note: str = "") -> Result:
        return Result(
            self.measured,
            self.reference,
            f"{prefix}{self.label}",
            self.target,
            self.max_ratio,
            self.max_seconds,
            note,
        )


def _month(column: str, sqlite: bool) -> str:
    return f"substr({column}, 1, 7)" if sqlite else f"to_char({column}, 'YYYY-MM')"


def measure_all(ctx: Context, sqlite: bool) -> list[Figure]:
    """Every data-level target on the database open now."""
    from tui_crm.db import execute, read_snapshot
    from tui_crm.services import analytics, invoices, reports
    from tui_crm.services import receivables as rv
    from tui_crm.services.clients import ClientFilter, count_clients, list_clients

    def m(fn: Callable[[], object], repeat: int = 5) -> float:
        return ctx.measure(fn, repeat=repeat)

    out: list[Figure] = []
    columns = "id, legal_name, trade_name, tax_id, kind, status, email, phone"
    first_page = f"SELECT {columns} FROM client ORDER BY sort_name LIMIT 60"

    # Search as you type (every keystroke of "munoz", as the SQLite line) and the client list.
    worst = max(m(lambda t=t: list_clients(ClientFilter(text=t), 0, 50)) for t in SEARCH_KEYSTROKES)
    out.append(Figure("search as you type (worst keystroke)", worst, None, "≤ 20 ms", None, 0.020))
    flt = ClientFilter()
    out.append(
        Figure(
            "client list: count + first page",
            m(lambda: (count_clients(flt), list_clients(flt, 0, 60))),
            m(lambda: execute(first_page).fetchall()),
            "≤ 100 ms",
            None,
            0.100,
        )
    )
    # The invoice list's first page (F4).
    every = invoices.InvoiceFilter()
    out.append(
        Figure(
            "invoice list: count + first page",
            m(lambda: (invoices.count_invoices(every), invoices.list_invoices(every, 0, 60))),
            m(lambda: execute("SELECT COUNT(*) FROM invoice").fetchone()),
            "≤ 100 ms",
            None,
            0.100,
        )
    )
    # The receivables board as of today.
    today = dt.date.today()
    bounds = [(today - dt.timedelta(days=d)).isoformat() for d in (0, 30, 60, 90)]
    unpaid = "outstanding_cents <> 0 AND status IN ('issued', 'partially_paid') AND issue_date <= ?"

    def board() -> None:
        now = rv.ReceivablesFilter()
        sum(b.count for b in rv.bucket_totals(now))
        rv.list_receivables(now, 0, 100)

    out.append(
        Figure(
            "receivables board, as of today",
            m(board),
            m(
                lambda: execute(
                    "SELECT CASE WHEN due_date >= ? THEN 0 WHEN due_date >= ? THEN 1 WHEN "
                    "due_date >= ? THEN 2 WHEN due_date >= ? THEN 3 ELSE 4 END AS b, COUNT(*), "
                    f"SUM(outstanding_cents) FROM invoice WHERE {unpaid} GROUP BY 1",
                    [*bounds, today.isoformat()],
                ).fetchall()
            ),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    # The receivables board as of a past date (the payments after it put back), opened
    # afresh each time: both databases keep the day's rows per connection, dropped first.
    from .invoicing import AS_OF, as_of_raw

    as_of_sql, as_of_params = as_of_raw(AS_OF, sqlite)

    def board_as_of() -> None:
        then = rv.ReceivablesFilter(as_of=AS_OF)
        rv.forget_as_of()
        sum(b.count for b in rv.bucket_totals(then))
        rv.list_receivables(then, 0, 100)

    out.append(
        Figure(
            f"receivables board, as of {AS_OF}",
            m(board_as_of, 3),
            m(lambda: execute(as_of_sql, as_of_params).fetchall(), 3),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    # Reports.
    ytd = analytics.report_period()
    ranking_raw = (
        "SELECT client_id, SUM(cur), SUM(prev) FROM ("
        "SELECT client_id, base_cents AS cur, 0 AS prev FROM invoice "
        "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
        "UNION ALL SELECT client_id, 0, base_cents FROM invoice "
        "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ?) u "
        "GROUP BY client_id"
    )
    ranking_params = [ytd.start, ytd.end, ytd.previous_start, ytd.previous_end]
    ranking_params = [d.isoformat() for d in ranking_params]
    raw_ranking = m(lambda: execute(ranking_raw, ranking_params).fetchall(), 3)
    out.append(
        Figure(
            "client ranking, year to date",
            m(lambda: analytics.client_ranking(ytd, 10), 3),
            raw_ranking,
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    out.append(
        Figure(
            "every client ranked (report revenue)",
            # `report revenue`'s rows with their values (RankingRow keeps cents).
            m(lambda: sum(1 for _r in reports.revenue_rows(ytd.year, ytd.end)), 3),
            raw_ranking,
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    earliest = analytics.add_months(ytd.end.replace(day=1), -35)
    out.append(
        Figure(
            "monthly revenue, 24 months beside the year before",
            m(lambda: analytics.monthly_revenue(ytd), 3),
            m(
                lambda: execute(
                    f"SELECT {_month('issue_date', sqlite)}, SUM(base_cents) FROM invoice "
                    "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
                    "GROUP BY 1",
                    (earliest.isoformat(), ytd.end.isoformat()),
                ).fetchall(),
                3,
            ),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    month = _month("issue_date", sqlite)
    out.append(
        Figure(
            "P&L: count and first page of 200",
            m(lambda: (analytics.count_pnl(ytd), analytics.pnl_rows(ytd, 0, 200)), 3),
            m(
                lambda: execute(
                    f"SELECT client_id, {month}, SUM(base_cents), SUM(cost_cents) FROM invoice "
                    "WHERE status NOT IN ('draft', 'voided') AND issue_date BETWEEN ? AND ? "
                    "GROUP BY 1, 2",
                    (ytd.start.isoformat(), ytd.end.isoformat()),
                ).fetchall(),
                3,
            ),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    day = today.isoformat()

    def raw_defaulters() -> None:
        execute(
            "SELECT g.client_id, c.legal_name, c.tax_id, g.owed, g.n, g.oldest FROM ("
            "SELECT client_id, SUM(outstanding_cents) AS owed, COUNT(*) AS n, "
            "MIN(due_date) AS oldest FROM invoice WHERE outstanding_cents <> 0 "
            "AND status IN ('issued', 'partially_paid') AND issue_date <= ? AND due_date < ? "
            "GROUP BY client_id HAVING SUM(outstanding_cents) > 0) g "
            "JOIN client c ON c.id = g.client_id ORDER BY g.owed DESC",
            (day, day),
        ).fetchall()
        execute(
            "SELECT SUM(total_cents) FROM invoice WHERE status NOT IN ('draft', 'voided') "
            "AND issue_date <= ?",
            (day,),
        ).fetchone()

    out.append(
        Figure(
            "defaulters with their shares",
            m(lambda: list(reports.defaulter_rows()), 3),
            m(raw_defaulters, 3),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    # The Modelo 347 of this year as the Reports screen reads it (m0017's figures), against
    # the aggregate over the year's invoices with the same rules.
    from tui_crm.services import modelo347

    from .targets_analytics import _RAW_347

    bounds = (dt.date(today.year, 1, 1).isoformat(), dt.date(today.year + 1, 1, 1).isoformat())
    out.append(
        Figure(
            "Modelo 347 of the year, the screen's totals",
            m(lambda: modelo347.totals(today.year), 3),
            m(lambda: execute(_RAW_347, bounds).fetchall(), 3),
            f"≤ {RATIO} × raw SQL",
            RATIO,
        )
    )
    # The client file of the client with the most invoices.
    from tui_crm.services.client_file import client_file

    client_id = execute(
        "SELECT client_id FROM invoice GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()[0]

    def raw_file() -> None:
        with read_snapshot():
            execute("SELECT * FROM client WHERE id = ?", (client_id,)).fetchall()
            execute(
                "SELECT year, base_cents FROM client_revenue WHERE client_id = ?", (client_id,)
            ).fetchall()

    out.append(
        Figure(
            "client file, the client with the most invoices",
            m(lambda: client_file(client_id)),
            m(raw_file),
            "≤ 100 ms",
            None,
            0.100,
        )
    )
    return out


def _text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


@register(order=95, name="postgres side by side")
def postgres_side_by_side(ctx: Context) -> list[Result]:
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services.startup import open_for_use

    from .postgres import Unavailable, scale_server

    ctx.open()
    on_sqlite = measure_all(ctx, sqlite=True)
    close_database()
    try:
        with scale_server(ctx.dataset) as url:
            open_for_use(DatabaseTarget(url))
            try:
                on_postgres = measure_all(ctx, sqlite=False)
            finally:
                close_database()
    except Unavailable as why:
        return [Result(0.0, None, f"PostgreSQL side by side: skipped ({why})", "—")]
    width = max(len(f.label) for f in on_sqlite)
    print(f"\n  {'same target, both databases':<{width}}  {'SQLite':>22}  {'PostgreSQL':>22}")
    results = []
    for lite, pg in zip(on_sqlite, on_postgres, strict=True):
        lite_ratio = f"{lite.measured / lite.reference:.2f}×" if lite.reference else ""
        pg_ratio = f"{pg.measured / pg.reference:.2f}×" if pg.reference else ""
        print(
            f"  {lite.label:<{width}}  {_text(lite.measured):>12} {lite_ratio:>9}  "
            f"{_text(pg.measured):>12} {pg_ratio:>9}",
            flush=True,
        )
        note = f"SQLite: {_text(lite.measured)}"
        if lite.reference:
            note += f" vs {_text(lite.reference)} raw = {lite.measured / lite.reference:.2f}×"
        results.append(pg.result("PostgreSQL: ", note))
    return results
