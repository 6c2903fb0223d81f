"""First run: the business's own fiscal data, which every invoice needs."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from ...i18n import _
from ...services import settings
from ..base import CrmModalScreen

FIELDS = (
    "company.name",
    "company.tax_id",
    "company.address",
    "company.postal_code",
    "company.city",
    "company.province",
    "company.country",
    "invoice.default_vat",
    "invoice.default_irpf",
    "invoice.series",
    "verifactu.enabled",
)
SELECTS = {
    "invoice.default_vat": ("21", "10", "4", "0"),
    "invoice.default_irpf": ("0", "7", "15", "19"),
    "verifactu.enabled": ("yes", "no"),
}


def _option(key: str, value: str) -> str:
    if key == "verifactu.enabled":
        return _("yes") if value == "yes" else _("no")
    return f"{value} %"


def _first_value(key: str, values: dict[str, str]) -> str:
    """What the form starts with: the stored value, except VERI*FACTU, which this form (shown
    to a business without its fiscal data: a new one) proposes on, as the law requires it."""
    if key == "verifactu.enabled":
        return "yes"
    return values.get(key) or SELECTS[key][0]


def _field_id(key: str) -> str:
    return "field-" + key.replace(".", "-")


def _store(values: dict[str, str]) -> None:
    """Check every value (the required ones must be there now) and store them all, or
    raise ValidationError naming each wrong field (in a worker)."""
    from ...services.errors import ValidationError

    errors = {k: _("is required") for k in settings.REQUIRED_FOR_INVOICING if not values[k]}
    for key, value in values.items():
        if value and key not in errors:
            try:
                settings.validate(key, value, country=values.get("company.country"))
            except ValidationError as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    settings.set_many(values)


class FirstRunScreen(CrmModalScreen[bool]):
    """Asks once for the issuer data; escape leaves it for later (it asks again next time)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="save"),
        Binding("escape", "later", _("Later"), id="later"),
    ]

    def __init__(self, values: dict[str, str]):
        super().__init__()
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="first-run"):
            yield Static(_("Welcome to tui-crm"), id="first-run-title")
            yield Static(
                _(
                    "Every invoice carries your business's fiscal data. Fill it in once; "
                    "you can change it later with `tui-crm config set`."
                ),
                id="first-run-intro",
            )
            with VerticalScroll(id="first-run-fields"):
                for key in FIELDS:
                    with Horizontal(classes="field-row"):
                        yield Label(settings.label(key), classes="field-label")
                        if key in SELECTS:
                            yield Select(
                                [(_option(key, v), v) for v in SELECTS[key]],
                                value=_first_value(key, self.values),
                                allow_blank=False,
                                compact=True,
                                id=_field_id(key),
                            )
                        else:
                            yield Input(
                                value=self.values.get(key, ""), compact=True, id=_field_id(key)
                            )
                    yield Label("", classes="field-error", id=_field_id(key) + "-error")
            yield Static(
                _(
                    "VERI*FACTU: from 1 January 2027 (companies) and 1 July 2027 (everyone "
                    "else) every invoice must be recorded for AEAT: each issued invoice gets a "
                    "chained record and a QR code, and the records go to AEAT. Once on, it "
                    "stays on. Certificate and environment: Settings."
                ),
                id="first-run-verifactu",
            )
            yield Static(_("ctrl+s save · escape later · tab next field"), id="first-run-keys")
            yield Button(_("Save"), id="first-run-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#{_field_id('company.name')}", Input).focus()

    def _collect(self) -> dict[str, str]:
        values = {}
        for key in FIELDS:
            widget = self.query_one(f"#{_field_id(key)}")
            value = widget.value
            values[key] = "" if value is None or value == Select.BLANK else str(value)
        return values

    @on(Button.Pressed, "#first-run-save")
    def action_save(self) -> None:
        for label in self.query(".field-error"):
            label.update("")
            label.remove_class("-shown")
        self._save(self._collect())

    def _save(self, values: dict[str, str]) -> None:
        self.run_service(
            lambda: _store(values),
            lambda _stored: self._saved(),
            refused=self._refused,
            group="first-run-save",
            exclusive=True,
        )

    def _refused(self, exc: Exception) -> bool:
        from ...services.errors import ValidationError

        if isinstance(exc, ValidationError):
            self._show_errors(exc.errors)
            return True
        return False

    def _show_errors(self, errors: dict[str, str]) -> None:
        first = None
        for key in (k for k in FIELDS if k in errors):  # focus the first, in form order
            reason = errors[key]
            if key in FIELDS:
                error = self.query_one(f"#{_field_id(key)}-error", Label)
                error.update(reason)
                error.add_class("-shown")
                first = first or key
        if first:
            self.query_one(f"#{_field_id(first)}").focus()
        self.notify(_("Please correct the highlighted fields."), severity="warning")

    def _saved(self) -> None:
        self.notify(_("Business data saved."))
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(False)
