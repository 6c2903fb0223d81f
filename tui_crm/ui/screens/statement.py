"""A client's statement of account (`S` on the client file): every invoice, payment and
rectification of a period with the running balance, from the balance at its start.

Keys: `p` changes the period, `w` writes the PDF (in the client's language; an existing
file only on a second ctrl+s), `m` emails it to the client with the PDF attached
(recorded on the timeline), `c` back to the client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import N_, _
from ..base import CrmScreen
from ..dialogs.form import FieldSpec
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource

KIND_LABELS = {
    "invoice": N_("Invoice"),
    "rectification": N_("Rectification"),
    "payment": N_("Payment"),
    "reversal": N_("Payment reversed"),
}


def entry_row(index: int, e: Any) -> Row:
    return Row(
        key=index,
        cells=(
            show_date(e.day),
            _(KIND_LABELS.get(e.kind, e.kind)),
            one_line(e.number),
            one_line(e.description),
            money(e.charge) if e.charge is not None else "",
            money(e.credit) if e.credit is not None else "",
            money(e.balance),
        ),
        style="muted" if e.kind in ("payment", "reversal") else "",
    )


class StatementScreen(CrmScreen[None]):
    """One client's statement of account for a period."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("p", "period", _("Period"), id="period"),
        Binding("w", "write_pdf", _("PDF"), id="write_pdf"),
        Binding("m", "email", _("Email"), id="email"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(
        self,
        client_id: int,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> None:
        super().__init__()
        from ...services.statements import period

        self.client_id = client_id
        self.date_from, self.date_to = period(date_from, date_to)
        self.found: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="st-period")
        yield LazyTable(
            [
                Column("date", _("Date"), 10, min_width=10),
                Column("kind", _("Kind"), 14, min_width=8),
                Column("number", _("Number"), 13, min_width=8),
                Column("description", _("Description"), 18, flex=True, min_width=8, priority=2),
                Column("charge", _("Charge"), 12, align="right", min_width=10),
                Column("credit", _("Credit"), 12, align="right", min_width=10),
                Column("balance", _("Balance"), 13, align="right", min_width=10),
            ],
            self._source(),
            empty_text=_("Nothing invoiced or paid in this period."),
            id="st-table",
        )
        yield Static("", id="st-closing")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Statement of account")
        self.table.focus()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#st-table", LazyTable)

    def _source(self) -> LoadedSource[Any]:
        from ...services import statements

        client_id, start, end = self.client_id, self.date_from, self.date_to

        def read() -> list[tuple[int, Any]]:
            found = statements.statement(client_id, start, end)
            self.app.call_from_thread(self._show, found)
            return list(enumerate(found.entries))

        return LoadedSource(read, lambda item: entry_row(*item))

    def _show(self, found: Any) -> None:
        self.found = found
        self.sub_title = one_line(found.client_name)
        self.query_one("#st-period", Static).update(
            Content.assemble(
                (
                    _("From {start} to {end}").format(
                        start=show_date(found.date_from), end=show_date(found.date_to)
                    )
                    + " · ",
                    "dim",
                ),
                (_("Opening balance") + " ", "dim"),
                (money(found.opening), "bold"),
            )
        )
        self.query_one("#st-closing", Static).update(
            Content.assemble(
                (_("Charges") + " ", "dim"),
                (money(found.charges) + "  ", "bold"),
                (_("Credits") + " ", "dim"),
                (money(found.credits) + "  ", "bold"),
                (_("Balance on {date}").format(date=show_date(found.date_to)) + " ", "dim"),
                (money(found.closing), "bold"),
            )
        )

    def action_reload(self) -> None:
        self.table.set_source(self._source())

    def action_back(self) -> None:
        self.dismiss(None)

    def action_period(self) -> None:
        from ...services.records import read_date
        from ...services.statements import period
        from ..dialogs.prompt import PromptForm

        def submit(values: dict[str, Any]) -> tuple[dt.date, dt.date]:
            start = read_date(values.get("date_from"), "date_from", required=True)
            end = read_date(values.get("date_to"), "date_to", required=True)
            return period(start, end)

        def chosen(result: tuple[dt.date, dt.date] | None) -> None:
            if result is not None:
                self.date_from, self.date_to = result
                self.action_reload()

        self.app.push_screen(
            PromptForm(
                _("Period of the statement"),
                [
                    FieldSpec("date_from", _("From"), "date", required=True),
                    FieldSpec("date_to", _("To"), "date", required=True),
                ],
                submit,
                {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()},
            ),
            chosen,
        )

    def action_write_pdf(self) -> None:
        from ...services import statements
        from ..dialogs.pdf import save_pdf

        client_id, start, end = self.client_id, self.date_from, self.date_to
        name = _("statement-{client}-{start}-{end}.pdf").format(
            client=(self.found.client_tax_id if self.found else "") or client_id,
            start=start.isoformat(),
            end=end.isoformat(),
        )
        save_pdf(
            self,
            _("Save the statement as PDF"),
            name,
            lambda: statements.print_statement(client_id, start, end),
        )

    def action_email(self) -> None:
        self.crm.send_document(
            "statement",
            client_id=self.client_id,
            period=(self.date_from, self.date_to),
        )
