"""Colocation economics: the operator builds the facility, a tenant brings the GPUs.

The model (``docs/economics.md``): after the same build as GPU-as-a-service, the tenant pays
``colocation_rate`` per kW of IT (the IT power of the GPU systems that fit) per month, stepped
up by the escalator on each anniversary of the lease start. Power is passed through to the
tenant at cost (as in the Core Scientific / CoreWeave take-or-pay deal): it appears in neither
revenue nor opex. The operator's costs (staff, maintenance, insurance, property costs) are
``colocation_opex_share`` of revenue, i.e. an NOI margin of ``1 - share`` (80-90 % in the deals
of economics.md 3.2). Capex: the facility only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rackplan.kernels.cashflow import SECONDS_PER_MONTH
from rackplan.economics.finance import build_capex

__all__ = ["ColocationMonths", "colocation_months"]


@dataclass
class ColocationMonths:
    """Monthly lines of a colocation lease (arrays of ``n_months``): ``revenue`` and
    ``operator`` opex [USD], ``capex_facility`` [USD], ``start`` (lease start month) and the
    month's ``rate`` [USD/(W s)]."""

    revenue: np.ndarray
    operator: np.ndarray
    capex_facility: np.ndarray
    start: int
    rate: np.ndarray


def colocation_months(n_months: int, *, it_power: float, colocation_rate: float,
                      escalator: float, opex_share: float, facility_capex: float,
                      build_months: int) -> ColocationMonths:
    """Monthly cash-flow lines of colocation.

    ``it_power`` [W] leased; ``colocation_rate`` [USD/(W s)] at lease start and its yearly
    ``escalator`` [1]; ``opex_share`` of revenue [1]; ``facility_capex`` [USD] spread over
    ``build_months``, the lease starting after them.
    """
    m = np.arange(n_months)
    start = int(build_months)
    on = m >= start
    years = np.floor(np.maximum(m - start, 0) / 12.0)
    rate = np.where(on, colocation_rate * (1.0 + escalator) ** years, 0.0)
    revenue = rate * it_power * SECONDS_PER_MONTH
    return ColocationMonths(
        revenue=revenue,
        operator=revenue * opex_share,
        capex_facility=build_capex(facility_capex, start, n_months),
        start=start,
        rate=rate,
    )
