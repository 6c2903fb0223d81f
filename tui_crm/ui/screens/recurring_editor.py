"""A recurring invoice template in the document editor: the header fields title,
frequency, next date, end date, issue directly, series and IRPF above the line editor
with running totals. ctrl+s saves through `recurring.create_recurring` /
`update_recurring` (reasons beside the fields; a colleague's save -> conflict dialog).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ...i18n import N_, _, ngettext
from ..formatting import date as show_date
from ..widgets.line_editor import EditLine, TaxContext, number_text
from .document_editor import (
    DocumentEditor,
    EditorData,
    HeaderField,
    Page,
    iso,
    parse_percent,
    saved_document,
)

FREQUENCY_LABELS = {
    "monthly": N_("Monthly"),
    "quarterly": N_("Quarterly"),
    "yearly": N_("Yearly"),
}


def load_template(recurring_id: int) -> EditorData:
    from ...services import recurring

    return saved_document(recurring.get_recurring(recurring_id))


def template_values(data: Any) -> dict[str, Any]:
    return {
        "title": data.title,
        "frequency": data.frequency,
        "next_date": iso(data.next_date),
        "end_date": iso(data.end_date),
        "issue_directly": bool(data.issue_directly),
        "series": data.series,
        "irpf_rate": number_text(data.irpf_rate or 0),
    }


class RecurringEditor(DocumentEditor):
    """A recurring invoice template: its header and the lines every invoice will carry."""

    def __init__(self, data: EditorData):
        self.data = data
        defaults = data.defaults
        detail = data.detail
        if detail is None:
            values = {
                "title": "",
                "frequency": "monthly",
                "next_date": dt.date.today().isoformat(),
                "end_date": "",
                "issue_directly": False,
                "series": "",
                "irpf_rate": number_text(defaults.irpf_rate),
            }
            lines: list[EditLine] = []
        else:
            values = template_values(detail.data)
            lines = [EditLine.of(line) for line in detail.lines]
        super().__init__(
            values,
            lines,
            record_id=detail.id if detail else None,
            version=detail.version if detail else None,
        )

    def first_focus(self) -> str:
        return "#hf-title"

    def pages(self) -> Sequence[Page]:
        frequencies = [(_(text), key) for key, text in FREQUENCY_LABELS.items()]
        return [
            Page(
                "recurring",
                _("Recurring invoice"),
                [
                    [HeaderField("title", _("Title"), "text", label_width=11)],
                    [
                        HeaderField(
                            "frequency", _("Every"), "select", 14, frequencies, label_width=11
                        ),
                        HeaderField("next_date", _("Next"), "date", 10),
                        HeaderField("end_date", _("Ends"), "date", 10, placeholder=_("never")),
                    ],
                    [
                        HeaderField("series", _("Series"), "text", 4, label_width=11),
                        HeaderField("irpf_rate", _("IRPF %"), "percent", 3),
                        HeaderField("issue_directly", _("Issue directly"), "bool"),
                    ],
                ],
            )
        ]

    def tax_context(self, values: dict[str, Any]) -> TaxContext:
        irpf = parse_percent(str(values.get("irpf_rate", "")))
        defaults = self.data.defaults
        return TaxContext(
            recargo=bool(defaults.recargo),
            exemption_reason=str(defaults.exemption_reason or "").strip(),
            irpf_rate=irpf if isinstance(irpf, Decimal) else Decimal(0),
            default_vat=defaults.vat_rate,
        )

    def title_text(self) -> str:
        if self.record_id is None:
            return _("New recurring invoice")
        return _("Recurring invoice {id}").format(id=self.record_id)

    def subtitle_text(self) -> str:
        text = super().subtitle_text()
        detail = self.data.detail
        if detail is not None and detail.invoice_ids:
            made = ngettext("{n} invoice made", "{n} invoices made", len(detail.invoice_ids))
            text += " · " + made.format(n=len(detail.invoice_ids))
            if detail.last_run_date:
                text += " · " + _("last run {date}").format(date=show_date(detail.last_run_date))
        return text

    def template_input(self, values: dict[str, Any], lines: list[Any]) -> Any:
        from ...services import recurring
        from ...services.errors import ValidationError
        from ...services.records import parse_date

        errors: dict[str, str] = {}
        days = {key: parse_date(values.get(key), errors, key) for key in ("next_date", "end_date")}
        if errors:
            raise ValidationError(errors)
        detail = self.data.detail
        return recurring.RecurringInput(
            client_id=self.data.defaults.client_id,
            title=str(values.get("title") or ""),
            frequency=str(values.get("frequency") or "monthly"),
            next_date=days["next_date"],
            end_date=days["end_date"],
            issue_directly=bool(values.get("issue_directly")),
            series=str(values.get("series") or "").strip().upper(),
            irpf_rate=parse_percent(str(values.get("irpf_rate", ""))),
            lines=lines,
            active=detail.data.active if detail is not None else True,
        )

    def persist(self, values: dict[str, Any], lines: list[Any]) -> tuple[int, int]:
        from ...services import recurring

        data = self.template_input(values, lines)
        if self.record_id is None:
            recurring_id = recurring.create_recurring(data)
            self.data = load_template(recurring_id)
            return recurring_id, self.data.detail.version
        assert self.version is not None
        version = recurring.update_recurring(self.record_id, data, self.version)
        self.data = load_template(self.record_id)
        return self.record_id, version

    def reload(self) -> tuple[dict[str, Any], list[EditLine], int] | None:
        if self.record_id is None:
            return None
        self.data = load_template(self.record_id)
        detail = self.data.detail
        return template_values(detail.data), [EditLine.of(x) for x in detail.lines], detail.version
