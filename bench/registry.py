"""The benchmark registry behind `make bench` (how to add one: see bench/__main__.py).

A benchmark is a function `(ctx: Context) -> Result | list[Result]`, registered with
`@register`. A `Result` is a tuple `(measured_seconds, reference_seconds, label,
target_text)` plus the rule that decides PASS or MISS (`max_ratio` of the reference
measured in the same run, and/or `max_seconds`). Timings are medians of several
repetitions after a warm-up (`ctx.measure`).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


class Result(NamedTuple):
    """One line of the report. A plain tuple: (measured, reference, label, target, ...)."""

    measured: float  # seconds
    reference: float | None  # seconds, measured in the same run; None when the target is absolute
    label: str
    target: str  # as printed: "≤ 20 ms per keystroke", "≤ 1.5 × raw SQL"
    max_ratio: float | None = None  # PASS when measured / reference <= max_ratio
    max_seconds: float | None = None  # PASS when measured <= max_seconds
    note: str = ""  # printed after the line (which keystroke was worst, "cached", ...)

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference <= 0:
            return None
        return self.measured / self.reference

    @property
    def passed(self) -> bool | None:
        """True (PASS), False (MISS) or None (informational: no rule given)."""
        checks = []
        if self.max_ratio is not None and self.ratio is not None:
            checks.append(self.ratio <= self.max_ratio)
        if self.max_seconds is not None:
            checks.append(self.measured <= self.max_seconds)
        return all(checks) if checks else None


@dataclass(frozen=True)
class Dataset:
    """The cached scale-case database the benchmarks read."""

    path: Path
    clients: int
    invoices: int
    seed: int
    generation_seconds: float  # what `generate_demo` took when the file was made
    generated_now: bool  # False: reused from .bench/
    generated_at: str  # ISO timestamp of the generation
    meta: dict  # the .json beside it: cpu_seconds, load_average, schema_version, summary...


@dataclass(frozen=True)
class Context:
    """What a benchmark gets: the dataset, and helpers to time and to open it."""

    dataset: Dataset
    repeat: int = 7
    warmup: int = 1

    @property
    def db_path(self) -> Path:
        return self.dataset.path

    @property
    def clients(self) -> int:
        return self.dataset.clients

    @property
    def invoices(self) -> int:
        return self.dataset.invoices

    def open(self) -> None:
        """(Re)open the dataset in this process, as the application does (open_for_use)."""
        from tui_crm.config import DatabaseTarget
        from tui_crm.services.startup import open_for_use

        open_for_use(DatabaseTarget(str(self.db_path)))

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (`python -m tui_crm`, ...) pointed at the dataset."""
        return {**os.environ, "TUI_CRM_DB": str(self.db_path)}

    def measure(
        self, fn: Callable[[], object], *, repeat: int | None = None, warmup: int | None = None
    ) -> float:
        """Median seconds of `repeat` calls of `fn`, after `warmup` untimed calls."""
        for _n in range(self.warmup if warmup is None else warmup):
            fn()
        times = []
        for _n in range(self.repeat if repeat is None else repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times)


BenchmarkFn = Callable[[Context], "Result | Iterable[Result]"]


@dataclass(frozen=True)
class Benchmark:
    name: str
    fn: BenchmarkFn
    order: int


BENCHMARKS: dict[str, Benchmark] = {}


def register(
    fn: BenchmarkFn | None = None, *, name: str | None = None, order: int = 100
) -> BenchmarkFn | Callable[[BenchmarkFn], BenchmarkFn]:
    """Add a benchmark to `make bench`. Use as `@register`, `@register(order=5)` or call
    `register(fn, name="tui first paint")`. Lower `order` runs (and prints) first."""

    def add(function: BenchmarkFn) -> BenchmarkFn:
        key = name or function.__name__
        BENCHMARKS[key] = Benchmark(key, function, order)
        return function

    if fn is not None:
        return add(fn)
    return add


def ordered() -> list[Benchmark]:
    return sorted(BENCHMARKS.values(), key=lambda b: (b.order, b.name))
