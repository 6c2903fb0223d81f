"""The command line: opens the TUI, and runs every scriptable job (DESIGN §4).

Exit status: 0 success, 1 a user error (one line naming the problem), 2 bad usage.
No traceback reaches a user: unexpected errors are written to a log file and
summarised in one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import config, i18n
from .cli_analytics import ANALYTICS_REPORTS
from .cli_bank import BANK_REPORTS
from .i18n import _, ngettext

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: " + _("error") + f": {message}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a date (expected YYYY-MM-DD)").format(value=text)
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a whole number").format(value=text)
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value!r} must not be negative").format(value=text))
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("init", help=_("create or upgrade the database"))

    demo = sub.add_parser("demo", help=_("fill an empty database with realistic demo data"))
    demo.add_argument("--clients", type=_positive, default=200)
    demo.add_argument("--invoices", type=_positive, default=2000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--today", type=_date, help=_("pretend today is this date (YYYY-MM-DD)"))

    report = sub.add_parser("report", help=_("print a report"))
    report.add_argument(
        "name",
        choices=[
            *("clients", "agenda", "timeline", "invoices", "receivables", "defaulters"),
            *ANALYTICS_REPORTS,
            "verifactu",
            *BANK_REPORTS,
        ],
        metavar="NAME",
        help=_("report name: {names}").format(
            names="clients, agenda, timeline, invoices, receivables, defaulters, "
            "revenue, monthly, pnl, pipeline, payments, 347, verifactu"
        ),
    )
    report.add_argument("--format", choices=["plain", "github", "csv", "json"], default="plain")
    report.add_argument("--as-of", type=_date, metavar="DATE")
    report.add_argument("--year", type=int)
    report.add_argument(
        "--top", type=_positive, metavar="N", help=_("revenue: only the N largest and N smallest")
    )
    report.add_argument("--search", default="", help=_("only clients matching this text"))
    report.add_argument("--kind", choices=["lead", "client"])
    report.add_argument("--status", choices=["active", "archived", "all"], default="active")
    report.add_argument("--owner", default="")
    report.add_argument(
        "--sort", choices=["name", "revenue", "outstanding", "last_activity"], default="name"
    )
    report.add_argument(
        "--all-users", action="store_true", help=_("agenda: everyone's, not only mine")
    )
    report.add_argument("--client", metavar="TAX_ID", help=_("timeline: the client's tax ID"))
    from .cli_bank import add_report_arguments

    add_report_arguments(report, _date)

    sub.add_parser("check", help=_("check the database: integrity, permissions, file system"))

    backup = sub.add_parser("backup", help=_("take a consistent copy of the database"))
    backup.add_argument("file", type=Path, metavar="FILE", nargs="?")
    backup.add_argument(
        "--force",
        action="store_true",
        help=_("replace FILE if it exists (never a database in use)"),
    )
    backup.add_argument(
        "--daily",
        action="store_true",
        help=_("take today's backup if daily backups are on (backup.daily), and prune old ones"),
    )

    restore = sub.add_parser("restore", help=_("replace the database with a backup (admin)"))
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    restore.add_argument(
        "--wait",
        type=_positive,
        default=0,
        metavar="SECONDS",
        help=_("wait this long for other sessions to close the database (default: refuse at once)"),
    )

    cfg = sub.add_parser("config", help=_("read or change a setting"))
    cfg_sub = cfg.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    get = cfg_sub.add_parser("get", help=_("print one setting, or all of them"))
    get.add_argument("key", nargs="?")
    set_ = cfg_sub.add_parser("set", help=_("change a setting"))
    set_.add_argument("key")
    set_.add_argument("value")
    from .cli_invoicing import add_parsers as add_invoicing_parsers

    add_invoicing_parsers(sub, _date)
    from .cli_excel import add_parsers as add_excel_parsers

    add_excel_parsers(sub, _date)
    from .cli_email import add_parsers as add_email_parsers

    add_email_parsers(sub, _date)
    from .cli_verifactu import add_parsers as add_verifactu_parsers

    add_verifactu_parsers(sub, _date)
    from .cli_bank import add_parsers as add_bank_parsers

    add_bank_parsers(sub, _date)
    return parser


# --- commands ------------------------------------------------------------------


def _open(args: argparse.Namespace, *, create: bool = False, initialise: bool = False):
    from .services.startup import open_for_use

    target = _target(args)
    return open_for_use(target, user=args.user, create=create, initialise=initialise)


def _target(args: argparse.Namespace) -> config.DatabaseTarget:
    if getattr(args, "demo", False):
        return config.DatabaseTarget(str(config.demo_db_path()))
    return config.resolve_database(args.db)


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database, and put back the protections that live in it."""
    _ensure_default_dir(args)
    opened = _open(args, create=True, initialise=True)
    from .db import is_sqlite
    from .migrations import current_version
    from .services.protections import restore_protections

    repaired = [] if opened.read_only else restore_protections()
    for what in repaired:
        print(_("Put back {what} (it was missing or altered).").format(what=what))
    print(
        _("Database {target} ready at schema version {version} ({n} migrations applied).").format(
            target=opened.target, version=current_version(), n=opened.migrated
        )
    )
    if not is_sqlite():
        from .services import pg_roles

        base = pg_roles.install()
        print(
            _(
                "PostgreSQL roles: {admin}, {accounting}, {sales}, {readonly}; {login} is an admin."
            ).format(
                admin=f"{base}_admin",
                accounting=f"{base}_accounting",
                sales=f"{base}_sales",
                readonly=f"{base}_readonly",
                login=opened.real_login or opened.login,
            )
        )
    return EXIT_OK


def _progress_printer() -> Callable[[str, float], None]:
    interactive = sys.stderr.isatty()
    last = {"phase": ""}

    def show(phase: str, fraction: float) -> None:
        if interactive:
            sys.stderr.write(f"\r{phase:<30} {fraction:6.1%}")
            if fraction >= 1:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif phase != last["phase"]:
            sys.stderr.write(f"{phase}\n")
            last["phase"] = phase

    return show


def cmd_demo(args: argparse.Namespace) -> int:
    _ensure_default_dir(args)
    _open(args, create=True)
    from .services.demo import generate_demo

    summary = generate_demo(
        clients=args.clients,
        invoices=args.invoices,
        seed=args.seed,
        today=args.today,
        progress=_progress_printer(),
    )
    print(_("Demo data created: {summary}").format(summary=summary.describe()))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from . import cli_invoicing

    if args.name in cli_invoicing.INVOICING_REPORTS:
        return cli_invoicing.cmd_report(args, _open)
    if args.name in BANK_REPORTS:
        from . import cli_bank

        return cli_bank.cmd_report(args, _open)
    if args.name in ANALYTICS_REPORTS:
        from . import cli_analytics

        return cli_analytics.cmd_report(args, _open)
    if args.name == "verifactu":
        from . import cli_verifactu

        return cli_verifactu.cmd_report(args, _open)
    if args.name in ("agenda", "timeline"):
        return _report_client_work(args)
    _open(args)
    from .db import read_snapshot
    from .exports.tabular import write_report
    from .services import reports
    from .services.clients import ClientFilter

    flt = ClientFilter(
        text=args.search,
        kind=args.kind or "",
        status="" if args.status == "all" else args.status,
        owner_login=args.owner,
        # the report shows the revenue total: "revenue" sorts by it (the browser's column,
        # and its "revenue" sort, is this year's)
        sort="revenue_total" if args.sort == "revenue" else args.sort,
        as_of=args.as_of,
    )
    columns = [c.key for c in reports.CLIENT_COLUMNS]
    headers = [_(c.label) for c in reports.CLIENT_COLUMNS]
    with read_snapshot():  # one consistent snapshot across pages
        write_report(reports.client_rows(flt), columns, args.format, sys.stdout, headers)
    return EXIT_OK


def _report_client_work(args: argparse.Namespace) -> int:
    """`report agenda` (follow-ups and meetings) and `report timeline --client TAX_ID`."""
    _open(args)
    from .db import read_snapshot
    from .exports.tabular import write_report
    from .services import reports

    if args.name == "agenda":
        from .services.agenda import AgendaFilter

        rows = reports.agenda_rows(AgendaFilter(as_of=args.as_of, everyone=args.all_users))
        columns = reports.AGENDA_COLUMNS
    else:
        if not args.client:
            raise UserError(_("report timeline needs --client TAX_ID"))
        client_id = reports.client_id_for(args.client)
        if client_id is None:
            raise UserError(_("no client with tax ID {tax_id}").format(tax_id=args.client))
        rows = reports.timeline_rows(client_id)
        columns = reports.TIMELINE_COLUMNS
    with read_snapshot():
        write_report(
            rows, [c.key for c in columns], args.format, sys.stdout, [_(c.label) for c in columns]
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Every problem found, one line each; a damaged file is examined, never opened for use."""
    target = _target(args)
    if target.is_sqlite:
        assert target.path is not None
        from .services.maintenance import check_file

        findings = check_file(target.path)
    else:
        _open(args)
        from .services.maintenance import check_database

        findings = check_database()
    labels = {"ok": _("ok"), "warning": _("warning"), "error": _("error")}
    for finding in findings:
        print(f"{labels[finding.level]:>8}  {finding.message}")
    return EXIT_ERROR if any(f.level != "ok" for f in findings) else EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    if args.file is None and not args.daily:
        raise UserError(_("name the backup FILE, or use --daily"))
    _open(args)
    from .services.maintenance import backup_database, daily_backup

    if args.daily:
        taken = daily_backup()
        if taken is None:
            print(_("No backup taken (already done today, or backup.daily is off)."))
        else:
            print(_("Backup written to {path}").format(path=taken))
        if args.file is None:
            return EXIT_OK
    path = backup_database(args.file, force=args.force)
    print(_("Backup written to {path}").format(path=path))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Show what the restore will do (the issued invoices and VERI*FACTU records the backup
    lacks, carried over), ask (or --yes), then restore; every outcome names the safety
    copy."""
    opened = _open(args)
    from .services.restore import plan_restore, restore_database

    plan = plan_restore(args.file)
    invoices, records = plan.of("invoice"), plan.of("verifactu_record")
    if invoices:
        print(
            ngettext(
                "The backup lacks {n} issued invoice. Issued invoices are legal records: it "
                "will be carried over into the restored data, with its lines, its client if "
                "the backup lacks it, and its payments:",
                "The backup lacks {n} issued invoices. Issued invoices are legal records: they "
                "will be carried over into the restored data, with their lines, their clients "
                "if the backup lacks them, and their payments:",
                len(invoices),
            ).format(n=len(invoices))
        )
        for record in invoices:
            print(f"  {record.describe()}")
    if records:
        print(
            ngettext(
                "The backup lacks {n} VERI*FACTU record. Records are legal evidence sent, or to "
                "be sent, to AEAT: it will be carried over in chain order, with AEAT's answer "
                "(a voided invoice stays voided):",
                "The backup lacks {n} VERI*FACTU records. Records are legal evidence sent, or "
                "to be sent, to AEAT: they will be carried over in chain order, with AEAT's "
                "answers (a voided invoice stays voided):",
                len(records),
            ).format(n=len(records))
        )
        for record in records:
            print(f"  {record.describe()}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError(_("restoring replaces every record; add --yes to confirm"))
        question = _("Replace all data in {db} with {file} (schema version {v})? [y/N] ").format(
            db=opened.target, file=args.file, v=plan.version
        )
        if input(question).strip().lower() not in ("y", "yes", "s", "si", "sí"):
            print(_("Nothing was changed."))
            return EXIT_ERROR
    # What the person saw and agreed to: more issued meanwhile refuses (--yes agrees to
    # carry over whatever the backup lacks when the restore runs).
    confirmed = None if args.yes else plan
    result = restore_database(args.file, confirmed=confirmed, wait_s=args.wait)
    if len(result.carried) != len(plan.missing):
        carried = [r for r in result.carried if r.table == "invoice"]
        print(
            ngettext(
                "{n} issued invoice was carried over: {codes}",
                "{n} issued invoices were carried over: {codes}",
                len(carried),
            ).format(n=len(carried), codes=", ".join(r.key for r in carried))
        )
        carried = [r for r in result.carried if r.table == "verifactu_record"]
        if carried:
            print(
                ngettext(
                    "{n} VERI*FACTU record was carried over",
                    "{n} VERI*FACTU records were carried over",
                    len(carried),
                ).format(n=len(carried))
            )
    print(
        _("Restored {file}. The previous data is kept in {safety}.").format(
            file=args.file, safety=result.safety
        )
    )
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    _open(args)
    from .services import settings

    if args.action == "get":
        if args.key:
            settings.validate_key(args.key)
            print(settings.get(args.key))
        else:
            for key, value in settings.get_all().items():
                print(f"{key} = {value}")
        return EXIT_OK
    value = settings.set_value(args.key, args.value)
    print(f"{args.key} = {value}")
    return EXIT_OK


def _ensure_default_dir(args: argparse.Namespace) -> None:
    """The default locations (data directory) are ours to create; a path the user gave is not."""
    if args.demo or (args.db is None and not os.environ.get(config.ENV_DB)):
        target = _target(args)
        if target.path is not None:
            target.path.parent.mkdir(parents=True, exist_ok=True)


def cmd_tui(args: argparse.Namespace) -> int:
    _ensure_default_dir(args)
    target = _target(args)
    if args.demo and target.path is not None and not target.path.exists():
        print(_("Creating the demo database in {path}…").format(path=target.path), file=sys.stderr)
        opened = _open(args, create=True)
        from .services.demo import generate_demo

        generate_demo(progress=_progress_printer())
    else:
        opened = _open(args, create=True)
    from .db import close_database
    from .ui.app import run_app

    close_database(keep_lock=True)  # the workers reconnect to the same file
    run_app(opened, mouse=not args.no_mouse)
    return EXIT_OK


def _invoicing(name: str, args: argparse.Namespace) -> int:
    from . import cli_invoicing

    return getattr(cli_invoicing, name)(args, _open)


def _excel(name: str, args: argparse.Namespace) -> int:
    from . import cli_excel

    return getattr(cli_excel, name)(args, _open)


def _verifactu(name: str, args: argparse.Namespace) -> int:
    from . import cli_verifactu

    return getattr(cli_verifactu, name)(args, _open)


def _bank(name: str, args: argparse.Namespace) -> int:
    from . import cli_bank

    return getattr(cli_bank, name)(args, _open)


def _email(name: str, args: argparse.Namespace) -> int:
    from . import cli_email

    return getattr(cli_email, name)(args, _open)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_tui,
    "init": cmd_init,
    "demo": cmd_demo,
    "report": cmd_report,
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "config": cmd_config,
    "invoice": lambda args: _invoicing("cmd_invoice", args),
    "print": lambda args: _invoicing("cmd_print", args),
    "recurring": lambda args: _invoicing("cmd_recurring", args),
    "export": lambda args: _excel("cmd_export", args),
    "import": lambda args: _excel("cmd_import", args),
    "send": lambda args: _email("cmd_send", args),
    "remind": lambda args: _email("cmd_remind", args),
    "secrets": lambda args: _email("cmd_secrets", args),
    "verifactu": lambda args: _verifactu("cmd_verifactu", args),
    "payment": lambda args: _bank("cmd_payment", args),
    "remittance": lambda args: _bank("cmd_remittance", args),
    "mandate": lambda args: _bank("cmd_mandate", args),
}


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
    from .db import describe_fault

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
    from .db import DatabaseError, secure_umask
    from .migrations import SchemaError
    from .services.errors import ServiceError, ValidationError

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
