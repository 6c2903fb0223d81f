"""Issue 17 part A by keyboard: a line's cost and the project picked in the invoice
editor; the project's screen from the Projects tab; the expenses screen; the statement of
account from the client file, its PDF read back."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import D, draft, line, make_client, set_issuer
from textual.widgets import Input, Select

from tui_crm.services import expenses, invoices, projects
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.dialogs.prompt import PromptForm
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.client_record_forms import ProjectForm
from tui_crm.ui.screens.expenses import ExpenseForm, ExpensesScreen
from tui_crm.ui.screens.invoice_editor import InvoiceEditor
from tui_crm.ui.screens.project_view import ProjectScreen
from tui_crm.ui.screens.statement import StatementScreen
from tui_crm.ui.widgets.line_editor import LineEditor

from .conftest import settle
from .screen_text import screen_text

SIZE = (110, 32)
TODAY = dt.date.today()


@pytest.fixture
def business(db):
    """The issuer, a client with a project "Web" and an issued invoice outside it."""
    set_issuer()
    client_id = make_client()
    project_id = projects.create_project(client_id, projects.ProjectData(name="Web"))
    first = invoices.issue_invoice(draft(client_id, line(price="100")), TODAY)
    return db.opened, client_id, project_id, first


async def test_line_cost_and_project_in_the_invoice_editor(business) -> None:
    opened, client_id, project_id, _first = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor)
        # a free-text line: description, qty, price, discount, IVA, recargo, then its cost
        await pilot.press("n", *"Soporte", "tab", *"2", "tab", *"150", "tab", "tab", "tab")
        await pilot.press("tab", *"40", "enter")
        await settle(pilot, app)
        assert "€40.00" in screen_text(app)  # the line's cost column
        picker = editor.query_one("#hf-project", Select)
        picker.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert picker.value == str(project_id)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        detail = invoices.get_invoice(editor.record_id)
        assert detail.project_id == project_id
        assert [(ln.description, ln.unit_cost) for ln in detail.lines] == [("Soporte", D("40"))]
        assert detail.totals.cost == D("80.00")
        lines = editor.query_one(LineEditor)
        assert lines.lines[0].unit_cost == "40"  # as typed


async def test_project_screen_from_the_projects_tab(business) -> None:
    opened, client_id, project_id, first = business
    inside = invoices.issue_invoice(
        draft(client_id, line(price="1000", unit_cost=D("300")), project_id=project_id), TODAY
    )
    expenses.create_expense(
        expenses.ExpenseData(expense_date=TODAY, supplier_name="Hosting", base="100",
                             project_id=project_id)
    )  # fmt: skip
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_client(client_id, "projects")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ProjectScreen)
        text = screen_text(app)
        assert inside.code in text and "Hosting" in text
        assert "invoiced €1,000.00" in text and "cost €400.00" in text
        assert "margin €600.00" in text and "pending €1,210.00" in text
        assert first.code not in text
        # a: the issued invoice outside the project joins it by its number
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        await pilot.press(*first.code, "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ProjectScreen)
        assert invoices.get_invoice(first.id).project_id == project_id
        assert "invoiced €1,100.00" in screen_text(app)
        # delete takes the highlighted document out, after confirmation
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert projects.project_figures(project_id).invoiced == D(1000)  # the first row went
        # e edits the project itself
        await pilot.press("e")
        await settle(pilot, app)
        assert isinstance(app.screen, ProjectForm)
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)


async def test_expenses_screen_new_search_edit_delete(business, tmp_path) -> None:
    opened, client_id, project_id, _first = business
    expenses.create_expense(
        expenses.ExpenseData(expense_date=TODAY, supplier_name="Taxi Jaén", base="12")
    )
    receipt = tmp_path / "factura-hosting.pdf"
    receipt.write_bytes(b"%PDF-1.4 hosting")
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.show_expenses()
        await settle(pilot, app)
        assert isinstance(app.screen, ExpensesScreen)
        assert "Taxi Jaén" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ExpenseForm)
        await pilot.press("tab", *"Hosting SL", "tab", *"B12345678")  # a wrong check letter
        form.query_one(f"#{field_id('base')}", Input).value = "20"
        form.query_one(f"#{field_id('vat')}", Input).value = "4,20"
        form.query_one(f"#{field_id('client')}", Input).value = "A58818501"
        form.query_one(f"#{field_id('file')}", Input).value = str(receipt)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form  # refused: the tax ID's reason beside it, nothing saved
        assert "check digit" in screen_text(app)
        assert expenses.count_expenses() == 1
        form.query_one(f"#{field_id('supplier_tax_id')}", Input).value = "B27714633"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ExpensesScreen)
        found = expenses.list_expenses(expenses.ExpenseFilter(text="hosting"))
        assert [(r.total, r.client_id, r.document) for r in found] == [
            (D("24.20"), client_id, "factura-hosting.pdf")
        ]
        await pilot.press("slash", *"hosting", "enter")
        await settle(pilot, app)
        assert "Taxi Jaén" not in screen_text(app) and "Hosting SL" in screen_text(app)
        await pilot.press("enter")  # edits it, with the client's projects to choose from
        await settle(pilot, app)
        assert isinstance(app.screen, ExpenseForm)
        app.screen.query_one(f"#{field_id('project')}", Select).value = str(project_id)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert expenses.get_expense(found[0].id).project == "Web"
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # no: nothing deleted
        await settle(pilot, app)
        assert expenses.count_expenses() == 2
        await pilot.press("delete")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert [r.supplier_name for r in expenses.list_expenses()] == ["Taxi Jaén"]


async def test_statement_screen_and_its_pdf(business, tmp_path) -> None:
    from pypdf import PdfReader

    from tui_crm.services import payments

    opened, client_id, _project_id, first = business
    payments.register_payment(client_id, TODAY, D("21"), allocations=[(first.id, D("21"))])
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_client(client_id)
        await settle(pilot, app)
        await pilot.press("S")
        await settle(pilot, app)
        assert isinstance(app.screen, StatementScreen)
        text = screen_text(app)
        assert first.code in text and "€121.00" in text and "€100.00" in text
        assert "Balance on" in text
        await pilot.press("w")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        out = tmp_path / "extracto.pdf"
        app.screen.query_one(f"#{field_id('path')}", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, StatementScreen)
        pdf = PdfReader(out).pages[0].extract_text()
        # A client in Spain reads its documents in Spanish (16A), the statement's PDF too.
        assert "Extracto de cuenta" in pdf and first.code in pdf and "100,00" in pdf
        # p: a period before the invoice shows nothing, opening balance 0
        await pilot.press("p")
        await settle(pilot, app)
        form = app.screen
        form.query_one(f"#{field_id('date_from')}", Input).value = "2020-01-01"
        form.query_one(f"#{field_id('date_to')}", Input).value = "2020-12-31"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "Nothing invoiced or paid in this period." in screen_text(app)
        # m: the send dialog, the statement's PDF attached
        await pilot.press("m")
        await settle(pilot, app)
        assert "Send the statement of account of" in screen_text(app)
        assert "statement-A58818501-2020-01-01-2020-12-31.pdf" in screen_text(app)
