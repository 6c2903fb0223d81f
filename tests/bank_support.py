"""Norma 43 statements written by the tests with the `csb43` library (never by hand).

`statement(lines, ...)` returns the bytes of a complete file: one account (header 11),
its lines (22, with optional concept items 23 or a SEPA transfer / direct debit record
set), the account's closing record (33) and the end of file (88), totals computed by
the library. A line is a `Movement`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


@dataclass
class Movement:
    date: dt.date
    amount: str  # "1210.00" credit, "-50.00" charge
    items: list[str] = field(default_factory=list)  # free concept texts, two per record 23
    shared_item: int = 2  # 02 ABONARES - ENTREGAS - INGRESOS; 14 returns
    reference2: str = ""
    transfer_from: str = ""  # a SEPA transfer: the originator's name
    transfer_text: str = ""  # ... and its remittance information
    debit: dict[str, str] | None = None  # a SEPA direct debit record set (for returns)
    document: int = 0


def statement(
    movements: list[Movement],
    *,
    account: str = "0200051332",
    bank: str = "2100",
    branch: str = "4521",
    opening: str = "1000.00",
) -> bytes:
    from csb43 import aeb43
    from csb43.aeb43.record.context import Aeb43Context

    with Aeb43Context(strict=False, silent=True).scope():
        batch = aeb43.Batch()
        acc = aeb43.Account(
            bank_code=bank,
            branch_code=branch,
            account_number=account,
            currency="EUR",
            short_name="NEXO LEVANTE",
            information_mode=3,
            initial_balance=Decimal(opening),
        )
        batch.accounts.append(acc)
        for m in movements:
            t = aeb43.Transaction(
                transaction_date=m.date,
                value_date=m.date,
                shared_item=m.shared_item,
                own_item=0,
                amount=Decimal(m.amount),
                document_number=f"{m.document:010d}",
                reference1="0" * 12,
                reference2=m.reference2,
            )
            if m.transfer_from or m.transfer_text:
                t.sepa_transfer = aeb43.SepaTransfer.new()
                t.sepa_transfer.originator_name = m.transfer_from
                t.sepa_transfer.remitance_information = m.transfer_text
            elif m.debit is not None:
                t.sepa_debit = aeb43.SepaDebit.new()
                for key, value in m.debit.items():
                    setattr(t.sepa_debit, key, value)
            else:
                texts = list(m.items)
                for start in range(0, len(texts), 2):
                    pair = [*texts[start : start + 2], ""][:2]
                    t.optional_items.append(aeb43.Item(item1=pair[0], item2=pair[1]))
            acc.transactions.append(t)
        if movements:
            acc.initial_date = min(m.date for m in movements)
            acc.final_date = max(m.date for m in movements)
        else:
            acc.initial_date = acc.final_date = dt.date(2026, 1, 1)
        acc.close()  # the closing record (33), totals computed by the library
        batch.close()  # the end of file (88)
        return batch.dump() + b"\n"


def write_statement(path: Path, movements: list[Movement], **kw) -> Path:
    path.write_bytes(statement(movements, **kw))
    return path


def pain008_schema():
    """The XML schema of a SEPA direct-debit remittance (pain.008.001.02), as sepaxml ships it."""
    import sepaxml
    from lxml import etree

    path = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
    return etree.XMLSchema(etree.parse(str(path)))
