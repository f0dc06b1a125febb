"""Reading TOML input files into validated models, with errors that name file and field.

Shared by profiles, sites and markets: :func:`load_toml` reads a file, :func:`validate` builds a
pydantic model from a dict, :func:`apply_overrides` folds ``--set FIELD=VALUE`` pairs into the
dict first, and :func:`resolve` finds a built-in id or a user's path.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from rackplan.errors import InputError

__all__ = [
    "load_toml",
    "validate",
    "format_validation_error",
    "parse_override",
    "apply_overrides",
    "close_matches",
    "resolve",
    "DATA_DIR",
]

M = TypeVar("M", bound=BaseModel)

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_toml(path: str | Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Read a TOML file; a missing, unreadable or malformed file raises ``error`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise error("is a folder, not a TOML file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file ({exc.__class__.__name__}: {exc})", source=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"malformed TOML: {exc}", source=str(path)) from None


def format_validation_error(exc: ValidationError) -> tuple[str, str]:
    """The first problem of a pydantic error as ``(field, message)``; more are counted."""
    # An unknown field first: it is often a misspelt one, which also shows up as "missing",
    # and only the unknown one can carry the "did you mean" hint.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required field is missing"
    else:
        message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if "input" in first and kind not in ("value_error", "assertion_error"):
            message += f" (got {first['input']!r})"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return field, message


def validate(model: type[M], data: Mapping[str, Any], source: str,
             error: type[InputError] = InputError) -> M:
    """Build ``model`` from ``data``; a problem raises ``error`` naming ``source`` and the field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        field, message = format_validation_error(exc)
        if message.startswith("unknown field"):  # may be followed by "(and N more problems)"
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


def parse_override(text: str, flag: str = "--set") -> tuple[str, Any]:
    """Split ``FIELD=VALUE``; VALUE is read as a TOML value if it is one, else as a string.

    ``pue=1.3`` gives a float, ``redundancy=N+1`` and ``utility_power=20 MW`` give strings.
    """
    if "=" not in text:
        raise InputError(f"{text!r} is not FIELD=VALUE", source=flag)
    name, _, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not name:
        raise InputError(f"{text!r} has no field name", source=flag)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip("'\"")
    return name, value


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


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def resolve(ref: str | Path, folder: Path, kind: str, error: type[InputError]) -> Path:
    """Find a built-in id (``moses-lake``) in ``folder`` (searched recursively) or a user's path.

    A string that names an existing file, or ends in ``.toml``, is a path. An unknown id raises
    ``error`` listing the close matches among the built-in ids.
    """
    text = str(ref)
    candidate = Path(text).expanduser()
    if candidate.suffix == ".toml" or candidate.exists() or "/" in text or "\\" in text:
        if not candidate.exists():
            raise error("file not found", source=text)
        return candidate
    known = {p.stem: p for p in sorted(folder.rglob("*.toml"))}
    if text in known:
        return known[text]
    hint = close_matches(text, known)
    message = f"unknown {kind} id {text!r}"
    message += f"; did you mean {hint}?" if hint else f"; known ids: {', '.join(sorted(known))}"
    raise error(message, source=f"--{kind}")
