"""Importing expenses from a spreadsheet (`tui-crm expense import FILE.xlsx`).

Columns are recognised by their headers in Spanish or English (as the client import
does); every row is checked by `services.expenses.validate`, so a row is held to the
same rules as an expense typed by hand. A problem names its row and column; one
rejected row and nothing is written (all or nothing, in one transaction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..i18n import N_, _
from .columns import IGNORE, ImportField, KnownColumns, check_mapping, column_name, guess_mapping
from .report import ImportReport, RowIssue
from .tables import ImportFileError, bulk_work, cell_text, open_table

EXPENSE_COLUMNS = KnownColumns(
    fields=(
        ImportField("expense_date", N_("Date"), ("Fecha", "Date", "Fecha factura"), True),
        ImportField(
            "supplier_name",
            N_("Supplier"),
            ("Proveedor", "Supplier", "Nombre proveedor", "Acreedor"),
            True,
        ),
        ImportField(
            "supplier_tax_id",
            N_("Supplier tax ID"),
            ("NIF", "CIF", "NIF proveedor", "CIF proveedor", "Tax ID", "VAT number"),
        ),
        ImportField("description", N_("Description"), ("Descripción", "Concepto", "Description")),
        ImportField("base", N_("Base"), ("Base", "Base imponible", "Importe", "Net"), True),
        ImportField("vat", N_("IVA"), ("IVA", "Cuota IVA", "VAT")),
        ImportField("total", N_("Total"), ("Total", "Importe total")),
        ImportField("client", N_("Client tax ID"), ("NIF cliente", "CIF cliente", "Client tax ID")),
    ),
)

_FIELD_KEYS = {
    "expense_date": "expense_date",
    "supplier_name": "supplier_name",
    "supplier_tax_id": "supplier_tax_id",
    "description": "description",
    "base": "base",
    "vat": "vat",
    "total": "total",
    "client": "client",
    "project": "project",
    "document": "document",
}


def _score(headers: list[str]) -> int:
    return EXPENSE_COLUMNS.score(headers)


_AMOUNTS = frozenset({"base", "vat", "total"})


def _value(key: str, raw: Any) -> Any:
    from decimal import Decimal

    if key in _AMOUNTS and isinstance(raw, float | int) and not isinstance(raw, bool):
        return Decimal(repr(raw))  # a spreadsheet's number, exactly as it shows it
    return cell_text(raw)


def import_expenses(path: Path | str, *, dry_run: bool = False) -> ImportReport:
    """Read and check every row, then write them all in one transaction, or none."""
    from ..services import expenses
    from ..services.errors import NotFound, ValidationError
    from ..services.permissions import require
    from ..services.reports import client_id_for

    require("expenses.write")
    report = ImportReport(what="expenses", file=Path(path).name, dry_run=dry_run)
    table = open_table(path, _score)
    clean: list[Any] = []
    with bulk_work(), table:
        guessed = guess_mapping(table.headers, EXPENSE_COLUMNS)
        problems = check_mapping(guessed.columns, EXPENSE_COLUMNS)
        if problems:
            raise ImportFileError(
                _("{file}: {problems}").format(file=table.path.name, problems="; ".join(problems))
            )
        report.sheet, report.header_row = table.sheet, table.header_row
        report.notes.extend(table.notes)
        if guessed.unknown:
            report.notes.append(
                _("Columns not imported (unknown headers): {columns}").format(
                    columns=", ".join(column_name(i, table.headers) for i in guessed.unknown)
                )
            )
        where = {key: index for index, key in guessed.columns.items() if key != IGNORE}
        for number, values in table.rows:
            cells = {
                key: _value(key, values[index]) if index < len(values) else ""
                for key, index in where.items()
            }
            if all(v in ("", None) for v in cells.values()):
                continue
            report.rows += 1
            client_id = None
            client_text = str(cells.pop("client", "") or "").strip()
            if client_text:
                client_id = client_id_for(client_text)
                if client_id is None:
                    report.rejected.append(
                        RowIssue(
                            number,
                            column_name(where["client"], table.headers),
                            _("no client with tax ID {tax_id}").format(tax_id=client_text),
                        )
                    )
                    continue
            data = expenses.ExpenseData(client_id=client_id, **cells)
            try:
                clean.append(expenses.validate(data))
            except ValidationError as exc:
                for field, reason in exc.errors.items():
                    index = where.get(_FIELD_KEYS.get(field, field))
                    column = column_name(index, table.headers) if index is not None else ""
                    report.rejected.append(RowIssue(number, column, reason))
            except NotFound as exc:
                report.rejected.append(RowIssue(number, "", str(exc)))
    if report.rows == 0:
        raise ImportFileError(_("{file} has headers but no data rows").format(file=report.file))
    report.created = len(clean)
    if report.rejected or dry_run:
        if report.rejected:
            report.created = 0
        return report
    expenses.create_many(clean)
    report.committed = True
    return report
