"""`receivables.defaulter_list`: the defaulters found by one aggregate, ordered here, made
rows a slice at a time; `defaulter_pages`: the same, ordered and cut by the database (the
Reports screen's pages). Its order, wholes and rows must be
exactly those of the aggregate computed afresh over the invoices, on SQLite and on
PostgreSQL, and any slicing of it must give the same rows as the whole report."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import D, issued, line, make_client, set_issuer
from postgres_support import fresh_schema

AS_OF = dt.date(2026, 6, 30)

FRESH = (
    "SELECT client_id, SUM(outstanding_cents), COUNT(*), MIN(due_date) FROM invoice "
    "WHERE outstanding_cents <> 0 AND status IN ('issued', 'partially_paid') "
    "AND issue_date <= ? AND due_date < ? GROUP BY client_id"
)


def _book() -> dict[str, int]:
    """Clients owing different amounts, two owing the same, one whose credit (a rectifying
    invoice) nets its overdue to nothing, one paid up, one not yet due."""
    from tui_crm.services import invoices, payments

    set_issuer()
    ids = {}
    for name, tax_id, price in (
        ("Alfa Diseño SL", "B60889649", "500"),
        ("Beta Obras SL", "A58818501", "120"),
        ("Gamma Tres SL", "B19306562", "120"),  # the same as Beta: ordered by id
        ("Delta Cuatro SL", "A28017895", "900"),
    ):
        ids[name] = make_client(name, tax_id)
        issued(ids[name], dt.date(2025, 3, 1), line(price=price))
    credit = make_client("Épsilon Cinco SL", "B58378431")
    ids["credit"] = credit
    first = issued(credit, dt.date(2025, 4, 1), line(price="300"))
    rect = invoices.create_rectifying_draft(
        first.id, "difference", "Devolución", [line(quantity="-1", price="300")]
    )
    invoices.issue_invoice(rect, dt.date(2025, 4, 10))
    paid = make_client("Zeta Pagada SL", "A08015497")
    issued(paid, dt.date(2025, 5, 1), line(price="100"))
    payments.register_payment(paid, dt.date(2025, 5, 20), D("121.00"))
    issued(ids["Alfa Diseño SL"], dt.date(2025, 9, 1), line(price="80"))
    issued(make_client("Eta Reciente SL", "B63272603"), AS_OF, line(price="700"))
    return ids


def _check() -> None:
    from tui_crm.db import execute
    from tui_crm.services import receivables as rv

    flt = rv.ReceivablesFilter(as_of=AS_OF)
    found = rv.defaulter_list(flt)
    day = AS_OF.isoformat()
    fresh = [(r[0], int(r[1]), int(r[2]), str(r[3])[:10]) for r in execute(FRESH, (day, day))]
    expected = sorted((g for g in fresh if g[1] > 0), key=lambda g: (-g[1], g[0]))
    assert [(g[0], g[1], g[2], str(g[3])[:10]) for g in found.groups] == expected
    assert len(found) == len(expected) == 4
    # Everyone's overdue counts the client in credit; the billing is the board's.
    assert found.overdue == rv.total_overdue(flt) == D(sum(g[1] for g in fresh)) / 100
    assert found.billing == rv.total_billing(flt)
    assert found.overdue_share == rv.share(found.overdue, found.billing)
    whole = rv.defaulters_report(flt).defaulters
    assert [d.client_id for d in whole] == [g[0] for g in expected]
    assert all(d.client and d.tax_id for d in whole)
    # Pages of any size, named a page at a time, are the whole report's rows.
    for size in (1, 3, 100):
        pages = [found.rows(offset, size) for offset in range(0, len(found), size)]
        assert [d for page in pages for d in page] == list(whole)
    assert rv.named(found.rows(names=False)) == list(whole)
    assert {d.client for d in found.rows(names=False)} == {""}
    assert rv.defaulters_report(flt, 2).defaulters == whole[:2]
    # Every row's amount and shares are the Decimal formulas' (exponents included), and
    # `report defaulters` prints each row's values, column by column.
    from tui_crm.services import reports

    for d in whole:
        owed = D(next(g[1] for g in expected if g[0] == d.client_id)) / 100
        assert repr(d.overdue) == repr(owed.quantize(D("0.01")))
        assert repr(d.share_of_billing) == repr(rv.share(d.overdue, found.billing))
        assert repr(d.share_of_overdue) == repr(rv.share(d.overdue, found.overdue))
    printed = [tuple(map(repr, r.items())) for r in reports.defaulter_rows(AS_OF)]
    keys = [c.key for c in reports.DEFAULTER_COLUMNS]
    assert printed == [tuple(repr((k, getattr(d, k))) for k in keys) for d in whole]
    first = whole[0]
    assert first.share_of_overdue == rv.share(first.overdue, found.overdue)
    assert first.share_of_billing == rv.share(first.overdue, found.billing)
    assert first.oldest_days_overdue == (AS_OF - dt.date.fromisoformat(expected[0][3])).days
    # The screen's pages, ordered and cut by the database: the same count, wholes and rows.
    paged = rv.defaulter_pages(flt)
    assert len(paged) == len(found) == 4
    assert (paged.overdue, paged.billing, paged.as_of) == (found.overdue, found.billing, AS_OF)
    assert paged.overdue_share == found.overdue_share
    assert paged.rows() == list(whole)
    for size in (1, 3, 100):
        pages = [paged.rows(offset, size) for offset in range(0, len(paged), size)]
        assert [d for page in pages for d in page] == list(whole)
    # Before anything is due: no defaulter, nothing overdue.
    early = rv.defaulter_list(rv.ReceivablesFilter(as_of=dt.date(2025, 3, 2)))
    assert len(early) == 0 and early.rows() == [] and early.overdue == 0
    early_pages = rv.defaulter_pages(rv.ReceivablesFilter(as_of=dt.date(2025, 3, 2)))
    assert len(early_pages) == 0 and early_pages.rows(0, 50) == [] and early_pages.overdue == 0


def test_defaulter_list_is_the_fresh_aggregate(db) -> None:
    _book()
    _check()


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_defaulter_list_on_postgresql(pg_url, app_env) -> None:
    with fresh_schema(pg_url):
        _book()
        _check()


def test_defaulter_values_are_the_decimal_formulas() -> None:
    """`DefaulterList.values` works shares out of cents in integers: the very values and
    exponents of `from_cents` and `share_of_cents`, whatever the wholes' signs."""
    from tui_crm.money import from_cents
    from tui_crm.services import receivables as rv

    amounts = (1, 5, 149, 150, 151, 9_999, 10_000, 12_345, 10**9 + 7, -1, -150, 0)
    groups = tuple((i, cents, 1, "2026-01-01", "", "") for i, cents in enumerate(amounts, 1))
    for billing in (0, 1, 3, 300, 12_345, 10**12, -300):
        for overdue in (0, 7, 20_000, -9_999):
            found = rv.DefaulterList(AS_OF, from_cents(billing), from_cents(overdue), groups, True)
            for v, (client_id, cents, *_rest) in zip(found.values(), groups, strict=True):
                assert v[0] == client_id and v[4:6] == (1, 180)
                assert repr(v[3]) == repr(from_cents(cents))
                assert repr(v[6]) == repr(rv.share_of_cents(cents, billing)), (cents, billing)
                assert repr(v[7]) == repr(rv.share_of_cents(cents, overdue)), (cents, overdue)
