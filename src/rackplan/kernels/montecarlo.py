"""Monte Carlo paths of the market drivers, through the monthly engine.

Each path draws, month by month, four shocks that multiply the deterministic trend of the
engine (:mod:`rackplan.kernels.engine`; a path is one scenario with its monthly multipliers):

- BTC price: geometric Brownian motion. ``log m_btc`` steps by ``mu - s**2/2 + s*z1`` a month,
  so with ``mu = 0`` the multiplier has mean 1 and the kernel's trend is the expected path.
- difficulty: its monthly growth is random around the trend: ``log m_diff`` steps by
  ``+s**2/2 + s*z2``, with ``z2 = rho*z1 + sqrt(1 - rho**2)*e`` (``rho``: correlation between
  BTC-price and difficulty shocks). The drift is ``+s**2/2``, not ``-s**2/2``: what the fleet
  mines goes as ``1 / m_diff``, which then has mean 1, so the expected BTC mined is the
  trend's (with a mean-one ``m_diff`` it would be ``exp(s**2 t)`` high, 5 % by year 5).
- GPU-hour price: reverts to its declining trend. Its log deviation ``y`` is an AR(1),
  ``y_t = phi_g y_(t-1) + s z3``, and the multiplier ``exp(y_t - v_t/2)`` with ``v_t`` the
  variance of ``y_t`` (``v_t = phi_g**2 v_(t-1) + s**2``), so it has mean 1 every month;
  ``phi_g = 1`` is a random walk, as BTC's.
- utilization: ``m_util = 1 + s*x`` with ``x`` a stationary AR(1) of unit variance and monthly
  persistence ``phi``, clipped to ``[0, util_max_mult]`` so utilization stays within 0..1.
- the trends themselves: each path draws, once, its own deviation of the BTC price's and the
  GPU-hour price's log growth a month (``e_b = s_bt z_b``, ``e_g = s_gt z_g``) and of the
  difficulty's, which moves with the BTC price's (``e_d = s_dt z_b``), from its month-0
  normals ``z_b`` and ``z_g``; month ``t`` adds ``e t - (s t)**2 / 2`` to the log of the BTC
  and GPU multipliers (mean 1 still) and ``e_d t + (s_dt t)**2 / 2`` to the difficulty's
  (``1 / m_diff`` mean 1 still).
- the colocation tenant: defaults after ``tau`` months of its lease, exponential with the
  monthly hazard ``lambda = -ln(1 - tenant_default_rate) / 12`` (``tau = -ln(Phi(-z0)) /
  lambda`` from the path's month-0 normal ``z0``, which nothing else reads), so that it still
  pays in lease month ``k`` with probability ``(1 - d)^(k/12)``, the engine's expectation
  without paths; the engine reads it in row :data:`rackplan.kernels.engine.P_DEFAULT`.

All multipliers are 1 in month 0 for prices and difficulty (the market is known on its date).

Random numbers come from the counter-based generator of :mod:`rackplan.kernels.rng`
(splitmix64 uniforms, ziggurat normals): month ``t`` of a path takes its normals number
``4 t`` to ``4 t + 3`` of the path's stream. A path's numbers depend only on (seed, path),
never on the thread that computes it, so results are the same bytes for any thread count, and
the NumPy twin draws the same numbers vectorized.
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import njit
from rackplan.kernels import engine
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.kernels.rng import exp_inplace, normal_numpy, normals, path_key, path_key_numpy

__all__ = ["N_SHOCK_PARAMS", "simulate", "simulate_numpy", "path_multipliers",
           "path_multipliers_numpy", "default_months_numpy"]

# Layout of the ``shock`` parameter vector (all per month except rho, the phis and the clip).
(BTC_MU, BTC_SIGMA, DIFF_SIGMA, GPU_SIGMA, UTIL_SIGMA, UTIL_PHI, RHO, UTIL_MAX, GPU_PHI,
 TENANT_HAZARD, BTC_TREND, DIFF_TREND, GPU_TREND) = range(13)
N_SHOCK_PARAMS = 13

_NORMALS_PER_MONTH = 4


@njit
def path_multipliers(seed, path, n_months, shock, btc, diff, gpu, util):
    """Fill the four multiplier arrays (float64[n_months]) of path ``path``."""
    z = np.empty(_NORMALS_PER_MONTH * n_months)
    paths = np.empty((4, n_months))
    _path_multipliers(seed, path, n_months, shock, paths, z, np.empty_like(z),
                      np.empty(n_months, np.int64))
    btc[:] = paths[0]
    diff[:] = paths[1]
    gpu[:] = paths[2]
    util[:] = paths[3]


@njit(_nrt=False)
def _path_multipliers(seed, path, n_months, shock, paths, z, scratch, bits):
    # the four multipliers of a path into the rows of paths float64[4, n_months]
    btc, diff, gpu, util = paths[0], paths[1], paths[2], paths[3]
    normals(path_key(seed, path), 0, z, scratch)  # all the path's normals at once
    mu_b, s_b, s_d, s_g = shock[BTC_MU], shock[BTC_SIGMA], shock[DIFF_SIGMA], shock[GPU_SIGMA]
    s_u, phi, rho, u_max = shock[UTIL_SIGMA], shock[UTIL_PHI], shock[RHO], shock[UTIL_MAX]
    phi_g = shock[GPU_PHI]
    rho_c = np.sqrt(1.0 - rho * rho)
    phi_c = np.sqrt(1.0 - phi * phi)
    # the path's own trends: a deviation of each log growth a month, drawn once
    s_bt, s_dt, s_gt = shock[BTC_TREND], shock[DIFF_TREND], shock[GPU_TREND]
    e_b, e_d, e_g = s_bt * z[1], s_dt * z[1], s_gt * z[2]
    h_b, h_d, h_g = 0.5 * s_bt * s_bt, 0.5 * s_dt * s_dt, 0.5 * s_gt * s_gt
    lb = 0.0
    ld = 0.0
    lg = 0.0
    vg = 0.0  # the variance of lg
    x = z[3]  # utilization starts in its stationary distribution
    btc[0] = diff[0] = gpu[0] = 0.0  # logs first; exponentiated below
    util[0] = min(max(1.0 + s_u * x, 0.0), u_max)
    for t in range(1, n_months):
        j = _NORMALS_PER_MONTH * t
        z1, z2, z3, z4 = z[j], z[j + 1], z[j + 2], z[j + 3]
        lb += mu_b - 0.5 * s_b * s_b + s_b * z1
        ld += 0.5 * s_d * s_d + s_d * (rho * z1 + rho_c * z2)  # 1 / m_diff has mean 1
        lg = phi_g * lg + s_g * z3  # back toward the trend by 1 - phi_g a month
        vg = phi_g * phi_g * vg + s_g * s_g
        x = phi * x + phi_c * z4
        btc[t] = lb + (e_b - h_b * t) * t
        diff[t] = ld + (e_d + h_d * t) * t
        gpu[t] = lg - 0.5 * vg + (e_g - h_g * t) * t  # mean 1
        util[t] = min(max(1.0 + s_u * x, 0.0), u_max)
    exp_inplace(btc, bits)  # vectorized exp: a third of the time libm's took here
    exp_inplace(diff, bits)
    exp_inplace(gpu, bits)
    if paths.shape[0] > engine.P_DEFAULT:
        paths[engine.P_DEFAULT, :] = _default_month(z[0], shock[TENANT_HAZARD])


@njit(_nrt=False)
def _default_month(z0, hazard):
    """The tenant's default month from its lease's start, ``-ln(Phi(-z0)) / hazard`` (inf
    without a hazard): exponential, as ``Phi(-z0)`` is uniform on 0..1."""
    if hazard <= 0.0:
        return np.inf
    return -np.log(0.5 * math.erfc(z0 / math.sqrt(2.0))) / hazard


# No reference counting and no GIL in the loop over paths, as in the engine's scenario loop;
# threads run blocks of paths side by side (:func:`rackplan.kernels.engine.run_blocks`).
@njit(_nrt=False, nogil=True)
def _paths_range(base, n_months, seed, shock, kinds, fleets, pair, want, lo, hi, out, btc_end,
                 tf, shape_sums, low, tab, net, fleet, paths, z, scratch, bits, b, sums, disc,
                 total, rows):
    held = 0  # paths in rows not yet stored (see engine.store_rows)
    for i in range(lo, hi):
        _path_multipliers(seed, i, n_months, shock, paths, z, scratch, bits)
        engine.run_scenario(base, n_months, kinds, fleets, pair, tf, shape_sums, low, tab, net,
                            paths, fleet, b, sums, disc, total, None, rows[held])
        btc_end[i] = paths[0, n_months - 1]
        held += 1
        if held == rows.shape[0] or i == hi - 1:
            engine.store_rows(rows, held, want, out, i + 1 - held)
            held = 0


def simulate(base, n_months, seed, shock, kinds, fleets, pair, want, out, btc_end,
             threads=None):
    """Run ``out.shape[1]`` paths on ``threads`` threads (default: numba's thread count).

    Parameters
    ----------
    base : float64[P]
        The scenario's parameter vector (SI, :data:`rackplan.kernels.engine.PARAMS`).
    n_months : int
        Horizon [month].
    seed : int
        Non-negative; the same seed gives the same numbers.
    shock : float64[8]
        Monthly drift adjustment and volatilities, correlation, AR(1) persistence and the
        utilization clip (see the module docstring; layout ``BTC_MU`` ... ``UTIL_MAX``).
    kinds, fleets, pair, want : int64 arrays
        The option slots, the breakeven pair and the outputs to store, as for
        :func:`rackplan.kernels.engine.evaluate`.
    out : float64[K, N]
        Written in place: ``out[j, i]`` is output ``want[j]`` of path ``i``.
    btc_end : float64[N]
        Written in place: the BTC-price multiplier in the last month of each path [1].
    """
    base = np.asarray(base, dtype=np.float64)

    def setup():
        work = engine.Work(base.shape[0], kinds.shape[0], n_months,
                           bool(base[engine.MINER_SHUTDOWN] != 0.0), engine.uses_network(base))
        if work.net is not None:
            work.net[0] = float(engine.wants_btc_breakeven(want, kinds.shape[0]))
        work.want_breakevens(engine.wants_switching_breakevens(want, kinds.shape[0]))
        work.shape(base, n_months, kinds, fleets)
        engine.size_fleets(base, work.fleet)  # every path's: the paths move prices only
        work.paths = np.empty((engine.N_PATH_ROWS, n_months))
        work.z = np.empty(_NORMALS_PER_MONTH * n_months)
        work.scratch = np.empty_like(work.z)
        work.bits = np.empty(n_months, np.int64)
        return work

    def block(w, lo, hi):
        _paths_range(base, n_months, seed, shock, kinds, fleets, pair, want, lo, hi, out,
                     btc_end, w.tf, w.shape_sums, w.low, w.tab, w.net, w.fleet, w.paths, w.z,
                     w.scratch, w.bits, w.b, w.sums, w.disc, w.total, w.rows)

    engine.run_blocks(out.shape[1], setup, block, threads)


# --- NumPy twin -------------------------------------------------------------------------------


def path_multipliers_numpy(seed, paths, n_months, shock):
    """NumPy twin of :func:`path_multipliers` for an array of path numbers.

    Returns four ``float64[len(paths), n_months]`` arrays (btc, diff, gpu, util).
    """
    keys = path_key_numpy(seed, paths)[:, None]
    js = np.arange(_NORMALS_PER_MONTH * n_months, dtype=np.int64)[None, :]
    z = normal_numpy(keys, js).reshape(len(keys), n_months, _NORMALS_PER_MONTH)
    z1, z2, z3, z4 = z[:, :, 0], z[:, :, 1], z[:, :, 2], z[:, :, 3]
    mu_b, s_b, s_d, s_g = shock[BTC_MU], shock[BTC_SIGMA], shock[DIFF_SIGMA], shock[GPU_SIGMA]
    s_u, phi, rho, u_max = shock[UTIL_SIGMA], shock[UTIL_PHI], shock[RHO], shock[UTIL_MAX]
    step_b = mu_b - 0.5 * s_b * s_b + s_b * z1
    step_d = 0.5 * s_d * s_d + s_d * (rho * z1 + np.sqrt(1.0 - rho * rho) * z2)
    for step in (step_b, step_d):
        step[:, 0] = 0.0
    # each path's own trends, from its month-0 normals (z2 and z3 of month 0)
    t = np.arange(n_months, dtype=float)[None, :]
    s_bt, s_dt, s_gt = shock[BTC_TREND], shock[DIFF_TREND], shock[GPU_TREND]
    z_b, z_g = z2[:, :1], z3[:, :1]
    trend_b = (s_bt * z_b - 0.5 * s_bt * s_bt * t) * t
    trend_d = (s_dt * z_b + 0.5 * s_dt * s_dt * t) * t
    trend_g = (s_gt * z_g - 0.5 * s_gt * s_gt * t) * t
    # cumsum adds left to right, as the kernel's running sum does: the same floats.
    btc = np.exp(np.cumsum(step_b, axis=1) + trend_b)
    diff = np.exp(np.cumsum(step_d, axis=1) + trend_d)
    phi_g = shock[GPU_PHI]
    ys = np.zeros_like(z3)
    var = np.zeros(n_months)
    for t in range(1, n_months):  # the GPU price's AR(1) deviation and its variance
        ys[:, t] = phi_g * ys[:, t - 1] + s_g * z3[:, t]
        var[t] = phi_g * phi_g * var[t - 1] + s_g * s_g
    gpu = np.exp(ys - 0.5 * var + trend_g)
    xs = np.empty_like(z4)
    xs[:, 0] = z4[:, 0]
    phi_c = np.sqrt(1.0 - phi * phi)
    for t in range(1, n_months):  # AR(1): a recursion, so a loop over months
        xs[:, t] = phi * xs[:, t - 1] + phi_c * z4[:, t]
    util = np.minimum(np.maximum(1.0 + s_u * xs, 0.0), u_max)
    return btc, diff, gpu, util


def default_months_numpy(seed, paths, shock):
    """NumPy twin of the paths' tenant default months (float64[len(paths)]): from each path's
    month-0 normal, as :func:`_default_month`."""
    keys = path_key_numpy(seed, paths)[:, None]
    z0 = normal_numpy(keys, np.zeros((1, 1), dtype=np.int64))[:, 0]
    hazard = shock[TENANT_HAZARD]
    if hazard <= 0.0:
        return np.full(len(z0), np.inf)
    erfc = np.frompyfunc(math.erfc, 1, 1)
    return -np.log(0.5 * erfc(z0 / math.sqrt(2.0)).astype(float)) / hazard


def simulate_numpy(base, n_months, seed, shock, n_paths, kinds, fleets, pair, want=None,
                   batch=65_536):
    """NumPy twin of :func:`simulate`: returns ``(out float64[K, N], btc_end float64[N])``.

    Paths run in batches (the draws of a batch take ``batch * n_months * 4`` floats), each
    batch through the engine's NumPy twin with the path multipliers.
    """
    outs, ends = [], []
    for lo in range(0, n_paths, batch):
        idx = np.arange(lo, min(lo + batch, n_paths))
        btc, diff, gpu, util = path_multipliers_numpy(seed, idx, n_months, shock)
        tau = np.repeat(default_months_numpy(seed, idx, shock)[:, None], n_months, axis=1)
        varied = np.empty((len(idx), 0))
        outs.append(evaluate_numpy(base, varied, np.empty(0, np.int64), n_months, kinds,
                                   fleets, pair, want, paths=(btc, diff, gpu, util, tau)))
        ends.append(btc[:, -1])
    if not outs:
        return np.empty((0, 0)), np.empty(0)
    return np.ascontiguousarray(np.concatenate(outs, axis=1)), np.concatenate(ends)
