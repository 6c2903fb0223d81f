"""What the document lists (invoices, quotes, orders, the receivables board) share.

A list screen shows `self.flt`, a frozen filter dataclass, through a LazyTable with
id `<LIST_ID>-table`, and says what it shows in the line `<LIST_ID>-filters`: the
screen's own parts (`filter_parts()`) and the row count once the rows are read.
Changing a filter is `_apply(field=value)`: a new filter, a new source, the line
again. `c` (`action_filter_client`) chooses a client to filter by (`flt.client_id`),
and shows every client again when one is chosen. With a search box
(`<LIST_ID>-search`, class `list-search`), typing filters `flt.text`, enter or down
goes to the list, escape clears the box and then leaves it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Header, Input, Static

from ...i18n import N_, _
from ..base import CrmScreen
from ..formatting import rows_text
from ..labels import label
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable


class ListScreen(CrmScreen[None]):
    """A list screen (see the module docstring)."""

    LIST_ID: ClassVar[str]
    # The list has the focus from the first frame (not the search box first, then the
    # list): the footer is built once, with the list's keys.
    AUTO_FOCUS = "LazyTable"
    STATUS_FIELD: ClassVar[str] = "status"
    STATUS_FILTERS: ClassVar[tuple[str, ...]] = ()  # what `s` cycles through
    CLIENT_PROMPT: ClassVar[str] = N_("Of which client?")  # `c`'s question (N_-marked)
    STATUS_LABELS: ClassVar[dict[str, str]] = {}  # N_-marked: the statuses `s` shows
    STATUS_FILTER_LABELS: ClassVar[dict[str, str]] = {}  # … and the filters that are none
    flt: Any
    client_name = ""  # the name of `flt.client_id`, once read

    def make_source(self) -> Any:
        raise NotImplementedError

    def filter_parts(self) -> list[str]:
        return []

    def status_part(self) -> str:
        """The status filter in words ("every status", "drafts", "Sent" …)."""
        status = getattr(self.flt, self.STATUS_FIELD)
        if status in self.STATUS_FILTER_LABELS:
            return _(self.STATUS_FILTER_LABELS[status])
        return label(self.STATUS_LABELS, status)

    def client_parts(self) -> list[str]:
        """The client filtered by, if any ("client Acme SL")."""
        if self.flt.client_id is None:
            return []
        return [_("client {name}").format(name=self.client_name or self.flt.client_id)]

    @property
    def table(self) -> LazyTable:
        return self.query_one(f"#{self.LIST_ID}-table", LazyTable)

    def _apply(self, **changes: Any) -> None:
        self.flt = replace(self.flt, **changes)
        self.table.set_source(self.make_source())
        self._show_filters()

    def _show_filters(self) -> None:
        parts = self.filter_parts()
        if not self.table.is_loading:
            parts.append(rows_text(self.table.row_count))
        self.query_one(f"#{self.LIST_ID}-filters", Static).update(Content(" · ".join(parts)))

    @on(LazyTable.RowHighlighted)
    @on(LazyTable.Loaded)
    def _rows_arrived(self) -> None:
        # Loaded too: an empty list highlights no row, and its "0 rows" must still show.
        self._show_filters()

    def action_cycle_status(self) -> None:
        filters = self.STATUS_FILTERS
        current = getattr(self.flt, self.STATUS_FIELD)
        index = filters.index(current) if current in filters else 0
        self._apply(**{self.STATUS_FIELD: filters[(index + 1) % len(filters)]})

    def action_reload(self) -> None:
        self.table.refresh_rows()

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.action_reload()

    def selected_id(self) -> int | None:
        """The id of the highlighted row, or None (with a hint)."""
        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return None
        return int(key)

    def action_filter_client(self) -> None:
        from ..dialogs.client_picker import ClientPicker

        if self.flt.client_id is not None:
            self.client_name = ""
            self._apply(client_id=None)
            return

        def chosen(client_id: int | None) -> None:
            if client_id is not None:
                self.filter_client(client_id)

        self.app.push_screen(ClientPicker(_(self.CLIENT_PROMPT)), chosen)

    def filter_client(self, client_id: int) -> None:
        from ...services import clients

        def named(name: str) -> None:
            self.client_name = name
            self._apply(client_id=client_id)

        self.run_service(lambda: clients.get_client(client_id).data.legal_name, named)


class SearchableList(ListScreen):
    """FilteredList with a search box over `flt.text`."""

    def compose_list(
        self, columns: list[Column], placeholder: str, empty_text: str, **table_options: Any
    ) -> ComposeResult:
        """The screen: header, search box and filter line, the table, footer."""
        yield Header()
        with Horizontal(id=f"{self.LIST_ID}-search-bar", classes="list-search-bar"):
            yield Input(
                placeholder=placeholder,
                compact=True,
                id=f"{self.LIST_ID}-search",
                classes="list-search",
            )
            yield Static("", id=f"{self.LIST_ID}-filters", classes="list-filters")
        yield LazyTable(
            columns,
            self.make_source(),
            empty_text=empty_text,
            id=f"{self.LIST_ID}-table",
            **table_options,
        )
        yield Footer()

    def show_list(self, title: str) -> None:
        """On mount: the title, the filter line, the focus in the list."""
        self.title = title
        self._show_filters()
        self.table.focus()

    @on(Input.Changed, ".list-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._apply(text=event.value)

    @on(Input.Submitted, ".list-search")
    def _search_submitted(self) -> None:
        self.table.move_cursor(0)
        self.table.focus()

    def on_key(self, event: Any) -> None:
        search = self.query_one(f"#{self.LIST_ID}-search", Input)
        if event.key in ("escape", "down") and search.has_focus:
            event.stop()
            if event.key == "escape" and search.value:
                search.value = ""
            self.table.focus()

    def action_search(self) -> None:
        self.query_one(f"#{self.LIST_ID}-search", Input).focus()
