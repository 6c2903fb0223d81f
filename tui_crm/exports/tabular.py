"""Plain-text, CSV and JSON renderings of a report (the command line's `--format`).

JSON is a list of objects with snake_case keys, amounts as decimal strings
("1060.00") and dates as ISO strings.

CSV is opened by spreadsheets, which evaluate a cell starting with = + - @ (or a tab or
carriage return) as a formula: `=HYPERLINK(...)` typed as a client's name would become a
link, `@SUM(...)` a calculation. Such text cells get a leading apostrophe (OWASP's advice
on CSV injection), which spreadsheets show as plain text; numbers, negative ones
included, stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMATS = ("plain", "github", "csv", "json")


def plain_value(value: Any) -> Any:
    """A JSON-safe value: Decimal as a string with its cents, dates in ISO."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(plain_value(value))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_safe(text: str) -> str:
    """A CSV cell a spreadsheet shows as typed: text that would start a formula gets a
    leading apostrophe; a number (e.g. "-150.00") is left alone."""
    if text and text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def values_of(row: Mapping[str, Any] | Sequence[Any], columns: Sequence[str]) -> Sequence[Any]:
    """A row's values in column order: a mapping by key, a sequence as it is."""
    if isinstance(row, Mapping):
        return [row.get(k) for k in columns]
    if len(row) < len(columns):
        return [*row, *([None] * (len(columns) - len(row)))]
    return row


def write_report(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[str],
    fmt: str,
    out: TextIO,
    headers: Sequence[str] | None = None,
    align: Sequence[str] | None = None,
) -> int:
    """Write `rows` (mappings keyed by `columns`, or sequences in their order) to `out`;
    returns the number of rows. `align` ("left", "right" per column) lays out the plain
    and github tables."""
    count = 0
    if fmt == "json":
        out.write("[")
        for row in rows:
            out.write(",\n  " if count else "\n  ")
            values = values_of(row, columns)
            out.write(
                json.dumps(
                    {k: plain_value(v) for k, v in zip(columns, values, strict=False)},
                    ensure_ascii=False,
                )
            )
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([csv_safe(c) for c in columns])
        for row in rows:
            writer.writerow([csv_safe(_cell(v)) for v in values_of(row, columns)])
            count += 1
        return count
    from tabulate import tabulate

    table = [[_cell(v) for v in values_of(row, columns)] for row in rows]
    out.write(
        tabulate(
            table,
            headers=list(headers or columns),
            tablefmt="github" if fmt == "github" else "plain",
            disable_numparse=True,
            colalign=list(align) if align else None,
        )
    )
    out.write("\n")
    return len(table)


def render_report(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    buffer = io.StringIO()
    write_report(rows, columns, fmt, buffer)
    return buffer.getvalue()
