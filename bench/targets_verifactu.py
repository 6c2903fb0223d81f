"""VERI*FACTU at scale (issue 13): what the records cost where invoices are issued, and
`tui-crm check` over the scale database's chain.

- issuing with records against issuing without them, one writer alone and four writers at
  once (separate processes on one database file, `synchronous=FULL`, as colleagues on one
  server): seconds per issued invoice, the ratio is the records' cost. Target: ≤ 1.5 ×.
- `verifactu.verify_chain()` (every hash recomputed from the columns and from the XML, the
  chain, every invoice against its record) over the scale database's records (the demo
  business turned VERI*FACTU on `demo.VERIFACTU_DAYS` days before), against raw
  SQL reading the same rows. Informational, with the cost per record in the note.

Run alone: `.venv/bin/python -m bench -k verifactu` (BENCH_CLIENTS / BENCH_INVOICES shrink
the dataset for a quick run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .registry import Context, Result, register

EACH = int(os.environ.get("BENCH_VERIFACTU_EACH", "60"))  # invoices per writer
ISSUER = {
    "company.name": "Bench SL",
    "company.tax_id": "B12345674",
    "company.address": "Calle Mayor 1",
    "company.postal_code": "28001",
    "company.city": "Madrid",
}

_WORKER = """
import sys
from decimal import Decimal
from tui_crm.config import DatabaseTarget
from tui_crm.services.startup import open_for_use
from tui_crm.services import invoices
from tui_crm.services.lines import LineInput
open_for_use(DatabaseTarget(sys.argv[1]))
client_id, count = int(sys.argv[2]), int(sys.argv[3])
drafts = [
    invoices.create_draft(invoices.InvoiceDraftInput(
        client_id=client_id,
        lines=[LineInput("Trabajo", Decimal(1), Decimal("10.00")),
               LineInput("Material", Decimal(2), Decimal("4.50"), vat_rate=Decimal(10))]))
    for _ in range(count)
]
print("ready", flush=True)
sys.stdin.readline()
for draft in drafts:
    invoices.issue_invoice(draft)
"""


def _seconds_per_invoice(writers: int, each: int, records: bool) -> float:
    """Wall-clock seconds per issued invoice with `writers` processes issuing at once."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import clients, settings
    from tui_crm.services.startup import open_for_use

    path = Path(tempfile.mkdtemp(prefix="bench-verifactu-")) / "issue.sqlite3"
    open_for_use(DatabaseTarget(str(path)))
    settings.set_many({**ISSUER, "verifactu.enabled": "yes" if records else "no"})
    client_id = clients.create_client(
        clients.ClientInput(legal_name="Cliente SL", tax_id="A58818501", kind="client")
    )
    close_database()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), str(client_id), str(each)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    for proc in procs:
        proc.stdout.readline()  # every writer has its drafts and waits
    started = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError("a writer failed")
    return (time.perf_counter() - started) / (writers * each)


@register(order=56)
def verifactu_issuing(ctx: Context) -> list[Result]:
    results = []
    for writers in (1, 4):
        each = EACH * 4 // writers  # the same number of invoices either way
        # Without and with records take turns (the best of two each), so that a shared
        # host slowing down or speeding up during the run weighs on both alike.
        rounds = [
            (_seconds_per_invoice(writers, each, False), _seconds_per_invoice(writers, each, True))
            for _ in range(2)
        ]
        without = min(plain for plain, _recorded in rounds)
        with_records = min(recorded for _plain, recorded in rounds)
        results.append(
            Result(
                with_records,
                without,
                f"issuing with VERI*FACTU records, {writers} writer{'s' if writers > 1 else ''} "
                f"({writers * each} invoices)",
                "≤ 1.5 × issuing without records",
                max_ratio=1.5,
                note=f"{1 / with_records:.0f} invoices/s with records, "
                f"{1 / without:.0f}/s without (seconds per invoice shown)",
            )
        )
    return results


@register(order=57)
def verifactu_check(ctx: Context) -> Result:
    from tui_crm.db import execute
    from tui_crm.services import verifactu

    ctx.open()
    count = execute("SELECT COUNT(*) FROM verifactu_record").fetchone()[0]
    findings = []

    def check() -> None:
        findings[:] = verifactu.verify_chain()

    def raw() -> None:
        execute(
            "SELECT r.id, r.sequence, r.record_type, r.issuer_nif, r.invoice_number, "
            "r.issue_date, r.invoice_type, r.vat_total, r.total, r.previous_hash, r.hash, "
            "r.generated_at, r.xml, i.code, i.base_cents, i.vat_cents, i.recargo_cents "
            "FROM verifactu_record r JOIN invoice i ON i.id = r.invoice_id "
            "ORDER BY r.issuer_nif, r.sequence"
        ).fetchall()

    measured = ctx.measure(check, repeat=3, warmup=1)
    reference = ctx.measure(raw, repeat=3, warmup=1)
    errors = [f.message for f in findings if f.level != "ok"]
    if errors:
        raise AssertionError("; ".join(errors[:3]))
    per_record = measured / count * 1e6 if count else 0.0
    return Result(
        measured,
        reference,
        f"check over the VERI*FACTU chain ({count:,} records, {ctx.invoices:,} invoices)",
        "informational (vs reading the same rows with raw SQL)",
        note=f"{per_record:.0f} µs per record: hashes from the columns and from the XML, "
        "the chain, the invoices against their records",
    )
