"""NumPy twins of the hourly plant kernels (:mod:`rackplan.kernels.plant`): the same model
written over arrays of hours, the oracle of the tests and the baseline of the benchmarks.

:func:`plant_hours_numpy` gives one site's :data:`~rackplan.kernels.plant.HOURLY` columns,
:func:`plant_years_numpy` the :data:`~rackplan.kernels.plant.ANNUAL` sums of many sites (one
site at a time, its 8,760 hours as arrays).
"""

from __future__ import annotations

import numpy as np

from rackplan.kernels.plant import (ANNUAL, APP_DRY, APP_TOWER, AIR_MODE, CARNOT, CHILLER,
                                    COP_MAX, CYCLES, DEVICE, DRIFT, DT_A, DT_L, ETA_D, ETA_T,
                                    ETA_UPS, EVAP_SHARE, FAN_MIN, FANS_A, FANS_DEV, FANS_TOWER,
                                    HOUSE, HOURLY, IT, LATENT, LF, LIFT_EXTRA, PAD_EFF,
                                    PAD_RISE, PUMPS_A, PUMPS_CW, PUMPS_L, T_NEED_A, T_NEED_L,
                                    WATER_CP)

__all__ = ["plant_hours_numpy", "plant_years_numpy"]


def _loop(q, t_need, dt, t_db, t_wb, p):
    """Twin of the kernel's ``_loop`` over arrays of hours (``q`` may be an array)."""
    device, chiller = int(p[DEVICE]), int(p[CHILLER])
    zeros = np.zeros_like(t_db)
    t_in = t_db
    pad_cooling = zeros
    if device in (1, 2):
        approach = p[APP_DRY]
        if device == 2:
            on = t_db + approach > t_need
            pre = np.maximum(t_db - p[PAD_EFF] * (t_db - t_wb), t_need - approach)
            t_in = np.where(on, pre, t_db)
            pad_cooling = t_db - t_in
    elif device == 3:
        approach = p[APP_TOWER]
        t_in = t_wb
    if device == 0:
        share = np.ones_like(t_db)
    else:
        share = np.clip((t_in + approach - t_need) / dt, 0.0, 1.0)
    unmet = zeros
    if chiller == 0:
        unmet = (share > 0.0).astype(float)
        share = zeros
    load = share * q
    t_sink = t_db if chiller == 1 else t_wb + p[APP_TOWER]
    lift = np.maximum(t_sink + p[LIFT_EXTRA] - t_need, 1.0)
    cop = np.minimum(p[CARNOT] * t_need / lift, p[COP_MAX])
    power = np.where(load > 0.0, load / cop, 0.0)
    q_device = zeros if device == 0 else q - load
    q_condenser = np.where(load > 0.0, load + power, 0.0)
    if device != 0:
        spare = t_need - t_in
        free = (load == 0.0) & (unmet == 0.0) & (spare > 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            slow = np.clip(approach / spare, p[FAN_MIN], 1.0)
        speed = np.where(free, slow, 1.0)
    else:
        speed = np.ones_like(t_db)
    fans = p[FANS_DEV] * q_device * speed ** 3
    pumps = zeros
    tower_heat = q_device if device == 3 else zeros
    if chiller == 2:
        pumps = p[PUMPS_CW] * q_condenser
        q_condenser = q_condenser + pumps
        fans = fans + p[FANS_TOWER] * q_condenser
        tower_heat = tower_heat + q_condenser
    evaporation = p[EVAP_SHARE] * tower_heat / p[LATENT]
    drift = p[DRIFT] * tower_heat / (p[WATER_CP] * dt)
    blowdown = np.maximum(evaporation / (p[CYCLES] - 1.0) - drift, 0.0)
    pads = q_device * pad_cooling / (p[PAD_RISE] * p[LATENT])
    water = evaporation + drift + blowdown + pads * p[CYCLES] / (p[CYCLES] - 1.0)
    return (power, load, fans, pumps, evaporation + pads, water, q_device + q_condenser,
            share, unmet)


def plant_hours_numpy(p, t_db, t_wb):
    """Twin of :func:`rackplan.kernels.plant.plant_hours`: ``[hours, len(HOURLY)]``."""
    t_db = np.asarray(t_db, dtype=float)
    t_wb = np.asarray(t_wb, dtype=float)
    it = np.full_like(t_db, p[IT])
    q_liquid = p[LF] * it
    q_air = it - q_liquid
    pumps = p[PUMPS_L] * q_liquid
    liquid = _loop(q_liquid + pumps, p[T_NEED_L], p[DT_L], t_db, t_wb, p)
    fans = p[FANS_A] * q_air
    zeros = np.zeros_like(t_db)
    if p[AIR_MODE] == 0.0:
        pumps_air = p[PUMPS_A] * q_air
        pumps = pumps + pumps_air
        air = _loop(q_air + fans + pumps_air, p[T_NEED_A], p[DT_A], t_db, t_wb, p)
    else:
        air = (zeros,) * 6 + (q_air + fans, zeros, zeros)
    chiller = liquid[0] + air[0]
    pumps = pumps + liquid[3] + air[3]
    fans = fans + liquid[2] + air[2]
    cooling = chiller + pumps + fans
    house = p[HOUSE] * it
    facility = it / (p[ETA_T] * p[ETA_UPS] * p[ETA_D]) + cooling / p[ETA_T] + house
    chain = facility - it - cooling - house
    columns = (it, facility, cooling, chiller, liquid[1] + air[1], pumps, fans, chain, house,
               liquid[6] + air[6], liquid[5] + air[5], liquid[4] + air[4], liquid[7], air[7],
               np.maximum(liquid[8], air[8]), liquid[0])
    assert len(columns) == len(HOURLY)
    return np.stack(columns, axis=1)


def plant_years_numpy(params, t_db, t_wb, month):
    """Twin of :func:`rackplan.kernels.plant.plant_years`: ``[sites, len(ANNUAL)]``."""
    params = np.atleast_2d(np.asarray(params, dtype=float))
    month = np.asarray(month)
    out = np.empty((params.shape[0], len(ANNUAL)))
    months = ANNUAL.index("facility_energy_m01"), ANNUAL.index("it_energy_m01")
    for i, p in enumerate(params):
        h = dict(zip(HOURLY, plant_hours_numpy(p, t_db, t_wb).T))
        load, air_share, unmet = h["chiller_load"], h["air_chiller_share"], h["unmet"]
        crah = p[AIR_MODE] == 0.0
        sums = {
            "it_energy": h["it_power"].sum() * 3600.0,
            "facility_energy": h["facility_power"].sum() * 3600.0,
            "cooling_energy": h["cooling_power"].sum() * 3600.0,
            "chiller_energy": h["chiller_power"].sum() * 3600.0,
            "water_use": h["water_use"].sum() * 3600.0,
            "evaporation": h["evaporation"].sum() * 3600.0,
            "free_cooling_hours": np.count_nonzero((load == 0.0) & (unmet == 0.0)),
            "chiller_hours": np.count_nonzero(load > 0.0),
            "economizer_hours": np.count_nonzero((air_share == 0.0) & (unmet == 0.0)) * crah,
            "unmet_hours": unmet.sum(),
            "peak_facility_power": h["facility_power"].max(),
            "liquid_chiller_energy": h["liquid_chiller_power"].sum() * 3600.0,
            "liquid_chiller_hours": np.count_nonzero(h["liquid_chiller_share"] > 0.0),
        }
        out[i, :len(sums)] = [sums[name] for name in ANNUAL[:len(sums)]]
        out[i, months[0]:months[0] + 12] = np.bincount(month, h["facility_power"],
                                                       minlength=12) * 3600.0
        out[i, months[1]:months[1] + 12] = np.bincount(month, h["it_power"],
                                                       minlength=12) * 3600.0
    return out
