"""Sweep of 1,000,000 scenarios x 60 months, all three options: numba against its NumPy twin.

``pytest benchmarks/test_bench_sweep.py --benchmark-only``. Both implementations are timed in
one group (``sweep``) in the same run (the twin in chunks of 1,024 scenarios); each is checked
against the other inside the test, so a
fast wrong answer cannot pass. ``benchmarks/check_ratios.py`` reads the minima and gates the
ratio numpy/numba (target 30, the engine issue). ``sweep-api`` times the public
``rackplan.studies.sweep`` end to end (grid, kernel, Dataset), for the scenarios-per-second figure.

``RACKPLAN_BENCH_SHORT=1`` (CI's short mode) runs an eighth of the grid (350 x 350): the
kernel's cost per scenario does not depend on the grid's size past a few thousand scenarios.

The pair is timed as every gated pair is (``benchmarks/_pairs.py``): the numba side on one
thread, like the NumPy twin, in CPU time, the minimum of the rounds compared. Both sides
store every output (``want`` all 27), each contiguous in a float64[K, n] allocated by NumPy in
the timed call.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from _pairs import PAIR, time_pair
from rackplan.economics.options import engine_table
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.kernels.sweep import grid_points, sweep_grid, sweep_grid_numpy
from rackplan.studies.sweep import make_grid, sweep

SHORT = os.environ.get("RACKPLAN_BENCH_SHORT") == "1"
SIDE = 350 if SHORT else 1000  # btc_price x gpu_hour_price: SIDE**2 scenarios
VARY = {"btc_price": f"40000:160000:{SIDE}", "gpu_hour_price": f"1:7:{SIDE}"}
YEARS = 5
CHECK = 20_000  # scenarios checked against the other implementation, at each end
#: Scenarios per chunk of the NumPy twin (see benchmarks/README.md): at its default, 16,384,
#: a third of its CPU time went to page faults, a share that varies by machine and run.
CHUNK = 1024


def sweep_grid_numpy_chunked(base, axis_values, axis_start, axis_size, target_param,
                             target_axis, n_months, slots, want, start=0, stop=None):
    """``sweep_grid_numpy`` with the engine's twin in chunks of :data:`CHUNK` (it passes no
    chunk on); the same arithmetic, checked against it in :func:`grid`."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    return evaluate_numpy(base, varied, target_param, n_months, *slots, want, chunk=CHUNK)


def _args(g):
    table = engine_table()
    return (*g.kernel_args(), (table.kinds, table.fleets, table.pair),
            np.arange(len(table.names), dtype=np.int64))


@pytest.fixture(scope="module")
def grid():
    g = make_grid(vary=VARY, years=YEARS)
    args = _args(g)
    sweep_grid(*args, 0, 64)  # compile (or load from the cache) outside the timing
    np.testing.assert_array_equal(sweep_grid_numpy_chunked(*args, 0, 3000),
                                  sweep_grid_numpy(*args, 0, 3000))
    return g


IMPLS = {"numba": sweep_grid, "numpy": sweep_grid_numpy_chunked}


@pytest.mark.benchmark(group="sweep", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_sweep_kernel(benchmark, impl, grid):
    args, n = _args(grid), grid.size
    result = time_pair(benchmark, impl, IMPLS[impl], tuple(args))
    other = IMPLS["numba" if impl == "numpy" else "numpy"]
    for lo in (0, n - CHECK):  # the first and the last scenarios against the other twin
        np.testing.assert_allclose(result[:, lo:lo + CHECK], other(*args, lo, lo + CHECK),
                                   rtol=1e-9, atol=1e-6)
    benchmark.extra_info.update(scenarios=n, months=grid.n_months, outputs=result.shape[0])
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["scenarios_per_s_one_thread"] = n / benchmark.stats.stats.min
        if "all_threads_min_s" in benchmark.extra_info:
            benchmark.extra_info["scenarios_per_s"] = (
                n / benchmark.extra_info["all_threads_min_s"])


@pytest.mark.benchmark(group="sweep-api", min_rounds=3, warmup=False)
def test_sweep_api(benchmark, grid):
    ds = benchmark(sweep, vary=VARY, years=YEARS)
    assert ds.sizes == {"btc_price": SIDE, "gpu_hour_price": SIDE}
    benchmark.extra_info.update(scenarios=grid.size, months=grid.n_months)
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["scenarios_per_s"] = grid.size / benchmark.stats.stats.median
