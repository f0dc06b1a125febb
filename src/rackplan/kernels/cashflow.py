"""Monthly cash-flow kernels: Bitcoin subsidy by block height, the monthly sums of each option,
and the finance metrics (NPV, IRR, payback) of a monthly cash-flow series.

Float64 (and int64 block heights) only; money in USD, energy in J, time in months. The
economics models (:mod:`rackplan.economics.mining`, :mod:`rackplan.economics.gpuaas`, :mod:`rackplan.economics.colocation`,
:mod:`rackplan.economics.finance`) build monthly arrays in NumPy; :mod:`rackplan.kernels.scenario` runs
these kernels for millions of scenarios at once.

Time: a month is 365.25 / 12 = 30.4375 days = 2,629,800 s, so it holds exactly
144 x 30.4375 = 4,383 blocks. Month ``m`` (``m = 0`` starts at the market date) covers block
heights ``[h0 + 4383 m, h0 + 4383 (m + 1))``. Growth applies from the market date: a yearly
rate ``g`` gives the factor ``(1 + g)^(m / 12)`` in month ``m``, a monthly rate ``(1 + g)^m``.
Discounting: month ``m`` is discounted by ``v^m`` with ``v = (1 + r)^(-1/12)`` (``r`` an effective
yearly rate), month 0 undiscounted, as in ``numpy_financial.npv``.

The kernels keep the monthly loop lean: growth and discount factors are updated by
multiplication (one ``pow`` per scenario, none per month), nothing is allocated. Each has a
NumPy twin ``*_numpy`` (vectorized over scenarios, ``pow`` per month) with the same results.
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
    "fleet_difficulty",
    "mining_sums",
    "mining_sums_floor",
    "gpuaas_sums",
    "colocation_sums",
    "discount_sum",
    "ipow",
    "geometric_sum",
    "mining_sums_closed",
    "gpuaas_sums_closed",
    "colocation_sums_closed",
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


@njit(error_model="numpy")
def discount_sum(v, a, b):
    """``sum(v**m for m in range(a, b))`` [1] (0 when ``b <= a``)."""
    if b <= a:
        return 0.0
    vm = v ** a
    s = 0.0
    for _ in range(a, b):
        s += vm
        vm *= v
    return s


@njit(error_model="numpy")
def fleet_difficulty(hashrate, uptime):
    """The difficulty at which a fleet of ``hashrate`` [H/s] hashing ``uptime`` [1] of the time
    is the whole network: ``H x uptime x 600 s / 2^32`` [1]. A lower difficulty would give the
    fleet a share of the network above 1."""
    return hashrate * uptime * (SECONDS_PER_MONTH / BLOCKS_PER_MONTH) / HASHES_PER_DIFFICULTY


@njit(error_model="numpy")
def mining_sums(n_months, start, block_height, difficulty, difficulty_growth, fees_btc,
                btc_price_growth, power_price_growth, v, btc_price_mult, difficulty_mult,
                has_mult):
    """Monthly sums of a mining fleet over its operating months ``[start, n_months)``.

    Per unit of effective hash rate and per second of hashing divided by 2^32, i.e. the BTC a
    fleet mines is ``H_eff x SECONDS_PER_MONTH / 2^32 x btc``, with ``H_eff`` = hash rate x
    uptime x (1 - pool fee).

    Parameters
    ----------
    n_months, start : int
        Horizon and first operating month.
    block_height : int
        Height at month 0.
    difficulty, difficulty_growth : float
        Difficulty at month 0 [1] and its growth per month [1].
    fees_btc : float
        Fees per block [BTC].
    btc_price_growth, power_price_growth : float
        Yearly growth rates [1].
    v : float
        Monthly discount factor [1].
    btc_price_mult, difficulty_mult : float64[n_months]
        Monthly multipliers of the trend (read only when ``has_mult``).

    The BTC sums are not capped (see :func:`mining_sums_floor`, which this calls with no
    floor).

    Returns
    -------
    btc : float
        ``sum (S_m + fees) / D_m`` [BTC per block / difficulty], S_m the month's mean subsidy.
    rev, rev_disc : float
        The same times the BTC price factor ``(1 + g)^(m/12) x mult`` [1], undiscounted and
        discounted (times the BTC price at month 0 this is revenue).
    grow, grow_disc : float
        ``sum (1 + g_power)^(m/12)``, undiscounted and discounted (power-price factor).
    disc : float
        ``sum v^m`` over the operating months.
    """
    return mining_sums_floor(n_months, start, block_height, difficulty, difficulty_growth,
                             fees_btc, btc_price_growth, power_price_growth, v, btc_price_mult,
                             difficulty_mult, has_mult, 0.0)


@njit(error_model="numpy")
def mining_sums_floor(n_months, start, block_height, difficulty, difficulty_growth, fees_btc,
                      btc_price_growth, power_price_growth, v, btc_price_mult, difficulty_mult,
                      has_mult, difficulty_floor):
    """:func:`mining_sums` with the difficulty of each month held at ``difficulty_floor`` or
    above: month ``m`` uses ``max(D_m x difficulty_mult[m], difficulty_floor)``.

    With ``difficulty_floor`` = :func:`fleet_difficulty` of the fleet, its share of the network
    never exceeds 1 (it mines at most every block's subsidy and fees). A floor of 0 gives
    :func:`mining_sums` exactly (same returns).
    """
    btc = 0.0
    rev = 0.0
    rev_disc = 0.0
    grow = 0.0
    grow_disc = 0.0
    disc = 0.0
    if start >= n_months:
        return btc, rev, rev_disc, grow, grow_disc, disc
    step_d = 1.0 / (1.0 + difficulty_growth)
    step_p = (1.0 + btc_price_growth) ** (1.0 / 12.0)
    step_e = (1.0 + power_price_growth) ** (1.0 / 12.0)
    inv_d = step_d ** start / difficulty
    price = step_p ** start
    power = step_e ** start
    vm = v ** start
    height = block_height + BLOCKS_PER_MONTH * start
    halvings = height // HALVING_INTERVAL
    sub = block_subsidy_sats(height)
    next_halving = (halvings + 1) * HALVING_INTERVAL
    reward = sub / SATS_PER_BTC + fees_btc
    inv_floor = 1.0 / difficulty_floor if difficulty_floor > 0.0 else math.inf
    for m in range(start, n_months):
        end = height + BLOCKS_PER_MONTH
        if end <= next_halving:
            r = reward
        else:  # the halving falls in this month: weight both subsidies by their blocks
            before = next_halving - height
            halvings += 1
            new_sub = block_subsidy_sats(next_halving)
            r = ((before * sub + (BLOCKS_PER_MONTH - before) * new_sub)
                 / (BLOCKS_PER_MONTH * SATS_PER_BTC) + fees_btc)
            sub = new_sub
            reward = sub / SATS_PER_BTC + fees_btc
            next_halving += HALVING_INTERVAL
        height = end
        if has_mult:
            b = r * inv_d / difficulty_mult[m]
        else:
            b = r * inv_d
        cap = r * inv_floor
        if b > cap:  # the network would be smaller than the fleet: its share is 1
            b = cap
        if has_mult:
            x = b * price * btc_price_mult[m]
        else:
            x = b * price
        btc += b
        rev += x
        rev_disc += x * vm
        grow += power
        grow_disc += power * vm
        disc += vm
        inv_d *= step_d
        price *= step_p
        power *= step_e
        vm *= v
    return btc, rev, rev_disc, grow, grow_disc, disc


@njit(error_model="numpy")
def gpuaas_sums(n_months, start, utilization, gpu_price_decline, power_price_growth, v,
                gpu_price_mult, utilization_mult, has_mult):
    """Monthly sums of a GPU-as-a-service fleet over its operating months ``[start, n_months)``.

    Utilization in month ``m`` is ``min(1, utilization x mult)``; the GPU-hour price factor is
    ``(1 - decline)^(m/12) x mult``.

    Returns
    -------
    rev, rev_disc : float
        ``sum u_m x price factor`` [1], undiscounted and discounted (times GPUs, seconds per
        month and the GPU-hour price at month 0 this is revenue).
    grow, grow_disc : float
        ``sum`` of the power-price factor, undiscounted and discounted.
    ugrow, ugrow_disc : float
        ``sum u_m x`` power-price factor (the utilization-scaled part of the energy).
    disc : float
        ``sum v^m``.
    """
    rev = 0.0
    rev_disc = 0.0
    grow = 0.0
    grow_disc = 0.0
    ugrow = 0.0
    ugrow_disc = 0.0
    disc = 0.0
    if start >= n_months:
        return rev, rev_disc, grow, grow_disc, ugrow, ugrow_disc, disc
    step_g = (1.0 - gpu_price_decline) ** (1.0 / 12.0)
    step_e = (1.0 + power_price_growth) ** (1.0 / 12.0)
    price = step_g ** start
    power = step_e ** start
    vm = v ** start
    u = utilization
    for m in range(start, n_months):
        if has_mult:
            u = min(1.0, utilization * utilization_mult[m])
            x = u * price * gpu_price_mult[m]
        else:
            x = u * price
        rev += x
        rev_disc += x * vm
        grow += power
        grow_disc += power * vm
        ugrow += u * power
        ugrow_disc += u * power * vm
        disc += vm
        price *= step_g
        power *= step_e
        vm *= v
    return rev, rev_disc, grow, grow_disc, ugrow, ugrow_disc, disc


@njit(error_model="numpy")
def colocation_sums(n_months, start, escalator, v):
    """Sums of the colocation rate factor over the lease months ``[start, n_months)``.

    The rate steps up by ``(1 + escalator)`` on each anniversary of the lease start.
    Returns ``(rate, rate_disc)``: ``sum (1 + e)^floor((m - start) / 12)``, undiscounted and
    discounted.
    """
    rate = 0.0
    rate_disc = 0.0
    if start >= n_months:
        return rate, rate_disc
    step = 1.0 + escalator
    factor = 1.0
    vm = v ** start
    k = 0
    for _ in range(start, n_months):
        rate += factor
        rate_disc += factor * vm
        vm *= v
        k += 1
        if k == 12:
            k = 0
            factor *= step
    return rate, rate_disc


# --- Closed forms (no multipliers): the same sums without a monthly loop ---------------------
#
# With all multipliers 1, every monthly series above is geometric (piecewise, for the subsidy),
# so its sum over months [a, b) is (x^a - x^b) / (1 - x). Integer powers come from repeated
# squaring (no pow() of a float exponent), which keeps evaluate() fast over millions of
# scenarios; near x = 1 the sum is taken term by term instead of dividing by a tiny 1 - x.


@njit(error_model="numpy")
def ipow(x, k):
    """``x**k`` for an integer ``k >= 0``, by repeated squaring.

    Below 2^7 the loop has a fixed trip count and no data-dependent branch (a select per
    bit), so it costs the same whatever ``k`` is: evaluate() calls it with many different
    exponents and a mispredicted branch would cost more than the multiplications.
    """
    if k < 128:
        result = 1.0
        base = x
        for bit in range(7):
            result *= base if (k >> bit) & 1 else 1.0
            base *= base
        return result
    result = 1.0
    base = x
    while k > 0:
        if k & 1:
            result *= base
        base *= base
        k >>= 1
    return result


@njit(error_model="numpy")
def geometric_sum(x, xa, xb, a, b):
    """``sum(x**m for m in range(a, b))`` given ``xa = x**a`` and ``xb = x**b``."""
    if b <= a:
        return 0.0
    if x == 1.0:
        return float(b - a)
    d = 1.0 - x
    if abs(d) < 1e-3:  # 1 - x would cost digits: add the terms
        total = 0.0
        term = xa
        for _ in range(a, b):
            total += term
            term *= x
        return total
    return (xa - xb) / d


@njit(error_model="numpy")
def mining_sums_closed(n_months, start, block_height, difficulty, difficulty_growth, fees_btc,
                       btc_price_growth, power_price_growth, v):
    """:func:`mining_sums` with all multipliers 1, in closed form (same returns).

    Months at one subsidy form a geometric segment; a month holding a halving is added on its
    own with its block-weighted subsidy.
    """
    btc = 0.0
    rev = 0.0
    rev_disc = 0.0
    if start >= n_months:
        return btc, rev, rev_disc, 0.0, 0.0, 0.0
    y = 1.0 / (1.0 + difficulty_growth)  # difficulty factor per month, inverted
    step_p = 1.0 if btc_price_growth == 0.0 else (1.0 + btc_price_growth) ** (1.0 / 12.0)
    step_e = 1.0 if power_price_growth == 0.0 else (1.0 + power_price_growth) ** (1.0 / 12.0)
    q = y * step_p
    w = q * v
    a = start
    ya = ipow(y, a)
    qa = ipow(q, a)
    wa = ipow(w, a)
    height = block_height + BLOCKS_PER_MONTH * a
    sub = block_subsidy_sats(height)
    next_halving = (height // HALVING_INTERVAL + 1) * HALVING_INTERVAL
    while a < n_months:
        blocks = next_halving - block_height
        month = blocks // BLOCKS_PER_MONTH  # the month that holds the halving block
        before = blocks - BLOCKS_PER_MONTH * month  # its blocks at the old subsidy
        e = min(month, n_months)
        reward = sub / SATS_PER_BTC + fees_btc
        ye = ipow(y, e)
        qe = ipow(q, e)
        we = ipow(w, e)
        btc += reward * geometric_sum(y, ya, ye, a, e)
        rev += reward * geometric_sum(q, qa, qe, a, e)
        rev_disc += reward * geometric_sum(w, wa, we, a, e)
        if e >= n_months:
            break
        new_sub = block_subsidy_sats(next_halving)
        if before > 0:  # month e holds both subsidies
            mixed = ((before * sub + (BLOCKS_PER_MONTH - before) * new_sub)
                     / (BLOCKS_PER_MONTH * SATS_PER_BTC) + fees_btc)
            btc += mixed * ye
            rev += mixed * qe
            rev_disc += mixed * we
            a = e + 1
            ya, qa, wa = ye * y, qe * q, we * w
        else:
            a = e
            ya, qa, wa = ye, qe, we
        sub = new_sub
        next_halving += HALVING_INTERVAL
    vs = ipow(v, start)
    vn = ipow(v, n_months)
    es = ipow(step_e, start)
    en = ipow(step_e, n_months)
    ev = step_e * v
    grow = geometric_sum(step_e, es, en, start, n_months)
    grow_disc = geometric_sum(ev, es * vs, en * vn, start, n_months)
    disc = geometric_sum(v, vs, vn, start, n_months)
    return (btc / difficulty, rev / difficulty, rev_disc / difficulty, grow, grow_disc, disc)


@njit(error_model="numpy")
def gpuaas_sums_closed(n_months, start, utilization, gpu_price_decline, power_price_growth, v):
    """:func:`gpuaas_sums` with all multipliers 1, in closed form (same returns)."""
    if start >= n_months:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    step_g = 1.0 if gpu_price_decline == 0.0 else (1.0 - gpu_price_decline) ** (1.0 / 12.0)
    step_e = 1.0 if power_price_growth == 0.0 else (1.0 + power_price_growth) ** (1.0 / 12.0)
    vs = ipow(v, start)
    vn = ipow(v, n_months)
    gs = ipow(step_g, start)
    gn = ipow(step_g, n_months)
    es = ipow(step_e, start)
    en = ipow(step_e, n_months)
    price = geometric_sum(step_g, gs, gn, start, n_months)
    price_disc = geometric_sum(step_g * v, gs * vs, gn * vn, start, n_months)
    grow = geometric_sum(step_e, es, en, start, n_months)
    grow_disc = geometric_sum(step_e * v, es * vs, en * vn, start, n_months)
    disc = geometric_sum(v, vs, vn, start, n_months)
    u = utilization
    return (u * price, u * price_disc, grow, grow_disc, u * grow, u * grow_disc, disc)


@njit(error_model="numpy")
def colocation_sums_closed(n_months, start, escalator, v):
    """:func:`colocation_sums` in closed form (same returns): full lease years form a
    geometric series in ``(1 + e) v^12``, then the months of the last, part year."""
    if start >= n_months:
        return 0.0, 0.0
    months = n_months - start
    years = months // 12
    rest = months - 12 * years
    step = 1.0 + escalator
    v12 = ipow(v, 12)
    year_disc = geometric_sum(v, 1.0, v12, 0, 12)  # sum of v^k over one lease year
    sy = ipow(step, years)
    x = step * v12
    xy = sy * ipow(v12, years)
    rate = 12.0 * geometric_sum(step, 1.0, sy, 0, years) + rest * sy
    rate_disc = ipow(v, start) * (year_disc * geometric_sum(x, 1.0, xy, 0, years)
                                  + xy * geometric_sum(v, 1.0, ipow(v, rest), 0, rest))
    return rate, rate_disc


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
