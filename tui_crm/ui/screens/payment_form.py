"""The payment form (from an invoice, the receivables board or the palette) and reversals.

A payment has a date, an amount, a method and a reference, and settles one or several
open invoices of one client: each open invoice has its own amount field, prefilled with
what it still owes when the form is opened from it. Left all empty, the payment settles
the oldest invoices first (the service's rule). An overpayment is refused by the
service, and its reason stays in the form.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen, field_editor, field_id
from ..formatting import date as show_date
from ..formatting import money
from ..labels import METHOD_LABELS, PAYABLE_METHODS
from ..safe_text import one_line
from ..widgets.line_editor import number_text

_ALLOCATION_KEY = re.compile(r"allocations\[(\d+)\](\.amount)?")


@dataclass(frozen=True)
class PaymentFormData:
    client_id: int
    client_name: str
    open_invoices: Sequence[Any]  # payments.OpenInvoice, oldest due first
    invoice_id: int | None  # the invoice the form was opened from
    today: dt.date
    method: str = "transfer"  # the client's usual payment method


def load_payment_form(client_id: int, invoice_id: int | None = None) -> PaymentFormData:
    """What the form shows: the client's open invoices (in a worker)."""
    from ...services import clients, payments

    client = clients.get_client(client_id)
    return PaymentFormData(
        client_id=client_id,
        client_name=client.data.legal_name,
        open_invoices=payments.open_invoices(client_id),
        invoice_id=invoice_id,
        today=dt.date.today(),
        method=client.data.payment_method
        if client.data.payment_method in PAYABLE_METHODS
        else "transfer",
    )


def allocation_id(index: int) -> str:
    return f"alloc-{index}"


class PaymentForm(FormScreen[int]):
    """Register a payment; dismisses with the payment's id."""

    def __init__(self, data: PaymentFormData):
        self.data = data
        chosen = [i for i in data.open_invoices if i.id == data.invoice_id]
        amount = number_text(chosen[0].outstanding, 2) if chosen else ""
        super().__init__(
            {
                "date": data.today.isoformat(),
                "amount": amount,
                "method": data.method,
                "reference": "",
                "notes": "",
            },
            title=_("Payment from {client}").format(client=one_line(data.client_name)),
        )
        self.prefill = {i.id: number_text(i.outstanding, 2) for i in chosen}
        self._amount_typed = False
        self._sent: list[int] = []  # the open-invoice row of each allocation sent

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("date", _("Date"), "date", required=True),
            FieldSpec("amount", _("Amount"), "money", required=True),
            FieldSpec(
                "method",
                _("Method"),
                "select",
                choices=[(_(METHOD_LABELS[m]), m) for m in PAYABLE_METHODS],
            ),
            FieldSpec("reference", _("Reference"), max_length=100),
            FieldSpec("notes", _("Notes")),
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form payment-form"):
            yield Static(Content(self.title_text), classes="form-title")
            with VerticalScroll(classes="form-fields"):
                for spec in self.fields():
                    with Horizontal(classes=f"form-row form-row-{spec.kind}"):
                        marker = " *" if spec.required else ""
                        yield Label(Content(spec.label + marker), classes="form-label")
                        yield field_editor(spec, self.initial.get(spec.key))
                    yield Label("", classes="form-error", id=field_id(spec.key) + "-error")
                yield Static(
                    Content(
                        _("Settles (amount per invoice; all empty = the oldest invoices first):")
                    ),
                    classes="payment-allocations-title",
                )
                for index, invoice in enumerate(self.data.open_invoices):
                    due = show_date(invoice.due_date) if invoice.due_date else "—"
                    text = _("{code} · due {due} · owes {amount}").format(
                        code=invoice.code, due=due, amount=money(invoice.outstanding)
                    )
                    with Horizontal(classes="form-row payment-allocation"):
                        yield Label(Content(text), classes="payment-allocation-label")
                        yield Input(
                            self.prefill.get(invoice.id, ""),
                            restrict=r"[-0-9.,' €]*",
                            compact=True,
                            id=allocation_id(index),
                            classes="payment-allocation-amount",
                        )
                    yield Label("", classes="form-error", id=allocation_id(index) + "-error")
                yield Label("", classes="form-error", id="field-allocations-error")
            yield Static(
                Content(_("ctrl+s save · escape close · tab next field")), classes="form-keys"
            )

    def on_mount(self) -> None:
        if self.prefill:
            self.query_one(f"#{field_id('reference')}").focus()
        else:
            self.query_one(f"#{field_id('amount')}").focus()

    @on(Input.Changed, "#field-amount")
    def _amount_changed(self, event: Input.Changed) -> None:
        if self.query_one(f"#{field_id('amount')}").has_focus:
            self._amount_typed = True

    @on(Input.Changed, ".payment-allocation-amount")
    def _allocation_changed(self) -> None:
        """Until the amount is typed by hand, it is the sum of the invoices' amounts."""
        if self._amount_typed:
            return
        from ...money import MoneyError, parse_amount

        total = Decimal(0)
        for widget in self.query(".payment-allocation-amount").results(Input):
            if widget.value.strip():
                try:
                    total += parse_amount(widget.value)
                except MoneyError:
                    return
        amount = self.query_one(f"#{field_id('amount')}", Input)
        with amount.prevent(Input.Changed):
            amount.value = number_text(total, 2) if total else ""

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["allocations"] = [
            widget.value for widget in self.query(".payment-allocation-amount").results(Input)
        ]
        return values

    def is_dirty(self) -> bool:
        if self._saving:
            return False
        values = self.values()
        allocations = values.pop("allocations")
        prefilled = [self.prefill.get(i.id, "") for i in self.data.open_invoices]
        typed = any(str(values[k]) != str(self.initial.get(k, "")) for k in values)
        return typed or allocations != prefilled

    def save(self, values: dict[str, Any]) -> int:
        from ...services import payments
        from ...services.errors import RuleViolation, ValidationError
        from ...services.records import read_amount, read_date

        errors: dict[str, str] = {}
        try:
            day = read_date(values["date"], "date", required=True)
        except ValidationError as exc:
            errors.update(exc.errors)
            day = None
        try:
            amount = read_amount(values["amount"], "amount", allow_negative=True)
        except ValidationError as exc:
            errors.update(exc.errors)
            amount = Decimal(0)
        allocations: list[tuple[int, Decimal]] = []
        sent: list[int] = []
        for index, text in enumerate(values["allocations"]):
            if not str(text).strip():
                continue
            try:
                share = read_amount(text, allocation_id(index), allow_negative=True)
            except ValidationError as exc:
                errors.update(exc.errors)
                continue
            allocations.append((self.data.open_invoices[index].id, share))
            sent.append(index)
        self._sent = sent
        if errors:
            raise ValidationError(errors)
        assert day is not None
        try:
            return payments.register_payment(
                self.data.client_id,
                day,
                amount,
                method=values["method"],
                reference=values["reference"],
                allocations=allocations or None,
                notes=values["notes"],
            )
        except RuleViolation as exc:  # overpayment, an invoice paid meanwhile: keep it here
            raise ValidationError({"allocations": str(exc)}) from None

    def show_errors(self, errors: dict[str, str]) -> None:
        """Allocation reasons go beside their invoice; the rest as in every form."""
        placed: dict[str, str] = {}
        for key, reason in errors.items():
            match = _ALLOCATION_KEY.fullmatch(key)
            if match:
                position = int(match.group(1)) - 1
                row = self._sent[position] if 0 <= position < len(self._sent) else None
                placed["allocations" if row is None else allocation_id(row)] = reason
            else:
                placed[key] = reason
        self.clear_errors()
        first = None
        for key, reason in placed.items():
            target = key if key.startswith("alloc-") else field_id(key)
            matches = self.query(f"#{target}-error")
            if not matches:
                continue
            label = matches.first(Label)
            label.update(Content(reason))
            label.add_class("-shown")
            if first is None and self.query(f"#{target}"):
                first = target
        if first is not None:
            self.query_one(f"#{first}").focus()
        self.notify(
            _("The payment was not registered: see the reasons in the form."), severity="warning"
        )


def reverse_payment_form(payment: Any) -> FormScreen[Any]:
    """Ask for the reason, then reverse the payment (the invoices owe again)."""
    from ..dialogs.prompt import PromptForm

    def submit(values: dict[str, Any]) -> int:
        from ...services import payments

        payments.reverse_payment(payment.payment_id, values["reason"])
        return payment.payment_id

    return PromptForm(
        _("Reverse the payment of {amount} on {date}").format(
            amount=money(payment.amount), date=show_date(payment.date)
        ),
        [FieldSpec("reason", _("Reason"), required=True, max_length=200)],
        submit,
        hint=_("The invoices it settled will owe the amount again; this is recorded."),
    )
