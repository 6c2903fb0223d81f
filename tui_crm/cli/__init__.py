"""The command line: opens the TUI, and runs every scriptable job.

Exit status: 0 success, 1 a user error (one line naming the problem), 2 bad usage.
No traceback reaches a user: unexpected errors are written to a log file and
summarised in one line.

The package, one module per family of commands: `database` (init, demo, check, backup,
restore, config, and the TUI itself), `reports` (report NAME), `invoicing`, `bank`,
`email`, `excel` (export, import) and `verifactu`; what they share is in `common`. Each
module adds its parsers and holds its commands; this one builds the parser from them,
runs the command and turns every failure into one line. Commands import the services
they use when they run, so `tui-crm --help` and the TUI start without loading them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import config, i18n
from ..i18n import _
from . import bank, database, email, excel, expenses, invoicing, reports, verifactu
from .common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, Parser, UserError


def build_parser() -> argparse.ArgumentParser:
    from .argparse_text import speak_argparse

    speak_argparse()
    parser = Parser(
        prog="tui-crm",
        description=_("Keyboard-first CRM and invoicing for the terminal."),
    )
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help=_(
            "database file or PostgreSQL URL (default: $TUI_CRM_DB, else the user's data directory)"
        ),
    )
    parser.add_argument("--user", metavar="NAME", help=_("act as this user (admins and tests)"))
    parser.add_argument(
        "--demo",
        action="store_true",
        help=_("open the demo database (created and filled on first use)"),
    )
    parser.add_argument("--no-mouse", action="store_true", help=_("turn mouse reporting off"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for family in (database, reports, invoicing, excel, email, verifactu, bank, expenses):
        family.add_parsers(sub)
    return parser


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: database.cmd_tui,
    "init": database.cmd_init,
    "demo": database.cmd_demo,
    "check": database.cmd_check,
    "backup": database.cmd_backup,
    "restore": database.cmd_restore,
    "config": database.cmd_config,
    "report": reports.cmd_report,
    "invoice": invoicing.cmd_invoice,
    "print": invoicing.cmd_print,
    "recurring": invoicing.cmd_recurring,
    "export": excel.cmd_export,
    "import": excel.cmd_import,
    "send": email.cmd_send,
    "remind": email.cmd_remind,
    "secrets": email.cmd_secrets,
    "verifactu": verifactu.cmd_verifactu,
    "payment": bank.cmd_payment,
    "remittance": bank.cmd_remittance,
    "mandate": bank.cmd_mandate,
    "expense": expenses.cmd_expense,
}

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "UserError", "build_parser", "main"]


def _one_line(text: str) -> str:
    """Driver messages may span lines; a user error is one line."""
    return " ".join(text.split())


def _log_crash() -> Path | None:
    """Append the traceback to the crash log; whatever happens, never raise (the argument
    list may hold bytes that are not UTF-8, the disk may be full)."""
    try:
        from platformdirs import user_log_dir

        directory = Path(user_log_dir(config.APP_NAME, appauthor=False))
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "crash.log"
        with path.open("a", encoding="utf-8", errors="backslashreplace") as fh:
            # never a database password, from the command line or from an error's text
            fh.write(
                config.mask_secrets(f"--- {dt.datetime.now().isoformat()} {' '.join(sys.argv)}\n")
            )
            fh.write(config.mask_secrets(traceback.format_exc()))
        return path
    except Exception:
        return None


def _invalid_argument(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid UTF-8 (Python keeps such bytes as surrogates),
    shown with the bad bytes escaped; None when all are valid."""
    for index, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return _(
                "argument {n} ({arg}) is not valid UTF-8; type it again or rename the file"
            ).format(n=index, arg=shown)
    return None


def _fault_line(exc: BaseException) -> str | None:
    """One line for a fault of the machine (disk full, read-only, I/O error), or None."""
    from ..db import describe_fault

    cause = describe_fault(exc)
    if cause is None:
        return None
    return _("{cause}; nothing was changed").format(cause=cause)


def _complain(message: str) -> None:
    """One line on stderr, whatever bytes it holds (a file name that is not UTF-8), and never
    a database password (a URL's, or one an error quotes)."""
    text = config.mask_secrets("tui-crm: " + message)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    print(text, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from ..db import DatabaseError, secure_umask
    from ..migrations import SchemaError
    from ..services.errors import ServiceError, ValidationError

    secure_umask()
    if hasattr(signal, "SIGXFSZ"):
        # Past a file size limit (ulimit -f) a write fails with EFBIG, which is reported in
        # one line, instead of the signal killing the process half-way.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    i18n.setup(config.read_user_settings().get("ui.language"))
    arguments = list(sys.argv[1:] if argv is None else argv)
    invalid = _invalid_argument(arguments)
    if invalid is not None:
        _complain(_("error") + f": {invalid}")
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        return COMMANDS[args.command](args)
    except ValidationError as exc:
        _complain(
            _("error")
            + ": "
            + "; ".join(f"{field}: {reason}" for field, reason in exc.errors.items())
        )
    except (ServiceError, DatabaseError, SchemaError, UserError) as exc:
        _complain(_("error") + f": {_one_line(str(exc))}")
    except KeyboardInterrupt:
        _complain(_("interrupted"))
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        cause = _fault_line(exc)
        name = f" {exc.filename}" if exc.filename else ""
        if cause is not None:
            _complain(_("error") + f":{name} {cause}")
        else:
            _complain(_("error") + f":{name} {exc.strerror or exc}")
    except Exception as exc:
        cause = _fault_line(exc)
        if cause is not None:
            _complain(_("error") + f": {cause}")
            return EXIT_ERROR
        path = _log_crash()
        where = _(" (details in {path})").format(path=path) if path else ""
        _complain(_("internal error") + f": {type(exc).__name__}: {_one_line(str(exc))}{where}")
    return EXIT_ERROR
