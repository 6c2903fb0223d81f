"""Forms for a client's records: addresses, contacts, projects and opportunities.

Each form creates a record when opened without one, or saves an edit with the
version it was opened at (a colleague's save in between shows the conflict
dialog). Validation is the services'; the forms only collect and show.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, ClassVar

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen


def _text(value: object) -> str:
    return "" if value is None else str(value)


class RecordForm(FormScreen[int]):
    """Create (no `record_id`) or edit one record of a client; dismisses with its id.

    A form names its service module (`SERVICE`, under tui_crm.services, imported when
    used), the record (`RECORD`: the service has create_RECORD(client_id, data),
    update_RECORD(id, data, version) -> version, get_RECORD(id) -> a row with
    `version` and `data`, and delete_RECORD(id)) and the data class (`DATA`).
    """

    SERVICE: ClassVar[str]
    RECORD: ClassVar[str]
    DATA: ClassVar[str]

    def __init__(
        self,
        client_id: int,
        record_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
        *,
        title: str | None = None,
    ):
        super().__init__(initial, title=title)
        self.client_id = client_id
        self.record_id = record_id
        self.version = version

    @classmethod
    def _service(cls) -> Any:
        return importlib.import_module(f"...services.{cls.SERVICE}", __package__)

    @classmethod
    def get(cls, record_id: int) -> Any:
        """The record as its service gives it (`version`, `data` …), in a worker."""
        return getattr(cls._service(), f"get_{cls.RECORD}")(record_id)

    @classmethod
    def delete(cls, record_id: int) -> Any:
        """Delete the record (in a worker): the service checks it may."""
        return getattr(cls._service(), f"delete_{cls.RECORD}")(record_id)

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        """The form's values of a record's data (dates and amounts as text)."""
        return asdict(data)

    def to_data(self, values: dict[str, Any]) -> Any:
        """The service's data class from the form's values."""
        return getattr(self._service(), self.DATA)(**values)

    def create(self, values: dict[str, Any]) -> int:
        create = getattr(self._service(), f"create_{self.RECORD}")
        return create(self.client_id, self.to_data(values))

    def update(self, values: dict[str, Any], version: int) -> int:
        assert self.record_id is not None
        update = getattr(self._service(), f"update_{self.RECORD}")
        return update(self.record_id, self.to_data(values), version)

    def load(self) -> tuple[int, dict[str, Any]]:
        assert self.record_id is not None
        row = self.get(self.record_id)
        return row.version, self.values_of(row.data)

    def save(self, values: dict[str, Any]) -> int:
        if self.record_id is None:
            return self.create(values)
        assert self.version is not None
        self.version = self.update(values, self.version)
        return self.record_id

    def reload(self) -> dict[str, Any] | None:
        if self.record_id is None:
            return None
        self.version, values = self.load()
        return values


# --- addresses ---------------------------------------------------------------------


class AddressForm(RecordForm):
    TITLE_TEXT = ""
    SERVICE, RECORD, DATA = "addresses", "address", "AddressData"

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("label", _("Name (e.g. Head office)"), max_length=80),
            FieldSpec("line1", _("Street and number"), max_length=200),
            FieldSpec("line2", _("More address"), max_length=200),
            FieldSpec("postal_code", _("Postal code"), max_length=16),
            FieldSpec("city", _("City"), max_length=100),
            FieldSpec("province", _("Province"), max_length=100),
            FieldSpec("country", _("Country (two letters)"), max_length=2),
            FieldSpec("contact_name", _("Contact person"), max_length=200),
            FieldSpec("is_invoice_default", _("Default for invoices"), "bool"),
            FieldSpec("is_delivery_default", _("Default for deliveries"), "bool"),
            FieldSpec("is_quote_default", _("Default for quotes"), "bool"),
        ]


# --- contacts ----------------------------------------------------------------------


class ContactForm(RecordForm):
    SERVICE, RECORD, DATA = "contacts", "contact", "ContactData"

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("first_name", _("First name"), max_length=100),
            FieldSpec("last_name", _("Last name"), max_length=100),
            FieldSpec("position", _("Position"), max_length=100),
            FieldSpec("email", _("Email"), max_length=254),
            FieldSpec("phone", _("Phone"), max_length=40),
            FieldSpec("mobile", _("Mobile"), max_length=40),
            FieldSpec("is_billing", _("Receives the invoices"), "bool"),
            FieldSpec("notes", _("Notes"), "multiline"),
        ]


# --- projects ----------------------------------------------------------------------


class ProjectForm(RecordForm):
    SERVICE, RECORD, DATA = "projects", "project", "ProjectData"

    def fields(self) -> Sequence[FieldSpec]:
        from ...services.projects import STATUS_LABELS

        return [
            FieldSpec("name", _("Name"), required=True, max_length=200),
            FieldSpec(
                "status",
                _("Status"),
                "select",
                choices=[(_(label), key) for key, label in STATUS_LABELS.items()],
            ),
            FieldSpec("start_date", _("Start"), "date"),
            FieldSpec("end_date", _("End"), "date"),
            FieldSpec("budget", _("Budget (€)"), "money"),
            FieldSpec("description", _("Description"), "multiline"),
        ]

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        values = asdict(data)
        values["start_date"] = _text(values["start_date"])
        values["end_date"] = _text(values["end_date"])
        values["budget"] = _text(values["budget"])
        return values


# --- opportunities -----------------------------------------------------------------


class OpportunityForm(RecordForm):
    """`projects` and `owners` are (label, value) choices read before the form opens."""

    SERVICE, RECORD, DATA = "opportunities", "opportunity", "OpportunityData"

    def __init__(
        self,
        client_id: int,
        record_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
        *,
        projects: Sequence[tuple[str, Any]] = (),
        owners: Sequence[tuple[str, Any]] = (),
        title: str | None = None,
    ):
        super().__init__(client_id, record_id, version, initial, title=title)
        self.project_choices = [(_("(none)"), ""), *list(projects)]
        self.owner_choices = [(_("(nobody)"), ""), *list(owners)]

    def fields(self) -> Sequence[FieldSpec]:
        from ...services.opportunities import STAGE_LABELS

        return [
            FieldSpec("title", _("Title"), required=True, max_length=200),
            FieldSpec(
                "stage",
                _("Stage"),
                "select",
                choices=[(_(label), key) for key, label in STAGE_LABELS.items()],
            ),
            FieldSpec("amount", _("Amount (€)"), "money"),
            FieldSpec(
                "probability",
                _("Probability %"),
                "int",
                placeholder=_("empty: the stage's usual one"),
            ),
            FieldSpec("expected_close", _("Expected close"), "date"),
            FieldSpec("lost_reason", _("Lost because"), max_length=200),
            FieldSpec("project_id", _("Project"), "select", choices=self.project_choices),
            FieldSpec("owner_login", _("Owner"), "select", choices=self.owner_choices),
            FieldSpec("notes", _("Notes"), "multiline"),
        ]

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        values = asdict(data)
        values["amount"] = _text(values["amount"])
        values["probability"] = _text(values["probability"])
        values["expected_close"] = _text(values["expected_close"])
        values["project_id"] = values["project_id"] or ""
        return values

    def to_data(self, values: dict[str, Any]) -> Any:
        from ...services.records import optional_id

        return super().to_data({**values, "project_id": optional_id(values.get("project_id"))})
