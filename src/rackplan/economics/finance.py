"""Finance on monthly cash flows: NOI, EBITDA, depreciation, cash flow, NPV, IRR, payback.

Conventions (``docs/economics.md``):

- NOI = revenue - site operating costs (power, staff, maintenance, insurance, network and
  software, a colocation operator's costs); EBITDA = NOI - SG&A.
- Cash flow is pre-tax and unlevered: EBITDA - capex, plus, in the last month, the residual
  value (``residual_value`` x the straight-line book value left at the horizon's end).
- Depreciation is straight line over the useful life from the first operating month (IT
  equipment and facility each their own life); it is reported, not a cash flow.
- NPV discounts month ``m`` by ``(1 + r)^(-m/12)``, ``r`` an effective yearly rate, month 0
  undiscounted (as ``numpy_financial.npv`` with the monthly rate).
- IRR solves the monthly rate ``x`` with NPV 0 and reports ``(1 + x)^12 - 1``.
- Payback: months from month 0 until the running cash flow (without the residual value) first
  turns non-negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rackplan.kernels import cashflow as kernels

__all__ = [
    "npv",
    "irr",
    "payback_month",
    "build_capex",
    "straight_line",
    "book_share",
    "yearly",
    "Financials",
    "financials",
]


def npv(cashflow, discount_rate: float) -> float:
    """Net present value [USD] of monthly ``cashflow`` [USD] at the effective yearly
    ``discount_rate`` [1]."""
    return kernels.npv_numpy(cashflow, discount_rate)


def irr(cashflow) -> float:
    """Internal rate of return, annualized [1]: ``(1 + x)^12 - 1`` with ``x`` the monthly rate
    that zeroes the NPV (the root nearest 0 if several); NaN when there is none."""
    return float(kernels.irr(np.ascontiguousarray(cashflow, dtype=float)))


def payback_month(cashflow) -> float:
    """Months until the running ``cashflow`` first turns non-negative [month]; NaN if never."""
    return kernels.payback_month_numpy(cashflow)


def build_capex(total: float, build_months: int, n_months: int) -> np.ndarray:
    """Capex spread evenly over ``build_months`` (all in month 0 when there is no build), cut
    at the horizon [USD per month]."""
    out = np.zeros(n_months)
    if build_months == 0:
        out[0] = total
    else:
        out[: min(build_months, n_months)] = total / build_months
    return out


def straight_line(cost: float, start: int, life_months: float, n_months: int) -> np.ndarray:
    """Straight-line depreciation of ``cost`` [USD] over ``life_months`` from month ``start``
    [USD per month]; a life that is not a whole number of months ends with a part month."""
    m = np.arange(n_months, dtype=float)
    # share of the life used up by the end of month m, minus by its start
    used_end = np.clip((m + 1.0 - start) / life_months, 0.0, 1.0)
    used_start = np.clip((m - start) / life_months, 0.0, 1.0)
    return cost * (used_end - used_start)


def book_share(months_in_service: float, life_months: float) -> float:
    """Share of cost left on the books after ``months_in_service`` of a straight-line life."""
    return max(0.0, 1.0 - max(0.0, months_in_service) / life_months)


def yearly(monthly: np.ndarray, months_per_year: int = 12) -> np.ndarray:
    """Sums of a monthly series by year (a short last year is summed as it is)."""
    monthly = np.asarray(monthly, dtype=float)
    n_years = -(-monthly.shape[0] // months_per_year)
    padded = np.zeros(n_years * months_per_year)
    padded[: monthly.shape[0]] = monthly
    return padded.reshape(n_years, months_per_year).sum(axis=1)


@dataclass
class Financials:
    """Monthly lines and metrics of one option.

    Arrays of ``n_months`` [USD]: ``revenue``, ``opex`` (sum of ``opex_lines``), ``noi``,
    ``sga``, ``ebitda``, ``capex_it``, ``capex_facility``, ``capex``, ``depreciation``,
    ``residual`` (non-zero in the last month only), ``cash_flow``. Scalars: ``npv`` [USD],
    ``irr`` [1 per year], ``payback`` [month] (NaN if not within the horizon), ``start``.
    """

    revenue: np.ndarray
    opex_lines: dict[str, np.ndarray]
    opex: np.ndarray
    noi: np.ndarray
    sga: np.ndarray
    ebitda: np.ndarray
    capex_it: np.ndarray
    capex_facility: np.ndarray
    capex: np.ndarray
    depreciation: np.ndarray
    residual: np.ndarray
    cash_flow: np.ndarray
    npv: float
    irr: float
    payback: float
    start: int
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def financials(revenue, opex_lines: dict[str, np.ndarray], *, capex_it, capex_facility,
               start: int, sga_share: float, life_it_months: float,
               life_facility_months: float, discount_rate: float,
               residual_value: float) -> Financials:
    """Finance lines and metrics of one option from its monthly revenue, opex and capex."""
    revenue = np.asarray(revenue, dtype=float)
    n = revenue.shape[0]
    opex = np.zeros(n)
    for line in opex_lines.values():
        opex = opex + line
    noi = revenue - opex
    sga = sga_share * revenue
    ebitda = noi - sga
    capex_it = np.asarray(capex_it, dtype=float)
    capex_facility = np.asarray(capex_facility, dtype=float)
    capex = capex_it + capex_facility
    it_cost = float(capex_it.sum())
    facility_cost = float(capex_facility.sum())
    depreciation = (straight_line(it_cost, start, life_it_months, n)
                    + straight_line(facility_cost, start, life_facility_months, n))
    residual = np.zeros(n)
    residual[-1] = residual_value * (it_cost * book_share(n - start, life_it_months)
                                     + facility_cost * book_share(n - start, life_facility_months))
    cash_flow = ebitda - capex + residual
    return Financials(
        revenue=revenue, opex_lines=dict(opex_lines), opex=opex, noi=noi, sga=sga,
        ebitda=ebitda, capex_it=capex_it, capex_facility=capex_facility, capex=capex,
        depreciation=depreciation, residual=residual, cash_flow=cash_flow,
        npv=npv(cash_flow, discount_rate), irr=irr(cash_flow),
        payback=payback_month(ebitda - capex), start=start)


def margin(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0 (a margin with no revenue)
    or the ratio is not a finite number; never infinite."""
    if denominator == 0:
        return math.nan
    try:
        ratio = float(numerator) / float(denominator)
    except (OverflowError, ZeroDivisionError):
        return math.nan
    return ratio if math.isfinite(ratio) else math.nan
