"""One exception family for everything a user can get wrong.

The CLI turns any :class:`RackplanError` into one line on stderr and exit code 2; ``--debug``
shows the traceback. A design that does not fit (too little power, too hot a climate) is a
result, never an error.
"""

from __future__ import annotations

__all__ = [
    "RackplanError",
    "InputError",
    "UnitError",
    "ProfileError",
    "SiteError",
    "MarketError",
    "StudyError",
]


class RackplanError(Exception):
    """Base of rackplan's errors; ``str(error)`` is the one line a user sees."""


class InputError(RackplanError):
    """Bad input, located by ``source`` (a file path or a flag) and ``field``."""

    def __init__(self, message: str, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join([*parts, self.message])


class UnitError(InputError):
    """A quantity with no unit, an unknown unit or the wrong dimension."""


class ProfileError(InputError):
    """A hardware profile that is missing, unreadable or invalid."""


class SiteError(InputError):
    """A site file that is missing, unreadable or invalid."""


class MarketError(InputError):
    """A market file that is missing, unreadable or invalid."""


class StudyError(InputError):
    """A sweep or Monte Carlo request that cannot be run (empty range, unknown name, ...)."""
