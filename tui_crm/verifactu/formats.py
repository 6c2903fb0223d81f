"""How VERI*FACTU writes values (AEAT's web-service description, 6.7 and 6.8).

Dates are dd-mm-yyyy; amounts have "." as decimal mark, no leading zeros and here always
two decimals ("12.35", "-0.40", "0.00"), the exact text that goes in the XML and into the
hash; rates likewise ("21.00", "5.20"); the time of generation is ISO 8601 in Spain's
peninsular time with its offset ("2026-01-15T10:20:30+01:00"). Text fields are trimmed.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # ImporteSgn12.2Type: 12 digits and 2 decimals


class FormatError(ValueError):
    """A value VERI*FACTU cannot carry (an amount too large, a naive time)."""


def amount(value: Decimal) -> str:
    """An amount as the XML and the hash carry it: "1234.50", "-12.35", "0.00"."""
    if not isinstance(value, Decimal):
        raise FormatError(f"{value!r} is not a Decimal amount")
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded != value:
        raise FormatError(f"{value} has more than two decimals")
    if abs(rounded) > MAX_AMOUNT:
        raise FormatError(f"{value} is larger than VERI*FACTU's 12 digits")
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.00"
    return f"{rounded:.2f}"


def rate(value: Decimal) -> str:
    """A percent for TipoImpositivo / TipoRecargoEquivalencia: "21.00", "5.20", "0.50"."""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def date(value: dt.date) -> str:
    """dd-mm-yyyy, as every VERI*FACTU date and the QR code's `fecha`."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text.strip(), "%d-%m-%Y").date()


def timestamp(moment: dt.datetime) -> str:
    """FechaHoraHusoGenRegistro: the moment in Europe/Madrid, to the second, with its offset."""
    if moment.tzinfo is None:
        raise FormatError("the time of a record must carry its time zone")
    local = moment.astimezone(MADRID).replace(microsecond=0)
    return local.isoformat(timespec="seconds")


def parse_timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise FormatError(f"{text!r} has no offset")
    return value


def now() -> dt.datetime:
    return dt.datetime.now(MADRID).replace(microsecond=0)


def new_installation_number(moment: dt.datetime | None = None) -> str:
    """AEAT's recommendation (FAQ 4): the moment of installation, to the second."""
    return (moment or now()).strftime("%Y%m%d%H%M%S")
