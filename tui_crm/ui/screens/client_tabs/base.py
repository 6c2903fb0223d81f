"""What every tab of the client file shares (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import TabPane

from ....i18n import _
from ...base import CrmNode
from ...dialogs.confirm import ConfirmDialog
from ...safe_text import one_line
from ...widgets.lazy_table import Column, LazyTable

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm

FILE_PAGE = 50  # rows read per page in the file's lists (a screen shows fewer)
TAB_ACTIONS = frozenset(
    {
        "new",
        "edit",
        "delete",
        "done",
        "reschedule",
        "template",
        "save_copy",
        "make_default",
        "email",
        "recurring",
        "cancel_meeting",
    }
)
"""The screen's keys that act on the tab shown (each tab lists those it has in ACTIONS)."""


def pane_id(tab: str) -> str:
    return f"tab-{tab}"


def table_id(tab: str) -> str:
    return f"list-{tab}"


def start_dir() -> Path:
    """Where file paths start: the working directory, else home."""
    try:
        return Path.cwd()
    except OSError:
        return Path.home()


class ClientTab(CrmNode, TabPane):
    """One tab of the client file: `KEY`, the keys it answers (`ACTIONS`)."""

    KEY: ClassVar[str]
    ACTIONS: ClassVar[frozenset[str]] = frozenset()

    class Changed(Message):
        """The tab changed the client's records: re-read the file's header and `tabs`."""

        def __init__(self, tabs: tuple[str, ...], message: str = "") -> None:
            super().__init__()
            self.tabs = tabs
            self.message = message

    def __init__(self, title: str, client_id: int, today: dt.date) -> None:
        super().__init__(title, id=pane_id(self.KEY))
        self.client_id = client_id
        self.today = today
        self.client_name = ""  # the client's legal name, once the file is read

    def changed(self, *tabs: str, message: str = "") -> None:
        """Re-read the header and these lists (this tab's when none is named)."""
        self.post_message(self.Changed(tabs or (self.KEY,), message))

    def after_form(self, message: str = "") -> Callable[[Any], None]:
        """A form's callback: when it saved, re-read this tab (and say `message`)."""

        def saved(result: Any) -> None:
            if result is not None:
                self.changed(message=message)

        return saved

    def confirm(self, question: str, then: Callable[[], None], yes: str | None = None) -> None:
        def answer(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmDialog(question, yes=yes), answer)

    def focus_first(self) -> None:
        """Focus what the tab shows first."""

    def reload(self) -> None:
        """Re-read what the tab shows."""

    # --- the screen's keys: each tab implements those it lists in ACTIONS ---------------

    def new(self) -> None: ...

    def edit(self) -> None: ...

    def delete(self) -> None: ...

    def done(self) -> None: ...

    def reschedule(self) -> None: ...

    def template(self) -> None: ...

    def save_copy(self) -> None: ...

    def make_default(self) -> None: ...

    def email(self) -> None: ...

    def recurring(self) -> None: ...

    def cancel_meeting(self) -> None: ...


class ListTab(ClientTab):
    """A tab that is a list of the client's records (`n` new, `e` edit, `delete` …).

    By default a row is a record that a `RecordForm` (`form()`) creates, edits and
    deletes through its service."""

    ACTIONS = frozenset({"new", "edit", "delete"})
    EMPTY: ClassVar[str]  # N_-marked: what the empty list says
    DELETE_QUESTION: ClassVar[str] = ""  # N_-marked, with {what}: the row's name
    NAME_CELL: ClassVar[int] = 0  # the cell that names a row in DELETE_QUESTION
    NEW_TITLE: ClassVar[str] = ""  # N_-marked: the form's title for a new record
    EDIT_TITLE: ClassVar[str] = ""  # … and for one being edited
    NEW_VALUES: ClassVar[dict[str, Any]] = {}  # what a new record's form starts with

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def source(self) -> Any:
        """The table source (its calls run in the table's worker thread)."""
        raise NotImplementedError

    def form(self) -> type[RecordForm]:
        """The form of a row (screens/client_record_forms.py, imported when used)."""
        raise NotImplementedError

    def delete_record(self, key: Any) -> Any:
        """Delete the record `key` (in a worker)."""
        return self.form().delete(key)

    def new(self) -> None:
        form = self.form()
        initial = dict(self.NEW_VALUES) or None
        self.app.push_screen(
            form(self.client_id, initial=initial, title=_(self.NEW_TITLE)), self.after_form()
        )

    def edit(self) -> None:
        key = self.selected()
        if key is None:
            return
        form = self.form()
        self.run_service(
            lambda: form.get(key),
            lambda row: self.app.push_screen(
                form(
                    self.client_id,
                    row.id,
                    row.version,
                    form.values_of(row.data),
                    title=self.edit_title(row),
                ),
                self.after_form(),
            ),
        )

    def edit_title(self, row: Any) -> str:
        return _(self.EDIT_TITLE)

    # Whether the list is built: only once its tab is shown (`show_list`). A client file
    # opened on its Overview reads none of its seven lists; each is read when its tab is
    # first shown, and from then on kept and re-read like any list.
    listed = False

    def compose(self) -> ComposeResult:
        if self.listed:
            yield self._new_table()

    def _new_table(self) -> LazyTable:
        return LazyTable(
            self.columns(),
            self.source(),
            page_size=FILE_PAGE,
            empty_text=_(self.EMPTY),
            id=table_id(self.KEY),
        )

    def show_list(self) -> None:
        """The tab is shown: build its list (it reads its rows) if not built yet."""
        if not self.listed:
            self.listed = True
            if self.is_mounted:
                self.mount(self._new_table())

    @property
    def table(self) -> LazyTable:
        return self.query_one(LazyTable)

    def focus_first(self) -> None:
        self.show_list()
        self.table.focus()

    def reload(self) -> None:
        if self.query(LazyTable):  # a list not yet shown reads its rows when it is
            self.table.refresh_rows()

    def selected(self) -> Any:
        """Key of the row under the cursor, or None (with a hint)."""
        key = self.table.selected_key
        if key is None:
            self.notify(_("Nothing selected."), severity="warning")
        return key

    def delete(self) -> None:
        key = self.selected()
        if key is None:
            return
        row = self.table.get_row(self.table.cursor_index)
        what = one_line(row.cells[self.NAME_CELL]) if row else ""
        self.confirm(
            _(self.DELETE_QUESTION).format(what=what),
            lambda: self.run_service(
                lambda: self.delete_record(key),
                lambda _result: self.changed(),
                done=_("Deleted."),
            ),
            yes=_("Delete"),
        )

    @on(LazyTable.RowSelected)
    def _row_selected(self, event: LazyTable.RowSelected) -> None:
        event.stop()
        self.open(event.row_key)

    def open(self, key: Any) -> None:
        """Enter on a row: edit it."""
        self.edit()
