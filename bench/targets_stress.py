"""The long stress run: six processes doing mixed work on one database file for 30 s.

Reports the operations per second the database sustains with every write at
`synchronous=FULL`, and fails when any invariant breaks (bench/stress.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .registry import Context, Result, register

SECONDS = float(os.environ.get("BENCH_STRESS_SECONDS", "30"))


@register(order=90, name="stress")
def stress(ctx: Context) -> Result:
    from tui_crm.db import close_database

    from .stress import run_stress

    with tempfile.TemporaryDirectory() as tmp:
        result = run_stress(Path(tmp) / "stress.sqlite3", seconds=SECONDS, env=ctx.env())
        close_database()
    if result.problems:
        raise AssertionError("; ".join(result.problems[:5]))
    kinds = ", ".join(f"{o.kind} {o.done}" for o in result.outcomes)
    return Result(
        1.0 / result.per_second if result.per_second else float("inf"),
        None,
        f"stress, 6 processes for {SECONDS:.0f} s: {result.per_second:.0f} operations/s",
        "invariants hold (seconds per operation shown)",
        note=f"{result.operations} operations ({kinds}); no lock errors, no lost update, "
        "gapless numbers, integrity ok",
    )
