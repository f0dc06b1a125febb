"""The one pint registry of rackplan, and the parsing of quantities users type.

Every quantity a user writes, in a TOML file or a ``--set`` flag, is a string such as
``"18 MW"``, ``"473 TH/s"`` or ``"35 degC"``: a number, then a unit, nothing else.
:func:`parse_quantity` turns it into a :class:`pint.Quantity` in the field's canonical unit, or
raises :class:`~rackplan.errors.UnitError` with a message that names the value (cut to its first
60 characters) and the dimension that was expected. Whatever the text, the result is a quantity
or a ``UnitError``: never a pint, tokenizer or arithmetic exception.

:func:`QuantityField` builds the pydantic field type used by the data models (profiles, sites,
markets): ``Power = QuantityField("W", gt=0)``.

The registry is built from the definitions in :data:`DEFINITIONS` (a subset of pint's
``default_en.txt``, the units a data-center or mining input is written in), with no on-disk
cache: nothing is unpickled at start-up, and building it takes about 20 ms (pint's full default
file takes about 130 ms, its pickle cache about 27 ms). Units known:

- SI prefixes (``k``, ``M``, ``G``, ``T``, ``P``, ``E``, ``Z``, ...) on every unit, binary
  prefixes (``Ki``, ``Mi``, ``Gi``, ...) on ``byte`` and ``bit``;
- length ``m``, ``in``, ``ft``, ``yd``, ``mi``; area ``m^2``, ``ft^2``, ``ha``, ``acre``;
  volume ``L``, ``m^3``, ``ft^3``, ``gal``, ``imperial_gallon``;
- mass ``g``, ``t`` (tonne), ``lb``, ``oz``, ``ton`` (short ton), ``long_ton``;
- time ``s``, ``min``, ``h``/``hour``, ``day``, ``week``, ``month`` (a year / 12), ``year``
  (365.25 days);
- temperature ``K``, ``degC``, ``degF``, ``degR`` and the differences ``delta_degC``, ...;
- power ``W``, ``VA``, ``hp``, ``BTU/h``, ``refrigeration_ton`` (``TR``); energy ``J``, ``Wh``,
  ``cal``, ``BTU``, ``therm``; pressure ``Pa``, ``bar``, ``psi``, ``atm``, ``inH2O``;
  force ``N``, ``kgf``, ``lbf``; ``V``, ``A``, ``C``, ``Ah``; ``Hz``;
- ratios ``%``, ``permille``, ``ppm``; information ``bit``, ``byte`` (``B``).

Units defined here, beyond those:

- ``hash`` (symbol ``H``), a base dimension, so ``TH/s``, ``PH/s`` and ``EH/s`` work (the
  henry is not defined, so ``H`` is free).
- ``USD`` and ``BTC``: two currencies, each its own dimension (their exchange rate moves, so no
  fixed conversion exists); ``sat`` is 1e-8 BTC.
- ``cfm``: cubic feet per minute, the unit of airflow in North American data centers.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import sys
import tokenize
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from rackplan.errors import UnitError, shown


def _import_pint_without_dask():
    """Import pint without letting it import dask (0.1-0.2 s of every command's start-up).

    ``pint.compat`` imports ``dask.base`` as soon as dask is installed, to give quantities that
    wrap dask arrays ``.compute()``; rackplan never puts a dask array in a quantity (its studies
    run dask on float arrays, outside pint). So while pint is first imported, dask is hidden
    (``sys.modules["dask"] = None`` makes ``find_spec`` report it missing), and shown again
    right after: ``import dask`` works as before. Where dask is already imported, nothing is
    hidden.
    """
    if "pint" in sys.modules or "dask" in sys.modules:
        import pint
        return pint
    sys.modules["dask"] = None
    try:
        import pint
    finally:
        del sys.modules["dask"]
    return pint


pint = _import_pint_without_dask()

__all__ = ["ureg", "Q_", "Quantity", "parse_quantity", "magnitude_in", "QuantityField", "FractionField",
           "CountField",
           "format_unit", "to_json", "finite_or_none", "DEFINITIONS", "MAX_TEXT_CHARS", "MAX_UNIT_CHARS",
           "MAX_UNIT_FACTORS", "MAX_UNIT_EXPONENT", "MAX_MAGNITUDE", "MIN_MAGNITUDE"]

#: The unit definitions of the registry, in pint's definition-file syntax. Taken from pint's
#: ``default_en.txt`` (BSD licence, (c) 2013-2019 by Pint Authors): the prefixes, the base
#: units, and the units of length, area, volume, mass, time, temperature, energy, power,
#: pressure, force, charge and information; the conversion factors are pint's own
#: (``tests/test_units.py`` checks every unit against pint's full registry). Then rackplan's
#: hash, USD, BTC, sat and cfm.
DEFINITIONS = """
@defaults
    group = international
    system = mks
@end

quecto- = 1e-30 = q-
ronto- = 1e-27 = r-
yocto- = 1e-24 = y-
zepto- = 1e-21 = z-
atto- =  1e-18 = a-
femto- = 1e-15 = f-
pico- =  1e-12 = p-
nano- =  1e-9  = n-
micro- = 1e-6  = µ- = μ- = u- = mu- = mc-
milli- = 1e-3  = m-
centi- = 1e-2  = c-
deci- =  1e-1  = d-
deca- =  1e+1  = da- = deka-
hecto- = 1e2   = h-
kilo- =  1e3   = k-
mega- =  1e6   = M-
giga- =  1e9   = G-
tera- =  1e12  = T-
peta- =  1e15  = P-
exa- =   1e18  = E-
zetta- = 1e21  = Z-
yotta- = 1e24  = Y-
ronna- = 1e27 = R-
quetta- = 1e30 = Q-

kibi- = 2**10 = Ki-
mebi- = 2**20 = Mi-
gibi- = 2**30 = Gi-
tebi- = 2**40 = Ti-
pebi- = 2**50 = Pi-
exbi- = 2**60 = Ei-

meter = [length] = m = metre
second = [time] = s = sec
ampere = [current] = A = amp
gram = [mass] = g
kelvin = [temperature]; offset: 0 = K = degK = °K = degree_Kelvin = degreeK
radian = [] = rad
bit = []
byte = 8 * bit = B = octet

pi = 3.1415926535897932384626433832795028841971693993751 = π
standard_gravity = 9.80665 m/s^2 = g_0 = g0 = g_n = gravity
standard_atmosphere = 1.01325e5 Pa = atm = atmosphere
conventional_water_density = 1000 kg/m^3 = ρH2O

percent = 0.01 = %
permille = 0.001 = ‰
ppm = 1e-6

metric_ton = 1e3 * kilogram = t = tonne

minute = 60 * second = min
hour = 60 * minute = h = hr
day = 24 * hour = d
week = 7 * day
year = 365.25 * day = a = yr = julian_year
month = year / 12

degree_Celsius = kelvin; offset: 273.15 = °C = celsius = degC = degreeC
degree_Rankine = 5 / 9 * kelvin; offset: 0 = °R = rankine = degR = degreeR
degree_Fahrenheit = 5 / 9 * kelvin; offset: 233.15 + 200 / 9 = °F = fahrenheit = degF = degreeF

[area] = [length] ** 2
are = 100 * meter ** 2
hectare = 100 * are = ha

[volume] = [length] ** 3
liter = decimeter ** 3 = l = L = ℓ = litre
cubic_centimeter = centimeter ** 3 = cc

[frequency] = 1 / [time]
hertz = 1 / second = Hz

[velocity] = [length] / [time]
[speed] = [velocity]
[volumetric_flow_rate] = [volume] / [time]
[acceleration] = [velocity] / [time]

[force] = [mass] * [acceleration]
newton = kilogram * meter / second ** 2 = N
force_kilogram = g_0 * kilogram = kgf = kilogram_force

[energy] = [force] * [length]
joule = newton * meter = J
watt_hour = watt * hour = Wh = watthour
calorie = 4.184 * joule = cal = thermochemical_calorie = cal_th
international_calorie = 4.1868 * joule = cal_it = international_steam_table_calorie
british_thermal_unit = 1055.056 * joule = Btu = BTU = Btu_iso
therm = 1e5 * Btu = thm = EC_therm

[power] = [energy] / [time]
watt = joule / second = W
volt_ampere = volt * ampere = VA
horsepower = 550 * foot * force_pound / second = hp = UK_horsepower = hydraulic_horsepower
metric_horsepower = 75 * force_kilogram * meter / second
electrical_horsepower = 746 * watt
refrigeration_ton = 12e3 * Btu / hour = _ = ton_of_refrigeration = TR
cooling_tower_ton = 1.25 * refrigeration_ton

[density] = [mass] / [volume]

[pressure] = [force] / [area]
pascal = newton / meter ** 2 = Pa
bar = 1e5 * pascal
torr = atm / 760
pound_force_per_square_inch = force_pound / inch ** 2 = psi
meter_H2O = meter * conventional_water_density * g_0 = mH2O = m_H2O
inch_H2O = inch * conventional_water_density * g_0 = inH2O = in_H2O = inchesH2O = inches_H2O

[charge] = [current] * [time]
coulomb = ampere * second = C
ampere_hour = ampere * hour = Ah
[electric_potential] = [energy] / [charge]
volt = joule / coulomb = V

@group USCSLengthInternational
    inch = yard / 36 = in = international_inch = inches = international_inches
    foot = yard / 3 = ft = international_foot = feet = international_feet
    yard = 0.9144 * meter = yd = international_yard
    mile = 1760 * yard = mi = international_mile
    square_inch = inch ** 2 = sq_in = square_inches
    square_foot = foot ** 2 = sq_ft = square_feet
    square_yard = yard ** 2 = sq_yd
    square_mile = mile ** 2 = sq_mi
    cubic_inch = in ** 3 = cu_in
    cubic_foot = ft ** 3 = cu_ft = cubic_feet
    cubic_yard = yd ** 3 = cu_yd
@end

@group USCSLengthSurvey
    survey_foot = 1200 / 3937 * meter = sft
    rod = 16.5 * survey_foot = rd = pole = perch
    chain = 4 * rod
    acre = 10 * chain ** 2
@end

@group USCSLiquidVolume
    pint = quart / 2 = pt = liquid_pint = US_pint
    quart = gallon / 4 = qt = liquid_quart = US_liquid_quart
    gallon = 231 * cubic_inch = gal = liquid_gallon = US_liquid_gallon
@end

@group Avoirdupois
    ounce = pound / 16 = oz = avoirdupois_ounce = avdp_ounce
    pound = 0.45359237 * kilogram = lb = avoirdupois_pound = avdp_pound
    ton = 2e3 * pound = _ = short_ton
    long_ton = 2240 * pound
    force_pound = g_0 * pound = lbf = pound_force
@end

@group ImperialVolume
    imperial_gallon = 4.54609 * liter = imperial_gal = UK_gallon
@end

# rackplan's own: hash rate, two currencies, airflow
hash = [hash] = H
USD = [currency_usd] = _ = US_dollar
BTC = [currency_btc] = _ = bitcoin
sat = 1e-8 * BTC = _ = satoshi
cfm = foot ** 3 / minute = CFM

@system SI
    second
    meter
    kilogram
    ampere
    kelvin
@end

@system mks using international
    meter
    kilogram
    second
@end
"""

# Built from the definitions above, with no disk cache: nothing is unpickled at start-up (a
# cache folder holds pickles that anyone able to write there could replace).
ureg = pint.UnitRegistry(DEFINITIONS.splitlines())
pint.set_application_registry(ureg)

Q_ = ureg.Quantity
Quantity = pint.Quantity

#: A quantity string longer than this is refused before it is parsed (no unit needs more).
MAX_TEXT_CHARS = 200
#: Characters of the unit part (``"USD/kW/month"``) at most.
MAX_UNIT_CHARS = 100
#: Unit names in the unit part at most (``"J/(kg*K)"`` has 3).
MAX_UNIT_FACTORS = 8
#: Largest power in a unit (``K^4`` is the highest that physics formulas here would write).
MAX_UNIT_EXPONENT = 4
#: Magnitudes, in the field's unit, beyond which rackplan does not compute: a value this large
#: overflows the arithmetic downstream; one this small (other than 0) is subnormal, with few
#: significant digits, and its inverse overflows. Fields bound their values much tighter.
MAX_MAGNITUDE = 1e300
MIN_MAGNITUDE = sys.float_info.min  # 2.2e-308

# A number, then an optional unit: "18 MW", "-3.5e2 kW", "1_000 kW", "35degC", "0.72 m^2".
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
# What a unit is written with: names (letters, digits, _), * / ^ ( ), spaces, and the signs
# of exponents and decimals. Anything else ("#", ",", "=", quotes) is not part of a unit.
_UNIT_TEXT = re.compile(r"^[A-Za-z0-9_µμΩℓ°%‰Δ*/^() .+\-]*$")
_UNIT_NAME = re.compile(r"[A-Za-z_µμΩℓ°%‰Δ][A-Za-z0-9_µμΩℓ°%‰Δ]*")
# The number after ** or ^ (a parenthesis and signs allowed), and two powers with no * or /
# between them ("9**9**9", "^(2^30)").
_EXPONENT = re.compile(r"(?:\*\*|\^)\s*\(?\s*([-+]?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_CHAINED_POWER = re.compile(r"(?:\*\*|\^)[^*/^]*(?:\*\*|\^)")

# Every exception pint's parser and arithmetic can raise for arbitrary text: its own errors,
# the tokenizer's, and the arithmetic of the expression ("W/0", "W**1e400").
_PINT_FAILURES = (pint.errors.PintError, tokenize.TokenError, SyntaxError, ValueError,
                  TypeError, AttributeError, LookupError, ArithmeticError, AssertionError,
                  RecursionError, NotImplementedError)

_DIMENSION_NAMES = {
    "[mass] * [length] ** 2 / [time] ** 3": "a power",
    "[mass] * [length] ** 2 / [time] ** 2": "an energy",
    "[temperature]": "a temperature",
    "[mass]": "a mass",
    "[length] ** 2": "an area",
    "[length]": "a length",
    "[mass] / [length] ** 2": "a floor loading (mass per area)",
    "[hash] / [time]": "a hash rate",
    "[length] ** 3 / [time]": "a volume flow",
    "[mass] / [time]": "a mass flow",
    "[time]": "a time",
    "[currency_usd]": "an amount of USD",
    "[currency_btc]": "an amount of BTC",
    "dimensionless": "a plain number",
}


def _describe(unit: str) -> str:
    dim = str(ureg.Quantity(1, unit).dimensionality)
    return _DIMENSION_NAMES.get(dim, f"a quantity in {dim}")


_TARGETS: dict[str, tuple[pint.Unit, bool]] = {}


def _target(unit: str) -> tuple[pint.Unit, bool]:
    # a field's unit, parsed once (pint parses a unit string anew at every call)
    try:
        return _TARGETS[unit]
    except KeyError:
        target = ureg.Unit(unit)
        _TARGETS[unit] = (target, target.dimensionless)
        return _TARGETS[unit]


def magnitude_in(q: pint.Quantity, unit: str) -> float:
    """The magnitude of the quantity ``q`` in ``unit`` (a unit string parsed once, not at
    every call: pint caches only the names it defines, not compounds such as ``USD/MWh``).

    Raises
    ------
    UnitError
        Where ``q`` is not a quantity of the dimension of ``unit``, or ``unit`` is not a unit.
    """
    try:
        return float(q.m_as(_target(unit)[0]))
    except _PINT_FAILURES:
        raise UnitError(f"{_show(q)} cannot be converted to {unit!r}") from None


def parse_quantity(value: Any, unit: str, *, delta: bool = False) -> pint.Quantity:
    """Parse ``value`` as a quantity of the dimension of ``unit`` and convert it to ``unit``.

    Parameters
    ----------
    value : str, pint.Quantity, int or float
        What the user wrote: ``"18 MW"``, ``"35 degC"``, ``Q_(18, "MW")``. A string is a number
        and a unit, nothing else (no comment, no second number). A bare number is accepted only
        where ``unit`` is dimensionless (``0.85``, or ``"85 %"``).
    unit : str
        The canonical unit of the field, e.g. ``"W"``, ``"degC"``, ``"USD/MWh"``.
    delta : bool
        The field is a temperature *difference* (``unit`` is ``"K"``). Offset units
        (``degC``, ``degF``) are then refused, because ``10 degC`` would silently become
        283.15 K; ``10 K`` and ``10 delta_degC`` are accepted. Where ``unit`` is an absolute
        temperature (``"degC"``), a difference (``delta_degC``) is refused.

    Raises
    ------
    UnitError
        For a bare number where a unit is needed, an unknown or malformed unit, a wrong
        dimension, text longer than :data:`MAX_TEXT_CHARS` (or a unit longer than
        :data:`MAX_UNIT_CHARS`, or of more than :data:`MAX_UNIT_FACTORS` names), or a value
        that is not finite or lies beyond :data:`MAX_MAGNITUDE` (or, other than 0, below
        :data:`MIN_MAGNITUDE`) in ``unit``. Never another exception, whatever ``value`` is.
    """
    target, dimensionless = _target(unit)
    if isinstance(value, bool) or value is None:
        raise UnitError(f"{shown(value)} is not a quantity; expected {_describe(unit)}, "
                        f"e.g. '1 {format_unit(unit)}'")
    if (isinstance(value, pint.Quantity) and value._REGISTRY is ureg
            and type(value.magnitude) is float and value.units == target):
        # already in the field's unit (a checked model's value, given back with overrides):
        # only its number needs checking, not its unit (the slow part)
        _finite(value.magnitude, value, f" in {format_unit(unit)}" if not dimensionless else "")
        return value
    if dimensionless and not unit and isinstance(value, numbers.Real):
        return Q_(_finite(value, value), target)  # a plain number for a plain-number field
    if isinstance(value, pint.Quantity):
        q = _from_quantity(value)
    elif isinstance(value, numbers.Real):
        if not dimensionless:
            raise UnitError(
                f"bare number {shown(value)} needs a unit: expected {_describe(unit)}, "
                f"e.g. '{_number_text(value)} {format_unit(unit)}'"
            )
        q = Q_(_finite(value, value, check_range=False), "")
    elif isinstance(value, str):
        q = _from_text(value, unit, dimensionless)
    else:
        raise UnitError(f"{shown(value)} is not a quantity; expected {_describe(unit)}")

    if q.dimensionality != target.dimensionality:
        raise UnitError(
            f"{_show(value)} is not {_describe(unit)} (expected units like {format_unit(unit)})"
        )
    multiplicative = q._is_multiplicative
    if delta and not multiplicative:
        raise UnitError(
            f"{_show(value)} is a temperature, not a temperature difference: "
            f"write '{q.magnitude:g} K' or '{q.magnitude:g} delta_{format_unit(q.units)}'"
        )
    target_multiplicative = Q_(1.0, target)._is_multiplicative
    if not target_multiplicative and _is_difference(q):
        absolute = format_unit(q.units).replace("delta_", "")
        raise UnitError(
            f"{_show(value)} is a temperature difference, not a temperature: "
            f"write '{q.magnitude:g} {absolute}'"
        )
    try:
        converted = q.to(target)
        magnitude = float(converted.magnitude)
    except _PINT_FAILURES:
        raise UnitError(f"{_show(value)} cannot be converted to {format_unit(unit)}") from None
    where = f" in {format_unit(unit)}" if not dimensionless else ""
    _finite(magnitude, value, where)
    # underflow ("1 %**200" is not 0); offset units (273.15 K is 0 degC) are exempt
    underflow = magnitude == 0.0 and float(q.magnitude) != 0.0
    if underflow and multiplicative and target_multiplicative:
        raise UnitError(f"{_show(value)} is too small (under {MIN_MAGNITUDE:.3g}{where}, "
                        "and not 0)")
    return Q_(magnitude, target)


def _from_text(value: str, unit: str, dimensionless: bool) -> pint.Quantity:
    if len(value) > MAX_TEXT_CHARS:
        raise UnitError(f"{shown(value)} ({len(value):,} characters) is too long for a "
                        f"quantity: write a number and a unit, e.g. '1 {format_unit(unit)}'")
    match = _NUMBER_UNIT.match(value)
    if match is None:
        if dimensionless:  # a share or a ratio: a plain number or a percentage
            raise UnitError(f"{shown(value)} is not a number")
        raise UnitError(f"{shown(value)} is not a number followed by a unit "
                        f"(e.g. '1 {format_unit(unit)}')")
    magnitude_text, unit_text = match.groups()
    if not unit_text and not dimensionless:
        raise UnitError(
            f"{shown(value)} has no unit: expected {_describe(unit)}, "
            f"e.g. '{magnitude_text} {format_unit(unit)}'"
        )
    try:
        magnitude = float(magnitude_text.replace("_", ""))
    except ValueError:
        raise UnitError(f"{shown(value)} does not start with a number") from None
    _finite(magnitude, value, check_range=False)
    if unit_text:
        _check_unit_text(value, unit_text)
    unit_text = (unit_text.replace("%", "percent").replace("Δ°C", "delta_degC")
                 .replace("Δ°F", "delta_degF").replace("°C", "degC").replace("°F", "degF"))
    try:
        return Q_(magnitude, unit_text or "")
    except _PINT_FAILURES:
        raise UnitError(f"{shown(value)}: unknown unit {shown(unit_text)}") from None


def _check_unit_text(value: str, unit_text: str) -> None:
    """Refuse what cannot be a unit before pint parses it (pint reads "MW # note" as MW)."""
    if len(unit_text) > MAX_UNIT_CHARS:
        raise UnitError(f"{shown(value)}: the unit is too long ({len(unit_text):,} characters; "
                        f"at most {MAX_UNIT_CHARS})")
    if not _UNIT_TEXT.match(unit_text):
        bad = next(c for c in unit_text if not _UNIT_TEXT.match(c))
        raise UnitError(f"{shown(value)}: {shown(unit_text)} is not a unit ({bad!r} is not "
                        "part of one; write only a number and a unit)")
    names = len(_UNIT_NAME.findall(unit_text))
    if names > MAX_UNIT_FACTORS:
        raise UnitError(f"{shown(value)}: the unit has {names} names, more than a unit needs "
                        f"(at most {MAX_UNIT_FACTORS})")
    # pint evaluates powers exactly, in integers: "W*9**9**9" would compute a number of 369
    # million digits before any check could run. A unit needs small, single powers (m^3, s^-2).
    if _CHAINED_POWER.search(unit_text):
        raise UnitError(f"{shown(value)}: a power of a power is not a unit (write m^3, s^-2)")
    for exponent in _EXPONENT.findall(unit_text):
        if abs(float(exponent.replace(" ", ""))) > MAX_UNIT_EXPONENT:
            raise UnitError(f"{shown(value)}: the power {exponent.strip()} is larger than a unit "
                            f"needs (at most {MAX_UNIT_EXPONENT})")


def _from_quantity(value: pint.Quantity) -> pint.Quantity:
    try:
        magnitude = _finite(value.magnitude, value, check_range=False)
        if value._REGISTRY is ureg:
            return Q_(magnitude, value.units)
        return Q_(magnitude, str(value.units))
    except _PINT_FAILURES:
        raise UnitError(f"{shown(value)} is not a single quantity rackplan knows") from None


def _finite(magnitude: Any, value: Any, where: str = "", check_range: bool = True) -> float:
    """``magnitude`` as a float, or a UnitError if it is not finite (or, with ``check_range``,
    beyond :data:`MAX_MAGNITUDE` or a subnormal other than 0)."""
    try:
        x = float(magnitude)
    except (TypeError, ValueError, OverflowError):
        raise UnitError(f"{_show(value)} is not a number") from None
    if not math.isfinite(x):
        raise UnitError(f"{_show(value)} is not a finite number{where}")
    if check_range and abs(x) > MAX_MAGNITUDE:
        raise UnitError(f"{_show(value)} is too large (over {MAX_MAGNITUDE:g}{where})")
    if check_range and x != 0.0 and abs(x) < MIN_MAGNITUDE:
        raise UnitError(f"{_show(value)} is too small (under {MIN_MAGNITUDE:.3g}{where}, "
                        "and not 0)")
    return x


def _is_difference(q: pint.Quantity) -> bool:
    return any(name.startswith("delta_") for name, _ in q.unit_items())


def _number_text(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError, OverflowError):
        return "1"


def _show(value: Any) -> str:
    if isinstance(value, pint.Quantity):
        try:
            return f"'{float(value.magnitude):g} {format_unit(value.units)}'"
        except _PINT_FAILURES:
            return shown(value)
    return shown(value)


# pint's compact spelling where people write it otherwise (each still parses back).
_SPELLING = {
    "l": "L",
    "refrigeration_ton": "TR",
    "ton_TR": "TR",
    "°C": "degC",
    "°F": "degF",
    "Δ°C": "delta_degC",
    "Btu/h": "BTU/h",
}


# Compound units in the order people read them (pint sorts the denominator alphabetically).
_PREFERRED = ("USD/PH/day", "BTC/PH/day", "USD/TH/day", "L/min/kW", "USD/kW/month",
              "USD/MW/year", "USD/GPU/hour")


def format_unit(unit: Any) -> str:
    """A short unit string that pint parses back (``"kW"``, ``"L/min"``, ``"degC"``, ``"TR"``)."""
    if isinstance(unit, str):
        return _format_unit_text(unit)
    return _format_unit(format(unit, "~C"))


@functools.lru_cache(maxsize=512)
def _format_unit_text(unit: str) -> str:
    # a unit string, parsed once: the models format their fields' units at every validation
    return _format_unit(format(ureg.Unit(unit), "~C"))


@functools.lru_cache(maxsize=512)
def _format_unit(text: str) -> str:
    if not text:
        return "1"
    for preferred in _PREFERRED:
        try:
            if ureg.Unit(text) == ureg.Unit(preferred):
                return preferred
        except pint.errors.UndefinedUnitError:
            continue
    if text.endswith("/K/kg"):  # specific heat reads J/(kg*K), not J/K/kg
        text = text[: -len("/K/kg")] + "/(kg*K)"
    parts = re.split(r"([*/])", text)
    return "".join(_SPELLING.get(part, part) for part in parts)


def to_json(q: pint.Quantity) -> dict[str, Any]:
    """``{"value": <float>, "unit": "<pint unit string>"}``, the JSON form of every quantity
    (``null`` for a value that is not a finite number)."""
    return {"value": finite_or_none(q.magnitude), "unit": format_unit(q.units)}


def finite_or_none(x: Any) -> float | None:
    """``x`` as a float, or ``None`` where it is not a finite number (JSON has no NaN)."""
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _bounds_checker(unit: str, gt, ge, lt, le):
    # A plain number (FractionField) shows no unit: "1.5 must be at most 1", not "1.5 1 ...".
    u = "" if ureg.Unit(unit).dimensionless else " " + format_unit(unit)

    def check(q: pint.Quantity) -> pint.Quantity:
        m = float(q.magnitude)
        if gt is not None and not m > gt:
            raise UnitError(f"{m:g}{u} must be greater than {gt:g}{u}")
        if ge is not None and not m >= ge:
            raise UnitError(f"{m:g}{u} must be at least {ge:g}{u}")
        if lt is not None and not m < lt:
            raise UnitError(f"{m:g}{u} must be less than {lt:g}{u}")
        if le is not None and not m <= le:
            raise UnitError(f"{m:g}{u} must be at most {le:g}{u}")
        return q

    return check


def QuantityField(unit: str, *, gt=None, ge=None, lt=None, le=None, delta: bool = False):
    """A pydantic field type for a quantity stored in ``unit``.

    Bounds are in ``unit`` (``QuantityField("W", gt=0)``), checked in the order ``gt``,
    ``ge``, ``lt``, ``le``: ``gt=0, ge=1`` says "must be greater than 0" of a negative value
    and "must be at least 1" of 0.5. The stored value is a
    :class:`pint.Quantity` converted to ``unit``; it serializes as ``"18000000 W"``.
    """
    check = _bounds_checker(unit, gt, ge, lt, le)

    def validate(value: Any) -> pint.Quantity:
        try:
            return check(parse_quantity(value, unit, delta=delta))
        except UnitError as exc:
            # pydantic turns ValueError into a validation error that names the field.
            raise ValueError(str(exc)) from None

    return Annotated[
        Any,
        BeforeValidator(validate),
        PlainSerializer(lambda q: f"{q.magnitude:g} {format_unit(q.units)}", return_type=str),
        WithJsonSchema({"type": "string", "description": f"a quantity in {unit}"}),
    ]


def FractionField(*, ge: float | None = 0.0, le: float | None = 1.0, gt=None, lt=None):
    """A pydantic field type for a share or a ratio, stored as a plain float.

    Accepts ``0.85``, ``"0.85"`` or ``"85 %"``; ``ge``/``le`` bound the float (default 0..1).
    """
    check = _bounds_checker("", gt, ge, lt, le)

    def validate(value: Any) -> float:
        try:
            return float(check(parse_quantity(value, "")).magnitude)
        except UnitError as exc:
            raise ValueError(str(exc)) from None

    return Annotated[float, BeforeValidator(validate)]


def CountField(*, gt: int | None = None, ge: int | None = None, le: int | None = None):
    """A pydantic field type for a whole number (units per rack, a block height).

    ``4``, ``4.0`` or ``"4"``; ``true`` is refused (pydantic would read it as 1), and so is
    anything out of the bounds.
    """

    def refuse_bool(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a whole number")
        return value

    return Annotated[int, BeforeValidator(refuse_bool), Field(gt=gt, ge=ge, le=le)]
