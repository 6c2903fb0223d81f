"""Money in from the bank by keyboard through the real app (Pilot, 80x24): a statement
imported from the receivables board, its sure lines accepted with one key, another line
paid by choosing its invoice, one split over two invoices, one set aside; a remittance
chosen and written; the Modelo 347 tab of the Reports screen."""

from __future__ import annotations

import datetime as dt

import pytest
from bank_support import Movement, write_statement
from invoicing_support import JAN, D, issued, line, make_client, set_issuer
from textual.widgets import Input

from tui_crm.db import execute
from tui_crm.services import invoices, sepa, settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.choice import ChoicePrompt
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.form import FormScreen
from tui_crm.ui.dialogs.prompt import PromptForm
from tui_crm.ui.screens.reconcile import ReconcileScreen, SplitForm
from tui_crm.ui.screens.remittance import RemittanceScreen
from tui_crm.ui.widgets.lazy_table import LazyTable
from tui_crm.ui.widgets.paths import PathSuggester

from .conftest import settle
from .screen_text import screen_text

SIZE = (80, 24)
FEB = dt.date(2026, 2, 3)


@pytest.fixture
def shop(db):
    set_issuer()
    pena = make_client("Peña y Muñoz SL", "A58818501")
    otra = make_client("Otra Empresa SL", "B58818501")
    return {
        "opened": db.opened,
        "pena": pena,
        "otra": otra,
        "a": issued(pena, JAN, line(price="1000")),  # 1210.00
        "b": issued(pena, JAN, line(price="100")),  # 121.00
        "c": issued(pena, JAN, line(price="200")),  # 242.00
        "d": issued(otra, JAN, line(price="50")),  # 60.50
        "e": issued(otra, JAN, line(price="50")),  # 60.50, the twin of d
    }


async def test_review_a_statement_by_keyboard(shop, tmp_path) -> None:
    a, b, c, d, e = (shop[k] for k in "abcde")
    path = write_statement(
        tmp_path / "febrero.n43",
        [
            Movement(FEB, "1210.00", ["TRANSFERENCIA DE PENA Y MUNOZ", f"FRA {a.code}"]),
            Movement(FEB, "60.50", ["INGRESO EN EFECTIVO"]),  # d or e: ambiguous
            Movement(FEB, "300.00", ["ENTREGA A CUENTA"]),  # split over b and c
            Movement(FEB, "7.77", ["INTERESES"], shared_item=17),  # set aside
        ],
    )
    app = CrmApp(shop["opened"], first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "r")
        await settle(pilot, app)
        assert isinstance(app.screen, ReconcileScreen)
        assert "No bank line is waiting" in screen_text(app)

        await pilot.press("i")
        await settle(pilot, app)
        # The statement prompt: its path completes to statement files (→).
        assert isinstance(app.screen, PromptForm)
        assert isinstance(app.screen.query_one("#field-path", Input).suggester, PathSuggester)
        await pilot.press("ctrl+u", *str(path), "ctrl+s")
        await settle(pilot, app, 5)
        assert isinstance(app.screen, ReconcileScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 4
        text = screen_text(app)
        assert "3 sure" not in text and "1 sure matches" in text
        assert f"{a.code} (sure: invoice number and amount)" in text

        # A: every sure line at once, after a question.
        await pilot.press("A")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app, 5)
        assert invoices.get_invoice(a.id).status == "paid"
        assert invoices.get_invoice(a.id).payments[0].date == FEB
        assert table.row_count == 3

        # The ambiguous 60.50: c shows the candidates; the second one (e) is chosen.
        table.move_cursor(0)
        await settle(pilot, app)
        assert "ambiguous" in screen_text(app)
        await pilot.press("c")
        await settle(pilot, app)
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press(*e.code)
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app, 5)
        assert invoices.get_invoice(e.id).status == "paid"
        assert invoices.get_invoice(d.id).status == "issued"
        assert table.row_count == 2

        # 300.00 for Peña: s, choose the client, 121.00 + 179.00.
        table.move_cursor(0)
        await settle(pilot, app)
        assert "ENTREGA A CUENTA" in screen_text(app)
        await pilot.press("s")
        await settle(pilot, app)
        await pilot.press(*"peña")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, SplitForm)
        await pilot.press(*"121", "tab", *"179", "ctrl+s")
        await settle(pilot, app, 5)
        assert isinstance(app.screen, ReconcileScreen), screen_text(app)
        assert invoices.get_invoice(b.id).status == "paid"
        assert invoices.get_invoice(c.id).outstanding == D("63.00")

        # The interest: g, a reason, ctrl+s.
        await settle(pilot, app)
        await pilot.press("g")
        await settle(pilot, app)
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"intereses", "ctrl+s")
        await settle(pilot, app, 5)
        assert table.row_count == 0
        assert "No bank line is waiting" in screen_text(app)
        await pilot.press("v")
        await settle(pilot, app)
        assert table.row_count == 3  # the accepted ones
    statuses = dict(execute("SELECT status, COUNT(*) FROM bank_movement GROUP BY status"))
    assert statuses == {"accepted": 3, "ignored": 1}


async def test_a_remittance_chosen_and_written_by_keyboard(shop, tmp_path) -> None:
    from lxml import etree

    from tests.bank_support import pain008_schema as schema

    settings.set_many(
        {
            "company.iban": "ES9121000418450200051332",
            "company.bic": "CAIXESBBXXX",
            "sepa.creditor_id": "ES23ZZZ47690558N",
        }
    )
    for client_id, reference, iban in (
        (shop["pena"], "NEXO-PENA", "ES7620770024003102575766"),
        (shop["otra"], "NEXO-OTRA", "ES1000492352082414205416"),
    ):
        sepa.create_mandate(sepa.MandateInput(client_id, reference, dt.date(2025, 1, 1), iban))
    out = tmp_path / "remesa.xml"
    app = CrmApp(shop["opened"], first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Direct-debit remittance")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app, 5)
        assert isinstance(app.screen, RemittanceScreen)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 5
        assert "5 of 5 invoices chosen" in screen_text(app)
        await pilot.press("space")  # the first (a, 1210.00) is left out
        await settle(pilot, app)
        assert "4 of 5 invoices chosen" in screen_text(app)
        await pilot.press("g")
        await settle(pilot, app)
        await pilot.press("ctrl+u", *str(out), "ctrl+s")
        await settle(pilot, app, 5)
        assert isinstance(app.screen, RemittanceScreen), screen_text(app)
        assert table.row_count == 1  # only the one left out can still be collected
    assert schema().validate(etree.parse(str(out)))
    items = {r[0] for r in execute("SELECT invoice_id FROM remittance_item")}
    assert items == {shop[k].id for k in "bcde"}


async def test_modelo_347_on_the_reports_screen(shop) -> None:
    year = JAN.year
    app = CrmApp(shop["opened"], first_run=False)
    big = issued(shop["otra"], dt.date(year, 3, 1), line(price="5000"))  # 6050.00
    del big
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f6")
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("ctrl+u", *str(year), "ctrl+s")
        await settle(pilot, app)
        await pilot.press("6")
        await settle(pilot, app, 5)
        text = screen_text(app)
        assert f"Modelo 347 of {year}: 1 client" in text
        assert "Otra Empresa SL" in text and "€6,171.00" in text
