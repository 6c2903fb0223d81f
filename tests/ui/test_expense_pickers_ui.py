"""A new expense with no client yet (palette "Expenses", `n`): its project and document
pickers list every open project and document, typing in an open picker finds one by
its client's name, a project chosen first brings its client and narrows the documents;
a project of another client than the one typed is refused beside the field."""

from __future__ import annotations

import pytest
from invoicing_support import make_client, set_issuer
from textual.widgets import Input, Select

from tui_crm.services import documents, expenses, projects
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.expenses import ExpenseForm, ExpensesScreen

from .conftest import settle
from .screen_text import screen_text


@pytest.fixture
def two_clients(db):
    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    beta = make_client("Beta SL", "A58818501")
    web = projects.create_project(alfa, projects.ProjectData(name="Web"))
    app = projects.create_project(beta, projects.ProjectData(name="App"))
    contract = documents.add_document(b"c", "contrato.pdf", client_id=alfa)
    ticket = documents.add_document(b"t", "ticket.pdf", client_id=beta)
    return db.opened, locals()


def values(picker: Select) -> list[str]:
    return [str(v) for _label, v in picker._options if v not in ("", Select.BLANK)]


async def test_new_expense_pickers_before_and_after_the_client(two_clients) -> None:
    opened, t = two_clients
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, app)
        app.show_expenses()
        await settle(pilot, app)
        assert isinstance(app.screen, ExpensesScreen)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ExpenseForm)
        project = form.query_one(f"#{field_id('project')}", Select)
        document = form.query_one(f"#{field_id('document')}", Select)
        assert values(project) == [str(t["web"]), str(t["app"])]
        assert set(values(document)) == {str(t["contract"]), str(t["ticket"])}
        # Typing in the open picker finds a project by its client's name.
        project.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press(*"Beta", "enter")
        await settle(pilot, app)
        assert project.value == str(t["app"])
        client = form.query_one(f"#{field_id('client')}", Input)
        assert client.value == "A58818501"  # the project brought its client …
        await pilot.pause(0.5)
        await settle(pilot, app)
        assert values(document) == [str(t["ticket"])]  # … and the documents narrowed
        # Another client typed: the project chosen stays, and saving refuses it by name.
        client.value = "B60889649"
        await pilot.pause(0.5)
        await settle(pilot, app)
        assert values(document) == [str(t["contract"])]
        assert project.value == str(t["app"])
        form.query_one(f"#{field_id('supplier_name')}", Input).value = "Taxi"
        form.query_one(f"#{field_id('base')}", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        assert "is a project of Beta SL, not of Alfa SL" in screen_text(app)
        assert expenses.count_expenses() == 0
        # Choosing one of Alfa's saves.
        project.value = str(t["web"])
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ExpensesScreen)
    [row] = expenses.list_expenses()
    assert (row.client, row.project) == ("Alfa SL", "Web")
