"""NumPy twin of the monthly engine (:mod:`rackplan.kernels.engine`): the test oracle and the
benchmark baseline, nothing more.

Vectorized over scenarios and months (2-D arrays of ``chunk`` scenarios x ``n_months``), each
option's monthly cash flows written out directly from the model of ``docs/economics.md`` with
``pow`` per month, apart from the kernel's basis-and-scales split, so that it can catch the
kernel's mistakes. Same arguments and outputs as :func:`rackplan.kernels.engine.evaluate`.
"""

from __future__ import annotations

import numpy as np

from rackplan.kernels.capacity import fit_units_numpy
from rackplan.kernels.cashflow import (
    BLOCKS_PER_MONTH,
    HASHES_PER_DIFFICULTY,
    SECONDS_PER_MONTH,
    month_subsidy_numpy,
)
from rackplan.kernels.engine import (
    COLOCATION,
    FLEET_MINING,
    GPUAAS,
    KINDS,
    MINE,
    PARAMS,
    TV_BOOK,
    TV_DCF,
    n_outputs,
)

__all__ = ["evaluate_numpy"]


def evaluate_numpy(base, varied, varied_idx, n_months, kinds, fleets, pair, want=None, *,
                   paths=None, chunk=16384):
    """NumPy twin of :func:`rackplan.kernels.engine.evaluate`; returns ``float64[K, N]``.

    ``paths`` (optional): four ``float64[N, n_months]`` arrays multiplying, month by month,
    the BTC price, the difficulty, the GPU-hour price and utilization of scenario ``i`` (the
    Monte Carlo paths); ``None`` is the deterministic trend.
    """
    base = np.asarray(base, dtype=float)
    varied = np.asarray(varied, dtype=float)
    n = varied.shape[0]
    k_all = int(n_outputs(len(kinds)))
    want = np.arange(k_all) if want is None else np.asarray(want, dtype=np.int64)
    out = np.empty((len(want), n))
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        P = np.broadcast_to(base, (hi - lo, base.shape[0])).copy()
        if varied.size:
            P[:, np.asarray(varied_idx, dtype=np.int64)] = varied[lo:hi]
        chunk_paths = None if paths is None else [np.asarray(a, float)[lo:hi] for a in paths]
        rows = _chunk(P, n_months, kinds, fleets, pair, chunk_paths)
        out[:, lo:hi] = rows[want]
    return out


def _chunk(P, n_months, kinds, fleets, pair, paths):
    c = {name: P[:, i:i + 1] for i, name in enumerate(PARAMS)}  # columns, shape (n, 1)
    # months valued: the horizon, and under the dcf terminal value on to each fleet's end
    valued = [_valued(c, n_months, fleet) for fleet in fleets]
    width = int(max([n_months] + [int(v.max()) for v in valued]))
    m = np.arange(width, dtype=float)[None, :]
    if paths is not None:  # after the horizon a path stays at its last month's level
        paths = [np.concatenate([a, np.repeat(a[:, -1:], width - n_months, axis=1)], axis=1)
                 for a in paths]
    units_m, _ = fit_units_numpy(c["utility_power"], c["pue_mine"], c["miner_power"],
                                 c["miner_units_per_rack"], c["miner_rack_footprint"],
                                 c["aisle_factor"], c["white_space"], c["miner_rack_weight"],
                                 c["floor_load_limit"], c["heat_rejection_capacity"])
    units_g, _ = fit_units_numpy(c["utility_power"], c["pue_gpu"], c["gpu_power_max"],
                                 c["gpu_units_per_rack"], c["gpu_rack_footprint"],
                                 c["aisle_factor"], c["white_space"], c["gpu_rack_weight"],
                                 c["floor_load_limit"], c["heat_rejection_capacity"])
    options, discs = [], []
    for kind, fleet, n_valued in zip(kinds, fleets, valued):
        discs.append((1.0 + _discount_rate(c, int(kind))) ** (-m / 12.0) * (m < n_valued))
        units = units_m if fleet == FLEET_MINING else units_g
        months = {MINE: _mine, GPUAAS: _gpuaas, COLOCATION: _colocation}[int(kind)]
        lines = months(c, m, units, fleet, width, paths, units_m)
        lines.update(_capex_lines(c, m, n_months, fleet, lines.pop("equipment")))
        opex = sum(lines.get(k, 0.0) for k in ("power", "fixed", "operator"))
        sga = c["sga_share"] * lines["revenue"]
        lines["cash_flow"] = (lines["revenue"] - opex - sga - lines["capex_it"]
                              - lines["capex_facility"] + lines["residual"]
                              + lines.get("prepayment", 0.0))
        lines["noi"] = lines["revenue"] - opex
        lines["ebitda"] = lines["noi"] - sga
        options.append(lines)
    return _rows(c, options, kinds, pair, units_m, units_g, discs, n_months)


def _discount_rate(c, kind):
    """Each scenario's discount rate of option kind ``kind``: its own, or ``discount_rate``
    where that is NaN."""
    own = c[f"discount_rate_{KINDS[kind]}"]
    return np.where(np.isnan(own), c["discount_rate"], own)


def _on(c, m, fleet):
    """The first operating month and whether each month operates (the IT's useful life)."""
    start = _start(c, fleet)
    return start, (m >= start) & (m < _end(c, start))


def _end(c, start):
    # the month after the fleet's last: its IT's useful life in whole months, rounded up
    return start + np.maximum(1.0, np.ceil(c["useful_life_it"] / SECONDS_PER_MONTH - 1e-9))


def _valued(c, n_months, fleet):
    """The months whose cash flows count (per scenario): the horizon, and under ``dcf`` on
    to the fleet's retirement."""
    end = _end(c, _start(c, fleet))
    return np.where(c["terminal_value"] == TV_DCF, np.maximum(n_months, end), n_months)


def _start(c, fleet):
    period = c["mining_build_period"] if fleet == FLEET_MINING else c["build_period"]
    return np.floor(period / SECONDS_PER_MONTH + 0.5)


def _plant(c, fleet):
    """PUE and unit power (power_max) of a fleet."""
    if fleet == FLEET_MINING:
        return c["pue_mine"], c["miner_power"]
    return c["pue_gpu"], c["gpu_power_max"]


def _facility(c, fleet):
    rate = c["mining_facility_capex"] if fleet == FLEET_MINING else c["facility_capex"]
    return rate * c["utility_power"]


def _fixed(c, equipment, facility):
    return (c["maintenance_it"] * equipment + c["maintenance_facility"] * facility
            + c["insurance"] * (equipment + facility)) / 12.0


def _mine(c, m, units, fleet, n_months, paths, units_m):
    S = SECONDS_PER_MONTH
    start, on = _on(c, m, fleet)
    pue, power = _plant(c, fleet)
    it = units * power
    hashrate = units * c["miner_hashrate"]
    height = np.floor(c["block_height"][:, 0] + 0.5).astype(np.int64)
    subsidy = month_subsidy_numpy(height, n_months).T
    difficulty = c["difficulty"] * (1.0 + c["difficulty_growth"]) ** m
    price_f = (1.0 + c["btc_price_growth"]) ** (m / 12.0)
    if paths is not None:
        price_f = price_f * paths[0]
        difficulty = difficulty * paths[1]
    # the fleet's share of the network is at most 1: never below the fleet's own difficulty
    own = units_m * c["miner_hashrate"] * c["uptime"] * (S / BLOCKS_PER_MONTH)
    difficulty = np.fmax(difficulty, own / HASHES_PER_DIFFICULTY)
    h_eff = hashrate * c["uptime"] * (1.0 - c["pool_fee"])
    btc = np.where(on, h_eff * S * (subsidy + c["fees_per_block"])
                   / (difficulty * HASHES_PER_DIFFICULTY), 0.0)
    power_f = (1.0 + c["power_price_growth"]) ** (m / 12.0)
    energy = np.where(on, it * pue * c["uptime"] * S, 0.0)
    equipment = c["miner_price"] * hashrate
    fixed = (c["mining_staff_per_mw"] * it * c["staff_cost"] * S
             + _fixed(c, equipment, _facility(c, fleet)))
    return {
        "revenue": btc * c["btc_price"] * price_f,
        "volume": btc,
        "price_volume": btc * price_f,
        "energy_weight": energy * power_f,
        "power": (energy * c["power_price"] + np.where(on, it * pue * S, 0.0)
                  * c["demand_charge"]) * power_f,
        "fixed": np.where(on, fixed, 0.0),
        "equipment": equipment,
    }


def _gpuaas(c, m, units, fleet, n_months, paths, units_m):
    S = SECONDS_PER_MONTH
    start, on = _on(c, m, fleet)
    pue, unit_power = _plant(c, fleet)
    gpus = units * c["gpus_per_unit"]
    k = np.maximum(m - start, 0.0)  # operating months before this one
    decline_f = (1.0 - c["gpu_price_decline"]) ** (k / 12.0)  # from the first operating month
    ramp = c["utilization_ramp"] / S  # months to full utilization
    with np.errstate(divide="ignore", invalid="ignore"):
        ramp_f = np.where(ramp > 0.0, np.minimum(1.0, (k + 1.0) / ramp), 1.0)
    util = c["utilization"] * ramp_f
    if paths is not None:
        decline_f = decline_f * paths[2]
        util = np.minimum(1.0, util * paths[3])
    # the contracted share is billed in full at its price through the term (k < term), then
    # sold like the rest, at the merchant utilization and price
    share = c["gpu_contract_share"]
    term = np.floor(c["gpu_contract_term"] / S + 0.5)
    in_term = on & (k < term)
    merchant = np.where(in_term, 1.0 - share, 1.0)
    sold = np.where(on, gpus * S * util * merchant, 0.0)
    contracted = np.where(in_term, gpus * S * share, 0.0)
    busy = util * merchant + np.where(in_term, share, 0.0)  # share of the GPUs at work
    power_f = (1.0 + c["power_price_growth"]) ** (m / 12.0)
    idle = c["gpu_idle_power_share"]
    energy = np.where(on, units * c["gpu_power_typical"] * (idle + (1.0 - idle) * busy)
                      * pue * S, 0.0)
    # cash ahead: the prepaid share of the whole term's billing at signing (month 0), less
    # that share of each term month's billing
    billing = gpus * S * share * c["gpu_contract_price"]
    prepayment = c["gpu_prepayment"] * billing * (np.where(m == 0, term, 0.0)
                                                   - np.where(in_term, 1.0, 0.0))
    equipment = units * c["gpu_system_price"] + gpus * c["installation_per_gpu"]
    fixed = (c["staff_per_1000_gpus"] * gpus / 1000.0 * c["staff_cost"] * S
             + c["network_software"] * gpus * S + _fixed(c, equipment, _facility(c, fleet)))
    return {
        "revenue": sold * c["gpu_hour_price"] * decline_f + contracted * c["gpu_contract_price"],
        "volume": sold + contracted,
        "price_volume": sold * decline_f,
        "prepayment": prepayment,
        "energy_weight": energy * power_f,
        "power": (energy * c["power_price"] + np.where(on, units * unit_power * pue * S, 0.0)
                  * c["demand_charge"]) * power_f,
        "fixed": np.where(on, fixed, 0.0),
        "equipment": np.zeros_like(units) + equipment,
    }


def _colocation(c, m, units, fleet, n_months, paths, units_m):
    start, on = _on(c, m, fleet)
    _, power = _plant(c, fleet)
    lease_years = np.floor(np.maximum(m - start, 0.0) / 12.0)
    leased = np.where(on, (1.0 + c["colocation_escalator"]) ** lease_years
                      * units * power * SECONDS_PER_MONTH, 0.0)
    revenue = c["colocation_rate"] * leased
    return {
        "revenue": revenue,
        "volume": np.where(on, units * power * SECONDS_PER_MONTH, 0.0),
        "price_volume": leased,
        "energy_weight": np.zeros_like(revenue),
        "operator": c["colocation_opex_share"] * revenue,
        "equipment": np.zeros_like(units),
    }


def _capex_lines(c, m, n_months, fleet, equipment):
    """Capex, depreciation and the residual value of a fleet's build and equipment."""
    S = SECONDS_PER_MONTH
    start = _start(c, fleet)
    facility = _facility(c, fleet)
    per_month = np.where(start > 0, facility / np.maximum(start, 1.0), 0.0)
    capex_fac = (np.where(m < start, per_month, 0.0)
                 + np.where((start == 0) & (m == 0), facility, 0.0))
    capex_it = np.where(m == start, equipment, 0.0)
    life_it = c["useful_life_it"] / S
    life_fac = c["useful_life_facility"] / S

    def book(life):
        return np.maximum(0.0, 1.0 - np.maximum(0.0, n_months - start) / life)

    # book: what is bought within the horizon, at its book value in the last month; dcf: the
    # facility at its book value when the fleet retires (its IT is written off by then)
    spent_fac = capex_fac[:, :n_months].sum(axis=1, keepdims=True)
    spent_it = np.where(start < n_months, equipment, 0.0)
    end = _end(c, start)
    at_book = np.where(m == n_months - 1, spent_it * book(life_it) + spent_fac * book(life_fac),
                       0.0)
    at_end = np.where(m == end - 1, facility * np.maximum(0.0, 1.0 - (end - start) / life_fac),
                      0.0)
    mode = c["terminal_value"]
    residual = c["residual_value"] * np.where(mode == TV_BOOK, at_book,
                                              np.where(mode == TV_DCF, at_end, 0.0))
    return {"capex_it": capex_it, "capex_facility": capex_fac, "residual": residual}


def _rows(c, options, kinds, pair, units_m, units_g, discs, n_months):
    n = units_m.shape[0]
    n_opt = len(options)
    rows = np.empty((int(n_outputs(n_opt)), n))

    def total(x):  # over the horizon
        return np.broadcast_to(x, discs[0].shape)[:, :n_months].sum(axis=1)

    def present(x, o):  # discounted at option o's rate, over the months it values
        return (x * discs[o]).sum(axis=1)

    fleet = (units_m, units_g, units_g * c["gpus_per_unit"], units_m * c["miner_hashrate"],
             units_m * c["miner_power"], units_g * c["gpu_power_max"])
    for k, value in enumerate(fleet):
        rows[k] = value[:, 0]
    mining = [i for i, kind in enumerate(kinds) if kind == MINE]
    rows[6] = total(options[mining[0]]["volume"]) if mining else 0.0
    npvs = np.stack([present(lines["cash_flow"], o) for o, lines in enumerate(options)])
    for o, lines in enumerate(options):
        rows[7 + o] = total(lines["revenue"])
        rows[7 + n_opt + o] = total(lines["noi"])
        rows[7 + 2 * n_opt + o] = total(lines["ebitda"])
        rows[7 + 3 * n_opt + o] = total(lines["capex_it"] + lines["capex_facility"])
        rows[7 + 4 * n_opt + o] = npvs[o]
    k = 7 + 5 * n_opt
    a, g = int(pair[0]), int(pair[1])
    gap = npvs[g] - npvs[a]
    rows[k] = gap
    winner = np.argmax(npvs, axis=0).astype(float)  # first maximum: ties go to the lower slot
    rows[k + 1] = np.where(np.isnan(npvs).any(axis=0), np.nan, winner)
    keep = 1.0 - c["sga_share"][:, 0]
    slope_btc = keep * present(options[a]["price_volume"], a)
    slope_gpu = keep * present(options[g]["price_volume"], g)
    d_power = (present(options[a]["energy_weight"], a)
               - present(options[g]["energy_weight"], g))
    with np.errstate(divide="ignore", invalid="ignore"):
        rows[k + 2] = np.where(slope_btc > 0, c["btc_price"][:, 0] + gap / slope_btc, np.nan)
        rows[k + 3] = np.where(slope_gpu > 0, c["gpu_hour_price"][:, 0] - gap / slope_gpu,
                               np.nan)
        rows[k + 4] = np.where(d_power != 0, c["power_price"][:, 0] - gap / d_power, np.nan)
    return rows
