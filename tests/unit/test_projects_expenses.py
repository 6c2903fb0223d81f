"""Projects that hold their documents, expenses, real margin (issue 17, part A).

Every figure is checked against a hand computation on a small book of a client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from postgres_support import fresh_schema

from tests.invoicing_support import draft, line, make_client, set_issuer

D = Decimal
DAY = dt.date(2026, 3, 10)


def _book():
    """Alfa: a project "Web" with a quote (sent), an order, two invoices (one with a
    cost typed on a free-text line), a payment and an expense; Beta: an expense."""
    from tui_crm.services import expenses, invoices, orders, payments, projects, quotes

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    beta = make_client("Beta SL", "A58818501")
    web = projects.create_project(alfa, projects.ProjectData(name="Web"))
    quote = quotes.create_quote(
        quotes.QuoteInput(
            client_id=alfa,
            title="Web",
            project_id=web,
            lines=[line(price="1000", unit_cost=D("300"))],
        )
    )
    quotes.mark_sent(quote)
    order_id = quotes.accept_quote(quote, DAY)
    assert orders.get_order(order_id).project_id == web  # inherited quote -> order
    invoice_id = orders.invoice_order(order_id, issue_date=DAY)
    assert invoices.get_invoice(invoice_id).project_id == web  # order -> invoice
    first = invoices.issue_invoice(invoice_id, DAY)
    # a free-text line with its own cost: 2 x 150 sold, 2 x 40 cost
    second = invoices.issue_invoice(
        draft(alfa, line("Soporte", "2", "150", unit_cost=D("40")), project_id=web),
        dt.date(2026, 4, 2),
    )
    payments.register_payment(
        alfa, dt.date(2026, 4, 5), D("500"), allocations=[(first.id, D("500"))]
    )
    expenses.create_expense(
        expenses.ExpenseData(
            expense_date=dt.date(2026, 3, 20),
            supplier_name="Hosting SL",
            supplier_tax_id="B27714633",
            base="100",
            vat="21",
            project_id=web,
        )
    )
    expenses.create_expense(
        expenses.ExpenseData(
            expense_date=dt.date(2026, 4, 1), supplier_name="Taxi", base="30", client_id=beta
        )
    )
    expenses.create_expense(
        expenses.ExpenseData(expense_date=dt.date(2026, 4, 1), supplier_name="Alquiler", base="500")
    )
    return {"alfa": alfa, "beta": beta, "web": web, "first": first, "second": second}


def test_project_figures_equal_a_hand_computation(db) -> None:
    from tui_crm.services import projects

    book = _book()
    f = projects.project_figures(book["web"])
    assert f.quoted == D("1000.00")  # the quote, sent then accepted
    assert f.ordered == D("1000.00")
    assert f.invoiced == D("1300.00")  # 1000 + 2 x 150
    assert book["first"].total == D("1210.00")
    assert f.paid == D("500.00")
    assert f.pending == D("1210.00") - D("500.00") + D("363.00")
    assert f.cost_of_sales == D("380.00")  # 300 + 2 x 40
    assert f.expenses == D("100.00")  # the expense's base; IVA is not a cost
    assert f.cost == D("480.00") and f.margin == D("820.00")
    kinds = [d.kind for d in projects.project_documents(book["web"])]
    assert sorted(kinds) == ["expense", "invoice", "invoice", "order", "quote"]


def test_pnl_has_expenses_as_their_own_aggregate(db) -> None:
    from tui_crm.services import analytics

    book = _book()
    period = analytics.report_period(2026, dt.date(2026, 12, 6))
    rows = {(r.client, r.month): r for r in analytics.pnl_rows(period)}
    march = rows[("Alfa SL", "2026-03")]
    # the project's expense has the project's client
    assert (march.sales, march.cost_of_sales, march.expenses) == (D(1000), D(300), D(100))
    assert analytics.expense_sums(dt.date(2026, 3, 1), dt.date(2026, 3, 31), book["alfa"]) == {
        "2026-03": 10000
    }
    assert march.margin == D(700) and march.net_margin == D(600)
    april = rows[("Alfa SL", "2026-04")]
    assert (april.sales, april.cost_of_sales, april.margin) == (D(300), D(80), D(220))
    beta = rows[("Beta SL", "2026-04")]
    assert (beta.sales, beta.expenses, beta.net_margin) == (D(0), D(30), D(-30))
    nobody = rows[("(no client)", "2026-04")]
    assert nobody.client_id is None and nobody.expenses == D(500)
    assert list(rows)[-1] == ("(no client)", "2026-04")  # no client last
    assert analytics.count_pnl(period) == len(rows) == 4
    assert list(analytics.iter_pnl_rows(period, page=1)) == analytics.pnl_rows(period)
    months = {m.month: m for m in analytics.pnl_months(period)}
    assert months["2026-03"].expenses == D(100) and months["2026-04"].expenses == D(530)
    assert months["2026-04"].margin == D(300) - D(80) - D(530)


def test_client_analytics_margin_counts_expenses(db) -> None:
    from tui_crm.services import analytics

    book = _book()
    a = analytics.client_analytics(book["alfa"], dt.date(2026, 4, 30))
    total = a.margin_12m
    assert (total.revenue, total.cost, total.expenses) == (D(1300), D(380), D(100))
    assert total.margin == D(820)


def test_expense_rules_name_the_field(db) -> None:
    from tui_crm.services import expenses
    from tui_crm.services.errors import ValidationError

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    with pytest.raises(ValidationError) as caught:
        expenses.create_expense(
            expenses.ExpenseData(
                expense_date="31/02/2026",
                supplier_name="",
                supplier_tax_id="B12345678",
                base="-3",
                vat="x",
            )
        )
    assert set(caught.value.errors) == {
        "expense_date",
        "supplier_name",
        "supplier_tax_id",
        "base",
        "vat",
    }
    assert "check digit" in caught.value.errors["supplier_tax_id"]
    with pytest.raises(ValidationError) as caught:
        expenses.create_expense(
            expenses.ExpenseData(
                expense_date="2026-02-03", supplier_name="X", base="10", vat="2.10", total="12"
            )
        )
    assert caught.value.errors == {"total": "is not base + IVA (12.10)"}
    assert expenses.count_expenses() == 0
    new = expenses.create_expense(
        expenses.ExpenseData(
            expense_date="2026-02-03",
            supplier_name="Papelería Núñez",
            supplier_tax_id="esb27714633",
            base="10,50",
            vat="2,21",
            client_id=alfa,
        )
    )
    row = expenses.get_expense(new)
    assert (row.total, row.supplier_tax_id, row.client) == (D("12.71"), "ESB27714633", "Alfa SL")
    version = expenses.update_expense(new, row.data(), row.version)
    assert version == row.version + 1
    found = expenses.list_expenses(expenses.ExpenseFilter(text="núñez"))
    assert [r.id for r in found] == [new]
    expenses.delete_expense(new)
    assert expenses.count_expenses() == 0


def test_project_of_another_client_is_refused(db) -> None:
    from tui_crm.services import invoices, projects, quotes
    from tui_crm.services.errors import ValidationError

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    beta = make_client("Beta SL", "A58818501")
    theirs = projects.create_project(beta, projects.ProjectData(name="Suyo"))
    with pytest.raises(ValidationError) as caught:
        quotes.create_quote(
            quotes.QuoteInput(client_id=alfa, title="Q", project_id=theirs, lines=[line()])
        )
    assert "project_id" in caught.value.errors
    with pytest.raises(ValidationError):
        draft(alfa, line(), project_id=theirs)
    issued = invoices.issue_invoice(draft(alfa, line()), DAY)
    with pytest.raises(ValidationError):
        projects.set_document_project("invoice", issued.id, theirs)


def test_issued_invoice_joins_a_project_without_touching_its_fiscal_data(db) -> None:
    from tui_crm.db import execute
    from tui_crm.services import evidence, invoices, projects

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    web = projects.create_project(alfa, projects.ProjectData(name="Web"))
    issued = invoices.issue_invoice(draft(alfa, line()), DAY)
    before = execute("SELECT fiscal_hash FROM invoice WHERE id = ?", (issued.id,)).fetchone()[0]
    projects.set_document_project("invoice", issued.id, web)
    assert invoices.get_invoice(issued.id).project_id == web
    after = execute("SELECT fiscal_hash FROM invoice WHERE id = ?", (issued.id,)).fetchone()[0]
    assert before == after != ""
    assert evidence.verify_invoices().ok if hasattr(evidence, "verify_invoices") else True
    # a rectifying invoice inherits its project from the rectified one
    rect = invoices.create_rectifying_draft(issued.id, "replacement", "error")
    assert invoices.get_invoice(rect).project_id == web
    # the triggers still freeze what is fiscal
    import peewee

    with pytest.raises(peewee.IntegrityError):
        execute("UPDATE invoice SET base_cents = 1 WHERE id = ?", (issued.id,))


def test_statement_runs_the_balance_from_the_opening(db) -> None:
    from tui_crm.services import invoices, payments, statements

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    old = invoices.issue_invoice(draft(alfa, line(price="100")), dt.date(2026, 1, 15))
    payments.register_payment(alfa, dt.date(2026, 1, 20), D("50"), allocations=[(old.id, D("50"))])
    new = invoices.issue_invoice(draft(alfa, line(price="200")), dt.date(2026, 3, 1))
    paid = payments.register_payment(
        alfa, dt.date(2026, 3, 5), D("100"), allocations=[(new.id, D("100"))]
    )
    rect = invoices.issue_invoice(
        invoices.create_rectifying_draft(
            new.id, "difference", "precio", [line(quantity="-1", price="10")]
        ),
        dt.date(2026, 3, 8),
    )
    payments.reverse_payment(paid, "devuelto")
    found = statements.statement(alfa, dt.date(2026, 2, 1), dt.date(2026, 12, 6))
    assert found.opening == D("121.00") - D("50.00")
    kinds = [(e.kind, e.amount) for e in found.entries]
    assert kinds[:3] == [
        ("invoice", D("242.00")),
        ("payment", D("-100.00")),
        ("rectification", rect.total),
    ]
    assert kinds[3][0] == "reversal" and kinds[3][1] == D("100.00")
    assert found.closing == found.opening + D("242.00") + rect.total
    balance = found.opening
    for entry in found.entries:
        balance += entry.amount
        assert entry.balance == balance
    # what the client owes by the receivables is the closing balance
    owed = sum((invoices.get_invoice(i).outstanding for i in (old.id, new.id, rect.id)), D(0))
    assert found.closing == owed


def test_statement_pdf_reads_back(db) -> None:
    import io

    from pypdf import PdfReader

    from tui_crm.services import invoices, statements

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    issued = invoices.issue_invoice(draft(alfa, line(price="100")), dt.date(2026, 1, 15))
    data = statements.statement_pdf(statements.statement(alfa, None, dt.date(2026, 6, 30)))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    # a client with a Spanish tax ID reads its documents in Spanish (services.client_language)
    assert "Extracto de cuenta" in text and "Alfa SL" in text
    assert issued.code in text and "121,00" in text
    assert "Saldo inicial" in text
    assert "Statement of account" not in text


def test_statement_pdf_in_english_for_a_client_who_reads_english(db) -> None:
    import io

    from pypdf import PdfReader

    from tui_crm.services import invoices, statements

    set_issuer()
    alfa = make_client("Alfa SL", "B60889649", language="en")
    issued = invoices.issue_invoice(draft(alfa, line(price="100")), dt.date(2026, 1, 15))
    data = statements.statement_pdf(statements.statement(alfa, None, dt.date(2026, 6, 30)))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Statement of account" in text and "Alfa SL" in text
    assert issued.code in text and "121.00" in text
    assert "Opening balance" in text
    assert "Extracto de cuenta" not in text


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_the_same_figures_on_postgresql(pg_url, app_env) -> None:
    """Migration 13 and every figure's SQL on a real PostgreSQL server."""
    from tui_crm.services import analytics, projects, statements

    with fresh_schema(pg_url):
        book = _book()
        f = projects.project_figures(book["web"])
        assert (f.quoted, f.invoiced, f.paid, f.cost, f.margin) == (
            D(1000),
            D(1300),
            D(500),
            D(480),
            D(820),
        )
        period = analytics.report_period(2026, dt.date(2026, 12, 6))
        rows = {(r.client, r.month): r for r in analytics.pnl_rows(period)}
        assert rows[("Alfa SL", "2026-03")].net_margin == D(600)
        assert rows[("(no client)", "2026-04")].expenses == D(500)
        assert analytics.count_pnl(period) == 4
        a = analytics.client_analytics(book["alfa"], dt.date(2026, 4, 30))
        assert a.margin_12m.margin == D(820)
        # an issued invoice changes project under PostgreSQL's guard too
        other = projects.create_project(book["alfa"], projects.ProjectData(name="Otro"))
        projects.set_document_project("invoice", book["second"].id, other)
        assert projects.project_figures(other).invoiced == D(300)
        found = statements.statement(book["alfa"], dt.date(2026, 4, 1), dt.date(2026, 12, 6))
        assert found.opening == D("1210.00")
        assert found.closing == D("1210.00") + D("363.00") - D("500.00")
