"""Finance on monthly cash flows: NPV, IRR, payback, yearly sums, margins, and the
:class:`Financials` of an option (its monthly lines from the engine,
:mod:`rackplan.kernels.engine`, and its metrics).

Conventions (``docs/economics.md``; the engine writes the lines by them):

- NOI = revenue - site operating costs (power, staff, maintenance, insurance, network and
  software, a colocation operator's costs); EBITDA = NOI - SG&A.
- Cash flow is after income tax and unlevered: EBITDA - capex, plus the terminal value (the
  ``residual`` line), less the income tax: ``tax_rate`` x (EBITDA - tax depreciation +
  residual value), negative in a month with a loss (it lowers the owner's other taxes). Tax
  depreciation is straight line, MACRS or bonus (``tax_depreciation``); what is left of an
  asset's tax basis is deducted when it is sold or retired. A fleet runs for its IT's useful
  life. Under ``terminal_value = "dcf"`` (the default) the months after the horizon, until the fleet retires, are valued as they
  come and their value at the horizon is the last month's residual; the facility counts at
  ``residual_value`` x its book value when the fleet retires (in that month if it is within
  the horizon). Under ``"book"`` the residual is ``residual_value`` x the straight-line book
  value left at the horizon's end; under ``"zero"`` there is none.
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
    "yearly",
    "fold_after",
    "Financials",
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


def yearly(monthly: np.ndarray, months_per_year: int = 12) -> np.ndarray:
    """Sums of a monthly series by year (a short last year is summed as it is)."""
    monthly = np.asarray(monthly, dtype=float)
    n_years = -(-monthly.shape[0] // months_per_year)
    padded = np.zeros(n_years * months_per_year)
    padded[: monthly.shape[0]] = monthly
    return padded.reshape(n_years, months_per_year).sum(axis=1)


def fold_after(flow: np.ndarray, n_months: int, discount_rate: float) -> np.ndarray:
    """Monthly ``flow`` [USD] cut to ``n_months``, what comes after valued at the horizon:
    their sum discounted at the effective yearly ``discount_rate`` [1] to the last month, and
    added to it (as the ``dcf`` terminal value is), so that the NPV is unchanged."""
    flow = np.asarray(flow, dtype=float)
    folded = np.array(flow[:n_months])
    if flow.shape[0] > n_months > 0:
        m = np.arange(n_months, flow.shape[0])
        folded[-1] += float(np.sum(flow[n_months:] * (1.0 + discount_rate)
                                   ** (-(m - (n_months - 1)) / 12.0)))
    return folded


@dataclass
class Financials:
    """Monthly lines and metrics of one option.

    Arrays of ``n_months`` [USD]: ``revenue``, ``opex`` (sum of ``opex_lines``), ``noi``,
    ``sga``, ``ebitda``, ``capex_it``, ``capex_facility``, ``capex``, ``depreciation``,
    ``residual`` (the terminal value: in the last month, or under ``dcf`` the facility's
    book value in the month its fleet retires), ``tax_depreciation`` (what is deducted from
    taxable income), ``income_tax``, ``cash_flow``. Scalars: ``npv`` [USD],
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
    tax_depreciation: np.ndarray
    income_tax: np.ndarray
    cash_flow: np.ndarray
    npv: float
    irr: float
    payback: float
    start: int
    extra: dict[str, np.ndarray] = field(default_factory=dict)


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
