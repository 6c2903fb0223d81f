"""Keys sent to a headless app the way a terminal sends them, and the frame that shows the
result: what the TUI benchmarks time.

`pilot.press` is not used for the key being timed: after sending it, it waits until the
whole process is idle (`textual._wait.wait_for_idle` watches the process's CPU time,
every worker thread's included), so a screen whose summary lines fill in after its rows
would be timed to its last worker, not to its first rows.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any


def send_key(app: Any, key: str) -> None:
    """`key` into the app's driver, as the terminal's reader thread puts it there; no wait."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def next_frame(app: Any) -> None:
    """Returns once the app has refreshed the screen after this call: the frame that
    paints what the widgets hold now."""
    painted = asyncio.Event()
    app.call_after_refresh(painted.set)
    await painted.wait()


def collect_earlier_apps() -> None:
    """Collect the garbage of the apps this process ran before, just before a timed key.

    Each TUI benchmark opens fresh apps one after another in the bench's process, and a
    closed app leaves its whole widget tree as cyclic garbage: a person's process runs one
    app and never holds that. Left there, the collector's next full pass walks it inside
    the timed window: 120-140 ms of the client file's 326 ms, opened after five other
    screens, against 117 ms when opened alone. Collected here, it costs idle time, as the
    app's own start does (`CrmApp.run` freezes the heap it starts with).
    """
    gc.collect()
