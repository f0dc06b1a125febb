"""Income tax of a stand-alone taxpayer: losses carried forward, not offset.

The engine taxes each month's income at ``tax_rate`` and lets a loss lower the owner's other
taxes at once (a company with profits elsewhere), which keeps every NPV linear in every price.
A project company on its own cannot do that: a year's loss is carried forward and deducted
from later years' taxable income, up to a share of each year's income (80 % for losses of tax
years beginning after 2020, 26 U.S.C. 172(a)(2)), with no refund of taxes paid before
(no carryback since the Tax Cuts and Jobs Act, 26 U.S.C. 172(b)(1)(A)). This module recomputes
the tax of an option's monthly lines so.

The tax year is twelve months from the first month of the lines (the market date). Within a
year each month pays the tax due on the year's income so far, less what the year has paid,
so a year's losses and profits net as on an annual return and a year without a loss carried
in pays exactly what the engine's monthly tax sums to.

NumPy on one option's lines, as :mod:`rackplan.economics.debt`: the tax is not linear in the
prices, so it is not part of the engine's sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rackplan.errors import InputError

__all__ = ["StandAloneTax", "carry_losses_forward"]

#: Months in a tax year.
TAX_YEAR = 12


@dataclass(frozen=True)
class StandAloneTax:
    """``income_tax`` [USD] by month (a month may be negative: it returns part of what earlier
    months of its year paid), and the ``losses_left`` [USD] still to deduct after the last
    month."""

    income_tax: np.ndarray
    losses_left: float


def carry_losses_forward(taxable_income: np.ndarray, tax_rate: float,
                         limit: float = 0.8) -> StandAloneTax:
    """The income tax [USD] by month of monthly ``taxable_income`` [USD] at ``tax_rate`` [1],
    a year's loss deducted from later years' income up to ``limit`` [1] of each year's.

    Parameters
    ----------
    taxable_income : array of float
        By month, from the start of the first tax year [USD]: EBITDA - tax depreciation +
        what is sold.
    tax_rate : float
        Share of taxable income [1], 0 to 1.
    limit : float
        Share of a year's taxable income that losses carried in may offset [1], 0 to 1:
        0.8 under 26 U.S.C. 172(a)(2); 1 where the whole may be (Canada's non-capital losses).
    """
    income = np.asarray(taxable_income, dtype=float)
    for name, value in (("tax_rate", tax_rate), ("limit", limit)):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{name}: must be a share from 0 to 1, got {value!r}")
    if income.ndim != 1 or not np.isfinite(income).all():
        raise InputError("taxable_income: must be a 1-D array of finite USD by month")
    tax = np.empty_like(income)
    carried = 0.0
    for first in range(0, income.shape[0], TAX_YEAR):
        so_far = np.cumsum(income[first:first + TAX_YEAR])
        gain = np.maximum(so_far, 0.0)
        due = tax_rate * (gain - np.minimum(carried, limit * gain))
        tax[first:first + TAX_YEAR] = np.diff(due, prepend=0.0)
        year = so_far[-1]
        carried += max(-year, 0.0) - min(carried, limit * max(year, 0.0))
    return StandAloneTax(income_tax=tax, losses_left=carried)
