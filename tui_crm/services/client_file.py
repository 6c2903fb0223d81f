"""Everything the client file shows, read in a few aggregate queries (never row by row).

- `client_file(id)`: the client's data, tags, custom values, how many records each
  tab holds, and the key figures: revenue total and this year (taxable base of
  issued invoices), outstanding and overdue (unpaid issued invoices, overdue = due
  date passed), computed in SQL from the invoices themselves;
- `list_sales(id, offset, limit)`: the client's quotes, orders and invoices, newest
  first, a page at a time (a client may have thousands).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..db import execute
from ..i18n import N_
from ..money import from_cents
from . import custom_fields, tags
from .clients import ClientDetail, get_client

SALES_KINDS = {"quote": N_("Quote"), "order": N_("Order"), "invoice": N_("Invoice")}
TABS = ("addresses", "contacts", "timeline", "projects", "opportunities", "documents", "sales")


@dataclass(frozen=True)
class KeyFigures:
    revenue_total: Decimal
    revenue_year: Decimal
    outstanding: Decimal
    overdue: Decimal
    overdue_invoices: int
    open_follow_ups: int
    overdue_follow_ups: int


@dataclass(frozen=True)
class ClientFile:
    detail: ClientDetail
    figures: KeyFigures
    tags: list[str]
    custom: list[tuple[str, str, str]]  # (key, label, shown value), in definition order
    counts: dict[str, int] = field(default_factory=dict)
    merged_names: list[str] = field(default_factory=list)  # records merged into this one


def key_figures(client_id: int, as_of: dt.date | None = None) -> KeyFigures:
    """Revenue, outstanding and overdue of one client, aggregated in SQL."""
    day = as_of or dt.date.today()
    if as_of is None:
        # Revenue per year is kept by the database (client_revenue, migration 0004).
        revenue = execute(
            "SELECT COALESCE(SUM(base_cents), 0), "
            "COALESCE(SUM(CASE WHEN year = ? THEN base_cents END), 0) "
            "FROM client_revenue WHERE client_id = ?",
            (day.year, client_id),
        ).fetchone()
    else:  # a past day: only what was issued up to it counts
        revenue = execute(
            "SELECT COALESCE(SUM(base_cents), 0), "
            "COALESCE(SUM(CASE WHEN issue_date >= ? THEN base_cents END), 0) "
            "FROM invoice WHERE client_id = ? AND status NOT IN ('draft', 'voided') "
            "AND issue_date <= ?",
            (dt.date(day.year, 1, 1).isoformat(), client_id, day.isoformat()),
        ).fetchone()
    unpaid = execute(
        "SELECT COALESCE(SUM(outstanding_cents), 0), "
        "COALESCE(SUM(CASE WHEN due_date < ? THEN outstanding_cents END), 0), "
        "COUNT(CASE WHEN due_date < ? THEN 1 END) "
        "FROM invoice WHERE client_id = ? AND status IN ('issued', 'partially_paid') "
        "AND outstanding_cents <> 0",
        (day.isoformat(), day.isoformat(), client_id),
    ).fetchone()
    row = (*revenue, *unpaid)
    follow = execute(
        "SELECT COUNT(*), COUNT(CASE WHEN due_date < ? THEN 1 END) FROM activity "
        "WHERE client_id = ? AND due_date IS NOT NULL AND done_at IS NULL",
        (day.isoformat(), client_id),
    ).fetchone()
    return KeyFigures(
        revenue_total=from_cents(int(row[0])),
        revenue_year=from_cents(int(row[1])),
        outstanding=from_cents(int(row[2])),
        overdue=from_cents(int(row[3])),
        overdue_invoices=int(row[4]),
        open_follow_ups=int(follow[0]),
        overdue_follow_ups=int(follow[1]),
    )


def tab_counts(client_id: int) -> dict[str, int]:
    row = execute(
        "SELECT (SELECT COUNT(*) FROM address WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM contact WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM activity WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM project WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM opportunity WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM document WHERE client_id = ?), "
        "(SELECT COUNT(*) FROM quote WHERE client_id = ?) + "
        "(SELECT COUNT(*) FROM sales_order WHERE client_id = ?) + "
        "(SELECT COUNT(*) FROM invoice WHERE client_id = ?)",
        (client_id,) * 9,
    ).fetchone()
    return dict(zip(TABS, (int(v) for v in row), strict=True))


def client_file(client_id: int, as_of: dt.date | None = None) -> ClientFile:
    """The client file's header and overview (NotFound for a missing or merged client)."""
    detail = get_client(client_id)
    values = custom_fields.values_of(client_id)
    custom = [
        (d.key, d.label, custom_fields.display(d, values.get(d.key, "")))
        for d in custom_fields.list_definitions()
    ]
    merged = [
        r[0]
        for r in execute(
            "SELECT legal_name FROM client WHERE merged_into_id = ? AND status = 'merged' "
            "ORDER BY legal_name",
            (client_id,),
        )
    ]
    return ClientFile(
        detail=detail,
        figures=key_figures(client_id, as_of),
        tags=tags.tags_of(client_id),
        custom=custom,
        counts=tab_counts(client_id),
        merged_names=merged,
    )


@dataclass(frozen=True)
class SalesRow:
    kind: str  # quote / order / invoice
    id: int
    code: str
    date: dt.date | None
    title: str
    status: str
    total: Decimal
    outstanding: Decimal
    due_date: dt.date | None


def _date(value: object) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


_SALES = (
    # (kind, FROM/WHERE/ORDER BY of one index walk, newest first)
    (
        "quote",
        "SELECT 'quote', id, code, date, title, status, total_cents, 0, valid_until "
        "FROM quote WHERE client_id = ? ORDER BY date DESC, id DESC",
    ),
    (
        "order",
        "SELECT 'order', id, code, date, title, status, total_cents, 0, NULL "
        "FROM sales_order WHERE client_id = ? ORDER BY date DESC, id DESC",
    ),
    (
        "invoice",
        "SELECT 'invoice', id, COALESCE(code, ''), issue_date, "
        "CASE WHEN rectification_reason <> '' THEN rectification_reason ELSE notes END, "
        "status, total_cents, outstanding_cents, due_date FROM invoice "
        "WHERE client_id = ? AND issue_date IS NOT NULL ORDER BY issue_date DESC, id DESC",
    ),
    (
        "draft",
        "SELECT 'invoice', id, COALESCE(code, ''), substr(created_at, 1, 10), "
        "CASE WHEN rectification_reason <> '' THEN rectification_reason ELSE notes END, "
        "status, total_cents, outstanding_cents, due_date FROM invoice "
        "WHERE client_id = ? AND issue_date IS NULL ORDER BY created_at DESC, id DESC",
    ),
)


def count_sales(client_id: int) -> int:
    row = execute(
        "SELECT (SELECT COUNT(*) FROM quote WHERE client_id = ?) + "
        "(SELECT COUNT(*) FROM sales_order WHERE client_id = ?) + "
        "(SELECT COUNT(*) FROM invoice WHERE client_id = ?)",
        (client_id,) * 3,
    ).fetchone()
    return int(row[0])


def list_sales(client_id: int, offset: int = 0, limit: int | None = 100) -> list[SalesRow]:
    """Quotes, orders and invoices of a client, newest first (drafts by their creation day).

    Each kind is read in its own index order, only as far as the page needs, and the
    walks are merged here: a client with thousands of invoices opens as fast as one
    with ten.
    """
    page = "" if limit is None else " LIMIT ?"
    page_params: list[object] = [] if limit is None else [offset + limit]
    found: list[tuple] = []
    for _kind, sql in _SALES:
        found.extend(execute(sql + page, [client_id, *page_params]).fetchall())
    # newest first (ISO days sort as text); on the same day invoices, then orders, then
    # quotes; the newest id first. Only the page's rows become SalesRow objects.
    found.sort(key=lambda r: (r[0], -r[1]))
    found.sort(key=lambda r: str(r[3] or "")[:10], reverse=True)
    end = None if limit is None else offset + limit
    return [
        SalesRow(
            kind=r[0],
            id=r[1],
            code=r[2] or "",
            date=_date(r[3]),
            title=(r[4] or "").split("\n", 1)[0],
            status=r[5],
            total=from_cents(int(r[6])),
            outstanding=from_cents(int(r[7])),
            due_date=_date(r[8]),
        )
        for r in found[offset:end]
    ]
