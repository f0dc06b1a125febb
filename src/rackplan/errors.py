"""One exception family for everything a user can get wrong.

The CLI turns any :class:`RackplanError` into one line on stderr and exit code 2; ``--debug``
shows the traceback. A design that does not fit (too little power, too hot a climate) is a
result, never an error.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "shown",
    "one_line",
    "RackplanError",
    "InputError",
    "UnitError",
    "ProfileError",
    "SiteError",
    "MarketError",
    "WeatherError",
    "StudyError",
]


#: Characters of a user's value echoed in a message; a longer one is cut and ends in "…".
SHOWN_CHARS = 60
#: Characters of a field name shown whole; a longer one (a typo of 500 characters) is cut.
FIELD_CHARS = 100
#: Characters of a source (a file path) shown whole; a longer one keeps its two ends.
SOURCE_CHARS = 240
#: Characters of one error line at most (a longer message is cut and ends in "…").
LINE_CHARS = 2000


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A user's value as a message shows it: ``repr`` of its first ``limit`` characters.

    ``repr`` escapes newlines and control characters, so the message stays one line; a long
    value is cut: ``'1111…'``.

    >>> shown("18 kg"), shown("x" * 100, limit=3)
    ("'18 kg'", "'xxx…'")
    """
    if isinstance(value, str):
        return repr(value[:limit] + "…") if len(value) > limit else repr(value)
    try:
        text = repr(value)
    except Exception:  # a deeply nested or broken object: its type is enough
        text = f"<{type(value).__name__}>"
    return text[:limit] + "…" if len(text) > limit else text


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """``text`` made safe to print as one line: control characters (newlines, escape
    sequences) written as their escapes, and at most ``limit`` characters."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                       for c in text)
    return text[: limit - 1] + "…" if len(text) > limit else text


class RackplanError(Exception):
    """Base of rackplan's errors; ``str(error)`` is the one line a user sees."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class InputError(RackplanError):
    """Bad input, located by ``source`` (a file path or a flag) and ``field``."""

    def __init__(self, message: str, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        # One line whatever the parts hold (a file name or a field with a newline, a long
        # value): the CLI prints it as "rackplan: error: <this>".
        field = self.field
        if field and len(field) > FIELD_CHARS:  # a name a user typed: cut, as values are
            field = field[:SHOWN_CHARS] + "…"
        source = self.source
        if source and len(source) > SOURCE_CHARS:  # a path: keep its start and its file name
            half = SOURCE_CHARS // 2 - 1
            source = source[:half] + "…" + source[-half:]
        parts = [p for p in (source, field) if p]
        return one_line(": ".join(str(p) for p in [*parts, self.message]))


class UnitError(InputError):
    """A quantity with no unit, an unknown unit or the wrong dimension."""


class ProfileError(InputError):
    """A hardware profile that is missing, unreadable or invalid."""


class SiteError(InputError):
    """A site file that is missing, unreadable or invalid."""


class MarketError(InputError):
    """A market file that is missing, unreadable or invalid."""


class WeatherError(InputError):
    """A weather file that is missing, unreadable or invalid (named with its line or column)."""


class StudyError(InputError):
    """A sweep or Monte Carlo request that cannot be run (empty range, unknown name, ...)."""
