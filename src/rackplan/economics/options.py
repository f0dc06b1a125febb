"""The option registry: what a site can do with its power, as plug-ins.

An option (Bitcoin mining, GPU-as-a-service, colocation, ...) is one :class:`Option`: its name
and label, the row of the engine's option table it runs on (``kind``, one of
:data:`rackplan.kernels.engine.KINDS`), the fleet the site is sized for (``"mining"``: the
mining profile, ``"gpu"``: the GPU profile; the fleet brings its build period and facility
capex), the monthly lines it writes (its opex lines, the extra yearly rows it reports), and a
function that adds its own figures to the result. :func:`rackplan.compare` and the studies loop
over :func:`registered`; nothing else names an option.

An option is defined in :mod:`rackplan.economics.option`; the built-in options (each module's
``OPTION``) live beside their models (:mod:`rackplan.economics.mining`,
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

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from rackplan.economics import colocation, gpuaas, mining
from rackplan.economics.option import Option, OptionContext, never
from rackplan.errors import InputError
from rackplan.kernels.engine import FLEETS, KINDS, output_table

__all__ = ["Option", "OptionContext", "register", "unregister", "registered", "get", "never",
           "slots", "EngineTable", "engine_table"]


#: The registered options by name, in order: the built-in ones first.
_REGISTRY: dict[str, Option] = {m.OPTION.name: m.OPTION for m in (mining, gpuaas, colocation)}


def register(option: Option) -> Option:
    """Add ``option`` to the registry (after those already there) and return it. A name that
    is taken raises :class:`InputError`."""
    if not isinstance(option, Option):
        raise InputError(f"must be an Option, got {type(option).__name__}", source="option")
    if option.name in _REGISTRY:
        raise InputError(f"an option named {option.name!r} is registered already",
                         source="option name")
    _REGISTRY[option.name] = option
    return option


def unregister(name: str) -> None:
    """Remove the option ``name`` (a built-in one too; see :func:`registered`)."""
    if name not in _REGISTRY:
        raise InputError(f"no option named {name!r} is registered", source="option name")
    del _REGISTRY[name]


def registered() -> tuple[Option, ...]:
    """The registered options, in order: the built-in mining, GPU-as-a-service and
    colocation, then any added."""
    return tuple(_REGISTRY.values())


def get(name: str) -> Option:
    """The registered option ``name``."""
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
        """The row of output ``name`` in the engine's output table."""
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
