"""Recurring invoices by keyboard through the real app (Pilot, 80x24): a monthly template
with two lines written in the editor, seen in the list, run with `r` (the invoice found
through the invoices service), its frequency edited, deactivated, deleted; a template that
issues directly, opened from the client file's Sales tab; the service's reasons shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from invoicing_support import D, line, make_client, set_issuer

from tui_crm.services import invoices, recurring
from tui_crm.services.lines import LineInput, totals_of
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.conflict import ConflictDialog
from tui_crm.ui.dialogs.message import MessageDialog
from tui_crm.ui.formatting import date as show_date
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.recurring_editor import RecurringEditor
from tui_crm.ui.screens.recurring_list import RecurringScreen
from tui_crm.ui.widgets.lazy_table import LazyTable
from tui_crm.ui.widgets.line_editor import LineEditor

from .conftest import settle
from .screen_text import screen_text

SIZE = (80, 24)
TODAY = dt.date.today()


@pytest.fixture
def business(db):
    set_issuer()
    return db.opened, make_client()


def rows(table: LazyTable) -> list:
    return [table.get_row(i) for i in range(table.row_count)]


async def test_write_run_edit_deactivate_delete_by_keyboard(business) -> None:
    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"recurring invoices")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, RecurringScreen)
        assert "No recurring invoices" in screen_text(app)

        # n: the client picker, then the editor with the title focused.
        await pilot.press("n")
        await settle(pilot, app)
        await pilot.press(*"peña")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, RecurringEditor)
        assert "New recurring invoice" in screen_text(app)
        assert "Peña y Muñoz SL" in screen_text(app)
        await pilot.press(*"Mantenimiento web")
        await pilot.press("ctrl+n", *"Hosting", "tab", "tab", *"30", "enter")
        await pilot.press("n", *"Soporte", "tab", *"2", "tab", *"45,50", "enter")
        await settle(pilot, app)
        lines = editor.query_one(LineEditor)
        expected = totals_of(
            [
                LineInput("a", D(1), D("30"), D(0), D(21), D(0)),
                LineInput("b", D(2), D("45.50"), D(0), D(21), D(0)),
            ]
        )
        assert lines.last_totals.total == expected.total == D("146.41")
        assert "Total €146.41" in str(lines.query_one("#le-totals").render())

        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert editor.record_id is not None
        recurring_id = editor.record_id
        detail = recurring.get_recurring(recurring_id)
        assert detail.client_id == client_id
        assert detail.data.title == "Mantenimiento web"
        assert detail.data.frequency == "monthly" and detail.data.next_date == TODAY
        assert not detail.data.issue_directly and detail.data.active
        assert [x.description for x in detail.lines] == ["Hosting", "Soporte"]
        assert f"Recurring invoice {recurring_id}" in screen_text(app)

        # Back in the list: the template, its schedule and its total per run.
        await pilot.press("escape")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, RecurringScreen)
        [row] = rows(screen.table)
        assert row.key == recurring_id
        assert row.cells[0] == "Peña y Muñoz SL" and row.cells[1] == "Mantenimiento web"
        assert row.cells[2] == "Monthly" and row.cells[5] == "draft"
        assert row.cells[6] == "active" and row.cells[7] == "€146.41"

        # r: the due period becomes a draft invoice; the report says so.
        await pilot.press("r", "y")  # asked first: it may issue invoices
        await settle(pilot, app)
        assert isinstance(app.screen, MessageDialog)
        report = screen_text(app)
        assert "1 invoice created" in report and "draft invoice" in report
        made = invoices.list_invoices(invoices.InvoiceFilter(client_id=client_id))
        assert len(made) == 1 and made[0].status == "draft"
        assert invoices.get_invoice(made[0].id).totals.total == D("146.41")
        await pilot.press("enter")
        await settle(pilot, app)
        nxt = recurring.get_recurring(recurring_id).data.next_date
        assert nxt > TODAY
        assert rows(screen.table)[0].cells[3] == show_date(nxt)

        # A second run on the same day makes nothing more.
        await pilot.press("r", "y")
        await settle(pilot, app)
        assert "Nothing was due" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert len(invoices.list_invoices(invoices.InvoiceFilter(client_id=client_id))) == 1

        # e: the editor again (it says what the template made); frequency -> quarterly.
        await pilot.press("e")
        await settle(pilot, app)
        assert isinstance(app.screen, RecurringEditor)
        assert "1 invoice made" in screen_text(app)
        await pilot.press("tab")  # title -> frequency
        await pilot.press("enter", "down", "enter")
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert recurring.get_recurring(recurring_id).data.frequency == "quarterly"
        await pilot.press("escape")
        await settle(pilot, app)
        assert rows(screen.table)[0].cells[2] == "Quarterly"

        # a: deactivated.
        await pilot.press("a", "y")  # asked first
        await settle(pilot, app)
        assert recurring.get_recurring(recurring_id).data.active is False
        assert rows(screen.table)[0].cells[6] == "inactive"
        await pilot.press("a", "y")  # asked first
        await settle(pilot, app)
        assert recurring.get_recurring(recurring_id).data.active is True
        await pilot.press("a", "y")  # asked first
        await settle(pilot, app)
        assert recurring.get_recurring(recurring_id).data.active is False

        # delete, confirmed: the template goes, its invoice stays.
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert recurring.list_recurring() == []
        assert screen.table.row_count == 0
        assert len(invoices.list_invoices(invoices.InvoiceFilter(client_id=client_id))) == 1


async def test_client_file_opens_its_templates_and_r_issues_directly(business) -> None:
    opened, client_id = business
    other = make_client("Otro Cliente SA", "B12345674")
    mine = recurring.create_recurring(
        recurring.RecurringInput(
            client_id=client_id,
            title="Cuota",
            frequency="yearly",
            next_date=TODAY,
            issue_directly=True,
            lines=[line("Cuota anual", "1", "1000")],
        )
    )
    recurring.create_recurring(
        recurring.RecurringInput(
            client_id=other,
            title="Ajena",
            next_date=TODAY + dt.timedelta(days=30),
            lines=[line()],
        )
    )
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_client(client_id, "sales")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        await pilot.press("R")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, RecurringScreen) and screen.client_id == client_id
        assert [r.key for r in rows(screen.table)] == [mine]
        assert rows(screen.table)[0].cells[5] == "issue"

        await pilot.press("r", "y")  # asked first: it may issue invoices
        await settle(pilot, app)
        assert isinstance(app.screen, MessageDialog)
        made = invoices.list_invoices(invoices.InvoiceFilter(client_id=client_id))
        assert len(made) == 1 and made[0].status == "issued" and made[0].code
        assert made[0].code in screen_text(app)
        assert invoices.list_invoices(invoices.InvoiceFilter(client_id=other)) == []
        await pilot.press("escape")
        await settle(pilot, app)

        # n here needs no picker: the editor is for this client; a wrong end date is refused.
        await pilot.press("n")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, RecurringEditor)
        assert "Peña y Muñoz SL" in screen_text(app)
        await pilot.press(*"Otra", "tab", "tab", "tab", *"2000-01-01")
        await pilot.press("ctrl+n", *"Algo", "tab", "tab", *"10", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert editor.record_id is None
        assert "is before the next date" in screen_text(app)
        assert editor.query_one("#hf-end-date").has_class("-bad")
        assert len(recurring.list_recurring(client_id)) == 1


async def test_a_colleagues_save_meanwhile_shows_the_conflict_dialog(business) -> None:
    opened, client_id = business
    data = recurring.RecurringInput(
        client_id=client_id, title="Cuota", next_date=TODAY, lines=[line("Cuota", "1", "50")]
    )
    recurring_id = recurring.create_recurring(data)
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.show_recurring()
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, RecurringEditor)
        # Someone else saves the template while it is open here.
        recurring.update_recurring(recurring_id, replace(data, title="Suya"), 1)
        await pilot.press("ctrl+u", *"Mía", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        assert recurring.get_recurring(recurring_id).data.title == "Suya"
        # r reloads theirs: the title field shows it, and the next save goes through.
        await pilot.press("r")
        await settle(pilot, app)
        assert app.screen is editor
        assert editor.values()["title"] == "Suya"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert recurring.get_recurring(recurring_id).version == 3
