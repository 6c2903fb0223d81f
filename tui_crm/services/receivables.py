"""The receivables board: every unpaid issued invoice, aged, as of a date.

Rules and choices:
- an invoice is on the board while it is issued or partially paid with an
  outstanding amount (the partial index `invoice_unpaid` covers exactly that
  predicate, so every query here is written with it verbatim) and was issued on
  or before the as-of date;
- as of a date D the amounts are D's: an invoice issued on or before D owes its total
  less the payments dated on or before D that were not reversed on or before D (in
  local time). Today's figures are kept on the invoice; for D they differ only by the
  payments dated after D and the reversals made after D, so `_source` adds those back
  (a few rows, by index) instead of replaying every payment, and when there are none
  (as of today, usually) the board reads the invoices exactly as before;
- days overdue = as-of date - due date, negative for an invoice not yet due (the days
  until it is); aging buckets: `not_due` (0 or fewer days), `1-30`, `31-60`, `61-90`,
  `90+`;
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter

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
_CENT = Decimal("0.01")
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


def reversal_cutoff(as_of: dt.date) -> str:
    """The first moment after the as-of day, in UTC as stored: a reversal at or after it was
    not yet made on that day (the day is the local one, as people see dates)."""
    start = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return start.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


# Payments whose effect differs between the as-of day and now: dated after it and still
# standing (counted now, not then), or dated by it and reversed after it (then, not now).
_LATER = "(p.reversed_at IS NULL AND p.date > ?) OR (p.reversed_at >= ? AND p.date <= ?)"


def needs_replay(as_of: dt.date) -> bool:
    """True when some payment counts differently on `as_of` than today (see `_LATER`):
    two index probes (m0009's payment indexes)."""
    day = as_of.isoformat()
    row = execute(
        "SELECT EXISTS (SELECT 1 FROM payment WHERE date > ? AND reversed_at IS NULL), "
        "EXISTS (SELECT 1 FROM payment WHERE reversed_at >= ? AND date <= ?)",
        (day, reversal_cutoff(as_of), day),
    ).fetchone()
    return bool(row[0]) or bool(row[1])


_REPLAY_COLUMNS = (
    "i.id, i.code, i.series, i.client_id, i.client_name, i.client_tax_id, i.issue_date, "
    "i.due_date, i.total_cents, {paid} AS paid_cents, {owed} AS outstanding_cents, "
    "i.base_cents, i.vat_cents, i.recargo_cents, i.irpf_cents, {status} AS status, "
    "i.debit_returned_on"
)
# What the as-of table keeps: what the board filters, sorts and adds up by.
_SLIM_COLUMNS = (
    "i.due_date, i.client_id, i.id, i.issue_date, {paid} AS paid_cents, "
    "{owed} AS outstanding_cents, {status} AS status"
)
# A page of the as-of table `i` with the rest of each row from `invoice x`, by key.
_PAGE_COLUMNS = (
    "i.id, x.code, x.series, i.client_id, x.client_name, x.client_tax_id, "
    "i.issue_date, i.due_date, x.total_cents, i.paid_cents, i.outstanding_cents, "
    "x.base_cents, x.vat_cents, x.recargo_cents, x.irpf_cents, i.status, x.debit_returned_on"
)


def _source(as_of: dt.date) -> tuple[str, list[object]]:
    """The invoices as they stood on `as_of`, as a table `i` with the columns of `invoice`
    the board reads (amounts and payment status of that day).

    Today's unpaid invoices that no later payment or reversal touched are read through
    their index as they are; the ones that were touched are read with their amounts put
    back (a UNION ALL of the two). That is computed once per connection, date and state of
    the data into a temporary table (`_as_of_table`): the board's count, page, buckets and
    defaulters then read it instead of replaying it each time."""
    if not needs_replay(as_of):
        return _unpaid_from(), []
    return f"{_as_of_table(as_of)} i", []


# Per connection: (as-of date, state of the data) its temporary table was built for.
_AS_OF_TABLE = "receivables_as_of"
_as_of_built: dict[int, tuple[object, ...]] = {}


def _data_state() -> tuple[object, ...]:
    """What changes whenever anyone commits a write: on SQLite PRAGMA data_version (other
    connections) and this connection's total_changes (its own); on PostgreSQL the current
    snapshot (its running and next transaction ids: any commit anywhere moves it on, so
    an unrelated write only costs a rebuild), and never the same state inside a
    transaction that has written (its own later writes would not move the snapshot)."""
    from ..db import database

    if is_sqlite():
        return (execute("PRAGMA data_version").fetchone()[0], database.connection().total_changes)
    snapshot, writing = execute(
        "SELECT pg_current_snapshot(), pg_current_xact_id_if_assigned()"
    ).fetchone()
    return (str(snapshot),) if writing is None else (object(),)


def _temp_table() -> str:
    return f"temp.{_AS_OF_TABLE}" if is_sqlite() else f"pg_temp.{_AS_OF_TABLE}"


def _as_of_table(as_of: dt.date) -> str:
    """The as-of rows of `_replayed` in a temporary table of this connection, rebuilt when the
    date changes or anyone wrote since (`_data_state`).

    Only the columns the board filters, sorts and adds up by are kept (`_SLIM_COLUMNS`): a
    page reads the rest of its rows from `invoice` by key (`_PAGE_COLUMNS`), so the build
    writes a fraction of each invoice."""
    from ..db import database

    conn = database.connection()
    table = _temp_table()
    if is_sqlite():
        exists = execute(
            "SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = ?", (_AS_OF_TABLE,)
        ).fetchone()
    else:
        exists = execute("SELECT to_regclass(?)", (table,)).fetchone()[0]
    if not exists or _as_of_built.get(id(conn)) != (as_of, *_data_state()):
        sql, params = _replayed(as_of, _SLIM_COLUMNS)
        execute(f"DROP TABLE IF EXISTS {table}")
        execute(
            f"CREATE TEMP TABLE {_AS_OF_TABLE} AS SELECT * FROM {sql} "
            "WHERE i.outstanding_cents <> 0",
            params,
        )
        index = f"temp.{_AS_OF_TABLE}_due" if is_sqlite() else f"{_AS_OF_TABLE}_due"
        execute(f"CREATE INDEX {index} ON {_AS_OF_TABLE} (due_date, client_id, id)")
        if not is_sqlite():
            execute(f"ANALYZE {table}")  # no autovacuum for temporary tables
        # The state after the build (its own writes included), so the next call reuses it.
        _as_of_built[id(conn)] = (as_of, *_data_state())
    return table


def _is_slim(source: str) -> bool:
    """True when `source` is the as-of temporary table (its rows lack the invoice's texts)."""
    return source.startswith(_temp_table())


def forget_as_of() -> None:
    """Drop this connection's as-of table (the next board as of a past date recomputes it)."""
    from ..db import database

    execute(f"DROP TABLE IF EXISTS {_temp_table()}")
    _as_of_built.pop(id(database.connection()), None)


def _allocations() -> str:
    """The allocations `a` of the payments after the day, read from m0021's covering index.

    Named on SQLite: going by a database's statistics its planner may keep the narrower
    index, or scan every allocation in invoice order, as slow for one later payment as for
    thirty thousand."""
    if is_sqlite():
        return "payment_allocation a INDEXED BY payment_allocation_payment_cover"
    return "payment_allocation a"


def _replayed(as_of: dt.date, columns: str = _REPLAY_COLUMNS) -> tuple[str, list[object]]:
    """`_source`'s replay as a derived table `i` with its parameters (`columns`: the
    template of what it selects, `_REPLAY_COLUMNS` or `_SLIM_COLUMNS`)."""
    day = as_of.isoformat()
    adjusted = "COALESCE(adj.cents, 0)"
    owed = f"i.outstanding_cents + {adjusted}"
    paid = f"i.paid_cents - {adjusted}"
    status = (
        f"CASE WHEN {owed} = 0 THEN 'paid' WHEN {paid} <> 0 THEN 'partially_paid' ELSE 'issued' END"
    )
    as_they_are = columns.format(paid="i.paid_cents", owed="i.outstanding_cents", status="i.status")
    put_back = columns.format(paid=paid, owed=owed, status=status)
    sql = (
        "(WITH adj AS (SELECT a.invoice_id, SUM(CASE WHEN p.reversed_at IS NULL "
        "THEN a.amount_cents ELSE -a.amount_cents END) AS cents FROM payment p "
        f"JOIN {_allocations()} ON a.payment_id = p.id WHERE {_LATER} "
        "GROUP BY a.invoice_id) "
        f"SELECT {as_they_are} FROM {_unpaid_from()} WHERE {UNPAID} AND i.issue_date <= ? "
        "AND i.id NOT IN (SELECT invoice_id FROM adj) "
        f"UNION ALL SELECT {put_back} FROM adj JOIN invoice i ON i.id = adj.invoice_id "
        "WHERE i.status NOT IN ('draft', 'voided') AND i.issue_date <= ?) i"
    )
    return sql, [day, reversal_cutoff(as_of), day, day, day]


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


def rounded_quotient(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator (integers, denominator not 0) rounded half up (away from
    zero) to `places` decimals, exactly: what quantizing the Decimal quotient gives, in
    integer arithmetic (for reports that turn tens of thousands of rows)."""
    below = abs(denominator)
    quotient, rest = divmod(abs(numerator), below)
    step = _STEPS.get(places) or Decimal(1).scaleb(-places)
    value = Decimal(quotient + (2 * rest >= below)) * step  # exact, exponent -places
    return value.copy_negate() if (numerator < 0) != (denominator < 0) else value


_STEPS = {2: Decimal("0.01"), 4: Decimal("0.0001")}  # rounded_quotient's usual places


def share_of_cents(part: int, whole: int) -> Decimal:
    """`share` of two amounts in cents: part / whole, four decimals."""
    if not whole:
        return Decimal(0)
    return rounded_quotient(part * 10_000, whole, 4)


@dataclass(frozen=True)
class ReceivablesFilter:
    as_of: dt.date | None = None  # default today
    client_id: int | None = None
    owner_login: str = ""
    bucket: str = ""  # one of BUCKETS, "overdue" (every bucket but not_due), or ""

    @property
    def date(self) -> dt.date:
        return self.as_of or dt.date.today()

    @property
    def every_bucket(self) -> ReceivablesFilter:
        """The same filter over every bucket (totals and defaulters span them all)."""
        return replace(self, bucket="")


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
    source, source_params = _source(flt.date)
    return int(
        execute(
            f"SELECT COUNT(*) FROM {source} WHERE {where}", [*source_params, *params]
        ).fetchone()[0]
    )


def _day(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value))


def list_receivables(
    flt: ReceivablesFilter, offset: int = 0, limit: int | None = 100
) -> list[ReceivableRow]:
    """One page of the board, most overdue first; only that page is read."""
    where, params = _where(flt)
    as_of = flt.date
    source, source_params = _source(as_of)
    page = ""
    params = [*source_params, *params]
    if limit is not None:
        page = " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    order = "i.due_date, i.client_id, i.id"
    sql = f"SELECT {_COLUMNS} FROM {source} WHERE {where} ORDER BY {order}{page}"
    if _is_slim(source):
        # The page's keys from the as-of table, then those rows' texts from the invoices.
        sql = (
            f"SELECT {_PAGE_COLUMNS} FROM (SELECT i.* FROM {source} WHERE {where} "
            f"ORDER BY {order}{page}) i JOIN invoice x ON x.id = i.id ORDER BY {order}"
        )
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
    source, source_params = _source(flt.date)
    columns = _COLUMNS
    if source == _unpaid_from():
        source = "invoice i"  # one row by its key, not through the index of unpaid ones
    elif _is_slim(source):
        source, columns = f"{source} JOIN invoice x ON x.id = i.id", _PAGE_COLUMNS
    r = execute(
        f"SELECT {columns} FROM {source} WHERE {where} AND i.id = ?",
        [*source_params, *params, invoice_id],
    ).fetchone()
    return _row(r, flt.date) if r is not None else None


def bucket_totals(flt: ReceivablesFilter) -> tuple[BucketTotal, ...]:
    """Count and outstanding per aging bucket (all five, in order), one SQL aggregate."""
    base = flt.every_bucket
    where, params = _where(base)
    d0, d30, d60, d90 = _bounds(flt.date)
    source, source_params = _source(flt.date)
    sql = (
        "SELECT CASE WHEN i.due_date >= ? THEN 0 WHEN i.due_date >= ? THEN 1 "
        "WHEN i.due_date >= ? THEN 2 WHEN i.due_date >= ? THEN 3 ELSE 4 END AS b, "
        f"COUNT(*), SUM(i.outstanding_cents) FROM {source} WHERE {where} GROUP BY b"
    )
    found = {
        int(r[0]): (int(r[1]), int(r[2]))
        for r in execute(sql, [d0, d30, d60, d90, *source_params, *params])
    }
    return tuple(
        BucketTotal(name, found.get(i, (0, 0))[0], from_cents(found.get(i, (0, 0))[1]))
        for i, name in enumerate(BUCKETS)
    )


def total_overdue(flt: ReceivablesFilter) -> Decimal:
    """What is overdue as of the date (the four overdue buckets together), one SUM."""
    where, params = _where(replace(flt, bucket="overdue"))
    source, source_params = _source(flt.date)
    row = execute(
        f"SELECT COALESCE(SUM(i.outstanding_cents), 0) FROM {source} WHERE {where}",
        [*source_params, *params],
    ).fetchone()
    return from_cents(int(row[0]))


def total_billing(flt: ReceivablesFilter) -> Decimal:
    """The total of every invoice issued up to the as-of date (same client/owner filter)."""
    where, params = _filters(flt)
    row = execute(
        "SELECT COALESCE(SUM(i.total_cents), 0) FROM invoice i "
        f"WHERE i.status NOT IN ('draft', 'voided') AND {where}",
        params,
    ).fetchone()
    return from_cents(int(row[0]))


@dataclass(frozen=True)
class DefaultersReport:
    """The defaulters as of a date with the two wholes their shares divide by."""

    as_of: dt.date
    billing: Decimal  # total of the invoices issued up to as_of (same filter)
    overdue: Decimal  # everyone's overdue, defaulters or not (a credit can net to zero)
    defaulters: tuple[Defaulter, ...]

    @property
    def overdue_share(self) -> Decimal:
        return share(self.overdue, self.billing)


def _billing(flt: ReceivablesFilter) -> Decimal:
    """`total_billing`; the whole business's (no client or owner filter) is read from
    `day_revenue` (m0017, kept by triggers with the same rule): a sum of a few hundred
    days instead of every invoice."""
    if flt.client_id is not None or flt.owner_login:
        return total_billing(flt)
    row = execute(
        "SELECT COALESCE(SUM(d.total_cents), 0) FROM day_revenue d WHERE d.day <= ?",
        (flt.date.isoformat(),),
    ).fetchone()
    return from_cents(int(row[0]))


@dataclass(frozen=True)
class DefaulterList:
    """The defaulters as of a date, found but not yet made rows: each client's overdue
    cents, invoices and oldest due date in the report's order, with the two wholes the
    shares divide by. `rows` makes the `Defaulter`s of a slice (a table's page, or all of
    them), so tens of thousands need not be turned into rows to show the first ones."""

    as_of: dt.date
    billing: Decimal  # total of the invoices issued up to as_of (same filter)
    overdue: Decimal  # everyone's overdue, defaulters or not (a credit can net to zero)
    # (client_id, cents, invoices, oldest due date, name, tax ID): names read with the
    # aggregate when `named`, else empty until `rows` looks a slice's up.
    groups: tuple[tuple[int, int, int, object, str, str], ...]
    named: bool = False

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def overdue_share(self) -> Decimal:
        return share(self.overdue, self.billing)

    def rows(
        self, offset: int = 0, limit: int | None = None, *, names: bool = True
    ) -> list[Defaulter]:
        """The defaulters from `offset` (`limit` of them, or all), with their shares; with
        `names`, each client's name and tax ID (one query for the slice), else empty."""
        return [Defaulter(*v) for v in self.values(offset, limit, names=names)]

    def values(
        self, offset: int = 0, limit: int | None = None, *, names: bool = True
    ) -> Iterator[tuple]:
        """`rows` as plain tuples in `Defaulter`'s field order, made from the cents
        without a `Defaulter` each (`report defaulters` lists tens of thousands): the
        overdue amount as `from_cents`, the shares as `share_of_cents` give them."""
        part = self.groups[offset:] if limit is None else self.groups[offset : offset + limit]
        known = _client_names([g[0] for g in part]) if names and not self.named else {}
        billing_cents, overdue_cents = int(self.billing * 100), int(self.overdue * 100)
        as_of = self.as_of
        days: dict[object, int] = {}  # due date -> days overdue (a few hundred distinct)
        cent = _CENT
        for client_id, owed, count, due, client, tax_id in part:
            oldest = days.get(due)
            if oldest is None:
                oldest = days[due] = (as_of - _day(due)).days
            if known:
                client, tax_id = known[client_id]
            elif not names:
                client, tax_id = "", ""
            yield (
                client_id,
                client,
                tax_id,
                Decimal(owed) * cent,  # from_cents of an int
                count,
                oldest,
                share_of_cents(owed, billing_cents),
                share_of_cents(owed, overdue_cents),
            )


def _defaulter_groups(flt: ReceivablesFilter, names: bool) -> tuple[str, list[object], dt.date]:
    """The aggregate of every client's overdue invoices as of `flt`'s date: (client_id,
    owed cents, invoices, oldest due date, name, tax ID) per client, its parameters and
    the date (see `defaulter_list`)."""
    base = flt.every_bucket
    where, params = _where(base)
    as_of = flt.date
    source, source_params = _source(as_of)
    if source == _unpaid_from() and is_sqlite():
        # Each unpaid invoice's client, dates and amount are in this index (m0017), in
        # client order: the aggregate never reads the table nor sorts.
        source = "invoice i INDEXED BY invoice_overdue_by_client"
    sql = (
        # BIGINT: PostgreSQL's SUM of integers is a NUMERIC, slower to fetch (a Decimal).
        "SELECT i.client_id, CAST(SUM(i.outstanding_cents) AS BIGINT) AS owed, COUNT(*) AS n, "
        f"MIN(i.due_date) AS oldest FROM {source} WHERE {where} AND i.due_date < ? "
        "GROUP BY i.client_id"
    )
    if names:
        sql = (
            "SELECT g.client_id, g.owed, g.n, g.oldest, c.legal_name, c.tax_id "
            f"FROM ({sql}) g JOIN client c ON c.id = g.client_id"
        )
    else:
        sql = f"SELECT g.client_id, g.owed, g.n, g.oldest, '', '' FROM ({sql}) g"
    return sql, [*source_params, *params, as_of.isoformat()], as_of


def defaulter_list(
    flt: ReceivablesFilter,
    *,
    billing: Decimal | None = None,
    overdue_total: Decimal | None = None,
    names: bool = False,
) -> DefaulterList:
    """Clients with overdue invoices adding up to more than zero, the largest overdue
    amount first (then the client's id), with the two wholes of their shares: the billing
    up to the as-of date and everyone's overdue amount (either may be passed when already
    known).

    One aggregate of every client's overdue invoices, in client order from the index;
    everyone's overdue is the sum over all the groups (a client whose credits net its
    overdue to zero or less counts there, and is no defaulter), the order is made here
    (a sort of the groups, cheaper than the database's window and sort over them). With
    `names`, every client's name and tax ID is read with the aggregate (for all the rows:
    a join, not a query per page)."""
    sql, params, as_of = _defaulter_groups(flt, names)
    if billing is None:
        billing = _billing(flt.every_bucket)
    groups = execute(sql, params).fetchall()  # ints: the sum is cast to BIGINT, COUNT is one
    if overdue_total is None:
        overdue_total = Decimal(sum(g[1] for g in groups)).scaleb(-2)
    owing = [g for g in groups if g[1] > 0]
    # The largest first, then the client's id: two sorts by a key read in C (stable).
    owing.sort(key=itemgetter(0))
    owing.sort(key=itemgetter(1), reverse=True)
    return DefaulterList(as_of, billing, overdue_total, tuple(owing), names)


@dataclass(frozen=True)
class DefaulterPages:
    """The defaulters of `defaulter_list`, for a table that shows a page at a time: the
    count and both wholes from one row the database adds up, each page read by the
    database in the report's order (largest overdue first, then the client's id).

    Only the page's rows come into Python: a screen's worker then spends its time inside
    the database, which does not wait on the interface's thread, instead of turning tens
    of thousands of groups into tuples while the screen is being built."""

    flt: ReceivablesFilter
    as_of: dt.date
    billing: Decimal
    overdue: Decimal
    count: int

    def __len__(self) -> int:
        return self.count

    @property
    def overdue_share(self) -> Decimal:
        return share(self.overdue, self.billing)

    def rows(self, offset: int = 0, limit: int | None = None) -> list[Defaulter]:
        """The defaulters from `offset` (`limit` of them, or all), named, with their shares."""
        sql, params, _as_of = _defaulter_groups(self.flt, True)
        page = (
            f"SELECT * FROM ({sql}) p WHERE p.owed > 0 ORDER BY p.owed DESC, p.client_id "
            "LIMIT ? OFFSET ?"
        )
        groups = tuple(
            (r[0], int(r[1]), int(r[2]), r[3], r[4], r[5])
            for r in execute(page, [*params, _no_limit() if limit is None else limit, offset])
        )
        return DefaulterList(self.as_of, self.billing, self.overdue, groups, True).rows()


def _no_limit() -> int | None:
    """A LIMIT that limits nothing: -1 on SQLite, NULL on PostgreSQL (which refuses -1)."""
    return -1 if is_sqlite() else None


def defaulter_pages(flt: ReceivablesFilter) -> DefaulterPages:
    """`defaulter_list` as pages (see `DefaulterPages`): its count, billing and everyone's
    overdue (credits included) from one aggregate row."""
    sql, params, as_of = _defaulter_groups(flt, False)
    row = execute(
        "SELECT COALESCE(SUM(CASE WHEN g.owed > 0 THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(g.owed), 0) FROM ({sql}) g",
        params,
    ).fetchone()
    billing = _billing(flt.every_bucket)
    return DefaulterPages(flt, as_of, billing, Decimal(int(row[1])).scaleb(-2), int(row[0]))


def defaulters_report(
    flt: ReceivablesFilter,
    limit: int | None = None,
    *,
    billing: Decimal | None = None,
    overdue_total: Decimal | None = None,
    names: bool = True,
) -> DefaultersReport:
    """Clients with overdue invoices adding up to more than zero, the largest overdue
    amount first, each with its share of the billing and of everyone's overdue amount
    (`billing` and `overdue_total` may be passed when already known; see
    `defaulter_list`). With `names=False` the clients' names and tax IDs are left
    empty, for `named` to fill in a page at a time."""
    # Names with the aggregate for every row; for a few, a lookup of those few.
    whole = names and limit is None
    found = defaulter_list(flt, billing=billing, overdue_total=overdue_total, names=whole)
    rows = found.rows(0, limit, names=names)
    return DefaultersReport(found.as_of, found.billing, found.overdue, tuple(rows))


def _client_names(ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each client's (name, tax ID), read 500 ids a query."""
    unique = sorted(set(ids))
    known: dict[int, tuple[str, str]] = {}
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for r in execute(f"SELECT id, legal_name, tax_id FROM client WHERE id IN ({marks})", chunk):
            known[r[0]] = (r[1], r[2])
    return known


def named(found: Sequence[Defaulter]) -> list[Defaulter]:
    """`found` with each client's name and tax ID (one query for a page of them)."""
    known = _client_names([d.client_id for d in found])
    return [replace(d, client=known[d.client_id][0], tax_id=known[d.client_id][1]) for d in found]


def defaulters(
    flt: ReceivablesFilter,
    limit: int | None = None,
    *,
    billing: Decimal | None = None,
    overdue_total: Decimal | None = None,
) -> list[Defaulter]:
    """Clients with overdue invoices, the largest overdue amount first, with their shares
    (`defaulters_report`'s rows)."""
    found = defaulters_report(flt, limit, billing=billing, overdue_total=overdue_total)
    return list(found.defaulters)


def overdue_clients(as_of: dt.date | None = None) -> tuple[str, list[object]]:
    """SQL (with its parameters) selecting the ids of the clients with invoices overdue as of
    the date: the board's rule, for the client list's "only with overdue invoices"."""
    day = as_of or dt.date.today()
    source, source_params = _source(day)
    return (
        f"SELECT i.client_id FROM {source} WHERE {UNPAID} AND i.issue_date <= ? AND i.due_date < ?",
        [*source_params, day.isoformat(), day.isoformat()],
    )


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
        # top=0 (the defaulters report lists them all itself): no aggregate for nothing.
        defaulters=tuple(defaulters(flt, top, billing=billing, overdue_total=overdue))
        if top
        else (),
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
