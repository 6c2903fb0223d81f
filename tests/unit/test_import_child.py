"""Large workbooks are parsed by a child process while the import checks the rows.

The child must hand over exactly what openpyxl reads in this process, by fork and
by a fresh interpreter alike; a child that fails or dies is one sentence; a
cancelled or refused import leaves no child behind.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import re
import signal
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.import_support import client_count, import_audits
from tui_crm.imports.clients import import_clients
from tui_crm.imports.report import ImportCancelled
from tui_crm.imports.tables import CHILD_READER_BYTES, ImportFileError, open_table
from tui_crm.imports.xlsx_child import ChildReader, ChildReadError, _StringsOnDemand

METHODS = ("fork", "exec")
ROWS = 4500


def _valid_nif(n: int) -> str:
    number = 10_000_000 + n
    return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def big_book(path: Path, rows: int = ROWS) -> Path:
    """A client list over the child-reader threshold, with every kind of cell value."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Clientes")
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    headers = ["Nombre", "NIF", "Email", "Teléfono", "Ciudad", "Días de pago", "Notas"]
    sheet.write_row(0, 0, headers)
    for i in range(1, rows + 1):
        r = i + (i // 1000)  # an empty row every thousand: row numbers must survive
        sheet.write_string(r, 0, f"Construcciones Peña {i} S.L.")
        sheet.write_string(r, 1, _valid_nif(i))
        sheet.write_string(r, 2, f"admin{i}@pena{i}.es")
        sheet.write_string(r, 3, f"91 {i:03d} {i % 1000:03d}")
        sheet.write_string(r, 4, ("Madrid", "Córdoba", "A Coruña")[i % 3])
        sheet.write_formula(r, 5, "=15*2", None, 30)  # a formula with its computed value
        sheet.write_string(r, 6, f"Nota {i}: cliente desde el año {2000 + i % 25}")
        sheet.write_datetime(r, 7, dt.datetime(2024, 1, 1) + dt.timedelta(days=i), date_format)
        sheet.write_number(r, 8, i / 4)
        sheet.write_boolean(r, 9, i % 2 == 0)
    book.close()
    assert path.stat().st_size >= CHILD_READER_BYTES  # otherwise no child is started
    return path


def _in_process(path: Path) -> list[tuple[int, tuple]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book["Clientes"]
        sheet.reset_dimensions()  # as the import does: what is there, not what is declared
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                rows.append((number, values))
        return rows
    finally:
        book.close()


def _gone(reader: ChildReader, pid: int) -> bool:
    if reader._popen is not None:
        return reader._popen.poll() is not None
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # already waited for: no zombie left
    return False


@pytest.mark.parametrize("method", METHODS)
def test_the_child_hands_over_exactly_what_openpyxl_reads(tmp_path, method):
    path = big_book(tmp_path / "clientes.xlsx")
    expected = _in_process(path)
    with ChildReader(str(path), "Clientes", method=method) as reader:
        declared = reader.declared_rows()
        received = list(reader.rows())
    assert declared == expected[-1][0]
    assert received == expected
    assert received[1000][0] == 1002  # the empty row 1001 is skipped, numbers kept
    first = received[1][1]
    assert first[5] == 30 and first[7] == dt.datetime(2024, 1, 2) and first[9] is False


def _strings_reversed(source: Path, target: Path) -> Path:
    """`source` with its shared strings table in reverse order (every cell's index
    changed to match): each row's text now sits at the far end of the table."""
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    table = parts["xl/sharedStrings.xml"]
    start, end = table.index(b"<si>"), table.rindex(b"</si>") + len(b"</si>")
    items = re.findall(rb"<si>.*?</si>", table[start:end], re.S)
    assert b"".join(items) == table[start:end]
    parts["xl/sharedStrings.xml"] = table[:start] + b"".join(reversed(items)) + table[end:]
    last = len(items) - 1
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb'(<c [^>]*t="s"[^>]*><v>)(\d+)(</v>)',
        lambda m: m.group(1) + str(last - int(m.group(2))).encode() + m.group(3),
        parts["xl/worksheets/sheet1.xml"],
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


@pytest.mark.parametrize("method", METHODS)
def test_strings_read_on_demand_give_what_openpyxl_gives_in_any_order(tmp_path, method):
    """The child reads the shared strings as rows need them: rich text, escaped
    `_x…_` sequences, repeated strings and a table in the reverse order of its use (a
    row needing the very last string first) come out as openpyxl's own reading has them."""
    path = tmp_path / "clientes.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Clientes")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["Nombre", "NIF", "Notas"])
    for i in range(1, ROWS + 1):
        sheet.write_rich_string(i, 0, "Construcciones ", bold, f"Peña {i}", " S.L.")
        sheet.write_string(i, 1, _valid_nif(i))
        sheet.write_string(i, 2, ("_x0041_ literal", "  espacios  ", "repetida")[i % 3])
    book.close()
    reversed_path = _strings_reversed(path, tmp_path / "invertido.xlsx")
    expected = _in_process(path)
    assert expected[1][1] == ("Construcciones Peña 1 S.L.", _valid_nif(1), "  espacios  ")
    assert _in_process(reversed_path) == expected
    for source in (path, reversed_path):
        with ChildReader(str(source), "Clientes", method=method) as reader:
            reader.declared_rows()
            assert list(reader.rows()) == expected


def test_strings_on_demand_index_as_a_list_does():
    table = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>uno</t></si><si><r><t>d</t></r><r><t>os</t></r></si><si><t>tres</t></si></sst>"
    )
    strings = _StringsOnDemand(io.BytesIO(table))
    assert strings[1] == "dos"  # parsed up to the index asked for, no further
    assert strings._strings == ["uno", "dos"]
    assert strings[0] == "uno" and strings[-1] == "tres" and len(strings) == 3
    with pytest.raises(IndexError):
        _StringsOnDemand(io.BytesIO(table))[3]
    assert _StringsOnDemand(io.BytesIO(table))[-3] == "uno"


@pytest.mark.parametrize("method", METHODS)
def test_closing_early_stops_the_child(tmp_path, method):
    path = big_book(tmp_path / "clientes.xlsx")
    reader = ChildReader(str(path), "Clientes", method=method)
    pid = reader.pid
    reader.declared_rows()
    next(reader.rows())
    reader.close()
    assert pid is not None and _gone(reader, pid)
    reader.close()  # twice is harmless


@pytest.mark.parametrize("method", METHODS)
def test_a_child_that_dies_is_reported_with_its_exit(tmp_path, method):
    path = big_book(tmp_path / "clientes.xlsx")
    with ChildReader(str(path), "Clientes", method=method) as reader:
        reader.declared_rows()
        assert reader.pid is not None
        os.kill(reader.pid, signal.SIGKILL)
        with pytest.raises(ChildReadError) as raised:
            for _row in reader.rows():
                pass
    assert raised.value.error == "" and raised.value.exitcode == -signal.SIGKILL


def _damage_shared_strings(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data[: len(data) // 2]  # cut in the middle of an element
            new.writestr(item, data)
    return target


def test_a_damaged_large_workbook_is_one_sentence_and_writes_nothing(db, cli, tmp_path):
    good = big_book(tmp_path / "bueno.xlsx", rows=7000)
    broken = _damage_shared_strings(good, tmp_path / "roto.xlsx")
    assert broken.stat().st_size >= CHILD_READER_BYTES
    with pytest.raises(ImportFileError, match=r"roto\.xlsx is damaged or not an Excel workbook"):
        open_table(broken, lambda headers: 1)
    result = cli("--db", db, "import", "clients", broken)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert client_count() == 0 and import_audits() == []


def test_a_large_import_indexes_every_client_as_a_full_rebuild_would(db, tmp_path):
    from tui_crm.db import execute
    from tui_crm.services.search import rebuild_search_index, search_condition

    path = big_book(tmp_path / "clientes.xlsx")
    report = import_clients(path)
    assert report.committed and report.created == ROWS and not report.rejected
    assert client_count() == ROWS
    assert execute("SELECT COUNT(*) FROM address").fetchone()[0] == ROWS  # each has a city
    indexed = execute("SELECT rowid, doc FROM client_search ORDER BY rowid").fetchall()
    rebuild_search_index()
    assert execute("SELECT rowid, doc FROM client_search ORDER BY rowid").fetchall() == indexed
    where, params = search_condition("pena 4499")
    found = execute(f"SELECT c.legal_name FROM client c WHERE {where}", params).fetchall()
    assert [r[0] for r in found] == ["Construcciones Peña 4499 S.L."]
    row = execute(
        "SELECT payment_days, created_at FROM client WHERE legal_name = ?",
        ("Construcciones Peña 7 S.L.",),
    ).fetchone()
    assert row[0] == 30
    assert dt.datetime.fromisoformat(row[1]) <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_a_cancelled_large_import_writes_nothing_and_restores_the_collector(db, tmp_path):
    path = big_book(tmp_path / "clientes.xlsx")
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2  # partway through the reading

    assert gc.isenabled()
    with pytest.raises(ImportCancelled):
        import_clients(path, cancelled=cancelled)
    assert gc.isenabled()
    assert client_count() == 0 and import_audits() == []
    gc.disable()
    try:
        import_clients(path, dry_run=True)
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()


def test_a_child_that_cannot_start_leaves_the_reading_to_this_process(db, tmp_path, monkeypatch):
    """An interpreter that exits at once (here /bin/false stands for one that cannot
    import the package): the workbook is read in this process, and imported."""
    from tui_crm.imports import xlsx_child

    path = big_book(tmp_path / "clientes.xlsx")
    monkeypatch.setattr(xlsx_child, "_can_fork", lambda: False)
    monkeypatch.setattr(xlsx_child.sys, "executable", "/bin/false")
    report = import_clients(path)
    assert report.committed and report.created == ROWS


def _drop_first_formula_value(source: Path, target: Path) -> Path:
    """The workbook with its first formula's computed value removed (never saved by a
    spreadsheet program after the formula was typed)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>15*2</f><v>30</v>", b"<f>15*2</f>", 1)
            new.writestr(item, data)
    return target


def test_a_large_workbook_refused_by_its_scan_leaves_no_child(db, tmp_path, monkeypatch):
    """The child starts before the sheet's XML is scanned (so both run at once): a file
    the scan refuses stops it, and nothing is written."""
    from tui_crm.imports import tables

    started: list[ChildReader] = []

    class Recorded(ChildReader):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(tables, "ChildReader", Recorded)
    path = _drop_first_formula_value(big_book(tmp_path / "bueno.xlsx"), tmp_path / "f.xlsx")
    assert path.stat().st_size >= CHILD_READER_BYTES
    with pytest.raises(ImportFileError, match=r"cell F2 .* has a formula with no computed value"):
        import_clients(path)
    assert len(started) == 1 and started[0]._closed
    assert started[0].pid is None or _gone(started[0], started[0].pid)
    assert client_count() == 0 and import_audits() == []
