"""Payments (partial, several invoices, overpayment, reversal) and the receivables board
(buckets, colours, filters, summary, defaulters) at fixed as-of dates."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import JAN, D, issued, line, make_client, set_issuer

from tests.people import ME
from tui_crm.db import execute
from tui_crm.services import clients, invoices, payments, users
from tui_crm.services import receivables as rv
from tui_crm.services.errors import RuleViolation, ValidationError


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    return make_client()


def test_partial_then_full_payment(client_id) -> None:
    inv = issued(client_id, JAN, line(price="1000"))  # 1210.00
    payments.register_payment(
        client_id,
        dt.date(2026, 1, 10),
        D("210"),
        "transfer",
        "TR-1",
        allocations=[(inv.id, D("210"))],
    )
    detail = invoices.get_invoice(inv.id)
    assert (detail.status, detail.paid, detail.outstanding) == (
        "partially_paid",
        D("210.00"),
        D("1000.00"),
    )
    assert detail.paid_date is None
    assert clients.get_client(client_id).outstanding == D("1000.00")
    payments.register_payment(
        client_id, dt.date(2026, 2, 3), D("1000"), "card", allocations=[(inv.id, D("1000"))]
    )
    detail = invoices.get_invoice(inv.id)
    assert (detail.status, detail.outstanding, detail.paid_date) == (
        "paid",
        D("0.00"),
        dt.date(2026, 2, 3),
    )
    assert [p.amount for p in detail.payments] == [D("210.00"), D("1000.00")]
    assert clients.get_client(client_id).outstanding == D("0.00")


def test_one_payment_over_several_invoices(client_id) -> None:
    a = issued(client_id, JAN, line(price="100"))  # 121
    b = issued(client_id, JAN, line(price="200"))  # 242
    pid = payments.register_payment(
        client_id, JAN, D("300"), allocations=[(a.id, D("121")), (b.id, D("179"))]
    )
    assert invoices.get_invoice(a.id).status == "paid"
    assert invoices.get_invoice(b.id).outstanding == D("63.00")
    detail = payments.get_payment(pid)
    assert [(x.invoice_code, x.amount) for x in detail.allocations] == [
        ("F2026-00001", D("121.00")),
        ("F2026-00002", D("179.00")),
    ]
    # without allocations: oldest due first
    c = issued(client_id, dt.date(2026, 1, 2), line(price="10"))
    payments.register_payment(client_id, JAN, D("70"))
    assert invoices.get_invoice(b.id).status == "paid"
    assert invoices.get_invoice(c.id).outstanding == D("5.10")


def test_overpayment_is_refused_with_the_reason(client_id) -> None:
    inv = issued(client_id, JAN, line(price="100"))
    with pytest.raises(RuleViolation) as refused:
        payments.register_payment(client_id, JAN, D("150"), allocations=[(inv.id, D("150"))])
    assert "150.00" in str(refused.value) and "121.00" in str(refused.value)
    with pytest.raises(RuleViolation, match="more than the client owes"):
        payments.register_payment(client_id, JAN, D("500"))
    with pytest.raises(ValidationError, match="add up"):
        payments.register_payment(client_id, JAN, D("100"), allocations=[(inv.id, D("50"))])
    other = make_client("Otra SL", "B58818501")
    foreign = issued(other, JAN)
    with pytest.raises(RuleViolation, match="another client"):
        payments.register_payment(client_id, JAN, D("10"), allocations=[(foreign.id, D("10"))])
    assert execute("SELECT COUNT(*) FROM payment").fetchone()[0] == 0
    assert invoices.get_invoice(inv.id).outstanding == D("121.00")


def test_reversal_restores_outstanding_and_status(client_id) -> None:
    a = issued(client_id, JAN, line(price="100"))
    b = issued(client_id, JAN, line(price="100"))
    pid = payments.register_payment(
        client_id, JAN, D("150"), allocations=[(a.id, D("121")), (b.id, D("29"))]
    )
    with pytest.raises(ValidationError):
        payments.reverse_payment(pid, "")
    payments.reverse_payment(pid, "Transfer bounced")
    for inv_id in (a.id, b.id):
        detail = invoices.get_invoice(inv_id)
        assert (detail.status, detail.outstanding, detail.paid, detail.paid_date) == (
            "issued",
            D("121.00"),
            D("0.00"),
            None,
        )
    assert clients.get_client(client_id).outstanding == D("242.00")
    payment = payments.get_payment(pid)
    assert payment.is_reversed and payment.reversal_reason == "Transfer bounced"
    with pytest.raises(RuleViolation, match="already reversed"):
        payments.reverse_payment(pid, "again")
    audit = execute(
        "SELECT action, user FROM audit_log WHERE entity='payment' ORDER BY id"
    ).fetchall()
    assert audit == [("payment", ME), ("reverse", ME)]


def test_drafts_and_paid_invoices_take_no_payment(client_id) -> None:
    from invoicing_support import draft

    d = draft(client_id)
    with pytest.raises(RuleViolation, match="nothing to pay"):
        payments.register_payment(client_id, JAN, D("1"), allocations=[(d, D("1"))])


# --- the board ---------------------------------------------------------------------


def _issue_due(client_id: int, due: dt.date, price: str = "100"):
    return issued(client_id, JAN, line(price=price), due_date=due)


def test_buckets_and_styles_at_a_fixed_date(client_id) -> None:
    as_of = dt.date(2026, 6, 30)
    cases = {  # due date -> (days overdue, bucket, style)
        dt.date(2026, 7, 15): (-15, "not_due", ""),
        dt.date(2026, 7, 7): (-7, "not_due", "warning"),
        dt.date(2026, 6, 30): (0, "not_due", "warning"),
        dt.date(2026, 6, 29): (1, "1-30", "danger"),
        dt.date(2026, 5, 31): (30, "1-30", "danger"),
        dt.date(2026, 5, 30): (31, "31-60", "danger"),
        dt.date(2026, 5, 1): (60, "31-60", "danger"),
        dt.date(2026, 4, 30): (61, "61-90", "danger-strong"),
        dt.date(2026, 4, 1): (90, "61-90", "danger-strong"),
        dt.date(2026, 3, 31): (91, "90+", "danger-strong"),
    }
    for due in cases:
        _issue_due(client_id, due)
    flt = rv.ReceivablesFilter(as_of=as_of)
    rows = rv.list_receivables(flt, 0, 100)
    assert rv.count_receivables(flt) == len(rows) == len(cases)
    assert [r.days_overdue for r in rows] == sorted((c[0] for c in cases.values()), reverse=True)
    for row in rows:
        assert (row.days_overdue, row.bucket, row.style) == cases[row.due_date]
    page = rv.list_receivables(flt, 2, 3)
    assert [r.invoice_id for r in page] == [r.invoice_id for r in rows[2:5]]
    assert rv.count_receivables(rv.ReceivablesFilter(as_of=as_of, bucket="31-60")) == 2
    assert rv.count_receivables(rv.ReceivablesFilter(as_of=as_of, bucket="overdue")) == 7
    totals = {b.bucket: (b.count, b.amount) for b in rv.bucket_totals(flt)}
    assert totals == {
        "not_due": (3, D("363.00")),
        "1-30": (2, D("242.00")),
        "31-60": (2, D("242.00")),
        "61-90": (2, D("242.00")),
        "90+": (1, D("121.00")),
    }


def test_board_follows_payments_and_as_of(client_id) -> None:
    inv = _issue_due(client_id, dt.date(2026, 2, 1))
    flt = rv.ReceivablesFilter(as_of=dt.date(2026, 3, 1))
    assert rv.get_receivable(inv.id, flt.as_of).days_overdue == 28
    payments.register_payment(client_id, JAN, D("21"), allocations=[(inv.id, D("21"))])
    row = rv.get_receivable(inv.id, flt.as_of)
    assert (row.paid, row.outstanding) == (D("21.00"), D("100.00"))
    payments.register_payment(client_id, JAN, D("100"), allocations=[(inv.id, D("100"))])
    assert rv.get_receivable(inv.id, flt.as_of) is None
    assert rv.count_receivables(flt) == 0
    later = issued(client_id, dt.date(2026, 5, 1))
    assert rv.get_receivable(later.id, dt.date(2026, 4, 1)) is None  # not issued yet then


def test_filters_summary_and_defaulters(db) -> None:
    set_issuer()
    users.register("ana")
    users.set_role("ana", "sales")
    mine = make_client("Alfa SL", "A58818501", owner_login="ana")
    theirs = make_client("Beta SL", "B58818501")
    _issue_due(mine, dt.date(2026, 2, 1), "1000")  # 1210 overdue
    _issue_due(theirs, dt.date(2026, 3, 20), "500")  # 605 overdue
    _issue_due(theirs, dt.date(2026, 4, 30), "500")  # 605 not due
    paid = _issue_due(theirs, dt.date(2026, 1, 31), "1000")  # 1210 billed, paid
    payments.register_payment(theirs, JAN, D("1210"), allocations=[(paid.id, D("1210"))])
    as_of = dt.date(2026, 3, 31)
    assert rv.count_receivables(rv.ReceivablesFilter(as_of=as_of, owner_login="ana")) == 1
    assert rv.count_receivables(rv.ReceivablesFilter(as_of=as_of, client_id=theirs)) == 2
    summary = rv.receivables_summary(rv.ReceivablesFilter(as_of=as_of))
    assert summary.count == 3
    assert summary.outstanding == D("2420.00")
    assert summary.overdue == D("1815.00")
    assert summary.billing == D("3630.00")
    assert summary.overdue_share == D("0.5000")
    assert [
        (d.client, d.overdue, d.invoices, d.oldest_days_overdue) for d in summary.defaulters
    ] == [
        ("Alfa SL", D("1210.00"), 1, 58),
        ("Beta SL", D("605.00"), 1, 11),
    ]
    alfa = summary.defaulters[0]
    assert alfa.share_of_billing == D("0.3333") and alfa.share_of_overdue == D("0.6667")
