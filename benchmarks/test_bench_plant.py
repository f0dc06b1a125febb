"""Hourly plant over 10,000 site variants x 8,760 hours: numba ``plant_years`` against its
NumPy twin ``plant_years_numpy`` (short mode: 1,000 variants).

Run: ``pytest benchmarks/test_bench_plant.py --benchmark-only``. Both implementations are
timed in the same run (group ``plant``), as every pair is (``benchmarks/_pairs.py``): the numba
side on one thread, in CPU time, its output allocated by NumPy in the timed call
(``plant_years_alloc``); each checks its result against the other's. The twin works one site
at a time over its 8,760 hours as arrays. Not gated in ``check_ratios.py`` yet; the ratio of
the minimum times is printed at the end of the module.
"""

from __future__ import annotations

import numpy as np
import pytest

from _pairs import PAIR, SHORT, ratio_reporter, time_pair
from rackplan.facility.plant import PLANT_LAYOUT, plant_params
from rackplan.facility.site import load_site
from rackplan.facility.weather import HOUR_MONTH, load_weather
from rackplan.kernels import plant as k
from rackplan.kernels.plant_numpy import plant_years_numpy

N_SITES = 1_000 if SHORT else 10_000
IMPLS = {"numpy": plant_years_numpy, "numba": k.plant_years_alloc}
#: The twin takes seconds a round at the full size: fewer rounds there.
ROUNDS = {"numpy": 5, "numba": 15} if SHORT else {"numpy": 2, "numba": 5}
_MINS: dict[str, float] = {}


def site_variants(n: int, seed: int = 2026) -> np.ndarray:
    """Random valid plants: every plant type of the Moses Lake site, with IT power, liquid
    share, supply temperatures, approaches and cycles varied."""
    rng = np.random.default_rng(seed)
    base = {t: plant_params(load_site("moses-lake", {"cooling_plant.type": t}), 1e7, 0.85)
            for t in sorted(PLANT_LAYOUT)}
    types = rng.choice(sorted(base), n)
    params = np.stack([base[t] for t in types])
    params[:, k.IT] = rng.uniform(1e6, 1e8, n)
    params[:, k.LF] = rng.uniform(0.0, 1.0, n)
    params[:, k.T_NEED_L] = rng.uniform(273.15 + 20, 273.15 + 45, n)
    params[:, k.DT_L] = rng.uniform(5.0, 15.0, n)
    params[:, k.APP_DRY] = rng.uniform(3.0, 10.0, n)
    params[:, k.APP_TOWER] = rng.uniform(2.0, 8.0, n)
    params[:, k.CYCLES] = rng.uniform(2.0, 8.0, n)
    return params


@pytest.fixture(scope="module")
def inputs():
    w = load_weather("yakima-wa")
    args = (site_variants(N_SITES), np.ascontiguousarray(w.dry_bulb.m_as("K")),
            np.ascontiguousarray(w.wet_bulb.m_as("K")), HOUR_MONTH)
    k.plant_years_alloc(args[0][:2], *args[1:])  # compile (or load) outside the timing
    return args


@pytest.fixture(scope="module")
def expected(inputs):
    return {name: fn(*inputs) for name, fn in IMPLS.items()}


report_ratio = ratio_reporter(_MINS,
                              f"plant plant_years over {N_SITES:,} sites x 8,760 hours")


@pytest.mark.benchmark(group="plant", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_plant_years(benchmark, impl, inputs, expected):
    result = time_pair(benchmark, impl, IMPLS[impl], inputs, rounds=ROUNDS)
    other = "numba" if impl == "numpy" else "numpy"
    np.testing.assert_allclose(result, expected[other], rtol=1e-11)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        _MINS[impl] = stats.stats.min
