"""What the views of one document (an invoice, a quote, an order) share.

At the top the document's title and status, its facts (one line each), the table of
its lines (`#<VIEW_ID>-lines`) and its totals; a view may add more below (an invoice's
payments). `escape` goes back, `ctrl+r` re-reads it, `c` opens its client; coming back
from another screen re-reads it too. A view says what it shows (`title_text`,
`status_text`, `facts`, `totals_text`, `fill_lines`), how to read itself again
(`read()`, run in a worker) and its keys (`BINDINGS`, in the order the footer shows).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Header, Static

from ..base import CrmScreen
from ..widgets.document_lines import lines_table
from ..widgets.footer import Footer


class DocumentView(CrmScreen[None]):
    """One document, read-only, with the keys of its life cycle (see the module doc)."""

    VIEW_ID: ClassVar[str]  # the prefix of its widgets' ids: "iv", "qv", "ov"

    def __init__(self, detail: Any):
        super().__init__()
        self.detail = detail

    # --- to implement ------------------------------------------------------------------

    def title_text(self) -> str:
        raise NotImplementedError

    def status_text(self) -> str:
        raise NotImplementedError

    def facts(self) -> list[str]:
        return []

    def totals_text(self) -> str:
        raise NotImplementedError

    def read(self) -> Any:
        """The document again (in a worker)."""
        raise NotImplementedError

    def fill_lines(self, table: DataTable) -> None:
        lines_table(table, self.detail.lines)

    def compose_below(self) -> ComposeResult:
        """What the view shows under its totals."""
        yield from ()

    def shown(self) -> None:
        """After the document is shown (first, or read again)."""

    def first_focus(self) -> Widget:
        """What has the focus when the view opens: its lines."""
        return self.lines

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        view = self.VIEW_ID
        yield Header()
        with Horizontal(id="doc-head"):
            yield Static(Content(self.title_text()), id="doc-title")
            yield Static(Content(self.status_text()), id="doc-subtitle")
        yield Static(Content("\n".join(self.facts())), id=f"{view}-facts")
        yield DataTable(cursor_type="row", zebra_stripes=True, id=f"{view}-lines")
        yield Static(Content(self.totals_text()), id=f"{view}-totals")
        yield from self.compose_below()
        yield Footer()

    def on_mount(self) -> None:
        self.fill_lines(self.lines)
        self.shown()
        self.first_focus().focus()

    @property
    def lines(self) -> DataTable:
        return self.query_one(f"#{self.VIEW_ID}-lines", DataTable)

    def show(self, detail: Any) -> None:
        """Show the document as read again."""
        self.detail = detail
        view = self.VIEW_ID
        self.query_one("#doc-title", Static).update(Content(self.title_text()))
        self.query_one("#doc-subtitle", Static).update(Content(self.status_text()))
        self.query_one(f"#{view}-facts", Static).update(Content("\n".join(self.facts())))
        self.query_one(f"#{view}-totals", Static).update(Content(self.totals_text()))
        self.fill_lines(self.lines)
        self.refresh_bindings()
        self.shown()

    # --- keys --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.run_service(self.read, self.show)

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.action_reload()

    def action_client(self) -> None:
        self.crm.open_client(self.detail.client_id)
