"""Checks of what people type: tax IDs by country (python-stdnum), emails, phones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..i18n import _
from ..text import digits, has_control
from .errors import RuleViolation

EU_VAT_PREFIXES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    }
)
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")
PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")


@dataclass(frozen=True)
class TaxId:
    compact: str  # what duplicate checks compare: "B12345674", "ESB12345674"
    display: str  # what is stored and printed
    country: str  # ISO 3166 alpha-2 of the issuing country ("ES", "CZ", "FR"...)
    kind: str  # "nif", "vat", "ico", "dic", "other"


class TaxIdError(ValueError):
    pass


def _explain(exc: Exception, what: str) -> str:
    from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

    if isinstance(exc, InvalidLength):
        return _("has the wrong length for {what}").format(what=what)
    if isinstance(exc, InvalidChecksum):
        return _("is not {what}: the check digit or letter does not match").format(what=what)
    if isinstance(exc, InvalidComponent):
        return _("is not {what}: a part of it does not exist").format(what=what)
    if isinstance(exc, InvalidFormat):
        return _("is not {what}: it has characters that do not belong").format(what=what)
    return _("is not {what}").format(what=what)


def check_tax_id(value: str, country: str = "ES") -> TaxId:
    """Validate a tax ID for its country, raising TaxIdError with a reason a person understands.

    Spanish NIF/CIF/NIE, EU VAT numbers (a two-letter prefix), Czech IČO (8 digits)
    and DIČ ("CZ" + digits). Other countries are accepted as typed.
    """
    return _check_tax_id(value, country)


@lru_cache(maxsize=1024)
def _check_tax_id(value: str, country: str) -> TaxId:
    """check_tax_id, remembered: a save and an import check each value more than once
    (validate, then the compact form for duplicates). Only valid IDs are remembered
    (an exception is not), so every reason is phrased in the language of the moment."""
    from stdnum.exceptions import ValidationError as StdnumError

    raw = value.strip().upper()
    country = (country or "ES").strip().upper()
    if not raw:
        raise TaxIdError(_("is empty"))
    prefix = raw[:2]
    if prefix in EU_VAT_PREFIXES and not raw[:2].isdigit() and (prefix != country or len(raw) > 9):
        from stdnum.eu import vat

        try:
            compact = vat.validate(raw)
        except StdnumError as exc:
            raise TaxIdError(_explain(exc, _("a valid EU VAT number"))) from None
        issuing = "GR" if prefix == "EL" else prefix
        if prefix == "ES":
            return TaxId(compact, compact, "ES", "vat")
        return TaxId(compact, compact, issuing, "vat")
    if country == "ES":
        from stdnum.es import nif

        try:
            compact = nif.validate(raw)
        except StdnumError as exc:
            raise TaxIdError(_explain(exc, _("a valid Spanish NIF, CIF or NIE"))) from None
        return TaxId(compact, compact, "ES", "nif")
    if country == "CZ":
        from stdnum.cz import dic

        digits = re.sub(r"\D", "", raw)
        if len(digits) == 8:
            try:
                compact = dic.validate(digits)
            except StdnumError as exc:
                raise TaxIdError(_explain(exc, _("a valid Czech IČO"))) from None
            return TaxId(compact, compact, "CZ", "ico")
        try:
            compact = dic.validate(raw)
        except StdnumError as exc:
            raise TaxIdError(_explain(exc, _("a valid Czech DIČ"))) from None
        return TaxId("CZ" + compact, "CZ" + compact, "CZ", "dic")
    compact = re.sub(r"[\s.\-/]", "", raw)
    if not re.fullmatch(r"[A-Z0-9]{2,20}", compact):
        raise TaxIdError(_("is not a valid tax ID: use letters and digits only"))
    return TaxId(compact, raw, country, "other")


def check_email(value: str) -> str:
    """Return the email trimmed and lower-cased domain, or raise ValueError with the reason."""
    email = value.strip()
    if not EMAIL.match(email):
        raise ValueError(_("is not a valid email address (expected name@example.com)"))
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_phone(value: str) -> str:
    phone = value.strip()
    if not PHONE_CHARS.match(phone):
        raise ValueError(_("may contain only digits, spaces, + ( ) - . /"))
    count = len(digits(phone))
    if not 6 <= count <= 15:
        raise ValueError(_("must have between 6 and 15 digits"))
    return phone


def tax_id_variants(compact: str) -> list[str]:
    """The forms one tax ID may be on file as: a Spanish NIF "B12345674" is also the EU VAT
    "ESB12345674"; a Czech IČO "25596641" is also the DIČ "CZ25596641"."""
    if not compact:
        return []
    variants = {compact}
    if compact[:2] in ("ES", "CZ") and len(compact) > 2:
        variants.add(compact[2:])
    else:
        if len(compact) == 9:  # Spanish NIF/CIF/NIE length
            variants.add("ES" + compact)
        if compact.isdigit() and 8 <= len(compact) <= 10:  # Czech IČO / birth number
            variants.add("CZ" + compact)
    return sorted(variants)


def one_line_errors(values: dict[str, object]) -> dict[str, str]:
    """{field: reason} for every value that holds a control character or a line break: a
    name, a subject or a tax ID is one line (a newline in a client's name broke the email
    headers it went into). Checked on what was typed, before any cleaning."""
    return {
        name: _("must be one line, without control characters")
        for name, value in values.items()
        if isinstance(value, str) and has_control(value)
    }


def check_iban(value: str) -> str:
    """An IBAN checked by python-stdnum (country, length, check digits), shown in groups of
    four; ValueError with the reason otherwise."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        return iban.format(iban.validate(value))
    except StdnumError:
        raise ValueError(_("is not a valid IBAN (its length or check digits are wrong)")) from None


def issuer_nif(tax_id: str) -> str:
    """The business's Spanish NIF as VERI*FACTU writes it (9 characters, no "ES")."""
    raw = (tax_id or "").strip().upper()
    if raw.startswith("ES") and len(raw) == 11:
        raw = raw[2:]
    try:
        info = check_tax_id(raw, "ES")
    except TaxIdError:
        info = None
    if info is None or info.country != "ES" or len(info.compact) != 9:
        raise RuleViolation(
            _(
                "VERI*FACTU needs the business's Spanish NIF; {tax_id} is not one (set "
                "company.tax_id)"
            ).format(tax_id=tax_id or "—")
        )
    return info.compact
