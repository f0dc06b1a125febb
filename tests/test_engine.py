"""The monthly cash-flow engine (rackplan.kernels.engine) against its NumPy twin
(rackplan.kernels.engine_numpy), against itself (the basis-sum fast path against the monthly
lines) and against hand-worked months.

References: the twin writes each option's months out directly (no basis-and-scales split), so
agreement over random scenarios checks the kernel's algebra; the hand cases check both against
the formulas of docs/economics.md, worked here line by line with round numbers.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from rackplan.kernels import cashflow as cf
from rackplan.kernels import engine
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.units import ureg

S = cf.SECONDS_PER_MONTH
BLOCKS = cf.BLOCKS_PER_MONTH
P = engine.PARAMS
COL = {name: i for i, name in enumerate(P)}
LINE = {name: j for j, name in enumerate(engine.LINES)}
ALL = np.arange(len(P), dtype=np.int64)
NO_PATHS = np.empty((4, 0))
HORIZONS = (12, 60, 61)


class Slots:
    """Option slots: kinds, fleets, the breakeven pair (int64 arrays), the options' names,
    and ``out``, each output's index by name."""

    def __init__(self, kinds, fleets, pair, names):
        self.kinds = np.array(kinds, dtype=np.int64)
        self.fleets = np.array(fleets, dtype=np.int64)
        self.pair = np.array(pair, dtype=np.int64)
        self.names = tuple(names)
        self.n = len(self.names)
        self.k = int(engine.n_outputs(self.n))
        self.out = {row[0]: i for i, row in enumerate(engine.output_table(self.names))}
        self.out_names = tuple(self.out)

    def __repr__(self):
        return f"Slots({self.names})"



#: The built-in options: mining, GPU-as-a-service, colocation of the GPU fleet.
BUILT_IN = Slots([0, 1, 2], [0, 1, 1], [0, 1], ("mine", "gpuaas", "colocation"))
#: With a fourth slot: colocation of the mining fleet.
FOUR = Slots([0, 1, 2, 2], [0, 1, 1, 0], [0, 1],
              ("mine", "gpuaas", "colocation", "colocation_mining"))
#: The same four in another order (the pair follows the mining and GPU slots).
SHUFFLED = Slots([2, 2, 1, 0], [0, 1, 1, 0], [3, 2],
                  ("colocation_mining", "colocation", "gpuaas", "mine"))


@functools.cache
def _base() -> np.ndarray:
    from rackplan.economics.compare import scenario_base

    b = scenario_base()
    return np.array([b[name] for name in P])


def base() -> np.ndarray:
    return _base().copy()


# --- running the engine -------------------------------------------------------------------------


def run(rows, n_months, slots, *, want=None, serial=False, threads=None):
    """The engine's outputs ``float64[K, N]`` for whole parameter vectors ``rows`` [N, P]
    (:func:`engine.evaluate`, on ``threads`` threads; :func:`engine.evaluate_serial` if
    ``serial``)."""
    rows = np.ascontiguousarray(np.atleast_2d(rows), dtype=float)
    want = np.arange(slots.k, dtype=np.int64) if want is None else np.asarray(want, np.int64)
    out = np.empty((want.shape[0], rows.shape[0]))
    args = (rows[0].copy() if len(rows) else base(), rows, ALL, n_months, slots.kinds,
            slots.fleets, slots.pair, want, out)
    if serial:
        engine.evaluate_serial(*args)
    else:
        engine.evaluate(*args, threads=threads)
    return out


#: Scenarios enough for three threads (evaluate gives a thread at least MIN_PARALLEL).
MANY = 3 * engine.MIN_PARALLEL + 17


def twin(rows, n_months, slots, paths=None):
    rows = np.ascontiguousarray(np.atleast_2d(rows), dtype=float)
    return evaluate_numpy(rows[0], rows, ALL, n_months, slots.kinds, slots.fleets, slots.pair,
                          paths=paths)


def monthly(p, n_months, slots, paths=NO_PATHS, *, lines=True):
    """One scenario through :func:`engine.scenario_lines`: (lines float64[O, n, L] or None,
    outputs float64[K]). ``lines=False`` passes no line rows: the slots then run on the basis
    sums (their own entries re-summed month by month where paths or the cap need it)."""
    rows = slots.n * n_months if lines else 0
    out_lines = np.zeros((rows, len(engine.LINES)))
    row = np.full(slots.k, -123.0)
    engine.scenario_lines(np.ascontiguousarray(p, dtype=float), n_months, slots.kinds,
                          slots.fleets, slots.pair, np.ascontiguousarray(paths, dtype=float),
                          out_lines, row)
    return (out_lines.reshape(slots.n, n_months, -1) if lines else None), row


#: A breakeven is its price plus the NPV gap over the NPV's slope: when the two nearly cancel,
#: its rounding is that of the price, not of the (small) result.
_BREAKEVEN_PRICE = {"breakeven_btc_price": "btc_price",
                    "breakeven_gpu_hour_price": "gpu_hour_price",
                    "breakeven_power_price": "power_price"}


def assert_close(got, ref, slots, rtol=1e-9, p=None):
    """Equal output by output (rows of ``float64[K]`` or ``float64[K, N]``) to ``rtol`` of
    ``max(|ref|, 1)``, plus 1e-12 of the scenario's money (its largest revenue or capex): an
    NPV or NOI near zero is a difference of flows that keeps their rounding (an NPV of 0 out
    of 7 M USD of capex and its residual value comes out as 2e-9 USD). A breakeven is also
    allowed ``rtol`` of its price in ``p`` ([P] or [N, P]). NaN where the reference is NaN, the
    same infinity where it is infinite; a failure names the output and the scenario."""
    got = np.asarray(got, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert got.shape == ref.shape
    money_rows = [i for name, i in slots.out.items() if name.startswith(("revenue_", "capex_"))]
    money = np.nanmax(np.abs(ref[money_rows]), axis=0, initial=0.0)
    tol = rtol * np.maximum(np.abs(ref), 1.0) + 1e-12 * money
    if p is not None:
        p = np.asarray(p, dtype=float)
        for name, price in _BREAKEVEN_PRICE.items():
            j = slots.out[name]
            tol[j] = np.maximum(tol[j], rtol * np.abs(p[..., COL[price]]))
    with np.errstate(invalid="ignore"):  # inf - inf: equal, caught by got == ref
        near = np.abs(got - ref) <= tol
    ok = (got == ref) | (np.isnan(got) & np.isnan(ref)) | near
    bad = [(slots.out_names[idx[0]], *idx[1:], got[tuple(idx)], ref[tuple(idx)])
           for idx in np.argwhere(~ok)[:6]]
    assert not bad, bad


# --- scenarios ----------------------------------------------------------------------------------


def _f(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _zero_or(lo, hi):
    """0, or a float in [lo, hi]: no 1e-307 (a slope of 1e-300 makes its breakeven a
    subnormal's rounding, in the kernel and in the twin alike)."""
    return st.one_of(st.just(0.0), _f(lo, hi))


def _log(lo, hi):
    """Log-uniform-ish floats in [lo, hi]."""
    return _f(math.log10(lo), math.log10(hi)).map(lambda e: 10.0 ** e)


#: Inputs a scenario may scale by 0.1x to 10x around the built-in case (prices and costs).
_SCALED = ("miner_power", "miner_hashrate", "gpu_power_max", "btc_price", "power_price",
           "demand_charge", "gpu_hour_price", "gpu_system_price", "installation_per_gpu",
           "network_software", "colocation_rate", "facility_capex", "miner_price",
           "mining_facility_capex", "staff_cost", "mining_staff_per_mw")


@st.composite
def scenarios(draw, n_months):
    """A valid scenario vector: the built-in case with (nearly) every input drawn over its
    domain: site power from 100 kW (no GPU system fits) to 1 GW, constraints given or not,
    prices and costs 0.1x to 10x, growth rates either way, utilization 0..1, build periods
    in whole months from 0 to past the horizon, any discount rate to 100 %."""
    p = base()

    def put(name, strategy):
        p[COL[name]] = draw(strategy)

    put("utility_power", _log(1e5, 1e9))
    put("pue_mine", _f(1.0, 2.0))
    put("pue_gpu", _f(1.0, 2.0))
    put("energy_pue_mine", _f(1.0, 2.0))  # the year's: no tie to the design hour's here
    put("energy_pue_gpu", _f(1.0, 2.0))
    put("white_space", st.one_of(st.just(math.nan), _log(10.0, 1e6)))
    put("floor_load_limit", st.one_of(st.just(math.nan), _f(200.0, 5000.0)))
    put("heat_rejection_capacity", st.one_of(st.just(math.nan), _log(1e5, 1e9)))
    for name in _SCALED:
        p[COL[name]] *= draw(_log(0.1, 10.0))
    p[COL["gpu_power_typical"]] = p[COL["gpu_power_max"]] * draw(_f(0.3, 1.0))
    put("difficulty", _log(1e6, 1e16))
    put("fees_per_block", _zero_or(1e-4, 1.0))
    put("block_height", st.integers(0, 14_000_000).map(float))  # past the 64th halving too
    put("difficulty_growth", _f(-0.2, 0.1))
    put("btc_price_growth", _f(-0.9, 2.0))
    put("pool_fee", _f(0.0, 0.1))
    put("uptime", _f(0.5, 1.0))
    put("power_price_growth", _f(-0.5, 1.0))
    put("gpu_price_decline", _f(0.0, 0.9))
    put("utilization", _zero_or(1e-6, 1.0))
    put("utilization_ramp", st.one_of(st.just(0.0), _f(0.5, 30.0).map(lambda k: k * S)))
    put("gpu_contract_share", st.one_of(st.just(0.0), _f(0.0, 1.0)))
    put("gpu_contract_price", _f(0.0, 10.0).map(lambda usd_h: usd_h / 3600.0))
    put("gpu_contract_term", st.integers(0, n_months + 3).map(lambda k: k * S))
    put("gpu_prepayment", _f(0.0, 1.0))
    put("gpu_idle_power_share", _f(0.0, 1.0))
    put("staff_per_1000_gpus", _f(0.0, 20.0))
    months = st.integers(0, n_months + 3).map(lambda k: k * S)
    put("build_period", months)
    put("mining_build_period", months)
    put("colocation_escalator", _f(-0.1, 0.2))
    put("colocation_opex_share", _f(0.0, 0.5))
    put("maintenance_it", _f(0.0, 0.2))
    put("maintenance_facility", _f(0.0, 0.1))
    put("insurance", _f(0.0, 0.05))
    put("sga_share", _f(0.0, 0.2))
    put("discount_rate", _f(0.0, 1.0))
    for kind in engine.KINDS:  # an option's own rate, or NaN: the market's
        put(f"discount_rate_{kind}", st.one_of(st.just(math.nan), _f(0.0, 1.0)))
    put("useful_life_it", _f(0.5, 240.0).map(lambda k: k * S))
    put("useful_life_facility", _f(1.0, 600.0).map(lambda k: k * S))
    put("residual_value", _f(0.0, 1.0))
    put("terminal_value", st.sampled_from(range(len(engine.TERMINAL_VALUES))).map(float))
    put("miner_shutdown", st.sampled_from([0.0, 1.0]))
    put("tax_rate", st.one_of(st.just(0.0), _f(0.0, 0.6)))
    put("tax_depreciation", st.sampled_from(range(len(engine.TAX_DEPRECIATIONS))).map(float))
    put("bonus_depreciation", _f(0.0, 1.0))
    put("sales_tax", st.one_of(st.just(0.0), _f(0.0, 0.12)))
    put("property_tax", _f(0.0, 0.03))
    put("difficulty_model", st.sampled_from([0.0, 1.0]))
    p[COL["network_cost"]] *= draw(_log(0.1, 10.0))
    put("network_efficiency_gain", _f(0.0, 0.6))
    put("difficulty_adjustment", _f(0.01, 1.0))
    put("mining_existing", st.sampled_from([0.0, 1.0]))
    put("miner_warranty", months)
    put("gpu_warranty", months)
    put("tenant_default_rate", st.one_of(st.just(0.0), _f(0.0, 0.5)))
    put("tenant_recovery", _f(0.0, 1.0))
    put("rack_positions", st.one_of(st.just(math.nan), st.integers(1, 300).map(float)))
    put("design_rack_power", st.one_of(st.just(math.nan), _log(1e4, 1e6)))
    put("gpu_power_outside", st.one_of(st.just(0.0), _f(0.0, 2e4)))  # 0 to 20 kW a unit
    put("sga_share_merchant", _f(0.0, 0.2))
    return p


def random_scenarios(n, n_months, seed):
    """``n`` scenarios around the built-in case from a seeded generator (as
    :func:`scenarios`, for batches)."""
    rng = np.random.default_rng(seed)
    R = np.tile(base(), (n, 1))

    def put(name, values):
        R[:, COL[name]] = values

    for name in _SCALED + ("utility_power",):
        R[:, COL[name]] *= 10.0 ** rng.uniform(-1, 1, n)
    put("pue_mine", rng.uniform(1.0, 2.0, n))
    put("pue_gpu", rng.uniform(1.0, 2.0, n))
    put("energy_pue_mine", rng.uniform(1.0, 2.0, n))
    put("energy_pue_gpu", rng.uniform(1.0, 2.0, n))
    R[:, COL["gpu_power_typical"]] = R[:, COL["gpu_power_max"]] * rng.uniform(0.3, 1.0, n)
    put("white_space", np.where(rng.random(n) < 0.5, np.nan, rng.uniform(100, 5000, n)))
    put("floor_load_limit", np.where(rng.random(n) < 0.7, np.nan, rng.uniform(500, 3000, n)))
    put("heat_rejection_capacity",
        np.where(rng.random(n) < 0.7, np.nan, rng.uniform(2e6, 20e6, n)))
    put("difficulty", 10.0 ** rng.uniform(8, 16, n))
    put("fees_per_block", rng.uniform(0, 0.5, n))
    put("block_height", rng.integers(0, 14_000_000, n).astype(float))
    put("difficulty_growth", rng.uniform(-0.2, 0.1, n))
    put("btc_price_growth", rng.uniform(-0.9, 2.0, n))
    put("pool_fee", rng.uniform(0, 0.05, n))
    put("uptime", rng.uniform(0.5, 1.0, n))
    put("power_price_growth", rng.uniform(-0.5, 1.0, n))
    put("gpu_price_decline", rng.uniform(0, 0.9, n))
    put("utilization", rng.uniform(0, 1, n))
    put("utilization_ramp", np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0.5, 30, n) * S))
    put("gpu_contract_share", np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0, 1, n)))
    put("gpu_contract_price", rng.uniform(0, 10, n) / 3600.0)
    put("gpu_contract_term", rng.integers(0, n_months + 4, n) * S)
    put("gpu_prepayment", rng.uniform(0, 1, n))
    put("gpu_idle_power_share", rng.uniform(0, 1, n))
    put("build_period", rng.integers(0, n_months + 4, n) * S)
    put("mining_build_period", rng.integers(0, n_months + 4, n) * S)
    put("colocation_escalator", rng.uniform(-0.1, 0.2, n))
    put("colocation_opex_share", rng.uniform(0, 0.5, n))
    put("sga_share", rng.uniform(0, 0.2, n))
    put("discount_rate", rng.uniform(0, 1, n))
    for kind in engine.KINDS:  # an option's own rate on some scenarios, NaN (the market's)
        put(f"discount_rate_{kind}", np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 1, n)))
    put("useful_life_it", rng.uniform(0.5, 240, n) * S)
    put("useful_life_facility", rng.uniform(1, 600, n) * S)
    put("residual_value", rng.uniform(0, 1, n))
    put("terminal_value", rng.integers(0, len(engine.TERMINAL_VALUES), n).astype(float))
    put("miner_shutdown", rng.integers(0, 2, n).astype(float))
    put("tax_rate", np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0, 0.6, n)))
    put("tax_depreciation", rng.integers(0, len(engine.TAX_DEPRECIATIONS), n).astype(float))
    put("bonus_depreciation", rng.uniform(0, 1, n))
    put("sales_tax", np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 0.12, n)))
    put("property_tax", rng.uniform(0, 0.03, n))
    # a quarter in the equilibrium (its twin searches each breakeven: slow)
    put("difficulty_model", (rng.random(n) < 0.25).astype(float))
    R[:, COL["network_cost"]] *= 10.0 ** rng.uniform(-1, 1, n)
    put("network_efficiency_gain", rng.uniform(0, 0.6, n))
    put("difficulty_adjustment", rng.uniform(0.01, 1.0, n))
    put("mining_existing", rng.integers(0, 2, n).astype(float))
    put("miner_warranty", rng.integers(0, n_months + 4, n) * S)
    put("gpu_warranty", rng.integers(0, n_months + 4, n) * S)
    put("tenant_default_rate", np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0, 0.5, n)))
    put("tenant_recovery", rng.uniform(0, 1, n))
    put("rack_positions", np.where(rng.random(n) < 0.6, np.nan,
                                   rng.integers(1, 300, n).astype(float)))
    put("design_rack_power", np.where(rng.random(n) < 0.6, np.nan, 10.0 ** rng.uniform(4, 6, n)))
    put("gpu_power_outside", np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 2e4, n)))
    put("sga_share_merchant", rng.uniform(0, 0.2, n))
    return R


# --- the contract -------------------------------------------------------------------------------


def test_names_units_and_outputs():
    assert len(set(P)) == len(P) and set(engine.PARAM_UNITS) == set(P)
    assert set(engine.PARAM_LONG_NAMES) == set(P)
    assert set(engine.SHAPE_PARAMS) <= set(P)
    for unit in list(engine.PARAM_UNITS.values()) + list(engine.LINE_UNITS.values()):
        ureg.Unit(unit)  # every unit parses
    assert set(engine.OPEX_LINES) <= set(engine.LINES)
    for slots in (BUILT_IN, FOUR):
        table = engine.output_table(slots.names)
        assert len(table) == slots.k == 7 + 5 * slots.n + 5
        names = [row[0] for row in table]
        assert len(set(names)) == len(names)
        for _, unit, _ in table:
            ureg.Unit(unit)
    assert {"units_mine", "units_gpu", "it_power_mine", "it_power_gpu", "btc_mined",
            "noi_mine", "noi_gpuaas", "noi_colocation", "npv_mine", "npv_gpuaas",
            "npv_colocation", "npv_gpuaas_minus_mine", "winner", "breakeven_btc_price",
            "breakeven_gpu_hour_price", "breakeven_power_price"} <= set(BUILT_IN.out)
    assert "npv_colocation_mining" in FOUR.out


def test_user_units_convert_to_the_kernel_units():
    from rackplan.economics.compare import user_units

    units = user_units()
    assert set(P) <= set(units) and units["pue"] == "1"
    for name in P:
        ureg.Quantity(1.0, units[name]).to(engine.PARAM_UNITS[name])  # same dimension


# --- 1. the kernel against its NumPy twin -------------------------------------------------------


@pytest.mark.parametrize("slots", [BUILT_IN, FOUR, SHUFFLED], ids=["built-in", "four", "shuffled"])
@pytest.mark.parametrize("n_months", HORIZONS)
def test_evaluate_equals_the_twin_on_random_batches(slots, n_months):
    """Every input varied at once over 1,500 scenarios (in blocks of one or two, each
    scenario with its own time shape)."""
    R = random_scenarios(1500, n_months, seed=n_months + 7 * slots.n)
    assert_close(run(R, n_months, slots), twin(R, n_months, slots), slots, p=R)


@settings(max_examples=80)
@given(st.sampled_from(HORIZONS + (1, 13)).flatmap(
    lambda n: st.tuples(st.just(n), scenarios(n))))
def test_evaluate_equals_the_twin(case):
    n_months, p = case
    for slots in (FOUR, SHUFFLED):
        assert_close(run(p, n_months, slots), twin(p, n_months, slots), slots, p=p)


def test_a_block_that_keeps_its_time_shape_equals_the_twin():
    """Runs of scenarios that share the time shape (SHAPE_PARAMS) but not their prices,
    costs or site: a block computes the basis sums once per run and reuses them, and a
    thread keeps the last shape it computed from one block to the next it takes."""
    n_months = 61
    R = random_scenarios(MANY, n_months, seed=3)
    shape = [COL[name] for name in engine.SHAPE_PARAMS]
    rng = np.random.default_rng(4)
    i = 0
    while i < len(R):
        length = int(rng.integers(1, 12))
        R[i:i + length, shape] = R[i, shape]
        i += length
    ref = twin(R, n_months, FOUR)
    for threads in (1, 3):
        assert_close(run(R, n_months, FOUR, threads=threads), ref, FOUR, p=R)


#: Each input that shapes the months (time factors, build and operating months, depreciation
#: shares, utilization), with another value.
_TIME_SHAPE = {"block_height": 1_040_000.0, "difficulty": 5e13, "fees_per_block": 0.4,
               "difficulty_growth": -0.01, "btc_price_growth": -0.3, "power_price_growth": 0.4,
               "gpu_price_decline": 0.6, "utilization": 0.2, "utilization_ramp": 7 * S,
               "gpu_contract_term": 9 * S,
               "build_period": 17 * S,
               "colocation_escalator": 0.15, "mining_build_period": 9 * S,
               "discount_rate": 0.45, "discount_rate_mine": 0.3, "discount_rate_gpuaas": 0.2,
               "discount_rate_colocation": 0.05, "useful_life_it": 20 * S,
               "useful_life_facility": 50 * S, "terminal_value": float(engine.TV_BOOK),
               "miner_shutdown": 1.0, "tax_depreciation": float(engine.TD_MACRS),
               "bonus_depreciation": 0.4, "difficulty_model": float(engine.DM_EQUILIBRIUM),
               "miner_warranty": 3 * S, "gpu_warranty": 20 * S, "tenant_default_rate": 0.2,
               "tenant_recovery": 0.7}


def test_the_time_shape_inputs_are_known():
    assert set(engine.SHAPE_PARAMS) <= set(_TIME_SHAPE)


@pytest.mark.parametrize("shape_name", sorted(_TIME_SHAPE))
def test_each_shape_input_is_seen_by_a_block(shape_name):
    """Scenarios that alternate one input of the months' shape (the rest equal) must not
    reuse each other's basis sums: an input the block did not compare would show here."""
    n_months = 60
    p = base()
    p[COL["build_period"]] = 5 * S
    p[COL["mining_build_period"]] = 2 * S
    p[COL["utilization"]] = 0.6
    p[COL["btc_price_growth"]] = 0.2
    p[COL["power_price_growth"]] = 0.05
    p[COL["fees_per_block"]] = 0.1
    other = _TIME_SHAPE[shape_name]
    R = np.tile(p, (40, 1))
    R[1::2, COL[shape_name]] = other
    R[:, COL["btc_price"]] *= np.linspace(0.5, 2.0, 40)  # and a price that moves every time
    assert_close(run(R, n_months, FOUR), twin(R, n_months, FOUR), FOUR, p=R)


#: Another value of each input whose base value is not a plain positive number.
_OTHER = {"utilization_ramp": 6 * S, "heat_rejection_capacity": 9e6, "build_period": 7 * S,
          "mining_build_period": 4 * S, "difficulty_growth": -0.01, "useful_life_it": 30 * S,
          "useful_life_facility": 90 * S, "terminal_value": float(engine.TV_BOOK),
          "miner_shutdown": 0.0, "tax_depreciation": float(engine.TD_STRAIGHT_LINE),
          "difficulty_model": float(engine.DM_EQUILIBRIUM), "miner_warranty": 6 * S,
          "gpu_warranty": 24 * S, "tenant_recovery": 0.2, "rack_positions": 50.0,
          "design_rack_power": 100e3, "gpu_power_outside": 7.2e3}
#: Where the built-in case's power binds, a small white space makes the floor bind, and a low
#: floor load limit the weight: each of their inputs then moves the units.
_FLOOR = {"white_space": 100.0}
_WEIGHT = {"white_space": 100.0, "floor_load_limit": 50.0}
_CONTRACT = {"gpu_contract_share": 0.5, "gpu_contract_price": 2.0 / 3600.0,
             "gpu_contract_term": 24 * S}
_BINDING = {**dict.fromkeys(("gpu_contract_share", "gpu_contract_price", "gpu_contract_term",
                             "gpu_prepayment"), _CONTRACT),
            **dict.fromkeys(("aisle_factor", "white_space", "miner_units_per_rack",
                             "gpu_units_per_rack", "miner_rack_footprint",
                             "gpu_rack_footprint"), _FLOOR),
            **dict.fromkeys(("floor_load_limit", "miner_rack_weight", "gpu_rack_weight"),
                            _WEIGHT),
            # the network's inputs move the difficulty only in the equilibrium
            **dict.fromkeys(("network_cost", "network_efficiency_gain",
                             "difficulty_adjustment"),
                            {"difficulty_model": float(engine.DM_EQUILIBRIUM)})}


@pytest.mark.parametrize("name", P)
def test_each_input_is_seen_when_it_alone_varies(name):
    """One input alternating between two values, the rest at the base case: a run that varies
    neither the time shape (SHAPE_PARAMS) nor the fleets' sizing (SIZING_PARAMS) reuses both,
    so an input the engine reads but neither list names would give the first scenario's
    answer to every scenario here, and differ from the twin."""
    n_months = 60
    p = base()
    for other_name, value in _BINDING.get(name, {}).items():
        p[COL[other_name]] = value
    other = _OTHER.get(name, p[COL[name]] * 0.8 if p[COL[name]] > 0 else 0.5)
    varied = np.array([[p[COL[name]]], [other]] * 20)
    idx = np.array([COL[name]], dtype=np.int64)
    out = np.empty((FOUR.k, len(varied)))
    engine.evaluate(p, varied, idx, n_months, FOUR.kinds, FOUR.fleets, FOUR.pair,
                    np.arange(FOUR.k, dtype=np.int64), out, threads=1)
    ref = evaluate_numpy(p, varied, idx, n_months, FOUR.kinds, FOUR.fleets, FOUR.pair)
    R = np.tile(p, (len(varied), 1))
    R[:, idx] = varied
    assert_close(out, ref, FOUR, p=R)
    assert not np.array_equal(out[:, 0], out[:, 1], equal_nan=True)  # the input is read


def test_each_option_is_discounted_at_its_own_rate():
    """An option's own rate discounts its monthly cash flows (checked against
    ``cashflow.npv`` of its monthly lines); NaN means the market's ``discount_rate``, so a
    sweep over ``discount_rate`` moves the options without a rate of their own only."""
    n_months = 60
    p = base()
    p[COL["discount_rate_colocation"]] = 0.04
    lines, row = monthly(p, n_months, BUILT_IN)
    npv = {name: row[BUILT_IN.out[f"npv_{name}"]] for name in ("mine", "gpuaas", "colocation")}
    rate = {"mine": p[COL["discount_rate"]], "gpuaas": p[COL["discount_rate"]],
            "colocation": 0.04}
    for o, name in enumerate(("mine", "gpuaas", "colocation")):
        by_hand = cf.npv_numpy(lines[o, :, LINE["cash_flow"]], rate[name])
        assert npv[name] == pytest.approx(by_hand, rel=1e-12, abs=1e-3)
    rates = np.array([[0.05], [0.10], [0.20]])
    out = np.empty((BUILT_IN.k, 3))
    engine.evaluate(p, rates, np.array([COL["discount_rate"]]), n_months, BUILT_IN.kinds,
                    BUILT_IN.fleets, BUILT_IN.pair, np.arange(BUILT_IN.k, dtype=np.int64), out)
    assert np.all(out[BUILT_IN.out["npv_colocation"]] == out[BUILT_IN.out["npv_colocation"], 0])
    assert out[BUILT_IN.out["npv_colocation"], 0] == pytest.approx(npv["colocation"], rel=1e-12)
    assert np.all(np.diff(out[BUILT_IN.out["npv_gpuaas"]]) != 0.0)


def test_a_sweep_over_prices_and_sites_shares_the_time_shape():
    """Only scale inputs vary (what a sweep varies most): every block uses the first
    scenario's time shape; the cap on the fleet's share still applies scenario by scenario
    (utility power up to 1 GW at a low, falling difficulty)."""
    n_months = 60
    p = base()
    p[COL["difficulty"]] = 3e11
    p[COL["difficulty_growth"]] = -0.05
    rng = np.random.default_rng(12)
    n = MANY
    draws = {
        "utility_power": 10.0 ** rng.uniform(5, 9, n),
        "btc_price": rng.uniform(2e4, 2e5, n),
        "power_price": p[COL["power_price"]] * rng.uniform(0.2, 3, n),
        "gpu_hour_price": p[COL["gpu_hour_price"]] * rng.uniform(0.2, 3, n),
        "colocation_rate": p[COL["colocation_rate"]] * rng.uniform(0.2, 3, n),
        "miner_hashrate": p[COL["miner_hashrate"]] * rng.uniform(0.2, 3, n),
        "white_space": np.where(rng.random(n) < 0.5, np.nan, rng.uniform(100, 1e5, n)),
        "pue_mine": rng.uniform(1, 1.5, n),
        "utilization": rng.uniform(0, 1, n),
    }
    names = list(draws)
    varied = np.column_stack(list(draws.values()))
    idx = np.array([COL[name] for name in names], dtype=np.int64)
    assert not set(names) & set(engine.SHAPE_PARAMS)
    out = np.empty((FOUR.k, n))
    engine.evaluate(p, varied, idx, n_months, FOUR.kinds, FOUR.fleets, FOUR.pair,
                    np.arange(FOUR.k, dtype=np.int64), out, threads=3)
    ref = evaluate_numpy(p, varied, idx, n_months, FOUR.kinds, FOUR.fleets, FOUR.pair)
    R = np.tile(p, (n, 1))
    R[:, idx] = varied
    assert_close(out, ref, FOUR, p=R)
    # the cap bound in some scenarios and not in others
    d_fleet = out[FOUR.out["hashrate_mine"]] * p[COL["uptime"]] * 600.0 / cf.HASHES_PER_DIFFICULTY
    d_end = p[COL["difficulty"]] * (1 + p[COL["difficulty_growth"]]) ** (n_months - 1)
    assert (d_fleet > d_end).any() and (d_fleet < d_end).any()


# --- 2. the fast path (basis sums) against the monthly path (lines) ------------------------------


def _check_lines_against_row(lines, row, p, slots, n_months, paths=NO_PATHS):
    """The outputs of a scenario from its monthly lines: sums, discounted sums, the cash-flow
    identity month by month, the breakevens."""
    out = slots.out
    L = LINE

    def rate(o):  # the slot's kind's own rate, or the market's
        own = p[COL[f"discount_rate_{engine.KINDS[slots.kinds[o]]}"]]
        return p[COL["discount_rate"]] if math.isnan(own) else own

    def disc(o):
        return (1.0 + rate(o)) ** (-np.arange(n_months) / 12.0)

    money = max(np.abs(lines[:, :, [L["revenue"], L["capex_it"], L["capex_facility"],
                                    L["residual"]]]).sum(axis=1).max(), 1.0)
    tol = dict(rel=1e-10, abs=1e-12 * money)
    for o, name in enumerate(slots.names):
        x = lines[o]
        opex = sum(x[:, L[k]] for k in engine.OPEX_LINES)
        ebitda = x[:, L["revenue"]] - opex - x[:, L["sga"]]
        # the income tax on EBITDA less the tax depreciation plus the residual value (not on
        # the post-horizon value the last month's residual carries under dcf)
        taxed = ebitda - x[:, L["tax_depreciation"]] + x[:, L["residual"]]
        tax = p[COL["tax_rate"]] * taxed
        if p[COL["terminal_value"]] != engine.TV_DCF:
            np.testing.assert_allclose(x[:, L["income_tax"]], tax, rtol=1e-12,
                                       atol=1e-9 * np.abs(taxed).max(initial=1.0))
        flow = (ebitda - x[:, L["capex_it"]] - x[:, L["capex_facility"]] + x[:, L["residual"]]
                + x[:, L["prepayment"]] - x[:, L["income_tax"]])
        np.testing.assert_allclose(x[:, L["cash_flow"]], flow, rtol=1e-12,
                                   atol=1e-9 * np.abs(flow).max(initial=1.0))
        assert row[out[f"revenue_{name}"]] == pytest.approx(x[:, L["revenue"]].sum(), **tol)
        assert row[out[f"noi_{name}"]] == pytest.approx((x[:, L["revenue"]] - opex).sum(), **tol)
        assert row[out[f"ebitda_{name}"]] == pytest.approx(
            (x[:, L["revenue"]] - opex - x[:, L["sga"]]).sum(), **tol)
        assert row[out[f"capex_{name}"]] == pytest.approx(
            (x[:, L["capex_it"]] + x[:, L["capex_facility"]]).sum(), **tol)
        npv = row[out[f"npv_{name}"]]
        assert npv == pytest.approx((x[:, L["cash_flow"]] * disc(o)).sum(), **tol)
        assert npv == pytest.approx(cf.npv(x[:, L["cash_flow"]].copy(), rate(o)), **tol)
        # SG&A is its share of revenue, GPU hours at the merchant price at theirs; the
        # residual value only in the last month, or under dcf when the fleet retires
        sga = p[COL["sga_share"]] * x[:, L["revenue"]]
        if slots.kinds[o] == engine.GPUAAS:
            merchant = x[:, L["price_volume"]] * p[COL["gpu_hour_price"]]
            sga = sga + (p[COL["sga_share_merchant"]] - p[COL["sga_share"]]) * merchant
        np.testing.assert_allclose(x[:, L["sga"]], sga, rtol=1e-10,
                                   atol=1e-12 * np.abs(x[:, L["revenue"]]).max(initial=1.0))
        residual = x[:-1, L["residual"]].copy()
        if p[COL["terminal_value"]] == engine.TV_DCF:
            end = _start(p, slots, o) + _life(p)
            residual[min(end - 1, n_months - 1):] = 0.0
        assert not residual.any()
        assert np.all(x[:, L["revenue"]] >= 0) and np.all(x[:, L["volume"]] >= 0)
    mine = [o for o, kind in enumerate(slots.kinds) if kind == engine.MINE][0]
    assert row[out["btc_mined"]] == pytest.approx(lines[mine][:, L["volume"]].sum(), rel=1e-10)
    a, g = slots.pair
    gap = row[out[f"npv_{slots.names[g]}"]] - row[out[f"npv_{slots.names[a]}"]]
    assert row[out["npv_gpuaas_minus_mine"]] == pytest.approx(gap, **tol)
    keep = (1.0 - p[COL["sga_share"]]) * (1.0 - p[COL["tax_rate"]])
    slope = keep * (lines[a][:, L["price_volume"]] * disc(a)).sum()
    beyond = p[COL["terminal_value"]] == engine.TV_DCF and max(
        _start(p, slots, o) + _life(p) for o in range(len(slots.names))) > n_months
    if beyond or p[COL["miner_shutdown"]] or p[COL["difficulty_model"]]:
        # months valued past the horizon move the slope, months that switch off or a network
        # that follows the price bend the NPV: at the breakeven the gap is 0
        breakeven = row[out["breakeven_btc_price"]]
        if math.isfinite(breakeven):
            q = p.copy()
            q[COL["btc_price"]] = breakeven
            _, at = monthly(q, n_months, slots, paths, lines=False)
            scale = max(money, abs(at[out[f"npv_{slots.names[a]}"]]), abs(slope * breakeven))
            assert at[out["npv_gpuaas_minus_mine"]] == pytest.approx(0.0, abs=1e-8 * scale)
    elif slope > 0:
        assert row[out["breakeven_btc_price"]] == pytest.approx(
            p[COL["btc_price"]] + gap / slope, rel=1e-9, abs=1e-9 * p[COL["btc_price"]])
    else:
        assert math.isnan(row[out["breakeven_btc_price"]])


def _start(p, slots, o):
    # the first operating month of slot o
    build = "mining_build_period" if slots.fleets[o] == engine.FLEET_MINING else "build_period"
    return round(p[COL[build]] / S)


def _life(p):
    # the fleet's operating months (its IT's useful life, rounded up)
    return max(1, math.ceil(p[COL["useful_life_it"]] / S - 1e-9))


@settings(max_examples=50)
@given(st.sampled_from(HORIZONS).flatmap(lambda n: st.tuples(st.just(n), scenarios(n))))
def test_monthly_lines_equal_the_fast_path(case):
    n_months, p = case
    for slots in (FOUR, SHUFFLED):
        lines, row = monthly(p, n_months, slots)
        assert_close(row, run(p, n_months, slots)[:, 0], slots, p=p)
        # the same scenario without lines: the basis sums of one scenario
        _, row_sums = monthly(p, n_months, slots, lines=False)
        assert_close(row_sums, row, slots, p=p)
        _check_lines_against_row(lines, row, p, slots, n_months)


def test_monthly_lines_of_the_built_in_case():
    """The built-in case, 5 years: the lines give every output, and depreciation is straight
    line (each slot depreciates its whole capex over its life, none before it opens)."""
    p = base()
    n_months = 60
    lines, row = monthly(p, n_months, BUILT_IN)
    assert_close(row, run(p, n_months, BUILT_IN)[:, 0], BUILT_IN, p=p)
    _check_lines_against_row(lines, row, p, BUILT_IN, n_months)
    # over 100 years each slot depreciates all it spent (book), or all but the facility's
    # book value when its fleet retires, counted then (dcf; residual_value 1)
    assert p[COL["residual_value"]] == 1.0
    long = 1200
    for mode in (engine.TV_BOOK, engine.TV_DCF):
        p[COL["terminal_value"]] = mode
        lines, row = monthly(p, long, BUILT_IN)
        for o in range(len(BUILT_IN.names)):
            x = lines[o]
            spent = x[:, LINE["capex_it"]].sum() + x[:, LINE["capex_facility"]].sum()
            kept = x[:, LINE["residual"]].sum()
            assert x[:, LINE["depreciation"]].sum() + kept == pytest.approx(spent, rel=1e-12)
            assert (kept == 0.0) == (mode == engine.TV_BOOK)  # nothing left on the books
    for o, name in enumerate(BUILT_IN.names):
        x = lines[o]
        spent = x[:, LINE["capex_it"]].sum() + x[:, LINE["capex_facility"]].sum()
        start = round(p[COL["mining_build_period" if o == 0 else "build_period"]] / S)
        assert not x[:start, LINE["depreciation"]].any()
        assert row[BUILT_IN.out[f"capex_{name}"]] == pytest.approx(spent)


# --- 3. the fleet's share of the network is at most 1 -------------------------------------------


@settings(max_examples=50)
@given(n_months=st.sampled_from(HORIZONS), p=scenarios(61), ratio=_log(1e-4, 30.0),
       growth=_f(-0.25, 0.02), start=st.integers(0, 13), slots=st.sampled_from([FOUR, SHUFFLED]))
def test_the_fleet_never_mines_more_than_the_network(n_months, p, ratio, growth, start, slots):
    """The month-0 difficulty at ``ratio`` times the fleet's own (the difficulty at which the
    fleet would be the whole network), falling or flat: BTC a month never exceeds the month's
    4,383 blocks' reward less the pool fee, and equals it where the trend is at or below the
    fleet's own difficulty."""
    p[COL["mining_build_period"]] = start * S
    p[COL["difficulty_growth"]] = growth
    p[COL["miner_shutdown"]] = 0.0  # every month mines (a falling price would stop some)
    p[COL["difficulty_model"]] = engine.DM_TREND  # the trend this test draws
    hashrate = run(p, n_months, slots)[slots.out["hashrate_mine"], 0]
    d_fleet = (hashrate * p[COL["uptime"]] * p[COL["mining_weather_uptime"]] * 600.0
               / cf.HASHES_PER_DIFFICULTY)
    note(f"d_fleet={d_fleet}")
    if d_fleet > 0:
        p[COL["difficulty"]] = ratio * d_fleet
    lines, row = monthly(p, n_months, slots)
    mine = list(slots.kinds).index(engine.MINE)
    btc = lines[mine][:, LINE["volume"]]
    h0 = int(p[COL["block_height"]])
    reward = cf.month_subsidy_numpy(h0, n_months) + p[COL["fees_per_block"]]
    most = BLOCKS * reward * (1.0 - p[COL["pool_fee"]])
    assert np.all(btc <= most * (1 + 1e-12))
    m = np.arange(n_months)
    trend = p[COL["difficulty"]] * (1 + growth) ** m
    capped = (m >= start) & (m < start + _life(p)) & (trend <= d_fleet) & (d_fleet > 0)
    np.testing.assert_allclose(btc[capped], most[capped], rtol=1e-12)
    np.testing.assert_allclose(btc[m < start], 0.0)
    # the engine (fast path, with its per-scenario cap check), the twin and the lines agree
    assert_close(run(p, n_months, slots)[:, 0], row, slots, p=p)
    assert_close(twin(p, n_months, slots)[:, 0], row, slots, p=p)
    assert row[slots.out["btc_mined"]] <= most.sum() * (1 + 1e-12)


def test_a_fleet_larger_than_the_network_mines_every_block():
    """1 GW of miners at difficulty 1: the fleet is the network and earns each block's reward
    (the built-in height 922,368: 3.125 BTC until the halving in month 29, then the mix, then
    1.5625), less the pool fee, whatever the hash rate."""
    p = base()
    p[COL["utility_power"]] = 1e9
    p[COL["difficulty"]] = 1.0
    n_months = 60
    lines, row = monthly(p, n_months, BUILT_IN)
    btc = lines[0][:, LINE["volume"]]
    fees, keep = p[COL["fees_per_block"]], 1 - p[COL["pool_fee"]]
    assert btc[0] == pytest.approx(BLOCKS * (3.125 + fees) * keep, rel=1e-13)
    assert btc[29] == pytest.approx((525 * 3.125 + 3858 * 1.5625 + BLOCKS * fees) * keep,
                                    rel=1e-13)
    assert btc[30] == pytest.approx(BLOCKS * (1.5625 + fees) * keep, rel=1e-13)
    # twice the hash rate mines no more
    p2 = p.copy()
    p2[COL["miner_hashrate"]] *= 2
    assert monthly(p2, n_months, BUILT_IN)[0][0][:, LINE["volume"]] == pytest.approx(btc,
                                                                                   rel=1e-13)
    assert_close(run(p, n_months, BUILT_IN)[:, 0], row, BUILT_IN, p=p)
    assert_close(twin(p, n_months, BUILT_IN)[:, 0], row, BUILT_IN, p=p)


# --- 4. Monte Carlo paths ------------------------------------------------------------------------


def _random_paths(rng, n, n_months):
    """Five float64[n, n_months] rows: log random walks for the BTC price, the difficulty
    (falling and rising) and the GPU-hour price; utilization 0x to 2x (capped at 1 after the
    multiplier); the colocation tenant's default month (0 to past the horizon, or never), the
    same in every column."""
    walks = [np.exp(np.cumsum(rng.normal(0.0, s, (n, n_months)), axis=1))
             for s in (0.1, 0.3, 0.05)]
    default = np.where(rng.random(n) < 0.2, np.inf, rng.uniform(0.0, n_months + 5, n))
    return walks + [rng.uniform(0.0, 2.0, (n, n_months)),
                    np.repeat(default[:, None], n_months, axis=1)]


@settings(max_examples=40)
@given(st.sampled_from(HORIZONS).flatmap(lambda n: st.tuples(st.just(n), scenarios(n))),
       st.integers(0, 2 ** 32 - 1))
def test_paths_scenario_lines_equal_the_twin(case, seed):
    n_months, p = case
    paths = _random_paths(np.random.default_rng(seed), 1, n_months)
    one = np.stack([a[0] for a in paths])
    for slots in (FOUR, SHUFFLED):
        ref = twin(p, n_months, slots, paths=paths)[:, 0]
        lines, row = monthly(p, n_months, slots, one)
        assert_close(row, ref, slots, p=p)
        _check_lines_against_row(lines, row, p, slots, n_months, one)
        # without lines: the slots that read the paths re-sum their own entries
        assert_close(monthly(p, n_months, slots, one, lines=False)[1], ref, slots, p=p)


@settings(max_examples=40)
@given(st.sampled_from(HORIZONS).flatmap(lambda n: st.tuples(st.just(n), scenarios(n))))
def test_all_ones_paths_equal_no_paths(case):
    n_months, p = case
    ones = np.ones((4, n_months))
    for slots in (FOUR, SHUFFLED):
        fast = run(p, n_months, slots)[:, 0]
        assert_close(monthly(p, n_months, slots, ones)[1], fast, slots, rtol=1e-12, p=p)
        assert_close(monthly(p, n_months, slots, ones, lines=False)[1], fast, slots,
                     rtol=1e-12, p=p)
        ref = twin(p, n_months, slots, paths=[np.ones((1, n_months))] * 4)
        assert_close(ref, twin(p, n_months, slots), slots, rtol=1e-12, p=p)


def test_paths_multiply_what_they_should():
    """Each multiplier scales its own line: x2 BTC price doubles mining revenue, not BTC;
    x4 difficulty quarters BTC (far from the cap); x0.5 GPU-hour price halves GPU revenue;
    x2 utilization is capped at 1; colocation reads no path."""
    p = base()
    p[COL["miner_shutdown"]] = 0.0  # every month mines (a price path decides none)
    n = 60
    o = BUILT_IN.out
    ones = np.ones((4, n))
    _, ref = monthly(p, n, BUILT_IN, ones, lines=False)

    def with_path(j, factor):
        paths = ones.copy()
        paths[j] = factor
        return monthly(p, n, BUILT_IN, paths, lines=False)[1]

    out = with_path(0, 2.0)
    assert out[o["revenue_mine"]] == pytest.approx(2 * ref[o["revenue_mine"]], rel=1e-13)
    assert out[o["btc_mined"]] == pytest.approx(ref[o["btc_mined"]], rel=1e-13)
    out = with_path(1, 4.0)
    assert out[o["btc_mined"]] == pytest.approx(ref[o["btc_mined"]] / 4, rel=1e-13)
    out = with_path(2, 0.5)
    assert out[o["revenue_gpuaas"]] == pytest.approx(ref[o["revenue_gpuaas"]] / 2, rel=1e-13)
    out = with_path(3, 2.0)
    u = p[COL["utilization"]]
    assert out[o["revenue_gpuaas"]] == pytest.approx(ref[o["revenue_gpuaas"]] / u, rel=1e-13)
    for j in range(4):
        out = with_path(j, 3.0)
        assert out[o["npv_colocation"]] == ref[o["npv_colocation"]]
    # a path that moves month by month: mining revenue is the trend's, month by month, times
    # price over difficulty
    rng = np.random.default_rng(2)
    paths = ones.copy()
    paths[0] = np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    paths[1] = np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    trend, _ = monthly(p, n, BUILT_IN)
    lines, out = monthly(p, n, BUILT_IN, paths)
    np.testing.assert_allclose(lines[0][:, LINE["revenue"]],
                               trend[0][:, LINE["revenue"]] * paths[0] / paths[1], rtol=1e-13)
    assert out[o["npv_mine"]] != pytest.approx(ref[o["npv_mine"]])


# --- 5. months by hand ---------------------------------------------------------------------------


def _hand_case():
    """Round numbers for every option: 18 MW; miners of 5 kW and 400 TH/s at PUE 1.25 (2,880
    fit), built in 2 months; GPU systems of 100 kW (90 kW typical, 72 GPUs) at PUE 1.25 (144
    fit), built in 3 months; PUE 1.25 is the design hour's (it sizes the fleets and sets the
    demand charge), 1.1 the year's (it prices the energy); no floor or heat constraint; book value at the horizon; pre-tax
    (no income, sales or property tax: :func:`test_taxes_by_hand` adds them); no warranty
    (:func:`test_it_maintenance_waits_for_the_warranty_by_hand` adds one); a colocation
    tenant that never defaults (:func:`test_a_tenant_that_may_default_by_hand`)."""
    p = base()
    kw_month = 1.0 / (1000.0 * S)  # USD/kW/month -> USD/(W*s)
    values = {
        "utility_power": 18e6, "pue_mine": 1.25, "pue_gpu": 1.25, "white_space": math.nan,
        "energy_pue_mine": 1.1, "energy_pue_gpu": 1.1, "mining_weather_uptime": 1.0,
        "floor_load_limit": math.nan, "heat_rejection_capacity": math.nan,
        "miner_power": 5000.0, "miner_hashrate": 400e12,
        "gpu_power_max": 100e3, "gpu_power_typical": 90e3, "gpus_per_unit": 72.0,
        "btc_price": 100_000.0, "difficulty": 1.5e14, "fees_per_block": 0.03,
        "block_height": 840_000.0, "difficulty_growth": 0.02, "btc_price_growth": 0.1,
        "pool_fee": 0.02, "uptime": 0.95,
        "power_price": 40.0 / 3.6e9, "demand_charge": 6.0 * kw_month,
        "power_price_growth": 0.05,
        "gpu_hour_price": 3.0 / 3600.0, "gpu_system_price": 3e6, "gpu_price_decline": 0.2,
        "utilization": 0.8, "gpu_idle_power_share": 0.3, "installation_per_gpu": 1750.0,
        "staff_per_1000_gpus": 4.0, "network_software": 20.0 / S, "build_period": 3 * S,
        "colocation_rate": 100.0 * kw_month, "colocation_escalator": 0.03,
        "colocation_opex_share": 0.15,
        "facility_capex": 5.0, "miner_price": 15e-12, "mining_facility_capex": 0.5,
        "mining_build_period": 2 * S,
        "staff_cost": 120_000.0 / (12 * S), "mining_staff_per_mw": 0.5e-6,
        "maintenance_it": 0.08, "maintenance_facility": 0.02, "insurance": 0.012,
        "sga_share": 0.01, "discount_rate": 0.1,
        "useful_life_it": 36 * S, "useful_life_facility": 120 * S, "residual_value": 0.5,
        "terminal_value": float(engine.TV_BOOK), "tax_rate": 0.0, "sales_tax": 0.0,
        "property_tax": 0.0, "miner_warranty": 0.0, "gpu_warranty": 0.0,
        "tenant_default_rate": 0.0,
    }
    for name, value in values.items():
        p[COL[name]] = value
    return p


HAND_MONTHS = 30


def _assert_line(x, name, expected, rel=1e-12):
    np.testing.assert_allclose(x[:, LINE[name]], expected, rtol=rel, atol=1e-9, err_msg=name)


def test_colocation_by_hand():
    """144 GPU systems = 14.4 MW of IT at 100 USD/kW/month: 1.44 M USD a month from month 3
    (the build), 3 % more from each lease anniversary (months 15 and 27); the operator keeps
    15 %, SG&A 1 %. Facility 5 USD/W x 18 MW = 90 M USD, 30 M in each build month,
    depreciated over 120 months from month 3; half its book value back in month 29."""
    p = _hand_case()
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[2]
    m = np.arange(HAND_MONTHS)
    on = m >= 3
    step = np.where(m >= 27, 1.03 ** 2, np.where(m >= 15, 1.03, 1.0))
    revenue = np.where(on, 1.44e6 * step, 0.0)
    _assert_line(x, "revenue", revenue)
    _assert_line(x, "volume", np.where(on, 14.4e6 * S, 0.0))
    _assert_line(x, "price_volume", np.where(on, 14.4e6 * S * step, 0.0))
    _assert_line(x, "operator", 0.15 * revenue)
    _assert_line(x, "sga", 0.01 * revenue)
    capex = np.where(m < 3, 30e6, 0.0)
    _assert_line(x, "capex_facility", capex)
    _assert_line(x, "depreciation", np.where(on, 90e6 / 120, 0.0))
    residual = np.where(m == 29, 0.5 * 90e6 * (1 - 27 / 120), 0.0)
    _assert_line(x, "residual", residual)
    for name in ("capex_it", "energy", "energy_weight", "power", "staff", "maintenance",
                 "insurance", "network_software"):
        assert not x[:, LINE[name]].any(), name  # the tenant brings the IT and pays the power
    flow = 0.84 * revenue - capex + residual
    _assert_line(x, "cash_flow", flow)
    o = BUILT_IN.out
    assert row[o["units_gpu"]] == 144 and row[o["gpu_count"]] == 144 * 72
    assert row[o["it_power_gpu"]] == pytest.approx(14.4e6, rel=1e-15)
    assert row[o["revenue_colocation"]] == pytest.approx(
        1.44e6 * (12 + 12 * 1.03 + 3 * 1.03 ** 2), rel=1e-12)
    assert row[o["noi_colocation"]] == pytest.approx(0.85 * revenue.sum(), rel=1e-12)
    assert row[o["ebitda_colocation"]] == pytest.approx(0.84 * revenue.sum(), rel=1e-12)
    assert row[o["capex_colocation"]] == pytest.approx(90e6, rel=1e-12)
    assert row[o["npv_colocation"]] == pytest.approx(np.sum(flow * 1.1 ** (-m / 12)), rel=1e-11)


def test_colocation_terminal_value_by_hand():
    """The hand case's colocation under ``dcf``: the lease runs the IT's 36 months, months 3
    to 38, so months 30-38 come after the 30-month horizon. Their cash flow, 84 % of a rent
    escalated twice (1.44 M USD x 1.03^2), and in month 38 half the facility's book value
    (90 M USD x (1 - 36/120)), discounted to month 29, is the last month's residual value;
    the NPV is the same over 30, 39 or 60 months (a horizon past the fleet's end adds idle
    months), and under ``zero`` it is the horizon's cash flow alone."""
    p = _hand_case()
    p[COL["terminal_value"]] = engine.TV_DCF
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[2]
    m = np.arange(30, 39)
    after = 0.84 * 1.44e6 * 1.03 ** 2 * np.ones(9)
    after[-1] += 0.5 * 90e6 * (1 - 36 / 120)
    at_horizon = np.sum(after * 1.1 ** (-(m - 29) / 12))
    residual = np.zeros(HAND_MONTHS)
    residual[29] = at_horizon
    _assert_line(x, "residual", residual)
    npv = row[BUILT_IN.out["npv_colocation"]]
    months = np.arange(HAND_MONTHS)
    assert npv == pytest.approx(np.sum(x[:, LINE["cash_flow"]] * 1.1 ** (-months / 12)),
                                rel=1e-12)
    for n in (39, 60):
        assert monthly(p, n, BUILT_IN)[1][BUILT_IN.out["npv_colocation"]] == pytest.approx(
            npv, rel=1e-12)
    p[COL["terminal_value"]] = engine.TV_ZERO
    zero = monthly(p, HAND_MONTHS, BUILT_IN)[1][BUILT_IN.out["npv_colocation"]]
    assert zero == pytest.approx(npv - at_horizon * 1.1 ** (-29 / 12), rel=1e-12)


def test_taxes_by_hand():
    """The hand case at a 25 % income tax and a 1 % property tax.

    Colocation (the facility only, 90 M USD in service from month 3, sold at half its book
    value in month 29): by MACRS its 15-year shares 5 % and 9.5 % (IRS Publication 946, table
    A-1) spread over recovery years 1 (months 3-14) and 2 (15-26), and year 3's 8.55 % for
    months 27 and 28; in month 29 all that is left, 84.075 %. The tax is 25 % of EBITDA
    (84 % of the rent) less that deduction plus the sale. With 100 % bonus depreciation all
    90 M USD is deducted in month 3; straight line, 1/120 a month and in month 29 the rest
    (94/120). The tenant pays the property tax on its own IT; colocation pays none here.

    GPU-as-a-service (systems 432 M USD with 8 % sales tax, and 18.144 M USD installation)
    at 40 % bonus: in month 3, 40 % of the equipment and 60 % of the 5-year MACRS 20 %
    spread over twelve months; the property tax is 1 %/12 of the straight-line book value
    (36 months for the IT, 120 for the facility) at the start of each operating month."""
    p = _hand_case()
    p[COL["tax_rate"]] = 0.25
    p[COL["property_tax"]] = 0.01
    p[COL["tax_depreciation"]] = engine.TD_MACRS
    m = np.arange(HAND_MONTHS)
    rent = np.where(m >= 3, 1.44e6 * np.where(m >= 27, 1.03 ** 2, np.where(m >= 15, 1.03, 1.0)),
                    0.0)
    residual = np.where(m == 29, 0.5 * 90e6 * (1 - 27 / 120), 0.0)
    schedules = {
        engine.TD_MACRS: np.select([m < 3, m < 15, m < 27, m < 29, m == 29],
                                   [0.0, 0.05 / 12, 0.095 / 12, 0.0855 / 12, 0.84075]),
        engine.TD_BONUS: np.where(m == 3, 1.0, 0.0),
        engine.TD_STRAIGHT_LINE: np.select([m < 3, m < 29], [0.0, 1 / 120], 94 / 120),
    }
    for method, shares in schedules.items():
        p[COL["tax_depreciation"]] = method
        p[COL["bonus_depreciation"]] = 1.0
        x = monthly(p, HAND_MONTHS, BUILT_IN)[0][2]
        _assert_line(x, "tax_depreciation", 90e6 * shares)
        assert x[:, LINE["tax_depreciation"]].sum() == pytest.approx(90e6, rel=1e-12)
        tax = 0.25 * (0.84 * rent - 90e6 * shares + residual)
        _assert_line(x, "income_tax", tax)
        _assert_line(x, "property_tax", np.zeros(HAND_MONTHS))
        _assert_line(x, "cash_flow", 0.84 * rent - np.where(m < 3, 30e6, 0.0) + residual - tax)

    p[COL["tax_depreciation"]] = engine.TD_BONUS
    p[COL["bonus_depreciation"]] = 0.4
    p[COL["sales_tax"]] = 0.08
    x = monthly(p, HAND_MONTHS, BUILT_IN)[0][1]
    equipment = 432e6 * 1.08 + 10_368 * 1750.0
    _assert_line(x, "capex_it", np.where(m == 3, equipment, 0.0))
    assert x[3, LINE["tax_depreciation"]] == pytest.approx(
        equipment * (0.4 + 0.6 * 0.20 / 12) + 90e6 * (0.4 + 0.6 * 0.05 / 12), rel=1e-12)
    on = m >= 3
    book = equipment * (1 - (m - 3) / 36) + 90e6 * (1 - (m - 3) / 120)
    _assert_line(x, "property_tax", np.where(on, 0.01 / 12 * book, 0.0))


def test_mining_by_hand():
    """2,880 miners = 1.152 EH/s from month 2 at 95 % uptime and a 2 % pool fee, subsidy
    3.125 + 0.03 fees (height 840,000: no halving within 30 months), difficulty 1.5e14 growing
    2 % a month, BTC at 100,000 USD growing 10 % a year; 14.4 MW of IT (energy at the year's
    PUE 1.1, the demand charge on the design hour's 1.25: 18 MW) for
    40 USD/MWh and 6 USD/kW/month, both growing 5 % a year; 7.2 staff at 120,000 USD a year;
    miners 15 USD/(TH/s) = 17.28 M USD in month 2, facility 0.5 USD/W = 9 M USD over months 0
    and 1."""
    p = _hand_case()
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[0]
    m = np.arange(HAND_MONTHS)
    on = m >= 2
    hashrate = 2880 * 400e12
    btc = np.where(on, hashrate * 0.95 * 0.98 * S * 3.155
                   / (1.5e14 * 1.02 ** m * 2.0 ** 32), 0.0)
    _assert_line(x, "volume", btc)
    _assert_line(x, "revenue", btc * 100_000.0 * 1.1 ** (m / 12))
    grow = 1.05 ** (m / 12)
    energy = np.where(on, 14.4e6 * 1.1 * 0.95 * S, 0.0)
    _assert_line(x, "energy", energy)
    _assert_line(x, "power", energy * 40 / 3.6e9 * grow + np.where(on, 18e6 * 6 / 1000, 0) * grow)
    _assert_line(x, "staff", np.where(on, 7.2 * 10_000.0, 0.0))
    equipment, facility = 17.28e6, 9e6
    _assert_line(x, "maintenance", np.where(on, (0.08 * equipment + 0.02 * facility) / 12, 0))
    _assert_line(x, "insurance", np.where(on, 0.012 * (equipment + facility) / 12, 0.0))
    _assert_line(x, "capex_it", np.where(m == 2, equipment, 0.0))
    _assert_line(x, "capex_facility", np.where(m < 2, facility / 2, 0.0))
    _assert_line(x, "depreciation", np.where(on, equipment / 36 + facility / 120, 0.0))
    _assert_line(x, "residual", np.where(
        m == 29, 0.5 * (equipment * (1 - 28 / 36) + facility * (1 - 28 / 120)), 0.0))
    o = BUILT_IN.out
    assert row[o["units_mine"]] == 2880
    assert row[o["hashrate_mine"]] == pytest.approx(hashrate, rel=1e-15)
    assert row[o["btc_mined"]] == pytest.approx(btc.sum(), rel=1e-12)


def test_the_hours_the_mining_hall_cannot_cool_by_hand():
    """``mining_weather_uptime`` 0.98 (the mining hall's plant holds the supply in 98 % of the
    weather year's hours; the miners curtail in the rest): the hand case's BTC and energy are
    98 % of the full year's, the demand charge (on the peak) and the fixed costs are not."""
    p = _hand_case()
    full = monthly(p, HAND_MONTHS, BUILT_IN)[0][0]
    p[COL["mining_weather_uptime"]] = 0.98
    x = monthly(p, HAND_MONTHS, BUILT_IN)[0][0]
    for name in ("volume", "revenue", "energy"):
        _assert_line(x, name, 0.98 * full[:, LINE[name]])
    m = np.arange(HAND_MONTHS)
    demand = np.where(m >= 2, 18e6 * 6 / 1000, 0) * 1.05 ** (m / 12)
    _assert_line(x, "power", 0.98 * (full[:, LINE["power"]] - demand) + demand)
    for name in ("staff", "maintenance", "insurance"):
        _assert_line(x, name, full[:, LINE[name]])


def test_an_existing_mining_fleet_by_hand():
    """``mining_existing``: the hand case's miners and facility are the site's already. No
    capex, no depreciation, no residual value: mining's cash flow is its EBITDA, with the
    same maintenance and insurance (on the fleet's and facility's value) as a bought fleet;
    the other options do not change."""
    p = _hand_case()
    bought = monthly(p, HAND_MONTHS, BUILT_IN)[0]
    p[COL["mining_existing"]] = 1.0
    kept, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = kept[0]
    for name in ("capex_it", "capex_facility", "depreciation", "residual"):
        assert not x[:, LINE[name]].any(), name
    for name in ("revenue", "power", "staff", "maintenance", "insurance"):
        _assert_line(x, name, bought[0][:, LINE[name]])
    ebitda = x[:, LINE["revenue"]] - sum(x[:, LINE[k]] for k in engine.OPEX_LINES) \
        - x[:, LINE["sga"]]
    _assert_line(x, "cash_flow", ebitda)
    np.testing.assert_array_equal(kept[1:], bought[1:])


def _tenant_at_risk(p, slot):
    """Slot ``slot``'s monthly lines of the hand case ``p`` with a tenant that never defaults,
    then with one that defaults at 10 % a year and leaves 40 % of the rent (``p`` keeps
    those)."""
    before = monthly(p, HAND_MONTHS, BUILT_IN)[0][slot]
    p[COL["tenant_default_rate"]] = 0.1
    p[COL["tenant_recovery"]] = 0.4
    return before, monthly(p, HAND_MONTHS, BUILT_IN)[0][slot]


def test_a_tenant_that_may_default_by_hand():
    """The hand case's colocation tenant defaults with 10 % probability a year from its
    lease's start (month 3) and 40 % of the rent is still earned after: lease month k earns
    0.4 + 0.6 x 0.9^(k/12) of the rent in expectation; a path whose tenant defaults in lease
    month 7.5 pays in full through lease month 7 and 40 % from lease month 8 on. The
    operator's share and SG&A follow the rent; nothing else moves."""
    p = _hand_case()
    before, x = _tenant_at_risk(p, 2)
    m = np.arange(HAND_MONTHS)
    k = np.maximum(m - 3, 0)
    pays = 0.4 + 0.6 * 0.9 ** (k / 12)
    rent = before[:, LINE["revenue"]]
    _assert_line(x, "revenue", rent * pays)
    _assert_line(x, "operator", 0.15 * rent * pays)
    _assert_line(x, "sga", 0.01 * rent * pays)
    _assert_line(x, "volume", before[:, LINE["volume"]])  # the space stays let
    _assert_line(x, "cash_flow", before[:, LINE["cash_flow"]] - 0.84 * rent * (1 - pays))
    paths = np.ones((engine.N_PATH_ROWS, HAND_MONTHS))
    paths[engine.P_DEFAULT] = 7.5
    on_path = monthly(p, HAND_MONTHS, BUILT_IN, paths)[0][2]
    _assert_line(on_path, "revenue", rent * np.where(k < 7.5, 1.0, 0.4))
    paths[engine.P_DEFAULT] = np.inf
    _assert_line(monthly(p, HAND_MONTHS, BUILT_IN, paths)[0][2], "revenue", rent)


def test_it_maintenance_waits_for_the_warranty_by_hand():
    """Miners under a 5-month warranty, GPU systems under 12: IT maintenance (8 % a year of
    the IT capex) starts 5 months after the miners' first operating month (2), 12 after the
    GPU systems' (3); the facility's (2 % a year) from the first operating month. The cash
    flow (pre-tax) moves by exactly the maintenance saved, nothing else moves, and a mining
    fleet the site keeps has no warranty left."""
    p = _hand_case()
    before = monthly(p, HAND_MONTHS, BUILT_IN)[0]
    p[COL["miner_warranty"]] = 5 * S
    p[COL["gpu_warranty"]] = 12 * S
    lines = monthly(p, HAND_MONTHS, BUILT_IN)[0]
    m = np.arange(HAND_MONTHS)
    for o, (start, warranty, equipment, facility) in enumerate(
            [(2, 5, 17.28e6, 9e6), (3, 12, 144 * 3e6 + 10_368 * 1750.0, 90e6)]):
        maintenance = (np.where(m >= start, 0.02 * facility / 12, 0.0)
                       + np.where(m >= start + warranty, 0.08 * equipment / 12, 0.0))
        _assert_line(lines[o], "maintenance", maintenance)
        saved = before[o][:, LINE["maintenance"]] - maintenance
        assert saved.sum() == pytest.approx(warranty * 0.08 * equipment / 12, rel=1e-12)
        _assert_line(lines[o], "cash_flow", before[o][:, LINE["cash_flow"]] + saved)
        other = [j for j, name in enumerate(engine.LINES)
                 if name not in ("maintenance", "cash_flow")]
        np.testing.assert_array_equal(lines[o][:, other], before[o][:, other])
    np.testing.assert_array_equal(lines[2], before[2])  # the tenant's IT: no maintenance
    p[COL["mining_existing"]] = 1.0
    kept = monthly(p, HAND_MONTHS, BUILT_IN)[0]
    _assert_line(kept[0], "maintenance", before[0][:, LINE["maintenance"]])


def test_mining_switches_off_by_hand():
    """The hand case's miners at 60 USD/MWh with difficulty growing 5 % a month: a month
    runs while its revenue less 1 % SG&A covers its power (energy and demand charge), by the
    formulas of :func:`test_mining_by_hand`; in the others it mines nothing and buys no power
    but pays staff, maintenance and insurance. The first months run, the later ones do not."""
    p = _hand_case()
    p[COL["power_price"]] = 60.0 / 3.6e9
    p[COL["difficulty_growth"]] = 0.05
    p[COL["miner_shutdown"]] = 1.0
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[0]
    m = np.arange(HAND_MONTHS)
    on = m >= 2
    btc = np.where(on, 2880 * 400e12 * 0.95 * 0.98 * S * 3.155
                   / (1.5e14 * 1.05 ** m * 2.0 ** 32), 0.0)
    revenue = btc * 100_000.0 * 1.1 ** (m / 12)
    grow = 1.05 ** (m / 12)
    power = np.where(on, 14.4e6 * 1.1 * 0.95 * S * 60 / 3.6e9 + 18e6 * 6 / 1000, 0) * grow
    runs = on & (0.99 * revenue >= power)
    assert runs[2:13].all() and not runs[13:].any()  # months 2-12 run (1.63x cover at first)
    _assert_line(x, "volume", np.where(runs, btc, 0.0))
    _assert_line(x, "revenue", np.where(runs, revenue, 0.0))
    _assert_line(x, "power", np.where(runs, power, 0.0))
    _assert_line(x, "staff", np.where(on, 7.2 * 10_000.0, 0.0))  # paid in every month
    # hashing on loses the margin of the months off, and nothing else changes
    p[COL["miner_shutdown"]] = 0.0
    _, hashing = monthly(p, HAND_MONTHS, BUILT_IN)
    loss = ((0.99 * revenue - power) * ~runs * on * 1.1 ** (-m / 12)).sum()
    assert loss < 0
    o = BUILT_IN.out["npv_mine"]
    assert hashing[o] == pytest.approx(row[o] + loss, rel=1e-12)


@settings(max_examples=60)
@given(st.sampled_from(HORIZONS).flatmap(lambda n: st.tuples(st.just(n), scenarios(n))),
       st.integers(0, 2 ** 32 - 1), st.booleans())
def test_switching_off_never_lowers_mining_npv(case, seed, with_paths):
    """Miners that switch off in losing months are worth at least as much as miners that hash
    on, path by path; BTC mined never grows."""
    n_months, p = case
    paths = np.stack([a[0] for a in _random_paths(np.random.default_rng(seed), 1, n_months)]) \
        if with_paths else NO_PATHS
    on, off = p.copy(), p.copy()
    on[COL["miner_shutdown"]], off[COL["miner_shutdown"]] = 1.0, 0.0
    out_on = monthly(on, n_months, FOUR, paths, lines=False)[1]
    out_off = monthly(off, n_months, FOUR, paths, lines=False)[1]
    o = FOUR.out
    scale = 1e-9 * max(abs(out_on[o["npv_mine"]]), abs(out_off[o["npv_mine"]]), 1.0)
    assert out_on[o["npv_mine"]] >= out_off[o["npv_mine"]] - scale
    assert out_on[o["btc_mined"]] <= out_off[o["btc_mined"]] * (1 + 1e-12)


def test_gpuaas_by_hand():
    """144 systems x 72 = 10,368 GPUs from month 3, 80 % sold at 3 USD/GPU-hour declining 20 %
    a year from that first operating month; 90 kW typical at 30 % idle: (0.3 + 0.7 x 0.8) of
    it drawn; 4 staff per 1,000 GPUs; 20 USD/GPU/month network and software; 3 M USD a system
    and 1,750 USD a GPU installed in month 3."""
    p = _hand_case()
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[1]
    m = np.arange(HAND_MONTHS)
    on = m >= 3
    gpus = 10_368
    sold = np.where(on, gpus * S * 0.8, 0.0)
    _assert_line(x, "volume", sold)
    _assert_line(x, "revenue", sold * 3 / 3600 * 0.8 ** (np.maximum(m - 3, 0) / 12))
    energy = np.where(on, 144 * 90e3 * (0.3 + 0.7 * 0.8) * 1.1 * S, 0.0)
    _assert_line(x, "energy", energy)
    grow = 1.05 ** (m / 12)
    _assert_line(x, "power", (energy * 40 / 3.6e9 + np.where(on, 18e6 * 6 / 1000, 0)) * grow)
    _assert_line(x, "staff", np.where(on, 4 * gpus / 1000 * 10_000.0, 0.0))
    _assert_line(x, "network_software", np.where(on, 20.0 * gpus, 0.0))
    equipment = 144 * 3e6 + gpus * 1750.0
    _assert_line(x, "capex_it", np.where(m == 3, equipment, 0.0))
    _assert_line(x, "capex_facility", np.where(m < 3, 30e6, 0.0))
    assert row[BUILT_IN.out["capex_gpuaas"]] == pytest.approx(equipment + 90e6, rel=1e-12)


def test_power_outside_the_racks_by_hand():
    """The same case with 10 kW a system drawn outside the racks (network, storage): 110 kW of
    IT a system, so 18 MW / 1.25 / 110 kW = 130 fit (not 144). Those 10 kW run whatever the
    load: energy 130 x (90 kW x (0.3 + 0.7 x 0.8) + 10 kW) x 1.1; the demand charge on 130 x
    110 kW x 1.25; a colocation tenant leases the 14.3 MW, 1.43 M USD a month."""
    p = _hand_case()
    p[COL["gpu_power_outside"]] = 10e3
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    assert row[BUILT_IN.out["units_gpu"]] == 130
    assert row[BUILT_IN.out["it_power_gpu"]] == pytest.approx(130 * 110e3, rel=1e-15)
    m = np.arange(HAND_MONTHS)
    on = m >= 3
    energy = np.where(on, 130 * (90e3 * (0.3 + 0.7 * 0.8) + 10e3) * 1.1 * S, 0.0)
    _assert_line(lines[1], "energy", energy)
    demand = np.where(on, 130 * 110e3 * 1.25 * 6 / 1000, 0.0)
    _assert_line(lines[1], "power", (energy * 40 / 3.6e9 + demand) * 1.05 ** (m / 12))
    _assert_line(lines[1], "volume", np.where(on, 130 * 72 * S * 0.8, 0.0))
    step = np.where(m >= 27, 1.03 ** 2, np.where(m >= 15, 1.03, 1.0))
    _assert_line(lines[2], "revenue", np.where(on, 1.43e6 * step, 0.0))


def test_gpuaas_utilization_ramp_by_hand():
    """The same case with a 4-month ramp: in its k-th operating month (k = 0, 1, ...) the site
    sells min(1, (k + 1) / 4) of the 80 %, and draws power for what it sells."""
    p = _hand_case()
    p[COL["utilization_ramp"]] = 4 * S
    lines, _ = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[1]
    m = np.arange(HAND_MONTHS)
    k = np.maximum(m - 3, 0)
    share = np.where(m >= 3, 0.8 * np.minimum(1.0, (k + 1) / 4), 0.0)
    _assert_line(x, "volume", 10_368 * S * share)
    _assert_line(x, "revenue", 10_368 * S * share * 3 / 3600 * 0.8 ** (k / 12))
    _assert_line(x, "energy", np.where(m >= 3, 144 * 90e3 * (0.3 + 0.7 * share) * 1.1 * S, 0.0))
    assert x[3, LINE["volume"]] == pytest.approx(10_368 * S * 0.2)  # a quarter of 80 %


def test_gpuaas_contract_tranche_by_hand():
    """Half the 10,368 GPUs on a 12-month take-or-pay contract at 2 USD/GPU-hour, 20 % prepaid:
    through operating months 0-11 (months 3-14) they are billed in full and run in full, the
    other half sold at 80 % and the declining merchant price; from month 15 all are merchant.
    The prepayment, 20 % of the term's 12 months of billing, comes at signing (month 0) and
    is taken back month by month through the term: over the term it nets to zero."""
    p = _hand_case()
    p[COL["gpu_contract_share"]] = 0.5
    p[COL["gpu_contract_price"]] = 2.0 / 3600.0
    p[COL["gpu_contract_term"]] = 12 * S
    p[COL["gpu_prepayment"]] = 0.2
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    x = lines[1]
    m = np.arange(HAND_MONTHS)
    on, k = m >= 3, np.maximum(m - 3, 0)
    term = on & (k < 12)
    gs = 10_368 * S  # a month of every GPU [GPU-s]
    merchant = np.where(on, gs * 0.8 * np.where(term, 0.5, 1.0), 0.0)
    contract = np.where(term, gs * 0.5, 0.0)
    _assert_line(x, "volume", merchant + contract)
    _assert_line(x, "revenue", merchant * 3 / 3600 * 0.8 ** (k / 12) + contract * 2 / 3600)
    busy = np.where(on, 0.8 * np.where(term, 0.5, 1.0) + np.where(term, 0.5, 0.0), 0.0)
    _assert_line(x, "energy", np.where(on, 144 * 90e3 * (0.3 + 0.7 * busy) * 1.1 * S, 0.0))
    billing = gs * 0.5 * 2 / 3600  # a term month's contract revenue [USD]
    _assert_line(x, "prepayment", 0.2 * billing * (np.where(m == 0, 12, 0) - term))
    assert x[:, LINE["prepayment"]].sum() == pytest.approx(0.0, abs=1e-6)
    assert x[0, LINE["prepayment"]] == pytest.approx(0.2 * 12 * billing)
    assert x[0, LINE["cash_flow"]] == pytest.approx(0.2 * 12 * billing - 30e6)  # + build


def test_a_contract_tenant_that_may_default_by_hand():
    """The contract tranche of :func:`test_gpuaas_contract_tranche_by_hand` with a tenant
    that defaults at 10 % a year from the contract's start (month 3), 40 % of the billing
    earned after: the contract's revenue in its k-th month is 0.4 + 0.6 x 0.9^(k/12) of the
    billing; the merchant half, the volume, the energy and the prepayment do not move."""
    p = _hand_case()
    for name, value in (("gpu_contract_share", 0.5), ("gpu_contract_price", 2.0 / 3600.0),
                        ("gpu_contract_term", 12 * S), ("gpu_prepayment", 0.2)):
        p[COL[name]] = value
    before, x = _tenant_at_risk(p, 1)
    m = np.arange(HAND_MONTHS)
    k = np.maximum(m - 3, 0)
    term = (m >= 3) & (k < 12)
    billing = np.where(term, 10_368 * S * 0.5 * 2 / 3600, 0.0)
    lost = billing * 0.6 * (1 - 0.9 ** (k / 12))
    _assert_line(x, "revenue", before[:, LINE["revenue"]] - lost)
    for name in ("volume", "energy", "power", "prepayment"):
        _assert_line(x, name, before[:, LINE[name]])
    _assert_line(x, "cash_flow", before[:, LINE["cash_flow"]] - 0.99 * lost)


def test_iren_microsoft_terms_give_its_revenue_per_mw_year():
    """IREN's GB300 contract with Microsoft (November 2025): about 9.7 B USD over five years
    for about 200 MW of IT, 20 % prepaid, is 9.7 M USD per MW of IT a year. The built-in GB300
    NVL72 fully contracted at the deal's ~2.2 USD per GPU-hour for five years earns
    2.2 x 8,766 h x 72 GPUs / 142 kW = 9.78 M USD per MW(IT)-year: within 1 %."""
    from rackplan.economics.compare import compare

    # (Microsoft, an investment-grade tenant: taken as one that never defaults)
    r = compare(overrides={"gpu_contract_share": 1, "gpu_contract_price": "2.2 USD/hour",
                           "gpu_contract_term": "60 month", "gpu_prepayment": "20 %",
                           "tenant_default_rate": 0})
    per_mw_year = float(r.options["gpuaas"].revenue_per_mw_year.m_as("MUSD/MW/year"))
    assert per_mw_year == pytest.approx(2.2 * 8766 * 72 / 142e-3 / 1e6, rel=1e-6)
    assert per_mw_year == pytest.approx(9.7e9 / 5 / 200 / 1e6, rel=0.01)
    # every hour contracted: the merchant price moves nothing, and the note says why
    be = r.breakeven["gpu_hour_price"]
    assert math.isnan(be["value"].magnitude) and "contracted" in be["note"]


def test_a_build_past_the_horizon_spends_its_capex_and_earns_nothing():
    p = _hand_case()
    p[COL["build_period"]] = 40 * S  # 90 M USD over 40 months: 30 of them within the horizon
    lines, row = monthly(p, HAND_MONTHS, BUILT_IN)
    for o in (1, 2):
        x = lines[o]
        assert not x[:, LINE["revenue"]].any() and not x[:, LINE["capex_it"]].any()
        _assert_line(x, "capex_facility", np.full(HAND_MONTHS, 90e6 / 40))
        assert not x[:, LINE["depreciation"]].any()
        # the spent facility is all still on the books
        assert x[-1, LINE["residual"]] == pytest.approx(0.5 * 90e6 * 30 / 40, rel=1e-12)
    assert math.isnan(row[BUILT_IN.out["breakeven_gpu_hour_price"]])  # GPU NPV has no slope
    assert_close(run(p, HAND_MONTHS, BUILT_IN)[:, 0], row, BUILT_IN, p=p)
    assert_close(twin(p, HAND_MONTHS, BUILT_IN)[:, 0], row, BUILT_IN, p=p)


def test_no_build_puts_the_facility_in_month_0():
    p = _hand_case()
    p[COL["mining_build_period"]] = 0.0
    lines, _ = monthly(p, HAND_MONTHS, FOUR)
    for o in (0, 3):  # the mining fleet's slots
        _assert_line(lines[o], "capex_facility", np.where(np.arange(HAND_MONTHS) == 0, 9e6, 0))
    assert lines[0][0, LINE["capex_it"]] == pytest.approx(17.28e6, rel=1e-12)
    # colocation of the mining fleet: 2,880 x 5 kW = 14.4 MW of IT at 100 USD/kW/month
    assert lines[3][0, LINE["revenue"]] == pytest.approx(1.44e6, rel=1e-12)


# --- 6. threads, want, NaN, breakevens -----------------------------------------------------------


def test_evaluate_and_evaluate_serial_give_the_same_bytes():
    """Any number of threads, the same bytes: a scenario's figures do not depend on the
    block or the thread that computes it."""
    R = random_scenarios(MANY, 60, seed=21)
    serial = run(R, 60, FOUR, serial=True)
    for threads in (None, 2, 3):
        assert run(R, 60, FOUR, threads=threads).tobytes() == serial.tobytes()
    assert run(R[:1], 60, FOUR).tobytes() == run(R[:1], 60, FOUR, serial=True).tobytes()
    assert run(R[:5], 60, FOUR).tobytes() == serial[:, :5].tobytes()


def test_want_selects_rows():
    R = random_scenarios(200, 61, seed=22)
    full = run(R, 61, FOUR)
    want = np.array([FOUR.out["winner"], 0, FOUR.out["npv_colocation_mining"], 0,
                     FOUR.k - 1], dtype=np.int64)
    for serial in (False, True):
        assert run(R, 61, FOUR, want=want, serial=serial).tobytes() == full[want].tobytes()
    assert run(R, 61, FOUR, want=np.zeros(0, np.int64)).shape == (0, 200)


def test_no_scenarios_and_varying_some_entries():
    col = np.array([COL["btc_price"]], dtype=np.int64)
    want = np.arange(BUILT_IN.k, dtype=np.int64)
    out = np.empty((BUILT_IN.k, 0))
    engine.evaluate(base(), np.zeros((0, 1)), col, 60, BUILT_IN.kinds, BUILT_IN.fleets,
                    BUILT_IN.pair, want, out)
    varied = np.array([[50_000.0], [98_076.0], [150_000.0]])
    out = np.empty((BUILT_IN.k, 3))
    engine.evaluate(base(), varied, col, 60, BUILT_IN.kinds, BUILT_IN.fleets, BUILT_IN.pair,
                    want, out)
    o = BUILT_IN.out
    assert np.all(np.diff(out[o["revenue_mine"]]) > 0)  # revenue rises with the price
    for name in ("npv_gpuaas", "npv_colocation", "revenue_gpuaas", "units_gpu"):
        assert np.all(out[o[name]] == out[o[name], 0])  # untouched
    p = base()
    p[COL["btc_price"]] = 150_000.0
    assert out[:, 2].tobytes() == run(p, 60, BUILT_IN)[:, 0].tobytes()


def test_nan_means_not_constrained_and_nan_sizing_gives_nan():
    p = base()
    # miners that hash on: with them switching off, the built-in case has no BTC or power
    # breakeven (NaN for a reason of its own)
    p[COL["miner_shutdown"]] = 0.0
    for name in ("white_space", "floor_load_limit", "heat_rejection_capacity"):
        p[COL[name]] = math.nan
    out = run(p, 60, FOUR)[:, 0]
    assert not np.isnan(out).any()  # NaN constraints: not constrained
    o = FOUR.out
    assert out[o["units_mine"]] == np.floor(p[COL["utility_power"]] / p[COL["pue_mine"]]
                                            / p[COL["miner_power"]])
    assert_close(out, twin(p, 60, FOUR)[:, 0], FOUR, p=p)
    p[COL["utility_power"]] = math.nan
    out = run(p, 60, FOUR)[:, 0]
    assert math.isnan(out[o["npv_mine"]]) and math.isnan(out[o["winner"]])
    assert_close(out, twin(p, 60, FOUR)[:, 0], FOUR, p=p)


def test_the_winner_is_the_first_of_equal_npvs():
    """Two colocation slots of the same fleet tie: the first wins, as in the twin."""
    p = base()
    slots = Slots([2, 0, 2, 1], [1, 0, 1, 1], [1, 3], ("c1", "mine", "c2", "gpuaas"))
    out = run(p, 60, slots)[:, 0]
    assert out[slots.out["npv_c1"]] == out[slots.out["npv_c2"]]
    assert out[slots.out["winner"]] == 0.0  # colocation wins the built-in case
    assert twin(p, 60, slots)[slots.out["winner"], 0] == 0.0


@pytest.mark.parametrize("difficulty", [1.523e14, 1e9])  # the built-in; the cap binding
@pytest.mark.parametrize("shutdown, gpu_hour_price", [(0.0, 3.13), (1.0, 3.13), (1.0, 6.0),
                                                      (1.0, 5.2)])
def test_breakevens_are_exact(difficulty, shutdown, gpu_hour_price):
    """At a breakeven price the pair's NPVs are equal: solve, substitute, compare. With miners
    that switch off, mining's NPV bends; where no breakeven is given, mining leads at every
    such price: with every month off (no BTC price, a power price of 1 USD/kWh) as well."""
    p = base()
    p[COL["difficulty"]] = difficulty
    p[COL["miner_shutdown"]] = shutdown
    p[COL["gpu_hour_price"]] = gpu_hour_price / 3600.0
    out = run(p, 60, FOUR)[:, 0]
    o = FOUR.out
    found = 0
    for price, be, idle in (("btc_price", "breakeven_btc_price", 0.0),
                            ("gpu_hour_price", "breakeven_gpu_hour_price", None),
                            ("power_price", "breakeven_power_price", 1.0 / 3.6e6)):
        q = p.copy()
        if math.isnan(out[o[be]]):
            assert shutdown and idle is not None, be
            q[COL[price]] = idle
            at = run(q, 60, FOUR)[:, 0]
            assert at[o["npv_mine"]] > at[o["npv_gpuaas"]]
            continue
        found += 1
        q[COL[price]] = out[o[be]]
        at = run(q, 60, FOUR)[:, 0]
        scale = abs(out[o["npv_mine"]]) + abs(out[o["npv_gpuaas"]])
        assert at[o["npv_mine"]] == pytest.approx(at[o["npv_gpuaas"]], abs=1e-9 * scale)
    assert found >= (1 if shutdown else 3)


def test_slot_order_does_not_matter():
    """The same four options in another order give the same figures, option by option, and
    the winner is the first slot with the highest NPV in either order."""
    R = random_scenarios(300, 60, seed=31)
    a, b = run(R, 60, FOUR), run(R, 60, SHUFFLED)
    for name, i in FOUR.out.items():
        if name != "winner":
            np.testing.assert_allclose(b[SHUFFLED.out[name]], a[i], rtol=1e-12, atol=1e-6,
                                       err_msg=name)
    for slots, out in ((FOUR, a), (SHUFFLED, b)):
        npvs = np.stack([out[slots.out[f"npv_{o}"]] for o in slots.names])
        np.testing.assert_array_equal(out[slots.out["winner"]], np.argmax(npvs, axis=0))


# --- miners that switch off along an axis that moves no mining input ----------------------------


def test_switching_sums_follow_the_scenarios_in_any_order():
    """A scenario whose mining inputs equal the last one's reuses its months' sums: a run
    that interleaves such scenarios with ones whose months are summed otherwise (a fleet
    that out-hashes the network, month by month; the equilibrium network; a higher BTC
    price) still equals the twin."""
    p = base()
    p[COL["miner_shutdown"]] = 1.0
    for kind in engine.KINDS:  # (a NaN input of the time shape would recompute it each time)
        p[COL[f"discount_rate_{kind}"]] = p[COL["discount_rate"]]
    rows = np.tile(p, (14, 1))
    rows[:, COL["gpu_hour_price"]] = np.linspace(1.0, 3.0, 14) / 3600.0
    rows[3:5, COL["miner_hashrate"]] *= 1e4  # the fleet's cap binds: month by month
    rows[3:5, COL["power_price"]] *= 0.1
    rows[6, COL["difficulty_model"]] = engine.DM_EQUILIBRIUM
    rows[8, COL["btc_price"]] *= 1.5  # other months run
    rows[9:, COL["btc_price"]] *= 0.5
    ref = twin(rows, 60, BUILT_IN)
    npvs = [BUILT_IN.out[f"npv_{name}"] for name in BUILT_IN.names]
    for threads in (1, 2):
        assert_close(run(rows, 60, BUILT_IN, threads=threads), ref, BUILT_IN, p=rows)
        # without the breakevens, whose search re-sums the capped fleet's months too
        np.testing.assert_allclose(run(rows, 60, BUILT_IN, want=npvs, threads=threads),
                                   ref[npvs], rtol=1e-9)
    # some months are off in every scenario, so the sums are the block table's
    out = run(rows, 60, BUILT_IN)
    assert out[BUILT_IN.out["npv_mine"]][0] > run(
        np.where(np.arange(len(P)) == COL["miner_shutdown"], 0.0, p), 60, BUILT_IN)[
        BUILT_IN.out["npv_mine"]][0]


def test_a_run_without_the_switching_breakevens_keeps_every_other_output():
    """The BTC and power breakevens of miners that switch off are searched for only when
    wanted; the other outputs are the same either way."""
    p = base()
    p[COL["miner_shutdown"]] = 1.0
    rows = np.tile(p, (9, 1))
    rows[:, COL["btc_price"]] = np.linspace(5e4, 2e5, 9)
    names = list(BUILT_IN.out)
    some = [BUILT_IN.out[k] for k in names if k not in ("breakeven_btc_price",
                                                         "breakeven_power_price")]
    assert not engine.wants_switching_breakevens(some, 3)
    assert engine.wants_switching_breakevens([BUILT_IN.out["breakeven_power_price"]], 3)
    full = run(rows, 60, BUILT_IN)
    np.testing.assert_array_equal(run(rows, 60, BUILT_IN, want=some), full[some])
