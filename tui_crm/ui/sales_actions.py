"""The App's sales actions (a mixin of `CrmApp`): open or create an invoice, a quote or an
order, register a payment, from any screen, the palette or the client file.

Each action reads what the next screen needs in a worker, then pushes it with plain
data; refusals come back in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from ..i18n import _
from .base import CrmNode


class SalesActions(CrmNode, App[None]):
    """open_invoice / open_quote / open_order, new_invoice / new_quote, register_payment."""

    # --- choosing a client first ----------------------------------------------------------

    def pick_client(self, title: str, then: Callable[[int], None]) -> None:
        from .dialogs.client_picker import ClientPicker

        def chosen(client_id: int | None) -> None:
            if client_id is not None:
                then(client_id)

        self.push_screen(ClientPicker(title), chosen)

    def new_sales_document(self, client_id: int) -> None:
        """`n` on a client's Sales tab: a new invoice or a new quote for that client."""
        from .dialogs.choice import ChoicePrompt

        def chosen(kind: str | None) -> None:
            if kind == "invoice":
                self.new_invoice(client_id)
            elif kind == "quote":
                self.new_quote(client_id)

        self.push_screen(
            ChoicePrompt(
                _("New for this client"),
                [(_("Invoice"), "invoice"), (_("Quote"), "quote")],
            ),
            chosen,
        )

    # --- invoices ---------------------------------------------------------------------------

    def open_sales_record(self, key: str) -> None:
        """Open a row of a client's Sales tab: "invoice:12", "quote:3", "order:7"."""
        kind, _sep, number = str(key).partition(":")
        record_id = int(number)
        if kind == "invoice":
            self.open_invoice(record_id)
        elif kind == "quote":
            self.open_quote(record_id)
        elif kind == "order":
            self.open_order(record_id)

    def open_invoice(self, invoice_id: int) -> None:
        """A draft opens in the editor, an issued invoice in its view."""
        from .screens.invoice_editor import load_draft

        def read() -> tuple[str, Any]:
            from ..services import invoices

            detail = invoices.get_invoice(invoice_id)
            if detail.status == "draft":
                return "draft", load_draft(invoice_id)
            return "issued", detail

        self.run_service(read, self._show_invoice)

    def _show_invoice(self, found: tuple[str, Any]) -> None:
        from .screens.invoice_editor import InvoiceEditor
        from .screens.invoice_view import InvoiceView

        kind, data = found
        if kind == "draft":
            self.push_screen(InvoiceEditor(data))
        else:
            self.push_screen(InvoiceView(data))

    def new_invoice(self, client_id: int | None = None) -> None:
        """The invoice editor for a new invoice (the client is asked for when not given)."""
        if client_id is None:
            self.pick_client(_("New invoice for which client?"), self.new_invoice)
            return
        from .screens.document_editor import new_document
        from .screens.invoice_editor import InvoiceEditor

        self.run_service(
            lambda: new_document(client_id),
            lambda data: self.push_screen(InvoiceEditor(data)),
        )

    # --- quotes and orders ----------------------------------------------------------------

    def open_quote(self, quote_id: int) -> None:
        from .screens.quote_view import QuoteView, load_quote

        self.run_service(
            lambda: load_quote(quote_id), lambda data: self.push_screen(QuoteView(data))
        )

    def new_quote(self, client_id: int | None = None) -> None:
        """The quote editor for a new quote (the client is asked for when not given)."""
        if client_id is None:
            self.pick_client(_("New quote for which client?"), self.new_quote)
            return
        from .screens.document_editor import new_document
        from .screens.quote_editor import QuoteEditor

        def closed(quote_id: int | None) -> None:
            if quote_id is not None:  # saved: its view has the next steps (sent, accept…)
                self.open_quote(quote_id)

        self.run_service(
            lambda: new_document(client_id),
            lambda data: self.push_screen(QuoteEditor(data), closed),
        )

    def open_order(self, order_id: int) -> None:
        from ..services import orders
        from .screens.order_view import OrderView

        self.run_service(
            lambda: orders.get_order(order_id),
            lambda detail: self.push_screen(OrderView(detail)),
        )

    # --- payments ---------------------------------------------------------------------------

    def register_payment(
        self,
        client_id: int | None = None,
        invoice_id: int | None = None,
        done: Callable[[int], None] | None = None,
    ) -> None:
        """The payment form for a client's open invoices (`invoice_id` prefilled)."""
        if client_id is None:
            self.pick_client(
                _("Payment from which client?"),
                lambda cid: self.register_payment(cid, invoice_id, done),
            )
            return
        from .screens.payment_form import PaymentForm, load_payment_form

        def opened(data: Any) -> None:
            if not data.open_invoices:
                self.notify(
                    _("{client} owes nothing: no invoice is waiting for a payment.").format(
                        client=data.client_name
                    ),
                    severity="warning",
                )
                return

            def saved(payment_id: int | None) -> None:
                if payment_id is not None:
                    self.notify(_("Payment registered."))
                    if done is not None:
                        done(payment_id)

            self.push_screen(PaymentForm(data), saved)

        self.run_service(lambda: load_payment_form(client_id, invoice_id), opened)

    # --- lists ------------------------------------------------------------------------------

    def show_quotes(self) -> None:
        from .screens.quote_list import QuotesScreen

        self.push_screen(QuotesScreen())

    def show_expenses(self) -> None:
        from .screens.expenses import ExpensesScreen

        self.push_screen(ExpensesScreen())

    def show_catalog(self) -> None:
        from .screens.catalog import CatalogScreen

        self.push_screen(CatalogScreen())

    def show_recurring(self, client_id: int | None = None, client_name: str = "") -> None:
        """Recurring invoice templates: every client's, or one client's (its Sales tab)."""
        from .screens.recurring_list import RecurringScreen

        self.push_screen(RecurringScreen(client_id, client_name))

    def show_orders(self) -> None:
        from .screens.order_list import OrdersScreen

        self.push_screen(OrdersScreen())
