"""The App: modes, global keys and the command palette. Screens do the work."""

from __future__ import annotations

import gc
import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType

from ..i18n import _
from ..services.permissions import ROLE_LABELS
from .commands.clients import ClientActionCommands, ClientCommands
from .commands.email import EmailCommands
from .commands.sales import SalesCommands
from .commands.screen_actions import ScreenActionCommands
from .dialogs.confirm import TYPING_GAP
from .email_actions import EmailActions
from .sales_actions import SalesActions
from .styles import STYLESHEETS, css_paths, first_css_paths
from .verifactu_sending import VerifactuSending

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from ..services.startup import Opened
    from .base import CrmApi


# The stylesheets the first screen does not need are read this long after its rows show,
# or after LATER_CSS_AT_LATEST_S at the latest (a person reads the screen meanwhile).
LATER_CSS_AFTER_ROWS_S = 0.2
LATER_CSS_AT_LATEST_S = 1.0
# The collector's full passes wait for a pause in the typing (see CrmApp.run).
IDLE_COLLECT_AFTER_S = 2.0
IDLE_CHECK_EVERY_S = 1.0
# Young objects allocated before a young collection (CPython's default: 700); the other
# two thresholds are CPython's own.
YOUNG_THRESHOLD = 7000


def _import_commands():
    """The imports' palette entries, imported when the palette first opens."""
    from .commands.imports import ImportCommands

    return ImportCommands


def _bank_commands():
    """The bank's palette entries, imported when the palette first opens."""
    from .commands.bank import BankCommands

    return BankCommands


def _styled_now(screen: Any) -> Any:
    """A mode's new screen, marked as styled by the stylesheet as it is now.

    Textual takes a mode's new screen for one whose styles are out of date (its CSS
    update count starts at -1), so opening a mode re-parsed every stylesheet of the app
    and restyled every widget of every screen already open, twice (about 150 ms a key
    at the scale case, before the screen was even built). A new screen has nothing out
    of date: each of its widgets is styled as it is mounted, with the stylesheet in use.
    A screen left in another mode while the theme changed is still restyled when its
    mode comes back (its count is then behind the app's)."""
    from textual._context import active_app

    screen._css_update_count = active_app.get()._css_update_count
    return screen


def _home_screen():
    from .screens.dashboard import DashboardScreen

    return _styled_now(DashboardScreen())


def _clients_screen():
    from .screens.clients import ClientsScreen

    return _styled_now(ClientsScreen())


def _agenda_screen():
    from .screens.agenda import AgendaScreen

    return _styled_now(AgendaScreen())


def _invoices_screen():
    from .screens.invoice_list import InvoicesScreen

    return _styled_now(InvoicesScreen())


def _receivables_screen():
    from .screens.receivables import ReceivablesScreen

    return _styled_now(ReceivablesScreen())


def _reports_screen():
    from .screens.reports import ReportsScreen

    return _styled_now(ReportsScreen())


class CrmApp(EmailActions, SalesActions, VerifactuSending, App[None]):
    """tui-crm: one mode per area (F2 clients …), each its own screen stack."""

    TITLE = "tui-crm"
    # Every stylesheet; the app starts with those of its first screen (see __init__).
    CSS_PATH: ClassVar = css_paths(*STYLESHEETS)
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
        "home": _home_screen,
        "clients": _clients_screen,
        "agenda": _agenda_screen,
        "invoices": _invoices_screen,
        "receivables": _receivables_screen,
        "reports": _reports_screen,
    }
    DEFAULT_MODE: ClassVar[str] = "home"  # the dashboard: today's work first

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "toggle_help", _("Help"), id="help"),
        Binding("question_mark", "toggle_help", _("Help"), show=False, id="help_alt"),
        Binding("f2", "to_list('clients')", _("Clients"), id="mode_clients"),
        Binding("f3", "to_list('agenda')", _("Agenda"), id="mode_agenda"),
        Binding("f4", "to_list('invoices')", _("Invoices"), id="mode_invoices"),
        Binding("f5", "to_list('receivables')", _("Receivables"), id="mode_receivables"),
        Binding("f6", "to_list('reports')", _("Reports"), id="mode_reports"),
        Binding("f12", "to_list('home')", _("Home"), id="mode_home"),
        Binding("ctrl+q", "quit", _("Quit"), id="quit", priority=True),
        # `/` finds in the list shown (ui/widgets/find_bar.py) on a screen that does not
        # bind it to a search of its own: typing a word on a list never runs its keys.
        Binding("slash", "find_in_list", _("Find"), show=False, id="find"),
    ]

    def __init__(
        self,
        opened: Opened | None = None,
        *,
        first_run: bool | None = None,
        start: str | None = None,
    ) -> None:
        """`start`: the mode to open on (default the home screen)."""
        if start is not None and start in self.MODES:
            self.DEFAULT_MODE = start  # read by App.__init__
        # The first frame is styled by app.tcss and its screen's own stylesheet; the rest
        # is read once that screen is shown (`_read_later_css`).
        first = first_css_paths(self.DEFAULT_MODE)
        super().__init__(css_path=first)
        self._later_css = [path for path in self.CSS_PATH if path not in first]
        self._first_screen_styled = False
        self.opened = opened
        self._first_run = first_run
        # Letters that reached no key (typed into a screen that takes no text): how many
        # in a row, and when the last came. A question that opens in the middle of such
        # typing waits for a pause before its yes key counts (dialogs/confirm.py).
        self.stray_keys = 0
        self.last_stray_key = 0.0
        if os.environ.get("SSH_CONNECTION"):
            self.animation_level = "none"  # every frame costs bandwidth over SSH

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run the TUI; when it ends, so does the process.

        What is on the heap when it starts (the modules, classes and tables imported:
        Textual's, peewee's, ours) lives as long as the process, so it is frozen first:
        the collector never walks it again. Otherwise the first full collection lands
        while the first screen is built, 14 ms of a 450 ms cold start spent walking
        those objects. The same at the end, so that the interpreter's last collections
        on the way out do not walk the whole heap: a fifth of a short session's time,
        spent after the screen has closed. Memory goes back to the system with the
        process either way.

        A screen closed leaves its widgets as cyclic garbage, which only the collector's
        full passes free. With CPython's default thresholds a full pass came every 1.4 s
        of use, 100-270 ms each: opening the largest client's file, looking at four of its
        tabs and closing it, twelve times, spent 3.6 s of 31 s in 22 of them, and three
        of the twelve openings took 300-370 ms instead of 100-190. Young collections now
        come every YOUNG_THRESHOLD allocations instead of 700 (one full pass in that
        session), and `_collect_if_idle` makes the full passes where nobody waits.
        """
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
        try:
            return super().run(*args, **kwargs)
        finally:
            gc.freeze()
            gc.set_threshold(*thresholds)

    def on_key(self, event: events.Key) -> None:
        """Count printable keys that ran nothing here: a person typing in the wrong place."""
        if not event.is_printable:
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return
        now = time.monotonic()
        self.stray_keys = self.stray_keys + 1 if now - self.last_stray_key < TYPING_GAP else 1
        self.last_stray_key = now

    def typing_elsewhere(self) -> bool:
        """True while a person is typing a word into a screen that takes no text (two
        stray keys or more, the last just now)."""
        return self.stray_keys >= 2 and time.monotonic() - self.last_stray_key < TYPING_GAP

    _last_input = 0.0  # time.monotonic() of the last key or mouse event

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _collect_if_idle(self) -> None:
        """A full collection once nobody has typed for IDLE_COLLECT_AFTER_S, when young
        collections have happened since the last one (a closed screen's widgets are
        freed then, not in the middle of the next screen's opening)."""
        if time.monotonic() - self._last_input < IDLE_COLLECT_AFTER_S:
            return
        if gc.get_count()[1:] == (0, 0):
            return  # nothing has reached the older generations since the last pass
        gc.collect()

    def on_mount(self) -> None:
        # The start counts as typing: no full pass while the first screen fills in.
        self._last_input = time.monotonic()
        self.set_interval(IDLE_CHECK_EVERY_S, self._collect_if_idle)
        # Read the rest of the CSS shortly after the first screen's rows (on_lazy_table_
        # loaded), or after this long at the latest (a first screen without a table).
        self.set_timer(LATER_CSS_AT_LATEST_S, self._read_later_css)
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

    def on_lazy_table_loaded(self) -> None:
        if self._later_css:
            self.set_timer(LATER_CSS_AFTER_ROWS_S, self._read_later_css)

    def _load_screen_css(self, screen: Screen) -> None:
        """Textual's, for every screen shown: a screen after the first may need the
        stylesheets read later, so they are read before it is styled."""
        if self._first_screen_styled:
            self._read_later_css()
        self._first_screen_styled = True
        super()._load_screen_css(screen)

    def _read_later_css(self) -> None:
        """The stylesheets the first screen did not need, read and applied (once).

        The cascade comes out as if every stylesheet had been read at start: ours in
        their order, before the widgets' own defaults. Only the new files are parsed
        (Textual keeps the others' rules), then every screen open is restyled."""
        later, self._later_css = self._later_css, []
        if not later:
            return
        stylesheet = self.stylesheet
        for path in later:
            stylesheet.read(path)
        self.css_path.extend(later)
        ours = [(os.path.abspath(path), "") for path in self.CSS_PATH]  # Stylesheet.read's keys
        ordered = {key: stylesheet.source[key] for key in ours if key in stylesheet.source}
        ordered.update(stylesheet.source)
        stylesheet.source = ordered
        stylesheet.parse()
        stylesheet.update(self)

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

        for command in super().get_system_commands(screen):
            # Textual's own "Keys" (its generic panel) and "Screenshot" (which saves
            # where the process was started, in English) give way to ours below.
            if command.title not in ("Keys", "Screenshot"):
                yield command
        yield SystemCommand(_("Keys"), _("The keys of this screen (F1)"), self.action_toggle_help)
        yield SystemCommand(
            _("Screenshot"),
            _("Save a picture of this screen (SVG) in tui-crm's data folder"),
            lambda: self.set_timer(0.1, self.save_screenshot_svg),
        )
        yield SystemCommand(
            _("Leads board"), _("Leads by stage: advance them, mark them lost"), self.show_leads
        )
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

    def save_screenshot_svg(self) -> None:
        """The screen as an SVG picture, written the safe way in the data folder (a new
        file each time, never over another); says where."""
        svg = self.export_screenshot()
        self.run_service(
            lambda: _write_screenshot(svg),
            lambda path: self.notify(
                _("Screenshot saved to {path}").format(path=path),
                title=_("Screenshot"),
                markup=False,
                timeout=10,
            ),
            refusal_title=_("Screenshot"),
        )

    def show_users(self) -> None:
        from ..services.permissions import can
        from .screens.users import UsersScreen

        if not can("users.admin", self.opened.role if self.opened else None):
            self.notify(_("Only an admin may manage users and roles."), severity="warning")
            return
        self.push_screen(UsersScreen())

    def show_leads(self) -> None:
        from .screens.leads import LeadsScreen

        self.push_screen(LeadsScreen())

    def show_audit(self, client_id: int | None = None, title: str | None = None) -> None:
        from .screens.audit import AuditScreen

        self.push_screen(AuditScreen(client_id, title))

    def show_verifactu(self) -> None:
        from .screens.verifactu import VerifactuScreen

        self.push_screen(VerifactuScreen())

    def show_about(self) -> None:
        from .screens.about import AboutScreen

        self.push_screen(AboutScreen())

    async def action_to_list(self, mode: str) -> None:
        """F2…F6: the section's list, not whatever was last left open on top of it.

        What is open on top is closed, from the top down, except a dialog or a form
        awaiting an answer, or an editor with unsaved changes: closing those would lose
        what the person typed, so the section opens there instead.
        """
        if self.current_mode != mode:
            await self.switch_mode(mode)
        while len(self.screen_stack) > 1 and not _holds_work(self.screen):
            await self.pop_screen()

    def search_clients(self) -> None:
        """`/` where there is no list of clients to search: the client list's search."""
        self.run_worker(self._search_clients(), group="search-clients", exclusive=True)

    async def _search_clients(self) -> None:
        from .screens.clients import ClientsScreen

        await self.action_to_list("clients")
        if isinstance(self.screen, ClientsScreen):
            self.screen.action_search()

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "find_in_list":
            return self._find_table() is not None
        return True

    def _find_table(self) -> Any:
        """The list `/` finds in: the one with the focus, else the first one shown."""
        from .widgets.lazy_table import LazyTable

        focused = self.screen.focused
        if isinstance(focused, LazyTable):
            return focused
        for table in self.screen.query(LazyTable):
            if table.display and table.region.area:
                return table
        return None

    def action_find_in_list(self) -> None:
        from .widgets.find_bar import FindBar

        table = self._find_table()
        if table is None:
            return
        screen = self.screen
        existing = screen.query(FindBar)
        if existing:
            existing.first().focus()
            return
        bar = FindBar(table)
        footers = screen.query("Footer")
        if footers:  # just above the keys, the list one row shorter
            screen.mount(bar, before=footers.last())
        else:
            screen.mount(bar)
        bar.focus()

    def action_toggle_help(self) -> None:
        """F1: the keys of the screen shown, in the language in use."""
        from .dialogs.help import ScreenHelp, screen_keys

        screen = self.screen
        if isinstance(screen, ScreenHelp):
            screen.dismiss(None)
            return
        here, everywhere = screen_keys(screen)
        title = getattr(screen, "title", None) or self.title
        self.push_screen(ScreenHelp(str(title), here, everywhere))


def _write_screenshot(svg: str) -> str:
    """In a worker: `svg` to tui-crm-YYYYMMDD-HHMMSS.svg in the data folder's
    screenshots/, through the safe writer (a temporary file, then a rename)."""
    import datetime as dt

    from ..config import data_dir
    from ..services.output_files import write_bytes

    folder = data_dir() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"tui-crm-{stamp}.svg"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"tui-crm-{stamp}-{n}.svg"
    return str(write_bytes(target, svg.encode("utf-8")))


def _holds_work(screen: Any) -> bool:
    """A screen that closing would lose work on: a dialog or form awaiting an answer, or
    an editor with unsaved changes."""
    from textual.screen import ModalScreen

    if isinstance(screen, ModalScreen):
        return True
    is_dirty = getattr(screen, "is_dirty", None)
    return bool(is_dirty and is_dirty())


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
