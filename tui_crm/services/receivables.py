"""The receivables board: every unpaid issued invoice, aged, as of a date.

Rules and choices:
- an invoice is on the board while it is issued or partially paid with an
  outstanding amount (the partial index `invoice_unpaid` covers exactly that
  predicate, so every query here is written with it verbatim) and was issued on
  or before the as-of date; amounts are today's (payments are not replayed);
- days overdue = as-of date - due date; aging buckets: `not_due` (0 or fewer
  days), `1-30`, `31-60`, `61-90`, `90+`;
- row style hint: due within 7 days -> "warning", overdue -> "danger", more than
  60 days -> "danger-strong", else "";
- sorted by days overdue, most overdue first (due date ascending, then client and id);
- everything is computed in SQL: buckets become due-date ranges (index-friendly),
  a page reads only its rows (count + page for the LazyTable);
- the overdue share of total billing = overdue amount / total of the invoices
  issued up to the as-of date (same client/owner filter); defaulters are the
  clients whose overdue invoices add up to more than zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from ..db import execute, is_sqlite
from ..i18n import N_
from ..money import ZERO, from_cents

BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
BUCKET_LABELS = {
    "not_due": N_("Not due"),
    "1-30": N_("1-30 days"),
    "31-60": N_("31-60 days"),
    "61-90": N_("61-90 days"),
    "90+": N_("Over 90 days"),
}
STYLES = ("", "warning", "danger", "danger-strong")
WARNING_DAYS = 7
STRONG_AFTER_DAYS = 60
UNPAID = "i.outstanding_cents <> 0 AND i.status IN ('issued', 'partially_paid')"
SHARE_STEP = Decimal("0.0001")
_COLUMNS = (
    "i.id, i.code, i.series, i.client_id, i.client_name, i.client_tax_id, "
    "i.issue_date, i.due_date, i.total_cents, i.paid_cents, i.outstanding_cents, "
    "i.base_cents, i.vat_cents, i.recargo_cents, i.irpf_cents, i.status, i.debit_returned_on"
)


def _unpaid_from() -> str:
    """The invoice table read through the partial index of unpaid invoices.

    SQLite's planner otherwise picks `invoice_status_due_date`, which cannot give the
    board's order and sorts every unpaid invoice for each page."""
    return "invoice i INDEXED BY invoice_unpaid" if is_sqlite() else "invoice i"


def aging_bucket(days_overdue: int) -> str:
    """The aging bucket of an invoice this many days past its due date."""
    if days_overdue <= 0:
        return "not_due"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


def row_style(days_overdue: int) -> str:
    """The colour hint of a row: warning (due within 7 days), danger, danger-strong (> 60)."""
    if days_overdue > STRONG_AFTER_DAYS:
        return "danger-strong"
    if days_overdue > 0:
        return "danger"
    if days_overdue >= -WARNING_DAYS:
        return "warning"
    return ""


def share(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole as a fraction 0..1 with four decimals (0 when there is no whole)."""
    if not whole:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ReceivablesFilter:
    as_of: dt.date | None = None  # default today
    client_id: int | None = None
    owner_login: str = ""
    bucket: str = ""  # one of BUCKETS, "overdue" (every bucket but not_due), or ""

    @property
    def date(self) -> dt.date:
        return self.as_of or dt.date.today()


@dataclass(frozen=True)
class ReceivableRow:
    invoice_id: int
    code: str
    series: str
    client_id: int
    client_name: str
    tax_id: str
    issue_date: dt.date
    due_date: dt.date
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    days_overdue: int
    bucket: str
    style: str
    base: Decimal = ZERO
    vat: Decimal = ZERO
    recargo: Decimal = ZERO
    irpf: Decimal = ZERO
    status: str = "issued"
    debit_returned_on: dt.date | None = None  # a direct debit of it came back (m0011)


@dataclass(frozen=True)
class BucketTotal:
    bucket: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Defaulter:
    client_id: int
    client: str
    tax_id: str
    overdue: Decimal
    invoices: int
    oldest_days_overdue: int
    share_of_billing: Decimal  # this client's overdue / total billing
    share_of_overdue: Decimal  # this client's overdue / everyone's overdue


@dataclass(frozen=True)
class ReceivablesSummary:
    as_of: dt.date
    buckets: tuple[BucketTotal, ...]  # always the five, in order
    count: int
    outstanding: Decimal
    overdue: Decimal
    billing: Decimal  # total of invoices issued up to as_of
    overdue_share: Decimal  # overdue / billing, 0..1
    defaulters: tuple[Defaulter, ...]  # the largest first (up to `top`)


def _bounds(as_of: dt.date) -> tuple[str, str, str, str]:
    return tuple(  # type: ignore[return-value]
        (as_of - dt.timedelta(days=days)).isoformat() for days in (0, 30, 60, 90)
    )


def _filters(flt: ReceivablesFilter) -> tuple[str, list[object]]:
    as_of = flt.date
    clauses = ["i.issue_date <= ?"]
    params: list[object] = [as_of.isoformat()]
    if flt.client_id is not None:
        clauses.append("i.client_id = ?")
        params.append(flt.client_id)
    if flt.owner_login:
        clauses.append(
            'i.client_id IN (SELECT c.id FROM client c JOIN "user" u ON u.id = c.owner_id '
            "WHERE u.login = ?)"
        )
        params.append(flt.owner_login)
    return " AND ".join(clauses), params


def _where(flt: ReceivablesFilter) -> tuple[str, list[object]]:
    where, params = _filters(flt)
    clauses = [UNPAID, where]
    d0, d30, d60, d90 = _bounds(flt.date)
    ranges = {
        "not_due": ("i.due_date >= ?", [d0]),
        "1-30": ("i.due_date >= ? AND i.due_date < ?", [d30, d0]),
        "31-60": ("i.due_date >= ? AND i.due_date < ?", [d60, d30]),
        "61-90": ("i.due_date >= ? AND i.due_date < ?", [d90, d60]),
        "90+": ("i.due_date < ?", [d90]),
        "overdue": ("i.due_date < ?", [d0]),
    }
    if flt.bucket:
        if flt.bucket not in ranges:
            from ..i18n import _
            from .errors import ValidationError

            raise ValidationError(
                {"bucket": _("must be one of {values}").format(values=", ".join(ranges))}
            )
        clause, extra = ranges[flt.bucket]
        clauses.append(clause)
        params.extend(extra)
    return " AND ".join(clauses), params


def count_receivables(flt: ReceivablesFilter) -> int:
    """How many invoices the board shows (the LazyTable's count)."""
    where, params = _where(flt)
    return int(
        execute(f"SELECT COUNT(*) FROM {_unpaid_from()} WHERE {where}", params).fetchone()[0]
    )


def _day(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value))


def list_receivables(
    flt: ReceivablesFilter, offset: int = 0, limit: int | None = 100
) -> list[ReceivableRow]:
    """One page of the board, most overdue first; only that page is read."""
    where, params = _where(flt)
    as_of = flt.date
    page = ""
    if limit is not None:
        page = " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    order = "i.due_date, i.client_id, i.id"
    sql = f"SELECT {_COLUMNS} FROM {_unpaid_from()} WHERE {where} ORDER BY {order}{page}"
    return [_row(r, as_of) for r in execute(sql, params)]


def _row(r: tuple, as_of: dt.date) -> ReceivableRow:
    due = _day(r[7])
    days = (as_of - due).days
    return ReceivableRow(
        invoice_id=r[0],
        code=r[1],
        series=r[2],
        client_id=r[3],
        client_name=r[4],
        tax_id=r[5],
        issue_date=_day(r[6]),
        due_date=due,
        total=from_cents(int(r[8])),
        paid=from_cents(int(r[9])),
        outstanding=from_cents(int(r[10])),
        days_overdue=days,
        bucket=aging_bucket(days),
        style=row_style(days),
        base=from_cents(int(r[11])),
        vat=from_cents(int(r[12])),
        recargo=from_cents(int(r[13])),
        irpf=from_cents(int(r[14])),
        status=r[15],
        debit_returned_on=_day(r[16]) if r[16] else None,
    )


def get_receivable(invoice_id: int, as_of: dt.date | None = None) -> ReceivableRow | None:
    """One row of the board (to update it in place after a payment); None once paid."""
    flt = ReceivablesFilter(as_of=as_of)
    where, params = _where(flt)
    r = execute(
        f"SELECT {_COLUMNS} FROM invoice i WHERE {where} AND i.id = ?", [*params, invoice_id]
    ).fetchone()
    return _row(r, flt.date) if r is not None else None


def bucket_totals(flt: ReceivablesFilter) -> tuple[BucketTotal, ...]:
    """Count and outstanding per aging bucket (all five, in order), one SQL aggregate."""
    base = ReceivablesFilter(as_of=flt.as_of, client_id=flt.client_id, owner_login=flt.owner_login)
    where, params = _where(base)
    d0, d30, d60, d90 = _bounds(flt.date)
    sql = (
        "SELECT CASE WHEN i.due_date >= ? THEN 0 WHEN i.due_date >= ? THEN 1 "
        "WHEN i.due_date >= ? THEN 2 WHEN i.due_date >= ? THEN 3 ELSE 4 END AS b, "
        f"COUNT(*), SUM(i.outstanding_cents) FROM {_unpaid_from()} WHERE {where} GROUP BY b"
    )
    found = {int(r[0]): (int(r[1]), int(r[2])) for r in execute(sql, [d0, d30, d60, d90, *params])}
    return tuple(
        BucketTotal(name, found.get(i, (0, 0))[0], from_cents(found.get(i, (0, 0))[1]))
        for i, name in enumerate(BUCKETS)
    )


def total_overdue(flt: ReceivablesFilter) -> Decimal:
    """What is overdue as of the date (the four overdue buckets together), one SUM."""
    where, params = _where(replace(flt, bucket="overdue"))
    row = execute(
        f"SELECT COALESCE(SUM(i.outstanding_cents), 0) FROM {_unpaid_from()} WHERE {where}",
        params,
    ).fetchone()
    return from_cents(int(row[0]))


def total_billing(flt: ReceivablesFilter) -> Decimal:
    """The total of every invoice issued up to the as-of date (same client/owner filter)."""
    where, params = _filters(flt)
    row = execute(
        f"SELECT COALESCE(SUM(i.total_cents), 0) FROM invoice i WHERE i.status <> 'draft' "
        f"AND {where}",
        params,
    ).fetchone()
    return from_cents(int(row[0]))


def defaulters(
    flt: ReceivablesFilter,
    limit: int | None = None,
    *,
    billing: Decimal | None = None,
    overdue_total: Decimal | None = None,
) -> list[Defaulter]:
    """Clients with overdue invoices, the largest overdue amount first, with their shares.

    `billing` and `overdue_total` may be passed when already known (the summary has them)."""
    base = ReceivablesFilter(as_of=flt.as_of, client_id=flt.client_id, owner_login=flt.owner_login)
    where, params = _where(base)
    as_of = flt.date
    d0 = as_of.isoformat()
    if overdue_total is None:
        overdue_total = total_overdue(base)
    if billing is None:
        billing = total_billing(flt)
    page = " LIMIT ?" if limit is not None else ""
    # Aggregate first, then look the (few) clients up: cheaper than joining every invoice.
    sql = (
        "SELECT g.client_id, c.legal_name, c.tax_id, g.owed, g.n, g.oldest FROM ("
        "SELECT i.client_id, SUM(i.outstanding_cents) AS owed, COUNT(*) AS n, "
        f"MIN(i.due_date) AS oldest FROM {_unpaid_from()} WHERE {where} AND i.due_date < ? "
        "GROUP BY i.client_id HAVING SUM(i.outstanding_cents) > 0) g "
        f"JOIN client c ON c.id = g.client_id ORDER BY g.owed DESC, g.client_id{page}"
    )
    args = [*params, d0] + ([limit] if limit is not None else [])
    out = []
    for r in execute(sql, args):
        owed = from_cents(int(r[3]))
        out.append(
            Defaulter(
                client_id=r[0],
                client=r[1],
                tax_id=r[2],
                overdue=owed,
                invoices=int(r[4]),
                oldest_days_overdue=(as_of - _day(r[5])).days,
                share_of_billing=share(owed, billing),
                share_of_overdue=share(owed, overdue_total),
            )
        )
    return out


def receivables_summary(flt: ReceivablesFilter, top: int = 10) -> ReceivablesSummary:
    """The board's summary: totals per bucket, the overdue share of billing, top defaulters."""
    buckets = bucket_totals(flt)
    billing = total_billing(flt)
    outstanding = sum((b.amount for b in buckets), ZERO)
    overdue = sum((b.amount for b in buckets if b.bucket != "not_due"), ZERO)
    return ReceivablesSummary(
        as_of=flt.date,
        buckets=buckets,
        count=sum(b.count for b in buckets),
        outstanding=outstanding,
        overdue=overdue,
        billing=billing,
        overdue_share=share(overdue, billing),
        defaulters=tuple(defaulters(flt, top, billing=billing, overdue_total=overdue)),
    )


def receivable_rows(flt: ReceivablesFilter, page: int = 5000) -> Iterator[ReceivableRow]:
    """Every row of the board, read a page at a time (reports and exports)."""
    offset = 0
    while True:
        rows = list_receivables(flt, offset, page)
        yield from rows
        if len(rows) < page:
            return
        offset += page
