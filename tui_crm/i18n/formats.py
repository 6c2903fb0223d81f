"""Numbers, amounts, percentages and dates as the current language writes them.

"1.234,50" and "7,3 %" in Spanish, "1,234.50" and "7.3 %" in English; dates dd/mm/yyyy
in Spanish, ISO in English. What a person reads (the command line's plain and github
formats, messages); JSON and CSV keep plain numbers. babel is imported when used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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


def fixed_number_writer(decimals: int = 2) -> Callable[[Decimal], str]:
    """What `amount_text` (decimals=2) and `percent_text(fixed=True)` without its " %"
    write, for a long column of them (a report of 71,000 rows): babel's pattern and
    locale are parsed once instead of per number, and a number that needs no rounding is
    written by Python's own grouping (`format(value, ",.2f")`) with the language's symbols
    put in, ~1 µs instead of babel's ~14. That shortcut is taken only when it writes what
    babel writes for this language on numbers of every length and sign, checked here
    against babel itself: where babel writes otherwise (Swiss English's "'" separator,
    which the pattern's quoting swallows; a future babel's minimum grouping), babel
    writes every number."""
    from babel import Locale
    from babel.numbers import parse_pattern

    locale = Locale.parse(locale_name())
    pattern = parse_pattern("#,##0." + "0" * decimals if decimals else "#,##0")
    step = Decimal(1).scaleb(-decimals)
    spec = f",.{decimals}f"
    symbols = locale.number_symbols["latn"]  # format_decimal's numbering system
    group, point = symbols["group"], symbols["decimal"]

    def by_babel(value: Decimal) -> str:
        return pattern.apply(value, locale)

    def by_python(value: Decimal) -> str:
        # Python writes "," and "."; the language's symbols go in through a placeholder
        # (Spanish swaps them). Three replaces take a quarter of str.translate's time.
        return format(value, spec).replace(".", "\0").replace(",", group).replace("\0", point)

    if (group, point) == (",", "."):  # English's are Python's own: nothing to put in

        def by_python(value: Decimal) -> str:
            return format(value, spec)

    digits = "123456789012345"
    probes = [Decimal(v) for v in ("0", "-0", "0.5", "-0.05", "1E+3", "-12E+1")] + [
        Decimal(f"{sign}{digits[:n]}.{digits[n - 1 :][:decimals]}")
        for n in range(1, len(digits) + 1)
        for sign in ("", "-")
    ]
    if any(by_python(p) != by_babel(p) for p in probes):
        return by_babel
    checked = len(digits)

    def write(value: Decimal) -> str:
        if value.is_finite() and value.adjusted() < checked and value == value.quantize(step):
            return by_python(value)
        return by_babel(value)  # rounding, or beyond what was checked

    return write


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
