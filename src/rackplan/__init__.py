"""rackplan: what fits in a power-rich site, how it must be cooled, and what it earns.

>>> import rackplan
>>> result = rackplan.size("moses-lake", "gb300-nvl72")          # doctest: +SKIP
>>> result.rack_count, result.binding_constraint                  # doctest: +SKIP

The public functions are imported lazily, so ``import rackplan`` stays cheap:

- :func:`rackplan.size` (capacity and cooling of a site for a hardware profile),
- :func:`rackplan.annual` (a year of the cooling plant, hour by hour: annual PUE, WUE),
- :func:`rackplan.compare` (mining vs GPU-as-a-service vs colocation for the same site),
- :func:`rackplan.sweep` and :func:`rackplan.montecarlo` (many scenarios at once, on xarray),
- :func:`rackplan.report` (one self-contained HTML page a person reads: the case, its inputs
  and sources, sizing, weather, cash flows, breakevens, Monte Carlo, warnings),
- :func:`rackplan.load_profile`, :func:`rackplan.load_site`, :func:`rackplan.load_market`.

The package is laid out in wings, so the folders show the architecture (arrows point down):
the ground (``units``, ``errors``, ``_io``, ``_args``, ``_jit``), :mod:`rackplan.kernels` (numba,
SI floats), :mod:`rackplan.facility` (profiles, sites, sizing), :mod:`rackplan.economics`
(market, options, :func:`~rackplan.economics.compare.compare`), :mod:`rackplan.studies`
(sweeps, Monte Carlo) and :mod:`rackplan.cli` on top. No module shares its name with a public
function, so ``rackplan.compare`` is the function however often and in whatever order the
functions are called and whatever submodules were imported.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "size": "rackplan.facility.capacity",
    "annual": "rackplan.facility.annual",
    "load_weather": "rackplan.facility.weather",
    "compare": "rackplan.economics.compare",
    "sweep": "rackplan.studies.sweep",
    "montecarlo": "rackplan.studies.montecarlo",
    "breakeven_surface": "rackplan.studies.sweep",
    "report": "rackplan.reporting.build",
    "load_profile": "rackplan.facility.profiles",
    "list_profiles": "rackplan.facility.profiles",
    "load_site": "rackplan.facility.site",
    "load_market": "rackplan.economics.market",
    "ureg": "rackplan.units",
    "Q_": "rackplan.units",
    "RackplanError": "rackplan.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # bound once: the next access does not come here
        return value
    raise AttributeError(f"module 'rackplan' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
