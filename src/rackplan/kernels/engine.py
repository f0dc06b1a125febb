"""The monthly cash-flow engine: one scenario = one site + one mining profile + one GPU profile +
one market, its options (mining, GPU-as-a-service, colocation, ...) valued month by month.

A scenario is a flat float64 vector ``p`` named by :data:`PARAMS` (units in :data:`PARAM_UNITS`,
SI and USD; shares and growth rates as plain numbers, per month or per year as
:data:`PARAM_LONG_NAMES` says). Its options are *slots*: each slot has a *kind* (a row of the
kernel's option table, :data:`KINDS`) and a *fleet* (the profile the site is sized for,
:data:`FLEETS`). ``rackplan.compare`` is one scenario of this engine, a sweep ``N`` grid
points, Monte Carlo ``N`` paths with their monthly price and difficulty multipliers.

The model, month ``m`` from the market date (``docs/economics.md``): each option writes the
monthly lines of :data:`LINES` (revenue, each opex line, SG&A, capex, depreciation, the residual
value, cash flow). A line is the product of a *scale* of the scenario (fleet, prices, costs: what
a sweep varies most) and a *basis* series of the month (growth, decline, subsidy, difficulty,
the operating and build months, depreciation shares: the time shape)::

    line[m] = sum_j  W[line, j](scales)  x  basis[j][m]

so that the discounted and undiscounted sums of a line are the same combination of the
discounted and undiscounted sums of the basis. The engine writes that combination once per
option kind (``_lines_*``) and applies it either month by month (for the monthly lines of
``compare``, a Monte Carlo path, or where the mining fleet would out-hash the network) or to
the basis sums (for the NPVs and totals of a sweep). The basis sums depend on the time-shape
inputs only (:data:`SHAPE_PARAMS`), so a block of scenarios that does not vary them computes
them once: a sweep over prices, power, sizing or costs costs a few dozen multiplications a
scenario, not a monthly loop. Both orders give the same numbers to rounding (tested).

Conventions: months of 30.4375 days, 4,383 blocks; growth from the market date (a yearly rate
``g`` gives ``(1 + g)^(m/12)``, a monthly one ``(1 + g)^m``); month ``m`` discounted by
``(1 + r)^(-m/12)``, month 0 undiscounted; capex of a build spread evenly over its months
(all in month 0 without a build), equipment bought in the first operating month; straight-line
depreciation from the first operating month; a fleet runs for its IT's useful life, then
retires. At the horizon the assets are worth their terminal value (:data:`TERMINAL_VALUES`):
by default (``dcf``) the months after the horizon are valued as they come, until the fleet
retires and its facility is counted at ``residual_value`` x its book value then, so that an
NPV does not depend on the horizon; ``book`` counts ``residual_value`` x the undepreciated book
value in the last month. Cash flow is unlevered and after income tax: EBITDA - capex +
residual value - ``tax_rate`` x (EBITDA - tax depreciation + residual value), the tax negative
in a month with a loss (it offsets the owner's other income), so that every line stays
linear in every price.

:func:`evaluate` runs many scenarios on all threads, :func:`evaluate_serial` on the calling
thread (a dask worker's), :func:`scenario_lines` one scenario with its monthly lines;
:mod:`rackplan.kernels.engine_numpy` is the NumPy twin (the test oracle and benchmark
baseline).
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import fixed_tuple, njit
from rackplan.kernels.capacity import fit_units
from rackplan.kernels.cashflow import (
    BLOCKS_PER_MONTH,
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    SATS_PER_BTC,
    SECONDS_PER_MONTH,
    block_subsidy_sats,
)

__all__ = [
    "PARAMS", "PARAM_UNITS", "PARAM_LONG_NAMES", "SHAPE_PARAMS", "SIZING_PARAMS",
    "KINDS", "FLEETS", "LINES", "LINE_UNITS", "OPEX_LINES",
    "output_table", "n_outputs", "evaluate", "evaluate_grid", "evaluate_serial",
    "scenario_lines",
    "run_scenario", "size_fleets", "run_blocks", "Work", "network_path", "network_months",
    "uses_network",
    "DIFFICULTY_MODELS",
]

#: ``(name, unit, long name)`` of each entry of a scenario vector, in order. Units are SI (and
#: USD, BTC, hash); rates are plain numbers with their period in the long name.
_PARAM_TABLE = (
    # site
    ("utility_power", "W", "gross utility interconnect"),
    ("pue_mine", "1", "PUE of the mining hall in the design hour: sizes the miners"),
    ("pue_gpu", "1", "PUE of the GPU hall in the design hour: sizes the GPU systems"),
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
    ("utilization_ramp", "s", "time from the first operating month to full utilization"),
    ("gpu_contract_share", "1", "share of the GPUs under a take-or-pay contract"),
    ("gpu_contract_price", "USD/s", "contract price of one GPU's time, flat over the term"),
    ("gpu_contract_term", "s", "contract term from the first operating month"),
    ("gpu_prepayment", "1", "share of the contract's value paid at signing (month 0)"),
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
    ("sga_share", "1",
     "SG&A, share of revenue (mining, colocation, the GPU contract); of GPU hours sold at the "
     "merchant price: sga_share_merchant"),
    # market: finance
    ("discount_rate", "1", "discount rate per year (effective)"),
    ("discount_rate_mine", "1", "mining's discount rate per year (NaN: discount_rate)"),
    ("discount_rate_gpuaas", "1",
     "GPU-as-a-service's discount rate per year (NaN: discount_rate)"),
    ("discount_rate_colocation", "1", "colocation's discount rate per year (NaN: discount_rate)"),
    ("useful_life_it", "s", "useful life of IT equipment (miners, GPU systems)"),
    ("useful_life_facility", "s", "useful life of facility capex"),
    ("residual_value", "1",
     "share of book value counted as terminal value (book: all assets at the horizon; dcf: "
     "the facility when its fleet retires)"),
    ("terminal_value", "1", "terminal value convention (0 dcf, 1 book, 2 zero)"),
    ("miner_shutdown", "1",
     "1: the miners switch off in a month whose revenue after SG&A does not cover their power; "
     "0: they hash on"),
    # market: taxes
    ("tax_rate", "1", "income tax rate (a loss offsets the owner's other taxable income)"),
    ("tax_depreciation", "1", "tax depreciation (0 straight_line, 1 macrs, 2 bonus)"),
    ("bonus_depreciation", "1",
     "bonus depreciation, share of the cost deducted in the first operating month"),
    ("sales_tax", "1", "sales tax on IT equipment (0 where exempt)"),
    ("property_tax", "1", "property tax per year, share of the book value"),
    # market: the Bitcoin network
    ("difficulty_model", "1",
     "difficulty path (0 trend: difficulty_growth; 1 equilibrium: the hash rate follows the "
     "hashprice)"),
    ("network_cost", "USD/hash",
     "the marginal fleet's cash cost per hash at month 0 (its hashcost)"),
    ("network_efficiency_gain", "1", "fall of the marginal fleet's cost per hash per year"),
    ("difficulty_adjustment", "1",
     "share of the gap to the equilibrium hash rate closed in a month (growing)"),
    ("mining_existing", "1",
     "1: the mining option keeps the site's fleet and facility (sunk: no capex, no "
     "depreciation, no terminal value); 0: it buys them"),
    ("miner_warranty", "s",
     "the miners' warranty from their first operating month (no IT maintenance paid)"),
    ("gpu_warranty", "s",
     "the GPU systems' warranty from their first operating month (no IT maintenance paid)"),
    ("tenant_default_rate", "1",
     "probability a year that a tenant (colocation, the GPU contract's) defaults, from its "
     "lease's start"),
    ("tenant_recovery", "1",
     "share of the rent still earned after a tenant's default (claims and re-leasing)"),
    # site: the AI hall's rack positions (NaN: not given)
    ("rack_positions", "1", "rack positions of the GPU hall (NaN: not a constraint)"),
    ("design_rack_power", "W", "power a GPU rack position is designed for (NaN: any)"),
    # the plants over a weather year: what the energy costs (the PUEs above, of the design
    # hour, size the fleets and set the demand charge)
    ("energy_pue_mine", "1", "annual PUE of the mining hall: prices the miners' energy"),
    ("energy_pue_gpu", "1", "annual PUE of the GPU hall: prices the GPU systems' energy"),
    # the weather's hours the mining hall cannot cool (no trim chiller): the miners curtail
    ("mining_weather_uptime", "1",
     "share of the weather year's hours the mining hall's plant holds the coolant supply"),
    # the scale-out network, storage and management a GPU system unit needs, outside its rack
    # (0: the profile gives none): on the feed and the bill, not on a rack position
    ("gpu_power_outside", "W", "power one GPU system unit draws outside its rack"),
    # a cloud that sells its own hours pays for sales, billing and support on them
    ("sga_share_merchant", "1", "SG&A, share of the GPU hours' revenue at the merchant price"),
)

PARAMS: tuple[str, ...] = tuple(row[0] for row in _PARAM_TABLE)
PARAM_UNITS: dict[str, str] = {row[0]: row[1] for row in _PARAM_TABLE}
PARAM_LONG_NAMES: dict[str, str] = {row[0]: row[2] for row in _PARAM_TABLE}

# Indexes into p, as module constants (numba freezes them at compile time).
(UTILITY_POWER, PUE_MINE, PUE_GPU, AISLE_FACTOR, WHITE_SPACE, FLOOR_LOAD_LIMIT,
 HEAT_REJECTION_CAPACITY, MINER_POWER, MINER_HASHRATE, MINER_UNITS_PER_RACK,
 MINER_RACK_FOOTPRINT, MINER_RACK_WEIGHT, GPU_POWER_MAX, GPU_POWER_TYPICAL, GPUS_PER_UNIT,
 GPU_UNITS_PER_RACK, GPU_RACK_FOOTPRINT, GPU_RACK_WEIGHT, BTC_PRICE, DIFFICULTY,
 FEES_PER_BLOCK, BLOCK_HEIGHT, DIFFICULTY_GROWTH, BTC_PRICE_GROWTH, POOL_FEE, UPTIME,
 POWER_PRICE, DEMAND_CHARGE, POWER_PRICE_GROWTH, GPU_HOUR_PRICE, GPU_SYSTEM_PRICE,
 GPU_PRICE_DECLINE, UTILIZATION, UTILIZATION_RAMP, GPU_CONTRACT_SHARE, GPU_CONTRACT_PRICE,
 GPU_CONTRACT_TERM, GPU_PREPAYMENT, GPU_IDLE_POWER_SHARE, INSTALLATION_PER_GPU,
 STAFF_PER_1000_GPUS, NETWORK_SOFTWARE, BUILD_PERIOD, COLOCATION_RATE, COLOCATION_ESCALATOR,
 COLOCATION_OPEX_SHARE, FACILITY_CAPEX, MINER_PRICE, MINING_FACILITY_CAPEX,
 MINING_BUILD_PERIOD, STAFF_COST, MINING_STAFF_PER_MW, MAINTENANCE_IT, MAINTENANCE_FACILITY,
 INSURANCE, SGA_SHARE, DISCOUNT_RATE, DISCOUNT_RATE_MINE, DISCOUNT_RATE_GPUAAS,
 DISCOUNT_RATE_COLOCATION, USEFUL_LIFE_IT, USEFUL_LIFE_FACILITY,
 RESIDUAL_VALUE, TERMINAL_VALUE, MINER_SHUTDOWN, TAX_RATE, TAX_DEPRECIATION,
 BONUS_DEPRECIATION, SALES_TAX, PROPERTY_TAX, DIFFICULTY_MODEL, NETWORK_COST,
 NETWORK_EFFICIENCY_GAIN, DIFFICULTY_ADJUSTMENT, MINING_EXISTING, MINER_WARRANTY,
 GPU_WARRANTY, TENANT_DEFAULT_RATE, TENANT_RECOVERY, RACK_POSITIONS,
 DESIGN_RACK_POWER, ENERGY_PUE_MINE, ENERGY_PUE_GPU, MINING_WEATHER_UPTIME,
 GPU_POWER_OUTSIDE, SGA_SHARE_MERCHANT) = range(len(PARAMS))
assert len(PARAMS) == SGA_SHARE_MERCHANT + 1

#: How the network's difficulty moves (``difficulty_model``, by code): ``trend``, by
#: ``difficulty_growth`` a month whatever the price; ``equilibrium``, the hash rate follows the
#: level at which the hashprice pays the marginal fleet's cash cost (:func:`network_path`).
DIFFICULTY_MODELS = ("trend", "equilibrium")
DM_TREND, DM_EQUILIBRIUM = range(len(DIFFICULTY_MODELS))

#: What an option's assets are worth at the horizon (``terminal_value``, by code):
#: ``dcf`` the present value of what the fleet still earns until it retires at the end of its
#: IT's useful life, then the facility at its book value; ``book`` the undepreciated book value
#: at the horizon; ``zero`` nothing.
TERMINAL_VALUES = ("dcf", "book", "zero")
TV_DCF, TV_BOOK, TV_ZERO = range(len(TERMINAL_VALUES))
#: How the cost of an asset is deducted from taxable income (``tax_depreciation``, by code):
#: straight line over its useful life, MACRS (:data:`MACRS_IT`, :data:`MACRS_FACILITY`), or
#: ``bonus_depreciation`` of it in the first operating month and the rest by MACRS. Whatever
#: is left when an asset is sold or retired (where the residual value is counted) is deducted
#: then, and the residual value is taxed as income.
TAX_DEPRECIATIONS = ("straight_line", "macrs", "bonus")
TD_STRAIGHT_LINE, TD_MACRS, TD_BONUS = range(len(TAX_DEPRECIATIONS))
#: MACRS shares of the cost by recovery year, GDS, half-year convention (IRS Publication 946,
#: "How To Depreciate Property", table A-1, https://www.irs.gov/publications/p946): IT
#: equipment (GPU systems, miners) as 5-year property (computers, asset class 00.12), the
#: facility's power and cooling plant as 15-year property. A recovery year's share is spread
#: evenly over its twelve months from the first operating month.
MACRS_IT = (0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576)
MACRS_FACILITY = (0.05, 0.095, 0.0855, 0.077, 0.0693, 0.0623, 0.059, 0.059, 0.0591, 0.059,
                  0.0591, 0.059, 0.0591, 0.059, 0.0591, 0.0295)
# both as rows of one array (numba freezes it): one compiled schedule function, not one a table
_MACRS = np.zeros((2, len(MACRS_FACILITY)))
_MACRS[0, :len(MACRS_IT)] = MACRS_IT
_MACRS[1] = MACRS_FACILITY
_MACRS_YEARS = np.array([len(MACRS_IT), len(MACRS_FACILITY)], dtype=np.int64)
#: Months a run may look past its horizon (a build of at most 120 months and an IT life of at
#: most 50 years, the market's bounds): the time factors are allocated that far.
MAX_MONTHS_PAST = 120 + 600

#: The inputs that shape the monthly basis series (time factors, build and operating months,
#: depreciation shares). A block of scenarios that varies none of them computes
#: the basis sums once.
SHAPE_PARAMS = ("block_height", "difficulty", "fees_per_block", "difficulty_growth",
                "btc_price_growth", "power_price_growth", "gpu_price_decline",
                "utilization_ramp", "gpu_contract_term", "build_period",
                "colocation_escalator", "mining_build_period",
                "discount_rate", "discount_rate_mine", "discount_rate_gpuaas",
                "discount_rate_colocation", "useful_life_it", "useful_life_facility",
                "terminal_value", "miner_shutdown", "tax_depreciation", "bonus_depreciation",
                "difficulty_model", "miner_warranty", "gpu_warranty", "tenant_default_rate",
                "tenant_recovery")
_SHAPE_IDX = np.array([PARAMS.index(name) for name in SHAPE_PARAMS], dtype=np.int64)

# --- The option table: kinds and fleets ----------------------------------------------------------

#: Kinds of option the kernel knows, by code: each has a basis (``_basis_*``), scales
#: (``_scales_*``) and lines (``_lines_*``). A new kind adds a row here and its three
#: functions; a new option of an existing kind (colocation of the mining fleet, say) needs
#: only a plug-in in :mod:`rackplan.economics`.
KINDS = ("mine", "gpuaas", "colocation")
MINE, GPUAAS, COLOCATION = range(len(KINDS))

#: The fleet an option slot is sized for: the mining profile's or the GPU profile's. A fleet
#: brings its own build (``mining_build_period`` / ``build_period``) and facility capex
#: (``mining_facility_capex`` / ``facility_capex``, per W of utility power).
FLEETS = ("mining", "gpu")
FLEET_MINING, FLEET_GPU = range(len(FLEETS))

_LINE_TABLE = (
    ("revenue", "USD", "revenue"),
    ("volume", "1", "what the option sells: BTC mined, GPU-seconds sold, W*s of IT leased"),
    ("price_volume", "1", "revenue per unit of the option's month-0 price"),
    ("energy", "J", "energy bought"),
    ("energy_weight", "J", "power cost per USD/J of the month-0 power price"),
    ("power", "USD", "power cost (energy and demand charge)"),
    ("staff", "USD", "staff"),
    ("maintenance", "USD", "maintenance"),
    ("insurance", "USD", "insurance"),
    ("property_tax", "USD", "property tax"),
    ("network_software", "USD", "network and software"),
    ("operator", "USD", "colocation operator's costs"),
    ("sga", "USD", "SG&A"),
    ("capex_it", "USD", "IT capex (miners, GPU systems and their installation)"),
    ("capex_facility", "USD", "facility capex"),
    ("depreciation", "USD", "straight-line depreciation"),
    ("residual", "USD", "residual value (last month)"),
    ("prepayment", "USD",
     "contract prepayment: received at signing, less its share of each term month's revenue"),
    ("tax_depreciation", "USD", "depreciation deducted from taxable income"),
    ("income_tax", "USD",
     "income tax: tax_rate x (EBITDA - tax depreciation + residual value); negative: a loss "
     "that lowers the owner's other taxes"),
    ("cash_flow", "USD",
     "cash flow: EBITDA - capex + residual value + prepayment - income tax"),
)
LINES: tuple[str, ...] = tuple(row[0] for row in _LINE_TABLE)
LINE_UNITS: dict[str, str] = {row[0]: row[1] for row in _LINE_TABLE}
LINE_LONG_NAMES: dict[str, str] = {row[0]: row[2] for row in _LINE_TABLE}
(L_REVENUE, L_VOLUME, L_PRICE_VOLUME, L_ENERGY, L_ENERGY_WEIGHT, L_POWER, L_STAFF,
 L_MAINTENANCE, L_INSURANCE, L_PROPERTY_TAX, L_NETWORK_SOFTWARE, L_OPERATOR, L_SGA, L_CAPEX_IT,
 L_CAPEX_FACILITY, L_DEPRECIATION, L_RESIDUAL, L_PREPAYMENT, L_TAX_DEPRECIATION, L_INCOME_TAX,
 L_CASH_FLOW) = range(len(LINES))
#: The lines that make up opex (NOI = revenue - opex; EBITDA = NOI - SG&A).
OPEX_LINES = ("power", "staff", "maintenance", "insurance", "property_tax", "network_software",
              "operator")
N_LINES = len(LINES)

# --- Outputs -------------------------------------------------------------------------------------

_FLEET_OUTPUTS = (
    ("units_mine", "1", "miners that fit"),
    ("units_gpu", "1", "GPU system units that fit"),
    ("gpu_count", "1", "GPUs"),
    ("hashrate_mine", "hash/s", "hash rate of the mining fleet"),
    ("it_power_mine", "W", "IT power of the mining fleet"),
    ("it_power_gpu", "W", "IT power of the GPU systems"),
    ("btc_mined", "BTC", "BTC mined over the horizon"),
)
_OPTION_METRICS = (
    ("revenue", "USD", "revenue over the horizon"),
    ("noi", "USD", "net operating income over the horizon"),
    ("ebitda", "USD", "EBITDA over the horizon"),
    ("capex", "USD", "capex within the horizon"),
    ("npv", "USD", "net present value"),
)
N_FLEET_OUTPUTS = len(_FLEET_OUTPUTS)
N_METRICS = len(_OPTION_METRICS)
M_REVENUE, M_NOI, M_EBITDA, M_CAPEX, M_NPV = range(N_METRICS)
N_PAIR_OUTPUTS = 5  # gap, winner, three breakevens


def output_table(options, labels=None):
    """``(name, unit, long name)`` of each output of a run over the option slots ``options``
    (their names, in slot order; ``labels`` their long names): the fleets, then each metric of
    each option (metric-major), then the NPV gap of the breakeven pair, the winner and the
    three breakevens. With the built-in options: ``units_mine`` ... ``npv_colocation``,
    ``npv_gpuaas_minus_mine``, ``winner``, ``breakeven_*``."""
    labels = labels or {o: o for o in options}
    rows = list(_FLEET_OUTPUTS)
    for metric, unit, what in _OPTION_METRICS:
        rows += [(f"{metric}_{o}", unit, f"{labels[o]}: {what}") for o in options]
    codes = ", ".join(f"{i} {o}" for i, o in enumerate(options))
    rows += [
        ("npv_gpuaas_minus_mine", "USD", "NPV of GPU-as-a-service minus NPV of mining"),
        ("winner", "1", f"option with the highest NPV ({codes})"),
        ("breakeven_btc_price", "USD/BTC",
         "BTC price at which mining NPV equals GPU-as-a-service NPV"),
        ("breakeven_gpu_hour_price", "USD/s",
         "GPU-hour price at which GPU-as-a-service NPV equals mining NPV"),
        ("breakeven_power_price", "USD/J",
         "power price at which mining NPV equals GPU-as-a-service NPV"),
    ]
    return tuple(rows)


#: Rows of a Monte Carlo path (``paths`` float64[rows, months]): the multipliers of the BTC
#: price, the difficulty, the GPU-hour price and utilization, then (where a run draws it) the
#: tenants' default month counted from each lease's start (colocation's, the GPU contract's),
#: the same in every column (inf: it never defaults).
P_DEFAULT = 4
N_PATH_ROWS = 5


# --- Time factors: once per block of scenarios with the same time shape --------------------------

N_TIME = 11
# the discount factor of each kind (row T_DISCOUNT + kind: each kind may have its own rate),
# then the growth factors, the share of tenants still paying after k lease months (column k),
# the reward per block and the colocation escalator; T_NETWORK is the scenario's equilibrium
# difficulty (written by :func:`network_path`, not by the block)
(T_DISCOUNT, _T_DISCOUNT_GPUAAS, _T_DISCOUNT_COLOCATION, T_BTC_PRICE, T_POWER_PRICE,
 T_GPU_PRICE, T_DIFFICULTY, T_TENANT, T_REWARD, T_ESCALATION, T_NETWORK) = range(N_TIME)
_N_STEPPED = T_TENANT + 1  # rows T_DISCOUNT ... T_TENANT grow by a monthly step


@njit(error_model="numpy", inline="always")
def discount_rate(p, kind):
    """The discount rate per year of option kind ``kind``: its own, or ``discount_rate``
    where that is NaN."""
    own = p[DISCOUNT_RATE_MINE + kind]
    return p[DISCOUNT_RATE] if math.isnan(own) else own


@njit(error_model="numpy")
def _months(seconds):
    # a whole number of months from a duration [s] (the market checks it is whole)
    return int(np.floor(seconds / SECONDS_PER_MONTH + 0.5))


@njit(error_model="numpy", _nrt=False, inline="always")
def _end(p, start):
    """The month after a fleet's last operating month: it runs for its IT's useful life
    (whole months, rounded up) from its first operating month ``start``."""
    return start + max(1, int(math.ceil(p[USEFUL_LIFE_IT] / SECONDS_PER_MONTH - 1e-9)))


@njit(error_model="numpy", _nrt=False, inline="always")
def _n_eval(p, n, end, width):
    """The months a slot's discounted sums run over: the horizon ``n``, and under the ``dcf``
    terminal value on to the fleet's retirement ``end`` (at most ``width``, the time
    factors')."""
    if p[TERMINAL_VALUE] == TV_DCF:
        return min(max(n, end), width)
    return n


@njit(error_model="numpy", _nrt=False)
def time_factors(p, n, tf):
    """Write the monthly factors of the scenario's time shape into ``tf`` float64[N_TIME, n]:
    each kind's discount (row ``T_DISCOUNT + kind``), BTC-price growth, power-price growth,
    GPU-hour price decline, difficulty trend, the share of tenants that have not defaulted
    after ``k`` lease months (``T_TENANT``, column ``k``), reward per block (subsidy + fees)
    [BTC], and in ``T_ESCALATION`` the colocation rate's factor after ``k`` lease years at
    column ``k``.

    Each factor is the last month's times a monthly step (one ``pow`` per factor, not per
    month: a sweep over growth rates recomputes them for every scenario); over 600 months
    that drifts from ``pow`` by about 1e-13 of the value."""
    h0 = np.int64(np.floor(p[BLOCK_HEIGHT] + 0.5))
    steps = ((1.0 + discount_rate(p, MINE)) ** (-1.0 / 12.0),
             (1.0 + discount_rate(p, GPUAAS)) ** (-1.0 / 12.0),
             (1.0 + discount_rate(p, COLOCATION)) ** (-1.0 / 12.0),
             (1.0 + p[BTC_PRICE_GROWTH]) ** (1.0 / 12.0),
             (1.0 + p[POWER_PRICE_GROWTH]) ** (1.0 / 12.0),
             (1.0 - p[GPU_PRICE_DECLINE]) ** (1.0 / 12.0),
             1.0 + p[DIFFICULTY_GROWTH],
             (1.0 - p[TENANT_DEFAULT_RATE]) ** (1.0 / 12.0))  # T_DISCOUNT ... T_TENANT
    escalator = 1.0 + p[COLOCATION_ESCALATOR]
    # the subsidy by halving epochs, not a division per month: blocks [start, start + 4383)
    # of month m, the next halving at ``boundary``
    fees = p[FEES_PER_BLOCK]
    start = h0
    boundary = (h0 // HALVING_INTERVAL + 1) * HALVING_INTERVAL
    sats = block_subsidy_sats(h0)
    for m in range(n):
        if m == 0:
            for t in range(_N_STEPPED):
                tf[t, 0] = 1.0
            tf[T_DIFFICULTY, 0] = p[DIFFICULTY]
            tf[T_ESCALATION, 0] = 1.0
        else:
            for t in range(_N_STEPPED):
                tf[t, m] = tf[t, m - 1] * steps[t]
            tf[T_ESCALATION, m] = tf[T_ESCALATION, m - 1] * escalator
        end = start + BLOCKS_PER_MONTH
        if end <= boundary:
            reward = sats * BLOCKS_PER_MONTH
        else:  # a halving within the month: the blocks before it at the old subsidy
            after = block_subsidy_sats(boundary)
            reward = sats * (boundary - start) + after * (end - boundary)
            sats = after
            boundary += HALVING_INTERVAL
        tf[T_REWARD, m] = reward / (BLOCKS_PER_MONTH * SATS_PER_BTC) + fees
        start = end


@njit(error_model="numpy", _nrt=False)
def network_path(p, months, tf, paths, price):
    """The equilibrium difficulty of each month into ``tf[T_NETWORK, :months]``, at a month-0
    BTC price ``price`` [USD/BTC] (the scenario's, or a breakeven's trial) on the scenario's
    price path (its growth, times a Monte Carlo path's multiplier ``paths[0]``).

    The network hash rate ``H`` starts at the market's (month 0: its difficulty). Each month
    it moves toward ``H* = R P / c``, the hash rate at which the hashprice (rewards ``R``
    [BTC/s] at price ``P``, per hash) pays the marginal fleet's cash cost ``c`` [USD/hash],
    which falls by ``network_efficiency_gain`` a year as newer machines replace older ones:
    growing, it closes ``difficulty_adjustment`` of the gap in logs a month (machines take
    months to build and ship); above ``H*`` the losing machines switch off at once. So the
    network never burns more than its rewards pay at the marginal cost. A partial-adjustment
    form of the free-entry equilibrium of Prat and Walter (2021, "An Equilibrium Model of the
    Market for Bitcoin Mining", Journal of Political Economy 129(8))."""
    h = p[DIFFICULTY] * HASHES_PER_DIFFICULTY / 600.0
    cost = p[NETWORK_COST]
    step = (1.0 - p[NETWORK_EFFICIENCY_GAIN]) ** (1.0 / 12.0)
    k = p[DIFFICULTY_ADJUSTMENT]
    has_paths = paths.shape[1] > 0
    for m in range(months):
        if m > 0:
            cost *= step
            price_m = price * tf[T_BTC_PRICE, m]
            if has_paths:
                price_m *= paths[0, min(m, paths.shape[1] - 1)]
            target = tf[T_REWARD, m] / 600.0 * price_m / cost
            if target <= h:
                h = target
            elif h > 0.0:
                h = h * (target / h) ** k
        # (never below 1, the protocol's minimum: at a price of 0 every machine is off)
        tf[T_NETWORK, m] = max(h * 600.0 / HASHES_PER_DIFFICULTY, 1.0)


# --- The basis of each kind (one month) ----------------------------------------------------------

N_BASIS = 23  # 14 shared entries, then 9 of the kind's own
# shared by every kind: the operating month, the power-price factor while operating, capex
# timing, depreciation shares, the residual value's book shares, the signing month (0), the
# shares of the cost deducted from taxable income, the book value's shares (the property
# tax's base) and the operating months out of the IT's warranty (its maintenance paid)
(B_ON, B_POWER, B_CAPEX_IT, B_CAPEX_FACILITY, B_DEP_IT, B_DEP_FACILITY, B_RES_IT,
 B_RES_FACILITY, B_SIGN, B_TAX_IT, B_TAX_FACILITY, B_BOOK_IT, B_BOOK_FACILITY,
 B_SERVICED) = range(14)
# kind-specific (mine: BTC per hash/s, the same at the month's BTC price factor, whether the
# fleet runs and that at the power-price factor (without ``miner_shutdown`` the operating
# month and ``B_POWER``);
# gpuaas: merchant utilization relative to ``utilization`` (all months, then after the
# contract's term only), each plain, at the price factor and at the power-price factor, and
# the contract's term months, plain, at the power-price factor and at the share of the
# contract the tenant pays (its default);
# colocation: the escalated rate factor)
B_KIND = 14  # the first kind-specific entry
N_OWN = N_BASIS - B_KIND
B_BTC, B_BTC_PRICED, B_RUN, B_RUN_POWER = range(B_KIND, B_KIND + 4)
(B_SOLD, B_SOLD_PRICED, B_SOLD_POWER, B_AFTER, B_AFTER_PRICED, B_AFTER_POWER, B_TERM,
 B_TERM_POWER, B_TERM_PAID) = range(B_KIND, B_KIND + 9)
B_ESCALATED = B_KIND


@njit(error_model="numpy", _nrt=False, inline="always")
def _tax_done(k, method, bonus, per_life, table):
    """The share of an asset's cost deducted from taxable income after ``k`` months in
    service, by ``method`` (:data:`TAX_DEPRECIATIONS`): straight line over its useful life
    (``per_life`` = 1 / life [1/month]), MACRS (row ``table`` of its tables: whole recovery
    years, and the current year's share spread over its twelve months), or ``bonus`` at once
    and MACRS on the rest."""
    if k <= 0:
        return 0.0
    if method == TD_STRAIGHT_LINE:
        return min(k * per_life, 1.0)
    years = k // 12
    n_years = _MACRS_YEARS[table]
    shares = _MACRS[table]
    macrs = 0.0
    for y in range(min(years, n_years)):
        macrs += shares[y]
    if years < n_years:
        macrs += shares[years] * (k - 12 * years) / 12.0
    return bonus + (1.0 - bonus) * macrs if method == TD_BONUS else macrs


# Called, not inlined: twice in _common_basis, each with two schedule sums inlined
@njit(error_model="numpy", _nrt=False)
def _tax_share(m, start, sold, method, bonus, per_life, table):
    """The share of an asset's cost deducted in month ``m`` (in service from ``start``; sold
    or retired in month ``sold``, -1 if not within the months valued; MACRS row ``table``):
    what its schedule deducts that month, and in the month it goes all that is left."""
    k = m + 1 - start  # months in service by the end of month m
    before = _tax_done(k - 1, method, bonus, per_life, table)
    if m == sold:
        return 1.0 - before if k > 0 else 0.0
    if sold >= 0 and m > sold:
        return 0.0
    return _tax_done(k, method, bonus, per_life, table) - before


@njit(error_model="numpy", _nrt=False)
def _common_basis(m, n, start, end, p, per_life_it, per_life_fac, power_f, warranty):
    """The entries every kind shares in month ``m`` (``B_ON`` to ``B_SERVICED``), as a
    tuple, for a fleet that operates from ``start`` to ``end`` (excluded), a horizon of ``n``
    months and the scenario's terminal value (:data:`TERMINAL_VALUES`) and tax depreciation;
    ``per_life_*`` are 1 / useful life [1/month]; the IT is under warranty for its first
    ``warranty`` operating months."""
    mode = p[TERMINAL_VALUE]
    on = 1.0 if start <= m < end else 0.0
    serviced = 1.0 if start + warranty <= m < end else 0.0
    capex_it = 1.0 if m == start else 0.0
    if start == 0:
        capex_facility = 1.0 if m == 0 else 0.0
    else:
        capex_facility = 1.0 / start if m < start else 0.0
    # share of the life used up by the end of month m, minus by its start
    dep_it = (min(max((m + 1.0 - start) * per_life_it, 0.0), 1.0)
              - min(max((m - start) * per_life_it, 0.0), 1.0))
    dep_facility = (min(max((m + 1.0 - start) * per_life_fac, 0.0), 1.0)
                    - min(max((m - start) * per_life_fac, 0.0), 1.0))
    # the book value at the month's start while operating (the property tax's base)
    book_it = on * (1.0 - min(max((m - start) * per_life_it, 0.0), 1.0))
    book_facility = on * (1.0 - min(max((m - start) * per_life_fac, 0.0), 1.0))
    res_it = 0.0
    res_facility = 0.0
    spent = 1.0  # the facility's share built (bought) by the month it is sold
    sold = -1  # the month the assets are sold or retired: where the residual value is counted
    if mode == TV_BOOK:
        sold = n - 1
        spent = 1.0 if start == 0 else min(start, n) / start
        if m == n - 1:
            # equipment bought within the horizon; the facility's spent share of its build
            res_it = max(0.0, 1.0 - max(0.0, n - start) * per_life_it) if start < n else 0.0
            res_facility = max(0.0, 1.0 - max(0.0, n - start) * per_life_fac) * spent
    elif mode == TV_DCF:
        sold = end - 1
        if m == end - 1:
            # the fleet retires: its IT fully written off, the facility counted at its book
            # value then (and no longer depreciated)
            res_facility = max(0.0, 1.0 - (end - start) * per_life_fac)
        elif m > end - 1:
            dep_facility = 0.0
    method, bonus = p[TAX_DEPRECIATION], p[BONUS_DEPRECIATION]
    # (the MACRS rows as values the compiler cannot fold: a literal 0 and 1 compiled
    # _tax_share twice)
    it_row = int(method < 0)
    tax_it = _tax_share(m, start, sold, method, bonus, per_life_it, it_row)
    if sold == n - 1 and start >= n:
        tax_it = 0.0  # (book value at a horizon before the IT is bought: none bought)
    tax_facility = spent * _tax_share(m, start, sold, method, bonus, per_life_fac, 1 - it_row)
    if m == sold and m < start:
        tax_facility = spent  # sold before it operates: its cost so far, written off
    return (on, on * power_f, capex_it, capex_facility, dep_it, dep_facility, res_it,
            res_facility, 1.0 if m == 0 else 0.0, tax_it, tax_facility, book_it,
            book_facility, serviced)


@njit(error_model="numpy", _nrt=False, inline="always")
def _warranty(p, fleet):
    """The IT warranty of fleet ``fleet`` [months] (slots of one fleet share their common
    basis; a colocation tenant's IT is the tenant's, and pays no IT maintenance either
    way)."""
    return _months(p[MINER_WARRANTY] if fleet == FLEET_MINING else p[GPU_WARRANTY])


# Called, not inlined, in the loops over months: inlined into each kind's loop it made the
# engine compile 1.3 s slower (Monte Carlo ran 7 % faster a path).
@njit(error_model="numpy", _nrt=False)
def _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, rev, cost, decide):
    """The kind's own basis entries in month ``m`` (operating from ``start`` to ``end``), as
    :data:`N_OWN` floats (entries ``B_KIND`` on; unused ones 0): the only ones that the Monte
    Carlo paths and the fleet's cap on its share change.

    ``paths`` float64[4 or 5, n] are the month's multipliers of the BTC price, the difficulty,
    the GPU-hour price and utilization, and the tenant's default month (:data:`P_DEFAULT`)
    (none when it has no column); after the horizon (its last column) a path stays at its
    last month's level and the trends go on (the value at the horizon of what follows, given
    the path so far: the multipliers have mean 1); ``d_fleet``
    the fleet's own difficulty (the network never hashes less than the fleet, so its share
    is at most 1). With ``decide`` the mining fleet runs only in a month where
    ``rev x B_BTC_PRICED >= cost x B_POWER`` (:func:`_run_coefs`). (Callers that never decide
    pass ``m < 0``, False at run time: a constant ``False`` compiles another version.)"""
    path_m = paths.shape[1] > 0
    mp = min(m, paths.shape[1] - 1)
    on = 1.0 if start <= m < end else 0.0
    if kind == MINE:
        price = tf[T_BTC_PRICE, m]
        if path_m:
            price *= paths[0, mp]
        if p[DIFFICULTY_MODEL] == DM_EQUILIBRIUM:  # (its path has the price's shocks in it)
            difficulty = tf[T_NETWORK, m]
        else:
            difficulty = tf[T_DIFFICULTY, m]
            if path_m:
                difficulty *= paths[1, mp]
        btc = on * SECONDS_PER_MONTH * tf[T_REWARD, m] / (
            max(difficulty, d_fleet) * HASHES_PER_DIFFICULTY)
        priced = btc * price
        power_f = on * tf[T_POWER_PRICE, m]
        run = on
        if decide and rev * priced < cost * power_f:
            run = 0.0  # switched off: no BTC, no power
        return btc * run, priced * run, run, power_f * run, 0.0, 0.0, 0.0, 0.0, 0.0
    if kind == GPUAAS:
        # merchant utilization relative to ``utilization`` (a scale): the ramp's share of it
        # in the k-th operating month, and with paths the month's utilization, capped at 1,
        # over ``utilization`` (its limit, the multiplier, at 0); the merchant price declines
        # from the first operating month, not from the market date. The contracted GPUs are
        # billed in full through the term, then re-leased as merchant ones.
        k = max(m - start, 0)
        ramp = p[UTILIZATION_RAMP] / SECONDS_PER_MONTH  # months
        util = min(1.0, (k + 1.0) * (1.0 / ramp)) if ramp > 0.0 else 1.0
        price = tf[T_GPU_PRICE, k]
        if path_m:
            u = p[UTILIZATION]
            # times 1/u, not over u: a division a month was a tenth of a path's time
            util = min(1.0, u * util * paths[3, mp]) * (1.0 / u) if u > 0.0 else \
                util * paths[3, mp]
            price *= paths[2, mp]
        sold = on * util
        power_f = tf[T_POWER_PRICE, m]
        term = on if k < p[GPU_CONTRACT_TERM] / SECONDS_PER_MONTH - 0.5 else 0.0
        after = sold - term * util  # sold outside the term: 0 within it
        return (sold, sold * price, sold * power_f, after, after * price, after * power_f,
                term, term * power_f, term * _tenant(k, p, tf, paths))
    if kind == COLOCATION:
        return _rent(m, start, p, tf, paths) * on, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0


@njit(error_model="numpy", _nrt=False)
def _basis(kind, fleet, m, n, start, end, p, tf, paths, d_fleet, rev, cost, b, jb):
    """The whole basis of option kind ``kind`` (of fleet ``fleet``) in month ``m`` into row
    ``jb`` of ``b``: the entries every kind shares and the kind's own (:func:`_kind_basis`)."""
    c = _common_basis(m, n, start, end, p, SECONDS_PER_MONTH / p[USEFUL_LIFE_IT],
                      SECONDS_PER_MONTH / p[USEFUL_LIFE_FACILITY], tf[T_POWER_PRICE, m],
                      _warranty(p, fleet))
    for j in range(B_KIND):
        b[jb, j] = c[j]
    x = _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, rev, cost,
                    p[MINER_SHUTDOWN] != 0.0)
    for j in range(N_BASIS - B_KIND):
        b[jb, B_KIND + j] = x[j]


@njit(error_model="numpy", _nrt=False, inline="always")
def _rent(m, start, p, tf, paths):
    """Colocation's one entry (``B_ESCALATED``) in month ``m`` of a lease from ``start``
    while it runs: the escalator of the lease years completed times what the tenant pays."""
    k = max(m - start, 0)
    return tf[T_ESCALATION, k // 12] * _tenant(k, p, tf, paths)


@njit(error_model="numpy", _nrt=False, inline="always")
def _tenant(k, p, tf, paths):
    """The share of the rent a tenant (colocation, or the GPU contract tranche's) pays in lease
    month ``k`` (>= 0): all of it until it defaults, ``tenant_recovery`` after. With a Monte
    Carlo path's default month (row :data:`P_DEFAULT`, months from the lease's start), that
    path's; else its expectation, ``R + (1 - R) (1 - d)^(k/12)`` (the tenant still paying
    with probability ``(1 - d)^(k/12)``, row ``T_TENANT``: a factor, not a ``pow`` a month)."""
    if p[TENANT_DEFAULT_RATE] == 0.0:
        return 1.0
    recovery = p[TENANT_RECOVERY]
    if paths.shape[0] > P_DEFAULT and paths.shape[1] > 0:
        return 1.0 if k < paths[P_DEFAULT, 0] else recovery
    return recovery + (1.0 - recovery) * tf[T_TENANT, k]


@njit(error_model="numpy")
def _uses_paths(kind, p):
    # whether the kind's basis reads the Monte Carlo paths (colocation: its tenant's default)
    return kind == MINE or kind == GPUAAS or (kind == COLOCATION
                                               and p[TENANT_DEFAULT_RATE] > 0.0)


# --- Scales of each kind (one scenario) and lines (basis x scales) -------------------------------

N_SCALES = 26


@njit(error_model="numpy", _nrt=False, inline="always")
def _scales(kind, p, units, fleet):
    """The scales of option kind ``kind`` for a fleet of ``units`` (of fleet ``fleet``): what
    multiplies each basis series in :func:`_lines`, as a tuple of :data:`N_SCALES` (a tuple,
    not an array: the compiler keeps it in registers and drops what a kind does not read)."""
    S = SECONDS_PER_MONTH
    if fleet == FLEET_MINING:
        unit_power = p[MINER_POWER]
        pue, energy_pue = p[PUE_MINE], p[ENERGY_PUE_MINE]
        facility = p[MINING_FACILITY_CAPEX] * p[UTILITY_POWER]
    else:  # a unit's IT power: in its rack and outside it
        unit_power = p[GPU_POWER_MAX] + p[GPU_POWER_OUTSIDE]
        pue, energy_pue = p[PUE_GPU], p[ENERGY_PUE_GPU]
        facility = p[FACILITY_CAPEX] * p[UTILITY_POWER]
    it_power = units * unit_power
    equipment = volume = price = energy = demand = power_price = 0.0
    staff = maintenance_facility = maintenance_it = insurance = network = idle = utilization = 0.0
    contract_share = contract_price = gpu_seconds = prepaid = term_months = outside = 0.0
    if kind == MINE:
        hashrate = units * p[MINER_HASHRATE]
        equipment = p[MINER_PRICE] * hashrate * (1.0 + p[SALES_TAX])
        uptime = p[UPTIME] * p[MINING_WEATHER_UPTIME]  # the fleet's and the weather's
        volume = hashrate * uptime * (1.0 - p[POOL_FEE])  # hashes that earn
        price = p[BTC_PRICE]
        energy = it_power * energy_pue * uptime * S  # J a month
        # the demand charge a month at month 0, on the peak: the design hour's PUE
        demand = it_power * pue * S * p[DEMAND_CHARGE]
        power_price = p[POWER_PRICE]
        staff = p[MINING_STAFF_PER_MW] * it_power * p[STAFF_COST] * S
        maintenance_facility = p[MAINTENANCE_FACILITY] * facility / 12.0
        maintenance_it = p[MAINTENANCE_IT] * equipment / 12.0
        insurance = p[INSURANCE] * (equipment + facility) / 12.0
    elif kind == GPUAAS:
        gpus = units * p[GPUS_PER_UNIT]
        equipment = (units * p[GPU_SYSTEM_PRICE] * (1.0 + p[SALES_TAX])
                     + gpus * p[INSTALLATION_PER_GPU])
        volume = gpus * S * p[UTILIZATION]  # GPU-seconds sold a month
        price = p[GPU_HOUR_PRICE]
        energy = units * p[GPU_POWER_TYPICAL] * energy_pue * S  # J a month at full load
        outside = units * p[GPU_POWER_OUTSIDE] * energy_pue * S  # J a month, whatever the load
        demand = it_power * pue * S * p[DEMAND_CHARGE]
        power_price = p[POWER_PRICE]
        staff = p[STAFF_PER_1000_GPUS] * gpus / 1000.0 * p[STAFF_COST] * S
        maintenance_facility = p[MAINTENANCE_FACILITY] * facility / 12.0
        maintenance_it = p[MAINTENANCE_IT] * equipment / 12.0
        insurance = p[INSURANCE] * (equipment + facility) / 12.0
        network = p[NETWORK_SOFTWARE] * gpus * S
        idle = p[GPU_IDLE_POWER_SHARE]
        utilization = p[UTILIZATION]
        contract_share = p[GPU_CONTRACT_SHARE]
        contract_price = p[GPU_CONTRACT_PRICE]
        gpu_seconds = gpus * S  # a month of every GPU
        prepaid = p[GPU_PREPAYMENT]
        term_months = math.floor(p[GPU_CONTRACT_TERM] / S + 0.5)
    elif kind == COLOCATION:
        # the tenant brings the IT; the operator's costs are a share of the rent (``idle``)
        volume = it_power * S  # W*s leased a month
        price = p[COLOCATION_RATE]
        idle = p[COLOCATION_OPEX_SHARE]
    # the owner's property (the colocation tenant's IT is not): a share of its book value
    property_tax = p[PROPERTY_TAX] / 12.0 if kind == MINE or kind == GPUAAS else 0.0
    # the share of the fleet and facility bought: none where mining keeps what the site has
    # (they still cost maintenance, insurance and property tax)
    bought = 1.0 - p[MINING_EXISTING] if kind == MINE else 1.0
    # SG&A on the revenue at the option's price (a GPU cloud's merchant hours at their own
    # share), and on a contract's billing
    sga_priced = p[SGA_SHARE_MERCHANT] if kind == GPUAAS else p[SGA_SHARE]
    return (sga_priced, p[RESIDUAL_VALUE], facility, equipment, volume, price, energy,
            demand, power_price, staff, maintenance_facility, insurance, network, idle,
            utilization, contract_share, contract_price, gpu_seconds, prepaid, term_months,
            p[TAX_RATE], property_tax, bought, maintenance_it, outside, p[SGA_SHARE])


@njit(error_model="numpy", _nrt=False)
def _lines(kind, s, b, jb):
    """The lines of option kind ``kind`` (a tuple in :data:`LINES` order) from its scales
    ``s`` (:func:`_scales`) and a basis (row ``jb`` of ``b`` float64[:, N_BASIS]): one
    month's basis gives that month's lines, the (discounted) sums of the basis give the
    (discounted) sums of the lines. Linear in ``b``; lines the kind does not have are 0."""
    (sga_priced, residual_value, facility, equipment, volume_scale, price, energy_scale,
     demand, power_price, staff_scale, maintenance_facility, insurance_scale, network_scale,
     share, utilization, contract_share, contract_price, gpu_seconds, prepaid, term_months,
     tax_rate, property_tax_rate, bought, maintenance_it, outside_energy, sga_contract) = s
    volume = price_volume = energy = energy_weight = power = 0.0
    staff = maintenance = insurance = network = operator = contracted = prepayment = 0.0
    if kind == MINE:
        volume = volume_scale * b[jb, B_BTC]
        price_volume = volume_scale * b[jb, B_BTC_PRICED]
        energy = energy_scale * b[jb, B_RUN]
        energy_weight = energy_scale * b[jb, B_RUN_POWER]
        power = (energy_scale * power_price + demand) * b[jb, B_RUN_POWER]
    elif kind == GPUAAS:
        busy = (1.0 - share) * utilization  # busy share at utilization; ``share`` idles
        merchant = 1.0 - contract_share  # the GPUs not under contract
        volume = volume_scale * merchant * b[jb, B_SOLD]
        price_volume = volume_scale * merchant * b[jb, B_SOLD_PRICED]
        at_work = busy * merchant * b[jb, B_SOLD]
        at_work_power = busy * merchant * b[jb, B_SOLD_POWER]
        if contract_share != 0.0:
            # the contracted GPUs: billed (take-or-pay) and run in full through the term,
            # then sold as merchant ones; after the tenant's default they earn
            # ``tenant_recovery`` of the billing (B_TERM_PAID); the prepaid share of the
            # term's billing comes at signing and is taken back month by month as billed in
            # full (revenue is counted as billed; a default refunds nothing)
            c, full = contract_share, 1.0 - share
            volume += volume_scale * c * b[jb, B_AFTER] + gpu_seconds * c * b[jb, B_TERM]
            price_volume += volume_scale * c * b[jb, B_AFTER_PRICED]
            contracted = contract_price * gpu_seconds * c * b[jb, B_TERM_PAID]
            at_work += busy * c * b[jb, B_AFTER] + full * c * b[jb, B_TERM]
            at_work_power += busy * c * b[jb, B_AFTER_POWER] + full * c * b[jb, B_TERM_POWER]
            prepayment = prepaid * contract_price * gpu_seconds * c * (
                term_months * b[jb, B_SIGN] - b[jb, B_TERM])
        # the GPUs' draw (idle share, plus the busy rest), then the gear outside the racks
        energy = energy_scale * (share * b[jb, B_ON] + at_work) + outside_energy * b[jb, B_ON]
        energy_weight = (energy_scale * (share * b[jb, B_POWER] + at_work_power)
                         + outside_energy * b[jb, B_POWER])
        power = power_price * energy_weight + demand * b[jb, B_POWER]
        network = network_scale * b[jb, B_ON]
    elif kind == COLOCATION:
        volume = volume_scale * b[jb, B_ON]
        price_volume = volume_scale * b[jb, B_ESCALATED]
    revenue = price * price_volume + contracted
    if kind == COLOCATION:
        operator = share * revenue
    if kind == MINE or kind == GPUAAS:
        staff = staff_scale * b[jb, B_ON]
        # the facility's every month; the IT's out of warranty (a fleet kept, not bought, has
        # none left)
        maintenance = (maintenance_facility * b[jb, B_ON] + maintenance_it
                       * (bought * b[jb, B_SERVICED] + (1.0 - bought) * b[jb, B_ON]))
        insurance = insurance_scale * b[jb, B_ON]
    sga = sga_priced * price * price_volume + sga_contract * contracted
    capex_it = bought * equipment * b[jb, B_CAPEX_IT]
    capex_facility = bought * facility * b[jb, B_CAPEX_FACILITY]
    property_tax = property_tax_rate * (equipment * b[jb, B_BOOK_IT]
                                        + facility * b[jb, B_BOOK_FACILITY])
    depreciation = bought * (equipment * b[jb, B_DEP_IT] + facility * b[jb, B_DEP_FACILITY])
    residual = bought * residual_value * (equipment * b[jb, B_RES_IT]
                                          + facility * b[jb, B_RES_FACILITY])
    tax_depreciation = bought * (equipment * b[jb, B_TAX_IT] + facility * b[jb, B_TAX_FACILITY])
    opex = power + staff + maintenance + insurance + property_tax + network + operator
    # taxed as billed (a prepayment is not income when received); a loss lowers the owner's
    # other taxes, so the tax stays linear in every price
    income_tax = tax_rate * (revenue - opex - sga - tax_depreciation + residual)
    cash_flow = (revenue - opex - sga - capex_it - capex_facility + residual + prepayment
                 - income_tax)
    return (revenue, volume, price_volume, energy, energy_weight, power, staff, maintenance,
            insurance, property_tax, network, operator, sga, capex_it, capex_facility,
            depreciation, residual, prepayment, tax_depreciation, income_tax, cash_flow)


# The same lines inlined where a sweep's scenario evaluates them (twice a slot: discounted and
# plain sums), called elsewhere: inlining every call site cost seconds of compilation.
_lines_inline = njit(error_model="numpy", _nrt=False, inline="always")(_lines.py_func)


@njit(error_model="numpy", _nrt=False, inline="always")
def _opex(lines):
    return (lines[L_POWER] + lines[L_STAFF] + lines[L_MAINTENANCE] + lines[L_INSURANCE]
            + lines[L_PROPERTY_TAX] + lines[L_NETWORK_SOFTWARE] + lines[L_OPERATOR])


# --- Miners that switch off (``miner_shutdown``) -------------------------------------------------
#
# In month m the fleet runs if its revenue after SG&A covers its power (energy and demand
# charge): ``rev x B_BTC_PRICED(m) >= cost x B_POWER(m)`` with the scenario's ``rev`` and
# ``cost`` (:func:`_run_coefs`), i.e. if the month's ratio ``B_BTC_PRICED / B_POWER`` (the time
# shape's) is at least ``cost / rev``. A block sorts its operating months by that ratio once
# (:func:`_mine_table`), so that a scenario finds the months that run by a binary search and
# their sums as a difference of two prefix sums, not by a loop over months. Paths and the
# fleet's cap decide month by month instead (:func:`_own_sums`). The mining NPV is then
# piecewise linear in the BTC and power prices, and the breakevens are found by Newton steps
# over its pieces (:func:`_switching_breakeven`), exact in a few steps.

_T_RATIO = 8  # the table's column of the sorted months' ratios (the first 8: prefix sums)
# The table's last row holds, besides the count of months, the ``rev`` and ``cost`` of the
# scenario whose sums were last put into the slot's rows of ``sums`` (NaN: none, or other
# sums since) and whether some of its months were off: along a sweep's axis that moves no
# mining input (a GPU price) the next scenario's months are the same, and their sums are
# already in place.
_T_REV, _T_COST, _T_SWITCHED = 0, 1, 2
# and (column 3, read on the breakeven pair's mining slot) whether the run wants the BTC or
# the power breakeven: each is a search over the months that run, in every scenario
_T_WANTED = 3


@njit(error_model="numpy", _nrt=False, inline="always")
def _forget_sums(tab, o):
    # the slot's rows of ``sums`` now hold other sums than its table's
    if tab is not None:
        tab[o, tab.shape[1] - 1, _T_REV] = math.nan


@njit(error_model="numpy", _nrt=False, inline="always")
def _run_coefs(s):
    """``(rev, cost)`` of a mining slot's scales ``s`` (:func:`_scales`): revenue after SG&A
    per unit of ``B_BTC_PRICED`` and power cost per unit of ``B_POWER``."""
    return (1.0 - s[0]) * s[5] * s[4], s[6] * s[8] + s[7]


@njit(error_model="numpy", _nrt=False)
def _mine_table(kind, o, n, start, p, tf, no_paths, tab):
    """Slot ``o``'s operating months sorted by ratio, highest first, into ``tab[o]``
    (float64[W + 1, 9]): row ``k`` holds in its first 8 columns the discounted and plain sums
    of ``B_BTC``, ``B_BTC_PRICED``, ``B_RUN`` and ``B_RUN_POWER`` over the ``k + 1`` months
    of highest ratio, and in column 8 the ``k``-th ratio; ``tab[o, W, 8]`` the number of
    months."""
    # (``kind`` is MINE, passed as a variable: numba compiles a call on a constant apart)
    end = _end(p, start)
    stop = min(end, _n_eval(p, n, end, tf.shape[1]))
    cnt = 0
    for m in range(start, stop):
        x = _kind_basis(kind, m, start, end, p, tf, no_paths, 0.0, 0.0, 0.0, m < 0)
        tab[o, cnt, _T_RATIO] = x[1] / x[3] if x[3] > 0.0 else math.inf
        tab[o, cnt, 0] = m
        cnt += 1
    _sort_rows(tab, o, cnt)
    v = tf[T_DISCOUNT + kind]
    acc = _ZEROS8
    for k in range(cnt):
        m = int(tab[o, k, 0])
        x = _kind_basis(kind, m, start, end, p, tf, no_paths, 0.0, 0.0, 0.0, m < 0)
        w = 1.0 if m < n else 0.0
        acc = (acc[0] + v[m] * x[0], acc[1] + v[m] * x[1], acc[2] + v[m] * x[2],
               acc[3] + v[m] * x[3], acc[4] + w * x[0], acc[5] + w * x[1], acc[6] + w * x[2],
               acc[7] + w * x[3])
        _put8(tab[o], k, 0, acc)
    tab[o, tab.shape[1] - 1, _T_RATIO] = cnt
    _forget_sums(tab, o)


@njit(error_model="numpy", _nrt=False)
def _sort_rows(tab, o, cnt):
    # rows 0..cnt-1 of tab[o] by column 8, highest first, carrying column 0 (Shell sort: no
    # allocation, and a few hundred comparisons for five years of months)
    gap = cnt // 2
    while gap > 0:
        for i in range(gap, cnt):
            key = tab[o, i, _T_RATIO]
            month = tab[o, i, 0]
            j = i
            while j >= gap and tab[o, j - gap, _T_RATIO] < key:
                tab[o, j, _T_RATIO] = tab[o, j - gap, _T_RATIO]
                tab[o, j, 0] = tab[o, j - gap, 0]
                j -= gap
            tab[o, j, _T_RATIO] = key
            tab[o, j, 0] = month
        gap //= 2


@njit(error_model="numpy", _nrt=False, inline="always")
def _count_above(tab, o, cnt, level, strict):
    # how many of the sorted ratios are >= level (> level if strict): a binary search
    lo, hi = 0, cnt
    while lo < hi:
        mid = (lo + hi) // 2
        x = tab[o, mid, _T_RATIO]
        if x > level or (not strict and x == level):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(error_model="numpy", _nrt=False, inline="always")
def _table_run(tab, o, rev, cost):
    """The sorted months that run, ``[lo, hi)``: the highest ratios when revenue is positive;
    with revenue negative (a negative price) the lowest; at none, all or none."""
    cnt = int(tab[o, tab.shape[1] - 1, _T_RATIO])
    if rev > 0.0:
        return 0, _count_above(tab, o, cnt, cost / rev, False)
    if rev < 0.0:
        return _count_above(tab, o, cnt, cost / rev, True), cnt
    return 0, (cnt if cost <= 0.0 else 0)


@njit(error_model="numpy", _nrt=False, inline="always")
def _span(tab, o, lo, hi, j):
    # column j's sum over the sorted months [lo, hi): a difference of two prefix sums
    return (tab[o, hi - 1, j] if hi > 0 else 0.0) - (tab[o, lo - 1, j] if lo > 0 else 0.0)


@njit(error_model="numpy", _nrt=False)
def _put_table_sums(tab, o, lo, hi, sums, r):
    # the mining entries' sums over the sorted months [lo, hi) into rows r and r + 1 of sums
    for j in range(4):
        sums[r, B_BTC + j] = _span(tab, o, lo, hi, j)
        sums[r + 1, B_BTC + j] = _span(tab, o, lo, hi, 4 + j)


@njit(error_model="numpy", _nrt=False)
def _running_sums(kind, rev, cost, a, n, start, p, tf, paths, d_fleet, sums, tab, loop):
    """The discounted sums of ``B_BTC_PRICED`` and ``B_RUN_POWER`` of mining slot ``a`` over
    the months that run at ``rev`` and ``cost`` (:func:`_run_coefs`): what mining's NPV
    depends on through the months that run. Decided month by month (``loop``: paths or the
    fleet's cap; rows ``2 a`` and ``2 a + 1`` of ``sums`` as scratch) or from the block's
    table."""
    if loop:
        r = 2 * a
        _own_sums(kind, n, start, p, tf, paths, d_fleet, sums, r, rev, cost, n > 0)
        _forget_sums(tab, a)
        return sums[r, B_BTC_PRICED], sums[r, B_RUN_POWER]
    lo, hi = _table_run(tab, a, rev, cost)
    return (_span(tab, a, lo, hi, B_BTC_PRICED - B_BTC),  # the table's columns
            _span(tab, a, lo, hi, B_RUN_POWER - B_BTC))


@njit(error_model="numpy", _nrt=False)
def _best_ratio(kind, a, n, start, p, tf, paths, d_fleet, tab, loop):
    # the highest ratio of an operating month (0 if none)
    if not loop:
        cnt = int(tab[a, tab.shape[1] - 1, _T_RATIO])
        return tab[a, 0, _T_RATIO] if cnt > 0 else 0.0
    end = _end(p, start)
    best = 0.0
    for m in range(start, min(end, _n_eval(p, n, end, tf.shape[1]))):
        x = _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, 0.0, 0.0, m < 0)
        best = max(best, x[1] / x[3] if x[3] > 0.0 else math.inf)
    return best


@njit(error_model="numpy", _nrt=False)
def _switching_breakeven(power, kind, s, npv0, bp0, bw0, gpu, a, n, start, p, tf, paths,
                         d_fleet, sums, tab, loop):
    """The BTC price (``power`` False) or power price (True) at which mining's NPV, with its
    months off where they lose, meets GPU-as-a-service's (line sums ``gpu``, linear in
    either price). Over the months that run (discounted sums ``bp`` of ``B_BTC_PRICED`` and
    ``bw`` of ``B_RUN_POWER``) mining's NPV is ``c0 + keep P volume bp - (energy p_e +
    demand) bw``: piecewise linear and convex in either price (``npv0``, ``bp0``, ``bw0`` at
    the assumed prices). Newton steps from the assumed price, each to the root of the current
    piece (solved from ``c0``, not stepped from the last price: a far step would lose the
    root's digits), stop when the root keeps the same months running (it is then exact). NaN
    where there is none (mining ahead even with every month off) or the pieces run out."""
    # after income tax (s[20]) a price moves the NPV by its pre-tax effect x (1 - tax_rate),
    # and the months that run are the same
    after_tax = 1.0 - s[20]
    keep = (1.0 - s[0]) * after_tax
    volume, btc_price, power_price = s[4], s[5], s[8]
    energy, demand = s[6] * after_tax, s[7] * after_tax
    g_npv, g_ew = gpu[L_CASH_FLOW], gpu[L_ENERGY_WEIGHT] * after_tax
    c0 = npv0 - keep * btc_price * volume * bp0 + (energy * power_price + demand) * bw0
    x = power_price if power else btc_price
    bp, bw = bp0, bw0
    heading = 0.0  # the direction of the last step taken from a point where mining led
    for _ in range(tf.shape[1] + 3):
        if power:
            slope = energy * bw - g_ew  # minus the lead's slope in the power price
            revenue = c0 + keep * btc_price * volume * bp - demand * bw
            lead = revenue - energy * bw * x - (g_npv - g_ew * (x - power_price))
            if slope == 0.0:
                return x if lead == 0.0 else math.nan
            x_new = (revenue - g_npv - g_ew * power_price) / slope
            # the lead is convex in the power price: from a point where mining leads, Newton
            # heads for the nearest root and never turns back; if it must, there is none,
            # unless it stands on the root already (a lead within rounding of 0)
            step = x_new - x
            if lead > 0.0 and heading * step < 0.0:
                scale = abs(revenue) + abs(energy * bw * x) + abs(g_npv) + abs(g_ew * x)
                return x if lead <= 1e-9 * scale else math.nan
            heading = step if lead > 0.0 else 0.0
            rev, cost = keep * btc_price * volume, energy * x_new + demand
        else:
            cost = energy * power_price + demand
            slope = keep * volume * bp
            gap = g_npv - (c0 + keep * x * volume * bp - cost * bw)
            if slope > 0.0:
                x_new = (g_npv - c0 + cost * bw) / slope
            elif gap == 0.0:
                return x
            elif gap < 0.0 or volume <= 0.0:
                return math.nan  # ahead with every month off, or nothing to mine
            else:  # every month off and behind: the price at which the best month runs
                best = _best_ratio(kind, a, n, start, p, tf, paths, d_fleet, tab, loop)
                if best <= 0.0 or keep <= 0.0 or not math.isfinite(best):
                    return math.nan
                x_new = cost / (keep * volume * best) * (1.0 + 1e-12)
            rev = keep * x_new * volume
        bp_new, bw_new = _running_sums(kind, rev, cost, a, n, start, p, tf, paths, d_fleet,
                                       sums, tab, loop)
        if bp_new == bp and bw_new == bw and slope != 0.0:
            return x_new
        bp, bw, x = bp_new, bw_new, x_new
    return math.nan


# Called, not inlined, from the scenario (compiled in three versions of it): inlined, the
# switching code made a cold sweep compile seconds longer.
@njit(error_model="numpy", _nrt=False)
def _switched_sums(s, o, tab, shape_sums, sums):
    """Whether some of mining slot ``o``'s months switch off at its scales ``s``; if so, its
    basis sums over the months that run into rows ``2 o`` and ``2 o + 1`` of ``sums``."""
    rev, cost = _run_coefs(s)
    last = tab.shape[1] - 1
    if rev == tab[o, last, _T_REV] and cost == tab[o, last, _T_COST]:
        return tab[o, last, _T_SWITCHED] != 0.0  # the last scenario's months: sums in place
    tab[o, last, _T_REV] = rev
    tab[o, last, _T_COST] = cost
    lo, hi = _table_run(tab, o, rev, cost)
    tab[o, last, _T_SWITCHED] = 0.0
    if lo == 0 and hi == int(tab[o, last, _T_RATIO]):
        return False  # every month runs: the block's sums hold
    tab[o, last, _T_SWITCHED] = 1.0
    r = 2 * o
    for j in range(B_KIND):
        sums[r, j] = shape_sums[r, j]
        sums[r + 1, j] = shape_sums[r + 1, j]
    _put_table_sums(tab, o, lo, hi, sums, r)
    return True


@njit(error_model="numpy", _nrt=False)
def _switching_breakevens(p, n, kinds, fleets, a, units_m, units_g, d_fleet, loop, npv, bp, bw,
                          gpu, tf, paths, sums, tab, row, k):
    """The BTC and power breakevens (``row[k + 2]``, ``row[k + 4]``) where mining slot ``a``'s
    months switch off: mining's NPV bends, so Newton steps (:func:`_switching_breakeven`).
    ``bp``, ``bw``: its running months' sums (NaN: not known, found here)."""
    kind = kinds[a]
    s = _scales(kind, p, _slot_units(fleets[a], units_m, units_g), fleets[a])
    start = _start(p, fleets[a])
    if math.isnan(bp):  # (the monthly lines ran): the running months' sums again
        rev, cost = _run_coefs(s)
        bp, bw = _running_sums(kind, rev, cost, a, n, start, p, tf, paths, d_fleet, sums, tab,
                               loop)
    for j in (2, 4):  # the BTC and the power price (a variable: one compiled version)
        row[k + j] = _switching_breakeven(j == 4, kind, s, npv, bp, bw, gpu, a, n, start, p,
                                          tf, paths, d_fleet, sums, tab, loop)


# --- One scenario --------------------------------------------------------------------------------


@njit(error_model="numpy", _nrt=False, inline="always")
def _start(p, fleet):
    return _months(p[MINING_BUILD_PERIOD] if fleet == FLEET_MINING else p[BUILD_PERIOD])


@njit(error_model="numpy", _nrt=False, inline="always")
def _fleet_units(p):
    """Units of each fleet that fit the site: ``(miners, GPU system units)``."""
    utility = p[UTILITY_POWER]
    # (the rack positions and their design power are the AI hall's: not the miners')
    units_m, _ = fit_units(utility, p[PUE_MINE], p[MINER_POWER], p[MINER_UNITS_PER_RACK],
                           p[MINER_RACK_FOOTPRINT], p[AISLE_FACTOR], p[WHITE_SPACE],
                           p[MINER_RACK_WEIGHT], p[FLOOR_LOAD_LIMIT], p[HEAT_REJECTION_CAPACITY],
                           math.nan, math.nan, 0.0)
    units_g, _ = fit_units(utility, p[PUE_GPU], p[GPU_POWER_MAX], p[GPU_UNITS_PER_RACK],
                           p[GPU_RACK_FOOTPRINT], p[AISLE_FACTOR], p[WHITE_SPACE],
                           p[GPU_RACK_WEIGHT], p[FLOOR_LOAD_LIMIT], p[HEAT_REJECTION_CAPACITY],
                           p[RACK_POSITIONS], p[DESIGN_RACK_POWER], p[GPU_POWER_OUTSIDE])
    return units_m, units_g


@njit(error_model="numpy", _nrt=False, inline="always")
def _fleet_difficulty(p, units_m):
    # the difficulty at which the mining fleet would be the whole network: H x uptime x 600/2^32
    return (units_m * p[MINER_HASHRATE] * p[UPTIME] * p[MINING_WEATHER_UPTIME]
            * (SECONDS_PER_MONTH / BLOCKS_PER_MONTH)
            / HASHES_PER_DIFFICULTY)


#: The inputs the fleets' sizing reads (:func:`size_fleets`): a run whose scenarios vary
#: none of them sizes the fleets once, not scenario by scenario (a dozen divisions each).
SIZING_PARAMS = ("utility_power", "pue_mine", "miner_power", "miner_units_per_rack",
                 "miner_rack_footprint", "aisle_factor", "white_space", "miner_rack_weight",
                 "floor_load_limit", "heat_rejection_capacity", "pue_gpu", "gpu_power_max",
                 "gpu_units_per_rack", "gpu_rack_footprint", "gpu_rack_weight",
                 "miner_hashrate", "uptime", "rack_positions", "design_rack_power",
                 "gpu_power_outside")
_SIZING_IDX = np.array([PARAMS.index(name) for name in SIZING_PARAMS], dtype=np.int64)
N_FLEET = 3  # miners, GPU system units, the mining fleet's difficulty


@njit(error_model="numpy", _nrt=False)
def size_fleets(p, fleet):
    """The units of each fleet that fit and the mining fleet's difficulty into ``fleet``
    float64[N_FLEET]: what :func:`run_scenario` reads."""
    units_m, units_g = _fleet_units(p)
    fleet[0] = units_m
    fleet[1] = units_g
    fleet[2] = _fleet_difficulty(p, units_m)


@njit(error_model="numpy", _nrt=False)
def _kind_basis_sums(kind, n, start, p, tf, paths, d_fleet, shape_sums, sums, r, rev, cost,
                     decide):
    """The basis sums (rows ``r`` discounted, ``r + 1`` plain of ``sums``) of a slot whose own
    entries move with the paths, the fleet's cap or the months its miners switch off
    (``decide``): the shared entries from the block's ``shape_sums`` (same rows), the kind's
    own re-summed month by month."""
    for j in range(B_KIND):
        sums[r, j] = shape_sums[r, j]
        sums[r + 1, j] = shape_sums[r + 1, j]
    _own_sums(kind, n, start, p, tf, paths, d_fleet, sums, r, rev, cost, decide)


_ZEROS8 = (0.0,) * 8


@njit(error_model="numpy", _nrt=False, inline="always")
def _add8(acc, w, x):
    # acc + w x over the first eight entries of x: a running (discounted) sum kept in registers
    return (acc[0] + w * x[0], acc[1] + w * x[1], acc[2] + w * x[2], acc[3] + w * x[3],
            acc[4] + w * x[4], acc[5] + w * x[5], acc[6] + w * x[6], acc[7] + w * x[7])


@njit(error_model="numpy", _nrt=False, inline="always")
def _put8(sums, row, first, acc):
    for j in range(8):
        sums[row, first + j] = acc[j]


@njit(error_model="numpy", _nrt=False)
def _common_sums(n, start, p, tf, kind, fleet, sums, r):
    # the shared entries' sums, month by month, accumulated in registers (not in ``sums``,
    # which the compiler must assume the factors' loads may alias)
    # (the plain sums over the horizon only, the discounted ones to the end of the valuation)
    per_life_it = SECONDS_PER_MONTH / p[USEFUL_LIFE_IT]
    per_life_fac = SECONDS_PER_MONTH / p[USEFUL_LIFE_FACILITY]
    end = _end(p, start)
    warranty = _warranty(p, fleet)
    d = t = _ZEROS8
    d_tax = t_tax = (0.0, 0.0, 0.0, 0.0, 0.0)  # B_TAX_IT ... B_SERVICED
    for m in range(_n_eval(p, n, end, tf.shape[1])):
        c = _common_basis(m, n, start, end, p, per_life_it, per_life_fac,
                          tf[T_POWER_PRICE, m], warranty)
        v = tf[T_DISCOUNT + kind, m]
        d = _add8(d, v, c)
        d_tax = (d_tax[0] + v * c[9], d_tax[1] + v * c[10], d_tax[2] + v * c[11],
                 d_tax[3] + v * c[12], d_tax[4] + v * c[13])
        if m < n:
            t = _add8(t, 1.0, c)
            t_tax = (t_tax[0] + c[9], t_tax[1] + c[10], t_tax[2] + c[11], t_tax[3] + c[12],
                     t_tax[4] + c[13])
    _put8(sums, r, 0, d)
    _put8(sums, r + 1, 0, t)
    for j in range(5):
        sums[r, B_TAX_IT + j] = d_tax[j]
        sums[r + 1, B_TAX_IT + j] = t_tax[j]
    # the signing month is month 0, undiscounted
    sums[r, B_SIGN] = sums[r + 1, B_SIGN] = 1.0 if n > 0 else 0.0


@njit(error_model="numpy", _nrt=False)
def _own_sums(kind, n, start, p, tf, paths, d_fleet, sums, r, rev, cost, decide):
    # the kind's own entries' sums (this is the loop a Monte Carlo path runs), in registers,
    # one loop per kind so that no unused entry is summed (mining has four, GPU-as-a-service
    # nine, colocation one); a kind's own entries are 0 outside its operating months, and
    # the plain sums (weight w) stop at the horizon
    v = tf[T_DISCOUNT + kind]
    for j in range(B_KIND, N_BASIS):
        sums[r, j] = 0.0
        sums[r + 1, j] = 0.0
    end = _end(p, start)
    stop = min(end, _n_eval(p, n, end, tf.shape[1]))
    if kind == MINE:
        d0 = d1 = d2 = d3 = t0 = t1 = t2 = t3 = 0.0
        for m in range(start, stop):
            x = _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, rev, cost, decide)
            w = 1.0 if m < n else 0.0
            d0 += v[m] * x[0]
            d1 += v[m] * x[1]
            d2 += v[m] * x[2]
            d3 += v[m] * x[3]
            t0 += w * x[0]
            t1 += w * x[1]
            t2 += w * x[2]
            t3 += w * x[3]
        sums[r, B_BTC], sums[r, B_BTC_PRICED], sums[r, B_RUN], sums[r, B_RUN_POWER] = \
            d0, d1, d2, d3
        sums[r + 1, B_BTC], sums[r + 1, B_BTC_PRICED], sums[r + 1, B_RUN], \
            sums[r + 1, B_RUN_POWER] = t0, t1, t2, t3
    elif kind == GPUAAS and paths.shape[1] > 0 and p[GPU_CONTRACT_SHARE] == 0.0:
        # a path's sums without a contract tranche: only the merchant entries (B_SOLD,
        # B_SOLD_PRICED, B_SOLD_POWER) are read (:func:`_lines`); summing the other six was
        # half a Monte Carlo path's GPU-as-a-service time. (Not a block's shape sums: the
        # scenarios that share them may differ in their contract share.)
        d0 = d1 = d2 = t0 = t1 = t2 = 0.0
        for m in range(start, stop):
            x = _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, 0.0, 0.0, m < 0)
            w = 1.0 if m < n else 0.0
            d0 += v[m] * x[0]
            d1 += v[m] * x[1]
            d2 += v[m] * x[2]
            t0 += w * x[0]
            t1 += w * x[1]
            t2 += w * x[2]
        sums[r, B_SOLD], sums[r, B_SOLD_PRICED], sums[r, B_SOLD_POWER] = d0, d1, d2
        sums[r + 1, B_SOLD], sums[r + 1, B_SOLD_PRICED], sums[r + 1, B_SOLD_POWER] = \
            t0, t1, t2
    elif kind == GPUAAS:  # B_SOLD ... B_TERM_PAID: the nine own entries, in order
        d = t = _ZEROS8
        d8 = t8 = 0.0
        for m in range(start, stop):
            x = _kind_basis(kind, m, start, end, p, tf, paths, d_fleet, 0.0, 0.0, m < 0)
            w = 1.0 if m < n else 0.0
            d = _add8(d, v[m], x)
            t = _add8(t, w, x)
            d8 += v[m] * x[8]
            t8 += w * x[8]
        _put8(sums, r, B_SOLD, d)
        _put8(sums, r + 1, B_SOLD, t)
        sums[r, B_TERM_PAID] = d8
        sums[r + 1, B_TERM_PAID] = t8
    else:
        # (its one entry inlined, not through _kind_basis: a call a month was most of the time
        # a Monte Carlo path spent on its tenant)
        d0 = t0 = 0.0
        for m in range(start, stop):
            x = _rent(m, start, p, tf, paths)
            d0 += v[m] * x
            t0 += (1.0 if m < n else 0.0) * x
        sums[r, B_ESCALATED] = d0
        sums[r + 1, B_ESCALATED] = t0


@njit(error_model="numpy", _nrt=False)
def _lowest_difficulty(n, start, p, tf):
    # the lowest trend difficulty over the operating months valued (+inf if none)
    low = math.inf
    end = _end(p, start)
    for m in range(start, min(end, _n_eval(p, n, end, tf.shape[1]))):
        low = min(low, tf[T_DIFFICULTY, m])
    return low


@njit(error_model="numpy", _nrt=False, inline="always")
def _fleet_outputs(p, units_m, units_g, row):
    # the sizing outputs; BTC mined (row[6]) is the first mining slot's
    row[0] = units_m
    row[1] = units_g
    row[2] = units_g * p[GPUS_PER_UNIT]
    row[3] = units_m * p[MINER_HASHRATE]
    row[4] = units_m * p[MINER_POWER]
    row[5] = units_g * (p[GPU_POWER_MAX] + p[GPU_POWER_OUTSIDE])
    row[6] = 0.0


@njit(error_model="numpy", _nrt=False, inline="always")
def _slot_outputs(o, n_opt, disc, total, totals, row):
    """Slot ``o``'s metrics from its discounted and plain line sums (tuples); the plain ones
    only with ``totals``."""
    base = N_FLEET_OUTPUTS
    if totals:
        noi = total[L_REVENUE] - _opex(total)
        row[base + M_REVENUE * n_opt + o] = total[L_REVENUE]
        row[base + M_NOI * n_opt + o] = noi
        row[base + M_EBITDA * n_opt + o] = noi - total[L_SGA]
        row[base + M_CAPEX * n_opt + o] = total[L_CAPEX_IT] + total[L_CAPEX_FACILITY]
    row[base + M_NPV * n_opt + o] = disc[L_CASH_FLOW]


@njit(error_model="numpy", _nrt=False, inline="always")
def _pair_outputs(p, k, best, mine, gpu, row):
    """The NPV gap, the winner (``best``, NaN if -1) and the breakevens from the mining and
    GPU-as-a-service slots' discounted line sums ``mine`` and ``gpu`` (tuples), from
    ``row[k]`` on."""
    npv_a = mine[L_CASH_FLOW]
    npv_g = gpu[L_CASH_FLOW]
    row[k] = npv_g - npv_a
    row[k + 1] = math.nan if best < 0 else float(best)
    # Breakevens, exact because each NPV is linear in each price: NPV = NPV0 + slope x change
    # (a price's revenue is kept after SG&A and income tax, a power cost saved after tax).
    after_tax = 1.0 - p[TAX_RATE]
    slope_btc = (1.0 - p[SGA_SHARE]) * after_tax * mine[L_PRICE_VOLUME]
    row[k + 2] = p[BTC_PRICE] + (npv_g - npv_a) / slope_btc if slope_btc > 0.0 else math.nan
    slope_gpu = (1.0 - p[SGA_SHARE_MERCHANT]) * after_tax * gpu[L_PRICE_VOLUME]
    row[k + 3] = (p[GPU_HOUR_PRICE] + (npv_a - npv_g) / slope_gpu if slope_gpu > 0.0
                  else math.nan)
    d_power = (mine[L_ENERGY_WEIGHT] - gpu[L_ENERGY_WEIGHT]) * after_tax
    row[k + 4] = p[POWER_PRICE] + (npv_a - npv_g) / d_power if d_power != 0.0 else math.nan


def n_outputs(n_options):
    """Number of outputs of a run over ``n_options`` option slots."""
    return N_FLEET_OUTPUTS + N_METRICS * n_options + N_PAIR_OUTPUTS


@njit(error_model="numpy", _nrt=False, inline="always")
def _slot_units(fleet, units_m, units_g):
    return units_m if fleet == FLEET_MINING else units_g


@njit(error_model="numpy", _nrt=False, inline="always")
def _months_valued(p, n, fleets, width):
    # the months any slot values (past the horizon under ``dcf``)
    months = n
    for o in range(fleets.shape[0]):
        months = max(months, _n_eval(p, n, _end(p, _start(p, fleets[o])), width))
    return months


@njit(error_model="numpy", _nrt=False)
def _mining_npv_at(price, p, n, kind, fleet, units, a, d_fleet, tf, paths, shape_sums, sums):
    """Mining slot ``a``'s NPV at a month-0 BTC price ``price`` [USD/BTC], the network
    following it (:func:`network_path`); rows ``2 a`` and ``2 a + 1`` of ``sums`` are
    scratch."""
    network_path(p, _n_eval(p, n, _end(p, _start(p, fleet)), tf.shape[1]), tf, paths, price)
    s = _scales(kind, p, units, fleet)
    s = s[:5] + (price,) + s[6:]  # the scales at this price
    rev, cost = _run_coefs(s)
    _kind_basis_sums(kind, n, _start(p, fleet), p, tf, paths, d_fleet, shape_sums, sums, 2 * a,
                     rev, cost, p[MINER_SHUTDOWN] != 0.0)
    return _lines(kind, s, sums, 2 * a)[L_CASH_FLOW]


@njit(error_model="numpy", _nrt=False)
def _network_btc_breakeven(p, n, kind, fleet, units, a, d_fleet, npv0, gpu_npv, tf, paths,
                           shape_sums, sums):
    """The BTC price at which mining's NPV meets GPU-as-a-service's (``gpu_npv``) when the
    network follows the price. Mining's NPV then rises with the price, but less than in
    proportion (a dearer BTC draws more hash rate): bracketed from the scenario's price
    (``npv0`` there) by doubling or down to 0, then regula falsi (Illinois) to the last
    digits. NaN where there is none: mining ahead even at a price of 0, or behind at every
    price up to 2^40 times the scenario's."""
    x0 = p[BTC_PRICE]
    f0 = npv0 - gpu_npv
    if f0 == 0.0 or math.isnan(f0):
        return x0 if f0 == 0.0 else math.nan
    if f0 < 0.0:  # behind: up until ahead
        lo, f_lo, hi, f_hi = x0, f0, x0, f0
        for _ in range(40):
            hi = 2.0 * hi
            f_hi = _mining_npv_at(hi, p, n, kind, fleet, units, a, d_fleet, tf, paths,
                                  shape_sums, sums) - gpu_npv
            if f_hi >= 0.0:
                break
            lo, f_lo = hi, f_hi
        if f_hi < 0.0:
            return math.nan
    else:  # ahead: is it behind at a price of 0?
        hi, f_hi = x0, f0
        lo = 0.0
        f_lo = _mining_npv_at(lo, p, n, kind, fleet, units, a, d_fleet, tf, paths,
                              shape_sums, sums) - gpu_npv
        if f_lo > 0.0:
            return math.nan
    side = 0
    for _ in range(200):
        if f_hi == 0.0:
            return hi
        if f_lo == 0.0:
            return lo
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if not lo < x < hi:
            x = 0.5 * (lo + hi)
        if hi - lo <= 1e-13 * hi:
            return x
        f = _mining_npv_at(x, p, n, kind, fleet, units, a, d_fleet, tf, paths, shape_sums,
                           sums) - gpu_npv
        if f < 0.0:
            lo, f_lo = x, f
            if side == -1:
                f_hi *= 0.5  # Illinois: the end that stays is halved
            side = -1
        else:
            hi, f_hi = x, f
            if side == 1:
                f_lo *= 0.5
            side = 1
    return 0.5 * (lo + hi)


#: Line sums of a slot not (yet) run: zeros.
_NO_LINES = (0.0,) * N_LINES


@njit(error_model="numpy", _nrt=False)
def _monthly_lines(kind, fleet, s, n, start, p, tf, paths, d_fleet, b, o, lines_out, disc,
                   total):
    """Slot ``o``'s lines month by month into ``lines_out`` (row ``o n + m``), their
    discounted and plain sums into row ``o`` of ``disc`` and ``total``. The months valued
    after the horizon (``dcf``) are discounted into ``disc`` and, as their value at the
    horizon, added to the last month's residual value and cash flow."""
    for j in range(N_LINES):
        disc[o, j] = 0.0
        total[o, j] = 0.0
    end = _end(p, start)
    rev, cost = _run_coefs(s)
    after = 0.0  # present value of the cash flows after the horizon
    for m in range(_n_eval(p, n, end, tf.shape[1])):
        _basis(kind, fleet, m, n, start, end, p, tf, paths, d_fleet, rev, cost, b, o)
        lines = _lines(kind, s, b, o)
        v = tf[T_DISCOUNT + kind, m]
        for j in range(N_LINES):
            disc[o, j] += v * lines[j]
        if m < n:
            row_m = o * n + m
            for j in range(N_LINES):
                lines_out[row_m, j] = lines[j]
                total[o, j] += lines[j]
        else:
            after += v * lines[L_CASH_FLOW]
    if after != 0.0:
        at_horizon = after / tf[T_DISCOUNT + kind, n - 1]
        for j in (L_RESIDUAL, L_CASH_FLOW):
            lines_out[o * n + n - 1, j] += at_horizon
            total[o, j] += at_horizon


@njit(error_model="numpy", _nrt=False)
def run_scenario(p, n, kinds, fleets, pair, tf, shape_sums, low, tab, net, paths, fleet, b,
                 sums, disc, total, lines_out, row, totals=True):
    """One scenario into ``row``: fleets, each slot's line sums, outputs.

    ``shape_sums`` float64[2 O, N_BASIS] (rows ``2 o`` discounted and ``2 o + 1`` plain) are
    the basis sums of the block's time shape (without paths or the fleet's cap), ``low``
    float64[O] the lowest trend difficulty of each mining slot, ``tab`` each mining slot's
    months sorted for its switching off (:func:`_mine_table`; ``None`` where no scenario of
    the run switches: the switching code is then not compiled); ``net`` float64[1] where a
    scenario of the run may use the equilibrium network, ``net[0]`` 0 where its BTC
    breakeven is not wanted (``None``: none does, and its code is not compiled); ``paths``
    float64[4, n] the
    Monte Carlo multipliers (no column: none); ``fleet`` the sizing of ``p``
    (:func:`size_fleets`). A slot whose basis reads the paths, or whose mining fleet would
    out-hash the network in some month, re-sums its own basis entries month by month (into
    ``sums``, shaped as ``shape_sums``); with ``lines_out`` (float64 [O n, N_LINES], row
    ``o n + m``; ``None``: not wanted, and the month-by-month code is not even compiled) every
    slot runs month by month and writes its monthly lines (and their sums into ``disc`` and
    ``total`` float64[O, N_LINES]). ``b``
    float64[O, N_BASIS] is scratch. Without ``totals`` the plain sums of the lines (revenue,
    NOI, EBITDA, capex, BTC mined) are not computed: a run that stores none of them skips
    them. A slot's line sums are tuples, so that they stay in registers."""
    units_m, units_g, d_fleet = fleet[0], fleet[1], fleet[2]
    n_opt = kinds.shape[0]
    has_paths = paths.shape[1] > 0
    _fleet_outputs(p, units_m, units_g, row)
    mined = False
    best = -1
    best_npv = 0.0
    any_nan = False
    a, g = pair[0], pair[1]  # the mining slot and the GPU-as-a-service slot
    mine = gpu = _NO_LINES
    bp_a = bw_a = math.nan  # the mining slot's sums over its running months, if known
    eq = False  # the equilibrium network: mining's difficulty is the scenario's own
    if net is not None:  # (pruned where no scenario of the run uses it)
        eq = p[DIFFICULTY_MODEL] == DM_EQUILIBRIUM
        if eq:
            network_path(p, _months_valued(p, n, fleets, tf.shape[1]), tf, paths,
                         p[BTC_PRICE])
    for o in range(n_opt):
        kind = kinds[o]
        s = _scales(kind, p, _slot_units(fleets[o], units_m, units_g), fleets[o])
        r = 2 * o
        if lines_out is not None:  # a branch numba prunes where the lines are None
            _monthly_lines(kind, fleets[o], s, n, _start(p, fleets[o]), p, tf, paths, d_fleet,
                           b, o, lines_out, disc, total)
            d = fixed_tuple(disc[o], N_LINES)
            t = fixed_tuple(total[o], N_LINES)
        else:
            src = shape_sums
            shut = kind == MINE and p[MINER_SHUTDOWN] != 0.0
            if (has_paths and _uses_paths(kind, p)) or (kind == MINE and (d_fleet > low[o]
                                                                       or eq)):
                rev, cost = _run_coefs(s)
                _kind_basis_sums(kind, n, _start(p, fleets[o]), p, tf, paths, d_fleet,
                                 shape_sums, sums, r, rev, cost, shut)
                _forget_sums(tab, o)
                src = sums
            elif shut:
                if tab is not None:  # (pruned, not compiled, where no scenario switches)
                    if _switched_sums(s, o, tab, shape_sums, sums):
                        src = sums  # some months off: their sums from the block's table
            d = _lines_inline(kind, s, src, r)
            t = _lines_inline(kind, s, src, r + 1) if totals else d
            if o == a:
                bp_a, bw_a = src[r, B_BTC_PRICED], src[r, B_RUN_POWER]
        _slot_outputs(o, n_opt, d, t, totals, row)
        if kind == MINE and not mined:
            row[6] = t[L_VOLUME]
            mined = True
        npv = d[L_CASH_FLOW]
        if math.isnan(npv):
            any_nan = True
        elif best < 0 or npv > best_npv:  # the first maximum wins a tie
            best = o
            best_npv = npv
        if o == a:
            mine = d
        if o == g:
            gpu = d
    k = N_FLEET_OUTPUTS + N_METRICS * n_opt
    _pair_outputs(p, k, -1 if any_nan else best, mine, gpu, row)
    if tab is not None:
        if (p[MINER_SHUTDOWN] != 0.0 and a >= 0 and g >= 0 and kinds[a] == MINE
                and tab[a, tab.shape[1] - 1, _T_WANTED] != 0.0):
            _switching_breakevens(p, n, kinds, fleets, a, units_m, units_g, d_fleet,
                                  has_paths or d_fleet > low[a] or eq, mine[L_CASH_FLOW],
                                  bp_a, bw_a, gpu, tf, paths, sums, tab, row, k)
    if net is not None:
        if eq and net[0] != 0.0 and a >= 0 and g >= 0 and kinds[a] == MINE:
            # the network follows the price: mining's NPV bends in it (last: this moves the
            # network path to each trial price)
            row[k + 2] = _network_btc_breakeven(p, n, kinds[a], fleets[a],
                                                _slot_units(fleets[a], units_m, units_g), a,
                                                d_fleet, mine[L_CASH_FLOW], gpu[L_CASH_FLOW],
                                                tf, paths, shape_sums, sums)


@njit(error_model="numpy", _nrt=False)
def _shape(p, n, kinds, fleets, tf, b, shape_sums, low, tab, no_paths):
    """The block's time shape: factors, and each slot's basis sums without paths or cap
    (``no_paths``: float64[4, 0]). Slots of one fleet at one discount rate share its
    entries' sums."""
    months = n  # the months any slot values (past the horizon under ``dcf``)
    for o in range(kinds.shape[0]):
        start = _start(p, fleets[o])
        months = max(months, _n_eval(p, n, _end(p, start), tf.shape[1]))
    time_factors(p, months, tf)
    for o in range(kinds.shape[0]):
        start = _start(p, fleets[o])
        r = 2 * o
        same = -1  # an earlier slot of the same fleet, discounted alike
        for q in range(o):
            if fleets[q] == fleets[o] and (discount_rate(p, kinds[q])
                                           == discount_rate(p, kinds[o])):
                same = q
                break
        if same < 0:
            _common_sums(n, start, p, tf, kinds[o], fleets[o], shape_sums, r)
        else:
            for j in range(B_KIND):
                shape_sums[r, j] = shape_sums[2 * same, j]
                shape_sums[r + 1, j] = shape_sums[2 * same + 1, j]
        # (n < 0: False at run time; a constant would compile another version of _own_sums)
        _own_sums(kinds[o], n, start, p, tf, no_paths, 0.0, shape_sums, r, 0.0, 0.0, n < 0)
        low[o] = _lowest_difficulty(n, start, p, tf) if kinds[o] == MINE else math.inf
        if tab is not None:
            if kinds[o] == MINE and p[MINER_SHUTDOWN] != 0.0:
                _mine_table(kinds[o], o, n, start, p, tf, no_paths, tab)


# --- Many scenarios ------------------------------------------------------------------------------
#
# The loops are compiled without reference counting and without the GIL (``_nrt=False``,
# ``nogil=True``): every array is allocated by NumPy here and passed in, and threads of this
# process run blocks of scenarios side by side (:func:`run_blocks`). The same cached kernel
# serves one thread, all threads and a dask worker's thread. (A ``prange`` over the blocks
# did the same but added 2.5 s of compilation to every command's first run, for a parallel
# region that numba's default threading layer cannot enter from two dask threads at once.)


#: Scenarios whose outputs a thread holds before it stores them (:func:`_run_range`).
TILE = 64


class Work:
    """The work arrays of one thread over ``n_options`` slots and ``n`` months (allocated by
    NumPy, reused block after block)."""

    def __init__(self, n_params: int, n_options: int, n: int, switching: bool = False,
                 network: bool = False):
        self.p = np.empty(n_params)
        self.tf = np.empty((N_TIME, n + MAX_MONTHS_PAST))
        self.b = np.zeros((n_options, N_BASIS))
        self.sums = np.zeros((2 * n_options, N_BASIS))
        self.shape_sums = np.zeros((2 * n_options, N_BASIS))
        self.low = np.empty(n_options)
        # the sorted months of miners that switch off; None where none does (a cold run then
        # compiles no switching code: it added seconds)
        self.tab = (np.zeros((n_options, n + MAX_MONTHS_PAST + 1, _T_RATIO + 1)) if switching
                    else None)
        self.want_breakevens(True)
        # where a scenario may use the equilibrium network, whether the BTC breakeven is
        # wanted (net[0] = 1: its search costs some twenty runs of the mining months), else
        # None (its code is then not compiled)
        self.net = np.ones(1) if network else None
        self.fleet = np.empty(N_FLEET)
        self.disc = np.zeros((n_options, N_LINES))
        self.total = np.zeros((n_options, N_LINES))
        self.rows = np.empty((TILE, n_outputs(n_options)))  # the outputs of a tile
        self.last = np.full(_SHAPE_IDX.shape[0], np.nan)
        self.no_paths = np.empty((4, 0))

    def want_breakevens(self, wanted: bool) -> None:
        """Whether the BTC and power breakevens of miners that switch off are searched for
        (:func:`wants_switching_breakevens`)."""
        if self.tab is not None:
            self.tab[:, -1, _T_WANTED] = float(wanted)

    def shape(self, p, n, kinds, fleets):
        """The time shape of ``p`` into this thread's arrays."""
        _shape(p, n, kinds, fleets, self.tf, self.b, self.shape_sums, self.low, self.tab,
               self.no_paths)
        self.last[:] = p[_SHAPE_IDX]


@njit(error_model="numpy", _nrt=False, nogil=True)
def _run_range(p, base, values, target_start, target_axis, target_param, axis_size, digits,
               shape_varies, sizing_varies, n, kinds, fleets, pair, want, totals, lo, hi, offset,
               out, tf, b, sums, shape_sums, low, tab, net, fleet, disc, total, rows, last,
               no_paths):
    """Scenarios ``lo`` to ``hi`` of a grid (C order, the last axis fastest): scenario ``i``
    is ``base`` with ``p[target_param[t]] = values[target_start[t] + d[target_axis[t]]]``,
    ``d`` the digits of ``i`` in the axes' sizes (kept by counting, not by division).
    Output ``want[j]`` of scenario ``i`` into ``out[j, i - offset]``, by tiles: ``rows``
    float64[T, n_outputs] holds the outputs of ``T`` scenarios, then each wanted output is
    stored as a contiguous run (one store a scenario into each of ``K`` rows of ``out`` cost
    more than the scenario's lines). The time shape in ``tf``, ``shape_sums`` and ``low`` is
    that of the inputs in ``last``; it is recomputed when a scenario changes them (only if
    ``shape_varies``); the fleets are sized once unless ``sizing_varies`` (a target is one of
    :data:`SIZING_PARAMS`). A list of scenarios is a grid of one axis whose targets read one
    column each."""
    n_axes = axis_size.shape[0]
    for j in range(base.shape[0]):
        p[j] = base[j]
    size_fleets(p, fleet)  # what every scenario's sizing is, unless a target moves it
    held = 0  # scenarios in rows not yet stored
    rest = lo
    for a in range(n_axes - 1, -1, -1):
        digits[a] = rest % axis_size[a]
        rest //= axis_size[a]
    for i in range(lo, hi):
        for t in range(target_param.shape[0]):
            p[target_param[t]] = values[target_start[t] + digits[target_axis[t]]]
        if shape_varies:
            same = True
            for j in range(_SHAPE_IDX.shape[0]):
                if not p[_SHAPE_IDX[j]] == last[j]:  # NaN never equals: recompute
                    same = False
                last[j] = p[_SHAPE_IDX[j]]
            if not same:
                _shape(p, n, kinds, fleets, tf, b, shape_sums, low, tab, no_paths)
        if sizing_varies:
            size_fleets(p, fleet)
        # a call, not inlined: inlining it ran the sweep 5-10 % faster but cost 2 s of its
        # first compilation (numba copies and re-types the inlined body)
        run_scenario(p, n, kinds, fleets, pair, tf, shape_sums, low, tab, net, no_paths, fleet,
                     b, sums, disc, total, None, rows[held], totals)
        held += 1
        if held == rows.shape[0] or i == hi - 1:
            store_rows(rows, held, want, out, i + 1 - held - offset)
            held = 0
        a = n_axes - 1  # the next scenario's digits
        while a >= 0:
            digits[a] += 1
            if digits[a] < axis_size[a] or a == 0:
                break
            digits[a] = 0
            a -= 1


@njit(error_model="numpy", _nrt=False, inline="always")
def store_rows(rows, held, want, out, first):
    """The wanted outputs (``want``) of the first ``held`` rows of ``rows`` into
    ``out[:, first:first + held]``, each output a contiguous run."""
    for j in range(want.shape[0]):
        col = want[j]
        for q in range(held):
            out[j, first + q] = rows[q, col]


def shape_varies(varied_idx) -> bool:
    """Whether a scenario's varied inputs include one of the time shape's."""
    return bool(np.isin(np.asarray(varied_idx), _SHAPE_IDX).any())


def sizing_varies(varied_idx) -> bool:
    """Whether a scenario's varied inputs include one the fleets' sizing reads."""
    return bool(np.isin(np.asarray(varied_idx), _SIZING_IDX).any())


def evaluate(base, varied, varied_idx, n_months, kinds, fleets, pair, want, out,
             threads=None):
    """Evaluate ``N`` scenarios, on ``threads`` threads (default: numba's thread count,
    ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``).

    Parameters
    ----------
    base : float64[P]
        The parameter vector (:data:`PARAMS`, SI).
    varied, varied_idx : float64[N, V], int64[V]
        Scenario ``i`` is ``base`` with ``p[varied_idx] = varied[i]``.
    n_months : int
        Horizon [month].
    kinds, fleets : int64[O]
        The option slots: kind (:data:`KINDS`) and fleet (:data:`FLEETS`) of each.
    pair : int64[2]
        The mining slot and the GPU-as-a-service slot the gap and breakevens compare.
    want : int64[K]
        Which outputs (indexes into :func:`output_table`) to store.
    out : float64[K, N]
        Written in place: ``out[j, i]`` is output ``want[j]`` of scenario ``i`` (each output
        contiguous; allocate with NumPy, only what is wanted).
    """
    n, v = varied.shape
    # a list of scenarios as a grid of one axis: target t reads column t
    values = np.ascontiguousarray(np.asarray(varied, dtype=np.float64).T).reshape(-1)
    _evaluate(base, values, np.arange(v, dtype=np.int64) * n, np.array([n], np.int64),
              np.asarray(varied_idx, dtype=np.int64), np.zeros(v, np.int64), n_months, kinds,
              fleets, pair, want, out, 0, n, threads)


def evaluate_grid(base, axis_values, axis_start, axis_size, target_param, target_axis,
                  n_months, kinds, fleets, pair, want, out, start=0, stop=None, threads=None):
    """Evaluate the points ``start`` to ``stop`` of a grid (C order, the last axis fastest)
    without making them: axis ``a`` is ``axis_values[axis_start[a]:][:axis_size[a]]``, and
    target ``t`` sets ``p[target_param[t]]`` from axis ``target_axis[t]`` (two targets may
    share an axis). ``out`` float64[K, stop - start]; the rest as :func:`evaluate`."""
    axis_size = np.asarray(axis_size, dtype=np.int64)
    target_axis = np.asarray(target_axis, dtype=np.int64)
    total_points = int(np.prod(axis_size)) if axis_size.size else 1
    stop = total_points if stop is None else int(stop)
    _evaluate(base, axis_values, np.asarray(axis_start, dtype=np.int64)[target_axis],
              axis_size, np.asarray(target_param, dtype=np.int64), target_axis, n_months,
              kinds, fleets, pair, want, out, int(start), stop, threads)


def _evaluate(base, values, target_start, axis_size, target_param, target_axis, n_months,
              kinds, fleets, pair, want, out, start, stop, threads):
    # scenarios start to stop: target t reads values[target_start[t] + digit of its axis]
    varies = shape_varies(target_param)
    sizing = sizing_varies(target_param)
    totals = _wants_totals(want, kinds.shape[0])
    first = np.array(base, dtype=np.float64)
    switching = bool(base[MINER_SHUTDOWN] != 0.0) or bool((target_param == MINER_SHUTDOWN).any())
    network = uses_network(base, target_param)
    if stop > start:
        digits = np.unravel_index(start, tuple(axis_size)) if axis_size.size else ()
        for t in range(target_param.shape[0]):
            first[target_param[t]] = values[target_start[t] + digits[target_axis[t]]]

    def setup():
        work = Work(base.shape[0], kinds.shape[0], n_months, switching, network)
        if work.net is not None:
            work.net[0] = float(wants_btc_breakeven(want, kinds.shape[0]))
        work.want_breakevens(wants_switching_breakevens(want, kinds.shape[0]))
        work.shape(first, n_months, kinds, fleets)
        work.digits = np.zeros(max(1, axis_size.shape[0]), np.int64)
        return work

    def block(w, lo, hi):
        _run_range(w.p, base, values, target_start, target_axis, target_param, axis_size,
                   w.digits, varies, sizing, n_months, kinds, fleets, pair, want, totals,
                   start + lo, start + hi, start, out, w.tf, w.b, w.sums, w.shape_sums, w.low,
                   w.tab, w.net, w.fleet, w.disc, w.total, w.rows, w.last, w.no_paths)

    run_blocks(stop - start, setup, block, threads)


def network_months(p, n_months):
    """The Bitcoin network of scenario ``p`` month by month, without Monte Carlo paths:
    ``(difficulty [1], BTC price [USD/BTC], reward per block [BTC])``, each float64[n_months];
    the difficulty is the trend's or the equilibrium network's (``difficulty_model``)."""
    p = np.asarray(p, dtype=np.float64)
    tf = np.empty((N_TIME, n_months))
    time_factors(p, n_months, tf)
    row = T_DIFFICULTY
    if p[DIFFICULTY_MODEL] == DM_EQUILIBRIUM:
        network_path(p, n_months, tf, np.empty((4, 0)), p[BTC_PRICE])
        row = T_NETWORK
    return tf[row].copy(), p[BTC_PRICE] * tf[T_BTC_PRICE], tf[T_REWARD].copy()


def uses_network(base, target_param=()) -> bool:
    """Whether a run over ``base`` with targets ``target_param`` may use the equilibrium
    network (``difficulty_model``)."""
    return bool(base[DIFFICULTY_MODEL] != DM_TREND) or bool(
        (np.asarray(target_param) == DIFFICULTY_MODEL).any())


def wants_btc_breakeven(want, n_options) -> bool:
    """Whether the outputs ``want`` hold the BTC breakeven (the third-last output)."""
    return bool((np.asarray(want) == n_outputs(n_options) - 3).any())


def wants_switching_breakevens(want, n_options) -> bool:
    """Whether the outputs ``want`` hold the BTC or the power breakeven (the third-last and
    the last output), which miners that switch off make a search."""
    n = n_outputs(n_options)
    return bool(np.isin(np.asarray(want), (n - 3, n - 1)).any())


def _wants_totals(want, n_options) -> bool:
    # BTC mined and each option's revenue, NOI, EBITDA and capex are plain sums of lines
    k = np.asarray(want)
    return bool(((k >= N_FLEET_OUTPUTS - 1) & (k < N_FLEET_OUTPUTS + M_NPV * n_options)).any())


def evaluate_serial(base, varied, varied_idx, n_months, kinds, fleets, pair, want, out):
    """:func:`evaluate` on the calling thread only (what a dask worker thread runs)."""
    evaluate(base, varied, varied_idx, n_months, kinds, fleets, pair, want, out, threads=1)


#: Fewest items (scenarios, paths) worth a second thread, and items per block at most.
MIN_PARALLEL = 4096
BLOCKS_PER_THREAD = 16  # many blocks a thread: one on a busy core takes fewer of them


def run_blocks(n: int, setup, block, threads=None) -> None:
    """Run ``block(work, lo, hi)`` over ``[0, n)`` in blocks, on ``threads`` threads (default:
    numba's thread count), each with its own ``work = setup()``; blocks are handed out as
    threads free up. ``block`` must release the GIL (a ``nogil`` kernel)."""
    from rackplan._jit import thread_count

    threads = thread_count() if threads is None else int(threads)
    threads = max(1, min(threads, n // MIN_PARALLEL))
    if threads == 1:
        if n:
            block(setup(), 0, n)
        return
    import itertools
    import threading

    n_blocks = threads * BLOCKS_PER_THREAD
    bounds = [(k * n // n_blocks, (k + 1) * n // n_blocks) for k in range(n_blocks)]
    counter = itertools.count()  # next() is atomic under the GIL
    errors: list[BaseException] = []

    def worker():
        try:
            work = setup()
            for k in iter(lambda: next(counter), None):
                if k >= n_blocks or errors:
                    return
                block(work, *bounds[k])
        except BaseException as exc:  # re-raised on the calling thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads - 1)]
    for t in pool:
        t.start()
    worker()  # the calling thread works too
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def scenario_lines(p, n_months, kinds, fleets, pair, paths, lines_out, row):
    """One scenario with its monthly lines: ``lines_out`` float64[O n_months, N_LINES] (row
    ``o n_months + m``, zeros on entry) and the outputs ``row`` float64[n_outputs(O)].
    ``paths`` float64[4, n_months] multiply the trend month by month (BTC price, difficulty,
    GPU-hour price, utilization); float64[4, 0] for none."""
    work = Work(p.shape[0], kinds.shape[0], n_months, bool(p[MINER_SHUTDOWN] != 0.0),
                uses_network(p))
    work.shape(p, n_months, kinds, fleets)
    size_fleets(p, work.fleet)
    lines = lines_out if lines_out.shape[0] > 0 else None  # no rows: the sums only
    run_scenario(p, n_months, kinds, fleets, pair, work.tf, work.shape_sums, work.low, work.tab,
                 work.net, paths, work.fleet, work.b, work.sums, work.disc, work.total, lines,
                 row)
