"""Money in exact integer cents, rounded exactly like `money.py` (Decimal ROUND_HALF_UP per
line, tax per rate on the sum of the line bases): the demo builds a million invoices without
a Decimal; tests/unit/test_demo.py recomputes a small run with `money.document_totals`."""

from __future__ import annotations

from collections.abc import Sequence


def rdiv(n: int, d: int) -> int:
    """n / d rounded half away from zero (Decimal ROUND_HALF_UP), for d > 0."""
    if n >= 0:
        return (2 * n + d) // (2 * d)
    return -((-2 * n + d) // (2 * d))


def line_base_cents(quantity_milli: int, unit_price_cents: int, discount_bp: int = 0) -> int:
    """`money.line_base` in integers: quantity × price less the discount, rounded per line."""
    return rdiv(quantity_milli * unit_price_cents * (10_000 - discount_bp), 10_000_000)


def line_cost_cents(quantity_milli: int, unit_cost_cents: int) -> int:
    return rdiv(quantity_milli * unit_cost_cents, 1000)


def percent_cents(base_cents: int, rate_bp: int) -> int:
    """`money.percent_of` in integers."""
    return rdiv(base_cents * rate_bp, 10_000)


def totals_cents(
    lines: Sequence[tuple[int, int, int, int, int, int]], irpf_bp: int = 0
) -> tuple[int, int, int, int, int, int]:
    """`money.document_totals` in integer cents.

    `lines` are (quantity_milli, unit_price_cents, discount_bp, vat_bp, recargo_bp,
    unit_cost_cents); returns (base, vat, recargo, irpf, total, cost).
    """
    groups: dict[tuple[int, int], int] = {}
    cost = 0
    for qty, price, discount, vat_bp, rec_bp, unit_cost in lines:
        key = (vat_bp, rec_bp)
        groups[key] = groups.get(key, 0) + line_base_cents(qty, price, discount)
        cost += line_cost_cents(qty, unit_cost)
    base = vat = rec = 0
    for (vat_bp, rec_bp), group_base in groups.items():
        base += group_base
        vat += percent_cents(group_base, vat_bp)
        rec += percent_cents(group_base, rec_bp)
    irpf = percent_cents(base, irpf_bp)
    return base, vat, rec, irpf, base + vat + rec - irpf, cost
