"""Monte Carlo of 1,000,000 paths x 60 months: numba against its NumPy twin.

``pytest benchmarks/test_bench_montecarlo.py --benchmark-only``. One group (``montecarlo``),
both implementations in the same run, each checked against the other on a subset of paths.
Target (issue 4 section 4): at most 2 s, and at least 3 times the NumPy twin;
``benchmarks/check_ratios.py`` gates the ratio. ``RACKPLAN_BENCH_SHORT=1`` runs 100,000 paths.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from rackplan.kernels.montecarlo import simulate, simulate_numpy

SHORT = os.environ.get("RACKPLAN_BENCH_SHORT") == "1"
PATHS = 100_000 if SHORT else 1_000_000
MONTHS = 60
SEED = 7
CHECK = 4096  # paths compared between the implementations


@pytest.fixture(scope="module")
def case():
    from rackplan.compare import scenario_base
    from rackplan.kernels.scenario import OUTPUTS, PARAMS
    from rackplan.montecarlo import shock_vector

    base_d = scenario_base(years=MONTHS // 12)
    base = np.asarray([base_d[p] for p in PARAMS], dtype=np.float64)
    shock = shock_vector(base_d)
    out, end = np.empty((len(OUTPUTS), 64)), np.empty(64)
    simulate(base, MONTHS, SEED, shock, out, end)  # compile outside the timing
    return base, shock, len(OUTPUTS)


def run_numba(base, shock, k, n):
    out, end = np.empty((k, n)), np.empty(n)
    simulate(base, MONTHS, SEED, shock, out, end)
    return out


def run_numpy(base, shock, k, n):
    return simulate_numpy(base, MONTHS, SEED, shock, n)[0]


IMPLS = {"numba": run_numba, "numpy": run_numpy}


@pytest.mark.benchmark(group="montecarlo", min_rounds=3, warmup=False)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_montecarlo(benchmark, impl, case):
    base, shock, k = case
    result = benchmark(IMPLS[impl], base, shock, k, PATHS)
    other = IMPLS["numba" if impl == "numpy" else "numpy"](base, shock, k, CHECK)
    np.testing.assert_allclose(result[:, :CHECK], other, rtol=1e-9, atol=1e-6)
    benchmark.extra_info.update(paths=PATHS, months=MONTHS)
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["paths_per_s"] = PATHS / benchmark.stats.stats.median
        benchmark.extra_info["seconds_per_1e6_paths"] = (
            benchmark.stats.stats.median * 1e6 / PATHS)
