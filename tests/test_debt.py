"""Debt on an option's capex (rackplan.economics.debt): the loan against numpy-financial, the
interest capitalized over a build, the levered NPV as the unlevered one plus the financing's
present value, the levered IRR and the minimum DSCR by hand, and compare's levered figures."""

from __future__ import annotations

import json
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackplan import compare
from rackplan.economics.debt import levered, loan
from rackplan.economics.finance import npv


def test_a_loan_is_an_annuity_after_the_first_operating_month():
    """60 % of 10 M USD borrowed in month 0, operating from month 0: level payments from
    month 1 over 24 months at 7.5 %/12 a month, as numpy-financial's pmt and ipmt."""
    capex = np.zeros(36)
    capex[0] = 10e6
    debt = loan(capex, 0, 0.6, 0.075, 24)
    i, principal = 0.075 / 12, 6e6
    level = npf.pmt(i, 24, -principal)
    np.testing.assert_allclose(debt.payment[1:25], level, rtol=1e-12)
    assert not debt.payment[0] and not debt.payment[25:].any()
    np.testing.assert_allclose(debt.interest[1:25], npf.ipmt(i, np.arange(1, 25), 24, -principal),
                               rtol=1e-10)
    assert debt.balance[24] == pytest.approx(0.0, abs=1e-6)
    assert debt.draw.sum() == pytest.approx(principal)


def test_interest_over_the_build_is_capitalized():
    """Draws of 10 in months 0-2 (the build) and 50 in month 3 (the equipment, the first
    operating month) at 1 % a month: owed 10, 20.1, 30.301, then 30.604 + 50 = 80.604 at the
    end of month 3, repaid in two payments from month 4."""
    capex = np.array([10.0, 10.0, 10.0, 50.0, 0.0, 0.0, 0.0])
    debt = loan(capex, 3, 1.0, 0.12, 2)
    np.testing.assert_allclose(debt.balance[:4], [10.0, 20.1, 30.301, 80.60401], rtol=1e-12)
    assert not debt.payment[:4].any()
    level = npf.pmt(0.01, 2, -80.60401)
    np.testing.assert_allclose(debt.payment[4:6], level, rtol=1e-12)
    assert debt.balance[5] == pytest.approx(0.0, abs=1e-9)


def _case(n=24, start=2):
    m = np.arange(n)
    capex = np.where(m < start, 5e6, 0.0)
    ebitda = np.where(m >= start, 0.6e6, 0.0)
    tax = 0.21 * ebitda
    return capex, ebitda, tax, ebitda - tax - capex


@pytest.mark.parametrize("terminal_value", ["dcf", "book"])
def test_levered_npv_is_the_unlevered_plus_the_financing(terminal_value):
    """An adjusted present value: the levered NPV is the unlevered NPV plus the present value
    of what is borrowed, less the service, plus the interest's tax saving; under ``dcf`` the
    service after the 24-month horizon is valued at the option's rate, under ``book`` the
    balance is repaid in the last month."""
    capex, ebitda, tax, cash = _case()
    lev = levered(cash, ebitda, tax, capex, 2, debt_share=0.5, debt_rate=0.08, debt_term=36,
                  tax_rate=0.21, discount_rate=0.1, terminal_value=terminal_value)
    debt = lev.loan
    flow = debt.draw - debt.payment + 0.21 * debt.interest
    if terminal_value == "dcf":
        expected = npv(cash, 0.1) + npv(flow, 0.1)
    else:
        expected = npv(cash, 0.1) + npv(flow[:24], 0.1) - debt.balance[23] * 1.1 ** (-23 / 12)
    assert lev.npv == pytest.approx(expected, rel=1e-12)
    assert lev.npv == pytest.approx(npv(lev.cash_flow, 0.1), rel=1e-12)
    rate = npf.irr(lev.cash_flow)
    assert lev.irr == pytest.approx((1 + rate) ** 12 - 1, rel=1e-6)


def test_the_minimum_dscr_by_hand():
    """Cash available for debt service (EBITDA less the income tax with the interest
    deducted) over the payment, the lowest month within the horizon."""
    capex, ebitda, tax, cash = _case()
    lev = levered(cash, ebitda, tax, capex, 2, debt_share=0.5, debt_rate=0.08, debt_term=36,
                  tax_rate=0.21, discount_rate=0.1, terminal_value="dcf")
    debt = lev.loan
    m = np.arange(3, 24)  # payments from the month after the first operating one
    cover = (0.6e6 - 0.21 * (0.6e6 - debt.interest[m])) / debt.payment[m]
    assert lev.min_dscr == pytest.approx(cover.min(), rel=1e-12)
    # the payment is level and the tax rises as the interest falls: the last month is lowest
    assert lev.min_dscr == pytest.approx(cover[-1], rel=1e-12)


def test_compare_reports_levered_figures_with_debt_only():
    plain = compare()
    assert all(not o.levered for o in plain.options.values())
    assert "levered" not in json.loads(json.dumps(plain.to_dict()))["options"]["gpuaas"]
    r = compare(overrides={"debt_share": 0.6, "debt_rate": "7.5 %", "debt_term": "48 month"})
    for name, o in r.options.items():
        lev = o.levered
        assert lev["borrowed"].m_as("USD") == pytest.approx(0.6 * o.capex.m_as("USD"))
        # cheaper debt than the 10 % discount rate, and its interest saves tax: worth more
        assert lev["npv"].m_as("USD") > o.npv.m_as("USD"), name
    colo = r.options["colocation"].levered
    assert math.isfinite(colo["min_dscr"].magnitude) and colo["irr"].m_as("%/year") > 0
    d = r.to_dict()["options"]["colocation"]["levered"]
    assert set(d) == {"borrowed", "npv", "irr", "min_dscr"} and d["npv"]["unit"] == "USD"


def test_a_debt_term_of_no_months_is_refused(run_cli):
    code, out, err = run_cli("compare", "--set", "debt_term=0 month")
    assert code == 2 and err.count("\n") == 1 and "debt_term" in err and not out


@settings(max_examples=60)
@given(st.integers(1, 48), st.integers(0, 20), st.floats(0.0, 1.0), st.integers(1, 120),
       st.floats(0.0, 0.5), st.sampled_from(["dcf", "book", "zero"]),
       st.lists(st.floats(0.0, 1e7), min_size=1, max_size=48))
def test_debt_at_the_discount_rate_is_worth_nothing(n, start, share, term, rate, mode, spend):
    """Without a tax saving, a loan whose monthly rate is the discount rate's is worth
    nothing: what is borrowed equals the present value of what is repaid, whatever the
    build, the share, the term and how the debt left at the horizon is settled."""
    capex = np.zeros(n)
    capex[:min(n, len(spend))] = spend[:n]
    cash = -capex
    monthly = (1 + rate) ** (1 / 12) - 1
    lev = levered(cash, np.zeros(n), np.zeros(n), capex, start, debt_share=share,
                  debt_rate=12 * monthly, debt_term=term, tax_rate=0.0, discount_rate=rate,
                  terminal_value=mode)
    assert lev.npv == pytest.approx(npv(cash, rate), rel=1e-9, abs=1e-6 * (1 + capex.sum()))
