"""Hostile files: each gets one line naming the problem, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.import_support import NIFS, client_count, import_audits, xlsx
from tui_crm.imports.clients import import_clients
from tui_crm.imports.tables import MAX_FILE_BYTES, ImportFileError

HEADER = ["Nombre", "NIF", "Email"]


def _refused(cli, db, path: Path, *expected: str) -> str:
    result = cli("--db", db, "import", "clients", path)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert client_count() == 0 and import_audits() == []
    return lines[0]


def test_empty_file(db, cli, tmp_path):
    (tmp_path / "vacio.xlsx").write_bytes(b"")
    _refused(cli, db, tmp_path / "vacio.xlsx", "vacio.xlsx is empty")
    (tmp_path / "vacio.csv").write_bytes(b"")
    _refused(cli, db, tmp_path / "vacio.csv", "is empty")


def test_a_workbook_with_an_empty_sheet(db, cli, tmp_path):
    _refused(cli, db, xlsx(tmp_path / "blank.xlsx", []), "has no rows")


def test_only_headers(db, cli, tmp_path):
    _refused(cli, db, xlsx(tmp_path / "headers.xlsx", [HEADER]), "headers but no data rows")
    (tmp_path / "headers.csv").write_text("Nombre;NIF\r\n;\r\n", encoding="utf-8")
    _refused(cli, db, tmp_path / "headers.csv", "headers but no data rows")


def test_a_pdf_renamed_xlsx(db, cli, tmp_path):
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    _refused(cli, db, path, "clientes.xlsx is a PDF document, not a spreadsheet")


def test_a_password_protected_workbook(db, cli, tmp_path):
    ooxml = pytest.importorskip(
        "msoffcrypto.format.ooxml", reason="msoffcrypto-tool (the test extra) encrypts the file"
    )
    plain = xlsx(tmp_path / "plain.xlsx", [HEADER, ["Secreto SL", NIFS[0], ""]])
    locked = tmp_path / "protegido.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        ooxml.OOXMLFile(source).encrypt("contraseña", target)
    _refused(cli, db, locked, "protegido.xlsx is protected with a password")


def test_an_old_xls_and_an_ods_and_a_plain_zip(db, cli, tmp_path):
    import zipfile

    old = tmp_path / "viejo.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    _refused(cli, db, old, "old Excel 97-2003")
    ods = tmp_path / "libre.xlsx"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    _refused(cli, db, ods, "OpenDocument")
    other = tmp_path / "fotos.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("a.jpg", b"\xff\xd8")
    _refused(cli, db, other, "ZIP archive, not an Excel workbook")
    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    _refused(cli, db, broken, "damaged")


def test_a_formula_without_a_computed_value(db, cli, tmp_path):
    book = openpyxl.Workbook()  # openpyxl writes formulas without their results
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Uno SL", NIFS[0], "a@b.es"])
    sheet.append(['=CONCATENATE("Dos", " SL")', NIFS[1], "c@d.es"])
    book.save(tmp_path / "formulas.xlsx")
    _refused(cli, db, tmp_path / "formulas.xlsx", "cell A3", "formula with no computed value")


def test_merged_header_cells(db, cli, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Contacto", None, "NIF"])
    sheet.append(["Uno SL", "Ana", "García", NIFS[0]])
    sheet.merge_cells("B1:C1")
    book.save(tmp_path / "merged.xlsx")
    _refused(cli, db, tmp_path / "merged.xlsx", "header cells B1:C1 are merged")


def test_hidden_sheets_are_skipped_and_said(db, tmp_path):
    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "Borrador"
    hidden.append(HEADER)
    hidden.append(["Oculto SL", NIFS[1], ""])
    hidden.sheet_state = "hidden"
    visible = book.create_sheet("Clientes")
    visible.append(HEADER)
    visible.append(["Visible SL", NIFS[0], ""])
    book.create_sheet("Notas").append(["nada"])
    book.save(tmp_path / "sheets.xlsx")
    report = import_clients(tmp_path / "sheets.xlsx")
    assert report.created == 1 and report.sheet == "Clientes"
    notes = " | ".join(report.notes)
    assert "Read sheet “Clientes”, the first visible one; hidden sheets not read: Borrador" in notes
    assert "other sheets not read: Notas" in notes
    from tui_crm.services import clients

    assert clients.find_by_tax_id(NIFS[1]) is None


def test_thousands_of_trailing_empty_rows_are_ignored(db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Uno SL", NIFS[0], ""])
    sheet.append(["Dos SL", NIFS[1], ""])
    for row in range(4, 30_004):  # formatted but empty: written as rows without values
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=2).value = "   "
    book.save(tmp_path / "trailing.xlsx")
    report = import_clients(tmp_path / "trailing.xlsx")
    assert (report.created, report.rows, report.rejected) == (2, 2, [])


def test_a_file_over_the_size_limit(db, cli, tmp_path):
    big = tmp_path / "enorme.xlsx"
    with big.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse on disk
    assert big.stat().st_size > MAX_FILE_BYTES
    _refused(cli, db, big, "enorme.xlsx is 50.0 MB", "split it")


def test_too_many_rows(db, tmp_path, monkeypatch):
    from tui_crm.imports import tables

    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    path = xlsx(tmp_path / "many.xlsx", [HEADER, *(["C", "", ""] for _ in range(5))])
    with pytest.raises(ImportFileError, match="more than 3 data rows"):
        import_clients(path)
    assert client_count() == 0


def test_binary_garbage_as_csv_and_a_missing_file(db, cli, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    _refused(cli, db, junk, "not a text (CSV) file")
    _refused(cli, db, tmp_path / "nowhere.csv", "does not exist")


def test_utf16_text_export_of_excel(db, tmp_path):
    text = "Nombre\tNIF\r\nMuñoz SL\t" + NIFS[0] + "\r\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    report = import_clients(path)
    assert report.created == 1
    assert any("UTF-16" in n and "tab" in n for n in report.notes)


def _one_huge_cell(path: Path, size: int) -> Path:
    """A workbook whose one cell unpacks to `size` characters (a few hundred KB zipped)."""
    import zipfile

    plain = xlsx(path.with_name("plain.xlsx"), [HEADER, ["Pequeño SL", NIFS[0], "x"]])
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if b"<t>x</t>" in data:  # openpyxl writes inline strings in the sheet
                data = data.replace(b"<t>x</t>", b"<t>" + b"A" * size + b"</t>")
            target.writestr(item, data)
    return path


def test_a_small_workbook_with_one_huge_cell_is_refused_before_it_is_read(db, cli, tmp_path):
    path = _one_huge_cell(tmp_path / "bomba.xlsx", 200_000_000)
    assert path.stat().st_size < 1_000_000  # it unpacks to 200 MB
    line = _refused(cli, db, path, "bomba.xlsx", "holds more than 32,767 characters")
    assert "Pequeño" not in line
    # Excel's own limit is accepted
    fine = _one_huge_cell(tmp_path / "limite.xlsx", 32_767)
    report = import_clients(fine, dry_run=True)  # read; its row judged on its merits
    assert report.rows == 1 and "email" in str(report.rejected).lower()


def test_an_oversized_shared_string_is_found_streaming(tmp_path):
    import zipfile

    from tui_crm.imports.tables import _oversized_part

    path = tmp_path / "shared.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ok.xml", "<sst>" + "<si><t>corto</t></si>" * 50_000 + "</sst>")
        archive.writestr("big.xml", "<sst><si><t>" + "Ñ" * 40_000 + "</t></si></sst>")
        archive.writestr("edge.xml", "<sst><si><t>" + "ñ" * 32_767 + "</t></si></sst>")
        archive.writestr("long.xml", "<sst>" + "<si><t>a</t></si>" * 9 + "x" * 3_000_000)
    with zipfile.ZipFile(path) as archive:
        assert not _oversized_part(archive, "ok.xml")
        assert _oversized_part(archive, "big.xml")  # 40,000 characters (80,000 bytes)
        assert not _oversized_part(archive, "edge.xml")  # exactly the limit, in 2-byte letters
        assert _oversized_part(archive, "long.xml")  # a run across chunks


def test_a_csv_cell_over_the_limit_names_its_row_and_column(db, cli, tmp_path):
    path = tmp_path / "largo.csv"
    path.write_text(f"Nombre;NIF;Email\r\nLargo SL;{NIFS[0]};{'a' * 40_000}\r\n", encoding="utf-8")
    _refused(cli, db, path, "largo.csv: row 2, column C holds more than 32,767 characters")


def test_a_csv_mixing_encodings_is_read_line_by_line_and_said(db, cli, tmp_path):
    path = tmp_path / "mezcla.csv"
    path.write_bytes(
        b"Nombre;NIF\r\n"
        + f"Muñoz Hermanos SL;{NIFS[0]}\r\n".encode()
        + f"Peña Asesores SL;{NIFS[1]}\r\n".encode("cp1252")
    )
    result = cli("--db", db, "import", "clients", path)
    assert result.returncode == 0, result.stderr
    assert "mixes encodings" in result.stdout + result.stderr
    from tui_crm.services import clients

    names = sorted(c.name for c in clients.list_clients(clients.ClientFilter(status="")))
    assert names == ["Muñoz Hermanos SL", "Peña Asesores SL"]


def test_an_iban_that_cannot_be_is_a_rejected_row(db, cli, tmp_path):
    path = tmp_path / "iban.csv"
    path.write_text(f"Nombre;NIF;IBAN\r\nBanco Malo SL;{NIFS[0]};ES00 0000\r\n", encoding="utf-8")
    result = cli("--db", db, "import", "clients", path)
    assert result.returncode == 1
    assert "row 2, column C (IBAN): is not a valid IBAN" in result.stdout + result.stderr
    assert client_count() == 0
