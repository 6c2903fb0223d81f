"""Custom fields the business defines for its clients, and their values per client.

Kinds: text, number, date, choice (one of a list), bool (yes/no). Values are
stored as text in a normal form (numbers "1234.5", dates ISO, yes/no "yes"/"no")
and checked against their definition on every save; a required field must have
a value. Definitions are the business's settings (admins); values are part of
the client (whoever may change clients).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..db import execute, transactional
from ..i18n import N_, _
from ..models import CUSTOM_FIELD_KINDS, CustomFieldDef, CustomFieldValue
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import live_client, model_rows

KIND_LABELS = {
    "text": N_("text"),
    "number": N_("number"),
    "date": N_("date"),
    "choice": N_("choice"),
    "bool": N_("yes/no"),
}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_YES = ("yes", "y", "true", "1", "si", "sí", "s", "on")
_NO = ("no", "n", "false", "0", "off")


@dataclass(frozen=True)
class FieldDef:
    id: int
    key: str
    label: str
    kind: str
    choices: tuple[str, ...]
    required: bool
    position: int
    active: bool


@dataclass
class FieldDefInput:
    key: str = ""
    label: str = ""
    kind: str = "text"
    choices: tuple[str, ...] | list[str] | str = ()
    required: bool = False
    position: int = 0
    active: bool = True


def _def(row: CustomFieldDef) -> FieldDef:
    try:
        choices = tuple(str(c) for c in json.loads(row.choices or "[]"))
    except ValueError:
        choices = ()
    return FieldDef(
        row.id, row.key, row.label, row.kind, choices, row.required, row.position, row.active
    )


def list_definitions(*, include_inactive: bool = False) -> list[FieldDef]:
    """The business's custom fields in their display order."""
    rows = model_rows(CustomFieldDef, "1 = 1" if include_inactive else "active", [], "position, id")
    return [_def(CustomFieldDef(**r)) for r in rows]


def _choices(value: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    seen: list[str] = []
    for item in items:
        text = clean_input(str(item))
        if text and text not in seen:
            seen.append(text)
    return tuple(seen)


def _validate_def(data: FieldDefInput, exclude_id: int | None = None) -> FieldDefInput:
    errors: dict[str, str] = {}
    key = clean_input(data.key).lower()
    label = clean_input(data.label)
    if not _KEY.match(key):
        errors["key"] = _("use lower-case letters, digits and _ (starting with a letter)")
    else:
        clash = CustomFieldDef.select().where(CustomFieldDef.key == key)
        if exclude_id is not None:
            clash = clash.where(CustomFieldDef.id != exclude_id)
        if clash.exists():
            errors["key"] = _("another custom field already uses this key")
    if not label:
        errors["label"] = _("is required")
    elif len(label) > 100:
        errors["label"] = _("is longer than {n} characters").format(n=100)
    if data.kind not in CUSTOM_FIELD_KINDS:
        errors["kind"] = _("must be one of {values}").format(values=", ".join(CUSTOM_FIELD_KINDS))
    choices = _choices(data.choices)
    if data.kind == "choice" and not choices:
        errors["choices"] = _("a choice field needs at least one option")
    if errors:
        raise ValidationError(errors)
    return FieldDefInput(
        key, label, data.kind, choices, bool(data.required), int(data.position), bool(data.active)
    )


@transactional
def create_definition(data: FieldDefInput) -> int:
    """Define a new custom field for every client (business settings: admins only)."""
    require("settings.write")
    clean = _validate_def(data)
    row = CustomFieldDef.create(
        key=clean.key,
        label=clean.label,
        kind=clean.kind,
        choices=json.dumps(list(clean.choices), ensure_ascii=False),
        required=clean.required,
        position=clean.position,
        active=clean.active,
    )
    audit.record(
        "create",
        "custom_field",
        row.id,
        changes={"key": (None, clean.key), "kind": (None, clean.kind)},
        summary=clean.label,
    )
    return row.id


@transactional
def update_definition(field_id: int, data: FieldDefInput) -> None:
    """Change a definition. The kind of a field that already has values cannot change."""
    require("settings.write")
    row = CustomFieldDef.get_or_none(CustomFieldDef.id == field_id)
    if row is None:
        raise NotFound(_("custom field {id} does not exist").format(id=field_id))
    clean = _validate_def(data, exclude_id=field_id)
    has_values = CustomFieldValue.select().where(CustomFieldValue.field == field_id).exists()
    if clean.kind != row.kind and has_values:
        raise ValidationError(
            {"kind": _("clients already have values for this field; add a new field instead")}
        )
    before = _def(row)
    CustomFieldDef.update(
        key=clean.key,
        label=clean.label,
        kind=clean.kind,
        choices=json.dumps(list(clean.choices), ensure_ascii=False),
        required=clean.required,
        position=clean.position,
        active=clean.active,
    ).where(CustomFieldDef.id == field_id).execute()
    audit.record(
        "update",
        "custom_field",
        field_id,
        changes={
            name: (getattr(before, name), getattr(clean, name))
            for name in ("key", "label", "kind", "required", "active")
            if getattr(before, name) != getattr(clean, name)
        },
        summary=clean.label,
    )


@transactional
def delete_definition(field_id: int) -> None:
    """Delete a custom field and every client's value for it."""
    require("settings.write")
    row = CustomFieldDef.get_or_none(CustomFieldDef.id == field_id)
    if row is None:
        raise NotFound(_("custom field {id} does not exist").format(id=field_id))
    CustomFieldDef.delete().where(CustomFieldDef.id == field_id).execute()
    audit.record(
        "delete", "custom_field", field_id, changes={"key": (row.key, None)}, summary=row.label
    )


def normalise(definition: FieldDef, raw: object) -> str:
    """The stored form of a value for `definition`, or ValueError saying what is wrong."""
    if isinstance(raw, bool):
        text = "yes" if raw else "no"
    else:
        text = clean_input("" if raw is None else str(raw))
    if not text:
        if definition.required:
            raise ValueError(_("is required"))
        return ""
    kind = definition.kind
    if kind == "text":
        if len(text) > 1000:
            raise ValueError(_("is longer than {n} characters").format(n=1000))
        return text
    if kind == "number":
        try:
            number = Decimal(text.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("is not a number")) from None
        if not number.is_finite():
            raise ValueError(_("is not a number"))
        return format(number.normalize(), "f")
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            try:
                return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
            except ValueError:
                raise ValueError(_("is not a date (expected YYYY-MM-DD)")) from None
    if kind == "choice":
        if text not in definition.choices:
            raise ValueError(
                _("must be one of {values}").format(values=", ".join(definition.choices))
            )
        return text
    if kind == "bool":
        folded = text.casefold()
        if folded in _YES:
            return "yes"
        if folded in _NO:
            return "no"
        raise ValueError(_("must be yes or no"))
    raise ValueError(_("has an unknown kind"))


def field_name(key: str) -> str:
    """How a custom field is named in forms and ValidationError: "custom.<key>"."""
    return f"custom.{key}"


def values_of(client_id: int) -> dict[str, str]:
    """The client's custom values by field key (active and inactive fields)."""
    query = execute(
        "SELECT d.key, v.value FROM custom_field_value v "
        "JOIN custom_field_def d ON d.id = v.field_id WHERE v.client_id = ?",
        (client_id,),
    )
    return {key: value for key, value in query}


def check_values(values: dict[str, object], *, partial: bool = False) -> dict[str, str]:
    """Normalised values by key, or ValidationError with "custom.<key>" fields.

    Unless `partial`, every active required field must be present and non-empty.
    """
    definitions = {d.key: d for d in list_definitions()}
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[field_name(key)] = _("is not a custom field of this business")
            continue
        try:
            clean[key] = normalise(definition, raw)
        except ValueError as exc:
            errors[field_name(key)] = str(exc)
    if not partial:
        for key, definition in definitions.items():
            if definition.required and key not in values:
                errors[field_name(key)] = _("is required")
    if errors:
        raise ValidationError(errors)
    return clean


def write_values(client_id: int, clean: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Store already-checked values (inside the caller's transaction); returns the changes."""
    ids = {d.key: d.id for d in list_definitions(include_inactive=True)}
    before = values_of(client_id)
    changes: dict[str, tuple[str, str]] = {}
    for key, value in clean.items():
        old = before.get(key, "")
        if old == value:
            continue
        changes[field_name(key)] = (old, value)
        if value == "":
            CustomFieldValue.delete().where(
                (CustomFieldValue.client == client_id) & (CustomFieldValue.field == ids[key])
            ).execute()
        else:
            CustomFieldValue.insert(field=ids[key], client=client_id, value=value).on_conflict(
                conflict_target=[CustomFieldValue.field, CustomFieldValue.client],
                update={CustomFieldValue.value: value},
            ).execute()
    return changes


@transactional
def set_values(client_id: int, values: dict[str, object]) -> None:
    """Change some custom values of a client (checked against their definitions), audited."""
    require("clients.write")
    client = live_client(client_id)
    clean = check_values(values, partial=True)
    changes = write_values(client_id, clean)
    if changes:
        audit.record(
            "update",
            "client",
            client_id,
            client_id=client_id,
            changes=changes,
            summary=client.legal_name,
        )


def display(definition: FieldDef, value: str) -> str:
    """A stored value as a person reads it."""
    if definition.kind == "bool" and value:
        return _("yes") if value == "yes" else _("no")
    return value
