"""Keys sent to a headless app the way a terminal sends them, and the frame that shows the
result: what the TUI benchmarks time.

`pilot.press` is not used for the key being timed: after sending it, it waits until the
whole process is idle (`textual._wait.wait_for_idle` watches the process's CPU time,
every worker thread's included), so a screen whose summary lines fill in after its rows
would be timed to its last worker, not to its first rows.
"""

from __future__ import annotations

import asyncio
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
