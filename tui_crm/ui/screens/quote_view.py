"""One quote's view, with its life cycle.

It shows every field, its lines and totals. Keys: `e` edits (draft or sent), `s` marks
it sent, `a` accepts it (it becomes an order, which opens), `d` declines it (rejected,
with the client's reason), `i` writes the invoice straight from it, `o` prints its PDF
(internal notes never reach it), `g` goes to its order, `c` opens the client, `delete`
deletes a draft.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from ...i18n import _, pgettext
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec
from ..dialogs.pdf import save_pdf
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import money
from ..labels import QUOTE_STATUS_LABELS, SHIPPING_LABELS, label
from ..safe_text import one_line
from ..widgets.line_editor import totals_text
from .document_view import DocumentView


def load_quote(quote_id: int) -> Any:
    """A quote for its view (in a worker; expired quotes are marked first)."""
    from ...services import quotes

    quotes.expire_quotes()
    return quotes.get_quote(quote_id)


class QuoteView(DocumentView):
    """One quote, with its status actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("s", "mark_sent", _("Sent"), id="mark_sent"),
        Binding("a", "accept", _("Accept"), id="accept"),
        Binding("d", "reject", _("Reject"), id="reject"),
        Binding("i", "invoice", pgettext("action", "Invoice"), id="invoice"),
        Binding("o", "pdf", _("PDF"), id="pdf"),
        Binding("g", "order", _("Order"), id="order"),
        Binding("c", "client", _("Client"), id="client"),
        Binding("m", "email", _("Email"), id="email"),
        Binding("delete", "delete", _("Delete"), show=False, id="delete"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    VIEW_ID = "qv"

    def read(self) -> Any:
        return load_quote(self.detail.id)

    def title_text(self) -> str:
        d = self.detail
        return _("Quote {code}").format(code=d.code)

    def status_text(self) -> str:
        d = self.detail
        text = f"{label(QUOTE_STATUS_LABELS, d.status)} · {one_line(d.data.title)}"
        return text

    def totals_text(self) -> str:
        return totals_text(self.detail.totals, self.detail.data.irpf_rate or 0)

    def facts(self) -> list[str]:
        d = self.detail
        data = d.data
        until = data.valid_until
        validity = _("valid until {date}").format(date=show_date(until)) if until else ""
        if until and until < dt.date.today() and d.status in ("draft", "sent", "expired"):
            validity += " " + _("(expired)")
        facts = [
            " · ".join(
                p
                for p in (
                    _("Dated {date}").format(date=show_date(data.date)),
                    validity,
                    _("by {user}").format(user=d.created_by) if d.created_by else "",
                )
                if p
            ),
            _("For {client} ({tax_id})").format(
                client=one_line(d.client_name), tax_id=one_line(d.client_tax_id)
            ),
        ]
        terms = []
        if data.delivery_time:
            terms.append(_("Delivery: {text}").format(text=one_line(data.delivery_time)))
        shipping = label(SHIPPING_LABELS, data.shipping_mode)
        if data.shipping_mode == "amount":
            shipping += f" {money(data.shipping)}"
        terms.append(_("Shipping: {text}").format(text=shipping))
        if data.payment_terms:
            terms.append(_("Payment: {text}").format(text=one_line(data.payment_terms)))
        facts.append(" · ".join(terms))
        if data.warranty or data.milestones:
            facts.append(
                " · ".join(
                    p
                    for p in (
                        _("Milestones: {text}").format(text=one_line(data.milestones))
                        if data.milestones
                        else "",
                        _("Warranty: {text}").format(text=one_line(data.warranty))
                        if data.warranty
                        else "",
                    )
                    if p
                )
            )
        if d.rejected_reason:
            facts.append(_("Rejected: {reason}").format(reason=one_line(d.rejected_reason)))
        if data.internal_notes:
            facts.append(
                _("Internal (never printed): {text}").format(text=one_line(data.internal_notes))
            )
        return facts

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.detail.status
        if action == "edit":
            return status in ("draft", "sent")
        if action == "mark_sent":
            return status == "draft"
        if action == "accept":
            return status in ("draft", "sent")
        if action == "reject":
            return status in ("draft", "sent", "expired")
        if action == "invoice":
            return status in ("draft", "sent", "accepted")
        if action == "order":
            return bool(self.detail.order_ids)
        if action == "delete":
            return status == "draft"
        return True

    # --- actions ----------------------------------------------------------------------

    def action_edit(self) -> None:
        from .quote_editor import QuoteEditor, load_quote_for_edit

        quote_id = self.detail.id
        self.run_service(
            lambda: load_quote_for_edit(quote_id),
            lambda data: self.app.push_screen(QuoteEditor(data)),
        )

    def action_mark_sent(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id
        self.run_service(
            lambda: quotes.mark_sent(quote_id),
            lambda _r: self.action_reload(),
            done=_("Marked as sent."),
        )

    def action_accept(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id
        question = _(
            "The client accepted {code}? It becomes an order, to invoice at once or in parts."
        ).format(code=self.detail.code)

        def accepted(order_id: int) -> None:
            self.notify(_("Accepted: order created."))
            self.action_reload()
            self.crm.open_order(order_id)

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: quotes.accept_quote(quote_id),
                    accepted,
                    refusal_title=_("Cannot accept"),
                )

        self.app.push_screen(ConfirmDialog(question, yes=_("Accept")), answer)

    def action_reject(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id

        def submit(values: dict[str, Any]) -> bool:
            quotes.reject_quote(quote_id, values["reason"])
            return True

        form = PromptForm(
            _("Reject {code}").format(code=self.detail.code),
            [FieldSpec("reason", _("Reason"), required=True, max_length=200)],
            submit,
            hint=_("Why the client said no (it feeds the rejected-quotes figures)."),
        )

        def done(result: Any) -> None:
            if result:
                self.notify(_("Rejected."))
                self.action_reload()

        self.app.push_screen(form, done)

    def action_invoice(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id
        self.run_service(
            lambda: quotes.invoice_quote(quote_id),
            lambda invoice_id: self.crm.open_invoice(invoice_id),
            done=_("Draft invoice written from the quote."),
        )

    def action_order(self) -> None:
        if self.detail.order_ids:
            self.crm.open_order(self.detail.order_ids[-1])

    def action_pdf(self) -> None:
        from ...services import printing

        quote_id = self.detail.id
        save_pdf(
            self,
            _("PDF of {code}").format(code=self.detail.code),
            f"{self.detail.code}.pdf",
            lambda: printing.print_quote(quote_id),
        )

    def action_email(self) -> None:
        """The send dialog (services.email): the PDF to the client; a draft quote becomes sent."""
        self.crm.send_document(
            "quote", self.detail.id, then=lambda entry: entry and self.action_reload()
        )

    def action_delete(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: quotes.delete_quote(quote_id),
                    lambda _r: self.dismiss(None),
                    done=_("Quote deleted."),
                )

        self.app.push_screen(
            ConfirmDialog(
                _("Delete draft quote {code}?").format(code=self.detail.code), yes=_("Delete")
            ),
            answer,
        )
