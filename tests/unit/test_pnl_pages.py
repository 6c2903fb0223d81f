"""The profit and loss read a page at a time (the Reports screen's P&L tab): each page
reads only the first clients by name that have rows, and must equal the same slice of
the whole list, whatever the names' order against the ids, with clients that have only
expenses, expenses of no client (last), and a part month summed over the invoices."""

from __future__ import annotations

import datetime as dt

from invoicing_support import issued, line, make_client, set_issuer


def _book() -> None:
    from tui_crm.services import expenses

    set_issuer()
    # Created in an order unlike the names' order (ids and names disagree).
    names = ["Zeta SL", "Alfa SL", "Mu SL", "Beta SL", "Omega SL", "Delta SL", "Kappa SL"]
    tax_ids = [
        "B60889649",
        "A58818501",
        "B58818501",
        "B65410011",
        "B12345674",
        "A08001851",
        "B82387770",
    ]
    ids = [make_client(n, t) for n, t in zip(names, tax_ids, strict=True)]
    day = dt.date(2026, 1, 5)
    for n, client in enumerate(ids):
        if names[n] == "Kappa SL":
            continue  # expenses only
        for k in range(n % 3 + 1):
            issued(client, day, line(price=str(100 + n * 10 + k)))
            day += dt.timedelta(days=17)
    for client, when in (
        (ids[6], dt.date(2026, 2, 3)),
        (ids[1], dt.date(2026, 1, 9)),
        (None, dt.date(2026, 2, 1)),
    ):
        expenses.create_expense(
            expenses.ExpenseData(
                expense_date=when, supplier_name="Taxi", base="30", client_id=client
            )
        )


def test_every_page_is_the_slice_of_the_whole_list(db) -> None:
    from tui_crm.services import analytics

    _book()
    today = dt.date(2026, 12, 31)
    for period in (
        analytics.report_period(2026, today=today),
        analytics.report_period(as_of=dt.date(2026, 2, 14), today=today),  # a part month
    ):
        whole = list(analytics.iter_pnl_rows(period))
        assert analytics.count_pnl(period) == len(whole)
        assert whole[-1].client_id is None  # the expenses of no client come last
        assert [r.client for r in whole if r.client_id] == sorted(
            r.client for r in whole if r.client_id
        )
        for limit in (1, 2, 3, 5, 50):
            for offset in range(len(whole) + 1):
                assert analytics.pnl_rows(period, offset, limit) == whole[offset : offset + limit]
