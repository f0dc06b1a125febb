"""Reading TOML input files into validated models, with errors that name file and field.

Shared by profiles, sites and markets: :func:`load_toml` reads a file, :func:`validate` builds a
pydantic model from a dict, :func:`apply_overrides` folds ``--set FIELD=VALUE`` pairs into the
dict first, and :func:`resolve` finds a built-in id or a user's path; :class:`FileMemo`
remembers what a file gave while it is unchanged.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from rackplan.errors import InputError, shown

__all__ = [
    "load_toml",
    "validate",
    "format_validation_error",
    "parse_override",
    "apply_overrides",
    "model_input",
    "read_reference",
    "check_overrides",
    "close_matches",
    "resolve",
    "looks_like_path",
    "FileMemo",
    "REFERENCE_RULE",
    "MAX_FILE_BYTES",
    "DATA_DIR",
]

M = TypeVar("M", bound=BaseModel)

DATA_DIR = Path(__file__).resolve().parent / "data"


class FileMemo(Generic[M]):
    """``load(ref)`` of a file reference, remembered while the file is unchanged: keyed on the
    reference as given, the file's resolved path, its modification time and its size, so an
    edited file is read again. A sweep, its range checks and a report load one case several
    times; parsing and validating a site or market file took 2-4 ms each time."""

    def __init__(self, load: Callable[[str | Path], M], size: int = 64):
        self._load = load
        self._by_stamp = functools.lru_cache(maxsize=size)(self._load_stamped)

    def _load_stamped(self, is_path: bool, ref: str, path: str, mtime_ns: int,
                      size: int) -> M:
        return self._load(Path(ref) if is_path else ref)

    def __call__(self, ref: str | Path, path: Path) -> M:
        """The model of ``ref``, found at ``path`` (:func:`resolve`)."""
        try:
            info = os.stat(path)
            resolved = str(Path(path).resolve())
        except (OSError, ValueError, RuntimeError):
            return self._load(ref)  # the loader names the file and what is wrong with it
        return self._by_stamp(isinstance(ref, Path), str(ref), resolved, info.st_mtime_ns,
                              info.st_size)


#: The largest input file read [bytes]: a market, site or profile file is a few kB.
MAX_FILE_BYTES = 1 << 20


def load_toml(path: str | Path, error: type[InputError] = InputError, *,
              source: str | None = None) -> dict[str, Any]:
    """Read a TOML file; a missing, unreadable or malformed file raises ``error`` naming it.

    Only a regular file of at most :data:`MAX_FILE_BYTES` (1 MiB) is read: a folder, a device
    (``/dev/zero``), a FIFO or a socket is refused before it is opened, so nothing blocks or
    fills memory. The text is UTF-8, with or without a byte-order mark. A file nested too
    deeply for the TOML parser is refused like a malformed one. Errors name ``source``
    (default: ``path`` as given).
    """
    source = str(path) if source is None else source
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error("file not found", source=source) from None
    except (OSError, ValueError) as exc:  # permission, a name too long, an embedded NUL
        raise error(f"cannot read file ({_reason(exc)})", source=source) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a folder, not a TOML file", source=source)
    if not stat.S_ISREG(info.st_mode):
        raise error("is not a regular file (a device, FIFO or socket); give a TOML file",
                    source=source)
    if info.st_size > MAX_FILE_BYTES:
        raise error(f"file too large ({info.st_size:,} bytes; an input file is at most "
                    f"{MAX_FILE_BYTES:,})", source=source)
    try:
        # O_NONBLOCK: should the file have become a FIFO since the stat, opening it does not
        # wait for a writer; read at most one byte more than allowed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise error("is not a regular file (a device, FIFO or socket); give a TOML "
                            "file", source=source)
            raw = f.read(MAX_FILE_BYTES + 1)
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise error(f"cannot read file ({_reason(exc)})", source=source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"file too large (an input file is at most {MAX_FILE_BYTES:,} bytes)",
                    source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read file: not UTF-8 text (byte {exc.start:,} is invalid)",
                    source=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"malformed TOML: {exc}", source=source) from None
    except RecursionError:
        raise error("malformed TOML: arrays or tables nested too deeply", source=source) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.__class__.__name__}: {exc.strerror}"
    return f"{exc.__class__.__name__}: {exc}"


#: Characters of the problems listed in one validation message, at most (then "and N more"):
#: with the file name, the line stays short enough to read in a terminal.
MAX_PROBLEM_CHARS = 240


def format_validation_error(exc: ValidationError) -> tuple[str, str]:
    """Every problem of a pydantic error on one line, as ``(field, message)``.

    ``field`` and the start of ``message`` are the first problem's. Fields with the same
    problem are named together: the first problem's others as ``"(also vendor, kind)"``,
    any further problem as ``"; power_max, power_typical: <message>"``. Past
    :data:`MAX_PROBLEM_CHARS` characters the fields whose reasons no longer fit are still
    named (``"; also wrong: pue, utilization"``), so that one run shows every field to fix;
    only past that are the rest counted (``"; and 12 more problems"``).

    Order: unknown fields first (often a misspelt one, which also shows up as "missing", and
    only the unknown one can carry the "did you mean" hint), then bad values, then missing
    fields.
    """
    rank = {"extra_forbidden": 0, "missing": 2}
    errors = sorted(exc.errors(include_url=False), key=lambda e: rank.get(e["type"], 1))
    groups: dict[str, list[str]] = {}  # message -> its fields, in order of appearance
    for e in errors:
        loc = ".".join(_loc_part(p) for p in e["loc"]) or "(top level)"
        fields = groups.setdefault(_problem(e), [])
        if loc not in fields:
            fields.append(loc)
    (message, fields), *others = groups.items()
    unshown = [f for names in groups.values() for f in names][1:]  # in the order listed
    budget = MAX_PROBLEM_CHARS - len(message)
    if len(fields) > 1:
        also, n = _names(fields[1:], budget - len(" (also )"))
        if n:
            message += f" (also {also})"
            budget -= len(also) + len(" (also )")
            del unshown[:n]
    for text, names in others:
        after = [f for f in unshown if f not in names]  # still unnamed once these are listed
        if not unshown or _no_room(names, text, budget - _named_length(after)):
            break
        listed, n = _names(names, budget - len(text) - len("; : "))
        message += f"; {listed}: {text}"
        budget -= len(listed) + len(text) + len("; : ")
        unshown = [f for f in unshown if f not in names[:n]]
        if n < len(names):
            break
    if unshown:
        if _named_length(unshown) <= budget:  # all of them
            listed, n = ", ".join(unshown), len(unshown)
        else:  # as many as leave room to count the rest
            listed, n = _names(unshown, budget - len("; also wrong: ; and 99 more problems"))
        if n:
            message += f"; also wrong: {listed}"
        left = len(unshown) - n
        if left:
            message += f"; and {left} more problem{'s' if left > 1 else ''}"
    return fields[0], message


def _named_length(names: list[str]) -> int:
    """Characters that ``"; also wrong: a, b"`` takes for ``names`` (0 for none)."""
    return len("; also wrong: ") + len(", ".join(names)) if names else 0


def _no_room(names: list[str], text: str, budget: int) -> bool:
    """Whether not even the first of ``names`` with ``text`` fits in ``budget`` characters."""
    return len(names[0]) + len(text) + len("; : ") > budget


def _names(names: list[str], budget: int) -> tuple[str, int]:
    """As many of ``names`` as fit in ``budget`` characters, comma-separated, and how many."""
    shown_names: list[str] = []
    length = 0
    for name in names:
        extra = len(name) + (2 if shown_names else 0)
        if length + extra > budget:
            break
        shown_names.append(name)
        length += extra
    return ", ".join(shown_names), len(shown_names)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _loc_part(part: Any) -> str:
    """One step of a field's location: a plain key as is (``utility_power``), a list index
    as a number, any other key (empty, dotted, spaced, long) as its cut ``repr``."""
    if isinstance(part, int) or _PLAIN_KEY.match(str(part)):
        return str(part)
    return shown(str(part))


def _problem(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if "input" in error and kind not in ("value_error", "assertion_error"):
        message += f" (got {shown(error['input'])})"
    return message


def validate(model: type[M], data: Mapping[str, Any], source: str,
             error: type[InputError] = InputError) -> M:
    """Build ``model`` from ``data``; a problem raises ``error`` naming ``source`` and the field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        field, message = format_validation_error(exc)
        if message.startswith("unknown field"):  # may be followed by further problems
            known = _field_names(model, field)
            hint = close_matches(field.rsplit(".", 1)[-1], known)
            if hint:
                message = message.replace("unknown field", f"unknown field (did you mean {hint}?)", 1)
        raise error(message, source=source, field=field) from None


def _field_names(model: type[BaseModel], dotted: str) -> list[str]:
    """Names of the fields at the level of ``dotted`` (for 'did you mean' hints)."""
    current: Any = model
    for part in dotted.split(".")[:-1]:
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        current = info.annotation
    return list(getattr(current, "model_fields", {}))


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """``"'a', 'b'"`` of the candidates closest to ``word``, or ``""``."""
    matches = difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.5)
    return ", ".join(repr(m) for m in matches)


def field_hint(name: str, models: Iterable[type], skip: Iterable[str] = ("id", "sources")
               ) -> str:
    """The names closest to ``name``, a field that none of ``models`` (pydantic models) has:
    their fields, and the dotted names of their tables' fields, so that ``ups`` suggests
    ``'power_chain.ups'``; ``""`` if none is close."""
    import typing

    fields, dotted = [], []
    for model in models:
        for field, info in model.model_fields.items():
            if field in skip:
                continue
            fields.append(field)
            for arg in (info.annotation, *typing.get_args(info.annotation)):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    dotted += [f"{field}.{sub}" for sub in arg.model_fields]
    leaf = name.rsplit(".", 1)[-1]
    exact = [d for d in dotted if d.rsplit(".", 1)[-1] == leaf and d != name]
    if exact:
        return ", ".join(repr(d) for d in exact)
    return close_matches(name, fields + dotted)


#: A --set value longer than this is taken as a string, never parsed as TOML.
MAX_OVERRIDE_TOML_CHARS = 1000


def parse_override(text: str, flag: str = "--set") -> tuple[str, Any]:
    """Split ``FIELD=VALUE``; VALUE is read as a TOML value if it is one, else as a string.

    ``pue=1.3`` gives a float, ``redundancy=N+1`` and ``utility_power=20 MW`` give strings.
    A value longer than :data:`MAX_OVERRIDE_TOML_CHARS` stays a string (the field refuses it).
    """
    if "=" not in text:
        raise InputError(f"{shown(text)} is not FIELD=VALUE", source=flag)
    name, _, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not name:
        raise InputError(f"{shown(text)} has no field name", source=flag)
    value: Any = raw.strip("'\"")
    # One TOML value and nothing else: no comment ("pue=1.3 # note" is refused by the field,
    # as "18 MW # note" is), no second line, nothing too long to convert.
    if (len(raw) <= MAX_OVERRIDE_TOML_CHARS and "#" not in raw and "\n" not in raw
            and "\r" not in raw):
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            # not a TOML value (or one nested or long past what Python converts): a string
            pass
    return name, value


def check_overrides(overrides: Any, error: type[InputError] = InputError,
                    source: str = "overrides") -> dict[str, Any]:
    """``overrides`` as a dict of ``{field name: value}`` (``None`` is empty), or ``error``
    naming ``source``: not a mapping, or a name that is not a non-empty string."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise error(f"must be a mapping of field names to values, e.g. {{'pue': 1.3}}, got "
                    f"{type(overrides).__name__}", source=source)
    for name in overrides:
        if not isinstance(name, str) or not name.strip():
            raise error(f"field names are non-empty strings, got {shown(name)}", source=source)
    return dict(overrides)


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any],
                    model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fold the overrides whose first name is a field of ``model`` into a copy of ``data``.

    Dotted names reach into tables (``cooling_plant.type=chiller``). Returns the new dict and
    the overrides that ``model`` does not know, for the caller to route elsewhere or reject.
    """
    result = _deep_copy(data)
    leftover: dict[str, Any] = {}
    for name, value in overrides.items():
        head, *rest = name.split(".")
        if head not in model.model_fields:
            leftover[name] = value
            continue
        target = result
        for part in [head, *rest][:-1]:
            nxt = target.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                target[part] = nxt
            target = nxt
        target[[head, *rest][-1]] = value
    return result, leftover


def read_reference(ref: str | Path, folder: Path, kind: str, error: type[InputError]
                   ) -> tuple[dict[str, Any], str, str]:
    """Read a built-in id or a user's file (:func:`resolve`, :func:`load_toml`) as
    ``(data, source, id)``: ``source`` names the file as the user wrote it ("./moses-lake",
    not the built-in's full path); the id is the file's stem, so the file may not set one."""
    path = resolve(ref, folder, kind, error)
    source = ref if isinstance(ref, str) and looks_like_path(ref) else str(path)
    data = load_toml(path, error, source=source)
    if "id" in data:
        raise error("unknown field (the id is the file name)", source=source, field="id")
    return data, source, path.stem


def model_input(model: BaseModel, skip: Iterable[str] = ("id",)) -> dict[str, Any]:
    """A model back to the input dict it came from (quantities stay quantities; unset
    optional fields and the ``skip`` fields left out), for overrides to be applied to it."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in skip or value is None:
            continue
        if isinstance(value, BaseModel):
            value = model_input(value, ())
        elif isinstance(value, list):
            value = [model_input(v, ()) if isinstance(v, BaseModel) else v for v in value]
        out[name] = value
    return out


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


#: How a reference is told apart from a built-in id (quoted by the docstrings of the loaders).
REFERENCE_RULE = (
    "A value that contains '/' or '\\' or ends in '.toml' is a file path (write ./NAME for "
    "a file in the current folder); anything else is a built-in id, even if a file of that "
    "name exists."
)


def looks_like_path(ref: str | Path) -> bool:
    """Whether ``ref`` is a file path rather than a built-in id (see :data:`REFERENCE_RULE`):
    a :class:`~pathlib.Path`, or a string with a path separator or ending in ``.toml``."""
    if isinstance(ref, Path):
        return True
    text = str(ref)
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in text for sep in separators) or "\\" in text or text.endswith(".toml")


def resolve(ref: str | Path, folder: Path, kind: str, error: type[InputError],
            source: str | None = None) -> Path:
    """Find a built-in id (``moses-lake``) in ``folder`` (searched recursively) or a user's path.

    The rule: a :class:`~pathlib.Path`, or a string that contains a path separator (``/``,
    or ``\\``) or ends in ``.toml``, is a file path (``./moses-lake.toml``,
    ``sites/mine.toml``); anything else is a built-in id, whatever files the current folder
    holds (a file ``moses-lake`` there does not shadow the built-in site). A missing path
    raises ``error("file not found")``; :func:`load_toml` reports any other problem with the
    file. An unknown id raises ``error`` listing the close matches among the built-in ids,
    named ``source`` (default ``--KIND``: the option the id came from).
    """
    if looks_like_path(ref):
        path = Path(ref).expanduser() if isinstance(ref, str) else ref
        try:
            missing = not os.path.lexists(path)
        except (OSError, ValueError):  # an embedded NUL: load_toml says so
            missing = False
        if missing:
            raise error("file not found", source=str(ref))
        return path
    text = str(ref)
    known = {p.stem: p for p in sorted(folder.rglob("*.toml"))}
    if text in known:
        return known[text]
    hint = close_matches(text, known) if len(text) <= 100 else ""
    message = f"unknown {kind} id {shown(text)}"
    message += f"; did you mean {hint}?" if hint else f"; known ids: {', '.join(sorted(known))}"
    if _is_file(text):
        message += f" (a file {shown(text)} exists here: write ./{text} to read it)"
    raise error(message, source=source or f"--{kind}")


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False
