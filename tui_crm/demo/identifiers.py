"""Valid Spanish identifiers for made-up people and companies: DNI, NIE, CIF, IBAN and the
SEPA creditor identifier (check digits computed, so python-stdnum accepts them)."""

from __future__ import annotations

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni(number: int) -> str:
    return f"{number:08d}{_DNI_LETTERS[number % 23]}"


def nie(prefix: str, number: int) -> str:
    value = int("XYZ".index(prefix) * 10_000_000 + number)
    return f"{prefix}{number:07d}{_DNI_LETTERS[value % 23]}"


def cif(letter: str, number: int) -> str:
    """A CIF with its control character (a digit; letter-controlled types get the letter)."""
    body = f"{number:07d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            total += d // 10 + d % 10
        else:
            total += d
    check = (10 - total % 10) % 10
    if letter in "KPQSNW":
        return f"{letter}{body}{'JABCDEFGHI'[check]}"
    return f"{letter}{body}{check}"


def _ccc_digit(digits: str) -> int:
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    value = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return {11: 0, 10: 1}.get(value, value)


def spanish_iban(bank: str, branch: str, account: str) -> str:
    """A valid Spanish IBAN (CCC control digits and IBAN check digits), grouped by four."""
    control = f"{_ccc_digit('00' + bank + branch)}{_ccc_digit(account)}"
    bban = bank + branch + control + account
    check = 98 - int(bban + "142800") % 97
    raw = f"ES{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def creditor_id(tax_id: str, business_code: str = "000") -> str:
    """The SEPA creditor identifier (AT-02) Spanish banks assign: ES, check digits (python-
    stdnum), a business code and the NIF: "ES23000B12345674"."""
    from stdnum.eu import at_02

    draft = f"ES00{business_code}{tax_id}"
    return f"ES{at_02.calc_check_digits(draft)}{business_code}{tax_id}"
