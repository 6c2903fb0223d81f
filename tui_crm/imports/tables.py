"""Reading a spreadsheet someone hands us: `.xlsx` (openpyxl, read-only) or `.csv`.

The file's content decides how it is read, not its name: a PDF renamed `.xlsx`,
a password-protected workbook (an encrypted OLE container), an old `.xls`, an
OpenDocument file or an empty file each get one sentence saying what it is and
what to do. Everything here reads; nothing writes.

`.xlsx`: the first visible worksheet is read (hidden sheets are named in a
note); formulas contribute the value the spreadsheet last computed, and a
formula without one refuses the file, naming the cell; merged header cells
refuse the file (a column must have its own header); rows that are entirely
empty (thousands of formatted trailing rows included) are skipped.

`.csv`: the encoding is detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM as
Excel's "Unicode text" writes it, else Windows-1252) and so is the delimiter
(`;` as Spanish Excel writes it, `,` or tab).

The header row is the row among the first ten non-empty ones that the caller's
`score` likes best (a title above the header, as our own exports have, is
fine). Row numbers are the ones the spreadsheet shows.

Limits: files larger than MAX_FILE_BYTES and sheets with more than MAX_ROWS
data rows are refused before anything is imported (split them), and so is a cell
holding more than MAX_CELL_CHARS characters (Excel's own limit): a small workbook whose
one cell unpacks to hundreds of megabytes is found by a streaming scan of the XML before
openpyxl would hold it in memory.

A CSV that is not UTF-8 throughout but has UTF-8 lines (two files pasted together) is
read line by line in the encoding each line is in, and the report says which rows were
which: "MuÃ±oz" is never imported without a word.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from ..i18n import N_, _, count_text
from ..services.errors import ServiceError
from ..text import fold
from .xlsx_child import ChildReader
from .xlsx_child import is_empty as _is_empty

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELL_CHARS = 32_767  # what Excel itself lets a cell hold
HEADER_SEARCH_ROWS = 10
# Workbooks from this size on are parsed in a child process while this one checks the
# rows (see xlsx_child); below it, starting the child costs more than it saves.
CHILD_READER_BYTES = 256 * 1024
CELL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

# In a worksheet's XML: a formula cell closed without a cached <v> value, and merged ranges.
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_FORMULA_WITHOUT_VALUE = re.compile(
    rf"(?:<{_P}f\b[^>]*/>|</{_P}f>)\s*(?:<{_P}v\s*/>|<{_P}v>\s*</{_P}v>)?\s*</{_P}c>".encode()
)
_FORMULA = re.compile(rf"<{_P}f[\s>/]".encode())
_FORMULA_MARKS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")
_CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br="([A-Z]+[0-9]+)"')
_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"'
)


class ImportFileError(ServiceError):
    """The file cannot be imported at all: one sentence naming the file and the problem."""


@dataclass
class Table:
    """A sheet opened for import: its header and an iterator over its non-empty data rows."""

    path: Path
    kind: str  # "xlsx" or "csv"
    sheet: str  # worksheet name ("" for CSV)
    header_row: int  # as the spreadsheet numbers it (1-based)
    headers: list[str]  # the text of each header cell, "" where empty
    rows: Iterator[tuple[int, tuple[Any, ...]]]  # (row number, values)
    estimated_rows: int | None = None  # data rows, when the file says (for progress)
    notes: list[str] = field(default_factory=list)  # one-line remarks for the report
    _closer: Callable[[], None] | None = None

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic garbage collector while an import builds its rows.

    An import allocates tens of thousands of records that live until it ends, and
    every collection of the oldest generation walks them all again, with the whole
    program's heap: about a sixth of the time of a 10,000-row import. The rows form no
    reference cycles; what other threads leave meanwhile is collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def column_letter(index: int) -> str:
    """0 -> "A", 27 -> "AB"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def normalise_header(text: Any) -> str:
    """What a header means regardless of case, accents and punctuation: "C.P." -> "cp",
    "Razón social" -> "razon social", "E-mail" -> "e mail", "IVA (%)" -> "iva %"."""
    folded = fold(cell_text(text)).replace(".", "")  # "C.P." and "Tel." mean "CP" and "Tel"
    folded = folded.replace("%", " % ")  # "IVA %" (a rate) is not "IVA" (an amount)
    return " ".join(re.sub(r"[^0-9a-z%]+", " ", folded).split())


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates in ISO, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- opening ---------------------------------------------------------------------


def open_table(path: Path | str, score: Callable[[list[str]], int]) -> Table:
    """Open `path` for import, or raise ImportFileError with one sentence saying why not.

    `score(normalised_headers)` rates a candidate header row (how many headers it
    recognises); the best of the first ten non-empty rows is the header.
    """
    source = Path(path).expanduser()
    name = source.name
    if not source.exists():
        raise ImportFileError(_("{file}: the file does not exist").format(file=source))
    if source.is_dir():
        raise ImportFileError(_("{file} is a directory, not a file").format(file=source))
    size = source.stat().st_size
    if size == 0:
        raise ImportFileError(_("{file} is empty").format(file=name))
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            _(
                "{file} is {size}; files up to {limit} can be imported "
                "(about {rows} rows): split it into smaller files"
            ).format(
                file=name,
                size=_size_text(size),
                limit=_size_text(MAX_FILE_BYTES),
                rows=count_text(MAX_ROWS),
            )
        )
    try:
        with source.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ImportFileError(
            _("{file}: cannot read it ({error})").format(file=name, error=exc.strerror or exc)
        ) from None
    if head.startswith(b"%PDF"):
        raise ImportFileError(
            _(
                "{file} is a PDF document, not a spreadsheet: export the data as .xlsx or .csv"
            ).format(file=name)
        )
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in source.read_bytes():
            raise ImportFileError(
                _(
                    "{file} is protected with a password: open it in your spreadsheet, "
                    "save a copy without the password and import that"
                ).format(file=name)
            )
        raise ImportFileError(
            _("{file} is an old Excel 97-2003 (.xls) workbook: save it as .xlsx or .csv").format(
                file=name
            )
        )
    if head.startswith(b"PK"):
        return _open_xlsx(source, score)
    if source.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise ImportFileError(
            _("{file} is not an Excel workbook (its content is not .xlsx): {hint}").format(
                file=name, hint=_("save it as .xlsx or .csv")
            )
        )
    return _open_csv(source, score)


def _choose_header(
    candidates: list[tuple[int, tuple[Any, ...]]], score: Callable[[list[str]], int]
) -> int:
    """Index in `candidates` of the header row: the best-scoring one, else the first."""
    best, best_score = 0, 0
    for i, (_number, values) in enumerate(candidates):
        points = score([normalise_header(v) for v in values])
        if points > best_score:
            best, best_score = i, points
    return best


def _table_from_rows(
    path: Path,
    kind: str,
    sheet: str,
    rows: Iterator[tuple[int, tuple[Any, ...]]],
    score: Callable[[list[str]], int],
    notes: list[str],
    estimated_rows: int | None,
    closer: Callable[[], None] | None,
    check_header: Callable[[int, int], None] | None = None,
) -> Table:
    candidates: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in rows:
        candidates.append((number, values))
        if len(candidates) >= HEADER_SEARCH_ROWS:
            break
    if not candidates:
        if closer:
            closer()
        raise ImportFileError(_("{file} has no rows: the sheet is empty").format(file=path.name))
    index = _choose_header(candidates, score)
    header_row, header_values = candidates[index]
    headers = [cell_text(v) for v in header_values]
    while headers and not headers[-1]:
        headers.pop()
    if check_header is not None:
        check_header(header_row, len(headers))
    pending = candidates[index + 1 :]
    if estimated_rows is not None:
        estimated_rows = max(0, estimated_rows - header_row)

    def data() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for count, item in enumerate(_chain(pending, rows), 1):
            if count > MAX_ROWS:
                raise ImportFileError(
                    _(
                        "{file} has more than {n} data rows, the most one import takes: "
                        "split it into smaller files"
                    ).format(file=path.name, n=count_text(MAX_ROWS))
                )
            yield item

    return Table(
        path=path,
        kind=kind,
        sheet=sheet,
        header_row=header_row,
        headers=headers,
        rows=data(),
        estimated_rows=estimated_rows,
        notes=notes,
        _closer=closer,
    )


def _chain(
    first: list[tuple[int, tuple[Any, ...]]], rest: Iterator[tuple[int, tuple[Any, ...]]]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    yield from first
    yield from rest


# --- xlsx ------------------------------------------------------------------------


@dataclass(frozen=True)
class _SheetInfo:
    name: str
    state: str  # visible hidden veryHidden
    part: str  # "xl/worksheets/sheet1.xml"


def _workbook_sheets(archive: zipfile.ZipFile) -> list[_SheetInfo]:
    """The worksheets listed by the workbook, in order, with their state and XML part."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        rels = ElementTree.fromstring(b"<Relationships/>")
    targets = {}
    for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = "xl/" + target
        targets[rel.get("Id")] = target
    sheets = []
    for sheet in workbook.iter(f"{{{_NS_MAIN}}}sheet"):
        part = targets.get(sheet.get(f"{{{_NS_REL}}}id"), "")
        if "worksheets/" not in part:
            continue  # a chart sheet: no cells
        sheets.append(_SheetInfo(sheet.get("name", ""), sheet.get("state", "visible"), part))
    return sheets


@dataclass
class _SheetScan:
    formulas: int = 0
    formula_without_value: str = ""  # the first such cell, "C7"
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # r1 c1 r2 c2 (1-based rows)
    oversized: bool = False  # a cell's text longer than MAX_CELL_CHARS


class _RunMeter:
    """The longest run of text without "<" in a streamed XML part (a cell's text), in
    characters; only runs already longer than the limit in bytes are decoded to count."""

    def __init__(self) -> None:
        self.run = 0  # characters of the run still open at the end of the last chunk

    @staticmethod
    def _chars(piece: bytes) -> int:
        if len(piece) <= MAX_CELL_CHARS:
            return len(piece)  # bytes >= characters: under the limit either way
        return len(piece.decode("utf-8", "ignore"))

    def feed(self, chunk: bytes) -> bool:
        """True as soon as a run exceeds MAX_CELL_CHARS (the caller stops reading)."""
        first = chunk.find(b"<")
        if first == -1:
            self.run += self._chars(chunk)
            return self.run > MAX_CELL_CHARS
        if self.run + self._chars(chunk[:first]) > MAX_CELL_CHARS:
            return True
        last = chunk.rfind(b"<")
        # After each "<" but the last: the tag up to ">", then the text. Only a stretch
        # longer than the limit in bytes can hold such a text: the regex finds those at C
        # speed (a split and a generator over every tag cost a third of an import).
        for found in _LONG_STRETCH.finditer(chunk, first, last + 1):
            if self._chars(found.group(1).partition(b">")[2]) > MAX_CELL_CHARS:
                return True
        tail = chunk[last + 1 :]
        self.run = self._chars(tail.partition(b">")[2]) if b">" in tail else 0
        return self.run > MAX_CELL_CHARS


_LONG_STRETCH = re.compile(rb"<([^<]{%d,})(?=<)" % (MAX_CELL_CHARS + 1))


def _oversized_part(
    archive: zipfile.ZipFile, part: str, also: Callable[[bytes], Any] | None = None
) -> bool:
    """Whether a part of the workbook (the shared strings) holds an oversized cell text;
    `also` is given each chunk read, in order."""
    meter = _RunMeter()
    with archive.open(part) as fh:
        while chunk := fh.read(1 << 20):
            if meter.feed(chunk):
                return True
            if also is not None:
                also(chunk)
    return False


def _scan_sheet(archive: zipfile.ZipFile, part: str) -> _SheetScan:
    """One streaming pass over the sheet's XML for what openpyxl's read-only mode hides:
    formulas without a computed value, and merged ranges."""
    scan = _SheetScan()
    overlap = b""
    meter = _RunMeter()
    with archive.open(part) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            if meter.feed(chunk):
                scan.oversized = True
                break
            data = overlap + chunk
            # Plain substring tests first (C speed): most sheets have neither.
            if any(mark in data for mark in _FORMULA_MARKS):
                # Count only formulas starting in the new part (the overlap was counted before).
                scan.formulas += len(_FORMULA.findall(data, len(overlap)))
                if not scan.formula_without_value:
                    found = _FORMULA_WITHOUT_VALUE.search(data)
                    if found:
                        refs = _CELL_REF.findall(data, 0, found.start())
                        scan.formula_without_value = refs[-1].decode() if refs else "?"
            if b"mergeCell" in data:
                for c1, r1, c2, r2 in _MERGE.findall(data, len(overlap)):
                    scan.merged.append(
                        (int(r1), _column_index(c1.decode()), int(r2), _column_index(c2.decode()))
                    )
            overlap = data[-4096:]
    return scan


def _strings_problem(archive: zipfile.ZipFile, part: str) -> str:
    """What refuses the shared strings table before any row is read: "oversized" (a text
    longer than MAX_CELL_CHARS), the name of the error that makes it unreadable (XML that
    is not well-formed, a damaged archive member), or "".

    The child reads the table only as the rows need it (see xlsx_child), so a table cut
    in the middle would otherwise be found halfway through the import: here it is read in
    the same pass that measures its texts, by expat at C speed (a tenth of the sheet scan).
    """
    parser = expat.ParserCreate()
    try:
        if _oversized_part(archive, part, parser.Parse):
            return "oversized"
        parser.Parse(b"", True)
    except expat.ExpatError:
        return "ParseError"  # what openpyxl's reading calls it
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        return type(exc).__name__
    return ""


def _open_xlsx(source: Path, score: Callable[[list[str]], int]) -> Table:
    name = source.name
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(
            _("{file} is damaged or not an Excel workbook: {hint}").format(
                file=name, hint=_("save it again as .xlsx or .csv")
            )
        ) from None
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            if "content.xml" in names:
                raise ImportFileError(
                    _(
                        "{file} is an OpenDocument spreadsheet (.ods): save it as .xlsx or .csv"
                    ).format(file=name)
                )
            raise ImportFileError(
                _("{file} is a ZIP archive, not an Excel workbook").format(file=name)
            )
        try:
            sheets = _workbook_sheets(archive)
        except (ElementTree.ParseError, KeyError):
            raise ImportFileError(
                _("{file} is damaged: its list of sheets cannot be read").format(file=name)
            ) from None
        visible = [s for s in sheets if s.state == "visible"]
        if not visible:
            raise ImportFileError(_("{file} has no visible worksheet").format(file=name))
        chosen = visible[0]
        if chosen.part not in names:
            raise ImportFileError(
                _("{file} is damaged: sheet {sheet} is missing").format(
                    file=name, sheet=chosen.name
                )
            )
        # A large sheet's child starts now: it parses the workbook while this process
        # scans the sheet's XML below (a tenth of the reading time); a file the scan
        # refuses stops it.
        reader = _start_child(source, chosen.name)
        try:
            return _checked_xlsx(source, archive, names, sheets, chosen, score, reader)
        except BaseException:
            if reader is not None:
                reader.close()
            raise


def _start_child(source: Path, sheet: str) -> ChildReader | None:
    """A ChildReader for a workbook of CHILD_READER_BYTES or more, else None (also when no
    process can be started here: the caller reads in this one)."""
    if source.stat().st_size < CHILD_READER_BYTES:
        return None
    try:
        return ChildReader(str(source), sheet)
    except OSError:
        return None


def _checked_xlsx(
    source: Path,
    archive: zipfile.ZipFile,
    names: set[str],
    sheets: list[_SheetInfo],
    chosen: _SheetInfo,
    score: Callable[[list[str]], int],
    reader: ChildReader | None,
) -> Table:
    """The chosen sheet checked for what openpyxl's read-only mode hides, then opened: by
    `reader` (a child process) when there is one."""
    name = source.name
    try:
        scan = _scan_sheet(archive, chosen.part)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        raise ImportFileError(
            _("{file} is damaged: sheet {sheet} cannot be read").format(
                file=name, sheet=chosen.name
            )
        ) from None
    strings = ""
    if not scan.oversized and "xl/sharedStrings.xml" in names:
        strings = _strings_problem(archive, "xl/sharedStrings.xml")
    if strings not in ("", "oversized"):
        raise ImportFileError(
            _("{file} is damaged or not an Excel workbook ({error})").format(
                file=name, error=strings
            )
        )
    if scan.oversized or strings == "oversized":
        raise ImportFileError(
            _(
                "{file}: a cell of sheet “{sheet}” holds more than {n} characters (more than "
                "Excel itself allows): shorten it or remove it"
            ).format(file=name, sheet=chosen.name, n=count_text(MAX_CELL_CHARS))
        )
    notes: list[str] = []
    hidden = [s.name for s in sheets if s.state != "visible"]
    others = [s.name for s in sheets if s.state == "visible" and s is not chosen]
    if hidden:
        notes.append(
            _(
                "Read sheet “{sheet}”, the first visible one; hidden sheets not read: {names}"
            ).format(sheet=chosen.name, names=", ".join(hidden))
        )
    if others:
        notes.append(
            _("Read sheet “{sheet}”; other sheets not read: {names}").format(
                sheet=chosen.name, names=", ".join(others)
            )
        )
    if scan.formula_without_value:
        raise ImportFileError(
            _(
                "{file}: cell {cell} of sheet “{sheet}” has a formula with no computed value: "
                "open the file in your spreadsheet and save it, or paste the values"
            ).format(file=name, cell=scan.formula_without_value, sheet=chosen.name)
        )
    if scan.formulas:
        notes.append(
            _("{n} cells have formulas: the values the spreadsheet computed were imported").format(
                n=count_text(scan.formulas)
            )
        )

    def check_header(header_row: int, width: int) -> None:
        for r1, c1, r2, c2 in scan.merged:
            if r1 <= header_row <= r2 and c2 > c1 and c1 < max(width, 1):
                raise ImportFileError(
                    _(
                        "{file}: header cells {cells} are merged: unmerge them so that every "
                        "column has its own header"
                    ).format(
                        file=name,
                        cells=f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}",
                    )
                )

    if reader is not None:
        table = _read_in_child(reader, source, chosen.name, score, notes, check_header)
        if table is not None:
            return table

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(
            _("{file} is damaged or not an Excel workbook ({error})").format(
                file=name, error=type(exc).__name__
            )
        ) from None
    worksheet = workbook[chosen.name]
    try:
        estimated = worksheet.max_row
    except Exception:
        estimated = None
    worksheet.reset_dimensions()  # do not trust the size the file declares: read what is there

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1):
            if not _is_empty(values):
                yield number, values

    try:
        return _table_from_rows(
            source,
            "xlsx",
            chosen.name,
            rows(),
            score,
            notes,
            estimated if isinstance(estimated, int) and estimated < 1_048_576 else None,
            workbook.close,
            check_header,
        )
    except ImportFileError:
        workbook.close()
        raise
    except Exception as exc:
        workbook.close()
        raise ImportFileError(
            _("{file} is damaged: {error}").format(file=name, error=type(exc).__name__)
        ) from None


def _read_in_child(
    reader: ChildReader,
    source: Path,
    sheet: str,
    score: Callable[[list[str]], int],
    notes: list[str],
    check_header: Callable[[int, int], None],
) -> Table | None:
    """The sheet read by `reader`, a started ChildReader; None when the child could not
    start its work (the caller reads in this process)."""
    from .xlsx_child import ChildReadError

    name = source.name

    def failure(exc: ChildReadError) -> ImportFileError:
        if exc.phase == "open":
            return ImportFileError(
                _("{file} is damaged or not an Excel workbook ({error})").format(
                    file=name, error=exc.error
                )
            )
        if exc.error:
            return ImportFileError(
                _("{file} is damaged: {error}").format(file=name, error=exc.error)
            )
        return ImportFileError(
            _("{file}: the process reading it stopped unexpectedly (exit code {code})").format(
                file=name, code=exc.exitcode
            )
        )

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            yield from reader.rows()
        except ChildReadError as exc:
            raise failure(exc) from None

    try:
        declared = reader.declared_rows()
    except ChildReadError as exc:
        reader.close()
        if not exc.error and exc.exitcode == 1:
            # The child failed to start (a fresh interpreter that cannot import this
            # package, say): read here, as small files are. A child killed while it
            # opened the file (out of memory on a hostile one) is reported instead.
            return None
        raise failure(exc) from None
    try:
        return _table_from_rows(
            source,
            "xlsx",
            sheet,
            rows(),
            score,
            notes,
            declared if declared is not None and declared < 1_048_576 else None,
            reader.close,
            check_header,
        )
    except ChildReadError as exc:
        reader.close()
        raise failure(exc) from None
    except BaseException:
        reader.close()
        raise


# --- csv -------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _decode_mixed(data: bytes) -> tuple[str, list[int]]:
    """A file that is not UTF-8 throughout: each line in UTF-8 when it is valid UTF-8 with
    non-ASCII letters, else Windows-1252. Returns the text and the (1-based) lines read as
    UTF-8 (empty: the whole file is Windows-1252, nothing is mixed)."""
    lines = data.split(b"\n")
    utf8_lines: list[int] = []
    decoded = []
    for number, raw in enumerate(lines, 1):
        if not raw.isascii():
            try:
                decoded.append(raw.decode("utf-8"))
                utf8_lines.append(number)
                continue
            except UnicodeDecodeError:
                pass
        try:
            decoded.append(raw.decode("cp1252"))
        except UnicodeDecodeError:
            decoded.append(raw.decode("latin-1"))  # bytes Windows-1252 leaves undefined
    return "\n".join(decoded), utf8_lines


def detect_delimiter(text: str) -> str:
    """The delimiter of the first non-empty line: `;`, `,` or tab (quoted text ignored)."""
    for line in text.splitlines():
        if not line.strip():
            continue
        unquoted = re.sub(r'"[^"]*"', "", line)
        counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
        best = max(counts, key=lambda d: (counts[d], d == ";"))
        return best if counts[best] else ";"
    return ";"


_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}
_DELIMITER_LABELS = {";": "“;”", ",": "“,”", "\t": N_("tab")}


def _open_csv(source: Path, score: Callable[[list[str]], int]) -> Table:
    name = source.name
    data = source.read_bytes()
    encoding = detect_encoding(data)
    mixed: list[int] = []
    if encoding == "cp1252":
        text, mixed = _decode_mixed(data)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # bytes Windows-1252 leaves undefined
            encoding = "cp1252"
    del data
    if "\x00" in text:
        raise ImportFileError(
            _(
                "{file} is not a text (CSV) file nor an Excel workbook: save it as .xlsx or .csv"
            ).format(file=name)
        )
    delimiter = detect_delimiter(text)
    notes = [
        _("Read as CSV: {encoding}, separated by {delimiter}").format(
            encoding=_ENCODING_LABELS.get(encoding, encoding),
            delimiter=_(_DELIMITER_LABELS.get(delimiter, delimiter)),
        )
    ]
    if mixed:
        notes.append(
            _(
                "The file mixes encodings: {n} lines are UTF-8 and the rest Windows-1252 "
                "(lines {lines}); each was read in its own, check their accents"
            ).format(
                n=count_text(len(mixed)),
                lines=", ".join(str(n) for n in mixed[:10]) + (" …" if len(mixed) > 10 else ""),
            )
        )
    estimated = text.count("\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        number = 0
        try:
            for values in reader:
                number += 1
                if values and not _is_empty(values):
                    if max(map(len, values)) > MAX_CELL_CHARS:
                        longest = max(range(len(values)), key=lambda i: len(values[i]))
                        raise ImportFileError(
                            _(
                                "{file}: row {row}, column {column} holds more than {n} "
                                "characters: shorten it or remove it"
                            ).format(
                                file=name,
                                row=number,
                                column=column_letter(longest),
                                n=count_text(MAX_CELL_CHARS),
                            )
                        )
                    yield number, tuple(values)
        except csv.Error as exc:
            raise ImportFileError(
                _("{file}: row {row} cannot be read as CSV ({error})").format(
                    file=name, row=number + 1, error=exc
                )
            ) from None

    return _table_from_rows(source, "csv", "", rows(), score, notes, estimated, None)
