"""`x` on the client browser and the import screen, driven with real keys."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.import_support import NIFS, client_count, xlsx
from tui_crm.services import clients
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.export import ExportDialog, ExportProgress
from tui_crm.ui.screens.import_clients import ImportClientsScreen, ImportScreen
from tui_crm.ui.widgets.paths import complete_path

from .conftest import settle


def _type_path(path: Path) -> list[str]:
    return ["ctrl+u", *str(path)]


async def test_x_exports_the_filtered_client_list(db, tmp_path):
    for name, kind in (("Alfa SL", "client"), ("Beta SL", "lead"), ('=HYPERLINK("x")', "client")):
        clients.create_client(clients.ClientInput(legal_name=name, kind=kind))
    out = tmp_path / "clientes.xlsx"
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("k", "k")  # only clients
        await settle(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        path_input = app.screen.query_one("#export-path")
        # the list named in the user's language (English here)
        assert path_input.value.startswith("~/clients-") and path_input.value.endswith(".xlsx")
        await pilot.press(*_type_path(out), "enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, ExportDialog | ExportProgress)
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Clients"
    assert "clients" in rows[1][0]
    names = [r[1] for r in rows[4:-1]]
    assert names == ['=HYPERLINK("x")', "Alfa SL"]  # in list order; the lead is filtered out


async def test_export_dialog_refuses_a_missing_directory_and_escape_cancels(db, tmp_path):
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*_type_path(tmp_path / "nope" / "x.xlsx"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert "does not exist" in str(app.screen.query_one("#export-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    assert not (tmp_path / "nope").exists()


def test_path_completion(tmp_path):
    (tmp_path / "Documentos").mkdir()
    (tmp_path / "datos.xlsx").write_bytes(b"")
    (tmp_path / "datos.txt").write_bytes(b"")
    assert complete_path(f"{tmp_path}/Doc") == f"{tmp_path}/Documentos/"
    assert complete_path(f"{tmp_path}/da", (".xlsx",)) == f"{tmp_path}/datos.xlsx"
    assert complete_path(f"{tmp_path}/zz") is None


async def test_import_screen_with_a_manual_mapping(db, tmp_path):
    path = xlsx(
        tmp_path / "raro.xlsx",
        [
            ["Denominación", "Identificador fiscal", "Correo", "Sector"],
            ["Rara SL", NIFS[0], "hola@rara.es", "Hostelería"],
            ["Otra SL", NIFS[1], "", "Comercio"],
            ["Mala SL", "B12345678", "", ""],
        ],
    )
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, app)
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportClientsScreen)
        await pilot.press(*str(path), "enter")
        await settle(pilot, app)
        assert screen.headers == ["Denominación", "Identificador fiscal", "Correo", "Sector"]
        assert screen.mapping == {2: "email"}  # the rest is unknown
        report = str(screen.query_one("#import-report-text").render())
        assert "no column for Name" in report
        # Column A is the name: → once from "(not imported)".
        await pilot.press("right")
        assert screen.mapping[0] == "legal_name"
        # Column B: fields another column has are passed over (trade name, then tax ID).
        await pilot.press("down", "right", "right")
        assert screen.mapping[1] == "tax_id"
        await pilot.press("d")  # dry run
        await settle(pilot, app)
        report = str(screen.query_one("#import-report-text").render())
        assert "row 4, column B (Identificador fiscal)" in report
        assert "Nothing imported" in report
        assert client_count() == 0
        await pilot.press("s")  # import the valid rows, report the rejected one
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # confirm
        await settle(pilot, app)
        report = str(screen.query_one("#import-report-text").render())
        assert "2 clients created" in report
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, ImportClientsScreen)
    rara = clients.get_client(clients.find_by_tax_id(NIFS[0]))
    assert (rara.data.legal_name, rara.data.email) == ("Rara SL", "hola@rara.es")
    assert client_count() == 2


async def test_the_palette_opens_the_import_screen_from_any_screen(db):
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Import clients from Excel")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ImportScreen) and app.screen.kind.name == "clients"


async def test_invoice_history_from_the_palette(db, tmp_path):
    from tests.invoicing_support import set_issuer
    from tui_crm.db import execute

    set_issuer()
    path = xlsx(
        tmp_path / "historico.xlsx",
        [
            ["Número", "Fecha", "Cliente", "NIF", "Base", "IVA %", "Total", "Cobrado"],
            ["A-15", "15/03/2025", "Histórica SL", NIFS[4], 1000, 21, 1210, 1210],
        ],
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Import invoice history")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ImportScreen) and screen.kind.name == "invoices"
        await pilot.press(*str(path), "enter")
        await settle(pilot, app)
        assert screen.mapping == {
            0: "number",
            1: "date",
            2: "client",
            3: "tax_id",
            4: "base",
            5: "vat_rate",
            6: "total",
            7: "paid",
        }
        await pilot.press("d")
        await settle(pilot, app)
        report = str(screen.query_one("#import-report-text").render())
        assert "1 invoice to create, 1 new client, 1 payment" in report
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, app)
        assert "1 invoice created" in str(screen.query_one("#import-report-text").render())
    rows = list(execute("SELECT code, status, imported, paid_cents FROM invoice"))
    assert rows == [("A-15", "paid", 1, 121000)]


async def test_x_on_the_invoice_list_exports_it(db, tmp_path):
    import datetime as dt

    from tests.invoicing_support import issued, line, make_client, set_issuer

    set_issuer()
    client = make_client("Factura SL", NIFS[1])
    issued(client, dt.date(2026, 2, 1), line(price="100"))
    out = tmp_path / "facturas.xlsx"
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f4")
        await settle(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert "invoices-" in app.screen.query_one("#export-path").value
        await pilot.press(*_type_path(out), "enter")
        await settle(pilot, app)
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Invoices"
    assert rows[4][0] == "F2026-00001" and rows[4][12] == 121


async def test_x_on_the_receivables_board_exports_what_it_shows(db, tmp_path):
    import datetime as dt

    from tests.invoicing_support import issued, line, make_client, set_issuer

    set_issuer()
    client = make_client("Debe SL", NIFS[1])
    issued(client, dt.date(2026, 1, 5), line(price="200"))
    out = tmp_path / "cobros.xlsx"
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press(*_type_path(out), "enter")
        await settle(pilot, app)
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Receivables"
    assert rows[4][0] == "F2026-00001" and rows[4][12] == 242


async def test_x_on_the_agenda_exports_the_follow_ups(db, tmp_path):
    import datetime as dt

    from tui_crm.services import timeline

    client = clients.create_client(clients.ClientInput(legal_name="Agenda SL"))
    timeline.create_activity(
        client,
        timeline.ActivityData(kind="call", subject="=Llamar", due_date=dt.date.today()),
    )
    out = tmp_path / "agenda.xlsx"
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press(*_type_path(out), "enter")
        await settle(pilot, app)
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Agenda"
    assert "Agenda SL" in rows[4] and "=Llamar" in rows[4]
