"""Table sources over the services, for `LazyTable` (every table of the TUI uses one).

- `PagedSource`: a long list read a page at a time (3,000 invoices, 100,000 clients):
  `count()` and `fetch(offset, limit)` of a service;
- `LoadedSource`: a short list read whole on each (re)load (a client's addresses, the
  email templates), or `LoadedSource.of(items)`: a list already read (a report's rows).

`count` and `fetch` run in the table's worker thread, each call inside its own database
connection (`services.calls.run_call`); the service values become `Row`s of plain text
there too. Rows are built when a page is fetched, so a screen's own marks (chosen,
left out) show on `refresh_rows()`. With `remember=True` a source keeps the values it
read by row key: `item(key)` gives the one under the cursor without reading it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .lazy_table import Row

T = TypeVar("T")
F = TypeVar("F")


def _as_row(item: Any) -> Row:
    return item


class _Remembered(Generic[T]):
    def __init__(self, to_row: Callable[[T], Row], remember: bool):
        self.to_row = to_row
        self.remember = remember
        self.items: dict[int | str, T] = {}

    def rows(self, items: Sequence[T]) -> list[Row]:
        rows = [self.to_row(item) for item in items]
        if self.remember:
            self.items.update((row.key, item) for row, item in zip(rows, items, strict=True))
        return rows

    def item(self, key: int | str | None) -> T | None:
        """The value behind a row read so far (with `remember`), or None."""
        return None if key is None else self.items.get(key)


class LoadedSource(_Remembered[T]):
    """A short list, read whole in `count()` (on every reload) and sliced by `fetch()`."""

    def __init__(
        self,
        load: Callable[[], Sequence[T]] | None,
        to_row: Callable[[T], Row] = _as_row,
        *,
        remember: bool = False,
    ):
        super().__init__(to_row, remember)
        self.load = load
        self.loaded: list[T] = []

    @classmethod
    def of(
        cls, items: Sequence[T], to_row: Callable[[T], Row] = _as_row, *, remember: bool = False
    ) -> LoadedSource[T]:
        """A list already read (by the screen's own worker): nothing more to read."""
        source = cls(None, to_row, remember=remember)
        source.loaded = list(items)
        return source

    def count(self) -> int:
        if self.load is not None:
            from ...services.calls import run_call

            self.loaded = list(run_call(self.load))
            self.items.clear()
        return len(self.loaded)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return self.rows(self.loaded[offset : offset + limit])


class PagedSource(_Remembered[T]):
    """A long list read a page at a time: `count()` and `fetch(offset, limit)`."""

    def __init__(
        self,
        count: Callable[[], int],
        fetch: Callable[[int, int], Sequence[T]],
        to_row: Callable[[T], Row],
        *,
        remember: bool = False,
    ):
        super().__init__(to_row, remember)
        self._count = count
        self._fetch = fetch

    @classmethod
    def over(
        cls,
        count: Callable[[F], int],
        fetch: Callable[[F, int, int], Sequence[T]],
        flt: F,
        to_row: Callable[[T], Row],
        *,
        remember: bool = False,
    ) -> PagedSource[T]:
        """Pages of a service's filtered list: `count(flt)`, `fetch(flt, offset, limit)`."""
        return cls(
            lambda: count(flt),
            lambda offset, limit: fetch(flt, offset, limit),
            to_row,
            remember=remember,
        )

    def count(self) -> int:
        from ...services.calls import run_call

        return run_call(self._count)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        from ...services.calls import run_call

        return self.rows(run_call(lambda: self._fetch(offset, limit)))
