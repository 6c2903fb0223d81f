"""Reports as rows of plain values, shared by the command line, the TUI and the exporters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from .clients import ClientFilter, list_clients


@dataclass(frozen=True)
class ReportColumn:
    key: str
    label: str  # N_-marked; translate at use
    kind: str = "text"  # text money date int percent


CLIENT_COLUMNS = (
    ReportColumn("id", N_("ID"), "int"),
    ReportColumn("name", N_("Name")),
    ReportColumn("trade_name", N_("Trade name")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("email", N_("Email")),
    ReportColumn("phone", N_("Phone")),
    ReportColumn("city", N_("City")),
    ReportColumn("owner", N_("Owner")),
    ReportColumn("revenue_total", N_("Revenue"), "money"),
    ReportColumn("outstanding", N_("Outstanding"), "money"),
)

PAGE = 5000


def client_rows(flt: ClientFilter) -> Iterator[dict[str, Any]]:
    """Every client matching `flt`, read a page at a time."""
    offset = 0
    while True:
        page = list_clients(flt, offset, PAGE)
        for row in page:
            yield {
                "id": row.id,
                "name": row.name,
                "trade_name": row.trade_name,
                "tax_id": row.tax_id,
                "kind": row.kind,
                "email": row.email,
                "phone": row.phone,
                "city": row.city,
                "owner": row.owner,
                "revenue_total": row.revenue_total,
                "outstanding": row.outstanding,
            }
        if len(page) < PAGE:
            return
        offset += PAGE


# --- invoicing: the invoice book, receivables and defaulters (`tui-crm report ...`) ---

INVOICE_COLUMNS = (
    ReportColumn("number", N_("Number")),
    ReportColumn("series", N_("Series")),
    ReportColumn("issue_date", N_("Issue date"), "date"),
    ReportColumn("due_date", N_("Due date"), "date"),
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("base", N_("Base"), "money"),
    ReportColumn("vat", N_("IVA"), "money"),
    ReportColumn("recargo", N_("Recargo"), "money"),
    ReportColumn("irpf", N_("IRPF"), "money"),
    ReportColumn("total", N_("Total"), "money"),
    ReportColumn("paid", N_("Paid"), "money"),
    ReportColumn("outstanding", N_("Outstanding"), "money"),
    ReportColumn("status", N_("Status")),
)
RECEIVABLE_COLUMNS = (
    *INVOICE_COLUMNS,
    ReportColumn("days_overdue", N_("Days overdue"), "int"),
    ReportColumn("bucket", N_("Aging")),
)
DEFAULTER_COLUMNS = (
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("overdue", N_("Overdue"), "money"),
    ReportColumn("invoices", N_("Invoices"), "int"),
    ReportColumn("oldest_days_overdue", N_("Oldest (days)"), "int"),
    ReportColumn("share_of_billing", N_("Share of billing"), "percent"),
    ReportColumn("share_of_overdue", N_("Share of overdue"), "percent"),
)


def _invoice_values(row: Any) -> dict[str, Any]:
    """An invoice list row or a receivables board row as INVOICE_COLUMNS name its values."""
    return {
        "number": row.code,
        "series": row.series,
        "issue_date": row.issue_date,
        "due_date": row.due_date,
        "client": row.client_name,
        "tax_id": row.tax_id,
        "base": row.base,
        "vat": row.vat,
        "recargo": row.recargo,
        "irpf": row.irpf,
        "total": row.total,
        "paid": row.paid,
        "outstanding": row.outstanding,
        "status": row.status,
    }


def invoice_rows(year: int | None = None, as_of=None) -> Iterator[dict[str, Any]]:
    """Every issued invoice (the invoice book), oldest first, read a page at a time."""
    from .invoices import InvoiceFilter, list_invoices

    flt = InvoiceFilter(status="issued_any", year=year, issued_until=as_of)
    offset = 0
    while True:
        page = list_invoices(flt, offset, PAGE, oldest_first=True)
        for row in page:
            yield _invoice_values(row)
        if len(page) < PAGE:
            return
        offset += PAGE


def receivable_rows(
    as_of=None, year: int | None = None, flt: Any = None
) -> Iterator[dict[str, Any]]:
    """Every unpaid issued invoice as of a date, most overdue first (optionally of one year);
    `flt` (a ReceivablesFilter: the board's bucket, client, owner) replaces `as_of`."""
    from .receivables import ReceivablesFilter
    from .receivables import receivable_rows as board_rows

    for row in board_rows(flt or ReceivablesFilter(as_of=as_of)):
        if year is not None and row.issue_date.year != year:
            continue
        values = _invoice_values(row)
        values["days_overdue"] = row.days_overdue
        values["bucket"] = row.bucket
        yield values


def defaulter_rows(as_of=None, year: int | None = None) -> Iterator[dict[str, Any]]:
    """Clients with overdue invoices, the largest overdue amount first (as of the end of
    `year` when given: its 31 December, or the as-of date within it)."""
    from .receivables import ReceivablesFilter, defaulters

    if year is not None:  # checked now, before any row is written
        from .analytics import report_period

        as_of = report_period(year, as_of).end
    return _defaulter_rows(defaulters(ReceivablesFilter(as_of=as_of)))


def _defaulter_rows(found: list[Any]) -> Iterator[dict[str, Any]]:
    for row in found:
        yield {
            "client": row.client,
            "tax_id": row.tax_id,
            "overdue": row.overdue,
            "invoices": row.invoices,
            "oldest_days_overdue": row.oldest_days_overdue,
            "share_of_billing": row.share_of_billing,
            "share_of_overdue": row.share_of_overdue,
        }


# --- agenda and timeline (`report agenda`, `report timeline --client TAX_ID`) ---------

AGENDA_COLUMNS = (
    ReportColumn("due_date", N_("Date"), "date"),
    ReportColumn("client", N_("Client")),
    ReportColumn("client_id", N_("Client ID"), "int"),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("subject", N_("Subject")),
    ReportColumn("contact", N_("Contact")),
    ReportColumn("author", N_("Author")),
    ReportColumn("status", N_("Status")),
)

TIMELINE_COLUMNS = (
    ReportColumn("occurred_at", N_("When"), "date"),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("subject", N_("Subject")),
    ReportColumn("body", N_("Text")),
    ReportColumn("outcome", N_("Outcome")),
    ReportColumn("contact", N_("Contact")),
    ReportColumn("project", N_("Project")),
    ReportColumn("author", N_("Author")),
    ReportColumn("due_date", N_("Due"), "date"),
    ReportColumn("done_at", N_("Done"), "date"),
)


def agenda_rows(flt: Any) -> Iterator[dict[str, Any]]:
    """Follow-ups and meetings of the agenda (see `services.agenda`)."""
    from .agenda import agenda_rows as rows

    return rows(flt)


def client_id_for(tax_id_or_id: str) -> int | None:
    """A live client by tax ID (any of the forms it may be on file as), else by its number."""
    from .clients import find_by_tax_id
    from .records import live_client

    found = find_by_tax_id(tax_id_or_id)
    if found is None and tax_id_or_id.strip().isdigit():
        try:
            found = live_client(int(tax_id_or_id)).id
        except Exception:
            return None
    return found


def timeline_rows(client_id: int) -> Iterator[dict[str, Any]]:
    """A client's timeline, follow-ups first then newest first; times in local time."""
    import datetime as dt

    from .timeline import list_timeline

    def local(moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.replace(tzinfo=dt.UTC).astimezone()

    offset = 0
    while True:
        page = list_timeline(client_id, offset, PAGE)
        for row in page:
            yield {
                "occurred_at": local(row.occurred_at),
                "kind": row.kind,
                "subject": row.subject,
                "body": row.body,
                "outcome": row.outcome,
                "contact": row.contact_name,
                "project": row.project_name,
                "author": row.author,
                "due_date": row.due_date,
                "done_at": local(row.done_at),
            }
        if len(page) < PAGE:
            return
        offset += PAGE


# --- VERI*FACTU: the records, in chain order (`report verifactu`) ---------------------

VERIFACTU_COLUMNS = (
    ReportColumn("number", N_("Number")),
    ReportColumn("issue_date", N_("Issue date")),
    ReportColumn("record_type", N_("Record")),
    ReportColumn("invoice_type", N_("Type")),
    ReportColumn("vat_total", N_("Taxes")),
    ReportColumn("total", N_("Total")),
    ReportColumn("previous_hash", N_("Previous hash")),
    ReportColumn("hash", N_("Hash")),
    ReportColumn("generated_at", N_("Generated at")),
    ReportColumn("status", N_("Status")),
    ReportColumn("error_code", N_("Error code")),
    ReportColumn("error", N_("Error")),
    ReportColumn("csv", N_("CSV")),
)


_OPTIONAL_IN_A_RECORD = frozenset(
    {"invoice_type", "vat_total", "total", "previous_hash", "error_code", "error", "csv"}
)


def verifactu_rows() -> Iterator[dict[str, Any]]:
    """One row per VERI*FACTU record, in chain order (what a record lacks is empty)."""
    from .verifactu import report_rows

    for r in report_rows():
        row = {c.key: getattr(r, c.key) for c in VERIFACTU_COLUMNS}
        for key in _OPTIONAL_IN_A_RECORD:
            if row[key] == "":
                row[key] = None
        yield row


# --- analytics: revenue ranking, monthly revenue, P&L, pipeline (`report revenue` ...) -----
# Shares are fractions 0..1 (JSON "0.2500"); `*_pct` are percentages ("12.50"). The
# spreadsheet writer reads kind "percent" as a percentage: `as_percentages` converts the
# fraction columns (FRACTION_KEYS) before an export.

FRACTION_KEYS = frozenset({"share", "share_of_billing", "share_of_overdue"})

REVENUE_COLUMNS = (
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("revenue", N_("Revenue"), "money"),
    ReportColumn("share", N_("Share"), "percent"),
    ReportColumn("previous_revenue", N_("Previous year"), "money"),
    ReportColumn("change", N_("Change"), "money"),
    ReportColumn("change_pct", N_("Change %"), "percent"),
)
MONTHLY_COLUMNS = (
    ReportColumn("month", N_("Month")),
    ReportColumn("revenue", N_("Revenue"), "money"),
    ReportColumn("previous_year_revenue", N_("Previous year"), "money"),
)
PNL_COLUMNS = (
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("month", N_("Month")),
    ReportColumn("sales", N_("Sales"), "money"),
    ReportColumn("cost_of_sales", N_("Cost of sales"), "money"),
    ReportColumn("margin", N_("Margin"), "money"),
    ReportColumn("margin_pct", N_("Margin %"), "percent"),
)
PIPELINE_COLUMNS = (
    ReportColumn("stage", N_("Stage")),
    ReportColumn("count", N_("Opportunities"), "int"),
    ReportColumn("amount", N_("Amount"), "money"),
    ReportColumn("weighted_amount", N_("Weighted"), "money"),
)


def revenue_rows(
    year: int | None = None, as_of=None, top: int | None = None
) -> Iterator[dict[str, Any]]:
    """The client ranking of a year (to the as-of date): every client with revenue in it
    or in the previous year, the largest first; with `top`, the top and bottom `top`."""
    from .analytics import client_ranking, ranking_rows, report_period

    period = report_period(year, as_of)  # refused now, before any row is written
    if top is None:
        return _revenue_rows(ranking_rows(period))
    ranking = client_ranking(period, top)
    seen = {r.rank for r in ranking.top}
    return _revenue_rows(
        [*ranking.top, *(r for r in reversed(ranking.bottom) if r.rank not in seen)]
    )


def _revenue_rows(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for r in rows:
        yield {
            "client": r.client,
            "tax_id": r.tax_id,
            "revenue": r.revenue,
            "share": r.share,
            "previous_revenue": r.previous_revenue,
            "change": r.change,
            "change_pct": r.change_pct,
        }


def monthly_rows(year: int | None = None, as_of=None) -> Iterator[dict[str, Any]]:
    """Revenue of the 24 months ending with the period's last month, beside the year before."""
    from .analytics import monthly_revenue, report_period

    return iter(
        [
            {
                "month": r.month,
                "revenue": r.revenue,
                "previous_year_revenue": r.previous_year_revenue,
            }
            for r in monthly_revenue(report_period(year, as_of))
        ]
    )


def pnl_rows(year: int | None = None, as_of=None) -> Iterator[dict[str, Any]]:
    """Sales, cost of sales and margin per client and month of the year (to the as-of date)."""
    from .analytics import iter_pnl_rows, report_period

    return _pnl_rows(iter_pnl_rows(report_period(year, as_of)))


def _pnl_rows(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for r in rows:
        yield {
            "client": r.client,
            "tax_id": r.tax_id,
            "month": r.month,
            "sales": r.sales,
            "cost_of_sales": r.cost_of_sales,
            "margin": r.margin,
            "margin_pct": r.margin_pct,
        }


def pipeline_rows(year: int | None = None, as_of=None) -> Iterator[dict[str, Any]]:
    """Opportunities per stage (count, amount, weighted amount); with a year, those
    expected to close in it."""
    from .analytics import pipeline_by_stage, report_period

    return iter(
        [
            {
                "stage": r.stage,
                "count": r.count,
                "amount": r.amount,
                "weighted_amount": r.weighted_amount,
            }
            for r in pipeline_by_stage(report_period(year, as_of), by_year=year is not None)
        ]
    )


def as_percentages(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The same rows with shares as percentages (0.25 -> 25), for the spreadsheet writer."""
    for row in rows:
        yield {k: (v * 100 if k in FRACTION_KEYS and v is not None else v) for k, v in row.items()}
