"""Money in from the bank on the command line: `payment add|reverse`, `import statement`
(registered by `excel`, under `import`), `remittance create|list|cancel` and `mandate
add|list|revoke`. The rules live in `services.payments`, `services.bank` and
`services.sepa`, exactly as the TUI uses them.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

from ..i18n import _, ngettext
from ..i18n.formats import date_text, money_text
from ..payment_methods import METHODS
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    FORMATS,
    UserError,
    date_arg,
    open_db,
    print_rows,
    subcommands,
)


def add_parsers(sub) -> None:
    """Add `payment`, `remittance` and `mandate` to the command line's subparsers."""

    payment = sub.add_parser("payment", help=_("register or reverse a payment"))
    payment_sub = subcommands(payment)
    add = payment_sub.add_parser(
        "add",
        help=_("register a payment (prints its id)"),
        description=_(
            "Register a payment of one invoice (--invoice) or of a client's invoices, the "
            "oldest first (--client). An overpayment is refused."
        ),
    )
    whose = add.add_mutually_exclusive_group(required=True)
    whose.add_argument(
        "--invoice", metavar="NUMBER", help=_("the invoice it pays, e.g. F2026-00001")
    )
    whose.add_argument(
        "--client", metavar="TAX_ID", help=_("the client; settles its oldest invoices first")
    )
    add.add_argument("--amount", required=True, metavar="A", help=_("1.234,56 or 1,234.56"))
    add.add_argument("--date", type=date_arg, metavar="D", help=_("payment date (default today)"))
    add.add_argument("--method", choices=METHODS, default="transfer")
    add.add_argument("--reference", default="", metavar="R", help=_("bank reference, cheque…"))
    reverse = payment_sub.add_parser(
        "reverse", help=_("reverse a payment (the invoices owe again)")
    )
    reverse.add_argument("id", type=int, metavar="ID", help=_("the payment's number"))
    reverse.add_argument("--reason", required=True, metavar="TEXT")

    remittance = sub.add_parser("remittance", help=_("SEPA direct-debit remittances"))
    rem_sub = subcommands(remittance)
    create = rem_sub.add_parser(
        "create",
        help=_("collect the invoices due by a date by direct debit (a pain.008 file)"),
        description=_(
            "Collect every unpaid invoice due by --due-by of the clients with an active "
            "mandate: writes the pain.008 XML for the bank and records the remittance."
        ),
    )
    create.add_argument("--due-by", type=date_arg, required=True, metavar="D")
    create.add_argument(
        "--collect-on", type=date_arg, metavar="D", help=_("default: the next business day")
    )
    create.add_argument("--scheme", choices=["CORE", "B2B"], default="CORE")
    create.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xml")
    create.add_argument("--force", action="store_true", help=_("replace FILE.xml if it exists"))
    create.add_argument(
        "--dry-run", action="store_true", help=_("list what would be collected; write nothing")
    )
    listing = rem_sub.add_parser("list", help=_("the remittances, newest first"))
    listing.add_argument("--format", choices=FORMATS, default="plain")
    cancel = rem_sub.add_parser("cancel", help=_("cancel a remittance the bank has not collected"))
    cancel.add_argument("id", type=int, metavar="ID")

    mandate = sub.add_parser("mandate", help=_("clients' direct-debit mandates"))
    man_sub = subcommands(mandate)
    madd = man_sub.add_parser("add", help=_("record a signed mandate (prints its id)"))
    madd.add_argument("--client", required=True, metavar="TAX_ID")
    madd.add_argument("--reference", required=True, metavar="REF")
    madd.add_argument("--signed", type=date_arg, required=True, metavar="D")
    madd.add_argument("--iban", required=True)
    madd.add_argument("--bic", default="")
    madd.add_argument("--scheme", choices=["CORE", "B2B"], default="CORE")
    madd.add_argument("--sequence", choices=["FRST", "RCUR"], default="FRST")
    mlist = man_sub.add_parser("list", help=_("every mandate"))
    mlist.add_argument("--client", metavar="TAX_ID")
    mlist.add_argument("--format", choices=FORMATS, default="plain")
    revoke = man_sub.add_parser("revoke", help=_("stop collecting under a mandate"))
    revoke.add_argument("reference", metavar="REF")


def add_import_parser(imp_sub) -> None:
    """`tui-crm import statement FILE.n43` (under `import`, with clients and invoices)."""
    one = imp_sub.add_parser(
        "statement",
        help=_("a Norma 43 bank statement: match its lines to open invoices"),
        description=_(
            "Read a Norma 43 (AEB Cuaderno 43) statement, print each line with its proposed "
            "match and keep the new lines for review; importing a statement twice adds "
            "nothing. With --accept-sure the sure matches become payments (for cron)."
        ),
    )
    one.add_argument("file", type=Path, metavar="FILE")
    one.add_argument("--dry-run", action="store_true", help=_("check and report, write nothing"))
    one.add_argument(
        "--accept-sure", action="store_true", help=_("record the sure matches as payments")
    )


def _amount(text: str) -> Decimal:
    from ..money import MoneyError, parse_amount

    try:
        return parse_amount(text)
    except MoneyError:
        raise UserError(_("--amount {value!r} is not an amount").format(value=text)) from None


def _client(tax_id: str) -> int:
    from ..services import clients

    client_id = clients.find_by_tax_id(tax_id)
    if client_id is None:
        raise UserError(_("no client has the tax ID {tax_id}").format(tax_id=tax_id))
    return client_id


def cmd_payment(args: argparse.Namespace) -> int:
    import datetime as dt

    open_db(args)
    from ..services import invoices, payments

    if args.action == "reverse":
        payments.reverse_payment(args.id, args.reason)
        print(_("Payment {id} reversed.").format(id=args.id))
        return EXIT_OK
    amount = _amount(args.amount)
    day = args.date or dt.date.today()
    if args.invoice:
        invoice = invoices.get_invoice(invoices.find_by_code(args.invoice))
        payment_id = payments.register_payment(
            invoice.client_id,
            day,
            amount,
            args.method,
            args.reference,
            allocations=[(invoice.id, amount)],
        )
    else:
        payment_id = payments.register_payment(
            _client(args.client), day, amount, args.method, args.reference
        )
    print(payment_id)
    return EXIT_OK


def cmd_import_statement(args: argparse.Namespace) -> int:

    open_db(args)
    from ..services import bank

    report = bank.import_statement(args.file, dry_run=args.dry_run, accept_sure=args.accept_sure)
    for line in report.lines:
        print(statement_line_text(line))
    print(import_summary(report))
    return EXIT_ERROR if report.failed else EXIT_OK


def statement_line_text(item) -> str:
    """One line of `import statement`: date, amount, text, the match and what became of it."""
    from ..services import bank
    from ..text import one_line

    line = item.line
    concept = one_line(line.concept or line.reference2 or "")
    if len(concept) > 38:
        concept = concept[:37] + "…"
    if item.known:
        state = _("already imported: {status}").format(
            status=_(bank.STATUS_LABELS.get(item.status, item.status))
        )
    elif item.accepted:
        state = _("accepted")
    elif item.error:
        state = _("refused: {reason}").format(reason=item.error)
    elif item.kind == "charge":
        state = _("ignored")
    elif item.status == "new":
        state = _("new")
    else:
        state = _("waiting for review")
    return (
        f"{date_text(line.operation_date)}  {money_text(line.amount):>14}  {concept:<38}  → "
        f"{bank.describe(item.proposal, line.amount)}  [{state}]"
    )


def import_summary(report) -> str:
    lines = ngettext("{n} line", "{n} lines", len(report.lines)).format(n=len(report.lines))
    new = ngettext("{n} new", "{n} new", report.new).format(n=report.new)
    known = ngettext("{n} already imported", "{n} already imported", report.known).format(
        n=report.known
    )
    if report.dry_run:
        sure = ngettext("{n} sure match", "{n} sure matches", report.sure).format(n=report.sure)
        return _("{file}: {lines}, {new} ({sure}), {known}; dry run, nothing written").format(
            file=report.file_name, lines=lines, new=new, sure=sure, known=known
        )
    accepted = ngettext("{n} accepted", "{n} accepted", report.accepted).format(n=report.accepted)
    pending = ngettext("{n} waiting for review", "{n} waiting for review", report.pending).format(
        n=report.pending
    )
    return _("{file}: {lines}, {new}, {known}; {accepted}, {pending}").format(
        file=report.file_name,
        lines=lines,
        new=new,
        known=known,
        accepted=accepted,
        pending=pending,
    )


def cmd_remittance(args: argparse.Namespace) -> int:
    import datetime as dt

    open_db(args)
    from ..services import sepa

    if args.action == "list":
        rows = [
            {
                "id": r.id,
                "message_id": r.message_id,
                "created_at": r.created_at.date(),
                "collection_date": r.collection_date,
                "scheme": r.scheme,
                "count": r.count,
                "total": r.total,
                "status": r.status,
                "collected": r.collected,
                "returned": r.returned,
                "file": r.file_name,
            }
            for r in sepa.list_remittances(0, 10_000)
        ]
        print_rows(rows, sepa.REMITTANCE_COLUMNS, args.format)
        return EXIT_OK
    if args.action == "cancel":
        n = sepa.cancel_remittance(args.id)
        print(
            ngettext(
                "Remittance {id} cancelled: {n} direct debit freed.",
                "Remittance {id} cancelled: {n} direct debits freed.",
                n,
            ).format(id=args.id, n=n)
        )
        return EXIT_OK
    if args.dry_run:
        found = sepa.collectable_invoices(args.due_by, args.scheme)
        for c in found:
            print(
                f"{c.code}  {date_text(c.due_date)}  {money_text(c.outstanding):>14}  "
                f"{c.sequence}  {c.mandate_reference}  {c.client_name}"
            )
        total = sum((c.outstanding for c in found), Decimal(0))
        print(
            ngettext(
                "{n} direct debit, {total}; dry run, nothing written",
                "{n} direct debits, {total}; dry run, nothing written",
                len(found),
            ).format(n=len(found), total=money_text(total))
        )
        return EXIT_OK
    if args.collect_on is not None and args.collect_on <= dt.date.today():
        raise UserError(_("--collect-on must be after today"))
    result = sepa.create_remittance(
        args.due_by,
        args.output,
        collect_on=args.collect_on,
        scheme=args.scheme,
        force=args.force,
    )
    print(
        ngettext(
            "Remittance {id}: {n} direct debit ({first} first), {total}, to collect on "
            "{date}; written to {path}",
            "Remittance {id}: {n} direct debits ({first} first), {total}, to collect on "
            "{date}; written to {path}",
            result.count,
        ).format(
            id=result.id,
            n=result.count,
            first=result.first,
            total=money_text(result.total),
            date=date_text(result.collection_date),
            path=result.path,
        )
    )
    return EXIT_OK


def cmd_mandate(args: argparse.Namespace) -> int:

    open_db(args)
    from ..services import sepa

    if args.action == "add":
        mandate_id = sepa.create_mandate(
            sepa.MandateInput(
                client_id=_client(args.client),
                reference=args.reference,
                signed_on=args.signed,
                iban=args.iban,
                bic=args.bic,
                scheme=args.scheme,
                sequence=args.sequence,
            )
        )
        print(mandate_id)
        return EXIT_OK
    if args.action == "revoke":
        sepa.set_mandate_active(sepa.find_mandate(args.reference), False)
        print(_("Mandate {reference} revoked.").format(reference=args.reference))
        return EXIT_OK
    client_id = _client(args.client) if args.client else None
    rows = [
        {
            "reference": m.reference,
            "client": m.client_name,
            "tax_id": m.tax_id,
            "signed_on": m.signed_on,
            "iban": m.iban,
            "bic": m.bic,
            "scheme": m.scheme,
            "sequence": m.sequence,
            "active": m.active,
            "last_collected_on": m.last_collected_on,
        }
        for m in sepa.list_mandates(client_id, 0, None)
    ]
    print_rows(rows, sepa.MANDATE_COLUMNS, args.format)
    return EXIT_OK
