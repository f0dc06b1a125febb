"""The one place rackplan configures numba.

Kernels are compiled lazily (no signatures, so importing rackplan compiles nothing) and cached
on disk, so the CLI answers fast from the second run on. ``RACKPLAN_NUMBA_CACHE=0`` turns the
disk cache off (for read-only installs); CI points ``NUMBA_CACHE_DIR`` at a fresh folder so no
stale object is ever loaded. No ``fastmath``: NaN carries meaning ("not constrained").
"""

from __future__ import annotations

import os

import numba

__all__ = ["njit", "prange"]

prange = numba.prange
_CACHE = os.environ.get("RACKPLAN_NUMBA_CACHE", "1") != "0"


def njit(*args, **kwargs):
    """``numba.njit`` with rackplan's defaults (``cache=True`` unless turned off)."""
    kwargs.setdefault("cache", _CACHE)
    return numba.njit(*args, **kwargs)
