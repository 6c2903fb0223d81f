"""tui_crm.services.validation: tax IDs by country, emails and phones."""

from __future__ import annotations

import pytest

from tui_crm.services.validation import TaxIdError, check_email, check_phone, check_tax_id


@pytest.mark.parametrize(
    ("value", "country", "compact", "issuing", "kind"),
    [
        ("12345678Z", "ES", "12345678Z", "ES", "nif"),  # DNI / NIF of a person
        ("12345678z", "ES", "12345678Z", "ES", "nif"),
        (" 12345678-Z ", "ES", "12345678Z", "ES", "nif"),
        ("B12345674", "ES", "B12345674", "ES", "nif"),  # CIF of a company
        ("X1234567L", "ES", "X1234567L", "ES", "nif"),  # NIE of a foreigner
        ("ESB12345674", "ES", "ESB12345674", "ES", "vat"),
        ("FR40303265045", "ES", "FR40303265045", "FR", "vat"),
        ("FR40303265045", "FR", "FR40303265045", "FR", "vat"),
        ("DE136695976", "ES", "DE136695976", "DE", "vat"),
        ("DE 136 695 976", "DE", "DE136695976", "DE", "vat"),
        ("25596641", "CZ", "25596641", "CZ", "ico"),  # Czech IČO
        ("CZ25596641", "CZ", "CZ25596641", "CZ", None),  # Czech DIČ
        ("CZ25596641", "ES", "CZ25596641", "CZ", None),
    ],
)
def test_valid_tax_ids(value, country, compact, issuing, kind) -> None:
    tax_id = check_tax_id(value, country)
    assert tax_id.compact == compact
    assert tax_id.display == compact
    assert tax_id.country == issuing
    if kind is not None:
        assert tax_id.kind == kind


@pytest.mark.parametrize(
    ("value", "country", "words"),
    [
        ("12345678A", "ES", ("Spanish NIF", "check digit")),
        ("B12345675", "ES", ("Spanish NIF", "check digit")),
        ("X1234567A", "ES", ("Spanish NIF", "check digit")),
        ("1234567Z", "ES", ("Spanish NIF", "wrong length")),
        ("123456789Z", "ES", ("Spanish NIF", "wrong length")),
        ("ESB12345675", "ES", ("EU VAT", "check digit")),
        ("FR40303265046", "ES", ("EU VAT", "check digit")),
        ("DE136695977", "ES", ("EU VAT", "check digit")),
        ("DE13669597", "ES", ("EU VAT", "wrong length")),
        ("25596642", "CZ", ("Czech IČO", "check digit")),
        ("CZ25596642", "CZ", ("EU VAT", "check digit")),
        ("CZ123", "CZ", ("Czech DIČ", "length")),
    ],
)
def test_invalid_tax_ids_say_what_is_wrong(value, country, words) -> None:
    with pytest.raises(TaxIdError) as info:
        check_tax_id(value, country)
    message = str(info.value)
    for word in words:
        assert word in message
    # A length problem is never reported as a check digit problem, and vice versa.
    if "length" in words[-1]:
        assert "check digit" not in message
    else:
        assert "length" not in message


def test_length_and_check_digit_messages_differ() -> None:
    with pytest.raises(TaxIdError) as length:
        check_tax_id("1234567Z")
    with pytest.raises(TaxIdError) as checksum:
        check_tax_id("12345678A")
    assert str(length.value) != str(checksum.value)


def test_empty_and_garbage_tax_ids() -> None:
    with pytest.raises(TaxIdError, match="empty"):
        check_tax_id("   ")
    with pytest.raises(TaxIdError, match="Spanish NIF"):
        check_tax_id("hello!")


def test_other_countries_are_accepted_as_typed() -> None:
    tax_id = check_tax_id("us 12-3456789", "US")
    assert tax_id.compact == "US123456789"
    assert tax_id.country == "US"
    assert tax_id.kind == "other"
    with pytest.raises(TaxIdError, match="letters and digits"):
        check_tax_id("12#45", "US")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Garcia@Example.COM ", "Ana.Garcia@example.com"),
        ("facturas+2026@empresa.es", "facturas+2026@empresa.es"),
        ("josé@muñoz.es", "josé@muñoz.es"),
    ],
)
def test_valid_emails(value: str, expected: str) -> None:
    assert check_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "ana @example.com",
        "ana@example.c",
        "Ana <ana@example.com>",
        "a,b@example.com",
    ],
)
def test_invalid_emails(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid email"):
        check_email(value)


@pytest.mark.parametrize(
    "value", ["+34 600 123 456", "600123456", "(91) 555-12-34", "+420 602 123 456", "91/555.12.34"]
)
def test_valid_phones(value: str) -> None:
    assert check_phone(f"  {value} ") == value


def test_invalid_phones_give_the_reason() -> None:
    with pytest.raises(ValueError, match="only digits"):
        check_phone("600 12x 456")
    with pytest.raises(ValueError, match="only digits"):
        check_phone("call me")
    with pytest.raises(ValueError, match="between 6 and 15 digits"):
        check_phone("12345")
    with pytest.raises(ValueError, match="between 6 and 15 digits"):
        check_phone("+1 2345 6789 0123 4567")
