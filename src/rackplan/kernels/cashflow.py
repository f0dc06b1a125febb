"""Cash-flow constants and kernels: the calendar (months, blocks), Bitcoin's subsidy by block
height, and the finance metrics (NPV, IRR, payback) of a monthly cash-flow series.

Float64 (and int64 block heights) only; money in USD, energy in J, time in months. The monthly
engine (:mod:`rackplan.kernels.engine`) builds on these.

Time: a month is 365.25 / 12 = 30.4375 days = 2,629,800 s, so it holds exactly
144 x 30.4375 = 4,383 blocks. Month ``m`` (``m = 0`` starts at the market date) covers block
heights ``[h0 + 4383 m, h0 + 4383 (m + 1))``. Growth applies from the market date: a yearly
rate ``g`` gives the factor ``(1 + g)^(m / 12)`` in month ``m``, a monthly rate ``(1 + g)^m``.
Discounting: month ``m`` is discounted by ``v^m`` with ``v = (1 + r)^(-1/12)`` (``r`` an effective
yearly rate), month 0 undiscounted, as in ``numpy_financial.npv``.

Each kernel has a NumPy twin ``*_numpy`` with the same results.
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import njit

__all__ = [
    "SECONDS_PER_MONTH",
    "BLOCKS_PER_MONTH",
    "HALVING_INTERVAL",
    "INITIAL_SUBSIDY_SATS",
    "SATS_PER_BTC",
    "HASHES_PER_DIFFICULTY",
    "block_subsidy_sats",
    "block_subsidy_sats_numpy",
    "month_subsidy_numpy",
    "npv",
    "npv_numpy",
    "irr",
    "irr_numpy",
    "payback_month",
    "payback_month_numpy",
]

#: Seconds in a month: 365.25 days / 12 = 30.4375 days.
SECONDS_PER_MONTH = 2_629_800.0
#: Blocks in a month at the 600 s target interval, 144 a day: 144 x 30.4375 = 4,383 exactly.
BLOCKS_PER_MONTH = 4383
#: Blocks between halvings (Bitcoin Core ``consensus.nSubsidyHalvingInterval``).
HALVING_INTERVAL = 210_000
#: The first block subsidy, 50 BTC, in satoshis (Bitcoin Core ``GetBlockSubsidy``).
INITIAL_SUBSIDY_SATS = 5_000_000_000
SATS_PER_BTC = 100_000_000.0
#: Expected hashes per block at difficulty 1: 2^32.
HASHES_PER_DIFFICULTY = 4294967296.0


@njit(error_model="numpy")
def block_subsidy_sats(height):
    """Block subsidy at ``height`` [sat]: ``50 BTC >> (height // 210000)``, 0 after 64 halvings.

    The same integer arithmetic as Bitcoin Core's ``GetBlockSubsidy``.
    """
    halvings = height // HALVING_INTERVAL
    if halvings >= 64:
        return 0
    return INITIAL_SUBSIDY_SATS >> halvings


def block_subsidy_sats_numpy(height):
    """NumPy twin of :func:`block_subsidy_sats` (int64 arrays)."""
    halvings = np.asarray(height, dtype=np.int64) // HALVING_INTERVAL
    sats = np.right_shift(np.int64(INITIAL_SUBSIDY_SATS), np.minimum(halvings, 63))
    return np.where(halvings >= 64, 0, sats)


def month_subsidy_numpy(block_height, n_months):
    """Mean block subsidy of each month [BTC per block], weighted by blocks: shape
    ``(n_months,) + shape(block_height)``.

    A month that holds a halving gets the mix, e.g. 1,000 blocks at 3.125 and 3,383 at 1.5625.
    """
    h0 = np.asarray(block_height, dtype=np.int64)
    m = np.arange(n_months, dtype=np.int64).reshape((-1,) + (1,) * h0.ndim)
    start = h0 + BLOCKS_PER_MONTH * m
    halvings = start // HALVING_INTERVAL
    boundary = (halvings + 1) * HALVING_INTERVAL
    before = np.minimum(boundary - start, BLOCKS_PER_MONTH)  # blocks at the first subsidy
    s0 = block_subsidy_sats_numpy(start)
    s1 = block_subsidy_sats_numpy(start + BLOCKS_PER_MONTH - 1)
    sats = before * s0 + (BLOCKS_PER_MONTH - before) * s1  # exact in int64
    return sats / (BLOCKS_PER_MONTH * SATS_PER_BTC)


# --- Finance on one monthly series ---------------------------------------------------------


@njit(error_model="numpy")
def npv(cashflow, discount_rate):
    """Net present value [USD] of monthly ``cashflow`` [USD] at the effective yearly
    ``discount_rate`` [1]: ``sum cf_m (1 + r)^(-m/12)``, month 0 undiscounted."""
    v = (1.0 + discount_rate) ** (-1.0 / 12.0)
    total = 0.0
    vm = 1.0
    for m in range(cashflow.shape[0]):
        total += cashflow[m] * vm
        vm *= v
    return total


def npv_numpy(cashflow, discount_rate):
    """NumPy twin of :func:`npv`."""
    cf = np.asarray(cashflow, dtype=float)
    m = np.arange(cf.shape[-1])
    return float(np.sum(cf * (1.0 + discount_rate) ** (-m / 12.0)))


@njit(error_model="numpy")
def _npv_monthly(cashflow, x):
    # sum cf_m / (1 + x)^m by Horner's rule from the last month (stable for x > -1)
    total = 0.0
    f = 1.0 / (1.0 + x)
    for m in range(cashflow.shape[0] - 1, -1, -1):
        total = total * f + cashflow[m]
    return total


@njit(error_model="numpy")
def irr(cashflow):
    """Internal rate of return of monthly ``cashflow`` [1], annualized: ``(1 + x)^12 - 1``
    where ``x`` solves ``sum cf_m / (1 + x)^m = 0``.

    Of several roots, the monthly rate nearest zero (as ``numpy_financial.irr``); NaN when the
    series never changes sign. The root is bracketed on a grid of monthly rates from -99 % to
    +100 % and refined by bisection to full precision.
    """
    n = cashflow.shape[0]
    pos = False
    neg = False
    for m in range(n):
        if cashflow[m] > 0.0:
            pos = True
        elif cashflow[m] < 0.0:
            neg = True
    if not (pos and neg):
        return math.nan
    best = math.nan
    # grid: 0 outwards in both directions, finer near 0 where IRRs of real projects lie
    n_grid = 400
    for direction in (1.0, -1.0):
        lo = 0.0
        f_lo = _npv_monthly(cashflow, lo)
        if f_lo == 0.0:
            return 0.0
        for i in range(1, n_grid + 1):
            t = i / n_grid
            hi = direction * (t * t) * (1.0 if direction > 0 else 0.99)
            f_hi = _npv_monthly(cashflow, hi)
            if (f_lo < 0.0) != (f_hi < 0.0) or f_hi == 0.0:
                a, b, fa = lo, hi, f_lo
                for _ in range(200):
                    mid = 0.5 * (a + b)
                    if mid == a or mid == b:
                        break
                    fm = _npv_monthly(cashflow, mid)
                    if (fm < 0.0) == (fa < 0.0):
                        a, fa = mid, fm
                    else:
                        b = mid
                root = 0.5 * (a + b)
                if math.isnan(best) or abs(root) < abs(best):
                    best = root
                break
            lo, f_lo = hi, f_hi
    if math.isnan(best):
        return math.nan
    return (1.0 + best) ** 12 - 1.0


def irr_numpy(cashflow):
    """NumPy twin of :func:`irr`: the real roots of the NPV polynomial (as
    ``numpy_financial.irr``), the monthly rate nearest zero, annualized."""
    cf = np.asarray(cashflow, dtype=float)
    if not ((cf > 0).any() and (cf < 0).any()):
        return math.nan
    # sum cf_m z^m = 0 with z = 1 / (1 + x); np.roots wants the highest power first
    nz = np.nonzero(cf)[0]
    cf = cf[: nz[-1] + 1]
    roots = np.roots(cf[::-1])
    real = roots[(np.abs(roots.imag) < 1e-9 * np.maximum(1.0, np.abs(roots))) & (roots.real > 0)]
    if real.size == 0:
        return math.nan
    rates = 1.0 / real.real - 1.0
    x = rates[np.argmin(np.abs(rates))]
    return float((1.0 + x) ** 12 - 1.0)


@njit(error_model="numpy")
def payback_month(cashflow):
    """Months from month 0 until the cumulative cash flow first turns non-negative [month]:
    ``m + 1`` for the first month ``m`` whose running total is >= 0 after being negative;
    0 if it never is negative; NaN if it stays negative over the horizon."""
    total = 0.0
    was_negative = False
    for m in range(cashflow.shape[0]):
        total += cashflow[m]
        if total < 0.0:
            was_negative = True
        elif was_negative:
            return float(m + 1)
    if was_negative:
        return math.nan
    return 0.0


def payback_month_numpy(cashflow):
    """NumPy twin of :func:`payback_month`."""
    total = np.cumsum(np.asarray(cashflow, dtype=float))
    negative = total < 0.0
    if not negative.any():
        return 0.0
    first_negative = int(np.argmax(negative))
    after = np.nonzero(~negative[first_negative:])[0]
    if after.size == 0:
        return math.nan
    return float(first_negative + after[0] + 1)
