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
    row = execute(
        "SELECT COALESCE(SUM(CASE WHEN status <> 'draft' THEN base_cents END), 0), "
        "COALESCE(SUM(CASE WHEN status <> 'draft' AND issue_date >= ? AND issue_date <= ? "
        "  THEN base_cents END), 0), "
        "COALESCE(SUM(CASE WHEN status IN ('issued', 'partially_paid') "
        "  THEN outstanding_cents END), 0), "
        "COALESCE(SUM(CASE WHEN status IN ('issued', 'partially_paid') AND due_date < ? "
        "  THEN outstanding_cents END), 0), "
        "COUNT(CASE WHEN status IN ('issued', 'partially_paid') AND due_date < ? "
        "  AND outstanding_cents <> 0 THEN 1 END) "
        "FROM invoice WHERE client_id = ?",
        (
            dt.date(day.year, 1, 1).isoformat(),
            day.isoformat(),
            day.isoformat(),
            day.isoformat(),
            client_id,
        ),
    ).fetchone()
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
    "SELECT 'quote' AS kind, id, code, date AS day, title, status, total_cents, 0 AS open, "
    "valid_until AS due FROM quote WHERE client_id = ? "
    "UNION ALL SELECT 'order', id, code, date, title, status, total_cents, 0, NULL "
    "FROM sales_order WHERE client_id = ? "
    "UNION ALL SELECT 'invoice', id, COALESCE(code, ''), "
    "COALESCE(issue_date, substr(created_at, 1, 10)), "
    "CASE WHEN rectification_reason <> '' THEN rectification_reason ELSE notes END, status, "
    "total_cents, outstanding_cents, due_date FROM invoice WHERE client_id = ?"
)


def count_sales(client_id: int) -> int:
    return int(execute(f"SELECT COUNT(*) FROM ({_SALES}) sales", (client_id,) * 3).fetchone()[0])


def list_sales(client_id: int, offset: int = 0, limit: int | None = 100) -> list[SalesRow]:
    """Quotes, orders and invoices of a client, newest first (drafts by their creation day)."""
    sql = f"SELECT * FROM ({_SALES}) sales ORDER BY day DESC, kind, id DESC"
    params: list[object] = [client_id] * 3
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
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
        for r in execute(sql, params)
    ]
