"""The cooling plant of a site as the hourly model sees it: its parameters, its PUE at the
design condition (what sizes the units against the feed) and over a weather year (what the
energy costs).

>>> import rackplan
>>> from rackplan.facility.plant import design_pue, annual_pue, site_weather
>>> st = rackplan.facility.site.load_site("moses-lake")                # doctest: +SKIP
>>> w = site_weather(st)                                               # doctest: +SKIP
>>> design_pue(st, 0.85, w), annual_pue(st, 0.85, w)                   # doctest: +SKIP
(1.332..., 1.178...)

The model is :mod:`rackplan.kernels.plant` (hour by hour: the heat to liquid and to air, the
device that rejects it, the trim or main chillers the weather asks for, pumps, fans and the
power chain); it is linear in the IT power, so a PUE is a property of the plant and the
weather, not of the load. :func:`rackplan.annual` (:mod:`rackplan.facility.annual`) shows a
whole year.

- :func:`design_condition`: the site's ``design_dry_bulb`` and ``design_wet_bulb``, else its
  weather year's 0.4 % values (ASHRAE Handbook - Fundamentals, ch. 14).
- :func:`design_pue`: the PUE in the design hour, trim chillers included: units sized on it
  fit the feed on the hottest hours.
- :func:`annual_pue`: annual facility energy over IT energy (ISO/IEC 30134-2).

Every default below is a named constant with its source (tags: [P] primary, [S] secondary,
[D] derived here by arithmetic, [A] an assumption of rackplan). ``docs/sizing.md``, "The
hourly plant", shows the model.
"""

from __future__ import annotations

import weakref
from typing import Any, Mapping

import numpy as np

from rackplan.errors import SiteError, WeatherError
from rackplan.facility.site import CDU_PUMPING, CRAH_FANS, DRY_COOLER_FANS, EXHAUST_FANS, Site
from rackplan.facility.weather import HOUR_MONTH, Weather, load_weather
from rackplan.kernels import plant as kernels
# One site's design hour and year take the plant's NumPy twin (a few ms, no compiling): a
# one-site command need not wait for numba; many sites and the hours of `rackplan annual`
# take the kernels. The two are held equal by tests/test_plant.py.
from rackplan.kernels.plant_numpy import plant_hours_numpy, plant_years_numpy
from rackplan.units import Quantity

__all__ = ["plant_params", "PLANT_LAYOUT", "design_condition", "design_pue", "annual_pue",
           "held_share", "site_weather", "needs_wet_bulb", "plant_layout"]

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


#: Water at 30 degC (tower and loop water) [P] IAPWS-95, as CoolProp gives it (``PropsSI``:
#: the latent heat from the saturated vapour and liquid enthalpies, cp and density at 2 bar):
#: constants here, because CoolProp's first call for water takes about 2 s
#: (``tests/test_plant.py`` recomputes them).
WATER_LATENT_HEAT = 2_429_811.23  # J/kg
WATER_CP = 4_179.5515  # J/(kg K)
WATER_RHO_CP = 4_161_552.0  # J/(m^3 K)


def _water() -> tuple[float, float, float]:
    """Latent heat [J/kg], specific heat [J/(kg K)] and rho cp [J/(m^3 K)] of water at 30 degC."""
    return WATER_LATENT_HEAT, WATER_CP, WATER_RHO_CP


def plant_params(site: Site, it_power_w: float, liquid_fraction: float) -> np.ndarray:
    """The site's plant as one row of :data:`rackplan.kernels.plant.PARAMS` (SI floats)."""
    plant = site.cooling_plant
    if plant is None:
        raise SiteError("the hourly model needs a [cooling_plant] (type = dry_cooler | ...)",
                        source=site.id or None, field="cooling_plant")
    device, chiller, air_mode = plant_layout(site)
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


def needs_wet_bulb(site: Site) -> bool:
    """Whether the site's plant works against the wet bulb (a tower, adiabatic pads, or a
    water-cooled chiller on tower water)."""
    device, chiller, _air = plant_layout(site)
    return device in ("adiabatic_cooler", "cooling_tower") or chiller == "water_cooled"


def plant_layout(site: Site) -> tuple[str, str, str]:
    """The site's heat-rejection device, chiller and air side (:data:`PLANT_LAYOUT`, with the
    plant's ``trim_chiller`` and ``air_side`` where it gives them)."""
    plant = site.cooling_plant
    device, chiller, air_mode = PLANT_LAYOUT[plant.type]
    return device, plant.trim_chiller or chiller, plant.air_side or air_mode


def site_weather(site: Site, overrides: Mapping[str, Any] | None = None) -> Weather | None:
    """The weather year of ``site`` (None when it names none; a site file's relative path is
    from the file's folder, as :func:`~rackplan.facility.site.load_site` wrote it). An unknown
    id is said to come from ``--set`` when ``overrides`` set it, else from the site."""
    if site.weather is None:
        return None
    try:
        return load_weather(site.weather)
    except WeatherError as exc:
        if exc.source == "weather":  # an unknown id: say where it was given
            where = "--set" if "weather" in (overrides or {}) else (site.id or "site")
            raise WeatherError(exc.message, source=where, field="weather") from None
        raise


def design_condition(site: Site, weather: Weather | None
                     ) -> tuple[Quantity, Quantity] | None:
    """The design dry and wet bulb [degC]: the site's, else the weather year's 0.4 % values;
    None when either is missing (a plant that does not use the wet bulb needs the dry bulb
    only: its wet bulb is then the dry bulb, which it never reads)."""
    db = site.design_dry_bulb
    if db is None and weather is not None:
        db = weather.design_dry_bulb()
    wb = site.design_wet_bulb
    if wb is None and weather is not None:
        wb = weather.design_wet_bulb()
    if db is None or (wb is None and needs_wet_bulb(site)):
        return None
    return db, db if wb is None else wb


def design_pue(site: Site, liquid_fraction: float, weather: Weather | None) -> float | None:
    """PUE of the site's plant in its design hour (:func:`design_condition`) [1], the trim
    chillers that hour needs included; None without a ``[cooling_plant]`` or a design
    condition."""
    condition = site.cooling_plant and design_condition(site, weather)
    if not condition:
        return None
    db, wb = (np.array([t.m_as("K")], dtype=float) for t in condition)
    hour = plant_hours_numpy(plant_params(site, 1.0, liquid_fraction), db, wb)[0]
    return float(hour[1] / hour[0])


def annual_pue(site: Site, liquid_fraction: float, weather: Weather | None) -> float | None:
    """PUE of the site's plant over its weather year, annual facility energy over IT energy
    (ISO/IEC 30134-2) [1]; None without a ``[cooling_plant]`` or a weather year."""
    year = _year(site, liquid_fraction, weather)
    if year is None:
        return None
    return float(year[kernels.ANNUAL.index("facility_energy")]
                 / year[kernels.ANNUAL.index("it_energy")])


def held_share(site: Site, liquid_fraction: float, weather: Weather | None) -> float:
    """Share of the weather year's hours in which the site's plant holds the supply
    temperature [1]: 1 but for a plant without chillers (a mining hall, whose miners curtail
    in the other hours); 1 without a ``[cooling_plant]`` or a weather year."""
    year = _year(site, liquid_fraction, weather)
    if year is None:
        return 1.0
    return 1.0 - float(year[kernels.ANNUAL.index("unmet_hours")]) / HOUR_MONTH.size


# The plant's years already worked out, per weather year (kept while it lives: the weather
# files' loader caches them) and per parameter set. A sweep builds its case once per range
# check, and the year (8,760 hours through the NumPy twin) was 60 % of each build.
_YEARS: weakref.WeakKeyDictionary[Weather, dict[bytes, np.ndarray]] = \
    weakref.WeakKeyDictionary()
_YEARS_PER_WEATHER = 64  # parameter sets kept per weather year (then the memo starts over)


def _year(site: Site, liquid_fraction: float, weather: Weather | None) -> np.ndarray | None:
    """The plant's year per watt of IT (a row of :data:`rackplan.kernels.plant.ANNUAL`,
    read-only): a function of the plant's parameters and the weather year alone, so it is
    worked out once for each pair."""
    if site.cooling_plant is None or weather is None:
        return None
    params = plant_params(site, 1.0, liquid_fraction)
    years = _YEARS.setdefault(weather, {})
    key = params.tobytes()
    row = years.get(key)
    if row is None:
        if len(years) >= _YEARS_PER_WEATHER:
            years.clear()
        row = plant_years_numpy(params[None, :], *_kelvin(weather), HOUR_MONTH)[0]
        row.setflags(write=False)
        years[key] = row
    return row


def _kelvin(weather: Weather) -> tuple[np.ndarray, np.ndarray]:
    """The year's dry and wet bulb [K], contiguous, as the kernels take them."""
    return (np.ascontiguousarray(weather.dry_bulb.m_as("K")),
            np.ascontiguousarray(weather.wet_bulb.m_as("K")))
