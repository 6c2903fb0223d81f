"""Invoices through the services on a real SQLite file: drafts, issuing, numbering, immutability,
issue-date order, rectifying invoices, lead -> client, and totals as a property."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from invoicing_support import JAN, D, draft, issued, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.money import Line, document_totals
from tui_crm.services import clients, invoices, settings
from tui_crm.services.errors import RuleViolation, ValidationError


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    return make_client()


def test_issue_numbers_freezes_and_counts(client_id) -> None:
    invoice_id = draft(client_id, line(quantity="10", price="100"), irpf_rate=D(15))
    result = invoices.issue_invoice(invoice_id, dt.date(2026, 3, 2))
    assert result.code == "F2026-00001"
    assert (result.series, result.year, result.number) == ("F", 2026, 1)
    detail = invoices.get_invoice(invoice_id)
    assert detail.status == "issued"
    assert detail.totals.base == D("1000.00")
    assert detail.totals.vat == D("210.00")
    assert detail.totals.irpf == D("150.00")
    assert detail.totals.total == D("1060.00")
    assert detail.outstanding == D("1060.00") and detail.paid == D("0.00")
    assert detail.due_date == dt.date(2026, 4, 1)  # 30 payment days
    assert detail.client_name == "Peña y Muñoz SL"
    assert detail.client_tax_id == "A58818501"
    assert "08001 Barcelona" in detail.client_address
    assert detail.issuer_name == "Diseño Núñez SL" and detail.issuer_tax_id == "B12345674"
    client = clients.get_client(client_id)
    assert client.revenue_total == D("1000.00")
    assert client.outstanding == D("1060.00")
    counter = execute(
        "SELECT last_number, last_issue_date FROM series_counter WHERE series='F' AND year=2026"
    ).fetchone()
    assert counter == (1, "2026-03-02")
    audit = execute(
        "SELECT action, summary FROM audit_log WHERE entity='invoice' AND entity_id=? "
        "ORDER BY id DESC LIMIT 1",
        (str(invoice_id),),
    ).fetchone()
    assert audit == ("issue", "F2026-00001")


def test_frozen_data_survives_client_changes(client_id) -> None:
    invoice_id = issued(client_id, JAN).id
    detail = clients.get_client(client_id)
    data = detail.data
    data.legal_name = "Otro Nombre SA"
    clients.update_client(client_id, data, detail.version)
    assert invoices.get_invoice(invoice_id).client_name == "Peña y Muñoz SL"


def test_numbers_are_correlative_per_series_and_year(client_id) -> None:
    # Past years only: an issue date after today is refused (see the next test).
    y = dt.date.today().year - 2
    codes = [issued(client_id, dt.date(y, 1, day)).code for day in (1, 2, 2, 5)]
    assert codes == [f"F{y}-00001", f"F{y}-00002", f"F{y}-00003", f"F{y}-00004"]
    other = issued(client_id, dt.date(y, 1, 3), series="A").code
    assert other == f"A{y}-00001"
    next_year = issued(client_id, dt.date(y + 1, 1, 1)).code
    assert next_year == f"F{y + 1}-00001"
    late_for_last_year = issued(client_id, dt.date(y - 1, 12, 31)).code
    assert late_for_last_year == f"F{y - 1}-00001"


def test_issue_dates_that_cannot_be_are_refused_with_the_reason(client_id) -> None:
    today = dt.date.today()
    invoice_id = draft(client_id)
    for date, reason in (
        (today + dt.timedelta(days=1), "is after today"),
        (dt.date(1999, 12, 31), "is not in the years 2000 to 2099"),
        (dt.date(1, 1, 1), "0001-01-01 is not in the years 2000 to 2099"),
    ):
        with pytest.raises(RuleViolation, match=reason):
            invoices.issue_invoice(invoice_id, date)
    assert invoices.get_invoice(invoice_id).status == "draft"
    with pytest.raises(ValidationError) as planned:  # a draft cannot even plan such a date
        draft(client_id, issue_date=dt.date(2146, 1, 1))
    assert "issue_date" in planned.value.errors
    assert invoices.issue_invoice(invoice_id, today).code == f"F{today.year}-00001"


def test_issue_date_before_the_last_of_the_series_is_refused(client_id) -> None:
    issued(client_id, dt.date(2026, 2, 10))
    invoice_id = draft(client_id)
    with pytest.raises(RuleViolation) as refused:
        invoices.issue_invoice(invoice_id, dt.date(2026, 2, 9))
    message = str(refused.value)
    assert "2026-02-09" in message and "2026-02-10" in message and "F2026-00001" in message
    assert invoices.get_invoice(invoice_id).status == "draft"  # nothing happened
    # the same day is fine, and no number was burnt by the refusal
    assert invoices.issue_invoice(invoice_id, dt.date(2026, 2, 10)).code == "F2026-00002"


def test_issue_refuses_missing_business_data(db) -> None:
    client_id = make_client()
    invoice_id = draft(client_id)
    with pytest.raises(RuleViolation) as refused:
        invoices.issue_invoice(invoice_id, JAN)
    assert "Business name" in str(refused.value) and "Tax ID" in str(refused.value)
    assert execute("SELECT COUNT(*) FROM series_counter").fetchone()[0] == 0


def test_issue_refuses_client_without_valid_tax_id(db) -> None:
    set_issuer()
    no_id = make_client("Sin NIF SL", "")
    with pytest.raises(RuleViolation, match="no tax ID"):
        invoices.issue_invoice(draft(no_id), JAN)
    bad = make_client("NIF Malo SL", "A58818501")
    execute("UPDATE client SET tax_id = 'A58818502' WHERE id = ?", (bad,))
    with pytest.raises(RuleViolation, match="not valid"):
        invoices.issue_invoice(draft(bad), JAN)


def test_every_write_path_refuses_an_issued_invoice(client_id) -> None:
    invoice_id = issued(client_id, JAN).id
    detail = invoices.get_invoice(invoice_id)
    with pytest.raises(RuleViolation, match="F2026-00001"):
        invoices.update_draft(invoice_id, detail.as_input(), detail.version)
    with pytest.raises(RuleViolation, match="cannot be deleted"):
        invoices.delete_draft(invoice_id)
    with pytest.raises(RuleViolation, match="F2026-00001"):
        invoices.issue_invoice(invoice_id, JAN)
    # Below the services, the database refuses too (triggers of migration 0003).
    for sql in (
        "UPDATE invoice SET total_cents = total_cents + 1 WHERE id = ?",
        "UPDATE invoice SET client_tax_id = 'X' WHERE id = ?",
        "UPDATE invoice SET status = 'draft' WHERE id = ?",
        "UPDATE invoice SET number = 7 WHERE id = ?",
        "DELETE FROM invoice WHERE id = ?",
        "UPDATE invoice_line SET unit_price_cents = 1 WHERE invoice_id = ?",
        "DELETE FROM invoice_line WHERE invoice_id = ?",
    ):
        with pytest.raises(peewee.IntegrityError):
            execute(sql, (invoice_id,))
    after = invoices.get_invoice(invoice_id)
    assert (after.totals.total, after.code, after.status) == (D("121.00"), "F2026-00001", "issued")
    # payment columns still move (that is what payments do)
    execute("UPDATE invoice SET paid_cents = 0 WHERE id = ?", (invoice_id,))


def test_drafts_can_be_edited_and_deleted(client_id) -> None:
    invoice_id = draft(client_id)
    detail = invoices.get_invoice(invoice_id)
    data = detail.as_input()
    data.lines.append(line("Hosting", "12", "10"))
    version = invoices.update_draft(invoice_id, data, detail.version)
    assert invoices.get_invoice(invoice_id).totals.base == D("220.00")
    from tui_crm.services.errors import ConflictError

    with pytest.raises(ConflictError):
        invoices.update_draft(invoice_id, data, detail.version)  # stale version
    invoices.delete_draft(invoice_id)
    assert version == detail.version + 1
    assert execute("SELECT COUNT(*) FROM invoice").fetchone()[0] == 0


def test_defaults_come_from_the_client(db) -> None:
    set_issuer()
    client_id = make_client(irpf=D(15), recargo=True, payment_days=60)
    defaults = invoices.invoice_defaults(client_id)
    assert (defaults.irpf_rate, defaults.recargo, defaults.payment_days) == (D(15), True, 60)
    invoice_id = draft(client_id, line(price="100", vat="21"), line("Libro", price="100", vat="4"))
    detail = invoices.get_invoice(invoice_id)
    assert [(ln.vat_rate, ln.recargo_rate) for ln in detail.lines] == [
        (D(21), D("5.2")),
        (D(4), D("0.5")),
    ]
    assert detail.totals.recargo == D("5.70")
    assert detail.totals.irpf == D("30.00")
    result = invoices.issue_invoice(invoice_id, dt.date(2026, 1, 10))
    assert result.due_date == dt.date(2026, 3, 11)
    assert result.total == D("200.00") + D("21.00") + D("4.00") + D("5.70") - D("30.00")


def test_exempt_client_needs_no_iva_and_carries_the_reason(db) -> None:
    set_issuer()
    reason = "Exenta de IVA, art. 20.Uno.9º Ley 37/1992"
    client_id = make_client(exempt_reason=reason)
    with pytest.raises(ValidationError) as refused:
        draft(client_id, line(vat="21"))
    assert "lines[1].vat_rate" in refused.value.errors
    invoice_id = draft(client_id, line(vat="0"))
    invoices.issue_invoice(invoice_id, JAN)
    detail = invoices.get_invoice(invoice_id)
    assert detail.exemption_reason == reason and detail.totals.vat == 0


def test_lines_without_iva_need_a_reason_to_issue(client_id) -> None:
    with pytest.raises(RuleViolation, match="exemption"):
        invoices.issue_invoice(draft(client_id, line(vat="0")), JAN)


def test_bad_lines_name_the_line_and_field(client_id) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(client_id, line(), line(quantity="0"), line(price="1.234"), line(vat="22"))
    assert set(refused.value.errors) == {
        "lines[2].quantity",
        "lines[3].unit_price",
        "lines[4].vat_rate",
    }
    with pytest.raises(ValidationError) as refused:
        draft(client_id, line(quantity="-1"))
    assert "lines[1].quantity" in refused.value.errors


def test_lead_becomes_client_on_issue_unless_the_setting_says_no(db) -> None:
    set_issuer()
    lead = make_client(kind="lead")
    issued(lead, JAN)
    assert clients.get_client(lead).data.kind == "client"
    settings.set_value("clients.lead_to_client_on_invoice", "no")
    other = make_client("Otro Lead SL", "B58818501", kind="lead")
    issued(other, JAN)
    assert clients.get_client(other).data.kind == "lead"


# --- rectifying invoices -----------------------------------------------------------


def test_rectifying_by_difference_adjusts_the_original(client_id) -> None:
    original = issued(client_id, JAN, line(quantity="10", price="100"))
    rect_id = invoices.create_rectifying_draft(
        original.id, "difference", "Two hours charged twice", [line(quantity="-2", price="100")]
    )
    rect = invoices.issue_invoice(rect_id, dt.date(2026, 1, 5))
    assert rect.code == "R2026-00001" and rect.total == D("-242.00")
    first = invoices.get_invoice(original.id)
    second = invoices.get_invoice(rect_id)
    assert second.rectifies_code == "F2026-00001" and second.kind == "rectifying"
    assert second.rectification_reason == "Two hours charged twice"
    assert first.outstanding == D("968.00") and first.status == "partially_paid"
    assert second.outstanding == D("0.00") and second.status == "paid"
    assert first.rectified_by == ("R2026-00001",)
    client = clients.get_client(client_id)
    assert client.outstanding == D("968.00")
    assert client.revenue_total == D("800.00")
    for inv in (first, second):  # every invoice keeps total = paid + outstanding
        assert inv.totals.total == inv.paid + inv.outstanding


def test_rectifying_a_paid_invoice_leaves_a_refund_due(client_id) -> None:
    from tui_crm.services import payments

    original = issued(client_id, JAN, line(price="100"))
    payments.register_payment(client_id, JAN, D("121.00"), allocations=[(original.id, D("121"))])
    rect_id = invoices.create_rectifying_draft(
        original.id, "difference", "Discount agreed", [line(quantity="-1", price="10")]
    )
    invoices.issue_invoice(rect_id, JAN)
    assert invoices.get_invoice(original.id).status == "paid"
    rect = invoices.get_invoice(rect_id)
    assert rect.outstanding == D("-12.10") and rect.status == "issued"
    assert clients.get_client(client_id).outstanding == D("-12.10")
    # the refund is a negative payment against the rectifying invoice
    payments.register_payment(client_id, JAN, D("-12.10"), allocations=[(rect_id, D("-12.10"))])
    assert invoices.get_invoice(rect_id).status == "paid"
    assert clients.get_client(client_id).outstanding == D("0.00")


def test_rectifying_by_replacement_cancels_and_restates(client_id) -> None:
    from tui_crm.services import payments

    original = issued(client_id, JAN, line(quantity="10", price="100"))
    payments.register_payment(client_id, JAN, D("500"), allocations=[(original.id, D("500"))])
    rect_id = invoices.create_rectifying_draft(
        original.id, "replacement", "Wrong price", [line(quantity="10", price="80")]
    )
    detail = invoices.get_invoice(rect_id)
    assert [ln.locked for ln in detail.lines] == [True, False]
    assert detail.lines[0].quantity == D(-10) and "Cancels" in detail.lines[0].description
    assert detail.totals.total == D("968.00") - D("1210.00")
    # editing the draft keeps the cancelling lines the service owns
    data = detail.as_input()
    assert len(data.lines) == 1
    invoices.update_draft(rect_id, data, detail.version)
    invoices.issue_invoice(rect_id, JAN)
    first, rect = invoices.get_invoice(original.id), invoices.get_invoice(rect_id)
    assert first.outstanding == D("0.00") and first.status == "paid"
    assert rect.outstanding == D("468.00")  # 968 restated - 500 already paid
    assert clients.get_client(client_id).outstanding == D("468.00")
    with pytest.raises(RuleViolation, match="already has a rectifying invoice"):
        invoices.create_rectifying_draft(original.id, "replacement", "again")


def test_rectifying_rules(client_id) -> None:
    original = issued(client_id, JAN)
    with pytest.raises(RuleViolation):
        invoices.create_rectifying_draft(draft(client_id), "difference", "x")
    with pytest.raises(ValidationError):
        invoices.create_rectifying_draft(original.id, "sideways", "x")
    with pytest.raises(ValidationError) as refused:
        invoices.create_rectifying_draft(original.id, "difference", "  ")
    assert "rectification_reason" in refused.value.errors
    rect_id = invoices.create_rectifying_draft(original.id, "difference", "Full cancellation")
    assert invoices.get_invoice(rect_id).totals.total == D("-121.00")  # default: all negated
    rect = invoices.issue_invoice(rect_id, JAN)
    with pytest.raises(RuleViolation, match="itself a rectifying"):
        invoices.create_rectifying_draft(rect.id, "difference", "x")
    with pytest.raises(ValidationError):  # the rectifying series is its own
        draft(client_id, series="R")


# --- totals as a property ----------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=999, places=3, allow_nan=False)
lines_strategy = st.lists(
    st.tuples(
        quantities,
        amounts,
        st.sampled_from([D(0), D(5), D("12.5"), D(100)]),
        st.sampled_from([D(21), D(10), D(4)]),
    ),
    min_size=1,
    max_size=6,
)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=lines_strategy,
    irpf=st.sampled_from([D(0), D(7), D(15), D(19)]),
    recargo=st.booleans(),
)
def test_stored_totals_are_document_totals(client_id, rows, irpf, recargo) -> None:
    from tui_crm.money import RECARGO_FOR_VAT

    invoice_id = draft(
        client_id,
        *[line(f"L{i}", str(q), str(p), str(v), discount=d) for i, (q, p, d, v) in enumerate(rows)],
        irpf_rate=irpf,
        recargo=recargo,
    )
    expected = document_totals(
        [Line(q, p, d, v, RECARGO_FOR_VAT[v] if recargo else D(0)) for q, p, d, v in rows], irpf
    )
    stored = execute(
        "SELECT base_cents, vat_cents, recargo_cents, irpf_cents, total_cents FROM invoice "
        "WHERE id = ?",
        (invoice_id,),
    ).fetchone()
    assert stored == tuple(
        int(x * 100)
        for x in (expected.base, expected.vat, expected.recargo, expected.irpf, expected.total)
    )
    line_bases = [
        r[0]
        for r in execute(
            "SELECT base_cents FROM invoice_line WHERE invoice_id = ? ORDER BY position",
            (invoice_id,),
        )
    ]
    assert sum(line_bases) == stored[0]
    assert stored[4] == stored[0] + stored[1] + stored[2] - stored[3]
    detail = invoices.get_invoice(invoice_id)
    assert sum(b.base for b in detail.totals.breakdown) == expected.base
    invoices.delete_draft(invoice_id)


def test_the_list_pages_drafts_first_then_newest_issued(client_id) -> None:
    """Pages of any size, read one after another, give the whole list once, in order:
    every draft (newest first), then the issued invoices, newest first."""
    for day in (1, 2, 2, 4, 5):  # two on one day: the later id comes first
        issued(client_id, dt.date(2026, 1, day))
    drafts = [draft(client_id) for _ in range(3)]
    flt = invoices.InvoiceFilter()
    whole = invoices.list_invoices(flt, 0, None)
    assert [r.status for r in whole][:3] == ["draft"] * 3
    assert sorted(r.id for r in whole[:3]) == sorted(drafts)
    assert [r.issue_date.day for r in whole[3:]] == [5, 4, 2, 2, 1]
    assert whole[5].id > whole[6].id
    assert invoices.count_invoices(flt) == len(whole) == 8
    # Every invoice is counted over the smallest index; a filter keeps its own conditions.
    for narrower, expected in [
        (invoices.InvoiceFilter(status="draft"), 3),
        (invoices.InvoiceFilter(status="issued_any"), 5),
        (invoices.InvoiceFilter(client_id=client_id), 8),
        (invoices.InvoiceFilter(client_id=client_id + 1000), 0),
    ]:
        assert invoices.count_invoices(narrower) == expected
        assert len(invoices.list_invoices(narrower, 0, None)) == expected
    for size in (1, 2, 3, 5, 8, 10):
        paged = [
            row.id
            for offset in range(0, len(whole), size)
            for row in invoices.list_invoices(flt, offset, size)
        ]
        assert paged == [r.id for r in whole], size
    assert invoices.list_invoices(flt, 8, 5) == []
    unpaid = invoices.InvoiceFilter(status="unpaid")
    assert [r.issue_date.day for r in invoices.list_invoices(unpaid, 1, 2)] == [4, 2]
    assert [r.id for r in invoices.list_invoices(flt, 2, None)] == [r.id for r in whole[2:]]
