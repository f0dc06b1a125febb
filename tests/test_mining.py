"""Mining economics (rackplan.economics.mining): subsidy, expected BTC, hashprice, breakevens,
and the monthly lines of a mining fleet as the engine writes them (kind "mine":
rackplan.economics.compare.run_options, the lines compare() reports)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackplan.economics.mining import (
    block_subsidy,
    block_subsidy_btc,
    breakeven_btc_price,
    breakeven_power_price,
    btc_per_day,
    cost_per_btc,
    expected_btc,
    halving_height,
    hashcost,
    hashprice,
    month_subsidy,
)
from rackplan.units import Q_

from conftest import DATA


def test_foundry_fpps_worked_example():
    # Foundry USA Pool FPPS FAQ (SEC exhibit, sec.gov .../000095017023019070/filename2.htm):
    # 1 PH/s for one day at
    # difficulty 21,448,277,761,059 with a 6.25 BTC subsidy and no fees earns 0.0058619 BTC.
    assert round(btc_per_day(1e15, 21_448_277_761_059, 6.25), 7) == 0.0058619
    hp = hashprice(21_448_277_761_059, block_subsidy_btc(700_000), 0.0, 50_000)
    assert round(hp.btc, 7) == 0.0058619
    assert hp.usd == pytest.approx(0.0058619 * 50_000, rel=1e-4)


def test_elektronics_hashprice_example():
    # https://elektronics.dev/docs/hashprice: D = 1e14, 3.125 BTC, 100,000 USD/BTC
    # -> ~62.81 USD/PH/day. By hand: 8.64e19 / (1e14 x 2^32) x 3.125 x 1e5 = 62.864, within
    # 0.1 % of the published figure.
    hp = hashprice(1e14, 3.125, 0.0, 100_000)
    assert hp.usd == pytest.approx(62.81, rel=1e-3)
    assert hp.usd == pytest.approx(8.64e19 / (1e14 * 2**32) * 3.125 * 1e5, rel=1e-12)


def test_pool_fee_and_uptime_scale_the_reward():
    full = btc_per_day(1e15, 1e14, 3.125, 0.1)
    assert btc_per_day(1e15, 1e14, 3.125, 0.1, pool_fee=0.02, uptime=0.5) == pytest.approx(
        full * 0.98 * 0.5)


def test_quantities_are_accepted():
    a = expected_btc(Q_(1, "PH/s"), Q_(1, "day"), 1e14, Q_(3.125, "BTC"))
    b = expected_btc(1e15, 86_400, 1e14, 3.125)
    assert a == pytest.approx(b)


def test_subsidy_halves_at_block_1_050_000():
    # Bitcoin Core GetBlockSubsidy: 50 BTC >> (height // 210,000), in satoshis
    assert block_subsidy(0) == 5_000_000_000
    assert block_subsidy(839_999) == 625_000_000
    assert block_subsidy(840_000) == 312_500_000
    assert block_subsidy(1_049_999) == 312_500_000
    assert block_subsidy(1_050_000) == 156_250_000
    assert block_subsidy(1_050_000) * 2 == block_subsidy(1_049_999)
    assert block_subsidy(64 * 210_000) == 0
    assert block_subsidy(33 * 210_000) == 0  # 50e8 >> 33 is 0 sat already
    assert block_subsidy(32 * 210_000) == 1
    assert halving_height(922_368) == 1_050_000


def test_a_month_that_holds_the_halving_gets_the_block_weighted_mix():
    # 1,000 blocks at 3.125 and 3,383 at 1.5625 out of 4,383:
    # (1000 x 3.125 + 3383 x 1.5625) / 4383 = 8410.9375 / 4383 = 1.918990...
    s = month_subsidy(1_050_000 - 1_000, 3)
    assert s[0] == pytest.approx(8410.9375 / 4383, rel=1e-15)
    assert s[1] == s[2] == 1.5625
    # a month that starts exactly at the halving block has the new subsidy only
    assert month_subsidy(1_050_000, 1)[0] == 1.5625
    assert month_subsidy(1_050_000 - 4383, 2).tolist() == [3.125, 1.5625]


@given(st.integers(0, 2_000_000), st.integers(1, 120))
def test_month_subsidy_is_the_mean_over_its_blocks(h0, n):
    s = month_subsidy(h0, n)
    m = int(np.random.default_rng(h0).integers(0, n))
    heights = np.arange(h0 + 4383 * m, h0 + 4383 * (m + 1))
    exact = sum(block_subsidy(int(h)) for h in heights) / 4383 / 1e8
    assert s[m] == pytest.approx(exact, rel=1e-14)


def test_hashcost_by_hand():
    # 12 J/TH = 12 kW per PH/s; a day is 288 kWh; at 50 USD/MWh that is 14.40 USD/PH/day
    assert hashcost(12, 50) == pytest.approx(14.4)
    assert hashcost(Q_(12, "J/TH"), Q_(5, "cUSD/kWh"), pue=1.25) == pytest.approx(18.0)


def test_hashcost_includes_the_demand_charge():
    """12 J/TH at 50 USD/MWh and 6.03 USD/kW-month of demand charge: 12 kW for a day at
    50 USD/MWh is 14.40 USD; the demand charge, 6.03 USD / (1,000 W x 2,629,800 s of a mean
    month) = 2.293e-9 USD per W-second, adds 12,000 W x 86,400 s x 2.293e-9 = 2.377 USD (the
    Moses Lake tariff's 33 USD/MWh becomes an effective 41.3 USD/MWh)."""
    assert hashcost(12, 50, demand_charge=6.03) == pytest.approx(14.4 + 2.3774, rel=1e-4)
    assert hashcost(Q_(12, "J/TH"), Q_(50, "USD/MWh"), 1.0, Q_(6.03, "USD/kW/month")) == \
        pytest.approx(16.7774, rel=1e-4)
    effective = hashcost(12, 33, demand_charge=6.03) / hashcost(12, 1)  # USD/MWh
    assert effective == pytest.approx(41.25, abs=0.05)


def test_cost_and_breakevens_by_hand():
    assert cost_per_btc(50_000, 2) == 25_000
    assert np.isnan(cost_per_btc(1, 0))
    assert breakeven_btc_price(60_000, 1.5) == 40_000
    # revenue 1,000 USD, other costs 200 USD, 10 MWh: (1000 - 200) / 3.6e10 J
    assert breakeven_power_price(1000, 3.6e10, 200) * 3.6e9 == pytest.approx(80.0)


#: The hand-worked case of tests/test_compare.py: 10 toy miners (1 PH/s and 100 kW each) on a
#: 1 MW site at PUE 1, at the hand-worked market (100,000 USD/BTC, D = 1e14, no fees, height
#: 840,000, 50 USD/MWh, miners at 10 USD per TH/s, nothing else).
TOY = dict(site=DATA / "sites" / "toy-1mw.toml",
           mining_profile=DATA / "profiles" / "toy-miner.toml",
           gpu_profile=DATA / "profiles" / "toy-gpu.toml",
           market=DATA / "markets" / "handworked.toml")
S = 2_629_800  # seconds a month


def _toy_base(**overrides):
    from rackplan.economics.compare import scenario_base

    return scenario_base(**TOY, years=1, overrides=overrides)


def _mine_lines(n=12, base=None, **overrides):
    """The mining option's monthly lines (engine.LINES) for the toy case, and its start."""
    from rackplan.economics.compare import run_options

    run = run_options(_toy_base(**overrides) if base is None else base, n)
    return run.lines["mine"], run.starts["mine"]


_TOY_BASE = None


def _fast_lines(n=12, **si):
    """As :func:`_mine_lines`, the toy base with some entries replaced in SI (no file is read
    again): for the property tests."""
    global _TOY_BASE
    if _TOY_BASE is None:
        _TOY_BASE = _toy_base()
    return _mine_lines(n, base={**_TOY_BASE, **si})[0]


def test_mining_months_by_hand():
    mm, start = _mine_lines()
    assert start == 0
    # 10 PH/s for 30.4375 days at D = 1e14, 3.125 BTC a block:
    # 1e16 x 2,629,800 x 3.125 / (1e14 x 2^32) = 821,812,500 / 4,294,967,296 BTC
    btc = 821_812_500 / 4_294_967_296
    assert mm["volume"] == pytest.approx(np.full(12, btc), rel=1e-14)
    assert mm["revenue"] == pytest.approx(np.full(12, btc * 100_000), rel=1e-14)
    # 1 MW x 730.5 h = 730.5 MWh a month at 50 USD/MWh = 36,525 USD
    assert mm["energy"] == pytest.approx(np.full(12, 1e6 * S), rel=1e-14)
    assert mm["power"] == pytest.approx(np.full(12, 36_525.0), rel=1e-14)
    for line in ("staff", "maintenance", "insurance", "network_software", "operator", "sga",
                 "capex_facility"):
        assert not mm[line].any(), line
    assert mm["capex_it"][0] == pytest.approx(100_000, rel=1e-14)
    assert mm["capex_it"][1:].sum() == 0
    # cash flow: revenue - power - the miners in month 0 (no residual value in this market)
    assert mm["cash_flow"] == pytest.approx(
        btc * 100_000 - 36_525.0 - np.r_[100_000.0, np.zeros(11)], rel=1e-12)


def test_mining_months_build_growth_and_opex_lines():
    # A 2-month build; the mining facility 1.2 M USD (1.2 M USD/MW x 1 MW); 2 FTE (2 a MW of
    # mining IT x 1 MW) at 1 USD/s; demand charge 1e-6 USD/(W s) = 2,629.8 USD/kW/month.
    mm, start = _mine_lines(mining_build_period="2 month",
                            mining_facility_capex="1200000 USD/MW", difficulty_growth=0.01,
                            btc_price_growth=0.21, maintenance_it=0.12, insurance=0.01,
                            mining_staff_per_mw=2, staff_cost="31557600 USD/year",
                            demand_charge="2629.8 USD/kW/month", uptime=0.9,
                            miner_warranty="3 month")
    assert start == 2
    assert mm["volume"][:2].sum() == 0 and mm["power"][:2].sum() == 0
    assert mm["revenue"][:2].sum() == 0
    for line in ("staff", "maintenance", "insurance"):
        assert mm[line][:2].sum() == 0, line
    assert mm["capex_facility"] == pytest.approx([600_000.0, 600_000.0] + [0.0] * 10,
                                                 rel=1e-14)
    assert mm["capex_it"][2] == pytest.approx(100_000, rel=1e-14)
    assert mm["capex_it"].sum() == pytest.approx(100_000, rel=1e-14)
    # month 3 vs month 2: difficulty x1.01, price x1.21^(1/12)
    assert mm["revenue"][3] / mm["revenue"][2] == pytest.approx(1.21 ** (1 / 12) / 1.01)
    assert mm["volume"][3] / mm["volume"][2] == pytest.approx(1 / 1.01)
    # maintenance 12 %/yr of 100,000 = 1,000 a month once the 3-month warranty from the first
    # operating month (2) is over; insurance 1 % of 1.3 M a year
    assert mm["maintenance"][2:] == pytest.approx([0.0] * 3 + [1_000.0] * 7)
    assert mm["insurance"][5] == pytest.approx(0.01 * 1.3e6 / 12)
    assert mm["staff"][2] == pytest.approx(2 * S)
    # demand charge on facility power regardless of uptime: 1e-6 USD/(W s) x 1e6 W x t
    energy = 1e6 * 0.9 * S * 50 / 3.6e9
    assert mm["power"][2] == pytest.approx(energy + S)
    # the uptime scales the BTC too: 0.9 x 10 PH/s at month 2's difficulty (1e14 x 1.01^2)
    assert mm["volume"][2] == pytest.approx(0.9 * 1e16 * S * 3.125 / (1e14 * 1.01 ** 2 * 2**32))


@given(st.floats(1e3, 1e6), st.floats(1.01, 3.0))
def test_revenue_rises_with_btc_price(price, factor):
    low = _fast_lines(btc_price=price)["revenue"].sum()
    high = _fast_lines(btc_price=price * factor)["revenue"].sum()
    assert high > low
    assert high == pytest.approx(low * factor, rel=1e-12)  # revenue is linear in the price


@given(st.floats(1e12, 1e15), st.floats(1.01, 3.0), st.floats(0.0, 0.05))
def test_revenue_falls_with_difficulty(d, factor, growth):
    low = _fast_lines(difficulty=d * factor, difficulty_growth=growth)["revenue"].sum()
    high = _fast_lines(difficulty=d, difficulty_growth=growth)["revenue"].sum()
    assert low < high
    assert low * factor == pytest.approx(high, rel=1e-12)  # BTC is inverse in difficulty


def test_halving_inside_the_horizon_halves_revenue():
    # 840,000 + 48 x 4,383 = 1,050,384 > 1,050,000: month 47 holds the halving
    mm, _ = _mine_lines(60, power_price="0 USD/MWh", miner_price="0 USD/(TH/s)",
                        useful_life_it="5 year")
    btc = mm["volume"]
    assert btc[48] == pytest.approx(btc[46] / 2)
    assert btc[46] > btc[47] > btc[48]
    # month 47 starts at block 1,046,001: 3,999 blocks at 3.125 BTC, then 384 at 1.5625
    assert btc[47] == pytest.approx(btc[46] * (3999 * 3.125 + 384 * 1.5625) / (4383 * 3.125),
                                    rel=1e-14)
    assert mm["revenue"] == pytest.approx(btc * 1e5, rel=1e-14)


# --- the fleet's share of the network is at most 1 ------------------------------------------


def test_expected_btc_never_exceeds_the_blocks_of_the_period():
    # 1 EH/s against a network of difficulty 1 (7 MH/s): every block of the day, no more
    day = btc_per_day(1e18, 1.0, 3.125, 0.025)
    assert day == pytest.approx(144 * 3.15, rel=1e-12)
    assert btc_per_day(1e18, 1.0, 3.125, 0.025, pool_fee=0.02) == pytest.approx(
        144 * 3.15 * 0.98, rel=1e-12)
    # below the cap nothing changes: the Foundry example
    assert round(btc_per_day(1e15, 21_448_277_761_059, 6.25), 7) == 0.0058619


def test_fleet_difficulty_is_the_difficulty_of_a_network_of_the_fleet_alone():
    from rackplan.economics.mining import fleet_difficulty

    h = 5e18  # 5 EH/s
    d = fleet_difficulty(h, 0.97)
    assert d == pytest.approx(h * 0.97 * 600 / 2**32, rel=1e-15)
    # at that difficulty the fleet mines every block of a day
    assert btc_per_day(h, d, 3.125, uptime=0.97) == pytest.approx(144 * 3.125, rel=1e-12)


def _builtin_mining(n=60, **overrides):
    """The built-in case's mining lines (2,802 S21 XP Hyd, 1.33 EH/s; fees 0.025 BTC, pool fee
    2 %, uptime 97 % less the weather's 2 %, height 922,368) with market overrides, its fleet's hash rate and the
    BTC the month's blocks hold after the pool fee."""
    from rackplan.economics.compare import run_options, scenario_base

    run = run_options(scenario_base(overrides=overrides), n)
    blocks = (month_subsidy(922_368, n) + 0.025) * 4383 * (1 - 0.02)
    return run.lines["mine"], run.outputs, blocks


@pytest.mark.parametrize(("difficulty", "growth"), [
    (152.3e12, -0.5),   # the documented lower bound of difficulty_growth
    (152.3e12, -0.3),
    (1.0, 0.0),         # the protocol minimum
    (1e6, 0.01),
    (1e24, -0.5),
])
def test_mining_months_never_mine_more_than_the_blocks_hold(difficulty, growth):
    lines, out, blocks = _builtin_mining(difficulty=difficulty, difficulty_growth=growth)
    btc = lines["volume"]
    assert np.all(np.isfinite(btc)) and np.all(np.isfinite(lines["revenue"]))
    assert np.all(np.isfinite(lines["cash_flow"]))
    assert np.all(btc <= blocks * (1 + 1e-12))
    assert btc.sum() < 21e6
    assert out["btc_mined"] == pytest.approx(btc.sum(), rel=1e-12)
    assert lines["revenue"] == pytest.approx(btc * 98_076, rel=1e-12)


def test_the_cap_binds_only_where_the_network_would_be_smaller_than_the_fleet():
    n = 60
    lines, out, blocks = _builtin_mining(n, difficulty=152.3e12, difficulty_growth=-0.5)
    h = out["hashrate_mine"]
    assert h == pytest.approx(2802 * 473e12)
    # uptime 97 %, less the 175 hours of Yakima's year the mining hall cannot cool
    uptime = 0.97 * (1 - 175 / 8760)
    uncapped = h * uptime * 0.98 * 2_629_800 * (month_subsidy(922_368, n) + 0.025) / (
        152.3e12 * 0.5 ** np.arange(n) * 2**32)
    np.testing.assert_allclose(lines["volume"], np.minimum(uncapped, blocks), rtol=1e-12)
    assert (uncapped > blocks).any() and (uncapped < blocks).any()  # both regimes occur


def _kernels(base, n=60, paths=None):
    """The engine's outputs by name for one scenario: month by month with its lines
    (scenario_lines, optionally with Monte Carlo multipliers ``paths`` float64[4, n]), and,
    without paths, evaluate, evaluate_serial and the NumPy twin; with paths the twin."""
    from rackplan.economics.options import engine_table
    from rackplan.kernels import engine
    from rackplan.kernels.engine_numpy import evaluate_numpy

    sc = engine_table()
    b = np.array([base[name] for name in engine.PARAMS])
    slots = (sc.kinds, sc.fleets, sc.pair)
    lines = np.zeros((len(sc.kinds) * n, len(engine.LINES)))
    row = np.empty(len(sc.names))
    engine.scenario_lines(b, n, *slots, np.empty((4, 0)) if paths is None else paths, lines,
                          row)
    runs = [row]
    none = (np.zeros((1, 0)), np.zeros(0, dtype=np.int64), n, *slots)
    want = np.arange(len(sc.names), dtype=np.int64)
    if paths is None:
        for kernel in (engine.evaluate, engine.evaluate_serial):
            out = np.full((len(want), 1), np.nan)
            kernel(b, *none, want, out)
            runs.append(out[:, 0])
        runs.append(evaluate_numpy(b, *none, want)[:, 0])
    else:
        runs.append(evaluate_numpy(b, *none, want, paths=[p[None, :] for p in paths])[:, 0])
    mine = lines.reshape(len(sc.kinds), n, len(engine.LINES))[0]
    return [dict(zip(sc.names, r)) for r in runs], dict(zip(engine.LINES, mine.T))


@pytest.mark.parametrize("overrides", [
    {"difficulty_growth": -0.5},
    {"difficulty": 1},
    {"difficulty_growth": -0.2, "mining_build_period": "3 month"},
    {"network_hashrate": "1 TH/s"},
    {},
])
def test_compare_and_the_kernels_agree_on_the_cap(overrides):
    from rackplan.economics.compare import compare, scenario_base

    r = compare(overrides=overrides)
    runs, _ = _kernels(scenario_base(overrides=overrides))
    for out in runs:
        assert out["btc_mined"] == pytest.approx(
            float(r.options["mine"].details["btc_mined"].m_as("BTC")), rel=1e-10)
        assert out["npv_mine"] == pytest.approx(float(r.options["mine"].npv.m_as("USD")),
                                                rel=1e-10)
    blocks = float(((month_subsidy(r.inputs["block_height"], 60) + 0.025) * 4383).sum())
    assert float(r.options["mine"].details["btc_mined"].m_as("BTC")) <= blocks


def test_the_monte_carlo_kernel_caps_a_path_of_falling_difficulty():
    from rackplan.economics.compare import scenario_base

    base = scenario_base()
    n = 60
    ones = np.ones(n)
    falling = 0.5 ** np.arange(n)  # a path that drops the difficulty far below the fleet's
    paths = np.stack([ones, falling, ones, ones])
    (loop, twin), lines = _kernels(base, n, paths)
    np.testing.assert_allclose(list(loop.values()), list(twin.values()), rtol=1e-9)
    blocks = (month_subsidy(922_368, n) + 0.025) * 4383 * (1 - 0.02)
    assert np.all(lines["volume"] <= blocks * (1 + 1e-12))
    assert lines["volume"][-1] == pytest.approx(blocks[-1], rel=1e-12)  # capped at the end
    assert loop["btc_mined"] == pytest.approx(lines["volume"].sum(), rel=1e-12)
    assert loop["btc_mined"] <= float(blocks.sum())
