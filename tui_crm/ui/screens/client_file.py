"""The client file (enter on a client): key figures, then a tab per kind of record.

Header: name, kind, status, tax ID, owner; revenue total, this year, outstanding,
overdue; open follow-ups. Tabs: Overview, Addresses, Contacts, Timeline, Projects,
Opportunities, Documents, Sales — each a list with `n` new, `e` edit and `delete`
(after a confirmation), moved through with the keyboard (← → or 1–8 switch tabs).
On the Timeline, follow-ups stand out (overdue in red) and `d` marks one done;
`t` fills a note from a comment template. From anywhere: `E` edits the client,
`a` archives or un-archives it, `c` turns a lead into a client, `m` merges a
duplicate, `delete` on the Overview deletes the client (or says why it cannot).

Every read and write runs in a thread worker with its own database connection;
the screen only ever holds plain values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static, TabbedContent, TabPane

from ...i18n import N_, _, ngettext, pgettext
from ..formatting import date as show_date
from ..formatting import local_datetime, money
from ..safe_text import lines, one_line
from ..widgets.client_analytics import ANALYTICS_TAB, ClientAnalyticsLine, ClientAnalyticsPanel
from ..widgets.footer import Footer
from ..widgets.form import ConfirmDialog
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource, PagedSource

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
TAB_KEYS = tuple(key for key, _label in TABS)
LIST_TABS = TAB_KEYS[1:]
FILE_PAGE = 50  # rows read per page in the file's lists (a screen shows fewer)
TAB_KEYS = (*TAB_KEYS, ANALYTICS_TAB)  # its own widget: ui/widgets/client_analytics.py


def pane_id(tab: str) -> str:
    return f"tab-{tab}"


def table_id(tab: str) -> str:
    return f"list-{tab}"


# --- rows of each list (built in the table's worker thread) ------------------------------


def _yes(flag: bool, text: str) -> str:
    return text if flag else ""


def address_row(a: Any) -> Row:
    d = a.data
    defaults = ", ".join(
        p
        for p in (
            _yes(d.is_invoice_default, _("invoices")),
            _yes(d.is_delivery_default, _("deliveries")),
            _yes(d.is_quote_default, _("quotes")),
        )
        if p
    )
    return Row(key=a.id, cells=(d.label, a.one_line(), d.contact_name, defaults))


def contact_row(c: Any) -> Row:
    d = c.data
    return Row(
        key=c.id,
        cells=(
            c.name,
            d.position,
            d.email,
            d.phone or d.mobile,
            _("invoices") if d.is_billing else "",
        ),
    )


def activity_row(a: Any, today: dt.date) -> Row:
    from ...services.timeline import KIND_LABELS

    if a.email_status in ("failed", "draft"):
        follow, style = _("not sent (M resends)"), "danger"
    elif a.is_follow_up:
        follow = _("due {date}").format(date=show_date(a.due_date))
        style = "danger" if a.due_date < today else "warning"
    elif a.done_at is not None and a.due_date is not None:
        follow, style = _("done"), ""
    else:
        follow, style = "", ""
    return Row(
        key=a.id,
        cells=(
            local_datetime(a.occurred_at),
            _(KIND_LABELS.get(a.kind, a.kind)),
            a.title,
            a.contact_name,
            a.author,
            follow,
        ),
        style=style,
    )


def project_row(p: Any) -> Row:
    from ...services.projects import STATUS_LABELS

    d = p.data
    dates = " – ".join(show_date(x) for x in (d.start_date, d.end_date) if x)
    return Row(
        key=p.id,
        cells=(
            d.name,
            _(STATUS_LABELS.get(d.status, d.status)),
            dates,
            money(d.budget) if d.budget else "",
            money(p.invoiced) if p.invoiced else "",
        ),
        style="muted" if d.status in ("done", "cancelled") else "",
    )


def opportunity_row(o: Any) -> Row:
    from ...services.opportunities import STAGE_LABELS

    d = o.data
    stage = _(STAGE_LABELS.get(d.stage, d.stage))
    if d.stage == "lost" and d.lost_reason:
        stage = f"{stage}: {d.lost_reason}"
    return Row(
        key=o.id,
        cells=(
            d.title,
            stage,
            money(d.amount),
            f"{d.probability} %",
            show_date(d.expected_close),
            d.owner_login,
        ),
        style="muted" if d.stage in ("won", "lost") else "",
    )


def document_row(d: Any) -> Row:
    from ...services.attachments import human_size

    return Row(
        key=d.id,
        cells=(
            d.filename,
            human_size(d.size),
            local_datetime(d.uploaded_at),
            d.uploaded_by,
            d.notes,
        ),
    )


def sales_row(s: Any, today: dt.date) -> Row:
    from ...services.client_file import SALES_KINDS

    overdue = (
        s.kind == "invoice"
        and s.status in ("issued", "partially_paid")
        and s.outstanding
        and s.due_date is not None
        and s.due_date < today
    )
    return Row(
        key=f"{s.kind}:{s.id}",
        cells=(
            _(SALES_KINDS.get(s.kind, s.kind)),
            s.code or _("(draft)"),
            show_date(s.date),
            s.title,
            s.status,
            money(s.total),
            money(s.outstanding) if s.outstanding else "",
        ),
        style="danger" if overdue else ("muted" if s.status == "draft" else ""),
    )


def columns_for(tab: str) -> list[Column]:
    if tab == "addresses":
        return [
            Column("label", _("Name"), 16, min_width=8),
            Column("address", _("Address"), 24, flex=True, min_width=16),
            Column("contact", _("Contact"), 16, min_width=8, priority=2),
            Column("defaults", _("Default for"), 22, min_width=10, priority=1),
        ]
    if tab == "contacts":
        return [
            Column("name", _("Name"), 20, flex=True, min_width=12),
            Column("position", _("Position"), 16, min_width=8, priority=2),
            Column("email", _("Email"), 24, min_width=10),
            Column("phone", _("Phone"), 14, min_width=9, priority=1),
            Column("billing", _("Billing"), 9, min_width=7, priority=3),
        ]
    if tab == "timeline":
        return [
            Column("when", _("When"), 16, min_width=11),
            Column("kind", _("Kind"), 8, min_width=6, priority=2),
            Column("subject", _("Subject"), 20, flex=True, min_width=14),
            Column("contact", _("Contact"), 14, min_width=8, priority=3),
            Column("author", _("By"), 8, min_width=5, priority=4),
            Column("follow", _("Follow-up"), 15, min_width=10),
        ]
    if tab == "projects":
        return [
            Column("name", _("Project"), 20, flex=True, min_width=12),
            Column("status", _("Status"), 10, min_width=7),
            Column("dates", _("Dates"), 23, min_width=10, priority=2),
            Column("budget", _("Budget"), 13, align="right", min_width=10, priority=1),
            Column("invoiced", _("Invoiced"), 13, align="right", min_width=10, priority=3),
        ]
    if tab == "opportunities":
        return [
            Column("title", _("Opportunity"), 20, flex=True, min_width=12),
            Column("stage", _("Stage"), 14, min_width=8),
            Column("amount", _("Amount"), 13, align="right", min_width=10),
            Column("probability", _("Prob."), 6, align="right", min_width=5, priority=2),
            Column("close", pgettext("expected close date", "Close"), 10, min_width=8, priority=1),
            Column("owner", _("Owner"), 8, min_width=5, priority=3),
        ]
    if tab == "documents":
        return [
            Column("file", _("File"), 24, flex=True, min_width=12),
            Column("size", _("Size"), 9, align="right", min_width=7),
            Column("date", _("Added"), 16, min_width=10, priority=1),
            Column("by", _("By"), 8, min_width=5, priority=2),
            Column("notes", _("Note"), 20, min_width=8, priority=3),
        ]
    return [
        Column("kind", _("Kind"), 8, min_width=6, priority=3),
        Column("code", _("Number"), 13, min_width=9),
        Column("date", _("Date"), 10, min_width=10),
        Column("title", _("Title"), 12, flex=True, min_width=8, priority=2),
        Column("status", _("Status"), 14, min_width=6, priority=1),
        Column("total", _("Total"), 13, align="right", min_width=10),
        Column("outstanding", _("Outstanding"), 13, align="right", min_width=10),
    ]


def source_for(tab: str, client_id: int, today: dt.date):
    """The table source of one tab (its methods run in the table's worker thread)."""
    from ...services import (
        addresses,
        attachments,
        client_file,
        contacts,
        opportunities,
        projects,
        timeline,
    )

    if tab == "addresses":
        return LoadedSource(lambda: addresses.list_addresses(client_id), address_row)
    if tab == "contacts":
        return LoadedSource(lambda: contacts.list_contacts(client_id), contact_row)
    if tab == "timeline":
        return PagedSource(
            lambda: timeline.count_timeline(client_id),
            lambda offset, limit: timeline.list_timeline(client_id, offset, limit),
            lambda a: activity_row(a, today),
        )
    if tab == "projects":
        return LoadedSource(lambda: projects.list_projects(client_id), project_row)
    if tab == "opportunities":
        return LoadedSource(lambda: opportunities.list_opportunities(client_id), opportunity_row)
    if tab == "documents":
        return LoadedSource(lambda: attachments.client_documents(client_id), document_row)
    return PagedSource(
        lambda: client_file.count_sales(client_id),
        lambda offset, limit: client_file.list_sales(client_id, offset, limit),
        lambda s: sales_row(s, today),
    )


EMPTY_TEXT = {
    "addresses": N_("No addresses yet: n adds one."),
    "contacts": N_("No contacts yet: n adds one."),
    "timeline": N_("Nothing on the timeline yet: n records a call, a note, a task…"),
    "projects": N_("No projects yet: n opens one."),
    "opportunities": N_("No opportunities yet: n adds one."),
    "documents": N_("No documents yet: n attaches a file."),
    "sales": N_("No quotes, orders or invoices yet."),
}


# --- the screen --------------------------------------------------------------------------


class ClientFileScreen(Screen[None]):
    """One client, everything about it."""

    LIST_TABS = LIST_TABS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
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
        self._figure_groups: list[Content] = []

    @property
    def today(self) -> dt.date:
        return self.as_of or dt.date.today()

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cf-head"):
            yield Static("", id="cf-title")
            yield Static("", id="cf-badges")
        yield Static("", id="cf-figures")
        yield ClientAnalyticsLine(self.client_id, as_of=self.as_of, id="cf-analytics-line")
        with TabbedContent(initial=pane_id(self.initial_tab), id="cf-tabs"):
            with TabPane(_("Overview"), id=pane_id("overview")), VerticalScroll(id="cf-overview"):
                with Vertical(id="cf-overview-rows"):
                    yield Static(_("Loading…"))
                yield Static("", id="cf-notes")
            for key, label in TABS[1:]:
                with TabPane(_(label), id=pane_id(key)):
                    yield LazyTable(
                        columns_for(key),
                        source_for(key, self.client_id, self.today),
                        page_size=FILE_PAGE,
                        empty_text=_(EMPTY_TEXT[key]),
                        id=table_id(key),
                    )
            with TabPane(_("Analytics"), id=pane_id(ANALYTICS_TAB)):
                yield ClientAnalyticsPanel(self.client_id, as_of=self.as_of, id="cf-analytics")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Client")
        self.load_file()
        self.call_after_refresh(self._focus_tab)

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    # --- tabs ----------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active or pane_id("overview")
        return active.removeprefix("tab-")

    def _table(self, tab: str | None = None) -> LazyTable:
        return self.query_one(f"#{table_id(tab or self.active_tab)}", LazyTable)

    def _focus_tab(self) -> None:
        if self.active_tab == "overview":
            self.query_one("#cf-overview").focus()
        elif self.active_tab == ANALYTICS_TAB:
            self.query_one("#cf-analytics").focus()
        else:
            self._table().focus()

    @on(TabbedContent.TabActivated, "#cf-tabs")
    def _tab_changed(self) -> None:
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
        tab = self.active_tab
        if tab == ANALYTICS_TAB and action in ("new", "edit", "delete"):
            return False
        if action == "new":
            return tab != "overview"
        if action in ("edit", "delete"):
            return tab != "sales"
        if action in ("done", "reschedule", "template"):
            return tab == "timeline"
        if action == "save_copy":
            return tab == "documents"
        if action == "make_default":
            return tab == "addresses"
        if action == "email":
            return tab in ("sales", "timeline")
        if action == "recurring":
            return tab == "sales"
        if action == "convert":
            return self.file is not None and self.file.detail.data.kind == "lead"
        return True

    # --- loading the header and overview -----------------------------------------

    @work(thread=True, exclusive=True, group="client-file", exit_on_error=False)
    def load_file(self) -> None:
        from ...db import database
        from ...services.client_file import client_file
        from ...services.errors import NotFound

        try:
            with database.connection_context():
                data = client_file(self.client_id, self.as_of)
        except NotFound as exc:
            message = str(exc)
            self.app.call_from_thread(self._gone, message)
            return
        except Exception as exc:
            message = _("Could not read the client: {error}").format(error=exc)
            self.app.call_from_thread(self.notify, message, severity="error")
            return
        self.app.call_from_thread(self._show_file, data)

    def _gone(self, message: str) -> None:
        self.notify(message, severity="warning")
        self.dismiss()

    def _show_file(self, data: Any) -> None:
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
        self._show_overview(*self._overview(data))
        tabs = self.query_one(TabbedContent)
        for key, label in TABS[1:]:
            count = data.counts.get(key, 0)
            text = f"{_(label)} {count}" if count else _(label)
            if key == "timeline" and data.figures.open_follow_ups:
                text += " " + _("({n} open)").format(n=data.figures.open_follow_ups)
            tabs.get_tab(pane_id(key)).label = Content(text)
        self.set_class(detail.status == "archived", "-archived")
        self.refresh_bindings()

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
                text += " " + _("({n} overdue)").format(n=f.overdue_follow_ups)
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

    def _show_overview(self, rows: list[tuple[str, str]], notes: Content) -> None:
        """Label and value side by side; a long value wraps under itself, not the labels."""
        width = max(cell_len(label) for label, _value in rows) + 2
        box = self.query_one("#cf-overview-rows", Vertical)
        box.remove_children()
        widgets = []
        for label, value in rows:
            name = Static(Content(label), classes="cf-label")
            name.styles.width = width
            widgets.append(
                Horizontal(
                    name,
                    Static(Content(one_line(value) or "—"), classes="cf-value"),
                    classes="cf-row",
                )
            )
        box.mount_all(widgets)
        self.query_one("#cf-notes", Static).update(notes)

    def _overview(self, data: Any) -> tuple[list[tuple[str, str]], Content]:
        from .client_form import PAYMENT_METHOD_LABELS

        def payment_method_label(key: str) -> str:
            return _(PAYMENT_METHOD_LABELS.get(key, key))

        d = data.detail.data
        rows: list[tuple[str, str]] = [
            (_("Legal name"), d.legal_name),
            (_("Trade name"), d.trade_name),
            (
                _("Kind"),
                (
                    _("Client since {date}").format(date=show_date(data.detail.became_client_at))
                    if d.kind == "client" and data.detail.became_client_at
                    else (_("Client") if d.kind == "client" else _("Lead"))
                )
                + ("" if d.is_company else " · " + _("a person")),
            ),
            (_("Tax ID"), f"{d.tax_id} ({d.tax_id_country})" if d.tax_id else ""),
            (_("Email"), d.email),
            (_("Phone"), " · ".join(p for p in (d.phone, d.mobile) if p)),
            (_("Fax"), d.fax),
            (_("Website"), d.website),
            (_("Account owner"), data.detail.owner_login),
            (
                _("Payment"),
                _("{days} days · {method}").format(
                    days=d.payment_days, method=payment_method_label(d.payment_method)
                )
                + (f" · {d.iban}" if d.iban else ""),
            ),
            (_("Taxes"), self._taxes(d)),
            (_("Tags"), ", ".join(data.tags)),
        ]
        rows += [(label, value) for _key, label, value in data.custom]
        if data.merged_names:
            rows.append((_("Merged into this"), ", ".join(data.merged_names)))
        rows.append(
            (
                _("Last change"),
                _("{when} by {user}").format(
                    when=local_datetime(data.detail.updated_at), user=data.detail.updated_by
                ),
            )
        )
        notes = Content.assemble(
            (_("Notes") + "\n", "bold"),
            lines(d.notes) if d.notes else _("(none) — E edits the client"),
        )
        return rows, notes

    @staticmethod
    def _taxes(d: Any) -> str:
        parts = []
        if d.vat_exempt:
            parts.append(_("exempt from IVA: {reason}").format(reason=d.exemption_reason))
        else:
            parts.append(_("IVA {rate} %").format(rate=f"{d.vat_rate.normalize():f}"))
        if d.irpf_rate:
            parts.append(_("IRPF {rate} %").format(rate=f"{d.irpf_rate.normalize():f}"))
        if d.recargo:
            parts.append(_("recargo de equivalencia"))
        return " · ".join(parts)

    # --- refreshing after a change -----------------------------------------------

    def refresh_tab(self, *tabs: str) -> None:
        """Re-read the header and the given lists (after a save or a delete)."""
        self.load_file()
        self.query_one(ClientAnalyticsLine).reload()
        for tab in tabs:
            if tab in LIST_TABS:
                self._table(tab).refresh_rows()

    def action_reload(self) -> None:
        self.refresh_tab(*LIST_TABS)

    # --- workers for reads and writes ------------------------------------------------

    @work(thread=True, group="client-file-action", exit_on_error=False)
    def run_service(
        self,
        call: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        refresh: tuple[str, ...] = (),
        done: str = "",
    ) -> None:
        """Run a service call in a worker; report a refusal in one line, never crash."""
        from ...db import database
        from ...services.errors import ServiceError

        try:
            with database.connection_context():
                result = call()
        except ServiceError as exc:
            message = str(exc)
            self.app.call_from_thread(self.notify, message, severity="error", timeout=8)
            return
        except Exception as exc:
            message = _("Could not do it: {error}").format(error=exc)
            self.app.call_from_thread(self.notify, message, severity="error", timeout=10)
            return

        def finish() -> None:
            if refresh:
                self.refresh_tab(*refresh)
            if done:
                self.notify(done)
            if then is not None:
                then(result)

        self.app.call_from_thread(finish)

    def _selected(self) -> Any:
        """Key of the row under the cursor in the active list, or None (with a hint)."""
        key = self._table().selected_key
        if key is None:
            self.notify(_("Nothing selected."), severity="warning")
        return key

    def _after_form(self, tab: str, message: str = "") -> Callable[[Any], None]:
        def saved(result: Any) -> None:
            if result is None:
                return
            self.refresh_tab(tab)
            if message:
                self.notify(message)

        return saved

    def _confirm(self, question: str, then: Callable[[], None], yes: str | None = None) -> None:
        def answer(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmDialog(question, yes=yes), answer)

    # --- n / e / delete per tab ---------------------------------------------------------

    def action_new(self) -> None:
        tab = self.active_tab
        if tab == "sales":
            self.app.new_sales_document(self.client_id)  # type: ignore[attr-defined]
            return
        if tab == "addresses":
            from .client_record_forms import AddressForm

            self.app.push_screen(
                AddressForm(self.client_id, initial={"country": "ES"}, title=_("New address")),
                self._after_form(tab),
            )
        elif tab == "contacts":
            from .client_record_forms import ContactForm

            self.app.push_screen(
                ContactForm(self.client_id, title=_("New contact")), self._after_form(tab)
            )
        elif tab == "timeline":
            self.open_activity_form()
        elif tab == "projects":
            from .client_record_forms import ProjectForm

            self.app.push_screen(
                ProjectForm(self.client_id, initial={"status": "active"}, title=_("New project")),
                self._after_form(tab),
            )
        elif tab == "opportunities":
            self.open_opportunity_form(None)
        elif tab == "documents":
            from .document_forms import AttachForm

            self.app.push_screen(
                AttachForm(self.client_id, _start_dir()), self._after_form(tab, _("Attached."))
            )

    def action_edit(self) -> None:
        tab = self.active_tab
        if tab == "overview":
            self.action_edit_client()
            return
        key = self._selected()
        if key is None:
            return
        from ...services import addresses, attachments, contacts, projects

        if tab == "addresses":
            from .client_record_forms import AddressForm

            self.run_service(
                lambda: addresses.get_address(key),
                lambda row: self.app.push_screen(
                    AddressForm(
                        self.client_id,
                        row.id,
                        row.version,
                        AddressForm.values_of(row.data),
                        title=_("Edit address"),
                    ),
                    self._after_form(tab),
                ),
            )
        elif tab == "contacts":
            from .client_record_forms import ContactForm

            self.run_service(
                lambda: contacts.get_contact(key),
                lambda row: self.app.push_screen(
                    ContactForm(
                        self.client_id,
                        row.id,
                        row.version,
                        ContactForm.values_of(row.data),
                        title=_("Edit {name}").format(name=one_line(row.name)),
                    ),
                    self._after_form(tab),
                ),
            )
        elif tab == "timeline":
            self.open_activity_form(key)
        elif tab == "projects":
            from .client_record_forms import ProjectForm

            self.run_service(
                lambda: projects.get_project(key),
                lambda row: self.app.push_screen(
                    ProjectForm(
                        self.client_id,
                        row.id,
                        row.version,
                        ProjectForm.values_of(row.data),
                        title=_("Edit project"),
                    ),
                    self._after_form(tab),
                ),
            )
        elif tab == "opportunities":
            self.open_opportunity_form(key)
        elif tab == "documents":
            self.run_service(
                lambda: attachments.get_document(key),
                lambda doc: self.notify(
                    _("{file}: {size}, added {when} by {user}. s saves a copy.").format(
                        file=doc.filename,
                        size=attachments.human_size(doc.size),
                        when=local_datetime(doc.uploaded_at),
                        user=doc.uploaded_by,
                    )
                ),
            )

    def action_delete(self) -> None:
        tab = self.active_tab
        if tab == "overview":
            self.action_delete_client()
            return
        key = self._selected()
        if key is None:
            return
        from ...services import (
            addresses,
            attachments,
            contacts,
            opportunities,
            projects,
            timeline,
        )

        row = self._table().get_row(self._table().cursor_index)
        what = one_line(row.cells[0] if tab != "timeline" else row.cells[2]) if row else ""
        calls: dict[str, tuple[Callable[[], Any], str]] = {
            "addresses": (lambda: addresses.delete_address(key), _("Delete the address {what}?")),
            "contacts": (lambda: contacts.delete_contact(key), _("Delete the contact {what}?")),
            "timeline": (
                lambda: timeline.delete_activity(key),
                _("Delete the timeline entry {what}?"),
            ),
            "projects": (lambda: projects.delete_project(key), _("Delete the project {what}?")),
            "opportunities": (
                lambda: opportunities.delete_opportunity(key),
                _("Delete the opportunity {what}?"),
            ),
            "documents": (
                lambda: attachments.remove_document(key),
                _(
                    "Remove the document {what}? Its stored copy goes too unless another "
                    "record uses it."
                ),
            ),
        }
        call, question = calls[tab]
        self._confirm(
            question.format(what=what),
            lambda: self.run_service(call, refresh=(tab,), done=_("Deleted.")),
            yes=_("Delete"),
        )

    # --- timeline --------------------------------------------------------------------------

    def open_activity_form(
        self, activity_id: int | None = None, initial: dict[str, Any] | None = None
    ) -> None:
        """The entry form with this client's contacts and projects to choose from."""
        from ...services import contacts, projects, timeline
        from .activity_form import ActivityForm

        def load() -> tuple[Any, list, list]:
            row = timeline.get_activity(activity_id) if activity_id is not None else None
            people = [(c.name, c.id) for c in contacts.list_contacts(self.client_id)]
            works = [(p.data.name, p.id) for p in projects.list_projects(self.client_id)]
            return row, people, works

        def show(loaded: tuple[Any, list, list]) -> None:
            row, people, works = loaded
            if row is None:
                form = ActivityForm(
                    self.client_id,
                    initial=initial,
                    contacts=people,
                    projects=works,
                    title=_("New timeline entry"),
                )
            else:
                form = ActivityForm(
                    self.client_id,
                    row.id,
                    row.version,
                    ActivityForm.values_of(row),
                    contacts=people,
                    projects=works,
                    title=_("Edit timeline entry"),
                )
            self.app.push_screen(form, self._after_form("timeline"))

        self.run_service(load, show)

    def action_done(self) -> None:
        key = self._selected()
        if key is None:
            return
        from ...services import timeline

        def toggle() -> str:
            if timeline.mark_done(key):
                return _("Marked done.")
            timeline.reopen(key)
            return _("Reopened.")

        self.run_service(toggle, self.notify, refresh=("timeline",))

    def action_reschedule(self) -> None:
        key = self._selected()
        if key is None:
            return
        from ...services import timeline
        from .activity_form import RescheduleForm

        self.run_service(
            lambda: timeline.get_activity(key),
            lambda row: self.app.push_screen(
                RescheduleForm(row.id, row.version, row.due_date, row.title),
                self._after_form("timeline", _("Rescheduled.")),
            ),
        )

    def action_template(self) -> None:
        from ...services import timeline
        from .pickers import ChoicePrompt

        def chosen(template: Any) -> None:
            if template is None:
                return
            name = self.file.detail.data.legal_name if self.file else ""

            def fill() -> dict[str, Any]:
                filled = timeline.fill_template(template, client=name)
                return {"kind": filled.kind, "subject": filled.subject, "body": filled.body}

            self.run_service(fill, lambda values: self.open_activity_form(None, values))

        def show(templates: list[Any]) -> None:
            if not templates:
                self.notify(
                    _("No comment templates yet: the palette (ctrl+p) has 'New comment template'."),
                    severity="warning",
                )
                return
            self.app.push_screen(
                ChoicePrompt(_("Fill a note from a template"), [(t.name, t) for t in templates]),
                chosen,
            )

        self.run_service(timeline.list_templates, show)

    @on(LazyTable.RowSelected, "#list-timeline")
    def _view_activity(self, event: LazyTable.RowSelected) -> None:
        from ...services import timeline
        from .activity_form import ActivityView

        key = event.row_key

        def chosen(choice: str | None) -> None:
            if choice == "edit":
                self.open_activity_form(int(key))
            elif choice == "done":
                self.action_done()

        self.run_service(
            lambda: timeline.get_activity(int(key)),
            lambda row: self.app.push_screen(ActivityView(row), chosen),
        )

    # --- opportunities -----------------------------------------------------------------------

    def open_opportunity_form(self, opportunity_id: int | None) -> None:
        from ...services import opportunities, projects, users
        from .client_record_forms import OpportunityForm

        def load() -> tuple[Any, list, list]:
            row = (
                opportunities.get_opportunity(opportunity_id)
                if opportunity_id is not None
                else None
            )
            works = [(p.data.name, p.id) for p in projects.list_projects(self.client_id)]
            owners = [(u.login, u.login) for u in users.list_users() if u.active]
            return row, works, owners

        def show(loaded: tuple[Any, list, list]) -> None:
            row, works, owners = loaded
            if row is None:
                form = OpportunityForm(
                    self.client_id,
                    initial={"stage": "new"},
                    projects=works,
                    owners=owners,
                    title=_("New opportunity"),
                )
            else:
                form = OpportunityForm(
                    self.client_id,
                    row.id,
                    row.version,
                    OpportunityForm.values_of(row.data),
                    projects=works,
                    owners=owners,
                    title=_("Edit opportunity"),
                )
            self.app.push_screen(form, self._after_form("opportunities"))

        self.run_service(load, show)

    # --- addresses and documents ---------------------------------------------------------

    def action_make_default(self) -> None:
        key = self._selected()
        if key is None:
            return
        from ...services import addresses

        self.run_service(
            lambda: addresses.set_default(key, "invoice"),
            refresh=("addresses",),
            done=_("Invoices will use this address."),
        )

    def action_save_copy(self) -> None:
        key = self._selected()
        if key is None:
            return
        from ...services import attachments
        from .document_forms import ExportForm

        self.run_service(
            lambda: attachments.get_document(key),
            lambda doc: self.app.push_screen(
                ExportForm(doc.id, doc.filename, _start_dir()),
                lambda path: path and self.notify(_("Saved to {path}").format(path=path)),
            ),
        )

    @on(LazyTable.RowSelected, "#list-documents")
    def _document_selected(self) -> None:
        self.action_save_copy()

    @on(LazyTable.RowSelected, "#list-addresses, #list-contacts, #list-projects")
    def _edit_selected(self) -> None:
        self.action_edit()

    @on(LazyTable.RowSelected, "#list-opportunities")
    def _edit_opportunity(self) -> None:
        self.action_edit()

    @on(LazyTable.RowSelected, "#list-sales")
    def _open_sales_record(self, event: LazyTable.RowSelected) -> None:
        self.app.open_sales_record(str(event.row_key))  # type: ignore[attr-defined]

    # --- the client itself -------------------------------------------------------------

    def action_edit_client(self) -> None:
        from .client_form import open_client_form

        def saved(result: int | None) -> None:
            if result is not None:
                self.refresh_tab()
                self.notify(_("Saved."))

        open_client_form(self.app, self.client_id, saved)

    def action_recurring(self) -> None:
        """`R` on the Sales tab: this client's recurring invoice templates."""
        name = self.file.detail.data.legal_name if self.file else ""
        self.app.show_recurring(self.client_id, name)  # type: ignore[attr-defined]

    def action_history(self) -> None:
        """This client's own audit trail: who changed what, and when."""
        self.app.show_audit(  # type: ignore[attr-defined]
            self.client_id, _("History of {name}").format(name=self.sub_title or self.client_id)
        )

    def action_archive(self) -> None:
        from ...services import clients

        if self.file is None:
            return
        if self.file.detail.status == "archived":
            self.run_service(
                lambda: clients.unarchive_client(self.client_id),
                refresh=("overview",),
                done=_("Back among the active clients."),
            )
            return
        self._confirm(
            _("Archive {name}? It leaves the everyday lists; its history stays.").format(
                name=one_line(self.file.detail.data.legal_name)
            ),
            lambda: self.run_service(
                lambda: clients.archive_client(self.client_id),
                refresh=("overview",),
                done=_("Archived."),
            ),
            yes=_("Archive"),
        )

    def action_convert(self) -> None:
        from ...services import clients

        self.run_service(
            lambda: clients.convert_to_client(self.client_id),
            refresh=("overview",),
            done=_("Now a client."),
        )

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
        self.notify(_("{name} deleted.").format(name=name))
        self.dismiss()

    def action_merge(self) -> None:
        from .merge import MergeScreen

        if self.file is None:
            return

        def merged(survivor: int | None) -> None:
            if survivor is None:
                return
            if survivor == self.client_id:
                self.refresh_tab(*LIST_TABS)
            else:
                self.dismiss()
                self.app.open_client(survivor)  # type: ignore[attr-defined]

        self.app.push_screen(MergeScreen(self.client_id, self.file.detail.data.legal_name), merged)

    def action_email(self) -> None:
        """Sales: email the selected quote or invoice. Timeline: send a failed email again."""
        key = self._selected()
        if key is None:
            return
        send = self.app.send_document  # type: ignore[attr-defined]
        if self.active_tab == "timeline":
            send("retry", int(key), then=lambda _entry: self.refresh_tab("timeline"))
            return
        kind, _sep, ident = str(key).partition(":")
        if kind not in ("invoice", "quote"):
            self.notify(_("Only quotes and invoices are sent by email."), severity="warning")
            return
        send(kind, int(ident), then=lambda _entry: self.refresh_tab("timeline", "sales"))

    def action_back(self) -> None:
        self.dismiss()


def _start_dir() -> Path:
    """Where file paths start: the working directory, else home."""
    try:
        return Path.cwd()
    except OSError:
        return Path.home()
