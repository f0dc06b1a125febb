"""Mining vs GPU-as-a-service vs colocation for the same site: :func:`compare`.

>>> import rackplan
>>> r = rackplan.compare()                    # Moses Lake, S21 XP Hyd vs GB300 NVL72, 5 years
>>> r.winner, r.options["gpuaas"].npv.to("MUSD")                 # doctest: +SKIP

The site is sized for each profile (:func:`rackplan.facility.capacity.size`, ``power_max``
basis), then the registered options (:mod:`rackplan.economics.options`: mining, GPU-as-a-service,
colocation, and any added) run as one scenario of the monthly engine
(:mod:`rackplan.kernels.engine`), which writes each option's monthly lines and values them. The
breakevens are exact: each option's NPV is linear in the BTC price, the GPU-hour price and the
power price, so the price at which two NPVs meet is one division. ``docs/economics.md`` has the
model and every default with its source.

:func:`scenario_base` gives the same case as a flat parameter vector for
:mod:`rackplan.kernels.engine` (sweeps and Monte Carlo), and :func:`user_units` (from
:mod:`rackplan.economics.inputs`) the units people write those parameters in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rackplan._args import overrides_mapping, whole_number
from rackplan._jit import one_site
from rackplan._io import field_hint
from rackplan.economics.debt import levered
from rackplan.economics.inputs import user_units
from rackplan.economics.finance import Financials, fold_after, irr, npv, payback_month
from rackplan.economics.market import PER_GPU_SYSTEM, Market, load_market
from rackplan.economics.options import Option, OptionContext, never, registered, slots
from rackplan.economics.results import ComparisonResult, OptionResult, option_result
from rackplan.economics.taxes import carry_losses_forward
from rackplan.errors import InputError, ProfileError
from rackplan.facility.capacity import check_reference, energy_pue, hall_for, plant_pue, size
from rackplan.facility.plant import held_share, site_weather
from rackplan.facility.profiles import HardwareProfile, load_profile
from rackplan.facility.site import Site, load_site
from rackplan.kernels import engine
from rackplan.kernels.cashflow import SECONDS_PER_MONTH
from rackplan.kernels.engine import (DIFFICULTY_MODELS, KINDS, PARAMS, TAX_DEPRECIATIONS,
                                     TERMINAL_VALUES)
from rackplan.units import Q_, magnitude_in

__all__ = [
    "compare",
    "ComparisonResult",
    "OptionResult",
    "scenario_base",
    "user_units",
    "run_options",
    "EngineRun",
    "load_case",
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
            hint = field_hint(name, [Site, Market])
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
    site_weather(st, site_over)  # a weather id or file that is not there: fail here, named
    mk = load_market(market, market_over, gpu_system=gp.id)
    # Fail early, naming the market file, if it has no prices for this GPU system.
    mk.gpu_hour_price_for(gp.id)
    mk.gpu_system_price_for(gp.id)
    return st, mp, gp, mk


def load_case(site=None, mining_profile=None, gpu_profile=None, market=None,
              overrides: Mapping[str, Any] | None = None):
    """The case's models ``(site, mining profile, GPU profile, market)``, loaded and checked
    (``None``: the built-in case), with ``--set`` overrides applied; they can be passed back
    to :func:`compare` or :func:`scenario_base` without reading any file again."""
    return _load(site, mining_profile, gpu_profile, market, overrides_mapping(overrides))


def _years(years, source: str = "years") -> int:
    """``years`` as a whole number of years from 1 to :data:`MAX_YEARS` (``5.0`` is 5;
    ``True``, ``"abc"``, ``2.5`` and arrays are refused, naming ``source``)."""
    return whole_number(years, source, 1, MAX_YEARS)


# --- The parameter vector -------------------------------------------------------------------


def _base(st: Site, mp: HardwareProfile, gp: HardwareProfile, mk: Market) -> dict[str, float]:
    nan = math.nan
    weather = site_weather(st)
    # the share of each hall's IT heat that leaves in liquid (a GPU system's gear outside its
    # racks is air-cooled), at the power the units are sized on
    mining_hall, lf_mine = hall_for(st, mp), mp.cooling.liquid_fraction
    lf_gpu = gp.it_liquid_fraction(magnitude_in(gp.power_max, "W"))

    si = magnitude_in

    return {
        "utility_power": si(st.utility_power, "W"),
        "pue_mine": plant_pue(mining_hall, lf_mine, weather),
        "pue_gpu": plant_pue(st, lf_gpu, weather),
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
        "utilization_ramp": si(mk.utilization_ramp, "s"),
        "gpu_contract_share": mk.gpu_contract_share,
        "gpu_contract_price": si(mk.gpu_contract_price, "USD/s"),
        "gpu_contract_term": si(mk.gpu_contract_term, "s"),
        "gpu_prepayment": mk.gpu_prepayment,
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
        # NaN: the option's rate is discount_rate (so a sweep over discount_rate moves it)
        **{f"discount_rate_{kind}": nan if getattr(mk, f"discount_rate_{kind}") is None
           else getattr(mk, f"discount_rate_{kind}") for kind in KINDS},
        "useful_life_it": si(mk.useful_life_it, "s"),
        "useful_life_facility": si(mk.useful_life_facility, "s"),
        "residual_value": mk.residual_value,
        "terminal_value": float(TERMINAL_VALUES.index(mk.terminal_value)),
        "miner_shutdown": 1.0 if mk.miner_shutdown else 0.0,
        "tax_rate": mk.tax_rate,
        "tax_depreciation": float(TAX_DEPRECIATIONS.index(mk.tax_depreciation)),
        "bonus_depreciation": mk.bonus_depreciation,
        "sales_tax": 0.0 if mk.sales_tax_exempt else mk.sales_tax,
        "property_tax": mk.property_tax,
        "difficulty_model": float(DIFFICULTY_MODELS.index(mk.difficulty_model)),
        "network_cost": mk.network_cost_per_hash(),
        "network_efficiency_gain": mk.network_efficiency_gain,
        "difficulty_adjustment": mk.difficulty_adjustment,
        "mining_existing": 1.0 if mk.mining_baseline == "existing" else 0.0,
        "miner_warranty": si(mk.miner_warranty, "s"),
        "gpu_warranty": si(mk.gpu_warranty, "s"),
        "tenant_default_rate": mk.tenant_default_rate,
        "tenant_recovery": mk.tenant_recovery,
        "rack_positions": nan if st.rack_positions is None else float(st.rack_positions),
        "design_rack_power": nan if st.design_rack_power is None
        else si(st.design_rack_power, "W"),
        "energy_pue_mine": energy_pue(mining_hall, lf_mine, weather),
        "energy_pue_gpu": energy_pue(st, lf_gpu, weather),
        # the hours the mining hall's plant cannot cool, whatever PUE prices them (a fixed
        # pue, set or swept, leaves them as they are)
        "mining_weather_uptime": held_share(mining_hall, lf_mine, weather),
        "gpu_power_outside": gp.outside_rack_w,
        "sga_share_merchant": (mk.sga_share if mk.sga_share_merchant is None
                               else mk.sga_share_merchant),
    }


def scenario_base(site=None, mining_profile=None, gpu_profile=None, market=None, *,
                  years: int = DEFAULT_YEARS,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The parameter vector of a case as ``{name: SI value}`` for every name in
    :data:`rackplan.kernels.engine.PARAMS` (defaults: the built-in Moses Lake case).

    ``years`` is checked but not part of the vector (the kernels take ``n_months``).
    """
    _years(years)
    overrides = overrides_mapping(overrides)
    st, mp, gp, mk = _load(site, mining_profile, gpu_profile, market, overrides)
    base = _base(st, mp, gp, mk)
    assert tuple(base) == PARAMS, "scenario_base out of step with PARAMS"
    return base


# --- The comparison ---------------------------------------------------------------------------


@one_site  # one site: the kernels run as Python, numba is never imported
def compare(site: str | Path | Site | None = None,
            mining_profile: str | Path | HardwareProfile | None = None,
            gpu_profile: str | Path | HardwareProfile | None = None,
            market: str | Path | Market | None = None, *, years: int = DEFAULT_YEARS,
            overrides: Mapping[str, Any] | None = None) -> ComparisonResult:
    """Mining vs GPU-as-a-service vs colocation (and any registered option) for one site,
    over ``years``.

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
        One scenario of the monthly engine (:mod:`rackplan.kernels.engine`), the same numbers
        as a sweep or a Monte Carlo run without volatility at this point. Figures that do not
        exist in this case (the IRR of a project whose cash flow never turns positive, a
        payback beyond the horizon, revenue per MW when no unit fits or nothing operates, a
        breakeven price that no price reaches) are NaN in the result, ``None`` in
        :meth:`ComparisonResult.to_dict`, and each kind has a line in ``warnings`` saying
        why. No figure is ever infinite.

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
    profiles = {"mining": mp, "gpu": gp}
    sizing = {"mining": size(st, mp), "gpu": size(st, gp)}
    run = run_options(base, n)
    starts = {o.name: run.starts[o.name] for o in run.options}
    fins = {o.name: _financials(o, run.lines[o.name], starts[o.name], run.outputs[f"npv_{o.name}"])
            for o in run.options}
    _check_finite(run.options, fins)
    breakeven, notes = _breakevens(run, base, mk, gp, sizing, profiles, n)
    options = {}
    for o in run.options:
        ctx = OptionContext(option=o, lines=run.lines[o.name], start=starts[o.name],
                            n_months=n, base=base, sizing=sizing[o.fleet],
                            profile=profiles[o.fleet], market=mk, site=st)
        details, details_notes = o.details(ctx)
        notes.update(details_notes)
        options[o.name] = option_result(
            o.name, o.label, fins[o.name], _fleet(o, sizing, profiles, starts[o.name], base),
            float(sizing[o.fleet].it_power.m_as("W")), mk.date,
            {k: (run.lines[o.name][line] * factor, unit)
             for k, (line, unit, factor) in o.extras.items()}, details, n,
            discount_rate=_discount_rate(base, o.kind), means=o.means(ctx))
        if mk.debt_share > 0:
            options[o.name].levered = _levered(fins[o.name], base, mk, o.kind)
    if mk.stand_alone_tax:
        for name, figures in _stand_alone(run, base, mk, n).items():
            options[name].stand_alone = figures
    winner = run.options[int(run.outputs["winner"])].name
    warnings = tuple(f"{mp.id}: {w}" for w in sizing["mining"].warnings) + tuple(
        f"{gp.id}: {w}" for w in sizing["gpu"].warnings)
    warnings += tuple(_model_warnings(run, fins, n, base))
    warnings += tuple(_undefined_warnings(options, notes, n, {
        o.name: (starts[o.name], sizing[o.fleet].unit_count, profiles[o.fleet].id)
        for o in run.options}))
    from rackplan.economics.conventions import conventions
    from rackplan.economics.sensitivity import sensitivities

    return ComparisonResult(inputs=_inputs(st, mp, gp, mk, n_years, sizing), options=options,
                            winner=winner, breakeven=breakeven, warnings=warnings,
                            sizing={o.name: sizing[o.fleet] for o in run.options},
                            sensitivities=tuple(sensitivities(base, n)),
                            conventions=conventions(mk, gp.id))


@dataclass(frozen=True)
class EngineRun:
    """One scenario through the engine: the options in slot order, each one's monthly lines
    (``{line: array}``) and first operating month, and the outputs by name."""

    options: tuple[Option, ...]
    lines: dict[str, dict[str, np.ndarray]]
    starts: dict[str, int]
    outputs: dict[str, float]


def run_options(base: Mapping[str, float], n_months: int,
                options: tuple[Option, ...] | None = None) -> EngineRun:
    """Run one scenario (``base``, SI by name as :func:`scenario_base` gives it) through the
    engine for the ``options`` (default: the registered ones), with its monthly lines."""
    opts = registered() if options is None else tuple(options)
    kinds, fleets, pair = slots(opts)
    p = np.asarray([float(base[name]) for name in engine.PARAMS])
    lines = np.zeros((len(opts) * n_months, len(engine.LINES)))
    row = np.empty(engine.n_outputs(len(opts)))
    engine.scenario_lines(p, n_months, kinds, fleets, pair, np.empty((4, 0)), lines, row)
    lines = lines.reshape(len(opts), n_months, len(engine.LINES))
    names = [r[0] for r in engine.output_table([o.name for o in opts])]
    S = SECONDS_PER_MONTH
    build = {"mining": base["mining_build_period"], "gpu": base["build_period"]}
    return EngineRun(
        options=opts,
        lines={o.name: {line: lines[i, :, k] for k, line in enumerate(engine.LINES)}
               for i, o in enumerate(opts)},
        starts={o.name: int(round(build[o.fleet] / S)) for o in opts},
        outputs=dict(zip(names, row.tolist())))


def _discount_rate(base: Mapping[str, float], kind: str) -> float:
    """The discount rate of an option of ``kind``: its kind's own, or the market's."""
    own = base[f"discount_rate_{kind}"]
    return base["discount_rate"] if math.isnan(own) else own


def _financials(option: Option, lines: Mapping[str, np.ndarray], start: int,
                npv: float) -> Financials:
    """An option's finance lines and metrics from the engine's monthly lines."""
    opex_lines = {k: lines[k] for k in option.opex_lines}
    opex = np.sum([lines[k] for k in engine.OPEX_LINES], axis=0)
    noi = lines["revenue"] - opex
    ebitda = noi - lines["sga"]
    capex = lines["capex_it"] + lines["capex_facility"]
    return Financials(
        revenue=lines["revenue"], opex_lines=opex_lines, opex=opex, noi=noi, sga=lines["sga"],
        ebitda=ebitda, capex_it=lines["capex_it"], capex_facility=lines["capex_facility"],
        capex=capex, depreciation=lines["depreciation"], residual=lines["residual"],
        tax_depreciation=lines["tax_depreciation"], income_tax=lines["income_tax"],
        cash_flow=lines["cash_flow"], npv=npv, irr=irr(lines["cash_flow"]),
        payback=payback_month(ebitda - capex), start=start)


def _levered(fin: Financials, base: Mapping[str, float], mk: Market,
             kind: str) -> dict[str, Any]:
    """An option's figures with ``debt_share`` of its capex borrowed
    (:mod:`rackplan.economics.debt`)."""
    lev = levered(fin.cash_flow, fin.ebitda, fin.income_tax, fin.capex, fin.start,
                  debt_share=mk.debt_share, debt_rate=mk.debt_rate,
                  debt_term=int(round(mk.debt_term.m_as("month"))), tax_rate=mk.tax_rate,
                  discount_rate=_discount_rate(base, kind), terminal_value=mk.terminal_value)
    return {"borrowed": Q_(float(lev.loan.draw.sum()), "USD"), "npv": Q_(lev.npv, "USD"),
            "irr": Q_(100.0 * lev.irr, "%/year"), "min_dscr": Q_(lev.min_dscr, "")}


def _stand_alone(run: EngineRun, base: Mapping[str, float], mk: Market,
                 n: int) -> dict[str, dict[str, Any]]:
    """Each option's figures as a stand-alone taxpayer, its losses carried forward
    (:mod:`rackplan.economics.taxes`). Under ``dcf`` the taxes after the horizon count too:
    the engine runs on until every fleet retires (the NPV does not depend on the horizon),
    and what comes after the horizon is valued at it."""
    if mk.terminal_value == "dcf":
        life = math.ceil(base["useful_life_it"] / SECONDS_PER_MONTH - 1e-9)
        n_life = max(run.starts.values()) + life + 1
        if n_life > n:
            run = run_options(base, n_life, run.options)
    figures = {}
    for o in run.options:
        lines = run.lines[o.name]
        opex = np.sum([lines[k] for k in engine.OPEX_LINES], axis=0)
        taxable = (lines["revenue"] - opex - lines["sga"] - lines["tax_depreciation"]
                   + lines["residual"])
        own = carry_losses_forward(taxable, base["tax_rate"], mk.loss_carryforward_limit)
        rate = _discount_rate(base, o.kind)
        cash = fold_after(lines["cash_flow"] + lines["income_tax"] - own.income_tax, n, rate)
        left = carry_losses_forward(taxable[:n], base["tax_rate"], mk.loss_carryforward_limit)
        figures[o.name] = {
            "npv": Q_(npv(cash, rate), "USD"), "irr": Q_(100.0 * irr(cash), "%/year"),
            "income_tax": Q_(float(own.income_tax[:n].sum()), "USD"),
            "losses_left": Q_(left.losses_left, "USD")}
    return figures


def _check_finite(options: tuple[Option, ...], fins: dict[str, Financials]) -> None:
    """Inputs far outside any real case overflow the cash flows: say so, naming the option."""
    for o in options:
        fin = fins[o.name]
        if not (np.all(np.isfinite(fin.cash_flow)) and np.all(np.isfinite(fin.revenue))
                and np.all(np.isfinite(fin.opex)) and math.isfinite(fin.npv)):
            raise InputError(f"the cash flows of {o.label} are too large for a float: an input "
                             "is far outside any real case (check the --set values and the "
                             "market file)", source="compare")


def _fleet(option: Option, sizing, profiles, start: int, base: dict) -> dict[str, Any]:
    sz = sizing[option.fleet]
    # ``pue`` sized the fleet (the design hour); ``energy_pue`` prices its energy (the year)
    energy_pue = base["energy_pue_mine" if option.fleet == "mining" else "energy_pue_gpu"]
    fleet = {"profile": profiles[option.fleet].id, "units": sz.unit_count,
             "racks": sz.rack_count, "it_power": sz.it_power.to("MW"), "pue": sz.pue,
             "energy_pue": energy_pue}
    if option.fleet == "mining":
        fleet["hashrate"] = sz.hashrate.to("EH/s")
    else:
        fleet["gpu_count"] = sz.gpu_count
    fleet["start_month"] = start
    return fleet


def _finite(x: float) -> float:
    return x if math.isfinite(x) else math.nan


def _breakevens(run: EngineRun, base, mk: Market, gp: HardwareProfile, sizing, profiles,
                n: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The three breakevens between the mining and the GPU-as-a-service option (each NPV is
    linear in each price, or piecewise linear where miners switch off, so the engine solves
    them exactly), and why any does not exist."""
    pair = slots(run.options)[2]
    mine, gpu = run.options[pair[0]], run.options[pair[1]]
    start_m, start_g = run.starts[mine.name], run.starts[gpu.name]
    units_m, units_g = sizing[mine.fleet].unit_count, sizing[gpu.fleet].unit_count
    out = run.outputs
    be_btc = _finite(out["breakeven_btc_price"])
    be_gpu = _finite(out["breakeven_gpu_hour_price"])
    be_power = _finite(out["breakeven_power_price"])
    notes: dict[str, str] = {}
    no_sga = ("SG&A takes all revenue (sga_share = 1), so no price changes the NPV"
              if base["sga_share"] >= 1 else "")
    no_sga_gpu = ("SG&A takes all merchant revenue (sga_share_merchant = 1), so the GPU-hour "
                  "price does not change the NPV" if base["sga_share_merchant"] >= 1 else "")
    # with miners that switch off, mining's NPV bends: it never falls below what the idle
    # fleet costs, so it may stay ahead of GPU-as-a-service at every price
    switching = base["miner_shutdown"] != 0 and units_m > 0 and start_m < n
    ahead = (out[f"npv_{mine.name}"] > out[f"npv_{gpu.name}"]) and switching
    network = base["difficulty_model"] == DIFFICULTY_MODELS.index("equilibrium")
    if math.isnan(be_btc) and network and units_m > 0 and start_m < n and not no_sga:
        notes["btc_price"] = (
            "mining's NPV stays above GPU-as-a-service's at every BTC price down to 0"
            if out[f"npv_{mine.name}"] > out[f"npv_{gpu.name}"] else
            "mining's NPV stays below GPU-as-a-service's at every BTC price: the network's "
            "hash rate follows the price (difficulty_model = equilibrium), so mining's "
            "revenue levels off near the marginal fleet's cost")
    elif math.isnan(be_btc):
        notes["btc_price"] = no_sga or (
            "mining's NPV stays above GPU-as-a-service's at every BTC price: its miners "
            "switch off in losing months, so it never loses more than its idle fleet costs"
            if ahead else never("mining earns no BTC", start_m, n, units_m,
                                profiles[mine.fleet].id))
    if math.isnan(be_gpu):
        contracted = base["gpu_contract_share"] >= 1 and (
            base["gpu_contract_term"] / SECONDS_PER_MONTH >= n - start_g - 0.5)
        notes["gpu_hour_price"] = no_sga_gpu or (
            "every GPU hour within the horizon is contracted (gpu_contract_share = 1 through "
            "the term): the merchant price does not move the NPV" if contracted
            and units_g > 0 and start_g < n else
            "GPU-as-a-service sells no GPU hours (utilization is 0)"
            if units_g > 0 and start_g < n
            else never("GPU-as-a-service sells no GPU hours", start_g, n, units_g,
                       profiles[gpu.fleet].id))
    if math.isnan(be_power):
        notes["power_price"] = (
            "the two NPVs meet at no power price: mining's miners switch off as power gets "
            "dear, so its NPV bends away from GPU-as-a-service's" if switching else
            "mining and GPU-as-a-service buy the same energy, so the power price does not "
            "move the gap between their NPVs")
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
    return breakeven, notes


_BREAKEVEN_LABELS = {
    "btc_price": "breakeven BTC price",
    "gpu_hour_price": "breakeven GPU-hour price",
    "power_price": "breakeven power price",
    "breakeven_btc_price_month1": "Bitcoin mining: cash breakeven BTC price in month 1",
    "breakeven_power_price_month1": "Bitcoin mining: cash breakeven power price in month 1",
    "cost_per_btc": "Bitcoin mining: cost per BTC (cash and all-in)",
}


def _labels(names: list[str], options: dict[str, OptionResult]) -> str:
    labels = [options[k].label for k in names]
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
        out.append(f"{_labels(keys, options)}: {text}")
    for key, why in notes.items():
        label = _BREAKEVEN_LABELS[key]
        out.append(f"{label} n/a: {why}")
    return out


def _model_warnings(run: EngineRun, fins: dict[str, Financials], n: int,
                    base: Mapping[str, float]) -> list[str]:
    """Findings about the model's limits in this case (results, not errors)."""
    out = []
    life_it = math.ceil(base["useful_life_it"] / SECONDS_PER_MONTH - 1e-9)
    for o in run.options:
        if o.kind != "mine":
            continue
        start = run.starts[o.name]
        end = min(n, start + life_it)
        if base["miner_shutdown"] != 0:
            off = int((run.lines[o.name]["energy"][start:end] == 0).sum())  # no energy: off
            if off:
                out.append(f"{o.label}: the miners are off in {off} of {end - start} operating "
                           "months, where their revenue after SG&A does not cover their power "
                           "(miner_shutdown)")
            continue
        losing = np.nonzero(fins[o.name].noi[start:end] < 0)[0]
        if losing.size:
            first = int(losing[0]) + start + 1
            out.append(f"mining NOI is negative in {losing.size} of {end - start} operating "
                       f"months (from month {first}): the model keeps the fleet hashing, it does "
                       "not switch miners off when hashprice falls below their cash cost (set "
                       "miner_shutdown = true)")
    for fleet, name in (("mining", "miners"), ("gpu", "GPU systems")):
        start = int(round(base["mining_build_period" if fleet == "mining" else "build_period"]
                          / SECONDS_PER_MONTH))
        if any(o.fleet == fleet for o in run.options) and n - start > life_it:
            out.append(f"the {name} retire in month {start + life_it + 1}, at the end of their "
                       f"{life_it}-month useful life: the last {n - start - life_it} months of "
                       "the horizon earn nothing (the model does not refresh a fleet)")
    return out


def _inputs(st, mp, gp, mk, n_years, sizing) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "site": st.id, "site_name": st.name, "mining_profile": mp.id, "gpu_profile": gp.id,
        "market": mk.id, "market_date": mk.date.isoformat(), "years": n_years,
        "utility_power": st.utility_power.to("MW"),
        "pue_mine": sizing["mining"].pue, "pue_gpu": sizing["gpu"].pue,
    }
    for name in Market.model_fields:
        if name in ("id", "name", "date", "sources", "notes", *PER_GPU_SYSTEM):
            continue
        inputs[name] = getattr(mk, name)
    inputs["gpu_hour_price"] = mk.gpu_hour_price_for(gp.id)
    inputs["gpu_system_price"] = mk.gpu_system_price_for(gp.id)
    return inputs
