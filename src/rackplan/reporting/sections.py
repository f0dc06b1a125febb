"""The report's sections, in reading order: each a function of :class:`ReportData` that
returns its HTML (every string escaped by :mod:`rackplan._html`, every number with its unit).

No physics and no economics: values are taken from the results, converted to the units
people read (M USD, MW, %), and laid out. :data:`SECTIONS` is the order of the page.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import numpy as np

from rackplan._html import MISSING, number_text, table, text, value_and_unit
from rackplan.reporting import plots

__all__ = ["SECTIONS", "Section", "PRICES"]

#: The prices the report draws NPV lines against (:mod:`rackplan.reporting.build` computes
#: them): name, label, the unit people write it in.
PRICES = (("btc_price", "BTC price", "USD/BTC"),
          ("gpu_hour_price", "GPU-hour price", "USD/hour"),
          ("power_price", "power price", "USD/MWh"))

Section = tuple[str, str, Callable[[Any], str]]  # (anchor id, title, builder)


def _musd(q) -> str:
    """A quantity of money in M USD as text (``n/a`` when not a finite number)."""
    return number_text(float(q.m_as("USD")) / 1e6)


def _in(q, unit: str) -> str:
    return number_text(float(q.m_as(unit)))


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="plot">{svg}<figcaption>{text(caption)}</figcaption></figure>'


def _labels(data) -> dict[str, str]:
    return {key: o.label for key, o in data.comparison.options.items()}


def _given(value: Any, model: Any, default_note: str = "built-in default") -> str:
    """How an input was given: the id or path as typed, or the built-in default's id."""
    if value is None:
        return f"{model.id} ({default_note})"
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return str(value)
    return f"{getattr(model, 'id', '') or getattr(model, 'name', '')} (a model passed in)"


# --- 1. the case and the verdict ------------------------------------------------------------

def summary(data) -> str:
    """The answer first: the winning option, its NPV and IRR, and the claim checked."""
    c = data.comparison
    opts = c.options
    win = opts[c.winner]
    inp = c.inputs
    lead = (f"<p class=\"verdict\">Highest NPV under these assumptions: "
            f"<strong>{text(win.label)}</strong>, {text(_musd(win.npv))} M USD at a "
            f"{text(number_text(float(win.discount_rate.m_as('%/year'))))} %/year discount "
            f"rate, over {text(inp['years'])} years from {text(inp['market_date'])}.</p>")
    if all(float(o.npv.m_as("USD")) < 0 for o in opts.values()):
        lead += "<p>Every option's NPV is negative: none repays its capex.</p>"
    rows = [("site", f"{inp['site_name']} ({inp['site']})", ""),
            ("mining hardware", inp["mining_profile"], ""),
            ("GPU hardware", inp["gpu_profile"], ""),
            ("market", f"{inp['market']}, dated {inp['market_date']}", ""),
            ("horizon", str(inp["years"]), "year"),
            ("utility feed", *value_and_unit(inp["utility_power"]))]
    head = table(("the case", "", "unit"), rows, numeric_from=9)
    return lead + head + _side_by_side(data) + _conventions(c)


def _side_by_side(data) -> str:
    opts = data.comparison.options
    keys = list(opts)

    def row(label, unit, get):
        return (label, *(get(opts[k]) for k in keys), unit)

    rows = [
        row("units", "count", lambda o: number_text(o.fleet["units"])),
        row("racks", "count", lambda o: number_text(o.fleet["racks"])),
        row("IT power", "MW", lambda o: _in(o.fleet["it_power"], "MW")),
        row("capex", "M USD", lambda o: _musd(o.capex)),
        row("revenue over the horizon", "M USD", lambda o: _musd(o.total["revenue"])),
        row("NOI over the horizon", "M USD", lambda o: _musd(o.total["noi"])),
        row("NOI margin", "%", lambda o: _in(o.total["noi_margin"], "%")),
        row("EBITDA over the horizon", "M USD", lambda o: _musd(o.total["ebitda"])),
        row("income tax over the horizon", "M USD", lambda o: _musd(o.total["income_tax"])),
        row("terminal value", "M USD", lambda o: _musd(o.total["residual_value"])),
        row("discount rate", "%/year", lambda o: _in(o.discount_rate, "%/year")),
        row("NPV", "M USD", lambda o: _musd(o.npv)),
        row("IRR", "%/year", lambda o: _in(o.irr, "%/year")),
        row("payback", "month", lambda o: _in(o.payback, "month")),
        row("revenue per MW of IT a year", "M USD/(MW*year)",
            lambda o: number_text(float(o.revenue_per_mw_year.m_as("USD/MW/year")) / 1e6)),
    ]
    if all(opts[k].levered for k in keys):  # with debt: the levered figures too
        rows += [row("borrowed", "M USD", lambda o: _musd(o.levered["borrowed"])),
                 row("NPV levered", "M USD", lambda o: _musd(o.levered["npv"])),
                 row("IRR levered", "%/year", lambda o: _in(o.levered["irr"], "%/year")),
                 row("minimum DSCR", "1", lambda o: _in(o.levered["min_dscr"], ""))]
    if all(opts[k].stand_alone for k in keys):  # stand_alone_tax: losses carried forward
        rows += [row("NPV, stand-alone taxpayer", "M USD",
                     lambda o: _musd(o.stand_alone["npv"])),
                 row("IRR, stand-alone taxpayer", "%/year",
                     lambda o: _in(o.stand_alone["irr"], "%/year")),
                 row("tax losses left at the horizon", "M USD",
                     lambda o: _musd(o.stand_alone["losses_left"]))]
    return table(("", *(opts[k].label for k in keys), "unit"), rows,
                 caption="NPV, IRR and payback side by side")


def _conventions(c) -> str:
    items = "".join(f"<li><strong>{text(k.replace('_', ' '))}</strong>: {text(v)}</li>"
                    for k, v in c.conventions.items())
    return f"<p>How the prices are read:</p><ul>{items}</ul>" if items else ""


# --- 2. every input with its source ----------------------------------------------------------

_CASE_KEYS = ("site", "site_name", "mining_profile", "gpu_profile", "market", "market_date",
              "years")


def _cited(name: str, sources) -> list[str]:
    """The sources of a file whose ``supports`` names field ``name`` as a whole word."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")
    return [s.url for s in sources if word.search(s.supports)]


def _source_of(name: str, data) -> str:
    """Where an input of the comparison comes from, as far as the files say."""
    from rackplan.economics.market import Market
    from rackplan.facility.site import Site

    site, _, _, market = data.models
    head = name.split(".")[0]
    if head in data.site_overrides or head in data.market_overrides or any(
            k.split(".")[0] == head for k in (*data.site_overrides, *data.market_overrides)):
        return "--set (this run)"
    if head in Site.model_fields:
        where = f"site {_given(data.case['site'], site)}"
        if head not in site.model_fields_set and getattr(site, head, None) is None:
            return "not given"
        return where if head in site.model_fields_set else "rackplan's default (docs/sizing.md)"
    if head in Market.model_fields:
        where = f"market {_given(data.case['market'], market)}"
        if head not in market.model_fields_set:
            if getattr(market, head, None) is None:
                return "not given"
            if Market.model_fields[head].default is None:  # e.g. the hash rate: from the
                return "derived by rackplan from the market's other fields"  # difficulty
            return "rackplan's default (docs/economics.md)"
        cited = _cited(head, market.sources)
        return where + ("; cited: " + ", ".join(cited) if cited else "")
    return "derived by rackplan from the site and hardware (see Sizing)"


def inputs(data) -> str:
    """The files the case was read from and every input with its value, unit and source."""
    c = data.comparison
    site, mining, gpu, market = data.models
    files = [("site", _given(data.case["site"], site)),
             ("mining hardware", _given(data.case["mining_profile"], mining)),
             ("GPU hardware", _given(data.case["gpu_profile"], gpu)),
             ("market", _given(data.case["market"], market))]
    files += [(f"--set {k}", str(v)) for k, v in data.case["overrides"].items()]
    out = [table(("input", "given as"), files, numeric_from=9,
                 caption="What ran: the files and the --set overrides")]
    rows = []
    for name, value in c.inputs.items():
        if name in _CASE_KEYS:
            continue
        rows.append((name, *value_and_unit(value), _source_of(name, data)))
    out.append(table(("input", "value", "unit", "source"), rows,
                     caption="Every input of the economics, in the unit people write it in"))
    out.append(_site_table(data))
    for profile in (mining, gpu):
        out.append(_profile_table(profile))
    if market.notes:
        out.append(f"<p>Market notes: {text(market.notes)}</p>")
    out.append(_sources_list("Market sources", market.sources))
    return "".join(out)


def _flatten(model, prefix: str = ""):
    """``(dotted name, value)`` of every field of a pydantic model, nested models opened."""
    from pydantic import BaseModel

    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _site_table(data) -> str:
    site = data.models[0]
    rows = []
    for name, value in _flatten(site):
        if name == "id":
            continue
        shown, unit = value_and_unit(value) if value is not None else ("not given", "")
        rows.append((name, shown, unit, _source_of(name, data)))
    return table(("site field", "value", "unit", "source"), rows,
                 caption=f"The site: {site.name} (a field not given is not constrained, "
                         "or takes its plant type's value)")


_PROFILE_FIELDS = ("power_max", "power_typical", "power_peak", "power_outside_rack",
                   "units_per_rack", "gpus_per_unit", "hashrate", "rack_weight",
                   "rack_footprint", "cooling.method", "cooling.liquid_fraction",
                   "cooling.coolant_supply_max", "cooling.air_inlet_max")


def _profile_table(profile) -> str:
    rows = []
    for name in _PROFILE_FIELDS:
        value = profile
        for part in name.split("."):
            value = getattr(value, part, None)
        if value is None:
            continue
        cited = _cited(name.split(".")[-1], profile.sources)
        rows.append((name, *value_and_unit(value), ", ".join(cited) or "profile file"))
    flow = profile.cooling.flow_table
    if flow is not None:  # the OEM's flow per rack, the table sizing interpolates in
        points = ", ".join(f"{number_text(float(t.m_as('degC')))} degC: "
                           f"{number_text(float(f.m_as('L/min')))} L/min"
                           for t, f in zip(flow.supply_temperature, flow.rack_flow))
        rows.append(("cooling.flow_table", points, "", flow.source))
    out = table(("field", "value", "unit", "source"), rows,
                caption=f"{profile.name} ({profile.id}, {profile.kind})")
    if profile.assumptions:
        out += f"<p class=\"note\">Assumptions in the profile: {text(profile.assumptions)}</p>"
    return out + _sources_list(f"Sources of {profile.id}", profile.sources)


def _sources_list(title: str, sources) -> str:
    if not sources:
        return ""
    items = "".join(f'<li><a href="{text(s.url)}">{text(s.url)}</a>: {text(s.supports)}</li>'
                    for s in sources)
    return f"<details><summary>{text(title)} ({len(sources)})</summary><ul>{items}</ul></details>"


# --- 3. sizing -------------------------------------------------------------------------------

_SIZING_ROWS = (
    ("hardware", lambda s: s.inputs.get("profile")),
    ("units that fit", lambda s: s.unit_count),
    ("racks", lambda s: s.rack_count),
    ("binding constraint", lambda s: s.binding_constraint),
    ("utility feed", lambda s: s.utility_power),
    ("PUE in the design hour (sizes the fleet)", lambda s: s.pue),
    ("where the PUE comes from", lambda s: s.inputs.get("pue_from")),
    ("IT power the feed allows (feed / PUE)", lambda s: s.it_power_available),
    ("IT power of the units that fit", lambda s: s.it_power),
    ("facility power (IT x PUE)", lambda s: s.facility_power),
    ("feed left unused", lambda s: s.stranded_power),
    ("heat to liquid", lambda s: s.heat_to_liquid),
    ("heat to air", lambda s: s.heat_to_air),
    ("coolant flow", lambda s: s.coolant_flow),
    ("coolant flow per full rack", lambda s: s.rack_coolant_flow),
    ("airflow at the rack inlet", lambda s: s.airflow),
    ("CDUs including redundancy", lambda s: s.cdu_count),
    ("CDUs the heat needs", lambda s: s.cdus_by_heat),
    ("CDUs the flow needs", lambda s: s.cdus_by_flow),
    ("what sets the CDU count", lambda s: s.cdu_basis),
    ("IT power per full rack", lambda s: s.power_density_rack),
    ("IT power per m^2 of white space", lambda s: s.power_density_area),
    ("hash rate", lambda s: s.hashrate),
    ("GPUs", lambda s: s.gpu_count),
)


def _halls(data) -> dict[str, Any]:
    """The sizing of each hall ({label: SizingResult}): colocation shares the GPU hall's."""
    c = data.comparison
    out, seen = {}, []
    for key, option in c.options.items():
        result = c.sizing.get(key)
        if result is None or any(result is s for s in seen):
            continue
        seen.append(result)
        out[option.label if key != "gpuaas" else "GPU-as-a-service and colocation"] = result
    return out


def sizing(data) -> str:
    """Each hall's sizing side by side: units, racks, what binds, power, heat and CDUs."""
    halls = _halls(data)
    labels = list(halls)
    rows = []
    for label, get in _SIZING_ROWS:
        cells = [value_and_unit(get(halls[h])) for h in labels]
        unit = next((u for _, u in cells if u), "")
        rows.append((label, *(t for t, _ in cells), unit))
    out = [table(("", *labels, "unit"), rows, caption="What fits and what the cooling carries")]
    chain = {h: {"IT": float(s.it_power.m_as("MW")),
                 "facility overhead": float((s.facility_power - s.it_power).m_as("MW")),
                 "unused": float(s.stranded_power.m_as("MW"))} for h, s in halls.items()}
    out.append(_figure(plots.power_chain(chain), "From the utility feed to the IT, per hall "
                       "[MW]: the overhead is cooling, power-chain losses and house load in "
                       "the design hour."))
    out.append(_figure(plots.heat_split({h: (float(s.heat_to_liquid.m_as("MW")),
                                             float(s.heat_to_air.m_as("MW")))
                                         for h, s in halls.items()}),
                       "Heat to liquid and to air per hall [MW]."))
    counts = {h: {k.replace("_", " "): v for k, v in s.units_by.items() if v}
              for h, s in halls.items()}
    out.append(_figure(plots.units_by_constraint(counts),
                       "Units each constraint alone allows [count]; the fewest binds."))
    return "".join(out)


# --- 4. the year of weather ------------------------------------------------------------------

def weather(data) -> str:
    """The year of weather per hall: annual and monthly PUE, free-cooling hours, water."""
    years = {k: v for k, v in data.annual.items() if not isinstance(v, str)}
    missing = [f"<p>{text(k)}: not modelled hour by hour: {text(v)}</p>"
               for k, v in data.annual.items() if isinstance(v, str)]
    if not years:
        return "".join(missing)
    labels = list(years)
    first = years[labels[0]]
    lead = (f"<p>Weather year: {text(first.inputs.get('weather_station', ''))} "
            f"({text(first.inputs.get('weather', ''))}); plant: "
            f"{text(first.inputs.get('plant', ''))}.</p>")
    rows = [("annual PUE (prices the energy)", lambda a: a.annual_pue, "1"),
            ("PUE at the design condition", lambda a: a.peak_pue, "1"),
            ("hours on free cooling (no chiller)", lambda a: a.free_cooling_hours, "hour"),
            ("hours with a chiller", lambda a: a.chiller_hours, "hour"),
            ("hours the air side runs without a chiller", lambda a: a.economizer_hours,
             "hour"),
            ("hours the plant cannot hold the supply", lambda a: a.unmet_hours, "hour"),
            ("site water over the year", lambda a: a.water_use.m_as("m**3"), "m^3"),
            ("WUE", lambda a: a.wue.m_as("L/kWh"), "L/kWh"),
            ("IT energy", lambda a: a.it_energy.m_as("MWh"), "MWh"),
            ("facility energy", lambda a: a.facility_energy.m_as("MWh"), "MWh"),
            ("cooling energy", lambda a: a.cooling_energy.m_as("MWh"), "MWh"),
            ("chiller energy", lambda a: a.chiller_energy.m_as("MWh"), "MWh"),
            ("design dry bulb", lambda a: a.design_dry_bulb.m_as("degC"), "degC"),
            ("design wet bulb", lambda a: a.design_wet_bulb.m_as("degC"), "degC")]
    body = [(label, *(number_text(get(years[h])) for h in labels), unit)
            for label, get, unit in rows]
    months = [(plots.MONTHS[m], *(number_text(years[h].monthly_pue[m]) for h in labels), "1")
              for m in range(12)]
    out = [lead, *missing, table(("", *labels, "unit"), body, caption="The year"),
           _figure(plots.monthly_pue({h: years[h].monthly_pue for h in labels}),
                   "Monthly PUE of each hall [1]."),
           table(("month", *labels, "unit"), months, caption="Monthly PUE")]
    hourly = years[labels[-1]].hourly
    if hourly is not None:
        day = (np.asarray(hourly["hour"].values) - 0.5) / 24.0
        out.append(_figure(plots.hourly_weather(day, hourly["dry_bulb"].values,
                                                hourly["pue"].values, labels[-1]),
                           f"The weather year hour by hour [degC], and the PUE of the "
                           f"{labels[-1]} [1]."))
    return "".join(out)


# --- 5. the economics ------------------------------------------------------------------------

_YEARLY = (("revenue", "revenue"), ("opex", "site operating costs"), ("noi", "NOI"),
           ("capex", "capex"), ("income_tax", "income tax"),
           ("residual_value", "terminal value"), ("cash_flow", "cash flow after tax"))


def economics(data) -> str:
    """Yearly cash flows per option and NPV, IRR and payback side by side, with plots."""
    c = data.comparison
    opts = c.options
    labels = _labels(data)
    out = ["<p>Every amount in M USD, by year of the horizon (year 1 starts on the market "
           "date). Cash flow = EBITDA - capex + terminal value - income tax.</p>"]
    for key, o in opts.items():
        rows = [(str(r["year"]), r["start"], *(_musd(r[k]) for k, _ in _YEARLY), "M USD")
                for r in o.yearly]
        rows.append(("total", "", *(_musd(o.total[k]) for k, _ in _YEARLY), "M USD"))
        out.append(table(("year", "from", *(label for _, label in _YEARLY), "unit"), rows,
                         caption=f"{o.label}: yearly cash flows", numeric_from=2))
    first = next(iter(opts.values()))
    years = [r["year"] for r in first.yearly]
    flows = {k: [float(r["cash_flow"].m_as("USD")) / 1e6 for r in o.yearly]
             for k, o in opts.items()}
    out.append(_figure(plots.yearly_cash_flows(years, flows, labels),
                       "Yearly cash flow after tax per option [M USD]."))
    running = {k: np.cumsum(np.asarray(o.finance.cash_flow, dtype=float)) / 1e6
               for k, o in opts.items()}
    months = np.arange(len(first.finance.cash_flow))
    out.append(_figure(plots.cumulative_cash_flows(months, running, labels),
                       "Running (undiscounted) cash flow month by month [M USD]; the "
                       "terminal value arrives in the last month."))
    out.append(_sensitivities(c))
    out.append(_mining_details(opts))
    return "".join(out)


def _sensitivities(c) -> str:
    if not c.sensitivities:
        return ""
    opts = c.options
    rows = []
    for s in c.sensitivities:
        flips = sorted({w for w in (s.winner_down, s.winner_up) if w != c.winner})
        rows.append((s.name, number_text(s.value), s.unit,
                     number_text(s.lead_down / 1e6), number_text(s.lead / 1e6),
                     number_text(s.lead_up / 1e6),
                     ", ".join(opts[w].label for w in flips) or "no change"))
    return table(("input", "value", "its unit", "lead at -10 % [M USD]", "lead now [M USD]",
                  "lead at +10 % [M USD]", "winner changes to"), rows,
                 caption=f"What decides it: {opts[c.winner].label}'s NPV lead over the "
                         "runner-up when each input moves 10 %")


_MINING_DETAILS = (("hashprice", "hashprice after the pool fee", "USD/PH/day"),
                   ("hashcost", "power cost of 1 PH/s (with demand charge)", "USD/PH/day"),
                   ("btc_mined", "BTC mined over the horizon", "BTC"),
                   ("cost_per_btc", "cash cost per BTC", "USD/BTC"),
                   ("all_in_cost_per_btc", "all-in cost per BTC", "USD/BTC"),
                   ("breakeven_btc_price_month1", "cash breakeven BTC price, month 1",
                    "USD/BTC"),
                   ("breakeven_power_price_month1", "cash breakeven power price, month 1",
                    "USD/MWh"))


def _mining_details(opts) -> str:
    mine = opts.get("mine")
    if mine is None:
        return ""
    rows = [(label, _in(mine.details[key], unit), unit)
            for key, label, unit in _MINING_DETAILS if key in mine.details]
    return table(("mining at the market date", "value", "unit"), rows)


# --- 6. breakevens ---------------------------------------------------------------------------

def breakevens(data) -> str:
    """Each breakeven line (input, value, unit) and the breakeven surface where one was run."""
    c = data.comparison
    units = {line.name: line.unit for line in data.lines}
    rows = []
    for name, item in c.breakeven.items():
        unit = units.get(name) or value_and_unit(item["value"])[1]
        rows.append((item.get("meaning", name), _in(item["value"], unit),
                     _in(item["assumed"], unit), unit,
                     item.get("note", "") or _below_zero(float(item["value"].m_as(unit)))))
    out = [table(("breakeven", "value", "assumed", "unit", "note"), rows,
                 caption="Breakeven prices: where mining's NPV equals GPU-as-a-service's")]
    labels = _labels(data)
    for line in data.lines:
        npv = {k: v / 1e6 for k, v in line.npv.items()}
        note = "" if line.breakeven is None or _drawn(line) else (
            f" The breakeven, {number_text(line.breakeven)} {line.unit}, is off the chart.")
        out.append(_figure(plots.npv_lines(line.name, line.label, line.unit, line.x, npv,
                                           labels, line.assumed,
                                           line.breakeven if _drawn(line) else None),
                           f"Each option's NPV [M USD] against the {line.label} "
                           f"[{line.unit}], all else as assumed.{note}"))
    out.append(_surface(data))
    return "".join(out)


def _below_zero(value: float) -> str:
    # The NPVs are linear in each price: a crossing below zero means none at a real price.
    if np.isfinite(value) and value <= 0:
        return ("below zero: at every positive price the two NPVs keep the order they have "
                "at the assumed price")
    return ""


def _drawn(line) -> bool:
    return line.breakeven is not None and line.x[0] <= line.breakeven <= line.x[-1]


def _surface(data) -> str:
    da = data.surface
    y_name, x_name = da.dims
    names = {n: (label, unit) for n, label, unit in PRICES}
    solve_for = da.attrs.get("solve_for", "")
    z_label, z_unit = names.get(solve_for, (solve_for, da.attrs.get("units", "")))
    x, y, z = (np.asarray(da[x_name].values), np.asarray(da[y_name].values),
               np.asarray(da.values, dtype=float))
    be = data.comparison.breakeven
    assumed = (float(be[x_name]["assumed"].m_as(names[x_name][1])),
               float(be[y_name]["assumed"].m_as(names[y_name][1])))
    assumed_z = float(be[solve_for]["assumed"].m_as(z_unit))
    svg = plots.breakeven_surface(
        x, y, z, x_label=f"{names[x_name][0]} [{names[x_name][1]}]",
        y_label=f"{names[y_name][0]} [{names[y_name][1]}]",
        z_label=f"breakeven {z_label} [{z_unit}]", assumed=assumed, assumed_z=assumed_z)
    rows = [(number_text(yv), *(number_text(v) for v in z[i])) for i, yv in enumerate(y)]
    grid = table((f"{names[y_name][0]} [{names[y_name][1]}] \\ {names[x_name][0]} "
                  f"[{names[x_name][1]}]", *(number_text(v) for v in x)), rows,
                 caption=f"Breakeven {z_label} [{z_unit}] over the grid")
    finite = z[np.isfinite(z)]
    line = (f", the white line the assumed {z_label}" if finite.size
            and finite.min() < assumed_z < finite.max() else
            f"; the assumed {z_label}, {number_text(assumed_z)} {z_unit}, is off this surface")
    return (_figure(svg, f"The {z_label} [{z_unit}] at which GPU-as-a-service's NPV equals "
                         f"mining's, over the {names[x_name][0]} and the {names[y_name][0]}; "
                         f"the star is the case{line}.")
            + grid)


# --- 7. Monte Carlo --------------------------------------------------------------------------

#: The units of the Monte Carlo settings (rackplan.studies.montecarlo documents each).
_MC_UNITS = {"btc_drift": "1/year", "btc_volatility": "1/sqrt(year)",
             "difficulty_volatility": "1/sqrt(month)", "gpu_price_volatility": "1/sqrt(year)",
             "utilization_volatility": "1", "utilization_persistence": "1 (per month)",
             "correlation": "1", "gpu_price_persistence": "1 (per month)",
             "btc_trend_uncertainty": "1/year", "difficulty_trend_uncertainty": "1/year",
             "gpu_trend_uncertainty": "1/year"}


def montecarlo(data) -> str:
    """The Monte Carlo distributions per option and each option's probability of winning."""
    from rackplan.studies.montecarlo import summary as mc_summary

    ds = data.montecarlo
    labels = _labels(data)
    settings = json.loads(ds.attrs.get("settings", "{}"))
    run = [("paths", number_text(int(ds.attrs["paths"])), "count"),
           ("seed", str(int(ds.attrs["seed"])), "")]
    run += [(k.replace("_", " "), "the market's" if v is None else number_text(float(v)),
             _MC_UNITS.get(k, "1")) for k, v in settings.items()]
    out = [table(("setting", "value", "unit"), run,
                 caption="The run (defaults and their sources: rackplan.studies.montecarlo)")]
    summary = mc_summary(ds)
    rows = []
    for key in (k for k in summary if k != "run"):
        section = summary[key]
        for name in ("npv_p5", "npv_p50", "npv_p95", "npv_mean", "noi_p5", "noi_p50",
                     "noi_p95"):
            q = section.get(name)
            section[name] = MISSING if q is None else _musd(q)
        rows.append((labels.get(key, key), *(section[n] for n in (
            "npv_p5", "npv_p50", "npv_p95", "npv_mean", "noi_p50")),
            *(MISSING if section.get(n) is None else _in(section[n], "percent")
              for n in ("npv_positive_probability", "win_probability"))))
    out.append(table(("option", "NPV P5 [M USD]", "NPV P50 [M USD]", "NPV P95 [M USD]",
                      "NPV mean [M USD]", "NOI P50 [M USD]", "NPV > 0 [%]",
                      "highest NPV [%]"), rows, caption="Distributions over the paths"))
    npvs = {k: np.asarray(ds[f"npv_{k}"].values, dtype=float) / 1e6 for k in labels
            if f"npv_{k}" in ds}
    if npvs:
        out.append(_figure(plots.npv_histograms(npvs, labels),
                           "NPV of each option over the paths [M USD]."))
    win = {str(k): 100.0 * float(v) for k, v in zip(ds["option"].values,
                                                    ds["win_probability"].values)}
    positive = {str(k): 100.0 * float(v) for k, v in zip(
        ds["option"].values, ds["npv_positive_probability"].values)}
    out.append(_figure(plots.win_probability(win, positive, labels),
                       "Share of the paths on which each option wins, and on which its NPV "
                       "is positive [%]."))
    return "".join(out)


# --- 8. warnings and the run -----------------------------------------------------------------

def findings(data) -> str:
    """The warnings of the comparison and of each hall's year, each said once."""
    items = list(data.comparison.warnings)
    halls_of: dict[str, list[str]] = {}  # a finding both halls share is said once
    for hall, year in data.annual.items():
        for finding in ([f"not modelled hour by hour: {year}"] if isinstance(year, str)
                        else year.warnings):
            halls_of.setdefault(finding, []).append(hall)
    items += [f"{' and '.join(halls)}: {finding}" for finding, halls in halls_of.items()]
    items += data.notes
    if not items:
        return "<p>None.</p>"
    return "<ul class=\"warnings\">" + "".join(f"<li>{text(w)}</li>" for w in items) + "</ul>"


def about(data) -> str:
    """How the report was made: the command that rebuilds it, the version and the date."""
    case = data.case
    words = ["rackplan", "report"]
    for flag, key in (("--site", "site"), ("--mining-profile", "mining_profile"),
                      ("--gpu-profile", "gpu_profile"), ("--market", "market")):
        if isinstance(case[key], str):
            words += [flag, case[key]]
    words += [w for k, v in case["overrides"].items() for w in ("--set", f"{k}={v}")]
    words += ["--years", str(case["years"]), "--paths", str(case["paths"]),
              "--seed", str(case["seed"])]
    import shlex

    return (f"<p>rackplan {text(data.version)}, generated {text(data.generated)}. The same "
            f"command gives the same numbers:</p><pre>{text(shlex.join(words))}</pre>"
            "<p>rackplan is a planning tool, not a quote: check the numbers that decide "
            "your case. Every default and its source is in the files named above and in "
            "rackplan's documentation.</p>")


#: The page, in reading order.
SECTIONS: tuple[Section, ...] = (
    ("summary", "The case and the verdict", summary),
    ("inputs", "Inputs and their sources", inputs),
    ("sizing", "Sizing", sizing),
    ("weather", "The year of weather", weather),
    ("economics", "Cash flows", economics),
    ("breakeven", "Breakevens", breakevens),
    ("montecarlo", "Monte Carlo", montecarlo),
    ("warnings", "Warnings", findings),
    ("about", "About this report", about),
)
