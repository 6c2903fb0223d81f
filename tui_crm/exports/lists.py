"""The lists `tui-crm export LIST` and the `x` key write to Excel, and where their rows come from.

Each list names its columns (`ReportColumn`, whose kind decides the cell format),
builds its filter from the same options as the screen or `report` command, and
streams its rows from the services a page or a cursor at a time: an export of a
million invoices never holds them all. Only lists whose services exist are here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..i18n import N_, _
from ..services.reports import ReportColumn

PAGE = 2000

KIND_LABELS = {"lead": N_("Lead"), "client": N_("Client")}
STATUS_LABELS = {"active": N_("Active"), "archived": N_("Archived"), "merged": N_("Merged")}
INVOICE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "issued": N_("Issued"),
    "partially_paid": N_("Partially paid"),
    "paid": N_("Paid"),
    "voided": N_("Voided"),
}
INVOICE_KIND_LABELS = {"standard": N_("Invoice"), "rectifying": N_("Rectifying")}

CLIENT_COLUMNS = (
    ReportColumn("id", N_("ID"), "int"),
    ReportColumn("name", N_("Name")),
    ReportColumn("trade_name", N_("Trade name")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("status", N_("Status")),
    ReportColumn("email", N_("Email")),
    ReportColumn("phone", N_("Phone")),
    ReportColumn("mobile", N_("Mobile")),
    ReportColumn("fax", N_("Fax")),
    ReportColumn("website", N_("Website")),
    ReportColumn("address", N_("Address")),
    ReportColumn("address2", N_("Address line 2")),
    ReportColumn("postal_code", N_("Postal code")),
    ReportColumn("city", N_("City")),
    ReportColumn("province", N_("Province")),
    ReportColumn("country", N_("Country")),
    ReportColumn("owner", N_("Owner")),
    ReportColumn("payment_days", N_("Payment days"), "int"),
    ReportColumn("iban", N_("IBAN")),
    ReportColumn("revenue_year", N_("Revenue this year"), "money"),
    ReportColumn("revenue_total", N_("Revenue"), "money"),
    ReportColumn("outstanding", N_("Outstanding"), "money"),
    ReportColumn("became_client_at", N_("Client since"), "date"),
    ReportColumn("notes", N_("Notes")),
)

CONTACT_COLUMNS = (
    ReportColumn("client", N_("Client")),
    ReportColumn("client_tax_id", N_("Client tax ID")),
    ReportColumn("first_name", N_("First name")),
    ReportColumn("last_name", N_("Last name")),
    ReportColumn("position", N_("Position")),
    ReportColumn("email", N_("Email")),
    ReportColumn("phone", N_("Phone")),
    ReportColumn("mobile", N_("Mobile")),
    ReportColumn("billing", N_("Receives invoices")),
    ReportColumn("notes", N_("Notes")),
)

INVOICE_COLUMNS = (
    ReportColumn("code", N_("Number")),
    ReportColumn("series", N_("Series")),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("status", N_("Status")),
    ReportColumn("issue_date", N_("Date"), "date"),
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
)


@dataclass(frozen=True)
class ExportList:
    """One exportable list: what it is called, its columns, and how to read it."""

    name: str  # the LIST of `tui-crm export LIST`
    title: str  # N_-marked; the sheet's title
    stem: str  # default file name: "clientes" -> clientes-2026-11-23.xlsx
    columns: tuple[ReportColumn, ...]
    make_filter: Callable[[Mapping[str, Any]], Any]
    rows: Callable[[Any], Iterator[Sequence[Any]]]
    count: Callable[[Any], int | None]
    describe: Callable[[Any], list[str]]


def default_file_name(stem: str, today: dt.date | None = None) -> str:
    return f"{stem}-{(today or dt.date.today()).isoformat()}.xlsx"


# --- clients and contacts ----------------------------------------------------------


def client_filter(options: Mapping[str, Any]):
    """A client filter from the options of `report clients` / `export clients`."""
    from ..services.clients import ClientFilter

    status = options.get("status") or "active"
    return ClientFilter(
        text=options.get("search") or "",
        kind=options.get("kind") or "",
        status="" if status == "all" else status,
        owner_login=options.get("owner") or "",
        tag=options.get("tag") or "",
        has_overdue=bool(options.get("overdue")),
        sort=options.get("sort") or "name",
        as_of=options.get("as_of"),
    )


def describe_client_filter(flt) -> list[str]:
    """The filters of a client list, in words, for the sheet's subtitle."""
    parts: list[str] = []
    if flt.kind:
        parts.append(_("leads") if flt.kind == "lead" else _("clients"))
    parts.append(
        {"active": _("active"), "archived": _("archived"), "": _("active and archived")}.get(
            flt.status, flt.status
        )
    )
    if flt.text.strip():
        parts.append(_("matching “{text}”").format(text=flt.text.strip()))
    if flt.owner_login:
        parts.append(_("owner {login}").format(login=flt.owner_login))
    if flt.tag:
        parts.append(_("tag {tag}").format(tag=flt.tag))
    if flt.has_overdue:
        parts.append(_("with overdue invoices"))
    return [", ".join(parts)]


def _client_pages(flt) -> Iterator[list]:
    """The client list in its order, a page at a time (the same query as the screen)."""
    from ..services.clients import list_clients

    offset = 0
    while True:
        page = list_clients(flt, offset, PAGE)
        if page:
            yield page
        if len(page) < PAGE:
            return
        offset += PAGE


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _value in values)


def client_rows(flt) -> Iterator[tuple[Any, ...]]:
    """Every client matching `flt` with its fiscal and contact data and running figures."""
    from ..db import execute

    for page in _client_pages(flt):
        ids = [row.id for row in page]
        details = {
            r[0]: r
            for r in execute(
                "SELECT c.id, c.status, c.phone, c.mobile, c.fax, c.website, c.payment_days, "
                "c.iban, c.became_client_at, c.notes, a.line1, a.line2, a.postal_code, a.city, "
                "a.province, a.country "
                "FROM client c LEFT JOIN address a ON a.id = (SELECT a2.id FROM address a2 "
                "WHERE a2.client_id = c.id ORDER BY a2.is_invoice_default DESC, a2.id LIMIT 1) "
                f"WHERE c.id IN ({_marks(ids)})",
                ids,
            )
        }
        for row in page:
            d = details.get(row.id)
            if d is None:  # merged away between the two reads
                continue
            yield (
                row.id,
                row.name,
                row.trade_name,
                row.tax_id,
                _(KIND_LABELS.get(row.kind, row.kind)),
                _(STATUS_LABELS.get(d[1], d[1])),
                row.email,
                d[2],
                d[3],
                d[4],
                d[5],
                d[10] or "",
                d[11] or "",
                d[12] or "",
                d[13] or "",
                d[14] or "",
                d[15] or "",
                row.owner,
                d[6],
                d[7],
                row.revenue_year,
                row.revenue_total,
                row.outstanding,
                d[8],
                d[9],
            )


def count_clients(flt) -> int:
    from ..services.clients import count_clients as count

    return count(flt)


def contact_rows(flt) -> Iterator[tuple[Any, ...]]:
    """The contact people of every client matching `flt`, client by client in list order."""
    from ..db import execute

    for page in _client_pages(flt):
        ids = [row.id for row in page]
        by_client: dict[int, list[tuple[Any, ...]]] = {}
        for r in execute(
            "SELECT client_id, first_name, last_name, position, email, phone, mobile, "
            "is_billing, notes FROM contact "
            f"WHERE client_id IN ({_marks(ids)}) ORDER BY last_name, first_name, id",
            ids,
        ):
            by_client.setdefault(r[0], []).append(r)
        for row in page:
            for r in by_client.get(row.id, ()):
                yield (
                    row.name,
                    row.tax_id,
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    _("yes") if r[7] else "",
                    r[8],
                )


def count_contacts(flt) -> int | None:
    """Unknown in advance without reading the list twice: the progress bar just counts."""
    del flt
    return None


# --- invoices ------------------------------------------------------------------------


def invoice_filter(options: Mapping[str, Any]):
    """An invoice filter from the options of `export invoices` (and the invoice screen)."""
    from ..services.invoices import InvoiceFilter

    return InvoiceFilter(
        text=options.get("search") or "",
        status=options.get("invoice_status") or "",
        series=options.get("series") or "",
        year=options.get("year"),
        issued_until=options.get("as_of"),
    )


def describe_invoice_filter(flt) -> list[str]:
    parts: list[str] = []
    if flt.status:
        label = INVOICE_STATUS_LABELS.get(flt.status)
        parts.append(_(label) if label else flt.status)
    if flt.series:
        parts.append(_("series {series}").format(series=flt.series))
    if flt.year is not None:
        parts.append(_("year {year}").format(year=flt.year))
    if flt.issued_until is not None:
        parts.append(_("issued until {date}").format(date=flt.issued_until.isoformat()))
    if flt.text.strip():
        parts.append(_("matching “{text}”").format(text=flt.text.strip()))
    return [", ".join(parts)] if parts else []


def invoice_rows(flt) -> Iterator[tuple[Any, ...]]:
    """Every invoice matching `flt`, newest first (drafts last), from one cursor.

    The order follows the issue-date index, so a million invoices stream without
    a sort; the filter is the invoice list's own (`services.invoices`).
    """
    from ..db import execute
    from ..money import from_cents
    from ..services.invoices import invoice_where  # the invoice list's filter, not a copy of it

    where, params = invoice_where(flt)
    cursor = execute(
        "SELECT i.code, i.series, i.kind, i.status, i.issue_date, i.due_date, "
        "CASE WHEN i.status = 'draft' THEN c.legal_name ELSE i.client_name END, "
        "CASE WHEN i.status = 'draft' THEN c.tax_id ELSE i.client_tax_id END, "
        "i.base_cents, i.vat_cents, i.recargo_cents, i.irpf_cents, i.total_cents, "
        "i.paid_cents, i.outstanding_cents "
        f"FROM invoice i JOIN client c ON c.id = i.client_id WHERE {where} "
        "ORDER BY i.issue_date DESC, i.id DESC",
        params,
    )
    kinds = {k: _(v) for k, v in INVOICE_KIND_LABELS.items()}
    statuses = {k: _(v) for k, v in INVOICE_STATUS_LABELS.items()}
    for r in cursor:
        yield (
            r[0] or _("Draft"),
            r[1],
            kinds.get(r[2], r[2]),
            statuses.get(r[3], r[3]),
            r[4],
            r[5],
            r[6],
            r[7],
            from_cents(r[8]),
            from_cents(r[9]),
            from_cents(r[10]),
            from_cents(r[11]),
            from_cents(r[12]),
            from_cents(r[13]),
            from_cents(r[14]),
        )


def count_invoices(flt) -> int:
    from ..services.invoices import count_invoices as count

    return count(flt)


# --- receivables, agenda, timeline: the reports' own rows ---------------------------


@dataclass(frozen=True)
class ReportOptions:
    """The options a report-backed list reads (`--as-of`, `--year`, `--client` ...)."""

    as_of: dt.date | None = None
    year: int | None = None
    client_id: int | None = None
    everyone: bool = False


def report_options(options: Mapping[str, Any]) -> ReportOptions:
    return ReportOptions(
        as_of=options.get("as_of"),
        year=options.get("year"),
        everyone=bool(options.get("all_users")),
    )


def timeline_options(options: Mapping[str, Any]) -> ReportOptions:
    """The timeline is one client's: `--client` names it by tax ID or number."""
    from ..services import reports
    from .xlsx import ExportError

    client = (options.get("client") or "").strip()
    if not client:
        raise ExportError(_("export timeline needs --client TAX_ID"))
    client_id = reports.client_id_for(client)
    if client_id is None:
        raise ExportError(_("no client with tax ID {tax_id}").format(tax_id=client))
    return ReportOptions(client_id=client_id)


def describe_report_options(opts: ReportOptions) -> list[str]:
    parts: list[str] = []
    if opts.year is not None:
        parts.append(_("year {year}").format(year=opts.year))
    if opts.client_id is not None:
        from ..services.clients import get_client

        parts.append(get_client(opts.client_id).data.legal_name)
    if opts.everyone:
        parts.append(_("everyone's"))
    return [", ".join(parts)] if parts else []


def receivable_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from ..services import reports

    return reports.receivable_rows(opts.as_of, opts.year)


def agenda_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from ..services import reports
    from ..services.agenda import AgendaFilter

    return reports.agenda_rows(AgendaFilter(as_of=opts.as_of, everyone=opts.everyone))


def timeline_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from ..services import reports

    assert opts.client_id is not None
    return reports.timeline_rows(opts.client_id)


def revenue_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    """The client ranking of the year (shares as percentages for the spreadsheet)."""
    from ..services import reports

    return reports.as_percentages(reports.revenue_rows(opts.year, opts.as_of))


def monthly_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from ..services import reports

    return reports.monthly_rows(opts.year, opts.as_of)


def defaulter_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from ..services import reports

    return reports.as_percentages(reports.defaulter_rows(opts.as_of))


def modelo347_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    """Modelo 347 of `--year` (default: last year), the largest total first."""
    from ..services import modelo347

    return modelo347.rows(opts.year)


def modelo347_options(options: Mapping[str, Any]) -> ReportOptions:
    from ..services.modelo347 import check_year

    return ReportOptions(year=check_year(options.get("year")))


def _unknown(opts: ReportOptions) -> None:
    """Lists read through a report: their length is not known before reading them."""
    del opts


def _report_columns(name: str, module: str = "reports") -> tuple[ReportColumn, ...]:
    import importlib

    return getattr(importlib.import_module(f"..services.{module}", __package__), name)


LISTS: dict[str, ExportList] = {
    "clients": ExportList(
        "clients",
        N_("Clients"),
        "clientes",
        CLIENT_COLUMNS,
        client_filter,
        client_rows,
        count_clients,
        describe_client_filter,
    ),
    "contacts": ExportList(
        "contacts",
        N_("Contacts"),
        "contactos",
        CONTACT_COLUMNS,
        client_filter,
        contact_rows,
        count_contacts,
        describe_client_filter,
    ),
    "invoices": ExportList(
        "invoices",
        N_("Invoices"),
        "facturas",
        INVOICE_COLUMNS,
        invoice_filter,
        invoice_rows,
        count_invoices,
        describe_invoice_filter,
    ),
    "receivables": ExportList(
        "receivables",
        N_("Receivables"),
        "cobros",
        _report_columns("RECEIVABLE_COLUMNS"),
        report_options,
        receivable_rows,
        _unknown,
        describe_report_options,
    ),
    "revenue": ExportList(
        "revenue",
        N_("Revenue by client"),
        "ingresos",
        _report_columns("REVENUE_COLUMNS"),
        report_options,
        revenue_rows,
        _unknown,
        describe_report_options,
    ),
    "monthly": ExportList(
        "monthly",
        N_("Monthly revenue"),
        "ingresos-mensuales",
        _report_columns("MONTHLY_COLUMNS"),
        report_options,
        monthly_rows,
        _unknown,
        describe_report_options,
    ),
    "defaulters": ExportList(
        "defaulters",
        N_("Defaulters"),
        "morosos",
        _report_columns("DEFAULTER_COLUMNS"),
        report_options,
        defaulter_rows,
        _unknown,
        describe_report_options,
    ),
    "agenda": ExportList(
        "agenda",
        N_("Agenda"),
        "agenda",
        _report_columns("AGENDA_COLUMNS"),
        report_options,
        agenda_rows,
        _unknown,
        describe_report_options,
    ),
    "347": ExportList(
        "347",
        N_("Modelo 347"),
        "modelo-347",
        _report_columns("COLUMNS", "modelo347"),
        modelo347_options,
        modelo347_rows,
        _unknown,
        describe_report_options,
    ),
    "timeline": ExportList(
        "timeline",
        N_("Timeline"),
        "historial",
        _report_columns("TIMELINE_COLUMNS"),
        timeline_options,
        timeline_rows,
        _unknown,
        describe_report_options,
    ),
}


def export_list(
    name: str,
    path,
    options: Mapping[str, Any] | None = None,
    *,
    progress=None,
    cancelled=None,
    force: bool = False,
):
    """Write list `name` with the filter `options` to `path` (the command line's `export`);
    an existing file is replaced only with `force`."""
    from ..services.session import login
    from .xlsx import write_xlsx

    spec = LISTS[name]
    flt = spec.make_filter(options or {})
    total = spec.count(flt)
    return write_xlsx(
        path,
        spec.columns,
        spec.rows(flt),
        title=_(spec.title),
        as_of=(options or {}).get("as_of"),
        notes=spec.describe(flt),
        total=total,
        progress=progress,
        cancelled=cancelled,
        author=login(),
        force=force,
    )
