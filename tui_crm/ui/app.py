"""The App: modes, global keys and the command palette. Screens do the work."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from ..i18n import _
from ..services.permissions import ROLE_LABELS
from .commands.clients import ClientActionCommands, ClientCommands
from .commands.email import EmailCommands
from .commands.sales import SalesCommands
from .commands.screen_actions import ScreenActionCommands
from .email_actions import EmailActions
from .sales_actions import SalesActions
from .styles import css_paths
from .verifactu_sending import VerifactuSending

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..services.startup import Opened
    from .base import CrmApi


def _import_commands():
    """The imports' palette entries, imported when the palette first opens."""
    from .commands.imports import ImportCommands

    return ImportCommands


def _bank_commands():
    """The bank's palette entries, imported when the palette first opens."""
    from .commands.bank import BankCommands

    return BankCommands


def _clients_screen():
    from .screens.clients import ClientsScreen

    return ClientsScreen()


def _agenda_screen():
    from .screens.agenda import AgendaScreen

    return AgendaScreen()


def _invoices_screen():
    from .screens.invoice_list import InvoicesScreen

    return InvoicesScreen()


def _receivables_screen():
    from .screens.receivables import ReceivablesScreen

    return ReceivablesScreen()


def _reports_screen():
    from .screens.reports import ReportsScreen

    return ReportsScreen()


class CrmApp(EmailActions, SalesActions, VerifactuSending, App[None]):
    """tui-crm: one mode per area (F2 clients …), each its own screen stack."""

    TITLE = "tui-crm"
    CSS_PATH: ClassVar = css_paths(
        "app",
        "clients",
        "first_run",
        "admin",
        "client_file",
        "agenda",
        "excel",
        "invoices",
        "receivables",
        "email",
        "reports",
        "bank",
    )
    COMMANDS: ClassVar = App.COMMANDS | {
        ClientCommands,
        ClientActionCommands,
        ScreenActionCommands,
        SalesCommands,
        EmailCommands,
        _import_commands,
        _bank_commands,
    }
    ENABLE_COMMAND_PALETTE = True
    MODES: ClassVar = {
        "clients": _clients_screen,
        "agenda": _agenda_screen,
        "invoices": _invoices_screen,
        "receivables": _receivables_screen,
        "reports": _reports_screen,
    }
    DEFAULT_MODE: ClassVar[str] = "clients"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "toggle_help", _("Help"), id="help"),
        Binding("question_mark", "toggle_help", _("Help"), show=False, id="help_alt"),
        Binding("f2", "switch_mode('clients')", _("Clients"), id="mode_clients"),
        Binding("f3", "switch_mode('agenda')", _("Agenda"), id="mode_agenda"),
        Binding("f4", "switch_mode('invoices')", _("Invoices"), id="mode_invoices"),
        Binding("f5", "switch_mode('receivables')", _("Receivables"), id="mode_receivables"),
        Binding("f6", "switch_mode('reports')", _("Reports"), id="mode_reports"),
        Binding("ctrl+q", "quit", _("Quit"), id="quit", priority=True),
    ]

    def __init__(self, opened: Opened | None = None, *, first_run: bool | None = None) -> None:
        super().__init__()
        self.opened = opened
        self._first_run = first_run
        if os.environ.get("SSH_CONNECTION"):
            self.animation_level = "none"  # every frame costs bandwidth over SSH

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run the TUI; when it ends, so does the process.

        Before it goes, the heap (some 66,000 objects: Textual's, babel's locale data,
        ours) is frozen, so that the interpreter's last collections on the way out do
        not walk it all: a fifth of a short session's time, spent after the screen
        has closed. Memory goes back to the system with the process either way.
        """
        try:
            return super().run(*args, **kwargs)
        finally:
            gc.freeze()

    def on_mount(self) -> None:
        if self.opened is not None:
            role = _(ROLE_LABELS.get(self.opened.role, self.opened.role))
            who = self.opened.login
            real = getattr(self.opened, "real_login", "")
            if real:  # an admin acting as a colleague (--user): both names, always in sight
                who = f"{real} → {who}"
            self.sub_title = f"{who} ({role}) · {self.opened.target}"
            if self.opened.read_only:
                self.sub_title += " · " + _("read-only")
                self.notify(
                    read_only_notice(self.opened.read_only),
                    title=_("Read-only"),
                    severity="warning",
                    timeout=30,
                    markup=False,
                )
                return  # nothing to fill in, nothing to back up: this process cannot write
            self.start_verifactu_sender()
        self.check_first_run()

    def check_first_run(self) -> None:
        """A database without the business's fiscal data asks for it first."""
        if self._first_run is False:
            return
        self.run_service(_first_look, self._first_looked, group="first-run")

    def _first_looked(self, look: tuple[bool, dict[str, str], str, bool]) -> None:
        missing, values, backup_note, backup_failed = look
        if backup_note:
            if backup_failed:
                self.notify(backup_note, severity="error", timeout=10, markup=False)
            else:
                self.notify(backup_note, markup=False)
        if missing:
            self._show_first_run(values)

    def _show_first_run(self, values: dict[str, str]) -> None:
        from .screens.first_run import FirstRunScreen

        self.push_screen(FirstRunScreen(values))

    def open_client(self, client_id: int, tab: str = "overview") -> None:
        """Open a client's file on top of the current screen (escape comes back here).

        Opening the client already shown switches its tab instead of stacking a copy.
        """
        from .screens.client_file import ClientFileScreen

        screen = self.screen
        if isinstance(screen, ClientFileScreen) and screen.client_id == client_id:
            screen.action_show_tab(tab)
            screen.refresh_tab(*screen.LIST_TABS)
            return
        self.push_screen(ClientFileScreen(client_id, tab))

    def new_client(self) -> None:
        """The client form, empty; the new client's file opens once it is saved."""
        from .screens.client_form import open_client_form

        def saved(client_id: int | None) -> None:
            if client_id is not None:
                self.notify(_("Created."))
                self.open_client(client_id)

        open_client_form(self, None, saved)

    def get_system_commands(self, screen):
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        yield SystemCommand(_("Users and roles"), _("Who may do what (admin)"), self.show_users)
        yield SystemCommand(_("Audit log"), _("Who changed what, and when"), self.show_audit)
        yield SystemCommand(
            "VERI*FACTU",
            _("Invoice records for AEAT: what waits to be sent, what AEAT refused"),
            self.show_verifactu,
        )
        yield SystemCommand(
            _("Send VERI*FACTU records now"),
            _("Send what waits for AEAT without waiting for the background sender"),
            self.send_verifactu_now,
        )
        yield SystemCommand(
            _("About"), _("Version and the declaración responsable"), self.show_about
        )

    def show_users(self) -> None:
        from ..services.permissions import can
        from .screens.users import UsersScreen

        if not can("users.admin", self.opened.role if self.opened else None):
            self.notify(_("Only an admin may manage users and roles."), severity="warning")
            return
        self.push_screen(UsersScreen())

    def show_audit(self, client_id: int | None = None, title: str | None = None) -> None:
        from .screens.audit import AuditScreen

        self.push_screen(AuditScreen(client_id, title))

    def show_verifactu(self) -> None:
        from .screens.verifactu import VerifactuScreen

        self.push_screen(VerifactuScreen())

    def show_about(self) -> None:
        from .screens.about import AboutScreen

        self.push_screen(AboutScreen())

    # The two dialogs that code below the screens opens (`base`, widgets): through the app,
    # since `dialogs/` builds on widgets and `base` (ARCHITECTURE.md, the order inside ui).

    def show_message(self, title: str, text: str) -> None:
        """A message that must be read; enter or escape closes it."""
        from .dialogs.message import MessageDialog

        self.push_screen(MessageDialog(title, text))

    def ask(
        self, question: str, then: Callable[[bool | None], None], *, yes: str | None = None
    ) -> None:
        """A yes/no question; `then(answer)` once the person answers."""
        from .dialogs.confirm import ConfirmDialog

        self.push_screen(ConfirmDialog(question, yes=yes), then)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def _first_look() -> tuple[bool, dict[str, str], str, bool]:
    """In a worker at start-up: is the business's fiscal data missing (and what is there),
    and the daily backup, if turned on and not yet taken today (what to say about it)."""
    from ..services import settings
    from ..services.errors import ServiceError
    from ..services.maintenance import daily_backup

    missing = bool(settings.missing_for_invoicing())
    values = settings.get_all()
    try:
        taken = daily_backup()
    except (ServiceError, OSError) as exc:
        return missing, values, _("Daily backup failed: {error}").format(error=exc), True
    note = "" if taken is None else _("Daily backup written to {path}").format(path=taken)
    return missing, values, note, False


def read_only_notice(reason: str) -> str:
    """What the TUI says when it opened the database read-only."""
    return _("Editing is off: {reason}, so tui-crm opened the database read-only.").format(
        reason=reason
    )


def run_app(opened: Opened, *, mouse: bool = True) -> None:
    CrmApp(opened).run(mouse=mouse)


if TYPE_CHECKING:  # the app is what the screens ask of it (a type checker says if not)

    def _is_crm_api(app: CrmApp) -> CrmApi:
        return app
