"""Study plumbing shared by sweeps and Monte Carlo: memory sizes, progress bars on stderr,
dask schedulers, writing results so that no half-written file is ever left behind, and the
summaries the CLI prints.
"""

from __future__ import annotations

import json
import math
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rackplan.errors import StudyError

__all__ = ["parse_bytes", "human_bytes", "progress_bar", "dask_progress", "connect",
           "use_scheduler", "write", "sweep_summary", "print_sweep_summary", "print_montecarlo_summary",
           "print_surface"]

DEFAULT_MEMORY_BUDGET = "2 GB"
SCHEDULER_TIMEOUT_S = 5  # connecting to --scheduler: an unreachable address fails this fast


def parse_bytes(budget: Any) -> float:
    from rackplan.units import parse_quantity

    if isinstance(budget, (int, float)) and not isinstance(budget, bool):
        value = float(budget)
    else:
        try:
            value = float(parse_quantity(str(budget).replace("iB", "ibyte"), "byte").magnitude)
        except Exception:
            raise StudyError(f"{budget!r} is not an amount of memory such as '2 GB'",
                             source="memory_budget") from None
    if not value > 0:
        raise StudyError(f"{budget!r} must be positive", source="memory_budget")
    return value


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1000
    return f"{n:.3g} PB"  # pragma: no cover


@contextmanager
def progress_bar(label: str, total: float):
    """A rich progress bar on stderr; yields ``advance(k)``, which also has ``.total(n)``."""
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from rackplan.cli.output import console

    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console(stderr=True),
                  transient=False) as bar:
        task = bar.add_task(label, total=total)

        def advance(k: float = 1) -> None:
            bar.advance(task, k)

        advance.total = lambda n: bar.update(task, total=n)  # type: ignore[attr-defined]
        yield advance


@contextmanager
def dask_progress(enabled: bool):
    """A rich bar over the tasks of a local dask computation (no-op when disabled)."""
    if not enabled:
        yield
        return
    from dask.callbacks import Callback

    with progress_bar("sweep (chunks)", None) as advance:

        class _Bar(Callback):
            def _start_state(self, dsk, state):
                n = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
                advance.total(n)

            def _posttask(self, key, result, dsk, state, worker_id):
                advance(1)

        with _Bar():
            yield


def connect(scheduler: str):
    """A ``dask.distributed`` client for ``scheduler`` (an address), or a StudyError.

    The address is probed first (connect, ask the server who it is) with a short timeout, so
    that nothing that is not a dask scheduler gets as far as a half-made Client, whose clean-up
    would print a traceback and hang for seconds after the error.
    """
    import asyncio

    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the 'scale' extra
        raise StudyError("dask.distributed is not installed: pip install 'rackplan[scale]'",
                         source="--scheduler") from None

    def fail(reason: str):
        return StudyError(f"cannot reach dask scheduler {scheduler!r}: {reason}",
                          source="--scheduler")

    try:
        asyncio.get_running_loop()
        in_loop = True  # a notebook's event loop: Client() itself reports a bad address
    except RuntimeError:
        in_loop = False
    if not in_loop:
        try:
            info = asyncio.run(_identity(scheduler, SCHEDULER_TIMEOUT_S))
        except Exception as exc:  # OSError, TimeoutError, ValueError, garbage on the wire
            raise fail(_first_line(exc)) from None
        if not isinstance(info, dict) or info.get("type") != "Scheduler":
            raise fail("the server there is not a dask scheduler")
    try:
        return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False)
    except Exception as exc:
        raise fail(_first_line(exc)) from None


async def _identity(address: str, timeout: float):
    import asyncio

    from distributed.comm import connect as comm_connect

    comm = await comm_connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await asyncio.wait_for(comm.read(), timeout)
    finally:
        comm.abort()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, MemoryError) or "Unable to allocate" in text:
        return "the server there does not speak dask's protocol"
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def use_scheduler(client):
    """Run dask computations inside on ``client`` (a ``distributed.Client``), or locally.

    The client is also made the current one, so that xarray's netCDF writer finds it for the
    distributed lock it takes around each write."""
    import dask

    if client is None:
        yield
    else:
        with dask.config.set(scheduler=client), client.as_current():
            yield


@contextmanager
def _terminate_as_interrupt():
    """While a file is written, SIGTERM (``kill``, a batch system's time limit) raises
    KeyboardInterrupt like Ctrl-C does, so the partial file is removed on the way out."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tmp_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")


def write(ds, out: str | os.PathLike, *, client=None, progress: bool = False,
          memory_budget: Any = DEFAULT_MEMORY_BUDGET) -> Path:
    """Write a sweep to ``out`` (``.nc`` netCDF via h5netcdf, ``.csv`` or ``.json``).

    The file appears under its name only when complete: it is written to a temporary name in
    the same folder and renamed. CSV and JSON need the whole result in memory; netCDF is
    written chunk by chunk when ``ds`` is dask-backed.
    """
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("nc", "csv", "json"):
        raise StudyError(f"{out}: unknown output format {out.suffix!r}; use .nc, .csv or .json",
                         source="--out")
    if not out.parent.exists():
        raise StudyError(f"{out}: folder {out.parent} does not exist", source="--out")
    nbytes = sum(v.size * v.dtype.itemsize for v in ds.data_vars.values())
    if fmt != "nc" and _is_lazy(ds) and nbytes > parse_bytes(memory_budget):
        raise StudyError(f"{out}: {human_bytes(nbytes)} is over the memory budget; write "
                         f"large sweeps as .nc", source="--out")
    tmp = _tmp_path(out)
    try:
        lazy = _is_lazy(ds)
        with _terminate_as_interrupt(), use_scheduler(client), \
                dask_progress(progress and lazy and client is None):
            if fmt == "nc":
                ds.to_netcdf(tmp, engine="h5netcdf", encoding=_disk_chunks(ds))
            elif fmt == "csv":
                _write_csv(ds.compute(), tmp)
            else:
                _write_json(ds.compute(), tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _disk_chunks(ds) -> dict[str, dict[str, Any]]:
    """netCDF chunk shapes equal to the dask chunks of a lazy result, so that the file reads
    back chunk by chunk (a contiguous variable would be read whole)."""
    encoding = {}
    for name, var in ds.data_vars.items():
        if var.chunks is not None and var.ndim:
            encoding[name] = {"chunksizes": tuple(max(c) for c in var.chunks)}
    return encoding


def _is_lazy(ds) -> bool:
    return any(v.chunks is not None for v in ds.data_vars.values())


def _write_csv(ds, path: Path) -> None:
    """One row per grid point: the varied inputs, then the outputs; units in the header."""
    df = ds.to_dataframe().reset_index()
    units = {k: ds[k].attrs.get("units", "") for k in df.columns}
    df.columns = [f"{k} [{units[k]}]" if units[k] else k for k in df.columns]
    df.to_csv(path, index=False, float_format="%.10g")


def _write_json(ds, path: Path) -> None:
    """xarray's dict form (``coords``, ``data_vars`` with ``attrs`` holding the units);
    NaN becomes ``null``."""
    data = ds.to_dict(data="list")

    def clean(x):
        if isinstance(x, float):
            return None if math.isnan(x) else x
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, np.ndarray):
            return clean(x.tolist())
        if isinstance(x, np.generic):
            return clean(x.item())
        return x

    with open(path, "w") as fh:
        json.dump(clean(data), fh, allow_nan=False)
        fh.write("\n")




# --- summaries for people ---------------------------------------------------------------------

_OPTIONS = ("mine", "gpuaas", "colocation")


def _q(value: float, unit: str):
    from rackplan.units import Q_

    try:
        return Q_(float(value), unit or "")
    except Exception:  # a unit string pint cannot read: the bare number
        return float(value)


def sweep_summary(ds) -> dict[str, Any]:
    """What a sweep says, in a few rows: the grid, the share of grid points each option wins,
    and the range (min, mean, max) of the NPVs, their difference and the breakevens.

    Works on in-memory and on dask-backed sweeps alike: all reductions are computed in one
    pass over the chunks.
    """
    import dask

    dims = list(ds.sizes)
    n = int(np.prod([ds.sizes[d] for d in dims], dtype=np.int64))
    grid: dict[str, Any] = {"scenarios": n}
    for d in dims:
        c, unit = ds[d], ds[d].attrs.get("units", "")
        grid[d] = {"from": _q(c.values[0], unit), "to": _q(c.values[-1], unit),
                   "values": int(ds.sizes[d])}
    ranged = [v for v in ds.data_vars if v.startswith(("npv_", "breakeven_"))]
    lazy: dict[str, Any] = {}
    for v in ranged:
        for stat in ("min", "mean", "max"):
            lazy[f"{v}.{stat}"] = getattr(ds[v], stat)()
    if "winner" in ds:
        for k, o in enumerate(_OPTIONS):
            lazy[f"win.{o}"] = (ds["winner"] == k).sum()
    keys = list(lazy)
    values = dask.compute(*[lazy[k].data for k in keys])  # one pass over a chunked sweep
    got = {k: float(np.asarray(v)) for k, v in zip(keys, values)}
    out: dict[str, Any] = {"grid": grid}
    if "winner" in ds:
        out["share_won"] = {o: _q(100.0 * got[f"win.{o}"] / max(n, 1), "percent")
                            for o in _OPTIONS}
    out["range"] = {v: {stat: _q(got[f"{v}.{stat}"], ds[v].attrs.get("units", ""))
                        for stat in ("min", "mean", "max")} for v in ranged}
    return out


def print_sweep_summary(data: dict[str, Any], fmt: str) -> None:
    """:func:`sweep_summary` on stdout: JSON and CSV as :func:`rackplan.cli.output.emit`, the
    table as three compact tables (grid, share of the grid each option wins, ranges)."""
    from rackplan.cli.output import console, emit, value_and_unit

    if fmt != "table":
        emit(data, fmt, "sweep")
        return
    from rich.table import Table

    out = console()
    grid = Table(title="sweep: grid", title_justify="left")
    for col, just in (("input", "left"), ("from", "right"), ("to", "right"),
                      ("unit", "left"), ("values", "right")):
        grid.add_column(col, justify=just)
    for name, axis in data["grid"].items():
        if name == "scenarios":
            continue
        lo, unit = value_and_unit(axis["from"])
        hi, _ = value_and_unit(axis["to"])
        grid.add_row(name, lo, hi, unit, f"{axis['values']:,}")
    grid.add_row("scenarios", "", "", "", f"{data['grid']['scenarios']:,}")
    out.print(grid)
    if "share_won" in data:
        won = Table(title="share of the grid where each option has the highest NPV",
                    title_justify="left")
        won.add_column("option")
        won.add_column("share", justify="right")
        won.add_column("unit")
        for option, q in data["share_won"].items():
            won.add_row(option, *value_and_unit(q))
        out.print(won)
    ranges = Table(title="range over the grid", title_justify="left")
    for col, just in (("output", "left"), ("min", "right"), ("mean", "right"),
                      ("max", "right"), ("unit", "left")):
        ranges.add_column(col, justify=just)
    for name, stats in data["range"].items():
        cells = [value_and_unit(stats[s]) for s in ("min", "mean", "max")]
        ranges.add_row(name, *(c[0] for c in cells), cells[0][1])
    out.print(ranges)


def print_montecarlo_summary(data: dict[str, Any], fmt: str) -> None:
    """:func:`rackplan.montecarlo.summary` on stdout: JSON and CSV as
    :func:`rackplan.cli.output.emit`; the table with one column per option."""
    from rackplan.cli.output import console, emit, value_and_unit

    if fmt != "table":
        emit(data, fmt, "montecarlo")
        return
    from rich.table import Table

    run = data["run"]
    table = Table(title=f"Monte Carlo: {run['paths']:,} paths, seed {run['seed']}, "
                        f"{run['years']} years", title_justify="left")
    table.add_column("")
    for option in _OPTIONS:
        table.add_column(option, justify="right")
    table.add_column("unit")
    for row in data[_OPTIONS[0]]:
        cells = [value_and_unit(data[o][row]) for o in _OPTIONS]
        table.add_row(row.replace("_", " "), *(c[0] for c in cells), cells[0][1])
    console().print(table)


def print_surface(da, fmt: str, file=None) -> None:
    """A breakeven surface as a grid table (rows: y, columns: x), JSON or long CSV."""
    import csv

    file = file or sys.stdout
    ydim, xdim = da.dims
    unit = da.attrs.get("units", "")
    yu, xu = da[ydim].attrs.get("units", ""), da[xdim].attrs.get("units", "")
    values = np.asarray(da.values, dtype=np.float64)
    if fmt == "json":
        data = {"solve_for": da.attrs.get("solve_for"), "unit": unit,
                "x": {"name": xdim, "unit": xu, "values": da[xdim].values.tolist()},
                "y": {"name": ydim, "unit": yu, "values": da[ydim].values.tolist()},
                "values": [[None if math.isnan(v) else float(v) for v in row] for row in values]}
        json.dump(data, file, indent=2, allow_nan=False)
        file.write("\n")
        return
    if fmt == "csv":
        w = csv.writer(file, lineterminator="\n")
        w.writerow([f"{ydim} [{yu}]", f"{xdim} [{xu}]", f"{da.name} [{unit}]"])
        for i, yv in enumerate(da[ydim].values):
            for j, xv in enumerate(da[xdim].values):
                v = values[i, j]
                w.writerow([repr(float(yv)), repr(float(xv)), "" if math.isnan(v) else repr(v)])
        return
    from rich.table import Table

    from rackplan.cli.output import console, format_number

    what = da.attrs.get("long_name", da.name)
    table = Table(title=f"{what} [{unit}]; rows {ydim} [{yu}], columns {xdim} [{xu}]",
                  title_justify="left")
    table.add_column(f"{ydim} \\ {xdim}", justify="right")
    for xv in da[xdim].values:
        table.add_column(format_number(float(xv)), justify="right")
    for i, yv in enumerate(da[ydim].values):
        table.add_row(format_number(float(yv)), *[format_number(float(v)) for v in values[i]])
    console().print(table)
