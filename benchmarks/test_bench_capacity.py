"""Sizing kernel over 1,000,000 site variants: numba ``size_sites`` against its NumPy twin.

Run: ``pytest benchmarks/test_bench_capacity.py --benchmark-only``. Both implementations are
timed in the same run (one group); each checks its result against the other's, so a fast
wrong answer cannot pass. Timed as every gated pair is (``benchmarks/_pairs.py``): the numba
side on one thread, like the NumPy twin, in CPU time; its 13 output arrays allocated by NumPy
(``np.empty``, in the timed call: ``size_sites_alloc``) as the twin's are. The ratio of the
minimum times numba / numpy is printed at the end of the module; on a shared machine only
that ratio means anything.
"""

from __future__ import annotations

import numpy as np
import pytest

from _pairs import PAIR, ratio_reporter, time_pair
from rackplan.kernels.capacity import size_sites_alloc, size_sites_numpy

N_SITES = 1_000_000
#: The numba side allocates its outputs with np.empty and fills them in the kernel.
IMPLS = {"numpy": size_sites_numpy, "numba": size_sites_alloc}
_MINS: dict[str, float] = {}


def site_variants(n: int, seed: int = 2026):
    """Random valid site/profile inputs in SI units; NaN where a site gives no constraint."""
    rng = np.random.default_rng(seed)

    def maybe(values):
        return np.where(rng.random(n) < 0.3, np.nan, values)

    return (
        rng.uniform(1e5, 5e8, n),                 # utility_power_w
        rng.uniform(1.0, 2.0, n),                 # pue
        rng.uniform(3e3, 2e5, n),                 # unit_power_w
        rng.integers(1, 20, n).astype(float),     # units_per_rack
        rng.uniform(0.4, 2.0, n),                 # rack_footprint_m2
        rng.uniform(1.0, 3.0, n),                 # aisle_factor
        maybe(rng.uniform(10, 5e4, n)),           # white_space_m2
        rng.uniform(100, 2000, n),                # rack_weight_kg
        maybe(rng.uniform(300, 2500, n)),         # floor_load_kg_m2
        maybe(rng.uniform(1e5, 5e8, n)),          # heat_rejection_w
        maybe(rng.integers(1, 5000, n).astype(float)),  # rack_positions
        maybe(rng.uniform(1e3, 3e5, n)),          # design_rack_power_w
        np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 2e4, n)),  # outside_power_w
        rng.uniform(0.0, 1.0, n),                 # liquid_fraction
        rng.uniform(990, 1070, n),                # coolant_density [kg/m^3]
        rng.uniform(3500, 4200, n),               # coolant_cp [J/(kg K)]
        rng.uniform(3, 20, n),                    # coolant_delta_t_k
        maybe(rng.uniform(5e-4, 5e-3, n)),        # rack_flow_m3_s (OEM table; NaN: from dT)
        rng.uniform(0, 2500, n),                  # altitude_m
        rng.uniform(288, 318, n),                 # air_inlet_k
        rng.uniform(5, 20, n),                    # air_delta_t_k
        rng.uniform(2e5, 3e6, n),                 # cdu_capacity_w
        rng.uniform(3e-3, 5e-2, n),               # cdu_flow_m3_s
        rng.integers(0, 3, n).astype(np.int64),   # redundancy code
    )


@pytest.fixture(scope="module")
def inputs():
    args = site_variants(N_SITES)
    size_sites_alloc(*(a[:10] for a in args))  # compile (or load from cache) outside the timing
    return args


@pytest.fixture(scope="module")
def expected(inputs):
    """Each implementation's answer, computed once, to check the other against."""
    return {name: fn(*inputs) for name, fn in IMPLS.items()}


report_ratio = ratio_reporter(_MINS, f"capacity size_sites over {N_SITES:,} sites")


def assert_same(result, reference):
    for i, (a, b) in enumerate(zip(result, reference)):
        if i < 3 or i >= 10:  # unit_count, rack_count, binding, the CDU counts: exact
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.benchmark(group="capacity-size_sites-1e6", **PAIR)
@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_size_sites(benchmark, impl, inputs, expected):
    # the NumPy twin takes ~0.1 s a round here, the kernel ~0.02 s: many rounds cost little
    result = time_pair(benchmark, impl, IMPLS[impl], inputs,
                       rounds={"numpy": 20, "numba": 30})
    other = "numba" if impl == "numpy" else "numpy"
    assert_same(result, expected[other])
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        _MINS[impl] = stats.stats.min
