"""The home screen (F12) at the scale case: from the key press to its first figures painted
(target ≤ 300 ms), and to every figure, in the real app (headless, `App.run_test`); and
each section of `services.dashboard` on its own (informational: the slow ones fill in
later, in their own workers, without holding the screen)."""

from __future__ import annotations

import asyncio
import statistics
import time

from .registry import Context, Result, register
from .tui import collect_earlier_apps, next_frame, send_key

RUNS = 5


async def _home_once(opened) -> tuple[float, float]:
    """Seconds from F12 (from the client list) to the frame painting the first figure, and
    to the one painting all."""
    from tui_crm.services.dashboard import SECTIONS
    from tui_crm.ui.app import CrmApp
    from tui_crm.ui.screens.dashboard import DashboardScreen

    app = CrmApp(opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the client list is loaded and idle
        await pilot.pause()
        collect_earlier_apps()
        started = time.perf_counter()
        send_key(app, "f12")  # as a terminal sends it (bench/tui.py)
        first_at = all_at = None
        deadline = started + 300
        while time.perf_counter() < deadline and all_at is None:
            screen = app.screen
            if isinstance(screen, DashboardScreen):
                if first_at is None and screen.figures:
                    await next_frame(app)  # the frame that paints it
                    first_at = time.perf_counter()
                if len(screen.figures) == len(SECTIONS):
                    await next_frame(app)
                    all_at = time.perf_counter()
            await asyncio.sleep(0.0005)
        if first_at is None or all_at is None:
            raise RuntimeError("the dashboard did not fill within five minutes")
        await app.workers.wait_for_complete()
    return first_at - started, all_at - started


@register(order=53)
def dashboard_tui(ctx: Context) -> list[Result]:
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import database
    from tui_crm.services import dashboard
    from tui_crm.services.startup import open_for_use

    opened = open_for_use(DatabaseTarget(str(ctx.db_path)))
    sections = {}
    with database.connection_context():
        for name in dashboard.SECTIONS:
            sections[name] = ctx.measure(lambda name=name: dashboard.section(name), repeat=3)
    runs = [asyncio.run(_home_once(opened)) for _ in range(RUNS + 1)][1:]  # first: warm-up
    first = statistics.median(r[0] for r in runs)
    whole = statistics.median(r[1] for r in runs)
    return [
        Result(
            first,
            None,
            f"dashboard first figures at the scale case ({ctx.invoices:,} invoices)",
            "≤ 300 ms",
            max_seconds=0.3,
        ),
        Result(
            whole,
            None,
            "dashboard: every figure painted",
            "informational (each section fills in on its own)",
            note="  ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in sections.items()),
        ),
    ]
