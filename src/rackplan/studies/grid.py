"""The grid of a sweep: parsing what users vary, in their units, into kernel parameters.

``vary={"btc_price": "50000:150000:21", "power_price": ["40 USD/MWh", 55], "pue": (1.1, 1.4,
4)}`` becomes a :class:`Grid`: for each axis an :class:`Axis` (a range kept as ``start``,
``stop`` and a count, or the listed values) in the user's unit, which entries of the scenario
vector it sets (``pue`` sets both plants' PUE), the factor to the kernel's SI unit, and the base
vector of the case.

Nothing here holds a whole range in memory until asked: :attr:`Grid.shape` and
:attr:`Grid.size` come from the counts, so a caller checks a grid of ``1:2:1e12`` against its
memory budget before a single value exists (:attr:`Grid.values` materializes the axes).

Every varied input is range-checked by the model its file field belongs to (site, market or
hardware profile; ``pue_mine``/``pue_gpu`` by the site's ``pue``), as if given with ``--set``:
the two ends of a range and its second value (so that a whole-number field sees a fractional
step), the lowest and highest listed value and any listed value that is not a whole number.
(A short list is checked value by value.) The models' bounds are intervals, so these values
are enough; the models' own messages say what is wrong.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from rackplan._args import whole_number
from rackplan.errors import InputError, StudyError, shown

__all__ = ["Axis", "Grid", "make_grid", "parse_axis", "parse_spec", "linspace_piece",
           "case_inputs", "output_unit", "ALIASES", "MAX_VALUES"]

#: Names that set several kernel parameters at once, when the kernel keeps them apart (one
#: PUE per plant, of the design hour and of the year; ``--set pue=`` and ``vary={"pue": ...}``
#: set all four: a fixed PUE is the same every hour).
ALIASES = {"pue": ("pue_mine", "pue_gpu", "energy_pue_mine", "energy_pue_gpu")}

#: The largest count of one range: far beyond any memory (the budget refuses much less), and
#: small enough that a message can show it.
MAX_VALUES = 10**15

#: A list of at most this many distinct values is checked value by value; a longer one (an
#: array from Python) by its lowest and highest value and its first fractional one.
MAX_LISTED_CHECKS = 32

#: Kernel parameters that are hardware-profile figures: ``(which profile, field of
#: HardwareProfile)``. Their bounds are the profile model's (``power_max > 0``, ...).
PROFILE_FIELDS = {
    "miner_power": ("mining", "power_max"),
    "miner_hashrate": ("mining", "hashrate"),
    "miner_units_per_rack": ("mining", "units_per_rack"),
    "miner_rack_footprint": ("mining", "rack_footprint"),
    "miner_rack_weight": ("mining", "rack_weight"),
    "gpu_power_max": ("gpu", "power_max"),
    "gpu_power_typical": ("gpu", "power_typical"),
    "gpus_per_unit": ("gpu", "gpus_per_unit"),
    "gpu_units_per_rack": ("gpu", "units_per_rack"),
    "gpu_rack_footprint": ("gpu", "rack_footprint"),
    "gpu_rack_weight": ("gpu", "rack_weight"),
    "gpu_power_outside": ("gpu", "power_outside_rack"),
}

#: Profile fields that are no kernel input for that profile, and the field whose value they may
#: not exceed: a miner's typical power plays no part in a sweep, so varying ``miner_power``
#: below the profile's ``power_typical`` is no error (the check lowers it along).
PROFILE_FOLLOWERS = {"mining": {"power_typical": "power_max"}}

#: Kernel parameters set from a site field of another name: each plant's PUE is the site's
#: ``pue`` when that is given (and must be a PUE: at least 1).
SITE_FIELDS = {"pue_mine": "pue", "pue_gpu": "pue", "energy_pue_mine": "pue",
               "energy_pue_gpu": "pue"}

#: Joint checks of the varied fields of one profile (for cross-field rules such as
#: ``power_typical <= power_max``): every combination of their check values, up to this many
#: combinations; past it, each field alone and all ends together.
MAX_COMBINATIONS = 81


def _source(name: str) -> str:
    return f"vary {name}"


# --- one axis -----------------------------------------------------------------------------------


def linspace_piece(start: float, stop: float, n: int, lo: int = 0, hi: int | None = None):
    """Values ``lo:hi`` of ``np.linspace(start, stop, n)``, bit for bit, without the others.

    The same arithmetic as NumPy's ``linspace`` (``arange * step + start``, the last value set
    to ``stop``), so a chunk of a range computed alone equals that slice of the whole range.
    """
    hi = n if hi is None else hi
    y = np.arange(lo, hi, dtype=np.float64)
    if n <= 1:
        return y * 0.0 + start if hi > lo else y
    div = n - 1
    delta = stop - start
    step = delta / div
    if step == 0:
        y = (y / div) * delta
    else:
        y = y * step
    y += start
    if hi == n and hi > lo:
        y[-1] = stop
    return y


@dataclass(frozen=True)
class Axis:
    """One varied input: a range (``start``, ``stop``, ``n``) or listed values, in ``unit``."""

    name: str
    unit: str
    start: float = math.nan
    stop: float = math.nan
    n: int = 0
    listed: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n if self.listed is None else int(self.listed.shape[0])

    @property
    def is_range(self) -> bool:
        """Whether the axis is a range (start, stop, count) rather than listed values."""
        return self.listed is None

    def values(self) -> np.ndarray:
        """All values (this allocates them: check ``len`` against a budget first)."""
        if self.listed is not None:
            return self.listed
        return linspace_piece(self.start, self.stop, self.n)

    def check_values(self) -> list[float]:
        """The values a model must accept for all of them to be accepted (see the module)."""
        if self.listed is None:
            picks = [self.start, self.stop]
            if self.n > 2:
                picks.insert(1, float(linspace_piece(self.start, self.stop, self.n, 1, 2)[0]))
        else:
            v = self.listed
            distinct = np.unique(v) if v.size <= 4 * MAX_LISTED_CHECKS else None
            if distinct is not None and distinct.size <= MAX_LISTED_CHECKS:
                picks = [float(x) for x in distinct]  # every value a user listed
            else:
                picks = [float(v.min()), float(v.max())]
                fractional = np.flatnonzero(v != np.floor(v))
                if fractional.size:
                    picks.append(float(v[fractional[0]]))
        seen: list[float] = []
        for p in picks:
            if p not in seen:
                seen.append(p)
        return seen

    @property
    def lowest(self) -> float:
        """The lowest value of the axis, in the user's unit."""
        return min(self.start, self.stop) if self.listed is None else float(self.listed.min())

    @property
    def highest(self) -> float:
        """The highest value of the axis, in the user's unit."""
        return max(self.start, self.stop) if self.listed is None else float(self.listed.max())


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
    bad = StudyError(f"step count {shown(text)} is not a whole number", source=_source(name))
    if isinstance(text, bool) or not isinstance(text, (numbers.Real, str)):
        raise bad
    try:
        n = float(str(text).strip().replace("_", "")) if isinstance(text, str) else float(text)
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if not math.isfinite(n) or not n.is_integer():
        raise bad
    if n <= 0:
        raise StudyError(f"step count must be positive, got {int(n)}", source=_source(name))
    if n > MAX_VALUES:
        raise StudyError(f"step count {shown(text)} is more than {MAX_VALUES:.0e} values",
                         source=_source(name))
    return int(n)


def _one(v: Any, name: str, unit: str) -> float:
    from rackplan.units import Quantity

    if isinstance(v, str):
        return _number(v, name, unit)
    if isinstance(v, Quantity):
        if getattr(v.magnitude, "ndim", 0) != 0:
            raise StudyError(f"{shown(v)} is not one value", source=_source(name))
        try:
            return float(v.m_as(unit))
        except Exception as exc:
            raise StudyError(f"{shown(v)} is not in a unit convertible to {unit} ({exc})",
                             source=_source(name)) from None
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.integer,
                                                             np.floating)):
        raise StudyError(f"{shown(v)} is not a number", source=_source(name))
    return float(v)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise StudyError("values must be finite numbers", source=_source(name))
    return values


def parse_spec(name: str, spec: Any, unit: str) -> Axis:
    """One varied input as an :class:`Axis`, without materializing a range.

    ``spec`` is a list of values (numbers in ``unit`` or quantity strings such as
    ``"40 USD/MWh"``), a range ``(start, stop, n)`` or ``"start:stop:n"`` (``n`` values from
    ``start`` to ``stop``, both included), ``"a,b,c"``, one number, or a NumPy array.
    """
    from rackplan.units import Quantity

    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise StudyError("empty range", source=_source(name))
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise StudyError(f"{shown(spec)} is not start:stop:n", source=_source(name))
            spec = (parts[0], parts[1], parts[2])
        else:
            values = [_one(v, name, unit) for v in text.split(",") if v.strip()]
            if not values:
                raise StudyError("empty range", source=_source(name))
            return Axis(name, unit, listed=_finite(np.asarray(values, dtype=np.float64), name))
    if isinstance(spec, tuple):
        if len(spec) != 3:
            raise StudyError(f"a range is (start, stop, n), got {shown(spec)}",
                             source=_source(name))
        start, stop, n = _one(spec[0], name, unit), _one(spec[1], name, unit), _count(spec[2],
                                                                                     name)
        if not (math.isfinite(start) and math.isfinite(stop) and math.isfinite(stop - start)):
            raise StudyError("values must be finite numbers", source=_source(name))
        if n == 1 and start != stop:
            raise StudyError(f"one step from {start:g} to {stop:g}: give n >= 2",
                             source=_source(name))
        return Axis(name, unit, start=start, stop=stop, n=n)
    if isinstance(spec, Quantity):
        try:
            mags = np.atleast_1d(np.asarray(spec.m_as(unit), dtype=np.float64)).ravel()
        except Exception as exc:
            raise StudyError(f"{shown(spec)} is not in a unit convertible to {unit} ({exc})",
                             source=_source(name)) from None
        if not mags.size:
            raise StudyError("empty range", source=_source(name))
        return Axis(name, unit, listed=_finite(mags, name))
    if isinstance(spec, np.ndarray) and spec.dtype.kind in "iuf":
        values = np.ascontiguousarray(spec, dtype=np.float64).ravel()
    else:
        if isinstance(spec, (Mapping, set, frozenset, bytes)):
            raise StudyError(f"{shown(spec)} is not a list of values or a range",
                             source=_source(name))
        try:
            items = list(np.atleast_1d(np.asarray(spec, dtype=object)).ravel())
        except Exception:
            raise StudyError(f"{shown(spec)} is not a list of values or a range",
                             source=_source(name)) from None
        values = np.asarray([_one(v, name, unit) for v in items], dtype=np.float64)
    if not values.size:
        raise StudyError("empty range", source=_source(name))
    return Axis(name, unit, listed=_finite(values, name))


def parse_axis(name: str, spec: Any, unit: str, max_values: int = 10**8) -> np.ndarray:
    """The values of one varied input, in ``unit`` (see :func:`parse_spec`); more than
    ``max_values`` values are refused before any is made."""
    axis = parse_spec(name, spec, unit)
    if len(axis) > max_values:
        raise StudyError(f"{len(axis):,} values are more than {max_values:,}",
                         source=_source(name))
    return axis.values()


# --- the grid -----------------------------------------------------------------------------------


@dataclass
class Grid:
    """A parsed sweep request: axes (user units, with factors to SI), targets and the base.

    ``shape`` and ``size`` are known from the counts alone; ``values`` and ``si`` make the
    axes' arrays the first time they are asked for.
    """

    axes: list[Axis]
    si_units: list[str]
    scales: list[float]  # SI value = user value * scale + offset
    offsets: list[float]
    target_param: np.ndarray
    target_axis: np.ndarray
    base: np.ndarray
    n_months: int
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The axes' input names, in order."""
        return [a.name for a in self.axes]

    @property
    def units(self) -> list[str]:
        """The axes' units, as users write them."""
        return [a.unit for a in self.axes]

    @property
    def shape(self) -> tuple[int, ...]:
        """The count of values of each axis."""
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        """Number of grid points (a Python int: no overflow, whatever the counts)."""
        return math.prod(self.shape) if self.axes else 1

    @property
    def n_axis_values(self) -> int:
        """The values of all axes together (what the kernel holds, not the grid's size)."""
        return sum(self.shape)

    @cached_property
    def values(self) -> list[np.ndarray]:
        """Each axis's values in the user's unit (allocated on first use)."""
        return [a.values() for a in self.axes]

    def to_si(self, d: int, values):
        """Values of axis ``d`` (NumPy or dask) in the kernel's unit."""
        scale, offset = self.scales[d], self.offsets[d]
        out = values * scale if scale != 1.0 else values
        return out + offset if offset != 0.0 else out

    @cached_property
    def si(self) -> list[np.ndarray]:
        """Each axis's values in the kernel's SI unit."""
        return [np.asarray(self.to_si(d, v), dtype=np.float64)
                for d, v in enumerate(self.values)]

    def kernel_args(self):
        """The engine's grid arguments: base vector, the axes' SI values end to end, their
        starts and sizes, the parameters and axes they set, and the months."""
        si = self.si or [np.empty(0)]
        sizes = np.asarray([len(v) for v in self.si], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return (self.base, np.concatenate(si).astype(np.float64), starts, sizes,
                self.target_param, self.target_axis, self.n_months)


def _kernel():
    from rackplan.kernels import engine as scenario

    return scenario


def _resolve_name(name: str, params: tuple[str, ...], users: Mapping[str, str]) -> list[int]:
    if name in params:
        return [params.index(name)]
    if name in ALIASES and all(a in params for a in ALIASES[name]):
        return [params.index(a) for a in ALIASES[name]]
    from rackplan._io import close_matches

    known = sorted(set(users) | set(params) | {a for a in ALIASES if _alias_ok(a, params)})
    hint = close_matches(name, known)
    msg = f"unknown input {shown(name)}"
    msg += f"; did you mean {hint}?" if hint else f"; inputs that can vary: {', '.join(known)}"
    raise StudyError(msg, source="vary")


def _alias_ok(name: str, params: tuple[str, ...]) -> bool:
    return all(a in params for a in ALIASES[name])


def _si_factor(user_unit: str, si_unit: str, name: str) -> tuple[float, float]:
    """``(scale, offset)`` with ``SI = user * scale + offset``."""
    try:
        return _unit_line(user_unit, si_unit)
    except Exception as exc:
        raise StudyError(f"cannot convert {user_unit} to the kernel's {si_unit}: {exc}",
                         source=_source(name)) from None


@functools.lru_cache(maxsize=512)
def _unit_line(from_unit: str, to_unit: str) -> tuple[float, float]:
    """``(scale, offset)`` with ``to = from * scale + offset``: pint reads each pair of
    units once (a case's ninety inputs in their users' units took 4 ms a sweep)."""
    from rackplan.units import Q_

    offset = float(Q_(0.0, from_unit).m_as(to_unit))
    return float(Q_(1.0, from_unit).m_as(to_unit)) - offset, offset


def check_vary(vary: Any, source: str = "vary") -> dict[str, Any]:
    """``vary`` as a dict of ``{input name: spec}``; anything else names ``source``."""
    if not isinstance(vary, Mapping):
        raise StudyError(f"must map input names to values or ranges, e.g. "
                         f"{{'btc_price': '50000:150000:21'}}, got {type(vary).__name__}",
                         source=source)
    out: dict[str, Any] = {}
    for name, spec in vary.items():
        if not isinstance(name, str) or not name.strip():
            raise StudyError(f"input names are strings, got {shown(name)}", source=source)
        out[name.strip()] = spec
    return out


def check_years(years: Any, source: str = "years") -> int:
    """``years`` as a whole number from 1 to the horizon's limit; a :class:`StudyError`
    naming ``source`` otherwise."""
    from rackplan.economics.compare import MAX_YEARS

    return whole_number(years, source, 1, MAX_YEARS, StudyError)


def parse_grid(vary: Any) -> tuple[list[Axis], list[list[int]]]:
    """The axes of ``vary`` and the kernel parameters each sets; nothing materialized."""
    from rackplan.economics.inputs import user_units

    sc = _kernel()
    params = tuple(sc.PARAMS)
    vary = check_vary(vary)
    users = dict(user_units())
    axes, targets = [], []
    set_by: dict[int, str] = {}
    for name, spec in vary.items():
        idx = _resolve_name(name, params, users)
        for i in idx:
            if i in set_by:
                raise StudyError(f"{name} and {set_by[i]} both set {params[i]}: vary one of "
                                 f"them", source=_source(name))
            set_by[i] = name
        unit = users.get(name) or users.get(params[idx[0]]) or sc.PARAM_UNITS[params[idx[0]]]
        axes.append(parse_spec(name, spec, unit))
        targets.append(idx)
    return axes, targets


def make_grid(site=None, mining_profile=None, gpu_profile=None, market=None, *,
              vary: Mapping[str, Any], years: int = 5, overrides=None) -> Grid:
    """Parse ``vary`` against the kernel's parameters, build the base vector and check every
    axis against the models' bounds. No axis is materialized (see :class:`Grid`)."""
    from rackplan._args import overrides_mapping
    from rackplan.economics.compare import load_case, scenario_base

    sc = _kernel()
    params = tuple(sc.PARAMS)
    years = check_years(years)
    overrides = overrides_mapping(overrides, "overrides")
    axes, targets = parse_grid(vary)
    t_param, t_axis, si_units, scales, offsets = [], [], [], [], []
    for a, (axis, idx) in enumerate(zip(axes, targets)):
        si_unit = sc.PARAM_UNITS[params[idx[0]]]
        for i in idx:
            if sc.PARAM_UNITS[params[i]] != si_unit:  # alias targets share one unit
                raise RuntimeError(f"{axis.name}: parameters {params[idx[0]]} and {params[i]} "
                                   "differ in unit")
            t_param.append(i)
            t_axis.append(a)
        scale, offset = _si_factor(axis.unit, si_unit, axis.name)
        si_units.append(si_unit)
        scales.append(scale)
        offsets.append(offset)
    case = load_case(site, mining_profile, gpu_profile, market)  # the files read once, here
    base_dict = scenario_base(*case, years=years, overrides=overrides)
    check_ranges(axes, case, overrides)
    missing = [p for p in params if p not in base_dict]
    if missing:  # a contract breach, not a user error: say it plainly
        raise RuntimeError(f"scenario_base() lacks {missing}")
    base = np.asarray([float(base_dict[p]) for p in params], dtype=np.float64)
    return Grid(axes, si_units, scales, offsets, np.asarray(t_param, np.int64),
                np.asarray(t_axis, np.int64), base, years * 12, case_inputs(base_dict))


def case_inputs(base: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """Every input of a case (``scenario_base``, SI) in the unit users write it in:
    ``{"btc_price": {"value": 98076.0, "unit": "USD/BTC"}, ...}``, as a study records it."""
    from rackplan.economics.inputs import user_units
    from rackplan.kernels import engine as sc

    return {name: {"value": float(_from_si(float(base[name]), sc.PARAM_UNITS[name], unit)),
                   "unit": unit}
            for name, unit in user_units().items() if name in base}


def output_unit(name: str, kernel_unit: str) -> tuple[float, str | None]:
    """A study output's factor and unit: a breakeven in the unit users write its price in
    (USD/BTC, USD/hour, USD/MWh, not the kernel's USD/s or USD/J), anything else as the
    kernel gives it (factor 1, ``None``)."""
    from rackplan.economics.inputs import user_units
    from rackplan.units import Q_

    price = name[len("breakeven_"):] if name.startswith("breakeven_") else None
    unit = user_units().get(price) if price else None
    if unit is None:
        return 1.0, None
    try:
        return float(Q_(1.0, kernel_unit).m_as(unit)), unit
    except Exception:
        return 1.0, None  # a unit pint cannot read: keep the kernel's


# --- range checks by the models -----------------------------------------------------------------


def _plain_number_field(model, name: str) -> bool:
    """True for a field declared as a plain ``int`` or ``float`` (not a quantity)."""
    info = model.model_fields.get(name)
    if info is None:
        return False
    ann = info.annotation
    args = getattr(ann, "__args__", ())
    return ann in (int, float) or (bool(args) and set(args) <= {int, float, type(None)})


def _trial_value(model, field_name: str, value: float, unit: str):
    """``value`` (in the user's ``unit``) as the model's field takes it."""
    if unit in ("1", "") or _plain_number_field(model, field_name):
        return float(value)
    from rackplan.units import Q_

    return Q_(float(value), unit)


@dataclass
class _Target:
    axis: Axis
    model: str  # "case" (site and market, through scenario_base), "mining" or "gpu"
    field: str


def _targets(axes: list[Axis]) -> list[_Target]:
    from rackplan.economics.compare import route_overrides

    out = []
    for axis in axes:
        if axis.name in PROFILE_FIELDS:
            which, fname = PROFILE_FIELDS[axis.name]
            out.append(_Target(axis, which, fname))
        elif axis.name in SITE_FIELDS:
            out.append(_Target(axis, "case", SITE_FIELDS[axis.name]))
        else:
            try:
                route_overrides({axis.name: 0})
            except InputError:
                continue  # a kernel parameter with no file field: nothing to check it by
            out.append(_Target(axis, "case", axis.name))
    return out


def check_ranges(axes: list[Axis], case: tuple, overrides: Mapping[str, Any] | None) -> None:
    """Check every axis with the model its field belongs to (see the module's docstring) on
    ``case``, the models :func:`~rackplan.economics.compare.load_case` gave (no file is read
    again); a value out of range raises :class:`StudyError` naming ``vary <input>``, with the
    model's message."""
    targets = _targets(axes)
    if not targets:
        return
    checker = _Checker(case, overrides or {})
    by_model: dict[str, list[_Target]] = {}
    for t in targets:
        by_model.setdefault(t.model, []).append(t)
    for model, group in by_model.items():
        fields = [t.field for t in group]
        if model == "case" or len(group) == 1 or len(set(fields)) != len(fields):
            # one field (or two axes setting the same one: pue_mine and pue_gpu), or fields of
            # the site and market, whose rules bound each field alone: each alone, the others
            # at the base case
            for t in group:
                for v in t.axis.check_values():
                    checker.check(model, [(t, v)])
        elif math.prod(len(t.axis.check_values()) for t in group) <= MAX_COMBINATIONS:
            # several fields of one model: every combination of their check values, so that a
            # cross-field rule (power_typical <= power_max) sees the grid's worst corner
            for combo in itertools.product(*[t.axis.check_values() for t in group]):
                checker.check(model, list(zip(group, combo)))
        else:
            for t in group:
                for v in t.axis.check_values():
                    checker.check(model, [(t, v)])
            for end in ("lowest", "highest"):
                checker.check(model, [(t, getattr(t.axis, end)) for t in group])


class _Checker:
    def __init__(self, case: tuple, overrides: Mapping[str, Any]):
        self.case = case
        self.overrides = dict(overrides)
        self._profiles: dict[str, Any] = {}

    def check(self, model: str, items: list[tuple[_Target, float]]) -> None:
        if model == "case":
            self._check_case(items)
        else:
            self._check_profile(model, items)

    def _fail(self, items, field_name: str | None, message: str):
        head = (field_name or "").split(".")[0]
        name = next((t.axis.name for t, _ in items if t.field == head), items[0][0].axis.name)
        raise StudyError(message, source=_source(name)) from None

    def _check_case(self, items) -> None:
        from rackplan.economics.compare import load_case
        from rackplan.economics.market import Market
        from rackplan.facility.site import Site

        trial = dict(self.overrides)
        for t, v in items:
            model = Site if t.field in Site.model_fields else Market
            trial[t.field] = _trial_value(model, t.field, v, t.axis.unit)
        try:
            # each trial validated by the site and market models (not the whole parameter
            # vector: its plant PUEs were two thirds of a check's time, and no value passes the
            # models yet fails there)
            load_case(*self.case, overrides=trial)
        except InputError as exc:
            field_name = exc.field or (exc.source or "").removeprefix("--set").strip()
            self._fail(items, field_name, exc.message)

    def _profile(self, which: str):
        if which not in self._profiles:
            from rackplan.economics.compare import DEFAULT_GPU_PROFILE, DEFAULT_MINING_PROFILE
            from rackplan.facility.profiles import load_profile

            ref = self.case[1] if which == "mining" else self.case[2]
            if ref is None:
                ref = DEFAULT_MINING_PROFILE if which == "mining" else DEFAULT_GPU_PROFILE
            self._profiles[which] = load_profile(ref, source=f"--{which}-profile")
        return self._profiles[which]

    def _check_profile(self, which: str, items) -> None:
        from rackplan._io import model_input, validate
        from rackplan.errors import ProfileError
        from rackplan.facility.profiles import HardwareProfile

        profile = self._profile(which)
        data = model_input(profile)
        for t, v in items:
            data[t.field] = _trial_value(HardwareProfile, t.field, v, t.axis.unit)
        for follower, leader in PROFILE_FOLLOWERS.get(which, {}).items():
            try:
                if data[follower] > data[leader]:
                    data[follower] = data[leader]
            except Exception:  # a value the model refuses anyway: its message says why
                pass
        try:
            validate(HardwareProfile, data, source=profile.id or which, error=ProfileError)
        except ProfileError as exc:
            self._fail(items, exc.field, exc.message)


def _from_si(value, si_unit: str, user_unit: str):
    try:
        scale, offset = _unit_line(si_unit, user_unit)
    except Exception:
        return value
    return value * scale + offset
