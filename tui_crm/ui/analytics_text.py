"""How analytics figures read on screen: percentages, shares, changes and days in the
user's language (the client file's Analytics tab and the Reports screen share these)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from ..i18n import _, current_language
from .formatting import money

DASH = "—"
_LOCALES = {"es": "es_ES", "en": "en_IE"}  # the same locales as `formatting.money`


@lru_cache(maxsize=4)
def _locale(language: str):
    from babel import Locale

    return Locale.parse(_LOCALES.get(language, "en_IE"))


def percent(value: Decimal | None, decimals: int = 1) -> str:
    """A percentage (12.5 means 12.5 %): "12.5%" in English, "12,5 %" in Spanish; — if None."""
    if value is None:
        return DASH
    from babel.numbers import format_percent

    locale = _locale(current_language())
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    pattern = locale.percent_formats[None].pattern.replace("#,##0", digits, 1)  # "12,5 %"
    return format_percent(Decimal(value) / 100, pattern, locale=locale)


def share(fraction: Decimal | None, decimals: int = 1) -> str:
    """A share from 0 to 1 as a percentage: 0.8 -> "80.0%"."""
    return DASH if fraction is None else percent(Decimal(fraction) * 100, decimals)


def signed_percent(value: Decimal | None, decimals: int = 1) -> str:
    """A change in percent with its sign: "+100.0%", "−20.0%"; — when there is no base."""
    if value is None:
        return DASH
    text = percent(abs(value), decimals)
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def signed_money(amount: Decimal) -> str:
    """A change in euros with its sign: "+€2,000.00", "−€200.00"."""
    text = money(abs(amount))
    return ("+" if amount > 0 else "−" if amount < 0 else "") + text


def number(value: Decimal | None, decimals: int = 1) -> str:
    """A plain number in the user's language: 36.3 / 36,3; — if None."""
    if value is None:
        return DASH
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=_locale(current_language()))


def quantity(value: Decimal) -> str:
    """A quantity with the decimals it has (up to three): 5 / 2.5 / 0.125."""
    from babel.numbers import format_decimal

    return format_decimal(value, "#,##0.###", locale=_locale(current_language()))


def days(value: Decimal | None) -> str:
    """Days with one decimal: "36.3 days"; — if None."""
    if value is None:
        return DASH
    return _("{n} days").format(n=number(value))


def month_label(month: str) -> str:
    """ "2026-03" as the user reads it: "03/2026" in Spanish, "2026-03" in English."""
    if current_language() == "es" and len(month) == 7:
        return f"{month[5:]}/{month[:4]}"
    return month
