"""Invoices (F4): every invoice, a page at a time, with filters and search.

Drafts come first, then the newest issued. Keys: `/` search (number or client), `n` new
invoice (choose the client), enter opens (a draft in the editor, an issued invoice in
its view), `i` issues the highlighted draft, `delete` deletes a draft, `p` registers a
payment, `o` prints the PDF; filters: `c` client, `s` status, `f` series, `y` year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ...i18n import N_, _
from ...services.invoices import InvoiceFilter, InvoiceRow
from ..dialogs.confirm import ConfirmDialog
from ..formatting import date as show_date
from ..formatting import money
from ..labels import INVOICE_STATUS_LABELS, label
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource
from .list_screen import SearchableList

STATUS_FILTERS = ("", "unpaid", "draft", "issued", "partially_paid", "paid", "voided")
STATUS_FILTER_LABELS = {
    "": N_("every status"),
    "unpaid": N_("unpaid"),
    "draft": N_("drafts"),
    "issued": N_("issued, unpaid"),
    "partially_paid": N_("partially paid"),
    "paid": N_("paid"),
    "voided": N_("voided"),
}


def invoice_row(r: InvoiceRow, today: dt.date) -> Row:
    from ...services.receivables import row_style

    style = ""
    if r.status in ("draft", "voided"):
        style = "muted"
    elif r.status in ("issued", "partially_paid") and r.outstanding and r.due_date:
        style = row_style((today - r.due_date).days)
    number = r.code or _("Draft {id}").format(id=r.id)
    return Row(
        key=r.id,
        cells=(
            number,
            show_date(r.issue_date),
            r.client_name,
            money(r.base),
            money(r.total),
            money(r.outstanding) if r.status != "draft" and r.outstanding else "",
            label(INVOICE_STATUS_LABELS, r.status),
            show_date(r.due_date),
        ),
        style=style,
    )


def invoice_source(flt: InvoiceFilter, today: dt.date | None = None) -> PagedSource[InvoiceRow]:
    from ...services.invoices import count_invoices, list_invoices

    day = today or dt.date.today()
    return PagedSource.over(count_invoices, list_invoices, flt, lambda r: invoice_row(r, day))


def invoice_columns() -> list[Column]:
    return [
        # At 80 columns the base goes first, then what is outstanding (the receivables
        # board, F5, is about that); date, status and due date stay.
        Column("code", _("Number"), 12, min_width=11),
        Column("date", _("Date"), 10, min_width=10, priority=1),
        Column("client", _("Client"), 24, flex=True, min_width=13),
        Column("base", _("Base"), 12, align="right", min_width=12, priority=6),
        Column("total", _("Total"), 12, align="right", min_width=12),
        Column("outstanding", _("Outstanding"), 12, align="right", min_width=12, priority=5),
        Column("status", _("Status"), 14, min_width=10, priority=2),
        Column("due", _("Due"), 10, min_width=10, priority=3),
    ]


class InvoicesScreen(SearchableList):
    """All invoices; `/` searches, enter opens the one under the cursor."""

    LIST_ID = "invoice"
    STATUS_FILTERS = STATUS_FILTERS
    STATUS_FILTER_LABELS = STATUS_FILTER_LABELS

    CLIENT_PROMPT = N_("Invoices of which client?")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", _("Search"), id="search"),
        Binding("n", "new_invoice", _("New"), id="new_invoice"),
        Binding("i", "issue", _("Issue"), id="issue"),
        Binding("p", "pay", _("Payment"), id="pay"),
        Binding("s", "cycle_status", _("Status"), id="filter_status"),
        Binding("c", "filter_client", _("Client"), id="filter_client"),
        Binding("f", "filter_series", _("Series"), id="filter_series"),
        Binding("y", "filter_year", _("Year"), id="filter_year"),
        Binding("o", "pdf", _("PDF"), id="pdf"),
        Binding("delete", "delete_draft", _("Delete draft"), id="delete_draft"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, flt: InvoiceFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or InvoiceFilter()

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            invoice_columns(),
            _("/ search number or client…"),
            _("No invoices match. n writes one."),
            page_size=100,
        )

    def on_mount(self) -> None:
        self.show_list(_("Invoices"))

    # --- filters and search ---------------------------------------------------------

    def make_source(self) -> PagedSource[InvoiceRow]:
        return invoice_source(self.flt)

    def filter_parts(self) -> list[str]:
        parts = [self.status_part(), *self.client_parts()]
        if self.flt.series:
            parts.append(_("series {series}").format(series=self.flt.series))
        if self.flt.year is not None:
            parts.append(str(self.flt.year))
        return parts

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the invoices: {error}").format(error=event.error), severity="error"
        )

    @on(LazyTable.RowSelected, "#invoice-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        self.crm.open_invoice(int(event.row_key))

    def action_filter_series(self) -> None:
        self._choose_filter("series")

    def action_filter_year(self) -> None:
        self._choose_filter("year")

    def _choose_filter(self, what: str) -> None:
        from ...services import invoices

        self.run_service(
            invoices.filter_choices,
            lambda found: self._show_choices(what, *found),
            group="filter-choices",
            exclusive=True,
        )

    def _show_choices(self, what: str, series: list[str], years: list[int]) -> None:
        from ..dialogs.choice import ChoicePrompt

        if what == "series":
            options = [(_("(every series)"), ""), *((s, s) for s in series)]
            title = _("Invoices of which series?")
        else:
            options = [(_("(every year)"), 0), *((str(y), y) for y in years)]
            title = _("Invoices of which year?")

        def chosen(value: Any) -> None:
            if value is None:  # cancelled
                return
            if what == "series":
                self._apply(series=value)
            else:
                self._apply(year=value or None)

        self.app.push_screen(ChoicePrompt(title, options), chosen)

    # --- actions on the highlighted invoice -----------------------------------------

    def action_new_invoice(self) -> None:
        self.crm.new_invoice(self.flt.client_id)

    def action_issue(self) -> None:
        from ..dialogs.issue import confirm_and_issue

        invoice_id = self.selected_id()
        if invoice_id is not None:
            confirm_and_issue(self, invoice_id, lambda _detail: self.table.refresh_rows())

    def action_pay(self) -> None:
        from ...services import invoices

        invoice_id = self.selected_id()
        if invoice_id is None:
            return

        def found(detail: Any) -> None:
            if detail.status not in ("issued", "partially_paid") or not detail.outstanding:
                self.notify(
                    _("{code} has nothing to pay.").format(code=detail.display_code),
                    severity="warning",
                )
                return
            self.crm.register_payment(
                detail.client_id, detail.id, lambda _payment: self.table.refresh_rows()
            )

        self.run_service(lambda: invoices.get_invoice(invoice_id), found)

    def action_pdf(self) -> None:
        from ...services import invoices, printing
        from ..dialogs.pdf import save_pdf

        invoice_id = self.selected_id()
        if invoice_id is None:
            return

        def found(detail: Any) -> None:
            filename = f"{detail.code}.pdf" if detail.code else f"draft-{detail.id}.pdf"
            save_pdf(
                self,
                _("PDF of {code}").format(code=detail.display_code),
                filename,
                lambda: printing.print_invoice(invoice_id),
            )

        self.run_service(lambda: invoices.get_invoice(invoice_id), found)

    def action_delete_draft(self) -> None:
        from ...services import invoices

        invoice_id = self.selected_id()
        if invoice_id is None:
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: invoices.delete_draft(invoice_id),
                    lambda _result: self.table.refresh_rows(),
                    done=_("Draft deleted."),
                )

        self.app.push_screen(
            ConfirmDialog(
                _("Delete draft invoice {id}? Issued invoices are never deleted.").format(
                    id=invoice_id
                ),
                yes=_("Delete"),
            ),
            answer,
        )

    def action_export(self) -> None:
        """The invoice list as filtered now, to Excel."""
        from ...services import lists, reports
        from ..dialogs.export import export_list

        flt = self.flt
        export_list(
            self,
            _("Invoices"),
            reports.INVOICE_COLUMNS,
            lambda: reports.invoice_cents_rows(flt),
            stem="facturas",
            count=lambda: lists.count_invoices(flt),
            notes=lists.describe_invoice_filter(flt),
            money_in_cents=True,  # amounts as the integer cents they are stored in
        )
