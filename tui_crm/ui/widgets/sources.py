"""Table sources over the services, for `LazyTable` (called in its worker threads).

- `LoadedSource`: a short list read whole (a client's addresses, contacts ...),
  read once per reload in `count()` and sliced by `fetch()`;
- `PagedSource`: a long list read a page at a time (a timeline, 3,000 invoices).

Each call opens its own database connection (`database.connection_context()`),
and turns service values into `Row`s of plain text in the worker thread too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from .lazy_table import Row

T = TypeVar("T")


class LoadedSource(Generic[T]):
    def __init__(self, load: Callable[[], Sequence[T]], to_row: Callable[[T], Row]):
        self.load = load
        self.to_row = to_row
        self._rows: list[Row] = []

    def count(self) -> int:
        from ...db import database

        with database.connection_context():
            self._rows = [self.to_row(item) for item in self.load()]
        return len(self._rows)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return self._rows[offset : offset + limit]


class PagedSource(Generic[T]):
    def __init__(
        self,
        count: Callable[[], int],
        fetch: Callable[[int, int], Sequence[T]],
        to_row: Callable[[T], Row],
    ):
        self._count = count
        self._fetch = fetch
        self.to_row = to_row

    def count(self) -> int:
        from ...db import database

        with database.connection_context():
            return self._count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        from ...db import database

        with database.connection_context():
            items = self._fetch(offset, limit)
        return [self.to_row(item) for item in items]
