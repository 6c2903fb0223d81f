"""One order's view: per line what was ordered, invoiced, waiting in draft invoices and
still open, and the open value of the whole order.

An order comes from an accepted quote and is invoiced at once or in parts. Keys: `i`
writes a draft invoice for everything still open, `p` invoices a part (choose the
quantity of each line), `g` goes to the quote, `c` to the client, `delete` cancels an
order nothing of which is invoiced yet.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ...i18n import _
from ..dialogs.form import FieldSpec
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import money
from ..labels import ORDER_STATUS_LABELS, label
from ..safe_text import one_line
from ..widgets.document_lines import order_lines_table
from .document_view import DocumentView


class OrderView(DocumentView):
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

    VIEW_ID = "ov"

    def read(self) -> Any:
        from ...services import orders

        return orders.get_order(self.detail.id)

    def fill_lines(self, table: DataTable) -> None:
        order_lines_table(table, self.detail.lines)

    def title_text(self) -> str:
        return _("Order {code}").format(code=self.detail.code)

    def status_text(self) -> str:
        d = self.detail
        return " · ".join(p for p in (label(ORDER_STATUS_LABELS, d.status), one_line(d.title)) if p)

    def facts(self) -> list[str]:
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

    def totals_text(self) -> str:
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

    def action_invoice_all(self) -> None:
        from ...services import orders

        order_id = self.detail.id
        self.run_service(
            lambda: orders.invoice_order(order_id),
            self.crm.open_invoice,
            done=_("Draft invoice written for everything still open."),
            refusal_title=_("Cannot invoice"),
        )

    def action_invoice_part(self) -> None:
        def written(invoice_id: int | None) -> None:
            if invoice_id is not None:
                self.notify(_("Draft invoice written for the part chosen."))
                self.crm.open_invoice(invoice_id)

        from .invoice_part_form import InvoicePartForm

        self.app.push_screen(InvoicePartForm(self.detail), written)

    def action_quote(self) -> None:
        if self.detail.quote_id is not None:
            self.crm.open_quote(self.detail.quote_id)

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
