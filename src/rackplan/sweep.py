"""Sweeps: the comparison over a grid of inputs, as an :class:`xarray.Dataset`.

``sweep(vary={"btc_price": "50000:150000:21", "gpu_hour_price": "1.5:6:10"})`` evaluates the
built-in case (or the given site, profiles and market) at every point of the grid and returns a
Dataset with one dimension per varied input and one variable per output of the scenario kernel
(:data:`rackplan.kernels.scenario.OUTPUTS`). Coordinates are in the units users write
(``btc_price`` in USD/BTC, ``power_price`` in USD/MWh); every variable has ``attrs["units"]`` and
``long_name``; ``winner`` has CF ``flag_values``/``flag_meanings``.

The result's size is estimated first. Under the memory budget the grid runs in one parallel
numba call. Over it, the grid is cut into chunks and run with dask (``xr.apply_ufunc(...,
dask="parallelized")`` over the serial kernel, one numba thread per dask thread); with ``out``
the chunks are written to netCDF as they are computed. ``client=`` runs the same graph on a
``dask.distributed`` cluster. Output files are written under a temporary name and renamed when
complete, so a failed or interrupted run never leaves a file that looks finished.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any, Iterable, Mapping

import numpy as np

from rackplan.errors import StudyError
from rackplan.grid import ALIASES, Grid, make_grid, parse_axis
from rackplan.studyio import (DEFAULT_MEMORY_BUDGET, connect, dask_progress, human_bytes,
                               parse_bytes, print_surface, progress_bar, use_scheduler, write)
from rackplan.studyio import sweep_summary as summary

__all__ = ["sweep", "breakeven_surface", "summary", "print_surface", "write", "parse_axis",
           "make_grid", "Grid", "estimate", "WINNER_MEANINGS", "ALIASES"]

#: ``winner`` codes, as in :data:`rackplan.kernels.scenario.OUTPUTS` (0 mine, 1 gpuaas, 2 colo).
WINNER_MEANINGS = ("mine", "gpuaas", "colocation")

# Largest dask chunk [byte]: dask's best practice is chunks of about 100 MB
# (https://docs.dask.org/en/stable/array-best-practices.html); a chunk is also kept at most a
# sixteenth of the memory budget, since a few are in flight per thread while others are written.
MAX_CHUNK_BYTES = 128e6
CHUNK_BUDGET_SHARE = 1 / 16

PROGRESS_MIN_POINTS = 2_000_000  # below this, a sweep is over before a bar is worth drawing


def _kernel():
    from rackplan.kernels import scenario

    return scenario


# --- planning ---------------------------------------------------------------------------------


def estimate(n_points: int, n_outputs: int) -> float:
    """Bytes a sweep's result takes in memory: one float64 per output and point [byte]."""
    return float(n_points) * n_outputs * 8.0


def _point_bytes(n_outputs: int, n_targets: int) -> float:
    """Working memory per grid point while it is computed [byte]: the kernel's outputs, the
    point's inputs, and the breakevens converted to user units."""
    return 8.0 * (n_outputs + n_targets + 3)


def _auto_chunks(shape: tuple[int, ...], point_bytes: float, chunk_bytes: float) -> tuple[int, ...]:
    """Chunk sizes per dimension: trailing dimensions whole while they fit (C order keeps
    each chunk contiguous on disk), the first one that does not fit cut to fit, leading ones 1."""
    cells = max(1, int(chunk_bytes // point_bytes))
    chunks = [1] * len(shape)
    for d in range(len(shape) - 1, -1, -1):
        if cells >= shape[d]:
            chunks[d] = shape[d]
            cells //= shape[d]
        else:
            chunks[d] = max(1, cells)
            break
    return tuple(chunks)


def _user_chunks(chunks: Any, names: list[str], shape: tuple[int, ...],
                 point_bytes: float) -> tuple[int, ...]:
    if isinstance(chunks, Mapping):
        unknown = [k for k in chunks if k not in names]
        if unknown:
            raise StudyError(f"chunks names {unknown}, which is not varied ({names})",
                             source="chunks")
        out = []
        for n, s in zip(names, shape):
            c = chunks.get(n, s)
            if int(c) != c or c <= 0:
                raise StudyError(f"chunk size for {n} must be a positive whole number",
                                 source="chunks")
            out.append(min(int(c), s))
        return tuple(out)
    if int(chunks) != chunks or chunks <= 0:
        raise StudyError(f"chunks must be 'auto', 'off', a positive number of scenarios or a "
                         f"mapping of sizes, got {chunks!r}", source="chunks")
    return _auto_chunks(shape, point_bytes, int(chunks) * point_bytes)


def _chunk_mode(chunks: Any) -> str:
    if chunks is None or (isinstance(chunks, str) and chunks.lower() == "auto"):
        return "auto"
    if chunks is False or (isinstance(chunks, str) and chunks.lower() in ("off", "none", "no")):
        return "off"
    if isinstance(chunks, str):
        try:
            return _chunk_mode(float(chunks)) if chunks.strip() else "auto"
        except ValueError:
            raise StudyError(f"chunks must be 'auto', 'off' or a number of scenarios, got "
                             f"{chunks!r}", source="chunks") from None
    return "given"


# --- running ----------------------------------------------------------------------------------


def _block(*axes, grid_args, n_out):
    """One dask block: the sub-grid spanned by the given pieces of each axis (SI)."""
    from rackplan.kernels.sweep import sweep_grid_serial

    base, target_param, target_axis, n_months = grid_args
    shape = np.broadcast_shapes(*(a.shape for a in axes))
    pieces = []
    for d, a in enumerate(axes):  # each axis arrives with size 1 (or broadcast) elsewhere
        full = np.broadcast_to(a, shape)
        pieces.append(full[tuple(slice(None) if k == d else 0 for k in range(len(shape)))])
    sizes = np.asarray([len(p) for p in pieces], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:  # dask probing the function with empty blocks
        return tuple(np.empty(shape) for _ in range(n_out))
    res = sweep_grid_serial(base, np.concatenate(pieces).astype(np.float64), starts, sizes,
                            target_param, target_axis, n_months)
    return tuple(res[:, k].reshape(shape) for k in range(n_out))


def _run_inmemory(grid: Grid, progress: bool) -> np.ndarray:
    """All grid points on all numba threads: ``float64[N, K]`` (in slabs, with a bar)."""
    from rackplan.kernels.sweep import sweep_grid

    args = grid.kernel_args()
    n = grid.size
    if not progress:
        return sweep_grid(*args)
    slabs = np.linspace(0, n, min(100, max(2, n // 100_000)) + 1).astype(np.int64)
    parts = []
    with progress_bar("sweep", len(slabs) - 1) as advance:
        for lo, hi in zip(slabs[:-1], slabs[1:]):
            parts.append(sweep_grid(*args, int(lo), int(hi)))
            advance(1)
    return np.concatenate(parts)


def _attrs_for(name: str, sc) -> dict[str, Any]:
    attrs = {"units": sc.OUTPUT_UNITS.get(name, "1"),
             "long_name": sc.OUTPUT_LONG_NAMES.get(name, name.replace("_", " "))}
    if name == "winner":
        attrs.update(units="1", flag_values=np.arange(len(WINNER_MEANINGS), dtype=np.int8),
                     flag_meanings=" ".join(WINNER_MEANINGS),
                     comment="-1 where no option could be ranked (NaN NPV)")
    return attrs


def _user_output_unit(name: str, sc, users: Mapping[str, str]) -> str | None:
    """Breakevens are shown in the unit users write the input in (USD/BTC, USD/h)."""
    if name.startswith("breakeven_") and name[len("breakeven_"):] in users:
        return users[name[len("breakeven_"):]]
    return None


def _finish_var(name: str, data, sc, users):
    """The variable's data and attributes, with the breakevens in user units and the winner
    as a small integer. ``data`` is a NumPy or dask array in the kernel's units."""
    attrs = _attrs_for(name, sc)
    if name == "winner":
        return _winner_int(data), attrs
    unit = _user_output_unit(name, sc, users)
    if unit:
        from rackplan.units import Q_

        try:
            factor = Q_(1.0, attrs["units"]).m_as(unit)
            data = data * factor if factor != 1.0 else data
            attrs["units"] = unit
        except Exception:
            pass  # a unit pint cannot read: keep the kernel's, which attrs already names
    return data, attrs


def _winner_int(w):
    import numpy as _np

    if isinstance(w, _np.ndarray):
        return _np.where(_np.isnan(w), -1, w).astype(_np.int8)
    import dask.array as da

    return da.where(da.isnan(w), -1, w).astype(_np.int8)


def _dataset(grid: Grid, arrays: Mapping[str, Any], sc, users, attrs: dict) -> Any:
    import xarray as xr

    coords = {}
    for name, unit, vals in zip(grid.names, grid.units, grid.values):
        coords[name] = (name, vals, {"units": unit, "long_name": name.replace("_", " ")})
    data_vars = {}
    for name, data in arrays.items():
        data, a = _finish_var(name, data, sc, users)
        data_vars[name] = (tuple(grid.names), data, a)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _select_outputs(outputs: Iterable[str] | None, sc) -> list[str]:
    all_out = list(sc.OUTPUTS)
    if outputs is None:
        return all_out
    chosen = list(outputs)
    from rackplan._io import close_matches

    for o in chosen:
        if o not in all_out:
            hint = close_matches(o, all_out)
            raise StudyError(f"unknown output {o!r}" + (f"; did you mean {hint}?" if hint else
                             f"; outputs: {', '.join(all_out)}"), source="outputs")
    if not chosen:
        raise StudyError("no outputs chosen", source="outputs")
    return chosen


def sweep(site=None, mining_profile=None, gpu_profile=None, market=None, *,
          vary: Mapping[str, Any], years: int = 5, overrides=None, chunks: Any = None,
          memory_budget: Any = DEFAULT_MEMORY_BUDGET, out: str | os.PathLike | None = None,
          client=None, progress: bool = False, outputs: Iterable[str] | None = None):
    """Evaluate the comparison over a grid of inputs.

    Parameters
    ----------
    site, mining_profile, gpu_profile, market
        As for :func:`rackplan.compare.scenario_base` (ids, paths or models; ``None`` for the
        built-in case: Moses Lake, antminer-s21-xp-hyd, gb300-nvl72, built-in market).
    vary : dict
        ``{name: values}``, names as in the site, profile and market files and ``--set``
        (``btc_price``, ``power_price``, ``gpu_hour_price``, ``utilization``, ``pue``, ...).
        Values: a list (numbers in the input's user unit, or quantity strings), a range
        ``(start, stop, n)`` or ``"start:stop:n"``. One dimension per entry, in this order.
    years : int
        Horizon [year].
    overrides
        ``--set`` style overrides of the base case, passed to ``scenario_base``.
    chunks : None, "auto", "off", int or dict
        ``None``/``"auto"``: in memory when the result fits the memory budget, else in dask
        chunks sized to it. ``"off"``: never chunk (a result over the budget is an error).
        An int (scenarios per chunk) or ``{dim: size}`` forces dask chunks.
    memory_budget : str or float
        ``"2 GB"`` (or bytes).
    out : path, optional
        ``.nc`` (netCDF4 via h5netcdf, written chunk by chunk), ``.csv`` or ``.json``.
    client : distributed.Client or str, optional
        Run the chunks on a ``dask.distributed`` cluster (a client or a scheduler address).
    progress : bool
        A size estimate and a progress bar on stderr.
    outputs : list of str, optional
        Keep only these outputs (all by default).

    Returns
    -------
    xarray.Dataset
        Dimensions: the varied inputs. In memory when the result fits the budget; dask-backed
        (lazy) when it does not: opened from ``out`` when given, else computed on access.
    """
    sc = _kernel()
    from rackplan.compare import user_units

    users = dict(user_units())
    chosen = _select_outputs(outputs, sc)
    grid = make_grid(site, mining_profile, gpu_profile, market, vary=vary, years=years,
                     overrides=overrides)
    if not grid.names:
        raise StudyError("nothing to vary: give at least one input", source="vary")
    budget = parse_bytes(memory_budget)
    mode = _chunk_mode(chunks)
    n_out = len(sc.OUTPUTS)
    point_bytes = _point_bytes(n_out, len(grid.target_param))
    nbytes = grid.size * point_bytes
    if progress:
        dims = " x ".join(f"{len(v)} {n}" for n, v in zip(grid.names, grid.values))
        print(f"rackplan: sweep: {grid.size:,} scenarios ({dims}), result ~"
              f"{human_bytes(estimate(grid.size, len(chosen)))}", file=sys.stderr)
    own_client = None
    if isinstance(client, str):
        client = own_client = connect(client)
    try:
        if mode == "off" and nbytes > budget:
            raise StudyError(
                f"{grid.size:,} scenarios need about {human_bytes(nbytes)}, over the memory "
                f"budget of {human_bytes(budget)}, and chunking is off: turn chunking on, "
                f"raise the budget or vary fewer values", source="chunks")
        attrs = _ds_attrs(grid, site, mining_profile, gpu_profile, market, overrides)
        if mode == "off" or (mode == "auto" and nbytes <= budget and client is None):
            res = _run_inmemory(grid, progress and grid.size >= PROGRESS_MIN_POINTS)
            arrays = {name: res[:, k].reshape(grid.shape) for k, name in enumerate(sc.OUTPUTS)
                      if name in chosen}
            ds = _dataset(grid, arrays, sc, users, attrs)
            if out is not None:
                write(ds, out)
            return ds
        if mode == "given":
            chunk_sizes = _user_chunks(chunks if not isinstance(chunks, str) else int(float(
                chunks)), grid.names, grid.shape, point_bytes)
        else:
            chunk_sizes = _auto_chunks(grid.shape, point_bytes,
                                       min(MAX_CHUNK_BYTES, budget * CHUNK_BUDGET_SHARE))
        ds = _lazy(grid, chunk_sizes, sc, users, chosen, attrs)
        if estimate(grid.size, len(chosen)) <= budget:
            # It fits: compute (on the cluster, if any) and hold it; write from memory.
            with use_scheduler(client), dask_progress(progress and client is None):
                ds = ds.compute()
            if out is not None:
                write(ds, out)
            return ds
        if out is None:
            return ds  # lazy: reductions and selections compute chunk by chunk
        import xarray as xr

        path = write(ds, out, client=client, progress=progress, memory_budget=budget)
        return xr.open_dataset(path, engine="h5netcdf", chunks={})
    finally:
        if own_client is not None:
            own_client.close()


def _lazy(grid: Grid, chunk_sizes, sc, users, chosen, attrs):
    import xarray as xr

    axes = [xr.DataArray(si, dims=[n]).chunk({n: c})
            for n, si, c in zip(grid.names, grid.si, chunk_sizes)]
    n_out = len(sc.OUTPUTS)
    from dask.array import PerformanceWarning

    with warnings.catch_warnings():
        # every chunk of one axis meets every chunk of the others: the grid is an outer
        # product, so dask's "increasing number of chunks" is the point, not a problem
        warnings.simplefilter("ignore", PerformanceWarning)
        results = _apply(axes, grid, n_out)
    arrays = {name: r.transpose(*grid.names).data for name, r in zip(sc.OUTPUTS, results)
              if name in chosen}
    return _dataset(grid, arrays, sc, users, attrs)


def _apply(axes, grid: Grid, n_out: int):
    import xarray as xr

    return xr.apply_ufunc(
        _block, *axes,
        kwargs={"grid_args": (grid.base, grid.target_param, grid.target_axis, grid.n_months),
                "n_out": n_out},
        dask="parallelized",
        output_core_dims=[[] for _ in range(n_out)],
        output_dtypes=[np.float64] * n_out,
    )


def _ds_attrs(grid: Grid, site, mining_profile, gpu_profile, market, overrides) -> dict:
    from rackplan import __version__

    def name(x, default):
        if x is None:
            return default
        return str(getattr(x, "id", None) or getattr(x, "name", None) or x)

    return {
        "title": "rackplan sweep: mining vs GPU-as-a-service vs colocation",
        "site": name(site, "built-in"),
        "mining_profile": name(mining_profile, "built-in"),
        "gpu_profile": name(gpu_profile, "built-in"),
        "market": name(market, "built-in"),
        "years": grid.n_months // 12,
        "overrides": json.dumps(_jsonable_overrides(overrides)),
        "inputs": json.dumps(grid.inputs),
        "source": f"rackplan {__version__}",
    }


def _jsonable_overrides(overrides):
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return {str(k): str(v) for k, v in overrides.items()}
    return [str(o) for o in overrides]


# --- breakeven surfaces -------------------------------------------------------------------------


def _axis_arg(arg: Any, label: str) -> tuple[str, Any]:
    if isinstance(arg, str) and "=" in arg:
        name, _, spec = arg.partition("=")
        return name.strip(), spec.strip()
    if isinstance(arg, Mapping) and len(arg) == 1:
        return next(iter(arg.items()))
    if isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[0], str):
        return arg[0], arg[1]
    raise StudyError(f"{label} must be NAME=start:stop:n, {{name: values}} or (name, values); "
                     f"got {arg!r}", source=label)


def breakeven_surface(site=None, mining_profile=None, gpu_profile=None, market=None, *,
                      x, y, solve_for: str = "btc_price", years: int = 5, overrides=None,
                      **kwargs):
    """The breakeven of ``solve_for`` over a 2-D grid of two other inputs.

    At every grid point the kernel solves exactly for the value of ``solve_for`` at which
    mining and GPU-as-a-service have equal NPV (``breakeven_btc_price``: the BTC price mining
    needs to match GPUaaS; ``breakeven_gpu_hour_price``: the GPU-hour price GPUaaS needs to
    match mining). No grid scan: the NPVs are linear in these prices.

    Parameters
    ----------
    x, y : str, dict or tuple
        ``"gpu_hour_price=1.5:6:10"``, ``{"gpu_hour_price": "1.5:6:10"}`` or
        ``("gpu_hour_price", [2, 3, 4])``.
    solve_for : str
        An input with a ``breakeven_<name>`` kernel output.
    **kwargs
        Passed to :func:`sweep` (``chunks``, ``memory_budget``, ``client``, ``out``, ...).

    Returns
    -------
    xarray.DataArray
        ``breakeven_<solve_for>`` with dimensions ``(y, x)``, in the input's user unit.
    """
    sc = _kernel()
    xname, xspec = _axis_arg(x, "x")
    yname, yspec = _axis_arg(y, "y")
    solvable = [o[len("breakeven_"):] for o in sc.OUTPUTS if o.startswith("breakeven_")]
    if solve_for not in solvable:
        from rackplan._io import close_matches

        hint = close_matches(solve_for, solvable)
        raise StudyError(f"cannot solve for {solve_for!r}" + (f"; did you mean {hint}?" if hint
                         else "") + f" (solvable: {', '.join(solvable)})", source="solve_for")
    if solve_for in (xname, yname):
        raise StudyError(f"{solve_for} is solved for, so it cannot also be an axis",
                         source="solve_for")
    if xname == yname:
        raise StudyError(f"x and y are both {xname}", source="y")
    var = f"breakeven_{solve_for}"
    ds = sweep(site, mining_profile, gpu_profile, market, vary={yname: yspec, xname: xspec},
               years=years, overrides=overrides, outputs=[var], **kwargs)
    da = ds[var]
    da.attrs["solve_for"] = solve_for
    return da
