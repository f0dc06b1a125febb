"""Grid sweeps: the points of a Cartesian grid of inputs through the monthly engine.

A grid is described by its axes: the values of axis ``a`` are
``axis_values[axis_start[a] : axis_start[a] + axis_size[a]]``, and grid point ``i`` is the
C-order (last axis fastest) point number ``i``. Each *target* is one entry of the parameter
vector set from one axis (``p[target_param[t]] =`` value of axis ``target_axis[t]``); two
targets may share an axis (``pue`` sets both plants' PUE).

The points run through :func:`rackplan.kernels.engine.evaluate_grid`, on all threads or on
the calling thread only (:func:`sweep_grid_serial`, what a dask worker's thread runs): the same
cached kernel, the same bytes. The NumPy twin is
:func:`rackplan.kernels.engine_numpy.evaluate_numpy`.

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


def sweep_grid(base, axis_values, axis_start, axis_size, target_param, target_axis, n_months,
               slots, want, start=0, stop=None, threads=None):
    """Evaluate grid points ``start`` to ``stop`` on all threads (``threads``: how many).

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
        Output ``want[k]`` of each grid point in row ``k``. The points are never made: the
        engine counts through the axes (:func:`rackplan.kernels.engine.evaluate_grid`).
    """
    sizes = np.asarray(axis_size, dtype=np.int64)
    total = int(np.prod(sizes)) if sizes.size else 1
    stop = total if stop is None else int(stop)
    out = np.empty((len(want), stop - int(start)))
    kinds, fleets, pair = slots
    engine.evaluate_grid(base, np.asarray(axis_values, dtype=np.float64), axis_start, sizes,
                         target_param, target_axis, n_months, kinds, fleets, pair,
                         np.asarray(want, dtype=np.int64), out, start, stop, threads=threads)
    return out


def sweep_grid_serial(base, axis_values, axis_start, axis_size, target_param, target_axis,
                      n_months, slots, want, start=0, stop=None):
    """:func:`sweep_grid` on the calling thread only (what a dask worker thread runs)."""
    return sweep_grid(base, axis_values, axis_start, axis_size, target_param, target_axis,
                      n_months, slots, want, start, stop, threads=1)


def sweep_grid_numpy(base, axis_values, axis_start, axis_size, target_param, target_axis,
                     n_months, slots, want, start=0, stop=None):
    """NumPy twin of :func:`sweep_grid` (the engine's NumPy twin on the grid)."""
    varied = grid_points(axis_values, axis_start, axis_size, target_axis, start, stop)
    kinds, fleets, pair = slots
    return evaluate_numpy(base, varied, target_param, n_months, kinds, fleets, pair, want)
