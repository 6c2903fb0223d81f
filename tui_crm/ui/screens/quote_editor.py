"""The quote editor: every field of a quote on two pages, "Lines" and "Terms".

Lines: title, date, validity (a date, or a number of days), IRPF, recargo, IVA
exemption, and the line editor with running totals (shipping charged is included,
as the service adds it: `quotes.with_shipping`). Terms: delivery time, shipping
(included / not included / an amount), payment terms and milestones, warranty,
commercial conditions and internal notes (never printed). ctrl+t switches pages,
ctrl+s saves; only draft and sent quotes are edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent

from ...i18n import _
from ..labels import QUOTE_STATUS_LABELS, SHIPPING_LABELS, label
from ..widgets.line_editor import EditLine, TaxContext, number_text
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


def load_quote_for_edit(quote_id: int) -> EditorData:
    from ...services import quotes

    return saved_document(quotes.get_quote(quote_id))


def quote_values(detail: Any) -> dict[str, Any]:
    data = detail.data
    return {
        "title": data.title,
        "date": iso(data.date),
        "valid_until": iso(data.valid_until),
        "valid_days": str(data.valid_days) if data.valid_days is not None else "",
        "irpf_rate": number_text(data.irpf_rate or 0),
        "recargo": bool(data.recargo),
        "exemption_reason": data.exemption_reason or "",
        "delivery_time": data.delivery_time,
        "shipping_mode": data.shipping_mode,
        "shipping": number_text(data.shipping, 2) if data.shipping else "",
        "payment_terms": data.payment_terms,
        "milestones": data.milestones,
        "warranty": data.warranty,
        "conditions": data.conditions,
        "internal_notes": data.internal_notes,
        "project": project_value(data.project_id),
    }


class QuoteEditor(DocumentEditor):
    """A new quote, or a draft or sent one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "switch_page", _("Lines/terms"), id="switch_page"),
    ]

    def __init__(self, data: EditorData):
        self.data = data
        self._validity_by_days = False
        detail = data.detail
        if detail is None:
            defaults = data.defaults
            today = dt.date.today()
            values = {
                "title": "",
                "date": today.isoformat(),
                "valid_until": "",
                "valid_days": "30",
                "irpf_rate": number_text(defaults.irpf_rate),
                "recargo": defaults.recargo,
                "exemption_reason": defaults.exemption_reason,
                "delivery_time": "",
                "shipping_mode": "included",
                "shipping": "",
                "payment_terms": defaults.payment_terms,
                "milestones": "",
                "warranty": "",
                "conditions": "",
                "internal_notes": "",
                "project": project_value(data.project_id),
            }
            lines: list[EditLine] = []
            self._validity_by_days = True
        else:
            values = quote_values(detail)
            lines = [EditLine.of(line) for line in detail.lines]
        super().__init__(
            values,
            lines,
            record_id=detail.id if detail else None,
            version=detail.version if detail else None,
        )

    def pages(self) -> Sequence[Page]:
        shipping = [(label(SHIPPING_LABELS, m), m) for m in ("included", "not_included", "amount")]
        lines_page = Page(
            "lines",
            _("Lines"),
            [
                [
                    HeaderField("title", _("Title"), "text", label_width=14),
                    HeaderField(
                        "project", _("Project"), "select", 28, choices=self.data.project_choices()
                    ),
                ],
                [
                    HeaderField("date", _("Date"), "date", 10, label_width=14),
                    HeaderField("valid_until", _("Valid until"), "date", 10),
                    HeaderField("valid_days", _("or days"), "int", 4),
                ],
                [
                    HeaderField(
                        "exemption_reason",
                        _("IVA exemption"),
                        "text",
                        label_width=14,
                        placeholder=_("legal reason when the lines carry no IVA"),
                    ),
                    HeaderField("irpf_rate", _("IRPF %"), "percent", 3),
                    HeaderField("recargo", _("Recargo"), "bool"),
                ],
            ],
        )
        terms_page = Page(
            "terms",
            _("Terms"),
            [
                [
                    HeaderField("delivery_time", _("Delivery time"), "text", label_width=16),
                    HeaderField("shipping_mode", _("Shipping"), "select", 16, choices=shipping),
                    HeaderField("shipping", _("amount"), "money", 10),
                ],
                [HeaderField("payment_terms", _("Payment terms"), "multiline", label_width=16)],
                [HeaderField("milestones", _("Milestones"), "multiline", label_width=16)],
                [HeaderField("warranty", _("Warranty"), "multiline", label_width=16)],
                [HeaderField("conditions", _("Conditions"), "multiline", label_width=16)],
                [HeaderField("internal_notes", _("Internal notes"), "multiline", label_width=16)],
            ],
        )
        return [lines_page, terms_page]

    def first_focus(self) -> str:
        return "#hf-title" if self.record_id is None else "#le-table"

    def line_totals(self) -> Callable[[list[Any], TaxContext], Any]:
        """Totals as the service stores them: the lines plus shipping when charged."""
        from ...money import MoneyError, parse_amount
        from ...services.lines import preview_totals
        from ...services.quotes import with_shipping

        def totals(lines: list[Any], tax: TaxContext) -> Any:
            mode, amount = "included", Decimal(0)
            if self.is_mounted:
                values = self.values()
                mode = values.get("shipping_mode") or "included"
                try:
                    amount = parse_amount(str(values.get("shipping") or "0"))
                except MoneyError:
                    amount = Decimal(0)
            charged = with_shipping(lines, mode, amount, tax.recargo, bool(tax.exemption_reason))
            return preview_totals(charged, tax.irpf_rate, tax.recargo)

        return totals

    def header_changed(self, values: dict[str, Any], key: str) -> None:
        if key == "valid_days":
            self._validity_by_days = True
        elif key == "valid_until":
            self._validity_by_days = False
        if key in ("shipping_mode", "shipping"):
            self.line_editor.refresh_totals()

    def title_text(self) -> str:
        detail = self.data.detail
        if detail is None:
            return _("New quote") if self.record_id is None else _("Quote")
        return _("Quote {code} ({status})").format(
            code=detail.code, status=label(QUOTE_STATUS_LABELS, detail.status)
        )

    def action_switch_page(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = "page-terms" if tabs.active == "page-lines" else "page-lines"
        pane = tabs.get_pane(tabs.active)
        target = "#le-table" if tabs.active == "page-lines" else ".doc-field"
        self.call_after_refresh(lambda: pane.query(target).first().focus())

    # --- saving -------------------------------------------------------------------------

    def quote_input(self, values: dict[str, Any], lines: list[Any]) -> Any:
        from ...money import MoneyError, parse_amount
        from ...services import quotes
        from ...services.errors import ValidationError
        from ...services.records import parse_date

        errors: dict[str, str] = {}
        date = parse_date(values.get("date"), errors, "date")
        valid_until = parse_date(values.get("valid_until"), errors, "valid_until")
        valid_days: Any = None
        days_text = str(values.get("valid_days") or "").strip()
        if self._validity_by_days or valid_until is None:
            valid_until = None
            if days_text:
                valid_days = int(days_text) if days_text.lstrip("-").isdigit() else days_text
        shipping_text = str(values.get("shipping") or "").strip()
        shipping = Decimal(0)
        if shipping_text:
            try:
                shipping = parse_amount(shipping_text)
            except MoneyError:
                errors["shipping"] = _("is not an amount (e.g. 1234.50)")
        if errors:
            raise ValidationError(errors)
        detail = self.data.detail
        data = detail.data if detail else None
        return quotes.QuoteInput(
            client_id=self.data.defaults.client_id,
            title=str(values.get("title") or ""),
            lines=lines,
            date=date,
            valid_days=valid_days,
            valid_until=valid_until,
            delivery_time=str(values.get("delivery_time") or ""),
            shipping_mode=str(values.get("shipping_mode") or "included"),
            shipping=shipping,
            payment_terms=str(values.get("payment_terms") or ""),
            milestones=str(values.get("milestones") or ""),
            warranty=str(values.get("warranty") or ""),
            conditions=str(values.get("conditions") or ""),
            internal_notes=str(values.get("internal_notes") or ""),
            irpf_rate=parse_percent(str(values.get("irpf_rate", ""))),
            recargo=bool(values.get("recargo")),
            exemption_reason=str(values.get("exemption_reason") or ""),
            project_id=project_of(values),
            opportunity_id=data.opportunity_id if data else None,
            address_id=data.address_id if data else self.data.defaults.address_id,
        )

    def persist(self, values: dict[str, Any], lines: list[Any]) -> tuple[int, int]:
        from ...services import quotes

        data = self.quote_input(values, lines)
        if self.record_id is None:
            quote_id = quotes.create_quote(data)
            detail = quotes.get_quote(quote_id)
        else:
            assert self.version is not None
            quotes.update_quote(self.record_id, data, self.version)
            detail = quotes.get_quote(self.record_id)
        self.data = replace(self.data, detail=detail)
        self._validity_by_days = False
        return detail.id, detail.version

    def _saved(self, record_id: int, version: int, then: Callable[[], None] | None) -> None:
        # The service derives the validity date from the days (and the other way round).
        detail = self.data.detail
        if detail is not None:
            fresh = quote_values(detail)
            self.set_values(
                {"valid_until": fresh["valid_until"], "valid_days": fresh["valid_days"]}
            )
        super()._saved(record_id, version, then)

    def reload(self) -> tuple[dict[str, Any], list[EditLine], int] | None:
        from ...services import quotes

        if self.record_id is None:
            return None
        detail = quotes.get_quote(self.record_id)
        self.data = replace(self.data, detail=detail)
        return quote_values(detail), [EditLine.of(line) for line in detail.lines], detail.version
