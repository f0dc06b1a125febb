"""Debt on an option's capex: the loan, its service, and the levered figures.

A share ``debt_share`` of each month's capex is borrowed as it is spent. Interest accrues at
``debt_rate`` (a yearly rate, compounded monthly at ``debt_rate / 12``, as a loan quotes it)
and is added to the balance until the first operating month; from the month after it, the
balance is repaid in ``debt_term`` equal monthly payments (an annuity, as
``numpy_financial.pmt``). Interest is deductible: the option pays ``tax_rate`` x interest less
income tax than unlevered.

The levered cash flow is the unlevered one plus what is borrowed, less the debt service, plus
the interest's tax saving. Within the horizon it is month by month; after it, the debt is
settled as the assets are valued (``terminal_value``): under ``dcf`` the remaining service is
paid from the cash flows after the horizon, and its value at the horizon is counted in the last
month (as the terminal value is); under ``book`` and ``zero`` the balance left is repaid in the
horizon's last month. The levered NPV discounts it at the option's own discount rate, the
unlevered one's (an adjusted present value: the unlevered NPV plus the present value of the
financing); the levered IRR is that of the levered monthly cash flows. The debt-service cover
ratio of a month is its cash flow available for debt service (EBITDA less the income tax with
the interest deducted) over its debt service; the minimum is over the months with a payment
within the horizon.

NumPy on one option's monthly lines: the loan does not depend on any price, so it is not part
of the engine's sweeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rackplan.economics.finance import fold_after, irr, npv

__all__ = ["Loan", "loan", "Levered", "levered"]


@dataclass(frozen=True)
class Loan:
    """Monthly lines of a loan [USD], from month 0 to its last payment: ``draw`` (borrowed),
    ``interest`` (accrued; capitalized before the first payment), ``payment`` (interest and
    principal paid) and ``balance`` (owed at the month's end)."""

    draw: np.ndarray
    interest: np.ndarray
    payment: np.ndarray
    balance: np.ndarray


def loan(capex: np.ndarray, start: int, debt_share: float, debt_rate: float,
         debt_term: int) -> Loan:
    """The loan that finances ``debt_share`` of monthly ``capex`` [USD] (month 0 on), for an
    option that operates from month ``start``: interest at ``debt_rate`` / 12 a month added
    to the balance through month ``start``, then ``debt_term`` (at least 1) [month] level
    payments from month ``start + 1``."""
    capex = np.asarray(capex, dtype=float)
    draw = np.zeros(max(capex.shape[0], start + 1) + debt_term)
    draw[: capex.shape[0]] = debt_share * capex
    i = debt_rate / 12.0
    interest = np.zeros_like(draw)
    payment = np.zeros_like(draw)
    balance = np.zeros_like(draw)
    owed = level = 0.0
    for m in range(draw.shape[0]):
        interest[m] = owed * i
        if m == start + 1:  # the annuity that repays the balance over the term
            level = owed / debt_term if i == 0.0 else owed * i / (1.0 - (1.0 + i) ** -debt_term)
        if m == start + debt_term:  # the last payment: what is left (rounding included)
            payment[m] = owed + interest[m]
        elif start < m < start + debt_term:
            payment[m] = level
        owed += interest[m] + draw[m] - payment[m]
        balance[m] = owed
    return Loan(draw=draw, interest=interest, payment=payment, balance=balance)


@dataclass(frozen=True)
class Levered:
    """An option's figures with its debt: ``cash_flow`` (monthly, within the horizon [USD]),
    ``npv`` [USD], ``irr`` [1 per year], ``min_dscr`` [1] (NaN where no payment falls within
    the horizon) and the ``loan``."""

    cash_flow: np.ndarray
    npv: float
    irr: float
    min_dscr: float
    loan: Loan


def levered(cash_flow: np.ndarray, ebitda: np.ndarray, income_tax: np.ndarray,
            capex: np.ndarray, start: int, *, debt_share: float, debt_rate: float,
            debt_term: int, tax_rate: float, discount_rate: float,
            terminal_value: str) -> Levered:
    """The levered figures of an option from its unlevered monthly lines within the horizon
    (``cash_flow``, ``ebitda``, ``income_tax``, ``capex`` [USD]; capex of a build that
    outlasts the horizon is not financed), first operating month ``start``."""
    n = cash_flow.shape[0]
    debt = loan(capex, start, debt_share, debt_rate, debt_term)
    # what the loan adds to the owner's cash: borrowed, less paid, plus the interest's tax
    flow = debt.draw - debt.payment + tax_rate * debt.interest
    levered_cf = np.array(cash_flow, dtype=float)
    if terminal_value == "dcf":  # the service after the horizon, valued at the horizon
        within = fold_after(flow, n, discount_rate)
    else:  # the balance left repaid with the horizon's last month
        within = np.array(flow[:n])
        if flow.shape[0] > n > 0:
            within[-1] -= debt.balance[n - 1]
    levered_cf[: within.shape[0]] += within
    service = debt.payment[:n]
    cfads = ebitda - (income_tax - tax_rate * debt.interest[:n])
    paid = service > 0
    min_dscr = float(np.min(cfads[paid] / service[paid])) if paid.any() else math.nan
    return Levered(cash_flow=levered_cf, npv=npv(levered_cf, discount_rate),
                   irr=irr(levered_cf), min_dscr=min_dscr, loan=debt)
