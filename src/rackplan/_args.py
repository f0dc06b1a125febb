"""Checks of the arguments of the public Python functions, shared by all of them.

Every bad argument raises an :class:`~rackplan.errors.InputError` (a :class:`RackplanError`)
whose message names the argument, the same way in every function: ``years=True`` is refused by
``compare``, ``sweep`` and ``montecarlo`` alike, and an array where one value is expected is an
error, not a ``TypeError`` deep inside. ``source`` is the name the caller knows the argument by
(``"years"`` from Python, ``"--years"`` from the CLI).
"""

from __future__ import annotations

import datetime
import math
import numbers
from typing import Any, Mapping

from rackplan.errors import InputError, shown

__all__ = ["whole_number", "real_number", "overrides_mapping"]


def whole_number(value: Any, source: str, lo: int, hi: int,
                 error: type[InputError] = InputError) -> int:
    """``value`` as an int in ``[lo, hi]``: an int, or a float or string that is a whole number.

    ``True``/``False`` are refused (a flag is not a count), as are arrays, NaN and infinity.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise error(f"{shown(value)} is not a whole number from {lo:,} to {hi:,}",
                    source=source)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{shown(value)} is not a whole number from {lo:,} to {hi:,}",
                    source=source) from None
    if not math.isfinite(number) or not number.is_integer() or not lo <= number <= hi:
        raise error(f"must be a whole number from {lo:,} to {hi:,}, got {shown(value)}",
                    source=source)
    return int(number)


def real_number(value: Any, source: str, lo: float = -math.inf, hi: float = math.inf,
                error: type[InputError] = InputError) -> float:
    """``value`` as a finite float in ``[lo, hi]`` (an int, a float or a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise error(f"{shown(value)} is not a number", source=source)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{shown(value)} is not a number", source=source) from None
    if not math.isfinite(number):
        raise error(f"{shown(value)} is not a finite number", source=source)
    if not lo <= number <= hi:
        raise error(f"must be from {lo:g} to {hi:g}, got {shown(value)}", source=source)
    return number


def _is_scalar_value(value: Any) -> bool:
    from rackplan.units import Quantity  # pint only when overrides are given

    if isinstance(value, Quantity):
        return getattr(value.magnitude, "ndim", 0) == 0 and not isinstance(value.magnitude, list)
    return isinstance(value, (str, bool, numbers.Real, datetime.date))  # a market's date


def overrides_mapping(overrides: Any, source: str = "overrides") -> dict[str, Any]:
    """``overrides`` as a plain dict of ``{field name: one value}``; ``None`` is empty.

    Values are what ``--set`` takes: a quantity string (``"20 MW"``), a number, a boolean or a
    pint quantity; an array or a list is refused (vary an input with ``sweep`` instead).
    ``source`` names the argument: ``"overrides"`` from Python (a bad value is named
    ``overrides['pue']``), ``"--set"`` from the command line (``--set pue``).
    """
    from_cli = source.startswith("--")
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise InputError(f"must be a mapping of field names to values, e.g. "
                         f"{{'pue': 1.3}}, got {type(overrides).__name__}", source=source)
    result: dict[str, Any] = {}
    for name, value in overrides.items():
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"field names are strings, got {shown(name)}", source=source)
        if not _is_scalar_value(value):
            several = "--vary with rackplan sweep" if from_cli else "rackplan.sweep"
            raise InputError(f"one value is expected (a number, a quantity string such as "
                             f"'20 MW'{'' if from_cli else ', or a pint quantity'}), got "
                             f"{type(value).__name__}; to try several values use {several}",
                             source=f"{source} {name}" if from_cli else f"{source}[{name!r}]")
        result[name] = value
    return result
