"""An issued invoice, read-only: what was issued, its lines, totals and payments.

Keys: `p` registers a payment, `v` reverses the highlighted payment (with a reason),
`r` rectifies it (reason, mode and legal cause; the rectifying draft opens in the editor),
`o` prints its PDF to a file, `c` opens the client, `delete` voids it (an admin, after a
reason and a question: it should never have existed), `s` corrects its VERI*FACTU record
when AEAT refused it. The VERI*FACTU line says where its record stands.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Static

from ...i18n import _
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec
from ..dialogs.pdf import save_pdf
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import local_datetime, money
from ..labels import INVOICE_STATUS_LABELS, METHOD_LABELS, MODE_LABELS, label
from ..safe_text import one_line
from ..widgets.lazy_table import sanitize
from ..widgets.line_editor import totals_text
from .document_view import DocumentView


class InvoiceView(DocumentView):
    """One issued invoice."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("p", "pay", _("Payment"), id="pay"),
        Binding("v", "reverse", _("Reverse payment"), id="reverse"),
        Binding("r", "rectify", _("Rectify"), id="rectify"),
        Binding("o", "pdf", _("PDF"), id="pdf"),
        Binding("c", "client", _("Client"), id="client"),
        Binding("m", "email", _("Email"), id="email"),
        Binding("delete", "void", _("Void"), id="void"),
        Binding("s", "correct_record", _("Correct record"), id="correct_record"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    VIEW_ID = "iv"

    def __init__(self, detail: Any):
        super().__init__(detail)
        self.record: Any = None  # services.verifactu.RecordState, read in a worker

    def read(self) -> Any:
        from ...services import invoices

        return invoices.get_invoice(self.detail.id)

    def compose_below(self) -> ComposeResult:
        yield Static(Content(self._record_text()), id="iv-verifactu")
        yield Static(Content(self._payments_title()), id="iv-payments-title")
        yield DataTable(cursor_type="row", id="iv-payments")

    def first_focus(self) -> Widget:
        return self.query_one("#iv-payments") if self.detail.payments else self.lines

    def shown(self) -> None:
        """The payments, and where the VERI*FACTU record stands (read in a worker)."""
        from ...services import verifactu

        self.query_one("#iv-payments-title", Static).update(Content(self._payments_title()))
        self._fill_payments()
        invoice_id = self.detail.id
        self.run_service(lambda: verifactu.invoice_record_state(invoice_id), self._record_read)

    def _record_read(self, state: Any) -> None:
        self.record = state
        self.query_one("#iv-verifactu", Static).update(Content(self._record_text()))
        self.refresh_bindings()

    def _correctable(self) -> bool:
        """AEAT rejected the record, or accepted an alta with errors: it is corrected."""
        r = self.record
        if r is None or r.kind != "record":
            return False
        return r.status == "rejected" or (
            r.status == "accepted_with_errors" and r.record_type == "alta"
        )

    def _record_text(self) -> str:
        if self.record is None:
            return "VERI*FACTU: …"
        text = "VERI*FACTU: " + one_line(self.record.describe())
        if self._correctable():
            text += " · " + _("s corrects it")
        return text

    def _fill_payments(self) -> None:
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

    def title_text(self) -> str:
        d = self.detail
        kind = _("Rectifying invoice") if d.kind == "rectifying" else _("Invoice")
        if d.kind != "rectifying" and d.invoice_type == "F2":
            kind = _("Simplified invoice")
        return f"{kind} {d.display_code} ({d.invoice_type})"

    def status_text(self) -> str:
        return label(INVOICE_STATUS_LABELS, self.detail.status)

    def totals_text(self) -> str:
        return totals_text(self.detail.totals, self.detail.irpf_rate)

    def _amounts(self) -> str:
        d = self.detail
        return " · ".join(
            [
                _("Total {amount}").format(amount=money(d.totals.total)),
                _("Paid {amount}").format(amount=money(d.paid)),
                _("Outstanding {amount}").format(amount=money(d.outstanding)),
            ]
        )

    def facts(self) -> list[str]:
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
        if d.replaces:
            facts.append(
                _("Replaces the simplified invoices {codes}").format(codes=", ".join(d.replaces))
            )
        if d.status == "voided":
            facts.append(
                _("Voided by {user} {when}: {reason}").format(
                    user=d.voided_by,
                    when=local_datetime(d.voided_at),
                    reason=one_line(d.void_reason),
                )
            )
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
            return d.kind == "standard" and d.status != "voided"
        if action == "void":
            return d.status not in ("draft", "voided") and not d.imported
        if action == "correct_record":
            return self._correctable()
        if action == "reverse":
            return any(not p.reversed and p.method != "compensation" for p in d.payments)
        return True

    def action_pay(self) -> None:
        self.crm.register_payment(
            self.detail.client_id, self.detail.id, lambda _payment: self.action_reload()
        )

    def action_reverse(self) -> None:
        from .payment_form import reverse_payment_form

        table = self.query_one("#iv-payments", DataTable)
        index = table.cursor_row if table.row_count else -1
        payments = self.detail.payments
        if not 0 <= index < len(payments):
            self.nothing_selected()
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

        original = self.detail

        def submit(values: dict[str, Any]) -> int:
            return invoices.create_rectifying_draft(
                original.id, values["mode"], values["reason"], cause=values.get("cause") or "R1"
            )

        from ...services.verifactu import RECTIFYING_CAUSES, TYPE_LABELS

        causes = [(_(TYPE_LABELS[c]), c) for c in RECTIFYING_CAUSES]
        if original.invoice_type == "F2":  # a simplified invoice is always rectified by an R5
            causes = [(_(TYPE_LABELS["R5"]), "R5")]

        form = PromptForm(
            _("Rectify {code}").format(code=original.code),
            [
                FieldSpec(
                    "mode",
                    _("Mode"),
                    "select",
                    choices=[(label(MODE_LABELS, m), m) for m in invoices.RECTIFICATION_MODES],
                ),
                FieldSpec("reason", _("Reason"), required=True, max_length=200),
                FieldSpec("cause", _("Legal cause"), "select", choices=causes),
            ],
            submit,
            {"mode": "difference", "cause": causes[0][1]},
            hint=_(
                "By difference: lines with what changes (negative quantities take away). By "
                "replacement: the original is cancelled and restated in full. The legal cause "
                "is how AEAT classifies it (R1 for wrong data, returns and discounts)."
            ),
        )

        def created(draft_id: int | None) -> None:
            if draft_id is not None:
                self.notify(_("Rectifying draft created: check its lines, then F9 issues it."))
                self.crm.open_invoice(draft_id)

        self.app.push_screen(form, created)

    def action_void(self) -> None:
        """Ask for the reason, then once more, then void (the service checks it may)."""
        from ...services import verifactu

        d = self.detail
        reasons: dict[str, str] = {}

        def submit(values: dict[str, Any]) -> str:
            from ...services.errors import ValidationError

            reason = str(values.get("reason") or "").strip()
            if not reason:
                raise ValidationError({"reason": _("is required")})
            reasons["reason"] = reason
            return reason

        form = PromptForm(
            _("Void {code}").format(code=d.code),
            [FieldSpec("reason", _("Reason"), required=True, max_length=500)],
            submit,
            {},
            hint=_(
                "Only for an invoice that should never have existed (issued by mistake, no "
                "real sale). A wrong amount or detail of a real sale is corrected with a "
                "rectifying invoice (r). The invoice stays, marked voided; with VERI*FACTU a "
                "registro de anulación goes to AEAT. This cannot be undone."
            ),
        )

        def voided(result: Any) -> None:
            self.notify(_("{code} voided.").format(code=result.code))
            self.action_reload()

        def confirmed(ok: bool | None) -> None:
            if ok:
                reason = reasons["reason"]
                self.run_service(
                    lambda: verifactu.void_invoice(d.id, reason),
                    voided,
                    refusal_title=_("Cannot void"),
                )

        def asked(reason: str | None) -> None:
            if reason:
                question = _(
                    "Void {code} ({total}, {client})? It will no longer count as revenue or as "
                    "money owed. This cannot be undone."
                ).format(code=d.code, total=money(d.totals.total), client=one_line(d.client_name))
                self.app.push_screen(ConfirmDialog(question, yes=_("Void")), confirmed)

        self.app.push_screen(form, asked)

    def action_correct_record(self) -> None:
        from .verifactu import correction_form

        if not self._correctable():
            self.notify(_("Only a record AEAT rejected is corrected."), severity="warning")
            return

        def done(result: Any) -> None:
            if result is not None:
                self.notify(_("Correction recorded; it waits to be sent."))
                self.action_reload()

        form = correction_form(self.record.record_id, self.detail.code, self.record.record_type)
        self.app.push_screen(form, done)

    def action_pdf(self) -> None:
        from ...services import printing

        d = self.detail
        invoice_id = d.id
        filename = f"{d.code}.pdf" if d.code else f"draft-{d.id}.pdf"
        save_pdf(
            self,
            _("PDF of {code}").format(code=d.display_code),
            filename,
            lambda: printing.print_invoice(invoice_id),
        )

    def action_email(self) -> None:
        """The send dialog (services.email): the PDF to the billing contact."""
        self.crm.send_document("invoice", self.detail.id)
