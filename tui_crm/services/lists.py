"""The lists `tui-crm export LIST` and the `x` key write to Excel: each one's name, sheet
title, file name, columns and rows (one definition with `tui-crm report`, in
`services.reports`), its filter from the command's options, and the filter in words.

Rows stream from the services a page or a cursor at a time: an export of a million
invoices never holds them all. `save_xlsx` writes any list through the one road every
output file takes (`services.output_files`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exports.xlsx import SheetFull, write_workbook
from ..i18n import N_, NC_, _
from . import modelo347, reports
from .errors import ServiceError
from .reports import ReportColumn


class ExportError(ServiceError):
    """The export could not be written: the message names the file and the problem."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


@dataclass(frozen=True)
class ExportList:
    """One exportable list: what it is called, its columns, and how to read it."""

    name: str  # the LIST of `tui-crm export LIST`
    title: str  # N_-marked; the sheet's title
    stem: str  # default file name's stem, in English ("clients"): see `file_stem`
    columns: tuple[ReportColumn, ...]
    make_filter: Callable[[Mapping[str, Any]], Any]
    rows: Callable[[Any], Iterator[Sequence[Any]]]
    count: Callable[[Any], int | None]
    describe: Callable[[Any], list[str]]
    # The same rows with the amounts as integer cents, when the list can read them so:
    # the spreadsheet then writes them without a Decimal each (`money_in_cents`).
    cents_rows: Callable[[Any], Iterator[Sequence[Any]]] | None = None


# The default file names of the exports, in the user's language: clients-2026-11-23.xlsx
# in English, clientes-2026-11-23.xlsx in Spanish. Keyed by the English stem, and by the
# Spanish one the screens used to name.
_STEMS = {
    "clients": NC_("file name", "clients"),
    "contacts": NC_("file name", "contacts"),
    "invoices": NC_("file name", "invoices"),
    "receivables": NC_("file name", "receivables"),
    "revenue": NC_("file name", "revenue"),
    "monthly-revenue": NC_("file name", "monthly-revenue"),
    "defaulters": NC_("file name", "defaulters"),
    "agenda": NC_("file name", "agenda"),
    "modelo-347": NC_("file name", "modelo-347"),
    "timeline": NC_("file name", "timeline"),
}
_SPANISH_STEMS = {
    "clientes": "clients",
    "contactos": "contacts",
    "facturas": "invoices",
    "cobros": "receivables",
    "ingresos": "revenue",
    "ingresos-mensuales": "monthly-revenue",
    "morosos": "defaulters",
    "historial": "timeline",
}


def file_stem(stem: str) -> str:
    """A list's file name stem in the user's language ("clients" -> "clientes" in Spanish);
    a stem this module does not know is kept as it is."""
    known = _STEMS.get(_SPANISH_STEMS.get(stem, stem))
    return _(known) if known is not None else stem


def default_file_name(stem: str, today: dt.date | None = None) -> str:
    """ "clients-2026-11-23.xlsx" / "clientes-2026-11-23.xlsx": the stem in the user's
    language and the day."""
    return f"{file_stem(stem)}-{(today or dt.date.today()).isoformat()}.xlsx"


# --- clients and contacts ----------------------------------------------------------


def client_filter(options: Mapping[str, Any]):
    """A client filter from the options of `report clients` / `export clients`."""
    from .clients import ClientFilter

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


def count_clients(flt) -> int:
    from .clients import count_clients as count

    return count(flt)


# --- invoices ------------------------------------------------------------------------


def invoice_filter(options: Mapping[str, Any]):
    """An invoice filter from the options of `export invoices` (and the invoice screen)."""
    from .invoices import InvoiceFilter

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
        label = reports.INVOICE_STATUS_LABELS.get(flt.status)
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


def count_invoices(flt) -> int:
    from .invoices import count_invoices as count

    return count(flt)


# --- the lists read through a report ------------------------------------------------


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
    client = (options.get("client") or "").strip()
    if not client:
        raise ExportError(_("export timeline needs --client TAX_ID"))
    client_id = reports.client_id_for(client)
    if client_id is None:
        raise ExportError(_("no client with tax ID {tax_id}").format(tax_id=client))
    return ReportOptions(client_id=client_id)


def modelo347_options(options: Mapping[str, Any]) -> ReportOptions:
    """Modelo 347 of `--year` (default: last year)."""
    return ReportOptions(year=modelo347.check_year(options.get("year")))


def describe_report_options(opts: ReportOptions) -> list[str]:
    parts: list[str] = []
    if opts.year is not None:
        parts.append(_("year {year}").format(year=opts.year))
    if opts.client_id is not None:
        from .clients import get_client

        parts.append(get_client(opts.client_id).data.legal_name)
    if opts.everyone:
        parts.append(_("everyone's"))
    return [", ".join(parts)] if parts else []


def _unknown(opts: Any) -> None:
    """Lists whose length is not known before reading them: the progress bar just counts."""
    del opts


def _agenda_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    from .agenda import AgendaFilter

    return reports.agenda_rows(AgendaFilter(as_of=opts.as_of, everyone=opts.everyone))


def _timeline_rows(opts: ReportOptions) -> Iterator[Mapping[str, Any]]:
    assert opts.client_id is not None
    return reports.timeline_rows(opts.client_id)


def expense_filter(options: Mapping[str, Any]):
    """An expense filter from the options of `expense list` / `export expenses`."""
    from .expenses import ExpenseFilter

    client_id = None
    client = (options.get("client") or "").strip()
    if client:
        client_id = reports.client_id_for(client)
        if client_id is None:
            raise ExportError(_("no client with tax ID {tax_id}").format(tax_id=client))
    return ExpenseFilter(
        text=options.get("search") or "",
        client_id=client_id,
        date_from=options.get("date_from"),
        date_to=options.get("date_to"),
    )


def describe_expense_filter(flt) -> list[str]:
    parts: list[str] = []
    if flt.text.strip():
        parts.append(_("matching “{text}”").format(text=flt.text.strip()))
    if flt.client_id is not None:
        from .clients import get_client

        parts.append(get_client(flt.client_id).data.legal_name)
    if flt.date_from is not None:
        parts.append(_("from {date}").format(date=flt.date_from.isoformat()))
    if flt.date_to is not None:
        parts.append(_("to {date}").format(date=flt.date_to.isoformat()))
    return [", ".join(parts)] if parts else []


def count_expenses(flt) -> int:
    from .expenses import count_expenses as count

    return count(flt)


def _report_list(name: str, title: str, stem: str, columns, rows, options=report_options):
    return ExportList(name, title, stem, columns, options, rows, _unknown, describe_report_options)


LISTS: dict[str, ExportList] = {
    spec.name: spec
    for spec in (
        ExportList(
            "clients",
            N_("Clients"),
            "clients",
            reports.CLIENT_COLUMNS,
            client_filter,
            reports.client_rows,
            count_clients,
            describe_client_filter,
        ),
        ExportList(
            "contacts",
            N_("Contacts"),
            "contacts",
            reports.CONTACT_COLUMNS,
            client_filter,
            reports.contact_rows,
            _unknown,
            describe_client_filter,
        ),
        ExportList(
            "invoices",
            N_("Invoices"),
            "invoices",
            reports.INVOICE_COLUMNS,
            invoice_filter,
            reports.invoice_rows,
            count_invoices,
            describe_invoice_filter,
            cents_rows=reports.invoice_cents_rows,
        ),
        ExportList(
            "expenses",
            N_("Expenses"),
            "gastos",
            reports.EXPENSE_COLUMNS,
            expense_filter,
            reports.expense_rows,
            count_expenses,
            describe_expense_filter,
        ),
        _report_list(
            "receivables",
            N_("Receivables"),
            "receivables",
            reports.RECEIVABLE_COLUMNS,
            lambda opts: reports.receivable_rows(opts.as_of, opts.year),
        ),
        # shares as percentages for the spreadsheet
        _report_list(
            "revenue",
            N_("Revenue by client"),
            "revenue",
            reports.REVENUE_COLUMNS,
            lambda opts: reports.as_percentages(reports.revenue_rows(opts.year, opts.as_of)),
        ),
        _report_list(
            "monthly",
            N_("Monthly revenue"),
            "monthly-revenue",
            reports.MONTHLY_COLUMNS,
            lambda opts: reports.monthly_rows(opts.year, opts.as_of),
        ),
        _report_list(
            "defaulters",
            N_("Defaulters"),
            "defaulters",
            reports.DEFAULTER_COLUMNS,
            lambda opts: reports.as_percentages(reports.defaulter_rows(opts.as_of)),
        ),
        _report_list("agenda", N_("Agenda"), "agenda", reports.AGENDA_COLUMNS, _agenda_rows),
        _report_list(
            "347",
            N_("Modelo 347"),
            "modelo-347",
            modelo347.COLUMNS,
            lambda opts: modelo347.rows(opts.year),
            modelo347_options,
        ),
        _report_list(
            "timeline",
            N_("Timeline"),
            "timeline",
            reports.TIMELINE_COLUMNS,
            _timeline_rows,
            timeline_options,
        ),
    )
}


def export_list(
    name: str,
    path: Path | str,
    options: Mapping[str, Any] | None = None,
    *,
    progress=None,
    cancelled=None,
    force: bool = False,
) -> ExportResult:
    """Write list `name` with the filter `options` to `path` (the command line's `export`);
    an existing file is replaced only with `force`."""
    spec = LISTS[name]
    flt = spec.make_filter(options or {})
    in_cents = spec.cents_rows is not None
    return save_xlsx(
        path,
        spec.columns,
        spec.cents_rows(flt) if spec.cents_rows is not None else spec.rows(flt),
        money_in_cents=in_cents,
        title=_(spec.title),
        as_of=(options or {}).get("as_of"),
        notes=spec.describe(flt),
        total=spec.count(flt),
        progress=progress,
        cancelled=cancelled,
        force=force,
    )


def save_xlsx(
    path: Path | str,
    columns: Sequence[ReportColumn],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    force: bool = False,
    author: str | None = None,
    **sheet: Any,
) -> ExportResult:
    """Write `rows` as a formatted workbook at `path` (see `exports.xlsx.write_workbook` for
    `title`, `as_of`, `notes`, `total`, `progress` and `cancelled`).

    The file appears only when complete: it is written through `services.output_files`
    (a temporary file beside it, renamed at the end; an existing file replaced only with
    `force`, and never the database); a failure, the disk full or a cancel included,
    leaves nothing behind and says what happened. The author is the acting user.
    """
    from .output_files import output_file
    from .session import login

    target = check_destination(path)
    if not columns:
        raise ExportError(_("nothing to export: the list has no columns"))
    try:
        with output_file(target, force=force) as out:
            count = write_workbook(out.file, columns, rows, author=author or login(), **sheet)
    except SheetFull as exc:
        raise ExportError(str(exc)) from None
    assert out.final is not None
    return ExportResult(out.final, count)


def check_destination(path: Path | str) -> Path:
    """The spreadsheet to write, refused with a reason when it cannot be written there
    (`output_files` refuses the rest: the database, a live one, an existing file)."""
    target = Path(path).expanduser()
    if target.suffix.lower() != ".xlsx":
        raise ExportError(_("{path}: the file name must end in .xlsx").format(path=target))
    if target.is_dir():
        raise ExportError(_("{path} is a directory").format(path=target))
    directory = target.parent
    if not directory.is_dir():
        raise ExportError(_("directory {path} does not exist").format(path=directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ExportError(_("cannot write in directory {path}").format(path=directory))
    return target
