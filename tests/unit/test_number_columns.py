"""The command line's amount and percentage columns (issue 19): `fixed_number_writer`
writes a long column of numbers with the language's format read once, and with Python's
own grouping where that agrees with babel; every number must come out exactly as
`amount_text` and `percent_text(fixed=True)` write it, in both languages."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_crm.i18n import formats, in_language
from tui_crm.i18n.formats import amount_text, fixed_number_writer, percent_text

# Amounts in cents (what the reports hold), any other number of decimals (rounded by
# babel), and numbers beyond the checked range.
CENTS = st.decimals(min_value=-(10**14), max_value=10**14, places=2)
ANY_PLACES = st.integers(min_value=-6, max_value=6).flatmap(
    lambda places: st.integers(min_value=-(10**16), max_value=10**16).map(
        lambda n: Decimal(n).scaleb(-places)
    )
)
HUGE = st.decimals(min_value=-(10**22), max_value=10**22, places=2)
NUMBERS = st.one_of(CENTS, ANY_PLACES, HUGE, st.sampled_from([Decimal("-0"), Decimal("-0.00")]))


@pytest.mark.parametrize("language", ["en", "es"])
@settings(max_examples=500, deadline=None)
@given(value=NUMBERS)
def test_every_number_is_written_as_amount_text_and_percent_text_write_it(language, value) -> None:
    with in_language(language):
        write = fixed_number_writer(2)
        assert write(value) == amount_text(value)
        assert write(value) + " %" == percent_text(value, 2, fixed=True)


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [
        ("es", Decimal("-1234567.89"), "-1.234.567,89"),
        ("es", Decimal("1234.5"), "1.234,50"),
        ("es", Decimal("0.2500"), "0,25"),
        ("es", Decimal("-0.00"), "-0,00"),
        ("en", Decimal("2604686.77"), "2,604,686.77"),
        ("en", Decimal("0.125"), "0.12"),  # babel rounds half to even
    ],
)
def test_known_numbers(language, value, text) -> None:
    with in_language(language):
        assert fixed_number_writer(2)(value) == text


@pytest.mark.parametrize("rounding", [decimal.ROUND_FLOOR, decimal.ROUND_HALF_UP])
def test_numbers_to_round_are_babels_whatever_the_rounding_in_force(rounding) -> None:
    """babel rounds the magnitude, Python the signed value: only babel rounds."""
    with decimal.localcontext(rounding=rounding), in_language("es"):
        write = fixed_number_writer(2)
        for text in ("-0.125", "-1234.565", "2.675", "-0.001"):
            assert write(Decimal(text)) == amount_text(Decimal(text))


def test_the_shortcut_serves_both_languages_and_yields_where_babel_differs(monkeypatch) -> None:
    """Spanish and English take Python's grouping (the writer's name says which); Swiss
    English, whose "'" separator babel's pattern quoting swallows, is left to babel."""
    for language in ("en", "es"):
        with in_language(language):
            assert fixed_number_writer(2).__name__ == "write"
    monkeypatch.setattr(formats, "locale_name", lambda: "en_CH")
    write = fixed_number_writer(2)
    assert write.__name__ == "by_babel"
    assert write(Decimal("1234567.89")) == format_decimal(
        Decimal("1234567.89"), format="#,##0.00", locale="en_CH"
    )


@pytest.mark.parametrize("locale", ["lt", "nb_NO", "fr_FR", "ar", "fa", "hi", "de_CH", "en_IN"])
@settings(max_examples=100, deadline=None)
@given(value=NUMBERS)
def test_other_locales_agree_with_babel_too(locale, value) -> None:
    """The check against babel is what makes the shortcut safe, whatever the separators
    (no-break spaces, Arabic marks): a language the app may gain later stays exact."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formats, "locale_name", lambda: locale)
        write = fixed_number_writer(2)
    assert write(value) == format_decimal(value, format="#,##0.00", locale=locale)
