"""The issue confirmation's preview and the invoice list's filter choices (for the screens)."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer

from tui_crm.services import invoices
from tui_crm.services.errors import RuleViolation


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    return make_client(payment_days=45)


def test_preview_shows_the_next_number_and_writes_nothing(client_id) -> None:
    issued(client_id, dt.date(2026, 2, 1))
    invoice_id = draft(client_id, line(quantity="2", price="50"))
    preview = invoices.preview_issue(invoice_id, dt.date(2026, 3, 10))
    assert preview.code == "F2026-00002"
    assert preview.issue_date == dt.date(2026, 3, 10)
    assert preview.due_date == dt.date(2026, 4, 24)  # 45 payment days
    assert preview.total == D("121.00")
    assert preview.client_name == "Peña y Muñoz SL"
    assert invoices.get_invoice(invoice_id).status == "draft"
    # the preview is what issuing then gives
    assert invoices.issue_invoice(invoice_id, dt.date(2026, 3, 10)).code == preview.code


def test_preview_uses_the_planned_date_and_a_new_year_starts_at_one(client_id) -> None:
    issued(client_id, dt.date(2025, 2, 1))
    invoice_id = draft(client_id, issue_date=dt.date(2026, 1, 4), due_date=dt.date(2026, 1, 20))
    preview = invoices.preview_issue(invoice_id)
    assert preview.code == "F2026-00001"
    assert (preview.issue_date, preview.due_date) == (dt.date(2026, 1, 4), dt.date(2026, 1, 20))
    # A planned date still to come is refused now, as issuing would refuse it (issue 16:
    # the preview used to promise it).
    later = draft(client_id, issue_date=dt.date.today() + dt.timedelta(days=30))
    with pytest.raises(RuleViolation, match="is after today"):
        invoices.preview_issue(later)


def test_preview_of_an_issued_invoice_is_refused(client_id) -> None:
    result = issued(client_id, dt.date(2026, 2, 1))
    with pytest.raises(RuleViolation, match="F2026-00001 is issued"):
        invoices.preview_issue(result.id)


def test_filter_choices_list_series_and_years(client_id) -> None:
    assert invoices.filter_choices() == ([], [])
    issued(client_id, dt.date(2025, 12, 30))
    issued(client_id, dt.date(2026, 1, 2), series="A")
    draft(client_id, series="B")
    series, years = invoices.filter_choices()
    assert series == ["A", "B", "F"]
    assert years == [2026, 2025]
