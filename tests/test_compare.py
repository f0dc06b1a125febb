"""rackplan.compare(): hand-worked cases per option, the built-in case, breakevens, shapes.

The hand-worked case: tests/data (toy-1mw site: 1 MW at PUE 1; toy-miner: 100 kW and 1 PH/s a
unit; toy-gpu: 100 kW and 100 GPUs a unit; handworked market: round numbers, no growth, no
fees). 10 units of each fit. A month is 30.4375 days = 2,629,800 s = 730.5 h.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rackplan.economics.compare import (compare, route_overrides, run_options, scenario_base,
                                       user_units)
from rackplan.economics.options import engine_table
from rackplan.errors import InputError, MarketError, ProfileError
from rackplan.facility.profiles import load_profile
from rackplan.kernels.engine import PARAMS, evaluate, evaluate_serial
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.units import Q_

from conftest import BROKEN, DATA, NO_DESIGN

#: Miners that hash in every month (the default switches them off in losing months).
HASHING = {"miner_shutdown": False}
TOY = dict(site=DATA / "sites" / "toy-1mw.toml",
           mining_profile=DATA / "profiles" / "toy-miner.toml",
           gpu_profile=DATA / "profiles" / "toy-gpu.toml",
           market=DATA / "markets" / "handworked.toml")
HOURS = 730.5
# BTC a month for 10 PH/s at D = 1e14 and 3.125 BTC a block:
# 1e16 x 2,629,800 x 3.125 / (1e14 x 2^32) = 821,812,500 / 4,294,967,296 = 0.19134313 BTC
BTC_MONTH = 821_812_500 / 4_294_967_296


def toy(years=1, **overrides):
    return compare(**TOY, years=years, overrides=overrides)


def usd(q):
    return float(q.m_as("USD"))


def test_hand_worked_mining():
    r = toy()
    mine = r.options["mine"]
    assert mine.fleet["units"] == 10
    assert float(mine.fleet["hashrate"].m_as("PH/s")) == pytest.approx(10)
    # revenue: 12 x 0.19134313 BTC x 100,000 USD/BTC = 229,611.76 USD
    assert usd(mine.total["revenue"]) == pytest.approx(12 * BTC_MONTH * 1e5, rel=1e-12)
    assert float(mine.total["btc_mined"].m_as("BTC")) == pytest.approx(12 * BTC_MONTH)
    # power: 1 MW x 730.5 h x 50 USD/MWh = 36,525 USD a month
    assert usd(mine.total["opex"]) == pytest.approx(12 * 36_525, rel=1e-12)
    # capex: 10 USD per TH/s x 10,000 TH/s = 100,000 USD in month 0
    assert usd(mine.capex) == pytest.approx(100_000)
    # NPV at 0 %: 229,611.76 - 438,300 - 100,000 = -308,688.24
    assert usd(mine.npv) == pytest.approx(12 * BTC_MONTH * 1e5 - 438_300 - 100_000, rel=1e-12)
    # cash cost per BTC: 438,300 / 2.2961176 BTC
    assert float(mine.details["cost_per_btc"].m_as("USD/BTC")) == pytest.approx(
        438_300 / (12 * BTC_MONTH))
    # month-1 cash breakevens: 36,525 / 0.19134313 USD/BTC; 19,134.31 USD / 730.5 MWh
    assert float(mine.details["breakeven_btc_price_month1"].m_as("USD/BTC")) == pytest.approx(
        36_525 / BTC_MONTH)
    assert float(mine.details["breakeven_power_price_month1"].m_as("USD/MWh")) == \
        pytest.approx(BTC_MONTH * 1e5 / 730.5)
    # hashprice: 1 PH/s a day: 8.64e19 / (1e14 x 2^32) x 3.125 x 1e5 = 62.864 USD
    assert float(mine.details["hashprice"].m_as("USD/PH/day")) == pytest.approx(
        8.64e19 / (1e14 * 2**32) * 3.125e5)


def test_hand_worked_gpuaas():
    r = toy()
    gpu = r.options["gpuaas"]
    assert gpu.fleet["units"] == 10 and gpu.fleet["gpu_count"] == 1000
    # revenue: 1,000 GPUs x 730.5 h x 0.5 x 2 USD = 730,500 USD a month
    assert usd(gpu.total["revenue"]) == pytest.approx(12 * 730_500)
    # power: 10 x 100 kW x (0.2 + 0.8 x 0.5) = 600 kW x 730.5 h x 50 USD/MWh = 21,915 a month
    assert usd(gpu.total["opex"]) == pytest.approx(12 * 21_915)
    # capex: 10 x 1,000,000 + facility 1,000,000 USD/MW x 1 MW
    assert usd(gpu.capex) == pytest.approx(11e6)
    assert usd(gpu.npv) == pytest.approx(12 * (730_500 - 21_915) - 11e6)
    assert float(gpu.revenue_per_mw_year.m_as("USD/MW/year")) == pytest.approx(12 * 730_500)


def test_hand_worked_colocation():
    r = toy()
    colo = r.options["colocation"]
    # 1,000 kW of IT x 100 USD/kW/month = 100,000 a month; operator keeps 90 %
    assert usd(colo.total["revenue"]) == pytest.approx(1.2e6)
    assert usd(colo.total["noi"]) == pytest.approx(1.08e6)
    assert float(colo.total["noi_margin"].m_as("%")) == pytest.approx(90)
    assert usd(colo.npv) == pytest.approx(1.08e6 - 1e6)
    # running cash flow: -1,000,000 + 90,000 a month >= 0 after 12 months (11.1 -> 12)
    assert float(colo.payback.m_as("month")) == 12
    # IRR: monthly x with sum 90,000 / (1+x)^m (m = 0..11) = 1,000,000; annualized
    x = _monthly_irr([90_000.0 - 1e6] + [90_000.0] * 11)
    assert float(colo.irr.m_as("%/year")) == pytest.approx(100 * ((1 + x) ** 12 - 1), rel=1e-8)
    assert r.winner == "colocation"


def _monthly_irr(cf):
    import numpy_financial as npf

    return npf.irr(cf)


def test_hand_worked_discounting_escalator_build_and_residual():
    # 1 % a month: (1.01)^12 - 1; a 3-month build; the lease escalates 10 % after 12 months;
    # residual value: the facility's book value after 21 of 120 months, in month 23.
    r = toy(years=2, discount_rate=1.01 ** 12 - 1, build_period="3 month",
            colocation_escalator=0.1, residual_value=1.0, useful_life_it="2 year")
    colo = r.options["colocation"]
    v = 1 / 1.01
    capex = sum(1e6 / 3 * v ** m for m in range(3))
    income = sum(90_000 * (1.1 if m >= 15 else 1.0) * v ** m for m in range(3, 24))
    residual = 1e6 * (1 - 21 / 120) * v ** 23
    assert usd(colo.npv) == pytest.approx(income - capex + residual, rel=1e-12)
    assert [usd(row["revenue"]) for row in colo.yearly] == pytest.approx(
        [9 * 100_000, 9 * 110_000 + 3 * 100_000])
    # depreciation: 1,000,000 over 120 months from month 3
    assert usd(colo.total["depreciation"]) == pytest.approx(1e6 * 21 / 120)


def test_hand_worked_discount_rate_of_one_option():
    """Colocation at its own 1 % a month, the others at the market's rate: the
    colocation NPV of the hand-worked test above (no build, no escalator: 12 x 90,000 USD of
    income against 1,000,000 of capex in month 0), the others as with the market's rate."""
    r = toy(discount_rate_colocation=1.01 ** 12 - 1, build_period="0 month")
    plain = toy(build_period="0 month")
    colo = r.options["colocation"]
    v = 1 / 1.01
    assert usd(colo.npv) == pytest.approx(sum(90_000 * v ** m for m in range(12)) - 1e6,
                                          rel=1e-12)
    assert colo.discount_rate.m_as("%/year") == pytest.approx(100 * (1.01 ** 12 - 1))
    for name in ("mine", "gpuaas"):
        assert r.options[name].npv == plain.options[name].npv
        assert r.options[name].discount_rate.m_as("%/year") == pytest.approx(
            100 * r.inputs["discount_rate"])
    as_json = r.to_dict()["options"]["colocation"]["discount_rate"]
    assert as_json["value"] == pytest.approx(100 * (1.01 ** 12 - 1))
    assert as_json["unit"] == r.to_dict()["options"]["colocation"]["irr"]["unit"]
    with pytest.raises(MarketError, match="discount_rate_gpuaas"):
        toy(discount_rate_gpuaas=1.5)


def test_hand_worked_breakevens():
    r = toy()
    # mining NPV = 12 x 0.19134 x P - 538,300; GPUaaS NPV = -2,496,980
    # -> P = (538,300 - 2,496,980) / (12 x 0.19134) < 0: mining wins at any price
    be = r.breakeven
    assert float(be["btc_price"]["value"].m_as("USD/BTC")) == pytest.approx(
        (538_300 - 2_496_980) / (12 * BTC_MONTH))
    # GPUaaS NPV = 12 x 365,250 x G - 262,980 - 11e6 = mining NPV (-308,688.24)
    g = (usd(r.options["mine"].npv) + 262_980 + 11e6) / (12 * 365_250)
    assert float(be["gpu_hour_price"]["value"].m_as("USD/hour")) == pytest.approx(g)


def test_breakevens_hold_when_substituted():
    """Re-run the built-in case, its miners hashing in every month (every breakeven exists),
    at each breakeven price: the two NPVs meet. (Miners that switch off: below.)"""
    r = compare(overrides=HASHING)
    gpu_price = r.breakeven["gpu_hour_price"]["value"]
    at = compare(overrides={"gpu_hour_price": f"{gpu_price.m_as('USD/hour')!r} USD/hour",
                            **HASHING})
    assert usd(at.options["gpuaas"].npv) == pytest.approx(usd(at.options["mine"].npv),
                                                           rel=1e-9)
    power = r.breakeven["power_price"]["value"]
    at = compare(overrides={"power_price": f"{power.m_as('USD/MWh')!r} USD/MWh", **HASHING})
    assert usd(at.options["gpuaas"].npv) == pytest.approx(usd(at.options["mine"].npv),
                                                           rel=1e-9)
    # a BTC price breakeven that is positive: make GPUaaS strong enough
    r = compare(overrides={"gpu_hour_price": "6.5 USD/hour", **HASHING})
    btc = r.breakeven["btc_price"]["value"].m_as("USD/BTC")
    assert btc > 98_076
    at = compare(overrides={"gpu_hour_price": "6.5 USD/hour", "btc_price": f"{btc!r} USD/BTC",
                            **HASHING})
    assert usd(at.options["gpuaas"].npv) == pytest.approx(usd(at.options["mine"].npv),
                                                           rel=1e-9)


def test_builtin_case():
    r = compare()
    inp = r.inputs
    assert (inp["site"], inp["mining_profile"], inp["gpu_profile"], inp["years"]) == (
        "moses-lake", "antminer-s21-xp-hyd", "gb300-nvl72", 5)
    for key, opt in r.options.items():
        assert len(opt.yearly) == 5
        assert usd(opt.total["revenue"]) == pytest.approx(
            sum(usd(row["revenue"]) for row in opt.yearly))
    gpu = r.options["gpuaas"]
    # Moses Lake, 18 MW gross at the plant's PUE in the 40 degC design hour (1.332): 95
    # GB300 NVL72 racks (docs/sizing.md, section 2); the energy at its PUE over the year
    assert gpu.fleet["units"] == 95 and gpu.fleet["gpu_count"] == 95 * 72
    assert round(gpu.fleet["pue"], 3) == 1.332 and round(gpu.fleet["energy_pue"], 3) == 1.178
    assert r.options["mine"].fleet["units"] == 2_802
    assert gpu.fleet["start_month"] == 13  # Nov 2025 -> Dec 2026
    assert usd(gpu.yearly[0]["revenue"]) == 0  # the build year earns nothing
    # facility 128 M for 18 MW, as announced
    assert usd(r.options["colocation"].capex) == pytest.approx(128e6, rel=1e-6)
    assert r.winner in r.options
    assert r.winner == max(r.options, key=lambda k: usd(r.options[k].npv))


def test_the_design_hour_sizes_and_the_year_prices_the_energy():
    """Each fleet is sized on its hall's PUE in the design hour and pays for its energy at
    the hall's PUE over the weather year, the two figures ``rackplan annual`` reports; a fixed
    ``pue`` is both, and a site without a weather year prices the energy at the design hour's."""
    import rackplan

    base = scenario_base()
    for fleet, profile in (("gpu", "gb300-nvl72"), ("mine", "antminer-s21-xp-hyd")):
        year = rackplan.annual("moses-lake", profile)
        assert base[f"pue_{fleet}"] == pytest.approx(year.peak_pue, rel=1e-12)
        assert base[f"energy_pue_{fleet}"] == pytest.approx(year.annual_pue, rel=1e-12)
        assert base[f"energy_pue_{fleet}"] < base[f"pue_{fleet}"]
    fixed = scenario_base(overrides={"pue": 1.3})
    assert {fixed[k] for k in ("pue_mine", "pue_gpu", "energy_pue_mine", "energy_pue_gpu")} \
        == {1.3}
    no_year = NO_DESIGN.model_copy(update={"design_dry_bulb": Q_(40.0, "degC")})
    b = scenario_base(site=no_year)
    assert b["pue_gpu"] == pytest.approx(base["pue_gpu"], rel=1e-12)
    assert b["energy_pue_gpu"] == b["pue_gpu"]
    # the table shows both
    r = compare()
    assert r.options["gpuaas"].fleet["energy_pue"] == base["energy_pue_gpu"]


def test_builtin_case_pinned_numbers():
    """The built-in case's figures, pinned. They moved with the model, never silently:
    - the one-engine rewrite (f46416c) kept mining -34,991,402.0, GPU-as-a-service
      -294,160,313.5 and colocation -7,387,002 USD;
    - GPU-as-a-service's price declining from its first operating month, not the market date:
      -218,223,392.0 USD, breakeven 4.75182176 USD/hour (was 6.05126245);
    - the 2025 colocation rate, 156 USD/kW-month (was 121): colocation +8,671,479.4 USD; the
      S21 XP at 25.70 USD per TH/s (was 17): mining -49,992,601.4 USD;
    - the terminal value by DCF (the GPU fleet's last 13 months valued as they come, its
      racks no longer worth their 94.6 M USD book value; colocation's lease runs those months
      too): GPU-as-a-service -284,661,155.6, colocation +14,377,534.3 USD, mining unchanged
      (its fleet retires at the 60-month horizon); the book convention keeps the numbers
      before;
    - after income tax (21 %, 100 % bonus depreciation, a loss offsetting other income) and
      a 1.2 % property tax on book value: mining -40,484,589.6, GPU-as-a-service
      -238,162,232.6, colocation +9,960,905.0 USD, breakeven 5.11171824 USD/hour; pre-tax
      (``tax_rate = 0``, ``property_tax = 0``) the numbers before;
    - the miners in a mining hall of their own (no UPS, exhaust air: PUE 1.123, not the AI
      hall's 1.189): 2,825 miners instead of 2,666, mining -41,355,795.0 USD (pre-tax
      -51,044,650.1), GPU breakeven 5.10298441 USD/hour; GPU-as-a-service and colocation
      unchanged;
    - no IT maintenance under the OEM warranty (miners 12 months, GPU systems 36): mining
      -39,277,432.2, GPU-as-a-service -172,936,474.8 USD, breakeven 4.46993182 USD/hour;
      without warranties the numbers before;
    - a colocation tenant that defaults with 4.2 % probability a year, 50 % of the rent
      earned after: colocation +6,717,099.6 USD (expected); a tenant that never defaults
      (``tenant_default_rate = 0``) the numbers before;
    - the fleets sized on the plant's PUE in the 40 degC design hour (GPU hall 1.332 with its
      trim chillers, mining hall 1.132 without), the energy priced at its PUE over Yakima's
      year (1.178 and 1.113), the miners curtailed in the 175 hours (2 %) the mining hall
      cannot cool: 95 GB300 NVL72 racks instead of 104, 2,802 miners instead of 2,825;
      mining -39,104,465.8, GPU-as-a-service -164,529,104.3, colocation +960,726.0 USD,
      breakeven 4.50650231 USD/hour; a site without a design condition or weather year
      (``NO_DESIGN``, the design-day overheads of its plant type) the numbers before;
    - SG&A of 7.2 % (CoreWeave's in 2024) on the GPU hours sold at the merchant price, not
      1 %: GPU-as-a-service -182,390,144.4 USD, breakeven 4.80758329 USD/hour; with
      ``sga_share_merchant = 0.01`` the numbers before;
    - miners that switch off by default (``miner_shutdown = true``): off in 31 of 60 months,
      mining -34,034,467.8 USD, breakeven 4.86694263 USD/hour; the BTC and power breakevens
      n/a (mining idle stays ahead of GPU-as-a-service at any price); with
      ``miner_shutdown = false`` the numbers before."""
    _assert_pinned(compare(), (-34_034_467.8, -182_390_144.4, 960_726.0),
                   (math.nan, 4.86694263, math.nan))
    _assert_pinned(compare(overrides=HASHING), (-39_104_465.8, -182_390_144.4, 960_726.0),
                   (-454_502.278, 4.80758329, 1089.97734))
    one = {"sga_share_merchant": 0.01, **HASHING}
    _assert_pinned(compare(overrides=one), (-39_104_465.8, -164_529_104.3, 960_726.0),
                   (-385_621.544, 4.50650231, 958.221569))
    _assert_pinned(compare(site=NO_DESIGN, overrides=one),
                   (-39_277_432.2, -172_936_474.8, 6_717_099.6),
                   (-402_967.281, 4.46993182, 1222.52662))
    sure = {"tenant_default_rate": 0, **one}
    _assert_pinned(compare(site=NO_DESIGN, overrides=sure),
                   (-39_277_432.2, -172_936_474.8, 9_960_905.0),
                   (-402_967.281, 4.46993182, 1222.52662))
    no_warranty = {"miner_warranty": "0 month", "gpu_warranty": "0 month", **sure}
    _assert_pinned(compare(site=NO_DESIGN, overrides=no_warranty),
                   (-41_355_795.0, -238_162_232.6, 9_960_905.0),
                   (-639_685.854, 5.10298441, 1784.52007))
    pre_tax = {"tax_rate": 0.0, "property_tax": 0.0, **sure}
    _assert_pinned(compare(site=NO_DESIGN, overrides=pre_tax),
                   (-48_413_811.0, -202_096_905.3, 14_377_534.3),
                   (-357_048.362, 4.34713161, 1113.51054))
    _assert_pinned(compare(site=NO_DESIGN, overrides={**pre_tax, **no_warranty}),
                   (-51_044_650.1, -284_661_155.6, 14_377_534.3),
                   (-593_766.936, 4.98018420, 1675.50399))
    book = compare(site=NO_DESIGN,
                   overrides={"terminal_value": "book", **pre_tax, **no_warranty})
    assert usd(book.options["mine"].npv) == pytest.approx(-51_044_650.1, abs=0.5)
    assert usd(book.options["gpuaas"].npv) == pytest.approx(-218_223_392.0, abs=0.5)
    assert usd(book.options["colocation"].npv) == pytest.approx(8_671_479.4, abs=0.5)
    assert float(book.breakeven["gpu_hour_price"]["value"].m_as("USD/hour")) == \
        pytest.approx(4.60973136, abs=1e-8)


def _assert_pinned(r, npvs, breakevens):
    """The built-in options' NPVs [USD] (to 0.5 USD), colocation the winner, and the BTC
    [USD/BTC], GPU-hour [USD/hour] and power [USD/MWh] breakevens (to their last digits)."""
    for name, value in zip(("mine", "gpuaas", "colocation"), npvs):
        assert usd(r.options[name].npv) == pytest.approx(value, abs=0.5), name
    assert r.winner == "colocation"
    for (key, unit, tol), value in zip((("btc_price", "USD/BTC", 1e-3),
                                        ("gpu_hour_price", "USD/hour", 1e-8),
                                        ("power_price", "USD/MWh", 1e-5)), breakevens):
        assert float(r.breakeven[key]["value"].m_as(unit)) == pytest.approx(
            value, abs=tol, nan_ok=True), key


@pytest.mark.parametrize("market", [None, "2025-11-13"])
def test_the_npv_does_not_depend_on_the_horizon(market):
    """Under the DCF terminal value an option is worth what its fleet earns over its life,
    whatever the horizon: 4, 5, 7 and 10 years give the same NPVs and breakevens (to
    rounding), on the built-in case and with a contract, a ramp and a 6-year IT life. Under
    the book convention they move by tens of millions."""
    for overrides in ({}, {"gpu_contract_share": 0.5, "utilization_ramp": "6 month",
                           "useful_life_it": "6 year"}):
        runs = [compare(market=market, years=y, overrides=overrides) for y in (4, 5, 7, 10)]
        for r in runs[1:]:
            for k in ("mine", "gpuaas", "colocation"):
                assert usd(r.options[k].npv) == pytest.approx(usd(runs[0].options[k].npv),
                                                              rel=1e-9, abs=1.0)
            for k in ("btc_price", "gpu_hour_price", "power_price"):
                assert r.breakeven[k]["value"].magnitude == pytest.approx(
                    runs[0].breakeven[k]["value"].magnitude, rel=1e-9, nan_ok=True)
    book = [compare(years=y, overrides={"terminal_value": "book"}) for y in (4, 7)]
    assert abs(usd(book[1].options["gpuaas"].npv) - usd(book[0].options["gpuaas"].npv)) > 1e7


def _one_scenario(base):
    """The engine's outputs for one scenario, by name: evaluate (all threads), evaluate_serial
    and the NumPy twin."""
    sc = engine_table()
    b = np.array([base[name] for name in PARAMS])
    none = (np.zeros((1, 0)), np.zeros(0, dtype=np.int64), 60, sc.kinds, sc.fleets, sc.pair)
    want = np.arange(len(sc.names), dtype=np.int64)
    runs = []
    for kernel in (evaluate, evaluate_serial):
        out = np.full((len(want), 1), np.nan)
        kernel(b, *none, want, out)
        runs.append(dict(zip(sc.names, out[:, 0])))
    runs.append(dict(zip(sc.names, evaluate_numpy(b, *none, want)[:, 0])))
    return runs


def test_kernel_totals_equal_the_python_compare():
    """The engine on scenario_base() (month by month for compare's lines, on the basis sums
    for evaluate, and its NumPy twin) reproduces compare() (built-in case)."""
    r = compare()
    base = scenario_base()
    run = run_options(base, 60)
    for e in [run.outputs, *_one_scenario(base)]:
        for key, opt in r.options.items():
            for what in ("revenue", "noi", "ebitda", "npv"):
                py = usd(opt.npv) if what == "npv" else usd(opt.total[what])
                assert e[f"{what}_{key}"] == pytest.approx(py, rel=1e-10), (what, key)
            assert e[f"capex_{key}"] == pytest.approx(usd(opt.capex), rel=1e-12)
        assert e["units_mine"] == r.options["mine"].fleet["units"]
        assert e["units_gpu"] == r.options["gpuaas"].fleet["units"]
        assert e["btc_mined"] == pytest.approx(
            float(r.options["mine"].details["btc_mined"].m_as("BTC")), rel=1e-12)
        assert e["breakeven_btc_price"] == pytest.approx(
            float(r.breakeven["btc_price"]["value"].m_as("USD/BTC")), rel=1e-9, nan_ok=True)
        assert e["breakeven_gpu_hour_price"] * 3600 == pytest.approx(
            float(r.breakeven["gpu_hour_price"]["value"].m_as("USD/hour")), rel=1e-9)
        assert e["breakeven_power_price"] * 3.6e9 == pytest.approx(
            float(r.breakeven["power_price"]["value"].m_as("USD/MWh")), rel=1e-9, nan_ok=True)
        assert e["npv_gpuaas_minus_mine"] == pytest.approx(
            usd(r.options["gpuaas"].npv) - usd(r.options["mine"].npv), rel=1e-10)
        assert ["mine", "gpuaas", "colocation"][int(e["winner"])] == r.winner
    # compare's monthly lines are the engine's: the yearly rows sum them
    for key, opt in r.options.items():
        lines = run.lines[key]
        assert [usd(row["revenue"]) for row in opt.yearly] == pytest.approx(
            lines["revenue"].reshape(5, 12).sum(axis=1).tolist(), rel=1e-12)
        np.testing.assert_array_equal(opt.finance.cash_flow, lines["cash_flow"])
        assert opt.fleet["start_month"] == run.starts[key]


def test_engine_output_table_names_every_option():
    sc = engine_table()
    assert [o.name for o in sc.options] == ["mine", "gpuaas", "colocation"]
    assert sc.kinds.tolist() == [0, 1, 2] and sc.fleets.tolist() == [0, 1, 1]
    assert sc.pair.tolist() == [0, 1]
    assert {"npv_mine", "npv_gpuaas", "npv_colocation", "winner", "btc_mined",
            "breakeven_btc_price", "breakeven_gpu_hour_price",
            "breakeven_power_price"} <= set(sc.names)
    assert set(sc.units) == set(sc.names) == set(sc.long_names)
    assert sc.units["breakeven_gpu_hour_price"] == "USD/s"
    assert sc.units["breakeven_power_price"] == "USD/J"


def test_scenario_base_and_user_units():
    base = scenario_base()
    assert tuple(base) == PARAMS
    assert base["btc_price"] == 98_076
    assert base["power_price"] == pytest.approx(33 / 3.6e9)
    assert base["gpu_hour_price"] == pytest.approx(3.13 / 3600)
    assert base["build_period"] == pytest.approx(13 * 2_629_800)
    assert math.isnan(base["floor_load_limit"])
    base = scenario_base(overrides={"pue": 1.3, "btc_price": "1e5 USD/BTC"})
    assert base["pue_mine"] == base["pue_gpu"] == 1.3 and base["btc_price"] == 1e5
    assert user_units()["power_price"] == "USD/MWh"


def test_pue_and_utility_power_overrides_reach_the_sizing():
    r = compare(overrides={"utility_power": "36 MW", "pue": 1.25})
    # 36 MW / 1.25 / 142 kW = 202.8 -> 202 racks
    assert r.options["gpuaas"].fleet["units"] == 202
    assert r.options["mine"].fleet["pue"] == 1.25


def test_json_shape():
    d = compare().to_dict()
    assert set(d) >= {"inputs", "options", "breakeven"}
    assert set(d["options"]) == {"mine", "gpuaas", "colocation"}
    mine = d["options"]["mine"]
    assert isinstance(mine["yearly"], list) and len(mine["yearly"]) == 5
    assert mine["yearly"][0]["revenue"]["unit"] == "USD"
    assert mine["npv"]["unit"] == "USD" and isinstance(mine["npv"]["value"], float)
    assert d["inputs"]["btc_price"] == {"value": 98076.0, "unit": "USD/BTC"}
    assert d["breakeven"]["gpu_hour_price"]["value"]["unit"] == "USD/h"
    assert d["breakeven"]["btc_price"]["value"] is None  # none: miners that switch off
    assert "switch off" in d["breakeven"]["btc_price"]["note"]
    json.dumps(d, allow_nan=False)  # NaN became null


def test_to_xarray():
    ds = compare().to_xarray()
    assert ds["revenue"].dims == ("option", "year")
    assert list(ds["option"].values) == ["mine", "gpuaas", "colocation"]
    assert ds["npv"].attrs["units"] == "USD" and ds["revenue"].attrs["long_name"]
    assert ds["noi_margin"].attrs["units"] == "%"
    assert ds.attrs["winner"] in ("mine", "gpuaas", "colocation")


def test_routing_of_overrides():
    site, market = route_overrides({"pue": 1.3, "btc_price": "1 USD/BTC",
                                    "cooling_plant.type": "chiller",
                                    "gpu_hour_price.dgx-h100": "1 USD/hour"})
    assert set(site) == {"pue", "cooling_plant.type"}
    assert set(market) == {"btc_price", "gpu_hour_price.dgx-h100"}
    with pytest.raises(InputError) as info:
        route_overrides({"btc_prise": 1})
    assert str(info.value).startswith("--set btc_prise: ") and "'btc_price'" in str(info.value)


def test_bad_inputs():
    with pytest.raises(ProfileError, match="not a Bitcoin miner"):
        compare(mining_profile="gb300-nvl72")
    with pytest.raises(ProfileError, match="not a GPU system"):
        compare(gpu_profile="antminer-s21")
    with pytest.raises(MarketError, match="no gpu hour price for GPU system 'gb300-nvl72'"):
        compare(market=BROKEN / "market_no_gpu_price.toml")
    with pytest.raises(MarketError, match="no gpu hour price for GPU system 'toy-gpu'"):
        compare(gpu_profile=TOY["gpu_profile"])
    with pytest.raises(InputError, match="^years: "):
        compare(years=0)


def test_other_gpu_systems_compare():
    r = compare(gpu_profile="dgx-h100", years=3)
    assert r.options["gpuaas"].fleet["gpu_count"] == 8 * r.options["gpuaas"].fleet["units"]
    assert len(r.options["colocation"].yearly) == 3


def test_model_limits_are_reported_as_warnings():
    r = compare(years=10, overrides=HASHING)
    text = "\n".join(r.warnings)
    assert "mining NOI is negative" in text and "does not switch miners off" in text
    # 13 months of build, then 60 of life: idle from month 74 of 120
    assert ("the GPU systems retire in month 74, at the end of their 60-month useful life: "
            "the last 47 months of the horizon earn nothing") in text
    assert "mining NOI is negative in 43 of 60 operating months" in text
    assert not any("useful life" in w for w in toy().warnings)


# --- arguments (issue 7): every bad one is a RackplanError naming it -----------------------------


@pytest.mark.parametrize("years", [True, False, "abc", 2.5, 0, 51, -1, math.inf, math.nan,
                                   np.array([1, 2]), [5], None, 10 ** 30])
def test_bad_years_are_refused_naming_years(years):
    with pytest.raises(InputError, match="^years: "):
        toy(years=years)


@pytest.mark.parametrize("years", [1.0, np.int64(1), "1"])
def test_years_as_a_whole_number_of_another_type(years):
    assert toy(years=years).inputs["years"] == 1


@pytest.mark.parametrize("overrides, where", [
    ([("pue", 1.2)], "^overrides: must be a mapping"),
    ("pue=1.2", "^overrides: must be a mapping"),
    ({"pue": np.array([1.2, 1.3])}, r"^overrides\['pue'\]: one value is expected"),
    ({"pue": [1.2, 1.3]}, r"^overrides\['pue'\]: one value is expected"),
    ({1: 2}, "^overrides: field names are strings"),
])
def test_bad_overrides_are_refused_naming_overrides(overrides, where):
    from rackplan.facility.capacity import size

    with pytest.raises(InputError, match=where):
        compare(**TOY, years=1, overrides=overrides)
    with pytest.raises(InputError, match=where):
        size(TOY["site"], TOY["gpu_profile"], overrides=overrides)


@pytest.mark.parametrize("name, value", [("site", 123), ("mining_profile", 3.5),
                                         ("gpu_profile", ["x"]), ("market", {"a": 1})])
def test_bad_references_are_refused_naming_them(name, value):
    with pytest.raises(InputError, match=f"^{name}: must be a built-in id, a path"):
        compare(**{**TOY, name: value}, years=1)


@pytest.mark.parametrize("basis", ["peaks", "", None, ["max"], np.array(["max"]), True])
def test_size_refuses_a_bad_basis_naming_it(basis):
    from rackplan.facility.capacity import size

    with pytest.raises(InputError, match="^basis: must be 'max', 'typical' or 'peak'"):
        size(TOY["site"], TOY["gpu_profile"], basis=basis)


# --- undefined figures (issue 7): NaN in the result with a reason, None in to_dict, never inf ----


def _finite_json(result):
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


def test_a_build_as_long_as_the_horizon_earns_nothing_and_says_why():
    r = toy(years=1, build_period="12 month")
    gpu, colo = r.options["gpuaas"], r.options["colocation"]
    assert usd(gpu.total["revenue"]) == 0 and usd(colo.total["revenue"]) == 0
    assert math.isnan(gpu.revenue_per_mw_year.magnitude) and math.isnan(gpu.payback.magnitude)
    assert math.isnan(r.breakeven["gpu_hour_price"]["value"].magnitude)
    assert "12-month build period" in r.breakeven["gpu_hour_price"]["note"]
    text = "\n".join(r.warnings)
    assert ("GPU-as-a-service and Colocation: does not operate within the horizon: its "
            "12-month build period is as long as the 12-month horizon or longer") in text
    assert "GPU-as-a-service and Colocation: revenue per MW(IT)-year n/a" in text
    d = _finite_json(r)
    assert d["options"]["gpuaas"]["revenue_per_mw_year"] is None
    assert d["options"]["gpuaas"]["gpu_hour_price_at_start"]["value"] > 0
    assert d["breakeven"]["gpu_hour_price"]["value"] is None


def test_no_unit_fitted_is_explained():
    r = toy(utility_power="50 kW")
    assert r.options["gpuaas"].fleet["units"] == 0
    text = "\n".join(r.warnings)
    assert "revenue per MW(IT)-year n/a: not one toy-gpu unit fits the site" in text
    assert "breakeven GPU-hour price n/a: GPU-as-a-service sells no GPU hours: not one " \
           "toy-gpu unit fits the site" in text
    _finite_json(r)


@pytest.mark.parametrize("overrides", [
    {"sga_share": 0.999999}, {"utilization": 0}, {"uptime": 1e-9},
    {"power_price": "0 USD/MWh", "demand_charge": "0 USD/kW/month"},
    {"mining_build_period": "12 month", "build_period": "12 month"},
])
def test_no_figure_is_ever_infinite(overrides):
    r = toy(**overrides)
    d = _finite_json(r)
    for opt in r.options.values():
        for q in (opt.npv, opt.irr, opt.payback, opt.revenue_per_mw_year, opt.capex):
            assert not math.isinf(q.magnitude)
    for item in r.breakeven.values():
        assert not math.isinf(item["value"].magnitude)
    # every figure that is None in JSON has its reason among the warnings
    for key, opt in d["options"].items():
        for name in ("irr", "payback", "revenue_per_mw_year"):
            if opt[name] is None:
                label = {"irr": "IRR", "payback": "payback",
                         "revenue_per_mw_year": "revenue per MW(IT)-year"}[name]
                assert any(f"{label} n/a" in w for w in r.warnings), (key, name)


def test_sizing_to_dict_writes_non_finite_values_as_null():
    import dataclasses

    from rackplan.facility.capacity import size

    r = dataclasses.replace(size(TOY["site"], TOY["gpu_profile"]), pue=math.inf)
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False))["pue"] is None


# --- one engine: compare(), sweep() and montecarlo() without volatility agree -----------------


def _same(a, b, rel=1e-9):
    """``a`` and ``b`` agree to ``rel`` (both NaN counts as agreeing: a breakeven that does
    not exist in this case)."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=rel, abs=1e-6)


#: (case, years, the input a sweep varies, its unit): two built-in sites, four mining and
#: four GPU profiles, the built-in and the hand-worked market and market overrides, each
#: option winning somewhere; every case but the second has a build period (the built-in GPU
#: build of 13 months, mining and GPU builds by --set, a 3-month build swept over 2 to 4
#: months). The swept inputs include two that shape the monthly series (build_period,
#: btc_price_growth), which the sweep recomputes per point.
CONSISTENCY_CASES = [
    pytest.param({}, 5, "btc_price", "USD/BTC", id="builtin"),
    pytest.param(dict(site="air-mining-100mw", mining_profile="antminer-s21",
                      gpu_profile="dgx-h100",
                      overrides={"btc_price": "80000 USD/BTC", "gpu_price_decline": 0.1,
                                 "build_period": "0 month"}),
                 3, "gpu_hour_price", "USD/hour", id="air-100mw-s21-h100"),
    pytest.param(dict(site="moses-lake", mining_profile="whatsminer-m60s",
                      gpu_profile="gb200-nvl72",
                      overrides={"mining_build_period": "4 month", "build_period": "7 month",
                                 "power_price": "45 USD/MWh", "difficulty_growth": 0.01}),
                 4, "power_price", "USD/MWh", id="moses-m60s-gb200-builds"),
    pytest.param(dict(**TOY, overrides={"build_period": "3 month", "discount_rate": 0.08,
                                        "colocation_escalator": 0.05,
                                        "residual_value": 0.5}),
                 2, "build_period", "month", id="toy-market-build"),
    pytest.param(dict(mining_profile="antminer-s21-xp", gpu_profile="dgx-b200",
                      overrides={"btc_price": "150000 USD/BTC", "difficulty_growth": 0.01,
                                 "btc_price_growth": 0.1, "mining_build_period": "2 month"}),
                 5, "btc_price_growth", "1", id="mining-wins"),
    # a GPU system that draws 7.2 kW outside its rack (a test figure), swept around it
    pytest.param(dict(gpu_profile=load_profile("gb300-nvl72").model_copy(
        update={"power_outside_rack": Q_(7.2e3, "W")})),
                 5, "gpu_power_outside", "kW", id="power-outside-the-racks"),
    # a GPU contract on half the GPUs, the merchant hours at their own SG&A, swept over it
    pytest.param(dict(overrides={"gpu_contract_share": 0.5, "sga_share_merchant": 0.12}),
                 5, "sga_share_merchant", "1", id="merchant-sga"),
]


@pytest.mark.parametrize("case, years, axis, unit", CONSISTENCY_CASES)
def test_compare_sweep_and_montecarlo_without_volatility_agree(case, years, axis, unit):
    """One engine: compare() at a point, the sweep through that point and Monte Carlo paths
    with every volatility 0 give the same NPVs, winner and breakevens."""
    from rackplan.studies.montecarlo import montecarlo
    from rackplan.studies.sweep import sweep

    # (a colocation tenant that may default sets each path apart: test_montecarlo checks that
    # their mean is compare's)
    case = {**case, "overrides": {**case.get("overrides", {}), "tenant_default_rate": 0}}
    r = compare(**case, years=years)
    names = list(r.options)
    npv = {k: usd(o.npv) for k, o in r.options.items()}
    be_units = {"btc_price": "USD/BTC", "gpu_hour_price": "USD/hour", "power_price": "USD/MWh"}
    be = {k: float(r.breakeven[k]["value"].m_as(u)) for k, u in be_units.items()}
    assert not math.isnan(be["gpu_hour_price"])  # every case has a breakeven to compare

    # the sweep: three values of one input around the compare() point, in user units
    # (a profile figure is not among the case's inputs: its value is the profile's)
    point = r.inputs[axis] if axis in r.inputs else case["gpu_profile"].power_outside_rack
    point = float(point.m_as(unit)) if hasattr(point, "m_as") else float(point)
    values = [point - 1, point, point + 1] if axis == "build_period" else \
        [0.9 * point, point, 1.1 * point]
    ds = sweep(**case, years=years, vary={axis: values})
    assert ds[axis].values.tolist() == pytest.approx(values, rel=1e-15)
    at = ds.isel({axis: 1})
    for k in names:
        assert _same(at[f"npv_{k}"], npv[k]), (k, float(at[f"npv_{k}"]), npv[k])
    assert ds["winner"].attrs["flag_meanings"].split() == names
    assert names[int(at["winner"])] == r.winner
    for k, u in be_units.items():
        var = ds[f"breakeven_{k}"]
        assert var.attrs["units"] == u  # breakevens in user units
        assert _same(var.isel({axis: 1}), be[k]), (k, float(var.isel({axis: 1})), be[k])
    # the other points move the NPVs (the axis is live)
    assert not _same(ds["npv_gpuaas"].isel({axis: 0}), npv["gpuaas"]) or \
        not _same(ds["npv_mine"].isel({axis: 0}), npv["mine"])

    # Monte Carlo: no volatility, so every path is the trend
    mc = montecarlo(**case, years=years, paths=3, seed=7, btc_volatility=0,
                    difficulty_volatility=0, gpu_price_volatility=0,
                    utilization_volatility=0, btc_trend_uncertainty=0,
                    difficulty_trend_uncertainty=0, gpu_trend_uncertainty=0, keep_paths=True)
    assert mc.sizes["path"] == 3
    for k in names:
        for value in mc[f"npv_{k}"].values:
            assert _same(value, npv[k]), (k, value, npv[k])
        assert mc["npv"].sel(option=k).values == pytest.approx(
            np.full(mc.sizes["percentile"], npv[k]), rel=1e-9)
    assert [names[int(w)] for w in mc["winner"].values] == [r.winner] * 3
    assert mc["win_probability"].sel(option=r.winner) == 1.0
    for k, u in be_units.items():
        var = mc[f"breakeven_{k}"]
        for value in var.values:
            assert _same(Q_(value, var.attrs["units"]).m_as(u), be[k]), (k, value, be[k])


def test_miners_that_switch_off_on_the_builtin_case():
    """``miner_shutdown = true``: the S21 XP fleet is off in the 31 of its 60 months whose
    revenue after SG&A does not cover their power, which lifts mining's NPV from -39.1 to
    -34.0 M USD after tax (never lowers it) and leaves the other options alone. Mining idle is still
    ahead of GPU-as-a-service at 3.13 USD/hour, so no BTC or power price makes them meet (each
    note says why), while the GPU-hour breakeven rises with mining's NPV; at 6 USD/hour
    GPU-as-a-service leads and the BTC breakeven exists again and holds when substituted."""
    hashing, off = compare(overrides=HASHING), compare()  # (switching off: the default)
    assert usd(off.options["mine"].npv) == pytest.approx(-34_034_467.8, abs=0.5)
    assert usd(off.options["mine"].npv) > usd(hashing.options["mine"].npv)
    for k in ("gpuaas", "colocation"):
        assert usd(off.options[k].npv) == usd(hashing.options[k].npv)
    power = off.options["mine"].finance.opex_lines["power"]
    assert int((power[0:60] == 0).sum()) == 31
    assert any("off in 31 of 60 operating months" in w for w in off.warnings)
    for key in ("btc_price", "power_price"):
        assert math.isnan(off.breakeven[key]["value"].magnitude)
        assert "switch off" in off.breakeven[key]["note"]
    gpu_be = off.breakeven["gpu_hour_price"]["value"].m_as("USD/hour")
    assert gpu_be > hashing.breakeven["gpu_hour_price"]["value"].m_as("USD/hour")
    dear = compare(overrides={"miner_shutdown": True, "gpu_hour_price": "6 USD/hour"})
    be = dear.breakeven["btc_price"]["value"].m_as("USD/BTC")
    assert be > 98_076
    at = compare(overrides={"miner_shutdown": True, "gpu_hour_price": "6 USD/hour",
                            "btc_price": f"{be!r} USD/BTC"})
    assert usd(at.options["mine"].npv) == pytest.approx(usd(at.options["gpuaas"].npv),
                                                        rel=1e-9)


def test_the_result_says_how_each_price_is_read():
    """``conventions``: the built-in market's reading of each price, and each sentence follows
    the inputs that change it (a flat GPU-hour price, a contract, book value, miners that
    switch off); in JSON too, and in the table."""
    c = compare().conventions
    assert c["btc_price"] == ("98,076 USD/BTC at the market date, then flat; difficulty "
                              "+3 % a month")
    assert c["gpu_hour_price"] == ("merchant: 3.13 USD per GPU-hour from the first operating "
                                   "month, falling 20 % a year, billed on 85 % of the hours, "
                                   "7.2 % of their revenue to SG&A")
    assert c["terminal_value"].startswith("dcf: each option valued over its fleet's life")
    assert c["miners"].startswith("bought new; switched off in a month whose revenue")
    assert compare(overrides=HASHING).conventions["miners"].startswith(
        "bought new; hashing in every month")
    assert c["taxes"] == ("after 21 % income tax with 100 % bonus depreciation, MACRS on the "
                          "rest; a loss offsets other income at once (no carry-forward); "
                          "exempt from sales tax; property tax 1.2 % a year of book value; "
                          "unlevered")
    assert c["colocation_rate"] == (
        "156 USD per kW of IT a month, escalating +3 % a year, the tenant's IT and power passed "
        "through; the tenant defaults with 4.2 % probability a year, after which 50 % of the "
        "rent is earned (expected value)")
    assert compare(overrides={"tenant_default_rate": 0}).conventions["colocation_rate"] \
        .endswith("passed through; the tenant never defaults")
    assert c["maintenance"] == ("IT 8 % a year of its capex once out of warranty (miners after "
                                "12 months, GPU systems after 36 months); facility 2 % a year "
                                "of its capex")
    assert compare(overrides={"miner_warranty": "0 month"}).conventions["maintenance"] \
        .startswith("IT 8 % a year of its capex once out of warranty (miners from the first "
                    "operating month, GPU systems after 36 months)")
    taxes = compare(overrides={"tax_rate": 0, "sales_tax_exempt": False,
                               "property_tax": 0}).conventions["taxes"]
    assert taxes == ("pre-tax (tax_rate 0); 6.5 % sales tax on IT equipment; property tax 0 % "
                     "a year of book value; unlevered")
    moved = compare(overrides={"gpu_price_decline": 0, "gpu_contract_share": 0.5,
                               "utilization_ramp": "6 month", "terminal_value": "book",
                               "residual_value": 0.5}).conventions
    assert moved["gpu_hour_price"] == (
        "merchant: 3.13 USD per GPU-hour from the first operating month, flat, billed on 85 % "
        "of the hours reached over 6 months, 7.2 % of their revenue to SG&A; 50 % of the GPUs "
        "on a take-or-pay contract at "
        "2.2 USD per GPU-hour, flat and billed every hour for 60 months (20 % prepaid), then "
        "merchant; the tenant defaults with 4.2 % probability a year, after which 50 % of the "
        "rent is earned (expected value)")
    assert moved["terminal_value"] == "book: 50 % of the undepreciated book value at the horizon"
    assert moved["miners"].startswith("bought new; switched off in a month whose revenue")
    assert json.loads(json.dumps(compare().to_dict()))["conventions"] == c


def test_the_miner_that_keeps_its_site():
    """``mining_baseline = "existing"``: the real alternative for a miner deciding whether to
    convert keeps the fleet and facility it has. Mining then spends no capex, carries no
    depreciation or terminal value, and its NPV is that of its cash flow alone (after tax):
    -4.6 M USD on the built-in case against -34.0 M for a fleet bought new; GPU-as-a-service
    and colocation do not change, and the GPU-hour breakeven rises to meet the kept fleet."""
    new, kept = compare(), compare(overrides={"mining_baseline": "existing"})
    mine = kept.options["mine"]
    assert usd(mine.capex) == 0.0 and not mine.finance.residual.any()
    assert usd(mine.npv) == pytest.approx(-4_629_709.6, abs=1.0)
    assert usd(mine.npv) > usd(new.options["mine"].npv)
    np.testing.assert_array_equal(mine.finance.revenue, new.options["mine"].finance.revenue)
    for k in ("gpuaas", "colocation"):
        assert usd(kept.options[k].npv) == usd(new.options[k].npv)
    assert kept.breakeven["gpu_hour_price"]["value"] > new.breakeven["gpu_hour_price"]["value"]
    assert kept.conventions["miners"].startswith("the site's own, kept")


# --- month by month (issue 11: for the CFO's spreadsheet) ----------------------------------------


def test_monthly_cash_flows_add_up_to_the_years():
    """``monthly()``: every line of every option a month at a time, dated from the market
    date; the months of each year add up to its yearly row, and the NPV discounts them."""
    r = compare()
    ds = r.monthly()
    assert dict(ds.sizes) == {"option": 3, "month": 60}
    assert list(ds["option"].values) == ["mine", "gpuaas", "colocation"]
    dates = [str(d)[:10] for d in ds["date"].values]
    assert dates[0] == "2025-11-13" and dates[2] == "2026-01-13" and dates[59] == "2030-10-13"
    for k, o in r.options.items():
        for var in ("revenue", "opex", "noi", "ebitda", "capex", "income_tax", "cash_flow"):
            months = ds[var].sel(option=k).values
            assert ds[var].attrs["units"] == "USD"
            for y, row in enumerate(o.yearly):
                assert months[12 * y:12 * y + 12].sum() == pytest.approx(usd(row[var]),
                                                                        rel=1e-12, abs=1e-3)
        # the operating costs add up to opex, month by month
        costs = sum(ds[c].sel(option=k).values for c in o.finance.opex_lines)
        np.testing.assert_allclose(costs, ds["opex"].sel(option=k).values, rtol=1e-12)
    # the options' own volumes, with their units; a line an option lacks is 0
    assert ds["btc_mined"].attrs["units"] == "BTC" and ds["gpu_hours"].attrs["units"] == "hour"
    assert not ds["btc_mined"].sel(option="gpuaas").values.any()
    mined = ds["btc_mined"].sel(option="mine").values
    for y, row in enumerate(r.options["mine"].yearly):
        assert mined[12 * y:12 * y + 12].sum() == pytest.approx(row["btc_mined"].m_as("BTC"),
                                                               rel=1e-12)


def test_months_are_added_as_calendars_do():
    from rackplan.economics.results import _add_months

    from datetime import date

    assert _add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert _add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert _add_months(date(2025, 11, 13), 14) == date(2027, 1, 13)
    assert _add_months(date(2025, 12, 31), 0) == date(2025, 12, 31)


def test_a_fixed_pue_set_or_swept_gives_the_same_npvs():
    """``--set pue=1.2`` and a sweep of ``pue`` through 1.2 set the same four PUEs and leave
    the weather's curtailed hours of the mining hall as they are: the same NPVs."""
    from rackplan.studies.sweep import sweep

    r = compare(overrides={"pue": 1.2, "tenant_default_rate": 0})
    ds = sweep(vary={"pue": [1.1, 1.2, 1.3]}, overrides={"tenant_default_rate": 0})
    for k, o in r.options.items():
        assert float(ds[f"npv_{k}"].isel(pue=1)) == pytest.approx(usd(o.npv), rel=1e-9), k
    base = scenario_base(overrides={"pue": 1.2})
    assert base["mining_weather_uptime"] == scenario_base()["mining_weather_uptime"] < 1
