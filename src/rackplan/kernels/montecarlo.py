"""Monte Carlo paths of the market drivers, through the scenario kernel.

Each path draws, month by month, four shocks that multiply the deterministic trend of
:func:`rackplan.kernels.scenario.scenario_cashflows`:

- BTC price: geometric Brownian motion. ``log m_btc`` steps by ``mu - s**2/2 + s*z1`` a month,
  so with ``mu = 0`` the multiplier has mean 1 and the kernel's trend is the expected path.
- difficulty: its monthly growth is random around the trend: ``log m_diff`` steps by
  ``-s**2/2 + s*z2``, with ``z2 = rho*z1 + sqrt(1 - rho**2)*e`` (``rho``: correlation between
  BTC-price and difficulty shocks).
- GPU-hour price: a random walk in log price around the declining trend (mean 1, like BTC).
- utilization: ``m_util = 1 + s*x`` with ``x`` a stationary AR(1) of unit variance and monthly
  persistence ``phi``, clipped to ``[0, util_max_mult]`` so utilization stays within 0..1.

All multipliers are 1 in month 0 for prices and difficulty (the market is known on its date).

Random numbers come from a counter-based generator: the uniform for (path, draw) is
``splitmix64(key_path + draw * GOLDEN)`` with ``key_path`` derived from the seed and the path
number; normals by the inverse normal CDF of Wichura's algorithm AS241 (the one Python's
``statistics.NormalDist.inv_cdf`` uses; 1.6 times faster here than Box-Muller, whose sine and
cosine cost more than AS241's rational polynomial in the 85 % of draws that take its central
branch). A path's numbers depend only on (seed, path), never on the thread
that computes it, so results are the same bytes for any thread count, and the NumPy twin can
produce the same draws vectorized.
"""

from __future__ import annotations

import numpy as np

from rackplan._jit import njit, prange
from rackplan.kernels.scenario import evaluate_numpy, scenario_cashflows

__all__ = ["N_SHOCK_PARAMS", "simulate", "simulate_numpy", "path_multipliers",
           "path_multipliers_numpy", "ndtri", "ndtri_numpy"]

# Layout of the ``shock`` parameter vector (all per month except rho, phi and the clip).
BTC_MU, BTC_SIGMA, DIFF_SIGMA, GPU_SIGMA, UTIL_SIGMA, UTIL_PHI, RHO, UTIL_MAX = range(8)
N_SHOCK_PARAMS = 8

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: splitmix64's increment
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53
_DRAWS_PER_MONTH = 4
_PATHS_PER_ITEM = 64  # paths per parallel work item: scratch arrays allocated once per item


@njit
def _mix(z):
    """splitmix64's output function (Steele, Lea & Flood 2014), uint64 -> uint64."""
    z = np.uint64(z)  # a signed argument would shift in sign bits
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def _path_key(seed, path):
    return _mix(np.uint64(seed) ^ _mix(np.uint64(path) * _GOLDEN + _GOLDEN))


@njit
def _uniform(key, draw):
    """A float64 in (0, 1) for draw number ``draw`` of the path with ``key``."""
    x = _mix(np.uint64(key) + np.uint64(draw + 1) * _GOLDEN)
    return (float(x >> _S11) + 0.5) * _TWO_M53


# AS241 (Wichura 1988, Applied Statistics 37(3) 477-484), coefficients highest power first,
# as in CPython's statistics._normal_dist_inv_cdf; accurate to about 1e-16.
_A = np.array([2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
               4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
               1.3314166789178437745e+2, 3.3871328727963666080e+0])
_B = np.array([5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
               2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
               4.2313330701600911252e+1, 1.0])
_C = np.array([7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
               1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
               4.63033784615654529590e+0, 1.42343711074968357734e+0])
_D = np.array([1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
               1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
               2.05319162663775882187e+0, 1.0])
_E = np.array([2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
               2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
               5.46378491116411436990e+0, 6.65790464350110377720e+0])
_F = np.array([2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
               7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
               5.99832206555887937690e-1, 1.0])


@njit
def _horner(c, r):
    acc = c[0]
    for j in range(1, 8):
        acc = acc * r + c[j]
    return acc


@njit
def ndtri(p):
    """The standard normal quantile of ``p`` in (0, 1) (AS241)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_A, r) / _horner(_B, r)
    r = np.sqrt(-np.log(p if q <= 0.0 else 1.0 - p))
    if r <= 5.0:
        x = _horner(_C, r - 1.6) / _horner(_D, r - 1.6)
    else:
        x = _horner(_E, r - 5.0) / _horner(_F, r - 5.0)
    return -x if q < 0.0 else x


@njit
def path_multipliers(seed, path, n_months, shock, btc, diff, gpu, util):
    """Fill the four multiplier arrays (float64[n_months]) of path ``path``."""
    key = _path_key(seed, path)
    mu_b, s_b, s_d, s_g = shock[BTC_MU], shock[BTC_SIGMA], shock[DIFF_SIGMA], shock[GPU_SIGMA]
    s_u, phi, rho, u_max = shock[UTIL_SIGMA], shock[UTIL_PHI], shock[RHO], shock[UTIL_MAX]
    rho_c = np.sqrt(1.0 - rho * rho)
    phi_c = np.sqrt(1.0 - phi * phi)
    lb = 0.0
    ld = 0.0
    lg = 0.0
    x = 0.0
    for t in range(n_months):
        d = _DRAWS_PER_MONTH * t
        z1 = ndtri(_uniform(key, d))
        z2 = ndtri(_uniform(key, d + 1))
        z3 = ndtri(_uniform(key, d + 2))
        z4 = ndtri(_uniform(key, d + 3))
        if t == 0:
            x = z4  # utilization starts in its stationary distribution
        else:
            lb += mu_b - 0.5 * s_b * s_b + s_b * z1
            ld += -0.5 * s_d * s_d + s_d * (rho * z1 + rho_c * z2)
            lg += -0.5 * s_g * s_g + s_g * z3
            x = phi * x + phi_c * z4
        btc[t] = np.exp(lb)
        diff[t] = np.exp(ld)
        gpu[t] = np.exp(lg)
        util[t] = min(max(1.0 + s_u * x, 0.0), u_max)


@njit
def _paths(base, n_months, seed, shock, lo, hi, out, btc_end):
    n_out = out.shape[0]
    btc = np.empty(n_months)
    diff = np.empty(n_months)
    gpu = np.empty(n_months)
    util = np.empty(n_months)
    p = np.empty_like(base)
    row = np.empty(n_out)
    for i in range(lo, hi):
        path_multipliers(seed, i, n_months, shock, btc, diff, gpu, util)
        p[:] = base
        scenario_cashflows(p, n_months, btc, diff, gpu, util, row)
        for k in range(n_out):
            out[k, i] = row[k]
        btc_end[i] = btc[n_months - 1]


@njit(parallel=True)
def simulate(base, n_months, seed, shock, out, btc_end):
    """Run ``out.shape[1]`` paths in parallel.

    Parameters
    ----------
    base : float64[P]
        The scenario's parameter vector (SI), as for ``scenario_cashflows``.
    n_months : int
        Horizon [month].
    seed : int
        Non-negative; the same seed gives the same numbers.
    shock : float64[8]
        Monthly drift adjustment and volatilities, correlation, AR(1) persistence and the
        utilization clip (see the module docstring; layout ``BTC_MU`` ... ``UTIL_MAX``).
    out : float64[K, N]
        Written in place: ``out[k, i]`` is output ``k`` of path ``i``.
    btc_end : float64[N]
        Written in place: the BTC-price multiplier in the last month of each path [1].
    """
    n = out.shape[1]
    n_items = (n + _PATHS_PER_ITEM - 1) // _PATHS_PER_ITEM
    for j in prange(n_items):
        lo = j * _PATHS_PER_ITEM
        _paths(base, n_months, seed, shock, lo, min(lo + _PATHS_PER_ITEM, n), out, btc_end)


# --- NumPy twin -------------------------------------------------------------------------------


def _horner_np(c, r):
    acc = np.full_like(r, c[0])
    for j in range(1, 8):
        acc = acc * r + c[j]
    return acc


def ndtri_numpy(p):
    """NumPy twin of :func:`ndtri` (element-wise)."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    out = np.empty_like(p)
    mid = np.abs(q) <= 0.425
    qm = q[mid]
    r = 0.180625 - qm * qm
    out[mid] = qm * _horner_np(_A, r) / _horner_np(_B, r)
    tail = ~mid
    qt, pt = q[tail], p[tail]
    r = np.sqrt(-np.log(np.where(qt <= 0.0, pt, 1.0 - pt)))
    near = r <= 5.0
    x = np.empty_like(r)
    x[near] = _horner_np(_C, r[near] - 1.6) / _horner_np(_D, r[near] - 1.6)
    x[~near] = _horner_np(_E, r[~near] - 5.0) / _horner_np(_F, r[~near] - 5.0)
    out[tail] = np.where(qt < 0.0, -x, x)
    return out


def _mix_np(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def path_multipliers_numpy(seed, paths, n_months, shock):
    """NumPy twin of :func:`path_multipliers` for an array of path numbers.

    Returns four ``float64[len(paths), n_months]`` arrays (btc, diff, gpu, util).
    """
    paths = np.asarray(paths, dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps on purpose
        keys = _mix_np(np.uint64(seed) ^ _mix_np(paths * _GOLDEN + _GOLDEN))[:, None]
        draws = np.arange(_DRAWS_PER_MONTH * n_months, dtype=np.uint64) + np.uint64(1)
        x = _mix_np(keys + draws[None, :] * _GOLDEN)
    u = ((x >> _S11).astype(np.float64) + 0.5) * _TWO_M53
    z = ndtri_numpy(u).reshape(len(paths), n_months, _DRAWS_PER_MONTH)
    z1, z2, z3, z4 = z[:, :, 0], z[:, :, 1], z[:, :, 2], z[:, :, 3]
    mu_b, s_b, s_d, s_g = shock[BTC_MU], shock[BTC_SIGMA], shock[DIFF_SIGMA], shock[GPU_SIGMA]
    s_u, phi, rho, u_max = shock[UTIL_SIGMA], shock[UTIL_PHI], shock[RHO], shock[UTIL_MAX]
    step_b = mu_b - 0.5 * s_b * s_b + s_b * z1
    step_d = -0.5 * s_d * s_d + s_d * (rho * z1 + np.sqrt(1.0 - rho * rho) * z2)
    step_g = -0.5 * s_g * s_g + s_g * z3
    for step in (step_b, step_d, step_g):
        step[:, 0] = 0.0
    # cumsum adds left to right, as the kernel's running sum does: the same floats.
    btc = np.exp(np.cumsum(step_b, axis=1))
    diff = np.exp(np.cumsum(step_d, axis=1))
    gpu = np.exp(np.cumsum(step_g, axis=1))
    xs = np.empty_like(z4)
    xs[:, 0] = z4[:, 0]
    phi_c = np.sqrt(1.0 - phi * phi)
    for t in range(1, n_months):  # AR(1): a recursion, so a loop over months
        xs[:, t] = phi * xs[:, t - 1] + phi_c * z4[:, t]
    util = np.minimum(np.maximum(1.0 + s_u * xs, 0.0), u_max)
    return btc, diff, gpu, util


def simulate_numpy(base, n_months, seed, shock, n_paths, batch=65_536):
    """NumPy twin of :func:`simulate`: returns ``(out float64[K, N], btc_end float64[N])``.

    Paths run in batches (the draws of a batch take ``batch * n_months * 4`` floats), each
    batch through the scenario kernel's NumPy twin with the path multipliers.
    """
    outs, ends = [], []
    for lo in range(0, n_paths, batch):
        idx = np.arange(lo, min(lo + batch, n_paths))
        btc, diff, gpu, util = path_multipliers_numpy(seed, idx, n_months, shock)
        varied = np.empty((len(idx), 0))
        res = evaluate_numpy(base, varied, np.empty(0, np.int64), n_months,
                             btc_price_mult=btc, difficulty_mult=diff, gpu_price_mult=gpu,
                             utilization_mult=util)
        outs.append(np.asarray(res).T)
        ends.append(btc[:, -1])
    if not outs:
        return np.empty((0, 0)), np.empty(0)
    return np.ascontiguousarray(np.concatenate(outs, axis=1)), np.concatenate(ends)
