"""Grid sweeps: every point of a Cartesian grid of inputs through the scenario kernel.

A grid is described without materializing it: the values of each axis are concatenated in
``axis_values`` (axis ``a`` holds ``axis_values[axis_start[a] : axis_start[a] + axis_size[a]]``),
and scenario ``i`` is the C-order (last axis fastest) grid point number ``i``. Each *target* is
one entry of the parameter vector set from one axis (``p[target_param[t]] =`` value of axis
``target_axis[t]``); two targets may share an axis (``pue`` setting both plants' PUE).

Results are written as ``out[k, i]`` (one contiguous row per output), so that every output is
a contiguous array of the grid's shape, ready to become an xarray variable without a copy.

All values are SI / base money units, as in :mod:`rackplan.kernels.scenario`.
"""

from __future__ import annotations

import numpy as np

from rackplan._jit import njit, prange
from rackplan.kernels.scenario import evaluate_numpy, scenario_cashflows

__all__ = ["sweep_grid", "sweep_grid_serial", "sweep_grid_numpy", "grid_points"]

# Scenarios per work item: the scratch buffers are allocated once per item, not per scenario,
# and 256 items keep both threads of a 2-core machine busy to the end of a 1e5-point sweep.
_ITEM = 256


@njit
def _item(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
          lo, hi, out):
    """Scenarios ``lo`` to ``hi`` (flat grid indices) into ``out[:, lo:hi]``."""
    n_axes = axis_size.shape[0]
    n_out = out.shape[0]
    p = np.empty_like(base)
    row = np.empty(n_out)
    digit = np.empty(n_axes, np.int64)
    ones_b = np.ones(n_months)
    ones_d = np.ones(n_months)
    ones_g = np.ones(n_months)
    ones_u = np.ones(n_months)
    for i in range(lo, hi):
        rest = i
        for a in range(n_axes - 1, -1, -1):
            digit[a] = rest % axis_size[a]
            rest //= axis_size[a]
        p[:] = base  # fresh every time: the scenario kernel owns p while it runs
        for t in range(target_param.shape[0]):
            a = target_axis[t]
            p[target_param[t]] = axis_values[axis_start[a] + digit[a]]
        scenario_cashflows(p, n_months, ones_b, ones_d, ones_g, ones_u, row)
        for k in range(n_out):
            out[k, i] = row[k]


@njit(parallel=True)
def sweep_grid(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
               start, stop, out):
    """Evaluate grid points ``start`` to ``stop`` in parallel (numba threads).

    Parameters
    ----------
    base : float64[P]
        The parameter vector of the base case (SI).
    axis_values, axis_start, axis_size : float64[sum n_a], int64[A], int64[A]
        The grid's axes, concatenated (SI).
    target_param, target_axis : int64[T], int64[T]
        Which entry of ``p`` each target sets, and from which axis.
    n_months : int
        Horizon [month].
    start, stop : int
        Flat grid indices to evaluate (``0, prod(axis_size)`` for the whole grid).
    out : float64[K, N]
        Written in place: ``out[k, i]`` is output ``k`` of grid point ``i``.
    """
    n_items = (stop - start + _ITEM - 1) // _ITEM
    for j in prange(n_items):
        lo = start + j * _ITEM
        hi = min(lo + _ITEM, stop)
        _item(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
              lo, hi, out)


@njit
def sweep_grid_serial(base, axis_values, axis_start, axis_size, target_param, target_axis,
                      n_months, start, stop, out):
    """:func:`sweep_grid` on the calling thread only: the kernel a dask worker thread runs
    (one numba thread per dask thread, and no parallel region entered from two threads)."""
    _item(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
          start, stop, out)


def grid_points(axis_values, axis_start, axis_size, target_axis):
    """The grid as an explicit ``float64[N, T]`` array of target values (C order)."""
    axes = [axis_values[s : s + n] for s, n in zip(axis_start, axis_size)]
    mesh = np.meshgrid(*axes, indexing="ij") if axes else []
    cols = [mesh[a].reshape(-1) for a in target_axis]
    n = int(np.prod(axis_size)) if len(axis_size) else 1
    return np.stack(cols, axis=1) if cols else np.empty((n, 0))


def sweep_grid_numpy(base, axis_values, axis_start, axis_size, target_param, target_axis,
                     n_months):
    """NumPy twin of :func:`sweep_grid` over the whole grid: materializes the grid and calls
    the scenario kernel's NumPy twin. Returns ``float64[K, N]``."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis)
    res = evaluate_numpy(base, varied, np.asarray(target_param, np.int64), n_months)
    return np.ascontiguousarray(np.asarray(res).T)
