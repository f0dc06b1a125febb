"""The grid of a sweep: parsing what users vary, in their units, into kernel parameters.

``vary={"btc_price": "50000:150000:21", "power_price": ["40 USD/MWh", 55], "pue": (1.1, 1.4,
4)}`` becomes a :class:`Grid`: for each axis its values in the user's unit (the coordinates of
the result) and in the kernel's SI unit, which entries of the scenario vector it sets (``pue``
sets both plants' PUE), and the base vector of the case. The ends of every axis are checked by
the site and market models as if given with ``--set``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from rackplan.errors import StudyError

__all__ = ["Grid", "make_grid", "parse_axis", "ALIASES"]

#: Names that set several kernel parameters at once, when the kernel keeps them apart (the
#: contract lets it keep one PUE per plant; ``--set pue=`` and ``vary={"pue": ...}`` set both).
ALIASES = {"pue": ("pue_mine", "pue_gpu")}


def _source(name: str) -> str:
    return f"vary {name}"


def _number(text: str, name: str, unit: str) -> float:
    """A number in ``unit`` from ``"50000"`` or ``"50 kUSD/BTC"``."""
    from rackplan.units import parse_quantity

    text = text.strip()
    try:
        return float(text.replace("_", ""))
    except ValueError:
        pass
    try:
        return float(parse_quantity(text, unit).magnitude)
    except StudyError:
        raise
    except Exception as exc:  # UnitError, with the value and the expected dimension
        raise StudyError(str(exc), source=_source(name)) from None


def _count(text: Any, name: str) -> int:
    try:
        n = float(text)
    except (TypeError, ValueError):
        raise StudyError(f"step count {text!r} is not a whole number", source=_source(name))
    if not n.is_integer():
        raise StudyError(f"step count {text!r} is not a whole number", source=_source(name))
    if n <= 0:
        raise StudyError(f"step count must be positive, got {int(n)}", source=_source(name))
    return int(n)


def parse_axis(name: str, spec: Any, unit: str) -> np.ndarray:
    """The values of one varied input, in ``unit`` (the unit users write it in).

    ``spec`` is a list of values (numbers in ``unit`` or quantity strings such as
    ``"40 USD/MWh"``), a range ``(start, stop, n)`` or ``"start:stop:n"`` (``n`` values from
    ``start`` to ``stop``, both included), or ``"a,b,c"``.
    """
    from rackplan.units import Quantity

    def one(v: Any) -> float:
        if isinstance(v, str):
            return _number(v, name, unit)
        if isinstance(v, Quantity):
            return _number(f"{v.magnitude} {v.units:~}", name, unit)
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise StudyError(f"{v!r} is not a number", source=_source(name))
        return float(v)

    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise StudyError("empty range", source=_source(name))
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise StudyError(f"{spec!r} is not start:stop:n", source=_source(name))
            spec = (parts[0], parts[1], parts[2])
        else:
            values = [one(v) for v in text.split(",") if v.strip()]
            if not values:
                raise StudyError("empty range", source=_source(name))
            return _finite(np.asarray(values, dtype=np.float64), name)
    if isinstance(spec, tuple):
        if len(spec) != 3:
            raise StudyError(f"a range is (start, stop, n), got {spec!r}", source=_source(name))
        start, stop, n = one(spec[0]), one(spec[1]), _count(spec[2], name)
        if n == 1 and start != stop:
            raise StudyError(f"one step from {start:g} to {stop:g}: give n >= 2",
                             source=_source(name))
        return _finite(np.linspace(start, stop, n), name)
    values = list(np.atleast_1d(np.asarray(spec, dtype=object)).ravel())
    if not values:
        raise StudyError("empty range", source=_source(name))
    return _finite(np.asarray([one(v) for v in values], dtype=np.float64), name)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise StudyError("values must be finite numbers", source=_source(name))
    return values


@dataclass
class Grid:
    """A parsed sweep request: axes (user units and SI), targets and the base vector."""

    names: list[str]
    units: list[str]
    values: list[np.ndarray]  # user units
    si: list[np.ndarray]  # SI, the unit of the (first) kernel parameter each axis sets
    target_param: np.ndarray
    target_axis: np.ndarray
    base: np.ndarray
    n_months: int
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.values else 1

    def kernel_args(self):
        si = self.si or [np.empty(0)]
        sizes = np.asarray([len(v) for v in self.si], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return (self.base, np.concatenate(si).astype(np.float64), starts, sizes,
                self.target_param, self.target_axis, self.n_months)


def _kernel():
    from rackplan.kernels import scenario

    return scenario


def _resolve_name(name: str, params: tuple[str, ...], users: Mapping[str, str]) -> list[int]:
    if name in params:
        return [params.index(name)]
    if name in ALIASES and all(a in params for a in ALIASES[name]):
        return [params.index(a) for a in ALIASES[name]]
    from rackplan._io import close_matches

    known = sorted(set(users) | set(params) | {a for a in ALIASES if _alias_ok(a, params)})
    hint = close_matches(name, known)
    msg = f"unknown input {name!r}"
    msg += f"; did you mean {hint}?" if hint else f"; inputs that can vary: {', '.join(known)}"
    raise StudyError(msg, source="vary")


def _alias_ok(name: str, params: tuple[str, ...]) -> bool:
    return all(a in params for a in ALIASES[name])


def _to_si(values: np.ndarray, user_unit: str, si_unit: str, name: str) -> np.ndarray:
    from rackplan.units import Q_

    try:
        return np.asarray(Q_(values, user_unit).m_as(si_unit), dtype=np.float64)
    except Exception as exc:
        raise StudyError(f"cannot convert {user_unit} to the kernel's {si_unit}: {exc}",
                         source=_source(name)) from None


def make_grid(site=None, mining_profile=None, gpu_profile=None, market=None, *,
              vary: Mapping[str, Any], years: int = 5, overrides=None) -> Grid:
    """Parse ``vary`` against the kernel's parameters and build the base vector."""
    from rackplan.compare import scenario_base, user_units

    sc = _kernel()
    params = tuple(sc.PARAMS)
    if not isinstance(vary, Mapping):
        raise StudyError("vary must map input names to values or ranges", source="vary")
    if years is None or int(years) != years or years <= 0:
        raise StudyError(f"years must be a positive whole number, got {years!r}", source="years")
    users = dict(user_units())
    names, units, values, si, t_param, t_axis = [], [], [], [], [], []
    for a, (name, spec) in enumerate(vary.items()):
        idx = _resolve_name(name, params, users)
        unit = users.get(name) or users.get(params[idx[0]]) or sc.PARAM_UNITS[params[idx[0]]]
        vals = parse_axis(name, spec, unit)
        names.append(name)
        units.append(unit)
        values.append(vals)
        for i in idx:
            t_param.append(i)
            t_axis.append(a)
        si.append(_to_si(vals, unit, sc.PARAM_UNITS[params[idx[0]]], name))
        for i in idx[1:]:  # alias targets share the axis: same unit by construction
            if sc.PARAM_UNITS[params[i]] != sc.PARAM_UNITS[params[idx[0]]]:
                raise StudyError(f"{name}: parameters {params[idx[0]]} and {params[i]} differ "
                                 "in unit", source="vary")
    base_dict = scenario_base(site, mining_profile, gpu_profile, market, years=int(years),
                              overrides=overrides)
    _check_ranges(names, units, values, (site, mining_profile, gpu_profile, market), overrides)
    missing = [p for p in params if p not in base_dict]
    if missing:  # a contract breach, not a user error: say it plainly
        raise RuntimeError(f"scenario_base() lacks {missing}")
    base = np.asarray([float(base_dict[p]) for p in params], dtype=np.float64)
    inputs = {}
    for name, unit in users.items():
        if name in params:
            inputs[name] = {"value": float(_from_si(base[params.index(name)],
                                                    sc.PARAM_UNITS[name], unit)), "unit": unit}
    return Grid(names, units, values, si, np.asarray(t_param, np.int64),
                np.asarray(t_axis, np.int64), base, int(years) * 12, inputs)


def _check_ranges(names, units, values, case: tuple, overrides) -> None:
    """Check the lowest and the highest value of every axis with the site and market models,
    as if given with ``--set``: a BTC price of -5 or a utilization of 1.5 is refused with the
    model's own message. Inputs that are not site or market fields (the profiles' figures) are
    left to the kernel. The models' bounds are intervals, so the two ends are enough."""
    from rackplan.compare import route_overrides, scenario_base
    from rackplan.errors import InputError

    checked = []
    for name, unit, vals in zip(names, units, values):
        try:
            route_overrides({name: 0})
        except InputError:
            continue  # not a --set field
        checked.append((name, unit, vals))
    base = dict(overrides or {}) if isinstance(overrides, Mapping) else {}
    for end in (np.min, np.max):
        trial = dict(base)
        for name, unit, vals in checked:
            v = float(end(vals))
            trial[name] = repr(v) if unit == "1" else f"{v!r} {unit}"
        if not checked:
            return
        try:
            scenario_base(*case, overrides=trial)
        except InputError as exc:
            field = exc.field or (exc.source or "").removeprefix("--set ").strip()
            name = field if field in names else next(iter(n for n, *_ in checked))
            raise StudyError(exc.message, source=_source(name)) from None


def _from_si(value, si_unit: str, user_unit: str):
    from rackplan.units import Q_

    try:
        return Q_(value, si_unit).m_as(user_unit)
    except Exception:
        return value
