"""Import invoice history (one invoice per row) from another program's spreadsheet.

Columns: Número / Number, Serie / Series (optional), Fecha / Date, Vencimiento /
Due date, Cliente / Client, CIF / NIF / Tax ID, Base imponible / Base, IVA % /
VAT %, Recargo % (optional), IRPF % / Withholding % (optional), Total, Cobrado /
Paid (optional), Fecha cobro / Paid date (optional). Our own invoice export
(amount columns for IVA, recargo and IRPF instead of rates) imports too: a rate
is then read back from its amount.

Rules:
- amounts are numbers, or text in Spanish or English notation (`1.234,56`,
  `1,234.56`, `1234.56 €`: `money.parse_amount`); dates are spreadsheet dates,
  dd/mm/yyyy or yyyy-mm-dd;
- each row is one line at its IVA rate; the totals are computed by
  `money.document_totals` and a row whose computed total differs from its Total
  by more than 0.01 is rejected with both figures;
- a paid amount is paid on its paid date; without one the due date is used and
  the report says so;
- rejected rows stop the import unless skip_invalid; a dry run writes nothing.

What is written, and the rules it follows (numbering continuity, immutability, the
fingerprint, no VERI*FACTU record for another system's invoices, clients matched or
created, payments, one transaction and audit record), is `services.invoice_history`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..db import read_snapshot
from ..i18n import N_, _, ngettext
from ..money import Line as MoneyLine
from ..money import MoneyError, document_totals, parse_amount, percent_of, round_cents
from ..services.invoice_history import HistoryInvoice
from ..text import clean_input, fold
from .clients import CLIENT_COLUMNS
from .columns import IGNORE, ImportField, KnownColumns, check_mapping, column_name, guess_mapping
from .report import Cancelled, ImportCancelled, ImportReport, Progress, RowIssue
from .tables import CELL_ERRORS, ImportFileError, bulk_work, cell_text, open_table

_TAX_ID_ALIASES = next(f.aliases for f in CLIENT_COLUMNS.fields if f.key == "tax_id")

INVOICE_COLUMNS = KnownColumns(
    fields=(
        ImportField(
            "number",
            N_("Number"),
            (
                "Número",
                "Number",
                "Nº",
                "No",
                "Num",
                "Número de factura",
                "Nº factura",
                "Factura",
                "Invoice",
                "Invoice number",
                "Invoice no",
            ),
            required=True,
        ),
        ImportField("series", N_("Series"), ("Serie", "Series", "Serie de facturación")),
        ImportField(
            "date",
            N_("Date"),
            (
                "Fecha",
                "Date",
                "Fecha de emisión",
                "Fecha factura",
                "Fecha de factura",
                "Issue date",
                "Invoice date",
            ),
            required=True,
        ),
        ImportField(
            "due_date",
            N_("Due date"),
            ("Vencimiento", "Due date", "Fecha de vencimiento", "Fecha vencimiento", "Due"),
        ),
        ImportField(
            "client",
            N_("Client"),
            ("Cliente", "Client", "Customer", "Nombre", "Razón social", "Name", "Nombre cliente"),
        ),
        ImportField("tax_id", N_("Tax ID"), _TAX_ID_ALIASES),
        ImportField(
            "base",
            N_("Base"),
            ("Base imponible", "Base", "Subtotal", "Net", "Net amount", "Importe neto"),
            required=True,
        ),
        ImportField(
            "vat_rate",
            N_("VAT %"),
            ("IVA %", "% IVA", "IVA (%)", "Tipo IVA", "Tipo de IVA", "VAT %", "VAT rate", "% VAT"),
        ),
        ImportField("vat", N_("IVA"), ("IVA", "Cuota IVA", "Cuota de IVA", "VAT", "VAT amount")),
        ImportField(
            "recargo_rate",
            N_("Recargo %"),
            ("Recargo %", "% Recargo", "RE %", "Recargo (%)", "Tipo recargo"),
        ),
        ImportField(
            "recargo",
            N_("Recargo"),
            ("Recargo", "Recargo de equivalencia", "Cuota recargo", "RE"),
        ),
        ImportField(
            "irpf_rate",
            N_("Withholding %"),
            ("IRPF %", "% IRPF", "IRPF (%)", "Retención %", "% Retención", "Withholding %"),
        ),
        ImportField(
            "irpf",
            N_("IRPF"),
            ("IRPF", "Retención", "Cuota IRPF", "Withholding"),
        ),
        ImportField(
            "total",
            N_("Total"),
            ("Total", "Total factura", "Importe total", "Total amount", "Total a pagar"),
            required=True,
        ),
        ImportField(
            "paid", N_("Paid"), ("Cobrado", "Paid", "Pagado", "Importe cobrado", "Amount paid")
        ),
        ImportField(
            "paid_date",
            N_("Paid date"),
            (
                "Fecha cobro",
                "Fecha de cobro",
                "Paid date",
                "Fecha pago",
                "Fecha de pago",
                "Payment date",
            ),
        ),
        ImportField("status", N_("Status"), ("Estado", "Status")),
    ),
    ignored=("Pendiente", "Tipo", "Kind", "Outstanding"),
    ignored_labels=(N_("Outstanding"), N_("Kind")),
)

# Rates Spain has had: a history may hold 16 %, 18 %, 8 %, 7 % ... and 5 % (2022-2024).
VAT_HISTORY = tuple(Decimal(v) for v in ("21", "18", "16", "10", "8", "7", "5", "4", "0"))
RECARGO_HISTORY = tuple(Decimal(v) for v in ("5.2", "4", "1.75", "1.4", "1", "0.62", "0.5", "0"))
IRPF_HISTORY = tuple(Decimal(v) for v in ("21", "20", "19", "18", "15", "9", "7", "2", "1", "0"))
_DRAFT = frozenset({"draft", "borrador"})
_TOTAL_WORDS = frozenset({"total", "totales", "total general", "suma", "sum", "grand total"})
EMPTY: Any = object()
DRAFT: Any = object()
CHECK_EVERY = 500


def _score(headers: list[str]) -> int:
    return INVOICE_COLUMNS.score(headers)


def _amount(raw: Any) -> Decimal:
    """Money from a cell: a number as the spreadsheet holds it, or text as people write it."""
    if isinstance(raw, bool):
        raise MoneyError(repr(raw))
    if isinstance(raw, int):
        return round_cents(Decimal(raw))
    if isinstance(raw, float):
        return round_cents(Decimal(repr(raw)))  # the shortest repr is what the cell shows
    if isinstance(raw, Decimal):
        return round_cents(raw)
    return round_cents(parse_amount(str(raw)))


def _rate(raw: Any, small_is_fraction: Decimal) -> Decimal:
    """A percent from a cell: 21, "21 %", "21,0"; a percent-formatted cell holds 0.21."""
    if isinstance(raw, str):
        text = raw.replace("%", "").strip()
        value = parse_amount(text) if text else Decimal(0)
    else:
        value = _amount(raw) if not isinstance(raw, float) else Decimal(repr(raw))
    if 0 < value < small_is_fraction:
        value = value * 100
    value = value.normalize()
    if value < 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        raise MoneyError(repr(raw))
    return value


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _rate_from_amount(base: Decimal, amount: Decimal, known: Sequence[Decimal]) -> Decimal | None:
    """The rate whose tax on `base` is `amount` (our exports give amounts, not rates)."""
    if amount == 0:
        return Decimal(0)
    for rate in known:
        if percent_of(base, rate) == amount:
            return rate
    return None


def _parse_number(code: str) -> tuple[str, int] | None:
    """("F", 12) from "F2026-00012", ("", 45) from "2023/045": leading letters, last digits."""
    digits = re.findall(r"[0-9]+", code)
    if not digits:
        return None
    letters = re.match(r"[A-Za-z]*", code).group(0).upper()  # type: ignore[union-attr]
    return letters, int(digits[-1])


def _parse_row(
    number: int,
    values: Sequence[Any],
    mapping: Sequence[tuple[int, str]],
    headers: Sequence[str],
    default_series: str,
    issues: list[RowIssue],
    notes: dict[str, int],
) -> Any:
    """An invoice from one row; None with its problems added to `issues`; EMPTY or DRAFT."""
    from ..services import settings
    from ..services.errors import ValidationError
    from ..services.validation import TaxIdError, check_tax_id

    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    width = len(values)
    for index, key in mapping:
        if index < width and values[index] is not None:
            value = values[index]
            if isinstance(value, str):
                value = value.strip()
                if value in CELL_ERRORS:
                    errors[key] = _(
                        "the cell shows the error {error} (a formula that failed)"
                    ).format(error=value)
                    continue
                if not value:
                    continue
            raw[key] = value
    if not raw and not errors:
        return EMPTY
    if fold(cell_text(raw.get("status", ""))) in _DRAFT:
        return DRAFT
    if fold(cell_text(raw.get("number", ""))) in _TOTAL_WORDS and "date" not in raw:
        return EMPTY  # the spreadsheet's own totals row

    def money_of(key: str, required: bool = False) -> Decimal | None:
        if key not in raw:
            if required and key not in errors:
                errors[key] = _("is required")
            return None
        try:
            return _amount(raw[key])
        except (MoneyError, InvalidOperation, ValueError):
            errors[key] = _("{value} is not an amount").format(value=cell_text(raw[key]))
            return None

    def date_of(key: str, required: bool = False) -> dt.date | None:
        if key not in raw:
            if required and key not in errors:
                errors[key] = _("is required")
            return None
        try:
            return _date(raw[key])
        except ValueError:
            errors[key] = _("{value} is not a date (dd/mm/yyyy or yyyy-mm-dd)").format(
                value=cell_text(raw[key])
            )
            return None

    code = clean_input(cell_text(raw.get("number", "")))
    parsed = _parse_number(code) if code else None
    if not code:
        errors.setdefault("number", _("is required"))
    elif parsed is None:
        errors.setdefault("number", _("{value} has no digits to number it by").format(value=code))
    elif len(code) > 40:
        errors.setdefault("number", _("is longer than {n} characters").format(n=40))
    date = date_of("date", True)
    due = date_of("due_date")
    paid_date = date_of("paid_date")
    base = money_of("base", True)
    total = money_of("total", True)
    paid = money_of("paid") or Decimal("0.00")

    series = ""
    if "series" in raw:
        series = cell_text(raw["series"]).upper()
    elif parsed is not None:
        series = parsed[0] or default_series
    try:
        series = settings.validate("invoice.series", series or default_series)
    except ValidationError as exc:
        errors.setdefault(
            "series" if "series" in raw else "number", next(iter(exc.errors.values()))
        )

    rates: dict[str, Decimal] = {}
    for rate_key, amount_key, known, small in (
        ("vat_rate", "vat", VAT_HISTORY, Decimal(1)),
        ("recargo_rate", "recargo", RECARGO_HISTORY, Decimal("0.1")),
        ("irpf_rate", "irpf", IRPF_HISTORY, Decimal(1)),
    ):
        if rate_key in raw:
            try:
                rates[rate_key] = _rate(raw[rate_key], small)
            except (MoneyError, InvalidOperation, ValueError):
                errors[rate_key] = _("{value} is not a percentage").format(
                    value=cell_text(raw[rate_key])
                )
        elif amount_key in raw and base is not None:
            amount = money_of(amount_key)
            if amount is not None:
                found = _rate_from_amount(base, abs(amount), known)
                if found is None:
                    errors[amount_key] = _(
                        "{amount} is not the tax of one rate on the base {base} "
                        "(an invoice with several rates cannot be imported as one row)"
                    ).format(amount=amount, base=base)
                else:
                    rates[rate_key] = found
        elif rate_key == "vat_rate" and "vat_rate" not in errors:
            errors["vat_rate"] = _("is required")
        else:
            rates[rate_key] = Decimal(0)

    tax_id = compact = ""
    country = "ES"
    client_name = clean_input(cell_text(raw.get("client", "")))
    if "tax_id" in raw:
        try:
            checked = check_tax_id(cell_text(raw["tax_id"]), country)
            tax_id, compact, country = checked.display, checked.compact, checked.country
        except TaxIdError as exc:
            errors["tax_id"] = str(exc)
    if not tax_id and not client_name and "tax_id" not in errors:
        errors["client"] = _("needs the client's name or tax ID")

    if not errors and base is not None and total is not None and date is not None:
        totals = document_totals(
            [
                MoneyLine(
                    quantity=Decimal(1),
                    unit_price=base,
                    vat_rate=rates["vat_rate"],
                    recargo_rate=rates.get("recargo_rate", Decimal(0)),
                )
            ],
            rates.get("irpf_rate", Decimal(0)),
        )
        if abs(totals.total - total) > Decimal("0.01"):
            errors["total"] = _(
                "the total {total} does not match the base and taxes, which give {computed}"
            ).format(total=total, computed=totals.total)
        if total < 0 or base < 0:
            errors["total"] = _(
                "credit notes (negative amounts) are not imported; "
                "enter them as rectifying invoices"
            )
        elif paid < 0 or paid > totals.total:
            errors["paid"] = _(
                "the paid amount {paid} is not between 0 and the total {total}"
            ).format(paid=paid, total=totals.total)
        if due is not None and due < date:
            errors["due_date"] = _("the due date {due} is before the issue date {date}").format(
                due=due.isoformat(), date=date.isoformat()
            )
        if paid > 0 and paid_date is None:
            paid_date = due or date
            notes["no_paid_date"] = notes.get("no_paid_date", 0) + 1

    if errors:
        index_of = {key: index for index, key in mapping}
        for key, reason in sorted(errors.items(), key=lambda kv: index_of.get(kv[0], 10**6)):
            index = index_of.get(key)
            column = column_name(index, headers) if index is not None else ""
            issues.append(RowIssue(number, column, reason))
        return None
    assert date is not None and base is not None and parsed is not None
    return HistoryInvoice(
        row=number,
        code=code,
        series=series,
        year=date.year,
        number=parsed[1],
        date=date,
        due_date=due,
        client_name=client_name,
        tax_id=tax_id,
        tax_id_compact=compact,
        tax_id_country=country,
        base=base,
        vat_rate=rates["vat_rate"],
        recargo_rate=rates.get("recargo_rate", Decimal(0)),
        irpf_rate=rates.get("irpf_rate", Decimal(0)),
        paid=paid,
        paid_date=paid_date,
    )


def read_invoices(
    path: Path | str,
    mapping: Mapping[int, str] | None,
    report: ImportReport,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> list[HistoryInvoice]:
    from ..services import settings

    table = open_table(path, _score)
    with table:
        guessed = guess_mapping(table.headers, INVOICE_COLUMNS)
        columns = dict(guessed.columns if mapping is None else mapping)
        problems = mapping_problems(columns)
        if problems:
            raise ImportFileError(
                _("{file}: {problems}").format(file=table.path.name, problems="; ".join(problems))
            )
        report.sheet, report.header_row = table.sheet, table.header_row
        report.notes.extend(table.notes)
        unknown = [i for i in guessed.unknown if columns.get(i, IGNORE) == IGNORE]
        if unknown:
            report.notes.append(
                _("Columns not imported (unknown headers): {columns}").format(
                    columns=", ".join(column_name(i, table.headers) for i in unknown)
                )
            )
        pairs = [(i, k) for i, k in sorted(columns.items()) if k != IGNORE]
        default_series = settings.get("invoice.series") or "F"
        rows: list[HistoryInvoice] = []
        counters: dict[str, int] = {}
        count = 0
        for number, values in table.rows:
            parsed = _parse_row(
                number, values, pairs, table.headers, default_series, report.rejected, counters
            )
            if parsed is EMPTY:
                continue
            count += 1
            if parsed is DRAFT:
                report.skipped.append(
                    RowIssue(number, "", _("a draft is not an issued invoice; not imported"))
                )
            elif parsed is not None:
                rows.append(parsed)
            if count % CHECK_EVERY == 0:
                if cancelled is not None and cancelled():
                    raise ImportCancelled()
                if progress is not None:
                    progress("read", count, table.estimated_rows)
    report.rows = count
    if count == 0:
        raise ImportFileError(_("{file} has headers but no data rows").format(file=report.file))
    if counters.get("no_paid_date"):
        report.notes.append(
            ngettext(
                "{n} paid amount had no paid date: the due date (else the issue date) was used",
                "{n} paid amounts had no paid date: the due date (else the issue date) was used",
                counters["no_paid_date"],
            ).format(n=counters["no_paid_date"])
        )
    return rows


def import_invoices(
    path: Path | str,
    *,
    mapping: Mapping[int, str] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportReport:
    """Import an invoice history (see the module docstring for the rules)."""
    from ..services.permissions import require

    require("data.import")
    require("invoices.issue")
    report = ImportReport(
        what="invoices", file=Path(path).name, dry_run=dry_run, skip_invalid=skip_invalid
    )
    with bulk_work():
        return _import(path, mapping, report, skip_invalid, progress, cancelled)


def _import(
    path: Path | str,
    mapping: Mapping[int, str] | None,
    report: ImportReport,
    skip_invalid: bool,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> ImportReport:
    rows = read_invoices(path, mapping, report, progress, cancelled)
    from ..services import invoice_history

    if report.dry_run or (report.rejected and not skip_invalid):
        with read_snapshot():
            rows, refused = invoice_history.check_numbers(rows)
            report.rejected.extend(RowIssue(row, "", reason) for row, reason in refused)
            report.created_clients = invoice_history.match_clients(rows)
        report.created = len(rows)
        report.payments = sum(1 for r in rows if r.paid > 0)
        return report
    if rows:

        def writing(done: int, total: int) -> None:
            if done < total and cancelled is not None and cancelled():
                raise ImportCancelled()
            if progress is not None:
                progress("write", done, total)

        result = invoice_history.record_history(
            rows,
            source=report.file,
            skip_refused=skip_invalid,
            refused_before=report.rejected_rows,
            progress=writing,
        )
        report.rejected.extend(RowIssue(row, "", reason) for row, reason in result.refused)
        report.committed = result.written
        report.created = result.invoices
        report.created_clients = result.clients
        report.payments = result.payments
    if not report.committed:
        report.created = report.payments = report.created_clients = 0
    return report


def inspect_file(path: Path | str):
    """Open an invoice history and guess its column mapping (the import screen shows it)."""
    from .clients import Inspection

    table = open_table(path, _score)
    return Inspection(table, guess_mapping(table.headers, INVOICE_COLUMNS))


def mapping_problems(mapping: Mapping[int, str]) -> list[str]:
    """What keeps a mapping from importing: required columns, and the IVA and client ones."""
    problems = check_mapping(mapping, INVOICE_COLUMNS)
    has = set(mapping.values())
    if "vat_rate" not in has and "vat" not in has:
        problems.append(_("no column for the IVA rate (a header such as IVA %, VAT %)"))
    if "client" not in has and "tax_id" not in has:
        problems.append(_("no column for the client (Cliente, CIF, Tax ID)"))
    return problems
