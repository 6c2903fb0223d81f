"""Orders: the list (palette "Orders") and one order's view.

An order comes from an accepted quote and is invoiced at once or in parts. Its view
shows, per line, what was ordered, invoiced, waiting in draft invoices and still
open, and the open value of the whole order. Keys: `i` writes a draft invoice for
everything still open, `p` invoices a part (choose the quantity of each line), `g`
goes to the quote, `c` to the client, `delete` cancels an order nothing of which is
invoiced yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from ...i18n import N_, _
from ...services.orders import OrderFilter, OrderRow
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.form import FieldSpec, FormScreen
from ..widgets.lazy_table import Column, LazyTable, Row, sanitize
from ..widgets.line_editor import number_text, parse_quantity
from ..widgets.sources import PagedSource
from .list_screen import SearchableList
from .sales_support import (
    ORDER_STATUS_LABELS,
    PromptForm,
    RefreshOnReturn,
    ServiceCalls,
    document_top,
    label,
)

STATUS_FILTERS = ("pending", "", "open", "partially_invoiced", "invoiced", "cancelled")
STATUS_FILTER_LABELS = {"pending": N_("still to invoice"), "": N_("every status")}


# --- the list ------------------------------------------------------------------------


def order_row(r: OrderRow) -> Row:
    return Row(
        key=r.id,
        cells=(
            r.code,
            show_date(r.date),
            r.client_name,
            r.title,
            money(r.base),
            money(r.invoiced) if r.invoiced else "",
            money(r.open_value) if r.open_value else "",
            label(ORDER_STATUS_LABELS, r.status),
        ),
        style="muted" if r.status in ("invoiced", "cancelled") else "",
    )


def order_source(flt: OrderFilter) -> PagedSource[OrderRow]:
    from ...services import orders

    return PagedSource(
        lambda: orders.count_orders(flt),
        lambda offset, limit: orders.list_orders(flt, offset, limit),
        order_row,
    )


def order_columns() -> list[Column]:
    return [
        Column("code", _("Code"), 12, min_width=11),
        Column("date", _("Date"), 10, min_width=10, priority=2),
        Column("client", _("Client"), 20, flex=True, min_width=12),
        Column("title", _("Title"), 18, flex=True, min_width=10, priority=4),
        Column("base", _("Base"), 12, align="right", min_width=10, priority=3),
        Column("invoiced", _("Invoiced"), 12, align="right", min_width=10, priority=1),
        Column("open", _("Open value"), 12, align="right", min_width=10),
        Column("status", _("Status"), 12, min_width=8),
    ]


class OrdersScreen(SearchableList, ServiceCalls, Screen[None]):
    """Orders, newest first; by default those with something still to invoice."""

    LIST_ID = "order"
    STATUS_FILTERS = STATUS_FILTERS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("slash", "search", _("Search"), id="search"),
        Binding("s", "cycle_status", _("Status"), id="filter_status"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: OrderFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or OrderFilter(status="pending")

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            order_columns(),
            _("/ search code, title or client…"),
            _("No orders here: an accepted quote becomes one."),
        )

    def on_mount(self) -> None:
        self.show_list(_("Orders"))

    def make_source(self) -> PagedSource[OrderRow]:
        return order_source(self.flt)

    def filter_parts(self) -> list[str]:
        status = self.flt.status
        return [
            _(STATUS_FILTER_LABELS[status])
            if status in STATUS_FILTER_LABELS
            else label(ORDER_STATUS_LABELS, status)
        ]

    @on(LazyTable.RowSelected, "#order-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.app.open_order(int(event.row_key))  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss(None)


# --- one order -----------------------------------------------------------------------


def order_lines_table(table: DataTable, lines: Sequence[Any]) -> None:
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
            Text(sanitize(line.description.split("\n", 1)[0])),
            Text(number_text(line.quantity), justify="right"),
            Text(number_text(info.quantity_invoiced), justify="right"),
            Text(
                number_text(info.quantity_in_drafts) if info.quantity_in_drafts else "",
                justify="right",
            ),
            Text(number_text(info.open_quantity), justify="right"),
            Text(money(info.open_value), justify="right"),
        )


class OrderView(RefreshOnReturn, ServiceCalls, Screen[None]):
    """One order: what is ordered, invoiced and still open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("i", "invoice_all", _("Invoice all"), id="invoice_all"),
        Binding("p", "invoice_part", _("Invoice part"), id="invoice_part"),
        Binding("g", "quote", _("Quote"), id="quote"),
        Binding("c", "client", _("Client"), id="client"),
        Binding("delete", "cancel_order", _("Cancel order"), id="cancel_order"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, detail: Any):
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield from document_top("ov", self._title(), self._status(), self._facts(), self._totals())
        yield Footer()

    def on_mount(self) -> None:
        order_lines_table(self.query_one("#ov-lines", DataTable), self.detail.lines)
        self.query_one("#ov-lines").focus()

    def _title(self) -> str:
        return _("Order {code}").format(code=self.detail.code)

    def _status(self) -> str:
        d = self.detail
        return " · ".join(p for p in (label(ORDER_STATUS_LABELS, d.status), one_line(d.title)) if p)

    def _facts(self) -> list[str]:
        d = self.detail
        facts = [
            " · ".join(
                p
                for p in (
                    _("Dated {date}").format(date=show_date(d.date)),
                    _("from quote {code}").format(code=d.quote_code) if d.quote_code else "",
                    one_line(d.client_name),
                )
                if p
            )
        ]
        if d.invoice_ids:
            facts.append(_("{n} invoices written from it").format(n=len(d.invoice_ids)))
        return facts

    def _totals(self) -> str:
        d = self.detail
        return " · ".join(
            (
                _("Base {amount}").format(amount=money(d.base)),
                _("Total {amount}").format(amount=money(d.total)),
                _("Invoiced {amount}").format(amount=money(d.invoiced)),
                _("Open value {amount}").format(amount=money(d.open_value)),
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.detail.status
        if action in ("invoice_all", "invoice_part"):
            return status in ("open", "partially_invoiced")
        if action == "cancel_order":
            return status == "open"
        if action == "quote":
            return self.detail.quote_id is not None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        from ...services import orders

        order_id = self.detail.id
        self.call_service(lambda: orders.get_order(order_id), self._reloaded)

    def _reloaded(self, detail: Any) -> None:
        self.detail = detail
        self.query_one("#doc-title", Static).update(Content(self._title()))
        self.query_one("#doc-subtitle", Static).update(Content(self._status()))
        self.query_one("#ov-facts", Static).update(Content("\n".join(self._facts())))
        self.query_one("#ov-totals", Static).update(Content(self._totals()))
        order_lines_table(self.query_one("#ov-lines", DataTable), detail.lines)
        self.refresh_bindings()

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.action_reload()

    def action_invoice_all(self) -> None:
        from ...services import orders

        order_id = self.detail.id
        self.call_service(
            lambda: orders.invoice_order(order_id),
            lambda invoice_id: self.app.open_invoice(invoice_id),  # type: ignore[attr-defined]
            done=_("Draft invoice written for everything still open."),
            refusal_title=_("Cannot invoice"),
        )

    def action_invoice_part(self) -> None:
        def written(invoice_id: int | None) -> None:
            if invoice_id is not None:
                self.notify(_("Draft invoice written for the part chosen."))
                self.app.open_invoice(invoice_id)  # type: ignore[attr-defined]

        self.app.push_screen(InvoicePartForm(self.detail), written)

    def action_quote(self) -> None:
        if self.detail.quote_id is not None:
            self.app.open_quote(self.detail.quote_id)  # type: ignore[attr-defined]

    def action_client(self) -> None:
        self.app.open_client(self.detail.client_id)  # type: ignore[attr-defined]

    def action_cancel_order(self) -> None:
        from ...services import orders

        order_id = self.detail.id

        def submit(values: dict[str, Any]) -> bool:
            orders.cancel_order(order_id, values["reason"])
            return True

        form = PromptForm(
            _("Cancel order {code}").format(code=self.detail.code),
            [FieldSpec("reason", _("Reason"), max_length=200)],
            submit,
            hint=_("Only an order nothing of which is invoiced yet can be cancelled."),
        )

        def done(result: Any) -> None:
            if result:
                self.notify(_("Order cancelled."))
                self.action_reload()

        self.app.push_screen(form, done)


class InvoicePartForm(FormScreen[int]):
    """How much of each line to invoice now (prefilled with what is still open)."""

    def __init__(self, detail: Any):
        self.detail = detail
        initial = {
            f"line_{info.line.id}": number_text(info.open_quantity)
            for info in detail.lines
            if info.open_quantity > 0
        }
        super().__init__(initial, title=_("Invoice part of {code}").format(code=detail.code))

    def fields(self) -> Sequence[FieldSpec]:
        return []

    def compose(self) -> ComposeResult:
        with Vertical(classes="form invoice-part-form"):
            yield Static(Content(self.title_text), classes="form-title")
            yield Static(
                Content(
                    _("Quantity of each line to invoice now (0 or empty leaves it for later):")
                ),
                classes="dialog-hint",
            )
            with VerticalScroll(classes="form-fields"):
                for info in self.detail.lines:
                    line = info.line
                    text = _("{description} · {open} of {ordered} open").format(
                        description=one_line(line.description.split("\n", 1)[0])[:40],
                        open=number_text(info.open_quantity),
                        ordered=number_text(line.quantity),
                    )
                    with Horizontal(classes="form-row"):
                        yield Label(Content(text), classes="part-label")
                        yield Input(
                            self.initial.get(f"line_{line.id}", ""),
                            restrict=r"[0-9.,]*",
                            compact=True,
                            disabled=info.open_quantity <= 0,
                            id=f"part-{line.id}",
                            classes="part-quantity",
                        )
                    yield Label("", classes="form-error", id=f"part-{line.id}-error")
                yield Label("", classes="form-error", id="field-quantities-error")
            yield Static(
                Content(_("ctrl+s writes the draft invoice · escape close")), classes="form-keys"
            )

    def on_mount(self) -> None:
        inputs = [w for w in self.query(".part-quantity").results(Input) if not w.disabled]
        if inputs:
            inputs[0].focus()

    def values(self) -> dict[str, Any]:
        return {
            f"line_{info.line.id}": self.query_one(f"#part-{info.line.id}", Input).value
            for info in self.detail.lines
        }

    def is_dirty(self) -> bool:
        return False

    def save(self, values: dict[str, Any]) -> int:
        from ...money import MoneyError
        from ...services import orders
        from ...services.errors import RuleViolation, ValidationError

        quantities: dict[int, Decimal] = {}
        errors: dict[str, str] = {}
        for info in self.detail.lines:
            text = str(values.get(f"line_{info.line.id}", "")).strip()
            if not text:
                continue
            try:
                quantities[info.line.id] = parse_quantity(text)
            except (MoneyError, ValueError):
                errors[f"quantities[{info.line.id}]"] = _("is not a number")
        if errors:
            raise ValidationError(errors)
        if not any(quantities.values()):
            raise ValidationError({"quantities": _("choose at least one line to invoice")})
        try:
            return orders.invoice_order(self.detail.id, quantities)
        except RuleViolation as exc:  # over-invoicing: say it here, beside the quantities
            raise ValidationError({"quantities": str(exc)}) from None

    def show_errors(self, errors: dict[str, str]) -> None:
        self.clear_errors()
        for key, reason in errors.items():
            target = "field-quantities"
            if key.startswith("quantities[") and key.endswith("]"):
                target = f"part-{key[len('quantities[') : -1]}"
            matches = self.query(f"#{target}-error")
            if matches:
                label_widget = matches.first(Label)
                label_widget.update(Content(reason))
                label_widget.add_class("-shown")
        self.notify(_("Please correct the highlighted fields."), severity="warning")

    def _conflict(self, exc: Any) -> None:  # orders have no editable version here
        self.notify(str(exc), severity="error")
