"""Hourly plant kernels: the heat of each hour of a year, the plant that rejects it, and the
electricity and water that costs.

Float64 SI only (W, K, kg/s, J, kg); no pint, pydantic or xarray. A site's plant is one row of
:data:`PARAMS` (build it with :func:`rackplan.facility.plant.plant_params`); the weather is two
arrays of 8,760 hourly temperatures in K (dry bulb and wet bulb). The model, per hour and per
loop (the liquid loop through the CDUs; the air loop through CRAH coils, or exhaust fans), is in
``docs/sizing.md``, "The hourly plant":

- the loop needs water at ``t_need`` and returns it ``dt`` warmer;
- the heat-rejection *device* (dry cooler, dry cooler with adiabatic pre-cooling, cooling tower,
  or none: then the chiller, which a plant without a device must have, carries it all) gives
  water at its approach above its air temperature (dry bulb, pre-cooled air, wet bulb); what
  it cannot cool down to ``t_need`` a *chiller* does (share
  ``(t_device - t_need) / dt``, clipped to 0..1), whose COP is a fraction of Carnot's for its
  lift, at most ``cop_max``; without a chiller those hours are *unmet*;
- pumps in proportion to the heat, fans of the device slowed by the cube law when the weather
  leaves spare approach, CRAH or exhaust fans;
- water: a tower evaporates a share of its heat (by the latent heat of water), loses drift, and
  blows down to hold its cycles of concentration; adiabatic pads evaporate what pre-cools the
  air and blow down alike;
- the power chain: ``facility = IT / (eta_t eta_ups eta_dist) + cooling / eta_t + house IT``.

:func:`plant_hours` writes one site's hours (columns :data:`HOURLY`); :func:`plant_years`
sums many sites' years (columns :data:`ANNUAL`), both from the one hourly model
:func:`plant_hour`. Their NumPy twins are in :mod:`rackplan.kernels.plant_numpy`.
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import njit

__all__ = ["PARAMS", "HOURLY", "ANNUAL", "DEVICES", "CHILLERS", "AIR_MODES", "plant_hour",
           "plant_hours", "plant_years", "plant_years_alloc"]

#: Heat-rejection devices, indexed by the ``device`` code.
DEVICES = ("none", "dry_cooler", "adiabatic_cooler", "cooling_tower")
#: Chillers, indexed by the ``chiller`` code: none, air-cooled, water-cooled (on tower water).
CHILLERS = ("none", "air_cooled", "water_cooled")
#: Air side, indexed by ``air_mode``: CRAH coils on the plant's water, or exhaust fans only.
AIR_MODES = ("crah", "exhaust")

#: One site's plant, in this order (SI: W, K, W/W, kg, J/kg).
PARAMS = (
    "it_power",            # IT power [W]
    "liquid_fraction",     # share of the IT heat to the liquid loop [1]
    "eta_transformer", "eta_ups", "eta_distribution", "house_load",  # [1]
    "device", "chiller", "air_mode",  # codes, see DEVICES, CHILLERS, AIR_MODES
    "t_need_liquid",       # water the CDUs need: coolant supply - CDU approach [K]
    "dt_liquid",           # its range (return - supply) [K]
    "t_need_air",          # water the CRAH coils need [K]
    "dt_air",              # its range [K]
    "approach_dry",        # dry-cooler approach to the (pre-cooled) dry bulb [K]
    "approach_tower",      # tower approach to the wet bulb [K]
    "pad_effectiveness",   # adiabatic pre-cooling, share of the wet-bulb depression [1]
    "pad_air_rise",        # air temperature rise through the dry-cooler coil [K]
    "carnot_fraction",     # chiller COP over Carnot COP for its lift [1]
    "lift_extra",          # heat-exchanger temperature differences added to the lift [K]
    "cop_max",             # COP at most [1]
    "pumps_liquid",        # CDU and facility-water pumps per W of liquid heat [W/W]
    "pumps_air",           # CRAH water pumps per W of air heat [W/W]
    "fans_air",            # CRAH or exhaust fans per W of air heat [W/W]
    "fans_device",         # device fans at full speed per W it rejects [W/W]
    "fans_tower",          # condenser tower fans per W of condenser heat [W/W]
    "pumps_condenser",     # condenser-water pumps per W of condenser heat [W/W]
    "fan_min_speed",       # slowest fan speed of the device [1]
    "evaporated_share",    # share of a tower's heat carried off by evaporation [1]
    "cycles",              # cycles of concentration of towers and pads [1]
    "drift",               # drift, share of the tower's circulating flow [1]
    "latent_heat",         # latent heat of vaporisation of water [J/kg]
    "water_cp",            # specific heat of tower water [J/(kg K)]
)
_P = {name: i for i, name in enumerate(PARAMS)}
(IT, LF, ETA_T, ETA_UPS, ETA_D, HOUSE, DEVICE, CHILLER, AIR_MODE, T_NEED_L, DT_L, T_NEED_A,
 DT_A, APP_DRY, APP_TOWER, PAD_EFF, PAD_RISE, CARNOT, LIFT_EXTRA, COP_MAX, PUMPS_L, PUMPS_A,
 FANS_A, FANS_DEV, FANS_TOWER, PUMPS_CW, FAN_MIN, EVAP_SHARE, CYCLES, DRIFT, LATENT,
 WATER_CP) = range(len(PARAMS))

#: Columns of :func:`plant_hours` (W, kg/s, 1).
HOURLY = ("it_power", "facility_power", "cooling_power", "chiller_power", "chiller_load",
          "pump_power", "fan_power", "chain_loss", "house_power", "heat_rejected",
          "water_use", "evaporation", "liquid_chiller_share", "air_chiller_share", "unmet",
          "liquid_chiller_power")
#: Columns of :func:`plant_years` (J, kg, hours, W), then facility and IT energy by month.
ANNUAL = ("it_energy", "facility_energy", "cooling_energy", "chiller_energy", "water_use",
          "evaporation", "free_cooling_hours", "chiller_hours", "economizer_hours",
          "unmet_hours", "peak_facility_power", "liquid_chiller_energy", "liquid_chiller_hours",
          *(f"facility_energy_m{m:02d}" for m in range(1, 13)),
          *(f"it_energy_m{m:02d}" for m in range(1, 13)))
_FAC_M = ANNUAL.index("facility_energy_m01")
_IT_M = ANNUAL.index("it_energy_m01")

_KERNEL = {"error_model": "numpy", "nogil": True}


@njit(inline="always", **_KERNEL)
def _loop(q, t_need, dt, t_db, t_wb, p):
    """One loop's hour: ``q`` [W] of heat to cool to ``t_need`` [K] with range ``dt`` [K].

    Returns ``(chiller_power, chiller_load, fans, pumps, evaporation, water, heat_out,
    share, unmet)``: W, W, W, W, kg/s, kg/s, W, 1, 1.
    """
    device = int(p[DEVICE])
    chiller = int(p[CHILLER])
    t_in = t_db  # air (or wet bulb) the device works against
    pad_cooling = 0.0
    if device == 1 or device == 2:
        approach = p[APP_DRY]
        if device == 2 and t_db + approach > t_need:  # pads on: just enough, if they can
            t_in = max(t_db - p[PAD_EFF] * (t_db - t_wb), t_need - approach)
            pad_cooling = t_db - t_in
    elif device == 3:
        approach = p[APP_TOWER]
        t_in = t_wb
    else:
        approach = math.inf
    share = 1.0 if device == 0 else min(max((t_in + approach - t_need) / dt, 0.0), 1.0)
    unmet = 0.0
    if chiller == 0:
        unmet = 1.0 if share > 0.0 else 0.0
        share = 0.0
    load = share * q
    power = 0.0
    t_sink = t_db if chiller == 1 else t_wb + p[APP_TOWER]
    if load > 0.0:
        lift = max(t_sink + p[LIFT_EXTRA] - t_need, 1.0)
        power = load / min(p[CARNOT] * t_need / lift, p[COP_MAX])
    q_device = 0.0 if device == 0 else q - load
    q_condenser = (load + power) if load > 0.0 else 0.0
    speed = 1.0
    if device != 0 and load == 0.0 and unmet == 0.0:
        spare = t_need - t_in  # >= approach here: the fans may slow down
        speed = min(max(approach / spare, p[FAN_MIN]), 1.0) if spare > 0.0 else 1.0
    fans = p[FANS_DEV] * q_device * speed ** 3
    pumps = 0.0
    tower_heat = q_device if device == 3 else 0.0
    if chiller == 2:
        pumps = p[PUMPS_CW] * q_condenser
        q_condenser += pumps
        fans += p[FANS_TOWER] * q_condenser
        tower_heat += q_condenser
    evaporation = p[EVAP_SHARE] * tower_heat / p[LATENT]
    drift = p[DRIFT] * tower_heat / (p[WATER_CP] * dt)
    blowdown = max(evaporation / (p[CYCLES] - 1.0) - drift, 0.0)
    pads = q_device * pad_cooling / (p[PAD_RISE] * p[LATENT])
    water = evaporation + drift + blowdown + pads * p[CYCLES] / (p[CYCLES] - 1.0)
    return (power, load, fans, pumps, evaporation + pads, water, q_device + q_condenser,
            share, unmet)


@njit(**_KERNEL)
def plant_hour(p, t_db, t_wb):
    """One hour of one site: ``p`` a row of :data:`PARAMS`, dry and wet bulb [K].

    Returns the :data:`HOURLY` values as a tuple (W, kg/s, shares, unmet 0/1).
    """
    it = p[IT]
    q_liquid = p[LF] * it
    q_air = it - q_liquid
    pumps = p[PUMPS_L] * q_liquid
    liquid = _loop(q_liquid + pumps, p[T_NEED_L], p[DT_L], t_db, t_wb, p)
    fans = p[FANS_A] * q_air
    if p[AIR_MODE] == 0.0:  # CRAH coils: the air heat, fans and pumps go to the plant water
        pumps_air = p[PUMPS_A] * q_air
        pumps += pumps_air
        air = _loop(q_air + fans + pumps_air, p[T_NEED_A], p[DT_A], t_db, t_wb, p)
    else:  # exhaust fans blow it outdoors
        air = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, q_air + fans, 0.0, 0.0)
    chiller = liquid[0] + air[0]
    pumps += liquid[3] + air[3]
    fans += liquid[2] + air[2]
    cooling = chiller + pumps + fans
    house = p[HOUSE] * it
    facility = (it / (p[ETA_T] * p[ETA_UPS] * p[ETA_D]) + cooling / p[ETA_T] + house)
    chain = facility - it - cooling - house
    return (it, facility, cooling, chiller, liquid[1] + air[1], pumps, fans, chain, house,
            liquid[6] + air[6], liquid[5] + air[5], liquid[4] + air[4], liquid[7], air[7],
            max(liquid[8], air[8]), liquid[0])


@njit(**_KERNEL)
def plant_hours(p, t_db, t_wb, out):
    """Every hour of one site into ``out`` [hours, len(HOURLY)] (allocated by the caller)."""
    for h in range(t_db.shape[0]):
        values = plant_hour(p, t_db[h], t_wb[h])
        for k in range(len(values)):
            out[h, k] = values[k]
    return out


@njit(**_KERNEL)
def plant_years(params, t_db, t_wb, month, out):
    """The year of each site (rows of ``params``) summed into ``out`` [sites, len(ANNUAL)]:
    energies [J], water [kg], hours [h], peak facility power [W]; ``month`` (0-11) of each
    hour for the monthly energies. Each hour lasts 3,600 s."""
    for i in range(params.shape[0]):
        p = params[i]
        for k in range(out.shape[1]):
            out[i, k] = 0.0
        for h in range(t_db.shape[0]):
            (it, facility, cooling, chiller, load, _pumps, _fans, _chain, _house, _heat,
             water, evaporation, liquid_share, air_share, unmet,
             liquid_chiller) = plant_hour(p, t_db[h], t_wb[h])
            out[i, 0] += it * 3600.0
            out[i, 1] += facility * 3600.0
            out[i, 2] += cooling * 3600.0
            out[i, 3] += chiller * 3600.0
            out[i, 4] += water * 3600.0
            out[i, 5] += evaporation * 3600.0
            out[i, 6] += 1.0 if load == 0.0 and unmet == 0.0 else 0.0
            out[i, 7] += 1.0 if load > 0.0 else 0.0
            out[i, 8] += 1.0 if air_share == 0.0 and unmet == 0.0 and p[AIR_MODE] == 0.0 \
                else 0.0
            out[i, 9] += unmet
            out[i, 10] = max(out[i, 10], facility)
            out[i, 11] += liquid_chiller * 3600.0
            out[i, 12] += 1.0 if liquid_share > 0.0 else 0.0
            out[i, _FAC_M + month[h]] += facility * 3600.0
            out[i, _IT_M + month[h]] += it * 3600.0
    return out


def plant_years_alloc(params, t_db, t_wb, month):
    """:func:`plant_years` with its output allocated here (NumPy, as the twin's)."""
    out = np.empty((params.shape[0], len(ANNUAL)))
    return plant_years(params, t_db, t_wb, month, out)
