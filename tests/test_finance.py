"""Finance on monthly cash flows (rackplan.economics.finance and the kernels it uses)."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rackplan.economics.finance import (
    book_share,
    build_capex,
    financials,
    irr,
    npv,
    payback_month,
    straight_line,
    yearly,
)
from rackplan.kernels import cashflow as k


def test_npv_by_hand():
    # 12.6825... % a year is exactly 1 % a month: (1.01)^12 - 1
    r = 1.01 ** 12 - 1
    cf = np.array([-100.0, 0.0, 121.0])  # 121 / 1.01^2 = 118.6158...
    assert npv(cf, r) == pytest.approx(-100 + 121 / 1.01 ** 2, rel=1e-14)
    assert npv(cf, 0.0) == 21.0
    assert k.npv(cf, r) == pytest.approx(npv(cf, r), rel=1e-14)
    # the same as numpy_financial with the monthly rate (month 0 undiscounted)
    assert npv(cf, r) == pytest.approx(npf.npv(0.01, cf), rel=1e-13)


def test_irr_by_hand():
    # -100 now, +121 two months later: 10 % a month, (1.1)^12 - 1 = 213.8 % a year
    assert irr(np.array([-100.0, 0.0, 121.0])) == pytest.approx(1.1 ** 12 - 1, rel=1e-12)
    assert math.isnan(irr(np.array([1.0, 2.0])))  # never negative: no IRR
    assert math.isnan(irr(np.array([-1.0, -2.0])))


#: A month's cash flow of a real project [USD]: nothing, or a cent to a billion either way.
#: (Not 1e-300: numpy-financial's np.roots overflows on such a polynomial and raises.)
FLOW = st.one_of(
    st.just(0.0),
    st.builds(lambda sign, size: sign * size, st.sampled_from([1.0, 1.0, -1.0]),
              st.floats(1e-2, 1e9, allow_nan=False, allow_infinity=False,
                        allow_subnormal=False)),
)
#: The initial outlay [USD]: a thousand to a billion.
CAPEX = st.floats(1e3, 1e9, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _annual_tol(annual):
    """The agreement asserted on an annual rate: 1e-6 of it, at least 1e-9."""
    return max(1e-6 * abs(annual), 1e-9)


def _npv_signs_differ(cf, lo, hi):
    """NPV(lo) and NPV(hi) have opposite signs, each clear of its rounding error."""
    t = np.arange(cf.size)
    ends = []
    for x in (lo, hi):
        terms = cf / (1.0 + x) ** t
        value = terms.sum()
        if not abs(value) > 1e-12 * np.abs(terms).sum():  # sign lost in rounding (or NaN)
            return False
        ends.append(value)
    return (ends[0] < 0) != (ends[1] < 0)


def oracle_irr(cf):
    """numpy-financial's monthly IRR where it is a defined answer to our precision; None
    where it is not: no real root (NaN), a root outside the kernel's bracket, a "root" that
    np.roots got wrong by more than the precision asserted (a double root, or coefficients
    ten orders of magnitude apart), or another root so near it, or nearer zero but dropped
    by numpy-financial for a rounding-level imaginary part, that "the root nearest zero" is
    ambiguous at a bracketing grid's resolution."""
    with np.errstate(all="ignore"):
        x = npf.irr(cf)
    if not np.isfinite(x) or not -0.5 < x < 1.0:
        return None
    # the true root lies within +-d of x: d is half the asserted agreement, in monthly terms
    d = 0.5 * _annual_tol((1 + x) ** 12 - 1) / (12 * (1 + x) ** 11)
    if not _npv_signs_differ(cf, x - d, x + d):
        return None
    nz = np.nonzero(cf)[0]
    z = np.roots(cf[: nz[-1] + 1][::-1])  # the polynomial numpy-financial solved, again
    near_real = z[(z.real > 0) & (np.abs(z.imag) <= 1e-3 * np.abs(z))]
    with np.errstate(all="ignore"):
        rates = 1.0 / near_real.real - 1.0
    others = rates[np.abs(rates - x) > 2 * d]
    if np.any((np.abs(others - x) < 1e-2) | (np.abs(others) <= abs(x))):
        return None
    return x


@given(st.lists(FLOW, min_size=1, max_size=72), CAPEX)
def test_irr_matches_numpy_financial(flows, capex):
    cf = np.array([-capex] + flows)
    ours = irr(cf)
    expected = oracle_irr(cf)
    assume(expected is not None)
    annual = (1 + expected) ** 12 - 1
    assert ours == pytest.approx(annual, rel=1e-6, abs=1e-9)
    # a root: the NPV at our rate is nought next to its discounted terms (at -45 % a month
    # they are 1e16 times the flows, and so is the rounding of their sum)
    discounted = cf / (1 + (1 + ours) ** (1 / 12) - 1) ** np.arange(cf.size)
    assert npv(cf, ours) == pytest.approx(0.0, abs=1e-6 * np.abs(discounted).sum())


def test_the_oracle_skips_what_numpy_financial_cannot_answer():
    assert oracle_irr(np.array([-100.0, 0.0, 121.0])) == pytest.approx(0.1, rel=1e-12)
    # a double root at 0 (-1 + z + z^2 - z^3 = -(z - 1)^2 (z + 1)): np.roots is off by 5e-9
    assert oracle_irr(np.array([-5e8, 5e8, 5e8, -5e8])) is None
    # a cent after a billion: the leading coefficient ten orders of magnitude down
    assert oracle_irr(np.array([-726352778.6073077, 0.0, 0.0, 726352778.6073077, -0.01])) \
        is None
    assert oracle_irr(np.array([-1.0, -2.0])) is None  # no root at all


def test_irr_of_conventional_projects_matches_numpy_financial():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(12, 121))
        cf = rng.uniform(0, 1e6, n)
        cf[0] = -rng.uniform(1e6, 3e7)
        expected = npf.irr(cf)
        assert irr(cf) == pytest.approx((1 + expected) ** 12 - 1, rel=1e-9, abs=1e-12)
        assert k.irr_numpy(cf) == pytest.approx(irr(cf), rel=1e-6, abs=1e-9)


def test_payback_by_hand():
    # -100, +30, +30, ...: running -100, -70, -40, -10, +20: non-negative at the end of
    # month 4, i.e. after 5 months
    assert payback_month(np.array([-100.0, 30, 30, 30, 30, 30])) == 5.0
    assert k.payback_month(np.array([-100.0, 30, 30, 30, 30, 30])) == 5.0
    assert payback_month(np.array([5.0, -1.0])) == 0.0  # never negative
    assert math.isnan(payback_month(np.array([-100.0, 10, 10])))
    # capex after a build: negative months, then the turn
    cf = np.array([-10.0, -10.0, 5.0, 5.0, 5.0, 5.0, 5.0])
    assert payback_month(cf) == 6.0 == k.payback_month(cf)


@given(st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=1, max_size=60))
def test_payback_kernel_and_twin_agree(flows):
    cf = np.array(flows)
    a, b = k.payback_month(cf), k.payback_month_numpy(cf)
    assert (math.isnan(a) and math.isnan(b)) or a == b


@given(st.floats(0.0, 0.5), st.floats(-1e6, 1e6), st.floats(0.0, 0.5))
def test_npv_falls_as_the_discount_rate_rises(r, extra, dr):
    # a conventional project: capex first, inflows after
    cf = np.array([-1e6] + [1e5 + abs(extra) / 60] * 59)
    assert npv(cf, r + dr + 1e-3) < npv(cf, r)


def test_build_capex_and_depreciation():
    assert build_capex(120.0, 0, 5).tolist() == [120.0, 0, 0, 0, 0]
    assert build_capex(120.0, 3, 5).tolist() == [40.0, 40.0, 40.0, 0, 0]
    assert build_capex(120.0, 4, 2).tolist() == [30.0, 30.0]  # cut at the horizon
    d = straight_line(1200.0, start=2, life_months=12, n_months=20)
    assert d[:2].sum() == 0 and d[14:].sum() == 0
    assert d[2:14] == pytest.approx([100.0] * 12, rel=1e-14)
    d = straight_line(90.0, start=0, life_months=4.5, n_months=6)
    assert d.tolist() == pytest.approx([20, 20, 20, 20, 10, 0])
    assert book_share(6, 24) == 0.75 and book_share(30, 24) == 0.0 and book_share(-3, 24) == 1
    assert yearly(np.arange(24.0)).tolist() == [66.0, 210.0]
    assert yearly(np.ones(18)).tolist() == [12.0, 6.0]


def test_financials_by_hand():
    n = 24
    revenue = np.where(np.arange(n) >= 2, 100.0, 0.0)
    opex = {"power": np.where(np.arange(n) >= 2, 30.0, 0.0)}
    capex_fac = build_capex(240.0, 2, n)
    capex_it = np.zeros(n)
    capex_it[2] = 600.0
    f = financials(revenue, opex, capex_it=capex_it, capex_facility=capex_fac, start=2,
                   sga_share=0.1, life_it_months=12, life_facility_months=48,
                   discount_rate=0.0, residual_value=1.0)
    assert f.noi.sum() == 22 * 70
    assert f.ebitda.sum() == pytest.approx(22 * 60)
    # IT fully depreciated after 12 months in service; facility 240 x (1 - 22/48) left
    assert f.depreciation.sum() == pytest.approx(600 + 240 * 22 / 48)
    assert f.residual[-1] == pytest.approx(240 * (1 - 22 / 48))
    assert f.npv == pytest.approx(22 * 60 - 840 + 240 * 26 / 48)
    # running EBITDA - capex: -120, -120, -540, then +60 a month: >= 0 after 13 more months
    assert f.payback == 2 + 1 + 13
