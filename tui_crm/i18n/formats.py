"""Numbers, amounts, percentages and dates as the current language writes them.

"1.234,50" and "7,3 %" in Spanish, "1,234.50" and "7.3 %" in English; dates dd/mm/yyyy
in Spanish, ISO in English. What a person reads (the command line's plain and github
formats, messages); JSON and CSV keep plain numbers. babel is imported when used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import current_language

_LOCALES = {"es": "es_ES", "en": "en_IE"}


def locale_name() -> str:
    return _LOCALES.get(current_language(), "en_IE")


def amount_text(value: Decimal | int | float) -> str:
    """An amount with its cents and thousands separators, no currency: 1.234,50 / 1,234.50."""
    from babel.numbers import format_decimal

    return format_decimal(Decimal(str(value)), format="#,##0.00", locale=locale_name())


def money_text(value: Decimal) -> str:
    """An amount in euros: 1.234,50 € / €1,234.50."""
    from babel.numbers import format_currency

    return format_currency(value, "EUR", locale=locale_name())


def number_text(value: Decimal | int | float, decimals: int = 2) -> str:
    """A number with up to `decimals` decimals: 7,3 / 7.3; 12.345 / 12,345."""
    from babel.numbers import format_decimal

    pattern = "#,##0." + "#" * decimals if decimals else "#,##0"
    return format_decimal(Decimal(str(value)), format=pattern, locale=locale_name())


def percent_text(value: Decimal | int | float, decimals: int = 2, *, fixed: bool = False) -> str:
    """A percentage (12.5 means 12.5 %): "12,5 %" / "12.5 %"; `fixed` keeps every decimal
    ("1,50 %"), for a column of them."""
    from babel.numbers import format_decimal

    pattern = "#,##0." + ("0" if fixed else "#") * decimals if decimals else "#,##0"
    return format_decimal(Decimal(str(value)), format=pattern, locale=locale_name()) + " %"


def date_text(value: dt.date | None) -> str:
    """dd/mm/yyyy in Spanish, yyyy-mm-dd in English; "" for no date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y") if current_language() == "es" else value.isoformat()


def datetime_text(value: dt.datetime | None) -> str:
    """A moment to the minute in the language's date format."""
    if value is None:
        return ""
    return f"{date_text(value.date())} {value:%H:%M}"
