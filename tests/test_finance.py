"""Finance on monthly cash flows (rackplan.finance and the kernels it uses)."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackplan.finance import (
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


@given(st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=2, max_size=72),
       st.floats(1e3, 1e7))
def test_irr_matches_numpy_financial(flows, capex):
    cf = np.array([-capex] + flows)
    expected = npf.irr(cf)  # monthly rate, the root nearest zero
    ours = irr(cf)
    if np.isnan(expected):
        return  # no real root numpy_financial accepts; ours may still bracket one
    if abs(npf.npv(expected, cf)) > 1e-6 * np.abs(cf).sum():
        return  # np.roots on a badly scaled polynomial: numpy_financial's "root" is not one
    annual = (1 + expected) ** 12 - 1
    if not (-0.5 < expected < 1.0):
        return  # outside the kernel's bracket, or an annual rate of -100 % to the last digit
    assert ours == pytest.approx(annual, rel=1e-6, abs=1e-9)
    assert npv(cf, ours) == pytest.approx(0.0, abs=1e-6 * np.abs(cf).sum())


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
