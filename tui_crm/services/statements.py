"""Statement of account: a client's invoices, rectifications and payments in a period,
with the balance running from the balance at the period's start.

Rules:
- what the client owes grows by each issued invoice's total (IVA in, IRPF withheld
  out) on its issue date; a rectifying invoice counts the same way on its own date
  (usually a negative total: a credit); a voided invoice never existed and is left
  out, as is a draft;
- a payment is a credit on its date; a reversed payment is, besides, a charge on
  the day it was reversed; the zero-amount compensations that offset a
  rectification are not shown (they move nothing);
- the opening balance is the same sum over everything before the period's first
  day; each line's balance is the one after it; the closing balance is what the
  client owes on the period's last day;
- the period defaults to 1 January of the last day's year up to today; its start
  may not be after its end.
The PDF is written in the client's language with the invoice PDF's formats
(`exports.pdf`); the email is `email.compose_statement` (recorded on the client's
timeline when sent) with the PDF attached; a file goes through `services.output_files`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..db import execute, read_snapshot
from ..i18n import N_, _
from ..money import ZERO, from_cents
from ..payment_methods import METHOD_LABELS
from .errors import ValidationError
from .records import live_client

KIND_LABELS = {
    "invoice": N_("Invoice"),
    "rectification": N_("Rectification"),
    "payment": N_("Payment"),
    "reversal": N_("Payment reversed"),
}


@dataclass(frozen=True)
class StatementEntry:
    day: dt.date
    kind: str  # invoice, rectification, payment, reversal
    number: str  # the invoice's number, or the payment's reference
    description: str
    amount: Decimal  # + what the client owes more, - what they owe less
    balance: Decimal  # after this entry
    record_id: int  # the invoice's or payment's id

    @property
    def charge(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class Statement:
    client_id: int
    client_name: str
    client_tax_id: str
    client_address: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    entries: tuple[StatementEntry, ...]

    @property
    def closing(self) -> Decimal:
        return self.entries[-1].balance if self.entries else self.opening

    @property
    def charges(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.amount > 0), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((-e.amount for e in self.entries if e.amount < 0), ZERO)


def period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The statement's period: to today and from 1 January of that year by default."""
    end = date_to or dt.date.today()
    start = date_from or dt.date(end.year, 1, 1)
    if start > end:
        raise ValidationError({"from": _("is after the end of the period")})
    return start, end


# (kind, day, number, description, amount cents, id) of every movement of a client; the
# reversal's day is the date part of its timestamp.
_MOVEMENTS = (
    "SELECT CASE WHEN i.kind = 'rectifying' THEN 'rectification' ELSE 'invoice' END AS kind, "
    "i.issue_date AS day, COALESCE(i.code, '') AS number, "
    "COALESCE(i.rectification_reason, '') AS description, i.total_cents AS cents, i.id AS id "
    "FROM invoice i WHERE i.client_id = ? "
    "AND i.status NOT IN ('draft', 'voided') AND i.issue_date IS NOT NULL "
    "UNION ALL SELECT 'payment', p.date, p.reference, p.method, -p.amount_cents, p.id "
    "FROM payment p WHERE p.client_id = ? AND p.amount_cents <> 0 "
    "UNION ALL SELECT 'reversal', {reversed_day}, p.reference, p.reversal_reason, "
    "p.amount_cents, p.id FROM payment p WHERE p.client_id = ? AND p.amount_cents <> 0 "
    "AND p.reversed_at IS NOT NULL"
)


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _description(kind: str, text: str) -> str:
    if kind == "payment":
        label = METHOD_LABELS.get(text)
        return _(label) if label else text
    return (text or "").splitlines()[0] if text else ""


def statement(
    client_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Statement:
    """The statement of account of a client for a period (see the module's rules)."""
    from ..db import is_sqlite

    start, end = period(date_from, date_to)
    reversed_day = "substr(p.reversed_at, 1, 10)" if is_sqlite() else "CAST(p.reversed_at AS DATE)"
    sql = (
        "SELECT kind, day, number, description, cents, id FROM ("
        + _MOVEMENTS.format(reversed_day=reversed_day)
        + ") m WHERE day <= ? ORDER BY day, CASE kind WHEN 'invoice' THEN 0 "
        "WHEN 'rectification' THEN 1 WHEN 'payment' THEN 2 ELSE 3 END, id"
    )
    with read_snapshot():
        client = live_client(client_id)
        from .invoices import address_for, format_address

        address = format_address(address_for(client_id, None))
        rows = list(execute(sql, (client_id, client_id, client_id, end.isoformat())))
    opening = 0
    entries: list[StatementEntry] = []
    balance = 0
    for kind, day, number, description, cents, record_id in rows:
        day = _day(day)
        cents = int(cents)
        if day < start:
            opening += cents
            balance = opening
            continue
        balance += cents
        entries.append(
            StatementEntry(
                day,
                kind,
                number or "",
                _description(kind, description or ""),
                from_cents(cents),
                from_cents(balance),
                record_id,
            )
        )
    return Statement(
        client_id,
        client.legal_name,
        client.tax_id or "",
        address,
        start,
        end,
        from_cents(opening),
        tuple(entries),
    )


def in_client_language(client_id: int):
    """Write in the client's language where the application knows it (issue 16's
    `in_language` and `client_language`), else in the person's."""
    try:
        from ..i18n import in_language  # type: ignore[attr-defined]
        from .client_language import language_for_client  # type: ignore[import-not-found]
    except ImportError:
        return contextlib.nullcontext()
    return in_language(language_for_client(client_id))


def file_name(found: Statement) -> str:
    from .documents import plain_name

    stem = found.client_tax_id or str(found.client_id)
    return plain_name(
        _("statement-{client}-{start}-{end}.pdf").format(
            client=stem, start=found.date_from.isoformat(), end=found.date_to.isoformat()
        )
    )


def statement_pdf(found: Statement) -> bytes:
    """The statement's PDF, in the client's language (the invoice PDF's formats)."""
    from ..exports.pdf import PdfParty
    from ..exports.statement_pdf import StatementDocument, StatementLine, render_statement
    from .invoices import issuer_party

    issuer = issuer_party()
    with in_client_language(found.client_id):
        doc = StatementDocument(
            issuer=issuer,
            client=PdfParty(found.client_name, found.client_tax_id, found.client_address),
            date_from=found.date_from,
            date_to=found.date_to,
            opening=found.opening,
            lines=tuple(
                StatementLine(
                    e.day,
                    _(KIND_LABELS[e.kind]),
                    e.number,
                    e.description,
                    e.charge,
                    e.credit,
                    e.balance,
                )
                for e in found.entries
            ),
            closing=found.closing,
            charges=found.charges,
            credits=found.credits,
        )
        return render_statement(doc)


def write_statement(
    client_id: int,
    path: Path | str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    force: bool = False,
) -> tuple[Path, int]:
    """Write the statement's PDF to `path` (never over a file without `force`, never
    through a symlink: `output_files`); returns the path written and its size."""
    from .output_files import check_target, write_bytes

    target = check_target(Path(path).expanduser(), force=force)  # refused before the work
    data = statement_pdf(statement(client_id, date_from, date_to))
    return write_bytes(target, data, force=force), len(data)


def attachment(draft) -> tuple[str, bytes]:
    """The PDF a statement email carries: its period is in the draft's values (an email
    sent again from the timeline has lost it: the default period, up to today)."""
    values = draft.values or {}
    start = dt.date.fromisoformat(values["date_from"]) if values.get("date_from") else None
    end = dt.date.fromisoformat(values["date_to"]) if values.get("date_to") else None
    found = statement(draft.client_id, start, end)
    return file_name(found), statement_pdf(found)


def print_statement(
    client_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
):
    """The statement's PDF as a printed document (`printing.PrintedDocument`: its file
    name and bytes), for the TUI's save dialog; nothing is stored."""
    from .printing import PrintedDocument

    found = statement(client_id, date_from, date_to)
    return PrintedDocument(file_name(found), statement_pdf(found), None)
