"""`tui-crm export LIST`: the lists' rows and filters, and a real spreadsheet opening the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.invoicing_support import issued, line, make_client, set_issuer
from tui_crm.exports.xlsx import FIRST_DATA_ROW, HEADER_ROW

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _sheet_rows(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path, read_only=True).active
    return list(ws.iter_rows(values_only=True))


def _data(path: Path) -> tuple[list[str], list[tuple]]:
    rows = _sheet_rows(path)
    return list(rows[HEADER_ROW]), rows[FIRST_DATA_ROW:]


@pytest.fixture
def invoiced(db):
    """Two clients, three issued invoices, one of them half paid."""
    from tui_crm.services import payments

    set_issuer()
    ana = make_client("Ana Peña SL", "A58818501")
    bea = make_client('=HYPERLINK("x")', "B12345674")
    first = issued(ana, dt.date(2026, 1, 10), line(price="1000"))
    issued(ana, dt.date(2026, 2, 10), line(price="200", vat="10"))
    issued(bea, dt.date(2026, 3, 10), line(price="50.50"))
    payments.register_payment(
        ana,
        dt.date(2026, 2, 1),
        Decimal("605.00"),
        allocations=[(first.id, Decimal("605.00"))],
    )
    return db


def test_export_invoices_lists_every_invoice_with_totals(invoiced, cli, tmp_path):
    out = tmp_path / "facturas.xlsx"
    result = cli("--db", invoiced, "export", "invoices", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "Exported 3 rows" in result.stdout
    header, rows = _data(out)
    assert header[:8] == [
        "Number",
        "Series",
        "Kind",
        "Status",
        "Issue date",
        "Due date",
        "Client",
        "Tax ID",
    ]
    body, totals = rows[:-1], rows[-1]
    assert [r[0] for r in body] == ["F2026-00003", "F2026-00002", "F2026-00001"]  # newest first
    assert body[2][3] == "Partially paid"
    assert body[2][4] == dt.datetime(2026, 1, 10)
    assert body[0][6] == '=HYPERLINK("x")'
    total_col = header.index("Total")
    assert [r[total_col] for r in body] == [pytest.approx(61.11), 220.0, 1210.0]
    assert totals[0] == "Total"
    assert totals[total_col] == f"=SUBTOTAL(109,M{FIRST_DATA_ROW + 1}:M{FIRST_DATA_ROW + 3})"


def test_the_invoice_export_reads_cents_and_writes_what_the_decimal_rows_give(invoiced, tmp_path):
    """`export invoices` reads the amounts as cents (no Decimal per cell at a million
    rows): the workbook is cell for cell the one the invoice list's Decimal rows make."""
    from tui_crm.services import lists, reports

    flt = lists.invoice_filter({})
    cents = list(reports.invoice_cents_rows(flt))
    euros = list(reports.invoice_rows(flt))
    assert [r[:8] for r in cents] == [r[:8] for r in euros]
    assert [[Decimal(c).scaleb(-2) for c in r[8:]] for r in cents] == [list(r[8:]) for r in euros]
    assert all(isinstance(c, int) for r in cents for c in r[8:])

    exported = lists.export_list("invoices", tmp_path / "export.xlsx").path
    from_decimals = lists.save_xlsx(
        tmp_path / "decimals.xlsx",
        reports.INVOICE_COLUMNS,
        euros,
        title="Invoices",
        notes=lists.describe_invoice_filter(flt),
    ).path
    for data_only in (False, True):
        a = openpyxl.load_workbook(exported, data_only=data_only).active
        b = openpyxl.load_workbook(from_decimals, data_only=data_only).active
        cells_a = [[(c.value, c.number_format) for c in row] for row in a.iter_rows()]
        cells_b = [[(c.value, c.number_format) for c in row] for row in b.iter_rows()]
        assert cells_a == cells_b
    totals = openpyxl.load_workbook(exported, data_only=True).active[FIRST_DATA_ROW + 4]
    assert totals[12].value == pytest.approx(1491.11)  # Total, cached for readers


def test_export_filters_and_refuses_to_overwrite(invoiced, cli, tmp_path):
    out = tmp_path / "x.xlsx"
    assert (
        cli(
            "--db", invoiced, "export", "invoices", "-o", out, "--invoice-status", "paid"
        ).returncode
        == 0
    )
    _header, rows = _data(out)
    assert rows[0][0] == "No rows."
    again = cli("--db", invoiced, "export", "invoices", "-o", out)
    assert again.returncode == 1
    assert "exists" in again.stderr and "--force" in again.stderr
    assert cli("--db", invoiced, "export", "invoices", "-o", out, "--force").returncode == 0
    assert len(_data(out)[1]) == 4  # three invoices and the totals row


def test_export_clients_and_contacts(db, cli, tmp_path):
    from tui_crm.services import clients, contacts

    cid = clients.create_client(
        clients.ClientInput(
            legal_name="Muñoz Hermanos SL",
            tax_id="B12345674",
            kind="client",
            email="a@muñoz.es".replace("ñ", "n"),
        ),
        clients.AddressInput(
            line1="Calle Mayor 1", postal_code="28001", city="Madrid", province="Madrid"
        ),
    )
    clients.create_client(clients.ClientInput(legal_name="Lead Only", kind="lead"))
    contacts.create_contact(
        cid, contacts.ContactData(first_name="Ana", last_name="García", is_billing=True)
    )
    out = tmp_path / "c.xlsx"
    assert cli("--db", db, "export", "clients", "-o", out, "--kind", "client").returncode == 0
    header, rows = _data(out)
    record = dict(zip(header, rows[0], strict=True))
    assert record["Name"] == "Muñoz Hermanos SL"
    assert record["Postal code"] == "28001"  # text, the leading zero kept
    assert record["Kind"] == "Client" and record["Status"] == "Active"
    assert len(rows) == 2  # one client and the totals row
    out = tmp_path / "p.xlsx"
    assert cli("--db", db, "export", "contacts", "-o", out).returncode == 0
    header, rows = _data(out)
    assert dict(zip(header, rows[0], strict=True))["First name"] == "Ana"
    assert dict(zip(header, rows[0], strict=True))["Receives invoices"] == "yes"


def test_export_usage_errors(db, cli, tmp_path):
    assert cli("--db", db, "export", "nothing", "-o", tmp_path / "x.xlsx").returncode == 2
    result = cli("--db", db, "export", "timeline", "-o", tmp_path / "t.xlsx")
    assert result.returncode == 1 and "--client" in result.stderr
    result = cli("--db", db, "export", "clients", "-o", tmp_path / "no" / "x.xlsx")
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def _strip_cached_values(source: Path, target: Path) -> None:
    """Remove every formula's cached result so the spreadsheet must compute it itself."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", data)
            zout.writestr(item, data)


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make test` installs it"
)
def test_libreoffice_opens_the_export_and_recomputes_the_totals(invoiced, cli, tmp_path):
    out = tmp_path / "facturas.xlsx"
    assert cli("--db", invoiced, "export", "invoices", "-o", out).returncode == 0
    bare = tmp_path / "bare.xlsx"
    _strip_cached_values(out, bare)
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path / "csv"),
            str(bare),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "csv" / "bare.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[HEADER_ROW]
    body = rows[FIRST_DATA_ROW : FIRST_DATA_ROW + 3]
    totals = rows[FIRST_DATA_ROW + 3]
    assert header[0] == "Number" and [r[0] for r in body] == [
        "F2026-00003",
        "F2026-00002",
        "F2026-00001",
    ]
    assert body[0][6] == '=HYPERLINK("x")'  # still text in a real spreadsheet

    def amount(text: str) -> Decimal:
        return Decimal(re.sub(r"[^0-9.\-]", "", text.replace(",", "")))

    for name in ("Base", "IVA", "Total", "Paid", "Outstanding"):
        col = header.index(name)
        assert amount(totals[col]) == sum(amount(r[col]) for r in body), name
    assert amount(totals[header.index("Total")]) == Decimal("1491.11")
    assert amount(totals[header.index("Outstanding")]) == Decimal("886.11")
    assert "2026" in body[2][header.index("Issue date")]  # a date, shown as a date
