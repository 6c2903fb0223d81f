"""Every screen's first rows within 300 ms of its key, at the scale case, Textual included
(issue 19; ARCHITECTURE.md, "Targets").

Each screen is opened in the real app (headless, `App.run_test`) on the scale database,
the way a person opens it: the F-keys of the modes (agenda F3, invoices F4, receivables
F5, reports F6), each report's tab by its digit once the Reports screen is shown, the
quotes list and the reconciliation screen as the palette opens them, and the client file
of the client with the most invoices as the client list opens it. The key is sent as a
terminal sends it (bench/tui.py: `pilot.press` would wait for every worker, summaries
included). The moment measured is the frame that paints the first rows: the screen's
table loaded with its count and visible page (`LazyTable.Loaded`) and no loading
indicator over it; for the client file, its header and overview shown. Summary lines
may fill in later: they are not waited for.

Each figure is the median of RUNS openings in fresh apps after one warm-up (which pays
the imports once, as a person's second opening would). The earlier apps' garbage is
collected before each timed key (bench/tui.py, `collect_earlier_apps`). Run alone:
`python -m bench -k screens`; `BENCH_SCREENS="F4,F5" python -m bench -k screens` opens
only the screens whose label holds one of those texts (to compare before and after in
alternation without timing every screen each time).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from .registry import Context, Result, register
from .tui import collect_earlier_apps, next_frame, send_key

BUDGET_S = 0.300
RUNS = int(os.environ.get("BENCH_SCREEN_RUNS", "5"))
# Only the screens whose label contains one of these (comma-separated), e.g. "F4,F5":
# to compare a change on one screen before and after, in alternation, without the rest.
ONLY = [part for part in os.environ.get("BENCH_SCREENS", "").split(",") if part.strip()]
POLL_S = 0.002


# The tables that said `LazyTable.Loaded` since the timed key was sent (ids of the widgets):
# a table that was empty before its screen started loading it is not "ready".
_loaded_since_key: set[int] = set()


def _hook(message: Any) -> None:
    from tui_crm.ui.widgets.lazy_table import LazyTable

    if isinstance(message, LazyTable.Loaded) and message.lazy_table is not None:
        _loaded_since_key.add(id(message.lazy_table))


def _table_ready(screen: Any, selector: str | None = None) -> bool:
    """The screen's (first, or `selector`'s) LazyTable was loaded since the key, has its
    count and visible rows, and nothing covers it with a loading indicator."""
    from tui_crm.ui.widgets.lazy_table import LazyTable

    tables = screen.query(selector or LazyTable)
    if not tables:
        return False
    table = tables.first()
    if id(table) not in _loaded_since_key:
        return False
    if table.is_loading or (table.row_count and table.get_row(0) is None):
        return False
    node = table
    while node is not None and node is not screen:
        if getattr(node, "loading", False):
            return False
        node = node.parent
    return True


async def _time_screen(
    opened: Any,
    prepare: Callable[[Any, Any], Any] | None,
    open_it: Callable[[Any, Any], Any],
    ready: Callable[[Any], bool],
) -> float:
    """Seconds from `open_it` (a key press) to `ready(app.screen)`, in a fresh app whose
    client list has loaded and gone idle."""
    from tui_crm.ui.app import CrmApp

    app = CrmApp(opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 40), message_hook=_hook) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if prepare is not None:
            await prepare(app, pilot)
            await app.workers.wait_for_complete()
            await pilot.pause()
        collect_earlier_apps()
        _loaded_since_key.clear()
        started = time.perf_counter()
        await open_it(app, pilot)
        deadline = started + 120
        while not ready(app.screen):
            if time.perf_counter() > deadline:
                raise RuntimeError("the screen did not show its rows within two minutes")
            await asyncio.sleep(POLL_S)
        await next_frame(app)
        elapsed = time.perf_counter() - started
        await app.workers.wait_for_complete()
    return elapsed


def _press(*keys: str):
    """Press `keys` and wait until the app is idle (for what comes before the timed key)."""

    async def press(app: Any, pilot: Any) -> None:
        await pilot.press(*keys)

    return press


def _key(key: str):
    """The timed key: sent as a terminal sends it, not waited for (bench/tui.py)."""

    async def press(app: Any, pilot: Any) -> None:
        send_key(app, key)

    return press


def _screens(client_id: int) -> list[tuple[str, Any, Any, Callable[[Any], bool]]]:
    """(label, prepare, open, ready) of every screen measured."""
    from tui_crm.ui.screens.agenda import AgendaScreen
    from tui_crm.ui.screens.client_file import ClientFileScreen
    from tui_crm.ui.screens.invoice_list import InvoicesScreen
    from tui_crm.ui.screens.quote_list import QuotesScreen
    from tui_crm.ui.screens.receivables import ReceivablesScreen
    from tui_crm.ui.screens.reconcile import ReconcileScreen
    from tui_crm.ui.screens.reports import REPORT_KEYS, ReportsScreen

    def is_(kind: type, selector: str | None = None) -> Callable[[Any], bool]:
        return lambda screen: isinstance(screen, kind) and _table_ready(screen, selector)

    async def quotes(app: Any, pilot: Any) -> None:
        app.show_quotes()

    async def reconcile(app: Any, pilot: Any) -> None:
        app.push_screen(ReconcileScreen())

    async def client_file(app: Any, pilot: Any) -> None:
        app.open_client(client_id)

    found = [
        ("F3 agenda", None, _key("f3"), is_(AgendaScreen)),
        ("F4 invoices", None, _key("f4"), is_(InvoicesScreen)),
        ("F5 receivables board", None, _key("f5"), is_(ReceivablesScreen)),
        ("quotes (palette)", None, quotes, is_(QuotesScreen)),
        ("reconciliation (palette)", None, reconcile, is_(ReconcileScreen)),
        (
            "client file, the client with the most invoices",
            None,
            client_file,
            lambda s: isinstance(s, ClientFileScreen) and s.file is not None,
        ),
        ("F6 reports: ranking", None, _key("f6"), is_(ReportsScreen, "#rp-ranking-table")),
    ]
    for digit, report in enumerate(REPORT_KEYS[1:], 2):
        found.append(
            (
                f"reports tab {digit}: {report}",
                _press("f6"),
                _key(str(digit)),
                is_(ReportsScreen, f"#rp-{report}-table"),
            )
        )
    return found


@register(order=53, name="screens")
def screens_first_rows(ctx: Context) -> list[Result]:
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import execute
    from tui_crm.services.startup import open_for_use

    opened = open_for_use(DatabaseTarget(str(ctx.db_path)))
    client_id, invoices = execute(
        "SELECT client_id, COUNT(*) FROM invoice GROUP BY client_id ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    results = []
    for label, prepare, open_it, ready in _screens(client_id):
        if ONLY and not any(part.strip() in label for part in ONLY):
            continue
        try:
            times = [
                asyncio.run(_time_screen(opened, prepare, open_it, ready)) for _ in range(RUNS + 1)
            ][1:]
        except RuntimeError:  # never showed its rows: a MISS, and the other screens go on
            times = [float("inf")]
        if "client file" in label:
            label = f"{label} ({invoices:,})"
        results.append(
            Result(
                statistics.median(times),
                None,
                f"screen: {label}, first rows",
                "≤ 300 ms from the key",
                max_seconds=BUDGET_S,
                note="runs: " + "  ".join(f"{t * 1000:.0f}" for t in times) + " ms",
            )
        )
        print(f"  ... {results[-1].label}: {results[-1].measured * 1000:.0f} ms", flush=True)
    return results
