"""The one place rackplan configures numba.

Kernels are compiled lazily (no signatures, so importing rackplan compiles nothing) and cached
on disk, so the CLI answers fast from the second run on. ``RACKPLAN_NUMBA_CACHE=0`` turns the
disk cache off (for read-only installs); CI points ``NUMBA_CACHE_DIR`` at a fresh folder so no
stale object is ever loaded. No ``fastmath``: NaN carries meaning ("not constrained").
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

__all__ = ["njit", "prange"]

prange = numba.prange
_CACHE = os.environ.get("RACKPLAN_NUMBA_CACHE", "1") != "0"
_KERNELS = Path(__file__).resolve().parent / "kernels"


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


_stamp_all_kernels()


def njit(*args, **kwargs):
    """``numba.njit`` with rackplan's defaults (``cache=True`` unless turned off)."""
    kwargs.setdefault("cache", _CACHE)
    return numba.njit(*args, **kwargs)
