"""A year of the cooling plant, hour by hour: :func:`annual`.

>>> import rackplan
>>> r = rackplan.annual("moses-lake", "gb300-nvl72")                 # doctest: +SKIP
>>> r.annual_pue, r.peak_pue                                          # doctest: +SKIP

The units that fit come from :func:`rackplan.facility.capacity.size`, which sizes them on the
plant's PUE in the design hour (:func:`rackplan.facility.plant.design_pue`), so they fit the
feed on the hottest hours; their IT power runs every hour of the site's weather year through
the plant of :mod:`rackplan.kernels.plant`. Outputs:

- ``annual_pue``: annual facility energy over annual IT energy (ISO/IEC 30134-2);
- ``peak_pue``: the PUE at the design condition (the site's ``design_dry_bulb`` and
  ``design_wet_bulb``, else the weather year's 0.4 % values);
- ``wue``: annual site water over annual IT energy, L/kWh (ISO/IEC 30134-9);
- ``water_use`` (m^3/year), ``free_cooling_hours`` (no chiller runs), ``chiller_hours`` and
  ``chiller_energy`` (trim or main chillers, liquid and air side), ``economizer_hours`` (the
  air side without a chiller), ``unmet_hours`` (a plant without chillers that cannot hold the
  supply temperature: miners curtail), ``monthly_pue``;
- ``hourly``: an :class:`xarray.Dataset` of the 8,760 hours, units in ``attrs["units"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rackplan.errors import SiteError
from rackplan.facility.capacity import check_arguments, hall_for, size_in
from rackplan.facility.plant import design_condition, plant_params, site_weather
from rackplan.facility.profiles import HardwareProfile, load_profile
from rackplan.facility.site import Site, load_site
from rackplan.facility.weather import HOUR_MONTH, Weather
from rackplan.kernels import plant as kernels
from rackplan.units import Q_, Quantity

__all__ = ["annual", "AnnualResult"]

#: Units of the hourly Dataset's variables (UDUNITS), by kernel column.
_HOURLY_UNITS = {"unmet": "1", "liquid_chiller_share": "1", "air_chiller_share": "1",
                 "water_use": "kg/s", "evaporation": "kg/s"}
_HOURLY_NAMES = {
    "it_power": "IT power", "facility_power": "facility power at the utility meter",
    "cooling_power": "cooling plant power (chillers, pumps, fans)",
    "chiller_power": "chiller power", "chiller_load": "heat the chillers remove",
    "pump_power": "pump power", "fan_power": "fan power",
    "chain_loss": "losses of transformer, UPS and distribution",
    "house_power": "house load", "heat_rejected": "heat rejected to the outdoors",
    "water_use": "site water (make-up of towers and pads)",
    "evaporation": "water evaporated", "liquid_chiller_share": "share of the liquid loop's "
    "heat on chillers", "air_chiller_share": "share of the air side's heat on chillers",
    "unmet": "1 when the plant cannot hold the supply temperature",
    "liquid_chiller_power": "chiller power of the liquid loop",
}


@dataclass(frozen=True)
class AnnualResult:
    """A year of a site's plant (quantities in people's units); ``hourly`` is the
    :class:`xarray.Dataset` of its 8,760 hours, ``monthly_pue`` 12 values (January first)."""

    annual_pue: float
    peak_pue: float
    wue: Quantity
    water_use: Quantity
    free_cooling_hours: int
    chiller_hours: int
    chiller_energy: Quantity
    liquid_chiller_hours: int
    liquid_chiller_energy: Quantity
    economizer_hours: int
    unmet_hours: int
    it_energy: Quantity
    facility_energy: Quantity
    cooling_energy: Quantity
    peak_facility_power: Quantity
    design_dry_bulb: Quantity
    design_wet_bulb: Quantity
    monthly_pue: list[float]
    rack_count: int
    it_power: Quantity
    warnings: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    hourly: Any = field(default=None, repr=False, compare=False)

    def as_quantities(self) -> dict[str, Any]:
        """The result (without ``hourly``) as an ordered dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__
                if name != "hourly"}

    def _repr_html_(self) -> str:
        """A notebook shows the result as a table, a unit beside every number."""
        import calendar

        from rackplan._html import rows_table, text, warnings_list
        from rackplan.units import Q_

        rows = []
        for name, value in self.as_quantities().items():
            if name in ("warnings", "inputs", "monthly_pue"):
                continue
            if name.endswith("_hours"):  # a count of hours of the year: its unit is the hour
                value = Q_(value, "hour")
            rows.append((_LABELS.get(name, name.replace("_", " ")), value))
        rows += [(f"PUE, {calendar.month_name[m + 1]}", pue)
                 for m, pue in enumerate(self.monthly_pue)]
        title = (f"{self.inputs.get('site_name') or self.inputs.get('site', '')}: "
                 f"{self.inputs.get('profile', '')}, {self.inputs.get('plant', '')} plant, "
                 f"weather {self.inputs.get('weather', '')}")
        return (f"<div><strong>{text(title)}</strong>" + rows_table(rows)
                + warnings_list(self.warnings) + "</div>")


#: How the notebook table names the fields (PUE and its kin are ratios: unit 1).
_LABELS = {
    "annual_pue": "annual PUE (ISO/IEC 30134-2)", "peak_pue": "PUE at the design condition",
    "wue": "WUE (ISO/IEC 30134-9)", "water_use": "site water over the year",
    "free_cooling_hours": "hours with no chiller running",
    "chiller_hours": "hours with a chiller running",
    "liquid_chiller_hours": "hours with a chiller on the liquid loop",
    "economizer_hours": "hours the air side runs without a chiller",
    "unmet_hours": "hours the plant cannot hold the supply temperature",
    "it_energy": "IT energy over the year", "facility_energy": "facility energy over the year",
    "cooling_energy": "cooling energy over the year",
    "peak_facility_power": "facility power at the design condition",
    "rack_count": "racks", "it_power": "IT power",
}


def _site_and_weather(site, overrides) -> tuple[Site, Weather]:
    st = load_site(site, overrides)
    if st.weather is None:
        raise SiteError("no weather year: set weather = ID|FILE in the site, or --set "
                        "weather=yakima-wa (built-in: chicago-il, houston-tx, midland-tx, "
                        "phoenix-az, yakima-wa)", source=st.id or None, field="weather")
    return st, site_weather(st, overrides)


def annual(site: str | Path | Site = "moses-lake",
           profile: str | Path | HardwareProfile = "gb300-nvl72", *, basis: str = "max",
           overrides: Mapping[str, Any] | None = None) -> AnnualResult:
    """A year of ``site``'s plant for the units of ``profile`` that fit it, hour by hour.

    Parameters
    ----------
    site, profile, basis, overrides
        As :func:`rackplan.facility.capacity.size`: the units that fit (sized on
        ``power_max``, ``power_typical`` or ``power_peak``) draw that power every hour. The site needs a
        ``[cooling_plant]`` and a ``weather`` year (``--set weather=houston-tx``).

    Returns
    -------
    AnnualResult

    Raises
    ------
    InputError
        A bad site, profile, weather file, ``basis`` or ``overrides``.
    """
    overrides = check_arguments(site, profile, basis, overrides)
    st, weather = _site_and_weather(site, overrides)
    hw = load_profile(profile)
    if hall_for(st, hw).cooling_plant is None:
        raise SiteError("the hourly model needs a [cooling_plant] (a fixed pue is not a plant)",
                        source=st.id or None, field="cooling_plant")
    sized = size_in(st, hw, basis=basis, weather=weather)
    st = hall_for(st, hw)
    it_w = float(sized.it_power.m_as("W"))
    params = plant_params(st, it_w, hw.it_liquid_fraction(
        float(sized.inputs["unit_power"].m_as("W"))))
    t_db = np.ascontiguousarray(weather.dry_bulb.m_as("K"))
    t_wb = np.ascontiguousarray(weather.wet_bulb.m_as("K"))
    hours = kernels.plant_hours(params, t_db, t_wb, np.empty((t_db.size, len(kernels.HOURLY))))
    year = dict(zip(kernels.ANNUAL, kernels.plant_years_alloc(params[None, :], t_db, t_wb,
                                                              HOUR_MONTH)[0]))
    design_db, design_wb = design_condition(st, weather) or (weather.design_dry_bulb(),
                                                             weather.design_wet_bulb())
    peak = dict(zip(kernels.HOURLY, kernels.plant_hour(
        params, float(design_db.m_as("K")), float(design_wb.m_as("K")))))
    return _result(st, hw, weather, sized, year, peak, hours, design_db, design_wb, basis)


def _result(st: Site, hw: HardwareProfile, weather: Weather, sized, year: dict, peak: dict,
            hours: np.ndarray, design_db: Quantity, design_wb: Quantity,
            basis: str) -> AnnualResult:
    it_j, facility_j = year["it_energy"], year["facility_energy"]
    it_kwh = it_j / 3.6e6
    water_m3 = year["water_use"] / 1000.0  # kg of water, 1 kg per litre
    monthly = [_ratio(year[f"facility_energy_m{m:02d}"], year[f"it_energy_m{m:02d}"])
               for m in range(1, 13)]
    warnings = _warnings(st, hw, weather, year, peak)
    return AnnualResult(
        annual_pue=_ratio(facility_j, it_j),
        peak_pue=_ratio(peak["facility_power"], peak["it_power"]),
        wue=Q_(_ratio(water_m3 * 1000.0, it_kwh), "L/kWh"),
        water_use=Q_(water_m3, "m**3"),
        free_cooling_hours=int(year["free_cooling_hours"]),
        chiller_hours=int(year["chiller_hours"]),
        chiller_energy=Q_(year["chiller_energy"], "J").to("MWh"),
        liquid_chiller_hours=int(year["liquid_chiller_hours"]),
        liquid_chiller_energy=Q_(year["liquid_chiller_energy"], "J").to("MWh"),
        economizer_hours=int(year["economizer_hours"]),
        unmet_hours=int(year["unmet_hours"]),
        it_energy=Q_(it_j, "J").to("MWh"),
        facility_energy=Q_(facility_j, "J").to("MWh"),
        cooling_energy=Q_(year["cooling_energy"], "J").to("MWh"),
        peak_facility_power=Q_(peak["facility_power"], "W").to("MW"),
        design_dry_bulb=Q_(float(design_db.m_as("degC")), "degC"),
        design_wet_bulb=Q_(float(design_wb.m_as("degC")), "degC"),
        monthly_pue=monthly,
        rack_count=sized.rack_count,
        it_power=sized.it_power,
        warnings=tuple(warnings),
        inputs={"site": st.id, "site_name": st.name, "profile": hw.id,
                "profile_name": hw.name, "basis": basis, "plant": st.cooling_plant.type,
                "weather": weather.id, "weather_station": weather.name,
                "weather_note": st.weather_note or ""},
        hourly=_hourly_dataset(hours, weather, st, hw))


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _warnings(st: Site, hw: HardwareProfile, weather: Weather, year: dict,
              peak: dict) -> list[str]:
    out = []
    if st.weather_note:
        out.append(f"weather {weather.id}: {st.weather_note}")
    if year["it_energy"] <= 0:
        out.append("no unit fits this site: the plant carries no IT load")
    if year["unmet_hours"] > 0:
        out.append(f"the {st.cooling_plant.type} plant has no chiller and cannot hold the "
                   f"supply temperature in {int(year['unmet_hours']):,} hours of the year"
                   + (": the miners curtail in them (compare takes them off the miners' "
                      "uptime)" if hw.kind == "asic" else ""))
    feed = float(st.utility_power.m_as("W"))
    if peak["facility_power"] > feed * (1 + 1e-9):
        out.append(f"at the design condition the facility draws "
                   f"{peak['facility_power'] / 1e6:.2f} MW, more than the {feed / 1e6:g} MW "
                   "feed: the units were sized on the site's fixed pue, not on the design hour")
    return out


def _hourly_dataset(hours: np.ndarray, weather: Weather, st: Site, hw: HardwareProfile):
    import xarray as xr

    coords = {"hour": ("hour", np.arange(1, hours.shape[0] + 1),
                       {"long_name": "hour of the year (1 ends at 01:00 on 1 January)"}),
              "month": ("hour", HOUR_MONTH + 1, {"long_name": "month (1 = January)"})}
    data = {}
    for k, name in enumerate(kernels.HOURLY):
        attrs = {"units": _HOURLY_UNITS.get(name, "W"), "long_name": _HOURLY_NAMES[name]}
        data[name] = ("hour", hours[:, k].copy(), attrs)
    with np.errstate(divide="ignore", invalid="ignore"):
        pue = hours[:, 1] / hours[:, 0]
    data["pue"] = ("hour", pue, {"units": "1", "long_name": "power usage effectiveness"})
    for name, q in (("dry_bulb", weather.dry_bulb), ("wet_bulb", weather.wet_bulb)):
        data[name] = ("hour", q.m_as("degC"), {"units": "degC", "long_name": f"{name} "
                                              "temperature".replace("_", " ")})
    attrs = {"site": st.id, "profile": hw.id, "plant": st.cooling_plant.type,
             "weather": weather.id, "weather_station": weather.name,
             "weather_note": st.weather_note or ""}
    return xr.Dataset(data, coords=coords, attrs=attrs)
