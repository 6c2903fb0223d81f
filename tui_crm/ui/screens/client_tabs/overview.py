"""The client file's Overview tab: every field of the client, its tags, custom fields and
notes (`e` edits the client, `delete` deletes it, or says why not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.style import Style as RichStyle
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Static

from ....i18n import _
from ...formatting import date as show_date
from ...formatting import local_datetime
from ...labels import METHOD_LABELS, label
from ...safe_text import lines, one_line
from .base import ClientTab


def overview_rows(data: Any) -> list[tuple[str, str]]:
    """Label and value of each field of a client file (`services.client_file.ClientFile`)."""
    d = data.detail.data
    rows: list[tuple[str, str]] = [
        (_("Legal name"), d.legal_name),
        (_("Trade name"), d.trade_name),
        (
            _("Kind"),
            (
                _("Client since {date}").format(date=show_date(data.detail.became_client_at))
                if d.kind == "client" and data.detail.became_client_at
                else (_("Client") if d.kind == "client" else _("Lead"))
            )
            + ("" if d.is_company else " · " + _("a person")),
        ),
        (_("Tax ID"), f"{d.tax_id} ({d.tax_id_country})" if d.tax_id else ""),
        (_("Email"), d.email),
        (_("Phone"), " · ".join(p for p in (d.phone, d.mobile) if p)),
        (_("Fax"), d.fax),
        (_("Website"), d.website),
        (_("Account owner"), data.detail.owner_login),
        (
            _("Payment"),
            _("{days} days · {method}").format(
                days=d.payment_days, method=label(METHOD_LABELS, d.payment_method)
            )
            + (f" · {d.iban}" if d.iban else ""),
        ),
        (_("Taxes"), taxes_text(d)),
        (_("Tags"), ", ".join(data.tags)),
    ]
    rows += [(field_label, value) for _key, field_label, value in data.custom]
    if data.merged_names:
        rows.append((_("Merged into this"), ", ".join(data.merged_names)))
    rows.append(
        (
            _("Last change"),
            _("{when} by {user}").format(
                when=local_datetime(data.detail.updated_at), user=data.detail.updated_by
            ),
        )
    )
    return rows


def taxes_text(d: Any) -> str:
    parts = []
    if d.vat_exempt:
        parts.append(_("exempt from IVA: {reason}").format(reason=d.exemption_reason))
    else:
        parts.append(_("IVA {rate} %").format(rate=f"{d.vat_rate.normalize():f}"))
    if d.irpf_rate:
        parts.append(_("IRPF {rate} %").format(rate=f"{d.irpf_rate.normalize():f}"))
    if d.recargo:
        parts.append(_("recargo de equivalencia"))
    return " · ".join(parts)


class _FieldLines(Visual):
    """Labels in a column `label_width` wide, each value beside its label; a long value
    wraps under itself, never under the labels (as a label and a value widget side by
    side would, cell for cell)."""

    def __init__(self, rows: list[tuple[Content, Content]], label_width: int) -> None:
        self.rows = rows
        self.label_width = label_width

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        label_width = self.label_width
        value_width = max(1, width - label_width)
        # The blank beside a label is background only, as a widget pads its lines.
        blank = RichStyle(bgcolor=style.rich_style.bgcolor)
        indent = Strip.blank(label_width, blank)
        strips: list[Strip] = []
        for name, value in self.rows:
            head = name.render_strips(label_width, 1, style, options)[0]
            head = head.extend_cell_length(label_width, blank)
            for line in value.render_strips(value_width, None, style, options):
                strips.append(Strip.join([head, line]))
                head = indent
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.label_width + max((value.cell_length for _label, value in self.rows), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        value_width = max(1, width - self.label_width)
        return sum(value.get_height(rules, value_width) for _label, value in self.rows)


class FieldRows(Widget):
    """Every field of the client in one widget (not three per field: a client file
    opens faster with fifty widgets fewer to style and lay out). Labels take the style
    of the `cf-label` component class."""

    COMPONENT_CLASSES = {"cf-label"}
    DEFAULT_CSS = """
    FieldRows {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, str]] = []

    def show(self, rows: list[tuple[str, str]]) -> None:
        self.rows = rows
        self.refresh(layout=True)

    def render(self) -> Content | Visual:
        if not self.rows:
            return Content(_("Loading…"))
        label_style = self.get_visual_style("cf-label")
        width = max(cell_len(text) for text, _value in self.rows) + 2
        return _FieldLines(
            [
                (Content(text).stylize(label_style), Content(one_line(value) or "—"))
                for text, value in self.rows
            ],
            width,
        )


class OverviewTab(ClientTab):
    KEY = "overview"
    ACTIONS = frozenset({"edit", "delete"})

    def __init__(
        self,
        title: str,
        client_id: int,
        today: Any,
        *,
        edit_client: Callable[[], None],
        delete_client: Callable[[], None],
    ) -> None:
        super().__init__(title, client_id, today)
        self._edit_client = edit_client
        self._delete_client = delete_client

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="cf-overview"):
            yield FieldRows(id="cf-overview-rows")
            yield Static("", id="cf-notes")

    def focus_first(self) -> None:
        self.query_one("#cf-overview").focus()

    def edit(self) -> None:
        self._edit_client()

    def delete(self) -> None:
        self._delete_client()

    def show(self, data: Any) -> None:
        """Label and value side by side; a long value wraps under itself, not the labels."""
        self.query_one(FieldRows).show(overview_rows(data))
        d = data.detail.data
        self.query_one("#cf-notes", Static).update(
            Content.assemble(
                (_("Notes") + "\n", "bold"),
                lines(d.notes) if d.notes else _("(none) — E edits the client"),
            )
        )
