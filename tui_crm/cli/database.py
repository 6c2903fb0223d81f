"""Looking after the database: `init`, `demo`, `check`, `backup`, `restore`, `config`, and
opening the TUI (no command). The rules live in `services.startup`, `services.maintenance`,
`services.restore` and `services.settings`; the demo data in `tui_crm.demo`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _, ngettext
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    UserError,
    date_arg,
    db_target,
    ensure_default_dir,
    open_db,
    positive_arg,
    progress_printer,
    subcommands,
)


def add_parsers(sub) -> None:
    sub.add_parser("init", help=_("create or upgrade the database"))

    demo = sub.add_parser("demo", help=_("fill an empty database with realistic demo data"))
    demo.add_argument("--clients", type=positive_arg, default=200)
    demo.add_argument("--invoices", type=positive_arg, default=2000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--today", type=date_arg, help=_("pretend today is this date (YYYY-MM-DD)"))

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
        type=positive_arg,
        default=0,
        metavar="SECONDS",
        help=_("wait this long for other sessions to close the database (default: refuse at once)"),
    )

    cfg = sub.add_parser("config", help=_("read or change a setting"))
    cfg_sub = subcommands(cfg)
    get = cfg_sub.add_parser("get", help=_("print one setting, or all of them"))
    get.add_argument("key", nargs="?")
    set_ = cfg_sub.add_parser("set", help=_("change a setting"))
    set_.add_argument("key")
    set_.add_argument("value")


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database, and put back the protections that live in it."""
    ensure_default_dir(args)
    opened = open_db(args, create=True, initialise=True)
    from ..db import is_sqlite
    from ..migrations import current_version
    from ..services.protections import restore_protections

    repaired = [] if opened.read_only else restore_protections()
    for what in repaired:
        print(_("Put back {what} (it was missing or altered).").format(what=what))
    print(
        ngettext(
            "Database {target} ready at schema version {version} ({n} migration applied).",
            "Database {target} ready at schema version {version} ({n} migrations applied).",
            opened.migrated,
        ).format(target=opened.target, version=current_version(), n=opened.migrated)
    )
    if not is_sqlite():
        from ..services import pg_roles

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


def cmd_demo(args: argparse.Namespace) -> int:
    ensure_default_dir(args)
    open_db(args, create=True)
    from ..demo import generate_demo

    summary = generate_demo(
        clients=args.clients,
        invoices=args.invoices,
        seed=args.seed,
        today=args.today,
        progress=progress_printer(),
    )
    print(_("Demo data created: {summary}").format(summary=summary.describe()))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Every problem found, one line each; a damaged file is examined, never opened for use."""
    target = db_target(args)
    if target.is_sqlite:
        assert target.path is not None
        from ..services.maintenance import check_file

        findings = check_file(target.path)
    else:
        open_db(args)
        from ..services.maintenance import check_database

        findings = check_database()
    labels = {"ok": _("ok"), "warning": _("warning"), "error": _("error")}
    for finding in findings:
        print(f"{labels[finding.level]:>8}  {finding.message}")
    return EXIT_ERROR if any(f.level != "ok" for f in findings) else EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    if args.file is None and not args.daily:
        raise UserError(_("name the backup FILE, or use --daily"))
    open_db(args)
    from ..services.maintenance import backup_database, daily_backup

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
    opened = open_db(args)
    from ..services.restore import plan_restore, restore_database

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
    open_db(args)
    from ..services import settings

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


def cmd_tui(args: argparse.Namespace) -> int:
    ensure_default_dir(args)
    target = db_target(args)
    if args.demo and target.path is not None and not target.path.exists():
        print(_("Creating the demo database in {path}…").format(path=target.path), file=sys.stderr)
        opened = open_db(args, create=True)
        from ..demo import generate_demo

        generate_demo(progress=progress_printer())
    else:
        opened = open_db(args, create=True)
    from ..db import close_database
    from ..ui.app import run_app

    close_database(keep_lock=True)  # the workers reconnect to the same file
    run_app(opened, mouse=not args.no_mouse)
    return EXIT_OK
