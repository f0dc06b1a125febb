"""The one place rackplan configures numba, and the reason a one-site command never imports it.

Kernels are written once, as plain Python over float64 scalars and arrays, and decorated with
:func:`njit`. The decorator returns a :class:`Kernel`: importing a kernel module imports no
numba and compiles nothing. A kernel runs one of two ways:

- compiled (the default): its first call imports numba (about 0.4 s), then compiles it or loads
  it from the disk cache (``cache=True``), so the CLI answers fast from the second run on;
- interpreted, inside :func:`interpreted`: the same source runs as Python, kernels it calls
  included. A one-scenario command (``rackplan size``, ``compare``, ``hashprice``) does this:
  for one site the interpreter is fast enough (tens of milliseconds) and numba's import, its
  typing context and the cache's loading (together about 0.8 s) are never paid. Sweeps and
  Monte Carlo compile.

The two give the same model, not two versions of it: the interpreted run *is* the kernel's
source. Tests hold them equal to 1e-12 relative.

``RACKPLAN_NUMBA_CACHE=0`` turns the disk cache off (for read-only installs); CI points
``NUMBA_CACHE_DIR`` at a fresh folder so no stale object is ever loaded. No ``fastmath``: NaN
carries meaning ("not constrained").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import threading
from pathlib import Path

__all__ = ["njit", "prange", "fixed_tuple", "interpreted", "is_interpreted", "run_interpreted",
           "one_site", "thread_count", "Kernel"]

_CACHE = os.environ.get("RACKPLAN_NUMBA_CACHE", "1") != "0"
_KERNELS = Path(__file__).resolve().parent / "kernels"
_STATE = threading.local()
_LOCK = threading.RLock()
_numba = None  # the numba module, once a kernel was compiled


def _python_prange(*args):
    """``range`` until numba is loaded; then every module's ``prange`` is ``numba.prange``
    (numba's parallel pass knows a parallel loop by that very object)."""
    return range(*args)


prange = _python_prange


def fixed_tuple(a, n):
    """The first ``n`` items of the array ``a`` as a tuple (``n`` a constant); compiled, numba's
    ``to_fixed_tuple`` (a ``UniTuple`` the compiler sees the length of)."""
    return tuple(a[:n])


@contextlib.contextmanager
def interpreted():
    """Run every kernel called in this block, in this thread, as Python (see the module)."""
    before = getattr(_STATE, "python", False)
    _STATE.python = True
    try:
        yield
    finally:
        _STATE.python = before


def is_interpreted() -> bool:
    """Whether kernels called now, in this thread, run as Python (:func:`interpreted`)."""
    return getattr(_STATE, "python", False)


def thread_count() -> int:
    """The threads a parallel run may use: numba's thread count, or 1 while kernels run as
    Python (which does not import numba for it)."""
    if is_interpreted():
        return 1
    return _load_numba().get_num_threads()


def run_interpreted(func, *args, **kwargs):
    """``func(*args, **kwargs)`` with every kernel it calls run as Python.

    Compiled with ``error_model="numpy"``, a kernel's float division by zero gives inf or NaN
    silently; NumPy scalars do the same here (warnings off, as compiled). Plain Python floats
    raise instead (``1.0 / 0.0``, ``math.exp(1000.0)``): then the call runs again compiled, so
    the answer is the kernel's, and the same inputs always take the same way.
    """
    import numpy as np

    try:
        with interpreted(), np.errstate(all="ignore"):
            return func(*args, **kwargs)
    except ArithmeticError:
        return func(*args, **kwargs)


def one_site(func):
    """Decorate a one-site model function: it runs :func:`run_interpreted`."""

    @functools.wraps(func)
    def one_site_run(*args, **kwargs):
        return run_interpreted(func, *args, **kwargs)

    return one_site_run


class Kernel:
    """A kernel: its Python source (``py_func``) and its numba options (``targetoptions``),
    compiled on first use. numba sees a kernel called by another as that kernel's dispatcher
    (``_numba_type_``), and inlines it where its options say ``inline="always"``."""

    def __init__(self, py_func, options):
        self.py_func = py_func
        self.targetoptions = options
        self._dispatcher = None
        self.__name__ = py_func.__name__
        self.__qualname__ = py_func.__qualname__
        self.__module__ = py_func.__module__
        self.__doc__ = py_func.__doc__
        self.__wrapped__ = py_func

    def dispatcher(self):
        """The numba dispatcher (numba is imported and configured on the first call)."""
        if self._dispatcher is None:
            with _LOCK:
                if self._dispatcher is None:
                    self._dispatcher = _load_numba().njit(**self.targetoptions)(self.py_func)
        return self._dispatcher

    @property
    def _numba_type_(self):
        return self.dispatcher()._numba_type_

    def __call__(self, *args):
        if is_interpreted():
            return self.py_func(*args)
        return self.dispatcher()(*args)

    def __getattr__(self, name):  # signatures, stats, inspect_types, ...: the dispatcher's
        if name.startswith("__") or name in ("_dispatcher", "py_func", "targetoptions"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __reduce__(self):  # a kernel pickles by name (dask ships it to its workers)
        return (_kernel_named, (self.__module__, self.__qualname__))

    def __repr__(self):
        return f"<rackplan kernel {self.__module__}.{self.__qualname__}>"


def _kernel_named(module: str, qualname: str):
    import importlib

    return getattr(importlib.import_module(module), qualname)


def njit(*args, **kwargs):
    """``numba.njit`` with rackplan's defaults (``cache=True`` unless turned off), compiled
    lazily: returns a :class:`Kernel`."""
    kwargs.setdefault("cache", _CACHE)
    if args and callable(args[0]):
        return Kernel(args[0], kwargs)
    return lambda func: Kernel(func, kwargs)


def _load_numba():
    """Import numba once and configure it: the cache stamp, ``fixed_tuple``, ``prange``."""
    global _numba, prange
    with _LOCK:
        if _numba is None:
            import numba

            _stamp_all_kernels()
            _overload_fixed_tuple()
            prange = numba.prange
            for name, module in list(sys.modules.items()):
                if name.startswith("rackplan.") and getattr(module, "prange", None) is \
                        _python_prange:
                    module.prange = numba.prange
            _numba = numba
    return _numba


def _overload_fixed_tuple() -> None:
    from numba.extending import overload
    from numba.np.unsafe.ndarray import to_fixed_tuple

    @overload(fixed_tuple)
    def _fixed_tuple(a, n):
        return lambda a, n: to_fixed_tuple(a, n)


# numba checks a cached kernel against its own source file only, yet a kernel compiles in the
# kernels it calls from other files (numba issue #8926): after an edit of scenario.py, the
# cached sweep kernel would still run the old scenario model. So every kernel's cache is
# stamped with the contents of all files in rackplan/kernels: any change recompiles them all.
def _kernels_stamp() -> bytes:
    from numba.core.caching import _hash_source_file

    digest = hashlib.sha256()
    for path in sorted(_KERNELS.glob("*.py")):
        st = path.stat()
        digest.update(_hash_source_file(str(path), st.st_mtime, st.st_size))
    return digest.digest()


def _stamp_all_kernels() -> None:
    try:
        from numba.core import caching

        bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                 caching.UserWideCacheLocator)
        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in 0.6x
        locators = impl._locator_classes
    except (ImportError, AttributeError):  # pragma: no cover - numba moved its internals
        return
    for base in reversed(bases):

        class KernelsLocator(base):
            def get_source_stamp(self):
                return _kernels_stamp()

            @classmethod
            def from_function(cls, py_func, py_file):
                if Path(py_file).resolve().parent != _KERNELS:
                    return None  # not a kernel: numba's own locators handle it
                return super().from_function(py_func, py_file)

        KernelsLocator.__name__ = f"Rackplan{base.__name__}"
        locators.insert(0, KernelsLocator)
