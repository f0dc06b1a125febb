"""A network that answers the hashprice (``difficulty_model = "equilibrium"``): the hash rate
by hand, the halving, the bound that the network never burns more than its rewards pay, and
compare, sweeps and Monte Carlo on the same engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackplan import compare, montecarlo, sweep
from rackplan.economics.compare import scenario_base
from rackplan.kernels import engine
from rackplan.kernels.cashflow import HASHES_PER_DIFFICULTY

EQ = {"difficulty_model": "equilibrium"}
COL = {name: i for i, name in enumerate(engine.PARAMS)}


def _p(**values):
    base = scenario_base(overrides=EQ)
    p = np.array([base[name] for name in engine.PARAMS])
    for name, value in values.items():
        p[COL[name]] = value
    return p


def _at_margin(p):
    """The network cost at which the month-0 network is at its margin (its hashprice)."""
    reward = 3.125 + p[COL["fees_per_block"]]  # block 922,368: the 2024-2028 epoch
    return reward * p[COL["btc_price"]] / (p[COL["difficulty"]] * HASHES_PER_DIFFICULTY)


def test_the_hash_rate_by_hand():
    """From the month-0 network at its margin with a flat BTC price: the cost per hash falls
    25 % a year, so the equilibrium hash rate grows by 0.75^(-m/12). Closing the whole gap
    each month the difficulty is that; closing half, month 1 is 0.75^(-1/24) and month 2
    0.75^(-1/24 - 1/12 + 1/48)... (half the gap in logs each month)."""
    p = _p(btc_price_growth=0.0, network_efficiency_gain=0.25, difficulty_adjustment=1.0)
    p[COL["network_cost"]] = _at_margin(p)
    d0 = p[COL["difficulty"]]
    difficulty, price, _ = engine.network_months(p, 12)
    m = np.arange(12)
    np.testing.assert_allclose(difficulty, d0 * 0.75 ** (-m / 12), rtol=1e-12)
    np.testing.assert_allclose(price, p[COL["btc_price"]], rtol=1e-15)
    p[COL["difficulty_adjustment"]] = 0.5
    difficulty = engine.network_months(p, 3)[0]
    log_target = np.log(0.75) * -np.arange(3) / 12  # ln(H*/H0)
    first = 0.5 * log_target[1]
    second = first + 0.5 * (log_target[2] - first)
    np.testing.assert_allclose(np.log(difficulty / d0), [0.0, first, second], rtol=1e-12)


def test_the_halving_switches_machines_off_at_once():
    """In April 2028 (block 1,050,000, month 29 from block 922,368) the reward halves: the
    equilibrium hash rate falls with it, and the network drops to it in the first month of
    the lower reward, not by a quarter of the gap."""
    p = _p(btc_price_growth=0.0)
    difficulty, price, reward = engine.network_months(p, 36)
    cost = p[COL["network_cost"]] * (1 - p[COL["network_efficiency_gain"]]) ** (
        np.arange(36) / 12)
    target = reward / 600.0 * price / cost * 600.0 / HASHES_PER_DIFFICULTY  # as difficulty
    assert reward[30] == pytest.approx(1.5625 + p[COL["fees_per_block"]], rel=1e-12)
    assert difficulty[30] == pytest.approx(target[30], rel=1e-12)
    assert difficulty[28] < target[28]  # growing before: still short of it
    assert difficulty[30] < 0.6 * difficulty[28]


@settings(max_examples=80)
@given(gain=st.floats(0.0, 0.6), adjustment=st.floats(0.01, 1.0),
       cost_ratio=st.floats(0.2, 5.0), growth=st.floats(-0.8, 2.0),
       shocks=st.lists(st.floats(-0.3, 0.3), min_size=72, max_size=72))
def test_the_network_never_burns_more_than_its_rewards_pay(gain, adjustment, cost_ratio,
                                                             growth, shocks):
    """Month by month after the first, the network's hash rate times the marginal fleet's
    cost per hash is at most its rewards at the month's price: machines that lose switch off
    at once. With any cost, efficiency gain, adjustment speed, price trend and price path."""
    p = _p(network_efficiency_gain=gain, difficulty_adjustment=adjustment,
           btc_price_growth=growth)
    p[COL["network_cost"]] *= cost_ratio
    n = 72
    tf = np.empty((engine.N_TIME, n))
    engine.time_factors(p, n, tf)
    paths = np.ones((4, n))
    paths[0] = np.exp(np.cumsum(shocks))
    engine.network_path(p, n, tf, paths, p[COL["btc_price"]])
    h = tf[engine.T_NETWORK] * HASHES_PER_DIFFICULTY / 600.0
    cost = p[COL["network_cost"]] * (1 - gain) ** (np.arange(n) / 12)
    rewards = tf[engine.T_REWARD] / 600.0 * p[COL["btc_price"]] * tf[engine.T_BTC_PRICE] \
        * paths[0]
    assert np.all(h[1:] * cost[1:] <= rewards[1:] * (1 + 1e-12))
    assert np.all(h > 0)


def test_compare_with_the_network_following_the_price():
    """On the built-in case the equilibrium network grows slower than the 3 %-a-month trend
    and falls at the 2028 halving, so the miners earn more: mining's NPV is higher than on
    the trend, and the yearly rows show the network's hash rate and hashprice. Mining idle
    costs less than GPU-as-a-service loses, so no BTC price makes them meet (the note says
    why); with GPU-hours at 8 USD the breakeven exists, and compare at it meets."""
    trend, eq = compare(), compare(overrides=EQ)
    mine_t = trend.options["mine"].npv.m_as("USD")
    mine_e = eq.options["mine"].npv.m_as("USD")
    assert mine_e > mine_t
    assert mine_e == pytest.approx(-31_403_399.2, abs=1.0)  # miners that switch off
    assert eq.options["gpuaas"].npv == trend.options["gpuaas"].npv
    rows = eq.options["mine"].yearly
    hashrate = [row["network_hashrate"].m_as("EH/s") for row in rows]
    assert hashrate[0] == pytest.approx(1090, rel=0.2)  # about the market's 1,090 EH/s
    assert hashrate[1] < trend.options["mine"].yearly[1]["network_hashrate"].m_as("EH/s")
    assert all(row["hashprice"].units == rows[0]["hashprice"].units for row in rows)
    note = eq.breakeven["btc_price"]["note"]
    assert math.isnan(eq.breakeven["btc_price"]["value"].magnitude)
    assert "above GPU-as-a-service's at every BTC price down to 0" in note
    dear = {**EQ, "gpu_hour_price": "8 USD/hour"}
    be = compare(overrides=dear).breakeven["btc_price"]["value"].m_as("USD/BTC")
    assert be > 98_076
    at = compare(overrides={**dear, "btc_price": f"{be!r} USD/BTC"})
    assert at.options["mine"].npv.m_as("USD") == pytest.approx(
        at.options["gpuaas"].npv.m_as("USD"), rel=1e-9)


def test_a_sweep_and_monte_carlo_without_volatility_equal_compare():
    """One engine: a sweep over the BTC price and Monte Carlo with every volatility at 0 give
    compare's NPVs and breakevens under the equilibrium network, miners switching off too."""
    set_ = {**EQ, "miner_shutdown": True, "gpu_hour_price": "8 USD/hour"}
    ds = sweep(vary={"btc_price": [60_000.0, 98_076.0, 150_000.0]}, overrides=set_)
    for price in (60_000.0, 150_000.0):
        r = compare(overrides={**set_, "btc_price": f"{price!r} USD/BTC"})
        at = ds.sel(btc_price=price)
        for k in ("mine", "gpuaas", "colocation"):
            assert float(at[f"npv_{k}"]) == pytest.approx(r.options[k].npv.m_as("USD"),
                                                          rel=1e-9)
        assert float(at["breakeven_btc_price"]) == pytest.approx(
            r.breakeven["btc_price"]["value"].m_as("USD/BTC"), rel=1e-9)
    mc = montecarlo(paths=20, seed=3, btc_volatility=0, difficulty_volatility=0,
                    gpu_price_volatility=0, utilization_volatility=0, overrides=set_,
                    btc_trend_uncertainty=0, difficulty_trend_uncertainty=0,
                    gpu_trend_uncertainty=0)
    r = compare(overrides=set_)
    np.testing.assert_allclose(mc["npv_mine"].values, r.options["mine"].npv.m_as("USD"),
                               rtol=1e-9)
    np.testing.assert_allclose(mc["breakeven_btc_price"].values,
                               r.breakeven["btc_price"]["value"].m_as("USD/BTC"), rtol=1e-9)


def test_the_network_follows_a_path_with_a_lag():
    """On a Monte Carlo path the network answers the path's price (the difficulty's own
    shocks are not used): paths that end dear still leave mining better off, but the hash
    rate that follows takes much of it, so mining's NPV spreads less than on the trend."""
    a = montecarlo(paths=400, seed=5, overrides=EQ, difficulty_volatility=0.0)
    b = montecarlo(paths=400, seed=5, overrides=EQ, difficulty_volatility=0.5)
    np.testing.assert_array_equal(a["npv_mine"].values, b["npv_mine"].values)
    npv = a["npv_mine"].values
    assert np.corrcoef(np.log(a["btc_price_mult_end"].values), npv)[0, 1] > 0.5
    trend = montecarlo(paths=400, seed=5, difficulty_volatility=0.0)
    assert npv.std() < 0.7 * trend["npv_mine"].values.std()


def test_compare_says_how_the_network_moves():
    c = compare(overrides=EQ).conventions["btc_price"]
    assert c == ("98,076 USD/BTC at the market date, then flat; the network's hash rate "
                 "follows the hashprice to the marginal fleet's cost (38.2 USD/PH/day, falling "
                 "25 % a year), closing 25 % of the gap a month")


def test_a_sweep_that_wants_no_btc_breakeven_skips_its_search():
    """The BTC breakeven's search is the costly part of an equilibrium scenario: a sweep that
    asks for the NPVs only gets the same NPVs (and no breakeven to read)."""
    vary = {"btc_price": [70_000.0, 120_000.0]}
    every = sweep(vary=vary, overrides=EQ)
    npvs = sweep(vary=vary, overrides=EQ, outputs=["npv_mine", "npv_gpuaas"])
    assert "breakeven_btc_price" not in npvs
    np.testing.assert_array_equal(npvs["npv_mine"].values, every["npv_mine"].values)
