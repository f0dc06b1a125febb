"""One scenario = one site + one mining profile + one GPU profile + one market, evaluated over
``n_months`` for the three options (mine, GPU-as-a-service, colocation).

A scenario is a flat float64 vector ``p`` whose entries are named by :data:`PARAMS` (units in
:data:`PARAM_UNITS`, SI and USD; shares and growth rates as plain numbers, per month or per
year as :data:`PARAM_LONG_NAMES` says). :func:`scenario_cashflows` writes the
:data:`OUTPUTS` of one scenario; :func:`evaluate` runs many in parallel; :func:`evaluate_numpy`
is its NumPy twin (the test oracle and the benchmark baseline). The model is the one of
:func:`rackplan.economics.compare.compare` (``docs/economics.md``); the Python-level compare and this
kernel are written separately and tested against each other.

Sizing happens inside: the units of each option come from
:func:`rackplan.kernels.capacity.fit_units` with the site's utility power, the option's PUE and
the profile's unit power (``power_max``), so varying ``utility_power`` changes the fleets.
PUE: the kernel keeps ``pue_mine`` and ``pue_gpu`` apart because a site with a cooling plant
has a different PUE for each profile (its liquid fraction differs). A user's ``pue`` (a fixed
site PUE, as ``--set pue=1.3``) applies to both: the studies layer sets both entries.

Conventions (see :mod:`rackplan.kernels.cashflow`): months of 30.4375 days, 4,383 blocks;
growth from the market date; the discount rate is an effective yearly rate, month ``m``
discounted by ``(1 + r)^(-m/12)``; capex of a build is spread evenly over its months, the
equipment bought in the first operating month; straight-line depreciation from the first
operating month; the undepreciated book value times ``residual_value`` counts as a cash inflow
in the last month. Cash flow is pre-tax and unlevered: EBITDA - capex.
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import njit, prange
from rackplan.kernels.capacity import fit_units, fit_units_numpy
from rackplan.kernels.cashflow import (
    BLOCKS_PER_MONTH,
    HASHES_PER_DIFFICULTY,
    SECONDS_PER_MONTH,
    colocation_sums,
    colocation_sums_closed,
    fleet_difficulty,
    geometric_sum,
    gpuaas_sums,
    gpuaas_sums_closed,
    ipow,
    mining_sums_closed,
    mining_sums_floor,
    month_subsidy_numpy,
)

__all__ = [
    "PARAMS",
    "PARAM_UNITS",
    "PARAM_LONG_NAMES",
    "OUTPUTS",
    "OUTPUT_UNITS",
    "OUTPUT_LONG_NAMES",
    "OPTIONS",
    "scenario_cashflows",
    "evaluate",
    "evaluate_numpy",
]

#: ``(name, unit, long name)`` of each entry of a scenario vector, in order. Units are SI (and
#: USD, BTC, hash); rates are plain numbers with their period in the long name.
_PARAM_TABLE = (
    # site
    ("utility_power", "W", "gross utility interconnect"),
    ("pue_mine", "1", "PUE of the site with the miners"),
    ("pue_gpu", "1", "PUE of the site with the GPU systems"),
    ("aisle_factor", "1", "white space per rack over rack footprint"),
    ("white_space", "m**2", "white space (NaN: not constrained)"),
    ("floor_load_limit", "kg/m**2", "floor load limit (NaN: not constrained)"),
    ("heat_rejection_capacity", "W", "heat rejection capacity (NaN: not constrained)"),
    # mining profile
    ("miner_power", "W", "power of one miner (power_max)"),
    ("miner_hashrate", "hash/s", "hash rate of one miner"),
    ("miner_units_per_rack", "1", "miners per rack"),
    ("miner_rack_footprint", "m**2", "footprint of a miner rack"),
    ("miner_rack_weight", "kg", "weight of a loaded miner rack"),
    # GPU profile
    ("gpu_power_max", "W", "maximum power of one GPU system unit"),
    ("gpu_power_typical", "W", "typical power of one GPU system unit"),
    ("gpus_per_unit", "1", "GPUs per unit"),
    ("gpu_units_per_rack", "1", "GPU system units per rack"),
    ("gpu_rack_footprint", "m**2", "footprint of a GPU rack"),
    ("gpu_rack_weight", "kg", "weight of a loaded GPU rack"),
    # market: Bitcoin
    ("btc_price", "USD/BTC", "BTC price at month 0"),
    ("difficulty", "1", "difficulty at month 0"),
    ("fees_per_block", "BTC", "transaction fees per block"),
    ("block_height", "1", "block height at month 0"),
    ("difficulty_growth", "1", "difficulty growth per month"),
    ("btc_price_growth", "1", "BTC price growth per year"),
    ("pool_fee", "1", "pool fee, share of rewards"),
    ("uptime", "1", "share of the time the miners hash"),
    # market: power
    ("power_price", "USD/J", "energy price at month 0"),
    ("demand_charge", "USD/(W*s)", "demand charge on peak facility power"),
    ("power_price_growth", "1", "power price growth per year"),
    # market: GPU-as-a-service
    ("gpu_hour_price", "USD/s", "price of one GPU's time at month 0"),
    ("gpu_system_price", "USD", "price of one GPU system unit"),
    ("gpu_price_decline", "1", "GPU-hour price decline per year"),
    ("utilization", "1", "share of GPU hours sold"),
    ("gpu_idle_power_share", "1", "idle power of a GPU system, share of its typical power"),
    ("installation_per_gpu", "USD", "installation cost per GPU"),
    ("staff_per_1000_gpus", "1", "staff (FTE) per 1,000 GPUs"),
    ("network_software", "USD/s", "network and software cost per GPU"),
    ("build_period", "s", "conversion build period (no revenue)"),
    # market: colocation
    ("colocation_rate", "USD/(W*s)", "colocation rate per W of IT at lease start"),
    ("colocation_escalator", "1", "colocation rate escalator per year"),
    ("colocation_opex_share", "1", "colocation operator opex, share of revenue"),
    # market: capex
    ("facility_capex", "USD/W", "conversion facility capex per W of utility power"),
    ("miner_price", "USD*s/hash", "miner price per hash/s"),
    ("mining_facility_capex", "USD/W", "mining facility capex per W of utility power"),
    ("mining_build_period", "s", "mining build period (no revenue)"),
    # market: opex
    ("staff_cost", "USD/s", "cost of one FTE"),
    ("mining_staff_per_mw", "1/W", "mining staff (FTE) per W of mining IT power"),
    ("maintenance_it", "1", "IT maintenance per year, share of IT capex"),
    ("maintenance_facility", "1", "facility maintenance per year, share of facility capex"),
    ("insurance", "1", "insurance per year, share of capex"),
    ("sga_share", "1", "SG&A, share of revenue"),
    # market: finance
    ("discount_rate", "1", "discount rate per year (effective)"),
    ("useful_life_it", "s", "useful life of IT equipment (miners, GPU systems)"),
    ("useful_life_facility", "s", "useful life of facility capex"),
    ("residual_value", "1", "share of book value counted at the horizon's end"),
)

PARAMS: tuple[str, ...] = tuple(row[0] for row in _PARAM_TABLE)
PARAM_UNITS: dict[str, str] = {row[0]: row[1] for row in _PARAM_TABLE}
PARAM_LONG_NAMES: dict[str, str] = {row[0]: row[2] for row in _PARAM_TABLE}

#: The options, in the order of the ``winner`` code.
OPTIONS = ("mine", "gpuaas", "colocation")

_OUTPUT_TABLE = (
    ("units_mine", "1", "miners that fit"),
    ("units_gpu", "1", "GPU system units that fit"),
    ("gpu_count", "1", "GPUs"),
    ("hashrate_mine", "hash/s", "hash rate of the mining fleet"),
    ("it_power_mine", "W", "IT power of the mining fleet"),
    ("it_power_gpu", "W", "IT power of the GPU systems"),
    ("btc_mined", "BTC", "BTC mined over the horizon"),
    ("revenue_mine", "USD", "mining revenue over the horizon"),
    ("revenue_gpuaas", "USD", "GPU-as-a-service revenue over the horizon"),
    ("revenue_colocation", "USD", "colocation revenue over the horizon"),
    ("noi_mine", "USD", "mining net operating income over the horizon"),
    ("noi_gpuaas", "USD", "GPU-as-a-service net operating income over the horizon"),
    ("noi_colocation", "USD", "colocation net operating income over the horizon"),
    ("ebitda_mine", "USD", "mining EBITDA over the horizon"),
    ("ebitda_gpuaas", "USD", "GPU-as-a-service EBITDA over the horizon"),
    ("ebitda_colocation", "USD", "colocation EBITDA over the horizon"),
    ("capex_mine", "USD", "mining capex within the horizon"),
    ("capex_gpuaas", "USD", "GPU-as-a-service capex within the horizon"),
    ("capex_colocation", "USD", "colocation capex within the horizon"),
    ("npv_mine", "USD", "net present value of mining"),
    ("npv_gpuaas", "USD", "net present value of GPU-as-a-service"),
    ("npv_colocation", "USD", "net present value of colocation"),
    ("npv_gpuaas_minus_mine", "USD", "NPV of GPU-as-a-service minus NPV of mining"),
    ("winner", "1", "option with the highest NPV (0 mine, 1 gpuaas, 2 colocation)"),
    ("breakeven_btc_price", "USD/BTC", "BTC price at which mining NPV equals GPU-as-a-service NPV"),
    ("breakeven_gpu_hour_price", "USD/s",
     "GPU-hour price at which GPU-as-a-service NPV equals mining NPV"),
    ("breakeven_power_price", "USD/J", "power price at which mining NPV equals GPU-as-a-service NPV"),
)

OUTPUTS: tuple[str, ...] = tuple(row[0] for row in _OUTPUT_TABLE)
OUTPUT_UNITS: dict[str, str] = {row[0]: row[1] for row in _OUTPUT_TABLE}
OUTPUT_LONG_NAMES: dict[str, str] = {row[0]: row[2] for row in _OUTPUT_TABLE}

# Indexes into p and out, as module constants (numba freezes them at compile time).
(UTILITY_POWER, PUE_MINE, PUE_GPU, AISLE_FACTOR, WHITE_SPACE, FLOOR_LOAD_LIMIT,
 HEAT_REJECTION_CAPACITY, MINER_POWER, MINER_HASHRATE, MINER_UNITS_PER_RACK,
 MINER_RACK_FOOTPRINT, MINER_RACK_WEIGHT, GPU_POWER_MAX, GPU_POWER_TYPICAL, GPUS_PER_UNIT,
 GPU_UNITS_PER_RACK, GPU_RACK_FOOTPRINT, GPU_RACK_WEIGHT, BTC_PRICE, DIFFICULTY,
 FEES_PER_BLOCK, BLOCK_HEIGHT, DIFFICULTY_GROWTH, BTC_PRICE_GROWTH, POOL_FEE, UPTIME,
 POWER_PRICE, DEMAND_CHARGE, POWER_PRICE_GROWTH, GPU_HOUR_PRICE, GPU_SYSTEM_PRICE,
 GPU_PRICE_DECLINE, UTILIZATION, GPU_IDLE_POWER_SHARE, INSTALLATION_PER_GPU,
 STAFF_PER_1000_GPUS, NETWORK_SOFTWARE, BUILD_PERIOD, COLOCATION_RATE, COLOCATION_ESCALATOR,
 COLOCATION_OPEX_SHARE, FACILITY_CAPEX, MINER_PRICE, MINING_FACILITY_CAPEX,
 MINING_BUILD_PERIOD, STAFF_COST, MINING_STAFF_PER_MW, MAINTENANCE_IT, MAINTENANCE_FACILITY,
 INSURANCE, SGA_SHARE, DISCOUNT_RATE, USEFUL_LIFE_IT, USEFUL_LIFE_FACILITY,
 RESIDUAL_VALUE) = range(len(PARAMS))

(O_UNITS_MINE, O_UNITS_GPU, O_GPU_COUNT, O_HASHRATE_MINE, O_IT_POWER_MINE, O_IT_POWER_GPU,
 O_BTC_MINED, O_REVENUE_MINE, O_REVENUE_GPUAAS, O_REVENUE_COLOCATION, O_NOI_MINE, O_NOI_GPUAAS,
 O_NOI_COLOCATION, O_EBITDA_MINE, O_EBITDA_GPUAAS, O_EBITDA_COLOCATION, O_CAPEX_MINE,
 O_CAPEX_GPUAAS, O_CAPEX_COLOCATION, O_NPV_MINE, O_NPV_GPUAAS, O_NPV_COLOCATION,
 O_NPV_GPUAAS_MINUS_MINE, O_WINNER, O_BREAKEVEN_BTC_PRICE, O_BREAKEVEN_GPU_HOUR_PRICE,
 O_BREAKEVEN_POWER_PRICE) = range(len(OUTPUTS))

assert len(PARAMS) == RESIDUAL_VALUE + 1 and len(OUTPUTS) == O_BREAKEVEN_POWER_PRICE + 1


@njit(error_model="numpy")
def _months(seconds):
    # a whole number of months from a duration [s] (the market checks it is whole)
    return int(np.floor(seconds / SECONDS_PER_MONTH + 0.5))


@njit(error_model="numpy")
def _book_share(months_in_service, life_months):
    # straight-line book value left after months_in_service, as a share of cost
    used = max(0.0, months_in_service) / life_months
    return max(0.0, 1.0 - used)


@njit(error_model="numpy")
def _spend(build, n_months, v):
    # capex of a build spread evenly over its months (all in month 0 if there is no build),
    # per unit of total: (share spent within the horizon, its discounted value)
    if build == 0:
        return 1.0, 1.0
    months = min(build, n_months)
    return months / build, geometric_sum(v, 1.0, ipow(v, months), 0, months) / build


@njit(error_model="numpy")
def _timing(p, n, v):
    """Discount factors of the scenario's dates: (v^(n-1), v^start_mine, v^start_gpu, and
    the spent share and discounted share of each facility build)."""
    start_m = _months(p[MINING_BUILD_PERIOD])
    start_g = _months(p[BUILD_PERIOD])
    share_m, disc_m = _spend(start_m, n, v)
    share_g, disc_g = _spend(start_g, n, v)
    return (ipow(v, n - 1), ipow(v, start_m), ipow(v, start_g), share_m, disc_m, share_g,
            disc_g)


@njit(error_model="numpy")
def _discount_factor(discount_rate):
    # monthly discount factor of an effective yearly rate
    return (1.0 + discount_rate) ** (-1.0 / 12.0)


@njit(error_model="numpy")
def _mining_time_sums(p, n, v, btc_price_mult, difficulty_mult, has_mult, difficulty_floor):
    """The mining sums of the scenario, the difficulty held at ``difficulty_floor`` or above
    (the monthly loop of :func:`mining_sums_floor`)."""
    height = np.int64(np.floor(p[BLOCK_HEIGHT] + 0.5))
    start = _months(p[MINING_BUILD_PERIOD])
    return mining_sums_floor(n, start, height, p[DIFFICULTY], p[DIFFICULTY_GROWTH],
                             p[FEES_PER_BLOCK], p[BTC_PRICE_GROWTH], p[POWER_PRICE_GROWTH], v,
                             btc_price_mult, difficulty_mult, has_mult, difficulty_floor)


@njit(error_model="numpy")
def _mining_time_sums_closed(p, n, v):
    """The mining sums without multipliers or floor, in closed form (no monthly loop)."""
    height = np.int64(np.floor(p[BLOCK_HEIGHT] + 0.5))
    start = _months(p[MINING_BUILD_PERIOD])
    return mining_sums_closed(n, start, height, p[DIFFICULTY], p[DIFFICULTY_GROWTH],
                              p[FEES_PER_BLOCK], p[BTC_PRICE_GROWTH], p[POWER_PRICE_GROWTH], v)


@njit(error_model="numpy")
def _lowest_difficulty(p, n):
    """The lowest trend difficulty over the mining months (the trend is monotone, so one of
    the first and last); +inf when the fleet never operates within the horizon."""
    start = _months(p[MINING_BUILD_PERIOD])
    if start >= n:
        return math.inf
    step = 1.0 + p[DIFFICULTY_GROWTH]
    return p[DIFFICULTY] * min(step ** start, step ** (n - 1))


@njit(error_model="numpy")
def _fleets(p):
    """Units of each option that fit the site: ``(miners, GPU system units)``."""
    utility = p[UTILITY_POWER]
    units_m, _ = fit_units(utility, p[PUE_MINE], p[MINER_POWER], p[MINER_UNITS_PER_RACK],
                           p[MINER_RACK_FOOTPRINT], p[AISLE_FACTOR], p[WHITE_SPACE],
                           p[MINER_RACK_WEIGHT], p[FLOOR_LOAD_LIMIT], p[HEAT_REJECTION_CAPACITY])
    units_g, _ = fit_units(utility, p[PUE_GPU], p[GPU_POWER_MAX], p[GPU_UNITS_PER_RACK],
                           p[GPU_RACK_FOOTPRINT], p[AISLE_FACTOR], p[WHITE_SPACE],
                           p[GPU_RACK_WEIGHT], p[FLOOR_LOAD_LIMIT], p[HEAT_REJECTION_CAPACITY])
    return units_m, units_g


@njit(error_model="numpy")
def _fleet_difficulty(p, units_m):
    # the difficulty below which the mining fleet would out-hash the whole network
    return fleet_difficulty(units_m * p[MINER_HASHRATE], p[UPTIME])


@njit(error_model="numpy")
def _scenario(p, n, units_m, units_g, timing, mine_sums, gpu_sums, colo_sums, out):
    """Assemble the outputs of one scenario from its fleets (:func:`_fleets`) and its time
    sums: the discount factors of :func:`_timing`, the mining sums of
    :func:`mining_sums_floor` (the fleet's share of the network capped at 1), the GPU sums of
    :func:`gpuaas_sums` (utilization applied) and the colocation sums of
    :func:`colocation_sums`."""
    S = SECONDS_PER_MONTH
    utility = p[UTILITY_POWER]
    it_m = units_m * p[MINER_POWER]
    hash_m = units_m * p[MINER_HASHRATE]
    it_g = units_g * p[GPU_POWER_MAX]
    gpus = units_g * p[GPUS_PER_UNIT]

    v_last, v_start_m, v_start_g, share_m, disc_m, share_g, disc_g = timing
    start_m = _months(p[MINING_BUILD_PERIOD])
    start_g = _months(p[BUILD_PERIOD])
    life_it = p[USEFUL_LIFE_IT] / S
    life_fac = p[USEFUL_LIFE_FACILITY] / S
    sga = p[SGA_SHARE]
    price_e = p[POWER_PRICE]
    demand = p[DEMAND_CHARGE]
    yearly_to_monthly = 1.0 / 12.0

    # --- mining ---------------------------------------------------------------------------
    uptime = p[UPTIME]
    btc_s, rev_s, rev_d, grow_s, grow_d, disc_s = mine_sums
    per_month = hash_m * uptime * (1.0 - p[POOL_FEE]) * S / HASHES_PER_DIFFICULTY
    btc = per_month * btc_s
    rev_coef_d = per_month * rev_d  # discounted revenue per USD/BTC of month-0 price
    rev_mine = p[BTC_PRICE] * per_month * rev_s
    rev_mine_d = p[BTC_PRICE] * rev_coef_d
    eq_mine = p[MINER_PRICE] * hash_m
    fac_mine = p[MINING_FACILITY_CAPEX] * utility
    fac_mine_spent = fac_mine * share_m
    fac_mine_d = fac_mine * disc_m
    eq_mine_spent = eq_mine if start_m < n else 0.0
    eq_mine_d = eq_mine * v_start_m if start_m < n else 0.0
    energy_mine = it_m * p[PUE_MINE] * uptime * S  # J a month at the month-0 price factor
    peak_mine = it_m * p[PUE_MINE] * S  # W*s a month, for the demand charge
    fixed_mine = (p[MINING_STAFF_PER_MW] * it_m * p[STAFF_COST] * S
                  + (p[MAINTENANCE_IT] * eq_mine + p[MAINTENANCE_FACILITY] * fac_mine
                     + p[INSURANCE] * (eq_mine + fac_mine)) * yearly_to_monthly)
    ops_mine = max(0, n - start_m)
    opex_mine = (price_e * energy_mine + demand * peak_mine) * grow_s + fixed_mine * ops_mine
    opex_mine_d = (price_e * energy_mine + demand * peak_mine) * grow_d + fixed_mine * disc_s
    noi_mine = rev_mine - opex_mine
    residual_mine = p[RESIDUAL_VALUE] * (
        eq_mine_spent * _book_share(n - start_m, life_it)
        + fac_mine_spent * _book_share(n - start_m, life_fac))
    npv_mine = (rev_mine_d * (1.0 - sga) - opex_mine_d - eq_mine_d - fac_mine_d
                + residual_mine * v_last)
    dnpv_dpower_mine = energy_mine * grow_d  # -dNPV/d(power price)

    # --- GPU-as-a-service -------------------------------------------------------------------
    idle = p[GPU_IDLE_POWER_SHARE]
    g_rev_s, g_rev_d, g_grow_s, g_grow_d, g_ugrow_s, g_ugrow_d, g_disc_s = gpu_sums
    gpu_seconds = gpus * S
    rev_gpu = p[GPU_HOUR_PRICE] * gpu_seconds * g_rev_s
    rev_gpu_d = p[GPU_HOUR_PRICE] * gpu_seconds * g_rev_d
    eq_gpu = units_g * p[GPU_SYSTEM_PRICE] + gpus * p[INSTALLATION_PER_GPU]
    fac_gpu = p[FACILITY_CAPEX] * utility
    fac_spent = fac_gpu * share_g
    fac_d = fac_gpu * disc_g
    eq_gpu_spent = eq_gpu if start_g < n else 0.0
    eq_gpu_d = eq_gpu * v_start_g if start_g < n else 0.0
    energy_gpu = units_g * p[GPU_POWER_TYPICAL] * p[PUE_GPU] * S  # J a month at full load
    peak_gpu = it_g * p[PUE_GPU] * S
    energy_gpu_s = energy_gpu * (idle * g_grow_s + (1.0 - idle) * g_ugrow_s)
    energy_gpu_d = energy_gpu * (idle * g_grow_d + (1.0 - idle) * g_ugrow_d)
    fixed_gpu = (p[STAFF_PER_1000_GPUS] * gpus / 1000.0 * p[STAFF_COST] * S
                 + p[NETWORK_SOFTWARE] * gpu_seconds
                 + (p[MAINTENANCE_IT] * eq_gpu + p[MAINTENANCE_FACILITY] * fac_gpu
                    + p[INSURANCE] * (eq_gpu + fac_gpu)) * yearly_to_monthly)
    ops_gpu = max(0, n - start_g)
    opex_gpu = price_e * energy_gpu_s + demand * peak_gpu * g_grow_s + fixed_gpu * ops_gpu
    opex_gpu_d = price_e * energy_gpu_d + demand * peak_gpu * g_grow_d + fixed_gpu * g_disc_s
    noi_gpu = rev_gpu - opex_gpu
    book_fac = _book_share(n - start_g, life_fac)
    residual_gpu = p[RESIDUAL_VALUE] * (eq_gpu_spent * _book_share(n - start_g, life_it)
                                        + fac_spent * book_fac)
    npv_gpu = rev_gpu_d * (1.0 - sga) - opex_gpu_d - eq_gpu_d - fac_d + residual_gpu * v_last

    # --- colocation (same facility and build; the tenant brings the GPUs) -------------------
    c_s, c_d = colo_sums
    lease = p[COLOCATION_RATE] * it_g * S
    rev_colo = lease * c_s
    rev_colo_d = lease * c_d
    keep = 1.0 - p[COLOCATION_OPEX_SHARE]
    noi_colo = rev_colo * keep
    npv_colo = (rev_colo_d * (keep - sga) - fac_d
                + p[RESIDUAL_VALUE] * fac_spent * book_fac * v_last)

    # --- outputs ----------------------------------------------------------------------------
    out[O_UNITS_MINE] = units_m
    out[O_UNITS_GPU] = units_g
    out[O_GPU_COUNT] = gpus
    out[O_HASHRATE_MINE] = hash_m
    out[O_IT_POWER_MINE] = it_m
    out[O_IT_POWER_GPU] = it_g
    out[O_BTC_MINED] = btc
    out[O_REVENUE_MINE] = rev_mine
    out[O_REVENUE_GPUAAS] = rev_gpu
    out[O_REVENUE_COLOCATION] = rev_colo
    out[O_NOI_MINE] = noi_mine
    out[O_NOI_GPUAAS] = noi_gpu
    out[O_NOI_COLOCATION] = noi_colo
    out[O_EBITDA_MINE] = noi_mine - sga * rev_mine
    out[O_EBITDA_GPUAAS] = noi_gpu - sga * rev_gpu
    out[O_EBITDA_COLOCATION] = noi_colo - sga * rev_colo
    out[O_CAPEX_MINE] = eq_mine_spent + fac_mine_spent
    out[O_CAPEX_GPUAAS] = eq_gpu_spent + fac_spent
    out[O_CAPEX_COLOCATION] = fac_spent
    out[O_NPV_MINE] = npv_mine
    out[O_NPV_GPUAAS] = npv_gpu
    out[O_NPV_COLOCATION] = npv_colo
    out[O_NPV_GPUAAS_MINUS_MINE] = npv_gpu - npv_mine
    if math.isnan(npv_mine) or math.isnan(npv_gpu) or math.isnan(npv_colo):
        out[O_WINNER] = math.nan
    elif npv_mine >= npv_gpu and npv_mine >= npv_colo:
        out[O_WINNER] = 0.0
    elif npv_gpu >= npv_colo:
        out[O_WINNER] = 1.0
    else:
        out[O_WINNER] = 2.0
    # Breakevens, exact because each NPV is linear in the price: NPV = NPV0 + slope x change.
    slope_btc = (1.0 - sga) * rev_coef_d
    out[O_BREAKEVEN_BTC_PRICE] = (p[BTC_PRICE] + (npv_gpu - npv_mine) / slope_btc
                                  if slope_btc > 0.0 else math.nan)
    slope_gpu = (1.0 - sga) * gpu_seconds * g_rev_d
    out[O_BREAKEVEN_GPU_HOUR_PRICE] = (p[GPU_HOUR_PRICE] + (npv_mine - npv_gpu) / slope_gpu
                                       if slope_gpu > 0.0 else math.nan)
    d_power = dnpv_dpower_mine - energy_gpu_d
    out[O_BREAKEVEN_POWER_PRICE] = (price_e + (npv_mine - npv_gpu) / d_power
                                    if d_power != 0.0 else math.nan)


@njit(error_model="numpy")
def scenario_cashflows(p, n_months, btc_price_mult, difficulty_mult, gpu_price_mult,
                       utilization_mult, out):
    """Evaluate one scenario; write ``len(OUTPUTS)`` values into ``out`` (float64[K]).

    ``p`` is a float64 vector named by :data:`PARAMS`. The four ``*_mult`` arrays
    (float64[n_months]) multiply the deterministic trend month by month (all ones = the
    deterministic case); Monte Carlo passes random paths. The difficulty multiplier divides the
    BTC mined; utilization is capped at 1 after its multiplier. Breakevens are solved for the
    trend's month-0 value with the paths held fixed. Runs the monthly loop (no allocation).

    The mining fleet's share of the network is at most 1: a month's difficulty (after its
    multiplier) is never below the fleet's own, ``H x uptime x 600 / 2^32``, as in
    :func:`rackplan.economics.mining.mining_months`.
    """
    v = _discount_factor(p[DISCOUNT_RATE])
    start_g = _months(p[BUILD_PERIOD])
    units_m, units_g = _fleets(p)
    mine = _mining_time_sums(p, n_months, v, btc_price_mult, difficulty_mult, True,
                             _fleet_difficulty(p, units_m))
    gpu = gpuaas_sums(n_months, start_g, p[UTILIZATION], p[GPU_PRICE_DECLINE],
                      p[POWER_PRICE_GROWTH], v, gpu_price_mult, utilization_mult, True)
    colo = colocation_sums(n_months, start_g, p[COLOCATION_ESCALATOR], v)
    _scenario(p, n_months, units_m, units_g, _timing(p, n_months, v), mine, gpu, colo, out)


@njit(parallel=True, error_model="numpy")
def evaluate(base, varied, varied_idx, n_months):
    """Evaluate ``N`` scenarios: ``base`` float64[P], ``varied`` float64[N, V], ``varied_idx``
    int64[V] (which entries of ``p`` vary). For each scenario ``i``: ``p = base`` with
    ``p[varied_idx] = varied[i]``, evaluated with all-ones multipliers. Returns float64[N, K].

    The same model as :func:`scenario_cashflows`, with the monthly sums in closed form. The
    scenarios are split into blocks (one thread each at a time); a block copies ``base`` once
    and overwrites the varied entries per scenario, so nothing is allocated per scenario. The
    time sums (discount factor, the mining, GPU and colocation sums) depend on a few inputs
    only (discount rate, block height, difficulty and its growth, fees, growth and decline
    rates, build periods); a block keeps the last ones and recomputes them only when one of
    those inputs changes, which in a sweep over prices, power, utilization or sizing is never.
    Where the difficulty trend falls below the fleet's own difficulty within the horizon (the
    fleet would out-hash the network), the mining sums are taken by the monthly loop with the
    difficulty held there (share of the network 1), as :func:`scenario_cashflows` does.
    """
    n = varied.shape[0]
    k = len(OUTPUTS)
    result = np.empty((n, k))
    n_blocks = min(n, 256) if n > 0 else 0
    nan = math.nan
    for b in prange(n_blocks):
        lo = b * n // n_blocks
        hi = (b + 1) * n // n_blocks
        p = base.copy()
        out = np.empty(k)
        # last inputs of the time sums (NaN: none yet) and the sums themselves
        r_last = nan
        v = 1.0
        t_key = (nan, nan)
        timing = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        m_key = (nan, nan, nan, nan, nan, nan, nan, nan)
        mine = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        d_low = nan
        g_key = (nan, nan, nan, nan)
        gpu1 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        c_key = (nan, nan, nan)
        colo = (0.0, 0.0)
        for i in range(lo, hi):
            for j in range(varied_idx.shape[0]):
                p[varied_idx[j]] = varied[i, j]
            changed = not p[DISCOUNT_RATE] == r_last  # NaN never equals: recompute
            if changed:
                r_last = p[DISCOUNT_RATE]
                v = _discount_factor(r_last)
            key_t = (p[MINING_BUILD_PERIOD], p[BUILD_PERIOD])
            if changed or not key_t == t_key:
                t_key = key_t
                timing = _timing(p, n_months, v)
            key = (p[MINING_BUILD_PERIOD], p[BLOCK_HEIGHT], p[DIFFICULTY],
                   p[DIFFICULTY_GROWTH], p[FEES_PER_BLOCK], p[BTC_PRICE_GROWTH],
                   p[POWER_PRICE_GROWTH], r_last)
            if changed or not key == m_key:
                m_key = key
                mine = _mining_time_sums_closed(p, n_months, v)
                d_low = _lowest_difficulty(p, n_months)
            key_g = (p[BUILD_PERIOD], p[GPU_PRICE_DECLINE], p[POWER_PRICE_GROWTH], r_last)
            start_g = _months(p[BUILD_PERIOD])
            if changed or not key_g == g_key:
                g_key = key_g
                gpu1 = gpuaas_sums_closed(n_months, start_g, 1.0, p[GPU_PRICE_DECLINE],
                                          p[POWER_PRICE_GROWTH], v)
            key_c = (p[BUILD_PERIOD], p[COLOCATION_ESCALATOR], r_last)
            if changed or not key_c == c_key:
                c_key = key_c
                colo = colocation_sums_closed(n_months, start_g, p[COLOCATION_ESCALATOR], v)
            u = p[UTILIZATION]  # the GPU sums at utilization 1, scaled (exact: u is constant)
            gpu = (u * gpu1[0], u * gpu1[1], gpu1[2], gpu1[3], u * gpu1[4], u * gpu1[5],
                   gpu1[6])
            units_m, units_g = _fleets(p)
            floor = _fleet_difficulty(p, units_m)
            used = mine
            if floor > d_low:  # the trend falls below the fleet's own difficulty: cap, by loop
                used = _mining_time_sums(p, n_months, v, out, out, False, floor)
            _scenario(p, n_months, units_m, units_g, timing, used, gpu, colo, out)
            for q in range(k):
                result[i, q] = out[q]
    return result


# ---------------------------------------------------------------------------------------------
# NumPy twin: vectorized over scenarios, one step per month with pow() from month 0, written
# apart from the kernel so that it can catch the kernel's mistakes.


def evaluate_numpy(base, varied, varied_idx, n_months, chunk=16384, *, btc_price_mult=None,
                   difficulty_mult=None, gpu_price_mult=None, utilization_mult=None):
    """NumPy twin of :func:`evaluate`: the same results, vectorized over scenarios and months
    (2-D arrays of ``chunk`` scenarios x ``n_months``).

    The optional ``*_mult`` arrays (float64[N, n_months], ``None`` = all ones) multiply the
    trend of scenario ``i`` month by month, as :func:`scenario_cashflows` does with its
    multipliers: the NumPy twin of the Monte Carlo kernel passes its random paths here.
    """
    base = np.asarray(base, dtype=float)
    varied = np.asarray(varied, dtype=float)
    n = varied.shape[0]
    mults = [None if a is None else np.asarray(a, dtype=float)
             for a in (btc_price_mult, difficulty_mult, gpu_price_mult, utilization_mult)]
    out = np.empty((n, len(OUTPUTS)))
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        P = np.broadcast_to(base, (hi - lo, base.shape[0])).copy()
        if varied.size:
            P[:, np.asarray(varied_idx, dtype=np.int64)] = varied[lo:hi]
        out[lo:hi] = _evaluate_numpy_chunk(P, n_months,
                                           *(None if a is None else a[lo:hi] for a in mults))
    return out


def _evaluate_numpy_chunk(P, n_months, bm=None, dm=None, gm=None, um=None):
    n = P.shape[0]
    c = {name: P[:, i:i + 1] for i, name in enumerate(PARAMS)}  # columns, shape (n, 1)
    S = SECONDS_PER_MONTH
    m = np.arange(n_months, dtype=float)[None, :]  # shape (1, months)

    units_m, _ = fit_units_numpy(c["utility_power"], c["pue_mine"], c["miner_power"],
                                 c["miner_units_per_rack"], c["miner_rack_footprint"],
                                 c["aisle_factor"], c["white_space"], c["miner_rack_weight"],
                                 c["floor_load_limit"], c["heat_rejection_capacity"])
    units_g, _ = fit_units_numpy(c["utility_power"], c["pue_gpu"], c["gpu_power_max"],
                                 c["gpu_units_per_rack"], c["gpu_rack_footprint"],
                                 c["aisle_factor"], c["white_space"], c["gpu_rack_weight"],
                                 c["floor_load_limit"], c["heat_rejection_capacity"])
    it_m = units_m * c["miner_power"]
    hash_m = units_m * c["miner_hashrate"]
    it_g = units_g * c["gpu_power_max"]
    gpus = units_g * c["gpus_per_unit"]
    start_m = np.floor(c["mining_build_period"] / S + 0.5)
    start_g = np.floor(c["build_period"] / S + 0.5)
    sga = c["sga_share"]
    disc = (1.0 + c["discount_rate"]) ** (-m / 12.0)
    power_f = (1.0 + c["power_price_growth"]) ** (m / 12.0)

    # capex lines
    eq_mine = c["miner_price"] * hash_m
    fac_mine = c["mining_facility_capex"] * c["utility_power"]
    eq_gpu = units_g * c["gpu_system_price"] + gpus * c["installation_per_gpu"]
    fac_gpu = c["facility_capex"] * c["utility_power"]

    def spread(total, start):
        # facility capex: evenly over the build months, or all in month 0 without a build
        per_month = np.where(start > 0, total / np.maximum(start, 1.0), 0.0)
        return (np.where(m < start, per_month, 0.0)
                + np.where((start == 0) & (m == 0), total, 0.0))

    # --- mining: month by month, subsidy from the block height -----------------------------
    on_m = m >= start_m
    height = np.floor(c["block_height"][:, 0] + 0.5).astype(np.int64)
    subsidy = month_subsidy_numpy(height, n_months).T  # (n, months)
    difficulty = c["difficulty"] * (1.0 + c["difficulty_growth"]) ** m
    h_eff = hash_m * c["uptime"] * (1.0 - c["pool_fee"])
    if dm is not None:  # Monte Carlo: the difficulty multiplier divides the BTC mined
        difficulty = difficulty * dm
    # the fleet's share of the network is at most 1: never below the fleet's own difficulty
    difficulty = np.fmax(difficulty, hash_m * c["uptime"] * (S / BLOCKS_PER_MONTH)
                         / HASHES_PER_DIFFICULTY)
    btc = np.where(on_m, h_eff * S * (subsidy + c["fees_per_block"])
                   / (difficulty * HASHES_PER_DIFFICULTY), 0.0)
    price_f = (1.0 + c["btc_price_growth"]) ** (m / 12.0)
    if bm is not None:
        price_f = price_f * bm
    rev_m = btc * c["btc_price"] * price_f
    energy_m = np.where(on_m, it_m * c["pue_mine"] * c["uptime"] * S, 0.0)
    fixed_mine = (c["mining_staff_per_mw"] * it_m * c["staff_cost"] * S
                  + (c["maintenance_it"] * eq_mine + c["maintenance_facility"] * fac_mine
                     + c["insurance"] * (eq_mine + fac_mine)) / 12.0)
    opex_m = (energy_m * c["power_price"] * power_f
              + np.where(on_m, it_m * c["pue_mine"] * S * c["demand_charge"] * power_f
                         + fixed_mine, 0.0))
    capex_m = spread(fac_mine, start_m) + np.where(m == start_m, eq_mine, 0.0)

    # --- GPU-as-a-service and colocation share the build -----------------------------------
    on_g = m >= start_g
    decline_f = (1.0 - c["gpu_price_decline"]) ** (m / 12.0)
    if gm is not None:
        decline_f = decline_f * gm
    util = c["utilization"] if um is None else np.minimum(1.0, c["utilization"] * um)
    sold = np.where(on_g, gpus * S * util, 0.0)
    rev_g = sold * c["gpu_hour_price"] * decline_f
    load = c["gpu_idle_power_share"] + (1.0 - c["gpu_idle_power_share"]) * util
    energy_g = np.where(on_g, units_g * c["gpu_power_typical"] * load * c["pue_gpu"] * S, 0.0)
    fixed_gpu = (c["staff_per_1000_gpus"] * gpus / 1000.0 * c["staff_cost"] * S
                 + c["network_software"] * gpus * S
                 + (c["maintenance_it"] * eq_gpu + c["maintenance_facility"] * fac_gpu
                    + c["insurance"] * (eq_gpu + fac_gpu)) / 12.0)
    opex_g = (energy_g * c["power_price"] * power_f
              + np.where(on_g, it_g * c["pue_gpu"] * S * c["demand_charge"] * power_f
                         + fixed_gpu, 0.0))
    fac_capex_g = spread(fac_gpu, start_g)
    capex_g = fac_capex_g + np.where(m == start_g, eq_gpu, 0.0)
    lease_years = np.floor(np.maximum(m - start_g, 0.0) / 12.0)
    rev_c = np.where(on_g, c["colocation_rate"] * (1.0 + c["colocation_escalator"])
                     ** lease_years * it_g * S, 0.0)
    keep = 1.0 - c["colocation_opex_share"]

    # --- finance: NPV of EBITDA - capex, plus the residual book value in the last month -----
    last = disc[:, -1:]
    life_it = c["useful_life_it"] / S
    life_fac = c["useful_life_facility"] / S

    def book(start, life):
        return np.maximum(0.0, 1.0 - np.maximum(0.0, n_months - start) / life)

    fac_spent_m = capex_m.sum(axis=1, keepdims=True) - np.where(start_m < n_months, eq_mine,
                                                                 0.0)
    fac_spent_g = fac_capex_g.sum(axis=1, keepdims=True)
    eq_spent_m = np.where(start_m < n_months, eq_mine, 0.0)
    eq_spent_g = np.where(start_g < n_months, eq_gpu, 0.0)
    rv = c["residual_value"]

    def total(x):
        return x.sum(axis=1)

    npv_m = total((rev_m * (1.0 - sga) - opex_m - capex_m) * disc) + (
        rv * (eq_spent_m * book(start_m, life_it) + fac_spent_m * book(start_m, life_fac))
        * last)[:, 0]
    npv_g = total((rev_g * (1.0 - sga) - opex_g - capex_g) * disc) + (
        rv * (eq_spent_g * book(start_g, life_it) + fac_spent_g * book(start_g, life_fac))
        * last)[:, 0]
    npv_c = total((rev_c * (keep - sga) - fac_capex_g) * disc) + (
        rv * fac_spent_g * book(start_g, life_fac) * last)[:, 0]

    out = np.empty((n, len(OUTPUTS)))
    o = {name: i for i, name in enumerate(OUTPUTS)}
    col = {"units_mine": units_m, "units_gpu": units_g, "gpu_count": gpus,
           "hashrate_mine": hash_m, "it_power_mine": it_m, "it_power_gpu": it_g}
    for name, value in col.items():
        out[:, o[name]] = value[:, 0]
    revenue = (total(rev_m), total(rev_g), total(rev_c))
    noi = (total(rev_m - opex_m), total(rev_g - opex_g), total(rev_c) * keep[:, 0])
    out[:, o["btc_mined"]] = total(btc)
    for i, opt in enumerate(("mine", "gpuaas", "colocation")):
        out[:, o[f"revenue_{opt}"]] = revenue[i]
        out[:, o[f"noi_{opt}"]] = noi[i]
        out[:, o[f"ebitda_{opt}"]] = noi[i] - sga[:, 0] * revenue[i]
    out[:, o["capex_mine"]] = total(capex_m)
    out[:, o["capex_gpuaas"]] = total(capex_g)
    out[:, o["capex_colocation"]] = fac_spent_g[:, 0]
    out[:, o["npv_mine"]] = npv_m
    out[:, o["npv_gpuaas"]] = npv_g
    out[:, o["npv_colocation"]] = npv_c
    out[:, o["npv_gpuaas_minus_mine"]] = npv_g - npv_m
    npvs = np.stack([npv_m, npv_g, npv_c])
    winner = np.argmax(npvs, axis=0).astype(float)  # first maximum: ties go to the lower code
    out[:, o["winner"]] = np.where(np.isnan(npvs).any(axis=0), np.nan, winner)
    # d NPV / d price of each breakeven, from the same monthly lines
    slope_btc = total(btc * price_f * disc) * (1.0 - sga[:, 0])
    slope_gpu = total(sold * decline_f * disc) * (1.0 - sga[:, 0])
    d_power = total((energy_m - energy_g) * power_f * disc)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, o["breakeven_btc_price"]] = np.where(
            slope_btc > 0, c["btc_price"][:, 0] + (npv_g - npv_m) / slope_btc, np.nan)
        out[:, o["breakeven_gpu_hour_price"]] = np.where(
            slope_gpu > 0, c["gpu_hour_price"][:, 0] + (npv_m - npv_g) / slope_gpu, np.nan)
        out[:, o["breakeven_power_price"]] = np.where(
            d_power != 0, c["power_price"][:, 0] + (npv_m - npv_g) / d_power, np.nan)
    return out
