"""The cash-flow kernels (rackplan.kernels.cashflow): the calendar, Bitcoin's subsidy by block
height and by month, and the finance metrics of a monthly series (NPV, IRR, payback), each
against its NumPy twin and against values worked by hand. The monthly engine built on them is
tested in test_engine.py; the IRR against numpy-financial in test_finance.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackplan.kernels import cashflow as k
from rackplan.kernels import engine

#: A month's cash flow [USD]: nothing, or a cent to a billion either way.
FLOW = st.one_of(
    st.just(0.0),
    st.builds(lambda sign, size: sign * size, st.sampled_from([1.0, -1.0]),
              st.floats(1e-2, 1e9, allow_nan=False, allow_infinity=False,
                        allow_subnormal=False)),
)
FLOWS = st.lists(FLOW, min_size=1, max_size=120).map(np.array)


# --- the calendar ---------------------------------------------------------------------------


def test_the_calendar():
    assert k.SECONDS_PER_MONTH == 365.25 * 86_400 / 12 == 2_629_800.0
    assert k.BLOCKS_PER_MONTH == k.SECONDS_PER_MONTH / 600 == 4383
    assert k.HASHES_PER_DIFFICULTY == 2.0 ** 32
    assert k.HALVING_INTERVAL == 210_000 and k.INITIAL_SUBSIDY_SATS == 50 * 100_000_000


# --- the subsidy ----------------------------------------------------------------------------


def test_block_subsidy_by_hand():
    # Bitcoin Core's GetBlockSubsidy: 50 BTC, halved every 210,000 blocks, 0 after 64 halvings
    assert k.block_subsidy_sats(0) == 5_000_000_000
    assert k.block_subsidy_sats(209_999) == 5_000_000_000
    assert k.block_subsidy_sats(210_000) == 2_500_000_000
    assert k.block_subsidy_sats(840_000) == 312_500_000  # April 2024: 3.125 BTC
    assert k.block_subsidy_sats(1_050_000) == 156_250_000
    assert k.block_subsidy_sats(32 * 210_000) == 1  # 5e9 >> 32
    assert k.block_subsidy_sats(33 * 210_000) == 0
    assert k.block_subsidy_sats(64 * 210_000) == 0  # the shift is not taken mod 64
    np.testing.assert_array_equal(
        k.block_subsidy_sats_numpy(np.array([0, 840_000, 64 * 210_000 - 1, 64 * 210_000])),
        [5_000_000_000, 312_500_000, 0, 0])


@given(st.integers(0, 15_000_000))
def test_block_subsidy_kernel_and_twin(height):
    assert k.block_subsidy_sats(height) == int(k.block_subsidy_sats_numpy(height))


def month_subsidy(h0, m):
    """The engine's subsidy of month ``m`` from height ``h0`` (its reward per block with no
    fees, from :func:`rackplan.kernels.engine.time_factors`)."""
    p = np.zeros(len(engine.PARAMS))
    p[engine.BLOCK_HEIGHT] = h0
    p[engine.DIFFICULTY] = 1.0
    tf = np.empty((engine.N_TIME, m + 1))
    engine.time_factors(p, m + 1, tf)
    return tf[engine.T_REWARD, m]


def test_month_subsidy_by_hand():
    # the built-in height 922,368: block 1,050,000 falls in month 29 (docs/economics.md)
    h0 = 922_368
    assert h0 + 29 * 4383 < 1_050_000 <= h0 + 30 * 4383
    expected = (525 * 3.125 + 3858 * 1.5625) / 4383
    assert month_subsidy(h0, 29) == pytest.approx(expected, rel=1e-15)
    twin = k.month_subsidy_numpy(h0, 31)
    assert twin.shape == (31,)
    assert twin[29] == pytest.approx(expected, rel=1e-15)
    assert np.all(twin[:29] == 3.125) and twin[30] == 1.5625
    # a month that starts on the halving block is all at the new subsidy
    assert month_subsidy(1_050_000, 0) == 1.5625
    assert month_subsidy(1_050_000 - 4383, 0) == 3.125


@given(st.integers(0, 14_000_000), st.integers(0, 600))
def test_month_subsidy_is_the_mean_over_its_blocks(h0, m):
    start = h0 + 4383 * m
    brute = k.block_subsidy_sats_numpy(np.arange(start, start + 4383)).mean() / 1e8
    assert month_subsidy(h0, m) == pytest.approx(brute, rel=1e-14, abs=1e-18)
    assert k.month_subsidy_numpy(h0, m + 1)[m] == month_subsidy(h0, m)


def test_month_subsidy_twin_takes_arrays_of_heights():
    heights = np.array([0, 839_999, 1_049_000, 13_439_000])
    out = k.month_subsidy_numpy(heights, 12)
    assert out.shape == (12, 4)
    for j, h0 in enumerate(heights):
        np.testing.assert_array_equal(out[:, j], [month_subsidy(int(h0), m) for m in range(12)])


# --- NPV ------------------------------------------------------------------------------------


def test_npv_by_hand():
    # 12.6825... % a year is exactly 1 % a month: (1.01)^12 - 1
    r = 1.01 ** 12 - 1
    cf = np.array([-100.0, 0.0, 121.0])
    assert k.npv(cf, r) == pytest.approx(-100 + 121 / 1.01 ** 2, rel=1e-14)
    assert k.npv(cf, 0.0) == 21.0
    assert k.npv_numpy(cf, r) == pytest.approx(k.npv(cf, r), rel=1e-14)
    assert k.npv(np.array([7.0]), 0.5) == 7.0  # month 0 undiscounted


@given(FLOWS, st.floats(0.0, 2.0))
def test_npv_kernel_and_twin(cf, r):
    scale = np.abs(cf).sum()
    assert k.npv(cf, r) == pytest.approx(k.npv_numpy(cf, r), rel=1e-12, abs=1e-12 * scale)


# --- IRR ------------------------------------------------------------------------------------


def test_irr_by_hand():
    # -100 now, +121 two months later: 10 % a month, (1.1)^12 - 1 a year
    for irr in (k.irr, k.irr_numpy):
        assert irr(np.array([-100.0, 0.0, 121.0])) == pytest.approx(1.1 ** 12 - 1, rel=1e-12)
        assert irr(np.array([-100.0, 100.0])) == pytest.approx(0.0, abs=1e-12)
        assert math.isnan(irr(np.array([1.0, 2.0])))  # never negative: no IRR
        assert math.isnan(irr(np.array([-1.0, -2.0])))
        assert math.isnan(irr(np.array([0.0, 0.0])))


INCOME = st.one_of(st.just(0.0), st.floats(1.0, 1e8))


@given(st.floats(1e3, 1e9), st.lists(INCOME, min_size=1, max_size=120), st.integers(0, 24))
def test_irr_kernel_and_twin_on_conventional_projects(capex, income, build):
    """An outlay (over a build), then income: one sign change, one root. The kernel brackets
    monthly rates from -99 % to +100 %: outside, NaN."""
    cf = np.array([-capex] * (build + 1) + income)
    ours = k.irr(cf)
    twin = k.irr_numpy(cf)
    if not any(x > 0 for x in income):
        assert math.isnan(ours) and math.isnan(twin)
        return
    if math.isnan(ours):  # the root is outside the bracket: (1 - 0.99)^12 - 1 is -1.0 in float
        assert twin == -1.0 or twin > 2.0 ** 12 - 1
        return
    assert ours == pytest.approx(twin, rel=1e-6, abs=1e-9)
    # the root's NPV is nought next to the flows' size (where the annual rate keeps the
    # monthly one: above -50 % a month; below, (1 + x)^12 is lost in 1 + annual)
    x = (1.0 + ours) ** (1.0 / 12.0) - 1.0
    if x > -0.5:
        terms = cf / (1.0 + x) ** np.arange(cf.size)
        assert abs(terms.sum()) <= 1e-6 * np.abs(terms).sum()


# --- payback --------------------------------------------------------------------------------


def test_payback_by_hand():
    # -100, +30, ...: running -100, -70, -40, -10, +20: non-negative in month 4, after 5 months
    for payback in (k.payback_month, k.payback_month_numpy):
        assert payback(np.array([-100.0, 30, 30, 30, 30, 30])) == 5.0
        assert payback(np.array([-100.0, 100.0])) == 2.0  # back to exactly 0 counts
        assert payback(np.array([5.0, -1.0])) == 0.0  # never negative
        assert math.isnan(payback(np.array([-100.0, 30, 30])))  # not within the horizon
        assert payback(np.array([0.0, -1.0, 2.0, -5.0, 10.0])) == 3.0  # the first time


@given(FLOWS)
def test_payback_kernel_and_twin(cf):
    a, b = k.payback_month(cf), k.payback_month_numpy(cf)
    assert (math.isnan(a) and math.isnan(b)) or a == b
