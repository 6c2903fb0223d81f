"""The lines of a document as a read-only table (an invoice's, a quote's, an order's).

User text (descriptions, product codes) is shown literally, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ...i18n import _
from ..formatting import money
from .lazy_table import sanitize
from .line_editor import number_text


def _first_line(description: str) -> str:
    return sanitize(description.split("\n", 1)[0])


def lines_table(table: DataTable, lines: Sequence[Any]) -> None:
    """Fill a read-only table with document lines: quantity, price, discount, IVA, base."""
    table.clear(columns=True)
    table.add_column("#", width=3, key="n")
    table.add_column(_("Description"), key="description")
    table.add_column(Text(_("Qty"), justify="right"), width=7, key="quantity")
    table.add_column(Text(_("Price"), justify="right"), width=11, key="price")
    table.add_column(Text(_("Disc%"), justify="right"), width=5, key="discount")
    table.add_column(Text(_("IVA%"), justify="right"), width=4, key="vat")
    table.add_column(Text(_("Base"), justify="right"), width=12, key="base")
    for index, line in enumerate(lines):
        code = getattr(line, "product_code", "")
        description = _first_line(line.description)
        if code:
            description = f"{code} · {description}"
        table.add_row(
            Text(str(index + 1)),
            Text(description),
            Text(number_text(line.quantity), justify="right"),
            Text(money(line.unit_price), justify="right"),
            Text(number_text(line.discount) if line.discount else "", justify="right"),
            Text(number_text(line.vat_rate), justify="right"),
            Text(money(line.base), justify="right"),
        )


def order_lines_table(table: DataTable, lines: Sequence[Any]) -> None:
    """Fill a read-only table with an order's lines: ordered, invoiced, in drafts, open."""
    table.clear(columns=True)
    table.add_column("#", width=3)
    table.add_column(_("Description"))
    for title, width in (
        (_("Ordered"), 8),
        (_("Invoiced"), 8),
        (_("Drafts"), 7),
        (_("Open"), 7),
        (_("Open value"), 12),
    ):
        table.add_column(Text(title, justify="right"), width=width)
    for index, info in enumerate(lines):
        line = info.line
        table.add_row(
            Text(str(index + 1)),
            Text(_first_line(line.description)),
            Text(number_text(line.quantity), justify="right"),
            Text(number_text(info.quantity_invoiced), justify="right"),
            Text(
                number_text(info.quantity_in_drafts) if info.quantity_in_drafts else "",
                justify="right",
            ),
            Text(number_text(info.open_quantity), justify="right"),
            Text(money(info.open_value), justify="right"),
        )
