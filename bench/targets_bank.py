"""Bank reconciliation at scale: a Norma 43 statement of 10,000 lines imported and matched
against the dataset's open invoices (1,000,000 invoices at the scale case), its sure
matches accepted as payments (target: under 5 s).

The statement is written with `csb43` from the dataset itself (a fixed seed): 40 % of its
lines quote an invoice number with the exact amount, 15 % pay part of a quoted invoice,
15 % name the client (a SEPA transfer's originator) with one or two of its invoices'
amounts, 10 % quote the client's IBAN, 10 % carry the amount alone, 10 % match nothing
(interest, charges). The import runs in a transaction rolled back after each repetition,
so the cached dataset is never changed. References measured in the same run: reading
the file alone (`csb43`), and the dry run (reading and matching, nothing written).

Run alone: `python -m bench -k reconcile`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import tempfile
from pathlib import Path

from .registry import Context, Result, register

LINES = 10_000


def _statement(path: Path, seed: int = 43) -> dict[str, int]:
    """Write the statement (see the module doc); returns how many lines of each kind."""
    from decimal import Decimal

    from csb43 import aeb43
    from csb43.aeb43.record.context import Aeb43Context

    from tui_crm.db import execute

    rng = random.Random(seed)
    rows = execute(
        "SELECT i.id, i.code, i.client_id, i.outstanding_cents, c.legal_name, c.iban "
        "FROM invoice i JOIN client c ON c.id = i.client_id "
        "WHERE i.outstanding_cents > 0 AND i.status IN ('issued', 'partially_paid') "
        "ORDER BY i.id"
    ).fetchall()
    rng.shuffle(rows)
    by_client: dict[int, list[tuple]] = {}
    for row in rows:
        by_client.setdefault(row[2], []).append(row)
    with_iban = [r for r in rows if r[5]]
    pool = itertools.cycle(rows)  # a small dataset repeats invoices: later lines find less
    kinds = {"code": 0, "partial": 0, "name": 0, "iban": 0, "amount": 0, "noise": 0}
    day = dt.date.today() - dt.timedelta(days=3)
    with Aeb43Context(strict=False, silent=True).scope():
        batch = aeb43.Batch()
        account = aeb43.Account(
            bank_code="2100",
            branch_code="4521",
            account_number="0200051332",
            currency="EUR",
            short_name="BENCH",
            information_mode=3,
            initial_balance=Decimal("0"),
        )
        batch.accounts.append(account)
        for number in range(LINES):
            draw = rng.random()
            texts: list[str] = []
            originator = ""
            if draw < 0.40:
                kind, row = "code", next(pool)
                cents = row[3]
                texts = ["TRANSFERENCIA RECIBIDA", f"PAGO FRA {row[1]}"]
            elif draw < 0.55:
                kind, row = "partial", next(pool)
                cents = max(1, row[3] // 2)
                texts = ["TRANSFERENCIA RECIBIDA", f"A CUENTA {row[1]}"]
            elif draw < 0.70:
                kind, row = "name", next(pool)
                mine = by_client.get(row[2], [row])[:2]
                cents = sum(r[3] for r in mine)
                originator = row[4]
            elif draw < 0.80 and with_iban:
                kind, row = "iban", with_iban[rng.randrange(len(with_iban))]
                cents = row[3]
                texts = ["INGRESO", row[5].replace(" ", "")]
            elif draw < 0.90:
                kind, row = "amount", next(pool)
                cents = row[3]
                texts = ["INGRESO EN CAJERO"]
            else:
                kind, cents = "noise", rng.randrange(100, 50_000)
                texts = ["LIQUIDACION INTERESES"]
            kinds[kind] += 1
            t = aeb43.Transaction(
                transaction_date=day,
                value_date=day,
                shared_item=2,
                own_item=0,
                amount=Decimal(cents) / 100,
                document_number=f"{number:010d}",
                reference1="0" * 12,
                reference2="",
            )
            if originator:
                t.sepa_transfer = aeb43.SepaTransfer.new()
                t.sepa_transfer.originator_name = originator[:66]
                t.sepa_transfer.remitance_information = "PAGO FACTURAS"
            else:
                for start in range(0, len(texts), 2):
                    pair = [*texts[start : start + 2], ""][:2]
                    t.optional_items.append(aeb43.Item(item1=pair[0][:38], item2=pair[1][:38]))
            account.transactions.append(t)
        account.initial_date = account.final_date = day
        account.close()
        batch.close()
        path.write_bytes(batch.dump() + b"\n")
    return kinds


@register(order=80, name="reconcile a bank statement")
def reconcile_statement(ctx: Context) -> list[Result]:
    from tui_crm.db import database
    from tui_crm.services import bank

    ctx.open()
    with tempfile.TemporaryDirectory(prefix="tui-crm-bench-") as directory:
        path = Path(directory) / "extracto.n43"
        kinds = _statement(path)
        outcome: dict[str, dict[str, int]] = {}

        def import_and_roll_back(accept_sure: bool) -> None:
            with database.atomic() as transaction:
                report = bank.import_statement(path, accept_sure=accept_sure)
                outcome[str(accept_sure)] = {
                    "sure": report.sure,
                    "accepted": report.accepted,
                    "pending": report.pending,
                }
                transaction.rollback()

        measured = ctx.measure(lambda: import_and_roll_back(False), repeat=3, warmup=1)
        reading = ctx.measure(lambda: bank.read_statement(path), repeat=3, warmup=0)
        accepting = ctx.measure(lambda: import_and_roll_back(True), repeat=1, warmup=0)
    stored = outcome.get("False", {})
    accepted = outcome.get("True", {}).get("accepted", 0)
    note = (
        f"{stored.get('sure', 0):,} sure matches, {stored.get('pending', 0):,} lines stored for "
        "review; lines: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items())
    )
    return [
        Result(
            measured,
            reading,
            f"reconcile {LINES:,} bank lines against {ctx.invoices:,} invoices",
            "< 5 s (reference: reading the file)",
            max_seconds=5.0,
            note=note,
        ),
        Result(
            accepting,
            measured,
            f"... and accept its {accepted:,} sure matches as payments",
            "informational (reference: the import)",
        ),
    ]
