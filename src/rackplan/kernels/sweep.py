"""Grid sweeps: the points of a Cartesian grid of inputs through the monthly engine.

A grid is described by its axes: the values of axis ``a`` are
``axis_values[axis_start[a] : axis_start[a] + axis_size[a]]``, and grid point ``i`` is the
C-order (last axis fastest) point number ``i``. Each *target* is one entry of the parameter
vector set from one axis (``p[target_param[t]] =`` value of axis ``target_axis[t]``); two
targets may share an axis (``pue`` sets both plants' PUE).

The points run through :func:`rackplan.kernels.engine.evaluate` (parallel, all numba threads)
or :func:`rackplan.kernels.engine.evaluate_serial` (for dask workers: one numba thread per dask
thread, and no parallel region entered from two threads at once, which numba's default
``workqueue`` threading layer does not allow). Both give the same bytes and both are cached on
disk. The NumPy twin is :func:`rackplan.kernels.engine_numpy.evaluate_numpy`.

``slots`` is ``(kinds, fleets, pair)`` of the option slots and ``want`` the outputs to keep,
as for :func:`rackplan.kernels.engine.evaluate`; results are ``float64[len(want), n]``, one
contiguous row per output. All values are SI / base money units.
"""

from __future__ import annotations

import numpy as np

from rackplan.kernels import engine
from rackplan.kernels.engine_numpy import evaluate_numpy

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


def _run(kernel, base, axis_values, axis_start, axis_size, target_param, target_axis,
         n_months, slots, want, start, stop):
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    out = np.empty((len(want), varied.shape[0]))
    kinds, fleets, pair = slots
    kernel(base, varied, np.asarray(target_param, dtype=np.int64), n_months, kinds, fleets,
           pair, np.asarray(want, dtype=np.int64), out)
    return out


def sweep_grid(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
               slots, want, start=0, stop=None):
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
    slots : (int64[O], int64[O], int64[2])
        The option slots' kinds and fleets and the breakeven pair.
    want : int64[K]
        The outputs to keep (indexes into :func:`rackplan.kernels.engine.output_table`).

    Returns
    -------
    float64[K, n]
        Output ``want[k]`` of each grid point in row ``k``.
    """
    return _run(engine.evaluate, base, axis_values, axis_start, axis_size, target_param,
                target_axis, n_months, slots, want, start, stop)


def sweep_grid_serial(base, axis_values, axis_start, axis_size, target_param, target_axis,
                      n_months, slots, want, start=0, stop=None):
    """:func:`sweep_grid` on the calling thread only (what a dask worker thread runs)."""
    return _run(engine.evaluate_serial, base, axis_values, axis_start, axis_size,
                target_param, target_axis, n_months, slots, want, start, stop)


def sweep_grid_numpy(base, axis_values, axis_start, axis_size, target_param, target_axis,
                     n_months, slots, want, start=0, stop=None):
    """NumPy twin of :func:`sweep_grid` (the engine's NumPy twin on the grid)."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    kinds, fleets, pair = slots
    return evaluate_numpy(base, varied, target_param, n_months, kinds, fleets, pair, want)
