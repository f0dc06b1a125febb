"""The result objects of a comparison: :class:`OptionResult` (one option: fleet, yearly
rows, metrics) and :class:`ComparisonResult` (the options, the winner, the breakevens), with
their JSON (:meth:`~ComparisonResult.to_dict`) and :class:`xarray.Dataset` forms."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rackplan.economics.finance import Financials, margin, yearly
from rackplan.facility.capacity import SizingResult
from rackplan.units import Q_, Quantity, finite_or_none, to_json

__all__ = ["OptionResult", "ComparisonResult", "option_result"]


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
    discount_rate: Quantity = field(default_factory=lambda: Q_(math.nan, "%/year"))
    #: With debt (``debt_share`` > 0): ``borrowed`` [USD], ``npv`` [USD], ``irr`` [%/year]
    #: and ``min_dscr`` [1] of the option financed so (:mod:`rackplan.economics.debt`);
    #: empty without.
    levered: dict[str, Any] = field(default_factory=dict)
    #: With ``stand_alone_tax``: ``npv`` [USD] and ``irr`` [%/year] of the option as a
    #: stand-alone taxpayer, its losses carried forward, its ``income_tax`` within the
    #: horizon [USD] and the ``losses_left`` to deduct after it [USD]
    #: (:mod:`rackplan.economics.taxes`); empty without.
    stand_alone: dict[str, Any] = field(default_factory=dict)
    #: The option's own monthly series and their units (``btc_mined`` [BTC],
    #: ``gpu_hours`` [hour], ``power_cost`` [USD]).
    extra: dict[str, tuple[np.ndarray, str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the fleet, totals, yearly rows and figures, quantities as
        ``{"value", "unit"}``, NaN as ``null``."""
        return {
            "label": self.label,
            **_jsonable(self.fleet),
            "capex": _q_json(self.capex),
            "npv": _q_json(self.npv),
            "discount_rate": _q_json(self.discount_rate),
            "irr": _q_json(self.irr),
            "payback": _q_json(self.payback),
            "revenue_per_mw_year": _q_json(self.revenue_per_mw_year),
            **({"levered": _jsonable(self.levered)} if self.levered else {}),
            **({"stand_alone": _jsonable(self.stand_alone)} if self.stand_alone else {}),
            "yearly": [_jsonable(row) for row in self.yearly],
            "total": _jsonable(self.total),
            **_jsonable(self.details),
        }


@dataclass
class ComparisonResult:
    """The options for one site over one horizon, the winner and the breakevens.

    ``options`` maps each registered option's name (``"mine"``, ``"gpuaas"``,
    ``"colocation"`` and any added, :mod:`rackplan.economics.options`) to its
    :class:`OptionResult`;
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
    #: The inputs whose 10 % move changes the winner's NPV lead most
    #: (:mod:`rackplan.economics.sensitivity`), largest first.
    sensitivities: tuple = ()
    #: How each price and convention is read (``{"btc_price": sentence, ...}``,
    #: :mod:`rackplan.economics.conventions`).
    conventions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"inputs", "options": {name: option}, "breakeven", "winner",
        "sensitivities", "conventions", "warnings"}``, every quantity ``{"value", "unit"}``,
        yearly rows as lists; NaN becomes ``null``."""
        return {
            "inputs": _jsonable(self.inputs),
            "options": {k: v.to_dict() for k, v in self.options.items()},
            "breakeven": _jsonable(self.breakeven),
            "winner": self.winner,
            "sensitivities": [_jsonable(s.to_dict()) for s in self.sensitivities],
            "conventions": dict(self.conventions),
            "warnings": list(self.warnings),
        }

    def _repr_html_(self) -> str:
        """A notebook shows the options side by side, a unit on every row; then the winner,
        the breakevens and the warnings."""
        from rackplan._html import table, text, value_and_unit, warnings_list

        opts = list(self.options.values())
        header = ("quantity", *(o.label for o in opts), "unit")
        rows = [_side_row(label, [get(o) for o in opts]) for label, get in _SIDE_ROWS]
        inp = self.inputs
        title = (f"{inp.get('site_name', '')}: {inp.get('mining_profile', '')} vs "
                 f"{inp.get('gpu_profile', '')}, {inp.get('years', '')} years from "
                 f"{inp.get('market_date', '')}")
        breakevens = [(item.get("meaning", key), *value_and_unit(item["value"]))
                      for key, item in self.breakeven.items()]
        return (f"<div><strong>{text(title)}</strong>"
                + table(header, [r for r in rows if r is not None])
                + f"<p>Highest NPV: {text(self.options[self.winner].label)}</p>"
                + table(("breakeven", "value", "unit"), breakevens)
                + warnings_list(self.warnings) + "</div>")

    def to_xarray(self):
        """An ``xarray.Dataset`` with dimensions ``option`` and ``year``: yearly variables
        (revenue, opex, noi, noi_margin, ebitda, capex, depreciation, income_tax, cash_flow)
        and scalars
        per option (npv, irr, payback, capex, revenue_per_mw_year, units, it_power), each with
        ``attrs["units"]`` and ``long_name``; breakevens as scalars; inputs in ``attrs``."""
        import xarray as xr

        names = list(self.options)
        n_years = len(next(iter(self.options.values())).yearly)
        yearly_vars = ("revenue", "opex", "noi", "noi_margin", "ebitda", "capex",
                       "depreciation", "income_tax", "cash_flow")
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


    def monthly(self):
        """The cash flows month by month, as a CFO takes them into a spreadsheet: an
        ``xarray.Dataset`` with dimensions ``option`` and ``month`` (0 is the market date's
        month; coordinate ``date``, the first day each month counts from), one variable per
        line: revenue, each operating cost, opex, NOI, SG&A, EBITDA, capex (IT, facility,
        total), depreciation, tax depreciation, income tax, terminal value, cash flow, and
        each option's own series (BTC mined, GPU-hours sold); every one with
        ``attrs["units"]`` and ``long_name``. A line an option does not have is 0 there.
        ``rackplan compare --monthly FILE`` writes it (.csv, .xlsx, .nc, .json)."""
        import xarray as xr

        opts = list(self.options.values())
        n = len(opts[0].finance.revenue)
        start = _dt.date.fromisoformat(str(self.inputs["market_date"]))
        series: dict[str, tuple[str, str, list[np.ndarray]]] = {}

        def put(name, unit, long_name, get):
            series[name] = (unit, long_name, [np.asarray(get(o), dtype=float) for o in opts])

        put("revenue", "USD", _LONG["revenue"], lambda o: o.finance.revenue)
        cost_names = list(dict.fromkeys(k for o in opts for k in o.finance.opex_lines))
        for k in cost_names:
            put(k, "USD", f"operating cost: {k.replace('_', ' ')}",
                lambda o, k=k: o.finance.opex_lines.get(k, np.zeros(n)))
        for name in ("opex", "noi", "sga", "ebitda", "capex_it", "capex_facility", "capex",
                     "depreciation", "tax_depreciation", "income_tax", "residual",
                     "cash_flow"):
            put(name, "USD", _MONTHLY_LONG.get(name) or _LONG[name],
                lambda o, name=name: getattr(o.finance, name))
        # the options' own volumes (their money series are lines above already)
        extras = {k: unit for o in opts for k, (_, unit) in o.extra.items() if unit != "USD"}
        for k, unit in extras.items():
            if k not in series:
                put(k, unit, k.replace("_", " "),
                    lambda o, k=k: o.extra[k][0] if k in o.extra else np.zeros(n))
        data_vars = {name: xr.Variable(("option", "month"), np.stack(rows),
                                       {"units": unit, "long_name": long_name})
                     for name, (unit, long_name, rows) in series.items()}
        dates = np.array([_add_months(start, m) for m in range(n)], dtype="datetime64[D]")
        coords = {"option": list(self.options), "month": np.arange(n),
                  "date": ("month", dates, {"long_name": "first day of the month"})}
        attrs = {"market_date": start.isoformat(), "winner": self.winner,
                 "site": str(self.inputs.get("site")),
                 "labels": "; ".join(f"{k}: {o.label}" for k, o in self.options.items())}
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


#: The rows of the notebook table: a label and how each option gives the value.
_SIDE_ROWS = (
    ("units", lambda o: o.fleet.get("units")),
    ("racks", lambda o: o.fleet.get("racks")),
    ("IT power", lambda o: o.fleet.get("it_power")),
    ("capex", lambda o: o.capex.to("MUSD")),
    ("revenue over the horizon", lambda o: o.total["revenue"].to("MUSD")),
    ("NOI over the horizon", lambda o: o.total["noi"].to("MUSD")),
    ("NPV", lambda o: o.npv.to("MUSD")),
    ("IRR", lambda o: o.irr),
    ("payback", lambda o: o.payback),
)


def _side_row(label: str, values: list) -> tuple | None:
    """One row of the side-by-side table; the unit is the first option's (they share it)."""
    from rackplan._html import value_and_unit

    shown = [value_and_unit(v) for v in values]
    unit = next((u for _, u in shown if u), "")
    return (label, *(t for t, _ in shown), unit)


def _add_months(day: _dt.date, months: int) -> _dt.date:
    """``day`` moved by whole months, on the same day of the month where it exists (else
    the month's last day)."""
    import calendar

    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month + 1,
                       day=min(day.day, calendar.monthrange(year, month + 1)[1]))


#: Long names of the monthly lines that have none among the yearly ones.
_MONTHLY_LONG = {
    "sga": "SG&A", "capex_it": "capital expenditure: IT (miners, GPU systems, installation)",
    "capex_facility": "capital expenditure: facility",
    "tax_depreciation": "depreciation deducted from taxable income",
    "residual": "terminal value (in the month it counts)",
}


_LONG = {
    "revenue": "revenue", "opex": "site operating costs", "noi": "net operating income",
    "noi_margin": "NOI margin (NOI / revenue)", "ebitda": "EBITDA (NOI - SG&A)",
    "capex": "capital expenditure", "depreciation": "straight-line depreciation",
    "cash_flow": "unlevered cash flow after income tax (EBITDA - capex + terminal value - "
                 "income tax)",
    "income_tax": "income tax (tax_rate x (EBITDA - tax depreciation + residual value); "
                  "negative: a loss that lowers the owner's other taxes)",
    "residual_value": "terminal value: what the assets are worth at the horizon (by the "
                      "market's terminal_value convention), in the last month",
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


def _rows(fin: Financials, start_date: _dt.date, extra: dict[str, tuple[np.ndarray, str]],
          means: dict[str, tuple[np.ndarray, str]] | None = None):
    """Yearly rows and the total row of one option: the lines and ``extra`` summed, the
    ``means`` (a rate, a price) averaged over each year's months."""
    lines = {
        "revenue": fin.revenue, "opex": fin.opex, "noi": fin.noi, "sga": fin.sga,
        "ebitda": fin.ebitda, "capex": fin.capex, "depreciation": fin.depreciation,
        "residual_value": fin.residual, "income_tax": fin.income_tax,
        "cash_flow": fin.cash_flow,
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
    for k, (v, unit) in (means or {}).items():
        per_year = yearly(v) / yearly(np.ones_like(v))
        for row, value in zip(rows, per_year):
            row[k] = Q_(float(value), unit)
        total[k] = Q_(float(np.mean(v)), unit)
    return rows, total


def _percent(share: float) -> float:
    """``100 x share``, NaN if that is not a finite number (a margin on almost no revenue)."""
    value = 100.0 * share
    return value if math.isfinite(value) else math.nan


def option_result(name: str, label: str, fin: Financials, fleet: dict[str, Any],
                  it_power_w: float, start_date: _dt.date,
                  extra: dict[str, tuple[np.ndarray, str]], details: dict[str, Any],
                  n_months: int, discount_rate: float = math.nan,
                  means: dict[str, tuple[np.ndarray, str]] | None = None) -> OptionResult:
    """One option's result from its monthly finance lines; ``npv`` at ``discount_rate``
    [1/year]; ``means``: monthly series shown as yearly means."""
    rows, total = _rows(fin, start_date, extra, means)
    operating_years = max(0, n_months - fin.start) / 12.0
    per_mw_year = (fin.revenue.sum() / (it_power_w / 1e6) / operating_years
                   if it_power_w > 0 and operating_years > 0 else math.nan)
    return OptionResult(
        name=name, label=label, fleet=fleet, capex=_musd(fin.capex.sum()),
        yearly=rows, total=total, npv=_musd(fin.npv), irr=Q_(100.0 * fin.irr, "%/year"),
        payback=Q_(fin.payback, "month"), revenue_per_mw_year=Q_(per_mw_year, "USD/MW/year"),
        details=details, finance=fin, discount_rate=Q_(100.0 * discount_rate, "%/year"),
        extra=dict(extra))
