"""Sweeps: the comparison over a grid of inputs, as an :class:`xarray.Dataset`.

``sweep(vary={"btc_price": "50000:150000:21", "gpu_hour_price": "1.5:6:10"})`` evaluates the
built-in case (or the given site, profiles and market) at every point of the grid and returns a
Dataset with one dimension per varied input and one variable per output of the monthly engine
for the registered options (:func:`rackplan.kernels.engine.output_table`), plus the flags
``no_fit_mine`` and ``no_fit_gpuaas`` (True where no miner, or no GPU system, fits the site).
Coordinates are in the units users write (``btc_price`` in USD/BTC, ``power_price`` in
USD/MWh); every variable has ``attrs["units"]`` and ``long_name``; ``winner`` has CF
``flag_values``/``flag_meanings``.

Sizes are checked first, from the counts alone, before any axis exists: the memory budget
(itself no more than the machine has) must hold the coordinates, and either the whole result
(then it runs in one parallel numba call) or a few chunks at a time. Over the budget the grid is
cut into chunks: with ``out`` (netCDF) each chunk is computed on a thread pool (one serial
numba kernel per thread) or on a ``dask.distributed`` cluster (``client=``) and written to the
file by the calling thread; without ``out`` the result is a lazy dask-backed Dataset
(``xr.apply_ufunc(..., dask="parallelized")``). Output files are written under a temporary name
and renamed when complete, so a failed or interrupted run never leaves a file that looks
finished (:func:`rackplan.studies.io.write`).
"""

from __future__ import annotations

import collections
import math
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from rackplan._args import whole_number
from rackplan.errors import StudyError, shown
from rackplan.studies.grid import (ALIASES, Grid, check_vary, check_years, make_grid,
                                   output_unit, parse_axis, parse_grid)
from rackplan.studies.io import (DEFAULT_MEMORY_BUDGET, StudyWarning, budget_bytes, case_attrs,
                              check_out, check_space, cluster_threads, connect, human_bytes,
                              local_threads, progress_bar, run_blocks,
                              undefined_why, warn_no_fit, write)
from rackplan.studies.io import sweep_summary as summary

__all__ = ["sweep", "breakeven_surface", "summary", "write", "parse_axis",
           "make_grid", "Grid", "estimate", "WINNER_MEANINGS", "ALIASES", "FLAGS"]

#: ``winner`` codes with the built-in options (the registered options, in order).
WINNER_MEANINGS = ("mine", "gpuaas", "colocation")

#: Flag variables: True where no unit of the option fits the site (from the kernel's count).
FLAGS = {
    "no_fit_mine": ("units_mine", "no miner fits the site"),
    "no_fit_gpuaas": ("units_gpu", "no GPU system fits the site"),
}

# Largest chunk [byte]: dask's best practice is chunks of about 100 MB
# (https://docs.dask.org/en/stable/array-best-practices.html); a chunk is also kept at most a
# sixteenth of the memory budget, since a few are in flight per thread while others are written.
MAX_CHUNK_BYTES = 128e6
CHUNK_BUDGET_SHARE = 1 / 16

#: Memory per value of an axis [byte]: the coordinate, its index and its SI values.
AXIS_VALUE_BYTES = 24
#: Memory of dask's task graph per chunk of a lazy result [byte]: the summary's one pass over
#: the 27 outputs and the flags measured about 220 kB of resident memory a chunk.
GRAPH_BYTES_PER_CHUNK = 250e3

PROGRESS_MIN_POINTS = 2_000_000  # below this, a sweep is over before a bar is worth drawing
#: Grids of at most this many points run the engine's source as Python
#: (:func:`rackplan._jit.interpreted`; 0.1 to 3 ms a point, the most with the network or the
#: miners' shutdown on, so 256 points within a second): numba's import and cache take 0.8 s
#: and a first compile 7-9 s.
INTERPRETED_MAX_POINTS = 256


def _kernel():
    """The engine's outputs for the registered options (names, units, long names, slots)."""
    from rackplan.economics.options import engine_table

    return engine_table()


@dataclass(frozen=True)
class _Engine:
    """The outputs a sweep asks the engine for: ``want`` (engine indexes, one result row
    each) and their ``names``; the flags' sources are always among them."""

    table: Any
    want: np.ndarray
    names: tuple[str, ...]

    def row(self, name: str) -> int:
        return self.names.index(name)

    @property
    def slots(self):
        return (self.table.kinds, self.table.fleets, self.table.pair)


def _engine(table, chosen: list[str]) -> _Engine:
    sources = [FLAGS[c][0] if c in FLAGS else c for c in chosen]
    names = tuple(dict.fromkeys(sources + [src for src, _ in FLAGS.values()]))
    return _Engine(table, table.want(names), names)


# --- planning ---------------------------------------------------------------------------------


def estimate(n_points: int, n_outputs: int) -> float:
    """Bytes a sweep's result takes in memory: one float64 per output and point [byte]."""
    return float(n_points) * n_outputs * 8.0


@dataclass(frozen=True)
class _Var:
    """One variable of the result: which kernel column it comes from and how it is finished."""

    name: str
    k: int  # column of the kernel's output
    kind: str  # "value", "winner" or "flag"
    factor: float = 1.0  # kernel unit -> unit
    unit: str | None = None  # None: the kernel's unit

    @property
    def dtype(self):
        return {"winner": np.int8, "flag": np.bool_}.get(self.kind, np.float64)

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize


def _finish(var: _Var, col):
    """A kernel column (NumPy or dask, kernel units) as the variable: breakevens in user
    units, the winner as int8 (-1 where no option could be ranked), flags as booleans."""
    if var.kind == "winner":
        if isinstance(col, np.ndarray):
            return np.where(np.isnan(col), -1, col).astype(np.int8)
        import dask.array as da

        return da.where(da.isnan(col), -1, col).astype(np.int8)
    if var.kind == "flag":
        return col == 0
    return col * var.factor if var.factor != 1.0 else col


def _attrs_for(var: _Var, sc) -> dict[str, Any]:
    if var.kind == "flag":
        source, what = FLAGS[var.name]
        return {"units": "1", "long_name": what,
                "comment": f"True where the kernel's {source} is 0: the option's figures are "
                           f"those of a site without its units"}
    attrs = {"units": sc.units.get(var.name, "1"),
             "long_name": sc.long_names.get(var.name, var.name.replace("_", " "))}
    if var.kind == "winner":
        meanings = [o.name for o in sc.options]
        attrs.update(units="1", flag_values=np.arange(len(meanings), dtype=np.int8),
                     flag_meanings=" ".join(meanings),
                     comment="-1 where no option could be ranked (NaN NPV)")
    elif var.unit:
        attrs["units"] = var.unit
    return attrs


def _variables(chosen: list[str], sc, eng: _Engine) -> list[_Var]:
    out = []
    for name in chosen:
        if name in FLAGS:
            out.append(_Var(name, eng.row(FLAGS[name][0]), "flag"))
            continue
        k = eng.row(name)
        if name == "winner":
            out.append(_Var(name, k, "winner"))
            continue
        factor, unit = output_unit(name, sc.units.get(name, "1"))
        out.append(_Var(name, k, "value", factor, unit))
    return out


def _select_outputs(outputs: Iterable[str] | None, sc) -> list[str]:
    all_out = list(sc.names) + list(FLAGS)
    if outputs is None:
        return all_out
    if isinstance(outputs, str):
        outputs = [outputs]
    try:
        chosen = list(outputs)
    except TypeError:
        raise StudyError(f"must be a list of output names, got {shown(outputs)}",
                         source="outputs") from None
    from rackplan._io import close_matches

    for o in chosen:
        if not isinstance(o, str) or o not in all_out:
            hint = close_matches(o, all_out) if isinstance(o, str) else ""
            raise StudyError(f"unknown output {shown(o)}" + (f"; did you mean {hint}?" if hint
                             else f"; outputs: {', '.join(all_out)}"), source="outputs")
    if not chosen:
        raise StudyError("no outputs chosen", source="outputs")
    return list(dict.fromkeys(chosen))


def _parse_chunks(chunks: Any) -> tuple[str, Any]:
    """``("auto", None)``, ``("off", None)``, ``("given", n)`` or ``("given", {dim: n})``."""
    hint = "must be auto, off, a positive whole number of scenarios or a mapping of " \
           "dimension sizes"
    if chunks is None:
        return "auto", None
    if chunks is False:
        return "off", None
    if isinstance(chunks, str):
        text = chunks.strip().lower()
        if text in ("", "auto"):
            return "auto", None
        if text in ("off", "none", "no"):
            return "off", None
        try:
            return "given", whole_number(text, "chunks", 1, 10**15, StudyError)
        except StudyError:
            raise StudyError(f"{hint}, got {shown(chunks)}", source="chunks") from None
    if isinstance(chunks, Mapping):
        sizes = {}
        for name, size in chunks.items():
            if not isinstance(name, str):
                raise StudyError(f"{hint}; {shown(name)} is not a dimension name",
                                 source="chunks")
            sizes[name] = whole_number(size, f"chunks[{name!r}]", 1, 10**15, StudyError)
        return "given", sizes
    if isinstance(chunks, bool) or not isinstance(chunks, (int, float, np.integer,
                                                           np.floating)):
        raise StudyError(f"{hint}, got {shown(chunks)}", source="chunks")
    try:
        return "given", whole_number(chunks, "chunks", 1, 10**15, StudyError)
    except StudyError:
        raise StudyError(f"{hint}, got {shown(chunks)}", source="chunks") from None


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
        return tuple(min(int(chunks.get(n, s)), s) for n, s in zip(names, shape))
    return _auto_chunks(shape, point_bytes, int(chunks) * point_bytes)


@dataclass
class _Plan:
    route: str  # "numba", "blocks" (into memory), "file" (blocks into netCDF), "lazy"
    chunks: tuple[int, ...] | None = None
    n_blocks: int = 1
    fits: bool = False  # "file": the result fits the budget, so it is read back whole


def _n_blocks(shape, chunks) -> int:
    return math.prod(-(-s // c) for s, c in zip(shape, chunks))


def _plan(grid: Grid, mode: str, chunk_arg, budget: float, variables: list[_Var], client,
          out, in_memory: bool, eng: _Engine) -> _Plan:
    """Where the sweep runs, from the counts alone; anything over the budget is refused here,
    before any axis or result exists."""
    n = grid.size
    n_out, n_targets, n_axes = len(eng.want), len(grid.target_param), len(grid.axes)
    result_point = sum(v.itemsize for v in variables)
    point_bytes = 8.0 * (n_out + n_targets + n_axes + 1) + result_point
    coords = float(AXIS_VALUE_BYTES) * grid.n_axis_values
    if coords > budget / 2:
        raise StudyError(
            f"the {grid.n_axis_values:,} values of the varied inputs need about "
            f"{human_bytes(coords)} as coordinates alone, over half the memory budget of "
            f"{human_bytes(budget)}: vary fewer values or raise the budget",
            source="memory_budget")
    whole = n * point_bytes + coords
    if mode == "off":
        if whole > budget:
            raise StudyError(
                f"{n:,} scenarios need about {human_bytes(whole)}, over the memory budget of "
                f"{human_bytes(budget)}, and chunking is off: turn chunking on, raise the "
                f"budget or vary fewer values", source="chunks")
        return _Plan("numba")
    if mode == "auto" and client is None and whole <= budget:
        return _Plan("numba")
    if mode == "given":
        chunks = _user_chunks(chunk_arg, grid.names, grid.shape, point_bytes)
    else:
        chunks = _auto_chunks(grid.shape, point_bytes,
                              min(MAX_CHUNK_BYTES, budget * CHUNK_BUDGET_SHARE))
    threads = local_threads() if client is None else cluster_threads(client)
    in_flight = (threads + 1) * math.prod(chunks) * point_bytes
    if in_flight > budget / 2:
        if mode == "given":
            raise StudyError(
                f"chunks of {math.prod(chunks):,} scenarios need about "
                f"{human_bytes(in_flight)} for the {threads + 1} in flight, over half the "
                f"memory budget of {human_bytes(budget)}: give smaller chunks or raise the "
                f"budget", source="chunks")
        raise StudyError(
            f"even chunks of {math.prod(chunks):,} scenarios need about "
            f"{human_bytes(in_flight)} for the {threads + 1} in flight, over half the memory "
            f"budget of {human_bytes(budget)}: raise the budget", source="memory_budget")
    n_blocks = _n_blocks(grid.shape, chunks)
    result = n * result_point + coords
    fits = result + in_flight <= budget
    if in_memory and not fits:
        raise StudyError(
            f"the result of {n:,} scenarios needs about {human_bytes(result)}, over the "
            f"memory budget of {human_bytes(budget)}: vary fewer values or raise the budget",
            source="memory_budget")
    if out is not None and out.suffix.lower() == ".nc" and not in_memory:
        # chunks go to the file as they come (the least memory); read back whole if it fits
        return _Plan("file", chunks, n_blocks, fits)
    if fits:
        return _Plan("blocks", chunks, n_blocks)
    if out is None:
        graph = n_blocks * GRAPH_BYTES_PER_CHUNK
        if graph + coords > budget:
            raise StudyError(
                f"{n:,} scenarios over the memory budget of {human_bytes(budget)} would be a "
                f"lazy result of {n_blocks:,} chunks, whose task graph alone needs about "
                f"{human_bytes(graph)}: write it to a netCDF file (out=...nc), use larger "
                f"chunks, raise the budget or vary fewer values", source="memory_budget")
        return _Plan("lazy", chunks, n_blocks)
    raise StudyError(f"{out}: the result of {n:,} scenarios (about {human_bytes(result)}) "
                     f"is over the memory budget of {human_bytes(budget)}; write large "
                     f"sweeps as .nc", source="out")


def _file_estimate(out, grid: Grid, variables: list[_Var]) -> float:
    n = float(grid.size)
    fmt = out.suffix.lower().lstrip(".")
    if fmt == "nc":
        return n * sum(v.itemsize for v in variables) * 1.02 + 8.0 * grid.n_axis_values + 64e3
    if fmt == "csv":
        return n * 24.0 * (len(variables) + len(grid.axes)) + 4e3
    return n * 24.0 * len(variables) + 24.0 * grid.n_axis_values + 16e3


# --- running ----------------------------------------------------------------------------------


def _grid_args(grid: Grid, eng: _Engine):
    return (grid.base, grid.target_param, grid.target_axis, grid.n_months, eng.slots, eng.want)


def _kernel_block(pieces, grid_args):
    """The kernel over the sub-grid spanned by 1-D pieces of each axis (SI): float64[K, n]."""
    from rackplan.kernels.sweep import sweep_grid_serial

    base, target_param, target_axis, n_months, slots, want = grid_args
    sizes = np.asarray([len(p) for p in pieces], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return sweep_grid_serial(base, np.concatenate(pieces).astype(np.float64), starts, sizes,
                             target_param, target_axis, n_months, slots, want)


def _compute_block(pieces, grid_args, variables, flag_columns):
    """One block for :func:`rackplan.studies.io.run_blocks` (runs on a pool thread or a cluster
    worker; never touches a file): the finished variables and the no-fit counts."""
    shape = tuple(len(p) for p in pieces)
    res = _kernel_block(pieces, grid_args)
    arrays = {v.name: _finish(v, res[v.k].reshape(shape)) for v in variables}
    counts = {flag: int(np.count_nonzero(res[k] == 0)) for flag, k in flag_columns}
    return {"arrays": arrays, "no_fit": counts}


class _SweepBlocks:
    """The blocks of a chunked sweep: each axis cut by ``chunks``, the SI values of a block
    made from the coordinates' slices (never the whole axis in SI)."""

    def __init__(self, grid: Grid, chunks: tuple[int, ...], variables: list[_Var],
                 eng: _Engine):
        self.grid = grid
        self.eng = eng
        self.variables = variables
        self.flag_columns = [(flag, eng.row(src)) for flag, (src, _) in FLAGS.items()]
        self.bounds = [[(lo, min(lo + c, s)) for lo in range(0, s, c)]
                       for s, c in zip(grid.shape, chunks)]
        self.count = math.prod(len(b) for b in self.bounds)
        self.no_fit: collections.Counter = collections.Counter()

    def jobs(self):
        import itertools

        grid, values, args = self.grid, self.grid.values, _grid_args(self.grid, self.eng)
        for combo in itertools.product(*self.bounds):
            pieces = [np.ascontiguousarray(grid.to_si(d, values[d][lo:hi]), dtype=np.float64)
                      for d, (lo, hi) in enumerate(combo)]
            region = tuple(slice(lo, hi) for lo, hi in combo)
            yield region, _compute_block, (pieces, args, self.variables, self.flag_columns)

    def received(self, result):
        self.no_fit.update(result["no_fit"])
        return result["arrays"]


def _block(*axes, grid_args, n_out):
    """One dask block of the lazy result: the sub-grid spanned by the given pieces of each
    axis (SI), as ``n_out`` arrays."""
    shape = np.broadcast_shapes(*(a.shape for a in axes))
    pieces = []
    for d, a in enumerate(axes):  # each axis arrives with size 1 (or broadcast) elsewhere
        full = np.broadcast_to(a, shape)
        pieces.append(full[tuple(slice(None) if k == d else 0 for k in range(len(shape)))])
    if math.prod(shape) == 0:  # dask probing the function with empty blocks
        return tuple(np.empty(shape) for _ in range(n_out))
    res = _kernel_block(pieces, grid_args)
    return tuple(res[k].reshape(shape) for k in range(n_out))


def _run_numba(grid: Grid, eng: _Engine, progress: bool) -> np.ndarray:
    """All grid points on all numba threads: ``float64[K, N]`` (in slabs, with a bar)."""
    from rackplan._jit import run_interpreted
    from rackplan.kernels.sweep import sweep_grid

    args = (*grid.kernel_args(), eng.slots, eng.want)
    n = grid.size
    if n <= INTERPRETED_MAX_POINTS:
        return run_interpreted(sweep_grid, *args)
    if not progress:
        return sweep_grid(*args)
    slabs = np.linspace(0, n, min(100, max(2, n // 100_000)) + 1).astype(np.int64)
    res = np.empty((len(eng.want), n))
    with progress_bar("sweep", len(slabs) - 1) as advance:
        for lo, hi in zip(slabs[:-1], slabs[1:]):
            res[:, lo:hi] = sweep_grid(*args, int(lo), int(hi))
            advance(1)
    return res


def _dataset(grid: Grid, arrays: Mapping[str, Any], variables: list[_Var], sc, attrs: dict):
    import xarray as xr

    coords = {}
    for name, unit, vals in zip(grid.names, grid.units, grid.values):
        coords[name] = (name, vals, {"units": unit, "long_name": name.replace("_", " ")})
    data_vars = {v.name: (tuple(grid.names), arrays[v.name], _attrs_for(v, sc))
                 for v in variables}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _lazy(grid: Grid, chunk_sizes, variables: list[_Var], sc, eng: _Engine, attrs):
    import xarray as xr
    from dask.array import PerformanceWarning

    axes = [grid.to_si(d, xr.DataArray(v, dims=[n]).chunk({n: c}))
            for d, (n, v, c) in enumerate(zip(grid.names, grid.values, chunk_sizes))]
    n_out = len(eng.want)
    with warnings.catch_warnings():
        # every chunk of one axis meets every chunk of the others: the grid is an outer
        # product, so dask's "increasing number of chunks" is the point, not a problem
        warnings.simplefilter("ignore", PerformanceWarning)
        results = xr.apply_ufunc(
            _block, *axes,
            kwargs={"grid_args": _grid_args(grid, eng), "n_out": n_out},
            dask="parallelized",
            output_core_dims=[[] for _ in range(n_out)],
            output_dtypes=[np.float64] * n_out,
        )
    columns = [r.transpose(*grid.names).data for r in results]
    arrays = {v.name: _finish(v, columns[v.k]) for v in variables}
    return _dataset(grid, arrays, variables, sc, attrs)


def _check_client(client):
    if client is None or isinstance(client, str):
        return
    if not hasattr(client, "submit") or not hasattr(client, "nthreads"):
        raise StudyError(f"must be a dask.distributed Client or a scheduler address, got "
                         f"{shown(client)}", source="client")


def _flag(value: Any, source: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise StudyError(f"must be True or False, got {shown(value)}", source=source)
    return bool(value)


def sweep(site=None, mining_profile=None, gpu_profile=None, market=None, *,
          vary: Mapping[str, Any], years: int = 5, overrides=None, chunks: Any = None,
          memory_budget: Any = DEFAULT_MEMORY_BUDGET, out: str | os.PathLike | None = None,
          client=None, progress: bool = False, outputs: Iterable[str] | None = None,
          _in_memory: bool = False):
    """Evaluate the comparison over a grid of inputs.

    Parameters
    ----------
    site, mining_profile, gpu_profile, market
        As for :func:`rackplan.economics.compare.scenario_base` (ids, paths or models; ``None`` for the
        built-in case: Moses Lake, antminer-s21-xp-hyd, gb300-nvl72, built-in market).
    vary : dict
        ``{name: values}``, names as in the site, profile and market files and ``--set``
        (``btc_price``, ``power_price``, ``gpu_hour_price``, ``utilization``, ``pue``, ...).
        Values: a list (numbers in the input's user unit, or quantity strings), a range
        ``(start, stop, n)`` or ``"start:stop:n"``. One dimension per entry, in this order.
        Every value must be one the input's file field accepts (``pue >= 1``, powers > 0).
    years : int
        Horizon [year], 1 to 50.
    overrides : dict
        ``--set`` style overrides of the base case, passed to ``scenario_base``.
    chunks : None, "auto", "off", int or dict
        ``None``/``"auto"``: in memory when the result fits the memory budget, else in chunks
        sized to it. ``"off"``: never chunk (a result over the budget is an error).
        An int (scenarios per chunk) or ``{dim: size}`` forces chunks.
    memory_budget : str or float, optional
        ``"2 GB"`` (or bytes); at most the machine's memory and the memory available now.
        ``None``: 2 GB, or half the available memory if that is less.
    out : path, optional
        ``.nc`` (netCDF4 via h5netcdf, written chunk by chunk), ``.csv`` or ``.json``.
        Checked before anything runs (folder, permissions, free space).
    client : distributed.Client or str, optional
        Run the chunks on a ``dask.distributed`` cluster (a client or a scheduler address).
    progress : bool
        A size estimate and a progress bar on stderr.
    outputs : list of str, optional
        Keep only these outputs (all, and the ``no_fit_*`` flags, by default).

    Returns
    -------
    xarray.Dataset
        Dimensions: the varied inputs. In memory when the result fits the budget; dask-backed
        (lazy) when it does not: opened from ``out`` when given, else computed on access.

    Warns
    -----
    StudyWarning
        Where no miner or no GPU system fits the site (see ``no_fit_mine``, ``no_fit_gpuaas``).
    """
    sc = _kernel()
    chosen = _select_outputs(outputs, sc)
    eng = _engine(sc, chosen)
    variables = _variables(chosen, sc, eng)
    progress = _flag(progress, "progress")
    mode, chunk_arg = _parse_chunks(chunks)
    budget = budget_bytes(memory_budget)
    _check_client(client)
    out_path = check_out(out) if out is not None else None
    vary = check_vary(vary)
    if not vary:
        raise StudyError("nothing to vary: give at least one input", source="vary")
    check_years(years)
    if isinstance(chunk_arg, Mapping):
        axes, _targets = parse_grid(vary)
        _user_chunks(chunk_arg, [a.name for a in axes], tuple(len(a) for a in axes), 1.0)
    grid = make_grid(site, mining_profile, gpu_profile, market, vary=vary, years=years,
                     overrides=overrides)
    plan = _plan(grid, mode, chunk_arg, budget, variables, client, out_path, _in_memory, eng)
    if out_path is not None:
        check_space(out_path, _file_estimate(out_path, grid, variables))
    if progress:
        dims = " x ".join(f"{n:,} {name}" for name, n in zip(grid.names, grid.shape))
        print(f"rackplan: sweep: {grid.size:,} scenarios ({dims}), result ~"
              f"{human_bytes(estimate(grid.size, len(chosen)))}", file=sys.stderr)
    own_client = None
    if isinstance(client, str):
        client = own_client = connect(client)
    try:
        return _run(plan, grid, variables, sc, eng, client, out_path, progress, budget,
                    _ds_attrs(grid, site, mining_profile, gpu_profile, market, overrides))
    finally:
        if own_client is not None:
            own_client.close()


def _run(plan: _Plan, grid: Grid, variables, sc, eng: _Engine, client, out, progress, budget,
         attrs):
    n = grid.size
    if plan.route == "numba":
        res = _run_numba(grid, eng, progress and n >= PROGRESS_MIN_POINTS)
        counts = {flag: int(np.count_nonzero(res[eng.row(src)] == 0))
                  for flag, (src, _) in FLAGS.items()}
        # each output is a contiguous row: its grid is a view, no copy
        arrays = {v.name: _finish(v, res[v.k].reshape(grid.shape)) for v in variables}
        ds = _dataset(grid, arrays, variables, sc, attrs)
        warn_no_fit(counts, n)
        if out is not None:
            write(ds, out)
        return ds
    if plan.route == "lazy":
        return _lazy(grid, plan.chunks, variables, sc, eng, attrs)
    blocks = _SweepBlocks(grid, plan.chunks, variables, eng)
    if plan.route == "blocks":
        arrays = {v.name: np.empty(grid.shape, dtype=v.dtype) for v in variables}

        def sink(region, got):
            for name, data in got.items():
                arrays[name][region] = data

        run_blocks(blocks, sink, client=client, progress=progress)
        ds = _dataset(grid, arrays, variables, sc, attrs)
        warn_no_fit(blocks.no_fit, n)
        if out is not None:
            write(ds, out)
        return ds
    # "file": computed chunk by chunk into netCDF, read back lazily
    import xarray as xr

    skeleton = _lazy(grid, plan.chunks, variables, sc, eng, attrs)
    path = write(skeleton, out, client=client, progress=progress, memory_budget=budget,
                 blocks=blocks)
    warn_no_fit(blocks.no_fit, n)
    if plan.fits:
        return xr.load_dataset(path, engine="h5netcdf")
    return xr.open_dataset(path, engine="h5netcdf", chunks={})


def _ds_attrs(grid: Grid, site, mining_profile, gpu_profile, market, overrides) -> dict:
    return case_attrs("rackplan sweep: mining vs GPU-as-a-service vs colocation", site,
                      mining_profile, gpu_profile, market, grid.n_months // 12, overrides,
                      grid.inputs)


# --- breakeven surfaces -------------------------------------------------------------------------


def _axis_arg(arg: Any, label: str) -> tuple[str, Any]:
    name = spec = None
    if isinstance(arg, str) and "=" in arg:
        name, _, spec = arg.partition("=")
        name, spec = name.strip(), spec.strip()
    elif isinstance(arg, Mapping) and len(arg) == 1:
        name, spec = next(iter(arg.items()))
    elif isinstance(arg, tuple) and len(arg) == 2:
        name, spec = arg
    if not isinstance(name, str) or not name.strip():
        raise StudyError(f"must be NAME=start:stop:n, {{name: values}} or (name, values); "
                         f"got {shown(arg)}", source=label)
    return name.strip(), spec


def _axis_errors(source_map: Mapping[str, str]):
    """Re-raise StudyErrors about ``vary NAME`` as errors about the argument that gave it."""
    from contextlib import contextmanager

    @contextmanager
    def ctx():
        try:
            yield
        except StudyError as exc:
            src = exc.source or ""
            for vary_source, label in source_map.items():
                if src == vary_source:
                    field = vary_source.removeprefix("vary").strip() or None
                    raise StudyError(exc.message, source=label, field=field) from None
            raise

    return ctx()


def breakeven_surface(site=None, mining_profile=None, gpu_profile=None, market=None, *,
                      x, y, solve_for: str = "btc_price", years: int = 5, overrides=None,
                      chunks: Any = None, memory_budget: Any = DEFAULT_MEMORY_BUDGET,
                      out: str | os.PathLike | None = None, client=None,
                      progress: bool = False):
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
    years, overrides, chunks, memory_budget, client, progress
        As for :func:`sweep`. The surface is held in memory: one that does not fit the budget
        is refused before anything runs.
    out : path, optional
        Also write the surface (``.nc``, ``.csv`` or ``.json``), checked before anything runs.

    Returns
    -------
    xarray.DataArray
        ``breakeven_<solve_for>`` with dimensions ``(y, x)``, in the input's user unit.

    Warns
    -----
    StudyWarning
        Where the breakeven is undefined (no price makes the NPVs equal) or no unit fits.
    """
    sc = _kernel()
    xname, xspec = _axis_arg(x, "x")
    yname, yspec = _axis_arg(y, "y")
    solvable = [o[len("breakeven_"):] for o in sc.names if o.startswith("breakeven_")]
    if not isinstance(solve_for, str) or solve_for not in solvable:
        from rackplan._io import close_matches

        hint = close_matches(solve_for, solvable) if isinstance(solve_for, str) else ""
        raise StudyError(f"cannot solve for {shown(solve_for)}" + (f"; did you mean {hint}?"
                         if hint else "") + f" (solvable: {', '.join(solvable)})",
                         source="solve_for")
    if solve_for in (xname, yname):
        raise StudyError(f"{solve_for} is solved for, so it cannot also be an axis",
                         source="solve_for")
    if xname == yname:
        raise StudyError(f"x and y are both {xname}", source="y")
    with _axis_errors({f"vary {xname}": "x", "vary": "x"}):
        parse_grid({xname: xspec})
    with _axis_errors({f"vary {yname}": "y", "vary": "y"}):
        parse_grid({yname: yspec})
    out_path = check_out(out) if out is not None else None
    var = f"breakeven_{solve_for}"
    with _axis_errors({f"vary {xname}": "x", f"vary {yname}": "y"}):
        ds = sweep(site, mining_profile, gpu_profile, market, vary={yname: yspec, xname: xspec},
                   years=years, overrides=overrides, outputs=[var], chunks=chunks,
                   memory_budget=memory_budget, client=client, progress=progress,
                   _in_memory=True)
    da = ds[var]
    da.attrs["solve_for"] = solve_for
    values = np.asarray(da.values)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        warnings.warn(f"{var} is undefined at {bad:,} of {values.size:,} grid points: "
                      f"{undefined_why(var)}", StudyWarning, stacklevel=2)
    if out_path is not None:
        write(da.to_dataset(), out_path)
    return da
