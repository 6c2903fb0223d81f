"""Issuing a draft invoice: show the number and date it will get, ask, issue.

A refusal (business data missing, an issue date earlier than the series' last, no tax
ID …) is shown in a dialog with the service's reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ...i18n import _
from ..base import CrmNode
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from .confirm import ConfirmDialog


def confirm_and_issue(screen: CrmNode, invoice_id: int, then: Callable[[Any], None]) -> None:
    """Show the number and date the draft will get, ask, issue; a refusal in a dialog.

    `then(detail)` runs with the issued invoice, on `screen`."""
    from ...services import invoices

    def confirm(preview: Any) -> None:
        question = _(
            "Issue this invoice as {code}, dated {date} (due {due}), to {client} for {total}?\n\n"
            "Once issued it can no longer change: corrections are rectifying invoices. "
            "If a colleague issues one first, this one takes the next number."
        ).format(
            code=preview.code,
            date=show_date(preview.issue_date),
            due=show_date(preview.due_date),
            client=one_line(preview.client_name),
            total=money(preview.total),
        )
        if preview.unprintable:
            question += "\n\n" + _(
                "Its PDF cannot print these characters right on this machine: {chars}"
            ).format(chars=preview.unprintable)

        def answer(ok: bool | None) -> None:
            if ok:
                issue(preview.issue_date)

        screen.app.push_screen(ConfirmDialog(question, yes=_("Issue")), answer)

    def issue(day: dt.date) -> None:
        def run() -> Any:
            invoices.issue_invoice(invoice_id, day)
            return invoices.get_invoice(invoice_id)

        def issued(detail: Any) -> None:
            screen.notify(_("Issued {code}.").format(code=detail.code))
            then(detail)

        screen.run_service(run, issued, refusal_title=_("Cannot issue"))

    screen.run_service(
        lambda: invoices.preview_issue(invoice_id), confirm, refusal_title=_("Cannot issue")
    )
