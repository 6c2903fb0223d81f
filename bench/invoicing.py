"""Invoicing at scale: the receivables board over 1,000,000 invoices, and issuing under
concurrent writers. Run alone with `python -m bench.invoicing [--invoices N] [--writers W]`;
the functions return the figures for the `make bench` registry.

- `board_at_scale(n_invoices)`: a database with 100,000 clients and `n_invoices` invoices
  (about 10 % unpaid, generated with raw inserts), then the median time of opening the
  board (bucket totals, count, first page of 100) against the raw SQL aggregate of the
  same buckets, and of the summary (buckets, total billing, top defaulters) against the
  raw SQL of those three; as of today, and as of AS_OF, a past date, where both put the
  payments dated after it back (what was owed then). Target (ARCHITECTURE.md,
  "Targets"): board <= 1.5 x the raw aggregate.
- `issue_concurrently(writers, each)`: `writers` processes start together and each writes
  and issues `each` invoices into one database file (two transactions per invoice,
  `synchronous=FULL`); invoices per second, against one writer alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2026, 6, 30)
ISSUER = {
    "company.name": "Bench SL",
    "company.tax_id": "B12345674",
    "company.address": "Calle Mayor 1",
    "company.postal_code": "28001",
    "company.city": "Madrid",
}


def _open(path: Path) -> None:
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(str(path)))


def generate(path: Path, n_invoices: int, n_clients: int = 100_000, seed: int = 1) -> None:
    """Clients and issued invoices (paid, partly paid, unpaid) over six years, raw inserts."""
    from tui_crm.db import database

    _open(path)
    rnd = random.Random(seed)
    now = "2026-01-01 00:00:00"
    start = dt.date(2020, 1, 1)
    span = (AS_OF - start).days
    client_sql = (
        "INSERT INTO client (version, created_at, updated_at, updated_by, kind, status, "
        "is_company, legal_name, sort_name, tax_id, tax_id_country, tax_id_compact, trade_name, "
        "email, phone, mobile, fax, website, payment_days, payment_method, iban, vat_rate_bp, "
        "vat_exempt, exemption_reason, irpf_rate_bp, recargo, notes, revenue_total_cents, "
        "outstanding_cents) VALUES (1, ?, ?, 'bench', 'client', 'active', 1, ?, ?, ?, 'ES', ?, "
        "'', '', '', '', '', '', 30, 'transfer', '', 2100, 0, '', 0, 0, '', 0, 0)"
    )
    invoice_sql = (
        "INSERT INTO invoice (version, created_at, updated_at, updated_by, base_cents, vat_cents, "
        "recargo_cents, irpf_rate_bp, irpf_cents, total_cents, cost_cents, exemption_reason, "
        "kind, status, series, year, number, code, client_id, rectification_reason, "
        "rectification_mode, issue_date, due_date, paid_cents, outstanding_cents, payment_terms, "
        "notes, imported, client_name, client_tax_id, client_address, issuer_name, "
        "issuer_tax_id, issuer_address, created_by, issued_by) VALUES (1, ?, ?, 'bench', ?, ?, "
        "0, 0, 0, ?, 0, '', 'standard', ?, 'F', ?, ?, ?, ?, '', '', ?, ?, ?, ?, '', '', 0, ?, "
        "?, '', 'Bench SL', 'B12345674', '', 'bench', 'bench')"
    )

    def invoice(i: int) -> tuple:
        day = start + dt.timedelta(days=i * span // n_invoices)
        base = rnd.randint(1000, 500_000)
        total = base + base * 21 // 100
        unpaid = rnd.random() < (0.05 if (AS_OF - day).days > 365 else 0.4)
        paid = (0 if rnd.random() < 0.7 else total // 2) if unpaid else total
        status = "paid" if paid == total else ("issued" if paid == 0 else "partially_paid")
        client = rnd.randint(1, n_clients)
        return (now, now, base, total - base, total, status, day.year, i + 1,
                f"F{day.year}-{i + 1:07d}", client, day.isoformat(),
                (day + dt.timedelta(days=30)).isoformat(), paid, total - paid,
                f"Cliente {client}", f"B{client:08d}")  # fmt: skip

    with database.atomic():
        cursor = database.obj.cursor()
        cursor.executemany(
            client_sql,
            ((now, now, f"Cliente {i}", f"cliente {i}", f"B{i:08d}", f"B{i:08d}")
             for i in range(1, n_clients + 1)),
        )  # fmt: skip
        for first in range(0, n_invoices, 50_000):
            cursor.executemany(
                invoice_sql, [invoice(i) for i in range(first, min(n_invoices, first + 50_000))]
            )
    database.execute_sql("ANALYZE")


_BUCKETS = (
    "SELECT CASE WHEN due_date >= ? THEN 0 WHEN due_date >= ? THEN 1 WHEN due_date >= ? "
    "THEN 2 WHEN due_date >= ? THEN 3 ELSE 4 END AS b, COUNT(*), SUM(owed) "
    "FROM ({rows}) r WHERE owed <> 0 GROUP BY b"
)


def _later(as_of: dt.date, sqlite: bool) -> tuple[str, list[object]]:
    """What each invoice's payments after `as_of` changed (those dated after it and still
    standing, those dated by it and reversed after it), per invoice. On SQLite through
    m0021's covering index of allocations by payment, the one the board reads (the
    planner, going by the scale database's older statistics, would pick the narrower)."""
    from tui_crm.services import receivables as rv

    cover = " INDEXED BY payment_allocation_payment_cover" if sqlite else ""
    day = as_of.isoformat()
    sql = (
        "SELECT a.invoice_id, SUM(CASE WHEN p.reversed_at IS NULL THEN a.amount_cents "
        f"ELSE -a.amount_cents END) AS cents FROM payment p JOIN payment_allocation a{cover} "
        "ON a.payment_id = p.id WHERE (p.reversed_at IS NULL AND p.date > ?) "
        "OR (p.reversed_at >= ? AND p.date <= ?) GROUP BY a.invoice_id"
    )
    return sql, [day, rv.reversal_cutoff(as_of), day]


def as_of_raw(as_of: dt.date, sqlite: bool) -> tuple[str, list[object]]:
    """The raw SQL aggregate of the board's buckets as of a past day, with its parameters:
    what was owed then is today's unpaid invoices that no later payment touched, and the
    touched ones with those payments put back (the same rule as the service's)."""
    later, later_params = _later(as_of, sqlite)
    day = as_of.isoformat()
    unpaid = "outstanding_cents <> 0 AND status IN ('issued', 'partially_paid') AND issue_date <= ?"
    rows = (
        f"WITH adj AS ({later}) SELECT due_date, outstanding_cents AS owed FROM invoice "
        f"WHERE {unpaid} AND id NOT IN (SELECT invoice_id FROM adj) UNION ALL "
        "SELECT i.due_date, i.outstanding_cents + adj.cents FROM adj JOIN invoice i "
        "ON i.id = adj.invoice_id WHERE i.status NOT IN ('draft', 'voided') AND i.issue_date <= ?"
    )
    bounds = [(as_of - dt.timedelta(days=d)).isoformat() for d in (0, 30, 60, 90)]
    return _BUCKETS.format(rows=rows), [*bounds, *later_params, day, day]


def _median(fn, runs: int = 7) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def board_at_scale(n_invoices: int = 1_000_000, path: Path | None = None) -> dict[str, float]:
    """Board and summary against the raw SQL (see the module docstring), as of today and as
    of AS_OF (a past date: the payments made after it are put back)."""
    from tui_crm.db import database, execute
    from tui_crm.services import receivables as rv

    path = path or Path(tempfile.mkdtemp(prefix="bench-board-")) / "board.sqlite3"
    if not path.exists():
        generate(path, n_invoices)
    else:
        _open(path)
    unpaid = "outstanding_cents <> 0 AND status IN ('issued', 'partially_paid') AND issue_date <= ?"
    raw_buckets, as_of_params = as_of_raw(AS_OF, sqlite=True)
    later, later_params = _later(AS_OF, sqlite=True)
    day = AS_OF.isoformat()
    flt = rv.ReceivablesFilter(as_of=AS_OF)
    today = dt.date.today()
    today_bounds = [(today - dt.timedelta(days=d)).isoformat() for d in (0, 30, 60, 90)]

    def raw() -> None:
        execute(raw_buckets, as_of_params).fetchall()

    def raw_today() -> None:
        sql = _BUCKETS.format(
            rows=f"SELECT due_date, outstanding_cents AS owed FROM invoice WHERE {unpaid}"
        )
        execute(sql, [*today_bounds, today.isoformat()]).fetchall()

    def board() -> None:
        rv.forget_as_of()  # the first open of the board for that date: nothing reused
        buckets = rv.bucket_totals(flt)
        sum(b.count for b in buckets)  # the LazyTable's count
        rv.list_receivables(flt, 0, 100)

    def board_today() -> None:
        now = rv.ReceivablesFilter()
        buckets = rv.bucket_totals(now)
        sum(b.count for b in buckets)
        rv.list_receivables(now, 0, 100)

    def raw_summary() -> None:
        raw()
        execute(
            "SELECT SUM(total_cents) FROM invoice WHERE status <> 'draft' AND issue_date <= ?",
            (day,),
        ).fetchone()
        execute(
            f"WITH adj AS ({later}) SELECT client_id, SUM(owed), COUNT(*), MIN(due_date) FROM ("
            "SELECT client_id, due_date, outstanding_cents AS owed FROM invoice "
            f"WHERE {unpaid} AND id NOT IN (SELECT invoice_id FROM adj) UNION ALL "
            "SELECT i.client_id, i.due_date, i.outstanding_cents + adj.cents FROM adj "
            "JOIN invoice i ON i.id = adj.invoice_id WHERE i.status NOT IN ('draft', 'voided') "
            "AND i.issue_date <= ?) WHERE owed <> 0 AND due_date < ? GROUP BY client_id "
            "HAVING SUM(owed) > 0 ORDER BY 2 DESC LIMIT 10",
            [*later_params, day, day, day],
        ).fetchall()

    def summary() -> None:
        rv.forget_as_of()
        rv.receivables_summary(flt)

    with database.connection_context():
        figures = {"raw_aggregate_s": _median(raw), "board_open_s": _median(board)}
        figures["raw_today_s"] = _median(raw_today)
        figures["board_today_s"] = _median(board_today)
        figures["raw_summary_s"] = _median(raw_summary, 3)
        figures["summary_s"] = _median(summary, 3)
    figures["board_ratio"] = figures["board_open_s"] / figures["raw_aggregate_s"]
    figures["summary_ratio"] = figures["summary_s"] / figures["raw_summary_s"]
    return figures


_WORKER = """
import sys
from decimal import Decimal
from tui_crm.config import DatabaseTarget
from tui_crm.services.startup import open_for_use
from tui_crm.services import invoices
from tui_crm.services.lines import LineInput
open_for_use(DatabaseTarget(sys.argv[1]))
client_id, count = int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for n in range(count):
    draft = invoices.create_draft(invoices.InvoiceDraftInput(
        client_id=client_id, lines=[LineInput("Trabajo", Decimal(1), Decimal("10.00"))]))
    invoices.issue_invoice(draft)
"""


def issue_concurrently(writers: int = 4, each: int = 250) -> dict[str, float]:
    """Invoices issued per second by `writers` processes at once, and by one alone."""
    from tui_crm.db import close_database
    from tui_crm.services import clients, settings

    def run(n_writers: int, count: int) -> float:
        path = Path(tempfile.mkdtemp(prefix="bench-issue-")) / "issue.sqlite3"
        _open(path)
        settings.set_many(ISSUER)
        client_id = clients.create_client(
            clients.ClientInput(legal_name="Cliente SL", tax_id="A58818501", kind="client")
        )
        close_database()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(path), str(client_id), str(count)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(n_writers)
        ]
        for proc in procs:
            proc.stdout.readline()  # every writer is open and waiting
        started = time.perf_counter()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError("a writer failed")
        return n_writers * count / (time.perf_counter() - started)

    concurrent = run(writers, each)
    alone = run(1, writers * each)
    return {"invoices_per_s": concurrent, "alone_invoices_per_s": alone,
            "ratio_to_alone": concurrent / alone}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.invoicing")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--db", type=Path, help="reuse (or create) this board database")
    args = parser.parse_args()
    board = board_at_scale(args.invoices, args.db)
    print(
        f"receivables board, {args.invoices:,} invoices: open {board['board_open_s'] * 1000:.0f} ms"
        f" vs raw aggregate {board['raw_aggregate_s'] * 1000:.0f} ms = "
        f"{board['board_ratio']:.2f}x (target <= 1.5x); summary "
        f"{board['summary_s'] * 1000:.0f} ms vs raw {board['raw_summary_s'] * 1000:.0f} ms = "
        f"{board['summary_ratio']:.2f}x"
    )
    issue = issue_concurrently(args.writers)
    print(
        f"issuing, {args.writers} concurrent writers: {issue['invoices_per_s']:.0f} invoices/s "
        f"(one writer alone {issue['alone_invoices_per_s']:.0f}/s)"
    )


if __name__ == "__main__":
    main()
