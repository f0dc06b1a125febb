"""The monthly engine over 1,000,000 scenarios x 60 months x 3 options, against its NumPy twin.

``pytest benchmarks/test_bench_cashflow.py --benchmark-only``. Both implementations of
:func:`rackplan.kernels.engine.evaluate` are timed in one group, in the same run; each result
is checked against the other implementation inside the test (a fast wrong answer fails).
``benchmarks/check_ratios.py`` reads the minima and gates the ratio numpy/numba.

Two groups:

- ``cashflow``: a price sweep around the built-in Moses Lake case: BTC price, GPU-hour price,
  power price and utilization drawn at random for every scenario. These are scales of the
  engine's lines, not its time shape (discount rate, difficulty and its growth, build periods,
  ...), so the engine sums each option's monthly basis once and each scenario costs its
  sizing and its lines (the NumPy twin still runs its 60 months for every scenario).
- ``cashflow-timepaths``: the discount rate, difficulty growth, BTC price growth and GPU-hour
  price decline drawn per scenario too, so the engine runs every option's 60 months for every
  scenario: its worst case.

``RACKPLAN_BENCH_SHORT=1`` (CI's short mode) runs an eighth of the scenarios.

Both pairs are timed as every gated pair is (``benchmarks/_pairs.py``): the numba side on one
thread, like the NumPy twin, in CPU time, the minimum of the rounds compared. Both store
every output (27), each contiguous in a float64[K, N] allocated by NumPy in the timed call.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from _pairs import PAIR, time_pair
from rackplan.economics.compare import scenario_base
from rackplan.kernels.engine import PARAMS, evaluate, n_outputs
from rackplan.kernels.engine_numpy import evaluate_numpy

SHORT = os.environ.get("RACKPLAN_BENCH_SHORT") == "1"
N = 125_000 if SHORT else 1_000_000
MONTHS = 60
CHECK = 20_000  # scenarios checked against the other implementation, at each end
#: Scenarios per chunk of the NumPy twin, not its default 16,384: at 1,024 its arrays are
#: reused from the heap round after round (no page faults after the first), where the
#: default's ~370 MB of fresh pages a round cost a third of its CPU time on the reference
#: machine, a share that varies with the machine and its load.
CHUNK = 1024
KINDS = np.array([0, 1, 2], dtype=np.int64)  # mine, gpuaas, colocation
FLEETS = np.array([0, 1, 1], dtype=np.int64)  # mining, gpu, gpu
BREAKEVEN_PAIR = np.array([0, 1], dtype=np.int64)
WANT = np.arange(n_outputs(3), dtype=np.int64)


def run_numba(base, varied, idx, months):
    out = np.empty((len(WANT), varied.shape[0]))
    evaluate(base, varied, idx, months, KINDS, FLEETS, BREAKEVEN_PAIR, WANT, out)
    return out


IMPLS = {"numba": run_numba,
         "numpy": lambda base, varied, idx, months: evaluate_numpy(
             base, varied, idx, months, KINDS, FLEETS, BREAKEVEN_PAIR, WANT, chunk=CHUNK)}


def _case(seed: int, timepaths: bool):
    base = np.array(list(scenario_base().values()))
    rng = np.random.default_rng(seed)
    names = ["btc_price", "gpu_hour_price", "power_price", "utilization"]
    cols = [rng.uniform(40_000, 160_000, N),            # USD/BTC
            rng.uniform(1.0, 7.0, N) / 3600.0,           # USD per GPU-second
            rng.uniform(20.0, 80.0, N) / 3.6e9,          # USD/J
            rng.uniform(0.5, 1.0, N)]
    if timepaths:
        names += ["discount_rate", "difficulty_growth", "btc_price_growth", "gpu_price_decline"]
        cols += [rng.uniform(0.05, 0.15, N), rng.uniform(0.0, 0.04, N),
                 rng.uniform(-0.2, 0.5, N), rng.uniform(0.0, 0.4, N)]
    idx = np.array([PARAMS.index(n) for n in names], dtype=np.int64)
    varied = np.ascontiguousarray(np.column_stack(cols))
    run_numba(base, varied[:64], idx, MONTHS)  # compile (or load the cache) outside the timing
    return base, varied, idx


@pytest.fixture(scope="module")
def prices():
    return _case(1, timepaths=False)


@pytest.fixture(scope="module")
def timepaths():
    return _case(2, timepaths=True)


def _check(result, impl, base, varied, idx):
    other = IMPLS["numba" if impl == "numpy" else "numpy"]
    for lo in (0, N - CHECK):
        expected = other(base, varied[lo:lo + CHECK], idx, MONTHS)
        got = result[:, lo:lo + CHECK]
        # 1e-9 of each value, plus 1e-12 of its output's largest value: an NPV near zero is
        # a difference of flows of ~1e8 USD and keeps ~1e-7 USD of rounding
        scale = np.nanmax(np.abs(expected), axis=1, keepdims=True)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        ok = np.isnan(expected) | (np.abs(got - expected)
                                   <= 1e-9 * np.abs(expected) + 1e-12 * scale)
        assert ok.all()


def _run(benchmark, impl, case):
    base, varied, idx = case
    result = time_pair(benchmark, impl, IMPLS[impl], (base, varied, idx, MONTHS))
    assert result.shape[1] == N
    _check(result, impl, base, varied, idx)
    benchmark.extra_info.update(scenarios=N, months=MONTHS, options=3, outputs=result.shape[0])
    if getattr(benchmark, "stats", None) is not None:
        best = benchmark.extra_info.get("all_threads_min_s", benchmark.stats.stats.min)
        benchmark.extra_info["scenarios_per_s"] = N / best


@pytest.mark.benchmark(group="cashflow", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_cashflow(benchmark, impl, prices):
    _run(benchmark, impl, prices)


@pytest.mark.benchmark(group="cashflow-timepaths", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_cashflow_timepaths(benchmark, impl, timepaths):
    _run(benchmark, impl, timepaths)
