"""The public Python API as the README shows it: every public name stays the function however
often, and in whatever order, the functions are called and whatever submodules were imported."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import rackplan

FUNCTIONS = ("size", "compare", "sweep", "montecarlo", "breakeven_surface", "report",
             "load_profile", "list_profiles", "load_site", "load_market")

# Small, fast calls of each public function (the built-in case).
CALLS = {
    "size": "rackplan.size('moses-lake', 'gb300-nvl72')",
    "compare": "rackplan.compare(years=2)",
    "sweep": "rackplan.sweep(vary={'btc_price': '50000:150000:3'}, years=2)",
    "montecarlo": "rackplan.montecarlo(paths=64, seed=1, years=2)",
    "breakeven": "rackplan.breakeven_surface(x=('gpu_hour_price', '2:4:2'), "
                 "y=('power_price', '30:40:2'), years=2)",
    "profiles": "rackplan.load_profile('gb300-nvl72'), rackplan.list_profiles()",
    "site": "rackplan.load_site('moses-lake')",
    "market": "rackplan.load_market()",
}

ORDERS = [
    ["compare", "compare", "sweep", "sweep", "montecarlo", "montecarlo"],
    ["montecarlo", "compare", "montecarlo", "sweep", "compare", "size", "size"],
    ["sweep", "montecarlo", "compare", "breakeven", "sweep", "breakeven", "compare"],
    ["size", "profiles", "site", "market", "compare", "profiles", "site", "market", "size"],
]


def _script(order: list[str], imports: str = "") -> str:
    body = "\n".join(
        f"{CALLS[name]}\n"
        f"assert all(callable(getattr(rackplan, f)) for f in {FUNCTIONS!r}), {name!r}"
        for name in order)
    return f"import rackplan\n{imports}\n{body}\nprint('ok')\n"


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_public_functions_can_be_called_twice_in_any_order(order):
    """In a fresh interpreter (as a notebook starts), so no other test's imports help."""
    done = subprocess.run([sys.executable, "-c", _script(order)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_importing_every_submodule_first_keeps_the_functions():
    imports = textwrap.dedent("""
        import rackplan.economics.compare, rackplan.studies.sweep, rackplan.studies.montecarlo, rackplan.facility.capacity
        import rackplan.facility.profiles, rackplan.facility.site, rackplan.economics.market
        from rackplan.economics.compare import compare as _c
        """)
    done = subprocess.run([sys.executable, "-c", _script(["compare", "sweep", "size"], imports)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_name_is_the_function_after_its_module_is_imported(name):
    module = importlib.import_module(rackplan._LAZY[name])
    assert callable(getattr(rackplan, name))
    assert getattr(rackplan, name) is getattr(module, name)
    assert vars(rackplan)[name] is getattr(module, name)  # bound in the package itself


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        rackplan.nonexistent  # noqa: B018
