"""Helpers shared by the services of a client's records (addresses, contacts, timeline ...).

- `live_client(id)`: the client a record hangs on must exist and not be merged away;
- `save_versioned(...)`: the optimistic-locking update (`WHERE id = ? AND version = ?`)
  that raises ConflictError naming who saved first and when;
- `parse_date` / `parse_money` / `parse_int`: what people type, with a reason when wrong;
  `read_date` / `read_amount`: the same for one field of a form, raising ValidationError.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

import peewee

from ..i18n import _
from ..models import Client
from ..models.base import utcnow
from ..money import MoneyError, parse_amount
from .errors import ConflictError, ConflictInfo, NotFound, ValidationError
from .session import login

R = TypeVar("R")


def live_client(client_id: int) -> Client:
    """The client, or NotFound when it does not exist or was merged into another."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None or client.status == "merged":
        raise NotFound(_("client {id} does not exist").format(id=client_id))
    return client


def when_text(moment: dt.datetime | None) -> str:
    if moment is None:
        return "?"
    return moment.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def save_versioned(
    model: type[peewee.Model],
    record_id: int,
    expected_version: int,
    values: dict[str, Any],
    *,
    entity: str,
    what: str,
    before: dict[str, Any] | None = None,
) -> int:
    """Write `values` if the record is still at `expected_version`; return the new version.

    Nothing is written when a colleague saved meanwhile: ConflictError says who
    and when, and lists the fields where their version differs from `values`.
    """
    rows = (
        model.update(version=model.version + 1, updated_at=utcnow(), updated_by=login(), **values)
        .where((model.id == record_id) & (model.version == expected_version))
        .execute()
    )
    if rows:
        return expected_version + 1
    current = model.get_or_none(model.id == record_id)
    if current is None:
        raise NotFound(_("{what} {id} no longer exists").format(what=what, id=record_id))
    differences = {}
    for name, mine in values.items():
        theirs = getattr(current, name, None)
        if isinstance(theirs, peewee.Model):
            theirs = theirs.get_id()
        field = model._meta.fields.get(name)
        if isinstance(field, peewee.ForeignKeyField):
            theirs = getattr(current, field.object_id_name, None)
        if mine != theirs:
            differences[name] = (mine, theirs)
    info = ConflictInfo(
        entity=entity,
        entity_id=record_id,
        changed_by=current.updated_by,
        changed_at=current.updated_at,
        differences=differences,
    )
    raise ConflictError(
        info,
        _(
            "{user} changed this {what} at {when} (version {theirs}, you started from {mine}); "
            "nothing was saved"
        ).format(
            user=current.updated_by or "?",
            what=what,
            when=when_text(current.updated_at),
            theirs=current.version,
            mine=expected_version,
        ),
    )


def parse_date(value: object, errors: dict[str, str], name: str) -> dt.date | None:
    """A date from a date or ISO text ("" -> None); a wrong one is recorded in `errors`."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors[name] = _("is not a date (expected YYYY-MM-DD)")
    return None


def parse_money(value: object, errors: dict[str, str], name: str) -> Decimal:
    """An amount of money typed as "1.234,50", "1234.50" or a Decimal; never negative."""
    if value is None or value == "":
        return Decimal("0.00")
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value))
    except (MoneyError, ArithmeticError, ValueError):
        errors[name] = _("is not an amount (e.g. 1234.50)")
        return Decimal("0.00")
    if amount < 0:
        errors[name] = _("must not be negative")
    return amount


def read_date(value: object, key: str, *, required: bool = False) -> dt.date | None:
    """A date typed in a form (YYYY-MM-DD or DD/MM/YYYY; empty is None unless `required`);
    a wrong one raises ValidationError naming `key`."""
    errors: dict[str, str] = {}
    day = parse_date(value, errors, key)
    if day is None and required and not errors:
        errors[key] = _("is required")
    if errors:
        raise ValidationError(errors)
    return day


def read_amount(value: object, key: str, *, allow_negative: bool = False) -> Decimal:
    """An amount typed in a form ("1.234,50" or "1234.50"), required; negative only when
    `allow_negative`. A wrong one raises ValidationError naming `key`."""
    text = str(value or "").strip()
    if not text:
        raise ValidationError({key: _("is required")})
    try:
        amount = parse_amount(text)
    except MoneyError:
        raise ValidationError({key: _("is not an amount (e.g. 1234.50)")}) from None
    if amount < 0 and not allow_negative:
        raise ValidationError({key: _("must not be negative")})
    return amount


def parse_int(value: object, errors: dict[str, str], name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[name] = _("is not a whole number")
        return low
    if not low <= number <= high:
        errors[name] = _("must be between {low} and {high}").format(low=low, high=high)
    return number


def optional_id(value: object) -> int | None:
    """A record id from a form select ("" or None means none)."""
    if value in (None, "", 0, "0"):
        return None
    return int(value)  # type: ignore[arg-type]


def copy_record(record: R) -> R:
    """A shallow copy of a plain (not frozen, no slots) dataclass record, to clean in
    place: `dataclasses.replace` runs `__init__` with every field, five times slower,
    and an import copies three records per row."""
    clone = object.__new__(record.__class__)
    clone.__dict__.update(record.__dict__)
    return clone


def text_limit(value: str, limit: int, errors: dict[str, str], name: str) -> str:
    if len(value) > limit:
        errors[name] = _("is longer than {n} characters").format(n=limit)
    return value


# --- reading rows without building queries (hot paths: the client file, the lists) ----

_SELECTS: dict[type, tuple[str, list[tuple[str, Any]]]] = {}


def _select_of(model: type[peewee.Model]) -> tuple[str, list[tuple[str, Any]]]:
    """`SELECT <every column> FROM <table>` of a model and each field's converter (cached)."""
    cached = _SELECTS.get(model)
    if cached is None:
        fields = list(model._meta.sorted_fields)
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        converters = [(f.name, f.python_value) for f in fields]
        cached = (f'SELECT {columns} FROM "{model._meta.table_name}"', converters)
        _SELECTS[model] = cached
    return cached


def model_rows(
    model: type[peewee.Model], where: str, params: list[Any] | tuple, order_by: str = ""
) -> list[dict[str, Any]]:
    """Rows of `model` as {field name: Python value}, converted exactly as Peewee would,
    but from a prepared SQL string (building a Peewee query costs more than running it)."""
    from ..db import execute

    select, converters = _select_of(model)
    sql = f"{select} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    return [
        {name: convert(value) for (name, convert), value in zip(converters, row, strict=True)}
        for row in execute(sql, params)
    ]
