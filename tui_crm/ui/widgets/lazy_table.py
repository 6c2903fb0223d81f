"""A virtual table that only asks its data source for the rows it shows.

Textual's `DataTable` needs every row up front (100,000 clients take ~15 s to
add), so the client list uses this Line-API widget instead: it renders each
visible line with `render_line`, fetches fixed-size pages from a `TableSource`
in thread workers and keeps the most recently used pages in an LRU cache.
The approach follows Textualize/toolong's `LogLines`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..safe_text import sanitize

__all__ = ["Column", "LazyTable", "Row", "TableSource"]

CELL_PADDING = 1
"""Blank cells on each side of every column (so columns never touch)."""

HEADER_HEIGHT = 1
"""The header occupies the first line of the viewport and never scrolls."""

ROW_STYLES = ("warning", "danger", "danger-strong", "muted")
"""Values of `Row.style` that have a `lazy-table--row-<style>` component class."""


@dataclass(frozen=True)
class Column:
    """One column of a `LazyTable`."""

    key: str
    """Stable id of the column."""
    label: str
    """Header text (already translated; shown literally, never as markup)."""
    width: int
    """Preferred width in terminal cells."""
    align: Literal["left", "right"] = "left"
    min_width: int = 4
    """The column is never shrunk below this width to fit the viewport."""
    flex: bool = False
    """The last flex column absorbs space left over by the preferred widths."""
    priority: int = 0
    """0: always shown. Higher numbers are hidden first when the preferred widths do
    not fit (an 80-column SSH terminal shows the essentials, not a scrollbar)."""


@dataclass(frozen=True)
class Row:
    """One row of data, as returned by `TableSource.fetch`."""

    key: int | str
    """Stable id of the row (e.g. the database id)."""
    cells: tuple[str, ...]
    """Plain text, one per column; never interpreted as markup."""
    style: str = ""
    """Suffix of a `lazy-table--row-<style>` component class, e.g. "danger"."""


class TableSource(Protocol):
    """Where rows come from.

    Methods are called from a worker thread, never from the UI thread, and a
    `LazyTable` never calls them concurrently (calls are serialised by a lock).
    """

    def count(self) -> int:
        """Total number of rows."""
        ...

    def fetch(self, offset: int, limit: int) -> list[Row]:
        """Rows `offset` .. `offset + limit - 1` (fewer at the end)."""
        ...


def fit_cell(text: str, width: int, align: Literal["left", "right"] = "left") -> str:
    """Pad or truncate (with "…") plain text to exactly `width` terminal cells."""
    if width <= 0:
        return ""
    text = sanitize(text)
    length = cell_len(text)
    if length > width:
        # set_cell_size pads with a space if it has to split a 2-cell character.
        return set_cell_size(text, width - 1) + "…"
    padding = " " * (width - length)
    return padding + text if align == "right" else text + padding


def layout_widths(columns: Sequence[Column], available: int) -> list[int]:
    """Column widths (without padding) that fit `available` cells if possible; 0 = hidden.

    Columns with a priority are hidden, highest first, while the preferred
    widths do not fit. Spare space goes to the last flex column; missing space is
    taken from flex columns first, then from the rightmost columns, never below
    `min_width`.
    """
    widths = [max(1, column.width) for column in columns]
    minimums = [
        max(1, min(column.min_width, width)) for column, width in zip(columns, widths, strict=True)
    ]
    shown = list(range(len(columns)))

    def needed(indexes: list[int], sizes: list[int]) -> int:
        return sum(sizes[i] for i in indexes) + 2 * CELL_PADDING * len(indexes)

    droppable = sorted(
        (i for i, column in enumerate(columns) if column.priority > 0),
        key=lambda i: (columns[i].priority, i),
    )
    # Hide optional columns while even the preferred widths do not fit, so the
    # essential ones keep their width instead of all being squeezed.
    while needed(shown, widths) > available and droppable:
        shown.remove(droppable.pop())
    total = needed(shown, widths)
    if total < available:
        flex = [index for index in shown if columns[index].flex]
        if flex:
            widths[flex[-1]] += available - total
    elif total > available:
        excess = total - available
        flex_first = [index for index in reversed(shown) if columns[index].flex]
        others = [index for index in reversed(shown) if not columns[index].flex]
        for index in flex_first + others:
            if excess <= 0:
                break
            shrink = min(excess, widths[index] - minimums[index])
            widths[index] -= shrink
            excess -= shrink
    return [widths[i] if i in shown else 0 for i in range(len(columns))]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class _CountLoaded(Message, bubble=False):
    """Internal: a (re)load of count and first pages finished in a worker."""

    def __init__(
        self,
        generation: int,
        count: int | None,
        pages: dict[int, list[Row]],
        error: str | None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.count = count
        self.pages = pages
        self.error = error


class _PageLoaded(Message, bubble=False):
    """Internal: a page fetch finished (or was skipped) in a worker."""

    def __init__(
        self,
        generation: int,
        page: int,
        rows: list[Row] | None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.rows = rows
        self.error = error


class _TableMessage(Message):
    """A message a LazyTable sends about itself."""

    def __init__(self, lazy_table: LazyTable | None = None) -> None:
        super().__init__()
        self.lazy_table = lazy_table

    @property
    def control(self) -> LazyTable | None:
        """The table that sent the message (for `@on(..., selector)`)."""
        return self.lazy_table


class _RowMessage(_TableMessage):
    """A message about one row: its key and index."""

    def __init__(self, row_key: int | str, index: int, lazy_table: LazyTable | None = None) -> None:
        super().__init__(lazy_table)
        self.row_key = row_key
        self.index = index


class LazyTable(ScrollView, can_focus=True):
    """A keyboard-first table over a `TableSource` of any size.

    Only the pages of `page_size` rows around the viewport are ever fetched, so
    the first paint and jumps (e.g. to the last of 100,000 rows) stay instant.
    """

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home,ctrl+home", "cursor_first", "First row", show=False),
        Binding("end,ctrl+end", "cursor_last", "Last row", show=False),
        Binding("enter", "select_cursor", "Select", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lazy-table--header",
        "lazy-table--cursor",
        "lazy-table--placeholder",
        "lazy-table--empty",
        *(f"lazy-table--row-{style}" for style in ROW_STYLES),
    }

    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .lazy-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .lazy-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .lazy-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .lazy-table--placeholder {
            color: $text-muted;
            text-style: dim;
        }
        & > .lazy-table--empty {
            color: $text-muted;
            text-style: italic;
        }
        & > .lazy-table--row-warning {
            color: $text-warning;
        }
        & > .lazy-table--row-danger {
            color: $text-error;
        }
        & > .lazy-table--row-danger-strong {
            color: $text-error;
            background: $error-muted;
            text-style: bold;
        }
        & > .lazy-table--row-muted {
            color: $text-muted;
        }
    }
    """

    cursor_index: reactive[int] = reactive(0, repaint=False, init=False)
    """Index of the highlighted row (0 when the table is empty)."""

    class RowHighlighted(_RowMessage):
        """The cursor moved to a row (sent once that row has been loaded)."""

    class RowSelected(_RowMessage):
        """A row was chosen with enter (or by clicking the highlighted row)."""

    class Loaded(_TableMessage):
        """The row count of the current source was (re)read; `row_count` is ready."""

        def __init__(self, row_count: int, lazy_table: LazyTable | None = None) -> None:
            super().__init__(lazy_table)
            self.row_count = row_count

    class LoadFailed(_TableMessage):
        """The source raised; the affected rows are left blank."""

        def __init__(self, error: str, lazy_table: LazyTable | None = None) -> None:
            super().__init__(lazy_table)
            self.error = error

    def __init__(
        self,
        columns: Sequence[Column],
        source: TableSource | None = None,
        *,
        page_size: int = 100,
        cache_pages: int = 32,
        empty_text: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._columns: tuple[Column, ...] = tuple(columns)
        self._source: TableSource | None = source
        self._page_size = page_size
        self.empty_text = empty_text
        """Shown (dim, centred) when the source has no rows."""
        self._pages: LRUCache[int, list[Row]] = LRUCache(max(2, cache_pages))
        self._pending: set[int] = set()
        self._failed: set[int] = set()
        self._wanted: frozenset[int] = frozenset()
        self._generation = 0
        self._row_count = 0
        self._count_pending = False
        self._load_error = False
        self._source_lock = threading.Lock()
        self._ready = False
        self._click_selected = False
        self._flush_scheduled = False
        self._last_highlight: tuple[int, int | str] | None = None
        self._pending_select: int | None = None
        self._widths: tuple[int, list[int]] | None = None
        self._update_virtual_size()

    # ------------------------------------------------------------------ public

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in display order."""
        return self._columns

    @property
    def row_count(self) -> int:
        """Number of rows as last reported by `TableSource.count`."""
        return self._row_count

    @property
    def is_loading(self) -> bool:
        """True while the row count of a new source is being read."""
        return self._count_pending

    @property
    def selected_key(self) -> int | str | None:
        """Key of the row under the cursor, or None if not (yet) loaded."""
        row = self.get_row(self.cursor_index)
        return None if row is None else row.key

    def get_row(self, index: int) -> Row | None:
        """The row at `index` if its page is cached (never fetches)."""
        if not 0 <= index < self._row_count:
            return None
        rows = self._pages.get(index // self._page_size)
        if rows is None:
            return None
        offset = index % self._page_size
        return rows[offset] if offset < len(rows) else None

    def set_source(self, source: TableSource, *, keep_cursor: bool = False) -> None:
        """Show rows from a new source (e.g. a new search); clears the cache."""
        self._source = source
        self._pages.clear()
        self._last_highlight = None
        self._pending_select = None
        if not keep_cursor:
            self.cursor_index = 0
            self.scroll_to(0, 0, animate=False, force=True)
        self._reload()

    def refresh_rows(self) -> None:
        """Re-read the count and visible rows (after an edit); keeps the cursor index.

        The old rows stay on screen until the new ones arrive, so there is no flicker.
        """
        self._reload()

    def move_cursor(self, index: int) -> None:
        """Move the cursor to `index` (clamped) and scroll it into view."""
        self.cursor_index = index
        self._scroll_to_cursor()

    # ------------------------------------------------------------ reactives

    def validate_cursor_index(self, index: int) -> int:
        return max(0, min(index, self._row_count - 1))

    def watch_cursor_index(self, old_index: int, new_index: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._maybe_post_highlight()

    # --------------------------------------------------------------- loading

    def on_mount(self) -> None:
        self._ready = True
        if self._source is not None:
            self._reload()

    def _reload(self) -> None:
        """Start reading count and the rows around the cursor for the current source."""
        self._generation += 1
        self._pending.clear()
        self._failed.clear()
        self._load_error = False
        if self._source is None or not self._ready:
            # Before mount there is no app to run workers; on_mount reloads.
            self._count_pending = self._source is not None
            return
        self._count_pending = True
        body = self._body_height() or self._page_size
        top = int(self.scroll_y)
        cursor = self.cursor_index
        if not top <= cursor < top + body:
            top = max(0, cursor - body + 1) if cursor >= top else cursor
        self._load_count(self._generation, self._source, top, top + body - 1)
        self.refresh()

    @work(thread=True, exit_on_error=False, group="lazy-table-count")
    def _load_count(self, generation: int, source: TableSource, first: int, last: int) -> None:
        """Thread: read the row count and the pages covering rows first..last."""
        pages: dict[int, list[Row]] = {}
        try:
            with self._source_lock:
                if generation != self._generation:
                    return
                count = max(0, int(source.count()))
                last = min(last, count - 1)
                first = max(0, min(first, last))
                if count:
                    for page in range(first // self._page_size, last // self._page_size + 1):
                        offset = page * self._page_size
                        pages[page] = list(source.fetch(offset, self._page_size))
        except Exception as error:
            self.post_message(_CountLoaded(generation, None, {}, _describe(error)))
            return
        self.post_message(_CountLoaded(generation, count, pages, None))

    @on(_CountLoaded)
    def _on_count_loaded(self, message: _CountLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._count_pending = False
        self._pages.clear()
        if message.error is not None or message.count is None:
            self._load_error = True
            self._row_count = 0
            self.post_message(self.LoadFailed(message.error or "unknown error", self))
        else:
            self._row_count = message.count
            for page, rows in message.pages.items():
                self._pages.set(page, rows)
            self.post_message(self.Loaded(message.count, self))
        self._update_virtual_size()
        # Re-validate the cursor against the new count (the watcher runs if it changed).
        self.cursor_index = self.cursor_index
        self._scroll_to_cursor()
        self.refresh()
        self._after_rows_arrived()

    def _visible_range(self) -> tuple[int, int]:
        """First and last row index currently in the viewport."""
        top = int(self.scroll_y)
        body = self._body_height()
        return top, min(self._row_count, top + body) - 1

    def _wanted_pages(self) -> set[int]:
        """Pages covering the viewport, plus a neighbour when close to its edge."""
        first, last = self._visible_range()
        if last < first:
            return set()
        size = self._page_size
        margin = max(1, self._body_height())
        wanted = set(range(first // size, last // size + 1))
        if first // size > 0 and first - margin < (first // size) * size:
            wanted.add(first // size - 1)
        next_page = last // size + 1
        if next_page * size < self._row_count and last + margin >= next_page * size:
            wanted.add(next_page)
        return wanted

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.call_later(self._flush_requests)

    def _flush_requests(self) -> None:
        """Start workers for wanted pages that are neither cached nor loading."""
        self._flush_scheduled = False
        if self._source is None or self._count_pending or not self._ready:
            return
        wanted = self._wanted_pages()
        self._wanted = frozenset(wanted)
        for page in sorted(wanted):
            if page in self._pages or page in self._pending or page in self._failed:
                continue
            self._pending.add(page)
            self._load_page(self._generation, self._source, page)

    @work(thread=True, exit_on_error=False, group="lazy-table-pages")
    def _load_page(self, generation: int, source: TableSource, page: int) -> None:
        """Thread: fetch one page, unless it scrolled out of view while queued."""
        try:
            with self._source_lock:
                if generation != self._generation or page not in self._wanted:
                    rows = None
                else:
                    offset = page * self._page_size
                    rows = list(source.fetch(offset, self._page_size))
        except Exception as error:
            self.post_message(_PageLoaded(generation, page, None, _describe(error)))
            return
        self.post_message(_PageLoaded(generation, page, rows))

    @on(_PageLoaded)
    def _on_page_loaded(self, message: _PageLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._pending.discard(message.page)
        if message.error is not None:
            self._failed.add(message.page)
            self.post_message(self.LoadFailed(message.error, self))
            self.refresh()
            return
        if message.rows is None:
            # Skipped because it was out of view; ask again if it is back in view.
            self._schedule_flush()
            return
        self._pages.set(message.page, message.rows)
        self.refresh()
        self._after_rows_arrived()

    def _after_rows_arrived(self) -> None:
        """Send messages that were waiting for the cursor row to load."""
        self._maybe_post_highlight()
        if self._pending_select is not None and self._pending_select == self.cursor_index:
            row = self.get_row(self.cursor_index)
            if row is not None:
                self._pending_select = None
                self.post_message(self.RowSelected(row.key, self.cursor_index, self))

    def _maybe_post_highlight(self) -> None:
        row = self.get_row(self.cursor_index)
        if row is None:
            return
        highlight = (self.cursor_index, row.key)
        if highlight != self._last_highlight:
            self._last_highlight = highlight
            self.post_message(self.RowHighlighted(row.key, self.cursor_index, self))

    # -------------------------------------------------------------- geometry

    def _body_height(self) -> int:
        """Rows that fit below the header."""
        return max(0, self.scrollable_content_region.height - HEADER_HEIGHT)

    def _update_virtual_size(self) -> None:
        minimum = sum(
            max(1, min(column.min_width, column.width)) + 2 * CELL_PADDING
            for column in self._columns
            if column.priority == 0
        )
        self.virtual_size = Size(minimum, self._row_count + HEADER_HEIGHT)

    def _column_widths(self) -> list[int]:
        available = max(self.scrollable_content_region.width, self.virtual_size.width)
        if self._widths is None or self._widths[0] != available:
            self._widths = (available, layout_widths(self._columns, available))
        return self._widths[1]

    def _scroll_to_cursor(self) -> None:
        body = self._body_height()
        if body <= 0:
            return
        top = int(self.scroll_y)
        cursor = self.cursor_index
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, force=True)
        elif cursor >= top + body:
            self.scroll_to(y=cursor - body + 1, animate=False, force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._widths = None
        self._scroll_to_cursor()

    # ------------------------------------------------------------- rendering

    def _line_text(self, cells: Sequence[str], widths: Sequence[int]) -> str:
        padding = " " * CELL_PADDING
        parts = []
        for index, (column, width) in enumerate(zip(self._columns, widths, strict=True)):
            if width == 0:  # hidden for lack of space
                continue
            text = cells[index] if index < len(cells) else ""
            parts.append(padding + fit_cell(str(text), width, column.align) + padding)
        return "".join(parts)

    def _strip(self, text: str, style: Style) -> Strip:
        """A strip of the visible part of a full-width line of text."""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def render_line(self, y: int) -> Strip:
        """Line 0 is the fixed header, lines below show rows from `scroll_y` on."""
        widths = self._column_widths()
        if y < HEADER_HEIGHT:
            style = self.get_component_rich_style("lazy-table--header")
            labels = [column.label for column in self._columns]
            return self._strip(self._line_text(labels, widths), style)

        base_style = self.rich_style
        index = int(self.scroll_y) + y - HEADER_HEIGHT
        if self._row_count == 0 or index >= self._row_count:
            if (
                self._row_count == 0
                and not self._count_pending
                and not self._load_error
                and self._source is not None
                and y - HEADER_HEIGHT == max(0, self._body_height() - 1) // 2
            ):
                return self._render_empty_text()
            return self._strip("", base_style)

        is_cursor = index == self.cursor_index
        page = index // self._page_size
        rows = self._pages.get(page)
        if rows is None:
            if page in self._failed:
                return self._strip("", base_style)
            if not self._count_pending:
                self._schedule_flush()
            names = ["lazy-table--placeholder"]
            if is_cursor:
                names.append("lazy-table--cursor")
            style = self.get_component_rich_style(*names)
            return self._strip(self._line_text(("…",), widths), style)

        offset = index - page * self._page_size
        if offset >= len(rows):  # short page: the data shrank since count()
            return self._strip("", base_style)
        row = rows[offset]
        names = []
        if row.style in ROW_STYLES:
            names.append(f"lazy-table--row-{row.style}")
        if is_cursor:
            names.append("lazy-table--cursor")
        style = self.get_component_rich_style(*names) if names else base_style
        return self._strip(self._line_text(row.cells, widths), style)

    def _render_empty_text(self) -> Strip:
        """The caller's "no rows" text, centred in the viewport."""
        width = self.scrollable_content_region.width
        style = self.get_component_rich_style("lazy-table--empty")
        text = sanitize(self.empty_text)
        left = max(0, (width - cell_len(text)) // 2)
        text = set_cell_size(" " * left + text, width) if left else fit_cell(text, width)
        return Strip([Segment(text, style)], width)

    # --------------------------------------------------------------- actions

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_index - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_index + 1)

    def action_cursor_page_up(self) -> None:
        self._page_by(-1)

    def action_cursor_page_down(self) -> None:
        self._page_by(+1)

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_select_cursor(self) -> None:
        """Post RowSelected now, or as soon as the cursor row has loaded."""
        if self._row_count == 0:
            return
        row = self.get_row(self.cursor_index)
        if row is None:
            self._pending_select = self.cursor_index
            return
        self._pending_select = None
        self.post_message(self.RowSelected(row.key, self.cursor_index, self))

    def _page_by(self, direction: int) -> None:
        """Move cursor and viewport by one screen, keeping the cursor's screen line."""
        body = max(1, self._body_height())
        old = self.cursor_index
        target = max(0, min(old + direction * body, self._row_count - 1))
        self.scroll_to(y=int(self.scroll_y) + (target - old), animate=False, force=True)
        self.move_cursor(target)

    async def _on_click(self, event: events.Click) -> None:
        """Click moves the cursor; a click on the highlighted row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER_HEIGHT:
            return
        index = int(self.scroll_y) + offset.y - HEADER_HEIGHT
        if not 0 <= index < self._row_count:
            return
        event.stop()
        if event.chain == 1:
            # A single click on the highlighted row selects it; elsewhere it highlights.
            self._click_selected = index == self.cursor_index
        elif self._click_selected:
            return  # the first click of this double click already selected
        else:
            self._click_selected = True  # a double click selects
        self.move_cursor(index)
        if self._click_selected:
            self.action_select_cursor()
