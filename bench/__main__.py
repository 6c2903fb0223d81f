"""`make bench` (`python -m bench`): the targets of ARCHITECTURE.md ("Targets"), measured as
ratios in one run.

What it does
------------
1. Makes sure the scale-case database exists: `.bench/scale-c100000-i1000000-s1.sqlite3`,
   generated once with `open_for_use` + `demo.generate_demo` (the code path of
   `tui-crm demo`) and cached; regenerated when missing, when it was generated at another
   schema version than the latest migration, or with `--regenerate` (a changed generator
   is only reported: regenerating takes a minute or more). It prints
   `demo generation at scale: 61.2 s (target < 90 s) [CPU 40.1 s, load average 0.3]`:
   the wall clock, with the CPU of both threads and the machine's load for context.
   BENCH_CLIENTS=2000 BENCH_INVOICES=20000 make bench   shrinks it for a quick run.
2. Runs every registered benchmark and prints one aligned line per result: the measured
   figure, the reference measured in the same run, their ratio, the target and PASS/MISS.
   Figures are medians of several repetitions after a warm-up. The exit status is 1 when
   a target is missed or a benchmark fails.

Options: `-k TEXT` (repeatable) runs the benchmarks whose name contains TEXT; `--repeat N`;
`--regenerate`; `--list`.

3. The PostgreSQL column (`-k postgres`, bench/targets_postgres.py): a throwaway server
   started by the bench on `.bench/pg-<dataset>/`, loaded once from the SQLite file by
   COPY and kept (reloaded when the SQLite dataset changes); the data-level targets are
   timed on both databases through the same services and printed side by side.

Adding a benchmark (a 10-line job)
----------------------------------
Write a function in `bench/targets.py`, or in a new module `bench/targets_<feature>.py`
(every `targets*.py` module is imported), and register it::

    from .registry import Context, Result, register

    @register(order=60)
    def open_client_file(ctx: Context) -> Result:
        from tui_crm.services import analytics

        ctx.open()  # the dataset, opened like the application opens it
        client_id = ...  # e.g. the client with the most invoices
        measured = ctx.measure(lambda: analytics.client_file(client_id))
        reference = ctx.measure(lambda: raw_sql_for_the_same_data(client_id))
        return Result(measured, reference, "client file, 3,000 invoices", "≤ 3 × raw SQL",
                      max_ratio=3.0)

A benchmark receives a `Context` (`ctx.db_path`, `ctx.clients`, `ctx.invoices`,
`ctx.open()`, `ctx.env()` for a subprocess such as `python -m tui_crm`, `ctx.measure(fn)`)
and returns a `Result` — the tuple `(measured_seconds, reference_seconds, label,
target_text)` plus `max_ratio` and/or `max_seconds` for PASS/MISS (neither: informational)
— or a list of them. From elsewhere (e.g. the UI's cold start and first paint):
`from bench.registry import register; register(my_function, name="tui first paint")`.
Never assert timings in unit tests: they belong here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Iterable

from . import registry
from .dataset import SCALE_CLIENTS, SCALE_INVOICES, ensure_dataset
from .registry import Context, Result


def load_targets() -> None:
    """Import `bench/targets.py` and every `bench/targets_*.py`: they register themselves."""
    import bench

    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name == "targets" or info.name.startswith("targets_"):
            importlib.import_module(f"bench.{info.name}")


def seconds_text(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1:
        return f"{value:.1f} s"
    if value >= 0.001:
        return f"{value * 1000:.1f} ms"
    return f"{value * 1_000_000:.0f} µs"


def result_line(result: Result, label_width: int) -> str:
    ratio = f"{result.ratio:.2f}×" if result.ratio is not None else "—"
    verdict = {True: "PASS", False: "MISS", None: "info"}[result.passed]
    return (
        f"{result.label:<{label_width}}  {seconds_text(result.measured):>9}  "
        f"{seconds_text(result.reference):>9}  {ratio:>8}  {result.target:<42}  {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "-k",
        dest="only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run the benchmarks whose name contains TEXT (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (median)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the dataset")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    load_targets()
    chosen = [b for b in registry.ordered() if not args.only or any(k in b.name for k in args.only)]
    if args.list:
        for bench in registry.ordered():
            print(f"{bench.order:4d}  {bench.name}")
        return 0

    dataset = ensure_dataset(regenerate=args.regenerate)
    at_scale = (dataset.clients, dataset.invoices) == (SCALE_CLIENTS, SCALE_INVOICES)
    where = "at scale" if at_scale else f"at {dataset.clients:,}/{dataset.invoices:,}"
    context = [f"CPU {dataset.meta.get('cpu_seconds', '?')} s"]
    context.append(f"load average {dataset.meta.get('load_average', '?')}")
    if not dataset.generated_now:
        context.append(f"cached, generated {dataset.generated_at}")
    print(
        f"demo generation {where}: {dataset.generation_seconds:.1f} s (target < 90 s) "
        f"[{', '.join(context)}]",
        flush=True,
    )
    ctx = Context(dataset=dataset, repeat=args.repeat)

    results: list[Result] = []
    failures: list[str] = []
    for bench in chosen:
        try:
            produced = bench.fn(ctx)
        except Exception:  # one broken benchmark must not hide the others
            failures.append(bench.name)
            print(f"{bench.name}: ERROR", file=sys.stderr)
            traceback.print_exc()
            continue
        if isinstance(produced, tuple) and produced and not isinstance(produced[0], tuple):
            batch = [produced if isinstance(produced, Result) else Result(*produced)]
        else:
            batch = list(_results(produced))
        results.extend(batch)
        for result in batch:  # show progress as each benchmark finishes
            print(f"  ... {result.label}: {seconds_text(result.measured)}", flush=True)

    width = max([len(r.label) for r in results] + [9])
    print()
    print(f"{'benchmark':<{width}}  {'measured':>9}  {'reference':>9}  {'ratio':>8}  "
          f"{'target':<42}  result")  # fmt: skip
    for result in results:
        print(result_line(result, width))
        if result.note:
            print(f"{'':<{width}}  {result.note}")
    for name in failures:
        print(f"{name:<{width}}  ERROR (see the traceback above)")
    missed = [r for r in results if r.passed is False]
    return 1 if missed or failures else 0


def _results(produced: Iterable[Result]) -> Iterable[Result]:
    for item in produced:
        if not isinstance(item, tuple):
            raise TypeError(f"a benchmark returned {item!r}, not a Result")
        yield item if isinstance(item, Result) else Result(*item)


if __name__ == "__main__":
    sys.exit(main())
