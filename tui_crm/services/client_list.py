"""The client list, read a page at a time (the browser, the pickers and `report clients`).

Only SQL over the client table and the figures kept beside it: the list's first page is
on the way to the application's first paint, so this module imports no model and none
of the rules for writing a client (`services.clients`, which re-exports these names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from ..db import execute, is_sqlite
from ..money import from_cents
from ..text import fold
from . import search

# "revenue" is this calendar year's revenue (the browser's column); it is read from
# `client_revenue` (kept by triggers, migration 0004) in two index walks, see
# `_list_by_revenue`. The other orders each have a matching index.
SORTS = {
    "name": "c.sort_name, c.id",
    "revenue": "",
    "revenue_total": "c.revenue_total_cents DESC, c.sort_name, c.id",
    "outstanding": "c.outstanding_cents DESC, c.sort_name, c.id",
    "last_activity": "c.last_activity_at DESC, c.sort_name, c.id",
}


@dataclass(frozen=True)
class ClientFilter:
    text: str = ""
    kind: str = ""  # "", "lead", "client"
    status: str = "active"  # "active", "archived", "" (both)
    owner_login: str = ""
    tag: str = ""
    has_overdue: bool = False
    sort: str = "name"
    as_of: dt.date | None = None


@dataclass(frozen=True)
class ClientRow:
    id: int
    name: str
    trade_name: str
    tax_id: str
    kind: str
    status: str
    email: str
    phone: str
    city: str
    owner: str
    revenue_total: Decimal
    outstanding: Decimal
    revenue_year: Decimal = Decimal("0.00")  # taxable base invoiced this calendar year


def _source(flt: ClientFilter) -> str:
    """The FROM of the list: the search index joined to its clients for a substring
    search (`search.joins_search`), else the clients; `_where(..., joined=True)` goes
    with it."""
    return search.search_join() if search.joins_search(flt.text) else "client c"


def _where(
    flt: ClientFilter, *, status_index: bool = True, joined: bool = False
) -> tuple[str, list[object]]:
    """The WHERE clause of the list. Without `status_index` the status test is written so
    that SQLite does not drive the query from the status index (`+c.status`): a search or
    a sort by another index is then far cheaper than walking every active client. With
    `joined` it goes with `FROM _source(flt)`."""
    clauses = ["c.status <> 'merged'"]
    params: list[object] = []
    if flt.status:
        clauses.append("c.status = ?" if status_index or not is_sqlite() else "+c.status = ?")
        params.append(flt.status)
    if flt.kind:
        clauses.append("c.kind = ?")
        params.append(flt.kind)
    if flt.owner_login:
        clauses.append('c.owner_id = (SELECT id FROM "user" WHERE login = ?)')
        params.append(flt.owner_login)
    if flt.tag:
        clauses.append(
            "c.id IN (SELECT ct.client_id FROM client_tag ct JOIN tag t ON t.id = ct.tag_id "
            "WHERE t.name = ?)"
        )
        params.append(flt.tag)
    if flt.has_overdue:
        from .receivables import overdue_clients

        overdue_sql, overdue_params = overdue_clients(flt.as_of)  # as of the date, paid or not
        clauses.append(f"c.id IN ({overdue_sql})")
        params.extend(overdue_params)
    if flt.text.strip():
        condition, condition_params = search.search_condition(flt.text, joined=joined)
        clauses.append(condition)
        params.extend(condition_params)
    return " AND ".join(clauses), params


def _prefix_search(flt: ClientFilter) -> bool:
    """A search of one or two letters: a prefix of names and tax IDs (index ranges)."""
    return 0 < len(fold(flt.text.strip())) < search.MIN_TRIGRAM


def count_clients(flt: ClientFilter) -> int:
    """How many clients the list holds (every page of `list_clients`)."""
    if _prefix_search(flt):
        return _prefix_count(flt)
    where, params = _where(flt, joined=True)
    sql = f"SELECT COUNT(*) FROM {_source(flt)} WHERE {where}"
    return int(execute(sql, params).fetchone()[0])


def _prefix_count(flt: ClientFilter) -> int:
    """The count of a one- or two-letter search: the names in the name range, plus the
    tax IDs in the tax ID range whose name is not in the other (each answered from an
    index holding the status and sort name, `client_tax_id_status_sort` for the tax IDs),
    instead of looking up every match of both: "b" holds some 46,000 tax IDs."""
    name_from, name_before, tax_from, tax_before = search.prefix_ranges(flt.text)
    unfiltered = replace(flt, text="")
    by_name, name_params = _where(unfiltered)
    by_tax, tax_params = _where(unfiltered, status_index=False)
    # On SQLite `+c.sort_name` keeps the name range a test, so the tax IDs' index drives.
    sort_name = "+c.sort_name" if is_sqlite() else "c.sort_name"
    sql = (
        f"SELECT (SELECT COUNT(*) FROM client c WHERE {by_name} "
        "AND c.sort_name >= ? AND c.sort_name < ?), "
        f"(SELECT COUNT(*) FROM client c WHERE {by_tax} "
        f"AND c.tax_id_compact >= ? AND c.tax_id_compact < ? "
        f"AND NOT ({sort_name} >= ? AND {sort_name} < ?))"
    )
    params = [
        *[*name_params, name_from, name_before],
        *[*tax_params, tax_from, tax_before, name_from, name_before],
    ]
    named, taxed = execute(sql, params).fetchone()
    return int(named) + int(taxed)


_ROW_COLUMNS = (
    "c.id, c.legal_name, c.trade_name, c.tax_id, c.kind, c.status, c.email, "
    "COALESCE(NULLIF(c.phone, ''), c.mobile), "
    "(SELECT a.city FROM address a WHERE a.client_id = c.id "
    " ORDER BY a.is_invoice_default DESC, a.id LIMIT 1), "
    '(SELECT u.login FROM "user" u WHERE u.id = c.owner_id), '
    "c.revenue_total_cents, c.outstanding_cents, "
    "COALESCE((SELECT r.base_cents FROM client_revenue r WHERE r.client_id = c.id "
    " AND r.year = ?), 0)"
)


def _client_rows(sql: str, params: list[object]) -> list[ClientRow]:
    return [
        ClientRow(
            id=r[0],
            name=r[1],
            trade_name=r[2],
            tax_id=r[3],
            kind=r[4],
            status=r[5],
            email=r[6],
            phone=r[7] or "",
            city=r[8] or "",
            owner=r[9] or "",
            revenue_total=from_cents(int(r[10])),
            outstanding=from_cents(int(r[11])),
            revenue_year=from_cents(int(r[12])),
        )
        for r in execute(sql, params)
    ]


def _page(offset: int, limit: int | None) -> tuple[str, list[object]]:
    if limit is None:
        if not offset:
            return "", []
        return (" LIMIT -1 OFFSET ?" if is_sqlite() else " OFFSET ?"), [offset]
    return " LIMIT ? OFFSET ?", [limit, offset]


def list_clients(flt: ClientFilter, offset: int = 0, limit: int | None = 100) -> list[ClientRow]:
    """One page of the client list; only that page is read."""
    year = (flt.as_of or dt.date.today()).year
    if flt.sort == "revenue":
        return _list_by_revenue(flt, year, offset, limit)
    # Walk the status index in name order unless another index serves better: the sort's
    # own index (outstanding, last activity) or a prefix search's ranges. A substring
    # search walks the names too: its matches are spread across the alphabet.
    status_index = flt.sort == "name" and not _prefix_search(flt)
    where, params = _where(flt, status_index=status_index, joined=True)
    order = SORTS.get(flt.sort) or SORTS["name"]
    rank, rank_params = _name_rank(flt)
    if rank:
        order = f"{rank}, {order}"
        params = [*params, *rank_params]
    if flt.sort == "last_activity" and not is_sqlite():
        order = "c.last_activity_at DESC NULLS LAST, c.sort_name, c.id"
    if flt.sort == "name" and _prefix_search(flt) and limit is not None:
        return _prefix_page(flt, year, offset, limit)
    if rank and limit is not None:
        rows = _name_start_page(flt, year, offset, limit)
        if len(rows) == limit:
            return rows
    page, page_params = _page(offset, limit)
    sql = f"SELECT {_ROW_COLUMNS} FROM {_source(flt)} WHERE {where} ORDER BY {order}{page}"
    return _client_rows(sql, [year, *params, *page_params])


def _prefix_page(flt: ClientFilter, year: int, offset: int, limit: int) -> list[ClientRow]:
    """A page of a one- or two-letter search by name: the first offset+limit names in
    the name range (walking the name index, it stops there) merged with the first
    offset+limit of the tax ID range; the page is in that union. Sorting every match
    of both ranges took 20 ms for "m"; this reads a page."""
    name_from, name_before, tax_from, tax_before = search.prefix_ranges(flt.text)
    unfiltered = replace(flt, text="")
    by_name, name_params = _where(unfiltered)
    by_tax, tax_params = _where(unfiltered, status_index=False)
    wanted = offset + limit
    arm = "SELECT * FROM (SELECT c.id, c.sort_name FROM client c WHERE {} AND {} "
    arm += "ORDER BY c.sort_name, c.id LIMIT ?) AS {}"
    page_ids = (
        "SELECT id FROM ("
        + arm.format(by_name, "c.sort_name >= ? AND c.sort_name < ?", "by_name")
        + " UNION "
        + arm.format(by_tax, "c.tax_id_compact >= ? AND c.tax_id_compact < ?", "by_tax")
        + ") AS matches ORDER BY sort_name, id LIMIT ? OFFSET ?"
    )
    params = [
        *[*name_params, name_from, name_before, wanted],
        *[*tax_params, tax_from, tax_before, wanted],
        limit,
        offset,
    ]
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM client c WHERE c.id IN ({page_ids}) ORDER BY c.sort_name, c.id"
    )
    return _client_rows(sql, [year, *params])


def _name_start_page(flt: ClientFilter, year: int, offset: int, limit: int) -> list[ClientRow]:
    """A page of a substring search by name read from the names that start with the text,
    which rank first (`_name_rank`: the name itself, then the names starting with it),
    in name order: a walk of the name index's range, each name's document checked by its
    key. When it holds a whole page (`limit` rows), that page is the search's page; fewer
    rows mean the page reaches the names that rank below, and the caller reads it from
    the index. "mun" matches some 9,500 documents at 100,000 clients, but its first page
    is among the 131 names starting with "mun"."""
    folded = fold(flt.text.strip())
    if len(folded) > 200:  # longer than a sort name: none starts with it
        return []
    if not folded[-1].isalnum():
        # The range ends at the text with its last character raised; a language's
        # collation (PostgreSQL's, when it is not C) may ignore a space or punctuation
        # there and leave names starting with the text outside the range.
        return []
    name_from, name_before, _tax_from, _tax_before = search.prefix_ranges(folded)
    where, params = _where(replace(flt, text=""))
    starts = "instr(c.sort_name, ?)" if is_sqlite() else "strpos(c.sort_name, ?)"
    document, document_params = search.document_condition(folded)
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM client c WHERE {where} "
        f"AND c.sort_name >= ? AND c.sort_name < ? AND {starts} = 1 AND {document} "
        "ORDER BY c.sort_name, c.id LIMIT ? OFFSET ?"
    )
    return _client_rows(
        sql, [year, *params, name_from, name_before, folded, *document_params, limit, offset]
    )


def _list_by_revenue(
    flt: ClientFilter, year: int, offset: int, limit: int | None
) -> list[ClientRow]:
    """By this year's revenue, highest first; clients without revenue follow by name.

    Two index walks instead of a sort of every client: those with revenue this year in
    `client_revenue_year_base` order, then the others in `sort_name` order. A page in the
    second half of a group is read walking that group's index backwards, so the last
    page is as quick as the first.
    """
    where, params = _where(flt)
    earning = (
        f"FROM client_revenue er JOIN client c ON c.id = er.client_id "
        f"WHERE er.year = ? AND er.base_cents > 0 AND {where}"
    )
    earning_params = [year, *params]
    others = (
        f"FROM client c WHERE {where} AND NOT EXISTS "
        "(SELECT 1 FROM client_revenue nr WHERE nr.client_id = c.id AND nr.year = ? "
        "AND nr.base_cents > 0)"
    )
    others_params = [*params, year]
    first_order = (
        "er.base_cents DESC, c.sort_name, c.id",
        "er.base_cents, c.sort_name DESC, c.id DESC",
    )
    rest_order = ("c.sort_name, c.id", "c.sort_name DESC, c.id DESC")

    if offset == 0 and limit is not None:
        # The usual first page: no counting at all unless the earners do not fill it.
        rows = _client_rows(
            f"SELECT {_ROW_COLUMNS} {earning} ORDER BY {first_order[0]} LIMIT ?",
            [year, *earning_params, limit],
        )
        if len(rows) >= limit:
            return rows
        return rows + _client_rows(
            f"SELECT {_ROW_COLUMNS} {others} ORDER BY {rest_order[0]} LIMIT ?",
            [year, *others_params, limit - len(rows)],
        )

    earning_count = _earning_count(flt, year, earning, earning_params)
    rows: list[ClientRow] = []
    wanted = limit
    if offset < earning_count:
        rows = _group_page(
            earning, earning_params, first_order, year, offset, wanted, earning_count
        )
        if limit is not None and len(rows) >= limit:
            return rows
        wanted = None if limit is None else limit - len(rows)
        rest_offset = 0
    else:
        rest_offset = offset - earning_count
    others_count = count_clients(flt) - earning_count
    return rows + _group_page(
        others, others_params, rest_order, year, rest_offset, wanted, others_count
    )


def _earning_count(flt: ClientFilter, year: int, earning: str, earning_params: list[object]) -> int:
    """How many clients of the list have revenue this year.

    With only a status filter (the browser's usual view) the count is every earner minus
    the earners of the other statuses, read through the status index; counting the
    matching earners directly would look up tens of thousands of clients.
    """
    from dataclasses import replace

    if replace(flt, sort="name", as_of=None) == ClientFilter(status=flt.status):
        others = ("active", "archived", "merged") if flt.status else ("merged",)
        others = tuple(s for s in others if s != flt.status)
        marks = ", ".join("?" for _ in others)
        row = execute(
            "SELECT (SELECT COUNT(*) FROM client_revenue WHERE year = ? AND base_cents > 0), "
            f"(SELECT COUNT(*) FROM client c WHERE c.status IN ({marks}) AND EXISTS "
            "(SELECT 1 FROM client_revenue r WHERE r.client_id = c.id AND r.year = ? "
            "AND r.base_cents > 0))",
            [year, *others, year],
        ).fetchone()
        return int(row[0]) - int(row[1])
    return int(execute(f"SELECT COUNT(*) {earning}", earning_params).fetchone()[0])


def _group_page(
    from_where: str,
    params: list[object],
    orders: tuple[str, str],
    year: int,
    offset: int,
    limit: int | None,
    size: int,
) -> list[ClientRow]:
    """Rows offset..offset+limit of one group; from its end when that is nearer."""
    if limit is not None and offset > size // 2:
        # Walk backwards: the rows size-offset-limit .. size-offset of the reversed order.
        end = max(0, size - offset)
        take = min(limit, end)
        if take <= 0:
            return []
        back_offset = end - take
        rows = _client_rows(
            f"SELECT {_ROW_COLUMNS} {from_where} ORDER BY {orders[1]} LIMIT ? OFFSET ?",
            [year, *params, take, back_offset],
        )
        return rows[::-1]
    page, page_params = _page(offset, limit)
    return _client_rows(
        f"SELECT {_ROW_COLUMNS} {from_where} ORDER BY {orders[0]}{page}",
        [year, *params, *page_params],
    )


def _name_rank(flt: ClientFilter) -> tuple[str, list[object]]:
    """A search sorted by name lists the clients whose name matches first: the name
    itself, then names starting with the text, then names containing it, then the rest
    (matched by a contact, an email...): "treviño" puts Transportes Treviño above the
    client whose contact is called Treviño. ("", []) when there is nothing to rank."""
    folded = fold(flt.text.strip())
    if flt.sort != "name" or len(folded) < search.MIN_TRIGRAM:
        return "", []
    inside = "instr(c.sort_name, ?)" if is_sqlite() else "strpos(c.sort_name, ?)"
    return (
        f"CASE WHEN c.sort_name = ? THEN 0 WHEN {inside} = 1 THEN 1 "
        f"WHEN {inside} > 0 THEN 2 ELSE 3 END",
        [folded[:200], folded, folded],
    )


def position_of(flt: ClientFilter, client_id: int) -> int | None:
    """Index of a client in the list sorted by name (to put the cursor on it), or None;
    in a search, after the names that rank above it (`_name_rank`)."""
    where, params = _where(flt)
    rank, rank_params = _name_rank(replace(flt, sort="name"))
    rank = rank or "0"
    row = execute(
        f"SELECT c.sort_name, {rank} FROM client c WHERE {where} AND c.id = ?",
        [*rank_params, *params, client_id],
    ).fetchone()
    if row is None:
        return None
    before = execute(
        f"SELECT COUNT(*) FROM client c WHERE {where} "
        f"AND ({rank} < ? OR ({rank} = ? AND "
        "(c.sort_name < ? OR (c.sort_name = ? AND c.id < ?))))",
        [*params, *rank_params, row[1], *rank_params, row[1], row[0], row[0], client_id],
    ).fetchone()
    return int(before[0])
