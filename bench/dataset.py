"""The scale-case database, generated once through `tui-crm demo`'s code path and cached.

`.bench/scale-c{clients}-i{invoices}-s{seed}.sqlite3` (git-ignored) is made with
`open_for_use` + `demo.generate_demo`, exactly like `tui-crm demo`. It is
regenerated when it is missing, or with `.venv/bin/python -m bench --regenerate`. Made
at an older schema version, it is upgraded in place by the application's migrations, as
a person's database is (derived tables such as `client_month_revenue` are filled by their
migration); a migration that adds a table the demo fills leaves that table empty, so
regenerate then. A
dataset made by an older version of the generator is kept (regenerating costs a minute
or more) but reported. The generation time (wall clock, CPU of both threads, and the
machine's load average meanwhile) is recorded beside it (`.json`) and reported by the
"demo generation" benchmark. Two `make bench` runs at once wait for each other (a lock file)
instead of both generating.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from .registry import Dataset

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".bench"
SCALE_CLIENTS = 100_000
SCALE_INVOICES = 1_000_000


def sizes_from_environment() -> tuple[int, int, int]:
    """(clients, invoices, seed): the scale case unless BENCH_CLIENTS / BENCH_INVOICES /
    BENCH_SEED shrink it for a quick run."""
    clients = int(os.environ.get("BENCH_CLIENTS") or SCALE_CLIENTS)
    invoices = int(os.environ.get("BENCH_INVOICES") or SCALE_INVOICES)
    seed = int(os.environ.get("BENCH_SEED") or 1)
    return clients, invoices, seed


def dataset_path(clients: int, invoices: int, seed: int) -> Path:
    return CACHE_DIR / f"scale-c{clients}-i{invoices}-s{seed}.sqlite3"


def generator_fingerprint() -> str:
    """A hash of the generator's source: data made by an older generator is stale."""
    from tui_crm import demo

    digest = hashlib.sha256()
    for source in sorted(Path(demo.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _schema_version(path: Path) -> int:
    try:
        with sqlite3.connect(path) as connection:
            row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except sqlite3.DatabaseError:
        return -1
    return int(row[0] or 0)


_OLDER_SCHEMA = "made at the older schema version"


def _why_stale(path: Path, meta_path: Path) -> str | None:
    from tui_crm.migrations import latest_version

    if not path.exists() or not meta_path.exists():
        return "missing"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        float(meta["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable metadata"
    version = meta.get("schema_version")
    if isinstance(version, int) and version < latest_version() and _schema_version(path) >= 1:
        return f"{_OLDER_SCHEMA} {version}, latest is {latest_version()}"
    if version != latest_version():
        return f"generated at schema version {version}, latest is {latest_version()}"
    if _schema_version(path) < 1:
        return "not a tui-crm database"
    return None


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _progress_printer():
    interactive = sys.stdout.isatty()
    last = {"phase": None}

    def show(phase: str, fraction: float) -> None:
        if interactive:
            print(f"\r  {fraction * 100:5.1f} %  {phase:<40}", end="", flush=True)
        elif phase != last["phase"]:
            print(f"  {fraction * 100:5.1f} %  {phase}", flush=True)
        last["phase"] = phase

    return show, interactive


def generate(path: Path, clients: int, invoices: int, seed: int) -> tuple[float, dict, object]:
    """What `tui-crm demo --clients N --invoices N --seed S` does, timed."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.demo import generate_demo
    from tui_crm.services.startup import open_for_use

    _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    show, interactive = _progress_printer()
    open_for_use(DatabaseTarget(str(path)))
    try:
        load = os.getloadavg()[0]
        cpu = time.process_time()
        started = time.perf_counter()
        summary = generate_demo(clients, invoices, seed, progress=show)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        load = max(load, os.getloadavg()[0])
    finally:
        close_database()
    if interactive:
        print()
    return seconds, {"cpu_seconds": round(cpu, 1), "load_average": round(load, 1)}, summary


@contextlib.contextmanager
def _locked(path: Path):
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_dataset(regenerate: bool = False) -> Dataset:
    clients, invoices, seed = sizes_from_environment()
    path = dataset_path(clients, invoices, seed)
    with _locked(path):
        return _ensure(path, clients, invoices, seed, regenerate)


def _upgrade(path: Path, meta_path: Path) -> None:
    """Bring a cached dataset made at an older schema up to the latest by the application's
    own migrations, as a person's database is upgraded (a minute, where regenerating and
    reloading PostgreSQL take half an hour); `--regenerate` makes it afresh instead."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.migrations import latest_version
    from tui_crm.services.startup import open_for_use

    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    before = meta.get("schema_version")
    print(
        f"upgrading {path.relative_to(ROOT)} from schema version {before} to "
        f"{latest_version()} by its migrations",
        flush=True,
    )
    started = time.perf_counter()
    open_for_use(DatabaseTarget(str(path)))
    close_database()
    upgrades = [*meta.get("upgrades", []), {"from": before, "to": latest_version()}]
    meta.update(schema_version=latest_version(), upgrades=upgrades)
    _write_meta(meta_path, meta)
    print(f"  upgraded in {time.perf_counter() - started:.0f} s", flush=True)


def _write_meta(meta_path: Path, meta: dict) -> None:
    """The metadata through a fresh temporary file and a rename."""
    import tempfile

    fd, temporary = tempfile.mkstemp(dir=meta_path.parent, prefix=meta_path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(meta, indent=2))
    os.replace(temporary, meta_path)


def _ensure(path: Path, clients: int, invoices: int, seed: int, regenerate: bool) -> Dataset:
    meta_path = path.with_suffix(".json")
    reason = "--regenerate" if regenerate else _why_stale(path, meta_path)
    if reason is not None and reason.startswith(_OLDER_SCHEMA):
        _upgrade(path, meta_path)
        reason = _why_stale(path, meta_path)
    if reason is None:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("generator") != generator_fingerprint():
            print(
                f"note: {path.relative_to(ROOT)} was made by an older demo generator "
                "(python -m bench --regenerate to refresh it)",
                flush=True,
            )
        return Dataset(
            path=path,
            clients=clients,
            invoices=invoices,
            seed=seed,
            generation_seconds=float(meta["seconds"]),
            generated_now=False,
            generated_at=str(meta.get("generated_at", "")),
            meta=meta,
        )
    print(
        f"generating {path.relative_to(ROOT)} ({clients:,} clients, {invoices:,} invoices, "
        f"seed {seed}): {reason}",
        flush=True,
    )
    partial = path.with_name(path.name + ".part")
    seconds, machine, summary = generate(partial, clients, invoices, seed)
    _remove(path)
    os.replace(partial, path)
    generated_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    from tui_crm.migrations import latest_version

    meta = {
        "seconds": round(seconds, 3),
        **machine,  # CPU seconds of both threads, and the machine's load meanwhile
        "generated_at": generated_at,
        "schema_version": latest_version(),
        "generator": generator_fingerprint(),
        "clients": clients,
        "invoices": invoices,
        "seed": seed,
        "summary": summary.as_dict(),
    }
    _write_meta(meta_path, meta)
    return Dataset(path, clients, invoices, seed, seconds, True, generated_at, meta)
