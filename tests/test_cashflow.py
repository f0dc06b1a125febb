"""The cash-flow kernels (rackplan.kernels.cashflow, rackplan.kernels.scenario) against their
NumPy twins, their closed forms against their loops, and the contract with the studies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackplan.kernels import cashflow as k
from rackplan.kernels.scenario import (
    OUTPUT_LONG_NAMES,
    OUTPUT_UNITS,
    OUTPUTS,
    PARAM_UNITS,
    PARAMS,
    evaluate,
    evaluate_numpy,
    scenario_cashflows,
)
from rackplan.economics.mining import mining_months
from rackplan.units import ureg

S = k.SECONDS_PER_MONTH
O = {name: i for i, name in enumerate(OUTPUTS)}


@pytest.fixture(scope="module")
def base():
    from rackplan.economics.compare import scenario_base

    return np.array(list(scenario_base().values()))


def _random_scenarios(base, n, seed):
    """``n`` scenarios around the built-in case, every entry varied within a sane range."""
    rng = np.random.default_rng(seed)
    P = np.tile(base, (n, 1))
    col = {name: i for i, name in enumerate(PARAMS)}

    def scale(name, lo, hi):
        P[:, col[name]] *= rng.uniform(lo, hi, n)

    def set_(name, values):
        P[:, col[name]] = values

    for name in ("utility_power", "miner_power", "miner_hashrate", "gpu_power_max", "btc_price",
                 "difficulty", "power_price", "demand_charge", "gpu_hour_price",
                 "gpu_system_price", "installation_per_gpu", "network_software",
                 "colocation_rate", "facility_capex", "miner_price", "mining_facility_capex",
                 "staff_cost", "mining_staff_per_mw"):
        scale(name, 0.3, 3.0)
    set_("pue_mine", rng.uniform(1.0, 1.6, n))
    set_("pue_gpu", rng.uniform(1.0, 1.6, n))
    P[:, col["gpu_power_typical"]] = P[:, col["gpu_power_max"]] * rng.uniform(0.5, 1.0, n)
    set_("white_space", np.where(rng.random(n) < 0.5, np.nan, rng.uniform(100, 5000, n)))
    set_("floor_load_limit", np.where(rng.random(n) < 0.7, np.nan, rng.uniform(500, 3000, n)))
    set_("heat_rejection_capacity",
         np.where(rng.random(n) < 0.7, np.nan, rng.uniform(2e6, 20e6, n)))
    set_("fees_per_block", rng.uniform(0, 0.5, n))
    set_("block_height", rng.integers(0, 1_400_000, n).astype(float))
    set_("difficulty_growth", rng.choice([0.0, 0.03, -0.01, 0.08], n))
    set_("btc_price_growth", rng.choice([0.0, 0.25, -0.3], n))
    set_("pool_fee", rng.uniform(0, 0.04, n))
    set_("uptime", rng.uniform(0.8, 1.0, n))
    set_("power_price_growth", rng.choice([0.0, 0.05, -0.02], n))
    set_("gpu_price_decline", rng.choice([0.0, 0.2, 0.5], n))
    set_("utilization", rng.uniform(0, 1, n))
    set_("gpu_idle_power_share", rng.uniform(0, 0.5, n))
    set_("build_period", rng.integers(0, 30, n) * S)
    set_("mining_build_period", rng.integers(0, 4, n) * S)
    set_("colocation_escalator", rng.choice([0.0, 0.03], n))
    set_("colocation_opex_share", rng.uniform(0.05, 0.3, n))
    set_("discount_rate", rng.choice([0.0, 0.08, 0.15, 1e-7], n))
    set_("useful_life_it", rng.uniform(2, 8, n) * 365.25 * 86400)
    set_("useful_life_facility", rng.uniform(10, 30, n) * 365.25 * 86400)
    set_("residual_value", rng.uniform(0, 1, n))
    return P


def _assert_close(a, b, rtol=1e-9):
    """Equal to ``rtol`` of each value plus 1e-12 of its column's largest value (an NPV or NOI
    near zero is a difference of flows of ~1e8 USD and keeps ~1e-7 USD of rounding)."""
    scale = np.nanmax(np.abs(b), axis=0, keepdims=True)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = np.isnan(b) | (np.abs(a - b) <= rtol * np.abs(b) + 1e-12 * scale)
    bad = np.argwhere(~ok)
    assert ok.all(), [(OUTPUTS[j], a[i, j], b[i, j]) for i, j in bad[:5]]


# --- the contract ---------------------------------------------------------------------------


def test_names_and_units_follow_the_contract():
    must = {"utility_power", "btc_price", "difficulty", "fees_per_block", "block_height",
            "difficulty_growth", "btc_price_growth", "pool_fee", "power_price",
            "gpu_hour_price", "gpu_price_decline", "utilization", "colocation_rate",
            "colocation_escalator", "discount_rate", "pue_mine", "pue_gpu"}
    assert must <= set(PARAMS)
    assert {"units_mine", "units_gpu", "it_power_mine", "it_power_gpu", "noi_mine",
            "noi_gpuaas", "noi_colocation", "npv_mine", "npv_gpuaas", "npv_colocation",
            "npv_gpuaas_minus_mine", "winner", "breakeven_btc_price",
            "breakeven_gpu_hour_price", "breakeven_power_price"} <= set(OUTPUTS)
    for unit in list(PARAM_UNITS.values()) + list(OUTPUT_UNITS.values()):
        ureg.Unit(unit)  # every unit parses
    assert set(PARAM_UNITS) == set(PARAMS) and set(OUTPUT_UNITS) == set(OUTPUTS)
    assert set(OUTPUT_LONG_NAMES) == set(OUTPUTS)


def test_user_units_convert_to_the_kernel_units():
    from rackplan.economics.compare import user_units

    units = user_units()
    assert set(PARAMS) <= set(units) and units["pue"] == "1"
    for name in PARAMS:
        ureg.Quantity(1.0, units[name]).to(PARAM_UNITS[name])  # same dimension


# --- subsidy and the sums -------------------------------------------------------------------


@given(st.integers(0, 15_000_000))
def test_block_subsidy_kernel_and_twin(height):
    assert k.block_subsidy_sats(height) == int(k.block_subsidy_sats_numpy(height))


@given(st.integers(1, 120), st.integers(0, 40), st.integers(0, 1_400_000),
       st.sampled_from([0.0, 0.03, -0.02]), st.sampled_from([0.0, 0.3]),
       st.sampled_from([0.0, 0.04]), st.sampled_from([1.0, 0.99, 1.01 ** (-1 / 12)]))
def test_mining_sums_loop_closed_and_numpy_agree(n, start, h0, gd, gp, ge, v):
    ones = np.ones(n)
    loop = np.array(k.mining_sums(n, start, h0, 1e14, gd, 0.02, gp, ge, v, ones, ones, False))
    closed = np.array(k.mining_sums_closed(n, start, h0, 1e14, gd, 0.02, gp, ge, v))
    np.testing.assert_allclose(closed, loop, rtol=1e-12, atol=1e-300)
    # independently, from the NumPy monthly model: BTC of 2^32 / t hashes a second
    mm = mining_months(n, hashrate=k.HASHES_PER_DIFFICULTY / S, it_power=1.0, pue=1.0,
                       btc_price=1.0, btc_price_growth=gp, difficulty=1e14,
                       difficulty_growth=gd, fees_per_block=0.02, block_height=h0,
                       pool_fee=0.0, uptime=1.0, power_price=0.0, demand_charge=0.0,
                       power_price_growth=ge, miner_capex=0.0, facility_capex=0.0,
                       build_months=start, staff=0.0, staff_cost=0.0, maintenance_it=0.0,
                       maintenance_facility=0.0, insurance=0.0)
    disc = v ** np.arange(n)
    assert loop[0] == pytest.approx(mm.btc.sum(), rel=1e-12, abs=1e-300)
    assert loop[1] == pytest.approx(mm.revenue.sum(), rel=1e-12, abs=1e-300)
    assert loop[2] == pytest.approx((mm.revenue * disc).sum(), rel=1e-12, abs=1e-300)


@given(st.integers(1, 120), st.integers(0, 40), st.floats(0, 1),
       st.sampled_from([0.0, 0.2, 0.6]), st.sampled_from([0.0, 0.05]),
       st.sampled_from([1.0, 0.995]), st.sampled_from([0.0, 0.03, -0.1]))
def test_gpu_and_colocation_sums_loop_and_closed_agree(n, start, u, dec, ge, v, esc):
    ones = np.ones(n)
    np.testing.assert_allclose(
        k.gpuaas_sums_closed(n, start, u, dec, ge, v),
        k.gpuaas_sums(n, start, u, dec, ge, v, ones, ones, False), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(k.colocation_sums_closed(n, start, esc, v),
                               k.colocation_sums(n, start, esc, v), rtol=1e-12, atol=1e-300)


def test_colocation_sums_by_hand():
    # lease from month 2 of 30: 12 months at 1, 12 at 1.1, 4 at 1.21 = 12 + 13.2 + 4.84
    rate, rate_disc = k.colocation_sums(30, 2, 0.1, 1.0)
    assert rate == pytest.approx(30.04) and rate_disc == pytest.approx(30.04)
    assert k.colocation_sums_closed(30, 2, 0.1, 1.0)[0] == pytest.approx(30.04)


def test_ipow_and_geometric_sum():
    for x in (0.5, 0.999, 1.0, 1.07):
        for n in (0, 1, 7, 60, 127, 128, 600):
            assert k.ipow(x, n) == pytest.approx(x ** n, rel=1e-13)
            assert k.geometric_sum(x, 1.0, k.ipow(x, n), 0, n) == pytest.approx(
                sum(x ** m for m in range(n)), rel=1e-12)


# --- evaluate, its twin, and scenario_cashflows ----------------------------------------------


def test_evaluate_equals_its_numpy_twin_on_random_scenarios(base):
    P = _random_scenarios(base, 400, seed=11)
    idx = np.arange(len(PARAMS), dtype=np.int64)
    for n_months in (60, 7, 131):
        _assert_close(evaluate(base, P, idx, n_months), evaluate_numpy(base, P, idx, n_months))


def test_evaluate_varies_only_the_given_entries(base):
    col = PARAMS.index("btc_price")
    varied = np.array([[50_000.0], [98_076.0], [150_000.0]])
    out = evaluate(base, varied, np.array([col], dtype=np.int64), 60)
    assert out.shape == (3, len(OUTPUTS))
    assert np.all(np.diff(out[:, O["revenue_mine"]]) > 0)  # revenue rises with the price
    assert np.all(out[:, O["npv_gpuaas"]] == out[0, O["npv_gpuaas"]])  # GPUaaS untouched
    empty = evaluate(base, np.zeros((0, 1)), np.array([col], dtype=np.int64), 60)
    assert empty.shape == (0, len(OUTPUTS))


def test_scenario_cashflows_with_unit_paths_equals_evaluate(base):
    P = _random_scenarios(base, 60, seed=5)
    idx = np.arange(len(PARAMS), dtype=np.int64)
    expected = evaluate(base, P, idx, 48)
    ones = np.ones(48)
    out = np.empty(len(OUTPUTS))
    got = np.empty_like(expected)
    for i in range(P.shape[0]):
        scenario_cashflows(P[i], 48, ones, ones, ones, ones, out)
        got[i] = out
    _assert_close(got, expected, rtol=1e-10)


def test_numpy_twin_with_paths_equals_scenario_cashflows(base):
    """The Monte Carlo form: per-scenario month-by-month paths, kernel against NumPy twin."""
    rng = np.random.default_rng(8)
    n, months = 40, 72
    P = _random_scenarios(base, n, seed=9)
    paths = [np.exp(np.cumsum(rng.normal(0, 0.05, (n, months)), axis=1)) for _ in range(3)]
    util = rng.uniform(0.5, 1.5, (n, months))  # above 1 after the multiplier: capped
    expected = evaluate_numpy(base, P, np.arange(len(PARAMS), dtype=np.int64), months,
                              btc_price_mult=paths[0], difficulty_mult=paths[1],
                              gpu_price_mult=paths[2], utilization_mult=util)
    got = np.empty_like(expected)
    out = np.empty(len(OUTPUTS))
    for i in range(n):
        scenario_cashflows(P[i], months, paths[0][i], paths[1][i], paths[2][i], util[i], out)
        got[i] = out
    _assert_close(got, expected)


def test_multipliers_scale_what_they_should(base):
    n = 60
    ones = np.ones(n)
    ref = np.empty(len(OUTPUTS))
    scenario_cashflows(base, n, ones, ones, ones, ones, ref)
    out = np.empty(len(OUTPUTS))
    scenario_cashflows(base, n, 2 * ones, ones, ones, ones, out)
    assert out[O["revenue_mine"]] == pytest.approx(2 * ref[O["revenue_mine"]], rel=1e-13)
    assert out[O["btc_mined"]] == pytest.approx(ref[O["btc_mined"]], rel=1e-13)
    scenario_cashflows(base, n, ones, 4 * ones, ones, ones, out)
    assert out[O["btc_mined"]] == pytest.approx(ref[O["btc_mined"]] / 4, rel=1e-13)
    scenario_cashflows(base, n, ones, ones, 0.5 * ones, ones, out)
    assert out[O["revenue_gpuaas"]] == pytest.approx(ref[O["revenue_gpuaas"]] / 2, rel=1e-13)
    # utilization 0.85 x 2 is capped at 1
    scenario_cashflows(base, n, ones, ones, ones, 2 * ones, out)
    assert out[O["revenue_gpuaas"]] == pytest.approx(ref[O["revenue_gpuaas"]] / 0.85,
                                                     rel=1e-13)
    assert out[O["revenue_colocation"]] == ref[O["revenue_colocation"]]


def test_a_random_path_matches_the_monthly_model(base):
    """Kernel revenue with month-by-month paths = the NumPy monthly model times the paths."""
    from rackplan.economics.compare import compare

    n = 60
    rng = np.random.default_rng(2)
    bm = np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    dm = np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    out = np.empty(len(OUTPUTS))
    ones = np.ones(n)
    scenario_cashflows(base, n, bm, dm, ones, ones, out)
    mine = compare().options["mine"].finance  # the built-in case, as base
    assert out[O["revenue_mine"]] == pytest.approx(np.sum(mine.revenue * bm / dm), rel=1e-12)
    assert out[O["npv_mine"]] != pytest.approx(mine.npv)  # the paths changed the answer


def test_breakevens_are_exact(base):
    """At the breakeven price the two NPVs are equal: solve, substitute, compare."""
    out = evaluate(base, np.zeros((1, 0)), np.zeros(0, dtype=np.int64), 60)[0]
    for price_name, be_name in (("btc_price", "breakeven_btc_price"),
                                ("gpu_hour_price", "breakeven_gpu_hour_price"),
                                ("power_price", "breakeven_power_price")):
        col = np.array([PARAMS.index(price_name)], dtype=np.int64)
        at = evaluate(base, np.array([[out[O[be_name]]]]), col, 60)[0]
        assert at[O["npv_mine"]] == pytest.approx(at[O["npv_gpuaas"]], rel=1e-9)


def test_nan_sizing_gives_nan_not_garbage(base):
    p = base.copy()
    p[PARAMS.index("utility_power")] = math.nan
    out = evaluate(p, np.zeros((1, 0)), np.zeros(0, dtype=np.int64), 60)[0]
    assert math.isnan(out[O["npv_mine"]]) and math.isnan(out[O["winner"]])


@given(r=st.floats(0.0, 0.4), dr=st.floats(0.001, 0.3))
def test_npv_of_colocation_falls_as_the_discount_rate_rises(base, r, dr):
    col = np.array([PARAMS.index("discount_rate")], dtype=np.int64)
    out = evaluate(base, np.array([[r], [r + dr]]), col, 60)
    # colocation: capex during the build, income after it -> NPV falls with the rate
    assert out[1, O["npv_colocation"]] < out[0, O["npv_colocation"]]
