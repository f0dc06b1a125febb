"""Quantities as users type them (rackplan.units): parsing, dimensions, temperature differences."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from rackplan.errors import UnitError
from rackplan.units import Q_, FractionField, QuantityField, format_unit, parse_quantity, to_json


# --- worked examples ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("18 MW", "W", 18e6),
        ("142 kW", "W", 142e3),
        ("5676 W", "kW", 5.676),
        ("473 TH/s", "hash/s", 473e12),
        ("1.43 EH/s", "TH/s", 1.43e6),
        ("1360 kg", "kg", 1360.0),
        ("0.72 m^2", "m**2", 0.72),
        ("1_000 kW", "MW", 1.0),
        ("35 degC", "degC", 35.0),
        ("35°C", "degC", 35.0),
        ("95 degF", "degC", 35.0),          # (95 - 32) * 5/9
        ("308.15 K", "degC", 35.0),
        ("0.035 USD/kWh", "USD/MWh", 35.0),
        ("370 cfm", "m**3/s", 370 * 0.3048**3 / 60),  # 1 ft = 0.3048 m exactly
    ],
)
def test_parse_quantity_converts_to_the_field_unit(text, unit, expected):
    q = parse_quantity(text, unit)
    assert q.units == Q_(1, unit).units
    assert q.magnitude == pytest.approx(expected, rel=1e-12)


def test_a_pint_quantity_is_accepted_and_converted():
    assert parse_quantity(Q_(18, "MW"), "W").magnitude == pytest.approx(18e6)


@pytest.mark.parametrize(
    ("value", "unit", "fragment"),
    [
        ("18 kg", "W", "'18 kg' is not a power (expected units like W)"),
        ("473 TH/s", "W", "is not a power"),
        ("35 degC", "W", "is not a power"),
        ("5676 W", "hash/s", "is not a hash rate"),
        ("142 kW", "degC", "is not a temperature"),
        (142000, "W", "bare number 142000 needs a unit: expected a power, e.g. '142000 W'"),
        ("142000", "W", "'142000' has no unit: expected a power"),
        ("142 wats", "W", "unknown unit 'wats'"),
        ("many kW", "W", "is not a number followed by a unit"),
        ("1e400 W", "W", "is not a finite number"),
        (True, "W", "is not a quantity"),
        (None, "W", "is not a quantity"),
    ],
)
def test_parse_quantity_rejects_with_a_message_naming_value_and_dimension(value, unit, fragment):
    with pytest.raises(UnitError) as info:
        parse_quantity(value, unit)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text", ["10 K", "10 delta_degC", "18 delta_degF"])
def test_a_delta_field_takes_kelvin_and_explicit_differences(text):
    assert parse_quantity(text, "K", delta=True).magnitude == pytest.approx(10.0)


@pytest.mark.parametrize("text", ["10 degC", "50 degF", "10°C"])
def test_a_delta_field_refuses_an_offset_temperature(text):
    # 10 degC would silently become 283.15 K, a 28-fold error in a coolant flow.
    with pytest.raises(UnitError, match="is a temperature, not a temperature difference"):
        parse_quantity(text, "K", delta=True)


def test_format_unit_and_to_json():
    assert format_unit("kW") == "kW"
    assert format_unit("") == "1"
    assert to_json(Q_(14.4, "MW")) == {"value": 14.4, "unit": "MW"}


class _Model(BaseModel):
    power: QuantityField("W", gt=0)
    share: FractionField() = 0.5


def test_quantity_field_bounds_are_checked_in_the_field_unit():
    assert _Model(power="142 kW").power.magnitude == pytest.approx(142e3)
    with pytest.raises(ValueError, match="-5000 W must be greater than 0 W"):
        _Model(power="-5 kW")


@pytest.mark.parametrize(("value", "expected"), [(0.85, 0.85), ("0.85", 0.85), ("85 %", 0.85)])
def test_fraction_field_accepts_a_share_or_a_percentage(value, expected):
    assert _Model(power="1 W", share=value).share == pytest.approx(expected)


def test_fraction_field_names_no_unit_in_its_bounds():
    with pytest.raises(ValueError) as info:
        _Model(power="1 W", share=1.5)
    assert "1.5 must be at most 1" in str(info.value)
    assert "1.5 1" not in str(info.value)


# --- properties ---------------------------------------------------------------------------------

_magnitudes = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(watts=_magnitudes)
def test_power_is_the_same_whatever_unit_it_was_written_in(watts):
    values = [parse_quantity(f"{watts / f!r} {u}", "W").magnitude
              for u, f in [("W", 1.0), ("kW", 1e3), ("MW", 1e6)]]
    assert values == pytest.approx([watts] * 3, rel=1e-12)


@given(deg_c=st.floats(min_value=-50, max_value=150, allow_nan=False, allow_subnormal=False))
def test_temperature_is_the_same_whatever_scale_it_was_written_in(deg_c):
    texts = [f"{deg_c!r} degC", f"{deg_c * 9 / 5 + 32!r} degF", f"{deg_c + 273.15!r} K"]
    values = [parse_quantity(t, "degC").magnitude for t in texts]
    assert values == pytest.approx([deg_c] * 3, abs=1e-9)


@given(th_s=_magnitudes)
def test_hashrate_is_the_same_whatever_prefix_it_was_written_in(th_s):
    texts = [f"{th_s!r} TH/s", f"{th_s / 1e3!r} PH/s", f"{th_s / 1e6!r} EH/s"]
    values = [parse_quantity(t, "TH/s").magnitude for t in texts]
    assert values == pytest.approx([th_s] * 3, rel=1e-12)


_not_a_power = st.sampled_from(["kg", "m", "s", "m^2", "TH/s", "degC", "K", "USD", "J", "L/min"])


@given(x=_magnitudes, unit=_not_a_power)
def test_a_wrong_dimension_is_always_refused(x, unit):
    with pytest.raises(UnitError, match="is not a power"):
        parse_quantity(f"{x!r} {unit}", "W")


@given(x=st.floats(min_value=-100, max_value=200, allow_nan=False, allow_subnormal=False),
       unit=st.sampled_from(["degC", "degF"]))
def test_a_delta_field_refuses_degc_and_degf_for_any_value(x, unit):
    with pytest.raises(UnitError, match="temperature difference"):
        parse_quantity(f"{x!r} {unit}", "K", delta=True)


@given(x=st.floats(min_value=0, max_value=100, allow_nan=False, allow_subnormal=False))
def test_a_temperature_difference_in_delta_degf_is_five_ninths_of_a_kelvin(x):
    assert parse_quantity(f"{x!r} delta_degF", "K", delta=True).magnitude == pytest.approx(
        x * 5 / 9, abs=1e-12)


@given(x=_magnitudes, unit=st.sampled_from(["kW", "degC", "TH/s", "m**2", "kg", "J/TH"]))
def test_json_form_parses_back_to_the_same_quantity(x, unit):
    data = to_json(Q_(x, unit))
    back = parse_quantity(f"{data['value']!r} {data['unit']}", unit)
    assert math.isclose(back.magnitude, x, rel_tol=1e-12)
