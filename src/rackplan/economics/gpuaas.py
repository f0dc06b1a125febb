"""GPU-as-a-service economics: the monthly cash flows of renting out GPU time.

The model (``docs/economics.md``), month ``m`` from the market date, after a build of
``build_months`` with no revenue::

    revenue_m = GPUs x t_month x utilization x price_0 (1 - decline)^(m/12)
    power_m   = units x P_typical x (idle + (1 - idle) x utilization) x PUE x t x energy price
              + units x P_max x PUE x t x demand charge
    opex_m    = power_m + staff + maintenance + insurance + network and software

Capex: the facility conversion spread evenly over the build, the GPU systems and their
installation in the first operating month. Plain functions on SI floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rackplan.kernels.cashflow import SECONDS_PER_MONTH
from rackplan.economics.finance import build_capex

__all__ = ["GpuaasMonths", "gpuaas_months", "gpu_load_factor"]


def gpu_load_factor(utilization: float, idle_share: float) -> float:
    """Draw of a GPU system as a share of its typical power [1]: ``idle + (1 - idle) x u``.

    An idle system draws ``idle_share`` of its typical power; a fully sold one draws all of it.
    """
    return idle_share + (1.0 - idle_share) * utilization


@dataclass
class GpuaasMonths:
    """Monthly lines of a GPU-as-a-service fleet (arrays of ``n_months``).

    ``gpu_hours`` sold [h], ``revenue`` [USD], ``energy`` [J], opex lines [USD] (``power``,
    ``staff``, ``maintenance``, ``insurance``, ``network_software``), capex ``capex_it``
    (GPU systems and installation) and ``capex_facility`` [USD], ``start`` the first
    operating month, ``gpu_hour_price`` the month's price [USD/h].
    """

    gpu_hours: np.ndarray
    revenue: np.ndarray
    energy: np.ndarray
    power: np.ndarray
    staff: np.ndarray
    maintenance: np.ndarray
    insurance: np.ndarray
    network_software: np.ndarray
    capex_it: np.ndarray
    capex_facility: np.ndarray
    start: int
    gpu_hour_price: np.ndarray


def gpuaas_months(n_months: int, *, units: float, gpus: float, power_typical: float,
                  power_max: float, pue: float, gpu_hour_price: float, gpu_price_decline: float,
                  utilization: float, idle_share: float, power_price: float,
                  demand_charge: float, power_price_growth: float, system_price: float,
                  installation_per_gpu: float, facility_capex: float, build_months: int,
                  staff_per_1000_gpus: float, staff_cost: float, network_software: float,
                  maintenance_it: float, maintenance_facility: float,
                  insurance: float) -> GpuaasMonths:
    """Monthly cash-flow lines of a GPU-as-a-service fleet.

    Parameters (SI floats)
    ----------------------
    units and gpus [1]; power_typical and power_max per unit [W]; pue [1]; gpu_hour_price per
    GPU at month 0 [USD/s] and its yearly decline [1]; utilization and the idle power share
    [1]; power_price [USD/J], demand_charge [USD/(W s)], power_price_growth per year;
    system_price per unit and installation_per_gpu [USD]; facility_capex [USD] and
    build_months; staff_per_1000_gpus [1] at staff_cost [USD/s]; network_software per GPU
    [USD/s]; maintenance_it, maintenance_facility, insurance per year [1].
    """
    m = np.arange(n_months)
    start = int(build_months)
    on = np.where(m >= start, 1.0, 0.0)
    t = SECONDS_PER_MONTH
    price = gpu_hour_price * (1.0 - gpu_price_decline) ** (m / 12.0)
    seconds_sold = on * gpus * t * utilization
    power_f = (1.0 + power_price_growth) ** (m / 12.0)
    energy = on * units * power_typical * gpu_load_factor(utilization, idle_share) * pue * t
    power = (energy * power_price + on * units * power_max * pue * t * demand_charge) * power_f
    it_capex = units * system_price + gpus * installation_per_gpu
    return GpuaasMonths(
        gpu_hours=seconds_sold / 3600.0,
        revenue=seconds_sold * price,
        energy=energy,
        power=power,
        staff=on * staff_per_1000_gpus * gpus / 1000.0 * staff_cost * t,
        maintenance=on * (maintenance_it * it_capex + maintenance_facility * facility_capex)
        / 12.0,
        insurance=on * insurance * (it_capex + facility_capex) / 12.0,
        network_software=on * network_software * gpus * t,
        capex_it=np.where(m == start, it_capex, 0.0),
        capex_facility=build_capex(facility_capex, start, n_months),
        start=start,
        gpu_hour_price=price * 3600.0,
    )
