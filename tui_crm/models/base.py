"""Field types and the base model. Models are thin: no business rules live here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee

from ..db import database
from ..money import (
    bp_to_rate,
    from_cents,
    milli_to_quantity,
    quantity_to_milli,
    rate_to_bp,
    to_cents,
)


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC (naive, ISO text) and shown in local time."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class MoneyField(peewee.BigIntegerField):
    """Decimal euros in Python, integer cents in the database (SQLite DECIMAL is a float)."""

    def db_value(self, value: Decimal | int | str | None) -> int | None:
        if value is None:
            return None
        return to_cents(value)

    def python_value(self, value: int | None) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))


class RateField(peewee.IntegerField):
    """A percent (21, 5.2, 15) stored as integer hundredths of a percent (2100, 520, 1500)."""

    def db_value(self, value: Decimal | int | str | None) -> int | None:
        if value is None:
            return None
        return rate_to_bp(value)

    def python_value(self, value: int | None) -> Decimal | None:
        if value is None:
            return None
        return bp_to_rate(int(value))


class QuantityField(peewee.BigIntegerField):
    """A quantity with up to three decimals, stored exactly as integer thousandths."""

    def db_value(self, value: Decimal | int | str | None) -> int | None:
        if value is None:
            return None
        return quantity_to_milli(value)

    def python_value(self, value: int | None) -> Decimal | None:
        if value is None:
            return None
        return milli_to_quantity(int(value))


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class VersionedModel(BaseModel):
    """A record people edit: `version` for optimistic locking, and who touched it last."""

    version = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    updated_by = peewee.CharField(max_length=64, default="")
