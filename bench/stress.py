"""Many processes, one database file: mixed work at once, then the invariants.

`run_stress(db_path, seconds)` prepares a database, starts one process per kind
of work (edit clients, add timeline entries, issue invoices twice over, register
payments, import client files) for `seconds`, then checks what must hold:
nothing refused with "database is locked", no lost update, invoice numbers
gapless and unique per series and year, payments adding up, every imported
client there, `PRAGMA integrity_check` clean. Used by the short test in
`make test` and the long run in `make bench` (operations per second).

A worker is `python -m bench.stress worker KIND DB SECONDS SEED`; it prints one
JSON line with what it did.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

KINDS = ("edit", "timeline", "issue", "issue", "pay", "import")


def _dni(number: int) -> str:
    return f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


# --- set-up --------------------------------------------------------------------


def prepare(db_path: Path, clients: int = 40) -> None:
    """A database with the business's data and clients with valid tax IDs."""
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import clients as client_service
    from tui_crm.services import settings
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(str(db_path)))
    settings.set_many(
        {
            "company.name": "Estrés y Carga SL",
            "company.tax_id": "B12345674",
            "company.address": "Calle Mayor 1",
            "company.postal_code": "28001",
            "company.city": "Madrid",
        }
    )
    for i in range(clients):
        client_service.create_client(
            client_service.ClientInput(
                legal_name=f"Cliente {i:03d}", kind="client", tax_id=_dni(10_000_000 + i)
            ),
            client_service.AddressInput(line1="Calle 1", postal_code="28001", city="Madrid"),
        )
    close_database()


# --- workers -------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    done: int = 0
    refused: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    tags: list[list[object]] = field(default_factory=list)  # edit: [client_id, tag]
    imported: int = 0


def _client_ids() -> list[int]:
    from tui_crm.db import execute

    return [r[0] for r in execute("SELECT id FROM client WHERE status = 'active' ORDER BY id")]


def _edit(rng: random.Random, out: Outcome, worker: str) -> None:
    from dataclasses import replace

    from tui_crm.services import clients
    from tui_crm.services.errors import ConflictError

    client_id = rng.choice(_client_ids())
    tag = f"{worker}-{out.done}"
    for _attempt in range(20):
        detail = clients.get_client(client_id)
        data = replace(detail.data, notes=(detail.data.notes + " " + tag).strip())
        try:
            clients.update_client(client_id, data, detail.version)
        except ConflictError:
            out.conflicts += 1  # someone saved first: reload and apply ours on top
            continue
        out.tags.append([client_id, tag])
        out.done += 1
        return
    out.refused += 1


def _timeline(rng: random.Random, out: Outcome, worker: str) -> None:
    from tui_crm.services import timeline

    client_id = rng.choice(_client_ids())
    due = dt.date.today() + dt.timedelta(days=rng.randint(-5, 20)) if rng.random() < 0.3 else None
    timeline.create_activity(
        client_id,
        timeline.ActivityData(
            kind=rng.choice(("call", "note", "meeting", "email", "task")),
            subject=f"Stress {worker} {out.done}",
            body="Llamada de seguimiento",
            due_date=due,
        ),
    )
    out.done += 1


def _issue(rng: random.Random, out: Outcome, worker: str) -> None:
    from tui_crm.services import invoices
    from tui_crm.services.lines import LineInput

    client_id = rng.choice(_client_ids())
    lines = [
        LineInput(
            description=f"Servicio {n}",
            quantity=Decimal(rng.randint(1, 5)),
            unit_price=Decimal(rng.randint(1000, 50000)) / 100,
            vat_rate=Decimal(rng.choice((21, 10, 4))),
        )
        for n in range(rng.randint(1, 3))
    ]
    draft = invoices.create_draft(invoices.InvoiceDraftInput(client_id=client_id, lines=lines))
    invoices.issue_invoice(draft, dt.date.today())
    out.done += 1


def _pay(rng: random.Random, out: Outcome, worker: str) -> None:
    from tui_crm.services import payments
    from tui_crm.services.errors import ServiceError

    client_id = rng.choice(_client_ids())
    open_ = payments.open_invoices(client_id)
    if not open_:
        time.sleep(0.01)
        return
    invoice = rng.choice(open_)
    amount = min(invoice.outstanding, Decimal(rng.randint(100, 40000)) / 100)
    try:
        payments.register_payment(
            client_id,
            dt.date.today(),
            amount,
            reference=f"{worker}-{out.done}",
            allocations=[(invoice.id, amount)],
        )
    except ServiceError:
        out.refused += 1  # paid meanwhile by someone else: refused, never over-paid
        return
    out.done += 1


def _import(rng: random.Random, out: Outcome, worker: str) -> None:
    from tui_crm.imports.clients import import_clients

    rows = 25
    base = 50_000_000 + int(worker.split("-")[-1]) * 1_000_000 + out.done * rows
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Razón social", "NIF", "Email", "Población"])
        for n in range(rows):
            writer.writerow(
                [f"Importada {base + n}", _dni(base + n), f"c{base + n}@example.es", "Sevilla"]
            )
        path = fh.name
    try:
        report = import_clients(path)
    finally:
        os.unlink(path)
    out.imported += report.created
    out.done += 1


WORK = {"edit": _edit, "timeline": _timeline, "issue": _issue, "pay": _pay, "import": _import}


def worker(kind: str, db_path: str, seconds: float, seed: int) -> Outcome:
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.errors import RuleViolation, ServiceError
    from tui_crm.services.startup import open_for_use

    out = Outcome(kind=kind)
    name = f"{kind}-{seed}"
    open_for_use(DatabaseTarget(db_path))
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            WORK[kind](rng, out, name)
        except RuleViolation as exc:
            out.refused += 1
            if "locked" in str(exc).lower():
                out.errors.append(str(exc))
        except ServiceError as exc:
            out.refused += 1
            if "locked" in str(exc).lower():
                out.errors.append(str(exc))
        except Exception as exc:  # "database is locked" or anything else reaching a user
            out.errors.append(f"{type(exc).__name__}: {exc}")
            if len(out.errors) > 20:
                break
    return out


# --- the whole run and its checks ----------------------------------------------


@dataclass
class StressResult:
    seconds: float
    outcomes: list[Outcome]
    problems: list[str]

    @property
    def operations(self) -> int:
        return sum(o.done for o in self.outcomes)

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


def check(db_path: Path, outcomes: list[Outcome]) -> list[str]:
    problems: list[str] = []
    for o in outcomes:
        problems.extend(f"{o.kind}: {e}" for e in o.errors)
    conn = sqlite3.connect(db_path)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        for series, year, count, low, high, distinct in conn.execute(
            "SELECT series, year, COUNT(*), MIN(number), MAX(number), COUNT(DISTINCT number) "
            "FROM invoice WHERE number IS NOT NULL GROUP BY series, year"
        ):
            if not (low == 1 and high == count == distinct):
                problems.append(
                    f"numbering of {series}{year}: {count} invoices, {distinct} distinct, "
                    f"from {low} to {high}"
                )
            last = conn.execute(
                "SELECT last_number FROM series_counter WHERE series = ? AND year = ?",
                (series, year),
            ).fetchone()
            if last is None or last[0] != high:
                problems.append(f"counter of {series}{year} is {last}, highest number {high}")
        issued = sum(o.done for o in outcomes if o.kind == "issue")
        on_file = conn.execute("SELECT COUNT(*) FROM invoice WHERE number IS NOT NULL").fetchone()
        if on_file[0] != issued:
            problems.append(f"{issued} invoices issued by the workers, {on_file[0]} on file")
        notes = dict(conn.execute("SELECT id, notes FROM client"))
        for o in outcomes:
            for client_id, tag in o.tags:
                if str(tag) not in (notes.get(client_id) or "").split():
                    problems.append(f"lost update: {tag} missing from client {client_id}")
        activities = sum(o.done for o in outcomes if o.kind == "timeline")
        subjects = conn.execute(
            "SELECT COUNT(*) FROM activity WHERE subject LIKE 'Stress %'"
        ).fetchone()[0]
        if subjects != activities:
            problems.append(f"{activities} activities added, {subjects} on file")
        for invoice_id, total, paid, outstanding, allocated in conn.execute(
            "SELECT i.id, i.total_cents, i.paid_cents, i.outstanding_cents, "
            "(SELECT COALESCE(SUM(a.amount_cents), 0) FROM payment_allocation a "
            " JOIN payment p ON p.id = a.payment_id "
            " WHERE a.invoice_id = i.id AND p.reversed_at IS NULL) "
            "FROM invoice i WHERE i.number IS NOT NULL"
        ):
            if paid + outstanding != total or paid != allocated or outstanding < 0:
                problems.append(
                    f"invoice {invoice_id}: total {total}, paid {paid}, outstanding "
                    f"{outstanding}, allocated {allocated}"
                )
        imported = sum(o.imported for o in outcomes)
        on_file = conn.execute(
            "SELECT COUNT(*) FROM client WHERE legal_name LIKE 'Importada %'"
        ).fetchone()[0]
        if on_file != imported:
            problems.append(f"{imported} clients imported, {on_file} on file")
    finally:
        conn.close()
    return problems


def run_stress(
    db_path: Path, seconds: float = 4.0, env: dict[str, str] | None = None
) -> StressResult:
    prepare(db_path)
    root = Path(__file__).resolve().parent.parent
    env = dict(env or os.environ)
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.stress",
                "worker",
                kind,
                str(db_path),
                str(seconds),
                str(n),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=root,
        )
        for n, kind in enumerate(KINDS)
    ]
    outcomes = []
    problems = []
    for proc, kind in zip(procs, KINDS, strict=True):
        stdout, stderr = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0 or not stdout.strip():
            problems.append(f"{kind} worker failed ({proc.returncode}): {stderr.strip()[-500:]}")
            continue
        outcomes.append(Outcome(**json.loads(stdout.strip().splitlines()[-1])))
    elapsed = time.monotonic() - started
    problems.extend(check(db_path, outcomes))
    return StressResult(elapsed, outcomes, problems)


def main(argv: list[str]) -> int:
    if argv[:1] == ["worker"]:
        kind, db_path, seconds, seed = argv[1], argv[2], float(argv[3]), int(argv[4])
        out = worker(kind, db_path, seconds, seed)
        print(json.dumps(out.__dict__))
        return 0
    seconds = float(argv[0]) if argv else 10.0
    with tempfile.TemporaryDirectory() as tmp:
        result = run_stress(Path(tmp) / "stress.sqlite3", seconds)
    for o in result.outcomes:
        print(f"{o.kind:9} done {o.done:6}  refused {o.refused:4}  conflicts {o.conflicts:4}")
    print(f"{result.operations} operations in {result.seconds:.1f} s: {result.per_second:.0f}/s")
    for p in result.problems:
        print("PROBLEM:", p)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
