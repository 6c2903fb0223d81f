"""Money and tax arithmetic: the single place that converts and rounds.

Amounts are integer cents in the database and `Decimal` in Python, never float.
Rounding is ROUND_HALF_UP to cents, per line; tax is computed per rate on the sum
of the line bases of that rate. Percentages (IVA, IRPF, recargo,
discounts) are `Decimal` percents in Python and integer hundredths of a percent
("basis points") in the database, so 5.2 % is stored as 520.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUANTITY_STEP = Decimal("0.001")
ZERO = Decimal("0.00")

# Spanish tax rates.
VAT_RATES = (Decimal("21"), Decimal("10"), Decimal("4"), Decimal("0"))
IRPF_RATES = (Decimal("0"), Decimal("7"), Decimal("15"), Decimal("19"))
# Recargo de equivalencia that goes with each IVA rate.
RECARGO_FOR_VAT = {
    Decimal("21"): Decimal("5.2"),
    Decimal("10"): Decimal("1.4"),
    Decimal("4"): Decimal("0.5"),
    Decimal("0"): Decimal("0"),
}


class MoneyError(ValueError):
    """A value that cannot be money, a quantity or a rate."""


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):  # a float has already lost cents: refuse it loudly
        raise MoneyError(f"float {value!r} is not accepted as money; use Decimal or str")
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is not a number")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def round_cents(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up (0.005 -> 0.01, -0.005 -> -0.01)."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal | int | str) -> int:
    """Decimal euros -> integer cents, rounding half up."""
    return int(round_cents(value) * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents -> Decimal euros with two decimals."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise MoneyError(f"{cents!r} is not an integer number of cents")
    return Decimal(cents).scaleb(-2)  # exact: the digits of the cents, two decimals


def rate_to_bp(rate: Decimal | int | str) -> int:
    """A percent (21, 5.2) -> integer hundredths of a percent (2100, 520)."""
    value = _decimal(rate)
    bp = value * 100
    if bp != bp.to_integral_value():
        raise MoneyError(f"rate {rate} has more than two decimals")
    return int(bp)


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros, and never in exponent form (10, not Decimal("1E+1"))."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def bp_to_rate(bp: int) -> Decimal:
    """Integer hundredths of a percent -> Decimal percent (520 -> 5.2)."""
    return _plain(Decimal(bp) / 100) if bp else Decimal(0)


def quantity_to_milli(quantity: Decimal | int | str) -> int:
    """A quantity (1.5 hours) -> integer thousandths, refusing what cannot be stored exactly."""
    value = _decimal(quantity)
    milli = value * 1000
    if milli != milli.to_integral_value():
        raise MoneyError(f"quantity {quantity} has more than three decimals")
    return int(milli)


def milli_to_quantity(milli: int) -> Decimal:
    return _plain(Decimal(milli) / 1000) if milli else Decimal(0)


def percent_of(base: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `base`, rounded half up to cents."""
    return round_cents(_decimal(base) * _decimal(rate) / HUNDRED)


def line_base(
    quantity: Decimal | int | str,
    unit_price: Decimal | int | str,
    discount: Decimal | int | str = 0,
) -> Decimal:
    """Net amount of one line: quantity × unit price less its discount percent, rounded per line."""
    gross = _decimal(quantity) * _decimal(unit_price)
    return round_cents(gross * (HUNDRED - _decimal(discount)) / HUNDRED)


@dataclass(frozen=True)
class Line:
    """What the tax arithmetic needs of one document line."""

    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    vat_rate: Decimal = Decimal(21)
    recargo_rate: Decimal = Decimal(0)
    unit_cost: Decimal = Decimal(0)

    @property
    def base(self) -> Decimal:
        return line_base(self.quantity, self.unit_price, self.discount)

    @property
    def cost(self) -> Decimal:
        return round_cents(_decimal(self.quantity) * _decimal(self.unit_cost))


@dataclass(frozen=True)
class TaxBreakdown:
    """One IVA rate (with its recargo) of a document: the legal "base per rate"."""

    vat_rate: Decimal
    recargo_rate: Decimal
    base: Decimal
    vat: Decimal
    recargo: Decimal


@dataclass(frozen=True)
class Totals:
    base: Decimal
    vat: Decimal
    recargo: Decimal
    irpf: Decimal
    total: Decimal
    cost: Decimal
    breakdown: tuple[TaxBreakdown, ...] = field(default_factory=tuple)

    @property
    def margin(self) -> Decimal:
        return self.base - self.cost


def document_totals(lines: Iterable[Line], irpf_rate: Decimal | int | str = 0) -> Totals:
    """Totals of a quote, order or invoice.

    Each line is rounded on its own; IVA and recargo are computed per rate on the
    sum of the bases of that rate; IRPF is withheld on the whole base and
    subtracted. Example: base 1000.00 + IVA 21 % 210.00 − IRPF 15 % 150.00 = 1060.00.
    """
    groups: dict[tuple[Decimal, Decimal], Decimal] = {}
    cost = ZERO
    for line in lines:
        key = (_decimal(line.vat_rate), _decimal(line.recargo_rate))
        groups[key] = groups.get(key, ZERO) + line.base
        cost += line.cost
    breakdown = tuple(
        TaxBreakdown(
            vat_rate=vat_rate,
            recargo_rate=recargo_rate,
            base=base,
            vat=percent_of(base, vat_rate),
            recargo=percent_of(base, recargo_rate),
        )
        for (vat_rate, recargo_rate), base in sorted(groups.items(), reverse=True)
    )
    base = sum((b.base for b in breakdown), ZERO)
    vat = sum((b.vat for b in breakdown), ZERO)
    recargo = sum((b.recargo for b in breakdown), ZERO)
    irpf = percent_of(base, _decimal(irpf_rate))
    return Totals(
        base=base,
        vat=vat,
        recargo=recargo,
        irpf=irpf,
        total=base + vat + recargo - irpf,
        cost=cost,
        breakdown=breakdown,
    )


_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_amount(text: str) -> Decimal:
    """Read an amount as people type it: "1.234,56", "1,234.56", "1234.56 €", "-12,5".

    The last separator followed by one or two digits is the decimal mark; any
    other separator groups thousands.
    """
    if not isinstance(text, str):  # a float has already lost cents
        raise MoneyError(f"{text!r} is not text to read an amount from")
    raw = _SPACES.sub("", text).replace("€", "").replace("EUR", "").strip()
    if not raw:
        raise MoneyError("empty amount")
    sign = ""
    if raw[0] in "+-":
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if not re.fullmatch(r"[0-9.,']+", raw) or not re.search(r"[0-9]", raw):
        raise MoneyError(f"{text!r} is not an amount")
    last = max(raw.rfind("."), raw.rfind(","))
    if last >= 0 and 1 <= len(raw) - last - 1 <= 2 and raw.count(raw[last]) == 1:
        integer, decimals = raw[:last], raw[last + 1 :]
    elif last >= 0 and raw.count(raw[last]) == 1 and len(raw) - last - 1 != 3:
        raise MoneyError(f"{text!r} is not an amount")
    else:
        integer, decimals = raw, ""
    if not re.fullmatch(r"[0-9]*|[0-9]{1,3}([.,'])[0-9]{3}(\1[0-9]{3})*", integer):
        raise MoneyError(f"{text!r} is not an amount")  # "1.2.3": not groups of thousands
    integer = re.sub(r"[.,']", "", integer) or "0"
    return _decimal(f"{sign}{integer}.{decimals or '0'}")
