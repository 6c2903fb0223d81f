"""What the sales screens (invoices, quotes, orders, payments, receivables) share.

Labels of statuses and payment methods, a worker that runs one service call and
reports a refusal, a message dialog for refusals that must be read (issuing),
and one-field prompts (a date, a reason, a file path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Static

from ...i18n import N_, NC_, _
from ..service_calls import ServiceCalls
from ..widgets.form import FieldSpec, FormScreen

INVOICE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "issued": N_("Issued"),
    "partially_paid": N_("Partially paid"),
    "paid": NC_("invoice status", "Paid"),
    "voided": N_("Voided"),
}
QUOTE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "expired": N_("Expired"),
}
ORDER_STATUS_LABELS = {
    "open": N_("Open"),
    "partially_invoiced": N_("Partly invoiced"),
    "invoiced": N_("Invoiced"),
    "cancelled": N_("Cancelled"),
}
METHOD_LABELS = {
    "transfer": N_("bank transfer"),
    "card": N_("card"),
    "cash": N_("cash"),
    "direct_debit": N_("direct debit"),
    "cheque": N_("cheque"),
    "other": N_("other"),
    "compensation": N_("compensation"),
}
SHIPPING_LABELS = {
    "included": N_("included"),
    "not_included": N_("not included"),
    "amount": N_("charged"),
}
MODE_LABELS = {
    "difference": N_("by difference (correct what changed)"),
    "replacement": N_("by replacement (cancel and restate)"),
}


def label(labels: dict[str, str], value: str) -> str:
    """The translated label of a status or method (the raw value if unknown)."""
    return _(labels[value]) if value in labels else value


def document_top(
    view_id: str, title: str, status: str, facts: Sequence[str], totals: str
) -> ComposeResult:
    """The top of a document's view (invoice, quote, order): its title and status, its
    facts, the table of its lines (`#<view_id>-lines`, filled on mount) and its totals."""
    yield Header()
    with Horizontal(id="doc-head"):
        yield Static(Content(title), id="doc-title")
        yield Static(Content(status), id="doc-subtitle")
    yield Static(Content("\n".join(facts)), id=f"{view_id}-facts")
    yield DataTable(cursor_type="row", zebra_stripes=True, id=f"{view_id}-lines")
    yield Static(Content(totals), id=f"{view_id}-totals")


class ClientFilterToggle(ServiceCalls):
    """Mixin for list screens with `flt.client_id`, `client_name` and `_apply(**changes)`:
    `c` chooses a client to filter by; with one chosen, `c` shows every client again.
    The screen names its question in `CLIENT_PROMPT` (N_-marked)."""

    CLIENT_PROMPT = N_("Of which client?")

    def action_filter_client(self) -> None:
        from .client_picker import ClientPicker

        if self.flt.client_id is not None:  # type: ignore[attr-defined]
            self.client_name = ""
            self._apply(client_id=None)  # type: ignore[attr-defined]
            return

        def chosen(client_id: int | None) -> None:
            if client_id is not None:
                self.filter_client(client_id)

        self.app.push_screen(ClientPicker(_(self.CLIENT_PROMPT)), chosen)

    def filter_client(self, client_id: int) -> None:
        from ...services import clients

        def named(name: str) -> None:
            self.client_name = name
            self._apply(client_id=client_id)  # type: ignore[attr-defined]

        self.call_service(lambda: clients.get_client(client_id).data.legal_name, named)


class RefreshOnReturn(DOMNode):
    """Mixin for screens: re-read (`returned()`) when coming back from another screen,
    an editor, a view or another mode; not after a dialog, whose own callback refreshes
    what it changed (a board over a million invoices is not re-read for nothing)."""

    _left_for_screen = False

    def on_screen_suspend(self) -> None:
        self._left_for_screen = not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        if self._left_for_screen:
            self._left_for_screen = False
            self.returned()

    def returned(self) -> None:
        """Re-read what another screen may have changed."""


class MessageDialog(ModalScreen[None]):
    """A message that must be read (why an invoice cannot be issued); enter or escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "close", _("Close"), id="close"),
    ]

    def __init__(self, title: str, message: str, *, severity: str = "error"):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.severity = severity

    def compose(self) -> ComposeResult:
        with Vertical(classes=f"dialog message-dialog -{self.severity}"):
            yield Static(Content(self.title_text), classes="form-title")
            yield Static(Content(self.message), classes="dialog-text", id="message-text")
            yield Static(Content(_("enter or escape close")), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


class PromptForm(FormScreen[Any]):
    """A short form of a few fields whose `save` is a callable run in the worker.

    `submit(values)` validates and does the work (raising ValidationError with the
    field keys); its result dismisses the form.
    """

    def __init__(
        self,
        title: str,
        specs: Sequence[FieldSpec],
        submit: Callable[[dict[str, Any]], Any],
        initial: dict[str, Any] | None = None,
        *,
        hint: str = "",
    ):
        super().__init__(initial, title=title)
        self._specs = list(specs)
        self._submit = submit
        self.hint = hint

    def fields(self) -> Sequence[FieldSpec]:
        return self._specs

    def on_mount(self) -> None:
        super().on_mount()
        if self.hint:
            keys = self.query_one(".form-keys", Static)
            keys_text = _("ctrl+s save · escape close · tab next field")
            keys.update(Content(self.hint + "\n" + keys_text))

    def save(self, values: dict[str, Any]) -> Any:
        return self._submit(values)


def parse_day(value: object, key: str, *, required: bool = False) -> dt.date | None:
    """A date typed in a form (YYYY-MM-DD or DD/MM/YYYY); ValidationError names `key`."""
    from ...services.errors import ValidationError
    from ...services.records import parse_date

    errors: dict[str, str] = {}
    day = parse_date(value, errors, key)
    if day is None and required and not errors:
        errors[key] = _("is required")
    if errors:
        raise ValidationError(errors)
    return day


def parse_money_field(value: object, key: str, *, allow_negative: bool = False) -> Decimal:
    """An amount typed in a form ("1.234,50" or "1234.50"); ValidationError names `key`."""
    from ...money import MoneyError, parse_amount
    from ...services.errors import ValidationError

    text = str(value or "").strip()
    if not text:
        raise ValidationError({key: _("is required")})
    try:
        amount = parse_amount(text)
    except MoneyError:
        raise ValidationError({key: _("is not an amount (e.g. 1234.50)")}) from None
    if amount < 0 and not allow_negative:
        raise ValidationError({key: _("must not be negative")})
    return amount
