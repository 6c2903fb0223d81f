"""The analytics reports of the command line: `report revenue|monthly|pnl|pipeline`.

`cli.py` registers them; the figures come from `services.analytics` through the plain
rows of `services.reports`, exactly as the Reports screen shows them. `--year` and
`--as-of` choose the period (see `analytics.report_period`); `defaulters` stays with the
receivables board (`cli_invoicing`).
"""

from __future__ import annotations

import argparse
import sys

from .i18n import _

ANALYTICS_REPORTS = ("revenue", "monthly", "pnl", "pipeline")


def cmd_report(args: argparse.Namespace, open_db) -> int:
    from .cli import EXIT_OK
    from .services.analytics import report_period

    report_period(args.year, args.as_of)  # a bad period is refused before opening anything
    open_db(args)
    from .db import read_snapshot
    from .exports.tabular import write_report
    from .services import reports

    with read_snapshot():  # one consistent view of the books for the whole report
        if args.name == "revenue":
            columns = reports.REVENUE_COLUMNS
            rows = reports.revenue_rows(args.year, args.as_of, getattr(args, "top", None))
        elif args.name == "monthly":
            columns, rows = reports.MONTHLY_COLUMNS, reports.monthly_rows(args.year, args.as_of)
        elif args.name == "pnl":
            columns, rows = reports.PNL_COLUMNS, reports.pnl_rows(args.year, args.as_of)
        else:
            columns = reports.PIPELINE_COLUMNS
            rows = reports.pipeline_rows(args.year, args.as_of)
        write_report(
            rows, [c.key for c in columns], args.format, sys.stdout, [_(c.label) for c in columns]
        )
    return EXIT_OK
