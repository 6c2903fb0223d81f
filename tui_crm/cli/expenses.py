"""Expenses from the command line: `expense add|list|import`.

`add` checks the expense as the TUI's form does (`services.expenses.validate`); `import`
reads a spreadsheet with the client import's rules: a rejected row names its row and
column, and one rejected row means nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import _, count_text
from .common import EXIT_ERROR, EXIT_OK, FORMATS, date_arg, open_db, print_rows, subcommands


def add_parsers(sub) -> None:
    """Add `expense` to the command line's subparsers."""
    expense = sub.add_parser("expense", help=_("expenses: costs that are not lines of a sale"))
    actions = subcommands(expense)
    add = actions.add_parser("add", help=_("record an expense"))
    add.add_argument("--date", required=True, metavar="DATE", help=_("the expense's date"))
    add.add_argument("--supplier", required=True, help=_("the supplier's name"))
    add.add_argument("--supplier-tax-id", default="", metavar="TAX_ID")
    add.add_argument("--description", default="")
    add.add_argument("--base", required=True, metavar="AMOUNT", help=_("taxable base"))
    add.add_argument("--vat", default="", metavar="AMOUNT", help=_("IVA amount"))
    add.add_argument("--total", default="", metavar="AMOUNT", help=_("default: base + IVA"))
    add.add_argument("--client", metavar="TAX_ID", help=_("the client it was spent for"))
    add.add_argument("--project", type=int, metavar="ID", help=_("the project it was spent for"))
    add.add_argument("--file", type=Path, metavar="FILE", help=_("the bill or ticket to attach"))

    lister = actions.add_parser("list", help=_("list expenses"))
    lister.add_argument("--format", choices=FORMATS, default="plain")
    lister.add_argument("--search", default="", help=_("only expenses matching this text"))
    lister.add_argument("--client", metavar="TAX_ID")
    lister.add_argument("--from", dest="date_from", type=date_arg, metavar="D")
    lister.add_argument("--to", dest="date_to", type=date_arg, metavar="D")

    importer = actions.add_parser("import", help=_("import expenses from a spreadsheet"))
    importer.add_argument("file", type=Path, metavar="FILE.xlsx")
    importer.add_argument("--dry-run", action="store_true", help=_("check the file, write nothing"))


def _client_id(tax_id: str | None) -> int | None:
    from ..services.reports import client_id_for
    from .common import UserError

    if not tax_id:
        return None
    client_id = client_id_for(tax_id)
    if client_id is None:
        raise UserError(_("no client with tax ID {tax_id}").format(tax_id=tax_id))
    return client_id


def cmd_expense(args: argparse.Namespace) -> int:
    open_db(args)
    if args.action == "add":
        from ..services import expenses

        data = expenses.ExpenseData(
            expense_date=args.date,
            supplier_name=args.supplier,
            supplier_tax_id=args.supplier_tax_id,
            description=args.description,
            base=args.base,
            vat=args.vat,
            total=args.total,
            client_id=_client_id(args.client),
            project_id=args.project,
        )
        expense_id = expenses.create_expense(data, file=args.file)
        print(expense_id)
        return EXIT_OK
    if args.action == "list":
        from ..db import read_snapshot
        from ..services import reports
        from ..services.lists import expense_filter

        with read_snapshot():
            flt = expense_filter(vars(args))
            print_rows(reports.expense_rows(flt), reports.EXPENSE_COLUMNS, args.format)
        return EXIT_OK
    from ..imports.expenses import import_expenses

    report = import_expenses(args.file, dry_run=args.dry_run)
    for line in report.notes:
        print(line)
    for issue in report.rejected:
        print(_("rejected: {issue}").format(issue=issue.line()))
    counts = {
        "file": report.file,
        "created": count_text(report.created),
        "rejected": count_text(report.rejected_rows),
        "total": count_text(report.rows),
    }
    if report.rejected:
        print(_("Nothing imported: {rejected} of {total} rows rejected; fix them").format(**counts))
        return EXIT_ERROR
    if report.dry_run:
        print(_("Dry run, nothing written: {created} expenses to create").format(**counts))
    else:
        print(_("Imported from {file}: {created} expenses created").format(**counts))
    return EXIT_OK
