"""How every gated numba/NumPy pair is timed (imported by the ``test_bench_*`` modules).

Like with like, so that ``benchmarks/check_ratios.py`` can gate the ratio on any machine:

- **One thread on each side.** The NumPy twins run on one core (no BLAS in them), so the
  numba kernel's timed rounds run with ``numba.set_num_threads(1)`` too (restored after): the
  ratio is a per-core ratio, which a busy neighbouring core slows on both sides alike instead
  of on the parallel side only. The kernel's all-threads time is measured after the gated
  rounds and recorded in ``extra_info`` (``all_threads_min_s``), not gated.
- **Outputs allocated by NumPy on both sides** (``size_sites``, the engine's ``evaluate``,
  the Monte Carlo ``simulate``): from ``np.empty`` in the timed call, as the twin's are.
- **No page faults after the first round, on either side**: the twins that take a chunk run
  in chunks of 1,024 (see each module), so that both sides' times are computation, not the
  first touches of fresh pages, whose cost varies by machine and run.
- **CPU time, not wall time.** Each gated benchmark's marker passes ``**PAIR`` (the timer
  :func:`time.process_time`): on a machine with more runnable jobs than cores a wall-clock
  round also counts the time the scheduler gives the neighbours, and a short round (the numba
  side's) is hit unevenly. The CPU time of the process counts the work, page faults
  included, on either side alike. The wall-clock minimum is recorded (``wall_min_s``).
- **Enough rounds, and the minimum of them.** A fixed number of rounds per side
  (:data:`ROUNDS`), one untimed warm-up round for the fast numba side; ``check_ratios.py``
  compares the *minimum* of the rounds, the least disturbed measurement of each side.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

import numba

#: Options of every gated benchmark's marker: ``@pytest.mark.benchmark(group=..., **PAIR)``.
PAIR = {"timer": time.process_time}
SHORT = os.environ.get("RACKPLAN_BENCH_SHORT") == "1"

#: Timed rounds per side (a benchmark may ask for more). The NumPy twins take up to a second a
#: round in short mode: five rounds give a steady minimum and keep the short gate within a few minutes on 2 cores
#: (three at the full sizes, where a round takes up to a minute). The numba side is fast: more
#: rounds cost little and make its minimum robust to a neighbour's bursts.
ROUNDS = {"numpy": 5 if SHORT else 3, "numba": 15}
#: Rounds of the recorded (not gated) all-threads time of a numba kernel.
ALL_THREADS_ROUNDS = 5


@contextmanager
def numba_threads(n: int):
    """Run the block with ``n`` numba threads, then restore the previous number."""
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def time_pair(benchmark, impl: str, fn, args: tuple, *, rounds: dict | None = None):
    """Time ``fn(*args)`` as side ``impl`` ("numpy" or "numba") of a gated pair; return its
    result. The numba side runs on one thread (see the module docstring)."""
    rounds = {**ROUNDS, **(rounds or {})}
    walls: list[float] = []

    def timed(*a):  # the wall clock too, for the record
        t = time.perf_counter()
        out = fn(*a)
        walls.append(time.perf_counter() - t)
        return out

    if impl == "numba":
        with numba_threads(1):
            result = benchmark.pedantic(timed, args=args, rounds=rounds["numba"],
                                        iterations=1, warmup_rounds=1)
        if getattr(benchmark, "stats", None) is not None:  # None with --benchmark-disable
            benchmark.extra_info["all_threads"] = numba.get_num_threads()
            # wall clock: what a user waits for (CPU time would add the threads up)
            benchmark.extra_info["all_threads_min_s"] = _min_wall(fn, args,
                                                                  ALL_THREADS_ROUNDS)
    elif impl == "numpy":
        result = benchmark.pedantic(timed, args=args, rounds=rounds["numpy"], iterations=1,
                                    warmup_rounds=0)
    else:  # pragma: no cover - a typo in a parametrization
        raise ValueError(f"impl must be 'numpy' or 'numba', not {impl!r}")
    benchmark.extra_info["threads"] = 1
    if walls:
        benchmark.extra_info["wall_min_s"] = min(walls[-rounds[impl]:])
    return result


def _min_wall(fn, args, rounds):
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def ratio_reporter(mins: dict, what: str):
    """A module fixture that prints, after the module's pair has run, ``what`` and the ratio of
    the minima in ``mins`` (``{"numpy": s, "numba": s}``, filled by the tests), past pytest's
    capture so that it is always shown."""
    import pytest

    @pytest.fixture(scope="module", autouse=True)
    def report_ratio(request):
        yield
        if {"numpy", "numba"} <= mins.keys():
            ratio = mins["numpy"] / mins["numba"]
            line = (f"{what}, one thread each: min numba {mins['numba']:.4f} s, "
                    f"numpy {mins['numpy']:.4f} s, ratio numpy/numba = {ratio:.2f}")
            capture = request.config.pluginmanager.get_plugin("capturemanager")
            with capture.global_and_fixture_disabled():
                print(f"\n{line}")

    return report_ratio
