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
from itertools import chain
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
    # The command line's readable rows are texts already: only other values are converted.
    # Tuples, not lists: a tuple of texts leaves the collector's watch the first time it is
    # looked at, and a long report's full collections would walk 71,000 rows each time.
    table = [
        tuple([v if v.__class__ is str else _cell(v) for v in values_of(row, columns)])
        for row in rows
    ]
    out.write(text_table(table, list(headers or columns), fmt, align))
    out.write("\n")
    return len(table)


def text_table(
    table: Sequence[Sequence[str]], headers: list[str], fmt: str, align: Sequence[str] | None
) -> str:
    """The plain (or github) table of `table`'s texts, byte for byte as tabulate 0.10 lays
    it out with `disable_numparse=True` and `colalign=align` (left where `align` says
    nothing); without a trailing newline."""
    tablefmt = "github" if fmt == "github" else "plain"
    laid_out = _laid_out(table, headers, tablefmt, align)
    if laid_out is not None:
        return laid_out
    from tabulate import tabulate

    return tabulate(
        table,
        headers=headers,
        tablefmt=tablefmt,
        disable_numparse=True,
        colalign=list(align) if align else None,
    )


# What only tabulate handles: ANSI escapes (it measures cells without them), line breaks
# (multiline cells), and its SEPARATING_LINE marker (a cell "\x01" draws a rule).
_TABULATE_ONLY = ("\x1b", "\n", "\r", "\x01")


def _laid_out(
    table: Sequence[Sequence[str]], headers: list[str], tablefmt: str, align: Sequence[str] | None
) -> str | None:
    """What tabulate writes for texts without numparse, in a few C-level calls per row:
    tabulate guesses each cell's type and strips escapes from it with a regex even then
    (2.3 s of `report revenue`'s 71,000 rows of 7 columns; this takes 0.2 s), which
    texts laid out left or right never need. Each cell is stripped, each column as wide
    as its widest cell or its header plus 2, cells padded to it (headers not stripped),
    plain columns joined by two spaces and each line's trailing spaces dropped, github's
    cells framed "| a | b |" under a "|---|---|" rule. None when the table needs
    tabulate itself (see _TABULATE_ONLY; no rows; ragged rows; an alignment other than
    left or right; tabulate's wide-character mode, on when wcwidth is installed): the
    caller then asks tabulate. tests/unit/test_text_table.py compares both over many
    generated tables."""
    import tabulate as tabulate_module

    columns = len(headers)
    aligns = [*(align or ())][:columns]
    aligns += ["left"] * (columns - len(aligns))
    if (
        not table
        or not columns
        or any(a not in ("left", "right") for a in aligns)
        or any(len(row) != columns for row in table)
        or (getattr(tabulate_module, "wcwidth", None) and tabulate_module.WIDE_CHARS_MODE)
    ):
        return None
    every_text = "\t".join([*headers, *chain.from_iterable(table)])
    if any(code in every_text for code in _TABULATE_ONLY):
        return None
    stripped = [tuple(map(str.strip, row)) for row in table]  # tuples: see write_report
    widths = [
        max(len(header) + 2, max(map(len, column)))
        for header, column in zip(headers, zip(*stripped, strict=True), strict=True)
    ]
    specs = [f"{{:{'>' if a == 'right' else '<'}{w}}}" for a, w in zip(aligns, widths, strict=True)]
    if tablefmt == "github":
        line = "| " + " | ".join(specs) + " |"
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line.format(*headers), rule, *(line.format(*row) for row in stripped)])
    line = "  ".join(specs)
    return "\n".join(
        [line.format(*headers).rstrip(), *(line.format(*row).rstrip() for row in stripped)]
    )


def render_report(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    buffer = io.StringIO()
    write_report(rows, columns, fmt, buffer)
    return buffer.getvalue()
