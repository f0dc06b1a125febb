"""Options as plug-ins (rackplan.economics.options): a fourth option registered without touching
compare(), sweep() or montecarlo(), and the registry's errors.

The toy option: colocation of the *mining* fleet ("Miner hosting"): the operator builds the
mining facility (``mining_facility_capex`` x utility power, over ``mining_build_period``) and
leases the miners' IT power at ``colocation_rate``, escalated by ``colocation_escalator`` on
each anniversary of the lease; its costs are ``colocation_opex_share`` of revenue, SG&A
``sga_share``; no IT capex (the tenant brings the miners). Every test that registers it
unregisters it, so the rest of the suite sees the three built-in options.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import rackplan
from rackplan.economics.compare import compare, scenario_base
from rackplan.economics.options import (
    Option,
    engine_table,
    get,
    register,
    registered,
    unregister,
)
from rackplan.errors import InputError
from rackplan.kernels import engine
from rackplan.kernels.engine_numpy import evaluate_numpy

from conftest import DATA

BUILTIN = ["mine", "gpuaas", "colocation"]
WITH_HOSTING = BUILTIN + ["hosting"]
S = 2_629_800  # seconds a month
TOY = dict(site=DATA / "sites" / "toy-1mw.toml",
           mining_profile=DATA / "profiles" / "toy-miner.toml",
           gpu_profile=DATA / "profiles" / "toy-gpu.toml",
           market=DATA / "markets" / "handworked.toml")


def _hosting() -> Option:
    return Option(name="hosting", label="Miner hosting", kind="colocation", fleet="mining",
                  opex_lines=("operator",))


@pytest.fixture(autouse=True)
def _builtins_only_after_each_test():
    """A safety net: whatever a test leaves registered is removed, so no other test (here or
    in another file) sees a fourth option."""
    yield
    for option in registered():
        if option.name not in BUILTIN:
            unregister(option.name)


@pytest.fixture
def hosting():
    """The toy option, registered for one test and unregistered whatever happens."""
    assert [o.name for o in registered()] == BUILTIN
    option = register(_hosting())
    try:
        yield option
    finally:
        unregister("hosting")
    assert [o.name for o in registered()] == BUILTIN


def usd(q) -> float:
    return float(q.m_as("USD"))


def _hosting_npv_by_hand(base, n, units_m):
    """The NPV of miner hosting from the model of docs/economics.md (sections 5 and 6) and
    the scenario vector ``base`` (SI), with ``units_m`` miners: the lease runs the IT's useful
    life, its tenant defaulting at ``tenant_default_rate`` a year; under ``dcf`` the months
    after the horizon count until it ends, and the facility's book value then, under ``book``
    the facility's book value at the horizon. The income tax
    is ``tax_rate`` of EBITDA less the facility's cost, all deducted in the first operating
    month (100 % bonus depreciation), plus the residual value."""
    assert base["tax_depreciation"] == engine.TD_BONUS and base["bonus_depreciation"] == 1.0
    start = int(round(base["mining_build_period"] / S))
    end = start + math.ceil(base["useful_life_it"] / S - 1e-9)
    it = units_m * base["miner_power"]  # W of IT leased
    facility = base["mining_facility_capex"] * base["utility_power"]
    keep = 1.0 - base["colocation_opex_share"] - base["sga_share"]
    life = base["useful_life_facility"] / S
    dcf = base["terminal_value"] == engine.TV_DCF
    npv = 0.0
    for m in range(max(n, end) if dcf else n):
        ebitda = capex = residual = 0.0
        if start <= m < end:
            lease_year = (m - start) // 12
            # the tenant's rent in expectation: the recovery share, plus the rest while it
            # has not defaulted
            d, recovery = base["tenant_default_rate"], base["tenant_recovery"]
            pays = recovery + (1 - recovery) * (1 - d) ** ((m - start) / 12)
            revenue = (base["colocation_rate"] * it * S
                       * (1 + base["colocation_escalator"]) ** lease_year * pays)
            ebitda = keep * revenue
        if start == 0:
            capex = facility if m == 0 else 0.0
        elif m < start:
            capex = facility / start
        if (m == end - 1) if dcf else (m == n - 1):  # the facility's book value left
            residual = base["residual_value"] * facility * max(0.0, 1 - (m + 1 - start) / life)
        deducted = facility if m == start else 0.0
        tax = base["tax_rate"] * (ebitda - deducted + residual)
        cash = ebitda - capex + residual - tax
        npv += cash * (1 + base["discount_rate"]) ** (-m / 12)
    return npv


# --- the registry ----------------------------------------------------------------------------


def test_the_builtin_options_are_registered_in_order():
    from rackplan.economics import colocation, gpuaas, mining

    assert registered() == (mining.OPTION, gpuaas.OPTION, colocation.OPTION)
    assert get("gpuaas") is gpuaas.OPTION
    assert [(o.kind, o.fleet) for o in registered()] == [
        ("mine", "mining"), ("gpuaas", "gpu"), ("colocation", "gpu")]
    sc = engine_table()
    assert sc.kinds.tolist() == [0, 1, 2] and sc.fleets.tolist() == [0, 1, 1]


def test_register_adds_after_the_builtins_and_unregister_removes(hosting):
    assert [o.name for o in registered()] == WITH_HOSTING
    assert get("hosting") is hosting
    sc = engine_table()
    assert sc.kinds.tolist() == [0, 1, 2, 2] and sc.fleets.tolist() == [0, 1, 1, 0]
    assert sc.pair.tolist() == [0, 1]  # the breakevens still compare mining and GPUaaS
    assert {"npv_hosting", "revenue_hosting", "noi_hosting", "ebitda_hosting",
            "capex_hosting"} <= set(sc.names)
    assert sc.units["npv_hosting"] == "USD" and "Miner hosting" in sc.long_names["npv_hosting"]
    assert "3 hosting" in sc.long_names["winner"]


def _raises(match_source, **fields):
    kw = dict(name="hosting", label="Miner hosting", kind="colocation", fleet="mining",
              opex_lines=("operator",))
    kw.update(fields)
    with pytest.raises(InputError) as info:
        register(Option(**kw))
    assert str(info.value).startswith(match_source), str(info.value)
    assert [o.name for o in registered()] == BUILTIN  # nothing was registered
    return str(info.value)


def test_register_refuses_a_taken_name():
    text = _raises("option name: ", name="mine", kind="mine")
    assert "'mine' is registered already" in text
    # a taken name of an added option too
    register(_hosting())
    try:
        with pytest.raises(InputError, match="^option name: an option named 'hosting' is "
                                             "registered already"):
            register(_hosting())
        assert [o.name for o in registered()] == WITH_HOSTING
    finally:
        unregister("hosting")
    assert [o.name for o in registered()] == BUILTIN


def test_register_refuses_a_bad_kind():
    text = _raises("option hosting: kind: ", kind="hosting")
    assert "must be one of mine, gpuaas, colocation, got 'hosting'" in text


def test_register_refuses_a_bad_fleet():
    text = _raises("option hosting: fleet: ", fleet="asic")
    assert "must be one of mining, gpu, got 'asic'" in text


def test_register_refuses_an_unknown_opex_line():
    text = _raises("option hosting: opex_lines: ", opex_lines=("operator", "rent"))
    assert "not opex lines: rent" in text and "network_software" in text


def test_register_refuses_a_name_that_is_not_an_identifier_or_not_an_option():
    _raises("option name: ", name="miner hosting")
    with pytest.raises(InputError, match="^option: must be an Option, got dict"):
        register({"name": "hosting"})
    assert [o.name for o in registered()] == BUILTIN


def test_unregister_and_get_refuse_an_unknown_name():
    with pytest.raises(InputError, match="^option name: no option named 'hosting' is "
                                         "registered"):
        unregister("hosting")
    with pytest.raises(InputError, match="^option name: no option named 'nope'"):
        get("nope")
    assert [o.name for o in registered()] == BUILTIN


def test_the_breakeven_pair_needs_a_mining_and_a_gpuaas_option():
    with pytest.raises(InputError, match="^options: the options must include one of kind "
                                         "'mine' and one of kind 'gpuaas'"):
        engine_table([get("gpuaas"), get("colocation")])


# --- a fourth option through compare(), sweep() and montecarlo() -------------------------------


def test_a_fourth_option_by_hand(hosting):
    """The toy case: 10 toy miners, 1 MW of IT, at 100 USD/kW/month = 100,000 USD a month; the
    operator keeps 90 %; no mining facility capex in the hand-worked market: NPV 1,080,000
    USD over a year at 0 %, more than colocation's 80,000 (tests/test_compare.py)."""
    r = compare(**TOY, years=1)
    assert list(r.options) == WITH_HOSTING
    h = r.options["hosting"]
    assert h.label == "Miner hosting"
    assert h.fleet["units"] == 10 and h.fleet["start_month"] == 0
    assert float(h.fleet["it_power"].m_as("MW")) == pytest.approx(1.0)
    assert float(h.fleet["hashrate"].m_as("PH/s")) == pytest.approx(10)
    assert usd(h.total["revenue"]) == pytest.approx(1.2e6)
    assert usd(h.total["noi"]) == pytest.approx(1.08e6)
    assert float(h.total["noi_margin"].m_as("%")) == pytest.approx(90)
    assert usd(h.capex) == 0
    assert usd(h.npv) == pytest.approx(1.08e6, rel=1e-12)
    assert set(h.finance.opex_lines) == {"operator"}
    assert h.finance.opex_lines["operator"] == pytest.approx(np.full(12, 10_000.0))
    assert usd(r.options["colocation"].npv) == pytest.approx(80_000, rel=1e-12)
    assert r.winner == "hosting"
    # the never-positive cash flow has no IRR: the reason names the new option too
    assert math.isnan(h.irr.magnitude)
    assert any(w.startswith("Miner hosting: IRR n/a: the cash flow is never negative")
               for w in r.warnings)


def test_adding_an_option_changes_no_other_figure():
    before = compare()
    register(_hosting())
    try:
        after = compare()
    finally:
        unregister("hosting")
    assert list(after.options) == WITH_HOSTING
    for k in BUILTIN:
        assert usd(after.options[k].npv) == usd(before.options[k].npv)
        np.testing.assert_array_equal(after.options[k].finance.cash_flow,
                                      before.options[k].finance.cash_flow)
    for k, item in before.breakeven.items():  # (NaN where there is none: equal too)
        np.testing.assert_equal(float(after.breakeven[k]["value"].magnitude),
                                float(item["value"].magnitude))
    assert list(compare().options) == BUILTIN


@pytest.mark.parametrize("overrides, winner", [
    ({}, "hosting"),
    ({"colocation_rate": "1000 USD/kW/month"}, "hosting"),
    # a 2-month mining build (the hosting facility's too), mining worth more than a lease
    # at no rent
    ({"btc_price": "150000 USD/BTC", "difficulty_growth": 0.01, "btc_price_growth": 0.1,
      "mining_build_period": "2 month", "colocation_rate": "0 USD/kW/month"}, "mine"),
])
def test_a_fourth_option_on_the_builtin_case(hosting, overrides, winner):
    r = compare(overrides=overrides)
    base = scenario_base(overrides=overrides)
    units_m = r.options["mine"].fleet["units"]
    assert r.options["hosting"].fleet["units"] == units_m == 2802
    by_hand = _hosting_npv_by_hand(base, 60, units_m)
    assert usd(r.options["hosting"].npv) == pytest.approx(by_hand, rel=1e-12)
    assert r.options["hosting"].fleet["start_month"] == int(round(
        base["mining_build_period"] / S))
    assert r.winner == winner
    assert r.winner == max(r.options, key=lambda k: usd(r.options[k].npv))
    # the engine's NumPy twin with the slots of the four options
    b = np.array([base[p] for p in engine.PARAMS])
    names = [row[0] for row in engine.output_table(WITH_HOSTING)]
    twin = dict(zip(names, evaluate_numpy(
        b, np.zeros((1, 0)), np.zeros(0, dtype=np.int64), 60,
        np.array([0, 1, 2, 2]), np.array([0, 1, 1, 0]), np.array([0, 1]))[:, 0]))
    for k in WITH_HOSTING:
        assert twin[f"npv_{k}"] == pytest.approx(usd(r.options[k].npv), rel=1e-10), k
    assert WITH_HOSTING[int(twin["winner"])] == winner
    if not overrides:  # the built-in options keep their numbers
        assert usd(r.options["mine"].npv) == pytest.approx(-34_034_467.8, abs=0.5)
        assert usd(r.options["gpuaas"].npv) == pytest.approx(-182_390_144.4, abs=0.5)
        assert usd(r.options["colocation"].npv) == pytest.approx(960_726.0, abs=0.5)


def test_a_fourth_option_in_json_and_xarray(hosting):
    r = compare(overrides={"colocation_rate": "1000 USD/kW/month"})
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert list(d["options"]) == WITH_HOSTING
    h = d["options"]["hosting"]
    assert h["label"] == "Miner hosting" and h["units"] == 2802
    assert h["npv"] == {"value": pytest.approx(usd(r.options["hosting"].npv)), "unit": "USD"}
    assert len(h["yearly"]) == 5 and h["yearly"][0]["revenue"]["unit"] == "USD"
    assert d["winner"] == "hosting"
    ds = r.to_xarray()
    assert ds.sizes["option"] == 4
    assert list(ds["option"].values) == WITH_HOSTING
    assert ds["revenue"].dims == ("option", "year")
    assert float(ds["npv"].sel(option="hosting")) == pytest.approx(
        usd(r.options["hosting"].npv))
    assert ds.attrs["winner"] == "hosting"


def test_a_fourth_option_in_a_sweep_and_monte_carlo(hosting):
    from rackplan.studies.montecarlo import montecarlo
    from rackplan.studies.sweep import sweep

    # (a tenant that never defaults: every Monte Carlo path without volatility is the trend)
    over = {"btc_price": "150000 USD/BTC", "difficulty_growth": 0.01,
            "btc_price_growth": 0.1, "mining_build_period": "2 month", "tenant_default_rate": 0}
    ds = sweep(vary={"colocation_rate": [0.0, 121.0, 1000.0]}, overrides=over)
    assert {"npv_hosting", "revenue_hosting", "noi_hosting", "ebitda_hosting",
            "capex_hosting"} <= set(ds.data_vars)
    assert ds["npv_hosting"].attrs["units"] == "USD"
    assert ds["winner"].attrs["flag_meanings"].split() == WITH_HOSTING
    assert ds["winner"].values.tolist() == [0, 3, 3]  # mine without rent, then hosting
    for i, rate in enumerate((0, 121, 1000)):
        r = compare(overrides={**over, "colocation_rate": f"{rate} USD/kW/month"})
        for k in WITH_HOSTING:
            assert float(ds[f"npv_{k}"][i]) == pytest.approx(usd(r.options[k].npv),
                                                             rel=1e-9), (rate, k)
    mc = montecarlo(paths=4, seed=3, overrides=over, btc_volatility=0, difficulty_volatility=0,
                    gpu_price_volatility=0, utilization_volatility=0,
                    btc_trend_uncertainty=0, difficulty_trend_uncertainty=0,
                    gpu_trend_uncertainty=0)
    assert list(mc["option"].values) == WITH_HOSTING
    r = compare(overrides=over)
    assert mc["npv_hosting"].values == pytest.approx(
        np.full(4, usd(r.options["hosting"].npv)), rel=1e-9)
    assert mc["win_probability"].values.tolist() == [0.0, 0.0, 0.0, 1.0]  # at 121 USD/kW
    assert mc["winner"].values.tolist() == [3] * 4
    # with the built-in paths' volatility the new option is in every summary
    mc = montecarlo(paths=64, seed=3)
    assert mc["npv"].sizes["option"] == 4
    assert float(mc["win_probability"].sum()) == pytest.approx(1.0)


def test_the_public_api_sees_the_registered_options(hosting):
    r = rackplan.compare(**TOY, years=1)
    assert list(r.options) == WITH_HOSTING
