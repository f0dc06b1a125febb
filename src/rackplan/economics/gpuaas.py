"""GPU-as-a-service: renting out GPU time on the GPU profile's fleet.

The model (``docs/economics.md``; computed by the engine, :mod:`rackplan.kernels.engine`, kind
``"gpuaas"``), month ``m`` from the market date, after a build of ``build_months`` with no
revenue::

    revenue_m = GPUs x t_month x utilization x price_0 (1 - decline)^(m/12)
    power_m   = units x P_typical x (idle + (1 - idle) x utilization) x PUE x t x energy price
              + units x P_max x PUE x t x demand charge
    opex_m    = power_m + staff + maintenance + insurance + network and software

Capex: the facility conversion spread evenly over the build, the GPU systems and their
installation in the first operating month.
"""

from __future__ import annotations

from typing import Any

from rackplan.economics.option import Option, OptionContext
from rackplan.units import Q_

__all__ = ["gpu_load_factor", "OPTION"]


def gpu_load_factor(utilization: float, idle_share: float) -> float:
    """Draw of a GPU system as a share of its typical power [1]: ``idle + (1 - idle) x u``.

    An idle system draws ``idle_share`` of its typical power; a fully sold one draws all of it.
    """
    return idle_share + (1.0 - idle_share) * utilization


def _details(ctx: OptionContext) -> tuple[dict[str, Any], dict[str, str]]:
    """The GPU-hour price assumed (at the market date and in the first operating month, which
    may lie beyond the horizon) and the utilization."""
    b = ctx.base
    price = b["gpu_hour_price"] * 3600.0
    at_start = price * (1.0 - b["gpu_price_decline"]) ** (ctx.start / 12.0)
    return {"gpu_hour_price": Q_(price, "USD/hour"),
            "gpu_hour_price_at_start": Q_(at_start, "USD/hour"),
            "utilization": Q_(100.0 * b["utilization"], "%")}, {}


#: GPU-as-a-service on the GPU profile's fleet.
OPTION = Option(
    name="gpuaas", label="GPU-as-a-service", kind="gpuaas", fleet="gpu",
    opex_lines=("power", "staff", "maintenance", "insurance", "property_tax",
                "network_software"),
    extras={"gpu_hours": ("volume", "hour", 1.0 / 3600.0), "power_cost": ("power", "USD", 1.0)},
    details=_details)
