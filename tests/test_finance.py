"""Finance on monthly cash flows (rackplan.economics.finance and the kernels it uses), and the
finance conventions of the engine's monthly lines (capex over the build, straight-line
depreciation, the residual value; docs/economics.md section 6) as compare() reports them."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rackplan.economics.finance import irr, npv, payback_month, yearly
from rackplan.kernels import cashflow as k

from conftest import DATA


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


# --- the engine's finance lines ---------------------------------------------------------------
#
# The hand-worked case of tests/test_compare.py: a 1 MW toy site at PUE 1, 10 toy GPU systems
# (100 kW, 100 GPUs and 1,000,000 USD each: 10 M USD of IT) and a facility of 1 M USD
# (1 M USD/MW x 1 MW); the hand-worked market (no growth, no SG&A, discount rate 0, IT life
# 1 year, facility life 10 years, no residual value; the tests set others with --set).

TOY = dict(site=DATA / "sites" / "toy-1mw.toml",
           mining_profile=DATA / "profiles" / "toy-miner.toml",
           gpu_profile=DATA / "profiles" / "toy-gpu.toml",
           market=DATA / "markets" / "handworked.toml")
IT, FACILITY = 10e6, 1e6


def _lines(years=1, option="gpuaas", **overrides):
    """An option's monthly lines in the toy case, from the engine."""
    from rackplan.economics.compare import run_options, scenario_base

    run = run_options(scenario_base(**TOY, years=years, overrides=overrides), 12 * years)
    return run.lines[option]


def test_capex_over_the_build():
    # no build: the facility in month 0, the equipment in the first operating month (0)
    lines = _lines(years=1, build_period="0 month")
    assert lines["capex_facility"].tolist() == pytest.approx([FACILITY] + [0.0] * 11)
    assert lines["capex_it"].tolist() == pytest.approx([IT] + [0.0] * 11)
    # a 3-month build: the facility evenly over it, the equipment in month 3
    lines = _lines(years=1, build_period="3 month")
    assert lines["capex_facility"].tolist() == pytest.approx([FACILITY / 3] * 3 + [0.0] * 9)
    assert lines["capex_it"].tolist() == pytest.approx([0.0] * 3 + [IT] + [0.0] * 8)
    # a 15-month build, cut at the 12-month horizon: 12/15 of the facility, no equipment
    lines = _lines(years=1, build_period="15 month")
    assert lines["capex_facility"].tolist() == pytest.approx([FACILITY / 15] * 12)
    assert not lines["capex_it"].any() and not lines["revenue"].any()
    # colocation: the same facility and build, no IT capex (the tenant brings the GPUs)
    lines = _lines(years=1, option="colocation", build_period="3 month")
    assert lines["capex_facility"].tolist() == pytest.approx([FACILITY / 3] * 3 + [0.0] * 9)
    assert not lines["capex_it"].any()


def test_straight_line_depreciation():
    # from the first operating month (2): IT over 12 months, the facility over 120
    dep = _lines(years=2, build_period="2 month")["depreciation"]
    assert dep[:2].sum() == 0
    assert dep[2:14] == pytest.approx([IT / 12 + FACILITY / 120] * 12, rel=1e-14)
    assert dep[14:] == pytest.approx([FACILITY / 120] * 10, rel=1e-14)
    # a life that is not a whole number of months ends with a part month: 4.5 months of IT
    dep = _lines(years=1, useful_life_it="4.5 month", useful_life_facility="4.5 month")[
        "depreciation"]
    total = IT + FACILITY
    assert dep.tolist() == pytest.approx([total / 4.5] * 4 + [total / 9] + [0.0] * 7,
                                         rel=1e-14)


@pytest.mark.parametrize("years, build, life_it, it_share, facility_share", [
    (1, 6, "2 year", 0.75, 1 - 6 / 120),    # 6 of 24 months in service: 3/4 left
    (3, 6, "2 year", 0.0, 1 - 30 / 120),    # 30 of 24 months: nothing left (not negative)
    (1, 0, "1 year", 0.0, 1 - 12 / 120),    # exactly the life: nothing left
    # a build past the horizon: no equipment, the facility spent so far (12/15) all on the
    # books (-3 months in service leave it whole)
    (1, 15, "1 year", 0.0, 12 / 15),
])
def test_the_residual_value_is_the_book_value_left(years, build, life_it, it_share,
                                                   facility_share):
    n = 12 * years
    for value in (1.0, 0.4):
        lines = _lines(years=years, build_period=f"{build} month", useful_life_it=life_it,
                       residual_value=value)
        residual = lines["residual"]
        assert not residual[:-1].any()  # the last month only
        assert residual[-1] == pytest.approx(value * (IT * it_share + FACILITY * facility_share),
                                             rel=1e-12)
        # a cash inflow in the last month
        assert lines["cash_flow"][-1] == pytest.approx(
            lines["revenue"][-1] - lines["power"][-1] - lines["capex_it"][-1]
            - lines["capex_facility"][-1] + residual[-1], rel=1e-12)
        if build < n:  # the book value left is what depreciation has not taken
            assert residual[-1] == pytest.approx(
                value * (lines["capex_it"].sum() + lines["capex_facility"].sum()
                         - lines["depreciation"].sum()), rel=1e-12)


def test_yearly():
    assert yearly(np.arange(24.0)).tolist() == [66.0, 210.0]
    assert yearly(np.ones(18)).tolist() == [12.0, 6.0]


def test_financials_by_hand():
    """An option's finance lines and metrics through compare(): GPU-as-a-service in the toy
    case over 2 years with a 2-month build, 10 % SG&A, a 2-year IT life (the fleet runs
    past the horizon), a 4-year facility life and the book value counted."""
    from rackplan.economics.compare import compare

    r = compare(**TOY, years=2, overrides={"build_period": "2 month", "sga_share": 0.1,
                                           "useful_life_it": "2 year",
                                           "useful_life_facility": "4 year",
                                           "residual_value": 1.0})
    f = r.options["gpuaas"].finance
    n, on = 24, 22
    # 1,000 GPUs x 730.5 h x 0.5 x 2 USD = 730,500 USD a month; power 600 kW x 730.5 h x
    # 50 USD/MWh = 21,915 USD a month (tests/test_compare.py)
    assert f.start == 2
    assert f.revenue.sum() == pytest.approx(on * 730_500)
    assert f.opex_lines["power"].sum() == pytest.approx(on * 21_915)
    assert set(f.opex_lines) == {"power", "staff", "maintenance", "insurance",
                                 "property_tax", "network_software"}
    assert f.noi.sum() == pytest.approx(on * (730_500 - 21_915))
    assert f.sga.sum() == pytest.approx(on * 73_050)
    assert f.ebitda.sum() == pytest.approx(on * (730_500 - 21_915 - 73_050))
    assert f.capex.tolist() == pytest.approx([5e5, 5e5, IT] + [0.0] * 21)
    # 22 months in service: of the IT's 24, of the facility's 48
    assert f.depreciation.sum() == pytest.approx(IT * on / 24 + FACILITY * on / 48)
    assert f.residual[-1] == pytest.approx(IT * 2 / 24 + FACILITY * (1 - on / 48))
    assert f.residual[:-1].sum() == 0
    assert f.npv == pytest.approx(on * 635_535 - IT - FACILITY + IT * 2 / 24
                                  + FACILITY * 26 / 48)
    assert float(r.options["gpuaas"].npv.m_as("USD")) == pytest.approx(f.npv)
    # running EBITDA - capex: -500,000, -1,000,000, then -11,000,000 + 635,535 a month from
    # month 2: 17 months give 10,804,095, 18 give 11,439,630 >= 11 M: month 19, i.e. after 20
    assert f.payback == 20
    assert float(r.options["gpuaas"].payback.m_as("month")) == 20
    assert f.irr == pytest.approx(irr(f.cash_flow))
    assert len(f.cash_flow) == n
