"""Monte Carlo of 1,000,000 paths x 60 months: numba against its NumPy twin.

``pytest benchmarks/test_bench_montecarlo.py --benchmark-only``. One group (``montecarlo``),
both implementations in the same run, each checked against the other on a subset of paths.
Target (the engine issue): 1,000,000 paths in at most 0.5 s on 2 cores;
``benchmarks/check_ratios.py`` gates the ratio. ``RACKPLAN_BENCH_SHORT=1`` runs 40,000 paths
(the cost per path does not depend on their number).

The pair is timed as every gated pair is (``benchmarks/_pairs.py``): the numba side on one
thread, like the NumPy twin, in CPU time, the minimum of the rounds compared. The kernel's
output arrays (``out``, ``btc_end``) are allocated by NumPy in the timed call and passed in.
The NumPy twin runs in batches of :data:`BATCH` paths, not its default 65,536: on the 2-vCPU
reference machine it takes half the CPU time and writes no fresh pages after the first round;
at the default, a quarter to three quarters of its CPU time went to page faults, a share that
swings from run to run (the minimum of nine rounds moved from 1.15 s to 2.1 s between runs).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from _pairs import PAIR, time_pair
from rackplan.kernels.montecarlo import simulate, simulate_numpy

SHORT = os.environ.get("RACKPLAN_BENCH_SHORT") == "1"
PATHS = 40_000 if SHORT else 1_000_000
MONTHS = 60
SEED = 7
CHECK = 4096  # paths compared between the implementations
BATCH = 1024  # paths per batch of the NumPy twin (no page faults after the first round)


@pytest.fixture(scope="module")
def case():
    from rackplan.economics.compare import scenario_base
    from rackplan.kernels.engine import PARAMS
    from rackplan.studies.montecarlo import shock_vector

    base_d = scenario_base(years=MONTHS // 12)
    base = np.asarray([base_d[p] for p in PARAMS], dtype=np.float64)
    shock = shock_vector(base_d)
    run_numba(base, shock, len(WANT), 64)  # compile outside the timing
    return base, shock, len(WANT)


KINDS = np.array([0, 1, 2], dtype=np.int64)  # mine, gpuaas, colocation
FLEETS = np.array([0, 1, 1], dtype=np.int64)
BREAKEVEN_PAIR = np.array([0, 1], dtype=np.int64)
WANT = np.arange(27, dtype=np.int64)  # every output of three options


def run_numba(base, shock, k, n):
    out, end = np.empty((k, n)), np.empty(n)
    simulate(base, MONTHS, SEED, shock, KINDS, FLEETS, BREAKEVEN_PAIR, WANT, out, end)
    return out


def run_numpy(base, shock, k, n):
    return simulate_numpy(base, MONTHS, SEED, shock, n, KINDS, FLEETS, BREAKEVEN_PAIR, WANT,
                          batch=BATCH)[0]


IMPLS = {"numba": run_numba, "numpy": run_numpy}


@pytest.mark.benchmark(group="montecarlo", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_montecarlo(benchmark, impl, case):
    base, shock, k = case
    result = time_pair(benchmark, impl, IMPLS[impl], (base, shock, k, PATHS),
                       rounds={"numpy": 7} if SHORT else None)
    other = IMPLS["numba" if impl == "numpy" else "numpy"](base, shock, k, CHECK)
    np.testing.assert_allclose(result[:, :CHECK], other, rtol=1e-9, atol=1e-6)
    benchmark.extra_info.update(paths=PATHS, months=MONTHS)
    if getattr(benchmark, "stats", None) is not None:
        best = benchmark.extra_info.get("all_threads_min_s", benchmark.stats.stats.min)
        benchmark.extra_info["paths_per_s"] = PATHS / best
        benchmark.extra_info["seconds_per_1e6_paths"] = best * 1e6 / PATHS
        benchmark.extra_info["seconds_per_1e6_paths_one_thread"] = (
            benchmark.stats.stats.min * 1e6 / PATHS)
