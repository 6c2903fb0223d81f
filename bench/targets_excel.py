"""Excel at scale (ARCHITECTURE.md, "Targets"): the invoice export and the client import.

- `xlsx export`: every invoice of the dataset (1,000,000 at the scale case) through
  `tui-crm export invoices`'s code path, against bare xlsxwriter writing the same rows
  from the same cursor (typed write calls, constant_memory, a date format, nothing else).
  Each runs in its own process so its peak RSS is its own; target ≤ 1.2 × and < 100 MB.
- `client import`: 10,000 clients from an .xlsx (15 columns, as people have them) into a
  fresh database, against openpyxl (read-only) reading the same file.

Run alone: `python -m bench -k xlsx` / `-k import`.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .registry import Context, Result, register

IMPORT_CLIENTS = 10_000
MAX_RSS_MB = 100

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, db_path, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
from tui_crm.config import DatabaseTarget
from tui_crm.services.startup import open_for_use
from tui_crm.db import execute, read_snapshot
open_for_use(DatabaseTarget(db_path))
started = time.perf_counter()
with read_snapshot():
    if mode == "ours":
        from tui_crm.services.lists import export_list
        rows = export_list("invoices", out).rows
    else:
        import datetime as dt
        import xlsxwriter
        from tui_crm.services.lists import invoice_filter
        from tui_crm.services.invoices import invoice_where
        where, params = invoice_where(invoice_filter({}))
        cursor = execute(
            "SELECT i.code, i.series, i.kind, i.status, i.issue_date, i.due_date, "
            "CASE WHEN i.status = 'draft' THEN c.legal_name ELSE i.client_name END, "
            "CASE WHEN i.status = 'draft' THEN c.tax_id ELSE i.client_tax_id END, "
            "i.base_cents, i.vat_cents, i.recargo_cents, i.irpf_cents, i.total_cents, "
            "i.paid_cents, i.outstanding_cents "
            f"FROM invoice i JOIN client c ON c.id = i.client_id WHERE {where} "
            "ORDER BY i.issue_date DESC, i.id DESC",
            params,
        )
        book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
        sheet = book.add_worksheet()
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        text, number, date = sheet.write_string, sheet.write_number, sheet.write_datetime
        rows = 0
        for r, row in enumerate(cursor, 1):
            text(r, 0, row[0] or "")
            text(r, 1, row[1])
            text(r, 2, row[2])
            text(r, 3, row[3])
            if row[4]:
                date(r, 4, dt.date.fromisoformat(row[4]), day)
            if row[5]:
                date(r, 5, dt.date.fromisoformat(row[5]), day)
            text(r, 6, row[6] or "")
            text(r, 7, row[7] or "")
            for col in range(8, 15):
                number(r, col, row[col] / 100)
            rows += 1
        book.close()
elapsed = time.perf_counter() - started
# VmHWM is this program's own peak: ru_maxrss would also count the parent's memory
# that the fork copied before exec (the bench process holds the generated dataset).
try:
    status = Path("/proc/self/status").read_text()
    rss_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb, "rows": rows}))
"""


def _export_run(mode: str, ctx: Context, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(ctx.db_path), str(out)],
        capture_output=True,
        text=True,
        env=ctx.env(),
        check=True,
        timeout=3600,
    )
    out.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@register(order=70, name="xlsx export")
def xlsx_export(ctx: Context) -> Result:
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    repeat = max(1, min(ctx.repeat, int(os.environ.get("BENCH_EXPORT_REPEAT", "2"))))
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as tmp:
        for _n in range(repeat):  # alternate, so both see the same machine
            for mode in ("bare", "ours"):
                runs[mode].append(_export_run(mode, ctx, Path(tmp) / f"{mode}.xlsx"))
    ours = statistics.median(r["seconds"] for r in runs["ours"])
    bare = statistics.median(r["seconds"] for r in runs["bare"])
    rss = max(r["rss_mb"] for r in runs["ours"])
    bare_rss = max(r["rss_mb"] for r in runs["bare"])
    rows = runs["ours"][0]["rows"]
    return Result(
        ours,
        bare,
        f"xlsx export of {rows:,} invoice rows",
        f"≤ 1.2 × bare xlsxwriter, < {MAX_RSS_MB} MB RSS",
        max_ratio=1.2,
        # Over the memory limit is a miss whatever the time: 0 s cannot be met.
        max_seconds=None if rss < MAX_RSS_MB else 0.0,
        note=f"peak RSS {rss:.0f} MB (bare xlsxwriter {bare_rss:.0f} MB)",
    )


# --- client import --------------------------------------------------------------------

_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CITIES = (
    ("28001", "Madrid", "Madrid"),
    ("08001", "Barcelona", "Barcelona"),
    ("41001", "Sevilla", "Sevilla"),
    ("46001", "València", "Valencia"),
    ("26001", "Logroño", "La Rioja"),
    ("15001", "A Coruña", "A Coruña"),
)


def write_client_file(path: Path, count: int = IMPORT_CLIENTS) -> Path:
    """An .xlsx of `count` distinct, valid clients with Spanish headers."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Clientes")
    sheet.write_row(
        0,
        0,
        [
            "Razón social",
            "Nombre comercial",
            "CIF/NIF",
            "Email",
            "Teléfono",
            "Móvil",
            "Dirección",
            "CP",
            "Población",
            "Provincia",
            "País",
            "Web",
            "Contacto",
            "Días de pago",
            "Observaciones",
        ],
    )
    for i in range(1, count + 1):
        dni = 10_000_000 + i * 37
        postal, city, province = _CITIES[i % len(_CITIES)]
        sheet.write_row(
            i,
            0,
            [
                f"Comercial Núñez {i} S.L.",
                f"Núñez {i}",
                f"{dni}{_LETTERS[dni % 23]}",
                f"administracion{i}@nunez{i}.es",
                f"91{i % 10} {i % 1000:03d} {i % 997:03d}",
                f"6{i % 10}0 {i % 1000:03d} {i % 991:03d}",
                f"Calle de Alcalá {i % 300 + 1}, {i % 9 + 1}º",
                postal,
                city,
                province,
                "España",
                f"www.nunez{i}.es",
                f"María José Peña {i}",
                30 + (i % 3) * 30,
                "Cliente importado del programa anterior",
            ],
        )
    book.close()
    return path


def openpyxl_read(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows


@register(order=75, name="client import")
def client_import(ctx: Context) -> Result:
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.imports.clients import import_clients
    from tui_crm.services.startup import open_for_use

    repeat = max(5, min(ctx.repeat, 7))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        source = write_client_file(Path(tmp) / "clientes.xlsx")
        # The reference and the import take turns, so that a machine that slows down or
        # speeds up during the run (a shared host) weighs on both alike.
        references, times = [], []
        for n in range(repeat + 1):
            # Each timed part starts with no garbage pending: a full collection of this
            # process's heap (all the bench has loaded) would otherwise land in whichever
            # part crossed the collector's threshold, a reference round now and then.
            gc.collect()
            started = time.perf_counter()
            openpyxl_read(source)
            reference_time = time.perf_counter() - started
            close_database()
            open_for_use(DatabaseTarget(str(Path(tmp) / f"fresh-{n}.sqlite3")))
            gc.collect()
            started = time.perf_counter()
            report = import_clients(source)
            elapsed = time.perf_counter() - started
            if report.created != IMPORT_CLIENTS:
                raise AssertionError(f"imported {report.created} clients: {report.lines()[:3]}")
            if n:  # the first round warms up
                references.append(reference_time)
                times.append(elapsed)
        close_database()
        reference = statistics.median(references)
    ctx.open()
    return Result(
        statistics.median(times),
        reference,
        f"import {IMPORT_CLIENTS:,} clients from .xlsx",
        "≤ 1.5 × openpyxl reading the file",
        max_ratio=1.5,
        note="ratio of each round: "
        + "  ".join(f"{t / r:.2f}" for t, r in zip(times, references, strict=True)),
    )
