"""The client file (enter on a client): key figures, then a tab per kind of record.

Header: name, kind, status, tax ID, owner; revenue total, this year, outstanding,
overdue; open follow-ups. Tabs: Overview, Addresses, Contacts, Timeline, Projects,
Opportunities, Documents, Sales — each a list with `n` new, `e` edit and `delete`
(after a confirmation), moved through with the keyboard (← → or 1–8 switch tabs).
On the Timeline, follow-ups stand out (overdue in red) and `d` marks one done;
`t` fills a note from a comment template. From anywhere: `E` edits the client,
`a` archives or un-archives it, `c` turns a lead into a client, `m` merges a
duplicate, `S` shows its statement of account, `W` writes an email, `I` plans a
meeting, `delete` on the Overview deletes the client (or says why it cannot); each of
these asks first. Enter on a project opens the
project's screen. `/` goes to the client list's search: typing a name here never acts.

Every read and write runs in a thread worker with its own database connection;
the screen only ever holds plain values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Header, Static, TabbedContent

from ...i18n import N_, NC_, _, ngettext
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..formatting import money
from ..safe_text import one_line
from ..widgets.client_analytics import ANALYTICS_TAB, ClientAnalyticsLine
from ..widgets.footer import Footer
from .client_tabs.addresses import AddressesTab
from .client_tabs.analytics import AnalyticsTab
from .client_tabs.base import FILE_PAGE, TAB_ACTIONS, ClientTab, pane_id, table_id
from .client_tabs.contacts import ContactsTab
from .client_tabs.documents import DocumentsTab
from .client_tabs.opportunities import OpportunitiesTab
from .client_tabs.overview import OverviewTab
from .client_tabs.projects import ProjectsTab
from .client_tabs.sales import SalesTab
from .client_tabs.timeline import TimelineTab

TABS = (
    ("overview", N_("Overview")),
    ("addresses", N_("Addresses")),
    ("contacts", N_("Contacts")),
    ("timeline", N_("Timeline")),
    ("projects", N_("Projects")),
    ("opportunities", N_("Opportunities")),
    ("documents", N_("Documents")),
    ("sales", N_("Sales")),
)
# What a tab is called where the full names do not fit (80 columns): never cut.
SHORT_LABELS = {
    "overview": NC_("short tab name", "Info"),
    "addresses": NC_("short tab name", "Addr."),
    "contacts": NC_("short tab name", "Contacts"),
    "timeline": NC_("short tab name", "Timeline"),
    "projects": NC_("short tab name", "Proj."),
    "opportunities": NC_("short tab name", "Opps."),
    "documents": NC_("short tab name", "Docs"),
    "sales": NC_("short tab name", "Sales"),
    ANALYTICS_TAB: NC_("short tab name", "Stats"),
}
TAB_PADDING = 2  # a tab's padding, one cell each side (Textual's Tab)
LIST_TABS = tuple(key for key, _label in TABS[1:])
TAB_KEYS = (*(key for key, _label in TABS), ANALYTICS_TAB)
LIST_TAB_CLASSES = (
    AddressesTab,
    ContactsTab,
    TimelineTab,
    ProjectsTab,
    OpportunitiesTab,
    DocumentsTab,
    SalesTab,
)
__all__ = ["FILE_PAGE", "LIST_TABS", "TABS", "ClientFileScreen", "pane_id", "table_id"]


class ClientFileScreen(CrmScreen[None]):
    """One client, everything about it."""

    LIST_TABS = LIST_TABS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        # A person who starts typing a name here wants another client: "/" takes what
        # follows to the client list's search (priority: it wins over the tabs' keys).
        Binding("slash", "search", _("Search clients"), id="search", priority=True),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
        Binding("d", "done", _("Done"), id="done"),
        Binding("r", "reschedule", _("Reschedule"), id="reschedule"),
        Binding("t", "template", _("From template"), id="template"),
        Binding("s", "save_copy", _("Save a copy"), id="save_copy"),
        Binding("f", "make_default", _("Default for invoices"), id="make_default"),
        Binding("E", "edit_client", _("Edit client"), id="edit_client"),
        Binding("a", "archive", _("Archive/unarchive"), id="archive"),
        Binding("c", "convert", _("Make client"), id="convert"),
        Binding("m", "merge", _("Merge"), id="merge"),
        Binding("M", "email", _("Email"), id="email"),
        Binding("H", "history", _("History"), id="history"),
        Binding("R", "recurring", _("Recurring"), id="recurring"),
        Binding("W", "write_email", _("Write email"), id="write_email"),
        Binding("I", "meeting", _("Meeting"), id="meeting"),
        Binding("X", "cancel_meeting", _("Cancel meeting"), id="cancel_meeting"),
        Binding("S", "statement", _("Statement"), id="statement"),
        Binding("left", "tab(-1)", _("Tabs"), key_display="←→", id="tab_prev"),
        Binding("right", "tab(1)", _("Next tab"), show=False, id="tab_next"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
        *[
            Binding(str(i + 1), f"show_tab('{key}')", _(label), show=False)
            for i, (key, label) in enumerate(TABS)
        ],
        Binding("9", f"show_tab('{ANALYTICS_TAB}')", _("Analytics"), show=False),
    ]

    def __init__(self, client_id: int, tab: str = "overview", *, as_of: dt.date | None = None):
        super().__init__()
        self.client_id = client_id
        self.initial_tab = tab if tab in TAB_KEYS else "overview"
        self.as_of = as_of
        self.file: Any = None  # services.client_file.ClientFile, once loaded
        # Focus goes straight to what the first tab shows: not to the tabs first and
        # then there (each move restyles the screen and rebuilds the footer's keys).
        self.AUTO_FOCUS = {
            "overview": "#cf-overview",
            ANALYTICS_TAB: "#cf-analytics",
        }.get(self.initial_tab, f"#{table_id(self.initial_tab)}")
        self._figure_groups: list[Content] = []

    @property
    def today(self) -> dt.date:
        return self.as_of or dt.date.today()

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The file is read while the screen is built, not after: it usually arrives
        # before the first frame, which then shows the header and overview at once.
        self.load_file()
        yield Header()
        with Horizontal(id="cf-head"):
            yield Static("", id="cf-title")
            yield Static("", id="cf-badges")
        yield Static("", id="cf-figures")
        yield ClientAnalyticsLine(
            self.client_id, as_of=self.as_of, id="cf-analytics-line", read_on_mount=False
        )
        labels = dict(TABS)
        with TabbedContent(initial=pane_id(self.initial_tab), id="cf-tabs"):
            yield OverviewTab(
                _(labels["overview"]),
                self.client_id,
                self.today,
                edit_client=self.action_edit_client,
                delete_client=self.action_delete_client,
            )
            for tab in LIST_TAB_CLASSES:
                pane = tab(_(labels[tab.KEY]), self.client_id, self.today)
                pane.listed = self.initial_tab == tab.KEY  # the others when first shown
                yield pane
            analytics = AnalyticsTab(_("Analytics"), self.client_id, self.today, self.as_of)
            analytics.listed = self.initial_tab == ANALYTICS_TAB
            yield analytics
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Client")
        self.call_after_refresh(self._focus_tab)

    _resumed = False
    _gone = False  # the client was found missing

    def _close_if_gone(self) -> None:
        if self._gone and self.app.screen is self:
            self._gone = False  # once
            self.dismiss()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._gone:
            self._close_if_gone()
            return
        if not self._resumed:
            # Shown for the first time: every widget was styled as it was mounted, with
            # the stylesheet in use; Textual would restyle the whole screen once more.
            # (Coming back from a dialog, it still does: the theme may have changed.)
            self._resumed = True
            event.refresh_styles = False
        self.refresh_bindings()

    # --- tabs ----------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active or pane_id("overview")
        return active.removeprefix("tab-")

    def tab(self, key: str | None = None) -> ClientTab:
        """The tab `key` (the one shown when None)."""
        return self.query_one(f"#{pane_id(key or self.active_tab)}", ClientTab)

    def _focus_tab(self) -> None:
        # Queued after a refresh: by then a client found missing may have closed the
        # screen and its widgets are gone.
        if self.is_attached and self.query(TabbedContent):
            self.tab().focus_first()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id == "cf-tabs":
            self.refresh_bindings()
            self.call_after_refresh(self._focus_tab)

    def action_tab(self, step: int) -> None:
        index = (TAB_KEYS.index(self.active_tab) + step) % len(TAB_KEYS)
        self.action_show_tab(TAB_KEYS[index])

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = pane_id(tab)
        self.refresh_bindings()
        self.call_after_refresh(self._focus_tab)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TAB_ACTIONS:
            return action in self.tab().ACTIONS
        if action == "convert":
            return self.file is not None and self.file.detail.data.kind == "lead"
        return True

    # --- the keys of the tab shown ---------------------------------------------------

    def action_new(self) -> None:
        self.tab().new()

    def action_edit(self) -> None:
        self.tab().edit()

    def action_delete(self) -> None:
        self.tab().delete()

    def action_done(self) -> None:
        self.tab().done()

    def action_reschedule(self) -> None:
        self.tab().reschedule()

    def action_template(self) -> None:
        self.tab().template()

    def action_save_copy(self) -> None:
        self.tab().save_copy()

    def action_make_default(self) -> None:
        self.tab().make_default()

    def action_email(self) -> None:
        self.tab().email()

    def action_cancel_meeting(self) -> None:
        self.tab().cancel_meeting()

    def action_recurring(self) -> None:
        self.tab().recurring()

    def open_activity_form(self) -> None:
        """A new timeline entry (the palette's "New activity for …")."""
        self.query_one(TimelineTab).open_form()

    # --- loading the header and overview -----------------------------------------

    def load_file(self) -> None:
        from ...services.client_file import client_file
        from ...services.errors import NotFound

        client_id, as_of = self.client_id, self.as_of

        def failed(exc: Exception) -> bool:
            if isinstance(exc, NotFound):
                self.notify(str(exc), severity="warning", markup=False)
                # dismiss() closes whichever screen is on top: with a dialog opened
                # meanwhile, the file closes when the dialog does.
                self._gone = True
                self._close_if_gone()
                return True
            return False

        self.run_service(
            lambda: client_file(client_id, as_of),
            self._show_file,
            refused=failed,
            group="client-file",
            exclusive=True,
        )

    def _show_file(self, data: Any) -> None:
        if self.file is None:
            # The line of analytics once the header and overview are painted: its
            # worker does not compete with the frame that shows them.
            self.call_after_refresh(self.query_one(ClientAnalyticsLine).reload)
        self.file = data
        detail = data.detail
        name = detail.data.legal_name
        if detail.data.trade_name and detail.data.trade_name != name:
            name = f"{name} ({detail.data.trade_name})"
        self.sub_title = one_line(name)
        self.query_one("#cf-title", Static).update(Content(one_line(name)))
        badges = [_("Lead") if detail.data.kind == "lead" else _("Client")]
        if detail.status == "archived":
            badges.append(_("archived"))
        if detail.data.tax_id:
            badges.append(detail.data.tax_id)
        if detail.owner_login:
            badges.append(detail.owner_login)
        self.query_one("#cf-badges", Static).update(Content(one_line(" · ".join(badges))))
        self._figure_groups = self._figures(data.figures)
        self._layout_figures()
        self.query_one(OverviewTab).show(data)
        for tab in self.query(ClientTab):
            tab.client_name = detail.data.legal_name
        self._label_tabs()
        self.set_class(detail.status == "archived", "-archived")
        self.refresh_bindings()

    def _tab_texts(
        self, short: bool, open_count: bool = True, counts: bool = True
    ) -> dict[str, str]:
        """Each tab's label: its name (short ones when `short`) and how many it holds
        (unless not `counts`; the open follow-ups too unless `short` or not `open_count`)."""
        names = {**dict(TABS), ANALYTICS_TAB: N_("Analytics")}
        data = self.file
        texts: dict[str, str] = {}
        for key, name in names.items():
            text = _(SHORT_LABELS[key]) if short else _(name)
            count = data.counts.get(key, 0) if data is not None and key in LIST_TABS else 0
            if count and counts:
                text = f"{text} {count}"
            n = data.figures.open_follow_ups if data is not None else 0
            if open_count and not short and key == "timeline" and n:
                text += " " + ngettext("({n} open)", "({n} open)", n).format(n=n)
            texts[key] = text
        return texts

    def _label_tabs(self) -> None:
        """The tabs' labels, full when they all fit the screen's width, else without the
        open follow-ups, else without counts, else short names: never cut."""
        width = self.size.width

        def fits(texts: dict[str, str]) -> bool:
            return sum(len(t) + TAB_PADDING for t in texts.values()) <= width

        texts = self._tab_texts(short=False)
        if not fits(texts):
            texts = self._tab_texts(short=False, open_count=False)
        if not fits(texts):
            texts = self._tab_texts(short=False, open_count=False, counts=False)
        if not fits(texts):
            texts = self._tab_texts(short=True)
        tabs = self.query_one(TabbedContent)
        for key, text in texts.items():
            tabs.get_tab(pane_id(key)).label = Content(text)

    def _figures(self, f: Any) -> list[Content]:
        """The key figures, one Content per figure (laid out by `_layout_figures`)."""
        figures = [
            (_("Revenue"), money(f.revenue_total), "bold"),
            (_("This year"), money(f.revenue_year), "bold"),
            (_("Outstanding"), money(f.outstanding), "bold"),
            (_("Overdue"), money(f.overdue), "bold red" if f.overdue else "bold"),
        ]
        groups = [
            Content.assemble((label + " ", "dim"), (amount, style))
            for label, amount, style in figures
        ]
        if f.open_follow_ups:
            text = ngettext("{n} follow-up", "{n} follow-ups", f.open_follow_ups).format(
                n=f.open_follow_ups
            )
            if f.overdue_follow_ups:
                n = f.overdue_follow_ups
                text += " " + ngettext("({n} overdue)", "({n} overdue)", n).format(n=n)
            style = "bold red" if f.overdue_follow_ups else "bold yellow"
            groups.append(Content.assemble((text, style)))
        return groups

    def _layout_figures(self) -> None:
        """Wrap between figures, never inside one, to the screen's width."""
        width = max(20, self.size.width - 2)
        lines: list[Content] = []
        for group in self._figure_groups:
            if lines and lines[-1].cell_length + 2 + group.cell_length <= width:
                lines[-1] = lines[-1] + "  " + group
            else:
                lines.append(group)
        self.query_one("#cf-figures", Static).update(Content("\n").join(lines))

    def on_resize(self) -> None:
        if self._figure_groups:
            self._layout_figures()
        if self.file is not None:
            self._label_tabs()

    # --- refreshing after a change -----------------------------------------------

    def refresh_tab(self, *tabs: str) -> None:
        """Re-read the header and the given lists (after a save or a delete)."""
        self.load_file()
        self.query_one(ClientAnalyticsLine).reload()
        for tab in tabs:
            if tab in LIST_TABS:
                self.tab(tab).reload()

    def on_client_tab_changed(self, message: ClientTab.Changed) -> None:
        self.refresh_tab(*message.tabs)
        if message.message:
            self.notify(message.message, markup=False)

    def action_reload(self) -> None:
        self.refresh_tab(*LIST_TABS)

    def _confirm(self, question: str, then: Any, yes: str | None = None) -> None:
        def answer(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmDialog(question, yes=yes), answer)

    # --- the client itself -------------------------------------------------------------

    def action_edit_client(self) -> None:
        from .client_form import open_client_form

        def saved(result: int | None) -> None:
            if result is not None:
                self.refresh_tab()
                self.notify(_("Saved."))

        open_client_form(self, self.client_id, saved)

    def action_statement(self) -> None:
        """The client's statement of account (this year to today; `p` changes it)."""
        from .statement import StatementScreen

        self.app.push_screen(StatementScreen(self.client_id))

    def action_history(self) -> None:
        """This client's own audit trail: who changed what, and when."""
        self.crm.show_audit(
            self.client_id, _("History of {name}").format(name=self.sub_title or self.client_id)
        )

    def action_archive(self) -> None:
        from ...services import clients

        if self.file is None:
            return
        if self.file.detail.status == "archived":
            self.run_service(
                lambda: clients.unarchive_client(self.client_id),
                lambda _result: self.refresh_tab("overview"),
                done=_("Back among the active clients."),
            )
            return
        self._confirm(
            _("Archive {name}? It leaves the everyday lists; its history stays.").format(
                name=one_line(self.file.detail.data.legal_name)
            ),
            lambda: self.run_service(
                lambda: clients.archive_client(self.client_id),
                lambda _result: self.refresh_tab("overview"),
                done=_("Archived."),
            ),
            yes=_("Archive"),
        )

    def action_search(self) -> None:
        self.crm.search_clients()

    def action_convert(self) -> None:
        from ...services import leads

        if self.file is None:
            return
        self._confirm(
            _("Make {name} a client (no longer a lead)?").format(
                name=one_line(self.file.detail.data.legal_name)
            ),
            lambda: self.run_service(
                lambda: leads.convert_lead(self.client_id),  # its history stays, with a note
                lambda _result: self.refresh_tab("overview", "timeline"),
                done=_("Now a client."),
            ),
            yes=_("Make client"),
        )

    def action_write_email(self) -> None:
        """`W`: any email to the client's contacts (a template or blank, files, copies)."""
        from .client_email_form import start_email

        start_email(self, self.client_id, then=lambda _result: self.refresh_tab("timeline"))

    def action_meeting(self) -> None:
        """`I`: plan a meeting (time, place, attendees; the invitation by email)."""
        self.action_show_tab("timeline")
        self.call_after_refresh(lambda: self.query_one(TimelineTab).new_meeting())

    def action_delete_client(self) -> None:
        from ...services import clients

        if self.file is None:
            return
        name = one_line(self.file.detail.data.legal_name)

        def check() -> str | None:
            return clients.delete_refusal(self.client_id)

        def ask(reason: str | None) -> None:
            if reason:
                self.notify(
                    _("Cannot delete {name}: {reason}").format(name=name, reason=reason),
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
                return
            self._confirm(
                _(
                    "Delete {name} with its contacts, addresses, timeline and documents? "
                    "This cannot be undone."
                ).format(name=name),
                lambda: self.run_service(
                    lambda: clients.delete_client(self.client_id),
                    lambda _result: self._deleted(name),
                ),
                yes=_("Delete"),
            )

        self.run_service(check, ask)

    def _deleted(self, name: str) -> None:
        self.notify(_("{name} deleted.").format(name=name), markup=False)
        self.dismiss()

    def action_merge(self) -> None:
        from ..dialogs.merge import MergeScreen

        if self.file is None:
            return

        def merged(survivor: int | None) -> None:
            if survivor is None:
                return
            if survivor == self.client_id:
                self.refresh_tab(*LIST_TABS)
            else:
                self.dismiss()
                self.crm.open_client(survivor)

        self.app.push_screen(MergeScreen(self.client_id, self.file.detail.data.legal_name), merged)

    def action_back(self) -> None:
        self.dismiss()
