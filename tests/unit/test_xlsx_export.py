"""The Excel exporter, read back with openpyxl: layout, formats, totals, safety, atomicity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tui_crm.exports.xlsx import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    MONEY_FORMAT,
    ExportCancelled,
    excel_serial,
    sheet_name,
)
from tui_crm.services.lists import ExportError, save_xlsx
from tui_crm.services.reports import ReportColumn

COLUMNS = (
    ReportColumn("name", "Name"),
    ReportColumn("count", "Count", "int"),
    ReportColumn("amount", "Amount", "money"),
    ReportColumn("due", "Due", "date"),
    ReportColumn("share", "Share", "percent"),
    ReportColumn("outstanding", "Outstanding", "money"),
)
ROWS = [
    {
        "name": '=HYPERLINK("http://evil.example","click")',
        "count": 3,
        "amount": Decimal("1234.56"),
        "due": dt.date(2026, 3, 1),
        "share": Decimal("21"),
        "outstanding": Decimal("100.00"),
    },
    {
        "name": "+34 600 000 000",
        "count": 0,
        "amount": Decimal("-10.05"),
        "due": "2026-03-02",
        "share": Decimal("5.2"),
        "outstanding": Decimal("0.00"),
    },
    {
        "name": "Peña & Muñoz, S.L.",
        "count": None,
        "amount": None,
        "due": None,
        "share": None,
        "outstanding": Decimal("0.01"),
    },
    {"name": "@SUM(A1)", "count": 1, "amount": Decimal("0"), "due": None},
    {"name": "-2+3", "count": 1, "amount": Decimal("1"), "due": None},
    {"name": "\tTab start", "count": 1, "amount": Decimal("1"), "due": None},
    {"name": "https://example.com", "count": 1, "amount": Decimal("1"), "due": None},
    {"name": "0034", "count": 1, "amount": Decimal("1"), "due": None},
]

FIRST = FIRST_DATA_ROW + 1  # the first data row as Excel numbers it
LAST = FIRST + len(ROWS) - 1
TOTALS = LAST + 1


@pytest.fixture
def workbook(tmp_path: Path):
    path = tmp_path / "golden.xlsx"
    result = save_xlsx(
        path, COLUMNS, ROWS, title="Clients", as_of=dt.date(2026, 5, 31), notes=["active"]
    )
    assert result.rows == len(ROWS)
    assert result.path == path
    return openpyxl.load_workbook(path)


def test_title_as_of_and_bold_header(workbook):
    ws = workbook.active
    assert ws.title == "Clients"
    assert ws["A1"].value == "Clients"
    assert ws["A1"].font.b
    assert ws["A2"].value == "As of 2026-05-31 · active"
    header = [ws.cell(HEADER_ROW + 1, i + 1) for i in range(len(COLUMNS))]
    assert [c.value for c in header] == ["Name", "Count", "Amount", "Due", "Share", "Outstanding"]
    assert all(c.font.b for c in header)


def test_frozen_header_and_autofilter_over_the_data_only(workbook):
    ws = workbook.active
    assert ws.freeze_panes == f"A{FIRST}"
    assert ws.auto_filter.ref == f"A{HEADER_ROW + 1}:F{LAST}"
    assert ws.print_title_rows == f"${HEADER_ROW + 1}:${HEADER_ROW + 1}"


def test_amounts_are_numbers_in_euros_and_dates_are_dates(workbook):
    ws = workbook.active
    amount = ws[f"C{FIRST}"]
    assert amount.data_type == "n"
    assert amount.value == pytest.approx(1234.56)
    assert amount.number_format == MONEY_FORMAT
    assert "€" in amount.number_format
    assert ws[f"C{FIRST + 1}"].value == pytest.approx(-10.05)
    due = ws[f"D{FIRST}"]
    assert due.is_date
    assert due.value == dt.datetime(2026, 3, 1)
    assert ws[f"D{FIRST + 1}"].value == dt.datetime(2026, 3, 2)  # an ISO string became a date
    assert ws[f"B{FIRST}"].value == 3 and ws[f"B{FIRST}"].data_type == "n"
    share = ws[f"E{FIRST}"]
    assert share.value == pytest.approx(0.21) and share.number_format == "0.0%"
    assert ws[f"E{FIRST + 1}"].value == pytest.approx(0.052)


def test_empty_values_are_empty_cells(workbook):
    ws = workbook.active
    row = FIRST + 2
    assert ws[f"A{row}"].value == "Peña & Muñoz, S.L."
    assert [ws[f"{c}{row}"].value for c in "BCDE"] == [None, None, None, None]


def test_totals_row_sums_the_filtered_rows_with_subtotal_109(tmp_path: Path, workbook):
    ws = workbook.active
    assert ws[f"A{TOTALS}"].value == "Total"
    assert ws[f"A{TOTALS}"].font.b
    assert ws[f"C{TOTALS}"].value == f"=SUBTOTAL(109,C{FIRST}:C{LAST})"
    assert ws[f"F{TOTALS}"].value == f"=SUBTOTAL(109,F{FIRST}:F{LAST})"
    assert ws[f"C{TOTALS}"].number_format == MONEY_FORMAT
    assert ws[f"B{TOTALS}"].value is None  # counts are not summed
    # The value cached for readers that do not calculate is the exact sum.
    cached = openpyxl.load_workbook(tmp_path / "golden.xlsx", data_only=True).active
    assert cached[f"C{TOTALS}"].value == pytest.approx(1228.51)
    assert cached[f"F{TOTALS}"].value == pytest.approx(100.01)


def test_text_that_looks_like_a_formula_or_link_stays_text_with_quote_prefix(workbook):
    ws = workbook.active
    link = ws[f"A{FIRST}"]
    assert link.data_type == "s"
    assert link.value == '=HYPERLINK("http://evil.example","click")'
    assert link.quotePrefix
    assert link.hyperlink is None
    phone = ws[f"A{FIRST + 1}"]
    assert phone.data_type == "s" and phone.value == "+34 600 000 000" and phone.quotePrefix
    for offset, text in ((3, "@SUM(A1)"), (4, "-2+3"), (5, "\tTab start")):
        cell = ws[f"A{FIRST + offset}"]
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", text, True)
    url = ws[f"A{FIRST + 6}"]
    assert url.data_type == "s" and url.hyperlink is None and not url.quotePrefix
    zeros = ws[f"A{FIRST + 7}"]
    assert zeros.data_type == "s" and zeros.value == "0034"  # not the number 34
    plain = ws[f"A{FIRST + 2}"]
    assert not plain.quotePrefix


def test_columns_are_wide_enough_for_their_content(workbook):
    ws = workbook.active
    assert ws.column_dimensions["A"].width >= len('=HYPERLINK("http://evil.example","click")')
    assert ws.column_dimensions["C"].width >= len("1,234.56 €")
    assert ws.column_dimensions["D"].width >= 10


def test_rows_may_be_sequences_in_column_order(tmp_path: Path):
    path = tmp_path / "seq.xlsx"
    save_xlsx(path, COLUMNS[:3], [("A", 1, Decimal("2.50")), ("B",)], title="T")
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[FIRST]] == ["A", 1, 2.5]
    assert ws[f"A{FIRST + 1}"].value == "B" and ws[f"C{FIRST + 1}"].value is None


def test_datetimes_are_shown_in_local_time(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Madrid")
    import time

    time.tzset()
    try:
        path = tmp_path / "dt.xlsx"
        columns = (ReportColumn("at", "When", "date"),)
        save_xlsx(path, columns, [{"at": dt.datetime(2026, 7, 1, 10, 0)}], title="T")
        cell = openpyxl.load_workbook(path).active[f"A{FIRST}"]
        assert cell.value == dt.datetime(2026, 7, 1, 12, 0)  # UTC+2 in summer
        assert "hh:mm" in cell.number_format
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_an_empty_list_still_has_its_header_and_says_so(tmp_path: Path):
    path = tmp_path / "empty.xlsx"
    assert save_xlsx(path, COLUMNS, [], title="Nothing").rows == 0
    ws = openpyxl.load_workbook(path).active
    assert ws.cell(HEADER_ROW + 1, 1).value == "Name"
    assert ws.cell(FIRST, 1).value == "No rows."
    assert ws.freeze_panes == f"A{FIRST}"


def test_progress_is_reported_and_cancel_leaves_no_file(tmp_path: Path):
    path = tmp_path / "big.xlsx"
    seen: list[tuple[int, int | None]] = []
    rows = ({"name": f"Client {i}", "amount": Decimal(i)} for i in range(10_000))
    save_xlsx(
        path, COLUMNS, rows, title="Big", total=10_000, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (10_000, 10_000)
    assert len(seen) >= 5 and seen == sorted(seen)

    cancelled_path = tmp_path / "cancelled.xlsx"
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] >= 2

    rows = ({"name": f"Client {i}"} for i in range(100_000))
    with pytest.raises(ExportCancelled):
        save_xlsx(cancelled_path, COLUMNS, rows, title="Big", cancelled=cancel)
    assert list(tmp_path.iterdir()) == [path]  # neither the file nor its temporary


def test_a_failing_row_source_leaves_the_previous_file_untouched(tmp_path: Path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous version")

    def rows():
        yield {"name": "ok"}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        save_xlsx(path, COLUMNS, rows(), title="T", force=True)
    assert path.read_bytes() == b"previous version"
    assert list(tmp_path.iterdir()) == [path]


def test_destination_problems_are_one_sentence(tmp_path: Path):
    with pytest.raises(ExportError, match="does not exist"):
        save_xlsx(tmp_path / "missing" / "x.xlsx", COLUMNS, [], title="T")
    with pytest.raises(ExportError, match=r"\.xlsx"):
        save_xlsx(tmp_path / "x.csv", COLUMNS, [], title="T")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(ExportError, match="is a directory"):
        save_xlsx(tmp_path / "dir.xlsx", COLUMNS, [], title="T")


def test_sheet_names_and_serial_dates():
    assert sheet_name("Clients [2026]: a/b?") == "Clients  2026   a b"
    assert len(sheet_name("x" * 40)) == 31
    assert excel_serial(dt.date(1900, 3, 1)) == 61
    assert excel_serial(dt.date(2026, 1, 1)) == 46023
    assert excel_serial(dt.datetime(2026, 1, 1, 12, 0)) == 46023.5


def test_spanish_date_format_follows_the_language(tmp_path: Path, db):
    from tui_crm import i18n

    i18n.setup("es")
    try:
        path = tmp_path / "es.xlsx"
        save_xlsx(path, COLUMNS, ROWS[:1], title="Clientes")
        assert openpyxl.load_workbook(path).active[f"D{FIRST}"].number_format == "dd/mm/yyyy"
    finally:
        i18n.setup("en")


def _cells(path: Path, data_only: bool = False) -> list[list[tuple]]:
    ws = openpyxl.load_workbook(path, data_only=data_only).active
    return [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]


def test_amounts_given_in_cents_make_the_same_workbook_as_decimal_euros(tmp_path: Path):
    """`money_in_cents`: a list read from the database hands over its integer cents; the
    cells, formats, widths and totals are those of the same amounts in Decimal euros."""
    columns = (COLUMNS[0], COLUMNS[2], COLUMNS[3], COLUMNS[5])
    in_euros = [
        ("Ana", Decimal("1234.56"), "2026-03-01", Decimal("100.00")),
        ("Bea", Decimal("-10.05"), None, Decimal("0.00")),
        ("Carmen", None, "2026-03-02", Decimal("0.01")),
        ("Dora", Decimal("9999999.99"), "2026-03-03", Decimal("0.10")),
    ]
    in_cents = [
        ("Ana", 123456, "2026-03-01", 10000),
        ("Bea", -1005, None, 0),
        ("Carmen", None, "2026-03-02", 1),
        ("Dora", 999999999, "2026-03-03", 10),
    ]
    euros, cents = tmp_path / "euros.xlsx", tmp_path / "cents.xlsx"
    save_xlsx(euros, columns, in_euros, title="T", as_of=dt.date(2026, 5, 31))
    result = save_xlsx(
        cents, columns, in_cents, title="T", as_of=dt.date(2026, 5, 31), money_in_cents=True
    )
    assert result.rows == 4
    for data_only in (False, True):
        assert _cells(cents, data_only) == _cells(euros, data_only)
    ws = openpyxl.load_workbook(cents).active
    assert ws[f"B{FIRST}"].value == pytest.approx(1234.56)
    assert ws[f"B{FIRST}"].number_format == MONEY_FORMAT
    assert ws[f"B{FIRST + 3}"].value == pytest.approx(9999999.99)
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths == {
        k: d.width for k, d in openpyxl.load_workbook(euros).active.column_dimensions.items()
    }
    assert widths["B"] >= len("9,999,999.99 €")
    # the totals row's cached sums are exact, from the cents
    cached = openpyxl.load_workbook(cents, data_only=True).active
    totals = FIRST + 4
    assert cached[f"B{totals}"].value == pytest.approx(10001224.50)
    assert cached[f"D{totals}"].value == pytest.approx(100.11)
