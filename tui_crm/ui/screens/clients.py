"""The client browser (F2): every client, a page at a time, searchable as you type."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Header, Input, Static

from ...i18n import N_, _
from ...services.client_list import ClientFilter, ClientRow
from ...text import fold
from ..base import CrmScreen
from ..formatting import money, rows_text
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource

KIND_LABELS = {"lead": N_("Lead"), "client": N_("Client")}
KIND_FILTERS = ("", "lead", "client")
KIND_FILTER_LABELS = {"": N_("leads and clients"), "lead": N_("leads"), "client": N_("clients")}
STATUS_FILTER_LABELS = {"active": N_("active"), "archived": N_("archived"), "": N_("all")}
SORT_ORDER = ("name", "revenue", "outstanding", "last_activity")
SORT_LABELS = {
    "name": N_("by name"),
    "revenue": N_("by revenue this year"),
    "outstanding": N_("by outstanding"),
    "last_activity": N_("by last activity"),
}


def client_source(flt: ClientFilter) -> PagedSource[ClientRow]:
    """Pages of the client list (read in the table's worker thread)."""
    from ...services.client_list import count_clients, list_clients

    return PagedSource.over(count_clients, list_clients, flt, _row)


def _row(r: ClientRow) -> Row:
    # The trade name is shown when it adds something ("Viajes Aguilar S.L. (Aguilar Viajes)").
    extra = r.trade_name and fold(r.trade_name) not in fold(r.name)
    name = f"{r.name} ({r.trade_name})" if extra else r.name
    return Row(
        key=r.id,
        cells=(
            name,
            r.tax_id,
            _(KIND_LABELS.get(r.kind, r.kind)),
            r.city,
            r.phone,
            r.owner,
            money(r.revenue_year) if r.revenue_year else "",
            money(r.outstanding) if r.outstanding else "",
        ),
        style="muted" if r.status == "archived" else "",
    )


def client_columns() -> list[Column]:
    return [
        Column("name", _("Name"), 30, flex=True, min_width=26),  # readable before the rest
        Column("tax_id", _("Tax ID"), 11, min_width=9),
        Column("kind", _("Kind"), 7, min_width=6, priority=3),
        Column("city", _("City"), 12, min_width=8, priority=2),
        Column("phone", _("Phone"), 15, min_width=15, priority=4),
        Column("owner", _("Owner"), 10, min_width=8, priority=5),
        # Amounts are never cut: "162.286,42 €" takes 12 cells.
        Column("revenue_year", _("This year"), 12, min_width=12, align="right", priority=1),
        Column("outstanding", _("Outstanding"), 12, min_width=12, align="right"),
    ]


class ClientsScreen(CrmScreen[None]):
    """All clients and leads; `/` searches, enter opens the one under the cursor."""

    REREAD_AFTER_DIALOGS = True  # back from a client file or a form: what changed there
    # The list has the focus from the first frame (not the search, then the list): each
    # change of focus rebuilds the footer, which costs a start-up frame.
    AUTO_FOCUS = "#client-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding is handled as the key arrives, before the keys typed right after
        # it are routed: "/munoz" typed fast (or pasted over SSH) all lands in the search.
        Binding("slash", "search", _("Search"), id="search", priority=True),
        Binding("k", "cycle_kind", _("Leads/clients"), id="filter_kind"),
        Binding("a", "cycle_status", _("Archived"), id="filter_status"),
        Binding("o", "cycle_sort", _("Sort"), id="sort"),
        Binding("n", "new_client", _("New"), id="new_client"),
        Binding("e", "edit_client", _("Edit"), id="edit_client"),
        Binding("u", "filter_owner", _("Owner"), id="filter_owner"),
        Binding("t", "filter_tag", _("Tag"), id="filter_tag"),
        Binding("v", "toggle_overdue", _("Overdue"), id="filter_overdue"),
        Binding("ctrl+r", "reload", _("Reload"), id="reload"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("i", "import_clients", _("Import"), id="import"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flt = ClientFilter()
        self._pending_client: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="client-search-bar"):
            yield Input(
                placeholder=_("/ search name, trade name, tax ID, email, phone or contact…"),
                compact=True,
                id="client-search",
            )
            yield Static("", id="client-filters")
        yield LazyTable(
            client_columns(),
            client_source(self.flt),
            page_size=100,
            empty_text=_("No clients match. Press / to search again."),
            id="client-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Clients")
        self._show_filters()
        self.query_one(LazyTable).focus()

    # --- filters and search ----------------------------------------------------

    def _apply(self, **changes: object) -> None:
        from dataclasses import replace

        self.flt = replace(self.flt, **changes)
        self.query_one(LazyTable).set_source(client_source(self.flt))
        self._show_filters()

    def _show_filters(self, count: int | None = None) -> None:
        parts = [
            _(KIND_FILTER_LABELS[self.flt.kind]),
            _(STATUS_FILTER_LABELS[self.flt.status]),
            _(SORT_LABELS[self.flt.sort]),
        ]
        if self.flt.owner_login:
            parts.append(_("owner {login}").format(login=self.flt.owner_login))
        if self.flt.tag:
            parts.append(_("tag {tag}").format(tag=self.flt.tag))
        if self.flt.has_overdue:
            parts.append(_("with overdue invoices"))
        table = self.query_one(LazyTable)
        total = count if count is not None else table.row_count
        if not table.is_loading:
            parts.append(rows_text(total))
        self.query_one("#client-filters", Static).update(Content(" · ".join(parts)))

    @on(Input.Changed, "#client-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._apply(text=event.value)

    @on(Input.Submitted, "#client-search")
    def _search_submitted(self) -> None:
        """Enter in the search opens the first match (↓ goes to the list instead)."""
        table = self.query_one(LazyTable)
        table.move_cursor(0)
        self.set_focus(table)
        if table.row_count or table.is_loading:
            table.action_select_cursor()

    def on_key(self, event) -> None:
        search = self.query_one("#client-search", Input)
        if event.key == "escape" and search.has_focus:
            event.stop()
            if search.value:
                search.value = ""
            self.query_one(LazyTable).focus()
        elif event.key == "down" and search.has_focus:
            event.stop()
            self.query_one(LazyTable).focus()

    @on(LazyTable.RowHighlighted)
    @on(LazyTable.RowSelected)
    @on(LazyTable.Loaded)
    def _rows_arrived(self) -> None:
        self._show_filters()

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the client list: {error}").format(error=event.error), severity="error"
        )

    @on(LazyTable.RowSelected, "#client-table")
    def _open_selected(self, event: LazyTable.RowSelected) -> None:
        self.crm.open_client(int(event.row_key))

    def action_search(self) -> None:
        search = self.query_one("#client-search", Input)
        if search.has_focus:  # a "/" typed in the search is part of it ("S/N")
            search.insert_text_at_cursor("/")
            return
        self.set_focus(search)

    def action_cycle_kind(self) -> None:
        index = KIND_FILTERS.index(self.flt.kind)
        self._apply(kind=KIND_FILTERS[(index + 1) % len(KIND_FILTERS)])

    def action_cycle_status(self) -> None:
        order = ("active", "archived", "")
        self._apply(status=order[(order.index(self.flt.status) + 1) % len(order)])

    def action_cycle_sort(self) -> None:
        self._apply(sort=SORT_ORDER[(SORT_ORDER.index(self.flt.sort) + 1) % len(SORT_ORDER)])

    def action_reload(self) -> None:
        self.query_one(LazyTable).refresh_rows()

    def returned(self) -> None:
        self.query_one(LazyTable).refresh_rows()

    def action_new_client(self) -> None:
        self.crm.new_client()

    def action_edit_client(self) -> None:
        from .client_form import open_client_form

        key = self.query_one(LazyTable).selected_key
        if key is None:
            self.nothing_selected()
            return
        open_client_form(self, int(key), lambda saved: saved and self.notify(_("Saved.")))

    def action_export(self) -> None:
        """The list as filtered now, to Excel (with every client's fiscal and contact data)."""
        from ...services import lists, reports
        from ..dialogs.export import export_list

        flt = self.flt
        export_list(
            self,
            _("Clients"),
            reports.CLIENT_COLUMNS,
            lambda: reports.client_rows(flt),
            stem="clientes",
            count=lambda: lists.count_clients(flt),
            notes=lists.describe_client_filter(flt),
        )

    def action_import_clients(self) -> None:
        from .import_clients import ImportClientsScreen

        self.app.push_screen(ImportClientsScreen(), lambda _result: self.action_reload())

    def action_toggle_overdue(self) -> None:
        self._apply(has_overdue=not self.flt.has_overdue)

    def action_filter_owner(self) -> None:
        self._pick_filter("owner")

    def action_filter_tag(self) -> None:
        self._pick_filter("tag")

    def _pick_filter(self, what: str) -> None:
        from ...services import tags, users

        def read() -> list[str]:
            if what == "owner":
                return [u.login for u in users.list_users() if u.active]
            return tags.all_tags()

        self.run_service(
            read,
            lambda values: self._show_filter_choices(what, values),
            group="filter-choices",
            exclusive=True,
        )

    def _show_filter_choices(self, what: str, values: list[str]) -> None:
        from ..dialogs.choice import ChoicePrompt

        everyone = _("(any owner)") if what == "owner" else _("(any tag)")
        options = [(everyone, ""), *((v, v) for v in values)]
        title = _("Clients of which owner?") if what == "owner" else _("Clients with which tag?")

        def chosen(value: str | None) -> None:
            if value is None:
                return
            if what == "owner":
                self._apply(owner_login=value)
            else:
                self._apply(tag=value)

        self.app.push_screen(ChoicePrompt(title, options), chosen)

    # --- jumping to one client -------------------------------------------------

    def show_client(self, client_id: int) -> None:
        """Put the cursor on a client (clearing filters that would hide it)."""
        search = self.query_one("#client-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self.flt = ClientFilter(status="")
        self.query_one(LazyTable).set_source(client_source(self.flt))
        self._show_filters()
        self._locate(client_id)

    def _locate(self, client_id: int) -> None:
        from ...services.client_list import position_of

        flt = self.flt
        self.run_service(
            lambda: position_of(flt, client_id), self._move_to, group="locate", exclusive=True
        )

    def _move_to(self, index: int | None) -> None:
        if index is None:
            return
        table = self.query_one(LazyTable)
        table.move_cursor(index)
        table.focus()
