"""Grid sweeps: the points of a Cartesian grid of inputs through the scenario kernel.

A grid is described by its axes: the values of axis ``a`` are
``axis_values[axis_start[a] : axis_start[a] + axis_size[a]]``, and grid point ``i`` is the
C-order (last axis fastest) point number ``i``. Each *target* is one entry of the parameter
vector set from one axis (``p[target_param[t]] =`` value of axis ``target_axis[t]``); two
targets may share an axis (``pue`` sets both plants' PUE).

The points run through :func:`rackplan.kernels.scenario.evaluate` (parallel, all numba threads)
or through the same function compiled without ``parallel`` (:func:`sweep_grid_serial`, for dask
workers: one numba thread per dask thread, and no parallel region entered from two threads at
once, which numba's default ``workqueue`` threading layer does not allow). Both give the same
bytes. The NumPy twin is :func:`rackplan.kernels.scenario.evaluate_numpy`.

All values are SI / base money units, as in :mod:`rackplan.kernels.scenario`.
"""

from __future__ import annotations

import functools

import numpy as np

from rackplan.kernels import scenario

__all__ = ["grid_points", "sweep_grid", "sweep_grid_serial", "sweep_grid_numpy"]


def grid_points(axis_values, axis_start, axis_size, target_axis, start=0, stop=None):
    """Grid points ``start`` to ``stop`` (flat, C order) as ``float64[n, T]`` target values."""
    sizes = [int(n) for n in axis_size]
    total = int(np.prod(sizes, dtype=np.int64)) if sizes else 1
    stop = total if stop is None else stop
    flat = np.arange(start, stop, dtype=np.int64)
    digits = np.unravel_index(flat, sizes) if sizes else ()
    out = np.empty((len(flat), len(target_axis)))
    for t, a in enumerate(target_axis):
        out[:, t] = axis_values[axis_start[a] + digits[a]]
    return out


def sweep_grid(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
               start=0, stop=None):
    """Evaluate grid points ``start`` to ``stop`` on all numba threads.

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

    Returns
    -------
    float64[n, K]
        The outputs (:data:`rackplan.kernels.scenario.OUTPUTS`) of each grid point.
    """
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    return scenario.evaluate(base, varied, target_param, n_months)


@functools.cache
def _serial():
    # The scenario kernel's own evaluate, compiled without parallel=True (prange runs as
    # range) and without the GIL, so that dask's worker threads run it side by side. Not
    # cached on disk: it would share evaluate's cache file and key, which do not say whether
    # a function was compiled parallel.
    from numba import njit

    return njit(error_model="numpy", cache=False, nogil=True)(scenario.evaluate.py_func)


def sweep_grid_serial(base, axis_values, axis_start, axis_size, target_param, target_axis,
                      n_months, start=0, stop=None):
    """:func:`sweep_grid` on the calling thread only (what a dask worker thread runs)."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    return _serial()(base, varied, target_param, n_months)


def sweep_grid_numpy(base, axis_values, axis_start, axis_size, target_param, target_axis,
                     n_months, start=0, stop=None):
    """NumPy twin of :func:`sweep_grid` (the scenario kernel's NumPy twin on the grid)."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    return np.asarray(scenario.evaluate_numpy(base, varied, target_param, n_months))
