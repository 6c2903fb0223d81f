"""Invoices (F4): every invoice, a page at a time, with filters and search.

Drafts come first, then the newest issued. Keys: `/` search (number or client), `n` new
invoice (choose the client), enter opens (a draft in the editor, an issued invoice in
its view), `i` issues the highlighted draft, `delete` deletes a draft, `p` registers a
payment, `o` prints the PDF; filters: `c` client, `s` status, `f` series, `y` year.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ...i18n import N_, _
from ...services.invoices import InvoiceFilter, InvoiceRow
from ..formatting import date as show_date
from ..formatting import money
from ..widgets.lazy_table import Column, LazyTable, Row
from .list_screen import SearchableList
from .sales_support import (
    INVOICE_STATUS_LABELS,
    ClientFilterToggle,
    label,
)

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


class InvoiceSource:
    """Pages of the invoice list, read in the table's worker thread on its own connection."""

    def __init__(self, flt: InvoiceFilter, today: dt.date | None = None):
        self.flt = flt
        self.today = today or dt.date.today()

    def count(self) -> int:
        from ...db import database
        from ...services.invoices import count_invoices

        with database.connection_context():
            return count_invoices(self.flt)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        from ...db import database
        from ...services.invoices import list_invoices

        with database.connection_context():
            rows = list_invoices(self.flt, offset, limit)
        return [invoice_row(r, self.today) for r in rows]


def invoice_columns() -> list[Column]:
    return [
        Column("code", _("Number"), 12, min_width=11),
        Column("date", _("Date"), 10, min_width=10, priority=1),
        Column("client", _("Client"), 24, flex=True, min_width=12),
        Column("base", _("Base"), 12, align="right", min_width=10, priority=3),
        Column("total", _("Total"), 12, align="right", min_width=10),
        Column("outstanding", _("Outstanding"), 12, align="right", min_width=10),
        Column("status", _("Status"), 10, min_width=7, priority=2),
        Column("due", _("Due"), 10, min_width=10, priority=4),
    ]


class InvoicesScreen(SearchableList, ClientFilterToggle, Screen[None]):
    """All invoices; `/` searches, enter opens the one under the cursor."""

    LIST_ID = "invoice"
    STATUS_FILTERS = STATUS_FILTERS

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
        self.client_name = ""

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

    def make_source(self) -> InvoiceSource:
        return InvoiceSource(self.flt)

    def filter_parts(self) -> list[str]:
        parts = [_(STATUS_FILTER_LABELS.get(self.flt.status, self.flt.status))]
        if self.flt.client_id is not None:
            parts.append(_("client {name}").format(name=self.client_name or self.flt.client_id))
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
        self.app.open_invoice(int(event.row_key))  # type: ignore[attr-defined]

    def action_filter_series(self) -> None:
        self._choose_filter("series")

    def action_filter_year(self) -> None:
        self._choose_filter("year")

    @work(thread=True, exclusive=True, group="filter-choices", exit_on_error=False)
    def _choose_filter(self, what: str) -> None:
        from ...db import database
        from ...services import invoices

        with database.connection_context():
            series, years = invoices.filter_choices()
        self.app.call_from_thread(self._show_choices, what, series, years)

    def _show_choices(self, what: str, series: list[str], years: list[int]) -> None:
        from .pickers import ChoicePrompt

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

    def _selected(self) -> int | None:
        key = self.table.selected_key
        if key is None:
            self.notify(_("Nothing selected."), severity="warning")
            return None
        return int(key)

    def action_new_invoice(self) -> None:
        self.app.new_invoice(self.flt.client_id)  # type: ignore[attr-defined]

    def action_issue(self) -> None:
        from .invoice_editor import confirm_and_issue

        invoice_id = self._selected()
        if invoice_id is not None:
            confirm_and_issue(self, invoice_id, lambda _detail: self.table.refresh_rows())

    def action_pay(self) -> None:
        from ...services import invoices

        invoice_id = self._selected()
        if invoice_id is None:
            return

        def found(detail: Any) -> None:
            if detail.status not in ("issued", "partially_paid") or not detail.outstanding:
                self.notify(
                    _("{code} has nothing to pay.").format(code=detail.display_code),
                    severity="warning",
                )
                return
            self.app.register_payment(  # type: ignore[attr-defined]
                detail.client_id, detail.id, lambda _payment: self.table.refresh_rows()
            )

        self.call_service(lambda: invoices.get_invoice(invoice_id), found)

    def action_pdf(self) -> None:
        from ...services import invoices, printing
        from .invoice_view import pdf_form

        invoice_id = self._selected()
        if invoice_id is None:
            return

        def found(detail: Any) -> None:
            filename = f"{detail.code}.pdf" if detail.code else f"draft-{detail.id}.pdf"

            def written(path: Path | None) -> None:
                if path is not None:
                    self.notify(_("Written {path}").format(path=path))

            form = pdf_form(
                _("PDF of {code}").format(code=detail.display_code),
                filename,
                lambda: printing.print_invoice(invoice_id).data,
            )
            self.app.push_screen(form, written)

        self.call_service(lambda: invoices.get_invoice(invoice_id), found)

    def action_delete_draft(self) -> None:
        from ...services import invoices
        from ..widgets.form import ConfirmDialog

        invoice_id = self._selected()
        if invoice_id is None:
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.call_service(
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
        from ...exports import lists
        from ..widgets.export import export_list

        flt = self.flt
        export_list(
            self,
            _("Invoices"),
            lists.INVOICE_COLUMNS,
            lambda: lists.invoice_rows(flt),
            stem="facturas",
            count=lambda: lists.count_invoices(flt),
            notes=lists.describe_invoice_filter(flt),
        )

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.table.refresh_rows()
