"""Imports on the PostgreSQL path: the same files, the same results, against a real server."""

from __future__ import annotations

import pytest

from tests.import_support import NIFS, xlsx

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


def test_import_clients_and_export_them_on_postgresql(pg_url, cli, tmp_path):
    source = xlsx(
        tmp_path / "clientes.xlsx",
        [
            ["Nombre", "NIF", "Email", "Dirección", "CP", "Población", "Contacto", "Días de pago"],
            ["Peña SL", NIFS[0], "a@pena.es", "Calle Mayor 1", "28001", "Madrid", "Ana Gil", 60],
            ["Otra SL", NIFS[1], "", "", "", "", "", ""],
        ],
    )
    assert cli("--db", pg_url, "init").returncode == 0
    result = cli("--db", pg_url, "import", "clients", source)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 clients created" in result.stdout
    again = cli("--db", pg_url, "import", "clients", source)
    assert "2 skipped" in again.stdout
    report = cli("--db", pg_url, "report", "clients", "--format", "json", "--search", "peña")
    assert '"name": "Peña SL"' in report.stdout
    out = tmp_path / "out.xlsx"
    assert cli("--db", pg_url, "export", "clients", "-o", out).returncode == 0
    import openpyxl

    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    record = dict(zip(rows[3], rows[4], strict=True))
    assert record["Name"] == "Otra SL" or record["Name"] == "Peña SL"
    pena = next(dict(zip(rows[3], r, strict=True)) for r in rows[4:6] if r[1] == "Peña SL")
    assert (pena["Payment days"], pena["Postal code"], pena["City"]) == (60, "28001", "Madrid")


def test_import_invoice_history_on_postgresql(pg_url, cli, tmp_path):
    source = xlsx(
        tmp_path / "facturas.xlsx",
        [
            [
                "Número",
                "Fecha",
                "Cliente",
                "NIF",
                "Base",
                "IVA %",
                "Total",
                "Cobrado",
                "Fecha cobro",
            ],
            ["F2025-00007", "10/03/2025", "Pagadora SL", NIFS[4], 100, 21, 121, 121, "20/03/2025"],
        ],
    )
    assert cli("--db", pg_url, "init").returncode == 0
    assert cli("--db", pg_url, "config", "set", "company.name", "Yo SL").returncode == 0
    result = cli("--db", pg_url, "import", "invoices", source)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 invoice created, 1 new client, 1 payment" in result.stdout
    report = cli("--db", pg_url, "report", "invoices", "--format", "csv")
    assert "F2025-00007,F,standard,paid,2025-03-10," in report.stdout
