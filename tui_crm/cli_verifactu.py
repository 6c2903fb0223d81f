"""VERI*FACTU on the command line: `report verifactu`, `verifactu xml NUMBER`, `verifactu
declaration`, and `invoice void` / `invoice rectify`. `cli.py` registers these; the rules
live in `services.verifactu` and `services.invoices`, exactly as the TUI uses them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .i18n import N_, _

REPORT_COLUMNS = (
    ("number", N_("Number")),
    ("issue_date", N_("Issue date")),
    ("record_type", N_("Record")),
    ("invoice_type", N_("Type")),
    ("vat_total", N_("Taxes")),
    ("total", N_("Total")),
    ("previous_hash", N_("Previous hash")),
    ("hash", N_("Hash")),
    ("generated_at", N_("Generated at")),
    ("status", N_("Status")),
    ("error_code", N_("Error code")),
    ("error", N_("Error")),
    ("csv", N_("CSV")),
)


def add_parsers(sub, date_type) -> argparse.ArgumentParser:
    """Add `verifactu` (xml, declaration) to the command line; returns its parser so the
    transport can add `send` to the same group."""
    from .cli import _Parser

    verifactu = sub.add_parser("verifactu", help=_("VERI*FACTU records of the invoices"))
    actions = verifactu.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    xml = actions.add_parser("xml", help=_("print the XML of an invoice's record, as sent to AEAT"))
    xml.add_argument("number", metavar="NUMBER", help=_("e.g. F2026-00001"))
    xml.add_argument(
        "--all", action="store_true", help=_("every record of the invoice, oldest first")
    )
    actions.add_parser(
        "declaration", help=_("print the declaración responsable of this invoicing system")
    )
    return verifactu


def add_invoice_actions(invoice_actions, date_type) -> None:
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
    rectify.add_argument("--date", type=date_type, metavar="DATE", help=_("issue date"))
    rectify.add_argument("--issue", action="store_true", help=_("issue it now"))


def cmd_void(args: argparse.Namespace, open_db) -> int:
    from .cli import EXIT_OK

    open_db(args)
    from .services import invoices, verifactu

    result = verifactu.void_invoice(invoices.find_by_code(args.number), args.reason)
    if result.record_id is not None:
        print(
            _("{code} voided; its registro de anulación waits to be sent").format(code=result.code)
        )
    else:
        print(_("{code} voided").format(code=result.code))
    return EXIT_OK


def cmd_rectify(args: argparse.Namespace, open_db) -> int:
    from .cli import EXIT_OK
    from .cli_invoicing import _parse_line

    lines = (
        [_parse_line(n, text) for n, text in enumerate(args.line, start=1)] if args.line else None
    )
    open_db(args)
    from .db import transactional
    from .services import invoices

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


def _report_value(value: str) -> Any:
    return value if value != "" else None


def cmd_report(args: argparse.Namespace, open_db) -> int:
    """`report verifactu`: one row per record, in chain order."""
    from .cli import EXIT_OK

    open_db(args)
    from .db import read_snapshot
    from .exports.tabular import write_report
    from .services import verifactu

    def rows():
        for r in verifactu.report_rows():
            yield {
                "number": r.number,
                "issue_date": r.issue_date,
                "record_type": r.record_type,
                "invoice_type": _report_value(r.invoice_type),
                "vat_total": _report_value(r.vat_total),
                "total": _report_value(r.total),
                "previous_hash": _report_value(r.previous_hash),
                "hash": r.hash,
                "generated_at": r.generated_at,
                "status": r.status,
                "error_code": _report_value(r.error_code),
                "error": _report_value(r.error),
                "csv": _report_value(r.csv),
            }

    with read_snapshot():
        write_report(
            rows(),
            [key for key, _label in REPORT_COLUMNS],
            args.format,
            sys.stdout,
            [_(label) for _key, label in REPORT_COLUMNS],
        )
    return EXIT_OK


def cmd_verifactu(args: argparse.Namespace, open_db) -> int:
    from .cli import EXIT_OK, UserError

    if args.action == "declaration":
        from .services.verifactu import declaration

        print(declaration())
        return EXIT_OK
    open_db(args)
    from .services import verifactu

    found = verifactu.records_of(args.number)
    if not found:
        raise UserError(
            _(
                "{number} has no VERI*FACTU record (issued while VERI*FACTU was off, or imported)"
            ).format(number=args.number)
        )
    for _id, _type, _status, xml in found if args.all else found[-1:]:
        sys.stdout.write(xml + "\n")
    return EXIT_OK
