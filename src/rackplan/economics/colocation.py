"""Colocation: the operator builds the facility, a tenant brings the GPUs.

The model (``docs/economics.md``; computed by the engine, :mod:`rackplan.kernels.engine`, kind
``"colocation"``): after the same build as GPU-as-a-service, the tenant pays
``colocation_rate`` per kW of IT (the IT power of the GPU systems that fit) per month, stepped
up by the escalator on each anniversary of the lease start. Power is passed through to the
tenant at cost (as in the Core Scientific / CoreWeave take-or-pay deal): it appears in neither
revenue nor opex. The operator's costs (staff, maintenance, insurance, property costs) are
``colocation_opex_share`` of revenue, i.e. an NOI margin of ``1 - share`` (80-90 % in the
announced deals ``docs/economics.md`` lists). Capex: the facility only.
"""

from __future__ import annotations

from typing import Any

from rackplan.economics.option import Option, OptionContext

__all__ = ["OPTION"]


def _details(ctx: OptionContext) -> tuple[dict[str, Any], dict[str, str]]:
    return {"colocation_rate": ctx.market.colocation_rate,
            "power": "passed through to the tenant at cost"}, {}


#: Colocation of the GPU profile's fleet.
OPTION = Option(name="colocation", label="Colocation", kind="colocation", fleet="gpu",
                opex_lines=("operator",), details=_details)
