"""The receivables board (F5) as a user sees it: from the key press to the first rows and
to the summary painted, in the real app (headless, `App.run_test`), over the dataset.

References measured in the same run: the raw SQL aggregate per aging bucket (what
the target compares the board with), the raw SQL of the whole summary (buckets, total
billing, the top defaulters), and the same key press on an empty database (what the
screen itself costs: Textual building and styling it). The target (ARCHITECTURE.md,
"Targets") is checked at the service level in `targets.py` (`receivables_board`); these figures are
informational: they add the screen's own cost to the data's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

from .registry import Context, Result, register
from .tui import collect_earlier_apps, next_frame, send_key

RUNS = 5


def _raw_queries(as_of: dt.date):
    from tui_crm.db import execute

    bounds = [(as_of - dt.timedelta(days=d)).isoformat() for d in (0, 30, 60, 90)]
    unpaid = "outstanding_cents <> 0 AND status IN ('issued', 'partially_paid') AND issue_date <= ?"

    def aggregate() -> None:
        execute(
            "SELECT CASE WHEN due_date >= ? THEN 0 WHEN due_date >= ? THEN 1 WHEN due_date >= ? "
            "THEN 2 WHEN due_date >= ? THEN 3 ELSE 4 END AS b, COUNT(*), SUM(outstanding_cents) "
            f"FROM invoice WHERE {unpaid} GROUP BY b",
            [*bounds, as_of.isoformat()],
        ).fetchall()

    def summary() -> None:
        aggregate()
        execute(
            "SELECT SUM(total_cents) FROM invoice WHERE status NOT IN ('draft', 'voided') "
            "AND issue_date <= ?",
            (as_of.isoformat(),),
        ).fetchone()
        execute(
            "SELECT client_id, SUM(outstanding_cents), COUNT(*), MIN(due_date) FROM invoice "
            f"WHERE {unpaid} AND due_date < ? GROUP BY client_id "
            "HAVING SUM(outstanding_cents) > 0 ORDER BY 2 DESC LIMIT 20",
            (as_of.isoformat(), as_of.isoformat()),
        ).fetchall()

    return aggregate, summary


async def _board_once(opened) -> tuple[float, float]:
    """Seconds from F5 to the first rows painted, and to the summary painted."""
    from tui_crm.ui.app import CrmApp
    from tui_crm.ui.screens.receivables import ReceivablesScreen
    from tui_crm.ui.widgets.lazy_table import LazyTable

    app = CrmApp(opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the client list is loaded and idle
        await pilot.pause()
        collect_earlier_apps()
        started = time.perf_counter()
        send_key(app, "f5")  # as a terminal sends it (bench/tui.py)
        rows_at = summary_at = None
        deadline = started + 120
        while time.perf_counter() < deadline and (rows_at is None or summary_at is None):
            screen = app.screen
            # The screen is current before its widgets are mounted: no table yet, no rows.
            tables = screen.query(LazyTable) if isinstance(screen, ReceivablesScreen) else ()
            if tables:
                table = tables.first()
                loaded = not table.is_loading and table.get_row(0) is not None
                if rows_at is None and (loaded or screen.summary is not None):
                    await next_frame(app)
                    rows_at = time.perf_counter()  # the rows (or "nothing to pay") are shown
                if summary_at is None and screen.summary is not None:
                    await next_frame(app)
                    summary_at = time.perf_counter()
            await asyncio.sleep(0.0005)
        if rows_at is None or summary_at is None:
            raise RuntimeError("the board did not paint within two minutes")
        await app.workers.wait_for_complete()
    return rows_at - started, summary_at - started


def _empty_board_paint(runs: int) -> float:
    """The same key press on an empty database: what the screen itself costs."""
    import tempfile
    from pathlib import Path

    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use

    with tempfile.TemporaryDirectory(prefix="bench-empty-board-") as directory:
        opened = open_for_use(DatabaseTarget(str(Path(directory) / "empty.sqlite3")))
        times = [asyncio.run(_board_once(opened))[1] for _ in range(runs + 1)][1:]
    return statistics.median(times)


@register(order=52)
def receivables_board_tui(ctx: Context) -> list[Result]:
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import database
    from tui_crm.services.startup import open_for_use

    empty = _empty_board_paint(RUNS)
    opened = open_for_use(DatabaseTarget(str(ctx.db_path)))
    aggregate, summary = _raw_queries(dt.date.today())
    with database.connection_context():
        raw_aggregate = ctx.measure(aggregate)
        raw_summary = ctx.measure(summary, repeat=3)
    runs = [asyncio.run(_board_once(opened)) for _ in range(RUNS + 1)][1:]  # first: warm-up
    rows = statistics.median(r[0] for r in runs)
    full = statistics.median(r[1] for r in runs)
    return [
        Result(
            empty,
            None,
            "TUI: F5 to the board painted, empty database",
            "informational (the screen's own cost)",
        ),
        Result(
            rows,
            raw_aggregate,
            f"TUI: F5 to the board's first rows ({ctx.invoices:,} invoices)",
            "informational (vs the raw SQL aggregate)",
            note=(
                f"less the empty board: {(rows - empty) * 1000:.0f} ms of data for "
                f"{raw_aggregate * 1000:.0f} ms of raw SQL"
            ),
        ),
        Result(
            full,
            raw_summary,
            "TUI: F5 to the board's summary painted",
            "informational (vs the summary's raw SQL)",
        ),
    ]
