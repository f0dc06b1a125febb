"""Monte Carlo: the random numbers, the paths' statistics, reproducibility, the summary and
bad input.

References: the normal quantiles are checked against Python's own
``statistics.NormalDist.inv_cdf`` (the same AS241 algorithm, written independently); the paths'
statistics against the processes' definitions (GBM log steps of ``sigma / sqrt(12)`` a month,
mean-one multipliers, the requested correlation and AR(1) persistence), with tolerances of
several standard errors for the number of paths drawn.
"""

from __future__ import annotations

import importlib
import math
import tracemalloc
from statistics import NormalDist

import numba
import numpy as np
import pytest

from rackplan.economics.compare import scenario_base
from rackplan.economics.options import engine_table
from rackplan.errors import RackplanError, StudyError
from rackplan.kernels import engine
from rackplan.kernels import montecarlo as k
from rackplan.kernels import rng
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.studies.io import StudyWarning
from rackplan.studies.montecarlo import (
    BTC_VOLATILITY,
    DEFAULTS,
    montecarlo,
    shock_vector,
    summary,
)

MONTHS = 60
#: Every path on the market's trends (no trend of its own).
NO_TRENDS = dict(btc_trend_uncertainty=0, difficulty_trend_uncertainty=0,
                 gpu_trend_uncertainty=0)

mc_module = importlib.import_module("rackplan.studies.montecarlo")
studyio = importlib.import_module("rackplan.studies.io")


@pytest.fixture(scope="module")
def base_d():
    return scenario_base()


@pytest.fixture(scope="module")
def base(base_d):
    return np.asarray([base_d[p] for p in engine.PARAMS])


@pytest.fixture(scope="module")
def table():
    """The engine's slots and outputs for the registered (built-in) options."""
    return engine_table()


@pytest.fixture(scope="module")
def result():
    return montecarlo(paths=3000, seed=7)


# --- random numbers -----------------------------------------------------------------------------


def test_ndtri_is_python_s_inverse_normal_cdf():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 2001), [2.0**-53, 0.025, 0.5, 0.975,
                                                              1 - 2.0**-53, 1e-300]])
    ref = np.array([NormalDist().inv_cdf(x) for x in p])
    got = np.array([rng.ndtri(x) for x in p])
    np.testing.assert_allclose(got, ref, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(rng.ndtri_numpy(p), got)


def test_uniforms_are_in_the_open_interval_and_spread():
    key = np.uint64(rng.path_key(3, 0))
    u = np.array([rng.uniform(key, d) for d in range(20000)])
    np.testing.assert_array_equal(u, rng.uniform_numpy(key, np.arange(20000)))
    assert u.min() > 0 and u.max() < 1
    # 20 equal bins: chi-square with 19 degrees of freedom; 43.8 is its 99.9 % point
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    assert ((counts - 1000) ** 2 / 1000).sum() < 43.8


def test_vectorized_exp_is_within_one_ulp_of_libm():
    r = np.random.default_rng(2)
    x = np.concatenate([np.linspace(-60, 60, 100_001), [0.0, -0.0, 1e-300, 700.0, -700.0,
                                                        math.log(2) / 2, -math.log(2) / 2],
                        r.uniform(-700, 700, 200_000), r.uniform(-1, 1, 200_000),
                        # the ends of the reduced argument's range, |r| = ln(2) / 2
                        np.arange(-2000, 2001) * (math.log(2) / 2)])
    y = x.copy()
    rng.exp_inplace(y, np.empty(x.size, np.int64))
    ref = np.exp(x)
    assert np.max(np.abs(y - ref) / np.spacing(ref)) <= 1.0


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 60, 61])
def test_vectorized_exp_any_length(n):
    """Short arrays and remainders of the vector loop; clipped to +-700; NaN stays NaN."""
    x = np.linspace(-3.0, 3.0, n)
    if n >= 8:
        x[:4] = [np.nan, np.inf, -np.inf, 1000.0]
    y = x.copy()
    rng.exp_inplace(y, np.empty(n, np.int64))
    ref = np.exp(np.clip(x, -700.0, 700.0))
    np.testing.assert_allclose(y, ref, rtol=2.3e-16, atol=0)  # NaN == NaN here


def test_normals_are_normal_bit_for_bit():
    """The vectorized kernel gives exactly :func:`rng.normal`'s numbers, whatever the stream,
    the first normal's number and the count (vector remainders, no normals at all); with a
    wedge test margin of 10, every normal outside its first rectangle goes through normal()'s
    own loop."""
    for seed, path, j0, n in [(1, 0, 0, 0), (1, 1, 0, 1), (2, 5, 3, 7), (3, 9, 100, 240),
                              (4, 2, 12345, 1001), (5, 7, 2**40, 333)]:
        key = np.uint64(rng.path_key(seed, path))
        ref = np.array([rng.normal(key, j0 + k) for k in range(n)])
        for margin in (None, 10.0):
            out, scratch = np.full(n, np.nan), np.full(n, np.nan)
            if margin is None:
                rng.normals(key, j0, out, scratch)
            else:
                rng._normals(key, j0, out, scratch, margin)
            np.testing.assert_array_equal(out.view(np.int64), ref.view(np.int64))
    keys = rng.path_key_numpy(5, np.arange(40))
    twin = rng.normal_numpy(keys[:, None], np.arange(300)[None, :])
    got = np.empty_like(twin)
    for row, key in enumerate(keys):
        rng.normals(np.uint64(key), 0, got[row], np.empty(300))
    np.testing.assert_allclose(got, twin, rtol=1e-14, atol=1e-15)


# Normals of stream path_key(2024, 0) as the ziggurat drew them before the kernel was rewritten
# for speed (commit c8a988c), one of each kind: inside the first draw's rectangle; in its wedge;
# wedge missed, next draw inside its rectangle; the tail; wedge missed twice.
_PINNED = {0: "-0x1.528814e596938p-2", 27: "-0x1.2ce4e9cb0fd82p-2", 3: "-0x1.b722e288d2564p-1",
           2585: "0x1.ce6cf315e4555p+1", 3081: "0x1.2d99b63b2ff54p+0"}


def test_normals_are_the_same_numbers_as_before():
    key = np.uint64(rng.path_key(2024, 0))
    out = np.empty(3100)
    rng.normals(key, 0, out, np.empty(3100))
    for j, value in _PINNED.items():
        assert out[j] == float.fromhex(value)
        assert rng.normal(key, j) == float.fromhex(value)
        assert rng.normal_numpy(key, j) == pytest.approx(float.fromhex(value), rel=1e-14)


@pytest.fixture(scope="module")
def normals():
    keys = rng.path_key_numpy(17, np.arange(2000))[:, None]
    return rng.normal_numpy(keys, np.arange(200)[None, :]).ravel()  # 400,000 normals


def test_ziggurat_kernel_matches_its_twin():
    keys = rng.path_key_numpy(5, np.arange(40))
    js = np.arange(300)
    twin = rng.normal_numpy(keys[:, None], js[None, :])
    got = np.array([[rng.normal(np.uint64(kk), j) for j in js] for kk in keys])
    np.testing.assert_allclose(got, twin, rtol=1e-14, atol=1e-15)


def test_ziggurat_normals_are_standard_normal(normals):
    z = normals
    n = z.size
    assert abs(z.mean()) < 4 / math.sqrt(n)
    assert z.std() == pytest.approx(1.0, abs=4 * math.sqrt(2 / n))
    assert (z**4).mean() == pytest.approx(3.0, abs=0.05)  # kurtosis of a normal
    # Kolmogorov-Smirnov against the normal CDF: 1.95 / sqrt(n) is the 0.1 % critical value
    zs = np.sort(z)
    cdf = np.array([NormalDist().cdf(x) for x in zs[::50]])
    emp = (np.arange(n)[::50] + 1) / n
    assert np.max(np.abs(emp - cdf)) < 1.95 / math.sqrt(n) + 50 / n


@pytest.mark.parametrize("edge", [1.0, 2.0, 3.0, 3.442619855899, 4.0])
def test_ziggurat_tails(normals, edge):
    """The layers' edges and the tail beyond R = 3.44 get their share of normals."""
    n = normals.size
    p = 2 * (1 - NormalDist().cdf(edge))
    share = np.mean(np.abs(normals) > edge)
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / n) + 1 / n


def test_path_multipliers_match_the_numpy_twin(base_d):
    shock = shock_vector(base_d, correlation=0.5)  # the paths' own trends too
    paths = np.arange(0, 400, 7)
    b, d, g, u = k.path_multipliers_numpy(11, paths, MONTHS, shock)
    one = [np.empty(MONTHS) for _ in range(4)]
    for row, path in enumerate(paths):
        k.path_multipliers(11, path, MONTHS, shock, *one)
        for got, ref in zip(one, (b, d, g, u)):
            np.testing.assert_allclose(got, ref[row], rtol=1e-12)


# --- the processes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paths(base_d):
    n = 20_000
    shock = shock_vector(base_d, correlation=0.7, utilization_persistence=0.8, **NO_TRENDS)
    return shock, k.path_multipliers_numpy(5, np.arange(n), MONTHS, shock)


def test_month_zero_is_the_market_date(paths):
    _, (b, d, g, u) = paths
    assert np.all(b[:, 0] == 1) and np.all(d[:, 0] == 1) and np.all(g[:, 0] == 1)


def test_btc_price_is_a_mean_one_gbm_with_the_given_volatility(paths):
    _, (b, *_rest) = paths
    steps = np.diff(np.log(b), axis=1)
    # monthly log steps: sd sigma/sqrt(12), mean -sigma^2/24 (so the multiplier has mean 1)
    assert steps.std() == pytest.approx(BTC_VOLATILITY / math.sqrt(12), rel=0.01)
    assert steps.mean() == pytest.approx(-BTC_VOLATILITY**2 / 24, abs=5e-4)
    end = b[:, -1]
    assert abs(end.mean() - 1.0) < 4 * end.std() / math.sqrt(end.size)
    # lognormal at the horizon: log sd sigma * sqrt(59/12)
    assert np.log(end).std() == pytest.approx(BTC_VOLATILITY * math.sqrt(59 / 12), rel=0.02)


def test_difficulty_shocks_have_the_given_correlation(paths):
    _, (b, d, *_rest) = paths
    r = np.corrcoef(np.diff(np.log(b), axis=1).ravel(), np.diff(np.log(d), axis=1).ravel())
    assert r[0, 1] == pytest.approx(0.7, abs=0.01)
    assert np.diff(np.log(d), axis=1).std() == pytest.approx(DEFAULTS["difficulty_volatility"],
                                                             rel=0.01)


def test_btc_mined_is_unbiased_the_inverse_difficulty_multiplier_has_mean_one(paths):
    """What the fleet mines goes as 1 / m_diff: its mean is 1 at every month (within four
    standard errors of 20,000 paths), so the expected BTC mined is the trend's; the log
    steps drift by +s^2/2. A mean-one m_diff instead would put 1 / m_diff at exp(s^2 t):
    1.047 by month 59 at the default 0.04 per sqrt(month), outside the tolerance here."""
    _, (_b, d, *_rest) = paths
    s = DEFAULTS["difficulty_volatility"]
    inverse = 1.0 / d
    for t in (12, 36, MONTHS - 1):
        col = inverse[:, t]
        assert abs(col.mean() - 1.0) < 4 * col.std() / math.sqrt(col.size)
    assert np.diff(np.log(d), axis=1).mean() == pytest.approx(s * s / 2, abs=5e-4)
    biased = math.exp(s * s * (MONTHS - 1))
    col = inverse[:, MONTHS - 1]
    assert abs(col.mean() - biased) > 4 * col.std() / math.sqrt(col.size)


def test_utilization_is_persistent_and_stays_in_range(paths, base_d):
    shock, (*_rest, u) = paths
    assert u.min() >= 0 and u.max() <= 1 / base_d["utilization"] + 1e-12
    x = (u - 1) / DEFAULTS["utilization_volatility"]
    lag1 = np.corrcoef(x[:, 1:].ravel(), x[:, :-1].ravel())[0, 1]
    assert lag1 == pytest.approx(0.8, abs=0.02)
    assert x.std() == pytest.approx(1.0, rel=0.03)


def test_gpu_price_reverts_to_its_trend_with_mean_one(paths):
    """The GPU-hour multiplier's log deviation is an AR(1) with the default persistence
    0.5 ** (1/12) (a 12-month half-life): mean 1 every month (within four standard errors of
    20,000 paths), lag-one correlation of the deviation phi_g, and its spread bounded by the
    stationary s / sqrt(1 - phi_g^2) instead of growing as s sqrt(t)."""
    shock, (_b, _d, g, _u) = paths
    phi = DEFAULTS["gpu_price_persistence"]
    assert phi == pytest.approx(0.5 ** (1 / 12)) and shock[k.GPU_PHI] == phi
    s = DEFAULTS["gpu_price_volatility"] / math.sqrt(12)
    for t in (12, 36, MONTHS - 1):
        col = g[:, t]
        assert abs(col.mean() - 1.0) < 4 * col.std() / math.sqrt(col.size)
    var = np.array([s * s * (1 - phi ** (2 * t)) / (1 - phi * phi) for t in range(MONTHS)])
    y = np.log(g) + 0.5 * var  # the deviation itself
    lag1 = np.corrcoef(y[:, 2:].ravel(), y[:, 1:-1].ravel())[0, 1]
    assert lag1 == pytest.approx(phi, abs=0.01)
    end = np.log(g[:, -1]).std()
    assert end == pytest.approx(math.sqrt(var[-1]), rel=0.02)
    assert end < 0.8 * s * math.sqrt(MONTHS - 1)  # a random walk would spread this far


def test_gpu_price_persistence_one_is_a_random_walk(base_d):
    """At ``gpu_price_persistence = 1`` the GPU multiplier is the random walk it was:
    ``exp(sum(s z3 - s^2/2))`` from the path's own normals, kernel and twin alike."""
    shock = shock_vector(base_d, gpu_price_persistence=1, **NO_TRENDS)
    g = k.path_multipliers_numpy(3, np.arange(50), MONTHS, shock)[2]
    keys = rng.path_key_numpy(3, np.arange(50))[:, None]
    z = rng.normal_numpy(keys, np.arange(4 * MONTHS)[None, :]).reshape(50, MONTHS, 4)[:, :, 2]
    s = shock[k.GPU_SIGMA]
    step = s * z - 0.5 * s * s
    step[:, 0] = 0.0
    np.testing.assert_allclose(g, np.exp(np.cumsum(step, axis=1)), rtol=1e-12)
    one = [np.empty(MONTHS) for _ in range(4)]
    k.path_multipliers(3, 7, MONTHS, shock, *one)
    np.testing.assert_allclose(one[2], g[7], rtol=1e-12)


def test_each_path_draws_its_own_trends(base_d):
    """Without volatility a path's log multipliers are its own trend: ``e t - (s t)^2 / 2``
    for the BTC and GPU-hour prices (``+`` for the difficulty, which moves with BTC's), with
    ``12 e`` spread by the annual uncertainty over the paths; every multiplier keeps mean 1
    (``1 / m`` for the difficulty) at the horizon, within four standard errors."""
    still = dict(btc_volatility=0, difficulty_volatility=0, gpu_price_volatility=0,
                 utilization_volatility=0)
    shock = shock_vector(base_d, btc_trend_uncertainty=0.2, difficulty_trend_uncertainty=0.1,
                         gpu_trend_uncertainty=0.3, **still)
    n = 40_000
    b, d, g, _u = k.path_multipliers_numpy(4, np.arange(n), MONTHS, shock)
    t = np.arange(MONTHS)
    for m, sigma, sign in ((b, 0.2, -1), (d, 0.1, 1), (g, 0.3, -1)):
        s = sigma / 12
        e = (np.log(m) - sign * 0.5 * (s * t) ** 2)[:, 1:] / t[1:]  # the path's e, each month
        np.testing.assert_allclose(e, e[:, :1].repeat(MONTHS - 1, axis=1), atol=1e-12)
        assert np.std(12 * e[:, 0]) == pytest.approx(sigma, rel=0.03)
        end = m[:, -1] if sign < 0 else 1 / m[:, -1]
        assert abs(end.mean() - 1) < 4 * end.std() / math.sqrt(n)
    # the difficulty's trend is the BTC price's draw, scaled
    np.testing.assert_allclose(np.log(d[:, 1]) - 0.5 * (0.1 / 12) ** 2,
                               (np.log(b[:, 1]) + 0.5 * (0.2 / 12) ** 2) * 0.5, atol=1e-12)
    one = [np.empty(MONTHS) for _ in range(4)]
    k.path_multipliers(4, 7, MONTHS, shock, *one)  # the kernel draws the same trends
    np.testing.assert_allclose(one[0], b[7], rtol=1e-12)
    np.testing.assert_allclose(one[2], g[7], rtol=1e-12)


def test_btc_drift_sets_the_mean_path(base_d):
    g = base_d["btc_price_growth"]
    same = shock_vector(base_d, btc_drift=g)
    np.testing.assert_array_equal(same, shock_vector(base_d))
    shock = shock_vector(base_d, btc_drift="20 %")
    b = k.path_multipliers_numpy(1, np.arange(20_000), MONTHS, shock)[0]
    expected = ((1.2) / (1 + g)) ** ((MONTHS - 1) / 12)
    end = b[:, -1]
    assert abs(end.mean() - expected) < 4 * end.std() / math.sqrt(end.size)


# --- the simulation -----------------------------------------------------------------------------


def test_without_volatility_every_path_is_the_deterministic_case(base, table):
    """No volatility and a tenant that cannot default: every path is the case's trend."""
    ds = montecarlo(paths=50, seed=1, btc_volatility=0, difficulty_volatility=0,
                    gpu_price_volatility=0, utilization_volatility=0,
                    overrides={"tenant_default_rate": 0}, **NO_TRENDS)
    b = base.copy()
    b[engine.TENANT_DEFAULT_RATE] = 0.0
    ref = evaluate_numpy(b, np.empty((1, 0)), np.empty(0, np.int64), MONTHS, table.kinds,
                         table.fleets, table.pair)[:, 0]
    from rackplan.studies.grid import output_unit

    for j, name in enumerate(table.names):
        factor, _ = output_unit(name, table.units.get(name, "1"))  # breakevens in user units
        np.testing.assert_allclose(ds[name].values, ref[j] * factor, rtol=1e-9, atol=1e-6,
                                   err_msg=name)
    winner = int(ref[table.index("winner")])
    assert ds["win_probability"].values.tolist() == [float(i == winner) for i in range(3)]


def test_the_tenant_defaults_on_some_paths_and_compare_is_their_mean(base, base_d, table):
    """Without volatility only the colocation tenant's default varies: a path's colocation NPV
    is the no-default one until its tenant defaults within the lease, less after; their mean
    is compare's expected NPV (within four standard errors), and the share of tenants gone
    within a year is the 4.2 % default rate."""
    from rackplan import compare

    quiet = dict(btc_volatility=0, difficulty_volatility=0, gpu_price_volatility=0,
                 utilization_volatility=0, **NO_TRENDS)
    ds = montecarlo(paths=20_000, seed=5, **quiet)
    npv = ds["npv_colocation"].values
    never = compare(overrides={"tenant_default_rate": 0}).options["colocation"].npv.m_as("USD")
    expected = compare().options["colocation"].npv.m_as("USD")
    assert npv.max() == pytest.approx(never, rel=1e-9) and (npv < never - 1.0).any()
    assert abs(npv.mean() - expected) < 4 * npv.std() / math.sqrt(npv.size)
    for other in ("npv_mine", "npv_gpuaas"):
        assert np.ptp(ds[other].values) == 0.0, other
    tau = k.default_months_numpy(5, np.arange(20_000), shock_vector(base_d))
    share = (tau < 12).mean()
    assert abs(share - 0.042) < 4 * math.sqrt(0.042 * 0.958 / tau.size)


def test_without_volatility_miners_that_switch_off_are_compare():
    """``miner_shutdown`` on a path decides month by month, as compare does on the trend: the
    same NPVs, and the same undefined BTC and power breakevens (mining idle still leads)."""
    from rackplan import compare

    set_ = {"miner_shutdown": True, "tenant_default_rate": 0}
    ds = montecarlo(paths=20, seed=1, btc_volatility=0, difficulty_volatility=0,
                    gpu_price_volatility=0, utilization_volatility=0, overrides=set_, **NO_TRENDS)
    r = compare(overrides=set_)
    for k in ("mine", "gpuaas", "colocation"):
        np.testing.assert_allclose(ds[f"npv_{k}"].values, float(r.options[k].npv.m_as("USD")),
                                   rtol=1e-9)
    assert np.isnan(ds["breakeven_btc_price"].values).all()
    assert np.isnan(ds["breakeven_power_price"].values).all()
    np.testing.assert_allclose(ds["breakeven_gpu_hour_price"].values,
                               r.breakeven["gpu_hour_price"]["value"].m_as("USD/hour"),
                               rtol=1e-9)


def test_same_seed_same_bytes_for_any_thread_count():
    a = montecarlo(paths=700, seed=42)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = montecarlo(paths=700, seed=42)
    finally:
        numba.set_num_threads(threads)
    for name in a.data_vars:
        assert a[name].values.tobytes() == b[name].values.tobytes(), name
    c = montecarlo(paths=700, seed=43)
    assert c["npv_mine"].values.tobytes() != a["npv_mine"].values.tobytes()


def test_a_path_does_not_depend_on_how_many_paths_run():
    small = montecarlo(paths=10, seed=9)
    large = montecarlo(paths=500, seed=9)
    np.testing.assert_array_equal(small["npv_gpuaas"].values, large["npv_gpuaas"].values[:10])


def test_summary_is_consistent_with_the_paths(result):
    ds = result
    for metric in ("npv", "noi"):
        for option in ("mine", "gpuaas", "colocation"):
            values = ds[f"{metric}_{option}"].values
            q = ds[metric].sel(option=option).values
            np.testing.assert_allclose(q, np.percentile(values, [5, 50, 95]))
            assert q[0] <= q[1] <= q[2]
    p = ds["win_probability"].values
    assert p.sum() == pytest.approx(1.0)
    assert p[1] == pytest.approx(np.mean(ds["winner"].values == 1))
    s = summary(ds)
    assert {k: s["run"][k] for k in ("paths", "seed", "years")} == {"paths": 3000, "seed": 7,
                                                                    "years": 5}
    assert s["gpuaas"]["npv_p50"].magnitude == pytest.approx(ds["npv"].sel(
        option="gpuaas", percentile=50).item())


def test_mining_earns_more_on_paths_where_btc_ends_higher(result):
    r = np.corrcoef(result["btc_price_mult_end"].values, result["noi_mine"].values)[0, 1]
    assert r > 0.5


@pytest.mark.parametrize("contract_share", [0.0, 0.4], ids=["merchant", "contract-tranche"])
def test_simulate_matches_the_numpy_twin(base, base_d, table, contract_share):
    # (a path without a contract tranche sums only its merchant entries: both ways checked)
    base = base.copy()
    base[engine.GPU_CONTRACT_SHARE] = contract_share
    base[engine.GPU_CONTRACT_TERM] = 36 * engine.SECONDS_PER_MONTH
    shock = shock_vector(base_d, correlation=0.3)
    slots = (table.kinds, table.fleets, table.pair)
    want = np.arange(len(table.names), dtype=np.int64)
    out, end = np.empty((len(want), 300)), np.empty(300)
    k.simulate(base, MONTHS, 3, shock, *slots, want, out, end)
    ref, ref_end = k.simulate_numpy(base, MONTHS, 3, shock, 300, *slots, batch=128)
    assert ref.shape == out.shape
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(end, ref_end, rtol=1e-12)
    # a few outputs only: the same rows, in the order asked for
    few = table.want(["winner", "npv_gpuaas", "btc_mined"])
    part, part_end = np.empty((len(few), 300)), np.empty(300)
    k.simulate(base, MONTHS, 3, shock, *slots, few, part, part_end)
    np.testing.assert_array_equal(part, out[few])
    np.testing.assert_array_equal(part_end, end)
    ref_few, _ = k.simulate_numpy(base, MONTHS, 3, shock, 300, *slots, few, batch=128)
    np.testing.assert_array_equal(ref_few, ref[few])


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"paths": 0}, "paths: must be a whole number from 1"),
    ({"paths": 2.5}, "paths: must be a whole number"),
    ({"paths": "many"}, "paths: 'many' is not a whole number"),
    ({"seed": -1}, "seed: must be a whole number from 0"),
    ({"correlation": 1.5}, "correlation: 1.5 is outside -1 to 1"),
    ({"btc_volatility": "fast"}, "btc_volatility"),
    ({"btc_volatility": "45 m"}, "btc_volatility"),
    ({"utilization_persistence": 1}, "utilization_persistence"),
    ({"years": 0}, "years"),
    ({"paths": 10_000_000}, "paths: 10,000,000 paths need about 2.24 GB, over the memory budget"),
    ({"memory_budget": "lots"}, "not an amount of memory"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(StudyError, match=message):
        montecarlo(**{"paths": 10, **kwargs})


def test_percent_strings_are_accepted():
    a = montecarlo(paths=20, seed=2, btc_volatility="45 %", correlation="10 %")
    b = montecarlo(paths=20, seed=2, btc_volatility=0.45, correlation=0.1)
    assert a["npv_mine"].values.tobytes() == b["npv_mine"].values.tobytes()


@pytest.mark.parametrize("kwargs, name", [
    ({"paths": True}, "paths"), ({"paths": None}, "paths"), ({"paths": [10]}, "paths"),
    ({"paths": -1}, "paths"), ({"paths": float("nan")}, "paths"),
    ({"paths": float("inf")}, "paths"), ({"paths": "1e9"}, "paths"), ({"paths": ""}, "paths"),
    ({"paths": np.array([10, 20])}, "paths"),
    ({"seed": True}, "seed"), ({"seed": 2**63}, "seed"), ({"seed": "x"}, "seed"),
    ({"seed": 1.5}, "seed"), ({"seed": None}, "seed"),
    ({"years": True}, "years"), ({"years": "abc"}, "years"), ({"years": 51}, "years"),
    ({"years": 2.5}, "years"),
    ({"overrides": [("pue", 1.2)]}, "overrides"), ({"overrides": "pue=1.2"}, "overrides"),
    ({"overrides": {"pue": [1.1, 1.2]}}, "overrides"),
    ({"btc_volatility": float("nan")}, "btc_volatility"),
    ({"btc_volatility": "nan"}, "btc_volatility"), ({"btc_volatility": "inf"}, "btc_volatility"),
    ({"btc_volatility": True}, "btc_volatility"), ({"btc_volatility": [0.4]}, "btc_volatility"),
    ({"btc_volatility": None}, "btc_volatility"), ({"btc_volatility": -0.1}, "btc_volatility"),
    ({"btc_volatility": 6}, "btc_volatility"),
    ({"difficulty_volatility": "1e400"}, "difficulty_volatility"),
    ({"gpu_price_volatility": "-inf"}, "gpu_price_volatility"),
    ({"utilization_volatility": "abc"}, "utilization_volatility"),
    ({"utilization_persistence": "nan"}, "utilization_persistence"),
    ({"gpu_price_persistence": 1.5}, "gpu_price_persistence"),
    ({"gpu_price_persistence": -0.1}, "gpu_price_persistence"),
    ({"gpu_price_persistence": "nan"}, "gpu_price_persistence"),
    ({"correlation": 2}, "correlation"), ({"correlation": -1.5}, "correlation"),
    ({"correlation": float("nan")}, "correlation"), ({"correlation": "2 W"}, "correlation"),
    ({"btc_drift": "nan"}, "btc_drift"), ({"btc_drift": -1}, "btc_drift"),
    ({"btc_drift": 101}, "btc_drift"), ({"btc_drift": True}, "btc_drift"),
    ({"keep_paths": "yes"}, "keep_paths"),
    ({"memory_budget": True}, "memory_budget"), ({"memory_budget": 0}, "memory_budget"),
    ({"memory_budget": "nan GB"}, "memory_budget"), ({"memory_budget": "1 PB"}, "memory_budget"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(RackplanError, match=rf"^{name}\b"):
        montecarlo(**{"paths": 10, **kwargs})


def test_a_budget_beyond_the_machine_is_refused_before_allocating(monkeypatch):
    """``--paths 100000000 --memory-budget "100 GB"`` died in MemoryError: a budget larger than
    the machine (here a 16 GB one) is refused, before anything is allocated."""
    monkeypatch.setattr(studyio, "physical_memory", lambda: 16e9)
    monkeypatch.setattr(studyio, "available_memory", lambda: 12e9)
    montecarlo(paths=10)  # the case and the modules, loaded outside the count
    tracemalloc.start()
    try:
        with pytest.raises(StudyError, match="^memory_budget: 100 GB is more than this "
                                             "machine's memory"):
            montecarlo(paths=100_000_000, memory_budget="100 GB")
        with pytest.raises(StudyError, match="^memory_budget: 14 GB is more than the memory "
                                             "available now"):
            montecarlo(paths=100_000_000, memory_budget="14 GB")
        with pytest.raises(StudyError, match="^paths: 100,000,000 paths need about 22.4 GB"):
            montecarlo(paths=100_000_000, memory_budget="10 GB")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 50e6


def test_percentiles_skip_undefined_paths():
    pct = np.asarray([5.0, 50.0, 95.0])
    values = np.array([1.0, np.nan, 3.0, np.inf, 2.0])
    np.testing.assert_array_equal(mc_module._percentiles(values, pct),
                                  np.percentile([1.0, 3.0, 2.0], pct))
    assert np.isnan(mc_module._percentiles(np.full(4, np.nan), pct)).all()


def test_undefined_figures_are_none_in_the_summary(result):
    ds = result.copy(deep=True)
    ds["npv"].loc[{"option": "mine"}] = np.nan
    s = summary(ds)
    assert s["mine"]["npv_p5"] is None and s["mine"]["npv_p95"] is None
    assert s["gpuaas"]["npv_p5"] is not None


def test_no_unit_fits_is_a_warning():
    with pytest.warns(StudyWarning) as record:
        ds = montecarlo(paths=20, overrides={"utility_power": "0.001 MW"})
    messages = [str(w.message) for w in record]
    assert any(m.startswith("no miner fits the site: on every path") for m in messages)
    assert any(m.startswith("no GPU system fits the site") for m in messages)
    assert np.all(ds["units_mine"].values == 0)


@pytest.mark.parametrize("name, message", [
    ("mc.xlsx", "unknown output format"), ("nowhere/mc.nc", "does not exist"),
    ("folder", "is a folder"),
])
def test_bad_out(result, tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    with pytest.raises(StudyError, match=f"^out: .*{message}"):
        mc_module.write(result, tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_csv_needs_the_paths(tmp_path):
    ds = montecarlo(paths=10, keep_paths=False)
    with pytest.raises(StudyError, match="^out: the paths were not kept"):
        mc_module.write(ds, tmp_path / "mc.csv")
    assert list(tmp_path.iterdir()) == []


def test_paths_record_their_case_and_read_in_user_units(result):
    """As a sweep's: the case (site, profiles, market, overrides, every input in user units)
    in the attributes, and each path's breakevens in USD/BTC, USD/hour and USD/MWh, the same
    numbers the kernel gives in USD/s and USD/J."""
    import json

    from rackplan.kernels import engine

    attrs = result.attrs
    assert (attrs["site"], attrs["market"], attrs["years"]) == ("built-in", "built-in", 5)
    inputs = json.loads(attrs["inputs"])
    assert inputs["btc_price"] == {"value": 98_076.0, "unit": "USD/BTC"}
    assert inputs["power_price"] == {"value": pytest.approx(33.0), "unit": "USD/MWh"}
    assert set(inputs) == set(engine.PARAMS)
    units = {k: result[f"breakeven_{k}"].attrs["units"]
             for k in ("btc_price", "gpu_hour_price", "power_price")}
    assert units == {"btc_price": "USD/BTC", "gpu_hour_price": "USD/hour",
                     "power_price": "USD/MWh"}
    from rackplan import compare

    # (in USD/s the paths' median would be 3,600 times smaller than compare's)
    gpu = result["breakeven_gpu_hour_price"].values
    assert np.nanmedian(gpu) == pytest.approx(
        compare().breakeven["gpu_hour_price"]["value"].m_as("USD/hour"), rel=0.25)


def test_files(result, tmp_path):
    import csv
    import json

    import xarray as xr

    for suffix in ("nc", "csv", "json"):
        mc_module.write(result, tmp_path / f"mc.{suffix}")
    with xr.open_dataset(tmp_path / "mc.nc", engine="h5netcdf") as back:
        xr.testing.assert_equal(back, result)
    rows = list(csv.reader((tmp_path / "mc.csv").read_text().splitlines()))
    assert rows[0][0] == "path" and len(rows) == 3001 and "npv_mine [USD]" in rows[0]
    # the winner by name, the breakevens in the units people write
    winner = [row[rows[0].index("winner")] for row in rows[1:]]
    assert set(winner) <= {"mine", "gpuaas", "colocation"}
    assert winner.count("colocation") == int((result["winner"].values == 2).sum())
    assert {"breakeven_gpu_hour_price [USD/hour]", "breakeven_power_price [USD/MWh]",
            "breakeven_btc_price [USD/BTC]"} <= set(rows[0])
    data = json.loads((tmp_path / "mc.json").read_text())
    assert data["coords"]["option"]["data"] == ["mine", "gpuaas", "colocation"]
    np.testing.assert_allclose(data["data_vars"]["npv"]["data"], result["npv"].values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc.csv", "mc.json", "mc.nc"]


def test_the_summary_gives_mean_npv_the_chance_of_a_positive_one_and_the_btc_path():
    """The mean NPV and P(NPV > 0) of each option over the kept paths, and the BTC price of the
    paths' last month (the trend's price times each path's multiplier) at P5/P50/P95."""
    ds = montecarlo(paths=3000, seed=11)
    base_d = scenario_base()
    for o in ds["option"].values:
        npv = ds[f"npv_{o}"].values
        assert ds["npv_mean"].sel(option=o).item() == pytest.approx(npv.mean(), rel=1e-12)
        assert ds["npv_positive_probability"].sel(option=o).item() == pytest.approx(
            np.mean(npv > 0))
    trend_end = base_d["btc_price"] * (1 + base_d["btc_price_growth"]) ** (59 / 12)
    assert ds["btc_price_end"].sel(percentile=50.0).item() == pytest.approx(
        trend_end * np.median(ds["btc_price_mult_end"].values), rel=1e-12)
    s = summary(ds)
    assert {"npv_mean", "npv_positive_probability"} <= set(s["mine"])
    assert s["run"]["btc_price_end_p5"] < s["run"]["btc_price_end_p50"] \
        < s["run"]["btc_price_end_p95"]


def test_without_volatility_the_mean_npv_is_compares():
    # (a tenant that may default makes paths differ: its test is above)
    sure = {"tenant_default_rate": 0}
    ds = montecarlo(paths=50, seed=1, btc_volatility=0, difficulty_volatility=0,
                    gpu_price_volatility=0, utilization_volatility=0, overrides=sure, **NO_TRENDS)
    from rackplan.economics.compare import compare

    r = compare(overrides=sure)
    for o in ds["option"].values:
        assert ds["npv_mean"].sel(option=o).item() == pytest.approx(
            float(r.options[str(o)].npv.m_as("USD")), rel=1e-9)
