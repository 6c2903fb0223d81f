"""VERI*FACTU on the command line: `verifactu xml NUMBER`, `verifactu declaration` and
`verifactu send` (for cron); `report verifactu` is with the reports, `invoice void` and
`invoice rectify` with the invoices. The rules live in `services.verifactu` and
`services.verifactu_sender`, exactly as the TUI uses them.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..i18n import _
from .common import EXIT_ERROR, EXIT_OK, UserError, open_db, subcommands


def add_parsers(sub) -> argparse.ArgumentParser:
    """Add `verifactu` (xml, declaration) to the command line; returns its parser so the
    transport can add `send` to the same group."""

    verifactu = sub.add_parser("verifactu", help=_("VERI*FACTU records of the invoices"))
    actions = subcommands(verifactu)
    xml = actions.add_parser("xml", help=_("print the XML of an invoice's record, as sent to AEAT"))
    xml.add_argument("number", metavar="NUMBER", help=_("e.g. F2026-00001"))
    xml.add_argument(
        "--all", action="store_true", help=_("every record of the invoice, oldest first")
    )
    actions.add_parser(
        "declaration", help=_("print the declaración responsable of this invoicing system")
    )
    send = actions.add_parser(
        "send",
        help=_("send the pending records to AEAT (for cron: safe to run twice or at once)"),
        description=_(
            "Send the records waiting for AEAT, per issuer in chain order, at most 1,000 to "
            "a message, honouring AEAT's waiting time between messages; print one line: sent, "
            "accepted, with errors, rejected, pending, and when the next send is allowed. "
            "Exit status 1 when something could not be sent or AEAT rejected a record."
        ),
    )
    send.add_argument(
        "--wait",
        action="store_true",
        help=_("when AEAT's waiting time has not passed yet, wait for it instead of stopping"),
    )
    return verifactu


def cmd_verifactu(args: argparse.Namespace) -> int:

    if args.action == "send":
        return _send(args)
    if args.action == "declaration":
        from ..services.verifactu import declaration

        print(declaration())
        return EXIT_OK
    open_db(args)
    from ..services import invoices, verifactu

    found = verifactu.records_of(invoices.find_by_code(args.number))
    if not found:
        raise UserError(
            _(
                "{number} has no VERI*FACTU record (issued while VERI*FACTU was off, or imported)"
            ).format(number=args.number)
        )
    for _id, _type, _status, xml in found if args.all else found[-1:]:
        sys.stdout.write(xml + "\n")
    return EXIT_OK


def _send(args: argparse.Namespace) -> int:
    """`verifactu send`: the outbox now (and, with --wait, again once AEAT's time has passed)."""
    from ..models.base import utcnow
    from ..services import verifactu_sender

    open_db(args)
    total = verifactu_sender.SendReport()
    while True:
        report = verifactu_sender.send_pending()
        for name in ("sent", "accepted", "with_errors", "rejected", "in_doubt"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.rejections += report.rejections
        total.problems += report.problems
        total.pending, total.next_send_at = report.pending, report.next_send_at
        due = report.next_send_at
        if not (args.wait and report.pending and due and not report.problems and not report.busy):
            total.notes += report.notes
            break
        seconds = max(0.0, (due - utcnow()).total_seconds()) + 1
        print(
            _("waiting {seconds} s for AEAT's waiting time").format(seconds=round(seconds)),
            file=sys.stderr,
        )
        time.sleep(seconds)
    for line in total.notes:
        print(line, file=sys.stderr)
    for line in total.rejections:
        print(_("rejected: {record}").format(record=line), file=sys.stderr)
    for line in total.problems:
        print(_("not sent: {reason}").format(reason=line), file=sys.stderr)
    print(total.summary())
    return EXIT_ERROR if total.problems or total.rejections else EXIT_OK
