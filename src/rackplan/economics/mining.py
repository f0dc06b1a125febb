"""Bitcoin mining economics: block subsidy, expected BTC, hashprice, cost per BTC, breakevens,
and the monthly cash flows of a mining fleet.

Plain functions on floats in the units their docstrings give ([H/s] is hashes per second,
[USD/J] dollars per joule); pint quantities are accepted too and converted. The monthly model
(``docs/economics.md``; computed by the engine, :mod:`rackplan.kernels.engine`, kind
``"mine"``)::

    BTC_m = H x uptime x (1 - pool_fee) x t_month x (S_m + fees) / (D_m x 2^32)

with ``S_m`` the block-weighted mean subsidy of month ``m`` (``50 BTC >> (height // 210000)``,
heights advancing 4,383 blocks a month), ``D_m = D0 (1 + g_D)^m``, and revenue ``BTC_m x P0
(1 + g_P)^(m/12)``.

The fleet's share of the network: the market's difficulty (and the network hash rate it
implies, ``D x 2^32 / 600``) is the whole network's, the fleet included, so the fleet's share
is ``H x uptime / network``, and it can never exceed 1: a fleet cannot find more blocks than
the network does. Where the trend (a falling difficulty) would put the network below the fleet,
the difficulty is held at the fleet's own, ``D_fleet = H x uptime x 600 / 2^32``: month ``m``
uses ``max(D_m, D_fleet)``, so the fleet earns at most every block's subsidy and fees,
``BTC_m <= 4,383 x (S_m + fees) x (1 - pool_fee)``. The scenario kernel
(:mod:`rackplan.kernels.engine`) applies the cap.

>>> round(btc_per_day(1e15, 21_448_277_761_059, 6.25), 7)   # Foundry USA FPPS FAQ example
0.0058619
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rackplan.kernels.cashflow import (
    BLOCKS_PER_MONTH,
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    SATS_PER_BTC,
    SECONDS_PER_MONTH,
    block_subsidy_sats_numpy,
    month_subsidy_numpy,
)
from rackplan.economics.market import (
    difficulty_from_network_hashrate,
    network_hashrate_from_difficulty,
)
from rackplan.economics.option import Option, OptionContext, never
from rackplan.units import Q_, Quantity

__all__ = [
    "SECONDS_PER_DAY",
    "BLOCKS_PER_DAY",
    "block_subsidy",
    "block_subsidy_btc",
    "month_subsidy",
    "halving_height",
    "fleet_difficulty",
    "network_hashrate_from_difficulty",
    "difficulty_from_network_hashrate",
    "expected_btc",
    "btc_per_day",
    "hashprice",
    "hashcost",
    "MinerDay",
    "miner_day",
    "cost_per_btc",
    "breakeven_power_price",
    "breakeven_btc_price",
    "OPTION",
]

SECONDS_PER_DAY = 86_400.0
#: Blocks a day at the 600 s target interval.
BLOCKS_PER_DAY = 144
#: The target block interval [s] (a month of 2,629,800 s holds 4,383 blocks).
BLOCK_SECONDS = SECONDS_PER_MONTH / BLOCKS_PER_MONTH
#: Hash rate of one PH/s [H/s], the unit of hashprice.
PH_PER_S = 1e15


def _si(x: Any, unit: str) -> float:
    """A float in ``unit`` from a float (taken as already in ``unit``) or a pint quantity."""
    if isinstance(x, Quantity):
        return float(x.m_as(unit))
    return float(x)


def block_subsidy(height: int) -> int:
    """Block subsidy at ``height`` [sat]: ``(50 x 10^8) >> (height // 210,000)``; 0 after 64
    halvings (Bitcoin Core ``GetBlockSubsidy``).

    >>> block_subsidy(840_000), block_subsidy(1_049_999), block_subsidy(1_050_000)
    (312500000, 312500000, 156250000)
    """
    return int(block_subsidy_sats_numpy(int(height)))


def block_subsidy_btc(height: int) -> float:
    """Block subsidy at ``height`` [BTC]."""
    return block_subsidy(height) / SATS_PER_BTC


def halving_height(height: int) -> int:
    """Height of the next halving after ``height`` (the first block at the lower subsidy)."""
    return (int(height) // HALVING_INTERVAL + 1) * HALVING_INTERVAL


def month_subsidy(block_height: int, n_months: int) -> np.ndarray:
    """Mean subsidy per block of each month [BTC], weighted by blocks (4,383 a month from
    ``block_height``): a month holding a halving gets the mix of both subsidies."""
    return month_subsidy_numpy(int(block_height), int(n_months))


def fleet_difficulty(hashrate, uptime=1.0) -> float:
    """The difficulty at which a fleet of ``hashrate`` [H/s], hashing ``uptime`` [1] of the
    time, would be the whole network: ``H x uptime x 600 / 2^32`` [1]. Below it the fleet's
    share of the network would exceed 1, so the models never use a lower difficulty."""
    return _si(hashrate, "hash/s") * float(uptime) * BLOCK_SECONDS / HASHES_PER_DIFFICULTY


def expected_btc(hashrate, seconds, difficulty, subsidy, fees=0.0, pool_fee=0.0,
                 uptime=1.0) -> float:
    """Expected BTC earned by ``hashrate`` [H/s] over ``seconds`` [s]:
    ``share x t / 600 x (subsidy + fees) x (1 - pool_fee)`` [BTC], with the fleet's share of
    the network ``share = min(1, h x uptime / network)`` and ``network = D x 2^32 / 600``;
    below a share of 1 this is ``h x t x (subsidy + fees) / (D x 2^32) x (1 - pool_fee) x
    uptime``.

    ``difficulty`` [1]; ``subsidy`` and ``fees`` per block [BTC]; ``pool_fee``, ``uptime`` [1].
    """
    h = _si(hashrate, "hash/s")
    s = _si(subsidy, "BTC")
    f = _si(fees, "BTC")
    d = max(_si(difficulty, ""), fleet_difficulty(h, uptime))  # share <= 1
    if d <= 0.0:
        return 0.0
    return (h * _si(seconds, "s") * (s + f) / (d * HASHES_PER_DIFFICULTY)
            * (1.0 - float(pool_fee)) * float(uptime))


def btc_per_day(hashrate, difficulty, subsidy, fees=0.0, pool_fee=0.0, uptime=1.0) -> float:
    """Expected BTC a day for ``hashrate`` [H/s] (see :func:`expected_btc`) [BTC/day].

    Foundry USA Pool's FPPS FAQ ([P] SEC exhibit,
    https://www.sec.gov/Archives/edgar/data/827876/000095017023019070/filename2.htm): 1 PH/s
    for one day at difficulty 21,448,277,761,059 with a 6.25 BTC subsidy and no fees earns
    0.0058619 BTC.
    """
    return expected_btc(hashrate, SECONDS_PER_DAY, difficulty, subsidy, fees, pool_fee, uptime)


@dataclass(frozen=True)
class Hashprice:
    """Expected earnings of 1 PH/s for one day: ``usd`` [USD/PH/day] and ``btc`` [BTC/PH/day]."""

    usd: float
    btc: float


def hashprice(difficulty, subsidy, fees, btc_price, pool_fee=0.0) -> Hashprice:
    """Hashprice: what 1 PH/s earns in a day, in USD and BTC (Luxor's definition,
    docs.luxor.tech/hashrateindex/hashprice), after ``pool_fee`` [1].

    ``difficulty`` [1], ``subsidy`` and ``fees`` per block [BTC], ``btc_price`` [USD/BTC].
    elektronics.dev worked example: D = 1e14, 3.125 BTC, 100,000 USD/BTC -> ~62.8 USD/PH/day.
    """
    btc = btc_per_day(PH_PER_S, difficulty, subsidy, fees, pool_fee)
    return Hashprice(usd=btc * _si(btc_price, "USD/BTC"), btc=btc)


def hashcost(efficiency, power_price, pue=1.0, demand_charge=0.0) -> float:
    """Power cost of 1 PH/s for one day [USD/PH/day] at ``efficiency`` [J/TH],
    ``power_price`` [USD/MWh] and ``demand_charge`` [USD/kW/month] on the peak facility power:
    ``J/TH x 1000 TH/PH x 86,400 s x PUE x (price + demand charge per second)``.

    ``efficiency`` x 1000 is the power [W] of 1 PH/s; over a day that is energy [J]. A demand
    charge of ``d`` USD per kW-month costs ``d / 1000 / seconds per month`` USD per W-second,
    which is per J of a load that runs all month: 6.03 USD/kW/month adds 8.3 USD/MWh.
    """
    e = _si(efficiency, "J/TH")
    price = _si(power_price, "USD/MWh") / 3.6e9  # USD/J
    demand = _si(demand_charge, "USD/kW/month") / 1000.0 / SECONDS_PER_MONTH  # USD/(W s)
    return e * 1000.0 * SECONDS_PER_DAY * float(pue) * (price + demand)


@dataclass(frozen=True)
class MinerDay:
    """One miner's day, as mining calculators give it: ``revenue`` [USD] and ``btc`` [BTC]
    after the pool fee, ``energy`` [kWh] and ``power_cost`` [USD] at the plug times the PUE,
    ``profit`` [USD], and ``breakeven_power_price`` [USD/MWh], where the profit is 0."""

    revenue: float
    btc: float
    energy: float
    power_cost: float
    profit: float
    breakeven_power_price: float


def miner_day(hashrate, power, price: Hashprice, power_price, pue=1.0) -> MinerDay:
    """A day of one miner of ``hashrate`` [TH/s] drawing ``power`` [W] at hashprice ``price``
    (:func:`hashprice`) and ``power_price`` [USD/MWh] on ``pue`` times its power (1: at the
    plug, as mining calculators count; a site's PUE adds its cooling and losses). It hashes
    all day: no uptime or demand charge (:func:`hashcost` takes one).

    >>> day = miner_day(473.0, 5676.0, Hashprice(usd=40.0, btc=0.0004), 33.0)
    >>> round(day.revenue, 2), round(day.power_cost, 3), round(day.breakeven_power_price, 1)
    (18.92, 4.495, 138.9)
    """
    ph = _si(hashrate, "TH/s") / 1000.0
    kwh = _si(power, "W") * float(pue) * 24.0 / 1000.0
    revenue = price.usd * ph
    cost = kwh * _si(power_price, "USD/MWh") / 1000.0
    return MinerDay(revenue=revenue, btc=price.btc * ph, energy=kwh, power_cost=cost,
                    profit=revenue - cost,
                    breakeven_power_price=1000.0 * revenue / kwh if kwh > 0 else float("nan"))


def cost_per_btc(cost, btc) -> float:
    """Cost per BTC mined [USD/BTC]: ``cost`` [USD] / ``btc`` [BTC]; NaN if none is mined."""
    btc = float(btc)
    return float(cost) / btc if btc > 0 else float("nan")


def breakeven_power_price(revenue, energy, other_cost=0.0) -> float:
    """Power price at which mining revenue just pays the energy and the other costs [USD/J]:
    ``(revenue - other_cost) / energy``; ``revenue``, ``other_cost`` [USD], ``energy`` [J]."""
    energy = float(energy)
    return (float(revenue) - float(other_cost)) / energy if energy > 0 else float("nan")


def breakeven_btc_price(cost, btc) -> float:
    """BTC price at which revenue just pays ``cost`` [USD] for ``btc`` mined [USD/BTC]."""
    return cost_per_btc(cost, btc)


# --- The option ----------------------------------------------------------------------------------


def _details(ctx: OptionContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Mining's own figures: hashprice and hashcost at the market date, cost per BTC (cash and
    all-in), and the cash breakevens of its first operating month."""
    b, lines, n, start = ctx.base, ctx.lines, ctx.n_months, ctx.start
    keep = 1.0 - b["sga_share"]  # share of revenue left after SG&A
    no_sga = ("SG&A takes all revenue (sga_share = 1), so no price changes the NPV"
              if keep <= 0 else "")
    hp0 = hashprice(b["difficulty"], float(month_subsidy(ctx.market.block_height, 1)[0]),
                    b["fees_per_block"], b["btc_price"], b["pool_fee"])
    efficiency = float((ctx.profile.power_max / ctx.profile.hashrate).m_as("J/TH"))
    opex = sum(lines[k] for k in ctx.option.opex_lines)
    btc_total = float(lines["volume"].sum())
    cash_cost = float(opex.sum() + lines["sga"].sum())
    capex = float(lines["capex_it"].sum() + lines["capex_facility"].sum())
    nothing = never("mining earns no BTC", start, n, ctx.sizing.unit_count, ctx.profile.id)
    figures: dict[str, Any] = {
        "btc_mined": Q_(btc_total, "BTC"),
        "hashprice": Q_(hp0.usd, "USD/PH/day"),
        "hashprice_btc": Q_(hp0.btc, "BTC/PH/day"),
        "hashcost": Q_(hashcost(efficiency, ctx.market.power_price, ctx.sizing.pue,
                                ctx.market.demand_charge), "USD/PH/day"),
        "cost_per_btc": Q_(cost_per_btc(cash_cost, btc_total), "USD/BTC"),
        "all_in_cost_per_btc": Q_(cost_per_btc(cash_cost + capex, btc_total), "USD/BTC"),
    }
    notes = {} if btc_total > 0 else {"cost_per_btc": nothing}
    if start < n:
        # Operating breakevens in the first operating month, at that month's prices: the BTC
        # price and the power price at which its EBITDA is zero.
        energy = lines["energy_weight"][start]  # J at the month's power-price factor
        other = opex[start] - energy * b["power_price"]
        btc = lines["price_volume"][start] * keep  # BTC at the month's BTC-price factor
        figures["breakeven_btc_price_month1"] = Q_(breakeven_btc_price(opex[start], btc)
                                                   if btc > 0 else float("nan"), "USD/BTC")
        figures["breakeven_power_price_month1"] = Q_(breakeven_power_price(
            lines["revenue"][start] * keep, energy, other), "USD/J").to("USD/MWh")
        if not btc > 0:
            notes["breakeven_btc_price_month1"] = (
                no_sga or "mining earns no BTC in its first operating month")
        if not energy > 0:
            notes["breakeven_power_price_month1"] = ("mining uses no energy in its first "
                                                     "operating month")
    return figures, notes


def _network(ctx: OptionContext) -> dict[str, tuple[np.ndarray, str]]:
    """The network the fleet mines in, month by month (the trend or the equilibrium
    network, ``difficulty_model``): its hash rate [EH/s] and hashprice before pool fees
    [USD/PH/day]."""
    from rackplan.kernels.engine import PARAMS, network_months

    p = np.array([ctx.base[name] for name in PARAMS])
    difficulty, price, reward = network_months(p, ctx.n_months)
    hashrate = difficulty * HASHES_PER_DIFFICULTY / 600.0  # hash/s
    per_ph_day = PH_PER_S * SECONDS_PER_DAY / (difficulty * HASHES_PER_DIFFICULTY)  # blocks
    return {"network_hashrate": (hashrate / 1e18, "EH/s"),
            "hashprice": (per_ph_day * reward * price, "USD/PH/day")}


#: Bitcoin mining on the mining profile's fleet: revenue from the BTC it mines, opex for
#: power, staff, maintenance, insurance and property tax; the network's hash rate and
#: hashprice by year.
OPTION = Option(
    name="mine", label="Bitcoin mining", kind="mine", fleet="mining",
    opex_lines=("power", "staff", "maintenance", "insurance", "property_tax"),
    extras={"btc_mined": ("volume", "BTC", 1.0), "power_cost": ("power", "USD", 1.0)},
    details=_details, means=_network)
