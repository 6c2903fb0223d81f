"""Receivables as of a past date D: invoices issued on or before D, less the payments dated
on or before D that were not reversed on or before D. The board, its aging summary, the
defaulters, a client's outstanding and overdue, the client list's filter and the report
all read the same figures (the report once subtracted payments made after D)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from invoicing_support import D, issued, line, make_client, set_issuer

from tui_crm.db import close_database, execute
from tui_crm.services import analytics, client_file, clients, invoices, payments
from tui_crm.services import receivables as rv


def _reverse_on(payment_id: int, day: dt.date, reason: str = "devuelto") -> None:
    """Reverse a payment as if it had been done at noon (local time) on `day`."""
    payments.reverse_payment(payment_id, reason)
    moment = dt.datetime.combine(day, dt.time(12)).astimezone(dt.UTC).replace(tzinfo=None)
    execute("UPDATE payment SET reversed_at = ? WHERE id = ?", (moment.isoformat(" "), payment_id))


@pytest.fixture
def book(db):
    """Invoice A (121.00, due 9 Feb) paid on 15 Feb; invoice B (242.00, issued 1 Mar, due
    31 Mar) paid 50 on 5 Mar (reversed on 20 Mar) and 100 on 10 Apr."""
    set_issuer()
    client = make_client()
    a = issued(client, dt.date(2026, 1, 10), line(price="100"))
    b = issued(client, dt.date(2026, 3, 1), line(price="200"))
    payments.register_payment(
        client, dt.date(2026, 2, 15), D("121"), allocations=[(a.id, D("121"))]
    )
    bounced = payments.register_payment(
        client, dt.date(2026, 3, 5), D("50"), allocations=[(b.id, D("50"))]
    )
    payments.register_payment(
        client, dt.date(2026, 4, 10), D("100"), allocations=[(b.id, D("100"))]
    )
    _reverse_on(bounced, dt.date(2026, 3, 20))
    return client, a, b


def _board(day: dt.date) -> dict[str, Decimal]:
    return {r.code: r.outstanding for r in rv.list_receivables(rv.ReceivablesFilter(as_of=day))}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 9), {}),  # nothing issued yet
        (dt.date(2026, 2, 1), {"F2026-00001": D("121.00")}),
        (dt.date(2026, 2, 15), {}),  # paid that day
        (dt.date(2026, 3, 4), {"F2026-00002": D("242.00")}),
        (dt.date(2026, 3, 10), {"F2026-00002": D("192.00")}),  # 50 paid, not yet reversed
        (dt.date(2026, 3, 20), {"F2026-00002": D("242.00")}),  # reversed on that day
        (dt.date(2026, 4, 15), {"F2026-00002": D("142.00")}),
    ],
)
def test_the_board_as_of_a_past_date(book, day, expected):
    assert _board(day) == expected
    flt = rv.ReceivablesFilter(as_of=day)
    assert rv.count_receivables(flt) == len(expected)
    summary = rv.receivables_summary(flt)
    assert summary.outstanding == sum(expected.values(), D(0))
    assert summary.count == len(expected)


def test_overdue_defaulters_and_client_figures_as_of(book):
    client, _a, b = book
    day = dt.date(2026, 4, 5)  # B five days overdue, owing 242 (the 50 bounced on 20 Mar)
    flt = rv.ReceivablesFilter(as_of=day)
    row = rv.list_receivables(flt)[0]
    assert (row.code, row.outstanding, row.paid, row.days_overdue, row.bucket, row.status) == (
        b.code,
        D("242.00"),
        D("0.00"),
        5,
        "1-30",
        "issued",
    )
    assert rv.get_receivable(b.id, day).outstanding == D("242.00")
    totals = {t.bucket: (t.count, t.amount) for t in rv.bucket_totals(flt)}
    assert totals["1-30"] == (1, D("242.00"))
    [owing] = rv.defaulters(flt)
    assert (owing.client_id, owing.overdue, owing.invoices, owing.oldest_days_overdue) == (
        client,
        D("242.00"),
        1,
        5,
    )
    figures = client_file.key_figures(client, day)
    assert (figures.outstanding, figures.overdue, figures.overdue_invoices) == (
        D("242.00"),
        D("242.00"),
        1,
    )
    figures = client_file.key_figures(client, dt.date(2026, 3, 10))
    assert (figures.outstanding, figures.overdue) == (D("192.00"), D("0.00"))
    assert analytics.client_analytics(client, day).overdue == D("242.00")
    overdue_then = clients.list_clients(clients.ClientFilter(has_overdue=True, as_of=day))
    assert [c.id for c in overdue_then] == [client]
    none_yet = clients.ClientFilter(has_overdue=True, as_of=dt.date(2026, 2, 1))
    assert clients.list_clients(none_yet) == []
    # and today: what the invoices say now
    now = rv.list_receivables(rv.ReceivablesFilter())
    assert [(r.code, r.outstanding) for r in now] == [
        (b.code, invoices.get_invoice(b.id).outstanding)
    ]


def test_the_report_as_of_a_past_date(book, cli, db):
    close_database()
    result = cli("--db", db, "report", "receivables", "--as-of", "2026-03-10", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["number"], r["outstanding"], r["days_overdue"]) for r in rows] == [
        ("F2026-00002", "192.00", -21)  # not due yet: the days until it is
    ]
    defaulters = cli(
        "--db", db, "report", "defaulters", "--as-of", "2026-04-05", "--format", "json"
    )
    assert [(r["overdue"], r["invoices"]) for r in json.loads(defaulters.stdout)] == [("242.00", 1)]


def test_any_date_agrees_with_replaying_every_payment(db):
    """Random invoices, payments over several invoices and reversals on random days: for
    every date the board equals a replay of all payments up to it."""
    set_issuer()
    rng = random.Random(12)
    people = [make_client(), make_client("Ángel Pérez Núñez", "12345678Z")]
    start = dt.date(2026, 1, 1)
    issued_days = sorted(start + dt.timedelta(days=rng.randrange(0, 150)) for _ in range(24))
    made = [
        issued(rng.choice(people), day, line(price=str(rng.randrange(50, 900))))
        for day in issued_days
    ]
    client_of = {i.id: invoices.get_invoice(i.id).client_id for i in made}
    for _n in range(30):
        client = rng.choice(people)
        open_ = payments.open_invoices(client)
        if not open_:
            continue
        chosen = rng.sample(open_, k=min(len(open_), rng.choice((1, 1, 2))))
        pay_day = max(i.issue_date for i in chosen) + dt.timedelta(days=rng.randrange(0, 60))
        allocations = [(i.id, min(i.outstanding, D(rng.randrange(20, 600)))) for i in chosen]
        pid = payments.register_payment(
            client, pay_day, sum((a for _i, a in allocations), D(0)), allocations=allocations
        )
        if rng.random() < 0.3:
            _reverse_on(pid, pay_day + dt.timedelta(days=rng.randrange(0, 40)))
    del client_of

    def replay(day: dt.date) -> dict[str, Decimal]:
        cutoff = rv.reversal_cutoff(day)
        owed = {}
        for inv_id, code, total in execute(
            "SELECT id, code, total_cents FROM invoice WHERE status <> 'draft' AND issue_date <= ?",
            (day.isoformat(),),
        ).fetchall():
            paid = execute(
                "SELECT COALESCE(SUM(a.amount_cents), 0) FROM payment_allocation a "
                "JOIN payment p ON p.id = a.payment_id WHERE a.invoice_id = ? AND p.date <= ? "
                "AND (p.reversed_at IS NULL OR p.reversed_at >= ?)",
                (inv_id, day.isoformat(), cutoff),
            ).fetchone()[0]
            if total - paid:
                owed[code] = D(total - paid) / 100
        return owed

    for offset in range(0, 240, 7):
        day = start + dt.timedelta(days=offset)
        assert _board(day) == replay(day), day
        summary = rv.receivables_summary(rv.ReceivablesFilter(as_of=day))
        assert summary.outstanding == sum(replay(day).values(), D(0)), day


def test_the_unpaid_index_path_leaves_out_invoices_issued_after_the_day(db):
    """With no payment touching the day, the board reads `invoice_unpaid` as it is; its
    count and page still leave out what was issued after the day (m0018 put the issue
    date into the index so the count reads only the index)."""
    set_issuer()
    client = make_client()
    issued(client, dt.date(2026, 1, 10), line(price="100"))
    issued(client, dt.date(2026, 3, 1), line(price="200"))
    columns = [r[2] for r in execute("PRAGMA index_info('invoice_unpaid')").fetchall()]
    assert columns == ["due_date", "client_id", "id", "issue_date"]
    for day, codes in [
        (dt.date(2026, 1, 9), []),
        (dt.date(2026, 2, 1), ["F2026-00001"]),
        (dt.date(2026, 3, 1), ["F2026-00001", "F2026-00002"]),
    ]:
        assert not rv.needs_replay(day)
        flt = rv.ReceivablesFilter(as_of=day)
        assert [r.code for r in rv.list_receivables(flt)] == codes
        assert rv.count_receivables(flt) == len(codes)
        overdue = rv.ReceivablesFilter(as_of=day, bucket="overdue")
        assert rv.count_receivables(overdue) == len(rv.list_receivables(overdue))


def _from_another_connection(call) -> None:
    """`call()` in a worker thread, inside that thread's own connection (as the TUI's)."""
    import threading

    from tui_crm.services.calls import run_call

    failed: list[BaseException] = []

    def work() -> None:
        try:
            run_call(call)
        except BaseException as exc:  # handed over to the test's thread
            failed.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]


def follows_writes_since_it_was_read(client: int, bill_id: int) -> None:
    """The as-of rows are kept per connection: a payment written since they were read, by
    this connection or another one, is in the next read. `bill_id`: 242.00, issued 1 Mar
    2026, paid 100 on 10 Apr (after the day asked for, 31 Mar: put back)."""
    day = dt.date(2026, 3, 31)
    flt = rv.ReceivablesFilter(as_of=day, client_id=client)

    def owed() -> list[Decimal]:
        return [r.outstanding for r in rv.list_receivables(flt)]

    assert owed() == [D("242.00")]
    assert rv.count_receivables(flt) == 1
    payments.register_payment(
        client, dt.date(2026, 3, 20), D("42"), allocations=[(bill_id, D("42"))]
    )
    assert owed() == [D("200.00")]  # this connection's own write
    _from_another_connection(
        lambda: payments.register_payment(
            client, dt.date(2026, 3, 25), D("100"), allocations=[(bill_id, D("100"))]
        )
    )
    assert owed() == [D("100.00")]  # another connection's
    assert rv.get_receivable(bill_id, day).outstanding == D("100.00")
    assert sum((t.amount for t in rv.bucket_totals(flt)), D(0)) == D("100.00")


def test_the_as_of_rows_follow_writes_made_since(db):
    set_issuer()
    client = make_client()
    bill = issued(client, dt.date(2026, 3, 1), line(price="200"))
    payments.register_payment(
        client, dt.date(2026, 4, 10), D("100"), allocations=[(bill.id, D("100"))]
    )
    follows_writes_since_it_was_read(client, bill.id)
