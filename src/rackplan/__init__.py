"""rackplan: what fits in a power-rich site, how it must be cooled, and what it earns.

>>> import rackplan
>>> result = rackplan.size("moses-lake", "gb300-nvl72")          # doctest: +SKIP
>>> result.rack_count, result.binding_constraint                  # doctest: +SKIP

The public functions are imported lazily, so ``import rackplan`` stays cheap:

- :func:`rackplan.size` (capacity and cooling of a site for a hardware profile),
- :func:`rackplan.compare` (mining vs GPU-as-a-service vs colocation for the same site),
- :func:`rackplan.sweep` and :func:`rackplan.montecarlo` (many scenarios at once, on xarray),
- :func:`rackplan.load_profile`, :func:`rackplan.load_site`, :func:`rackplan.load_market`.

A public name always means the function, however often and in whatever order the functions are
called and whatever submodules were imported: ``rackplan.compare`` is the function even though a
submodule of the same name exists (reach the module as ``sys.modules["rackplan.compare"]`` or
``importlib.import_module("rackplan.compare")``).
"""

from __future__ import annotations

import importlib
import sys
import types

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
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # bound once; _Package keeps submodules from replacing it
        return value
    raise AttributeError(f"module 'rackplan' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


class _Package(types.ModuleType):
    """The package module, guarding its public names.

    Python's import system binds a submodule as an attribute of its package when the submodule
    is first loaded (``import rackplan.compare`` sets ``rackplan.compare``). Four public
    functions share their module's name, so without this guard the first import of, say,
    ``rackplan.compare`` (by ``rackplan.montecarlo``, or by the lazy import above) would turn
    ``rackplan.compare`` into a module and the next call into ``TypeError``.
    """

    def __setattr__(self, name: str, value) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the submodule stays reachable in sys.modules; the name stays the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
