"""Markets: the dated prices, rates and cost lines that the economics runs on.

A market is a TOML file (or the id of a built-in one in ``rackplan/data/markets/``, named by its
date) read into a frozen :class:`Market`. Quantities carry their units (``"98076 USD/BTC"``,
``"33 USD/MWh"``, ``"3.13 USD/hour"`` per GPU); shares and rates are plain numbers or percent
strings (``0.02`` or ``"2 %"``). Every figure in a market file comes with its source in the file.

>>> from rackplan.economics.market import load_market
>>> m = load_market()                                   # the built-in 2025-11-13 market
>>> m.btc_price
<Quantity(98076.0, 'USD / BTC')>
>>> m.gpu_hour_price_for("gb300-nvl72")
<Quantity(3.13, 'USD / hour')>

Periods: ``difficulty_growth`` is per month; ``btc_price_growth``, ``gpu_price_decline``,
``power_price_growth``, ``colocation_escalator``, the maintenance and insurance rates and
``discount_rate`` are per year. ``docs/economics.md`` describes each field and its default.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr,
                      field_validator, model_validator)

from rackplan._io import (DATA_DIR, FileMemo, check_overrides, close_matches, looks_like_path,
                         model_input, read_reference, resolve, validate)
from rackplan.errors import MarketError, UnitError, shown
from rackplan.facility.profiles import Source
from rackplan.units import Q_, CountField, QuantityField, parse_quantity

__all__ = [
    "Market",
    "load_market",
    "list_markets",
    "markets_dir",
    "DEFAULT_MARKET",
    "network_hashrate_from_difficulty",
    "difficulty_from_network_hashrate",
]

#: The built-in market: 2025-11-13, the day Bitfarms announced the Moses Lake conversion.
DEFAULT_MARKET = "2025-11-13"

#: Hashes per unit of difficulty: a block at difficulty D takes D x 2^32 hashes on average.
HASHES_PER_DIFFICULTY = 2.0**32
#: Target block interval [s].
BLOCK_INTERVAL = 600.0
#: Difficulty bounds of a market: 1 is the protocol's minimum; 1e24 is 10 billion times the
#: difficulty of 2025 (a network hash rate of 7.2e12 EH/s).
MIN_DIFFICULTY = 1.0
MAX_DIFFICULTY = 1e24
_MIN_HASHRATE_EHS = MIN_DIFFICULTY * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL / 1e18
_MAX_HASHRATE_EHS = MAX_DIFFICULTY * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL / 1e18
#: Lowest yearly growth of a price or rate: a 99 % fall a year (-1 would be a price of 0).
MIN_GROWTH = -0.99

# Fields whose scalar --set value applies to the GPU system being compared (a table per id in
# the file).
PER_GPU_SYSTEM = ("gpu_hour_price", "gpu_system_price")


def network_hashrate_from_difficulty(difficulty: float) -> float:
    """Network hash rate implied by a difficulty [hash/s]: ``D x 2^32 / 600``."""
    return difficulty * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL


def difficulty_from_network_hashrate(hashrate_hs: float) -> float:
    """Difficulty implied by a network hash rate [hash/s]: ``H x 600 / 2^32``."""
    return hashrate_hs * BLOCK_INTERVAL / HASHES_PER_DIFFICULTY


_UNSET: Any = object()


def Share(*, ge: float | None = _UNSET, le: float | None = None, gt: float | None = None,
          lt: float | None = None):
    """A share or rate stored as a float: ``0.02``, ``"0.02"`` or ``"2 %"``.

    Bounds are on the float: ``ge`` defaults to 0 unless ``gt`` is given, ``le`` to 1 unless
    ``lt`` is given. Out of range, the message states the range and, for a whole number where
    a share is meant (a pool fee of ``40``), how to write it as a percentage. Not finite
    (``inf``, ``nan``) is refused.
    """
    if ge is _UNSET:
        ge = None if gt is not None else 0.0
    if le is None and lt is None:
        le = 1.0

    def check(value: Any) -> float:
        try:
            m = float(parse_quantity(value, "").magnitude)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        ok = ((ge is None or m >= ge) and (gt is None or m > gt)
              and (le is None or m <= le) and (lt is None or m < lt))
        if not ok:
            low = f"{ge:g} <= " if ge is not None else (f"{gt:g} < " if gt is not None else "")
            high = f" <= {le:g}" if le is not None else (f" < {lt:g}" if lt is not None else "")
            message = f"{m:g} is out of range: must be {low}x{high}"
            top = le if le is not None else lt
            if top is not None and top <= 1 and m >= 2:
                message += f" (a share: write '{m:g} %' or {m / 100:g} for {m:g} percent)"
            raise ValueError(message)
        return m

    return Annotated[float, BeforeValidator(check)]


class Market(BaseModel):
    """A dated market: Bitcoin network, power, GPU rental, colocation, capex, opex, finance.

    Quantities are stored in the units of their field declarations below (USD/BTC, USD/MWh,
    USD/hour per GPU, ...); ``difficulty`` is always set (from ``network_hashrate`` when the
    file gives that instead), and so is ``network_hashrate``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = ""
    name: str = ""
    # From the genesis block to a date whose horizon (at most 50 years, compare.MAX_YEARS)
    # still has a calendar.
    date: Annotated[_dt.date, Field(ge=_dt.date(2009, 1, 3), le=_dt.date(2199, 12, 31))]

    # --- Bitcoin network -----------------------------------------------------------------
    # Upper bounds on prices and costs: far above any market (a BTC at 10 billion USD,
    # power at 100 USD/kWh), low enough that fifty years of growth on a 100 GW site stays a
    # finite number.
    btc_price: QuantityField("USD/BTC", gt=0, le=1e10)
    # Difficulty 1 is the protocol's minimum; 1e24 is 10 billion times today's.
    difficulty: QuantityField("", ge=MIN_DIFFICULTY, le=MAX_DIFFICULTY) | None = None
    network_hashrate: QuantityField("EH/s", gt=0, ge=_MIN_HASHRATE_EHS,
                                    le=_MAX_HASHRATE_EHS) | None = None
    fees_per_block: QuantityField("BTC", ge=0, le=50)
    block_height: CountField(ge=0, le=6_930_000)  # 33 halvings: the subsidy is 0 after that
    difficulty_growth: Share(ge=-0.5, le=1.0)  # per month
    btc_price_growth: Share(ge=MIN_GROWTH, le=10.0)  # per year; -0.2 is a 20 % fall a year
    pool_fee: Share(ge=0.0, lt=1.0)
    uptime: Share(gt=0.0, le=1.0)

    # --- Power -----------------------------------------------------------------------------
    power_price: QuantityField("USD/MWh", ge=0, le=1e5)
    demand_charge: QuantityField("USD/kW/month", ge=0, le=1e4)
    power_price_growth: Share(ge=MIN_GROWTH, le=10.0)  # per year

    # --- GPU-as-a-service ------------------------------------------------------------------
    # per GPU, by GPU system id
    gpu_hour_price: dict[str, QuantityField("USD/hour", gt=0, le=1e4)]
    gpu_system_price: dict[str, QuantityField("USD", gt=0, le=1e10)]  # per unit (rack/server)
    gpu_price_decline: Share(ge=0.0, lt=1.0)  # per year
    utilization: Share(ge=0.0, le=1.0)
    # from the first operating month to full utilization (linear); 0: full from the start
    utilization_ramp: QuantityField("month", ge=0, le=120) = Field("0 month",
                                                                   validate_default=True)
    # a take-or-pay tranche: this share of the GPUs billed in full at gpu_contract_price
    # through gpu_contract_term from the first operating month, then re-leased at the
    # merchant price; gpu_prepayment of its value paid at signing (the market date). Not
    # given: no contract, and the terms of IREN's with Microsoft (docs/economics.md)
    gpu_contract_share: Share(ge=0.0, le=1.0) = 0.0
    gpu_contract_price: QuantityField("USD/hour", ge=0, le=1000) = Field(
        "2.2 USD/hour", validate_default=True)
    gpu_contract_term: QuantityField("month", ge=0, le=240) = Field("60 month",
                                                                    validate_default=True)
    gpu_prepayment: Share(ge=0.0, le=1.0) = 0.2
    gpu_idle_power_share: Share(ge=0.0, le=1.0)
    installation_per_gpu: QuantityField("USD", ge=0, le=1e7)
    staff_per_1000_gpus: float = Field(ge=0, le=1000)  # at most one per GPU
    network_software: QuantityField("USD/month", ge=0, le=1e6)  # per GPU
    build_period: QuantityField("month", ge=0, le=120)

    # --- Colocation ------------------------------------------------------------------------
    colocation_rate: QuantityField("USD/kW/month", ge=0, le=1e5)  # per kW of IT
    colocation_escalator: Share(ge=MIN_GROWTH, le=1.0)  # per year
    colocation_opex_share: Share(ge=0.0, le=1.0)  # of colocation revenue
    # a tenant (colocation's, the GPU contract tranche's) defaults with this probability a year
    # from its lease's start, after which tenant_recovery of the rent is still earned (the
    # capped claim and the capacity re-let).
    # Not given: 4.2 %, Moody's speculative-grade issuers' average since 1983 (a neocloud
    # tenant is unrated or below investment grade), and half the rent (docs/economics.md)
    tenant_default_rate: Share(ge=0.0, lt=1.0) = 0.042
    tenant_recovery: Share(ge=0.0, le=1.0) = 0.5

    # --- Capex -----------------------------------------------------------------------------
    facility_capex: QuantityField("USD/MW", ge=0, le=1e10)  # per MW of gross utility power
    miner_price: QuantityField("USD/(TH/s)", ge=0, le=1e6)
    mining_facility_capex: QuantityField("USD/MW", ge=0, le=1e10)  # per MW of gross utility
    mining_build_period: QuantityField("month", ge=0, le=120)
    # "new": the mining option buys its fleet and facility; "existing": it keeps what the
    # site has (sunk: no capex, depreciation or terminal value; still maintained, insured
    # and taxed), the real alternative for a miner deciding whether to convert
    mining_baseline: Literal["new", "existing"] = "new"

    # --- Opex ------------------------------------------------------------------------------
    staff_cost: QuantityField("USD/year", ge=0, le=1e9)  # per full-time employee
    mining_staff_per_mw: float = Field(ge=0, le=1000)  # FTE per MW of mining IT power
    maintenance_it: Share(ge=0.0, le=1.0)  # per year, of IT equipment capex
    maintenance_facility: Share(ge=0.0, le=1.0)  # per year, of facility capex
    # the IT's warranty from its first operating month: the OEM repairs it, so maintenance_it
    # is not paid until it ends (a fleet kept, mining_baseline = "existing", has none left).
    # Not given: new miners one year (Bitmain through its resellers, e.g. jsbit.com's warranty
    # policy: "one year warranty for the brand-new miner"); GPU systems three years (a complete
    # server's standard warranty at Supermicro, three years parts and labor, servethehome.com,
    # 2012) [S]
    miner_warranty: QuantityField("month", ge=0, le=120) = Field("12 month",
                                                                 validate_default=True)
    gpu_warranty: QuantityField("month", ge=0, le=120) = Field("36 month",
                                                               validate_default=True)
    insurance: Share(ge=0.0, le=1.0)  # per year, of all capex
    # of revenue; below 1, or no revenue is left to break even with (an infinite price)
    sga_share: Share(ge=0.0, lt=1.0)
    # of GPU-as-a-service's hours sold at the merchant price: a cloud that sells its own hours
    # pays for sales, billing and support on them; not given, sga_share
    sga_share_merchant: Share(ge=0.0, lt=1.0) | None = None

    # --- Finance ---------------------------------------------------------------------------
    discount_rate: Share(ge=0.0, le=1.0)  # per year, effective
    # an option's own rate (a contracted lease is not as risky as a merchant cloud or a
    # commodity miner); not given: discount_rate
    discount_rate_mine: Share(ge=0.0, le=1.0) | None = None
    discount_rate_gpuaas: Share(ge=0.0, le=1.0) | None = None
    discount_rate_colocation: Share(ge=0.0, le=1.0) | None = None
    # at least a month: straight-line depreciation over less is no depreciation
    useful_life_it: QuantityField("year", gt=0, ge=1 / 12, le=50)
    useful_life_facility: QuantityField("year", gt=0, ge=1 / 12, le=100)
    # share of book value counted as terminal value: under "book" of every asset at the
    # horizon's end, under "dcf" of the facility when its fleet retires
    residual_value: Share(ge=0.0, le=1.0)
    # what the assets are worth at the horizon: "dcf" (what the fleet still earns until it
    # retires at the end of its IT's useful life, then the facility at book value), "book"
    # (the undepreciated book value at the horizon) or "zero"
    terminal_value: Literal["dcf", "book", "zero"] = "dcf"
    # the miners switch off in a month whose revenue after SG&A does not cover their power
    # (energy and demand charge), as operators curtail; false: they hash on at a loss
    miner_shutdown: bool = True

    # --- Taxes -------------------------------------------------------------------------------
    # on taxable income (EBITDA - tax depreciation + residual value); a loss offsets the
    # owner's other taxable income in the same month (docs/economics.md). Not given: the US
    # federal rate (Washington levies no income tax)
    tax_rate: Share(ge=0.0, le=0.9) = 0.21
    # how the cost is deducted: "straight_line" over the useful life, "macrs" (IT as 5-year,
    # the facility as 15-year property) or "bonus" (bonus_depreciation of the cost in the first
    # operating month, MACRS on the rest)
    tax_depreciation: Literal["straight_line", "macrs", "bonus"] = "bonus"
    bonus_depreciation: Share(ge=0.0, le=1.0) = 1.0
    # on IT equipment, capitalized; sales_tax_exempt: not paid (Washington's exemption for
    # data-center equipment in rural counties, RCW 82.08.986). Both depend on where the site
    # is: not given, none (the built-in market gives Moses Lake's)
    sales_tax: Share(ge=0.0, le=0.5) = 0.0
    sales_tax_exempt: bool = False
    # per year, of the owned assets' book value (the colocation tenant pays its own); not
    # given, none
    property_tax: Share(ge=0.0, le=0.2) = 0.0
    # true: compare also values each option as a stand-alone taxpayer, its losses carried
    # forward and deducted from later years' income up to loss_carryforward_limit of it (80 %,
    # 26 U.S.C. 172(a)(2)); rackplan.economics.taxes. Every other figure, sweeps and Monte
    # Carlo offset a loss against the owner's other income in its month.
    stand_alone_tax: bool = False
    loss_carryforward_limit: Share(ge=0.0, le=1.0) = 0.8

    # --- Debt --------------------------------------------------------------------------------
    # debt_share of each option's capex borrowed as it is spent, at debt_rate a year
    # (compounded monthly), interest capitalized until the first operating month, then repaid
    # in debt_term level monthly payments (rackplan.economics.debt). Not given: unlevered;
    # chip debt at 7-8 % a year, amortizing (one public GPU-cloud model, ljbaumer/LJG_Testing)
    debt_share: Share(ge=0.0, le=1.0) = 0.0
    debt_rate: Share(ge=0.0, le=1.0) = 0.075
    debt_term: QuantityField("month", ge=1, le=600) = Field("60 month", validate_default=True)

    # --- The network's answer to the hashprice -----------------------------------------------
    # "trend": difficulty grows by difficulty_growth a month whatever BTC does; "equilibrium":
    # the hash rate follows the level at which the hashprice pays the marginal fleet's cash
    # cost (network_cost at the market date, falling by network_efficiency_gain a year), closing
    # difficulty_adjustment of the gap a month as it grows, at once as it falls
    # (docs/economics.md, section 3)
    difficulty_model: Literal["trend", "equilibrium"] = "trend"
    # the marginal fleet's cash cost at the market date, per PH/s and day as a hashprice:
    # not given, the hashprice of the built-in market's date, 38.2 USD/PH/day (Luxor, a
    # five-year low in November 2025: the network at its margin); an input of its own, so
    # that a BTC price set or swept does not move it
    network_cost: QuantityField("USD/PH/day", gt=0, le=1e7) = Field(
        "38.2 USD/PH/day", validate_default=True)
    network_efficiency_gain: Share(ge=0.0, lt=1.0) = 0.25  # per year
    difficulty_adjustment: Share(gt=0.0, le=1.0) = 0.25  # per month

    sources: list[Source] = Field(default_factory=list)
    notes: str = ""

    # where the market came from (its file), for error messages
    _source: str = PrivateAttr(default="")

    @field_validator("build_period", "mining_build_period", "gpu_contract_term", "debt_term",
                     "miner_warranty", "gpu_warranty")
    @classmethod
    def _whole_months(cls, q):
        months = float(q.magnitude)
        if abs(months - round(months)) > 1e-6:
            raise ValueError(f"{months:g} month is not a whole number of months")
        return q

    @model_validator(mode="after")
    def _consistent(self):
        if self.difficulty is None and self.network_hashrate is None:
            raise ValueError("give difficulty or network_hashrate")
        if self.difficulty is not None and self.network_hashrate is not None:
            raise ValueError("give difficulty or network_hashrate, not both")
        # Fill the other one in, so downstream code reads either.
        # Both are bounded so that the one computed from the other is finite and in range.
        if self.difficulty is None:
            h = float(self.network_hashrate.m_as("hash/s"))
            object.__setattr__(self, "difficulty", Q_(difficulty_from_network_hashrate(h), ""))
        else:
            d = float(self.difficulty.magnitude)
            object.__setattr__(self, "network_hashrate",
                               Q_(network_hashrate_from_difficulty(d), "hash/s").to("EH/s"))
        return self

    def network_cost_per_hash(self) -> float:
        """The marginal fleet's cash cost at the market date [USD per hash]:
        ``network_cost`` (per PH/s and day) over the hashes of 1 PH/s in a day."""
        return float(self.network_cost.m_as("USD/PH/day")) / (1e15 * 86_400.0)

    # Prices of the GPU system being compared -------------------------------------------------
    def gpu_hour_price_for(self, system: str):
        """GPU-hour price of GPU system ``system`` [USD/hour per GPU]."""
        return self._per_system("gpu_hour_price", system)

    def gpu_system_price_for(self, system: str):
        """Price of one unit (rack or server) of GPU system ``system`` [USD]."""
        return self._per_system("gpu_system_price", system)

    def _per_system(self, name: str, system: str):
        table = getattr(self, name)
        if system in table:
            return table[system]
        hint = close_matches(system, table)
        known = ", ".join(sorted(table)) or "none"
        raise MarketError(
            f"no {name.replace('_', ' ')} for GPU system {system!r} (this market has: {known}"
            f"{'; did you mean ' + hint + '?' if hint else ''}); add it under [{name}] or use "
            f"--set {name}=...",
            source=self._source or self.id or "market", field=f"{name}.{system}")


def markets_dir() -> Path:
    """The folder of built-in markets."""
    return DATA_DIR / "markets"


def list_markets() -> list[str]:
    """Ids (dates) of the built-in markets."""
    return sorted(p.stem for p in markets_dir().glob("*.toml"))


def load_market(ref: str | Path | Market | None = None,
                overrides: Mapping[str, Any] | None = None, *,
                gpu_system: str | None = None) -> Market:
    """Load a market by built-in id (a date, ``"2025-11-13"``) or path, with ``--set`` overrides.

    Parameters
    ----------
    ref : str, Path, Market or None
        A built-in id, a path to a market TOML file, or a :class:`Market`; ``None`` is the
        built-in :data:`DEFAULT_MARKET`. A :class:`~pathlib.Path`, or a string that contains
        ``/`` or ``\\`` or ends in ``.toml``, is a file path (``./2025-11-13``); anything else
        is a built-in id, even if a file of that name exists in the current folder.
    overrides : mapping, optional
        ``{"btc_price": "90000 USD/BTC", "pool_fee": "1 %"}``. ``gpu_hour_price`` and
        ``gpu_system_price`` given as one value set the price of ``gpu_system``;
        ``gpu_hour_price.dgx-h100`` sets one entry of the table. Setting ``difficulty``
        drops the file's ``network_hashrate`` and the other way round.
    gpu_system : str, optional
        Id of the GPU system being compared (for a scalar ``gpu_hour_price`` override).

    Raises
    ------
    MarketError
        Missing or malformed file, unknown id or field, a value with the wrong unit or out of
        range, a date that does not parse; the message names the file (or ``--set``) and the
        field.
    """
    overrides = check_overrides(overrides, MarketError)
    if ref is None:
        ref = DEFAULT_MARKET
    if not overrides and not isinstance(ref, Market):
        # (a built-in base the file names is read with it; built-ins do not change)
        return _MARKET_FILES(ref, resolve(ref, markets_dir(), "market", MarketError))
    return _load_market(ref, overrides, gpu_system)


def _load_market(ref: str | Path | Market, overrides: dict[str, Any],
                 gpu_system: str | None) -> Market:
    """:func:`load_market` with its overrides checked."""
    if isinstance(ref, Market):
        if not overrides:
            return ref
        # difficulty is always set; network_hashrate is derived from it
        data = model_input(ref, skip=("id", "network_hashrate"))
        source, market_id = ref.id or "market", ref.id
    else:
        data, source, market_id = read_reference(ref, markets_dir(), "market", MarketError)
        data = _on_base(data, source)
    overridden: set[str] = set()
    if overrides:
        data = _apply(data, overrides, gpu_system)
        overridden = {k.split(".")[0] for k in overrides}
    try:
        market = validate(Market, data, source=source, error=MarketError)
    except MarketError as exc:
        if exc.field and exc.field.split(".")[0] in overridden:
            raise MarketError(exc.message, source="--set", field=exc.field) from None
        raise
    market = market.model_copy(update={"id": market_id})
    market._source = source
    return market


_MARKET_FILES: FileMemo[Market] = FileMemo(lambda ref: _load_market(ref, {}, None))


#: The fields a market file names together or not at all: setting one drops the other's value
#: from its base.
_EITHER = ("difficulty", "network_hashrate")


def _on_base(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A market file that names a built-in market as its ``base`` (``base = "2025-11-13"``):
    the built-in's fields, with the file's in their place. The per-GPU-system price tables
    are merged entry by entry, the sources listed together."""
    if "base" not in data:
        return data
    base_ref = data.pop("base")
    if not isinstance(base_ref, str) or looks_like_path(base_ref):
        raise MarketError(f"must be the id of a built-in market ({', '.join(list_markets())}), "
                          f"got {shown(base_ref)}", source=source, field="base")
    try:
        base, _, _ = read_reference(base_ref, markets_dir(), "market", MarketError)
    except MarketError as exc:  # name the file and its field, not the built-in's
        raise MarketError(exc.message, source=source, field="base") from None
    if any(k in data for k in _EITHER):
        for k in _EITHER:
            base.pop(k, None)
    merged = {**base, **data}
    for table in PER_GPU_SYSTEM:
        if isinstance(base.get(table), dict) and isinstance(data.get(table), dict):
            merged[table] = {**base[table], **data[table]}
    if isinstance(data.get("sources"), list):
        merged["sources"] = list(base.get("sources", [])) + data["sources"]
    return merged


def _apply(data: dict[str, Any], overrides: Mapping[str, Any],
           gpu_system: str | None) -> dict[str, Any]:
    data = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}
    fields = [f for f in Market.model_fields if f not in ("id", "sources")]
    for name, value in overrides.items():
        head, _, rest = name.partition(".")
        if head not in fields or (rest and head not in PER_GPU_SYSTEM):
            hint = close_matches(head, fields)
            raise MarketError("unknown market field" + (f"; did you mean {hint}?" if hint else ""),
                              source="--set", field=name)
        if head in PER_GPU_SYSTEM:
            if not rest and isinstance(value, Mapping):
                data[head] = dict(value)
                continue
            system = rest or gpu_system
            if system is None:
                raise MarketError(f"which GPU system? use --set {head}.<id>=VALUE",
                                  source="--set", field=name)
            table = dict(data.get(head) or {})
            table[system] = value
            data[head] = table
            continue
        if head == "difficulty":
            data.pop("network_hashrate", None)
        elif head == "network_hashrate":
            data.pop("difficulty", None)
        data[head] = value
    return data
