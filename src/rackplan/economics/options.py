"""The option registry: what a site can do with its power, as plug-ins.

An option (Bitcoin mining, GPU-as-a-service, colocation, ...) is one :class:`Option`: its name
and label, the row of the engine's option table it runs on (``kind``, one of
:data:`rackplan.kernels.engine.KINDS`), the fleet the site is sized for (``"mining"``: the
mining profile, ``"gpu"``: the GPU profile; the fleet brings its build period and facility
capex), the monthly lines it writes (its opex lines, the extra yearly rows it reports), and a
function that adds its own figures to the result. :func:`rackplan.compare` and the studies loop
over :func:`registered`; nothing else names an option.

The built-in options (each module's ``OPTION``) live beside their models (:mod:`rackplan.economics.mining`,
:mod:`rackplan.economics.gpuaas`, :mod:`rackplan.economics.colocation`). A new option of an
existing kind needs only :func:`register`::

    >>> from rackplan.economics.options import Option, register, unregister
    >>> hosting = register(Option(name="hosting", label="Miner hosting", kind="colocation",
    ...                           fleet="mining", opex_lines=("operator",)))
    >>> # ... rackplan.compare() now has a fourth option ...
    >>> unregister("hosting")

A new kind adds a row to the engine's option table (its basis, scales and lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from rackplan.errors import InputError
from rackplan.kernels.engine import FLEETS, KINDS, OPEX_LINES, output_table

__all__ = ["Option", "OptionContext", "register", "unregister", "registered", "get", "never",
           "slots", "EngineTable", "engine_table"]


@dataclass(frozen=True)
class OptionContext:
    """What an option's ``details`` function sees of one comparison.

    ``lines``: the option's monthly lines (:data:`rackplan.kernels.engine.LINES`, arrays of
    ``n_months``); ``start``: its first operating month; ``base``: the scenario's parameter
    vector (SI, by name); ``sizing``: the sizing of its fleet; ``profile``: its fleet's
    hardware profile; ``market`` and ``site`` the loaded models.
    """

    option: "Option"
    lines: Mapping[str, Any]
    start: int
    n_months: int
    base: Mapping[str, float]
    sizing: Any
    profile: Any
    market: Any
    site: Any


def never(what: str, start: int, n: int, units: int, profile: str) -> str:
    """Why an option produces nothing: no unit fits, or its build outlasts the horizon."""
    if units <= 0:
        return f"{what}: not one {profile} unit fits the site"
    if start >= n:
        return (f"{what}: its {start}-month build period leaves no operating month in the "
                f"{n}-month horizon")
    return what


def _no_details(ctx: OptionContext) -> tuple[dict[str, Any], dict[str, str]]:
    return {}, {}


@dataclass(frozen=True)
class Option:
    """One option of a site.

    Attributes
    ----------
    name : str
        Key in results, JSON, datasets (``npv_<name>``); a Python identifier.
    label : str
        How tables and warnings name it.
    kind : str
        The engine's option-table row it runs on (``"mine"``, ``"gpuaas"``, ``"colocation"``).
    fleet : str
        ``"mining"`` or ``"gpu"``: the profile the site is sized for, and so the build period
        and facility capex.
    opex_lines : tuple of str
        The opex lines it reports (a subset of :data:`rackplan.kernels.engine.OPEX_LINES`).
    extras : mapping
        Extra yearly rows: ``name -> (line, unit, factor)``, the line's yearly sums times
        ``factor`` in ``unit`` (``"gpu_hours": ("volume", "hour", 1 / 3600)``).
    details : callable
        ``details(ctx) -> (figures, notes)``: the option's own figures for the result
        (quantities), and why any of them is undefined (``{figure: reason}``).
    """

    name: str
    label: str
    kind: str
    fleet: str
    opex_lines: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, str, float]] = field(default_factory=dict)
    details: Callable[[OptionContext], tuple[dict[str, Any], dict[str, str]]] = _no_details

    def __post_init__(self):
        if not self.name.isidentifier():
            raise InputError(f"must be a Python identifier, got {self.name!r}",
                             source="option name")
        if self.kind not in KINDS:
            raise InputError(f"must be one of {', '.join(KINDS)}, got {self.kind!r}",
                             source=f"option {self.name}: kind")
        if self.fleet not in FLEETS:
            raise InputError(f"must be one of {', '.join(FLEETS)}, got {self.fleet!r}",
                             source=f"option {self.name}: fleet")
        unknown = [line for line in self.opex_lines if line not in OPEX_LINES]
        if unknown:
            raise InputError(f"not opex lines: {', '.join(unknown)} (lines: "
                             f"{', '.join(OPEX_LINES)})", source=f"option {self.name}: opex_lines")


_REGISTRY: dict[str, Option] = {}


def register(option: Option) -> Option:
    """Add ``option`` to the registry (after those already there) and return it. A name that
    is taken raises :class:`InputError`."""
    if not isinstance(option, Option):
        raise InputError(f"must be an Option, got {type(option).__name__}", source="option")
    _builtins()
    if option.name in _REGISTRY:
        raise InputError(f"an option named {option.name!r} is registered already",
                         source="option name")
    _REGISTRY[option.name] = option
    return option


def unregister(name: str) -> None:
    """Remove the option ``name`` (a built-in one too; see :func:`registered`)."""
    _builtins()
    if name not in _REGISTRY:
        raise InputError(f"no option named {name!r} is registered", source="option name")
    del _REGISTRY[name]


def registered() -> tuple[Option, ...]:
    """The registered options, in order: the built-in mining, GPU-as-a-service and
    colocation, then any added."""
    _builtins()
    return tuple(_REGISTRY.values())


def get(name: str) -> Option:
    """The registered option ``name``."""
    _builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"no option named {name!r} is registered", source="option name")


def slots(options) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine's option slots for ``options``: ``(kinds, fleets, pair)`` int64 arrays, the
    pair being the first mining and the first GPU-as-a-service option (the gap and the
    breakevens compare those two)."""
    options = tuple(options)
    kinds = np.array([KINDS.index(o.kind) for o in options], dtype=np.int64)
    fleets = np.array([FLEETS.index(o.fleet) for o in options], dtype=np.int64)
    try:
        pair = np.array([[o.kind for o in options].index("mine"),
                         [o.kind for o in options].index("gpuaas")], dtype=np.int64)
    except ValueError:
        raise InputError("the options must include one of kind 'mine' and one of kind "
                         "'gpuaas' (the breakevens compare them)", source="options") from None
    return kinds, fleets, pair


@dataclass(frozen=True)
class EngineTable:
    """What the engine computes for a set of options: the slots (``kinds``, ``fleets``,
    ``pair``, as :func:`slots`) and the outputs' ``names`` (in the engine's order), ``units``
    (SI) and ``long_names``."""

    options: tuple[Option, ...]
    kinds: np.ndarray
    fleets: np.ndarray
    pair: np.ndarray
    names: tuple[str, ...]
    units: Mapping[str, str]
    long_names: Mapping[str, str]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def want(self, names) -> np.ndarray:
        """The engine's indexes of the outputs ``names`` (int64)."""
        return np.array([self.names.index(n) for n in names], dtype=np.int64)


def engine_table(options=None) -> EngineTable:
    """The :class:`EngineTable` of ``options`` (default: the registered ones)."""
    options = registered() if options is None else tuple(options)
    kinds, fleets, pair = slots(options)
    rows = output_table([o.name for o in options], {o.name: o.label for o in options})
    return EngineTable(options=options, kinds=kinds, fleets=fleets, pair=pair,
                       names=tuple(r[0] for r in rows), units={r[0]: r[1] for r in rows},
                       long_names={r[0]: r[2] for r in rows})


_LOADED = False


def _builtins() -> None:
    # The built-in options are each module's OPTION; imported on first use (they import this
    # module, so not at the top) and registered in this order.
    global _LOADED
    if not _LOADED:
        _LOADED = True
        from rackplan.economics import colocation, gpuaas, mining

        for module in (mining, gpuaas, colocation):
            _REGISTRY[module.OPTION.name] = module.OPTION
