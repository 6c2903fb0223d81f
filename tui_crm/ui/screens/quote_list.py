"""Quotes (palette "Quotes"): every quote, newest first, searchable, with filters.

Keys: `/` search (code, title or client), `n` new quote (choose the client), enter
opens the quote's view; filters: `s` status, `c` client.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ...i18n import N_, _
from ...services.quotes import QuoteFilter, QuoteRow
from ..formatting import date as show_date
from ..formatting import money
from ..labels import QUOTE_STATUS_LABELS, label
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource
from .list_screen import SearchableList

STATUS_FILTERS = ("", "draft", "sent", "accepted", "rejected", "expired")
STATUS_FILTER_LABELS = {"": N_("every status")}


def quote_row(r: QuoteRow) -> Row:
    style = "muted" if r.status in ("rejected", "expired") else ""
    return Row(
        key=r.id,
        cells=(
            r.code,
            show_date(r.date),
            r.client_name,
            r.title,
            money(r.total),
            label(QUOTE_STATUS_LABELS, r.status),
            show_date(r.valid_until),
        ),
        style=style,
    )


def quote_source(flt: QuoteFilter) -> PagedSource[QuoteRow]:
    from ...services import quotes

    return PagedSource.over(quotes.count_quotes, quotes.list_quotes, flt, quote_row)


def quote_columns() -> list[Column]:
    return [
        Column("code", _("Code"), 11, min_width=10),
        Column("date", _("Date"), 10, min_width=10, priority=1),
        Column("client", _("Client"), 20, flex=True, min_width=12),
        Column("title", _("Title"), 20, flex=True, min_width=10, priority=3),
        Column("total", _("Total"), 12, align="right", min_width=12),
        Column("status", _("Status"), 9, min_width=8),
        Column("valid", _("Valid until"), 11, min_width=10, priority=2),
    ]


class QuotesScreen(SearchableList):
    """Every quote, newest first."""

    LIST_ID = "quote"
    STATUS_FILTERS = STATUS_FILTERS
    STATUS_LABELS = QUOTE_STATUS_LABELS
    STATUS_FILTER_LABELS = STATUS_FILTER_LABELS
    CLIENT_PROMPT = N_("Quotes of which client?")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("slash", "search", _("Search"), id="search"),
        Binding("n", "new_quote", _("New"), id="new_quote"),
        Binding("s", "cycle_status", _("Status"), id="filter_status"),
        Binding("c", "filter_client", _("Client"), id="filter_client"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: QuoteFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or QuoteFilter()

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            quote_columns(),
            _("/ search code, title or client…"),
            _("No quotes match. n writes one."),
        )

    def on_mount(self) -> None:
        self.show_list(_("Quotes"))

    def make_source(self) -> PagedSource[QuoteRow]:
        return quote_source(self.flt)

    def filter_parts(self) -> list[str]:
        return [self.status_part(), *self.client_parts()]

    @on(LazyTable.RowSelected, "#quote-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.crm.open_quote(int(event.row_key))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new_quote(self) -> None:
        self.crm.new_quote(self.flt.client_id)
