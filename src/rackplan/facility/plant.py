"""A year of the cooling plant, hour by hour: :func:`annual`.

>>> import rackplan
>>> r = rackplan.annual("moses-lake", "gb300-nvl72")                 # doctest: +SKIP
>>> r.annual_pue, r.peak_pue                                          # doctest: +SKIP

The units that fit come from :func:`rackplan.facility.capacity.size` (its PUE sizes them; the
design day that fits the feed is not yet the hourly model's); their IT power runs every hour of
the site's weather year through the plant of :mod:`rackplan.kernels.plant`. Outputs:

- ``annual_pue``: annual facility energy over annual IT energy (ISO/IEC 30134-2);
- ``peak_pue``: the PUE at the design condition (the site's ``design_dry_bulb`` and
  ``design_wet_bulb``, else the weather year's 0.4 % values);
- ``wue``: annual site water over annual IT energy, L/kWh (ISO/IEC 30134-9);
- ``water_use`` (m^3/year), ``free_cooling_hours`` (no chiller runs), ``chiller_hours`` and
  ``chiller_energy`` (trim or main chillers, liquid and air side), ``economizer_hours`` (the
  air side without a chiller), ``unmet_hours`` (a plant without chillers that cannot hold the
  supply temperature), ``monthly_pue``;
- ``hourly``: an :class:`xarray.Dataset` of the 8,760 hours, units in ``attrs["units"]``.

Every default below is a named constant with its source (tags: [P] primary, [S] secondary,
[D] derived here by arithmetic, [A] an assumption of rackplan). ``docs/sizing.md``, "The
hourly plant", shows the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rackplan._args import overrides_mapping
from rackplan._io import looks_like_path
from rackplan.errors import InputError, SiteError, WeatherError, shown
from rackplan.facility.capacity import BASES, check_reference, hall_for, size
from rackplan.facility.profiles import HardwareProfile, load_profile
from rackplan.facility.site import (CDU_PUMPING, CRAH_FANS, DRY_COOLER_FANS, EXHAUST_FANS, Site,
                                    load_site)
from rackplan.facility.weather import HOUR_MONTH, Weather, load_weather
from rackplan.kernels import plant as kernels
from rackplan.units import Q_, Quantity

__all__ = ["annual", "AnnualResult", "plant_params", "PLANT_LAYOUT"]

# --- Pumps (ASHRAE 90.1-2019, Appendix G, the baseline plant's pump powers) -------------------
#: Chilled/facility-water pumps: 9 W/gpm primary + 13 W/gpm secondary = 22 W/gpm [P] ASHRAE
#: 90.1-2019 G3.1.3.10; condenser-water pumps 19 W/gpm [P] G3.1.3.11.
CHILLED_WATER_PUMP_W_PER_GPM = 22.0
CONDENSER_WATER_PUMP_W_PER_GPM = 19.0
_GPM = 6.30901964e-5  # m^3/s of one US gallon per minute
# --- Towers -------------------------------------------------------------------------------------
#: Tower approach and range at the rating condition of ASHRAE 90.1 Table 6.8.1-7 (water 95 to
#: 85 degF at 75 degF wet bulb): 10 degF each [P].
TOWER_APPROACH = 10.0 / 1.8
TOWER_RANGE = 10.0 / 1.8
#: Open-circuit axial-fan tower fans: at least 40.2 gpm/hp at that rating (ASHRAE 90.1-2013 and
#: later, Table 6.8.1-7) [P]. [D] One gpm over a 10 degF range carries 500.4 BTU/h per degF,
#: so 40.2 gpm carry 58.9 kW for 745.7 W: 0.0127 W of fan per W of heat.
TOWER_FANS = 745.7 / (40.2 * 500.4 * 10.0 * 0.29307107)
#: Share of a tower's heat carried by evaporation: [D] from the rule evaporation (gpm) = 0.00085
#: x range (degF) x circulation (gpm) [S] (cooling-tower handbooks), i.e. 0.85 lb evaporated
#: per 1,000 BTU at about 1,000 BTU/lb.
EVAPORATED_SHARE = 0.85
#: Drift: 0.005 % of the circulating flow for a tower with drift eliminators [S]
#: industrial-water-treatment Q&A, "Cooling tower drift losses" (manufacturers' figure).
DRIFT = 0.005e-2
#: Cycles of concentration of tower and pad water. [A] A mid value of common practice; state
#: the site's with ``--set cooling_plant.cycles_of_concentration=6``.
CYCLES_OF_CONCENTRATION = 4.0
# --- Adiabatic pre-cooling --------------------------------------------------------------------
#: Pad saturation effectiveness (share of the wet-bulb depression removed). [A]
PAD_EFFECTIVENESS = 0.85
#: Air temperature rise through a dry-cooler coil, which sets the air (and pad water) per W of
#: heat. [A]
PAD_AIR_RISE = 10.0
# --- Chillers: COP = carnot_fraction x T_need / (T_sink + lift_extra - T_need) -----------------
#: Air-cooled: 10.1 EER (COP 2.96) at AHRI 550/590 conditions, 6.67 degC leaving water and
#: 35 degC air: ASHRAE 90.1-2016 Table 6.8.1-3, path A, >= 150 tons [U] (the minimum as
#: recalled, not yet checked against the standard's text); heat-exchanger lift
#: 15 K (evaporator and air-cooled condenser temperature differences) [A].
AIR_COOLED_RATING = (10.1 / 3.412, 6.67, 35.0, 15.0)
#: Water-cooled: "DOE-2 Centrifugal/5.50COP", COP 5.5 at 6.67 degC leaving chilled water and
#: 29.4 degC entering condenser water [P] EnergyPlus chiller data (Modelica Buildings
#: Fluid.Chillers.Data.ElectricEIR.DOE_2_Centrifugal_5_50COP); lift 8 K [A].
WATER_COOLED_RATING = (5.5, 6.67, 29.4, 8.0)
#: The highest COP at small lifts. [A] (variable-speed centrifugals reach about 0.3 kW/ton,
#: COP 12, at low lift).
CHILLER_COP_MAX = 12.0
# --- Air side and fans --------------------------------------------------------------------------
#: CRAH coil: water this much below the air inlet temperature, warming this much. [A]
CRAH_APPROACH = 6.0
CRAH_RANGE = 6.0
#: Slowest speed of dry-cooler and tower fans (a share of full speed; power goes with its cube
#: below full speed). [A]
FAN_MIN_SPEED = 0.2

#: Per plant type: heat-rejection device, chiller (trim or main), air side.
PLANT_LAYOUT: dict[str, tuple[str, str, str]] = {
    "dry_cooler": ("dry_cooler", "air_cooled", "crah"),
    "adiabatic_cooler": ("adiabatic_cooler", "air_cooled", "crah"),
    "cooling_tower": ("cooling_tower", "water_cooled", "crah"),
    "chiller": ("none", "air_cooled", "crah"),
    "water_cooled_chiller": ("none", "water_cooled", "crah"),
    "immersion": ("cooling_tower", "none", "exhaust"),
    "air_fans": ("dry_cooler", "none", "exhaust"),
}


def _carnot_fraction(rating: tuple[float, float, float, float]) -> float:
    cop, t_leaving, t_sink, extra = rating
    return cop * (t_sink + extra - t_leaving) / (t_leaving + 273.15)


def _water() -> tuple[float, float, float]:
    """Latent heat [J/kg], specific heat [J/(kg K)] and rho cp [J/(m^3 K)] of water at 30 degC,
    from CoolProp (IAPWS-95)."""
    from rackplan.facility.coolant import _propssi

    props = _propssi()
    t = 303.15
    latent = props("H", "T", t, "Q", 1, "Water") - props("H", "T", t, "Q", 0, "Water")
    cp = props("C", "T", t, "P", 2e5, "Water")
    return float(latent), float(cp), float(cp * props("D", "T", t, "P", 2e5, "Water"))


def plant_params(site: Site, it_power_w: float, liquid_fraction: float) -> np.ndarray:
    """The site's plant as one row of :data:`rackplan.kernels.plant.PARAMS` (SI floats)."""
    plant = site.cooling_plant
    if plant is None:
        raise SiteError("the hourly model needs a [cooling_plant] (type = dry_cooler | ...)",
                        source=site.id or None, field="cooling_plant")
    device, chiller, air_mode = PLANT_LAYOUT[plant.type]
    chiller = plant.trim_chiller or chiller
    air_mode = plant.air_side or air_mode
    rating = AIR_COOLED_RATING if chiller == "air_cooled" else WATER_COOLED_RATING
    latent, cp, rho_cp = _water()
    dt_liquid = float(site.coolant_delta_t.m_as("K"))
    per_gpm = 1.0 / (rho_cp * _GPM)  # gpm per W of heat at 1 K of range
    chain = site.power_chain
    values = {
        "it_power": it_power_w, "liquid_fraction": liquid_fraction,
        "eta_transformer": chain.transformer, "eta_ups": chain.ups,
        "eta_distribution": chain.distribution, "house_load": site.house_load,
        "device": kernels.DEVICES.index(device), "chiller": kernels.CHILLERS.index(chiller),
        "air_mode": kernels.AIR_MODES.index(air_mode),
        "t_need_liquid": float(site.coolant_supply_temperature.m_as("K"))
        - float(site.cdu_approach.m_as("K")),
        "dt_liquid": dt_liquid,
        "t_need_air": float(site.air_inlet_temperature.m_as("K")) - CRAH_APPROACH,
        "dt_air": CRAH_RANGE,
        "approach_dry": float(site.dry_cooler_approach.m_as("K")),
        "approach_tower": TOWER_APPROACH if plant.tower_approach is None
        else float(plant.tower_approach.m_as("K")),
        "pad_effectiveness": _or(plant.pad_effectiveness, PAD_EFFECTIVENESS),
        "pad_air_rise": PAD_AIR_RISE,
        "carnot_fraction": _carnot_fraction(rating), "lift_extra": rating[3],
        "cop_max": _or(plant.chiller_cop_max, CHILLER_COP_MAX),
        "pumps_liquid": CDU_PUMPING + CHILLED_WATER_PUMP_W_PER_GPM * per_gpm / dt_liquid,
        "pumps_air": CHILLED_WATER_PUMP_W_PER_GPM * per_gpm / CRAH_RANGE,
        "fans_air": CRAH_FANS if air_mode == "crah" else EXHAUST_FANS,
        "fans_device": TOWER_FANS if device == "cooling_tower" else DRY_COOLER_FANS,
        "fans_tower": TOWER_FANS,
        "pumps_condenser": CONDENSER_WATER_PUMP_W_PER_GPM * per_gpm / TOWER_RANGE,
        "fan_min_speed": FAN_MIN_SPEED, "evaporated_share": EVAPORATED_SHARE,
        "cycles": _or(plant.cycles_of_concentration, CYCLES_OF_CONCENTRATION),
        "drift": _or(plant.drift, DRIFT), "latent_heat": latent, "water_cp": cp,
    }
    return np.array([float(values[name]) for name in kernels.PARAMS])


def _or(value, default: float) -> float:
    return float(default if value is None else value)


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


def _site_and_weather(site, overrides) -> tuple[Site, Weather]:
    st = load_site(site, overrides)
    if st.weather is None:
        raise SiteError("no weather year: set weather = ID|FILE in the site, or --set "
                        "weather=yakima-wa (built-in: chicago-il, houston-tx, midland-tx, "
                        "phoenix-az, yakima-wa)", source=st.id or None, field="weather")
    base = None
    if "weather" not in overrides and isinstance(site, (str, Path)) and looks_like_path(site):
        base = Path(site).expanduser().parent  # a site file's weather path is from its folder
    try:
        weather = load_weather(st.weather, base)
    except WeatherError as exc:
        if exc.source == "weather":  # an unknown id: say where it was given
            where = "--set" if "weather" in overrides else (st.id or "site")
            raise WeatherError(exc.message, source=where, field="weather") from None
        raise
    return st, weather


def annual(site: str | Path | Site = "moses-lake",
           profile: str | Path | HardwareProfile = "gb300-nvl72", *, basis: str = "max",
           overrides: Mapping[str, Any] | None = None) -> AnnualResult:
    """A year of ``site``'s plant for the units of ``profile`` that fit it, hour by hour.

    Parameters
    ----------
    site, profile, basis, overrides
        As :func:`rackplan.facility.capacity.size`: the units that fit (sized on
        ``power_max`` or ``power_typical``) draw that power every hour. The site needs a
        ``[cooling_plant]`` and a ``weather`` year (``--set weather=houston-tx``).

    Returns
    -------
    AnnualResult

    Raises
    ------
    InputError
        A bad site, profile, weather file, ``basis`` or ``overrides``.
    """
    if not isinstance(basis, str) or basis not in BASES:
        raise InputError(f"must be 'max' or 'typical', got {shown(basis)}", source="basis")
    overrides = overrides_mapping(overrides)
    check_reference(site, "site", Site)
    check_reference(profile, "profile", HardwareProfile)
    st, weather = _site_and_weather(site, overrides)
    hw = load_profile(profile)
    if hall_for(st, hw).cooling_plant is None:
        raise SiteError("the hourly model needs a [cooling_plant] (a fixed pue is not a plant)",
                        source=st.id or None, field="cooling_plant")
    sized = size(st, hw, basis=basis)
    st = hall_for(st, hw)
    it_w = float(sized.it_power.m_as("W"))
    params = plant_params(st, it_w, float(hw.cooling.liquid_fraction))
    t_db = np.ascontiguousarray(weather.dry_bulb.m_as("K"))
    t_wb = np.ascontiguousarray(weather.wet_bulb.m_as("K"))
    hours = kernels.plant_hours(params, t_db, t_wb, np.empty((t_db.size, len(kernels.HOURLY))))
    year = dict(zip(kernels.ANNUAL, kernels.plant_years_alloc(params[None, :], t_db, t_wb,
                                                              HOUR_MONTH)[0]))
    design_db = weather.design_dry_bulb() if st.design_dry_bulb is None else st.design_dry_bulb
    design_wb = weather.design_wet_bulb() if st.design_wet_bulb is None else st.design_wet_bulb
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
    warnings = _warnings(st, weather, year, peak)
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


def _warnings(st: Site, weather: Weather, year: dict, peak: dict) -> list[str]:
    out = []
    if st.weather_note:
        out.append(f"weather {weather.id}: {st.weather_note}")
    if year["it_energy"] <= 0:
        out.append("no unit fits this site: the plant carries no IT load")
    if year["unmet_hours"] > 0:
        out.append(f"the {st.cooling_plant.type} plant has no chiller and cannot hold the "
                   f"supply temperature in {int(year['unmet_hours']):,} hours of the year")
    feed = float(st.utility_power.m_as("W"))
    if peak["facility_power"] > feed * (1 + 1e-9):
        out.append(f"at the design condition the facility draws "
                   f"{peak['facility_power'] / 1e6:.2f} MW, more than the {feed / 1e6:g} MW "
                   "feed: the units were sized on the site's PUE, not on the design day")
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
