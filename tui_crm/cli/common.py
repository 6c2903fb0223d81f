"""What every command of the command line shares: exit statuses, the one-line user error,
argument types, opening the database, and printing rows in `--format`.

Nothing here imports a service at module level: `tui-crm --help` and the TUI's start
load this module, and each command imports the services it uses when it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .. import config
from ..i18n import _

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
FORMATS = ("plain", "github", "csv", "json")


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


class Parser(argparse.ArgumentParser):
    """Bad usage is one line and exit status 2."""

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: " + _("error") + f": {message}\n")


def date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a date (expected YYYY-MM-DD)").format(value=text)
        ) from None


def positive_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a whole number").format(value=text)
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value!r} must not be negative").format(value=text))
    return value


def subcommands(parser: argparse.ArgumentParser, dest: str = "action"):
    """The ACTION of a command (`payment add`, `config get` ...), required."""
    return parser.add_subparsers(dest=dest, metavar="ACTION", parser_class=Parser, required=True)


def db_target(args: argparse.Namespace) -> config.DatabaseTarget:
    if getattr(args, "demo", False):
        return config.DatabaseTarget(str(config.demo_db_path()))
    return config.resolve_database(args.db)


def open_db(args: argparse.Namespace, *, create: bool = False, initialise: bool = False):
    """Open (and migrate) the database of `--db`/`--demo` as the acting user."""
    from ..services.startup import open_for_use

    return open_for_use(db_target(args), user=args.user, create=create, initialise=initialise)


def ensure_default_dir(args: argparse.Namespace) -> None:
    """The default locations (data directory) are ours to create; a path the user gave is not."""
    if args.demo or (args.db is None and not os.environ.get(config.ENV_DB)):
        path = db_target(args).path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)


def print_rows(rows: Iterable[Any], columns: Sequence[Any], fmt: str) -> None:
    """Rows of a report to standard output in `fmt`, headed by its columns (`ReportColumn`s,
    whose labels are translated here). The plain and github formats show what a person
    reads, by each column's kind: amounts with the language's separators ("1.234,50"),
    percentages ("1,48 %"), dates as the language writes them, codes as words; JSON and
    CSV keep plain numbers, fractions, ISO dates and codes."""
    from ..exports.tabular import write_report

    keys = [c.key for c in columns]
    align = None
    if fmt in ("plain", "github"):
        rows = readable_rows(rows, columns)
        align = ["right" if c.kind in _FIGURES else "left" for c in columns]
    write_report(rows, keys, fmt, sys.stdout, [_(c.label) for c in columns], align)


_FIGURES = frozenset({"money", "percent", "int"})


def readable_rows(rows: Iterable[Any], columns: Sequence[Any]) -> Iterable[list[str]]:
    """Each row (a mapping by key or a sequence in column order) as the texts a person
    reads, column by column according to its kind (`ReportColumn`)."""
    from ..exports.tabular import values_of

    writers = [_reader(column) for column in columns]
    keys = [c.key for c in columns]
    for row in rows:
        yield [write(value) for write, value in zip(writers, values_of(row, keys), strict=False)]


def _reader(column: Any) -> Callable[[Any], str]:
    from decimal import Decimal

    from ..i18n.formats import date_text, datetime_text, fixed_number_writer

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if column.labels and value in column.labels:
            return _(column.labels[value])
        if isinstance(value, dt.datetime):
            return datetime_text(value)
        if isinstance(value, dt.date):
            return date_text(value)
        return str(value)

    # amount_text and percent_text(fixed=True), with the language's number format
    # read once per column: a long report has hundreds of thousands of them.
    if column.kind == "money":
        amount_text = fixed_number_writer(2)

        def money(value: Any) -> str:
            if value.__class__ is not Decimal:
                if value is None or value == "":
                    return ""
                value = Decimal(str(value))
            return amount_text(value)

        return money
    if column.kind == "percent":
        scale = 100 if column.fraction else 1
        number_text = fixed_number_writer(2)

        def percent(value: Any) -> str:
            if value.__class__ is not Decimal:
                if value is None or value == "":
                    return ""
                value = Decimal(str(value))
            return number_text(value * scale) + " %"

        return percent
    return text


def progress_printer() -> Callable[[str, float], None]:
    """Progress of a long job on stderr: a line that updates on a terminal, phases otherwise."""
    from ..i18n.formats import percent_text

    interactive = sys.stderr.isatty()
    last = {"phase": ""}

    def show(phase: str, fraction: float) -> None:
        if interactive:
            sys.stderr.write(f"\r{phase:<30} {percent_text(round(fraction * 100, 1), 1):>7}")
            if fraction >= 1:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif phase != last["phase"]:
            sys.stderr.write(f"{phase}\n")
            last["phase"] = phase

    return show
