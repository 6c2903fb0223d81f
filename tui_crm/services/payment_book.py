"""The payments book: every payment received (or refunded), for `tui-crm report payments`.

Rules: payments are listed by date, then by number, within the dates asked (both
included); reversed payments stay in the book, marked as reversed (a reversal is a
record, not an erasure); the zero-amount compensations that offset a rectifying invoice
against its original are not money and are left out. Rows are read a page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..db import execute, is_sqlite
from ..i18n import N_
from ..money import from_cents
from ..payment_methods import COMPENSATION_METHOD, METHOD_LABELS
from .reports import ReportColumn

PAGE = 2000

COLUMNS = (
    ReportColumn("id", N_("Payment"), "int"),
    ReportColumn("date", N_("Date"), "date"),
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("amount", N_("Amount"), "money"),
    ReportColumn("method", N_("Method"), labels=METHOD_LABELS),
    ReportColumn("reference", N_("Reference")),
    ReportColumn("invoices", N_("Invoices")),
    ReportColumn("reversed", N_("Reversed")),
)


def payment_rows(
    date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Iterator[dict[str, Any]]:
    """Every payment between the dates (see the module's rules), oldest first."""
    codes = (
        "GROUP_CONCAT(i.code, ', ')" if is_sqlite() else "STRING_AGG(i.code, ', ' ORDER BY a.id)"
    )
    clauses, params = ["p.method <> ?"], [COMPENSATION_METHOD]
    if date_from is not None:
        clauses.append("p.date >= ?")
        params.append(date_from.isoformat())
    if date_to is not None:
        clauses.append("p.date <= ?")
        params.append(date_to.isoformat())
    after: tuple[str, int] | None = None
    while True:
        page_clauses = list(clauses)
        page_params = list(params)
        if after is not None:
            page_clauses.append("(p.date > ? OR (p.date = ? AND p.id > ?))")
            page_params += [after[0], after[0], after[1]]
        rows = execute(
            "SELECT p.id, p.date, c.legal_name, c.tax_id, p.amount_cents, p.method, "
            f"p.reference, (SELECT {codes} FROM payment_allocation a "
            "JOIN invoice i ON i.id = a.invoice_id WHERE a.payment_id = p.id), p.reversed_at "
            "FROM payment p JOIN client c ON c.id = p.client_id "
            f"WHERE {' AND '.join(page_clauses)} ORDER BY p.date, p.id LIMIT ?",
            [*page_params, PAGE],
        ).fetchall()
        for r in rows:
            day = r[1] if isinstance(r[1], dt.date) else dt.date.fromisoformat(str(r[1])[:10])
            yield {
                "id": int(r[0]),
                "date": day,
                "client": str(r[2]),
                "tax_id": str(r[3]),
                "amount": from_cents(int(r[4])),
                "method": str(r[5]),
                "reference": str(r[6]),
                "invoices": str(r[7] or ""),
                "reversed": r[8] is not None,
            }
        if len(rows) < PAGE:
            return
        last = rows[-1]
        after = (str(last[1])[:10], int(last[0]))
