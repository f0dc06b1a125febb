"""The one pint registry of rackplan, and the parsing of quantities users type.

Every quantity a user writes, in a TOML file or a ``--set`` flag, is a string such as
``"18 MW"``, ``"473 TH/s"`` or ``"35 degC"``. :func:`parse_quantity` turns it into a
:class:`pint.Quantity` in the field's canonical unit, or raises :class:`~rackplan.errors.UnitError`
with a message that names the value and the dimension that was expected.

:func:`QuantityField` builds the pydantic field type used by the data models (profiles, sites,
markets): ``Power = QuantityField("W", gt=0)``.

Units defined here, beyond pint's defaults:

- ``hash`` (symbol ``H``), a base dimension, so ``TH/s``, ``PH/s`` and ``EH/s`` work. The symbol
  ``H`` is taken from the henry, which this field never needs (``henry`` still works by name).
- ``USD`` and ``BTC``: two currencies, each its own dimension (their exchange rate moves, so no
  fixed conversion exists); ``sat`` is 1e-8 BTC.
- ``cfm``: cubic feet per minute, the unit of airflow in North American data centers.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from rackplan.errors import UnitError

__all__ = ["ureg", "Q_", "Quantity", "parse_quantity", "QuantityField", "format_unit", "to_json"]

# The parsed default definitions are cached on disk (pint: "5x to 20x" faster to build).
ureg = pint.UnitRegistry(cache_folder=":auto:")
with warnings.catch_warnings():
    # 'H' is redefined from henry to hash on purpose (see the module docstring).
    warnings.simplefilter("ignore")
    ureg.define("hash = [hash] = H")
# "_": no separate symbol, so units print as "USD/MWh", not "US_dollar/MWh".
ureg.define("USD = [currency_usd] = _ = US_dollar")
ureg.define("BTC = [currency_btc] = _ = bitcoin")
ureg.define("sat = 1e-8 * BTC = _ = satoshi")
ureg.define("cfm = foot ** 3 / minute = CFM")
ureg.define("@alias refrigeration_ton = TR")
pint.set_application_registry(ureg)

Q_ = ureg.Quantity
Quantity = pint.Quantity

# A number, then an optional unit: "18 MW", "-3.5e2 kW", "1_000 kW", "35degC", "0.72 m^2".
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")

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


def parse_quantity(value: Any, unit: str, *, delta: bool = False) -> pint.Quantity:
    """Parse ``value`` as a quantity of the dimension of ``unit`` and convert it to ``unit``.

    Parameters
    ----------
    value : str, pint.Quantity, int or float
        What the user wrote: ``"18 MW"``, ``"35 degC"``, ``Q_(18, "MW")``. A bare number is
        accepted only where ``unit`` is dimensionless (``0.85``, or ``"85 %"``).
    unit : str
        The canonical unit of the field, e.g. ``"W"``, ``"degC"``, ``"USD/MWh"``.
    delta : bool
        The field is a temperature *difference* (``unit`` is ``"K"``). Offset units
        (``degC``, ``degF``) are then refused, because ``10 degC`` would silently become
        283.15 K; ``10 K`` and ``10 delta_degC`` are accepted.

    Raises
    ------
    UnitError
        For a bare number where a unit is needed, an unknown unit, a wrong dimension or a
        value that is not finite.
    """
    target = ureg.Unit(unit)
    dimensionless = target.dimensionless
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a quantity; expected {_describe(unit)}, e.g. '1 {unit}'")
    if isinstance(value, pint.Quantity):
        q = value if value._REGISTRY is ureg else Q_(value.magnitude, str(value.units))
    elif isinstance(value, (int, float)):
        if not dimensionless:
            raise UnitError(
                f"bare number {value!r} needs a unit: expected {_describe(unit)}, "
                f"e.g. '{value} {format_unit(unit)}'"
            )
        q = Q_(float(value), "")
    elif isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if match is None:
            raise UnitError(f"{value!r} is not a number followed by a unit")
        magnitude, unit_text = match.groups()
        if not unit_text and not dimensionless:
            raise UnitError(
                f"{value!r} has no unit: expected {_describe(unit)}, "
                f"e.g. '{magnitude} {format_unit(unit)}'"
            )
        unit_text = unit_text.replace("%", "percent").replace("°C", "degC").replace("°F", "degF")
        try:
            q = Q_(float(magnitude.replace("_", "")), unit_text or "")
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError,
                AttributeError, TypeError, ValueError, AssertionError) as exc:
            raise UnitError(f"{value!r}: unknown unit {unit_text!r}") from exc
    else:
        raise UnitError(f"{value!r} is not a quantity; expected {_describe(unit)}")

    if q.dimensionality != target.dimensionality:
        raise UnitError(
            f"{_show(value)} is not {_describe(unit)} (expected units like {format_unit(unit)})"
        )
    if delta and not q._is_multiplicative:
        raise UnitError(
            f"{_show(value)} is a temperature, not a temperature difference: "
            f"write '{q.magnitude:g} K' or '{q.magnitude:g} delta_{format_unit(q.units)}'"
        )
    converted = q.to(target)
    if not math.isfinite(float(converted.magnitude)):
        raise UnitError(f"{_show(value)} is not a finite number")
    return converted


def _show(value: Any) -> str:
    if isinstance(value, pint.Quantity):
        return f"'{value.magnitude:g} {format_unit(value.units)}'"
    return repr(value)


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
    return _format_unit(format(ureg.Unit(unit) if isinstance(unit, str) else unit, "~C"))


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
    """``{"value": <float>, "unit": "<pint unit string>"}``, the JSON form of every quantity."""
    return {"value": float(q.magnitude), "unit": format_unit(q.units)}


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

    Bounds are in ``unit`` (``QuantityField("W", gt=0)``). The stored value is a
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
