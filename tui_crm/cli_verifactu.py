"""The VERI*FACTU side of the command line: `verifactu send` (for cron).

`cli.py` registers these; the rules live in `services.verifactu_sender`, exactly as the
TUI's background sender uses them.
"""

from __future__ import annotations

import argparse
import sys
import time

from .i18n import _


def add_parsers(sub, date_type) -> None:
    """Add `verifactu` and its actions to the command line's subparsers."""
    from .cli import _Parser

    verifactu = sub.add_parser("verifactu", help=_("VERI*FACTU: the records AEAT receives"))
    actions = verifactu.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
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


def cmd_verifactu(args: argparse.Namespace, open_db) -> int:
    if args.action == "send":
        return _send(args, open_db)
    raise AssertionError(args.action)


def _send(args: argparse.Namespace, open_db) -> int:
    from .cli import EXIT_ERROR, EXIT_OK
    from .models.base import utcnow
    from .services import verifactu_sender

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
