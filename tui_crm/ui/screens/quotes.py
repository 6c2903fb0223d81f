"""Quotes: the list (palette "Quotes") and one quote's view with its life cycle.

The view shows every field, its lines and totals. Keys: `e` edits (draft or sent),
`s` marks it sent, `a` accepts it (it becomes an order, which opens), `d` declines it
(rejected, with the client's reason), `i` writes the invoice straight from it, `o`
prints its PDF (internal notes never reach it), `g` goes to its order, `c` opens the
client, `delete` deletes a draft.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...i18n import N_, _, pgettext
from ...services.quotes import QuoteFilter, QuoteRow
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.form import ConfirmDialog, FieldSpec
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.line_editor import totals_text
from ..widgets.sources import PagedSource
from .invoice_view import lines_table, pdf_form
from .list_screen import SearchableList
from .sales_support import (
    QUOTE_STATUS_LABELS,
    SHIPPING_LABELS,
    ClientFilterToggle,
    PromptForm,
    RefreshOnReturn,
    ServiceCalls,
    document_top,
    label,
)

STATUS_FILTERS = ("", "draft", "sent", "accepted", "rejected", "expired")
STATUS_FILTER_LABELS = {"": N_("every status")}


def load_quote(quote_id: int) -> Any:
    """A quote for its view (in a worker; expired quotes are marked first)."""
    from ...services import quotes

    quotes.expire_quotes()
    return quotes.get_quote(quote_id)


def show_quote(app: Any, detail: Any) -> None:
    app.push_screen(QuoteView(detail))


# --- the list ------------------------------------------------------------------------


def quote_row(r: QuoteRow) -> Row:
    style = "muted" if r.status in ("rejected", "expired") else ""
    return Row(
        key=r.id,
        cells=(
            r.code,
            show_date(r.date),
            r.client_name,
            r.title,
            money(r.total),
            label(QUOTE_STATUS_LABELS, r.status),
            show_date(r.valid_until),
        ),
        style=style,
    )


def quote_source(flt: QuoteFilter) -> PagedSource[QuoteRow]:
    from ...services import quotes

    return PagedSource(
        lambda: quotes.count_quotes(flt),
        lambda offset, limit: quotes.list_quotes(flt, offset, limit),
        quote_row,
    )


def quote_columns() -> list[Column]:
    return [
        Column("code", _("Code"), 11, min_width=10),
        Column("date", _("Date"), 10, min_width=10, priority=1),
        Column("client", _("Client"), 20, flex=True, min_width=12),
        Column("title", _("Title"), 20, flex=True, min_width=10, priority=3),
        Column("total", _("Total"), 12, align="right", min_width=10),
        Column("status", _("Status"), 9, min_width=8),
        Column("valid", _("Valid until"), 11, min_width=10, priority=2),
    ]


class QuotesScreen(SearchableList, ClientFilterToggle, Screen[None]):
    """Every quote, newest first."""

    LIST_ID = "quote"
    STATUS_FILTERS = STATUS_FILTERS
    CLIENT_PROMPT = N_("Quotes of which client?")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("slash", "search", _("Search"), id="search"),
        Binding("n", "new_quote", _("New"), id="new_quote"),
        Binding("s", "cycle_status", _("Status"), id="filter_status"),
        Binding("c", "filter_client", _("Client"), id="filter_client"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: QuoteFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or QuoteFilter()
        self.client_name = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            quote_columns(),
            _("/ search code, title or client…"),
            _("No quotes match. n writes one."),
        )

    def on_mount(self) -> None:
        self.show_list(_("Quotes"))

    def make_source(self) -> PagedSource[QuoteRow]:
        return quote_source(self.flt)

    def filter_parts(self) -> list[str]:
        status = self.flt.status
        parts = [
            _(STATUS_FILTER_LABELS[status])
            if status in STATUS_FILTER_LABELS
            else label(QUOTE_STATUS_LABELS, status)
        ]
        if self.flt.client_id is not None:
            parts.append(_("client {name}").format(name=self.client_name or self.flt.client_id))
        return parts

    @on(LazyTable.RowSelected, "#quote-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.app.open_quote(int(event.row_key))  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new_quote(self) -> None:
        self.app.new_quote(self.flt.client_id)  # type: ignore[attr-defined]


# --- one quote -----------------------------------------------------------------------


class QuoteView(RefreshOnReturn, ServiceCalls, Screen[None]):
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

    def __init__(self, detail: Any):
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield from document_top("qv", self._title(), self._status(), self._facts(), self._totals())
        yield Footer()

    def on_mount(self) -> None:
        lines_table(self.query_one("#qv-lines", DataTable), self.detail.lines)
        self.query_one("#qv-lines").focus()

    def _title(self) -> str:
        d = self.detail
        return _("Quote {code}").format(code=d.code)

    def _status(self) -> str:
        d = self.detail
        text = f"{label(QUOTE_STATUS_LABELS, d.status)} · {one_line(d.data.title)}"
        return text

    def _totals(self) -> str:
        return totals_text(self.detail.totals, self.detail.data.irpf_rate or 0)

    def _facts(self) -> list[str]:
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

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        quote_id = self.detail.id
        self.call_service(lambda: load_quote(quote_id), self._reloaded)

    def _reloaded(self, detail: Any) -> None:
        self.detail = detail
        self.query_one("#doc-title", Static).update(Content(self._title()))
        self.query_one("#doc-subtitle", Static).update(Content(self._status()))
        self.query_one("#qv-facts", Static).update(Content("\n".join(self._facts())))
        self.query_one("#qv-totals", Static).update(Content(self._totals()))
        lines_table(self.query_one("#qv-lines", DataTable), detail.lines)
        self.refresh_bindings()

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.action_reload()

    def action_edit(self) -> None:
        from .quote_editor import QuoteEditor, load_quote_for_edit

        quote_id = self.detail.id
        self.call_service(
            lambda: load_quote_for_edit(quote_id),
            lambda data: self.app.push_screen(QuoteEditor(data)),
        )

    def action_mark_sent(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id
        self.call_service(
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
            self.app.open_order(order_id)  # type: ignore[attr-defined]

        def answer(ok: bool | None) -> None:
            if ok:
                self.call_service(
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
        self.call_service(
            lambda: quotes.invoice_quote(quote_id),
            lambda invoice_id: self.app.open_invoice(invoice_id),  # type: ignore[attr-defined]
            done=_("Draft invoice written from the quote."),
        )

    def action_order(self) -> None:
        if self.detail.order_ids:
            self.app.open_order(self.detail.order_ids[-1])  # type: ignore[attr-defined]

    def action_pdf(self) -> None:
        from ...services import printing

        quote_id = self.detail.id

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(_("Written {path}").format(path=path))

        form = pdf_form(
            _("PDF of {code}").format(code=self.detail.code),
            f"{self.detail.code}.pdf",
            lambda: printing.print_quote(quote_id).data,
        )
        self.app.push_screen(form, written)

    def action_client(self) -> None:
        self.app.open_client(self.detail.client_id)  # type: ignore[attr-defined]

    def action_email(self) -> None:
        """The send dialog (services.email): the PDF to the client; a draft quote becomes sent."""
        self.app.send_document(  # type: ignore[attr-defined]
            "quote", self.detail.id, then=lambda entry: entry and self.action_reload()
        )

    def action_delete(self) -> None:
        from ...services import quotes

        quote_id = self.detail.id

        def answer(ok: bool | None) -> None:
            if ok:
                self.call_service(
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
