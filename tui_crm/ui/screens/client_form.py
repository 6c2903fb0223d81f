"""The client form (n new, e edit): every field of a client, its tags and custom fields.

It opens with the name focused, so `n`, a name and ctrl+s create a lead. On save
the services validate (reasons beside the fields); another record with the same
tax ID or email brings a warning that offers to open it; a colleague's save in
between brings the conflict dialog with reload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from textual.suggester import Suggester
from textual.widgets import Input

from ...i18n import _
from ..base import CrmNode
from ..dialogs.form import FieldSpec, FormScreen, field_id
from ..labels import METHOD_LABELS, PAYABLE_METHODS, label
from ..safe_text import one_line

ADDRESS_FIELDS = ("line1", "postal_code", "city", "province", "country")


@dataclass(frozen=True)
class ClientFormData:
    """What the form needs, read in a worker before it opens."""

    client_id: int | None
    version: int | None
    values: dict[str, Any]
    users: list[str]
    tags: list[str]
    definitions: list[Any]  # custom_fields.FieldDef
    name: str = ""


@dataclass(frozen=True)
class DuplicatesFound:
    """Save stopped: other records have the same tax ID or email."""

    duplicates: list[Any] = field(default_factory=list)  # clients.Duplicate


def client_values(client_id: int) -> tuple[int, dict[str, Any]]:
    """The form's values for a client: its data, tags and custom values (in a worker)."""
    from ...services import clients, custom_fields, tags

    detail = clients.get_client(client_id)
    values = asdict(detail.data)
    values["vat_rate"] = f"{detail.data.vat_rate.normalize():f}"
    values["irpf_rate"] = f"{detail.data.irpf_rate.normalize():f}"
    values["payment_days"] = str(detail.data.payment_days)
    values["tags"] = ", ".join(tags.tags_of(client_id))
    stored = custom_fields.values_of(client_id)
    for definition in custom_fields.list_definitions():
        value = stored.get(definition.key, "")
        if definition.kind == "bool":
            value = value == "yes"
        values[custom_fields.field_name(definition.key)] = value
    return detail.version, values


def load_form_data(client_id: int | None) -> ClientFormData:
    from ...services import custom_fields, settings, tags, users

    definitions = custom_fields.list_definitions()
    if client_id is None:
        values: dict[str, Any] = {
            "kind": "lead",
            "is_company": True,
            "tax_id_country": "ES",
            "country": "ES",
            "payment_days": settings.get("invoice.payment_days"),
            "vat_rate": settings.get("invoice.default_vat"),
            "irpf_rate": settings.get("invoice.default_irpf"),
            "payment_method": "transfer",
        }
        version = None
        name = ""
    else:
        version, values = client_values(client_id)
        name = values["legal_name"]
    return ClientFormData(
        client_id=client_id,
        version=version,
        values=values,
        users=[u.login for u in users.list_users() if u.active],
        tags=tags.all_tags(),
        definitions=definitions,
        name=name,
    )


class TagSuggester(Suggester):
    """Completes the tag being typed after the last comma from the business's tags."""

    def __init__(self, tags: Sequence[str]):
        super().__init__(use_cache=False, case_sensitive=True)
        self.tags = list(tags)

    async def get_suggestion(self, value: str) -> str | None:
        _head, _sep, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        for tag in self.tags:
            if tag.casefold().startswith(typed.casefold()) and tag != typed:
                prefix = value[: len(value) - len(typed)]
                return prefix + tag
        return None


class ClientForm(FormScreen[int]):
    """New or edit a client; dismisses with the client's id."""

    def __init__(self, data: ClientFormData):
        title = (
            _("New client or lead")
            if data.client_id is None
            else _("Edit {name}").format(name=one_line(data.name))
        )
        super().__init__(data.values, title=title)
        self.data = data
        self.client_id = data.client_id
        self.version = data.version
        self.duplicates_accepted = False
        self.on_open_other: Callable[[int], None] | None = None

    def fields(self) -> Sequence[FieldSpec]:
        from ...services.client_language import DOCUMENT_LANGUAGES, LANGUAGE_LABELS
        from ...services.custom_fields import field_name

        rates = [("21 %", "21"), ("10 %", "10"), ("4 %", "4"), ("0 %", "0")]
        irpf = [(_("none"), "0"), ("7 %", "7"), ("15 %", "15"), ("19 %", "19")]
        specs = [
            FieldSpec("legal_name", _("Legal name"), required=True, max_length=200),
            FieldSpec("trade_name", _("Trade name"), max_length=200),
            FieldSpec(
                "kind", _("Kind"), "select", choices=[(_("Lead"), "lead"), (_("Client"), "client")]
            ),
            FieldSpec("is_company", _("A company (not a person)"), "bool"),
            FieldSpec("tax_id_country", _("Tax ID country"), max_length=2),
            FieldSpec("tax_id", _("Tax ID (NIF, CIF, NIE, VAT)"), max_length=32),
            FieldSpec("email", _("Email"), max_length=254),
            FieldSpec("phone", _("Phone"), max_length=40),
            FieldSpec("mobile", _("Mobile"), max_length=40),
            FieldSpec("fax", _("Fax"), max_length=40),
            FieldSpec("website", _("Website"), max_length=200),
            FieldSpec(
                "owner_login",
                _("Account owner"),
                "select",
                choices=[(_("(nobody)"), "")] + [(u, u) for u in self.data.users],
            ),
            FieldSpec("payment_days", _("Payment days"), "int", max_length=3),
            FieldSpec(
                "payment_method",
                _("Payment method"),
                "select",
                choices=[(label(METHOD_LABELS, method), method) for method in PAYABLE_METHODS],
            ),
            FieldSpec("iban", _("IBAN"), max_length=40),
            FieldSpec(
                "language",
                _("Documents' language"),
                "select",
                choices=[(_(LANGUAGE_LABELS[code]), code) for code in DOCUMENT_LANGUAGES],
            ),
            FieldSpec("vat_rate", _("IVA"), "select", choices=rates),
            FieldSpec("vat_exempt", _("Exempt from IVA"), "bool"),
            FieldSpec("exemption_reason", _("Exemption reason"), max_length=200),
            FieldSpec("irpf_rate", _("IRPF withholding"), "select", choices=irpf),
            FieldSpec("recargo", _("Recargo de equivalencia"), "bool"),
            FieldSpec("tags", _("Tags (comma separated)"), placeholder=_("e.g. vip, madrid")),
        ]
        for definition in self.data.definitions:
            kind = {"date": "date", "bool": "bool", "choice": "select"}.get(definition.kind, "text")
            choices: list[tuple[str, str]] = []
            if kind == "select":
                choices = [("", "")] + [(c, c) for c in definition.choices]
            specs.append(
                FieldSpec(
                    field_name(definition.key),
                    definition.label,
                    kind,
                    choices=choices,
                    required=definition.required,
                    placeholder=_("a number") if definition.kind == "number" else "",
                )
            )
        if self.client_id is None:
            specs += [
                FieldSpec("line1", _("Address"), max_length=200),
                FieldSpec("postal_code", _("Postal code"), max_length=16),
                FieldSpec("city", _("City"), max_length=100),
                FieldSpec("province", _("Province"), max_length=100),
                FieldSpec("country", _("Country"), max_length=2),
            ]
        specs.append(FieldSpec("notes", _("Notes"), "multiline"))
        return specs

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(f"#{field_id('tags')}", Input).suggester = TagSuggester(self.data.tags)

    # --- saving (worker thread) --------------------------------------------------

    def _input(self, values: dict[str, Any]):
        from ...services.clients import ClientInput

        names = {f for f in ClientInput.__dataclass_fields__}
        return ClientInput(**{k: v for k, v in values.items() if k in names})

    def _custom(self, values: dict[str, Any]) -> dict[str, object]:
        from ...services.custom_fields import field_name

        return {d.key: values[field_name(d.key)] for d in self.data.definitions}

    def save(self, values: dict[str, Any]) -> Any:
        from ...services import clients
        from ...services.clients import AddressInput

        data = self._input(values)
        clean = clients.validate(data)
        if not self.duplicates_accepted and self._identity_changed(clean):
            duplicates = clients.find_duplicates(clean, exclude_id=self.client_id)
            if duplicates:
                return DuplicatesFound(duplicates)
        if self.client_id is None:
            address = AddressInput(**{k: values[k] for k in ADDRESS_FIELDS})
            return clients.create_client(
                data, address, tags=values["tags"], custom=self._custom(values)
            )
        assert self.version is not None
        self.version = clients.update_client(
            self.client_id, data, self.version, tags=values["tags"], custom=self._custom(values)
        )
        return self.client_id

    def _identity_changed(self, clean: Any) -> bool:
        if self.client_id is None:
            return True
        before = self.initial
        return (clean.tax_id or "") != (before.get("tax_id") or "") or (clean.email or "") != (
            before.get("email") or ""
        )

    def reload(self) -> dict[str, Any] | None:
        if self.client_id is None:
            return None
        self.version, values = client_values(self.client_id)
        return values

    def _saved(self, result: Any) -> None:
        if isinstance(result, DuplicatesFound):
            self._saving = False

            def chosen(answer: object) -> None:
                if answer == "save":
                    self.duplicates_accepted = True
                    self.action_save()
                elif isinstance(answer, int):
                    self.dismiss(None)
                    if self.on_open_other is not None:
                        self.on_open_other(answer)
                    else:
                        self.crm.open_client(answer)

            from ..dialogs.duplicates import DuplicateDialog

            self.app.push_screen(DuplicateDialog(result.duplicates), chosen)
            return
        super()._saved(result)


def open_client_form(
    node: CrmNode, client_id: int | None, on_saved: Callable[[int | None], None] | None = None
) -> None:
    """Read what the form needs in a worker, then show it (new when `client_id` is None)."""
    node.run_service(
        lambda: load_form_data(client_id),
        lambda data: node.app.push_screen(ClientForm(data), on_saved),
        group="client-form",
    )
