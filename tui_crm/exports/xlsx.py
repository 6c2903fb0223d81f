"""Formatted `.xlsx` export of any list: the one writer behind `x` and `tui-crm export`.

What a person gets: a title and the as-of date, a bold header with an autofilter,
the header row frozen, column widths that fit, real dates, amounts as numbers in
euros, and a totals row whose `SUBTOTAL(109, …)` formulas follow the filter.

What cannot happen: a cell becoming a formula or a link because of what a user
typed. Text is always written with `write_string` (the workbook's
strings_to_formulas/urls/numbers conversions are off) and text that a
spreadsheet would take for a formula when edited (= + - @ tab CR) carries
Excel's quote prefix.

Large lists stream: `constant_memory` keeps one row in memory, rows come from an
iterator (a database cursor), formats are built once and each column writes
through one precomputed typed call. A list read straight from the database may
hand its amounts over as the integer cents it holds (`money_in_cents`): a
million rows then write without a Decimal per amount, to the same numbers.
`write_workbook` writes into a file it is given; `services.lists.save_xlsx`
gives it the temporary file of the one road every output file takes
(`services.output_files`), renamed when complete, so a cancelled or failed export
leaves nothing behind.

Values by column kind (`ReportColumn.kind`):
    text     str (anything else is shown with str(); None or "" is an empty cell)
    int      int
    money    Decimal euros (int and float accepted); with `money_in_cents`,
             integer cents (12345 is 123,45 €)
    date     date, datetime (UTC, shown in local time) or an ISO string
    percent  Decimal percent: 21 means 21 %
A column with `labels` shows each code as its translated label.

xlsxwriter is imported when an export starts, never at application start-up.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any, BinaryIO

from ..i18n import _, count_text, current_language
from ..money import from_cents
from .columns import ReportColumn

# Excel's own limits.
MAX_ROWS = 1_048_576
SHEET_NAME_MAX = 31

# Text a spreadsheet would read as a formula (or DDE) when the cell is edited.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")

# The layout: title, as-of line, a blank row, then the header.
TITLE_ROW = 0
SUBTITLE_ROW = 1
HEADER_ROW = 3
FIRST_DATA_ROW = HEADER_ROW + 1

# How often the progress callback and the cancellation check run.
CHECK_EVERY = 2000
# Rows measured for the column widths (after that, widths are fixed).
WIDTH_SAMPLE = 500
MIN_WIDTH, MAX_WIDTH = 6, 60

MONEY_FORMAT = '#,##0.00 "€";[Red]-#,##0.00 "€"'
PERCENT_FORMAT = "0.0%"
INT_FORMAT = "0"
DATE_FORMATS = {"es": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
DATETIME_FORMATS = {"es": "dd/mm/yyyy hh:mm", "en": "yyyy-mm-dd hh:mm"}

# Excel's day 0 is 1899-12-30 (which absorbs the 1900 leap-year bug for dates after March 1900).
_EXCEL_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()

Progress = Callable[[int, int | None], None]
Cancelled = Callable[[], bool]


class SheetFull(Exception):
    """The list has more rows than a worksheet holds (the message says how many)."""


class ExportCancelled(Exception):
    """The person cancelled the export; nothing was written."""

    def __init__(self) -> None:
        super().__init__(_("export cancelled; no file was written"))


def excel_serial(value: dt.date | dt.datetime) -> float:
    """A date or naive datetime as Excel's serial day number."""
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return value.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400
    return float(value.toordinal() - _EXCEL_EPOCH_ORDINAL)


def _local(value: dt.datetime) -> dt.datetime:
    """Timestamps are stored in UTC (naive) and shown in local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().replace(tzinfo=None)


def text_of(value: Any) -> str:
    """What a text cell shows for a non-text value."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def sheet_name(title: str) -> str:
    """A valid worksheet name: no []:*?/\\ characters, at most 31 of them."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip(" '")
    return (cleaned or "Sheet")[:SHEET_NAME_MAX]


class _Sheet:
    """One worksheet being written: the formats and a typed writer per column."""

    def __init__(
        self,
        workbook: Any,
        worksheet: Any,
        columns: Sequence[ReportColumn],
        money_in_cents: bool = False,
    ):
        self.ws = worksheet
        self.columns = list(columns)
        self.money_in_cents = money_in_cents
        language = current_language()
        add = workbook.add_format
        self.title_format = add({"bold": True, "font_size": 14})
        self.subtitle_format = add({"italic": True, "font_color": "#595959"})
        self.header_format = add(
            {"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
        )
        self.header_right_format = add(
            {
                "bold": True,
                "bottom": 1,
                "bg_color": "#DDEBF7",
                "text_wrap": True,
                "valign": "top",
                "align": "right",
            }
        )
        self.quoted_format = add({"quote_prefix": True})
        self.money_format = add({"num_format": MONEY_FORMAT})
        self.int_format = add({"num_format": INT_FORMAT})
        self.percent_format = add({"num_format": PERCENT_FORMAT})
        self.date_format = add({"num_format": DATE_FORMATS.get(language, DATE_FORMATS["en"])})
        self.datetime_format = add(
            {"num_format": DATETIME_FORMATS.get(language, DATETIME_FORMATS["en"])}
        )
        self.total_label_format = add({"bold": True, "top": 1})
        self.total_money_format = add({"bold": True, "top": 1, "num_format": MONEY_FORMAT})
        self.total_blank_format = add({"top": 1})
        # Integer cents when the amounts come as cents, else Decimal euros.
        self.sums: dict[int, Decimal | int] = {
            i: 0 if money_in_cents else Decimal(0)
            for i, c in enumerate(self.columns)
            if c.kind == "money"
        }
        self.widths = [self._header_width(_(c.label), c.kind) for c in self.columns]
        self._dates: dict[str, float | None] = {}
        # codes shown as their translated labels (a status, a kind)
        self.words = {
            i: {code: _(label) for code, label in c.labels.items()}
            for i, c in enumerate(self.columns)
            if c.labels
        }
        self.writers = [self._writer(i, c.kind) for i, c in enumerate(self.columns)]

    @staticmethod
    def _header_width(label: str, kind: str) -> int:
        minimum = {"money": 14, "date": 11, "percent": 8}.get(kind, MIN_WIDTH)
        longest_word = max((len(w) for w in label.split()), default=0)
        return max(minimum, min(len(label), 24), longest_word) + 2

    # --- one typed writer per column kind ----------------------------------------
    # These run once per cell (15 million times for a million invoices): each is one
    # closure over what it needs, and hands xlsxwriter a float, which it checks and
    # prints far faster than a Decimal (the same number in the file).

    def _writer(self, index: int, kind: str) -> Callable[[int, int, Any], None]:
        ws = self.ws
        if kind == "money":
            write_number = _cell_writer(ws, "write_number")
            fmt = self.money_format
            sums = self.sums
            if self.money_in_cents:

                def cents(row: int, col: int, value: Any) -> None:
                    if value is None:
                        return
                    # int / 100 is the double nearest the amount, as Decimal euros give
                    write_number(row, col, value / 100, fmt)
                    sums[col] += value

                return cents

            def money(row: int, col: int, value: Any) -> None:
                if value is None:
                    return
                if value.__class__ is not Decimal:
                    value = Decimal(str(value))
                write_number(row, col, float(value), fmt)
                sums[col] += value

            return money
        if kind == "int":
            write_number = _cell_writer(ws, "write_number")
            fmt = self.int_format

            def integer(row: int, col: int, value: Any) -> None:
                if value is None or value == "":
                    return
                write_number(row, col, value, fmt)

            return integer
        if kind == "percent":
            write_number = _cell_writer(ws, "write_number")
            fmt = self.percent_format

            def percent(row: int, col: int, value: Any) -> None:
                if value is None or value == "":
                    return
                if value.__class__ is not Decimal:
                    value = Decimal(str(value))
                write_number(row, col, float(value / 100), fmt)

            return percent
        if kind == "date":
            write_number = _cell_writer(ws, "write_number")
            date_format, datetime_format = self.date_format, self.datetime_format
            cache = self._dates
            as_text = self._text_writer(None)

            def date(row: int, col: int, value: Any) -> None:
                if value is None or value == "":
                    return
                if value.__class__ is str:
                    serial = cache.get(value, -1.0)
                    if serial == -1.0:
                        serial = cache[value] = _iso_serial(value)
                    if serial is None:  # not a date after all: keep what it says
                        as_text(row, col, value)
                        return
                    timed = len(value) > 10
                    write_number(row, col, serial, datetime_format if timed else date_format)
                elif isinstance(value, dt.datetime):
                    write_number(row, col, excel_serial(_local(value)), datetime_format)
                else:
                    write_number(row, col, excel_serial(value), date_format)

            return date
        return self._text_writer(self.words.get(index))

    def _text_writer(self, words: Mapping[Any, str] | None) -> Callable[[int, int, Any], None]:
        """Text as it is (codes shown as their `words`), never taken for a formula."""
        write_string = _cell_writer(self.ws, "write_string")
        quoted = self.quoted_format
        triggers = FORMULA_TRIGGERS
        get = words.get if words else None

        def text(row: int, col: int, value: Any) -> None:
            if get is not None:
                value = get(value, value)
            if value is None:
                return
            if value.__class__ is not str:
                value = text_of(value)
            if not value:
                return
            if value[0] in triggers:
                write_string(row, col, value, quoted)
            else:
                write_string(row, col, value)

        return text

    # --- widths ------------------------------------------------------------------

    def measure(self, values: Sequence[Any]) -> None:
        widths = self.widths
        for i, (column, value) in enumerate(zip(self.columns, values, strict=False)):
            if value is None:
                continue
            if i in self.words:
                value = self.words[i].get(value, value)
            kind = column.kind
            if kind == "money":
                amount = from_cents(value) if self.money_in_cents else Decimal(str(value))
                size = len(f"{amount:,.2f}") + 4
            elif kind == "date":
                size = 17 if isinstance(value, dt.datetime) or len(str(value)) > 10 else 11
            elif kind == "percent":
                size = 8
            else:
                text = value if value.__class__ is str else text_of(value)
                size = max((len(part) for part in text.split("\n")), default=0) + 2
            if size > widths[i]:
                widths[i] = min(size, MAX_WIDTH)

    def total(self, index: int) -> Decimal:
        """The sum of money column `index`, in euros."""
        amount = self.sums[index]
        return from_cents(int(amount)) if self.money_in_cents else Decimal(amount)

    def set_widths(self) -> None:
        for i, width in enumerate(self.widths):
            self.ws.set_column(i, i, width)


def _cell_writer(worksheet: Any, name: str) -> Callable[..., Any]:
    """The worksheet's typed write by row and column numbers, without the wrapper that
    first tries each call's row as A1 notation ("B3"): xlsxwriter keeps the undecorated
    method beside each public one (`_write_number` behind `write_number`), and its
    wrapper (a call and an int() per cell) weighs at 15 million cells. The public
    method when a version does not have it."""
    return getattr(worksheet, f"_{name}", None) or getattr(worksheet, name)


def _iso_serial(text: str) -> float | None:
    raw = text.strip()
    try:
        if len(raw) <= 10:
            return excel_serial(dt.date.fromisoformat(raw))
        moment = dt.datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return excel_serial(_local(moment))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def write_workbook(
    file: BinaryIO,
    columns: Sequence[ReportColumn],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    title: str,
    as_of: dt.date | None = None,
    notes: Sequence[str] = (),
    total: int | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    author: str = "",
    money_in_cents: bool = False,
) -> int:
    """Write `rows` as a formatted workbook into `file`; returns the number of rows.

    `rows` yields either mappings keyed by `ReportColumn.key` or sequences in
    column order; their money columns hold Decimal euros, or integer cents with
    `money_in_cents` (the same cells either way). `total` (if known) is handed to
    `progress(done, total)`, which is called every few thousand rows; `cancelled()`
    returning True stops the export and raises ExportCancelled (the caller discards the file).
    """
    import xlsxwriter

    columns = list(columns)
    work_dir = tempfile.TemporaryDirectory(prefix="tui-crm-xlsx-")
    workbook = None
    try:
        workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": work_dir.name,
            },
        )
        workbook.set_properties(
            {"title": title, "author": author, "comments": "tui-crm", "created": dt.datetime.now()}
        )
        worksheet = workbook.add_worksheet(sheet_name(title))
        sheet = _Sheet(workbook, worksheet, columns, money_in_cents)
        count = _write_sheet(sheet, rows, title, as_of, notes, total, progress, cancelled)
        workbook.close()
        workbook = None
    finally:
        if workbook is not None:
            _abandon(workbook)
        work_dir.cleanup()
    return count


def _abandon(workbook: Any) -> None:
    """Let go of an unfinished workbook: its row file lives in the work dir removed next."""
    for worksheet in workbook.worksheets():
        handle = getattr(worksheet, "row_data_fh", None)
        if handle is not None and not handle.closed:
            handle.close()


def _write_sheet(
    sheet: _Sheet,
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    title: str,
    as_of: dt.date | None,
    notes: Sequence[str],
    total: int | None,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> int:
    ws = sheet.ws
    columns = sheet.columns
    width = len(columns)
    ws.write_string(TITLE_ROW, 0, title, sheet.title_format)
    subtitle = [
        _("As of {date}").format(date=_format_date(as_of or dt.date.today())),
        *notes,
    ]
    ws.write_string(SUBTITLE_ROW, 0, " · ".join(s for s in subtitle if s), sheet.subtitle_format)
    for i, column in enumerate(columns):
        header = sheet.header_right_format if column.kind in ("money", "int", "percent") else None
        ws.write_string(HEADER_ROW, i, _(column.label), header or sheet.header_format)

    iterator = iter(rows)
    first = next(iterator, None)
    row_index = FIRST_DATA_ROW
    if first is not None:
        getter = _getter(first, columns)
        writers = list(enumerate(sheet.writers))
        limit = MAX_ROWS - 1  # one row for the totals
        done = 0
        check_at = CHECK_EVERY
        for source in chain((first,), iterator):
            values = getter(source)
            if done < WIDTH_SAMPLE:
                sheet.measure(values)
            if row_index >= limit:
                raise SheetFull(
                    _("the list has more than {n} rows, the most a worksheet holds").format(
                        n=count_text(limit - FIRST_DATA_ROW)
                    )
                )
            for col, write in writers:
                write(row_index, col, values[col])
            row_index += 1
            done += 1
            if done >= check_at:
                check_at += CHECK_EVERY
                if cancelled is not None and cancelled():
                    raise ExportCancelled()
                if progress is not None:
                    progress(done, total)
        if cancelled is not None and cancelled():
            raise ExportCancelled()
        last_data_row = row_index - 1
        _write_totals(sheet, row_index, last_data_row)
        ws.autofilter(HEADER_ROW, 0, last_data_row, width - 1)
        if progress is not None:
            progress(done, total)
        count = done
    else:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW, width - 1)
        ws.write_string(FIRST_DATA_ROW, 0, _("No rows."), sheet.subtitle_format)
        if progress is not None:
            progress(0, total)
        count = 0
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    sheet.set_widths()
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    return count


def _getter(first: Any, columns: Sequence[ReportColumn]) -> Callable[[Any], Sequence[Any]]:
    if isinstance(first, Mapping):
        keys = [c.key for c in columns]
        if len(keys) == 1:
            key = keys[0]
            return lambda row: (row.get(key),)
        pick = itemgetter(*keys)

        def values(row: Mapping[str, Any]) -> Sequence[Any]:
            try:
                return pick(row)
            except KeyError:
                return tuple(row.get(k) for k in keys)

        return values
    expected = len(columns)

    def as_sequence(row: Sequence[Any]) -> Sequence[Any]:
        if len(row) < expected:
            return (*row, *([None] * (expected - len(row))))
        return row

    return as_sequence


def _write_totals(sheet: _Sheet, row: int, last_data_row: int) -> None:
    """Totals under the data: SUBTOTAL(109, …) sums only the rows the filter shows."""
    if not sheet.sums:
        return
    ws = sheet.ws
    first_excel_row, last_excel_row = FIRST_DATA_ROW + 1, last_data_row + 1
    label_column = next((i for i in range(len(sheet.columns)) if i not in sheet.sums), None)
    for i in range(len(sheet.columns)):
        if i in sheet.sums:
            letter = _column_letter(i)
            ws.write_formula(
                row,
                i,
                f"=SUBTOTAL(109,{letter}{first_excel_row}:{letter}{last_excel_row})",
                sheet.total_money_format,
                sheet.total(i),
            )
        elif i == label_column:
            ws.write_string(row, i, _("Total"), sheet.total_label_format)
        else:
            ws.write_blank(row, i, None, sheet.total_blank_format)


def _format_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y") if current_language() == "es" else value.isoformat()
