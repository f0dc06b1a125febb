"""The numba switch (rackplan._jit): kernels compiled lazily, or run as Python for one site.

A one-site command runs the kernels' own source as Python (:func:`rackplan._jit.interpreted`)
so that it never imports numba; sweeps and Monte Carlo compile the same source. These tests
hold the two runs equal, and check that the one-site commands really import neither numba nor
dask (the start-up they save is measured in benchmarks/test_bench_cli.py).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

from rackplan import _jit
from rackplan.kernels import capacity as kcap
from rackplan.kernels import engine

from test_capacity import random_sites
from test_engine import BUILT_IN, FOUR, SHUFFLED, monthly, random_scenarios


def _interpreted(fn, *args, **kwargs):
    with _jit.interpreted():
        return fn(*args, **kwargs)


@pytest.mark.parametrize("slots", [BUILT_IN, FOUR, SHUFFLED], ids=repr)
@pytest.mark.parametrize("n_months", [12, 60])
def test_the_engine_run_as_python_equals_the_compiled_engine(slots, n_months):
    # the same source both ways: only the last bits of exp/log/pow may differ
    for p in random_scenarios(6, n_months, seed=11):
        lines_c, row_c = monthly(p, n_months, slots)
        lines_p, row_p = _interpreted(monthly, p, n_months, slots)
        np.testing.assert_allclose(lines_p, lines_c, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(row_p, row_c, rtol=1e-12, atol=1e-9)


def test_the_sizing_run_as_python_equals_the_compiled_sizing():
    args = random_sites(40, 5)  # prange is range as Python, numba's parallel loop compiled
    compiled = kcap.size_sites_alloc(*args)
    interpreted = _interpreted(kcap.size_sites_alloc, *args)
    for name, a, b in zip(kcap.SITE_OUTPUTS, interpreted, compiled):
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True, err_msg=name)


def test_compare_runs_as_python_and_equals_the_compiled_scenario():
    import rackplan
    from rackplan.economics.compare import run_options, scenario_base

    result = rackplan.compare()
    base = scenario_base()
    compiled = run_options(base, 60)  # outside compare(): compiled
    interpreted = _interpreted(run_options, base, 60)
    for name, option in result.options.items():
        # the NPV of compare() is the compiled engine's, to the last bits
        assert option.npv.m == pytest.approx(compiled.outputs[f"npv_{name}"], rel=1e-12)
        assert interpreted.outputs[f"npv_{name}"] == pytest.approx(
            compiled.outputs[f"npv_{name}"], rel=1e-12)


def test_a_kernel_pickles_by_name_and_forwards_to_its_dispatcher():
    kernel = engine.run_scenario
    assert isinstance(kernel, _jit.Kernel)
    assert pickle.loads(pickle.dumps(kernel)) is kernel
    assert kernel.__name__ == "run_scenario" and kernel.py_func.__name__ == "run_scenario"
    assert kernel.targetoptions["error_model"] == "numpy"
    assert "rackplan kernel" in repr(kernel)
    monthly(random_scenarios(1, 12, seed=3)[0], 12, BUILT_IN)  # compiles run_scenario
    assert isinstance(kernel.signatures, list)  # numba's own attribute, from the dispatcher
    with pytest.raises(AttributeError):
        kernel.__no_such_dunder__


def test_fixed_tuple_and_prange_run_as_python_before_numba_is_loaded():
    assert _jit.fixed_tuple(np.arange(5.0), 3) == (0.0, 1.0, 2.0)
    assert list(_jit._python_prange(2, 5)) == [2, 3, 4]


def test_interpreted_is_per_thread_and_restored_after_an_error():
    import threading

    seen = {}
    with pytest.raises(ZeroDivisionError):
        with _jit.interpreted():
            seen["inside"] = _jit._STATE.python
            thread = threading.Thread(target=lambda: seen.setdefault(
                "other", getattr(_jit._STATE, "python", False)))
            thread.start()
            thread.join()
            1 / 0
    assert seen == {"inside": True, "other": False}
    assert _jit._STATE.python is False


_PROBE = """
import json, sys
from rackplan.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({m: m in sys.modules for m in ("numba", "dask", "xarray")}), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["size"], ["compare"], ["hashprice"],
                                  ["size", "--profile", "antminer-s21-xp-hyd"],
                                  ["compare", "--format", "json"],
                                  ["hashprice", "--profile", "antminer-s21-xp-hyd",
                                   "--power-price", "45"]],
                         ids=" ".join)
def test_a_one_site_command_imports_neither_numba_nor_dask(argv):
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == {"numba": False, "dask": False, "xarray": False}


def test_pint_without_dask_leaves_dask_importable():
    code = ("import rackplan.units as u, pint.compat as c, dask, dask.array as da;"
            "print(c.HAS_DASK, u.Q_(3, 'MW').m_as('kW'), float(da.ones(3).sum().compute()))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "3000.0", "3.0"]


def test_a_one_site_function_falls_back_to_the_compiled_kernel_where_python_raises():
    @_jit.njit(error_model="numpy", cache=False)
    def ratio(a, b):
        return a / b  # numba: inf; Python floats: ZeroDivisionError

    @_jit.one_site
    def site(a, b):
        return ratio(a, b)

    assert site(1.0, 4.0) == 0.25
    assert site(1.0, 0.0) == float("inf")  # compiled, as a sweep would give
    with _jit.interpreted(), pytest.raises(ZeroDivisionError):
        ratio(1.0, 0.0)


def test_a_one_site_function_is_silent_where_numpy_would_warn(recwarn):
    @_jit.one_site
    def site(a):
        return a / np.float64(0.0)

    assert site(np.float64(1.0)) == np.inf
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("overrides", [{}, {"miner_shutdown": True},
                                       {"difficulty_model": "equilibrium"}],
                         ids=["trend", "shutdown", "equilibrium"])
def test_a_small_sweep_runs_as_python_and_equals_the_compiled_sweep(monkeypatch, overrides):
    import rackplan
    from rackplan.studies import sweep as study

    vary = {"btc_price": [60_000.0, 90_000.0, 140_000.0], "build_period": ["9 month",
                                                                          "14 month"]}
    assert 6 <= study.INTERPRETED_MAX_POINTS
    small = rackplan.sweep(vary=vary, overrides=overrides)
    monkeypatch.setattr(study, "INTERPRETED_MAX_POINTS", 0)  # the same grid, compiled
    compiled = rackplan.sweep(vary=vary, overrides=overrides)
    for name in small.data_vars:
        a, b = small[name].values, compiled[name].values
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_sweep_runs_compiled_above_the_threshold(monkeypatch):
    import rackplan
    from rackplan.studies import sweep as study

    seen = []
    real = _jit.run_interpreted
    monkeypatch.setattr(_jit, "run_interpreted", lambda *a, **k: seen.append(1) or real(*a, **k))
    rackplan.sweep(vary={"btc_price": np.linspace(5e4, 1.5e5, study.INTERPRETED_MAX_POINTS)})
    assert seen == [1]
    rackplan.sweep(vary={"btc_price": np.linspace(5e4, 1.5e5,
                                                  study.INTERPRETED_MAX_POINTS + 1)})
    assert seen == [1]


@pytest.mark.parametrize("argv", [["sweep", "--vary", "btc_price=50000:150000:21",
                                   "--vary", "gpu_hour_price=1.5:6:10"],
                                  ["breakeven", "--x", "gpu_hour_price=1.5:6:10",
                                   "--y", "power_price=20:80:7"]], ids=lambda a: a[0])
def test_a_small_study_from_the_cli_imports_no_numba(argv):
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stderr.strip().splitlines()[-1])["numba"] is False
