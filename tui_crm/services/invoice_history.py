"""Invoices another system issued, brought in as history (`tui-crm import invoices` reads
the file; this service owns what is written).

Rules enforced here:
- numbering continuity: a number already on file, or repeated in the history, is
  refused, as is one that would take a number of the series and year already used, or
  a date before the last invoice of its series and year (numbers and dates go forward
  together); afterwards each series counter stands at the highest imported number, so
  new invoices continue after it;
- an imported invoice is issued and immutable like one issued here: its client's and
  the business's data frozen on it, its fingerprint sealed (`evidence.seal_invoices`),
  marked `imported`, its number kept as printed;
- it gets no VERI*FACTU record: the system that issued it made and sent its own;
- a client not on file is created through the client service; a paid amount becomes a
  payment through the payment service; the clients' figures follow;
- permission first (data.import, invoices.issue, payments.write); everything in ONE
  transaction with one "import" audit record; with refusals and not `skip_refused`,
  nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import _
from ..models import Address, Client, Invoice, InvoiceLine, SeriesCounter
from ..models.base import utcnow
from ..money import Totals, to_cents
from ..text import fold
from . import audit, clients, evidence, payments
from .errors import RuleViolation
from .invoices import format_address, issuer_snapshot
from .lines import LineInput, totals_columns, totals_of, write_lines
from .permissions import require
from .session import login

# How often `progress(done, total)` is called while writing.
PROGRESS_EVERY = 2000


@dataclass
class HistoryInvoice:
    """One invoice of the history, its amounts as one line at its IVA rate."""

    row: int  # where it came from (the file's row), for the messages
    code: str  # the number as printed, kept
    series: str
    year: int
    number: int
    date: dt.date
    due_date: dt.date | None
    client_name: str
    tax_id: str  # cleaned ("" when none)
    tax_id_compact: str
    tax_id_country: str
    base: Decimal
    vat_rate: Decimal
    recargo_rate: Decimal
    irpf_rate: Decimal
    paid: Decimal
    paid_date: dt.date | None
    client_id: int | None = None  # matched on file; None: to be created
    client_key: str = ""  # invoices of the same new client share it


@dataclass
class HistoryResult:
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    written: bool = False
    invoices: int = 0
    clients: int = 0  # created
    payments: int = 0


def check_numbers(
    history: Sequence[HistoryInvoice],
) -> tuple[list[HistoryInvoice], list[tuple[int, str]]]:
    """The invoices whose numbers may be taken, and (row, reason) for the others: numbers
    already on file or repeated, numbers used, dates before their series' last."""
    keep: list[HistoryInvoice] = []
    refused: list[tuple[int, str]] = []
    seen_code: dict[str, int] = {}
    seen_number: dict[tuple[str, int, int], int] = {}
    counters = {
        (c.series, c.year): c
        for c in SeriesCounter.select().where(
            SeriesCounter.series.in_(sorted({r.series for r in history}) or [""])
        )
    }
    taken_codes: set[str] = set()
    codes = sorted({r.code for r in history})
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        taken_codes.update(
            c.code for c in Invoice.select(Invoice.code).where(Invoice.code.in_(chunk))
        )
    for row in history:
        key = (row.series, row.year, row.number)
        reason = ""
        if row.code in seen_code:
            reason = _("number {code} repeats row {row}").format(
                code=row.code, row=seen_code[row.code]
            )
        elif key in seen_number:
            reason = _("number {number} of series {series} in {year} repeats row {row}").format(
                number=row.number, series=row.series, year=row.year, row=seen_number[key]
            )
        elif row.code in taken_codes:
            reason = _("invoice {code} is already on file").format(code=row.code)
        else:
            counter = counters.get((row.series, row.year))
            if counter is not None and row.number <= counter.last_number:
                used = Invoice.get_or_none(
                    (Invoice.series == row.series)
                    & (Invoice.year == row.year)
                    & (Invoice.number == row.number)
                )
                if used is not None:
                    reason = _(
                        "number {number} of series {series} in {year} is already used by {code}"
                    ).format(number=row.number, series=row.series, year=row.year, code=used.code)
            elif (
                counter is not None
                and counter.last_issue_date is not None
                and row.date < counter.last_issue_date
            ):
                reason = _(
                    "dated {date}, before {last}, the last invoice of series {series} in {year}; "
                    "numbers and dates must go forward together"
                ).format(
                    date=row.date.isoformat(),
                    last=counter.last_issue_date.isoformat(),
                    series=row.series,
                    year=row.year,
                )
        seen_code.setdefault(row.code, row.row)
        seen_number.setdefault(key, row.row)
        if reason:
            refused.append((row.row, reason))
        else:
            keep.append(row)
    return keep, refused


def match_clients(history: Sequence[HistoryInvoice]) -> int:
    """Find each invoice's client: by tax ID (any form it is on file as), else by exact
    name; the others share a key per new client. Returns how many clients are new."""
    by_tax: dict[str, int | None] = {}
    by_name: dict[str, int | None] = {}
    new: set[str] = set()
    for row in history:
        client_id = None
        if row.tax_id_compact:
            if row.tax_id_compact not in by_tax:
                by_tax[row.tax_id_compact] = clients.find_by_tax_id(row.tax_id, row.tax_id_country)
            client_id = by_tax[row.tax_id_compact]
        if client_id is None and row.client_name and not row.tax_id_compact:
            if row.client_name not in by_name:
                found = (
                    Client.select(Client.id)
                    .where((Client.legal_name == row.client_name) & (Client.status != "merged"))
                    .order_by(Client.id)
                    .first()
                )
                by_name[row.client_name] = found.id if found else None
            client_id = by_name[row.client_name]
        row.client_id = client_id
        if client_id is None:
            row.client_key = row.tax_id_compact or fold(row.client_name)
            new.add(row.client_key)
    return len(new)


@transactional
def record_history(
    history: Sequence[HistoryInvoice],
    *,
    source: str,
    skip_refused: bool = False,
    refused_before: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryResult:
    """Write the history (see the module's rules). `source` names it in the notes and the
    audit; `refused_before` counts what the reading refused, for the audit; `progress`
    is called every few thousand invoices (it may raise to cancel: nothing is written)."""
    require("data.import")
    require("invoices.issue")
    require("payments.write")
    rows, refused = check_numbers(history)
    result = HistoryResult(refused=refused)
    if refused and not skip_refused:
        return result
    match_clients(rows)
    created_clients = _create_clients(rows)
    issued = _write_invoices(rows, source, progress)
    evidence.seal_invoices([invoice_id for _row, invoice_id, _totals in issued])
    _add_to_client_figures(issued)
    latest = _move_counters(rows)
    paid_count = 0
    for row, invoice_id, totals in issued:
        if row.paid > 0 and totals.total > 0:
            payments.register_payment(
                row.client_id,
                row.paid_date or row.due_date or row.date,
                row.paid,
                method="other",
                reference=row.code[:100],
                allocations=[(invoice_id, row.paid)],
                notes=_("Imported from {file}").format(file=source),
            )
            paid_count += 1
    audit.record(
        "import",
        "invoice",
        "",
        changes={
            "file": (None, source),
            "invoices": (None, len(issued)),
            "clients_created": (None, created_clients),
            "payments": (None, paid_count),
            "rejected": (None, refused_before + len(refused)),
            "series": (None, sorted(f"{s}{y}: {n}" for (s, y), (n, _d) in latest.items())),
        },
        summary=_("Imported {n} invoices from {file}").format(n=len(issued), file=source),
    )
    if progress is not None:
        progress(len(rows), len(rows))
    result.written = True
    result.invoices, result.clients, result.payments = len(issued), created_clients, paid_count
    return result


def _create_clients(rows: Sequence[HistoryInvoice]) -> int:
    """The clients not on file, created through the client service (its rules hold)."""
    created: dict[str, int] = {}
    for row in rows:
        if row.client_id is not None:
            continue
        if row.client_key not in created:
            if not row.client_name:
                raise RuleViolation(
                    _("row {row}: no client with tax ID {tax_id} and no name to create it").format(
                        row=row.row, tax_id=row.tax_id
                    )
                )
            created[row.client_key] = clients.create_client(
                clients.ClientInput(
                    legal_name=row.client_name,
                    tax_id=row.tax_id,
                    tax_id_country=row.tax_id_country,
                    kind="client",
                )
            )
        row.client_id = created[row.client_key]
    return len(created)


def _write_invoices(
    rows: Sequence[HistoryInvoice], source: str, progress: Callable[[int, int], None] | None
) -> list[tuple[HistoryInvoice, int, Totals]]:
    """Each invoice issued as it was, with the client's and the business's data frozen on it;
    returns (invoice, its id, its totals)."""
    issuer_name, issuer_tax_id, issuer_address = issuer_snapshot()
    who, now = login(), utcnow()
    snapshots: dict[int, tuple[str, str, str, int | None, int]] = {}
    issued: list[tuple[HistoryInvoice, int, Totals]] = []
    for position, row in enumerate(rows, 1):
        assert row.client_id is not None
        if row.client_id not in snapshots:
            client = Client.get_by_id(row.client_id)
            address = (
                Address.select()
                .where(Address.client == client.id)
                .order_by(Address.is_invoice_default.desc(), Address.id)
                .first()
            )
            snapshots[client.id] = (
                client.legal_name,
                client.tax_id,
                format_address(address),
                address.id if address else None,
                client.payment_days,
            )
        name, tax_id, address_text, address_id, payment_days = snapshots[row.client_id]
        line = LineInput(
            description=_("Invoice {code} (imported)").format(code=row.code),
            quantity=Decimal(1),
            unit_price=row.base,
            vat_rate=row.vat_rate,
            recargo_rate=row.recargo_rate,
        )
        totals = totals_of([line], row.irpf_rate)
        invoice = Invoice.create(
            kind="standard",
            status="paid" if totals.total == 0 else "issued",
            series=row.series,
            year=row.year,
            number=row.number,
            code=row.code,
            client=row.client_id,
            issue_date=row.date,
            due_date=row.due_date or row.date + dt.timedelta(days=payment_days),
            paid=Decimal(0),
            outstanding=totals.total,
            paid_date=row.date if totals.total == 0 else None,
            imported=True,
            notes=_("Imported from {file}").format(file=source),
            client_name=row.client_name or name,
            client_tax_id=row.tax_id or tax_id,
            client_address=address_text,
            issuer_name=issuer_name,
            issuer_tax_id=issuer_tax_id,
            issuer_address=issuer_address,
            address=address_id,
            created_by=who,
            issued_by=who,
            issued_at=now,
            updated_by=who,
            **totals_columns(totals, row.irpf_rate, ""),
        )
        write_lines(InvoiceLine, "invoice", invoice.id, [line])
        issued.append((row, invoice.id, totals))
        if progress is not None and position % PROGRESS_EVERY == 0:
            progress(position, len(rows))
    return issued


def _add_to_client_figures(issued: Sequence[tuple[HistoryInvoice, int, Totals]]) -> None:
    """Each client's revenue and outstanding grow by its imported invoices; a lead that has
    invoices is a client."""
    figures: dict[int, list[int]] = {}
    for row, _invoice_id, totals in issued:
        assert row.client_id is not None
        figure = figures.setdefault(row.client_id, [0, 0])
        figure[0] += to_cents(totals.base)
        figure[1] += to_cents(totals.total)
    for client_id, (base_cents, total_cents) in figures.items():
        execute(
            "UPDATE client SET revenue_total_cents = revenue_total_cents + ?, "
            "outstanding_cents = outstanding_cents + ?, kind = 'client', "
            "became_client_at = COALESCE(became_client_at, ?) WHERE id = ?",
            (base_cents, total_cents, dt.date.today().isoformat(), client_id),
        )


def _move_counters(rows: Sequence[HistoryInvoice]) -> dict[tuple[str, int], tuple[int, dt.date]]:
    """New invoices of each series and year continue after the highest imported number."""
    latest: dict[tuple[str, int], tuple[int, dt.date]] = {}
    for row in rows:
        number, date = latest.get((row.series, row.year), (0, row.date))
        latest[(row.series, row.year)] = (max(number, row.number), max(date, row.date))
    for (series, year), (number, date) in latest.items():
        SeriesCounter.insert(series=series, year=year, last_number=0).on_conflict_ignore().execute()
        counter = SeriesCounter.get((SeriesCounter.series == series) & (SeriesCounter.year == year))
        SeriesCounter.update(
            last_number=max(counter.last_number, number),
            last_issue_date=max(counter.last_issue_date or date, date),
        ).where((SeriesCounter.series == series) & (SeriesCounter.year == year)).execute()
    return latest
