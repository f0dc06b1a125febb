"""Mining vs GPU-as-a-service vs colocation for the same site: :func:`compare`.

>>> import rackplan
>>> r = rackplan.compare()                    # Moses Lake, S21 XP Hyd vs GB300 NVL72, 5 years
>>> r.winner, r.options["gpuaas"].npv.to("MUSD")                 # doctest: +SKIP

The site is sized for each profile (:func:`rackplan.facility.capacity.size`, ``power_max`` basis), then
each option's monthly cash flows are built (:mod:`rackplan.economics.mining`, :mod:`rackplan.economics.gpuaas`,
:mod:`rackplan.economics.colocation`) and valued (:mod:`rackplan.economics.finance`). The breakevens are exact:
each option's NPV is linear in the BTC price, the GPU-hour price and the power price, so the
price at which two NPVs meet is one division. ``docs/economics.md`` has the model and every
default with its source.

:func:`scenario_base` gives the same case as a flat parameter vector for
:mod:`rackplan.kernels.scenario` (sweeps and Monte Carlo), and :func:`user_units` the units
people write those parameters in.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rackplan._args import overrides_mapping, whole_number
from rackplan._io import close_matches
from rackplan.facility.capacity import SizingResult, check_reference, plant_pue, size
from rackplan.economics.colocation import colocation_months
from rackplan.errors import InputError, ProfileError
from rackplan.economics.finance import Financials, financials, margin, npv, yearly
from rackplan.economics.gpuaas import gpuaas_months
from rackplan.kernels.cashflow import SECONDS_PER_MONTH
from rackplan.kernels.scenario import PARAMS
from rackplan.economics.market import PER_GPU_SYSTEM, Market, load_market
from rackplan.economics.mining import hashcost, hashprice, mining_months, month_subsidy
from rackplan.facility.profiles import HardwareProfile, load_profile
from rackplan.facility.site import Site, load_site
from rackplan.units import Q_, Quantity, finite_or_none, to_json

__all__ = [
    "compare",
    "ComparisonResult",
    "OptionResult",
    "scenario_base",
    "user_units",
    "route_overrides",
    "DEFAULT_SITE",
    "DEFAULT_MINING_PROFILE",
    "DEFAULT_GPU_PROFILE",
    "DEFAULT_YEARS",
]

#: The built-in case: Bitfarms' 18 MW (gross) Moses Lake site, mined with Antminer S21 XP
#: Hyd units or converted to NVIDIA GB300 NVL72 racks, over five years.
DEFAULT_SITE = "moses-lake"
DEFAULT_MINING_PROFILE = "antminer-s21-xp-hyd"
DEFAULT_GPU_PROFILE = "gb300-nvl72"
DEFAULT_YEARS = 5
MAX_YEARS = 50

OPTION_LABELS = {
    "mine": "Bitcoin mining",
    "gpuaas": "GPU-as-a-service",
    "colocation": "Colocation",
}

# --- Overrides ---------------------------------------------------------------------------------


def route_overrides(overrides: Mapping[str, Any] | None) -> tuple[dict, dict]:
    """Split ``--set`` overrides into site fields and market fields (site first).

    A name that is neither raises :class:`InputError` naming ``--set NAME`` with the close
    matches among both.
    """
    site_over: dict[str, Any] = {}
    market_over: dict[str, Any] = {}
    site_fields = [f for f in Site.model_fields if f != "id"]
    market_fields = [f for f in Market.model_fields if f not in ("id", "sources")]
    for name, value in (overrides or {}).items():
        head, _, rest = name.partition(".")
        if head in site_fields:
            site_over[name] = value
        elif head in market_fields and (not rest or head in PER_GPU_SYSTEM):
            market_over[name] = value
        else:
            hint = close_matches(head, site_fields + market_fields)
            raise InputError("not a site or market field"
                             + (f"; did you mean {hint}?" if hint else ""),
                             source=f"--set {name}")
    return site_over, market_over


def _load(site, mining_profile, gpu_profile, market, overrides):
    check_reference(site, "site", Site, optional=True)
    check_reference(mining_profile, "mining_profile", HardwareProfile, optional=True)
    check_reference(gpu_profile, "gpu_profile", HardwareProfile, optional=True)
    check_reference(market, "market", Market, optional=True)
    site_over, market_over = route_overrides(overrides)
    st = load_site(DEFAULT_SITE if site is None else site, site_over)
    mp = load_profile(DEFAULT_MINING_PROFILE if mining_profile is None else mining_profile,
                      source="--mining-profile")
    gp = load_profile(DEFAULT_GPU_PROFILE if gpu_profile is None else gpu_profile,
                      source="--gpu-profile")
    if mp.kind != "asic":
        raise ProfileError(f"{mp.id!r} is a GPU system, not a Bitcoin miner",
                           source="--mining-profile")
    if gp.kind != "gpu":
        raise ProfileError(f"{gp.id!r} is a Bitcoin miner, not a GPU system",
                           source="--gpu-profile")
    mk = load_market(market, market_over, gpu_system=gp.id)
    # Fail early, naming the market file, if it has no prices for this GPU system.
    mk.gpu_hour_price_for(gp.id)
    mk.gpu_system_price_for(gp.id)
    return st, mp, gp, mk


def _years(years, source: str = "years") -> int:
    """``years`` as a whole number of years from 1 to :data:`MAX_YEARS` (``5.0`` is 5;
    ``True``, ``"abc"``, ``2.5`` and arrays are refused, naming ``source``)."""
    return whole_number(years, source, 1, MAX_YEARS)


# --- The parameter vector -------------------------------------------------------------------


def _base(st: Site, mp: HardwareProfile, gp: HardwareProfile, mk: Market) -> dict[str, float]:
    nan = math.nan

    def si(q, unit):
        return float(q.m_as(unit))

    return {
        "utility_power": si(st.utility_power, "W"),
        "pue_mine": plant_pue(st, mp.cooling.liquid_fraction),
        "pue_gpu": plant_pue(st, gp.cooling.liquid_fraction),
        "aisle_factor": float(st.aisle_factor),
        "white_space": nan if st.white_space is None else si(st.white_space, "m**2"),
        "floor_load_limit": nan if st.floor_load_limit is None
        else si(st.floor_load_limit, "kg/m**2"),
        "heat_rejection_capacity": nan if st.heat_rejection_capacity is None
        else si(st.heat_rejection_capacity, "W"),
        "miner_power": si(mp.power_max, "W"),
        "miner_hashrate": si(mp.hashrate, "hash/s"),
        "miner_units_per_rack": float(mp.units_per_rack),
        "miner_rack_footprint": si(mp.rack_footprint, "m**2"),
        "miner_rack_weight": si(mp.rack_weight, "kg"),
        "gpu_power_max": si(gp.power_max, "W"),
        "gpu_power_typical": si(gp.power_typical, "W"),
        "gpus_per_unit": float(gp.gpus_per_unit),
        "gpu_units_per_rack": float(gp.units_per_rack),
        "gpu_rack_footprint": si(gp.rack_footprint, "m**2"),
        "gpu_rack_weight": si(gp.rack_weight, "kg"),
        "btc_price": si(mk.btc_price, "USD/BTC"),
        "difficulty": si(mk.difficulty, ""),
        "fees_per_block": si(mk.fees_per_block, "BTC"),
        "block_height": float(mk.block_height),
        "difficulty_growth": mk.difficulty_growth,
        "btc_price_growth": mk.btc_price_growth,
        "pool_fee": mk.pool_fee,
        "uptime": mk.uptime,
        "power_price": si(mk.power_price, "USD/J"),
        "demand_charge": si(mk.demand_charge, "USD/(W*s)"),
        "power_price_growth": mk.power_price_growth,
        "gpu_hour_price": si(mk.gpu_hour_price_for(gp.id), "USD/s"),
        "gpu_system_price": si(mk.gpu_system_price_for(gp.id), "USD"),
        "gpu_price_decline": mk.gpu_price_decline,
        "utilization": mk.utilization,
        "gpu_idle_power_share": mk.gpu_idle_power_share,
        "installation_per_gpu": si(mk.installation_per_gpu, "USD"),
        "staff_per_1000_gpus": float(mk.staff_per_1000_gpus),
        "network_software": si(mk.network_software, "USD/s"),
        "build_period": si(mk.build_period, "s"),
        "colocation_rate": si(mk.colocation_rate, "USD/(W*s)"),
        "colocation_escalator": mk.colocation_escalator,
        "colocation_opex_share": mk.colocation_opex_share,
        "facility_capex": si(mk.facility_capex, "USD/W"),
        "miner_price": si(mk.miner_price, "USD*s/hash"),
        "mining_facility_capex": si(mk.mining_facility_capex, "USD/W"),
        "mining_build_period": si(mk.mining_build_period, "s"),
        "staff_cost": si(mk.staff_cost, "USD/s"),
        "mining_staff_per_mw": float(mk.mining_staff_per_mw) / 1e6,
        "maintenance_it": mk.maintenance_it,
        "maintenance_facility": mk.maintenance_facility,
        "insurance": mk.insurance,
        "sga_share": mk.sga_share,
        "discount_rate": mk.discount_rate,
        "useful_life_it": si(mk.useful_life_it, "s"),
        "useful_life_facility": si(mk.useful_life_facility, "s"),
        "residual_value": mk.residual_value,
    }


def scenario_base(site=None, mining_profile=None, gpu_profile=None, market=None, *,
                  years: int = DEFAULT_YEARS,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The parameter vector of a case as ``{name: SI value}`` for every name in
    :data:`rackplan.kernels.scenario.PARAMS` (defaults: the built-in Moses Lake case).

    ``years`` is checked but not part of the vector (the kernels take ``n_months``).
    """
    _years(years)
    overrides = overrides_mapping(overrides)
    st, mp, gp, mk = _load(site, mining_profile, gpu_profile, market, overrides)
    base = _base(st, mp, gp, mk)
    assert tuple(base) == PARAMS, "scenario_base out of step with PARAMS"
    return base


#: The unit people write each parameter in (``--set``, sweep ranges); ``pue`` is the site's
#: fixed PUE, which sets both ``pue_mine`` and ``pue_gpu``.
_USER_UNITS = {
    "utility_power": "MW", "pue": "1", "pue_mine": "1", "pue_gpu": "1", "aisle_factor": "1",
    "white_space": "m**2", "floor_load_limit": "kg/m**2", "heat_rejection_capacity": "MW",
    "miner_power": "W", "miner_hashrate": "TH/s", "miner_units_per_rack": "1",
    "miner_rack_footprint": "m**2", "miner_rack_weight": "kg",
    "gpu_power_max": "kW", "gpu_power_typical": "kW", "gpus_per_unit": "1",
    "gpu_units_per_rack": "1", "gpu_rack_footprint": "m**2", "gpu_rack_weight": "kg",
    "btc_price": "USD/BTC", "difficulty": "1", "fees_per_block": "BTC", "block_height": "1",
    "difficulty_growth": "1", "btc_price_growth": "1", "pool_fee": "1", "uptime": "1",
    "power_price": "USD/MWh", "demand_charge": "USD/kW/month", "power_price_growth": "1",
    "gpu_hour_price": "USD/hour", "gpu_system_price": "USD", "gpu_price_decline": "1",
    "utilization": "1", "gpu_idle_power_share": "1", "installation_per_gpu": "USD",
    "staff_per_1000_gpus": "1", "network_software": "USD/month", "build_period": "month",
    "colocation_rate": "USD/kW/month", "colocation_escalator": "1",
    "colocation_opex_share": "1", "facility_capex": "USD/MW", "miner_price": "USD/(TH/s)",
    "mining_facility_capex": "USD/MW", "mining_build_period": "month",
    "staff_cost": "USD/year", "mining_staff_per_mw": "1/MW", "maintenance_it": "1",
    "maintenance_facility": "1", "insurance": "1", "sga_share": "1", "discount_rate": "1",
    "useful_life_it": "year", "useful_life_facility": "year", "residual_value": "1",
}


def user_units() -> dict[str, str]:
    """For each parameter a user can vary, the unit users write it in (``btc_price``
    ``"USD/BTC"``, ``power_price`` ``"USD/MWh"``, ``utility_power`` ``"MW"``, shares ``"1"``).
    Every name of :data:`~rackplan.kernels.scenario.PARAMS` is here, plus ``pue`` (which
    sets both ``pue_mine`` and ``pue_gpu``)."""
    return dict(_USER_UNITS)


# --- The comparison ---------------------------------------------------------------------------


def _musd(x: float) -> Quantity:
    return Q_(float(x), "USD")


@dataclass
class OptionResult:
    """One option: its fleet, monthly finance lines, yearly rows and metrics.

    ``yearly`` is a list of rows (dicts of quantities), ``total`` one such dict for the whole
    horizon; ``npv`` [USD], ``irr`` [%/year] (NaN if none), ``payback`` [month] (NaN if not
    within the horizon), ``revenue_per_mw_year`` [USD/MW/year] per MW of IT over the operating
    months (NaN when no unit fits or no month operates); ``noi_margin`` is NaN in a year with
    no revenue. ``fleet`` and ``details`` hold option-specific quantities. Each NaN has its
    reason in :attr:`ComparisonResult.warnings`; :meth:`to_dict` writes it as ``None``.
    """

    name: str
    label: str
    fleet: dict[str, Any]
    capex: Quantity
    yearly: list[dict[str, Any]]
    total: dict[str, Any]
    npv: Quantity
    irr: Quantity
    payback: Quantity
    revenue_per_mw_year: Quantity
    details: dict[str, Any]
    finance: Financials = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            **_jsonable(self.fleet),
            "capex": _q_json(self.capex),
            "npv": _q_json(self.npv),
            "irr": _q_json(self.irr),
            "payback": _q_json(self.payback),
            "revenue_per_mw_year": _q_json(self.revenue_per_mw_year),
            "yearly": [_jsonable(row) for row in self.yearly],
            "total": _jsonable(self.total),
            **_jsonable(self.details),
        }


@dataclass
class ComparisonResult:
    """Three options for one site over one horizon, the winner and the breakevens.

    ``options`` maps ``"mine"``, ``"gpuaas"``, ``"colocation"`` to :class:`OptionResult`;
    ``winner`` is the key with the highest NPV; ``breakeven`` holds ``btc_price`` (mining NPV =
    GPU-as-a-service NPV), ``gpu_hour_price`` (the reverse) and ``power_price`` (the power
    price at which the two NPVs meet), each with the value it is compared against, and a
    ``note`` when it does not exist (its value is then NaN). ``warnings`` are findings: the
    sizing's, the model's limits in this case, and why any figure is undefined.
    """

    inputs: dict[str, Any]
    options: dict[str, OptionResult]
    winner: str
    breakeven: dict[str, Any]
    warnings: tuple[str, ...] = ()
    sizing: dict[str, SizingResult] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"inputs", "options": {"mine", "gpuaas", "colocation"},
        "breakeven", "winner", "warnings"}``, every quantity ``{"value", "unit"}``, yearly
        rows as lists; NaN becomes ``null``."""
        return {
            "inputs": _jsonable(self.inputs),
            "options": {k: v.to_dict() for k, v in self.options.items()},
            "breakeven": _jsonable(self.breakeven),
            "winner": self.winner,
            "warnings": list(self.warnings),
        }

    def to_xarray(self):
        """An ``xarray.Dataset`` with dimensions ``option`` and ``year``: yearly variables
        (revenue, opex, noi, noi_margin, ebitda, capex, depreciation, cash_flow) and scalars
        per option (npv, irr, payback, capex, revenue_per_mw_year, units, it_power), each with
        ``attrs["units"]`` and ``long_name``; breakevens as scalars; inputs in ``attrs``."""
        import xarray as xr

        names = list(self.options)
        n_years = len(next(iter(self.options.values())).yearly)
        yearly_vars = ("revenue", "opex", "noi", "noi_margin", "ebitda", "capex",
                       "depreciation", "cash_flow")
        data_vars = {}
        for var in yearly_vars:
            unit = "%" if var == "noi_margin" else "USD"
            values = np.array([[float(row[var].m_as(unit)) for row in opt.yearly]
                               for opt in self.options.values()])
            data_vars[var] = xr.Variable(("option", "year"), values,
                                         {"units": unit, "long_name": _LONG[var]})
        scalars = {
            "npv": ("USD", lambda o: o.npv.m_as("USD")),
            "irr": ("%/year", lambda o: o.irr.m_as("%/year")),
            "payback": ("month", lambda o: o.payback.m_as("month")),
            "total_capex": ("USD", lambda o: o.capex.m_as("USD")),
            "revenue_per_mw_year": ("USD/MW/year", lambda o: o.revenue_per_mw_year.m_as(
                "USD/MW/year")),
            "units": ("1", lambda o: float(o.fleet["units"])),
            "it_power": ("MW", lambda o: o.fleet["it_power"].m_as("MW")),
        }
        for var, (unit, get) in scalars.items():
            data_vars[var] = xr.Variable(("option",), np.array([get(o) for o in
                                                               self.options.values()]),
                                         {"units": unit.replace("%/year", "percent/year"),
                                          "long_name": _LONG[var]})
        for key, item in self.breakeven.items():
            q = item["value"]
            data_vars[f"breakeven_{key}"] = xr.Variable((), float(q.magnitude), {
                "units": str(q.units.__format__("~C")), "long_name": item["meaning"]})
        attrs = {k: (v if isinstance(v, (str, int, float)) else str(v))
                 for k, v in _jsonable_flat(self.inputs).items()}
        attrs["winner"] = self.winner
        return xr.Dataset(data_vars, coords={"option": names,
                                              "year": np.arange(1, n_years + 1)}, attrs=attrs)


_LONG = {
    "revenue": "revenue", "opex": "site operating costs", "noi": "net operating income",
    "noi_margin": "NOI margin (NOI / revenue)", "ebitda": "EBITDA (NOI - SG&A)",
    "capex": "capital expenditure", "depreciation": "straight-line depreciation",
    "cash_flow": "pre-tax unlevered cash flow (EBITDA - capex + residual value)",
    "npv": "net present value", "irr": "internal rate of return",
    "payback": "months until the running cash flow turns non-negative",
    "total_capex": "capex within the horizon",
    "revenue_per_mw_year": "revenue per MW of IT per operating year",
    "units": "units that fit", "it_power": "IT power",
}


def _q_json(q: Quantity) -> dict[str, Any] | None:
    """``{"value", "unit"}``, or ``None`` for a figure that is not a finite number (an array
    magnitude keeps its shape, its non-finite entries ``None``)."""
    mag = q.magnitude
    if np.ndim(mag) == 0:
        f = finite_or_none(mag)
        return None if f is None else {**to_json(q), "value": f}
    values = np.asarray(mag, dtype=float)
    return {"value": [None if not math.isfinite(v) else float(v) for v in values.ravel()],
            "unit": to_json(Q_(1.0, q.units))["unit"]}


def _jsonable(value: Any) -> Any:
    """JSON-ready copy: quantities ``{"value", "unit"}``, NaN and infinity ``None``."""
    if isinstance(value, Quantity):
        return _q_json(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date,)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return finite_or_none(value)
    return value


def _jsonable_flat(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, Quantity):
            out[k] = f"{float(v.magnitude):g} {v.units:~C}"
        elif isinstance(v, _dt.date):
            out[k] = v.isoformat()
        elif isinstance(v, (str, int, float)):
            out[k] = v
        elif v is None:
            continue
        else:
            out[k] = str(v)
    return out


def _add_years(d: _dt.date, years: int) -> _dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _rows(fin: Financials, start_date: _dt.date, extra: dict[str, tuple[np.ndarray, str]]):
    """Yearly rows and the total row of one option."""
    lines = {
        "revenue": fin.revenue, "opex": fin.opex, "noi": fin.noi, "sga": fin.sga,
        "ebitda": fin.ebitda, "capex": fin.capex, "depreciation": fin.depreciation,
        "residual_value": fin.residual, "cash_flow": fin.cash_flow,
    }
    by_year = {k: yearly(v) for k, v in lines.items()}
    extra_by_year = {k: (yearly(v), unit) for k, (v, unit) in extra.items()}
    rows = []
    for y in range(by_year["revenue"].shape[0]):
        row: dict[str, Any] = {"year": y + 1, "start": _add_years(start_date, y).isoformat()}
        for k, v in by_year.items():
            row[k] = Q_(float(v[y]), "USD")
            if k == "noi":
                row["noi_margin"] = Q_(_percent(margin(v[y], by_year["revenue"][y])), "%")
        for k, (v, unit) in extra_by_year.items():
            row[k] = Q_(float(v[y]), unit)
        rows.append(row)
    total: dict[str, Any] = {}
    for k, v in lines.items():
        total[k] = Q_(float(v.sum()), "USD")
        if k == "noi":
            total["noi_margin"] = Q_(_percent(margin(fin.noi.sum(), fin.revenue.sum())), "%")
    for k, (v, unit) in extra.items():
        total[k] = Q_(float(np.sum(v)), unit)
    return rows, total


def _percent(share: float) -> float:
    """``100 x share``, NaN if that is not a finite number (a margin on almost no revenue)."""
    value = 100.0 * share
    return value if math.isfinite(value) else math.nan


def _option(name, fin: Financials, fleet, it_power_w, start_date, extra, details, n_months):
    rows, total = _rows(fin, start_date, extra)
    operating_years = max(0, n_months - fin.start) / 12.0
    per_mw_year = (fin.revenue.sum() / (it_power_w / 1e6) / operating_years
                   if it_power_w > 0 and operating_years > 0 else math.nan)
    return OptionResult(
        name=name, label=OPTION_LABELS[name], fleet=fleet, capex=_musd(fin.capex.sum()),
        yearly=rows, total=total, npv=_musd(fin.npv), irr=Q_(100.0 * fin.irr, "%/year"),
        payback=Q_(fin.payback, "month"), revenue_per_mw_year=Q_(per_mw_year, "USD/MW/year"),
        details=details, finance=fin)


def compare(site: str | Path | Site | None = None,
            mining_profile: str | Path | HardwareProfile | None = None,
            gpu_profile: str | Path | HardwareProfile | None = None,
            market: str | Path | Market | None = None, *, years: int = DEFAULT_YEARS,
            overrides: Mapping[str, Any] | None = None) -> ComparisonResult:
    """Mining vs GPU-as-a-service vs colocation for one site, over ``years``.

    Parameters
    ----------
    site, mining_profile, gpu_profile, market
        Built-in ids, paths to TOML files, or loaded models; ``None`` is the built-in case
        (``moses-lake``, ``antminer-s21-xp-hyd``, ``gb300-nvl72``, the 2025-11-13 market).
    years : int
        Horizon from the market date [year], 1 to 50.
    overrides : mapping, optional
        ``--set`` values: site fields first (``utility_power``, ``pue``, ...), then market
        fields (``btc_price``, ``gpu_hour_price``, ...).

    Returns
    -------
    ComparisonResult
        Figures that do not exist in this case (the IRR of a project whose cash flow never
        turns positive, a payback beyond the horizon, revenue per MW when no unit fits or
        nothing operates, a breakeven price that no price reaches) are NaN in the result,
        ``None`` in :meth:`ComparisonResult.to_dict`, and each kind has a line in
        ``warnings`` saying why. No figure is ever infinite.

    A build period as long as the horizon or longer is a valid case, not an error: that
    option never operates within the horizon, earns nothing and spends only its build capex
    (a warning says so), so that a sweep over build periods compares like with like.

    Raises
    ------
    InputError
        Bad site, profile or market input, an unknown ``--set`` name, a market without
        prices for the GPU system, ``years`` that is not a whole number from 1 to 50,
        ``overrides`` that is not a mapping of names to single values, or inputs so far out
        of range that the cash flows overflow.
    """
    n_years = _years(years)
    n = 12 * n_years
    overrides = overrides_mapping(overrides)
    st, mp, gp, mk = _load(site, mining_profile, gpu_profile, market, overrides)
    base = _base(st, mp, gp, mk)
    sm = size(st, mp)
    sg = size(st, gp)
    b = base
    S = SECONDS_PER_MONTH
    life_it = b["useful_life_it"] / S
    life_fac = b["useful_life_facility"] / S
    common = dict(sga_share=b["sga_share"], life_it_months=life_it,
                  life_facility_months=life_fac, discount_rate=b["discount_rate"],
                  residual_value=b["residual_value"])
    start_m = int(round(b["mining_build_period"] / S))
    start_g = int(round(b["build_period"] / S))

    # --- mining ----------------------------------------------------------------------------
    hash_m = float(sm.hashrate.m_as("hash/s"))
    it_m = float(sm.it_power.m_as("W"))
    miner_capex = b["miner_price"] * hash_m
    fac_mine = b["mining_facility_capex"] * b["utility_power"]
    mm = mining_months(
        n, hashrate=hash_m, it_power=it_m, pue=sm.pue, btc_price=b["btc_price"],
        btc_price_growth=b["btc_price_growth"], difficulty=b["difficulty"],
        difficulty_growth=b["difficulty_growth"], fees_per_block=b["fees_per_block"],
        block_height=mk.block_height, pool_fee=b["pool_fee"], uptime=b["uptime"],
        power_price=b["power_price"], demand_charge=b["demand_charge"],
        power_price_growth=b["power_price_growth"], miner_capex=miner_capex,
        facility_capex=fac_mine, build_months=start_m,
        staff=b["mining_staff_per_mw"] * it_m, staff_cost=b["staff_cost"],
        maintenance_it=b["maintenance_it"], maintenance_facility=b["maintenance_facility"],
        insurance=b["insurance"])
    fin_m = financials(mm.revenue, {"power": mm.power, "staff": mm.staff,
                                    "maintenance": mm.maintenance, "insurance": mm.insurance},
                       capex_it=mm.capex_it, capex_facility=mm.capex_facility, start=start_m,
                       **common)

    # --- GPU-as-a-service --------------------------------------------------------------------
    units_g = sg.unit_count
    gpus = sg.gpu_count
    it_g = float(sg.it_power.m_as("W"))
    fac_gpu = b["facility_capex"] * b["utility_power"]
    gm = gpuaas_months(
        n, units=units_g, gpus=gpus, power_typical=b["gpu_power_typical"],
        power_max=b["gpu_power_max"], pue=sg.pue, gpu_hour_price=b["gpu_hour_price"],
        gpu_price_decline=b["gpu_price_decline"], utilization=b["utilization"],
        idle_share=b["gpu_idle_power_share"], power_price=b["power_price"],
        demand_charge=b["demand_charge"], power_price_growth=b["power_price_growth"],
        system_price=b["gpu_system_price"], installation_per_gpu=b["installation_per_gpu"],
        facility_capex=fac_gpu, build_months=start_g,
        staff_per_1000_gpus=b["staff_per_1000_gpus"], staff_cost=b["staff_cost"],
        network_software=b["network_software"], maintenance_it=b["maintenance_it"],
        maintenance_facility=b["maintenance_facility"], insurance=b["insurance"])
    fin_g = financials(gm.revenue, {"power": gm.power, "staff": gm.staff,
                                    "maintenance": gm.maintenance, "insurance": gm.insurance,
                                    "network_software": gm.network_software},
                       capex_it=gm.capex_it, capex_facility=gm.capex_facility, start=start_g,
                       **common)

    # --- colocation ---------------------------------------------------------------------------
    cm = colocation_months(n, it_power=it_g, colocation_rate=b["colocation_rate"],
                           escalator=b["colocation_escalator"],
                           opex_share=b["colocation_opex_share"], facility_capex=fac_gpu,
                           build_months=start_g)
    fin_c = financials(cm.revenue, {"operator": cm.operator}, capex_it=np.zeros(n),
                       capex_facility=cm.capex_facility, start=start_g, **common)

    # --- overflow: inputs far outside any real case ----------------------------------------
    for label, fin in ((OPTION_LABELS["mine"], fin_m), (OPTION_LABELS["gpuaas"], fin_g),
                       (OPTION_LABELS["colocation"], fin_c)):
        if not (np.all(np.isfinite(fin.cash_flow)) and np.all(np.isfinite(fin.revenue))
                and np.all(np.isfinite(fin.opex)) and math.isfinite(fin.npv)):
            raise InputError(f"the cash flows of {label} are too large for a float: an input "
                             "is far outside any real case (check the --set values and the "
                             "market file)", source="compare")

    # --- breakevens (each NPV is linear in the price) ---------------------------------------
    notes: dict[str, str] = {}  # why a breakeven does not exist, by breakeven name
    r = b["discount_rate"]
    m = np.arange(n)
    sga = b["sga_share"]
    keep = 1.0 - sga  # share of revenue left after SG&A
    btc_price_f = (1.0 + b["btc_price_growth"]) ** (m / 12.0)
    slope_btc = keep * npv(mm.btc * btc_price_f, r)  # dNPV_mine / d(BTC price)
    decline_f = (1.0 - b["gpu_price_decline"]) ** (m / 12.0)
    slope_gpu = keep * npv(gm.gpu_hours * 3600.0 * decline_f, r)  # per USD/s
    power_f = (1.0 + b["power_price_growth"]) ** (m / 12.0)
    d_power = npv(mm.energy * power_f, r) - npv(gm.energy * power_f, r)
    gap = fin_g.npv - fin_m.npv
    no_sga = ("SG&A takes all revenue (sga_share = 1), so no price changes the NPV"
              if keep <= 0 else "")
    be_btc = _ratio(gap, slope_btc, b["btc_price"], +1.0)
    if math.isnan(be_btc):
        notes["btc_price"] = no_sga or _never("mining earns no BTC", start_m, n,
                                              sm.unit_count, mp.id)
    be_gpu = _ratio(gap, slope_gpu, b["gpu_hour_price"], -1.0)
    if math.isnan(be_gpu):
        notes["gpu_hour_price"] = no_sga or (
            "GPU-as-a-service sells no GPU hours (utilization is 0)"
            if sg.unit_count > 0 and start_g < n
            else _never("GPU-as-a-service sells no GPU hours", start_g, n, sg.unit_count,
                        gp.id))
    be_power = _ratio(gap, d_power, b["power_price"], -1.0)
    if math.isnan(be_power):
        notes["power_price"] = ("mining and GPU-as-a-service buy the same energy, so the "
                                "power price does not move the gap between their NPVs")

    npvs = {"mine": fin_m.npv, "gpuaas": fin_g.npv, "colocation": fin_c.npv}
    winner = max(npvs, key=lambda k: npvs[k])  # first maximum on a tie: mine, gpuaas, colo

    # --- results --------------------------------------------------------------------------------
    start_date = mk.date
    subsidy0 = float(month_subsidy(mk.block_height, 1)[0])
    hp0 = hashprice(b["difficulty"], subsidy0, b["fees_per_block"], b["btc_price"],
                    b["pool_fee"])
    eff = float((mp.power_max / mp.hashrate).m_as("J/TH"))
    hc0 = hashcost(eff, mk.power_price, sm.pue)
    btc_total = float(mm.btc.sum())
    opex_m = float(fin_m.opex.sum() + fin_m.sga.sum())
    first = start_m if start_m < n else None
    details_m: dict[str, Any] = {
        "btc_mined": Q_(btc_total, "BTC"),
        "hashprice": Q_(hp0.usd, "USD/PH/day"),
        "hashprice_btc": Q_(hp0.btc, "BTC/PH/day"),
        "hashcost": Q_(hc0, "USD/PH/day"),
        "cost_per_btc": Q_(opex_m / btc_total if btc_total > 0 else math.nan, "USD/BTC"),
        "all_in_cost_per_btc": Q_((opex_m + fin_m.capex.sum()) / btc_total
                                  if btc_total > 0 else math.nan, "USD/BTC"),
    }
    if btc_total <= 0:
        notes["cost_per_btc"] = _never("mining earns no BTC", start_m, n, sm.unit_count, mp.id)
    if first is not None:
        # Operating breakevens in the first operating month, at that month's prices:
        # the BTC price and the power price at which its EBITDA is zero.
        energy0 = mm.energy[first] * power_f[first]
        other0 = fin_m.opex[first] - mm.energy[first] * b["power_price"] * power_f[first]
        rev0 = mm.revenue[first] * keep
        btc0 = mm.btc[first] * btc_price_f[first] * keep
        details_m["breakeven_btc_price_month1"] = Q_(
            fin_m.opex[first] / btc0 if btc0 > 0 else math.nan, "USD/BTC")
        details_m["breakeven_power_price_month1"] = Q_(
            (rev0 - other0) / energy0 if energy0 > 0 else math.nan, "USD/J").to("USD/MWh")
        if not btc0 > 0:
            notes["breakeven_btc_price_month1"] = no_sga or "mining earns no BTC in its first " \
                                                            "operating month"
        if not energy0 > 0:
            notes["breakeven_power_price_month1"] = "mining uses no energy in its first " \
                                                    "operating month"

    # The GPU-hour price in the first operating month (beyond the horizon if the build is).
    price_at_start = b["gpu_hour_price"] * 3600.0 * (1.0 - b["gpu_price_decline"]) ** (
        start_g / 12.0)
    options = {
        "mine": _option(
            "mine", fin_m,
            {"profile": mp.id, "units": sm.unit_count, "racks": sm.rack_count,
             "it_power": sm.it_power.to("MW"), "pue": sm.pue, "hashrate": sm.hashrate.to("EH/s"),
             "start_month": start_m},
            it_m, start_date, {"btc_mined": (mm.btc, "BTC"), "power_cost": (mm.power, "USD")},
            details_m, n),
        "gpuaas": _option(
            "gpuaas", fin_g,
            {"profile": gp.id, "units": sg.unit_count, "racks": sg.rack_count,
             "it_power": sg.it_power.to("MW"), "pue": sg.pue, "gpu_count": gpus,
             "start_month": start_g},
            it_g, start_date,
            {"gpu_hours": (gm.gpu_hours, "hour"), "power_cost": (gm.power, "USD")},
            {"gpu_hour_price": Q_(b["gpu_hour_price"] * 3600.0, "USD/hour"),
             "gpu_hour_price_at_start": Q_(price_at_start, "USD/hour"),
             "utilization": Q_(100.0 * b["utilization"], "%")}, n),
        "colocation": _option(
            "colocation", fin_c,
            {"profile": gp.id, "units": sg.unit_count, "racks": sg.rack_count,
             "it_power": sg.it_power.to("MW"), "pue": sg.pue, "gpu_count": gpus,
             "start_month": start_g},
            it_g, start_date, {},
            {"colocation_rate": mk.colocation_rate,
             "power": "passed through to the tenant at cost"}, n),
    }
    breakeven = {
        "btc_price": {
            "value": Q_(be_btc, "USD/BTC"), "assumed": mk.btc_price,
            "meaning": "BTC price (month 0, same growth path) at which mining NPV equals "
                       "GPU-as-a-service NPV"},
        "gpu_hour_price": {
            "value": Q_(be_gpu * 3600.0, "USD/hour"),
            "assumed": mk.gpu_hour_price_for(gp.id),
            "meaning": "GPU-hour price (month 0, same decline) at which GPU-as-a-service NPV "
                       "equals mining NPV"},
        "power_price": {
            "value": Q_(be_power, "USD/J").to("USD/MWh"), "assumed": mk.power_price,
            "meaning": "power price at which mining NPV equals GPU-as-a-service NPV"},
    }
    for key, item in breakeven.items():
        if key in notes:
            item["note"] = f"no breakeven: {notes[key]}"
    inputs = _inputs(st, mp, gp, mk, n_years, sm, sg)
    warnings = tuple(f"{mp.id}: {w}" for w in sm.warnings) + tuple(
        f"{gp.id}: {w}" for w in sg.warnings) + tuple(_model_warnings(fin_m, n, start_m,
                                                                     start_g, life_it))
    warnings += tuple(_undefined_warnings(options, notes, n, {
        "mine": (start_m, sm.unit_count, mp.id),
        "gpuaas": (start_g, sg.unit_count, gp.id),
        "colocation": (start_g, sg.unit_count, gp.id)}))
    return ComparisonResult(inputs=inputs, options=options, winner=winner, breakeven=breakeven,
                            warnings=warnings, sizing={"mine": sm, "gpuaas": sg})


def _ratio(gap: float, slope: float, assumed: float, sign: float) -> float:
    """``assumed + sign x gap / slope``: the price at which two NPVs meet, NaN when the slope
    is 0 (the price does not move the gap) or the division leaves the floats."""
    if not slope or not math.isfinite(slope):
        return math.nan
    value = assumed + sign * gap / slope
    return value if math.isfinite(value) else math.nan


def _never(what: str, start: int, n: int, units: int, profile: str) -> str:
    """Why an option produces nothing: no unit fits, or its build outlasts the horizon."""
    if units <= 0:
        return f"{what}: not one {profile} unit fits the site"
    if start >= n:
        return (f"{what}: its {start}-month build period leaves no operating month in the "
                f"{n}-month horizon")
    return what


_BREAKEVEN_LABELS = {
    "btc_price": "breakeven BTC price",
    "gpu_hour_price": "breakeven GPU-hour price",
    "power_price": "breakeven power price",
    "breakeven_btc_price_month1": "Bitcoin mining: cash breakeven BTC price in month 1",
    "breakeven_power_price_month1": "Bitcoin mining: cash breakeven power price in month 1",
    "cost_per_btc": "Bitcoin mining: cost per BTC (cash and all-in)",
}


def _labels(names: list[str]) -> str:
    labels = [OPTION_LABELS[k] for k in names]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _undefined_warnings(options: dict[str, OptionResult], notes: dict[str, str], n: int,
                        fleets: dict[str, tuple[int, int, str]]) -> list[str]:
    """One line per kind of figure that does not exist here (NaN in the result, ``None`` in
    JSON, ``n/a`` in tables), saying why; options that share a reason share a line."""
    out: list[str] = []
    grouped: dict[str, list[str]] = {}

    def note(text: str, key: str) -> None:
        grouped.setdefault(text, []).append(key)

    for key, opt in options.items():
        start, units, profile = fleets[key]
        idle = units <= 0 or start >= n
        if start >= n:
            note(f"does not operate within the horizon: its {start}-month build period is as "
                 f"long as the {n}-month horizon or longer, so it earns no revenue and spends "
                 "only its build capex", key)
        fin = opt.finance
        if math.isnan(fin.irr):
            cf = fin.cash_flow
            if not (cf > 0).any():
                why = "the cash flow is never positive"
            elif not (cf < 0).any():
                why = "the cash flow is never negative"
            else:
                why = "no monthly rate from -99 % to +100 % zeroes the NPV"
            note(f"IRR n/a: {why}", key)
        if math.isnan(fin.payback):
            note(f"payback n/a: the running cash flow does not turn non-negative within the "
                 f"{n}-month horizon", key)
        if math.isnan(float(opt.revenue_per_mw_year.magnitude)):
            why = (f"not one {profile} unit fits the site" if units <= 0
                   else "no operating month within the horizon")
            note(f"revenue per MW(IT)-year n/a: {why}", key)
        no_revenue = [str(row["year"]) for row in opt.yearly
                      if math.isnan(float(row["noi_margin"].magnitude))]
        if no_revenue and not idle:
            years = ", ".join(no_revenue)
            note(f"NOI margin n/a in year{'s' if len(no_revenue) > 1 else ''} {years}: "
                 "no revenue that year", key)
        elif idle and math.isnan(float(opt.total["noi_margin"].magnitude)):
            note("NOI margin n/a: no revenue", key)
    for text, keys in grouped.items():
        out.append(f"{_labels(keys)}: {text}")
    for key, why in notes.items():
        label = _BREAKEVEN_LABELS[key]
        out.append(f"{label} n/a: {why}")
    return out


def _model_warnings(fin_m: Financials, n: int, start_m: int, start_g: int,
                    life_it: float) -> list[str]:
    """Findings about the model's limits in this case (results, not errors)."""
    out = []
    losing = np.nonzero(fin_m.noi[start_m:] < 0)[0]
    if losing.size:
        first = int(losing[0]) + start_m + 1
        out.append(f"mining NOI is negative in {losing.size} of {n - start_m} operating months "
                   f"(from month {first}): the model keeps the fleet hashing, it does not switch "
                   "miners off when hashprice falls below their cash cost")
    for name, start in (("miners", start_m), ("GPU systems", start_g)):
        if n - start > life_it + 1e-9:
            out.append(f"the horizon runs {n - start - life_it:.0f} months past the "
                       f"{life_it:.0f}-month useful life of the {name}: the model keeps them "
                       "running without a refresh")
    return out


def _inputs(st, mp, gp, mk, n_years, sm, sg) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "site": st.id, "site_name": st.name, "mining_profile": mp.id, "gpu_profile": gp.id,
        "market": mk.id, "market_date": mk.date.isoformat(), "years": n_years,
        "utility_power": st.utility_power.to("MW"),
        "pue_mine": sm.pue, "pue_gpu": sg.pue,
    }
    for name in Market.model_fields:
        if name in ("id", "name", "date", "sources", "notes", *PER_GPU_SYSTEM):
            continue
        inputs[name] = getattr(mk, name)
    inputs["gpu_hour_price"] = mk.gpu_hour_price_for(gp.id)
    inputs["gpu_system_price"] = mk.gpu_system_price_for(gp.id)
    return inputs
