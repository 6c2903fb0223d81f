"""Invoices from the command line: `invoice create|void|rectify`, `print`, and `recurring run`.
The rules live in `services.invoices`, `services.verifactu`, `services.printing` and
`services.recurring`, exactly as the TUI uses them.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..i18n import _, ngettext
from ..i18n.formats import date_text
from .common import EXIT_ERROR, EXIT_OK, UserError, date_arg, open_db, subcommands


def add_parsers(sub) -> None:
    """Add `invoice`, `print` and `recurring` to the command line's subparsers."""

    invoice = sub.add_parser("invoice", help=_("write invoices from scripts"))
    invoice_sub = subcommands(invoice)
    create = invoice_sub.add_parser(
        "create",
        help=_("create a draft invoice (or issue it with --issue); prints its number or draft id"),
    )
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", metavar="TAX_ID", help=_("client's tax ID"))
    who.add_argument(
        "--client-name",
        metavar="NAME",
        help=_(
            "the client's name (legal or trade), for a client without a tax ID such as the "
            "walk-in customer of a simplified invoice (--type F2)"
        ),
    )
    create.add_argument(
        "--line",
        action="append",
        required=True,
        metavar="DESCRIPTION|QTY|UNIT_PRICE|IVA%",
        help=_("one invoice line; repeat for more (amounts in Spanish or English notation)"),
    )
    create.add_argument("--irpf", metavar="PCT", help=_("IRPF withholding percent (0, 7, 15, 19)"))
    create.add_argument(
        "--recargo", action="store_true", help=_("apply recargo de equivalencia to the lines")
    )
    create.add_argument("--date", type=date_arg, metavar="DATE", help=_("issue date (YYYY-MM-DD)"))
    create.add_argument("--series", metavar="S", help=_("invoice series (default: the setting)"))
    create.add_argument("--issue", action="store_true", help=_("issue it now (assigns the number)"))
    create.add_argument(
        "--type",
        choices=["F1", "F2", "F3"],
        default="F1",
        help=_(
            "F1 invoice (default), F2 simplified invoice (no recipient's tax ID; up to the limit "
            "of invoice.simplified_limit), F3 invoice replacing simplified ones"
        ),
    )
    create.add_argument(
        "--replaces",
        action="append",
        default=[],
        metavar="NUMBER",
        help=_("F3: a simplified invoice it replaces; repeat for more"),
    )
    create.add_argument(
        "--exempt",
        metavar="REASON",
        help=_("the legal reason the lines carry no IVA (printed on the invoice)"),
    )
    create.add_argument(
        "--exemption-code",
        choices=["E1", "E2", "E3", "E4", "E5", "E6", "N1", "N2"],
        help=_(
            "AEAT's code of the exemption: E1-E6 exempt (arts. 20, 21, 22, 23-24, 25, other), "
            "N1/N2 not subject; by default guessed from the reason"
        ),
    )
    create.add_argument(
        "--operation-date", type=date_arg, metavar="DATE", help=_("date of the operation")
    )
    _add_corrections(invoice_sub)

    printer = sub.add_parser(
        "print", help=_("write the PDF of an invoice, a quote or a client's statement")
    )
    printer.add_argument(
        "kind", choices=["invoice", "quote", "statement"], metavar="invoice|quote|statement"
    )
    printer.add_argument(
        "number", nargs="?", metavar="NUMBER", help=_("e.g. F2026-00001 or P2026-0001")
    )
    printer.add_argument("--client", metavar="TAX_ID", help=_("statement: the client's tax ID"))
    printer.add_argument(
        "--from", dest="date_from", type=date_arg, metavar="D", help=_("statement: from this date")
    )
    printer.add_argument(
        "--to", dest="date_to", type=date_arg, metavar="D", help=_("statement: up to this date")
    )
    printer.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")
    printer.add_argument("--force", action="store_true", help=_("replace FILE.pdf if it exists"))

    recurring = sub.add_parser("recurring", help=_("recurring invoices"))
    recurring_sub = subcommands(recurring)
    run = recurring_sub.add_parser(
        "run", help=_("create the recurring invoices that are due (for cron; safe to run twice)")
    )
    run.add_argument("--as-of", type=date_arg, metavar="DATE", help=_("run as of this date"))


def _add_corrections(invoice_actions) -> None:
    """`invoice void` and `invoice rectify`, beside `invoice create`."""
    void = invoice_actions.add_parser(
        "void",
        help=_(
            "void an issued invoice that should never have existed (admin; VERI*FACTU "
            "records its anulación)"
        ),
    )
    void.add_argument("number", metavar="NUMBER", help=_("e.g. F2026-00001"))
    void.add_argument("--reason", required=True, help=_("why it should never have existed"))
    rectify = invoice_actions.add_parser(
        "rectify", help=_("write a rectifying invoice for an issued one (prints its draft id)")
    )
    rectify.add_argument("number", metavar="NUMBER", help=_("the invoice to rectify"))
    rectify.add_argument(
        "--mode",
        choices=["difference", "replacement"],
        default="difference",
        help=_("by difference (negative lines) or by replacement (restated lines)"),
    )
    rectify.add_argument("--reason", required=True, help=_("the reason printed on it"))
    rectify.add_argument(
        "--cause",
        choices=["R1", "R2", "R3", "R4"],
        default="R1",
        help=_(
            "legal cause: R1 error in law, art. 80.1, 80.2, 80.6 LIVA (default); R2 insolvency "
            "(80.3); R3 bad debt (80.4); R4 other (a simplified invoice always gets R5)"
        ),
    )
    rectify.add_argument(
        "--line",
        action="append",
        metavar="DESCRIPTION|QTY|UNIT_PRICE|IVA%",
        help=_(
            "the corrections (difference) or the restated lines (replacement); by default "
            "the whole invoice cancelled (difference) or copied (replacement)"
        ),
    )
    rectify.add_argument("--date", type=date_arg, metavar="DATE", help=_("issue date"))
    rectify.add_argument("--issue", action="store_true", help=_("issue it now"))


def parse_line(number: int, text: str):
    """One --line "DESCRIPTION|QTY|UNIT_PRICE|IVA%" (the description may contain "|")."""
    from ..money import MoneyError, parse_amount
    from ..services.lines import LineInput

    parts = text.rsplit("|", 3)
    if len(parts) != 4:
        raise UserError(
            _("--line {n}: expected DESCRIPTION|QTY|UNIT_PRICE|IVA%, got {text!r}").format(
                n=number, text=text
            )
        )
    description, quantity_text, price_text, vat_text = (p.strip() for p in parts)
    if not description:
        raise UserError(_("--line {n}: the description is empty").format(n=number))
    try:
        quantity = _plain_number(quantity_text)
    except ValueError:
        raise UserError(
            _("--line {n}: quantity {value!r} is not a number").format(
                n=number, value=quantity_text
            )
        ) from None
    try:
        price = parse_amount(price_text)
    except MoneyError:
        raise UserError(
            _("--line {n}: unit price {value!r} is not an amount").format(
                n=number, value=price_text
            )
        ) from None
    try:
        vat = _plain_number(vat_text.rstrip("%").strip())
    except ValueError:
        raise UserError(
            _("--line {n}: IVA {value!r} is not a percent").format(n=number, value=vat_text)
        ) from None
    return LineInput(description=description, quantity=quantity, unit_price=price, vat_rate=vat)


def _plain_number(text: str) -> Decimal:
    """A quantity or percent: "2", "1.5", "1,5" (no thousands separators)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def cmd_invoice(args: argparse.Namespace) -> int:

    if args.action == "void":
        return _void(args)
    if args.action == "rectify":
        return _rectify(args)

    lines = [parse_line(n, text) for n, text in enumerate(args.line, start=1)]
    irpf = None
    if args.irpf is not None:
        try:
            irpf = _plain_number(args.irpf.rstrip("%"))
        except ValueError:
            raise UserError(
                _("--irpf {value!r} is not a percent").format(value=args.irpf)
            ) from None
    open_db(args)
    from ..db import transactional
    from ..services import clients, invoices
    from ..services.permissions import require

    require("invoices.issue" if args.issue else "invoices.draft")  # before anything is written
    if args.issue and args.date is not None:
        problem = invoices.issue_date_problem(args.date)
        if problem:
            raise UserError(_("--date: {reason}").format(reason=problem))
    if args.client_name is not None:
        found = clients.find_by_name(args.client_name)
        if not found:
            raise UserError(
                _(
                    "--client-name: no client is named {name} (create it first, in the TUI or "
                    "with `tui-crm import clients`)"
                ).format(name=args.client_name)
            )
        if len(found) > 1:
            raise UserError(
                _(
                    "--client-name: {n} clients are named {name} (ids {ids}); use --client "
                    "TAX_ID, or give them different names"
                ).format(n=len(found), name=args.client_name, ids=", ".join(map(str, found)))
            )
        client_id = found[0]
    else:
        client_id = clients.find_by_tax_id(args.client)
        if client_id is None:
            raise UserError(_("no client has the tax ID {tax_id}").format(tax_id=args.client))
    data = invoices.InvoiceDraftInput(
        client_id=client_id,
        lines=lines,
        series=args.series or "",
        issue_date=args.date,
        irpf_rate=irpf,
        recargo=True if args.recargo else None,
        invoice_type=args.type,
        replaces=list(args.replaces),
        exemption_reason=args.exempt,
        exemption_code=args.exemption_code,
        operation_date=args.operation_date,
    )
    if not args.issue:
        print(invoices.create_draft(data))
        return EXIT_OK

    @transactional
    def create_and_issue() -> str:  # all or nothing: no draft is left behind on a refusal
        draft_id = invoices.create_draft(data)
        return invoices.issue_invoice(draft_id, args.date).code

    code = create_and_issue()
    print(code)
    unprintable = invoices.unprintable_in_invoice(invoices.find_by_code(code))
    if unprintable:  # issued all the same (it is the law's record), but said plainly
        print(
            "tui-crm: "
            + _("warning")
            + ": "
            + _(
                "{code} holds characters its PDF cannot print right on this machine: {chars} "
                "(see `tui-crm print`)"
            ).format(code=code, chars=unprintable),
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_print(args: argparse.Namespace) -> int:
    """The PDF to FILE (written the safe way: an existing FILE only with --force), then kept
    with the record's documents; a failure says why and leaves neither behind."""

    if args.kind == "statement":
        return _print_statement(args)
    if not args.number:
        raise UserError(_("print {kind} needs its NUMBER").format(kind=args.kind))
    open_db(args)
    from ..services import invoices, printing, quotes
    from ..services.output_files import check_target, write_bytes

    output: Path = args.output.expanduser()
    finder = invoices.find_by_code if args.kind == "invoice" else quotes.find_by_code
    record_id = finder(args.number)
    check_target(output, force=args.force)  # refused before the PDF is made
    if args.kind == "invoice":
        printed = printing.print_invoice(record_id, store=False)
    else:
        printed = printing.print_quote(record_id, store=False)
    from ..db import transactional

    published: list[Path] = []

    @transactional
    def write_and_keep() -> Path:
        # The document row commits only once the file is complete: one without the other
        # is never left behind.
        printing.keep_printed(args.kind, record_id, printed)
        published.append(write_bytes(output, printed.data, force=args.force))
        return published[-1]

    from ..db import read_only_reason

    try:
        if read_only_reason():  # printing is reading: the PDF is not kept
            written = write_bytes(output, printed.data, force=args.force)
        else:
            written = write_and_keep()
    except BaseException:
        for path in published:  # written, but the record of it could not be committed
            path.unlink(missing_ok=True)
        raise
    print(_("{file} written ({size} bytes)").format(file=written, size=len(printed.data)))
    if printed.unprintable:  # a legal document never loses a character without saying so
        print("tui-crm: " + _("warning") + ": " + printed.warning(), file=sys.stderr)
    return EXIT_OK


def _print_statement(args: argparse.Namespace) -> int:
    """A client's statement of account to FILE (an existing FILE only with --force)."""
    if not args.client:
        raise UserError(_("print statement needs --client TAX_ID"))
    open_db(args)
    from ..services import statements
    from ..services.reports import client_id_for

    client_id = client_id_for(args.client)
    if client_id is None:
        raise UserError(_("no client with tax ID {tax_id}").format(tax_id=args.client))
    written, size = statements.write_statement(
        client_id, args.output, args.date_from, args.date_to, force=args.force
    )
    print(_("{file} written ({size} bytes)").format(file=written, size=size))
    return EXIT_OK


def cmd_recurring(args: argparse.Namespace) -> int:

    open_db(args)
    from ..services import quotes, recurring

    as_of = recurring.check_run(args.as_of)  # refused here, before anything is written
    expired = quotes.expire_quotes(as_of)
    run = recurring.run_recurring(as_of)
    for created in run.created:
        label = created.code or _("draft {id}").format(id=created.invoice_id)
        print(
            _("{label}  (template {template}, period {period})").format(
                label=label, template=created.recurring_id, period=date_text(created.period)
            )
        )
    for problem in run.problems:
        print(
            _("template {template}, period {period}: {message}").format(
                template=problem.recurring_id,
                period=date_text(problem.period),
                message=problem.message,
            ),
            file=sys.stderr,
        )
    print(
        ", ".join(
            (
                ngettext("{n} invoice created", "{n} invoices created", len(run.created)).format(
                    n=len(run.created)
                ),
                ngettext("{n} problem", "{n} problems", len(run.problems)).format(
                    n=len(run.problems)
                ),
                ngettext("{n} quote expired", "{n} quotes expired", expired).format(n=expired),
            )
        )
    )
    return EXIT_ERROR if run.problems else EXIT_OK


def _void(args: argparse.Namespace) -> int:

    open_db(args)
    from ..services import invoices, verifactu

    result = verifactu.void_invoice(invoices.find_by_code(args.number), args.reason)
    if result.record_id is not None:
        print(
            _("{code} voided; its registro de anulación waits to be sent").format(code=result.code)
        )
    else:
        print(_("{code} voided").format(code=result.code))
    return EXIT_OK


def _rectify(args: argparse.Namespace) -> int:

    lines = (
        [parse_line(n, text) for n, text in enumerate(args.line, start=1)] if args.line else None
    )
    open_db(args)
    from ..db import transactional
    from ..services import invoices

    original = invoices.find_by_code(args.number)

    @transactional
    def write() -> str:  # all or nothing: no draft is left behind on a refusal
        draft_id = invoices.create_rectifying_draft(
            original, args.mode, args.reason, lines, issue_date=args.date, cause=args.cause
        )
        if not args.issue:
            return str(draft_id)
        return invoices.issue_invoice(draft_id, args.date).code

    print(write())
    return EXIT_OK
