"""An issued invoice, read-only: what was issued, its lines, totals and payments.

Keys: `p` registers a payment, `v` reverses the highlighted payment (with a reason),
`r` rectifies it (reason and mode; the rectifying draft opens in the editor), `o`
prints its PDF to a file, `c` opens the client.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...i18n import _
from ..formatting import date as show_date
from ..formatting import local_datetime, money
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.form import FieldSpec
from ..widgets.lazy_table import sanitize
from ..widgets.line_editor import number_text, totals_text
from .sales_support import (
    INVOICE_STATUS_LABELS,
    METHOD_LABELS,
    MODE_LABELS,
    PromptForm,
    RefreshOnReturn,
    ServiceCalls,
    document_top,
    label,
)


def lines_table(table: DataTable, lines: Any) -> None:
    """Fill a read-only table with document lines (user text shown literally)."""
    table.clear(columns=True)
    table.add_column("#", width=3, key="n")
    table.add_column(_("Description"), key="description")
    table.add_column(Text(_("Qty"), justify="right"), width=7, key="quantity")
    table.add_column(Text(_("Price"), justify="right"), width=11, key="price")
    table.add_column(Text(_("Disc%"), justify="right"), width=5, key="discount")
    table.add_column(Text(_("IVA%"), justify="right"), width=4, key="vat")
    table.add_column(Text(_("Base"), justify="right"), width=12, key="base")
    for index, line in enumerate(lines):
        code = getattr(line, "product_code", "")
        description = sanitize(line.description.split("\n", 1)[0])
        if code:
            description = f"{code} · {description}"
        table.add_row(
            Text(str(index + 1)),
            Text(description),
            Text(number_text(line.quantity), justify="right"),
            Text(money(line.unit_price), justify="right"),
            Text(number_text(line.discount) if line.discount else "", justify="right"),
            Text(number_text(line.vat_rate), justify="right"),
            Text(money(line.base), justify="right"),
        )


def write_pdf(data: bytes, path: Path) -> None:
    """Write next to the target, then rename: a half-written PDF never has the name."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def pdf_form(title: str, filename: str, render: Any) -> PromptForm:
    """Ask where to save a PDF (the current folder by default); `render()` gives the bytes
    (in the worker). An existing file is replaced only on a second ctrl+s."""
    from ...services.errors import ValidationError

    confirmed: dict[str, str] = {}

    def submit(values: dict[str, Any]) -> Path:
        text = str(values["path"]).strip()
        if not text:
            raise ValidationError({"path": _("is required")})
        path = Path(text).expanduser()
        if path.is_dir():
            path = path / filename
        if not path.parent.is_dir():
            raise ValidationError(
                {"path": _("the folder {folder} does not exist").format(folder=path.parent)}
            )
        if path.exists() and confirmed.get("path") != str(path):
            confirmed["path"] = str(path)
            raise ValidationError({"path": _("exists: ctrl+s again replaces it")})
        data = render()
        try:
            write_pdf(data, path)
        except OSError as exc:
            raise ValidationError({"path": str(exc)}) from None
        return path

    return PromptForm(
        title,
        [FieldSpec("path", _("Save as"), required=True)],
        submit,
        {"path": str(Path.cwd() / filename)},
    )


class InvoiceView(RefreshOnReturn, ServiceCalls, Screen[None]):
    """One issued invoice."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("p", "pay", _("Payment"), id="pay"),
        Binding("v", "reverse", _("Reverse payment"), id="reverse"),
        Binding("r", "rectify", _("Rectify"), id="rectify"),
        Binding("o", "pdf", _("PDF"), id="pdf"),
        Binding("c", "client", _("Client"), id="client"),
        Binding("m", "email", _("Email"), id="email"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, detail: Any):
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d = self.detail
        yield from document_top(
            "iv", self._title(), self._status(), self._facts(), totals_text(d.totals, d.irpf_rate)
        )
        yield Static(Content(self._payments_title()), id="iv-payments-title")
        yield DataTable(cursor_type="row", id="iv-payments")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#iv-payments" if self.detail.payments else "#iv-lines").focus()

    def _fill(self) -> None:
        lines_table(self.query_one("#iv-lines", DataTable), self.detail.lines)
        payments = self.query_one("#iv-payments", DataTable)
        payments.clear(columns=True)
        payments.add_column(_("Date"), width=10)
        payments.add_column(Text(_("Amount"), justify="right"), width=13)
        payments.add_column(_("Method"), width=14)
        payments.add_column(_("Reference"))
        for p in self.detail.payments:
            state = _("reversed") if p.reversed else ""
            payments.add_row(
                Text(show_date(p.date)),
                Text(money(p.amount), justify="right"),
                Text(label(METHOD_LABELS, p.method)),
                Text(" ".join(part for part in (sanitize(p.reference), state) if part)),
                key=str(p.payment_id),
            )
        payments.display = bool(self.detail.payments)

    def _title(self) -> str:
        d = self.detail
        kind = _("Rectifying invoice") if d.kind == "rectifying" else _("Invoice")
        return f"{kind} {d.display_code}"

    def _status(self) -> str:
        return label(INVOICE_STATUS_LABELS, self.detail.status)

    def _amounts(self) -> str:
        d = self.detail
        return " · ".join(
            [
                _("Total {amount}").format(amount=money(d.totals.total)),
                _("Paid {amount}").format(amount=money(d.paid)),
                _("Outstanding {amount}").format(amount=money(d.outstanding)),
            ]
        )

    def _facts(self) -> list[str]:
        d = self.detail
        today = dt.date.today()
        dates = [_("Issued {date}").format(date=show_date(d.issue_date))]
        if d.operation_date and d.operation_date != d.issue_date:
            dates.append(_("operation {date}").format(date=show_date(d.operation_date)))
        if d.due_date:
            due = _("due {date}").format(date=show_date(d.due_date))
            if d.outstanding and d.due_date < today:
                due += " " + _("({n} days overdue)").format(n=(today - d.due_date).days)
            dates.append(due)
        if d.issued_by:
            dates.append(
                _("by {user} {when}").format(user=d.issued_by, when=local_datetime(d.issued_at))
            )
        facts = [self._amounts(), " · ".join(dates)]
        address = one_line(d.client_address.replace("\n", ", "))
        facts.append(
            _("To {client} ({tax_id}) · {address}").format(
                client=one_line(d.client_name), tax_id=one_line(d.client_tax_id), address=address
            )
        )
        extra = []
        if d.payment_terms:
            extra.append(one_line(d.payment_terms))
        if d.exemption_reason:
            extra.append(_("Exempt: {reason}").format(reason=one_line(d.exemption_reason)))
        if extra:
            facts.append(" · ".join(extra))
        if d.rectifies_code:
            facts.append(
                _("Rectifies {code} {mode}: {reason}").format(
                    code=d.rectifies_code,
                    mode=label(MODE_LABELS, d.rectification_mode),
                    reason=one_line(d.rectification_reason),
                )
            )
        if d.rectified_by:
            facts.append(_("Rectified by {codes}").format(codes=", ".join(d.rectified_by)))
        if d.notes:
            facts.append(_("Notes: {text}").format(text=one_line(d.notes)))
        if d.debit_returned_on and d.outstanding:
            facts.append(
                _("Direct debit returned by the bank on {date}").format(
                    date=show_date(d.debit_returned_on)
                )
            )
        return facts

    def _payments_title(self) -> str:
        if not self.detail.payments:
            return _("No payments yet: p registers one.")
        return _("Payments (v reverses the highlighted one):")

    # --- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action == "pay":
            return d.status in ("issued", "partially_paid") and d.outstanding != 0
        if action == "rectify":
            return d.kind == "standard"
        if action == "reverse":
            return any(not p.reversed and p.method != "compensation" for p in d.payments)
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        from ...services import invoices

        invoice_id = self.detail.id
        self.call_service(lambda: invoices.get_invoice(invoice_id), self._reloaded)

    def _reloaded(self, detail: Any) -> None:
        self.detail = detail
        self.query_one("#doc-title", Static).update(Content(self._title()))
        self.query_one("#doc-subtitle", Static).update(Content(self._status()))
        self.query_one("#iv-facts", Static).update(Content("\n".join(self._facts())))
        self.query_one("#iv-totals", Static).update(
            Content(totals_text(detail.totals, detail.irpf_rate))
        )
        self.query_one("#iv-payments-title", Static).update(Content(self._payments_title()))
        self._fill()
        self.refresh_bindings()

    def action_pay(self) -> None:
        self.app.register_payment(  # type: ignore[attr-defined]
            self.detail.client_id, self.detail.id, lambda _payment: self.action_reload()
        )

    def action_reverse(self) -> None:
        from .payments import reverse_payment_form

        table = self.query_one("#iv-payments", DataTable)
        index = table.cursor_row if table.row_count else -1
        payments = self.detail.payments
        if not 0 <= index < len(payments):
            self.notify(_("Nothing selected."), severity="warning")
            return
        payment = payments[index]
        if payment.reversed:
            self.notify(_("This payment was already reversed."), severity="warning")
            return
        if payment.method == "compensation":
            self.notify(
                _("A compensation by a rectifying invoice cannot be reversed."), severity="warning"
            )
            return

        def done(result: Any) -> None:
            if result is not None:
                self.notify(_("Payment reversed."))
                self.action_reload()

        self.app.push_screen(reverse_payment_form(payment), done)

    def action_rectify(self) -> None:
        from ...services import invoices
        from .sales_support import MODE_LABELS as MODES

        original = self.detail

        def submit(values: dict[str, Any]) -> int:
            return invoices.create_rectifying_draft(original.id, values["mode"], values["reason"])

        form = PromptForm(
            _("Rectify {code}").format(code=original.code),
            [
                FieldSpec(
                    "mode",
                    _("Mode"),
                    "select",
                    choices=[(_(MODES[m]), m) for m in invoices.RECTIFICATION_MODES],
                ),
                FieldSpec("reason", _("Reason"), required=True, max_length=200),
            ],
            submit,
            {"mode": "difference"},
            hint=_(
                "By difference: lines with what changes (negative quantities take away). By "
                "replacement: the original is cancelled and restated in full."
            ),
        )

        def created(draft_id: int | None) -> None:
            if draft_id is not None:
                self.notify(_("Rectifying draft created: check its lines, then F9 issues it."))
                self.app.open_invoice(draft_id)  # type: ignore[attr-defined]

        self.app.push_screen(form, created)

    def action_pdf(self) -> None:
        from ...services import printing

        d = self.detail
        invoice_id = d.id

        def render() -> bytes:
            return printing.print_invoice(invoice_id).data

        filename = f"{d.code}.pdf" if d.code else f"draft-{d.id}.pdf"
        form = pdf_form(_("PDF of {code}").format(code=d.display_code), filename, render)

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(_("Written {path}").format(path=path))

        self.app.push_screen(form, written)

    def action_client(self) -> None:
        self.app.open_client(self.detail.client_id)  # type: ignore[attr-defined]

    def action_email(self) -> None:
        """The send dialog (services.email): the PDF to the billing contact."""
        self.app.send_document("invoice", self.detail.id)  # type: ignore[attr-defined]

    def returned(self) -> None:
        """Back from another screen (an editor, a view, another mode): re-read."""
        self.action_reload()
