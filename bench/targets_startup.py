"""Cold start: a new process until the client list shows its first page, against a bare
Textual app with a table (ARCHITECTURE.md, "Targets": ≤ 1.25 ×). Both are whole
processes, interpreter start and imports included, measured from launch to exit right
after the first paint. Both run from bytecode, as installed: Textual's comes compiled in
site-packages, so ours is compiled first (see `_compiled`)."""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import textwrap
import threading
import time

from .registry import Context, Result, register

OURS = textwrap.dedent(
    """
    import sys
    from tui_crm import config, i18n
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.ui.app import CrmApp
    from tui_crm.ui.widgets.lazy_table import LazyTable

    i18n.setup(config.read_user_settings().get("ui.language"))
    opened = open_for_use(DatabaseTarget(sys.argv[1]), create=False)

    class Timed(CrmApp):
        def on_lazy_table_loaded(self, message) -> None:
            table = self.screen.query(LazyTable).first()
            if table.get_row(0) is not None:
                self.call_after_refresh(self.exit)

    Timed(opened, first_run=False, start="clients").run(headless=True, size=(100, 30))
    """
)

BARE = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Bare(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("Name", "Tax ID", "City", "Outstanding")
            table.add_rows([(f"Cliente {i}", "B12345674", "Jaén", "1.000,00 €") for i in range(60)])
            self.call_after_refresh(self.exit)

    Bare().run(headless=True, size=(100, 30))
    """
)


def _process_seconds(code: str, *args: str, env: dict[str, str]) -> float:
    """Launch to exit of a new process. A blocking wait, not `subprocess.run(timeout=)`:
    that one polls with sleeps of up to 50 ms and put every timing on a 50 ms grid;
    a timer kills a process that hangs instead."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.DEVNULL
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        returncode = process.wait()
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - started
    if returncode != 0:
        raise subprocess.CalledProcessError(returncode, "cold start")
    return elapsed


def _compiled() -> None:
    """Byte-compile tui_crm beside its sources (`__pycache__`, ignored by git), as pip does
    on installing the wheel. The untimed first start would write it, but not where
    PYTHONDONTWRITEBYTECODE is set: every start then compiled the whole application from
    source while the bare app read Textual's bytecode."""
    import tui_crm

    for directory in tui_crm.__path__:
        compileall.compile_dir(directory, quiet=1)


@register(order=5, name="cold start")
def cold_start(ctx: Context) -> Result:
    env = ctx.env()
    _compiled()
    # Ours and the bare app take turns (after one untimed start of each, which warms the
    # file cache), so that a shared host changing speed weighs on both alike.
    ours, bare = [], []
    for n in range(8):
        ours_time = _process_seconds(OURS, str(ctx.db_path), env=env)
        bare_time = _process_seconds(BARE, env=env)
        if n:
            ours.append(ours_time)
            bare.append(bare_time)
    return Result(
        statistics.median(ours),
        statistics.median(bare),
        f"cold start to the client list, {ctx.clients:,} clients",
        "≤ 1.25 × a bare Textual app with a table",
        max_ratio=1.25,
        note="ratio of each round: "
        + "  ".join(f"{o / b:.2f}" for o, b in zip(ours, bare, strict=True)),
    )
