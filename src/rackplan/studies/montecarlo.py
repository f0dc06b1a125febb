"""Monte Carlo: how likely each option is to win when BTC, difficulty and GPU prices move.

``montecarlo(paths=100_000, seed=7)`` runs the built-in case (or the given site, profiles and
market) over ``paths`` random paths of the market drivers (see
:mod:`rackplan.kernels.montecarlo` for the processes) and returns an :class:`xarray.Dataset`:

- the distribution, dimension ``path``: every output of the scenario kernel per path (NPV and
  NOI of each option, the winner, ...) and ``btc_price_mult_end`` (BTC price at the horizon
  relative to its trend);
- the summary: ``npv`` and ``noi`` percentiles (dimensions ``option`` x ``percentile``: P5, P50,
  P95) and ``win_probability`` (dimension ``option``).

The same seed gives the same bytes, whatever the number of threads. The default
volatilities and correlation are the module constants below, each with its source; override
them per call or with ``rackplan montecarlo --btc-volatility ...``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from rackplan._args import overrides_mapping, whole_number
from rackplan.errors import StudyError, shown

__all__ = ["montecarlo", "summary", "write", "shock_vector", "DEFAULTS", "PERCENTILES"]

# --- sourced defaults ------------------------------------------------------------------------

#: BTC price volatility [1/sqrt(year)]. K33 Research: BTC's daily realized volatility was
#: 2.24 % in 2025, the lowest on record (via https://apim.gateapi.io/tr/news/detail/17441055),
#: i.e. 2.24 % x sqrt(365) = 43 %/yr; Glassnode's one-month annualized realized volatility
#: averaged about 50 % in 2024-25 (CoinDesk, via https://holder.io/news/tuesdays-bitcoin-
#: volatility-2025). 45 % sits between the two [D].
BTC_VOLATILITY = 0.45

#: Difficulty growth volatility [1/sqrt(month)]: assumption. Difficulty grew 43 % in the year
#: after the 2024 halving (86.39 T -> 123.23 T, blockspace.media [S]), about +3 %/month, in
#: two-weekly retargets that moved by a few percent either way; 4 % a month is one such
#: retarget's swing.
DIFFICULTY_VOLATILITY = 0.04

#: GPU-hour price volatility around its declining trend [1/sqrt(year)] [D]: the SemiAnalysis
#: H100 rental index rose from USD 1.70 (Oct 2025) to 2.35 (Mar 2026), +40 % in five months
#: (compux.net citing SemiAnalysis [S]): ln(1.40) / sqrt(5/12) = 0.52.
GPU_PRICE_VOLATILITY = 0.5

#: Month-to-month persistence of the GPU-hour price's deviation from its declining trend [1]:
#: assumption [A]. Rental prices revert as capacity follows demand, but over months (the
#: SemiAnalysis H100 index rose 40 % in five months against a falling trend, above); 0.5 **
#: (1/12), a half-life of 12 months. 1 keeps no memory of the trend (a random walk).
GPU_PRICE_PERSISTENCE = 0.5 ** (1.0 / 12.0)

#: Utilization volatility around its trend [1] (relative): assumption. GPU-cloud plans assume
#: 95-100 % but reality runs 75-90 % (disintermediate.global glossary [S]): a range of
#: about +-10 % read as two standard deviations.
UTILIZATION_VOLATILITY = 0.05

#: Month-to-month persistence of utilization deviations [1]: assumption (a contract or a
#: customer lost stays lost for months; 0.9 gives a half-life of about 6.6 months).
UTILIZATION_PERSISTENCE = 0.9

#: Correlation of monthly BTC-price and difficulty shocks [1]. CryptoQuant found no correlation
#: between BTC price and 1-day or 10-day mean hash rate (|r| < 0.2;
#: https://cryptoquant.substack.com/p/q-was-the-crash-caused-by-the-sudden-hash-rate-decrease-
#: 56d9c9d46ae0); hash rate follows price with a lag of weeks to months. 0 = independent.
CORRELATION = 0.0

#: How well the trends are known: the standard deviation of each path's own log growth a year
#: around the market's [1/year].
#: BTC price [D]: the standard error of BTC's mean log return estimated from ten years of
#: prices at ``BTC_VOLATILITY`` a year, 0.45 / sqrt(10) = 0.14.
BTC_TREND_UNCERTAINTY = BTC_VOLATILITY / math.sqrt(10.0)
#: Difficulty [D]: the same for its growth, at ``DIFFICULTY_VOLATILITY`` a month (0.04 x
#: sqrt(12) = 0.14 a year) over ten years: 0.044. It moves with the BTC price's trend (one
#: draw for both: the network grows with what mining earns).
DIFFICULTY_TREND_UNCERTAINTY = DIFFICULTY_VOLATILITY * math.sqrt(12.0) / math.sqrt(10.0)
#: GPU-hour price [A]: the decline is known to about +-10 % a year (the built-in 20 % a year,
#: against the ~28 % a year that AWS's 1- and 3-year reserved terms imply, a Hacker News
#: comment mirrored at techecho [L]); the rental indexes are too short to say more.
GPU_TREND_UNCERTAINTY = 0.1

DEFAULTS = {
    "btc_volatility": BTC_VOLATILITY,
    "difficulty_volatility": DIFFICULTY_VOLATILITY,
    "gpu_price_volatility": GPU_PRICE_VOLATILITY,
    "gpu_price_persistence": GPU_PRICE_PERSISTENCE,
    "utilization_volatility": UTILIZATION_VOLATILITY,
    "utilization_persistence": UTILIZATION_PERSISTENCE,
    "correlation": CORRELATION,
    "btc_trend_uncertainty": BTC_TREND_UNCERTAINTY,
    "difficulty_trend_uncertainty": DIFFICULTY_TREND_UNCERTAINTY,
    "gpu_trend_uncertainty": GPU_TREND_UNCERTAINTY,
}
_UNITS = {
    "btc_drift": "1/year", "btc_volatility": "1/year**0.5", "difficulty_volatility":
    "1/month**0.5", "gpu_price_volatility": "1/year**0.5", "utilization_volatility": "1",
    "utilization_persistence": "1", "correlation": "1", "gpu_price_persistence": "1",
    "btc_trend_uncertainty": "1/year", "difficulty_trend_uncertainty": "1/year",
    "gpu_trend_uncertainty": "1/year",
}
PERCENTILES = (5.0, 50.0, 95.0)
MAX_PATHS = 100_000_000


def _fraction(name: str, value: Any, lo: float, hi: float, *, hi_open=False) -> float:
    """A finite plain number (``0.45``, ``"45 %"``) in ``[lo, hi]`` (``[lo, hi)``)."""
    from rackplan.units import Quantity, parse_quantity

    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, str, Quantity, np.integer, np.floating)):
        raise StudyError(f"{shown(value)} is not a number", source=name)
    if isinstance(value, Quantity) and getattr(value.magnitude, "ndim", 0) != 0:
        raise StudyError(f"{shown(value)} is not one number", source=name)
    v = None
    if isinstance(value, str):
        try:
            v = float(value.strip().replace("_", ""))  # "0.45", "nan", "inf"
        except ValueError:
            v = None  # a quantity string such as "45 %"
    if v is None:
        try:
            v = float(parse_quantity(value, "").magnitude)
        except Exception as exc:
            raise StudyError(str(exc), source=name) from None
    if not math.isfinite(v):
        raise StudyError(f"{shown(value)} is not a finite number", source=name)
    if not (lo <= v and (v < hi if hi_open else v <= hi)):
        raise StudyError(f"{v:g} is outside {lo:g} to {hi:g}"
                         + (f" ({hi:g} excluded)" if hi_open else ""), source=name)
    return v


def shock_vector(base: dict[str, float], *, btc_drift=None, btc_volatility=BTC_VOLATILITY,
                 difficulty_volatility=DIFFICULTY_VOLATILITY,
                 gpu_price_volatility=GPU_PRICE_VOLATILITY,
                 utilization_volatility=UTILIZATION_VOLATILITY,
                 utilization_persistence=UTILIZATION_PERSISTENCE,
                 correlation=CORRELATION,
                 gpu_price_persistence=GPU_PRICE_PERSISTENCE,
                 btc_trend_uncertainty=BTC_TREND_UNCERTAINTY,
                 difficulty_trend_uncertainty=DIFFICULTY_TREND_UNCERTAINTY,
                 gpu_trend_uncertainty=GPU_TREND_UNCERTAINTY) -> np.ndarray:
    """The kernel's ``shock`` vector from annual figures (see :mod:`rackplan.kernels.montecarlo`).

    ``btc_drift`` is the expected BTC price growth per year, in the convention of the market's
    ``btc_price_growth``; ``None`` takes that growth, so the paths scatter around the
    deterministic case. Volatilities are annual (difficulty: monthly) standard deviations of
    log changes; the trend uncertainties annual standard deviations of a path's own log growth
    a year; strings such as ``"45 %"`` are accepted.
    """
    from rackplan.kernels import montecarlo as k

    s_b = _fraction("btc_volatility", btc_volatility, 0, 5)
    s_d = _fraction("difficulty_volatility", difficulty_volatility, 0, 1)
    s_g = _fraction("gpu_price_volatility", gpu_price_volatility, 0, 5)
    s_u = _fraction("utilization_volatility", utilization_volatility, 0, 1)
    phi = _fraction("utilization_persistence", utilization_persistence, 0, 1, hi_open=True)
    phi_g = _fraction("gpu_price_persistence", gpu_price_persistence, 0, 1)
    rho = _fraction("correlation", correlation, -1, 1)
    trends = [_fraction(name, value, 0, 1) for name, value in (
        ("btc_trend_uncertainty", btc_trend_uncertainty),
        ("difficulty_trend_uncertainty", difficulty_trend_uncertainty),
        ("gpu_trend_uncertainty", gpu_trend_uncertainty))]
    trend = float(base.get("btc_price_growth", 0.0))
    mu = 0.0
    if btc_drift is not None:
        drift = _fraction("btc_drift", btc_drift, -0.99, 100)
        # The kernel's trend grows by (1 + trend) a year; the paths' mean by (1 + drift).
        mu = (math.log1p(drift) - math.log1p(trend)) / 12.0
    util = float(base.get("utilization", 1.0))
    shock = np.zeros(k.N_SHOCK_PARAMS)
    shock[k.BTC_MU] = mu
    shock[k.BTC_SIGMA] = s_b / math.sqrt(12.0)
    shock[k.DIFF_SIGMA] = s_d
    shock[k.GPU_SIGMA] = s_g / math.sqrt(12.0)
    shock[k.UTIL_SIGMA] = s_u
    shock[k.UTIL_PHI] = phi
    shock[k.RHO] = rho
    shock[k.UTIL_MAX] = 1.0 / util if util > 0 else 1.0
    shock[k.GPU_PHI] = phi_g
    # each path's own trends: a log growth a month, drawn once
    shock[k.BTC_TREND], shock[k.DIFF_TREND], shock[k.GPU_TREND] = (t / 12.0 for t in trends)
    # the tenant's default: a monthly hazard from the market's yearly rate
    shock[k.TENANT_HAZARD] = -math.log1p(-float(base.get("tenant_default_rate", 0.0))) / 12.0
    return shock


def write(ds, out, source: str = "out"):
    """Write a Monte Carlo result: ``.nc`` and ``.json`` take the whole Dataset, ``.csv`` one
    row per path (the distribution). Complete or not at all, as :func:`rackplan.studies.io.write`
    (which checks the path and the free space first, and turns I/O failures into one
    StudyError naming ``source``)."""
    from pathlib import Path

    from rackplan.studies.io import check_out
    from rackplan.studies.io import write as write_file

    path = check_out(out, source)
    if path.suffix.lower() == ".csv":
        if "path" not in ds.dims:
            raise StudyError("the paths were not kept (keep_paths=False): write .nc or .json",
                             source=source)
        ds = ds[[v for v in ds.data_vars if ds[v].dims == ("path",)]]
    return write_file(ds, Path(path), source=source)


def montecarlo(site=None, mining_profile=None, gpu_profile=None, market=None, *,
               paths: int = 10_000, seed: int = 0, years: int = 5, overrides=None,
               btc_drift=None, btc_volatility=BTC_VOLATILITY,
               difficulty_volatility=DIFFICULTY_VOLATILITY,
               gpu_price_volatility=GPU_PRICE_VOLATILITY,
               utilization_volatility=UTILIZATION_VOLATILITY,
               utilization_persistence=UTILIZATION_PERSISTENCE, correlation=CORRELATION,
               gpu_price_persistence=GPU_PRICE_PERSISTENCE,
               btc_trend_uncertainty=BTC_TREND_UNCERTAINTY,
               difficulty_trend_uncertainty=DIFFICULTY_TREND_UNCERTAINTY,
               gpu_trend_uncertainty=GPU_TREND_UNCERTAINTY,
               keep_paths: bool = True, memory_budget=None):
    """Run ``paths`` random market paths over ``years`` and summarize.

    Parameters
    ----------
    site, mining_profile, gpu_profile, market, years, overrides
        As for :func:`rackplan.studies.sweep.sweep`.
    paths : int
        Number of paths (1 to 1e8).
    seed : int
        Non-negative seed; the same seed gives the same bytes.
    btc_drift : float or str, optional
        Expected BTC price growth per year [1]; default the market's ``btc_price_growth``.
    btc_volatility, difficulty_volatility, gpu_price_volatility, utilization_volatility
        See the module constants for units and sources.
    utilization_persistence, correlation, gpu_price_persistence
        See the module constants for units and sources.
    btc_trend_uncertainty, difficulty_trend_uncertainty, gpu_trend_uncertainty
        See the module constants for units and sources; a trend uncertainty of 0 gives every
        path the market's trend.
    keep_paths : bool
        Keep the per-path distribution (``path`` dimension) in the result.
    memory_budget : str or float, optional
        The paths' outputs are held in memory (``len(OUTPUTS) + 1`` floats a path, 224 bytes):
        more paths than fit are an error, before anything runs. At most the machine's memory
        and the memory available now; ``None``: 2 GB, or half the available memory if less.

    Returns
    -------
    xarray.Dataset
    """
    from rackplan.economics.compare import scenario_base
    from rackplan.economics.options import engine_table
    from rackplan.kernels import engine
    from rackplan.kernels import montecarlo as kmc

    sc = engine_table()

    n = whole_number(paths, "paths", 1, MAX_PATHS, StudyError)
    from rackplan.studies.grid import case_inputs, check_years
    from rackplan.studies.io import budget_bytes, case_attrs, human_bytes

    budget = budget_bytes(memory_budget)
    need = 8.0 * (len(sc.names) + 1) * n
    if need > budget:
        raise StudyError(f"{n:,} paths need about {human_bytes(need)}, over the memory budget "
                         f"of {human_bytes(budget)}: run fewer paths (the percentiles settle "
                         f"long before) or raise the budget", source="paths")
    seed = whole_number(seed, "seed", 0, 2**63 - 1, StudyError)
    years_i = check_years(years)
    overrides = overrides_mapping(overrides, "overrides")
    if not isinstance(keep_paths, (bool, np.bool_)):
        raise StudyError(f"must be True or False, got {shown(keep_paths)}",
                         source="keep_paths")
    settings = dict(btc_drift=btc_drift, btc_volatility=btc_volatility,
                    difficulty_volatility=difficulty_volatility,
                    gpu_price_volatility=gpu_price_volatility,
                    utilization_volatility=utilization_volatility,
                    utilization_persistence=utilization_persistence, correlation=correlation,
                    gpu_price_persistence=gpu_price_persistence,
                    btc_trend_uncertainty=btc_trend_uncertainty,
                    difficulty_trend_uncertainty=difficulty_trend_uncertainty,
                    gpu_trend_uncertainty=gpu_trend_uncertainty)
    for name in DEFAULTS:  # every setting checked before the case is loaded
        shock_vector({}, **{name: settings[name]})
    if btc_drift is not None:
        _fraction("btc_drift", btc_drift, -0.99, 100)
    base_d = scenario_base(site, mining_profile, gpu_profile, market, years=years_i,
                           overrides=overrides)
    base = np.asarray([float(base_d[p]) for p in engine.PARAMS], dtype=np.float64)
    shock = shock_vector(base_d, **settings)
    out = np.empty((len(sc.names), n))
    btc_end = np.empty(n)
    kmc.simulate(base, years_i * 12, seed, shock, sc.kinds, sc.fleets, sc.pair,
                 np.arange(len(sc.names), dtype=np.int64), out, btc_end)
    _warn_results(out, sc, n)
    # the trend's BTC price in the last month, which the paths' end multipliers scale
    trend_end = base_d["btc_price"] * (1.0 + base_d["btc_price_growth"]) ** (
        (years_i * 12 - 1) / 12.0)
    case = case_attrs("rackplan Monte Carlo: mining vs GPU-as-a-service vs colocation", site,
                      mining_profile, gpu_profile, market, years_i, overrides,
                      case_inputs(base_d))
    ds = _dataset(out, btc_end, sc, settings, seed, case, bool(keep_paths))
    ds["btc_price_end"] = ("percentile", trend_end * np.percentile(btc_end, PERCENTILES), {
        "units": "USD/BTC", "long_name": "BTC price in the last month, percentiles over the "
                                          "paths"})
    return ds


def _warn_results(out, sc, n: int) -> None:
    """Warnings about what the paths show: no unit fits; NPVs undefined on some paths."""
    import warnings

    from rackplan.studies.io import StudyWarning

    for column, what in (("units_mine", "no miner fits the site"),
                         ("units_gpu", "no GPU system fits the site")):
        if np.all(out[sc.index(column)] == 0):
            warnings.warn(f"{what}: on every path the option has no units and its figures "
                          f"are those of an empty site", StudyWarning, stacklevel=3)
    for o in (opt.name for opt in sc.options):
        for metric in ("npv", "noi"):
            row = out[sc.index(f"{metric}_{o}")]
            bad = int(np.count_nonzero(~np.isfinite(row)))
            if bad:
                warnings.warn(f"{metric}_{o} is undefined on {bad:,} of {n:,} paths; its "
                              f"percentiles are over the others"
                              + (" (none: shown as n/a)" if bad == n else ""),
                              StudyWarning, stacklevel=3)


def _dataset(out, btc_end, sc, settings, seed, case, keep_paths):
    """The result: percentiles, means and win probabilities over the paths, each path's
    outputs (breakevens in the unit users write the price in) where they are kept, and the
    case (``case``: :func:`rackplan.studies.io.case_attrs`) in the attributes."""
    import xarray as xr

    from rackplan.studies.grid import output_unit

    names = list(sc.names)
    idx = {name: k for k, name in enumerate(names)}
    options = [o.name for o in sc.options]
    pct = np.asarray(PERCENTILES)
    data_vars = {}
    percentiles = _all_percentiles(
        [out[idx[f"{metric}_{o}"]] for metric in ("npv", "noi") for o in options], pct)
    for m, metric in enumerate(("npv", "noi")):
        rows = percentiles[m * len(options):(m + 1) * len(options)]
        unit = sc.units.get(f"{metric}_{options[0]}", "USD")
        data_vars[metric] = (("option", "percentile"), np.asarray(rows), {
            "units": unit, "long_name": f"{metric.upper()} percentiles over the paths"})
    # row by row, not on a stacked copy: on a million paths the copy and the NaN-masked mean
    # took a tenth of the run
    npv = [out[idx[f"npv_{o}"]] for o in options]
    data_vars["npv_mean"] = ("option", np.array([_finite_mean(row) for row in npv]), {
        "units": sc.units.get(f"npv_{options[0]}", "USD"),
        "long_name": "mean NPV over the paths"})
    data_vars["npv_positive_probability"] = ("option", np.array(
        [np.count_nonzero(row > 0.0) / max(row.size, 1) for row in npv]), {
        "units": "1", "long_name": "share of paths on which the option's NPV is positive"})
    winner = out[idx["winner"]]
    n = winner.shape[0]
    p_win = np.asarray([np.count_nonzero(winner == k) / n for k in range(len(options))])
    data_vars["win_probability"] = ("option", p_win, {
        "units": "1", "long_name": "share of paths on which the option has the highest NPV"})
    if keep_paths:
        for name in names:
            factor, unit = output_unit(name, sc.units.get(name, "1"))
            data = out[idx[name]] * factor if factor != 1.0 else out[idx[name]]
            attrs = {"units": unit or sc.units.get(name, "1"),
                     "long_name": sc.long_names.get(name, name.replace("_", " "))}
            if name == "winner":
                data = np.where(np.isnan(data), -1, data).astype(np.int8)
                attrs.update(units="1", flag_values=np.arange(len(options), dtype=np.int8),
                             flag_meanings=" ".join(options))
            data_vars[name] = ("path", data, attrs)
        data_vars["btc_price_mult_end"] = ("path", btc_end, {
            "units": "1", "long_name": "BTC price in the last month relative to its trend"})
    coords = {"option": ("option", options),
              "percentile": ("percentile", pct, {"units": "percent"})}
    # no "path" coordinate: a path is its position (0, 1, ...), which ds["path"] gives
    # without the 20 ms a million-row index took
    attrs = {**case, "paths": n, "seed": seed,
             "settings": json.dumps({k: (None if v is None else str(v))
                                     for k, v in settings.items()})}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _finite_mean(values: np.ndarray) -> float:
    """The mean over the finite values (NaN where there are none)."""
    finite = np.isfinite(values)
    if finite.all():
        return float(values.mean()) if values.size else math.nan
    return float(values[finite].mean()) if finite.any() else math.nan


def _all_percentiles(rows: list[np.ndarray], pct: np.ndarray) -> list[np.ndarray]:
    """:func:`_percentiles` of each row, two rows at a time (NumPy's partition releases the
    GIL): on a million paths they took a sixth of the whole run."""
    if len(rows) < 2 or rows[0].shape[0] < 100_000:
        return [_percentiles(r, pct) for r in rows]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda r: _percentiles(r, pct), rows))


def _percentiles(values: np.ndarray, pct: np.ndarray) -> np.ndarray:
    """Percentiles over the finite values (NaN where there are none)."""
    finite = np.isfinite(values)
    if finite.all():
        return np.percentile(values, pct)
    if not finite.any():
        return np.full(len(pct), np.nan)
    return np.percentile(values[finite], pct)


def summary(ds) -> dict[str, Any]:
    """The result for people: per option P5/P50/P95 of NPV and NOI, the mean NPV, the chance
    of a positive NPV and the win probability, and in ``run`` the BTC price of the paths'
    last month (P5/P50/P95), as quantities (for :func:`rackplan.cli.output.emit`)."""
    from rackplan.units import Q_

    def q(value, unit):
        value = float(value)
        if not math.isfinite(value):
            return None  # undefined: null in JSON, empty in CSV, n/a in a table
        try:
            return Q_(value, unit)
        except Exception:  # a unit string pint cannot read: show the bare number
            return value

    result: dict[str, Any] = {
        "run": {"paths": int(ds.attrs["paths"]), "seed": int(ds.attrs["seed"]),
                "years": int(ds.attrs["years"])}}
    if "btc_price_end" in ds:  # the BTC path the options are valued on, by its end
        for p in PERCENTILES:
            result["run"][f"btc_price_end_p{int(p)}"] = q(
                ds["btc_price_end"].sel(percentile=p).item(), "USD/BTC")
    for o in (str(v) for v in ds["option"].values):
        section = {}
        for metric in ("npv", "noi"):
            unit = ds[metric].attrs.get("units", "USD")
            for p in PERCENTILES:
                v = ds[metric].sel(option=o, percentile=p).item()
                section[f"{metric}_p{int(p)}"] = q(v, unit)
        if "npv_mean" in ds:
            section["npv_mean"] = q(ds["npv_mean"].sel(option=o).item(),
                                    ds["npv_mean"].attrs.get("units", "USD"))
            section["npv_positive_probability"] = q(
                100.0 * ds["npv_positive_probability"].sel(option=o).item(), "percent")
        section["win_probability"] = q(100.0 * ds["win_probability"].sel(option=o).item(),
                                       "percent")
        result[o] = section
    return result
