"""Quantities as users type them (rackplan.units): parsing, dimensions, temperature differences."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from rackplan.errors import UnitError
from rackplan.units import (Q_, FractionField, QuantityField, format_unit, magnitude_in,
                            parse_quantity, to_json)


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


@pytest.mark.parametrize("text", ["10 K", "10 delta_degC", "18 delta_degF", "10 Δ°C"])
def test_a_delta_field_takes_kelvin_and_explicit_differences(text):
    assert parse_quantity(text, "K", delta=True).magnitude == pytest.approx(10.0)


@pytest.mark.parametrize("text", ["10 degC", "50 degF", "10°C"])
def test_a_delta_field_refuses_an_offset_temperature(text):
    # 10 degC would silently become 283.15 K, a 28-fold error in a coolant flow.
    with pytest.raises(UnitError, match="is a temperature, not a temperature difference"):
        parse_quantity(text, "K", delta=True)


def test_magnitude_in_converts_and_names_what_it_cannot():
    assert magnitude_in(Q_(0.033, "USD/kWh"), "USD/MWh") == pytest.approx(33.0, rel=1e-15)
    assert magnitude_in(Q_(18, "MW"), "W") == 18e6
    assert magnitude_in(Q_(35, "degC"), "K") == pytest.approx(308.15, rel=1e-15)
    # a second call reads the parsed unit back: the same answer
    assert magnitude_in(Q_(0.033, "USD/kWh"), "USD/MWh") == pytest.approx(33.0, rel=1e-15)
    with pytest.raises(UnitError, match="'18 MW' cannot be converted to 'USD/MWh'"):
        magnitude_in(Q_(18, "MW"), "USD/MWh")
    with pytest.raises(UnitError, match="cannot be converted to 'parsec_per_fortnight'"):
        magnitude_in(Q_(18, "MW"), "parsec_per_fortnight")
    with pytest.raises(UnitError):
        magnitude_in(18.0, "W")


def test_format_unit_is_the_same_from_a_string_or_a_unit_and_read_twice():
    for text in ("kW", "USD/MWh", "J/(kg*K)", "m**3/s", "degC"):
        assert format_unit(text) == format_unit(Q_(1.0, text).units) == format_unit(text)


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


# --- hardening: any text gives a quantity or one UnitError -------------------------------------

_BAD_TEXT = [
    # pint's arithmetic on the unit: ZeroDivisionError, OverflowError
    ("1 W/0", "W", "unknown unit 'W/0'"),
    ("1 W/(m*0)", "W", "unknown unit"),
    ("1 W^(1/0)", "W", "unknown unit"),
    # the tokenizer: unbalanced parentheses (TokenError)
    ("1 (W", "W", "unknown unit '(W'"),
    ("1 W)", "W", "unknown unit"),
    ("1 ((W)", "W", "unknown unit"),
    # long or many-factor units (RecursionError in pint's parser)
    ("1 " + "*".join(["W"] * 600), "W", "too long for a quantity"),
    ("1 " + "*".join(["W"] * 60), "W", "the unit is too long (119 characters"),
    ("1 " + "*".join(["W"] * 9), "W", "the unit has 9 names"),
    # a temperature difference for an absolute temperature (DimensionalityError)
    ("1 delta_degC", "degC", "is a temperature difference, not a temperature: write '1 degC'"),
    ("-5 delta_degF", "degC", "is a temperature difference, not a temperature"),
    ("3 delta_degC", "degF", "is a temperature difference"),
    # only a number and a unit: no comment, no second value, no punctuation
    ("18 MW # comment", "W", "'MW # comment' is not a unit ('#' is not part of one"),
    ("18 MW, 3 MW", "W", "',' is not part of one"),
    ("18 MW = 3", "W", "'=' is not part of one"),
    ("18 'MW'", "W", "is not a unit"),
    ("18 M\x1bW", "W", "'\\x1b' is not part of one"),
    # non-finite and out-of-range magnitudes
    ("inf W", "W", "is not a number followed by a unit"),
    ("nan W", "W", "is not a number followed by a unit"),
    ("1e400 W", "W", "is not a finite number"),
    ("1e300 EH/s", "hash/s", "is not a finite number in H/s"),
    ("1e308 kg/m^2", "kg/m**2", "is too large"),
    ("5e-324 K", "K", "is too small"),
    ("1e-320 W", "W", "is too small"),
    ("1e-300 %^4", "", "is too small"),  # 1e-308 after conversion: subnormal
    ("1 %**200", "", "larger than a unit needs"),
]


@pytest.mark.parametrize(("text", "unit", "fragment"), _BAD_TEXT,
                         ids=[repr(t[0])[:40] for t in _BAD_TEXT])
def test_text_pint_cannot_take_is_a_unit_error_naming_it(text, unit, fragment):
    with pytest.raises(UnitError) as info:
        parse_quantity(text, unit)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 300


def test_a_huge_value_is_echoed_cut_to_its_first_60_characters():
    text = "1" * 200_000
    with pytest.raises(UnitError) as info:
        parse_quantity(text, "W")
    message = str(info.value)
    assert message.startswith(repr("1" * 60 + "…"))
    assert "200,000 characters" in message and len(message) < 200


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 10**400])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(UnitError, match="not a finite number|is not a number"):
        parse_quantity(value, "")
    with pytest.raises(UnitError):
        parse_quantity(Q_(value if isinstance(value, float) else 1e300, "W") * 1e10, "W")


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, b"18 MW", object(), Q_([1.0, 2.0], "W")])
def test_what_is_not_one_quantity_is_refused(value):
    with pytest.raises(UnitError):
        parse_quantity(value, "W")


def test_a_temperature_field_converts_kelvin_and_fahrenheit_but_not_differences():
    assert parse_quantity("300 K", "degC").magnitude == pytest.approx(26.85)
    assert parse_quantity("273.15 K", "degC").magnitude == pytest.approx(0.0, abs=1e-12)
    assert parse_quantity("1 delta_degC", "K", delta=True).magnitude == 1.0


_UNIT_ALPHABET = st.sampled_from(
    list("0123456789eE.+-_ */^()%#,=\"'\\\n\t°Δµ") + ["W", "k", "M", "degC", "delta_", "**",
                                                     "kg", "/0", "1e308", "inf", "nan", "m"])


@given(text=st.lists(_UNIT_ALPHABET, max_size=30).map("".join),
       unit=st.sampled_from(["W", "degC", "", "kg/m**2", "hash/s", "USD/MWh"]),
       prefix=st.sampled_from(["", "1 ", "-2.5e3 "]))
def test_any_text_gives_a_finite_quantity_or_a_one_line_unit_error(text, unit, prefix):
    try:
        q = parse_quantity(prefix + text, unit)
    except UnitError as exc:
        assert "\n" not in str(exc)
    else:
        assert math.isfinite(q.magnitude)


@given(text=st.text(max_size=40), delta=st.booleans())
def test_any_unicode_text_gives_a_quantity_or_a_unit_error(text, delta):
    try:
        parse_quantity("1 " + text, "K", delta=delta)
    except UnitError as exc:
        assert "\n" not in str(exc)


def test_fraction_and_quantity_fields_refuse_non_finite_values():
    for value in ("inf", "nan", float("inf"), float("nan")):
        with pytest.raises(ValueError):
            _Model(power="1 W", share=value)
    with pytest.raises(ValueError, match="is not a finite number"):
        _Model(power="1e400 W")


def test_count_field_refuses_a_boolean():
    from rackplan.units import CountField

    class Counted(BaseModel):
        n: CountField(gt=0, le=10)

    assert Counted(n=4).n == 4 and Counted(n="4").n == 4
    for bad in (True, False, 0, 11, 2.5, float("inf")):
        with pytest.raises(ValueError):
            Counted(n=bad)


# --- the registry: no pickle, pint's own factors ----------------------------------------------


def test_the_registry_is_built_without_a_disk_cache(tmp_path):
    """Importing rackplan.units reads and writes no cache (a cache folder holds pickles)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path), HOME=str(tmp_path))
    subprocess.run([sys.executable, "-c", "import rackplan.units as u; u.Q_('18 MW')"],
                   check=True, env=env, timeout=120)
    assert list(tmp_path.rglob("*")) == []
    from rackplan.units import ureg

    assert getattr(ureg, "_diskcache", None) is None


def test_every_unit_has_pints_own_factor():
    import pint

    from rackplan.units import ureg

    full = pint.UnitRegistry()  # pint's complete default definitions, not cached
    ours = [name for name in ureg._units if name in full._units and name not in ("H",)]
    assert len(ours) > 80
    for name in ours:
        q = ureg.Quantity(1.0, name)
        ref = full.Quantity(1.0, name)
        if not q._is_multiplicative:  # offset units: compare the temperature in kelvin
            assert q.to("kelvin").magnitude == pytest.approx(ref.to("kelvin").magnitude), name
            continue
        assert q.to_base_units().magnitude == pytest.approx(
            ref.to_base_units().magnitude, rel=1e-12), name


@pytest.mark.parametrize("text", ["1 kBTU/h", "3 TR", "1 hp", "2 psi", "1 inH2O", "1 acre",
                                  "5 gal/min", "10 lb/ft^2", "1 kWh", "1 therm", "2 GiB",
                                  "1 short_ton", "1 t", "3 cfm", "5 µW", "1 ‰", "1 ppm"])
def test_units_people_write_are_known(text):
    assert math.isfinite(Q_(text).magnitude)


@pytest.mark.parametrize("text", ["1 W*9**9**9", "1 USD/BTC*2^2^2^2^2^2", "1 W^(2^30)",
                                  "1 W**(1**9**9)", "1 m**2**1"])
def test_a_power_of_a_power_is_refused_before_pint_evaluates_it(text):
    """pint would compute 9**9**9 (369 million digits) exactly, and never return."""
    with pytest.raises(UnitError, match="a power of a power is not a unit"):
        parse_quantity(text, "W")


@pytest.mark.parametrize("text", ["1 W^5", "1 W**9", "1 W**1e400", "1 m^-7"])
def test_a_power_larger_than_a_unit_needs_is_refused(text):
    with pytest.raises(UnitError, match="larger than a unit needs"):
        parse_quantity(text, "W")


@pytest.mark.parametrize(("text", "unit", "si"), [("2 m^3/h", "m**3/s", 2 / 3600),
                                                  ("1 W*m^-2*K^-4", "W/m**2/K**4", 1.0),
                                                  ("3 kg/m**2", "kg/m**2", 3.0)])
def test_small_powers_still_read(text, unit, si):
    assert parse_quantity(text, unit).magnitude == pytest.approx(si)
