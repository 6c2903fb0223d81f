"""`/` on a screen that lists things and has no search of its own: find in the list.

A line opens at the bottom; what is typed moves the cursor to the first row, from the
one under the cursor on, that holds the text in any column (case and accents aside).
Down (or enter typed again) finds the next one, up the one before; enter goes back to
the list at the row found; escape closes the line and leaves the cursor where it is. A
list read a page at a time is searched in the rows read so far, and says so when it
finds nothing there.
"""

from __future__ import annotations

from textual import events, on
from textual.widgets import Input

from ...i18n import _
from .lazy_table import LazyTable


class FindBar(Input):
    """The find line of a list screen (see the module doc)."""

    DEFAULT_CSS = """
    FindBar {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, table: LazyTable) -> None:
        super().__init__(
            placeholder=_("find in this list (↓ next, enter back to the list, escape closes)"),
            compact=True,
            id="find-bar",
        )
        self.table = table
        self._entered = ""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._find(self.table.cursor_index, 1)

    def _find(self, start: int, step: int) -> None:
        text = self.value
        if not text.strip():
            self.remove_class("-invalid")
            return
        found = self.table.find(text, start, step)
        self.set_class(found is None, "-invalid")
        if found is not None:
            self.table.move_cursor(found)
        elif not self.table.all_read:
            self.notify(
                _("Not among the rows read so far: scroll down the list, then find again."),
                severity="warning",
            )

    def _on_key(self, event: events.Key) -> None:
        if event.key in ("down", "up"):
            event.stop()
            event.prevent_default()
            step = 1 if event.key == "down" else -1
            self._find(self.table.cursor_index + step, step)
        elif event.key == "escape":
            event.stop()
            event.prevent_default()
            self.close()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()

    def close(self) -> None:
        self.table.focus()
        self.remove()
