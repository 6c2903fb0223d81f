"""VERI*FACTU by keyboard through the real app (Pilot, 80x24 and 100x30): a simplified
invoice chosen in the editor, the record's state in the invoice view, voiding after a
reason and a question, the VERI*FACTU screen correcting what AEAT rejected, and About."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import draft, line, make_client, set_issuer

from tui_crm.models import Invoice, VerifactuRecord
from tui_crm.services import invoices, settings, verifactu
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.screens.about import AboutScreen
from tui_crm.ui.screens.invoice_editor import InvoiceEditor
from tui_crm.ui.screens.invoice_view import InvoiceView
from tui_crm.ui.screens.verifactu import VerifactuScreen

from .conftest import settle
from .screen_text import screen_text

SIZE = (100, 30)
TODAY = dt.date.today()


@pytest.fixture
def business(db):
    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    return db.opened, make_client()


async def test_a_simplified_invoice_chosen_with_the_keyboard(business) -> None:
    opened, client_id = business
    draft_id = draft(client_id, line("Café", price="1.50"))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_invoice(draft_id)
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor)
        editor.query_one("#hf-invoice-type").focus()
        await pilot.press("enter", "down", "enter")  # F1 -> F2
        await settle(pilot, app)
        await pilot.press("f9")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        view = app.screen
        assert isinstance(view, InvoiceView)
        text = screen_text(app)
        assert "Simplified invoice" in text and "(F2)" in text
        assert "VERI*FACTU: pending" in text
    issued = Invoice.get_by_id(draft_id)
    assert issued.invoice_type == "F2" and issued.client_tax_id == ""
    assert VerifactuRecord.get(VerifactuRecord.invoice == draft_id).invoice_type == "F2"


async def test_void_asks_for_a_reason_and_then_once_more(business) -> None:
    opened, client_id = business
    wrong = invoices.issue_invoice(draft(client_id, line(price="100")))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_invoice(wrong.id)
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        await pilot.press("delete")
        await settle(pilot, app)
        assert "should never have existed" in screen_text(app)
        await pilot.press(*"Emitida por error", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        assert "cannot be undone" in screen_text(app)
        await pilot.press("n")  # changed our mind: nothing happens
        await settle(pilot, app)
        assert Invoice.get_by_id(wrong.id).status == "issued"
        await pilot.press("delete")
        await settle(pilot, app)
        await pilot.press(*"Emitida por error", "ctrl+s")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        text = screen_text(app)
        assert "Voided" in text and "registro de anulación pending" in text
    voided = invoices.get_invoice(wrong.id)
    assert voided.status == "voided" and voided.void_reason == "Emitida por error"
    assert [r.record_type for r in VerifactuRecord.select().order_by(VerifactuRecord.sequence)] == [
        "alta",
        "anulacion",
    ]


async def test_the_verifactu_screen_corrects_what_aeat_rejected(business) -> None:
    opened, client_id = business
    invoice = invoices.issue_invoice(
        draft(client_id, line("Curso", vat="0"), exemption_reason="Exenta de IVA")
    )
    record = VerifactuRecord.get(VerifactuRecord.invoice == invoice.id)
    verifactu.record_result(record.id, "rejected", error_code="1234", error="Código <b>erróneo</b>")
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"VERI*FACTU")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, VerifactuScreen)
        text = screen_text(app)
        assert invoice.code in text and "rejected" in text
        assert "1234 Código <b>erróneo</b>" in text  # AEAT's words, shown literally
        await pilot.press("s")
        await settle(pilot, app)
        await pilot.press("enter", "down", "enter")  # "as it is" -> E1
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, VerifactuScreen)
        text = screen_text(app)
        assert "rejected" not in text.split("\n", 3)[-1]  # only the correction is listed
        assert "pending" in text
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        assert "corrected (subsanación) pending" in screen_text(app)
    fixed = VerifactuRecord.select().order_by(VerifactuRecord.sequence.desc()).get()
    assert fixed.subsanacion and fixed.rechazo_previo == "X" and fixed.corrects_id == record.id
    assert Invoice.get_by_id(invoice.id).exemption_code == "E1"


async def test_about_shows_the_declaration(business) -> None:
    opened, _client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"About")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AboutScreen)
        text = screen_text(app)
        assert "DECLARACIÓN RESPONSABLE" in text and "tui-crm" in text
        from tui_crm.verifactu.system import PRODUCER

        flat = " ".join(text.split())
        assert PRODUCER.nif in flat and "datos del productor son provisionales" in flat
