"""``rackplan.report(...)``: run the case through the public functions and write one HTML file.

>>> import rackplan
>>> r = rackplan.report(out="report.html")                       # doctest: +SKIP
>>> r.path, len(r.html)                                           # doctest: +SKIP

The report computes nothing of its own: :func:`rackplan.compare` gives the sizing, the cash
flows, the NPVs and the breakevens; :func:`rackplan.annual` the year of weather of each hall;
:func:`rackplan.sweep` the NPV lines against each price; :func:`rackplan.breakeven_surface`
the surface; :func:`rackplan.montecarlo` the distributions. This module gathers them
(:class:`ReportData`) and :mod:`rackplan.reporting.html` lays them out.
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rackplan.reporting.sections import PRICES

__all__ = ["report", "Report", "ReportData", "DEFAULT_PATHS", "DEFAULT_SEED", "MAX_PATHS"]

#: Monte Carlo paths of a report by default: the P5/P50/P95 and win probabilities settle to
#: about a percentage point at a few thousand paths, and the run takes well under a second.
DEFAULT_PATHS = 5_000
#: The seed of a report's Monte Carlo by default (recorded in the report).
DEFAULT_SEED = 7
#: Paths at most: a report is read by people, and past this the figures no longer change.
MAX_PATHS = 1_000_000
#: The breakeven surface's grid (columns, rows): enough to read the contours, a table a page
#: wide.
SURFACE_SHAPE = (9, 7)
#: Points of each NPV line against a price.
LINE_POINTS = 41
#: The breakeven surface: solve for the GPU-hour price GPU-as-a-service needs to match mining
#: over the two prices a miner's NPV moves with.
SURFACE = ("gpu_hour_price", "btc_price", "power_price")
#: The folder-less suffixes the report is written with.
FORMATS = ("html", "htm")


@dataclass
class NpvLine:
    """Each option's NPV [USD] against one price (``x``, in ``unit``), from a sweep."""

    name: str
    label: str
    unit: str
    x: np.ndarray
    npv: dict[str, np.ndarray]
    assumed: float
    breakeven: float | None


@dataclass
class ReportData:
    """Everything a report shows, as the public functions returned it.

    ``case`` says what ran (each input as given, the ``--set`` overrides, years, paths,
    seed); ``models`` the loaded ``(site, mining profile, GPU profile, market)``;
    ``annual`` each hall's :class:`~rackplan.facility.annual.AnnualResult`, or the reason
    there is none (a site without a weather year); ``notes`` the findings of the studies.
    """

    case: dict[str, Any]
    models: tuple
    site_overrides: dict[str, Any]
    market_overrides: dict[str, Any]
    comparison: Any
    annual: dict[str, Any]
    lines: list[NpvLine]
    surface: Any
    montecarlo: Any
    notes: list[str] = field(default_factory=list)
    generated: str = ""
    version: str = ""


@dataclass
class Report:
    """A report: its ``html`` (one self-contained page), the ``path`` it was written to (or
    ``None``) and the ``data`` it shows. A notebook shows the page in a frame."""

    html: str
    path: Path | None
    data: ReportData = field(repr=False)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (``.html`` or ``.htm``, in a folder that exists)."""
        self.path = _write(self.html, _check_out(path))
        return self.path

    def _repr_html_(self) -> str:
        from html import escape

        # In a frame: the report's own styles must not restyle the notebook around it.
        return (f'<iframe srcdoc="{escape(self.html, quote=True)}" '
                'style="width:100%;height:900px;border:1px solid #ccc"></iframe>')


def report(site=None, mining_profile=None, gpu_profile=None, market=None, *, years: int = 5,
           overrides: Mapping[str, Any] | None = None, paths: int = DEFAULT_PATHS,
           seed: int = DEFAULT_SEED, out: str | os.PathLike | None = None) -> Report:
    """A report of one case a person reads: one self-contained HTML page.

    It holds the case and every input with its source; the sizing of each option (units,
    racks, binding constraint, power from the feed to the IT, heat to liquid and air, CDUs);
    the year of weather (monthly PUE, hours on free cooling, water); the economics (yearly
    cash flows, NPV, IRR and payback side by side, NPV lines against each price with the
    breakevens, a breakeven surface, the Monte Carlo distributions and win probabilities);
    and the warnings. Figures are inline SVG; the page loads nothing from the network.

    Parameters
    ----------
    site, mining_profile, gpu_profile, market
        As for :func:`rackplan.compare`: built-in ids, TOML files or models; ``None`` is
        the built-in case.
    years : int
        Horizon from the market date [year], 1 to 50.
    overrides : mapping, optional
        ``--set`` values (site fields first, then market fields).
    paths : int
        Monte Carlo paths, 1 to 1,000,000 (default 5,000).
    seed : int
        Monte Carlo seed (default 7): the same seed gives the same distributions.
    out : path, optional
        Write the page there (``.html`` or ``.htm``; its folder must exist), checked before
        anything runs; the file appears only when complete.

    Returns
    -------
    Report

    Raises
    ------
    RackplanError
        A bad argument, named (``years``, ``paths``, ``seed``, ``out``, ``overrides``, or the
        file and field of a bad input), before any work is done.
    """
    from rackplan._args import overrides_mapping, whole_number
    from rackplan.economics.compare import MAX_YEARS, load_case, route_overrides

    n_years = whole_number(years, "years", 1, MAX_YEARS)
    n_paths = whole_number(paths, "paths", 1, MAX_PATHS)
    seed_value = whole_number(seed, "seed", 0, 2**63 - 1)
    out_path = None if out is None else _check_out(out)
    over = overrides_mapping(overrides, "overrides")
    site_over, market_over = route_overrides(over)
    models = load_case(site, mining_profile, gpu_profile, market, over)
    case = {"site": site, "mining_profile": mining_profile, "gpu_profile": gpu_profile,
            "market": market, "overrides": over, "years": n_years, "paths": n_paths,
            "seed": seed_value}
    data = gather(case, models, site_over, market_over)
    from rackplan.reporting.html import render

    page = render(data)
    path = None if out_path is None else _write(page, out_path)
    return Report(html=page, path=path, data=data)


def gather(case: dict[str, Any], models: tuple, site_over: dict, market_over: dict) -> ReportData:
    """Run the case through the public functions (the studies' findings kept as notes)."""
    import rackplan

    years = case["years"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = rackplan.compare(*models, years=years)
        data = ReportData(
            case=case, models=models, site_overrides=site_over, market_overrides=market_over,
            comparison=comparison, annual=_annual(models),
            lines=[_npv_line(models, comparison, years, *price) for price in PRICES],
            surface=_surface(models, comparison, years),
            montecarlo=rackplan.montecarlo(*models, paths=case["paths"], seed=case["seed"],
                                           years=years),
            generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            version=rackplan.__version__)
    data.notes = _study_notes(caught)
    return data


def _study_notes(caught) -> list[str]:
    """The studies' own findings (StudyWarning), each once; other warnings go back to the
    caller's filters."""
    from rackplan.studies.io import StudyWarning

    notes: list[str] = []
    for w in caught:
        if issubclass(w.category, StudyWarning):
            if str(w.message) not in notes:
                notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return notes


def _annual(models: tuple) -> dict[str, Any]:
    """The year of each hall ({label: AnnualResult or the reason there is none})."""
    import rackplan
    from rackplan.errors import SiteError

    site, mining_profile, gpu_profile, _ = models
    out: dict[str, Any] = {}
    for label, profile in ((f"mining hall ({mining_profile.id})", mining_profile),
                           (f"GPU hall ({gpu_profile.id})", gpu_profile)):
        try:
            out[label] = rackplan.annual(site, profile)
        except SiteError as exc:  # no weather year, or a fixed pue and no plant: say so
            out[label] = exc.message
    return out


def _span(assumed: float, breakeven: float | None) -> tuple[float, float]:
    """The range a price is drawn over: a quarter to twice the assumed price, stretched to
    show a positive breakeven up to five times the assumed price."""
    lo, hi = 0.25 * assumed, 2.0 * assumed
    if breakeven is not None and 0.0 < breakeven <= 5.0 * assumed:
        lo, hi = min(lo, 0.8 * breakeven), max(hi, 1.2 * breakeven)
    return lo, hi


def _finite(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _npv_line(models, comparison, years: int, name: str, label: str, unit: str) -> NpvLine:
    import rackplan

    item = comparison.breakeven[name]
    assumed = float(item["assumed"].m_as(unit))
    breakeven = _finite(item["value"].m_as(unit))
    lo, hi = _span(assumed, breakeven)
    outputs = [f"npv_{key}" for key in comparison.options]
    ds = rackplan.sweep(*models, vary={name: (lo, hi, LINE_POINTS)}, years=years,
                        outputs=outputs)
    return NpvLine(name=name, label=label, unit=unit, x=np.asarray(ds[name].values),
                   npv={key: np.asarray(ds[f"npv_{key}"].values) for key in comparison.options},
                   assumed=assumed, breakeven=breakeven)


def _surface(models, comparison, years: int):
    """The breakeven of :data:`SURFACE`'s price over half to twice the two others."""
    import rackplan

    solve_for, x_name, y_name = SURFACE
    units = {name: unit for name, _, unit in PRICES}
    axes = {}
    for name, n in ((x_name, SURFACE_SHAPE[0]), (y_name, SURFACE_SHAPE[1])):
        assumed = float(comparison.breakeven[name]["assumed"].m_as(units[name]))
        axes[name] = np.linspace(0.5 * assumed, 2.0 * assumed, n).tolist()
    return rackplan.breakeven_surface(*models, x=(x_name, axes[x_name]),
                                      y=(y_name, axes[y_name]), solve_for=solve_for,
                                      years=years)


def _check_out(out: Any) -> Path:
    """``out`` as a path an HTML page can be written to, or an error naming ``out``."""
    from rackplan.studies.io import check_out

    return check_out(out, "out", FORMATS)


def _write(page: str, path: Path) -> Path:
    """Write ``page`` to ``path`` whole or not at all: a temporary file in the same folder,
    then renamed over it."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
