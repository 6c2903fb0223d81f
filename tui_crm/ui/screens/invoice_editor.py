"""The invoice editor: a draft's header and lines; ctrl+s saves it, F9 issues it.

A new invoice starts from the client's defaults (series, payment terms -> due date,
IRPF, recargo, IVA exemption; `invoices.invoice_defaults`). Issuing saves first, then
asks for confirmation showing the number the invoice will get and its date
(`invoices.preview_issue`); a refusal (business data missing, an issue date earlier
than the series' last, no tax ID ...) is shown in a dialog with the service's reason.
Once issued, the editor gives way to the invoice's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from ...i18n import _
from ..labels import MODE_LABELS, label
from ..widgets.line_editor import EditLine, number_text
from .document_editor import (
    DocumentEditor,
    EditorData,
    HeaderField,
    Page,
    iso,
    parse_percent,
    project_of,
    project_value,
    saved_document,
)


def load_draft(invoice_id: int) -> EditorData:
    """An existing draft's data (in a worker)."""
    from ...services import invoices

    return saved_document(invoices.get_invoice(invoice_id))


AUTO = "auto"  # the exemption code guessed from the exemption's text


def draft_values(detail: Any) -> tuple[dict[str, Any], list[EditLine]]:
    """The editor's fields and editable lines of a saved draft (its VERI*FACTU coding too:
    type, exemption code, replaced invoices); the locked lines are the service's."""
    values = {
        "series": detail.series,
        "issue_date": iso(detail.issue_date),
        "operation_date": iso(detail.operation_date),
        "due_date": iso(detail.due_date),
        "irpf_rate": number_text(detail.irpf_rate),
        "recargo": detail.recargo,
        "payment_terms": detail.payment_terms,
        "exemption_reason": detail.exemption_reason,
        "notes": detail.notes,
        "rectification_reason": detail.rectification_reason,
        "invoice_type": detail.invoice_type,
        "exemption_code": detail.exemption_code or AUTO,
        "replaces": ", ".join(detail.replaces),
        "project": project_value(detail.project_id),
    }
    return values, [EditLine.of(line) for line in detail.lines if not line.locked]


def type_choices(rectifying: bool, current: str) -> list[tuple[str, str]]:
    """F1/F2/F3 for an invoice; R1-R4 for a rectifying one (or just R5, for a simplified)."""
    from ...services.verifactu import TYPE_LABELS

    if not rectifying:
        codes = ["F1", "F2", "F3"]
    elif current == "R5":
        codes = ["R5"]
    else:
        codes = ["R1", "R2", "R3", "R4"]
    return [(_(TYPE_LABELS[code]), code) for code in codes]


def exemption_choices() -> list[tuple[str, str]]:
    from ...services.verifactu import EXEMPTION_LABELS

    return [(_("from the reason"), AUTO)] + [
        (_(text), code) for code, text in EXEMPTION_LABELS.items()
    ]


class InvoiceEditor(DocumentEditor):
    """A draft invoice (new, or saved and not issued yet)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "issue", _("Issue"), id="issue"),
    ]

    def __init__(self, data: EditorData):
        self.data = data
        defaults = data.defaults
        detail = data.detail
        fixed: list[Any] = []
        note = ""
        if detail is None:
            values = {
                "series": defaults.series,
                "issue_date": "",
                "operation_date": "",
                "due_date": "",
                "irpf_rate": number_text(defaults.irpf_rate),
                "recargo": defaults.recargo,
                "payment_terms": defaults.payment_terms,
                "exemption_reason": defaults.exemption_reason,
                "notes": "",
                "invoice_type": "F1",
                "exemption_code": AUTO,
                "replaces": "",
                "project": project_value(data.project_id),
            }
            lines: list[EditLine] = []
        else:
            values, lines = draft_values(detail)
            fixed = [line for line in detail.lines if line.locked]
            if fixed:
                note = _(
                    "Cancels the {n} lines of {code} in full (kept by the service); below, the "
                    "invoice as it should have been."
                ).format(n=len(fixed), code=detail.rectifies_code or "")
        super().__init__(
            values,
            lines,
            record_id=detail.id if detail else None,
            version=detail.version if detail else None,
            fixed=fixed,
            fixed_note=note,
        )

    @property
    def is_rectifying(self) -> bool:
        return self.data.detail is not None and self.data.detail.kind == "rectifying"

    # --- the fields -------------------------------------------------------------------

    def pages(self) -> Sequence[Page]:
        first = [
            HeaderField("issue_date", _("Issue date"), "date", 10),
            HeaderField("operation_date", _("Operation"), "date", 10),
            HeaderField(
                "due_date",
                _("Due"),
                "date",
                10,
                # Left empty, the due date is the issue date plus the client's payment days.
                placeholder=_("+{days} days").format(days=self.data.defaults.payment_days),
            ),
        ]
        if not self.is_rectifying:
            first.insert(0, HeaderField("series", _("Series"), "text", 4, label_width=8))
        else:
            first[0] = HeaderField("issue_date", _("Issue date"), "date", 10, label_width=16)
        rows: list[list[HeaderField]] = [
            first,
            [
                HeaderField("payment_terms", _("Payment terms"), "text", label_width=16),
                HeaderField("irpf_rate", _("IRPF %"), "percent", 3),
                HeaderField("recargo", _("Recargo"), "bool"),
            ],
            [
                HeaderField(
                    "invoice_type",
                    _("Type"),
                    "select",
                    choices=type_choices(
                        self.is_rectifying, str(self.values_at_start.get("invoice_type", ""))
                    ),
                    label_width=16,
                ),
                HeaderField(
                    "replaces",
                    _("Replaces"),
                    "text",
                    placeholder=_("F3: numbers of the simplified invoices, comma-separated"),
                ),
            ],
            [
                HeaderField(
                    "exemption_reason",
                    _("IVA exemption"),
                    "text",
                    label_width=16,
                    placeholder=_("legal reason when the lines carry no IVA"),
                ),
                HeaderField(
                    "exemption_code", _("AEAT code"), "select", 30, choices=exemption_choices()
                ),
            ],
            [
                HeaderField(
                    "project",
                    _("Project"),
                    "select",
                    choices=self.data.project_choices(),
                    label_width=16,
                )
            ],
            [HeaderField("notes", _("Notes"), "multiline", label_width=16)],
        ]
        if self.is_rectifying:
            rows.insert(
                1, [HeaderField("rectification_reason", _("Reason"), "text", label_width=16)]
            )
        return [Page("invoice", _("Invoice"), rows)]

    def title_text(self) -> str:
        detail = self.data.detail
        if self.is_rectifying:
            assert detail is not None
            return _("Rectifying draft {id} for {code}").format(
                id=detail.id, code=detail.rectifies_code or ""
            )
        if self.record_id is None:
            return _("New invoice")
        return _("Draft invoice {id}").format(id=self.record_id)

    def subtitle_text(self) -> str:
        text = super().subtitle_text()
        if self.is_rectifying:
            detail = self.data.detail
            text += " · " + label(MODE_LABELS, detail.rectification_mode)
        return text

    # --- saving -------------------------------------------------------------------------

    def draft_input(self, values: dict[str, Any], lines: list[Any]) -> Any:
        from ...services import invoices
        from ...services.errors import ValidationError
        from ...services.records import parse_date

        errors: dict[str, str] = {}
        days = {
            key: parse_date(values.get(key), errors, key)
            for key in ("issue_date", "operation_date", "due_date")
        }
        if errors:
            raise ValidationError(errors)
        detail = self.data.detail
        return invoices.InvoiceDraftInput(
            client_id=self.data.defaults.client_id,
            lines=lines,
            series=str(values.get("series") or "").strip().upper(),
            issue_date=days["issue_date"],
            operation_date=days["operation_date"],
            due_date=days["due_date"],
            irpf_rate=parse_percent(str(values.get("irpf_rate", ""))),
            recargo=bool(values.get("recargo")),
            exemption_reason=str(values.get("exemption_reason") or ""),
            payment_terms=str(values.get("payment_terms") or ""),
            notes=str(values.get("notes") or ""),
            project_id=project_of(values),
            address_id=detail.address_id if detail else self.data.defaults.address_id,
            rectification_reason=str(values.get("rectification_reason") or ""),
            invoice_type=str(values.get("invoice_type") or ""),
            exemption_code=None
            if str(values.get("exemption_code") or AUTO) == AUTO
            else str(values.get("exemption_code")),
            replaces=[
                part
                for part in str(values.get("replaces") or "").replace(";", ",").split(",")
                if part.strip()
            ],
        )

    def persist(self, values: dict[str, Any], lines: list[Any]) -> tuple[int, int]:
        from ...services import invoices

        data = self.draft_input(values, lines)
        if self.record_id is None:
            invoice_id = invoices.create_draft(
                data, quote_id=self.data.quote_id, order_id=self.data.order_id
            )
            return invoice_id, invoices.get_invoice(invoice_id).version
        assert self.version is not None
        return self.record_id, invoices.update_draft(self.record_id, data, self.version)

    def reload(self) -> tuple[dict[str, Any], list[EditLine], int] | None:
        from ...services import invoices

        if self.record_id is None:
            return None
        detail = invoices.get_invoice(self.record_id)
        if detail.status != "draft":
            return None
        self.data = replace(self.data, detail=detail)
        values, lines = draft_values(detail)
        return values, lines, detail.version

    # --- issuing ------------------------------------------------------------------------

    def action_issue(self) -> None:
        """Save, then confirm with the number and date it will get, then issue."""
        self.action_save(then=self._preview)

    def _preview(self) -> None:
        from ..dialogs.issue import confirm_and_issue

        assert self.record_id is not None
        confirm_and_issue(self, self.record_id, self._issued)

    def _issued(self, detail: Any) -> None:
        from .invoice_view import InvoiceView

        self.app.switch_screen(InvoiceView(detail))
