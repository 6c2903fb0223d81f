"""The email side of the command line: `send`, `remind` (for cron) and `secrets`. The rules
live in `services.email`, `services.reminders` and `services.secrets`, exactly as the TUI
uses them.
"""

from __future__ import annotations

import argparse
import sys

from ..i18n import _, ngettext
from .common import EXIT_ERROR, EXIT_OK, UserError, date_arg, open_db, subcommands


def add_parsers(sub) -> None:
    """Add `send`, `remind` and `secrets` to the command line's subparsers."""

    send = sub.add_parser(
        "send",
        help=_("email an invoice or quote with its PDF, any email to a client, or retry one"),
        description=_(
            "Email an issued invoice or a quote to the client's billing contact (or --to), "
            "from a template, with the PDF attached; the email lands on the client's timeline. "
            "`send email --client TAX_ID` writes any email to the client's contacts (several "
            "--to, --cc to colleagues, --attach files, --document the client's documents), "
            "from a general template or --subject and --body-file. "
            "`send retry ENTRY` sends a failed email of the timeline again."
        ),
    )
    send.add_argument(
        "kind", choices=["invoice", "quote", "email", "retry"], metavar="invoice|quote|email|retry"
    )
    send.add_argument(
        "number",
        nargs="?",
        metavar="NUMBER",
        help=_("e.g. F2026-00001, P2026-0001, or a timeline entry id"),
    )
    send.add_argument(
        "--to",
        metavar="EMAIL",
        action="append",
        default=[],
        help=_("send to this address instead (email: repeat for several contacts)"),
    )
    send.add_argument("--client", metavar="TAX_ID", help=_("email: the client's tax ID"))
    send.add_argument(
        "--cc",
        metavar="LOGIN|EMAIL",
        action="append",
        default=[],
        help=_("email: a copy to this colleague (login) or address; repeat for several"),
    )
    send.add_argument("--subject", help=_("email: the subject (replaces the template's)"))
    send.add_argument(
        "--body-file",
        metavar="FILE",
        help=_("email: the text, read from this UTF-8 file (- for standard input)"),
    )
    send.add_argument(
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        help=_("email: attach this file; repeat for several"),
    )
    send.add_argument(
        "--document",
        metavar="ID",
        type=int,
        action="append",
        default=[],
        help=_("email: attach this document of the client (its id); repeat for several"),
    )
    send.add_argument("--template", metavar="NAME", help=_("email template (default: the kind)"))
    send.add_argument(
        "--language", choices=["es", "en"], help=_("template language (default: the client's)")
    )
    send.add_argument(
        "--dry-run", action="store_true", help=_("print the email instead of sending it")
    )

    remind = sub.add_parser(
        "remind",
        help=_("send the payment reminders that are due (for cron; never twice per level)"),
        description=_(
            "Send one payment reminder per client listing its invoices due a reminder by "
            "reminders.schedule (days overdue for the first, second and final notice)."
        ),
    )
    remind.add_argument("--as-of", type=date_arg, metavar="DATE", help=_("run as of this date"))
    remind.add_argument(
        "--dry-run", action="store_true", help=_("list the reminders without sending them")
    )

    secrets = sub.add_parser("secrets", help=_("passwords in the system keyring"))
    secrets_sub = subcommands(secrets)
    for action, text in (
        ("set", _("store the password (asked without echo; read from standard input in scripts)")),
        ("delete", _("remove the stored password")),
        ("status", _("say which keyring is used and whether a password is stored")),
    ):
        parser = secrets_sub.add_parser(action, help=text)
        parser.add_argument(
            "name",
            choices=["smtp", "verifactu"],
            metavar="smtp|verifactu",
            help=_(
                "smtp: the SMTP password; verifactu: the password of the certificate file "
                "(verifactu.certificate) that signs in to AEAT"
            ),
        )


def _read_password(prompt: str | None = None) -> str:
    """From the terminal without echo (asked twice), else the first line of standard input."""
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt or _("SMTP password: "))
        second = getpass.getpass(_("Again, to confirm: "))
        if first != second:
            raise UserError(_("the two passwords differ; nothing was stored"))
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def cmd_secrets(args: argparse.Namespace) -> int:
    from ..services import secrets

    if args.name == "verifactu":
        return _verifactu_secret(args)
    # The SMTP account is in the user's settings file: no database is needed here.
    if args.action == "status":
        status = secrets.keyring_status()
        if not status.usable:
            print(status.message, file=sys.stderr)
            return EXIT_ERROR
        account = secrets.smtp_account()
        stored = secrets.smtp_password() is not None
        return _secret_status(status.backend, account, stored)
    if args.action == "delete":
        return _secret_deleted(secrets.delete_smtp_password())
    status = secrets.keyring_status()
    if not status.usable:  # say so before asking for a password that cannot be kept
        raise secrets.KeyringUnavailable(status.message)
    account = secrets.set_smtp_password(_read_password())
    print(
        _("SMTP password stored in the keyring ({backend}) for {account}.").format(
            backend=status.backend, account=account
        )
    )
    return EXIT_OK


def _secret_status(backend: str, account: str, stored: bool) -> int:
    """`secrets status …`: the keyring and whether a password is stored (exit 1 if not)."""
    state = _("password stored") if stored else _("no password stored")
    print(
        _("keyring: {backend}; {account}: {state}").format(
            backend=backend, account=account, state=state
        )
    )
    return EXIT_OK if stored else EXIT_ERROR


def _secret_deleted(removed: bool) -> int:
    print(_("Password removed.") if removed else _("No password was stored."))
    return EXIT_OK


def _verifactu_secret(args: argparse.Namespace) -> int:
    """`secrets set|delete|status verifactu`: the certificate named by verifactu.certificate
    (a business setting, so the database is opened to read it)."""
    from ..services import secrets

    open_db(args)
    status = secrets.keyring_status("verifactu")
    if not status.usable:  # say so before asking for a password that cannot be kept
        raise secrets.KeyringUnavailable(status.message)
    account = secrets.verifactu_account()
    if args.action == "status":
        stored = secrets.verifactu_password() is not None
        return _secret_status(status.backend, account, stored)
    if args.action == "delete":
        return _secret_deleted(secrets.delete_verifactu_password())
    account = secrets.set_verifactu_password(_read_password(_("Certificate password: ")))
    print(
        _(
            "The certificate's password is stored in the keyring ({backend}) for {account}; "
            "it opens the certificate."
        ).format(backend=status.backend, account=account)
    )
    return EXIT_OK


def _print_draft(draft) -> None:
    to = ", ".join(r.label for r in draft.all_to) or _("(no recipient)")
    print(_("To: {to}").format(to=to))
    if draft.cc:
        print(_("Cc: {cc}").format(cc=", ".join(r.label for r in draft.cc)))
    print(_("Subject: {subject}").format(subject=draft.subject))
    print(_("Attached: {files}").format(files=", ".join(draft.attachments) or "-"))
    print(_("Template: {name} ({language})").format(name=draft.template, language=draft.language))
    print()
    print(draft.body)


def cmd_send(args: argparse.Namespace) -> int:

    if args.kind != "email" and not args.number:
        raise UserError(_("send {kind} needs NUMBER").format(kind=args.kind))
    if args.kind != "email" and len(args.to) > 1:
        raise UserError(_("send {kind} goes to one address: give --to once").format(kind=args.kind))
    body = _read_body(args.body_file) if args.kind == "email" and args.body_file else None
    open_db(args)
    from ..services import email, invoices, quotes

    if args.kind == "email":
        return _send_email(args, body)
    to = args.to[0] if args.to else None
    if args.kind == "retry":
        if not args.number.isdigit():
            raise UserError(_("send retry needs the number of a timeline entry"))
        draft = email.stored_draft(int(args.number))
        if args.dry_run:
            _print_draft(draft)
            return EXIT_OK
        email.check_ready()
        result = email.retry_email(int(args.number))
        label = email.get_email(result.activity_id).document or _("email")
    else:
        if args.kind == "invoice":
            draft = email.compose_invoice(
                invoices.find_by_code(args.number),
                template=args.template,
                language=args.language,
                to=to,
            )
        else:
            draft = email.compose_quote(
                quotes.find_by_code(args.number),
                template=args.template,
                language=args.language,
                to=to,
            )
        if draft.recipient is None:
            raise UserError(
                _("{client} has no email address and no contact with one; use --to EMAIL").format(
                    client=draft.client_name
                )
            )
        if args.dry_run:
            _print_draft(draft)
            return EXIT_OK
        result = email.send(draft)
        label = draft.document
    return _sent(result, label)


def _read_body(path: str) -> str:
    """The text of `--body-file` (standard input for -), read before anything is opened."""
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise UserError(_("--body-file {path} is not UTF-8 text").format(path=path)) from None
    except OSError as exc:
        raise UserError(
            _("--body-file {path} cannot be read: {error}").format(path=path, error=exc.strerror)
        ) from None


def _send_email(args: argparse.Namespace, body: str | None) -> int:
    """`send email --client TAX_ID …`: any email to the client's contacts."""
    from ..services import client_email, reports

    if args.number:
        raise UserError(_("send email takes no NUMBER: name the client with --client TAX_ID"))
    if not args.client:
        raise UserError(_("send email needs --client TAX_ID"))
    client_id = reports.client_id_for(args.client)
    if client_id is None:
        raise UserError(_("no client with tax ID {tax_id}").format(tax_id=args.client))
    draft = client_email.compose_general(
        client_id,
        to=args.to,
        cc=args.cc,
        template=args.template,
        language=args.language,
        subject=args.subject,
        body=body,
        document_ids=args.document,
        paths=args.attach,
    )
    if draft.recipient is None:
        raise UserError(
            _("{client} has no email address and no contact with one; use --to EMAIL").format(
                client=draft.client_name
            )
        )
    if args.dry_run:
        _print_draft(draft)
        return EXIT_OK
    result = client_email.send_general(draft)
    return _sent(result, _("email"))


def _sent(result, label: str) -> int:
    """Say what became of a sent email: exit 0 when it went, 1 (kept as a draft) if not."""
    if result.sent:
        print(
            _("{document} sent to {to} (Message-ID {id}, timeline entry {entry})").format(
                document=label, to=result.to, id=result.message_id, entry=result.activity_id
            )
        )
        if result.note:
            print("tui-crm: " + _("warning") + ": " + result.note, file=sys.stderr)
        return EXIT_OK
    print(
        "tui-crm: "
        + _("error")
        + ": "
        + _(
            "{document} was not sent: {reason}; it stays on the timeline as a draft "
            "(retry with `tui-crm send retry {entry}`)"
        ).format(document=label, reason=result.reason, entry=result.activity_id),
        file=sys.stderr,
    )
    return EXIT_ERROR


def cmd_remind(args: argparse.Namespace) -> int:

    open_db(args)
    from ..i18n import current_language
    from ..services import email, reminders

    run = reminders.run_reminders(args.as_of, dry_run=args.dry_run)
    if not reminders.schedule():
        print(_("Automatic reminders are off (reminders.schedule is empty)."))
        return EXIT_OK

    def describe(plan) -> str:
        to = plan.recipient.email if plan.recipient else _("no email address")
        codes = ", ".join(i.code for i in plan.invoices)
        return _("{client} <{to}>: level {level}, {codes}, {total}").format(
            client=plan.client_name,
            to=to,
            level=plan.level,
            codes=codes,
            total=email.format_money(plan.total, current_language()),
        )

    if args.dry_run:
        for plan in run.planned:
            print(_("due: {reminder}").format(reminder=describe(plan)))
        print(
            ngettext(
                "{n} reminder due (dry run: nothing sent)",
                "{n} reminders due (dry run: nothing sent)",
                len(run.planned),
            ).format(n=len(run.planned))
        )
        return EXIT_OK
    for plan, _result in run.sent:
        print(_("sent: {reminder}").format(reminder=describe(plan)))
    for plan, result in run.failed:
        print(
            _("not sent: {reminder}: {reason} (timeline entry {entry})").format(
                reminder=describe(plan), reason=result.reason, entry=result.activity_id
            ),
            file=sys.stderr,
        )
    for _plan, problem in run.problems:
        print(_("not sent: {problem}").format(problem=problem), file=sys.stderr)
    print(
        ", ".join(
            (
                ngettext("{n} reminder sent", "{n} reminders sent", len(run.sent)).format(
                    n=len(run.sent)
                ),
                ngettext("{n} failed", "{n} failed", len(run.failed)).format(n=len(run.failed)),
                ngettext(
                    "{n} client without email", "{n} clients without email", len(run.problems)
                ).format(n=len(run.problems)),
            )
        )
    )
    return EXIT_ERROR if run.failed or run.problems else EXIT_OK
