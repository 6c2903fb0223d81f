"""tui_crm.money: rounding, tax arithmetic, parsing, and the integer columns of the models."""

from __future__ import annotations

from decimal import Decimal

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_crm.models.base import BaseModel, MoneyField, QuantityField, RateField
from tui_crm.money import (
    RECARGO_FOR_VAT,
    Line,
    MoneyError,
    Totals,
    bp_to_rate,
    document_totals,
    from_cents,
    line_base,
    milli_to_quantity,
    parse_amount,
    percent_of,
    quantity_to_milli,
    rate_to_bp,
    round_cents,
    to_cents,
)

D = Decimal

# --- known answers -------------------------------------------------------------


def test_design_example_base_vat_irpf() -> None:
    totals = document_totals([Line(quantity=D(1), unit_price=D("1000.00"))], irpf_rate=D(15))
    assert totals.base == D("1000.00")
    assert totals.vat == D("210.00")
    assert totals.irpf == D("150.00")
    assert totals.recargo == D("0.00")
    assert totals.total == D("1060.00")
    assert str(totals.total) == "1060.00"
    assert len(totals.breakdown) == 1
    assert totals.breakdown[0].vat_rate == 21


@pytest.mark.parametrize(
    ("vat", "recargo", "expected_vat", "expected_recargo"),
    [
        (D(21), D("5.2"), D("21.00"), D("5.20")),
        (D(10), D("1.4"), D("10.00"), D("1.40")),
        (D(4), D("0.5"), D("4.00"), D("0.50")),
    ],
)
def test_recargo_de_equivalencia(vat, recargo, expected_vat, expected_recargo) -> None:
    assert RECARGO_FOR_VAT[vat] == recargo
    line = Line(quantity=D(1), unit_price=D(100), vat_rate=vat, recargo_rate=recargo)
    totals = document_totals([line])
    assert totals.vat == expected_vat
    assert totals.recargo == expected_recargo
    assert totals.total == D(100) + expected_vat + expected_recargo
    assert totals.breakdown[0].recargo == expected_recargo


def test_breakdown_per_rate_with_recargo_and_irpf() -> None:
    lines = [
        Line(D(2), D("50.00"), vat_rate=D(21), recargo_rate=D("5.2")),
        Line(D(1), D("200.00"), vat_rate=D(10), recargo_rate=D("1.4")),
        Line(D(1), D("300.00"), vat_rate=D(4), recargo_rate=D("0.5")),
        Line(D(3), D("10.00"), vat_rate=D(21), recargo_rate=D("5.2")),
    ]
    totals = document_totals(lines, irpf_rate=D(7))
    assert [(b.vat_rate, b.base, b.vat, b.recargo) for b in totals.breakdown] == [
        (D(21), D("130.00"), D("27.30"), D("6.76")),
        (D(10), D("200.00"), D("20.00"), D("2.80")),
        (D(4), D("300.00"), D("12.00"), D("1.50")),
    ]
    assert totals.base == D("630.00")
    assert totals.vat == D("59.30")
    assert totals.recargo == D("11.06")
    assert totals.irpf == D("44.10")
    assert totals.total == D("656.26")


def test_irpf_19_on_rents() -> None:
    totals = document_totals([Line(D(1), D("800.00"))], irpf_rate=19)
    assert totals.irpf == D("152.00")
    assert totals.total == D("800.00") + D("168.00") - D("152.00")


def test_line_is_rounded_on_its_own() -> None:
    # Three lines of half a cent are one cent each (per line), not 0.015 -> 0.02 overall.
    lines = [Line(D(1), D("0.005")) for _ in range(3)]
    assert document_totals(lines).base == D("0.03")


def test_vat_is_computed_per_rate_on_the_sum_of_bases() -> None:
    # Per line: 0.07 * 21 % = 0.0147 -> 0.01 twice = 0.02; on the sum 0.14 -> 0.0294 -> 0.03.
    lines = [Line(D(1), D("0.07")), Line(D(1), D("0.07"))]
    assert document_totals(lines).vat == D("0.03")


def test_half_up_rounding() -> None:
    assert round_cents("0.005") == D("0.01")
    assert round_cents("-0.005") == D("-0.01")
    assert round_cents("0.0049") == D("0.00")
    assert round_cents("2.675") == D("2.68")  # float 2.675 would give 2.67
    assert round_cents(D("1.125")) == D("1.13")
    assert round_cents(7) == D("7.00")
    assert to_cents("0.005") == 1
    assert to_cents("-0.005") == -1
    assert to_cents("1060.00") == 106000
    assert from_cents(106000) == D("1060.00")
    assert str(from_cents(5)) == "0.05"
    assert str(from_cents(-1)) == "-0.01"


def test_percent_of_rounds_half_up() -> None:
    assert percent_of(D("0.50"), D(21)) == D("0.11")  # 0.105
    assert percent_of(D("33.33"), D(15)) == D("5.00")  # 4.9995


def test_discount() -> None:
    assert line_base(3, "19.99", 10) == D("53.97")  # 59.97 * 0.9 = 53.973
    assert line_base("1.5", "33.33") == D("50.00")  # 49.995 half up
    assert line_base(1, "100", "12.5") == D("87.50")
    assert line_base(2, "10", 100) == D("0.00")
    line = Line(D(4), D("25.00"), discount=D(20), unit_cost=D("12.345"))
    totals = document_totals([line])
    assert totals.base == D("80.00")
    assert totals.vat == D("16.80")
    assert totals.cost == D("49.38")
    assert totals.margin == D("30.62")


def test_rates_and_quantities_in_integer_units() -> None:
    assert rate_to_bp("5.2") == 520
    assert rate_to_bp(21) == 2100
    assert bp_to_rate(520) == D("5.2")
    assert quantity_to_milli("1.5") == 1500
    assert milli_to_quantity(1500) == D("1.5")
    with pytest.raises(MoneyError, match="more than two decimals"):
        rate_to_bp("5.255")


@pytest.mark.parametrize(
    ("bp", "text"), [(1000, "10"), (2100, "21"), (2000, "20"), (520, "5.2"), (0, "0")]
)
def test_rates_read_back_print_plainly(bp: int, text: str) -> None:
    # IVA 10 % must not come back as Decimal("1E+1") and show as "1E+1" on screen.
    assert str(bp_to_rate(bp)) == text


@pytest.mark.parametrize(
    ("milli", "text"), [(10000, "10"), (100000, "100"), (1500, "1.5"), (1, "0.001"), (0, "0")]
)
def test_quantities_read_back_print_plainly(milli: int, text: str) -> None:
    assert str(milli_to_quantity(milli)) == text


# --- parsing what people type ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("1234.56 €", D("1234.56")),
        ("1234,56€", D("1234.56")),
        ("-12,5", D("-12.5")),
        ("+7", D(7)),
        ("1.234", D(1234)),
        ("1,234", D(1234)),
        ("1.234.567,89", D("1234567.89")),
        ("1 234,56", D("1234.56")),
        ("1\u00a0234,56 EUR", D("1234.56")),
        ("0,5", D("0.5")),
        ("42", D(42)),
    ],
)
def test_parse_amount(text: str, expected: Decimal) -> None:
    value = parse_amount(text)
    assert value == expected
    assert isinstance(value, Decimal)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "€",
        "abc",
        "12a",
        "--5",
        "12.",
        "12.3456",
        "1,2345",
        "1.2.3",
        "12,34,5",
        "1e5",
        "1,234,56",
        "1.234,567",
        "1.234.56",
    ],
)
def test_parse_amount_refuses_junk(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(MoneyError, match="float"):
        round_cents(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        to_cents(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        from_cents(1.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        line_base(1, 9.99)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        document_totals([Line(D(1), D(10))], irpf_rate=15.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        rate_to_bp(21.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        quantity_to_milli(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        parse_amount(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        MoneyField().db_value(0.1)  # type: ignore[arg-type]


def test_non_numbers_are_refused() -> None:
    for bad in ("abc", "NaN", "Infinity", True, None):
        with pytest.raises(MoneyError):
            round_cents(bad)  # type: ignore[arg-type]


def test_quantities_with_more_than_three_decimals_are_refused() -> None:
    with pytest.raises(MoneyError, match="more than three decimals"):
        quantity_to_milli("1.0005")
    with pytest.raises(MoneyError):
        QuantityField().db_value(D("0.0001"))
    assert quantity_to_milli("1.000") == 1000
    assert quantity_to_milli("1.0000") == 1000  # trailing zeros lose nothing


# --- properties -------------------------------------------------------------------

cents_st = st.integers(min_value=-(10**13), max_value=10**13)
prices = st.integers(min_value=-(10**8), max_value=10**8).map(lambda c: D(c) / 100)
quantities = st.integers(min_value=1, max_value=10**6).map(lambda m: D(m) / 1000)
discounts = st.sampled_from([D(0), D(5), D("12.5"), D(50), D(100)])
vat_with_recargo = st.sampled_from(
    [
        (D(21), D(0)),
        (D(21), D("5.2")),
        (D(10), D(0)),
        (D(10), D("1.4")),
        (D(4), D("0.5")),
        (D(0), D(0)),
    ]
)
lines_st = st.builds(
    lambda q, p, d, vr, c: Line(q, p, d, vr[0], vr[1], c),
    quantities,
    prices,
    discounts,
    vat_with_recargo,
    prices,
)
irpf_st = st.sampled_from([D(0), D(7), D(15), D(19)])
decimals_st = st.decimals(
    min_value=D("-1e9"), max_value=D("1e9"), allow_nan=False, allow_infinity=False, places=6
)


def _cents_exact(value: Decimal) -> bool:
    return value == value.quantize(D("0.01"))


@given(st.lists(lines_st, max_size=12), irpf_st)
def test_totals_equal_the_sum_of_their_parts(lines: list[Line], irpf: Decimal) -> None:
    totals = document_totals(lines, irpf)
    assert totals.base == sum((b.base for b in totals.breakdown), D(0))
    assert totals.base == sum((line.base for line in lines), D(0))
    assert totals.vat == sum((b.vat for b in totals.breakdown), D(0))
    assert totals.recargo == sum((b.recargo for b in totals.breakdown), D(0))
    assert totals.total == totals.base + totals.vat + totals.recargo - totals.irpf
    assert totals.irpf == round_cents(totals.base * irpf / 100)
    for b in totals.breakdown:
        assert b.vat == round_cents(b.base * b.vat_rate / 100)
        assert b.recargo == round_cents(b.base * b.recargo_rate / 100)
    # One breakdown entry per (IVA, recargo) pair, highest IVA first.
    keys = [(b.vat_rate, b.recargo_rate) for b in totals.breakdown]
    assert len(keys) == len(set(keys)) == len({(ln.vat_rate, ln.recargo_rate) for ln in lines})
    assert keys == sorted(keys, reverse=True)


@given(st.lists(lines_st, max_size=8), irpf_st)
def test_nothing_is_ever_a_float(lines: list[Line], irpf: Decimal) -> None:
    totals = document_totals(lines, irpf)
    for name in Totals.__dataclass_fields__:
        if name == "breakdown":
            continue
        value = getattr(totals, name)
        assert type(value) is Decimal, name
        assert _cents_exact(value), (name, value)
    assert type(totals.margin) is Decimal
    for b in totals.breakdown:
        for value in (b.vat_rate, b.recargo_rate, b.base, b.vat, b.recargo):
            assert type(value) is Decimal
        for value in (b.base, b.vat, b.recargo):
            assert _cents_exact(value)


@given(decimals_st)
def test_rounding_is_stable(value: Decimal) -> None:
    once = round_cents(value)
    assert round_cents(once) == once
    assert abs(once - value) <= D("0.005")
    assert to_cents(value) == int(once * 100)


@given(cents_st)
def test_cents_round_trip(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents
    assert type(from_cents(cents)) is Decimal


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_quantity_and_rate_round_trip(n: int) -> None:
    assert quantity_to_milli(milli_to_quantity(n)) == n
    assert rate_to_bp(bp_to_rate(n)) == n
    assert "E" not in str(milli_to_quantity(n))
    assert "E" not in str(bp_to_rate(n))


@given(
    st.integers(min_value=-(10**9), max_value=10**9).map(lambda m: D(m) / 1000),
    st.integers(min_value=1, max_value=9),
)
def test_more_than_three_decimals_refused(quantity: Decimal, extra: int) -> None:
    # A non-zero digit in the fourth decimal can never be stored exactly.
    value = quantity + D(extra) / 10000
    with pytest.raises(MoneyError, match="three decimals"):
        quantity_to_milli(value)
    with pytest.raises(MoneyError):
        QuantityField().db_value(value)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["es", "en", "plain"]))
def test_parse_amount_reads_formatted_amounts_back(cents: int, style: str) -> None:
    amount = from_cents(cents)
    text = f"{amount:,.2f}"  # 1,234,567.89
    if style == "es":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"
    elif style == "plain":
        text = text.replace(",", "")
    assert parse_amount(text) == amount


# --- the model fields over a real database file --------------------------------


class Probe(BaseModel):
    id = peewee.AutoField()
    amount = MoneyField(null=True)
    quantity = QuantityField(null=True)
    rate = RateField(null=True)


@pytest.fixture
def probe(db):
    Probe.create_table()
    yield Probe
    Probe.drop_table()


def test_fields_store_integers(probe) -> None:
    row = probe.create(amount=D("1060.00"), quantity=D("1.5"), rate=D("5.2"))
    from tui_crm.db import execute

    stored = execute("SELECT amount, quantity, rate FROM probe WHERE id = ?", (row.id,)).fetchone()
    assert stored == (106000, 1500, 520)
    assert all(type(v) is int for v in stored)
    back = probe.get_by_id(row.id)
    assert (back.amount, back.quantity, back.rate) == (D("1060.00"), D("1.5"), D("5.2"))
    assert probe.create(amount=None).amount is None
    assert probe.get_by_id(probe.select(peewee.fn.MAX(probe.id)).scalar()).amount is None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    cents=cents_st,
    milli=st.integers(min_value=0, max_value=10**12),
    bp=st.integers(min_value=0, max_value=10000),
)
def test_fields_round_trip_through_sqlite(probe, cents: int, milli: int, bp: int) -> None:
    amount, quantity, rate = from_cents(cents), milli_to_quantity(milli), bp_to_rate(bp)
    row = probe.create(amount=amount, quantity=quantity, rate=rate)
    back = probe.get_by_id(row.id)
    assert back.amount == amount and type(back.amount) is Decimal
    assert back.quantity == quantity and type(back.quantity) is Decimal
    assert back.rate == rate and type(back.rate) is Decimal
    assert to_cents(back.amount) == cents
    assert str(back.amount) == str(amount)
    assert "E" not in str(back.quantity) and "E" not in str(back.rate)
