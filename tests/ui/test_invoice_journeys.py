"""Invoicing by keyboard through the real app (Pilot, 80x24): write an invoice with three
lines (one from the catalog by its code), issue it, register a partial payment and watch
the receivables board change; rectify; quote -> order -> invoice in parts; refusals shown;
the board's colours at fixed dates; hostile text shown literally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.services import catalog, invoices, orders, payments, quotes
from tui_crm.services.lines import LineInput, totals_of
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.message import MessageDialog
from tui_crm.ui.screens.invoice_editor import InvoiceEditor
from tui_crm.ui.screens.invoice_part_form import InvoicePartForm
from tui_crm.ui.screens.invoice_view import InvoiceView
from tui_crm.ui.screens.order_view import OrderView
from tui_crm.ui.screens.payment_form import PaymentForm
from tui_crm.ui.screens.quote_editor import QuoteEditor
from tui_crm.ui.screens.quote_view import QuoteView
from tui_crm.ui.screens.receivables import ReceivablesScreen
from tui_crm.ui.widgets.lazy_table import LazyTable
from tui_crm.ui.widgets.line_editor import LineEditor

from .conftest import settle
from .screen_text import screen_text

SIZE = (80, 24)
TODAY = dt.date.today()


async def type_text(pilot, app, text: str) -> None:
    await pilot.press(*text)
    await settle(pilot, app)


@pytest.fixture
def business(db):
    """The issuer's data, one client and one product; returns (opened, client id)."""
    set_issuer()
    client_id = make_client()
    catalog.create_product(
        catalog.ProductInput(
            code="WEB01",
            name="Diseño web",
            unit_price=D("500.00"),
            vat_rate=D(21),
            unit_cost=D("120.00"),
        )
    )
    return db.opened, client_id


def board_rows(table: LazyTable) -> list:
    return [table.get_row(i) for i in range(table.row_count)]


async def test_write_issue_pay_by_keyboard_and_see_the_board_change(business) -> None:
    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f4")
        await settle(pilot, app)
        assert "No invoices match" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        await type_text(pilot, app, "peña")
        await pilot.press("enter")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor)
        assert "New invoice" in screen_text(app) and "Peña y Muñoz SL" in screen_text(app)
        lines = editor.query_one(LineEditor)

        # Line 1: from the catalog by its code; the quantity is typed over the default 1.
        await pilot.press("n")
        await type_text(pilot, app, "WEB01")
        assert "WEB01  Diseño web" in screen_text(app)  # the suggestion, highlighted
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.focused.id == "le-quantity"
        await pilot.press("ctrl+u", "2", "enter")
        # Line 2: free text, Spanish notation, a discount and IVA 10 %.
        await pilot.press("n", *"Consultoría", "tab", *"1,5", "tab", *"60,50", "tab", *"10")
        await pilot.press("tab", "ctrl+u", *"10", "enter")
        # Line 3: English notation with thousands.
        await pilot.press("n", *"Hosting anual", "tab", "tab", *"1,234.56", "enter")
        await settle(pilot, app)
        assert [line.description for line in lines.lines] == [
            "Diseño web",
            "Consultoría",
            "Hosting anual",
        ]
        expected = totals_of(
            [
                LineInput("a", D(2), D("500.00"), D(0), D(21), D(0)),
                LineInput("b", D("1.5"), D("60.50"), D(10), D(10), D(0)),
                LineInput("c", D(1), D("1234.56"), D(0), D(21), D(0)),
            ]
        )
        assert lines.last_totals.total == expected.total == D("2793.67")
        totals = str(lines.query_one("#le-totals").render())
        assert "Total €2,793.67" in totals and "Base 10 %: €81.68" in totals

        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert editor.record_id is not None
        draft_id = editor.record_id
        detail = invoices.get_invoice(draft_id)
        assert detail.status == "draft"
        assert [str(line.quantity) for line in detail.lines] == ["2", "1.5", "1"]
        assert detail.lines[0].product_id is not None and detail.lines[0].unit_cost == D("120")
        assert detail.totals.total == expected.total

        # F9: the confirmation shows the number and the date; y issues.
        await pilot.press("f9")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        question = screen_text(app)
        assert f"F{TODAY.year}-00001" in question
        assert TODAY.isoformat() in question
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        code = f"F{TODAY.year}-00001"
        assert f"Invoice {code}" in screen_text(app)
        issued_detail = invoices.get_invoice(draft_id)
        assert issued_detail.status == "issued" and issued_detail.code == code

        # The board lists it, not yet due (30 payment days).
        await pilot.press("f5")
        await settle(pilot, app)
        board = app.screen
        assert isinstance(board, ReceivablesScreen)
        table = board.query_one(LazyTable)
        (row,) = board_rows(table)
        assert row.key == draft_id and row.style == "" and "€2,793.67" in row.cells
        assert "Not due" in row.cells

        # Seen 45 days later, it is overdue: red, bucket 1-30.
        await pilot.press("a")
        await settle(pilot, app)
        later = TODAY + dt.timedelta(days=45)
        await pilot.press("ctrl+u", *later.isoformat(), "ctrl+s")
        await settle(pilot, app)
        (row,) = board_rows(table)
        assert row.style == "danger" and "1-30 days" in row.cells and "15" in row.cells

        # p registers a partial payment; the row updates in place.
        await pilot.press("p")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, PaymentForm)
        amount = form.query_one("#field-amount")
        assert amount.value == "2793.67"  # prefilled with what it owes
        await pilot.press("shift+tab", "shift+tab", "ctrl+u", *"1.000,00", "ctrl+s")
        await settle(pilot, app)
        assert app.screen is board
        (row,) = board_rows(table)
        assert "€1,793.67" in row.cells and "€1,000.00" in row.cells
        assert table.cursor_index == 0
        assert "€1,793.67" in screen_text(app)
    paid = invoices.get_invoice(draft_id)
    assert paid.status == "partially_paid" and paid.paid == D("1000.00")
    assert paid.outstanding == D("1793.67")
    assert client_id == paid.client_id


async def test_line_editor_delete_move_undo_and_line_errors(business) -> None:
    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        editor = app.screen
        lines = editor.query_one(LineEditor)
        for name, price in (("Uno", "10"), ("Dos", "20"), ("Tres", "30")):
            await pilot.press("n", *name, "tab", "tab", *price, "enter")
        await settle(pilot, app)
        assert [line.description for line in lines.lines] == ["Uno", "Dos", "Tres"]
        # shift+up moves the highlighted line (the last) above "Dos".
        await pilot.press("shift+up")
        await settle(pilot, app)
        assert [line.description for line in lines.lines] == ["Uno", "Tres", "Dos"]
        # delete asks first; n keeps the line, y deletes it.
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog) and "Tres" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        assert len(lines.lines) == 3
        await pilot.press("delete", "y")
        await settle(pilot, app)
        assert [line.description for line in lines.lines] == ["Uno", "Dos"]
        assert lines.last_totals.base == D("30.00")
        # escape in the edit row puts the line back as it was.
        await pilot.press("enter", *" más", "tab", "tab", *"999")
        assert lines.last_totals.base == D("1009.00")
        await pilot.press("escape")
        await settle(pilot, app)
        assert lines.lines[1].description == "Dos" and lines.lines[1].unit_price == "20"
        assert lines.last_totals.base == D("30.00")
        assert app.focused is lines.table
        # A price the service refuses comes back on its line, with the reason.
        await pilot.press("enter", "tab", "tab", "ctrl+u", *"1.2.3", "enter", "ctrl+s")
        await settle(pilot, app)
        assert editor.record_id is None  # nothing saved
        text = screen_text(app)
        assert "Line 2: Unit price: is not a number" in text
        assert "2!" in text  # the line is marked
        await pilot.press("enter", "tab", "tab", "ctrl+u", *"20", "enter", "ctrl+s")
        await settle(pilot, app)
        assert editor.record_id is not None
        saved = invoices.get_invoice(editor.record_id)
        assert [(line.description, line.unit_price) for line in saved.lines] == [
            ("Uno", D("10.00")),
            ("Dos", D("20.00")),
        ]


async def test_board_colours_and_buckets_at_fixed_dates(db) -> None:
    set_issuer()
    late = make_client("Morosa SL", "B12345674")
    good = make_client()
    year = dt.date(2026, 1, 1).year

    def invoice(client_id, issue, due, price="100"):
        return issued(client_id, issue, line(price=price), due_date=due, series="F").id

    very_old = issued(
        late, dt.date(2025, 11, 2), line(price="50"), due_date=dt.date(2025, 12, 15)
    ).id
    old = invoice(late, dt.date(2026, 1, 10), dt.date(2026, 2, 9))
    overdue = invoice(late, dt.date(2026, 3, 1), dt.date(2026, 3, 5))
    due_soon = invoice(good, dt.date(2026, 3, 10), dt.date(2026, 4, 30))
    not_due = invoice(good, dt.date(2026, 3, 20), dt.date(2026, 6, 30))
    assert year == 2026

    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f5", "a")
        await settle(pilot, app)
        await pilot.press("ctrl+u", *"2026-04-28", "ctrl+s")
        await settle(pilot, app)
        table = app.screen.query_one(LazyTable)
        rows = board_rows(table)
        assert [r.key for r in rows] == [very_old, old, overdue, due_soon, not_due]
        assert [r.style for r in rows] == [
            "danger-strong",
            "danger-strong",
            "danger",
            "warning",
            "",
        ]
        assert [r.cells[8] for r in rows] == [
            "Over 90 days",
            "61-90 days",
            "31-60 days",
            "Not due",
            "Not due",
        ]
        # What is painted: each row in its component style (row 1 is not under the cursor).
        strong = table.get_component_rich_style("lazy-table--row-danger-strong")
        warning = table.get_component_rich_style("lazy-table--row-warning")
        assert next(iter(table.render_line(2))).style == strong
        assert next(iter(table.render_line(4))).style == warning
        assert strong != warning
        summary = screen_text(app)
        assert "As of 2026-04-28: 5 unpaid invoices" in summary
        assert "Defaulters: Morosa SL" in summary
        # b cycles the bucket filter: overdue only.
        await pilot.press("b")
        await settle(pilot, app)
        assert [r.key for r in board_rows(table)] == [very_old, old, overdue]
        # Earlier, the January invoice was only due within a week: orange.
        await pilot.press("b", "b", "b", "b", "b", "b", "a")
        await settle(pilot, app)
        await pilot.press("ctrl+u", *"2026-02-05", "ctrl+s")
        await settle(pilot, app)
        rows = board_rows(table)
        assert [(r.key, r.style) for r in rows] == [(very_old, "danger"), (old, "warning")]


async def test_the_board_as_of_a_day_puts_back_the_payments_made_after_it(db) -> None:
    """As of 31 March the invoice paid in full on 10 April still owes all of it and the one
    paid half on 20 March the other half: rows, amounts and summary are that day's."""
    set_issuer()
    client = make_client("Morosa SL", "B12345674")
    whole = issued(client, dt.date(2026, 3, 1), line(price="100"), due_date=dt.date(2026, 3, 15))
    half = issued(client, dt.date(2026, 3, 2), line(price="200"), due_date=dt.date(2026, 4, 30))
    payments.register_payment(
        client, dt.date(2026, 4, 10), D("121"), allocations=[(whole.id, D("121"))]
    )
    payments.register_payment(
        client, dt.date(2026, 3, 20), D("121"), allocations=[(half.id, D("121"))]
    )
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        table = app.screen.query_one(LazyTable)
        assert [r.key for r in board_rows(table)] == [half.id]  # today: only the half
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press("ctrl+u", *"2026-03-31", "ctrl+s")
        await settle(pilot, app)
        rows = board_rows(table)
        assert [r.key for r in rows] == [whole.id, half.id]
        assert [r.cells[:2] for r in rows] == [
            (whole.code, "Morosa SL"),
            (half.code, "Morosa SL"),
        ]
        # total, paid, outstanding, days
        assert [r.cells[4:8] for r in rows] == [
            ("€121.00", "", "€121.00", "16"),
            ("€242.00", "€121.00", "€121.00", ""),
        ]
        assert "As of 2026-03-31: 2 unpaid invoices, €242.00 outstanding" in screen_text(app)


async def test_rectify_an_issued_invoice_by_keyboard(business) -> None:
    opened, client_id = business
    original = issued(client_id, TODAY - dt.timedelta(days=3), line(quantity="2", price="100"))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f4")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("tab", *"Precio equivocado", "ctrl+s")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor) and editor.is_rectifying
        assert f"Rectifying draft {editor.record_id} for {original.code}" in screen_text(app)
        assert [line.quantity for line in editor.query_one(LineEditor).lines] == ["-2"]
        await pilot.press("f9")
        await settle(pilot, app)
        assert f"R{TODAY.year}-00001" in screen_text(app)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        assert f"Rectifying invoice R{TODAY.year}-00001" in screen_text(app)
        assert f"Rectifies {original.code}" in screen_text(app)
    corrected = invoices.get_invoice(original.id)
    assert corrected.outstanding == D("0.00") and corrected.status == "paid"
    assert corrected.rectified_by == (f"R{TODAY.year}-00001",)


async def test_quote_accept_order_and_invoice_a_part(business) -> None:
    opened, _client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"New quote")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await type_text(pilot, app, "peña")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, QuoteEditor)
        await pilot.press(*"Rediseño web", "ctrl+n", *"Maquetación", "tab", "3", "tab")
        await pilot.press(*"100", "enter", "ctrl+t")
        await settle(pilot, app)
        await pilot.press(*"2 semanas", "ctrl+s")
        await settle(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        view = app.screen
        assert isinstance(view, QuoteView)
        quote = quotes.get_quote(view.detail.id)
        assert quote.data.title == "Rediseño web" and quote.data.delivery_time == "2 semanas"
        assert quote.totals.total == D("363.00")
        await pilot.press("s", "y")  # marking it sent asks first
        await settle(pilot, app)
        assert "Sent" in screen_text(app)
        await pilot.press("a", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, OrderView)
        order_id = app.screen.detail.id
        await pilot.press("p")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoicePartForm)
        await pilot.press("ctrl+u", "1", "ctrl+s")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor)
        part = invoices.get_invoice(editor.record_id)
        assert [line.quantity for line in part.lines] == [D(1)]
        assert part.order_id == order_id
        await pilot.press("f9")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, OrderView)
        text = screen_text(app)
        assert "Partly invoiced" in text and "Open value €200.00" in text
    order = orders.get_order(order_id)
    assert order.status == "partially_invoiced" and order.open_value == D("200.00")
    assert quotes.get_quote(quote.id).status == "accepted"


async def test_issue_refusal_is_shown_with_the_reason(business) -> None:
    opened, client_id = business
    issued(client_id, dt.date(2026, 5, 10))
    draft_id = draft(client_id, issue_date=dt.date(2026, 5, 1))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_invoice(draft_id)
        await settle(pilot, app)
        await pilot.press("f9")
        await settle(pilot, app)
        # Issue 16: the confirmation no longer promises "F2026-00002, dated 2026-05-01" to
        # refuse it afterwards; the refusal comes first, with its reason.
        text = screen_text(app)
        assert "F2026-00002, dated 2026-05-01" not in text
        if not isinstance(app.screen, MessageDialog):  # the refusal may follow a keypress
            await pilot.press("y")
            await settle(pilot, app)
        assert isinstance(app.screen, MessageDialog)
        text = screen_text(app)
        assert "Cannot issue" in text and "earlier than 2026-05-10" in text
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceEditor)
    assert invoices.get_invoice(draft_id).status == "draft"


async def test_overpayment_is_refused_in_the_form(business) -> None:
    opened, client_id = business
    invoice = issued(client_id, TODAY, line(price="100"))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_invoice(invoice.id)
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, PaymentForm)
        form.query_one("#alloc-0").focus()
        await pilot.press("ctrl+u", *"500", "ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one("#field-amount").value == "500.00"  # follows the invoices
        assert "Overpayment refused: 500.00 for" in screen_text(app)
        await pilot.press("ctrl+u", *"21", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        assert "Partially paid" in screen_text(app)
    assert payments.open_invoices(client_id)[0].outstanding == D("100.00")


async def test_hostile_text_is_shown_literally(db) -> None:
    set_issuer()
    client_id = make_client("[b]Evil[/b] Corp", "B12345674")
    invoice = issued(client_id, TODAY - dt.timedelta(days=40), line("[red]Not red[/red] $(x)"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        await pilot.press("n", *"[bold]Bold?[/bold]", "tab", "tab", *"5", "enter")
        await settle(pilot, app)
        text = screen_text(app)
        assert "[b]Evil[/b] Corp" in text and "[bold]Bold?[/bold]" in text
        await pilot.press("escape", "y")  # discard
        await settle(pilot, app)
        app.open_invoice(invoice.id)
        await settle(pilot, app)
        text = screen_text(app)
        assert "[red]Not red[/red] $(x)" in text and "[b]Evil[/b] Corp" in text
        await pilot.press("escape", "f5")
        await settle(pilot, app)
        text = screen_text(app)
        assert "[b]Evil[/b] Corp" in text
        assert "Defaulters: [b]Evil[/b] Corp" in text


async def test_client_file_sales_tab_opens_the_invoice(business) -> None:
    opened, client_id = business
    invoice = issued(client_id, TODAY, line(price="80"))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_client(client_id, "sales")
        await settle(pilot, app)
        app.screen.query_one("#list-sales").focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        assert app.screen.detail.id == invoice.id
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        await pilot.press(*"quote", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, QuoteEditor)
        assert "Peña y Muñoz SL" in screen_text(app)


def test_amounts_are_read_in_both_notations(db) -> None:
    """The editor keeps amounts as typed text and Decimals (never float)."""
    from tui_crm.ui.widgets.line_editor import EditLine, parse_quantity

    assert parse_quantity("1,5") == Decimal("1.5")
    assert parse_quantity("1.125") == Decimal("1.125")
    assert parse_quantity("1.000,5") == Decimal("1000.5")
    line = EditLine(quantity="2", unit_price="1.234,56", discount="", vat_rate="21")
    parsed = line.parsed()
    assert parsed.unit_price == Decimal("1234.56") and parsed.discount == 0
    assert EditLine(unit_price="1.2.3").to_input().unit_price == "1.2.3"  # the service says why
    assert execute("SELECT 1").fetchone() == (1,)


async def test_rectify_by_replacement_restates_the_invoice(business) -> None:
    opened, client_id = business
    original = issued(client_id, TODAY - dt.timedelta(days=2), line(quantity="2", price="100"))
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_invoice(original.id)
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("enter", "down", "enter")  # the mode: by replacement
        await settle(pilot, app)
        await pilot.press("tab", *"Precio pactado: 90", "ctrl+s")
        await settle(pilot, app)
        editor = app.screen
        assert isinstance(editor, InvoiceEditor) and editor.is_rectifying
        text = screen_text(app)
        assert f"Cancels the 1 lines of {original.code}" in text
        lines = editor.query_one(LineEditor)
        assert [(x.quantity, x.unit_price) for x in lines.lines] == [("2", "100.00")]
        assert lines.last_totals.total == D("0.00")  # cancelled and restated as it was
        await pilot.press("enter", "tab", "tab", *"90", "enter")
        await settle(pilot, app)
        assert lines.last_totals.total == D("-24.20")  # 2 × 10.00 less, with its IVA
        await pilot.press("f9")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert isinstance(app.screen, InvoiceView)
        rectifying = app.screen.detail
    assert rectifying.kind == "rectifying" and rectifying.rectification_mode == "replacement"
    assert rectifying.totals.total == D("-24.20")  # cancels 242.00, restates 217.80
    assert rectifying.outstanding == D("217.80")  # what is owed now: 2 × 90 + IVA
    assert invoices.get_invoice(original.id).outstanding == D("0.00")


async def test_keys_typed_in_one_burst_land_in_their_fields(business) -> None:
    """A fast typist or a terminal multiplexer delivers keys before the previous ones moved
    the focus: each still lands in its field (n, tab, enter act as they are read)."""
    from textual import events

    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        keys = ["n", *"Diseño web", "tab", "3", "tab", *"45,50", "enter"]
        keys += ["n", *"Hosting", "tab", "tab", *"12", "tab", *"5", "enter", "e", "escape"]
        for key in keys:  # all queued at once, no pause between them
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot, app)
        lines = app.screen.query_one(LineEditor)
        assert [(x.description, x.quantity, x.unit_price, x.discount) for x in lines.lines] == [
            ("Diseño web", "3", "45,50", ""),
            ("Hosting", "1", "12", "5"),
        ]
        assert lines.last_totals.base == D("147.90")  # 136.50 + 11.40
        assert app.focused is lines.table


async def test_catalog_add_edit_and_use_a_product(business) -> None:
    from tui_crm.ui.screens.catalog import CatalogScreen

    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"Catalog")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, CatalogScreen)
        assert "WEB01" in screen_text(app)
        await pilot.press("n", *"hora-soporte", "tab", *"Soporte técnico", "tab", "tab")
        await pilot.press(*"45,00", "tab", "tab", *"20", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, CatalogScreen)
        assert "HORA-SOPORTE" in screen_text(app) and "€45.00" in screen_text(app)
        product = catalog.find_by_code("hora-soporte")
        assert product.data.unit_cost == D("20.00") and product.data.vat_rate == D(21)
        # A code already in the catalog is refused beside the field.
        await pilot.press("n", *"web01", "tab", *"Otra", "tab", "tab", *"1", "ctrl+s")
        await settle(pilot, app)
        assert "WEB01 is already in the catalog" in screen_text(app)
        await pilot.press("escape", "y")
        await settle(pilot, app)
        # The new product is offered by the line editor.
        app.new_invoice(client_id)
        await settle(pilot, app)
        await pilot.press("n", *"soporte")
        await settle(pilot, app)
        assert "HORA-SOPORTE  Soporte técnico" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        line_one = app.screen.query_one(LineEditor).lines[0]
        assert line_one.product_id == product.id and line_one.unit_price == "45.00"
