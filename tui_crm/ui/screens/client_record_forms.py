"""Forms for a client's records: addresses, contacts, projects and opportunities.

Each form creates a record when opened without one, or saves an edit with the
version it was opened at (a colleague's save in between shows the conflict
dialog). Validation is the services'; the forms only collect and show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ...i18n import _
from ..widgets.form import FieldSpec, FormScreen


def _text(value: object) -> str:
    return "" if value is None else str(value)


class RecordForm(FormScreen[int]):
    """Create (no `record_id`) or edit one record of a client; dismisses with its id."""

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

    # subclasses: create(values) -> id, update(values, version) -> new version,
    # load() -> (version, values)

    def create(self, values: dict[str, Any]) -> int:
        raise NotImplementedError

    def update(self, values: dict[str, Any], version: int) -> int:
        raise NotImplementedError

    def load(self) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

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

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        return asdict(data)

    def _data(self, values: dict[str, Any]):
        from ...services.addresses import AddressData

        return AddressData(**{k: values[k] for k in values})

    def create(self, values: dict[str, Any]) -> int:
        from ...services import addresses

        return addresses.create_address(self.client_id, self._data(values))

    def update(self, values: dict[str, Any], version: int) -> int:
        from ...services import addresses

        assert self.record_id is not None
        return addresses.update_address(self.record_id, self._data(values), version)

    def load(self) -> tuple[int, dict[str, Any]]:
        from ...services import addresses

        assert self.record_id is not None
        row = addresses.get_address(self.record_id)
        return row.version, self.values_of(row.data)


# --- contacts ----------------------------------------------------------------------


class ContactForm(RecordForm):
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

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        return asdict(data)

    def _data(self, values: dict[str, Any]):
        from ...services.contacts import ContactData

        return ContactData(**values)

    def create(self, values: dict[str, Any]) -> int:
        from ...services import contacts

        return contacts.create_contact(self.client_id, self._data(values))

    def update(self, values: dict[str, Any], version: int) -> int:
        from ...services import contacts

        assert self.record_id is not None
        return contacts.update_contact(self.record_id, self._data(values), version)

    def load(self) -> tuple[int, dict[str, Any]]:
        from ...services import contacts

        assert self.record_id is not None
        row = contacts.get_contact(self.record_id)
        return row.version, self.values_of(row.data)


# --- projects ----------------------------------------------------------------------


class ProjectForm(RecordForm):
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

    def _data(self, values: dict[str, Any]):
        from ...services.projects import ProjectData

        return ProjectData(**values)

    def create(self, values: dict[str, Any]) -> int:
        from ...services import projects

        return projects.create_project(self.client_id, self._data(values))

    def update(self, values: dict[str, Any], version: int) -> int:
        from ...services import projects

        assert self.record_id is not None
        return projects.update_project(self.record_id, self._data(values), version)

    def load(self) -> tuple[int, dict[str, Any]]:
        from ...services import projects

        assert self.record_id is not None
        row = projects.get_project(self.record_id)
        return row.version, self.values_of(row.data)


# --- opportunities -----------------------------------------------------------------


class OpportunityForm(RecordForm):
    """`projects` and `owners` are (label, value) choices read before the form opens."""

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

    def _data(self, values: dict[str, Any]):
        from ...services.opportunities import OpportunityData
        from ...services.records import optional_id

        return OpportunityData(**{**values, "project_id": optional_id(values.get("project_id"))})

    def create(self, values: dict[str, Any]) -> int:
        from ...services import opportunities

        return opportunities.create_opportunity(self.client_id, self._data(values))

    def update(self, values: dict[str, Any], version: int) -> int:
        from ...services import opportunities

        assert self.record_id is not None
        return opportunities.update_opportunity(self.record_id, self._data(values), version)

    def load(self) -> tuple[int, dict[str, Any]]:
        from ...services import opportunities

        assert self.record_id is not None
        row = opportunities.get_opportunity(self.record_id)
        return row.version, self.values_of(row.data)
