"""Study plumbing shared by sweeps and Monte Carlo: memory budgets, progress bars on stderr,
dask schedulers, writing results so that no half-written file is ever left behind, and the
summaries the CLI prints.

**Memory.** A budget is checked against the machine before anything runs: more than its
physical memory, or more than the memory available now, is refused (naming the budget). The
default, ``None``, is 2 GB or half the available memory, whichever is less.

**Files.** :func:`check_out` refuses a bad ``out`` (unknown suffix, a folder, a missing or
read-only folder, a place no file can be made) before any work; :func:`write` checks the free
space for its estimate of the file, writes under a hidden temporary name in the same folder,
and renames it when complete. Every I/O failure (``OSError`` and whatever h5py or h5netcdf
raise) is one :class:`~rackplan.errors.StudyError` naming the output. A chunked netCDF is filled
block by block **by the calling thread only**: the blocks are computed on a thread pool (or a
``dask.distributed`` cluster) and handed back, so no other thread ever touches the file, and an
interrupted write is gone once the pool has stopped. SIGINT, SIGTERM and SIGHUP during a write
raise ``KeyboardInterrupt("signal N")`` once (unless the caller, such as the CLI, handles them
already); further signals are ignored while the temporary file is removed.

**Summaries.** A figure that is not a finite number is ``None`` in the summaries (``null`` in
JSON, an empty cell in CSV, ``n/a`` in a table), and a :class:`StudyWarning` says why.
"""

from __future__ import annotations

import atexit
import collections
import json
import math
import os
import shutil
import sys
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from rackplan.errors import RackplanError, StudyError, shown

__all__ = ["parse_bytes", "budget_bytes", "physical_memory", "available_memory",
           "human_bytes", "progress_bar", "dask_progress", "connect", "use_scheduler",
           "check_out", "check_space", "write", "sweep_summary", "StudyWarning", "FORMATS_OUT",
           "FORMATS_MONTHLY",
           "OPTIONS", "case_attrs"]

#: The default memory budget, or half the memory available, whichever is less.
DEFAULT_MEMORY_BUDGET = None
DEFAULT_BUDGET_BYTES = 2e9
SCHEDULER_TIMEOUT_S = 5  # connecting to --scheduler: an unreachable address fails this fast
FORMATS_OUT = ("nc", "csv", "json")
#: ... and of a comparison's monthly cash flows (``rackplan compare --monthly``), which a
#: spreadsheet takes too.
FORMATS_MONTHLY = FORMATS_OUT + ("xlsx",)
#: Rows of one spreadsheet sheet at most (Excel's 1,048,576, less the header).
XLSX_MAX_ROWS = 1_048_575

#: Rows of a CSV file, or values of a JSON array, formatted at a time (bounded memory).
TEXT_BLOCK = 65_536


class StudyWarning(UserWarning):
    """Something a study's result says that a reader must know (no unit fits at some grid
    points, a figure that is undefined); the CLI prints it as ``rackplan: warning: ...``."""


def _warn(message: str) -> None:
    warnings.warn(message, StudyWarning, stacklevel=3)


# --- memory -------------------------------------------------------------------------------------


def physical_memory() -> float | None:
    """The machine's memory [byte], or None where it cannot be read."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def available_memory() -> float | None:
    """Memory available to a new allocation now [byte] (Linux ``MemAvailable``; else the free
    pages), or None where it cannot be read."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover
        return None


def parse_bytes(budget: Any, source: str = "memory_budget") -> float:
    """An amount of memory [byte] from ``"2 GB"``, ``"512 MiB"`` or a number of bytes: finite
    and positive (not checked against the machine; see :func:`budget_bytes`)."""
    from rackplan.units import Quantity, parse_quantity

    if isinstance(budget, bool) or not isinstance(budget, (int, float, str, Quantity,
                                                           np.integer, np.floating)):
        raise StudyError(f"{shown(budget)} is not an amount of memory such as '2 GB'",
                         source=source)
    if isinstance(budget, (int, float, np.integer, np.floating)):
        value = float(budget)
    else:
        try:
            text = budget if isinstance(budget, Quantity) else str(budget).replace("iB",
                                                                                  "ibyte")
            value = float(parse_quantity(text, "byte").magnitude)
        except Exception:
            raise StudyError(f"{shown(budget)} is not an amount of memory such as '2 GB'",
                             source=source) from None
    if not math.isfinite(value) or not value > 0:
        raise StudyError(f"must be a positive amount of memory such as '2 GB', got "
                         f"{shown(budget)}", source=source)
    return value


def budget_bytes(budget: Any = None, source: str = "memory_budget") -> float:
    """The budget [byte]: :func:`parse_bytes`, and no more than the machine has (physical
    memory) or has available now. ``None`` is 2 GB or half the available memory if less."""
    avail, phys = available_memory(), physical_memory()
    if budget is None:
        value = DEFAULT_BUDGET_BYTES
        return min(value, avail / 2) if avail else value
    value = parse_bytes(budget, source)
    if phys and value > phys:
        raise StudyError(f"{human_bytes(value)} is more than this machine's memory "
                         f"({human_bytes(phys)})", source=source)
    if avail and value > avail:
        raise StudyError(f"{human_bytes(value)} is more than the memory available now "
                         f"({human_bytes(avail)})", source=source)
    return value


def human_bytes(n: float) -> str:
    """A byte count for people (``"1.2 GB"``); ``"unbounded"`` when not finite."""
    if not math.isfinite(n):
        return "unbounded"
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1000
    return f"{n:.3g} PB"  # pragma: no cover


# --- progress -----------------------------------------------------------------------------------


@contextmanager
def progress_bar(label: str, total: float | None):
    """A rich progress bar on stderr; yields ``advance(k)``, which also has ``.total(n)``."""
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from rich.console import Console

    # stderr, so a bar never mixes with the data on stdout; highlight off, as the CLI prints
    console = Console(file=sys.stderr, highlight=False)
    with Progress(TextColumn(label), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
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


# --- dask ---------------------------------------------------------------------------------------


def connect(scheduler: str, source: str = "client"):
    """A ``dask.distributed`` client for ``scheduler`` (an address), or a StudyError.

    The address is probed first (connect, ask the server who it is) with a short timeout, so
    that nothing that is not a dask scheduler gets as far as a half-made Client, whose clean-up
    would print a traceback and hang for seconds after the error.
    """
    import asyncio

    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - a broken install
        raise StudyError(f"dask.distributed cannot be imported ({exc}); it is installed with "
                         f"rackplan: reinstall rackplan", source=source) from None

    def fail(reason: str):
        return StudyError(f"cannot reach dask scheduler {scheduler!r}: {reason}",
                          source=source)

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
    """Run dask computations inside on ``client`` (a ``distributed.Client``), or locally."""
    import dask

    if client is None:
        yield
    else:
        with dask.config.set(scheduler=client), client.as_current():
            yield


def local_threads() -> int:
    """Threads for computing blocks locally: dask's ``num_workers`` if set, else the cores
    this process may run on."""
    import dask

    configured = dask.config.get("num_workers", None)
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def cluster_threads(client) -> int:
    """The threads of a dask client's workers together (2 where the client cannot say)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # pragma: no cover - a client that cannot say
        return 2


# --- signals and partial files ------------------------------------------------------------------

_PARTIALS: set[Path] = set()


def _remove_partials() -> None:  # at exit: whatever an interrupted write left
    for path in list(_PARTIALS):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
        _PARTIALS.discard(path)


atexit.register(_remove_partials)


def _signal_numbers() -> list[int]:
    import signal

    return [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]


#: The signal an :func:`interrupts_raise` block received, until the block ends.
_RECEIVED: list[int] = []


def check_interrupt() -> None:
    """Raise ``KeyboardInterrupt("signal N")`` if a signal arrived inside
    :func:`interrupts_raise` and its KeyboardInterrupt did not get through (one raised while
    Python runs a weakref callback or a ``__del__`` is printed and dropped); called between
    blocks and before a file is given its name."""
    if _RECEIVED:
        raise KeyboardInterrupt(f"signal {_RECEIVED[0]}")


@contextmanager
def interrupts_raise():
    """While a file is written: SIGINT, SIGTERM (``kill``, a batch system's time limit) and
    SIGHUP (a closed terminal) raise ``KeyboardInterrupt("signal N")`` once, and every further
    one is ignored until the block ends (the clean-up runs inside it, so a second Ctrl-C
    cannot cut it short). The previous handlers (Python's, or the CLI's, which reads the
    signal's number from the message) are back afterwards."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = _RECEIVED
    outer = list(received)
    previous: dict[int, Any] = {}

    def handle(signum, frame):
        if received:
            return
        received.append(int(signum))
        for sig in previous:
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (OSError, ValueError):  # pragma: no cover
                pass
        raise KeyboardInterrupt(f"signal {int(signum)}")

    for sig in _signal_numbers():
        try:
            previous[sig] = signal.signal(sig, handle)
        except (OSError, ValueError):  # pragma: no cover
            pass
    previous_hook = sys.unraisablehook

    def unraisable(info):
        # our KeyboardInterrupt, dropped by a weakref callback or a finalizer: check_interrupt
        # raises it again in the main flow (nothing to print, no signal to send again)
        if isinstance(info.exc_value, KeyboardInterrupt) and received:
            return
        previous_hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError, TypeError):  # pragma: no cover
                pass
        received[:] = outer


# --- checking an output path --------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def check_out(out: Any, source: str = "out", formats: tuple[str, ...] = FORMATS_OUT) -> Path:
    """``out`` as a :class:`Path` a result can be written to, or a StudyError naming
    ``source``: the suffix is one of ``formats`` (``.nc``, ``.csv`` or ``.json``); it is not
    a folder or a device; its folder exists, and a file can be made there (tried, then
    removed)."""

    if isinstance(out, bytes) or not isinstance(out, (str, os.PathLike)):
        raise StudyError(f"{shown(out)} is not a file name", source=source)
    text = os.fspath(out)
    if not isinstance(text, str) or not text.strip():
        raise StudyError("empty file name", source=source)
    if "\x00" in text:
        raise StudyError(f"{shown(text)}: a file name cannot hold a NUL character",
                         source=source)
    path = Path(text)
    fmt = path.suffix.lower().lstrip(".")
    try:
        if path.is_dir():
            raise StudyError(f"{path} is a folder; give a file name such as "
                             f"{path / ('result.' + (fmt if fmt in formats else formats[0]))}",
                             source=source)
    except OSError as exc:
        raise StudyError(f"{path}: {_reason(exc)}", source=source) from None
    if fmt not in formats:
        known = ", ".join(f".{f}" for f in formats[:-1]) + f" or .{formats[-1]}"
        raise StudyError(f"{path}: unknown output format {path.suffix or '(none)'!r}; use "
                         f"{known}", source=source)
    try:
        if path.exists() and not path.is_file():
            raise StudyError(f"{path} exists and is not a regular file", source=source)
        folder = path.parent
        if not folder.exists():
            raise StudyError(f"{path}: folder {folder} does not exist", source=source)
        if not folder.is_dir():
            raise StudyError(f"{path}: {folder} is not a folder", source=source)
    except OSError as exc:  # a name too long, a permission on the way
        raise StudyError(f"{path}: {_reason(exc)}", source=source) from None
    probe = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise StudyError(f"{path}: cannot write in {path.parent} ({_reason(exc)})",
                         source=source) from None
    os.close(fd)
    try:
        probe.unlink()
    except OSError:  # pragma: no cover - made a moment ago
        pass
    return path


def check_space(out: Path, nbytes: float, source: str = "out") -> None:
    """Refuse to start a file of about ``nbytes`` where there is less free space."""
    try:
        free = shutil.disk_usage(out.parent).free
    except OSError as exc:
        raise StudyError(f"{out}: cannot read the free space of {out.parent} "
                         f"({_reason(exc)})", source=source) from None
    need = nbytes * 1.05 + 1e6
    if need > free:
        raise StudyError(f"{out}: needs about {human_bytes(need)} on disk, but only "
                         f"{human_bytes(free)} is free in {out.parent}", source=source)


def file_bytes(ds, fmt: str) -> float:
    """An estimate of the size of ``ds`` written as ``fmt`` [byte] (an upper one for text)."""
    values = sum(float(v.size) for v in ds.data_vars.values())
    coords = sum(float(c.size) for c in ds.coords.values())
    if fmt == "nc":
        data = sum(float(v.size) * v.dtype.itemsize for v in ds.data_vars.values())
        return data * 1.02 + coords * 8 + 64e3
    n_rows = max((float(v.size) for v in ds.data_vars.values()), default=0.0)
    if fmt == "csv":
        return n_rows * 24.0 * (len(ds.data_vars) + len(ds.dims)) + 4e3
    return values * 24.0 + coords * 24.0 + 16e3


def _tmp_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")


def _is_lazy(ds) -> bool:
    return any(v.chunks is not None for v in ds.data_vars.values())


# --- writing ------------------------------------------------------------------------------------


def case_attrs(title: str, site, mining_profile, gpu_profile, market, years: int, overrides,
               inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes a study's Dataset records of its case: what it ran on (each file or
    built-in, by id or name), the ``--set`` overrides and every input in user units
    (:func:`rackplan.studies.grid.case_inputs`), as JSON text netCDF can hold."""
    from rackplan import __version__

    def name(x, default):
        if x is None:
            return default
        return str(getattr(x, "id", None) or getattr(x, "name", None) or x)

    return {
        "title": title,
        "site": name(site, "built-in"),
        "mining_profile": name(mining_profile, "built-in"),
        "gpu_profile": name(gpu_profile, "built-in"),
        "market": name(market, "built-in"),
        "years": int(years),
        "overrides": json.dumps({str(k): str(v) for k, v in (overrides or {}).items()}
                                if isinstance(overrides, Mapping) else []),
        "inputs": json.dumps(dict(inputs)),
        "source": f"rackplan {__version__}",
    }


def write(ds, out: str | os.PathLike, *, client=None, progress: bool = False,
          memory_budget: Any = DEFAULT_MEMORY_BUDGET, blocks=None, source: str = "out",
          formats: tuple[str, ...] = FORMATS_OUT) -> Path:
    """Write a result to ``out`` (``.nc`` netCDF via h5netcdf, ``.csv``, ``.json``, or
    ``.xlsx`` where ``formats`` allow it: :data:`FORMATS_MONTHLY`).

    The file appears under its name only when complete: it is written to a temporary name in
    the same folder and renamed. CSV and JSON are written a block of rows at a time; a
    dask-backed Dataset is written to netCDF chunk by chunk (``blocks``, from
    :func:`rackplan.studies.sweep.sweep`, computes the chunks without a dask graph), and to CSV or
    JSON only when it fits the memory budget. Bad paths, a full disk and every I/O error raise
    one StudyError naming ``source``; an interrupt removes the temporary file.
    """
    path = check_out(out, source, formats)
    fmt = path.suffix.lower().lstrip(".")
    lazy = _is_lazy(ds)
    if fmt != "nc" and lazy:
        nbytes = sum(float(v.size) * v.dtype.itemsize for v in ds.data_vars.values())
        budget = budget_bytes(memory_budget)
        if nbytes > budget:
            raise StudyError(f"{path}: {human_bytes(nbytes)} is over the memory budget of "
                             f"{human_bytes(budget)}; write large results as .nc",
                             source=source)
    check_space(path, file_bytes(ds, fmt), source)
    tmp = _tmp_path(path)
    _PARTIALS.add(tmp)
    try:
        with interrupts_raise():
            try:
                if fmt == "nc" and lazy:
                    _write_nc_blocks(ds, tmp, blocks, client, progress)
                elif fmt == "nc":
                    ds.to_netcdf(tmp, engine="h5netcdf")
                elif fmt == "csv":
                    _write_csv(ds.compute() if lazy else ds, tmp)
                elif fmt == "xlsx":
                    _write_xlsx(ds.compute() if lazy else ds, tmp, source)
                else:
                    _write_json(ds.compute() if lazy else ds, tmp)
                check_interrupt()  # a signal whose KeyboardInterrupt was dropped on the way
                os.replace(tmp, path)
            except BaseException as exc:
                _unlink(tmp)
                if _is_io_error(exc):
                    raise StudyError(f"{path}: cannot write ({_reason(exc)})",
                                     source=source) from None
                raise
    finally:
        _unlink(tmp)
        _PARTIALS.discard(tmp)
    return path


def _is_io_error(exc: BaseException) -> bool:
    """An I/O failure (a full disk, a vanished folder, what h5py, h5netcdf or HDF5 report), as
    opposed to an interrupt, a rackplan error or a bug."""
    if isinstance(exc, RackplanError) or not isinstance(exc, Exception):
        return False
    module = type(exc).__module__.split(".")[0]
    return isinstance(exc, (OSError, RuntimeError, ValueError)) or module in ("h5py",
                                                                             "h5netcdf")


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _to_netcdf_skeleton(ds, tmp: Path):
    """The file with every variable declared and the coordinates written, the data variables
    left to be filled: xarray's writer up to (not including) computing the dask arrays."""
    try:
        from xarray.backends.writers import to_netcdf
    except ImportError:  # xarray before the writers module
        from xarray.backends.api import to_netcdf

    _writer, store = to_netcdf(ds, tmp, engine="h5netcdf", encoding=_disk_chunks(ds),
                               multifile=True)
    store.close()


def _disk_chunks(ds) -> dict[str, dict[str, Any]]:
    """netCDF chunk shapes equal to the dask chunks of a lazy result, so that the file reads
    back chunk by chunk (a contiguous variable would be read whole)."""
    encoding = {}
    for name, var in ds.data_vars.items():
        if var.chunks is not None and var.ndim:
            encoding[name] = {"chunksizes": tuple(max(c) for c in var.chunks)}
    return encoding


class _DaskBlocks:
    """Blocks of an arbitrary dask-backed Dataset, each computed with dask (no file I/O)."""

    def __init__(self, ds):
        first = next(v for v in ds.data_vars.values() if v.chunks is not None)
        self.names = list(ds.data_vars)
        self.arrays = [ds[n].data for n in self.names]
        self.chunks = first.chunks
        self.count = math.prod(len(c) for c in self.chunks)

    def jobs(self):
        import itertools

        bounds = [np.concatenate([[0], np.cumsum(c)]).astype(int) for c in self.chunks]
        for idx in itertools.product(*[range(len(c)) for c in self.chunks]):
            region = tuple(slice(int(b[i]), int(b[i + 1])) for b, i in zip(bounds, idx))
            yield region, _compute_region, (self.names, self.arrays, region)

    def received(self, result):
        return result


def _compute_region(names, arrays, region):
    import dask

    values = dask.compute(*[a[region] if hasattr(a, "dask") else np.asarray(a)[region]
                            for a in arrays], scheduler="sync")
    return dict(zip(names, values))


def run_blocks(blocks, sink: Callable[[tuple, Mapping[str, np.ndarray]], None], *,
               client=None, progress: bool = False, label: str = "sweep (chunks)") -> None:
    """Compute every block of ``blocks`` on a local thread pool (or ``client``'s cluster) and
    hand each result to ``sink(region, arrays)`` **in this thread**, oldest first, with at most
    a few blocks in flight. An interrupt cancels the blocks not started and waits for the
    running ones (they compute, they never write) before it propagates."""
    import concurrent.futures as cf

    if client is None:
        threads = local_threads()
        executor = cf.ThreadPoolExecutor(max_workers=threads,
                                         thread_name_prefix="rackplan-block")

        def submit(fn, *args):
            return executor.submit(fn, *args)

        def stop(pending, failed):
            # after a failure or an interrupt, do not wait for the blocks still computing:
            # they never touch a file, and their results are dropped
            executor.shutdown(wait=not failed, cancel_futures=True)
    else:
        threads = cluster_threads(client)

        def submit(fn, *args):
            return client.submit(fn, *args, pure=False)

        def stop(pending, failed):
            futures = [f for _, f in pending]
            if futures:
                try:
                    client.cancel(futures)
                except Exception:  # pragma: no cover - a cluster gone away
                    pass

    in_flight = threads + 1
    pending: collections.deque = collections.deque()
    bar = progress_bar(label, blocks.count) if progress else _no_bar()
    failed = True
    try:
        with bar as advance:
            def drain_one():
                region, future = pending.popleft()
                sink(region, blocks.received(future.result()))
                advance(1)
                check_interrupt()

            for region, fn, args in blocks.jobs():
                check_interrupt()
                pending.append((region, submit(fn, *args)))
                while len(pending) >= in_flight:
                    drain_one()
            while pending:
                drain_one()
        failed = False
    finally:
        stop(pending, failed)


@contextmanager
def _no_bar():
    yield lambda k=1: None


def _write_nc_blocks(ds, tmp: Path, blocks, client, progress: bool) -> None:
    import h5py

    _to_netcdf_skeleton(ds, tmp)
    blocks = blocks if blocks is not None else _DaskBlocks(ds)
    with h5py.File(tmp, "r+") as f:
        targets = {name: f[name] for name in ds.data_vars}

        def sink(region, arrays):
            for name, data in arrays.items():
                target = targets[name]
                target[region] = np.asarray(data).astype(target.dtype, copy=False)

        run_blocks(blocks, sink, client=client, progress=progress)


# --- text files -----------------------------------------------------------------------------


def _flat_blocks(shape: tuple[int, ...], block: int = TEXT_BLOCK) -> Iterator[tuple]:
    """Index arrays of consecutive C-order positions of ``shape``, ``block`` at a time."""
    n = math.prod(shape)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        yield np.unravel_index(np.arange(lo, hi), shape) if shape else ()


def _write_csv(ds, path: Path) -> None:
    """One row per point of the dimensions: the coordinates, then the variables; units in the
    header (``btc_price [USD/BTC]``); a value that is not a finite number is an empty cell."""
    import pandas as pd

    names = list(ds.data_vars)
    dims = list(ds[names[0]].dims) if names else list(ds.dims)
    for v in names:
        if tuple(ds[v].dims) != tuple(dims):
            raise StudyError(f"{path.name}: variables of different dimensions cannot share "
                             f"CSV rows ({v})", source="out")
    along = [c for c in ds.coords if c not in dims and ds[c].dims
             and set(ds[c].dims) <= set(dims)]  # a month's date beside the month
    columns = dims + along + names

    def header(k):
        unit = ds[k].attrs.get("units", "") if k in ds.variables else ""
        if k in ds.variables and ds[k].attrs.get("flag_meanings"):
            unit = ""  # written as names
        return f"{k} [{unit}]" if unit else k

    shape = tuple(ds.sizes[d] for d in dims)
    coords = {d: np.asarray(ds[d].values) if d in ds.variables else np.arange(ds.sizes[d])
              for d in dims}
    data = {v: _named(ds[v]) for v in names}
    with open(path, "w", newline="") as fh:
        first = True
        for idx in _flat_blocks(shape):
            cols = {}
            for d, i in zip(dims, idx):
                cols[header(d)] = _finite_or_nan(coords[d][i])
            for c in along:
                at = tuple(idx[dims.index(d)] for d in ds[c].dims)
                cols[header(c)] = _as_text_if_date(np.asarray(ds[c].values)[at])
            for v in names:
                cols[header(v)] = _finite_or_nan(data[v][idx] if idx else data[v])
            pd.DataFrame(cols, columns=[header(c) for c in columns]).to_csv(
                fh, header=first, index=False, float_format="%.10g")
            first = False
            check_interrupt()
        if first:  # no rows: the header alone
            fh.write(",".join(header(c) for c in columns) + "\n")


def _named(var):
    """A variable's values, a coded one (CF ``flag_meanings``, the winner) as its names (an
    empty cell where no name applies, -1)."""
    meanings = var.attrs.get("flag_meanings")
    if not meanings:
        return var.values
    names = np.asarray(str(meanings).split() + [""], dtype=object)
    codes = np.asarray(var.values).astype(np.int64)
    return names[np.where((codes >= 0) & (codes < len(names) - 1), codes, -1)]


def _as_text_if_date(a):
    """Dates as ``2025-11-13`` text (CSV, JSON); anything else as it is."""
    a = np.asarray(a)
    return np.datetime_as_string(a, unit="D") if a.dtype.kind == "M" else a


def _write_xlsx(ds, path: Path, source: str) -> None:
    """A spreadsheet: one sheet per value of the first dimension when there are two (an
    option's months), else one sheet; a row per point, the coordinates (dates as dates)
    then the variables, units in the header."""
    from openpyxl import Workbook

    names = list(ds.data_vars)
    dims = list(ds[names[0]].dims) if names else list(ds.dims)
    if len(dims) > 2 or any(tuple(ds[v].dims) != tuple(dims) for v in names):
        raise StudyError(f"{path.name}: a spreadsheet takes variables of one or two common "
                         "dimensions; write .nc or .csv", source=source)
    rows = ds.sizes[dims[-1]] if dims else 1
    if rows > XLSX_MAX_ROWS:
        raise StudyError(f"{path.name}: {rows:,} rows are more than a spreadsheet sheet holds "
                         f"({XLSX_MAX_ROWS:,}); write .nc or .csv", source=source)
    book = Workbook(write_only=True)
    sheets = list(ds[dims[0]].values) if len(dims) == 2 else [None]
    row_dim = dims[-1] if dims else None
    along = [c for c in ds.coords if row_dim and tuple(ds[c].dims) == (row_dim,)
             and c != row_dim]
    for key in sheets:
        sub = ds if key is None else ds.sel({dims[0]: key})
        sheet = book.create_sheet(title=str(key if key is not None else "data")[:31])
        cols = ([row_dim] if row_dim else []) + along + names
        sheet.append([_header(sub, c) for c in cols])
        values = [np.asarray(sub[c].values) for c in cols]
        for i in range(rows):
            sheet.append([_cell(v[i] if v.ndim else v) for v in values])
        check_interrupt()
    book.save(path)


def _header(ds, name: str) -> str:
    unit = ds[name].attrs.get("units", "") if name in ds.variables else ""
    return f"{name} [{unit}]" if unit else str(name)


def _cell(x):
    """A spreadsheet cell: a date as a date, a number as a float (empty when not finite)."""
    if isinstance(x, np.datetime64):
        import datetime as dt

        return dt.date.fromisoformat(str(np.datetime_as_string(x, unit="D")))
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, (np.integer, int)):
        return int(x)
    return str(x)


def _finite_or_nan(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if bad.any():
            a = np.where(bad, np.nan, a)
    return a


def _json_scalar(x):
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _jsonable_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, np.ndarray):
            v = [_json_scalar(x) for x in v.tolist()]
        elif isinstance(v, (list, tuple)):
            v = [_json_scalar(x) for x in v]
        else:
            v = _json_scalar(v)
        out[str(k)] = v
    return out


def _json_array(fh, a: np.ndarray) -> None:
    """``a`` as nested JSON lists, a bounded block of values at a time; NaN and infinity as
    ``null``."""
    if a.ndim == 0:
        fh.write(json.dumps(_json_scalar(a.item())))
        return
    if a.ndim > 1:
        fh.write("[")
        for i in range(a.shape[0]):
            if i:
                fh.write(", ")
            _json_array(fh, a[i])
        fh.write("]")
        return
    fh.write("[")
    for lo in range(0, a.shape[0], TEXT_BLOCK):
        piece = np.asarray(a[lo:lo + TEXT_BLOCK])
        values = piece.tolist()
        if piece.dtype.kind == "f":
            for i in np.flatnonzero(~np.isfinite(piece)):
                values[i] = None
        text = json.dumps(values, allow_nan=False)
        if lo:
            fh.write(", ")
        fh.write(text[1:-1])
        check_interrupt()
    fh.write("]")


def _write_json(ds, path: Path) -> None:
    """xarray's dict form (``coords``, ``attrs``, ``dims``, ``data_vars``, each variable with
    ``dims``, ``attrs`` holding the units, and ``data``), streamed; NaN becomes ``null``."""
    with open(path, "w") as fh:
        fh.write('{"coords": {')
        _json_vars(fh, ds.coords)
        fh.write('}, "attrs": ')
        fh.write(json.dumps(_jsonable_attrs(ds.attrs), allow_nan=False))
        fh.write(', "dims": ')
        fh.write(json.dumps({str(k): int(v) for k, v in ds.sizes.items()}))
        fh.write(', "data_vars": {')
        _json_vars(fh, ds.data_vars)
        fh.write("}}\n")


def _json_vars(fh, variables) -> None:
    for i, (name, var) in enumerate(variables.items()):
        if i:
            fh.write(", ")
        fh.write(json.dumps(str(name)) + ': {"dims": ' + json.dumps([str(d) for d in var.dims])
                 + ', "attrs": ' + json.dumps(_jsonable_attrs(var.attrs), allow_nan=False)
                 + ', "data": ')
        values = _as_text_if_date(var.values)
        if values.dtype.kind in "OUS":
            fh.write(json.dumps([str(x) for x in values.ravel().tolist()]
                                if values.ndim == 1 else values.tolist()))
        else:
            _json_array(fh, values)
        fh.write("}")


# --- summaries for people ---------------------------------------------------------------------

#: The built-in options (a sweep's own are its winner's ``flag_meanings``).
OPTIONS = ("mine", "gpuaas", "colocation")

#: Why a breakeven can be undefined at a grid point (the kernel gives NaN where the price does
#: not move the NPVs apart, or where mining's miners switch off and its NPV bends away, so no
#: price makes them equal).
_UNDEFINED_WHY = {
    "breakeven_btc_price": "mining's NPV does not change with the BTC price there (no miner "
                           "fits, or no revenue is kept), or, with miners that switch off "
                           "(miner_shutdown) or a network that follows the price "
                           "(difficulty_model = equilibrium), it stays above or below "
                           "GPU-as-a-service's at every BTC price",
    "breakeven_gpu_hour_price": "GPU-as-a-service NPV does not change with the GPU-hour price "
                                "there (no GPU system fits, or no GPU hour is sold)",
    "breakeven_power_price": "both NPVs change alike with the power price there, or, with "
                             "miners that switch off (miner_shutdown), mining's bends away "
                             "from GPU-as-a-service's: no power price makes them equal",
}
_NO_FIT = {"no_fit_mine": "no miner fits the site", "no_fit_gpuaas": "no GPU system fits the site"}


def _q(value: float, unit: str):
    """A quantity, or None when ``value`` is not a finite number (shown as null/empty/n/a)."""
    from rackplan.units import Q_

    value = float(value)
    if not math.isfinite(value):
        return None
    try:
        return Q_(value, unit or "")
    except Exception:  # a unit string pint cannot read: the bare number
        return value


def undefined_why(name: str) -> str:
    """Why output ``name`` can be undefined at a grid point, for the warning that says so."""
    return _UNDEFINED_WHY.get(name, "the model gives no finite value there")


def sweep_summary(ds) -> dict[str, Any]:
    """What a sweep says, in a few rows: the grid, the share of grid points each option wins,
    and the range (min, mean, max) of the NPVs, their difference and the breakevens.

    Works on in-memory and on dask-backed sweeps alike: all reductions are computed in one
    pass over the chunks. A range over points where an output is undefined (NaN) covers the
    other points, with a :class:`StudyWarning`; a range undefined everywhere is ``None``.
    Grid points where no unit fits (``no_fit_*``) are counted in a warning.
    """
    import dask

    dims = list(ds.sizes)
    n = math.prod(int(ds.sizes[d]) for d in dims)
    grid: dict[str, Any] = {"scenarios": n}
    for d in dims:
        c, unit = ds[d], ds[d].attrs.get("units", "")
        grid[d] = {"from": _q(c.values[0], unit), "to": _q(c.values[-1], unit),
                   "values": int(ds.sizes[d])}
    ranged = [v for v in ds.data_vars if v.startswith(("npv_", "breakeven_"))]
    lazy: dict[str, Any] = {}
    for v in ranged:
        finite = ds[v].where(np.isfinite(ds[v]))
        for stat in ("min", "mean", "max"):
            lazy[f"{v}.{stat}"] = getattr(finite, stat)()
        lazy[f"{v}.undefined"] = finite.isnull().sum()
    options = list(OPTIONS)
    if "winner" in ds:  # the options of this sweep, in code order
        options = str(ds["winner"].attrs.get("flag_meanings", " ".join(OPTIONS))).split()
        for k, o in enumerate(options):
            lazy[f"win.{o}"] = (ds["winner"] == k).sum()
        lazy["win.none"] = (ds["winner"] < 0).sum()
    for flag in _NO_FIT:
        if flag in ds:
            lazy[f"{flag}.count"] = ds[flag].sum()
    keys = list(lazy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: reported below
        values = dask.compute(*[lazy[k].data for k in keys])  # one pass over a chunked sweep
    got = {k: float(np.asarray(v)) for k, v in zip(keys, values)}
    for v in ranged:  # the mean of equal values can round an ulp past them: keep it inside
        got[f"{v}.mean"] = min(max(got[f"{v}.mean"], got[f"{v}.min"]), got[f"{v}.max"])
    out: dict[str, Any] = {"grid": grid}
    if "winner" in ds:
        out["share_won"] = {o: _q(100.0 * got[f"win.{o}"] / max(n, 1), "percent")
                            for o in options}
        if got["win.none"]:
            _warn(f"at {int(got['win.none']):,} of {n:,} scenarios no option could be ranked "
                  f"(an NPV is undefined); they count for no option")
    out["range"] = {v: {stat: _q(got[f"{v}.{stat}"], ds[v].attrs.get("units", ""))
                        for stat in ("min", "mean", "max")} for v in ranged}
    for v in ranged:
        bad = int(got[f"{v}.undefined"])
        if bad == n:
            _warn(f"{v} is undefined at every scenario: {undefined_why(v)}; its range is "
                  f"shown as n/a")
        elif bad:
            _warn(f"{v} is undefined at {bad:,} of {n:,} scenarios: {undefined_why(v)}; its "
                  f"range covers the others")
    warn_no_fit({flag: int(got.get(f"{flag}.count", 0)) for flag in _NO_FIT}, n)
    return out


def warn_no_fit(counts: Mapping[str, int], n: int) -> None:
    """A warning per ``no_fit_*`` flag that is set somewhere on a grid of ``n`` points."""
    for flag, what in _NO_FIT.items():
        count = int(counts.get(flag, 0))
        if count:
            warnings.warn(f"{what} at {count:,} of {n:,} scenarios (see the variable {flag}): "
                          f"there the option has no units and its figures are those of an "
                          f"empty site", StudyWarning, stacklevel=3)
