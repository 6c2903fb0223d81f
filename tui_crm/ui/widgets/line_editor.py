"""The keyboard line editor shared by quotes, orders and invoices.

Two modes, like a spreadsheet with an edit bar:
- in the table of lines: `n` adds a line, enter (or `e`) edits the highlighted
  one, `delete` removes it after confirmation, shift+up / shift+down (or
  ctrl+up / ctrl+down) move it;
- in the edit row below the table: tab / shift+tab move across description,
  quantity, unit price, discount, IVA and recargo (and on to the next or
  previous line), up / down change line, enter goes back to the table, escape
  undoes what was typed in this line.

The description completes products from the catalog by code or name as you
type (`catalog.lookup`, in a worker): down highlights a suggestion (an exact
code is highlighted already), enter takes it, filling price, IVA and cost
(`catalog.line_from_product`). Amounts are read in Spanish or English notation
(`money.parse_amount`); quantities and percents take "," or "." as the decimal
mark. Totals per tax rate, IRPF and total are recomputed on every keystroke by
the service's preview (`lines.preview_totals`, i.e. `money.document_totals`):
the widget never does tax arithmetic itself. Lines the service refuses show
its reasons, line by line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import N_, _
from ...money import RECARGO_FOR_VAT, MoneyError, Totals, line_base, parse_amount
from ..base import CrmNode
from ..formatting import money
from .lazy_table import sanitize

FIELDS = ("description", "quantity", "unit_price", "discount", "vat_rate", "recargo_rate")
FIELD_LABELS = {
    "description": N_("Description"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "discount": N_("Discount %"),
    "vat_rate": N_("IVA %"),
    "recargo_rate": N_("Recargo %"),
    "unit_cost": N_("Unit cost"),
}
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_LINE_ERROR = re.compile(r"lines\[(\d+)\]\.(\w+)")


def parse_quantity(text: str) -> Decimal:
    """A quantity or a percent as typed: "2", "1,5", "1.125" (one mark = decimals);
    anything with grouping ("1.000,5", "1,000.5") is read by `money.parse_amount`."""
    raw = text.strip().rstrip("%").strip().replace(" ", "")
    if _PLAIN_NUMBER.fullmatch(raw):
        try:
            return Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise MoneyError(f"{text!r} is not a number") from None
    return parse_amount(raw)


def number_text(value: Decimal | int | None, places: int | None = None) -> str:
    """A number as it is typed back into a field: no grouping, "." as the decimal mark."""
    if value is None:
        return ""
    value = Decimal(value)
    if places is not None:
        return f"{value:.{places}f}"
    text = f"{value.normalize():f}"
    return text


@dataclass
class EditLine:
    """One line as it is being typed: the texts of the fields, plus what a product gave."""

    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    discount: str = ""
    vat_rate: str = "21"
    recargo_rate: str = ""  # "" = what the document's recargo setting implies
    unit_cost: Decimal = Decimal(0)
    product_id: int | None = None
    product_code: str = ""
    order_line_id: int | None = None

    @classmethod
    def of(cls, line: Any, product_code: str = "", *, explicit_recargo: bool = False) -> EditLine:
        """From a `LineInput` or a stored `DocumentLine` (recargo left implied unless asked)."""
        recargo = getattr(line, "recargo_rate", None)
        return cls(
            description=line.description,
            quantity=number_text(line.quantity),
            unit_price=number_text(line.unit_price, 2),
            discount=number_text(line.discount) if line.discount else "",
            vat_rate=number_text(line.vat_rate),
            recargo_rate=number_text(recargo) if explicit_recargo and recargo is not None else "",
            unit_cost=Decimal(line.unit_cost or 0),
            product_id=line.product_id,
            product_code=product_code or getattr(line, "product_code", "") or "",
            order_line_id=getattr(line, "order_line_id", None),
        )

    def value(self, field: str) -> Decimal | None:
        """The field read as a number, or None when it is not one (yet)."""
        text = getattr(self, field).strip()
        if field == "discount" and not text:
            return Decimal(0)
        if not text:
            return None
        try:
            if field == "unit_price":
                return parse_amount(text)
            return parse_quantity(text)
        except (MoneyError, InvalidOperation, ValueError):
            return None

    def is_blank(self) -> bool:
        return not self.description.strip() and not self.unit_price.strip() and not self.product_id

    def invalid_fields(self) -> list[str]:
        """Fields whose text is not a number (shown red while typing)."""
        bad = []
        for field in ("quantity", "unit_price", "discount", "vat_rate"):
            if getattr(self, field).strip() and self.value(field) is None:
                bad.append(field)
        if self.recargo_rate.strip() and self.value("recargo_rate") is None:
            bad.append("recargo_rate")
        return bad

    def parsed(self) -> Any | None:
        """A `LineInput` if every number can be read (for the running totals), else None."""
        from ...services.lines import LineInput

        values = {f: self.value(f) for f in ("quantity", "unit_price", "discount", "vat_rate")}
        if any(v is None for v in values.values()):
            return None
        recargo = None
        if self.recargo_rate.strip():
            recargo = self.value("recargo_rate")
            if recargo is None:
                return None
        return LineInput(
            description=self.description,
            recargo_rate=recargo,
            unit_cost=self.unit_cost,
            product_id=self.product_id,
            order_line_id=self.order_line_id,
            **values,
        )

    def to_input(self) -> Any:
        """The `LineInput` to save: numbers where readable, else the text as typed, so the
        service names the field that is wrong."""
        from ...services.lines import LineInput

        def pick(field: str) -> Any:
            value = self.value(field)
            return value if value is not None else getattr(self, field)

        recargo = None
        if self.recargo_rate.strip():
            recargo = pick("recargo_rate")
        return LineInput(
            description=self.description,
            quantity=pick("quantity"),
            unit_price=pick("unit_price"),
            discount=pick("discount"),
            vat_rate=pick("vat_rate"),
            recargo_rate=recargo,
            unit_cost=self.unit_cost,
            product_id=self.product_id,
            order_line_id=self.order_line_id,
        )


@dataclass(frozen=True)
class TaxContext:
    """What the document applies to its lines (from its header fields)."""

    recargo: bool = False
    exemption_reason: str = ""
    irpf_rate: Decimal = Decimal(0)
    default_vat: Decimal = Decimal(21)


def totals_text(totals: Totals, irpf_rate: Decimal) -> str:
    """Totals as the editor and the views show them: base and IVA per rate (when there is
    more than one), then base, IVA, recargo, IRPF withheld and total."""
    rows = []
    if len(totals.breakdown) > 1:
        for part in totals.breakdown:
            text = _("Base {rate} %: {base} · IVA {vat}").format(
                rate=number_text(part.vat_rate), base=money(part.base), vat=money(part.vat)
            )
            if part.recargo_rate:
                text += " · " + _("Recargo {rate} %: {amount}").format(
                    rate=number_text(part.recargo_rate), amount=money(part.recargo)
                )
            rows.append(text)
    summary = [_("Base {amount}").format(amount=money(totals.base))]
    if len(totals.breakdown) == 1:
        rate = number_text(totals.breakdown[0].vat_rate)
        summary.append(_("IVA {rate} % {amount}").format(rate=rate, amount=money(totals.vat)))
    else:
        summary.append(_("IVA {amount}").format(amount=money(totals.vat)))
    if totals.recargo:
        summary.append(_("Recargo {amount}").format(amount=money(totals.recargo)))
    if totals.irpf:
        summary.append(
            _("IRPF {rate} % −{amount}").format(
                rate=number_text(irpf_rate), amount=money(totals.irpf)
            )
        )
    summary.append(_("Total {amount}").format(amount=money(totals.total)))
    rows.append(" · ".join(summary))
    return "\n".join(rows)


def _route(widget: Any, event: events.Key) -> bool:
    """Give a key to the line editor's widget that has the focus now, if it is not `widget`.

    Textual routes each key to the widget focused when the key is read, and runs bindings
    only once the key has bubbled up to the app. Typed fast ("n" then "WEB01", a tab then
    "3", or pasted by a terminal multiplexer), keys reach a field or the table after an
    earlier key moved the focus away: they belong to the widget focused now. Returns
    True when the key was handled here."""
    focused = widget.screen.focused
    if focused is widget or not isinstance(focused, (CellInput, LinesTable)):
        return False
    if focused.apply_key(event, routed=True):
        event.stop()
        event.prevent_default()
        return True
    return False


class LinesTable(DataTable):
    """The lines, one per row; the keys of the table mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_line", _("New line"), id="new_line"),
        Binding("enter,e", "edit_line", _("Edit line"), show=False, id="edit_line"),
        Binding("delete", "delete_line", _("Delete line"), id="delete_line"),
        Binding("shift+up,ctrl+up", "move_line(-1)", _("Move up"), show=False, id="move_up"),
        Binding("shift+down,ctrl+down", "move_line(1)", _("Move down"), show=False, id="move_down"),
    ]

    @property
    def editor(self) -> LineEditor:
        return _editor_of(self)

    def on_resize(self) -> None:
        self.editor.table_resized(self.size.width)

    def apply_key(self, event: events.Key, routed: bool = False) -> bool:
        """n / e / enter act at once (not as bindings run later): the focus is in the new
        line before the next key typed is handled."""
        if event.key == "n":
            self.editor.add_line()
            return True
        if event.key in ("e", "enter"):
            self.editor.edit_current()
            return True
        return False

    def on_key(self, event: events.Key) -> None:
        if _route(self, event):
            return
        if self.has_focus and self.apply_key(event):
            event.stop()
            event.prevent_default()

    def action_new_line(self) -> None:
        self.editor.add_line()

    def action_edit_line(self) -> None:
        self.editor.edit_current()

    def action_delete_line(self) -> None:
        self.editor.delete_current()

    def action_move_line(self, step: int) -> None:
        self.editor.move_current(step)


class CellInput(Input):
    """One field of the edit row: tab / shift+tab across, up / down between lines, enter
    back to the table, escape undoes the line (handled as the key is read, see `_route`)."""

    def __init__(self, field: str, **kwargs: Any):
        # The editor selects a field's text itself as it moves there (LineEditor._focus):
        # a Focus event handled late would select characters already typed into it.
        super().__init__(
            compact=True,
            select_on_focus=False,
            id=f"le-{field.replace('_', '-')}",
            **kwargs,
        )
        self.field = field

    @property
    def editor(self) -> LineEditor:
        return _editor_of(self)

    def apply_key(self, event: events.Key, routed: bool = False) -> bool:
        """The keys of the edit row; `routed`: typed for this field but delivered to
        another widget (see `_route`), so ordinary typing is done here too."""
        key = event.key
        editor = self.editor
        if key in ("tab", "shift+tab"):
            editor.tab_key(self.field, 1 if key == "tab" else -1)
        elif key in ("up", "down"):
            editor.step_key(self.field, -1 if key == "up" else 1)
        elif key == "escape":
            editor.cancel_edit()
        elif key == "enter":
            editor.submit(self)
        elif key == "backspace" and routed:
            self.action_delete_left()
        elif event.is_printable and event.character and routed:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(event.character)
            else:
                self.replace(event.character, *selection)
        else:
            return False
        return True

    async def _on_key(self, event: events.Key) -> None:
        if _route(self, event):
            return
        if self.apply_key(event):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


_WIDTHS = {"#": 3, "quantity": 6, "unit_price": 10, "discount": 5, "vat_rate": 4, "re": 4}
_BASE_WIDTH = 11
_SCROLLBAR = 2


def _editor_of(widget: Widget) -> LineEditor:
    """The line editor a part of it belongs to."""
    node = widget.parent
    while node is not None and not isinstance(node, LineEditor):
        node = node.parent
    assert node is not None
    return node


class LineEditor(CrmNode, Vertical):
    """Lines of a quote, order or invoice, edited by keyboard, with running totals."""

    DEFAULT_CSS = """
    LineEditor { height: 1fr; }
    LineEditor > #le-fixed { color: $text-muted; height: auto; }
    LineEditor > LinesTable { height: 1fr; min-height: 4; }
    LineEditor > #le-suggestions {
        height: auto; max-height: 8; display: none; border: round $accent;
        background: $panel;
    }
    LineEditor > #le-suggestions.-shown { display: block; }
    LineEditor > #le-labels { height: 1; color: $text-muted; }
    LineEditor > #le-edit { height: 1; }
    LineEditor Input { background: $boost; }
    LineEditor Input.-bad { background: $error-muted; }
    LineEditor > #le-labels Label, LineEditor > #le-edit Input { margin-right: 1; }
    LineEditor #le-description, LineEditor #le-l-description { width: 1fr; }
    LineEditor #le-quantity, LineEditor #le-l-quantity { width: 8; }
    LineEditor #le-unit-price, LineEditor #le-l-unit-price { width: 11; }
    LineEditor #le-discount, LineEditor #le-l-discount { width: 6; }
    LineEditor #le-vat-rate, LineEditor #le-l-vat-rate { width: 5; }
    LineEditor #le-recargo-rate, LineEditor #le-l-recargo-rate { width: 5; }
    LineEditor > #le-message { height: auto; color: $text-muted; }
    LineEditor > #le-message.-error { color: $text-error; }
    LineEditor > #le-totals { height: auto; text-align: right; }
    """

    class Changed(Message):
        """Something in the lines changed (the screen marks itself unsaved)."""

        def __init__(self, editor: LineEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> LineEditor:
            return self.editor

    def __init__(
        self,
        lines: Sequence[EditLine] = (),
        *,
        tax: TaxContext | None = None,
        fixed: Sequence[Any] = (),
        fixed_note: str = "",
        totals: Callable[[list[Any], TaxContext], Totals] | None = None,
        id: str | None = None,
    ):
        super().__init__(id=id)
        self.lines: list[EditLine] = [replace(line) for line in lines]
        self.tax = tax or TaxContext()
        self.fixed = list(fixed)  # locked lines (a replacement's cancelling lines)
        self.fixed_note = fixed_note
        self._totals_fn = totals
        self.current: int | None = 0 if self.lines else None
        self._before_edit: EditLine | None = None
        self._editing: int | None = None
        self._errors: dict[int, dict[str, str]] = {}
        self._general_error = ""
        self._suggestions: list[Any] = []
        self._lookup_generation = 0
        self._table_width = 0
        self.last_totals: Totals | None = None

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.fixed:
            yield Static(Content(self.fixed_note), id="le-fixed")
        table = LinesTable(cursor_type="row", zebra_stripes=True, id="le-table")
        yield table
        suggestions = OptionList(id="le-suggestions")
        suggestions.can_focus = False
        yield suggestions
        with Horizontal(id="le-labels"):
            for field in FIELDS:
                short = {
                    "description": _("Description or product code"),
                    "quantity": _("Qty"),
                    "unit_price": _("Price"),
                    "discount": _("Disc%"),
                    "vat_rate": _("IVA%"),
                    "recargo_rate": _("RE%"),
                }[field]
                yield Label(short, id=f"le-l-{field.replace('_', '-')}")
        with Horizontal(id="le-edit"):
            for field in FIELDS:
                restrict = None if field == "description" else r"[-+0-9.,' €%]*"
                yield CellInput(field, restrict=restrict, disabled=not self.lines)
        yield Static("", id="le-message")
        yield Static("", id="le-totals")

    def on_mount(self) -> None:
        self._rebuild()
        self._load_current()
        self._update_totals()

    def table_resized(self, width: int) -> None:
        """The description column takes what the other columns leave."""
        if width != self._table_width:
            self._table_width = width
            self._rebuild()

    @property
    def table(self) -> LinesTable:
        return self.query_one(LinesTable)

    def _focus(self, widget: Any) -> None:
        """Focus now, not after the keys already typed: "n" then "WEB01" typed fast must
        land in the new line's description (`Widget.focus()` is deferred). A field's text
        is selected, so what is typed replaces it."""
        self.screen.set_focus(widget)
        if isinstance(widget, CellInput):
            widget.select_all()

    def _input(self, field: str) -> CellInput:
        return self.query_one(f"#le-{field.replace('_', '-')}", CellInput)

    # --- the table --------------------------------------------------------------------

    def _columns(self) -> list[tuple[str, str, int]]:
        fixed = sum(_WIDTHS.values()) + _BASE_WIDTH + 2 * 8 + _SCROLLBAR  # + cell padding
        desc = max(12, (self._table_width or 78) - fixed)
        return [
            ("#", "#", _WIDTHS["#"]),
            ("description", _("Description"), desc),
            ("quantity", _("Qty"), _WIDTHS["quantity"]),
            ("unit_price", _("Price"), _WIDTHS["unit_price"]),
            ("discount", _("Disc%"), _WIDTHS["discount"]),
            ("vat_rate", _("IVA%"), _WIDTHS["vat_rate"]),
            ("recargo_rate", _("RE%"), _WIDTHS["re"]),
            ("base", _("Base"), _BASE_WIDTH),
        ]

    def _implied_recargo(self, line: EditLine) -> Decimal:
        vat = line.value("vat_rate")
        if not self.tax.recargo or vat is None:
            return Decimal(0)
        return RECARGO_FOR_VAT.get(vat, Decimal(0))

    def _cells(self, index: int, line: EditLine) -> tuple[Text, ...]:
        def right(text: str) -> Text:
            return Text(text, justify="right")

        def num(field: str, places: int | None = None) -> str:
            value = line.value(field)
            if value is None:
                return sanitize(getattr(line, field)) + " ?" if getattr(line, field) else ""
            if field == "unit_price":
                return money(value)
            return number_text(value, places)

        marker = "!" if index in self._errors else ""
        description = sanitize(line.description.split("\n", 1)[0])
        if line.product_code:
            description = f"{line.product_code} · {description}"
        parsed = line.parsed()
        base = ""
        if parsed is not None:
            try:
                base = money(line_base(parsed.quantity, parsed.unit_price, parsed.discount))
            except (MoneyError, InvalidOperation, ValueError):
                base = ""
        recargo = (
            num("recargo_rate")
            if line.recargo_rate.strip()
            else number_text(self._implied_recargo(line))
        )
        discount = num("discount") if line.discount.strip() else ""
        return (
            Text(f"{index + 1}{marker}", style="bold red" if marker else ""),
            Text(description),
            right(num("quantity")),
            right(num("unit_price")),
            right(discount),
            right(num("vat_rate")),
            right(recargo if recargo != "0" else ""),
            right(base),
        )

    def _rebuild(self) -> None:
        """Columns sized to the width, every row again (a few hundred lines at most)."""
        if not self.is_mounted:
            return
        table = self.table
        table.clear(columns=True)
        for key, title, width in self._columns():
            table.add_column(
                Text(title, justify="left" if key in ("#", "description") else "right"),
                width=width,
                key=key,
            )
        for index, line in enumerate(self.lines):
            table.add_row(*self._cells(index, line), key=str(index))
        if self.current is not None and self.lines:
            self.current = min(self.current, len(self.lines) - 1)
            table.move_cursor(row=self.current, animate=False)

    def _refresh_row(self, index: int) -> None:
        table = self.table
        if index >= table.row_count:
            self._rebuild()
            return
        for column, cell in enumerate(self._cells(index, self.lines[index])):
            table.update_cell_at(Coordinate(index, column), cell)

    @on(DataTable.RowHighlighted, "#le-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        target = event.cursor_row
        # Rebuilding the table sends highlights of rows the cursor has already left.
        if target != self.table.cursor_row or target == self.current:
            return
        if not 0 <= target < len(self.lines):
            return
        self.sync_current()
        removed = self._finish_edit()
        if removed is not None:
            return  # the rows moved; _remove put the cursor where it belongs
        self.current = target
        self._load_current()

    @on(DataTable.RowSelected, "#le-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()

    # --- the edit row -----------------------------------------------------------------

    def _load_current(self) -> None:
        """Show the current line in the edit row (without firing Changed)."""
        has_line = self.current is not None and 0 <= self.current < len(self.lines)
        line = self.lines[self.current] if has_line else EditLine(quantity="", vat_rate="")
        for field in FIELDS:
            widget = self._input(field)
            widget.disabled = not has_line
            with widget.prevent(Input.Changed):
                widget.value = getattr(line, field)
                widget.cursor_position = len(widget.value)
        self._input("recargo_rate").placeholder = number_text(self._implied_recargo(line))
        self._hide_suggestions()
        self._mark_invalid()
        self._show_message()

    def _mark_invalid(self) -> None:
        if self.current is None or self.current >= len(self.lines):
            return
        line = self.lines[self.current]
        bad = set(line.invalid_fields()) | set(self._errors.get(self.current, {}))
        for field in FIELDS:
            self._input(field).set_class(field in bad, "-bad")

    def _show_message(self) -> None:
        message = self.query_one("#le-message", Static)
        if self._general_error:
            message.update(Content(self._general_error))
            message.add_class("-error")
            return
        if not self.lines:
            message.update(Content(_("No lines yet: n adds one.")))
            message.remove_class("-error")
            return
        errors = self._errors.get(self.current or 0, {})
        if errors:
            parts = [
                f"{_(FIELD_LABELS.get(field, field))}: {reason}" for field, reason in errors.items()
            ]
            text = _("Line {n}: {problems}").format(
                n=(self.current or 0) + 1, problems="; ".join(parts)
            )
            message.update(Content(text))
            message.add_class("-error")
            return
        others = sorted(self._errors)
        message.remove_class("-error")
        if others:
            message.update(
                Content(
                    _("Lines with problems: {lines}").format(
                        lines=", ".join(str(i + 1) for i in others)
                    )
                )
            )
            message.add_class("-error")
        else:
            message.update("")

    @on(Input.Changed, "#le-edit CellInput")
    def _cell_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.current is None or self.current >= len(self.lines):
            return
        widget = event.input
        assert isinstance(widget, CellInput)
        line = self.lines[self.current]
        if self._editing != self.current:
            self._begin_edit()
        setattr(line, widget.field, widget.value)
        if widget.field == "description":
            if not widget.value.strip():
                line.product_id = None
                line.product_code = ""
            self._lookup(widget.value)
        if widget.field == "vat_rate":
            self._input("recargo_rate").placeholder = number_text(self._implied_recargo(line))
        errors = self._errors.get(self.current)
        if errors and widget.field in errors:
            del errors[widget.field]
            if not errors:
                del self._errors[self.current]
        self._refresh_row(self.current)
        self._mark_invalid()
        self._show_message()
        self._update_totals()
        self.post_message(self.Changed(self))

    @on(Input.Submitted, "#le-edit CellInput")
    def _cell_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter is handled as it is read (CellInput.apply_key -> submit)

    def sync_current(self) -> None:
        """Take what the edit row's fields hold now into the current line.

        Typing reaches the line through Input.Changed, handled a moment later; keys typed
        fast (enter, tab to another line, n) can act before that: they sync first."""
        if self.current is None or self.current >= len(self.lines):
            return
        line = self.lines[self.current]
        changed = False
        for field in FIELDS:
            value = self._input(field).value
            if getattr(line, field) != value:
                if self._editing != self.current:
                    self._begin_edit()
                setattr(line, field, value)
                changed = True
        if not changed:
            return
        if not line.description.strip():
            line.product_id = None
            line.product_code = ""
        self._refresh_row(self.current)
        self._update_totals()
        self.post_message(self.Changed(self))

    def submit(self, widget: CellInput) -> None:
        """Enter in the edit row: take the highlighted product, else back to the table."""
        self.sync_current()
        options = self.query_one("#le-suggestions", OptionList)
        if (
            widget.field == "description"
            and self._suggestions_shown()
            and options.highlighted is not None
        ):
            self._pick(options.highlighted)
            return
        self._finish_edit()
        self._focus(self.table)

    def _begin_edit(self) -> None:
        if self.current is not None and self.current < len(self.lines):
            self._editing = self.current
            self._before_edit = replace(self.lines[self.current])

    def _finish_edit(self) -> int | None:
        """Leave the line being edited; a new line left blank goes away (its index returned)."""
        index = self._editing
        self._editing = None
        self._before_edit = None
        self._hide_suggestions()
        if index is not None and index < len(self.lines) and self.lines[index].is_blank():
            self._remove(index)
            return index
        return None

    def cancel_edit(self) -> None:
        """Escape in the edit row: suggestions close first; then the line is put back."""
        if self._suggestions_shown():
            self._hide_suggestions()
            return
        index = self._editing
        if index is not None and self._before_edit is not None and index < len(self.lines):
            self.lines[index] = self._before_edit
            self._refresh_row(index)
            self.post_message(self.Changed(self))
        self._finish_edit()
        self._load_current()
        self._update_totals()
        self._focus(self.table)

    def step_key(self, field: str, step: int) -> None:
        """Up/down in the edit row: through the suggestions, else to the line above/below."""
        if field == "description" and self._suggestions_shown():
            options = self.query_one("#le-suggestions", OptionList)
            count = len(self._suggestions)
            current = options.highlighted
            if current is None:
                options.highlighted = 0 if step > 0 else count - 1
            else:
                options.highlighted = max(0, min(count - 1, current + step))
            return
        self._go_line(step, field)

    def tab_key(self, field: str, step: int) -> None:
        """Tab across the fields of the line, then on to the next line (or out)."""
        position = FIELDS.index(field) + step
        if 0 <= position < len(FIELDS):
            self._focus(self._input(FIELDS[position]))
            return
        if self.current is None:
            return
        target = self.current + step
        if 0 <= target < len(self.lines):
            self._go_line(step, FIELDS[0] if step > 0 else FIELDS[-1])
            return
        self._finish_edit()
        if step > 0:
            self.screen.focus_next()
        else:
            self._focus(self.table)

    def _go_line(self, step: int, field: str) -> None:
        if self.current is None:
            return
        self.sync_current()
        target = self.current + step
        if not 0 <= target < len(self.lines):
            return
        self._finish_edit()
        if self.current is not None and self.current >= len(self.lines):
            self.current = len(self.lines) - 1
        target = max(0, min(len(self.lines) - 1, target))
        self.current = target
        self.table.move_cursor(row=target, animate=False)
        self._load_current()
        self._focus(self._input(field))

    # --- commands ---------------------------------------------------------------------

    def add_line(self) -> None:
        """Append a line and put the cursor in its description."""
        if self.screen.focused in self.query(CellInput).nodes:
            self.sync_current()
        self._finish_edit()
        default_vat = Decimal(0) if self.tax.exemption_reason else self.tax.default_vat
        self.lines.append(EditLine(vat_rate=number_text(default_vat)))
        self.current = len(self.lines) - 1
        self._rebuild()
        self._load_current()
        self._begin_edit()
        self._focus(self._input("description"))
        self._update_totals()
        self.post_message(self.Changed(self))

    def edit_current(self) -> None:
        if self.current is None or not self.lines:
            self.add_line()
            return
        self._load_current()
        self._focus(self._input("description"))

    def delete_current(self) -> None:
        """Delete the highlighted line after a confirmation naming it."""
        if self.current is None or not self.lines:
            return
        index = self.current
        description = sanitize(self.lines[index].description.split("\n", 1)[0])[:60]
        question = _("Delete line {n} ({description})?").format(
            n=index + 1, description=description or _("empty")
        )

        def answer(ok: bool | None) -> None:
            if ok and index < len(self.lines):
                self._remove(index)
                self.post_message(self.Changed(self))

        self.crm.ask(question, answer, yes=_("Delete"))

    def _remove(self, index: int) -> None:
        del self.lines[index]
        self._errors = {
            (i if i < index else i - 1): e for i, e in self._errors.items() if i != index
        }
        if not self.lines:
            self.current = None
        else:
            self.current = min(index, len(self.lines) - 1)
        self._rebuild()
        self._load_current()
        self._update_totals()

    def move_current(self, step: int) -> None:
        """Move the highlighted line up or down."""
        if self.current is None:
            return
        index, target = self.current, self.current + step
        if not 0 <= target < len(self.lines):
            return
        self.lines[index], self.lines[target] = self.lines[target], self.lines[index]
        errors_index, errors_target = self._errors.pop(index, None), self._errors.pop(target, None)
        if errors_index:
            self._errors[target] = errors_index
        if errors_target:
            self._errors[index] = errors_target
        self.current = target
        self._rebuild()
        self._load_current()
        self.post_message(self.Changed(self))

    def set_tax(self, tax: TaxContext) -> None:
        """The header changed IRPF, recargo or the exemption: new placeholders and totals."""
        if tax == self.tax:
            return
        self.tax = tax
        if self.is_mounted:
            self._rebuild()
            self._load_current()
            self._update_totals()

    def refresh_totals(self) -> None:
        """Recompute the totals (something outside the lines changed, e.g. shipping)."""
        if self.is_mounted:
            self._update_totals()

    def set_lines(self, lines: Sequence[EditLine], fixed: Sequence[Any] | None = None) -> None:
        self.lines = [replace(line) for line in lines]
        if fixed is not None:
            self.fixed = list(fixed)
        self._errors.clear()
        self._general_error = ""
        self.current = 0 if self.lines else None
        self._editing = None
        self._rebuild()
        self._load_current()
        self._update_totals()

    # --- products ---------------------------------------------------------------------

    def _suggestions_shown(self) -> bool:
        return self.query_one("#le-suggestions").has_class("-shown")

    def _hide_suggestions(self) -> None:
        self._lookup_generation += 1
        self._suggestions = []
        self.query_one("#le-suggestions").remove_class("-shown")

    def _lookup(self, text: str) -> None:
        self._lookup_generation += 1
        if not text.strip() or "\n" in text:
            self._hide_suggestions()
            return
        self._run_lookup(text, self._lookup_generation)

    def _run_lookup(self, text: str, generation: int) -> None:
        from ...services import catalog

        self.run_service(
            lambda: catalog.lookup(text, 8),
            lambda found: self._show_suggestions(generation, text, found),
            refused=lambda _exc: True,  # completion is a convenience: a busy database, none
            group="product-lookup",
            exclusive=True,
        )

    def _show_suggestions(self, generation: int, text: str, found: list[Any]) -> None:
        if generation != self._lookup_generation or self.current is None:
            return
        line = self.lines[self.current] if self.current < len(self.lines) else None
        if line is None or line.description != text:
            return
        options = self.query_one("#le-suggestions", OptionList)
        # Nothing to offer, or the product already chosen is all there is.
        if not found or (
            len(found) == 1 and line.product_id == found[0].id and text == found[0].name
        ):
            self._hide_suggestions()
            return
        self._suggestions = found
        options.clear_options()
        options.add_options(
            Option(
                Content(
                    sanitize(
                        f"{p.code}  {p.name}  ·  {money(p.data.unit_price)}  ·  "
                        + _("IVA {rate} %").format(rate=number_text(p.data.vat_rate))
                    )
                )
            )
            for p in found
        )
        exact = [i for i, p in enumerate(found) if p.code == text.strip().upper()]
        options.highlighted = exact[0] if exact else None
        options.add_class("-shown")

    def _pick(self, index: int) -> None:
        if not 0 <= index < len(self._suggestions) or self.current is None:
            return
        product = self._suggestions[index]
        line_index = self.current
        quantity = self.lines[line_index].value("quantity") or Decimal(1)
        self._hide_suggestions()
        self._fill_from_product(product.id, product.code, quantity, line_index)

    def _fill_from_product(
        self, product_id: int, code: str, quantity: Decimal, line_index: int
    ) -> None:
        from ...services import catalog

        self.run_service(
            lambda: catalog.line_from_product(product_id, quantity),
            lambda line: self._filled(line, code, line_index),
            group="product-fill",
        )

    def _filled(self, product_line: Any, code: str, index: int) -> None:
        if index >= len(self.lines):
            return
        line = self.lines[index]
        if self._editing != index:
            self._editing = index
            self._before_edit = replace(line)
        line.description = product_line.description
        line.quantity = number_text(product_line.quantity)
        line.unit_price = number_text(product_line.unit_price, 2)
        vat = Decimal(0) if self.tax.exemption_reason else product_line.vat_rate
        line.vat_rate = number_text(vat)
        line.unit_cost = Decimal(product_line.unit_cost)
        line.product_id = product_line.product_id
        line.product_code = code
        self._errors.pop(index, None)
        self._refresh_row(index)
        if self.current == index:
            self._load_current()
            self._focus(self._input("quantity"))
        self._update_totals()
        self.post_message(self.Changed(self))

    # --- totals and errors ------------------------------------------------------------

    def parsed_lines(self) -> list[Any]:
        """The lines whose numbers can be read, with the fixed lines first (for totals)."""
        fixed = [line.as_input() for line in self.fixed]
        return fixed + [p for p in (line.parsed() for line in self.lines) if p is not None]

    def totals(self) -> Totals:
        if self._totals_fn is not None:
            return self._totals_fn(self.parsed_lines(), self.tax)
        from ...services.lines import preview_totals

        return preview_totals(self.parsed_lines(), self.tax.irpf_rate, self.tax.recargo)

    def _update_totals(self) -> None:
        totals = self.totals()
        self.last_totals = totals
        self.query_one("#le-totals", Static).update(
            Content(totals_text(totals, self.tax.irpf_rate))
        )

    def inputs_for_save(self) -> tuple[list[Any], list[int]]:
        """The lines to send (blank ones left out) and, for each, its row in the editor."""
        self.sync_current()
        inputs, rows = [], []
        for index, line in enumerate(self.lines):
            if line.is_blank():
                continue
            inputs.append(line.to_input())
            rows.append(index)
        return inputs, rows

    def show_errors(self, errors: dict[str, str], rows: Sequence[int]) -> bool:
        """Put the service's line errors ("lines[N].field") on their lines; True if any."""
        self._errors.clear()
        self._general_error = ""
        found = False
        for key, reason in errors.items():
            if key == "lines":
                self._general_error = reason
                found = True
                continue
            match = _LINE_ERROR.fullmatch(key)
            if not match:
                continue
            position = int(match.group(1)) - 1
            if 0 <= position < len(rows):
                self._errors.setdefault(rows[position], {})[match.group(2)] = reason
                found = True
        self._rebuild()
        if self._errors:
            first = min(self._errors)
            self.current = first
            self.table.move_cursor(row=first, animate=False)
        self._load_current()
        return found

    def clear_errors(self) -> None:
        if self._errors or self._general_error:
            self._errors.clear()
            self._general_error = ""
            self._rebuild()
            self._load_current()

    def snapshot(self) -> tuple:
        """What the lines are now (to tell whether anything changed since the last save)."""
        return tuple(astuple(line) for line in self.lines if not line.is_blank())
