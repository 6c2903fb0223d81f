"""`tui-crm report NAME`: every report the command line prints, in `--format` plain, github,
csv or json (a list of objects with snake_case keys, amounts as decimal strings).

The rows and their columns come from the services (`services.reports` and the services
it names), exactly as the TUI's screens and the Excel export show them; this module only
reads the options and picks the report.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import _
from .common import EXIT_OK, FORMATS, UserError, date_arg, open_db, positive_arg, print_rows

CLIENT_REPORTS = ("clients", "agenda", "timeline", "leads")
INVOICING_REPORTS = ("invoices", "receivables", "defaulters")
ANALYTICS_REPORTS = ("revenue", "monthly", "pnl", "pipeline")
PROJECT_REPORTS = ("projects",)
BANK_REPORTS = ("payments", "347")
NAMES = (
    *CLIENT_REPORTS,
    *INVOICING_REPORTS,
    *ANALYTICS_REPORTS,
    *PROJECT_REPORTS,
    "verifactu",
    *BANK_REPORTS,
)


def add_parsers(sub) -> None:
    report = sub.add_parser("report", help=_("print a report"))
    report.add_argument(
        "name",
        choices=NAMES,
        metavar="NAME",
        help=_("report name: {names}").format(
            names="clients, agenda, timeline, leads, invoices, receivables, defaulters, "
            "revenue, monthly, pnl, pipeline, projects, payments, 347, verifactu"
        ),
    )
    report.add_argument(
        "--format",
        choices=(*FORMATS, "ics"),
        default="plain",
        help=_("ics: the agenda as an iCalendar file others can subscribe to"),
    )
    report.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=_("agenda --format ics: write to FILE instead of standard output"),
    )
    report.add_argument("--force", action="store_true", help=_("-o: replace an existing file"))
    report.add_argument("--as-of", type=date_arg, metavar="DATE")
    report.add_argument("--year", type=int)
    report.add_argument(
        "--top",
        type=positive_arg,
        metavar="N",
        help=_("revenue: only the N largest and N smallest"),
    )
    report.add_argument("--search", default="", help=_("only clients matching this text"))
    report.add_argument("--kind", choices=["lead", "client"])
    report.add_argument("--status", choices=["active", "archived", "all"], default="active")
    report.add_argument("--owner", default="")
    report.add_argument(
        "--sort", choices=["name", "revenue", "outstanding", "last_activity"], default="name"
    )
    report.add_argument(
        "--all-users", action="store_true", help=_("agenda: everyone's, not only mine")
    )
    report.add_argument(
        "--client", metavar="TAX_ID", help=_("timeline, projects: the client's tax ID")
    )
    report.add_argument(
        "--stage",
        choices=["new", "contacted", "qualified", "lost"],
        help=_("leads: only the leads in this stage"),
    )
    report.add_argument(
        "--from", dest="date_from", type=date_arg, metavar="D", help=_("payments: from this date")
    )
    report.add_argument(
        "--to", dest="date_to", type=date_arg, metavar="D", help=_("payments: up to this date")
    )


def cmd_report(args: argparse.Namespace) -> int:
    if args.format == "ics" and args.name != "agenda":
        raise UserError(_("--format ics is for the agenda only"))
    if args.output and args.format != "ics":
        raise UserError(_("-o is for report agenda --format ics; other reports print"))
    # A bad period or year is refused before anything is opened.
    if args.name in ANALYTICS_REPORTS:
        from ..services.analytics import report_period

        report_period(args.year, args.as_of)
    elif args.name == "347":
        from ..services.modelo347 import check_year

        check_year(args.year)
    open_db(args)
    from ..db import read_snapshot

    if args.format == "ics":
        return _agenda_ics(args)
    with read_snapshot():  # one consistent view of the books for the whole report
        columns, rows = _report(args)
        print_rows(rows, columns, args.format)
    return EXIT_OK


def _agenda_ics(args: argparse.Namespace) -> int:
    """`report agenda --format ics [-o FILE]`: the agenda as a calendar."""
    import sys

    from ..db import read_snapshot
    from ..services.agenda import AgendaFilter
    from ..services.meetings import agenda_calendar

    flt = AgendaFilter(as_of=args.as_of, everyone=args.all_users)
    with read_snapshot():
        data = agenda_calendar(flt)
    if not args.output:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    from ..services.output_files import write_bytes

    written = write_bytes(args.output, data, force=args.force)
    print(_("Agenda written to {path}").format(path=written))
    return EXIT_OK


def _report(args: argparse.Namespace) -> tuple[Any, Any]:
    """The columns and rows of report `args.name`."""
    from ..services import reports

    name = args.name
    if name == "clients":
        from ..services.clients import ClientFilter

        flt = ClientFilter(
            text=args.search,
            kind=args.kind or "",
            status="" if args.status == "all" else args.status,
            owner_login=args.owner,
            # the report shows the revenue total: "revenue" sorts by it (the browser's
            # column, and its "revenue" sort, is this year's)
            sort="revenue_total" if args.sort == "revenue" else args.sort,
            as_of=args.as_of,
        )
        return reports.CLIENT_COLUMNS, reports.client_rows(flt)
    if name == "agenda":
        from ..services.agenda import AgendaFilter

        flt = AgendaFilter(as_of=args.as_of, everyone=args.all_users)
        return reports.AGENDA_COLUMNS, reports.agenda_rows(flt)
    if name == "leads":
        return reports.LEAD_COLUMNS, reports.lead_rows(args.stage)
    if name == "timeline":
        if not args.client:
            raise UserError(_("report timeline needs --client TAX_ID"))
        client_id = reports.client_id_for(args.client)
        if client_id is None:
            raise UserError(_("no client with tax ID {tax_id}").format(tax_id=args.client))
        return reports.TIMELINE_COLUMNS, reports.timeline_rows(client_id)
    if name == "invoices":
        return reports.INVOICE_COLUMNS, reports.invoice_book(args.year, args.as_of)
    if name == "receivables":
        return reports.RECEIVABLE_COLUMNS, reports.receivable_rows(args.as_of, args.year)
    if name == "defaulters":
        return reports.DEFAULTER_COLUMNS, reports.defaulter_rows(args.as_of, args.year)
    if name == "revenue":
        return reports.REVENUE_COLUMNS, reports.revenue_rows(args.year, args.as_of, args.top)
    if name == "monthly":
        return reports.MONTHLY_COLUMNS, reports.monthly_rows(args.year, args.as_of)
    if name == "pnl":
        return reports.PNL_COLUMNS, reports.pnl_rows(args.year, args.as_of)
    if name == "projects":
        client_id = None
        if args.client:
            client_id = reports.client_id_for(args.client)
            if client_id is None:
                raise UserError(_("no client with tax ID {tax_id}").format(tax_id=args.client))
        return reports.PROJECT_COLUMNS, reports.project_rows(client_id)
    if name == "pipeline":
        return reports.PIPELINE_COLUMNS, reports.pipeline_rows(args.year, args.as_of)
    if name == "payments":
        from ..services import payment_book

        return payment_book.COLUMNS, payment_book.payment_rows(args.date_from, args.date_to)
    if name == "347":
        from ..services import modelo347

        return modelo347.COLUMNS, modelo347.rows(args.year)
    return reports.VERIFACTU_COLUMNS, reports.verifactu_rows()
