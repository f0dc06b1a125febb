"""What an option of a site is: :class:`Option` (a plug-in: its kind in the engine's option
table, its fleet, its lines and its own figures) and :class:`OptionContext` (what its figures
function sees). The registry of options is :mod:`rackplan.economics.options`; the built-in
options are ``OPTION`` in :mod:`rackplan.economics.mining`, :mod:`rackplan.economics.gpuaas` and
:mod:`rackplan.economics.colocation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from rackplan.errors import InputError
from rackplan.kernels.engine import FLEETS, KINDS, OPEX_LINES

__all__ = ["Option", "OptionContext", "never"]


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
    means : callable
        ``means(ctx) -> {name: (monthly array, unit)}``: series shown as yearly means (a
        rate, a price), beside the yearly sums.
    """

    name: str
    label: str
    kind: str
    fleet: str
    opex_lines: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, str, float]] = field(default_factory=dict)
    details: Callable[[OptionContext], tuple[dict[str, Any], dict[str, str]]] = _no_details
    means: Callable[[OptionContext], dict[str, tuple[Any, str]]] = lambda ctx: {}

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
