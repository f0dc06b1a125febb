"""Income tax of a stand-alone taxpayer (rackplan.economics.taxes): losses carried forward and
deducted from up to 80 % of a later year's income (26 U.S.C. 172(a)(2)), worked by hand; the
identity between taxes paid, income and losses left; and compare's stand-alone figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackplan import compare
from rackplan.economics.finance import fold_after, npv
from rackplan.economics.taxes import carry_losses_forward
from rackplan.errors import RackplanError


def _years(*amounts: float) -> np.ndarray:
    """A monthly series with each year's amount in the year's first month."""
    income = np.zeros(12 * len(amounts))
    income[::12] = amounts
    return income


def test_a_loss_is_deducted_from_80_percent_of_later_income():
    """-100, 50, 200 at 21 %: year 1 pays nothing and carries 100; year 2 deducts 40 (80 % of
    50) and pays 0.21 x 10 = 2.1, carrying 60; year 3 deducts the 60 and pays 0.21 x 140 =
    29.4."""
    own = carry_losses_forward(_years(-100.0, 50.0, 200.0), 0.21)
    yearly = own.income_tax.reshape(3, 12).sum(axis=1)
    np.testing.assert_allclose(yearly, [0.0, 2.1, 29.4], atol=1e-12)
    assert own.losses_left == 0.0
    assert own.income_tax[12] == pytest.approx(2.1) and own.income_tax[24] == pytest.approx(29.4)


def test_without_the_limit_the_whole_loss_is_deducted():
    """-100 then 150 with the whole of a year's income open to the loss: 0.21 x 50."""
    own = carry_losses_forward(_years(-100.0, 150.0), 0.21, limit=1.0)
    assert own.income_tax.sum() == pytest.approx(10.5)
    assert own.losses_left == 0.0


def test_a_loss_never_earned_back_is_left_and_refunds_nothing():
    own = carry_losses_forward(_years(80.0, -100.0), 0.21)
    np.testing.assert_allclose(own.income_tax.reshape(2, 12).sum(axis=1), [16.8, 0.0])
    assert own.losses_left == 100.0  # the tax of year 1 stays paid (no carryback)


def test_months_of_one_year_net_as_on_an_annual_return():
    """+100 in month 0, -100 in month 1: 21 paid, then returned; the year owes nothing."""
    income = np.zeros(12)
    income[:2] = [100.0, -100.0]
    own = carry_losses_forward(income, 0.21)
    np.testing.assert_allclose(own.income_tax[:2], [21.0, -21.0])
    assert own.income_tax.sum() == pytest.approx(0.0) and own.losses_left == 0.0


def test_a_short_last_year_is_taxed_as_far_as_it_goes():
    income = np.concatenate([_years(-100.0), [60.0, 60.0]])
    own = carry_losses_forward(income, 0.25)
    # 60: deducts 48, pays 3; 120: deducts 96 (100 left), pays 6 in all
    np.testing.assert_allclose(own.income_tax[12:], [3.0, 3.0])
    assert own.losses_left == pytest.approx(4.0)


_incomes = st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=200)
@given(_incomes, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_tax_paid_is_the_rate_on_income_plus_losses_left(income, rate, limit):
    """At each year's end the taxes paid so far are the rate on the income so far plus the
    losses still carried (no year pays less than nothing), and they are at least the tax that
    offsetting every loss at once would come to."""
    income = np.asarray(income)
    for end in range(12, income.shape[0] + 12, 12):
        own = carry_losses_forward(income[:end], rate, limit)
        paid = own.income_tax.sum()
        total = income[:end].sum()
        assert paid == pytest.approx(rate * (total + own.losses_left), rel=1e-9, abs=1e-3)
        assert paid >= rate * total - 1e-3
        yearly = own.income_tax.reshape(-1)[: (own.income_tax.shape[0] // 12) * 12]
        assert (yearly.reshape(-1, 12).sum(axis=1) >= -1e-3).all()


@settings(max_examples=100)
@given(st.lists(st.floats(0.0, 1e9, allow_nan=False), min_size=1, max_size=60),
       st.floats(0.0, 1.0))
def test_without_a_loss_it_is_the_engines_monthly_tax(income, rate):
    income = np.asarray(income)
    own = carry_losses_forward(income, rate)
    np.testing.assert_allclose(own.income_tax, rate * income, rtol=1e-9, atol=1e-6)
    assert own.losses_left == 0.0


@pytest.mark.parametrize("kwargs, name", [
    ({"tax_rate": 1.5}, "tax_rate"), ({"tax_rate": 0.2, "limit": -0.1}, "limit"),
    ({"tax_rate": math.nan}, "tax_rate")])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(RackplanError, match=name):
        carry_losses_forward(np.zeros(12), **kwargs)


def test_bad_income_is_refused():
    with pytest.raises(RackplanError, match="taxable_income"):
        carry_losses_forward(np.array([1.0, math.inf]), 0.21)


def test_fold_after_keeps_the_npv():
    flow = np.linspace(-5.0, 7.0, 30)
    folded = fold_after(flow, 12, 0.1)
    assert folded.shape == (12,)
    assert npv(folded, 0.1) == pytest.approx(npv(flow, 0.1), rel=1e-12)
    np.testing.assert_array_equal(folded[:11], flow[:11])


# --- compare's stand-alone figures ------------------------------------------------------------

def test_without_income_tax_stand_alone_is_the_headline():
    result = compare(overrides={"stand_alone_tax": True, "tax_rate": 0.0})
    for opt in result.options.values():
        assert opt.stand_alone["npv"].m == pytest.approx(opt.npv.m_as("USD"), rel=1e-9)
        assert opt.stand_alone["income_tax"].m == 0.0


def test_stand_alone_figures_are_off_by_default():
    assert not any(opt.stand_alone for opt in compare().options.values())


@pytest.mark.parametrize("terminal_value", ["dcf", "book"])
def test_carrying_losses_costs_a_taxpayer_value(terminal_value):
    """A deduction later is worth less than one now: no option gains by standing alone; the
    built-in GPU fleet's bonus depreciation (its whole cost in its first month) is a loss
    carried for years."""
    result = compare(overrides={"stand_alone_tax": True, "terminal_value": terminal_value})
    for opt in result.options.values():
        assert opt.stand_alone["npv"].m <= opt.npv.m_as("USD") + 1e-6
        assert opt.stand_alone["income_tax"].m >= opt.total["income_tax"].m_as("USD") - 1e-6
    gpu = result.options["gpuaas"]
    assert gpu.stand_alone["losses_left"].m > 0
    assert gpu.stand_alone["npv"].m < gpu.npv.m_as("USD") - 1e6


def test_the_stand_alone_npv_does_not_depend_on_the_horizon():
    """Under dcf it values each fleet's whole life, as the headline NPV does."""
    five, seven = (compare(years=y, overrides={"stand_alone_tax": True}) for y in (5, 7))
    for name, opt in five.options.items():
        assert opt.stand_alone["npv"].m == pytest.approx(
            seven.options[name].stand_alone["npv"].m, rel=1e-9)


def test_stand_alone_figures_in_json():
    data = json.loads(json.dumps(compare(overrides={"stand_alone_tax": True}).to_dict()))
    figures = data["options"]["colocation"]["stand_alone"]
    assert figures["npv"]["unit"] == "USD" and figures["losses_left"]["unit"] == "USD"
