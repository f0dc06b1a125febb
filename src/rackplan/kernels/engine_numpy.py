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
    DM_EQUILIBRIUM,
    FLEET_MINING,
    GPUAAS,
    KINDS,
    MACRS_FACILITY,
    MACRS_IT,
    MINE,
    PARAMS,
    TD_BONUS,
    TD_STRAIGHT_LINE,
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
                                 c["floor_load_limit"], c["heat_rejection_capacity"], np.nan,
                                 np.nan, 0.0)
    units_g, _ = fit_units_numpy(c["utility_power"], c["pue_gpu"], c["gpu_power_max"],
                                 c["gpu_units_per_rack"], c["gpu_rack_footprint"],
                                 c["aisle_factor"], c["white_space"], c["gpu_rack_weight"],
                                 c["floor_load_limit"], c["heat_rejection_capacity"],
                                 c["rack_positions"], c["design_rack_power"],
                                 c["gpu_power_outside"])
    options, discs = [], []

    def option(c, o, rows=slice(None)):
        # slot o's monthly lines (c: the columns, a price may be moved) of the scenarios rows
        kind, fleet = int(kinds[o]), fleets[o]
        units = (units_m if fleet == FLEET_MINING else units_g)[rows]
        months = {MINE: _mine, GPUAAS: _gpuaas, COLOCATION: _colocation}[kind]
        some = None if paths is None else [a[rows] for a in paths]
        lines = months(c, m, units, fleet, width, some, units_m[rows])
        capex = _capex_lines(c, m, n_months, fleet, lines.pop("equipment"),
                             owned=kind != COLOCATION)
        if kind == MINE:  # an existing fleet and facility: sunk, only their upkeep is paid
            for name in ("capex_it", "capex_facility", "residual", "tax_depreciation"):
                capex[name] = capex[name] * (1.0 - c["mining_existing"])
        lines.update(capex)
        opex = sum(lines.get(k, 0.0) for k in ("power", "fixed", "operator", "property_tax"))
        sga = c["sga_share"] * lines["revenue"]
        if kind == GPUAAS:  # the hours at the merchant price at their own share
            sga = sga + ((c["sga_share_merchant"] - c["sga_share"]) * c["gpu_hour_price"]
                         * lines["price_volume"])
        lines["noi"] = lines["revenue"] - opex
        lines["ebitda"] = lines["noi"] - sga
        lines["income_tax"] = c["tax_rate"] * (lines["ebitda"] - lines["tax_depreciation"]
                                               + lines["residual"])
        lines["cash_flow"] = (lines["ebitda"] - lines["capex_it"] - lines["capex_facility"]
                              + lines["residual"] + lines.get("prepayment", 0.0)
                              - lines["income_tax"])
        return lines

    for o, (kind, n_valued) in enumerate(zip(kinds, valued)):
        discs.append((1.0 + _discount_rate(c, int(kind))) ** (-m / 12.0) * (m < n_valued))
        options.append(option(c, o))
    rows = _rows(c, options, kinds, pair, units_m, units_g, discs, n_months)
    a, g = int(pair[0]), int(pair[1])
    shut = c["miner_shutdown"][:, 0] != 0
    if kinds[a] == MINE and shut.any():  # mining's NPV bends: solved over its pieces
        every = option({**c, "miner_shutdown": np.zeros_like(c["miner_shutdown"])}, a)
        v = discs[a]
        # a month's margin after tax, keep x P x revenue - (p_e x energy + demand), is all
        # that switches
        after_tax = 1.0 - c["tax_rate"]
        keep = (1.0 - c["sga_share"]) * after_tax
        months = (every["price_volume"], every["energy_weight"] * after_tax,
                  every["demand"] * after_tax)
        margin = keep * c["btc_price"] * months[0] - (c["power_price"] * months[1] + months[2])
        fixed = ((every["cash_flow"] - margin) * v).sum(axis=1)
        gpu_npv = (options[g]["cash_flow"] * discs[g]).sum(axis=1)
        gpu_ew = (options[g]["energy_weight"] * discs[g]).sum(axis=1) * after_tax[:, 0]
        args = (c, months, v, fixed, gpu_npv, gpu_ew, width + 3)
        rows[-3] = np.where(shut, _btc_root(*args), rows[-3])
        rows[-1] = np.where(shut, _power_root(*args), rows[-1])
    eq = np.flatnonzero(c["difficulty_model"][:, 0] == DM_EQUILIBRIUM)
    if kinds[a] == MINE and eq.size:  # the network follows the price: a root search
        gpu_npv = (options[g]["cash_flow"] * discs[g]).sum(axis=1)[eq]
        sub = {name: column[eq] for name, column in c.items()}

        def lead(price):  # mining's NPV lead at a month-0 BTC price, the network following
            lines = option({**sub, "btc_price": price[:, None]}, a, eq)
            return (lines["cash_flow"] * discs[a][eq]).sum(axis=1) - gpu_npv

        rows[-3, eq] = _bisect(lead, sub["btc_price"][:, 0])
    return rows


def _bisect(lead, x0):
    """The root of ``lead`` (rising in the price), per scenario: bracketed from ``x0`` by
    doubling (up to 2^40 x0) or down to 0, then narrowed by regula falsi with the Illinois
    step (the end that stays has its value halved) until the bracket is 1e-13 of its top.
    NaN where mining leads at 0 or trails at every price."""
    f0 = lead(x0)
    lo, hi = np.where(f0 < 0, x0, 0.0), x0.copy()
    f_lo = np.where(f0 < 0, f0, lead(np.zeros_like(x0)))
    f_hi = f0.copy()
    below = f0 < 0
    for _ in range(40):  # up until ahead
        if not below.any():
            break
        trial = np.where(below, 2.0 * hi, hi)
        f = lead(trial)
        lo, f_lo = np.where(below & (f < 0), trial, lo), np.where(below & (f < 0), f, f_lo)
        hi, f_hi = np.where(below, trial, hi), np.where(below, f, f_hi)
        below &= f < 0
    none = below | (f_lo > 0)
    root = np.where(f0 == 0, x0, np.where(f_lo == 0, lo, np.where(f_hi == 0, hi, np.nan)))
    active = ~none & np.isnan(root)
    side = np.zeros(x0.shape)
    for _ in range(200):
        active &= ~(hi - lo <= 1e-13 * hi)
        if not active.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
        f = np.where(active, lead(np.where(active, x, x0)), 1.0)
        root = np.where(active & (f == 0), x, root)
        active &= f != 0
        up = active & (f < 0)
        down = active & (f > 0)
        f_hi = np.where(up & (side == -1), 0.5 * f_hi, f_hi)
        f_lo = np.where(down & (side == 1), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(up, x, lo), np.where(up, f, f_lo)
        hi, f_hi = np.where(down, x, hi), np.where(down, f, f_hi)
        side = np.where(up, -1.0, np.where(down, 1.0, side))
    return np.where(none, np.nan, np.where(np.isnan(root), 0.5 * (lo + hi), root))


def _running(months, v, keep, price, power):
    # the discounted sums of revenue per USD/BTC, energy and demand over the months that run
    a, e, d = months
    run = keep * price * a >= power * e + d
    return [(np.where(run, x, 0.0) * v).sum(axis=1) for x in months]


def _btc_root(c, months, v, fixed, gpu_npv, gpu_ew, limit):
    """The BTC price at which mining's NPV (``fixed`` plus the margins of the months that
    run) meets GPU-as-a-service's, per scenario: from the assumed price, to the root of each
    piece until the root keeps its months. NaN where mining leads at any price."""
    keep = (1.0 - c["sga_share"][:, 0]) * (1.0 - c["tax_rate"][:, 0])
    p0, pe = c["btc_price"][:, 0], c["power_price"][:, 0]
    a, e, d = months
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first_on = np.where((a > 0) & (v > 0), (pe[:, None] * e + d) / (keep[:, None] * a),
                            np.inf).min(axis=1)
        x = p0.copy()
        found = np.full(x.shape, np.nan)
        active = np.ones(x.shape, bool)
        sums = _running(months, v, keep[:, None], x[:, None], pe[:, None])
        for _ in range(limit):
            slope = keep * sums[0]
            cost = pe * sums[1] + sums[2]
            gap = gpu_npv - (fixed + keep * x * sums[0] - cost)
            found = np.where(active & (slope <= 0) & (gap == 0), x, found)
            jump = np.where((gap > 0) & np.isfinite(first_on), first_on * (1.0 + 1e-12), np.nan)
            x_new = np.where(slope > 0, (gpu_npv - fixed + cost) / slope, jump)
            active &= np.isfinite(x_new)
            x_new = np.where(active, x_new, x)
            new = _running(months, v, keep[:, None], x_new[:, None], pe[:, None])
            done = active & (new[0] == sums[0]) & (new[1] == sums[1]) & (slope > 0)
            found = np.where(done, x_new, found)
            active &= ~done
            x, sums = x_new, new
            if not active.any():
                break
    return found


def _power_root(c, months, v, fixed, gpu_npv, gpu_ew, limit):
    """The power price at which mining's NPV meets GPU-as-a-service's: Newton over the pieces
    of the (convex) lead; from a point where mining leads it never turns back, or there is no
    root (NaN)."""
    keep = (1.0 - c["sga_share"][:, 0]) * (1.0 - c["tax_rate"][:, 0])
    p0, pe0 = c["btc_price"][:, 0], c["power_price"][:, 0]
    # (a piece of slope near 0 steps past the largest float: that step is not finite, and
    # the scenario leaves the search)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = pe0.copy()
        found = np.full(x.shape, np.nan)
        active = np.ones(x.shape, bool)
        heading = np.zeros(x.shape)
        sums = _running(months, v, keep[:, None], p0[:, None], x[:, None])
        for _ in range(limit):
            revenue = fixed + keep * p0 * sums[0] - sums[2]
            slope = sums[1] - gpu_ew
            lead = revenue - sums[1] * x - (gpu_npv - gpu_ew * (x - pe0))
            found = np.where(active & (slope == 0) & (lead == 0), x, found)
            x_new = (revenue - gpu_npv - gpu_ew * pe0) / slope
            step = x_new - x
            turned = (lead > 0) & (heading * step < 0)
            # turned back on the root itself (a lead within rounding of 0): that is the root
            scale = abs(revenue) + abs(sums[1] * x) + abs(gpu_npv) + abs(gpu_ew * x)
            on_root = active & turned & (lead <= 1e-9 * scale)
            found = np.where(on_root, x, found)
            active &= ~on_root
            heading = np.where(lead > 0, step, 0.0)
            active &= (slope != 0) & ~turned & np.isfinite(x_new)
            x_new = np.where(active, x_new, x)
            new = _running(months, v, keep[:, None], p0[:, None], x_new[:, None])
            done = active & (new[0] == sums[0]) & (new[1] == sums[1])
            found = np.where(done, x_new, found)
            active &= ~done
            x, sums = x_new, new
            if not active.any():
                break
    return found


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
    """PUE in the design hour (sizing, demand charge), annual PUE (energy) and unit IT power
    (power_max, and a GPU system's power outside its rack) of a fleet."""
    if fleet == FLEET_MINING:
        return c["pue_mine"], c["energy_pue_mine"], c["miner_power"]
    return c["pue_gpu"], c["energy_pue_gpu"], c["gpu_power_max"] + c["gpu_power_outside"]


def _facility(c, fleet):
    rate = c["mining_facility_capex"] if fleet == FLEET_MINING else c["facility_capex"]
    return rate * c["utility_power"]


def _fixed(c, m, fleet, warranty, equipment, facility, bought=1.0):
    """Maintenance and insurance in each operating month: the IT's maintenance only once its
    ``warranty`` [s] from the first operating month is over (a fleet kept, ``bought`` 0, has
    none left)."""
    start, on = _on(c, m, fleet)
    serviced = m >= start + np.floor(warranty / SECONDS_PER_MONTH + 0.5)
    it_share = bought * serviced + (1.0 - bought)
    return np.where(on, (c["maintenance_it"] * equipment * it_share
                         + c["maintenance_facility"] * facility
                         + c["insurance"] * (equipment + facility)) / 12.0, 0.0)


def _mine(c, m, units, fleet, n_months, paths, units_m):
    S = SECONDS_PER_MONTH
    start, on = _on(c, m, fleet)
    pue, energy_pue, power = _plant(c, fleet)
    it = units * power
    hashrate = units * c["miner_hashrate"]
    height = np.floor(c["block_height"][:, 0] + 0.5).astype(np.int64)
    subsidy = month_subsidy_numpy(height, n_months).T
    difficulty = c["difficulty"] * (1.0 + c["difficulty_growth"]) ** m
    price_f = (1.0 + c["btc_price_growth"]) ** (m / 12.0)
    if paths is not None:
        price_f = price_f * paths[0]
        difficulty = difficulty * paths[1]
    if (c["difficulty_model"] == DM_EQUILIBRIUM).any():
        network = _network(c, m, (subsidy + c["fees_per_block"]) * c["btc_price"] * price_f)
        difficulty = np.where(c["difficulty_model"] == DM_EQUILIBRIUM, network, difficulty)
    # the fleet's share of the network is at most 1: never below the fleet's own difficulty
    uptime = c["uptime"] * c["mining_weather_uptime"]  # the fleet's and the weather's
    own = units_m * c["miner_hashrate"] * uptime * (S / BLOCKS_PER_MONTH)
    difficulty = np.fmax(difficulty, own / HASHES_PER_DIFFICULTY)
    h_eff = hashrate * uptime * (1.0 - c["pool_fee"])
    per_hash = np.where(on, S * (subsidy + c["fees_per_block"])
                        / (difficulty * HASHES_PER_DIFFICULTY), 0.0)
    power_f = (1.0 + c["power_price_growth"]) ** (m / 12.0)
    # with miner_shutdown, a month runs if its revenue after SG&A covers its power
    revenue_kept = (1.0 - c["sga_share"]) * h_eff * per_hash * c["btc_price"] * price_f
    power_cost = it * S * (energy_pue * uptime * c["power_price"]
                           + pue * c["demand_charge"]) * power_f
    on = on & ~((c["miner_shutdown"] != 0) & (revenue_kept < power_cost))
    btc = np.where(on, h_eff * per_hash, 0.0)
    energy = np.where(on, it * energy_pue * uptime * S, 0.0)
    equipment = c["miner_price"] * hashrate * (1.0 + c["sales_tax"])
    fixed = (c["mining_staff_per_mw"] * it * c["staff_cost"] * S
             + _fixed(c, m, fleet, c["miner_warranty"], equipment, _facility(c, fleet),
                      1.0 - c["mining_existing"]))
    return {
        "revenue": btc * c["btc_price"] * price_f,
        "volume": btc,
        "price_volume": btc * price_f,
        "energy_weight": energy * power_f,
        "power": (energy * c["power_price"] + np.where(on, it * pue * S, 0.0)
                  * c["demand_charge"]) * power_f,
        "demand": np.where(on, it * pue * S, 0.0) * c["demand_charge"] * power_f,
        "fixed": np.where(_on(c, m, fleet)[1], fixed, 0.0),
        "equipment": equipment,
    }


def _network(c, m, rewards):
    """The equilibrium difficulty of each month, the network's rewards per block in USD
    ``rewards`` [N, months] given: from the market's hash rate, each month toward ``H* =
    rewards / 600 / cost`` (the cost falling by ``network_efficiency_gain`` a year, by
    ``pow``), a share ``difficulty_adjustment`` of the gap in logs where it grows, all of it
    where it falls."""
    h = c["difficulty"][:, 0] * HASHES_PER_DIFFICULTY / 600.0
    cost = c["network_cost"] * (1.0 - c["network_efficiency_gain"]) ** (m / 12.0)
    target = rewards / 600.0 / cost
    k = c["difficulty_adjustment"][:, 0]
    out = np.empty(target.shape)
    out[:, 0] = h
    for j in range(1, target.shape[1]):
        with np.errstate(divide="ignore", invalid="ignore"):
            grown = np.where(h > 0, h * (target[:, j] / h) ** k, h)
        h = np.where(target[:, j] <= h, target[:, j], grown)
        out[:, j] = h
    return np.maximum(out * 600.0 / HASHES_PER_DIFFICULTY, 1.0)  # the protocol's minimum


def _gpuaas(c, m, units, fleet, n_months, paths, units_m):
    S = SECONDS_PER_MONTH
    start, on = _on(c, m, fleet)
    pue, energy_pue, unit_power = _plant(c, fleet)
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
                      * energy_pue * S + units * c["gpu_power_outside"] * energy_pue * S, 0.0)
    # cash ahead: the prepaid share of the whole term's billing at signing (month 0), less
    # that share of each term month's billing
    billing = gpus * S * share * c["gpu_contract_price"]
    prepayment = c["gpu_prepayment"] * billing * (np.where(m == 0, term, 0.0)
                                                   - np.where(in_term, 1.0, 0.0))
    equipment = (units * c["gpu_system_price"] * (1.0 + c["sales_tax"])
                 + gpus * c["installation_per_gpu"])
    fixed = (c["staff_per_1000_gpus"] * gpus / 1000.0 * c["staff_cost"] * S
             + c["network_software"] * gpus * S
             + _fixed(c, m, fleet, c["gpu_warranty"], equipment, _facility(c, fleet)))
    return {
        "revenue": sold * c["gpu_hour_price"] * decline_f
        + contracted * c["gpu_contract_price"] * _tenant_pays(c, k, paths),
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
    _, _, power = _plant(c, fleet)
    lease_years = np.floor(np.maximum(m - start, 0.0) / 12.0)
    leased = np.where(on, (1.0 + c["colocation_escalator"]) ** lease_years
                      * units * power * SECONDS_PER_MONTH, 0.0)
    leased = leased * _tenant_pays(c, m - start, paths)
    revenue = c["colocation_rate"] * leased
    return {
        "revenue": revenue,
        "volume": np.where(on, units * power * SECONDS_PER_MONTH, 0.0),
        "price_volume": leased,
        "energy_weight": np.zeros_like(revenue),
        "operator": c["colocation_opex_share"] * revenue,
        "equipment": np.zeros_like(units),
    }


def _tenant_pays(c, k, paths):
    """The share of the rent a tenant (colocation, or the GPU contract's) pays in lease month
    ``k``: 1 until its default (a path's fifth row, months from the lease's start), then
    ``tenant_recovery``; without paths the expectation, the recovery plus the rest while it
    survives."""
    d, recovery = c["tenant_default_rate"], c["tenant_recovery"]
    if paths is not None and len(paths) > 4:
        pays = np.where(k < paths[4], 1.0, recovery)
    else:
        pays = recovery + (1.0 - recovery) * (1.0 - d) ** (np.maximum(k, 0.0) / 12.0)
    return np.where(d == 0.0, 1.0, pays)


def _capex_lines(c, m, n_months, fleet, equipment, owned):
    """Capex, the residual value, the tax depreciation and (of an ``owned`` fleet) the
    property tax of a fleet's build and equipment."""
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
    # sold (or retired) where the residual is counted: the tax basis left is deducted then
    sold = np.where(mode == TV_BOOK, n_months - 1, np.where(mode == TV_DCF, end - 1, -1.0))
    tax = (np.where(start < n_months, 1.0, 0.0) * np.where(mode == TV_BOOK, 1.0, 0.0)
           + np.where(mode == TV_BOOK, 0.0, 1.0)) * equipment * _deducted(
               c, m, start, sold, life_it, MACRS_IT)
    built = np.where(mode == TV_BOOK, spent_fac, facility)
    tax_fac = built * _deducted(c, m, start, sold, life_fac, MACRS_FACILITY)
    tax_fac = np.where((m == sold) & (m < start), spent_fac, tax_fac)
    operating = (m >= start) & (m < end)
    book_it = np.where(operating, 1.0 - np.clip((m - start) / life_it, 0.0, 1.0), 0.0)
    book_fac = np.where(operating, 1.0 - np.clip((m - start) / life_fac, 0.0, 1.0), 0.0)
    property_tax = (c["property_tax"] / 12.0 * (equipment * book_it + facility * book_fac)
                    if owned else np.zeros_like(book_it))
    return {"capex_it": capex_it, "capex_facility": capex_fac, "residual": residual,
            "tax_depreciation": tax + tax_fac, "property_tax": property_tax}


def _deducted(c, m, start, sold, life, table):
    """The share of an asset's cost deducted from taxable income in each month: what its
    method's cumulative schedule adds that month, and all that is left in the month it is
    sold (``sold``, -1: never within the months valued). MACRS as the linear interpolation
    of its cumulative table over the years in service (each year's share spread evenly)."""
    k = np.maximum(m + 1.0 - start, 0.0)  # months in service by each month's end
    done = np.minimum(k / life, 1.0)  # straight line
    method = c["tax_depreciation"]
    fast = method != TD_STRAIGHT_LINE  # MACRS or bonus
    if fast.any():
        cumulative = np.concatenate([[0.0], np.cumsum(table)])
        macrs = np.interp((k / 12.0).ravel(), np.arange(len(table) + 1.0),
                          cumulative).reshape(k.shape)
        bonus = np.where(method == TD_BONUS, c["bonus_depreciation"], 0.0)
        done = np.where(fast, np.where(k > 0, bonus + (1.0 - bonus) * macrs, 0.0), done)
    before = np.concatenate([np.zeros_like(done[:, :1]), done[:, :-1]], axis=1)
    left = np.where(k > 0, 1.0 - before, 0.0)
    return np.where(m == sold, left, np.where((sold >= 0) & (m > sold), 0.0, done - before))


def _rows(c, options, kinds, pair, units_m, units_g, discs, n_months):
    n = units_m.shape[0]
    n_opt = len(options)
    rows = np.empty((int(n_outputs(n_opt)), n))

    def total(x):  # over the horizon
        return np.broadcast_to(x, discs[0].shape)[:, :n_months].sum(axis=1)

    def present(x, o):  # discounted at option o's rate, over the months it values
        return (x * discs[o]).sum(axis=1)

    fleet = (units_m, units_g, units_g * c["gpus_per_unit"], units_m * c["miner_hashrate"],
             units_m * c["miner_power"],
             units_g * (c["gpu_power_max"] + c["gpu_power_outside"]))
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
    after_tax = 1.0 - c["tax_rate"][:, 0]
    slope_btc = (1.0 - c["sga_share"][:, 0]) * after_tax * present(options[a]["price_volume"], a)
    slope_gpu = ((1.0 - c["sga_share_merchant"][:, 0]) * after_tax
                 * present(options[g]["price_volume"], g))
    d_power = (present(options[a]["energy_weight"], a)
               - present(options[g]["energy_weight"], g)) * after_tax
    with np.errstate(divide="ignore", invalid="ignore"):
        rows[k + 2] = np.where(slope_btc > 0, c["btc_price"][:, 0] + gap / slope_btc, np.nan)
        rows[k + 3] = np.where(slope_gpu > 0, c["gpu_hour_price"][:, 0] - gap / slope_gpu,
                               np.nan)
        rows[k + 4] = np.where(d_power != 0, c["power_price"][:, 0] - gap / d_power, np.nan)
    return rows
