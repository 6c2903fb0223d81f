"""Importing invoice history: totals checked, clients matched, numbers kept, payments made."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.import_support import NIFS, csv_file, xlsx
from tests.invoicing_support import issued, line, make_client, set_issuer
from tests.people import ME
from tui_crm.imports.invoices import import_invoices

HEADER = [
    "Número",
    "Serie",
    "Fecha",
    "Vencimiento",
    "Cliente",
    "CIF",
    "Base imponible",
    "IVA %",
    "IRPF %",
    "Total",
    "Cobrado",
    "Fecha cobro",
]


def _invoices() -> list[tuple]:
    from tui_crm.db import execute

    return list(
        execute(
            "SELECT code, series, year, number, status, imported, base_cents, vat_cents, "
            "irpf_cents, total_cents, paid_cents, outstanding_cents, client_id, issue_date, "
            "due_date FROM invoice ORDER BY issue_date, id"
        )
    )


@pytest.fixture
def history(tmp_path):
    return xlsx(
        tmp_path / "historico.xlsx",
        [
            HEADER,
            [
                "F2025-00041",
                "F",
                dt.datetime(2025, 11, 3),
                "03/12/2025",
                "Peña y Muñoz SL",
                "ES" + NIFS[1],
                1000,
                21,
                15,
                "1.060,00 €",
                "1060",
                "05/12/2025",
            ],
            [
                "F2025-00042",
                "F",
                "2025-12-15",
                None,
                "Cliente Nuevo SL",
                NIFS[4],
                "500,50",
                "21%",
                None,
                605.61,
                300,
                "2026-01-10",
            ],
            [
                "2025/7",
                "A",
                "20/12/2025",
                "20/01/2026",
                "Sin NIF Conocido",
                None,
                "1,234.56",
                0.1,
                0,
                "1,358.02",
                None,
                None,
            ],
        ],
    )


def test_history_is_imported_issued_with_numbers_payments_and_counters(db, history):
    from tui_crm.models import Client, SeriesCounter
    from tui_crm.services import invoices

    set_issuer()
    pena = make_client("Peña y Muñoz SL", NIFS[1])
    report = import_invoices(history)
    assert report.rejected == [], [i.line() for i in report.rejected]
    assert (report.created, report.created_clients, report.payments) == (3, 2, 2)
    rows = _invoices()
    assert [r[0] for r in rows] == ["F2025-00041", "F2025-00042", "2025/7"]
    first, second, third = rows
    assert first[1:4] == ("F", 2025, 41)
    assert first[4:6] == ("paid", 1)
    assert first[6:12] == (100000, 21000, 15000, 106000, 106000, 0)
    assert first[12] == pena
    assert second[4] == "partially_paid" and second[9] == 60561 and second[10] == 30000
    assert third[1:4] == ("A", 2025, 7) and third[7] == 12346  # IVA 10 % of 1,234.56
    assert third[4] == "issued"
    # New invoices continue after the highest imported number of the series and year.
    counter = SeriesCounter.get((SeriesCounter.series == "F") & (SeriesCounter.year == 2025))
    assert (counter.last_number, counter.last_issue_date) == (42, dt.date(2025, 12, 15))
    client = make_client("Otro SL", NIFS[5])
    again = issued(client, dt.date(2025, 12, 20), line())
    assert again.code == "F2025-00043"
    # Imported invoices are immutable like any issued invoice.
    with pytest.raises(Exception, match="issued"):
        invoices.delete_draft(first_id := invoices.find_by_code("F2025-00041"))
    del first_id
    # Clients: matched by tax ID (in another form), else created.
    new = Client.get(Client.tax_id_compact == NIFS[4])
    assert new.legal_name == "Cliente Nuevo SL" and new.kind == "client"
    assert new.outstanding == Decimal("305.61") and new.revenue_total == Decimal("500.50")
    assert Client.get(Client.legal_name == "Sin NIF Conocido").tax_id == ""
    # Paid amounts are payments on their dates, allocated to their invoice.
    from tui_crm.db import execute

    payments = list(
        execute(
            "SELECT p.date, p.amount_cents, a.amount_cents FROM payment p "
            "JOIN payment_allocation a ON a.payment_id = p.id ORDER BY p.date"
        )
    )
    assert payments == [("2025-12-05", 106000, 106000), ("2026-01-10", 30000, 30000)]
    audit = list(
        execute("SELECT changes FROM audit_log WHERE action = 'import' AND entity = 'invoice'")
    )
    assert json.loads(audit[0][0])["invoices"] == [None, 3]


def test_a_wrong_total_is_rejected_with_both_figures(db, tmp_path):
    set_issuer()
    path = xlsx(
        tmp_path / "mal.xlsx",
        [
            HEADER,
            [
                "F2025-00001",
                "F",
                "01/02/2025",
                None,
                "Uno SL",
                NIFS[0],
                1000,
                21,
                0,
                1200,
                None,
                None,
            ],
        ],
    )
    report = import_invoices(path)
    assert report.failed and report.created == 0
    assert [i.line() for i in report.rejected] == [
        "row 2, column J (Total): "
        "the total 1200.00 does not match the base and taxes, which give 1210.00"
    ]
    assert _invoices() == []


def test_a_difference_of_one_cent_is_accepted(db, tmp_path):
    set_issuer()
    path = xlsx(
        tmp_path / "cent.xlsx",
        [
            HEADER,
            [
                "F2025-00001",
                "F",
                "01/02/2025",
                None,
                "Uno SL",
                NIFS[0],
                "33,33",
                21,
                0,
                "40,32",
                None,
                None,
            ],
        ],
    )
    assert import_invoices(path).created == 1
    assert _invoices()[0][9] == 4033  # stored as computed: 33.33 + 7.00


def test_numbers_already_on_file_or_repeated_and_bad_values(db, tmp_path):
    set_issuer()
    client = make_client("Uno SL", NIFS[0])
    issued(client, dt.date(2025, 3, 1), line())  # F2025-00001
    path = xlsx(
        tmp_path / "dups.xlsx",
        [
            HEADER,
            [
                "F2025-00001",
                "F",
                "02/03/2025",
                None,
                "Uno SL",
                NIFS[0],
                100,
                21,
                0,
                121,
                None,
                None,
            ],
            [
                "F2025-00009",
                "F",
                "01/02/2025",
                None,
                "Uno SL",
                NIFS[0],
                100,
                21,
                0,
                121,
                None,
                None,
            ],
            ["X-1", "X", "01/01/2025", None, "Uno SL", NIFS[0], 100, 21, 0, 121, None, None],
            ["X-1", "X", "02/01/2025", None, "Uno SL", NIFS[0], 100, 21, 0, 121, None, None],
            ["X-2", "X", "32/01/2025", None, "Uno SL", "B12345678", "cien", 21, 0, 121, None, None],
            ["X-3", "X", "03/01/2025", "01/01/2025", "Uno SL", NIFS[0], 100, 21, 0, 121, 200, None],
        ],
    )
    report = import_invoices(path, skip_invalid=True)
    lines = {i.line() for i in report.rejected}
    assert "row 2: invoice F2025-00001 is already on file" in lines
    assert any(line.startswith("row 3: dated 2025-02-01, before 2025-03-01") for line in lines)
    assert "row 5: number X-1 repeats row 4" in lines
    assert any(
        line.startswith("row 6, column C (Fecha): 32/01/2025 is not a date") for line in lines
    )
    assert any(line.startswith("row 6, column F (CIF)") for line in lines)
    assert "row 6, column G (Base imponible): cien is not an amount" in lines
    assert any(line.startswith("row 7, column D (Vencimiento): the due date") for line in lines)
    assert any(
        line.startswith("row 7, column K (Cobrado): the paid amount 200.00") for line in lines
    )
    assert report.created == 1
    assert [r[0] for r in _invoices()] == ["X-1", "F2025-00001"]


def test_csv_with_spanish_notation_and_the_cli(db, cli, tmp_path):
    from tui_crm.services import settings

    settings.set_many({"company.name": "Yo SL", "company.tax_id": "B12345674"})
    path = csv_file(
        tmp_path / "facturas.csv",
        [
            ["Nº factura", "Fecha", "Cliente", "NIF", "Base", "IVA %", "Recargo %", "Total"],
            ["17", "15/01/2024", "Tienda Pepa", NIFS[2], "1.000,00", "21", "5,2", "1.262,00"],
        ],
        encoding="cp1252",
    )
    result = cli("--db", db, "import", "invoices", path, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 invoice to create" in result.stdout and "1 new client," in result.stdout
    result = cli("--db", db, "import", "invoices", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 invoice created" in result.stdout
    rows = _invoices()
    assert rows[0][0:4] == ("17", "F", 2024, 17)
    again = cli("--db", db, "import", "invoices", path)
    assert again.returncode == 1 and "already on file" in again.stdout


def test_our_own_invoice_export_imports_into_a_fresh_database(db, cli, tmp_path):
    from tui_crm.services import payments

    set_issuer()
    ana = make_client("Ana SL", NIFS[1])
    first = issued(ana, dt.date(2025, 5, 1), line(price="1000"))
    issued(ana, dt.date(2025, 6, 1), line(price="80", vat="10"))
    payments.register_payment(
        ana, dt.date(2025, 5, 20), Decimal("1210"), allocations=[(first.id, Decimal("1210"))]
    )
    out = tmp_path / "facturas.xlsx"
    assert cli("--db", db, "export", "invoices", "-o", out).returncode == 0
    fresh = tmp_path / "fresh.sqlite3"
    assert cli("--db", fresh, "init").returncode == 0
    result = cli("--db", fresh, "import", "invoices", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 invoices created" in result.stdout and "1 new client, 1 payment" in result.stdout
    report = cli("--db", fresh, "report", "invoices", "--format", "csv")
    lines = report.stdout.splitlines()
    assert lines[1].startswith("F2025-00001,F,standard,paid,2025-05-01,")
    assert lines[1].endswith(",1000.00,210.00,0.00,0.00,1210.00,1210.00,0.00")
    assert lines[2].startswith("F2025-00002,F,standard,issued,2025-06-01,")
    assert lines[2].endswith(",80.00,8.00,0.00,0.00,88.00,0.00,88.00")


def test_invoice_import_needs_accounting(db, history):
    from tui_crm.services import session
    from tui_crm.services.errors import PermissionDenied

    session.set_actor(session.Actor("vendedor", "sales"))
    try:
        with pytest.raises(PermissionDenied):
            import_invoices(history)
    finally:
        session.set_actor(session.Actor(ME, "admin"))


def test_imported_history_gets_no_verifactu_record(db, history):
    """Issued by another system: no record, and the invoice's state says so."""
    from tui_crm.models import Invoice, VerifactuRecord
    from tui_crm.services import settings, verifactu

    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    assert import_invoices(history).created == 3
    assert VerifactuRecord.select().count() == 0
    for invoice in Invoice.select():
        state = verifactu.invoice_record_state(invoice.id)
        assert state.kind == "imported"
        assert state.describe() == "issued by another system (imported): no VERI*FACTU record"
    assert [f.level for f in verifactu.verify_chain()] == []


def test_the_history_service_writes_it_sealed_or_not_at_all(db):
    """services.invoice_history owns what an import writes: a refused number stops it all
    (unless the refused are skipped), and what it writes is sealed like an issued invoice."""
    from tui_crm.db import execute
    from tui_crm.services import evidence
    from tui_crm.services.invoice_history import HistoryInvoice, record_history

    set_issuer()

    def invoice(row: int, number: int, code: str) -> HistoryInvoice:
        return HistoryInvoice(
            row=row, code=code, series="H", year=2024, number=number,
            date=dt.date(2024, 3, row), due_date=None, client_name="Historia SL",
            tax_id=NIFS[2], tax_id_compact=NIFS[2], tax_id_country="ES", base=Decimal("100"),
            vat_rate=Decimal("21"), recargo_rate=Decimal(0), irpf_rate=Decimal(0),
            paid=Decimal(0), paid_date=None,
        )  # fmt: skip

    history = [invoice(1, 1, "H2024-1"), invoice(2, 1, "H2024-1 bis")]
    refused = record_history(history, source="old.xlsx")
    assert refused.refused == [(2, "number 1 of series H in 2024 repeats row 1")]
    assert not refused.written
    assert execute("SELECT COUNT(*) FROM invoice").fetchone()[0] == 0
    done = record_history(history, source="old.xlsx", skip_refused=True)
    assert (done.written, done.invoices, done.clients) == (True, 1, 1)
    assert execute("SELECT code, imported, status FROM invoice").fetchall() == [
        ("H2024-1", 1, "issued")
    ]
    assert evidence.invoice_mismatches() == []
    assert execute("SELECT last_number FROM series_counter WHERE series = 'H'").fetchone() == (1,)
