"""Invoicing part of an order: how much of each line to invoice now (`p` on an order)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen
from ..safe_text import one_line
from ..widgets.line_editor import number_text, parse_quantity


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
                error_label = matches.first(Label)
                error_label.update(Content(reason))
                error_label.add_class("-shown")
        self.notify(_("Please correct the highlighted fields."), severity="warning")

    def _conflict(self, exc: Any) -> None:  # orders have no editable version here
        self.notify(str(exc), severity="error")
