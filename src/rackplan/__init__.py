"""rackplan: what fits in a power-rich site, how it must be cooled, and what it earns.

>>> import rackplan
>>> result = rackplan.size("moses-lake", "gb300-nvl72")          # doctest: +SKIP
>>> result.rack_count, result.binding_constraint                  # doctest: +SKIP

The public functions are imported lazily, so ``import rackplan`` stays cheap:

- :func:`rackplan.size` (capacity and cooling of a site for a hardware profile),
- :func:`rackplan.compare` (mining vs GPU-as-a-service vs colocation for the same site),
- :func:`rackplan.sweep` and :func:`rackplan.montecarlo` (many scenarios at once, on xarray),
- :func:`rackplan.load_profile`, :func:`rackplan.load_site`, :func:`rackplan.load_market`.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "size": "rackplan.capacity",
    "compare": "rackplan.compare",
    "sweep": "rackplan.sweep",
    "montecarlo": "rackplan.montecarlo",
    "breakeven_surface": "rackplan.sweep",
    "load_profile": "rackplan.profiles",
    "list_profiles": "rackplan.profiles",
    "load_site": "rackplan.site",
    "load_market": "rackplan.market",
    "ureg": "rackplan.units",
    "Q_": "rackplan.units",
    "RackplanError": "rackplan.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rackplan' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
