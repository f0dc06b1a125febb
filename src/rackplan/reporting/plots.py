"""The report's figures: each a function of computed results that returns inline SVG text.

Figures are :class:`matplotlib.figure.Figure` objects drawn straight to SVG, with no pyplot
state, so a notebook can build any number of reports. Text stays text in the SVG
(``svg.fonttype = none``): a reader can search it and a test can read the axis labels. Every
axis is labelled with its unit. No physics and no economics here: the numbers arrive computed.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["svg", "monthly_pue", "hourly_weather", "power_chain", "heat_split",
           "units_by_constraint", "yearly_cash_flows", "cumulative_cash_flows", "npv_lines",
           "breakeven_surface", "npv_histograms", "win_probability"]

#: Colours of the options, the same in every figure (colour-blind safe, Okabe-Ito).
COLOURS = {"mine": "#E69F00", "gpuaas": "#0072B2", "colocation": "#009E73"}
_OTHER = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def colour(key: str, k: int = 0) -> str:
    """The colour of option ``key`` (an option added as a plug-in takes the next free one)."""
    return COLOURS.get(key, _OTHER[k % len(_OTHER)])


def _plain_text(draw):
    """Draw with ``text.parse_math`` off: labels hold user text (a profile id, an option's
    label), and a ``$`` in it is a dollar sign, not the start of TeX math."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


def _figure(width: float = 7.0, height: float = 3.4, ncols: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def svg(fig, name: str) -> str:
    """``fig`` as an inline ``<svg>`` element whose ids all start with ``name`` (several
    figures share one page, and an id must be unique in it); no date, so the same inputs give
    the same figure."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # no XML prolog or DOCTYPE inside HTML
    return _scope_ids(text, name)


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')


def _scope_ids(text: str, prefix: str) -> str:
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)


def _legend(ax) -> None:
    """The legend below the axes, outside them: it never hides a line or a bar."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.figure.legend(handles, labels, loc="outside lower center", frameon=False,
                         fontsize="small", ncols=min(len(labels), 3))


def _number(x: float) -> str:
    from rackplan._html import number_text

    return number_text(x)


# --- the year of weather ----------------------------------------------------------------------

@_plain_text
def monthly_pue(series: Mapping[str, Sequence[float]]) -> str:
    """PUE month by month, one line per hall (``{label: 12 values}``)."""
    fig, (ax,) = _figure()
    for k, (label, values) in enumerate(series.items()):
        ax.plot(range(1, 13), values, marker="o", label=label,
                color=("#0072B2", "#E69F00", "#009E73", "#CC79A7")[k % 4])
    ax.set_xticks(range(1, 13), MONTHS)
    ax.set_xlabel("month")
    ax.set_ylabel("PUE [1]")
    ax.set_title("PUE month by month (facility energy / IT energy)")
    ax.grid(alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-monthly-pue")


@_plain_text
def hourly_weather(day: np.ndarray, dry_bulb: np.ndarray, pue: np.ndarray,
                   label: str) -> str:
    """The weather year's dry bulb and the plant's PUE, hour by hour."""
    fig, (left, right) = _figure(7.0, 3.0, ncols=2)
    left.plot(day, dry_bulb, lw=0.3, color="#D55E00")
    left.set_xlabel("day of the year [day]")
    left.set_ylabel("dry bulb [degC]")
    left.set_title("Outdoor dry bulb, hour by hour", fontsize="medium")
    right.plot(day, pue, lw=0.3, color="#0072B2")
    right.set_xlabel("day of the year [day]")
    right.set_ylabel("PUE [1]")
    right.set_title(f"PUE hour by hour: {label}", fontsize="medium")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return svg(fig, "plot-hourly-weather")


# --- sizing ---------------------------------------------------------------------------------

@_plain_text
def power_chain(rows: Mapping[str, Mapping[str, float]]) -> str:
    """From the utility feed to the IT, per hall: ``{label: {"IT": MW, "facility overhead
    (cooling, losses, house)": MW, "stranded": MW}}``, stacked."""
    fig, (ax,) = _figure(7.0, 2.8)
    labels = list(rows)
    parts = list(next(iter(rows.values())))
    left = np.zeros(len(labels))
    for k, part in enumerate(parts):
        values = np.array([rows[label][part] for label in labels])
        ax.barh(labels, values, left=left, label=part, color=("#0072B2", "#E69F00",
                                                                "#BBBBBB")[k % 3])
        left += values
    ax.set_xlabel("power [MW]")
    ax.set_title("The utility feed in the design hour")
    ax.grid(axis="x", alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-power-chain")


@_plain_text
def heat_split(rows: Mapping[str, tuple[float, float]]) -> str:
    """Heat to liquid and to air per hall [MW]: ``{label: (liquid, air)}``."""
    fig, (ax,) = _figure(7.0, 2.6)
    labels = list(rows)
    liquid = np.array([rows[k][0] for k in labels])
    air = np.array([rows[k][1] for k in labels])
    ax.barh(labels, liquid, label="to liquid", color="#0072B2")
    ax.barh(labels, air, left=liquid, label="to air", color="#56B4E9")
    ax.set_xlabel("heat [MW]")
    ax.set_title("Heat the cooling must carry")
    ax.grid(axis="x", alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-heat-split")


@_plain_text
def units_by_constraint(rows: Mapping[str, Mapping[str, int]]) -> str:
    """Units each constraint alone allows, per hall (log scale: they differ by orders)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = _figure(7.0, 3.0, ncols=len(rows))
    for ax, (label, counts) in zip(axes, rows.items()):
        names = list(counts)
        ax.barh(names, [counts[n] for n in names], color="#999999")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # the decades only: no crowded labels
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))  # no TeX
        ax.set_xlabel("units allowed [count]")
        ax.set_title(label, fontsize="medium")
        ax.grid(axis="x", alpha=0.3)
    return svg(fig, "plot-units-by-constraint")


# --- the economics --------------------------------------------------------------------------

@_plain_text
def yearly_cash_flows(years: Sequence[int], flows: Mapping[str, Sequence[float]],
                      labels: Mapping[str, str]) -> str:
    """Each option's cash flow after tax, year by year, side by side [M USD]."""
    fig, (ax,) = _figure()
    x = np.arange(len(years))
    width = 0.8 / max(len(flows), 1)
    for k, (key, values) in enumerate(flows.items()):
        ax.bar(x + (k - (len(flows) - 1) / 2) * width, values, width, label=labels[key],
               color=colour(key, k))
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel("year of the horizon [year]")
    ax.set_ylabel("cash flow after tax [M USD]")
    ax.set_title("Yearly cash flow after tax")
    ax.grid(axis="y", alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-yearly-cash-flows")


@_plain_text
def cumulative_cash_flows(months: np.ndarray, running: Mapping[str, np.ndarray],
                          labels: Mapping[str, str]) -> str:
    """Each option's running cash flow month by month [M USD]: payback where it crosses 0."""
    fig, (ax,) = _figure()
    for k, (key, values) in enumerate(running.items()):
        ax.plot(months, values, label=labels[key], color=colour(key, k))
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel("month from the market date [month]")
    ax.set_ylabel("running cash flow [M USD]")
    ax.set_title("Running cash flow, undiscounted")
    ax.grid(alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-cumulative-cash-flows")


@_plain_text
def npv_lines(name: str, label: str, unit: str, x: np.ndarray,
              npvs: Mapping[str, np.ndarray], labels: Mapping[str, str], assumed: float,
              breakeven: float | None) -> str:
    """Each option's NPV against one price [M USD], the assumed price and the breakeven
    (where mining and GPU-as-a-service meet) marked."""
    fig, (ax,) = _figure(7.0, 3.2)
    for k, (key, values) in enumerate(npvs.items()):
        ax.plot(x, values, label=labels[key], color=colour(key, k))
    ax.axvline(assumed, color="black", ls="--", lw=0.8, label=f"assumed {_number(assumed)} {unit}")
    if breakeven is not None:
        ax.axvline(breakeven, color="#CC0000", ls=":", lw=1.2,
                   label=f"breakeven {_number(breakeven)} {unit}")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel(f"{label} [{unit}]")
    ax.set_ylabel("NPV [M USD]")
    ax.set_title(f"NPV against the {label}")
    ax.grid(alpha=0.3)
    _legend(ax)
    return svg(fig, f"plot-npv-{name.replace('_', '-')}")


@_plain_text
def breakeven_surface(x: np.ndarray, y: np.ndarray, z: np.ndarray, *, x_label: str,
                      y_label: str, z_label: str, assumed: tuple[float, float],
                      assumed_z: float) -> str:
    """The breakeven over a grid of two inputs, filled contours, with the assumed point and
    the contour at the assumed value of the solved-for price."""
    fig, (ax,) = _figure(7.0, 4.0)
    finite = z[np.isfinite(z)]
    if finite.size < 2 or finite.min() == finite.max():  # nothing to draw contours of
        ax.text(0.5, 0.5, f"{z_label}: " + ("undefined on this grid" if not finite.size
                                           else f"{_number(finite[0])} on the whole grid"),
                transform=ax.transAxes, ha="center")
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(y[0], y[-1])
    else:
        _contours(fig, ax, x, y, np.ma.masked_invalid(z), z_label, assumed_z)
    ax.plot(*assumed, marker="*", markersize=14, color="#CC0000", markeredgecolor="white",
            linestyle="none", label="the case's inputs")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title("Breakeven surface")
    _legend(ax)
    return svg(fig, "plot-breakeven-surface")


def _contours(fig, ax, x, y, masked, z_label: str, assumed_z: float) -> None:
    filled = ax.contourf(x, y, masked, levels=12, cmap="viridis")
    bar = fig.colorbar(filled, ax=ax)
    bar.set_label(z_label)
    if masked.min() < assumed_z < masked.max():
        lines = ax.contour(x, y, masked, levels=[assumed_z], colors="white", linewidths=1.5)
        ax.clabel(lines, fmt=lambda v: f"assumed {_number(v)}", fontsize="small")


#: The share of the paths the histograms leave out at each end [%]: a long tail would squeeze
#: the rest into a few bins.
HISTOGRAM_TAIL = 0.5


@_plain_text
def npv_histograms(npvs: Mapping[str, np.ndarray], labels: Mapping[str, str]) -> str:
    """The distribution of each option's NPV over the Monte Carlo paths [M USD], the outer
    :data:`HISTOGRAM_TAIL` % of all paths at each end left out."""
    fig, (ax,) = _figure()
    finite = [v[np.isfinite(v)] for v in npvs.values()]
    values = np.concatenate(finite) if finite else np.zeros(0)
    if values.size:
        lo, hi = np.percentile(values, [HISTOGRAM_TAIL, 100.0 - HISTOGRAM_TAIL])
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 60)
    else:
        bins = 10
    for k, (key, v) in enumerate(npvs.items()):
        # one filled outline per option, not a bar per bin: a lighter page
        ax.hist(v[np.isfinite(v)], bins=bins, alpha=0.55, label=labels[key],
                histtype="stepfilled", color=colour(key, k))
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_xlabel("NPV [M USD]")
    ax.set_ylabel("paths [count]")
    ax.set_title("NPV over the Monte Carlo paths")
    ax.grid(alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-npv-histograms")


@_plain_text
def win_probability(shares: Mapping[str, float], positive: Mapping[str, float],
                    labels: Mapping[str, str]) -> str:
    """Share of the paths on which each option has the highest NPV, and on which its NPV
    is positive [%]."""
    fig, (ax,) = _figure(7.0, 2.8)
    keys = list(shares)
    y = np.arange(len(keys))
    ax.barh(y + 0.2, [shares[k] for k in keys], 0.4, label="highest NPV",
            color=[colour(k, i) for i, k in enumerate(keys)])
    ax.barh(y - 0.2, [positive[k] for k in keys], 0.4, label="NPV > 0", color="#BBBBBB")
    ax.set_yticks(y, [labels[k] for k in keys])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the paths [%]")
    ax.set_title("Win probability and chance of a positive NPV")
    ax.grid(axis="x", alpha=0.3)
    _legend(ax)
    return svg(fig, "plot-win-probability")


#: Every figure function, by the name its SVG ids start with (a test checks each is drawn).
FIGURES: dict[str, Callable[..., Any]] = {
    "plot-monthly-pue": monthly_pue, "plot-hourly-weather": hourly_weather,
    "plot-power-chain": power_chain, "plot-heat-split": heat_split,
    "plot-units-by-constraint": units_by_constraint,
    "plot-yearly-cash-flows": yearly_cash_flows,
    "plot-cumulative-cash-flows": cumulative_cash_flows,
    "plot-breakeven-surface": breakeven_surface, "plot-npv-histograms": npv_histograms,
    "plot-win-probability": win_probability,
}
