"""How values look on screen: money and dates in the user's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from ..i18n import count_text, current_language, ngettext

_LOCALES = {"es": "es_ES", "en": "en_IE"}


@lru_cache(maxsize=4)
def _locale(language: str):
    from babel import Locale

    return Locale.parse(_LOCALES.get(language, "en_IE"))


def money(amount: Decimal | None, currency: str = "EUR") -> str:
    """1234.5 -> "1.234,50 €" in Spanish, "€1,234.50" in English."""
    if amount is None:
        return ""
    from babel.numbers import format_currency

    return format_currency(amount, currency, locale=_locale(current_language()))


def rows_text(n: int) -> str:
    """How many rows a list shows: "1 row", "12,345 rows" / "1 fila", "12.345 filas"."""
    return ngettext("{n} row", "{n} rows", n).format(n=count_text(n))


def date(value: dt.date | None) -> str:
    if value is None:
        return ""
    if current_language() == "es":
        return value.strftime("%d/%m/%Y")
    return value.isoformat()


def local_datetime(value: dt.datetime | None) -> str:
    """Timestamps are stored in UTC and shown in local time."""
    if value is None:
        return ""
    local = value.replace(tzinfo=dt.UTC).astimezone()
    return f"{date(local.date())} {local:%H:%M}"
