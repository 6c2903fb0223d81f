"""Tests for LazyTable: lazy paging, keyboard navigation, safe rendering, errors."""

from __future__ import annotations

import threading

from rich.cells import cell_len
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from tui_crm.ui.widgets.lazy_table import Column, LazyTable, Row, fit_cell, layout_widths

from .conftest import settle

COLUMNS = [
    Column("id", "ID", 8, align="right"),
    Column("name", "Name", 20, flex=True),
    Column("note", "Note", 14),
]
BODY_HEIGHT = 23  # 24-line screen minus the header line


class FakeSource:
    """In-memory source that records every call and the thread it came from."""

    def __init__(self, total: int, prefix: str = "Client") -> None:
        self.total = total
        self.prefix = prefix
        self.fetched: list[tuple[int, int]] = []
        self.count_calls = 0
        self.threads: set[int] = set()
        self.overrides: dict[int, Row] = {}

    def count(self) -> int:
        self.threads.add(threading.get_ident())
        self.count_calls += 1
        return self.total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        self.threads.add(threading.get_ident())
        self.fetched.append((offset, limit))
        return [
            self.overrides.get(i) or Row(key=1000 + i, cells=(str(i), f"{self.prefix} {i}", "x"))
            for i in range(offset, min(offset + limit, self.total))
        ]

    @property
    def offsets(self) -> list[int]:
        return [offset for offset, _ in self.fetched]


class FailingSource(FakeSource):
    """Raises from count() or from fetch() of pages at or beyond `fail_from`."""

    def __init__(self, total: int, *, fail_count: bool = False, fail_from: int = -1) -> None:
        super().__init__(total)
        self.fail_count = fail_count
        self.fail_from = fail_from

    def count(self) -> int:
        if self.fail_count:
            raise RuntimeError("database is locked")
        return super().count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        if 0 <= self.fail_from <= offset:
            raise OSError("disk I/O error")
        return super().fetch(offset, limit)


class BlockingSource(FakeSource):
    """fetch() of pages other than the first waits until `release` is set."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.release = threading.Event()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        if offset > 0:
            self.release.wait(timeout=10)
        return super().fetch(offset, limit)


class TableApp(App[None]):
    """Hosts one LazyTable and records the messages it posts."""

    def __init__(self, source: FakeSource | None, *, with_input: bool = False) -> None:
        super().__init__()
        self.source = source
        self.with_input = with_input
        self.messages: list[LazyTable.RowHighlighted | LazyTable.RowSelected] = []
        self.failures: list[str] = []

    def compose(self) -> ComposeResult:
        yield LazyTable(COLUMNS, self.source, page_size=100, empty_text="No clients yet")
        if self.with_input:
            yield Input()

    def on_lazy_table_row_highlighted(self, message: LazyTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_lazy_table_row_selected(self, message: LazyTable.RowSelected) -> None:
        self.messages.append(message)

    def on_lazy_table_load_failed(self, message: LazyTable.LoadFailed) -> None:
        self.failures.append(message.error)

    @property
    def selected(self) -> list[LazyTable.RowSelected]:
        return [m for m in self.messages if isinstance(m, LazyTable.RowSelected)]

    @property
    def highlighted(self) -> list[LazyTable.RowHighlighted]:
        return [m for m in self.messages if isinstance(m, LazyTable.RowHighlighted)]


def lines(table: LazyTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_first_paint_fetches_only_the_first_page() -> None:
    source = FakeSource(100_000)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        assert table.row_count == 100_000
        assert source.count_calls == 1
        assert source.offsets == [0]
        assert table.virtual_size.height == 100_001  # rows + header
        rendered = lines(table)
        assert "ID" in rendered[0] and "Name" in rendered[0]
        assert "Client 0" in rendered[1]
        assert "Client 22" in rendered[BODY_HEIGHT]
        assert table.selected_key == 1000
        assert [(m.row_key, m.index) for m in app.highlighted] == [(1000, 0)]
        # The source is only ever called from worker threads.
        assert threading.get_ident() not in source.threads


async def test_end_jumps_to_last_row_and_fetches_only_last_page() -> None:
    source = FakeSource(100_000)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_index == 99_999
        assert source.offsets == [0, 99_900]
        assert table.selected_key == 100_999
        rendered = lines(table)
        assert "Name" in rendered[0]  # header does not scroll away
        assert "Client 99999" in rendered[-1]
        assert "Client 99977" in rendered[1]
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert table.cursor_index == 0
        assert "Client 0" in lines(table)[1]
        assert threading.get_ident() not in source.threads


async def test_down_pagedown_up_home_move_cursor_and_scroll() -> None:
    source = FakeSource(1000)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        await pilot.press("down", "down")
        assert table.cursor_index == 2
        await pilot.press("up")
        assert table.cursor_index == 1
        await pilot.press("pagedown")
        assert table.cursor_index == 1 + BODY_HEIGHT
        assert table.scroll_y == BODY_HEIGHT  # cursor kept on the same screen line
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await settle(pilot)
        assert table.cursor_index == 1 + 6 * BODY_HEIGHT  # 139 crosses into page 1
        rendered = lines(table)
        cursor_line = [line for line in rendered if "Client 139" in line]
        assert cursor_line, rendered
        assert 100 in source.offsets
        await pilot.press("pageup")
        assert table.cursor_index == 1 + 5 * BODY_HEIGHT
        await pilot.press("home")
        assert table.cursor_index == 0
        assert table.scroll_y == 0
        await pilot.press("up")  # clamped at the top
        assert table.cursor_index == 0
        await settle(pilot)
        assert app.highlighted[-1].index == 0
        assert app.highlighted[-1].row_key == 1000


async def test_enter_posts_row_selected_with_row_key() -> None:
    source = FakeSource(50)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert [(m.row_key, m.index) for m in app.selected] == [(1003, 3)]
        assert app.selected[0].control is app.query_one(LazyTable)


async def test_enter_on_unloaded_row_selects_once_the_page_arrives() -> None:
    source = BlockingSource(100_000)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        try:
            await pilot.press("end", "enter")
            await pilot.pause()
            assert table.cursor_index == 99_999
            assert table.selected_key is None  # last page is still loading
            assert app.selected == []
            placeholder = table.render_line(BODY_HEIGHT).text
            assert "Client" not in placeholder
        finally:
            source.release.set()
        await settle(pilot)
        assert [(m.row_key, m.index) for m in app.selected] == [(100_999, 99_999)]


async def test_markup_and_control_characters_render_literally() -> None:
    source = FakeSource(4)
    # Row 0 carries the (bold) cursor; the interesting rows come after it.
    source.overrides[1] = Row(1, ("1", "[bold]x[/]", "a\x1b[31mred"))
    source.overrides[2] = Row(2, ("2", "line\nbreak\ttab\x00nul", "\x9b2J\u202eevil"))
    source.overrides[3] = Row(3, ("3", "日本語の名前です。とても長い名前", "שלום 👍"))
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        width = table.scrollable_content_region.width
        row0, row1, row2 = (table.render_line(y) for y in (2, 3, 4))
        assert "[bold]x[/]" in row0.text
        assert not any(
            segment.style and segment.style.bold for segment in row0 if "x" in segment.text
        )
        assert "\x1b" not in row0.text and "␛[31mred" in row0.text
        assert "line break tab␀nul" in row1.text
        assert not any(ch in row1.text for ch in "\n\t\x00\x9b\u202e")
        assert "שלום 👍" in row2.text
        for strip in (row0, row1, row2):
            assert strip.cell_length == width
            assert cell_len(strip.text) == width
        # The whole screen (not just render_line) shows the literal text.
        screen_svg = app.export_screenshot()
        assert "[bold]x[/]" in screen_svg.replace("&#160;", " ")


def test_fit_cell_truncates_pads_and_aligns_by_cell_width() -> None:
    assert fit_cell("abcdef", 4) == "abc…"
    assert fit_cell("ab", 4) == "ab  "
    assert fit_cell("ab", 4, "right") == "  ab"
    wide = fit_cell("日本語", 4)
    assert cell_len(wide) == 4 and wide.endswith("…")
    assert cell_len(fit_cell("👍👍👍", 5)) == 5
    assert fit_cell("x\ty", 3) == "x y"
    assert fit_cell("anything", 0) == ""


def test_layout_widths_flex_column_absorbs_and_shrinks() -> None:
    columns = [Column("a", "A", 10), Column("b", "B", 20, flex=True, min_width=5)]
    # 10 + 20 + 4 padding = 34 preferred
    assert layout_widths(columns, 50) == [10, 36]
    assert layout_widths(columns, 24) == [10, 10]
    assert layout_widths(columns, 10) == [4, 5]  # never below min widths


async def test_row_styles_and_cursor_use_component_classes() -> None:
    source = FakeSource(5)
    source.overrides[1] = Row(2, ("2", "late", ""), style="warning")
    source.overrides[2] = Row(3, ("3", "overdue", ""), style="danger")
    source.overrides[3] = Row(4, ("4", "very overdue", ""), style="danger-strong")
    source.overrides[4] = Row(5, ("5", "archived", ""), style="muted")
    app = TableApp(source, with_input=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        table.focus()
        await pilot.pause()

        def style_of(y: int):
            return next(iter(table.render_line(y))).style

        plain = table.rich_style
        header = style_of(0)
        assert header.bold
        styles = [style_of(y) for y in range(2, 6)]
        assert len({str(s) for s in styles}) == 4
        for style in styles:
            assert style != plain
        assert styles[1].color == table.get_component_rich_style("lazy-table--row-danger").color
        focused_cursor = style_of(1)
        assert focused_cursor != plain
        app.query_one(Input).focus()
        await pilot.pause()
        blurred_cursor = style_of(1)
        assert blurred_cursor != focused_cursor


async def test_source_errors_post_load_failed_and_app_keeps_running() -> None:
    app = TableApp(FailingSource(10, fail_count=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        assert app.failures and "database is locked" in app.failures[0]
        assert table.row_count == 0
        assert "No clients yet" not in "".join(lines(table))  # an error is not "empty"
        await pilot.press("down", "enter")
        assert app.is_running

        # A failing page: count works, rows of page 1 raise.
        source = FailingSource(300, fail_from=100)
        table.set_source(source)
        await settle(pilot)
        assert table.row_count == 300
        await pilot.press("end")
        await settle(pilot)
        assert any("disk I/O error" in error for error in app.failures)
        assert table.selected_key is None
        assert all("Client" not in line for line in lines(table)[1:])
        await pilot.press("home")
        await settle(pilot)
        assert table.selected_key == 1000
        assert app.is_running


async def test_set_source_replaces_rows_and_resets_cursor() -> None:
    old = FakeSource(100_000)
    app = TableApp(old)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert table.cursor_index > 0

        new = FakeSource(5, prefix="Found")
        table.set_source(new)
        await settle(pilot)
        old_calls = len(old.fetched)
        assert table.row_count == 5
        assert table.cursor_index == 0 and table.scroll_y == 0
        assert table.selected_key == 1000
        rendered = lines(table)
        assert "Found 0" in rendered[1] and "Found 4" in rendered[5]
        assert all("Client" not in line for line in rendered)
        assert rendered[6].strip() == ""
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_index == 4
        assert len(old.fetched) == old_calls  # the old source is no longer asked


async def test_set_source_keep_cursor_and_refresh_rows_keep_index() -> None:
    source = FakeSource(500)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        table.move_cursor(250)
        await settle(pilot)
        source.overrides[250] = Row(9999, ("250", "Edited name", ""))
        source.total = 400
        table.refresh_rows()
        await settle(pilot)
        assert table.row_count == 400
        assert table.cursor_index == 250
        assert table.selected_key == 9999
        assert any("Edited name" in line for line in lines(table))
        assert app.highlighted[-1].row_key == 9999

        table.set_source(FakeSource(100), keep_cursor=True)
        await settle(pilot)
        assert table.cursor_index == 99  # clamped to the new row count
        assert table.selected_key == 1099


async def test_empty_source_shows_empty_text() -> None:
    app = TableApp(FakeSource(0))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        assert table.row_count == 0
        assert table.selected_key is None
        rendered = lines(table)
        hits = [y for y, line in enumerate(rendered) if "No clients yet" in line]
        assert len(hits) == 1 and 1 < hits[0] < len(rendered) - 1
        line = rendered[hits[0]]
        assert line.startswith(" " * 10)  # centred, not left aligned
        await pilot.press("enter", "end", "down")
        await pilot.pause()
        assert app.selected == [] and table.cursor_index == 0


async def test_click_highlights_then_selects_row() -> None:
    source = FakeSource(50)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        await pilot.click(LazyTable, offset=(5, 4))  # header is line 0 -> row 3
        assert table.cursor_index == 3
        assert app.selected == []
        await pilot.click(LazyTable, offset=(5, 4))
        await pilot.pause()
        assert [(m.row_key, m.index) for m in app.selected] == [(1003, 3)]
        await pilot.click(LazyTable, offset=(5, 0))  # header click does nothing
        assert table.cursor_index == 3


async def test_mouse_wheel_scrolls_and_loads_pages_on_demand() -> None:
    source = FakeSource(100_000)
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LazyTable)
        for _ in range(40):
            table.post_message(events.MouseScrollDown(table, 5, 5, 0, 1, 0, False, False, False))
        await settle(pilot)
        assert table.scroll_y > BODY_HEIGHT  # row 0 (the cursor) scrolled out of view
        assert table.cursor_index == 0
        assert 100 in source.offsets  # the page that scrolled into view was fetched
        top = int(table.scroll_y)
        assert f"Client {top}" in lines(table)[1]
        assert set(source.offsets) <= {0, 100, 200, 300}
