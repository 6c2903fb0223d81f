"""`tui-crm export LIST -o FILE.xlsx [filters]` and `tui-crm import clients|invoices FILE`.

Exports stream to a temporary file renamed when complete; progress goes to
stderr on a terminal. Imports print every rejected row as
"row N, column C (Header): reason", then one summary line; a file with a
rejected row imports nothing (exit 1) unless --skip-invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _, count_text
from ..i18n.formats import percent_text
from .bank import add_import_parser
from .common import EXIT_ERROR, EXIT_OK, UserError, date_arg, open_db

CLIENT_STATUSES = ["active", "archived", "all"]
INVOICE_STATUSES = ["draft", "issued", "partially_paid", "paid", "voided", "unpaid"]


def add_parsers(sub) -> None:
    """The `export` and `import` commands (called by `cli.build_parser`)."""
    from ..services.lists import LISTS

    names = sorted(LISTS)
    export = sub.add_parser("export", help=_("write a list to a formatted Excel file"))
    export.add_argument(
        "list",
        choices=names,
        metavar="LIST",
        help=_("what to export: {names}").format(names=", ".join(names)),
    )
    export.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.xlsx", help=_("the file to write")
    )
    export.add_argument("--search", default="", help=_("only rows matching this text"))
    export.add_argument("--kind", choices=["lead", "client"], help=_("clients, contacts"))
    export.add_argument(
        "--status", choices=CLIENT_STATUSES, default="active", help=_("clients, contacts")
    )
    export.add_argument("--owner", default="", help=_("clients, contacts: the owner's login"))
    export.add_argument("--tag", default="", help=_("clients, contacts"))
    export.add_argument(
        "--overdue", action="store_true", help=_("clients, contacts: only with overdue invoices")
    )
    export.add_argument(
        "--sort",
        choices=["name", "revenue", "outstanding", "last_activity"],
        default="name",
        help=_("clients, contacts"),
    )
    export.add_argument(
        "--invoice-status", choices=INVOICE_STATUSES, default="", help=_("invoices")
    )
    export.add_argument("--series", default="", help=_("invoices"))
    export.add_argument("--year", type=int, help=_("invoices, receivables"))
    export.add_argument("--as-of", type=date_arg, metavar="DATE")
    export.add_argument("--client", metavar="TAX_ID", help=_("timeline: the client's tax ID"))
    export.add_argument(
        "--all-users", action="store_true", help=_("agenda: everyone's, not only mine")
    )
    export.add_argument("--force", action="store_true", help=_("replace FILE.xlsx if it exists"))

    imp = sub.add_parser(
        "import",
        help=_("import clients or invoice history (.xlsx or .csv), or a bank statement"),
    )
    imp_sub = imp.add_subparsers(dest="what", metavar="WHAT", required=True)
    for what, help_text in (
        ("clients", _("clients from a spreadsheet")),
        ("invoices", _("invoice history, with what was paid")),
    ):
        one = imp_sub.add_parser(what, help=help_text)
        one.add_argument("file", type=Path, metavar="FILE")
        one.add_argument(
            "--dry-run", action="store_true", help=_("check and report, write nothing")
        )
        one.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("import the valid rows and report the rejected ones"),
        )
        if what == "clients":
            one.add_argument(
                "--on-duplicate",
                choices=["skip", "update"],
                default="skip",
                help=_("a client already on file (same tax ID, else email): skip it or update it"),
            )

    add_import_parser(imp_sub)


def _progress(label: str):
    interactive = sys.stderr.isatty()

    def show(done: int, total: int | None) -> None:
        if not interactive:
            return
        if total:
            sys.stderr.write(
                f"\r{label} {count_text(done)}/{count_text(total)} "
                f"({percent_text(round(min(done / total, 1) * 100), 0)})"
            )
        else:
            sys.stderr.write(f"\r{label} {count_text(done)}")
        sys.stderr.flush()

    return show, interactive


def cmd_export(args: argparse.Namespace) -> int:

    target = args.output.expanduser()
    if target.exists() and not args.force:
        raise UserError(
            _("{path} exists; choose another name or add --force to replace it").format(path=target)
        )
    open_db(args)
    from ..db import read_snapshot
    from ..services.lists import check_destination, export_list

    check_destination(target)
    show, interactive = _progress(_("Exporting"))
    with read_snapshot():  # one consistent view of the list, however long it is
        result = export_list(args.list, target, vars(args), progress=show, force=args.force)
    if interactive:
        sys.stderr.write("\n")
    print(_("Exported {n} rows to {path}").format(n=count_text(result.rows), path=result.path))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:

    if args.what == "statement":
        from .bank import cmd_import_statement

        return cmd_import_statement(args)
    open_db(args)
    show, interactive = _progress(_("Reading"))

    def progress(phase: str, done: int, total: int | None) -> None:
        del phase
        show(done, total)

    if args.what == "clients":
        from ..imports.clients import import_clients

        report = import_clients(
            args.file,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
            on_duplicate=args.on_duplicate,
            progress=progress,
        )
    else:
        from ..imports.invoices import import_invoices

        report = import_invoices(
            args.file,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
            progress=progress,
        )
    if interactive:
        sys.stderr.write("\n")
    for line in report.lines():
        print(line)
    return EXIT_ERROR if report.failed else EXIT_OK
