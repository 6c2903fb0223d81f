"""Catalog, quotes (codes, validity, shipping, statuses, expiry), orders (partial invoicing,
over-invoicing refused, open value) and recurring invoices (idempotent in the database)."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest
from invoicing_support import JAN, D, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.services import catalog, invoices, orders, quotes, recurring
from tui_crm.services.errors import RuleViolation, ValidationError


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    return make_client()


def test_catalog_lookup_by_code_and_name(client_id) -> None:
    web = catalog.create_product(
        catalog.ProductInput(
            code="web-1", name="Diseño web", unit_price=D("500"), unit_cost=D("200")
        )
    )
    catalog.create_product(
        catalog.ProductInput(code="HOST", name="Hosting anual", unit_price=D("120"), vat_rate=D(21))
    )
    assert catalog.get_product(web).code == "WEB-1"
    assert [p.code for p in catalog.lookup("web")] == ["WEB-1"]
    assert [p.code for p in catalog.lookup("diseno")] == ["WEB-1"]  # accents folded
    assert [p.code for p in catalog.lookup("Host")] == ["HOST"]
    with pytest.raises(ValidationError, match="already in the catalog"):
        catalog.create_product(catalog.ProductInput(code="Web-1", name="Otro"))
    filled = catalog.line_from_product(web, D(2))
    assert (filled.unit_price, filled.unit_cost, filled.product_id) == (
        D("500.00"),
        D("200.00"),
        web,
    )
    invoice_id = invoices.create_draft(invoices.InvoiceDraftInput(client_id, [filled]))
    assert invoices.get_invoice(invoice_id).totals.cost == D("400.00")
    with pytest.raises(RuleViolation, match="deactivate"):
        catalog.delete_product(web)


def _quote(client_id: int, **kw) -> int:
    values = {
        "client_id": client_id,
        "title": "Tienda online",
        "date": JAN,
        "lines": [line(quantity="2", price="500"), line("Hosting", "12", "10")],
    }
    values.update(kw)
    return quotes.create_quote(quotes.QuoteInput(**values))


def test_quote_fields_codes_and_shipping(client_id) -> None:
    first = _quote(
        client_id,
        valid_days=15,
        delivery_time="3 semanas",
        shipping_mode="amount",
        shipping=D("20"),
        payment_terms="50 % al aceptar",
        milestones="50 % entrega",
        warranty="1 año",
        conditions="Precios sin IVA",
        internal_notes="Llamar a Marta",
    )
    second = _quote(client_id, valid_until=dt.date(2026, 3, 1))
    one, two = quotes.get_quote(first), quotes.get_quote(second)
    assert (one.code, two.code) == ("P2026-0001", "P2026-0002")
    assert one.data.valid_until == dt.date(2026, 1, 16)
    assert two.data.valid_days == 59
    assert one.totals.base == D("1140.00")  # 1000 + 120 + 20 shipping
    assert one.totals.vat == D("239.40")
    assert two.totals.base == D("1120.00")
    assert one.data.internal_notes == "Llamar a Marta"
    with pytest.raises(ValidationError) as refused:
        _quote(client_id, title="", shipping_mode="amount", shipping=D(0), lines=[])
    assert {"title", "shipping", "lines"} <= set(refused.value.errors)


def test_quote_life_cycle_and_expiry(client_id) -> None:
    quote_id = _quote(client_id, valid_days=10)
    quotes.mark_sent(quote_id)
    assert quotes.expire_quotes(dt.date(2026, 1, 11)) == 0
    assert quotes.expire_quotes(dt.date(2026, 1, 12)) == 1
    assert quotes.get_quote(quote_id).status == "expired"
    with pytest.raises(RuleViolation):
        quotes.accept_quote(quote_id, as_of=dt.date(2026, 1, 12))
    detail = quotes.get_quote(quote_id)
    with pytest.raises(RuleViolation, match="can no longer be edited"):
        quotes.update_quote(quote_id, detail.data, detail.version)
    rejected = _quote(client_id)
    with pytest.raises(ValidationError):
        quotes.reject_quote(rejected, " ")
    quotes.reject_quote(rejected, "Too expensive")
    assert quotes.get_quote(rejected).rejected_reason == "Too expensive"
    # lists expire what is due as they load
    third = _quote(client_id, valid_days=1)
    assert quotes.count_quotes(quotes.QuoteFilter(status="expired"), as_of=dt.date(2026, 2, 1)) == 2
    assert quotes.get_quote(third).status == "expired"


def test_accepted_quote_becomes_an_order_invoiced_in_parts(client_id) -> None:
    quote_id = _quote(client_id, shipping_mode="amount", shipping=D("20"), valid_days=30)
    order_id = quotes.accept_quote(quote_id, as_of=dt.date(2026, 1, 5))
    assert quotes.get_quote(quote_id).status == "accepted"
    order = orders.get_order(order_id)
    assert order.code == "PED2026-0001" and order.quote_code == "P2026-0001"
    assert order.base == D("1140.00") and order.open_value == D("1140.00")
    design, hosting, _shipping = (info.line.id for info in order.lines)
    first = orders.invoice_order(order_id, {design: D(1), hosting: D(6)})
    with pytest.raises(RuleViolation, match="Over-invoicing"):
        orders.invoice_order(order_id, {design: D(2)})  # 1 left (one is in the draft)
    assert orders.get_order(order_id).lines[0].quantity_in_drafts == D(1)
    invoices.issue_invoice(first, dt.date(2026, 1, 10))
    order = orders.get_order(order_id)
    assert order.status == "partially_invoiced"
    assert order.invoiced == D("560.00") and order.open_value == D("580.00")
    assert [info.open_quantity for info in order.lines] == [D(1), D(6), D(1)]
    rest = orders.invoice_order(order_id)
    invoices.issue_invoice(rest, dt.date(2026, 1, 11))
    order = orders.get_order(order_id)
    assert order.status == "invoiced" and order.open_value == D("0.00")
    assert order.invoiced == D("1140.00")
    assert [r.open_value for r in orders.list_orders(orders.OrderFilter())] == [D("0.00")]
    with pytest.raises(RuleViolation, match="nothing left"):
        orders.invoice_order(order_id)
    with pytest.raises(RuleViolation, match="already"):
        orders.cancel_order(order_id)


def test_deleting_a_draft_gives_its_order_quantities_back(client_id) -> None:
    order_id = quotes.accept_quote(_quote(client_id), as_of=JAN)
    draft_id = orders.invoice_order(order_id)
    assert all(info.open_quantity == 0 for info in orders.get_order(order_id).lines)
    invoices.delete_draft(draft_id)
    assert orders.get_order(order_id).lines[0].open_quantity == D(2)


# --- recurring ---------------------------------------------------------------------


def _template(client_id: int, **kw) -> int:
    values = {
        "client_id": client_id,
        "title": "Cuota de mantenimiento",
        "frequency": "monthly",
        "next_date": dt.date(2026, 1, 31),
        "lines": [line("Mantenimiento", price="50")],
    }
    values.update(kw)
    return recurring.create_recurring(recurring.RecurringInput(**values))


def test_recurring_run_is_idempotent(client_id) -> None:
    template = _template(client_id, issue_directly=True)
    run = recurring.run_recurring(dt.date(2026, 4, 1))
    assert [c.period for c in run.created] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
    ]
    assert [c.code for c in run.created] == ["F2026-00001", "F2026-00002", "F2026-00003"]
    assert recurring.get_recurring(template).data.next_date == dt.date(2026, 4, 30)
    again = recurring.run_recurring(dt.date(2026, 4, 1))
    assert again.created == () and again.problems == ()
    assert execute("SELECT COUNT(*) FROM invoice").fetchone()[0] == 3


def test_recurring_idempotence_is_enforced_by_the_database(client_id) -> None:
    template = _template(client_id)
    recurring.run_recurring(dt.date(2026, 2, 1))
    # A second process that read the template before the first one advanced it:
    execute("UPDATE recurring_invoice SET next_date = '2026-01-31' WHERE id = ?", (template,))
    run = recurring.run_recurring(dt.date(2026, 2, 1))
    assert run.created == ()
    assert execute("SELECT COUNT(*) FROM invoice").fetchone()[0] == 1
    assert recurring.get_recurring(template).data.next_date == dt.date(2026, 2, 28)
    # and no writer at all can store the same period twice
    row = execute("SELECT client_id, recurring_id, recurring_date FROM invoice").fetchone()
    with pytest.raises(peewee.IntegrityError):
        execute(
            "INSERT INTO invoice (version, created_at, updated_at, updated_by, base_cents, "
            "vat_cents, recargo_cents, irpf_rate_bp, irpf_cents, total_cents, cost_cents, "
            "exemption_reason, kind, status, series, client_id, rectification_reason, "
            "rectification_mode, paid_cents, outstanding_cents, payment_terms, notes, imported, "
            "client_name, client_tax_id, client_address, issuer_name, issuer_tax_id, "
            "issuer_address, created_by, issued_by, recurring_id, recurring_date) VALUES "
            "(1, '2026-01-01', '2026-01-01', '', 0, 0, 0, 0, 0, 0, 0, '', 'standard', 'draft', "
            "'F', ?, '', '', 0, 0, '', '', 0, '', '', '', '', '', '', '', '', ?, ?)",
            row,
        )


def test_recurring_drafts_quarterly_and_end_date(client_id) -> None:
    template = _template(
        client_id,
        frequency="quarterly",
        next_date=dt.date(2026, 1, 15),
        end_date=dt.date(2026, 6, 30),
    )
    run = recurring.run_recurring(dt.date(2026, 12, 31))
    assert [c.period for c in run.created] == [dt.date(2026, 1, 15), dt.date(2026, 4, 15)]
    assert all(c.code is None for c in run.created)  # drafts
    detail = recurring.get_recurring(template)
    assert detail.data.active is False and len(detail.invoice_ids) == 2
    first = invoices.get_invoice(detail.invoice_ids[0])
    assert first.status == "draft" and first.issue_date == dt.date(2026, 1, 15)


def test_recurring_that_cannot_issue_stays_draft_and_says_why(db) -> None:
    client_id = make_client()  # no issuer data yet
    _template(client_id, issue_directly=True, next_date=JAN)
    run = recurring.run_recurring(JAN)
    assert len(run.created) == 1 and run.created[0].code is None
    assert len(run.problems) == 1 and "business data" in run.problems[0].message


def test_quote_order_invoice_keeps_what_the_documents_carry(client_id) -> None:
    """Issue 16, item 13: the quote's payment terms, address and project reach the invoice
    made from its order (as they reach one made from the quote itself)."""
    from tui_crm.services import addresses, projects

    project = projects.create_project(client_id, projects.ProjectData(name="Tienda"))
    office = addresses.create_address(
        client_id,
        addresses.AddressData(label="Oficina", line1="Calle Sol 3", postal_code="41001",
                              city="Sevilla"),
    )  # fmt: skip
    terms = "50 % al aceptar, 50 % a la entrega; transferencia"
    quote_id = _quote(client_id, payment_terms=terms, project_id=project, address_id=office)
    order_id = quotes.accept_quote(quote_id, as_of=JAN)
    via_order = invoices.get_invoice(orders.invoice_order(order_id))
    assert via_order.payment_terms == terms
    assert (via_order.project_id, via_order.address_id) == (project, office)
    direct = invoices.get_invoice(quotes.invoice_quote(_quote(client_id, payment_terms=terms)))
    assert direct.payment_terms == terms
