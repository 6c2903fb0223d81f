"""Issuing keeps what its confirmation promised (issue 16, item 10): the preview refuses
what the issue would refuse, in the user's date format; a recurring invoice never issues
with a future date, and a period caught up late issues today (its period as the operation
date), so it never blocks, nor is blocked by, issuing today."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer

from tui_crm.i18n import in_language
from tui_crm.services import invoices, recurring
from tui_crm.services.errors import RuleViolation

TODAY = dt.date.today()


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    return make_client()


def test_preview_refuses_what_the_issue_refuses(client_id) -> None:
    issued(client_id, TODAY)
    behind = draft(client_id, issue_date=TODAY - dt.timedelta(days=3))
    with pytest.raises(RuleViolation) as previewed:
        invoices.preview_issue(behind)
    with pytest.raises(RuleViolation) as refused:
        invoices.issue_invoice(behind)
    assert str(previewed.value) == str(refused.value)
    assert "issue dates never go backwards" in str(previewed.value)
    # Issued today instead, the preview's number and date are exactly what it gets.
    preview = invoices.preview_issue(behind, TODAY)
    result = invoices.issue_invoice(behind, TODAY)
    assert (preview.code, preview.issue_date) == (result.code, TODAY)


def test_refusals_show_dates_as_the_user_writes_them(client_id) -> None:
    issued(client_id, TODAY)
    behind = draft(client_id, issue_date=TODAY - dt.timedelta(days=3))
    with in_language("es"), pytest.raises(RuleViolation) as refused:
        invoices.preview_issue(behind)
    message = str(refused.value)
    assert (TODAY - dt.timedelta(days=3)).strftime("%d/%m/%Y") in message
    assert TODAY.strftime("%d/%m/%Y") in message
    assert (TODAY - dt.timedelta(days=3)).isoformat() not in message


def _template(client_id: int, next_date: dt.date) -> int:
    return recurring.create_recurring(
        recurring.RecurringInput(
            client_id=client_id,
            title="Mantenimiento",
            next_date=next_date,
            issue_directly=True,
            lines=[line("Mantenimiento mensual", "1", "100")],
        )
    )


def test_recurring_never_issues_ahead_and_never_blocks_today(client_id) -> None:
    _template(client_id, TODAY + dt.timedelta(days=1))
    run = recurring.run_recurring()
    assert run.created == ()  # tomorrow's period waits for its day
    today = issued(client_id, TODAY)  # nothing dated in the future stands in the way
    assert today.code.endswith("00001")
    with pytest.raises(RuleViolation):
        recurring.run_recurring(TODAY + dt.timedelta(days=1))


def test_a_period_caught_up_late_issues_today(client_id) -> None:
    period = TODAY - dt.timedelta(days=5)
    if period.year != TODAY.year:
        pytest.skip("the first days of January: the period belongs to last year's series")
    issued(client_id, TODAY - dt.timedelta(days=2))  # issued by hand after the period
    _template(client_id, period)
    run = recurring.run_recurring()
    [created] = run.created
    assert run.problems == () and created.code
    inv = invoices.get_invoice(created.invoice_id)
    assert (inv.issue_date, inv.operation_date) == (TODAY, period)
    assert issued(client_id, TODAY).code  # and today's invoices still issue after it
    assert invoices.get_invoice(created.invoice_id).totals.base == D("100.00")
