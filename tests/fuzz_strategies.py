"""Strategies and the CLI contract for the fuzz suite (``tests/test_fuzz.py``).

The contract every ``rackplan`` run keeps, whatever it is given (issue 7, section 4):

- exit code 0 or 2, never a traceback (an exception out of ``main``), never 1 or 130;
- exit 2: stderr is ONE non-empty line ``rackplan: error: ...`` (``profiles validate``: one line
  per invalid file, ``FILE: ...``) that names the file or the flag and the field, has no
  ``Traceback``, no control character, at most :data:`MAX_LINE` characters (the file paths it
  names not counted), and stdout is empty; no Python warning escapes (it would print more
  lines);
- exit 0: ``--format json`` prints JSON without ``NaN``/``Infinity`` and without any non-finite
  number; table and CSV print no ``nan``/``inf`` token and no escape byte.

Generated inputs start from the built-in files (sites, profiles, the market) read as dicts and
mutate them: a dropped field, an unknown one, a value of the wrong type, dimension or range, an
extreme magnitude, a broken unit, text with control characters or rich markup, deep nesting,
and whole-file damage (a byte-order mark, latin-1 bytes, an empty file, binary junk).

What is *not* generated, because one bad example would hang or exhaust the machine rather than
fail: unit strings with towers of powers (``W*9**9**9``, tested in a child process with a
timeout by the fixtures ``*-hang-*``), grids and path counts beyond a few hundred points, FIFOs
and ``/dev/zero`` (tested in a child process), ``--scheduler`` addresses (a 5 s connect timeout).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import datetime as dt
import io
import json
import math
import os
import re
import tomllib
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SITE_FILES = sorted((ROOT / "src" / "rackplan" / "data" / "sites").glob("*.toml"))
MARKET_FILES = sorted((ROOT / "src" / "rackplan" / "data" / "markets").glob("*.toml"))
PROFILE_FILES = sorted((ROOT / "hardware_profiles").rglob("*.toml"))
FIXTURES = Path(__file__).parent / "data" / "broken" / "fuzz"

#: Longest error line accepted, the file paths it names not counted.
MAX_LINE = 300
#: Examples a test runs under the CI profile are scaled by the loaded profile's
#: ``max_examples`` against the CI profile's 60: ``HYPOTHESIS_PROFILE=long`` runs ~80x more.
_CI_EXAMPLES = 60


def examples(n: int) -> int:
    """``n`` under the CI profile ("rackplan", 60 examples), scaled for any other profile."""
    return max(1, round(n * settings.default.max_examples / _CI_EXAMPLES))


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


#: The valid built-in inputs, as dicts: ``(id, dict)``.
BASES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "site": [(p.stem, _load(p)) for p in SITE_FILES],
    "profile": [(p.stem, _load(p)) for p in PROFILE_FILES],
    "market": [(p.stem, _load(p)) for p in MARKET_FILES],
}
PROFILE_KIND = {stem: doc["kind"] for stem, doc in BASES["profile"]}
GPU_IDS = sorted(k for k, v in PROFILE_KIND.items() if v == "gpu")
ASIC_IDS = sorted(k for k, v in PROFILE_KIND.items() if v == "asic")


# --- TOML writing -------------------------------------------------------------------------------
# A writer of our own: it must write what tomli-w refuses (nan, inf, 400-digit integers, keys
# with control characters), and always one `key = value` line per top-level key, nested tables
# inline, so that every generated document is valid TOML unless damaged on purpose.

def _toml_str(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(v: Any) -> str:
    """``v`` as a TOML value (inline tables and arrays; nan and inf as TOML writes them)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_str(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def toml_dumps(doc: dict[str, Any]) -> str:
    return "".join(f"{_toml_str(str(k))} = {toml_value(v)}\n" for k, v in doc.items())


# --- values ---------------------------------------------------------------------------------------

NAN_INF = re.compile(r"(?<![A-Za-z0-9_.])[-+]?(?:nan|inf|infinity)(?![A-Za-z0-9_])", re.IGNORECASE)

#: Unit texts of every dimension the models use, and a few they never do.
UNITS = [
    "W", "kW", "MW", "GW", "mW", "kg", "t", "lb", "m", "km", "m^2", "m**2", "ft^2", "degC",
    "degF", "K", "delta_degC", "delta_degF", "°C", "s", "hour", "day", "month", "year", "USD",
    "BTC", "sat", "USD/BTC", "USD/MWh", "USD/kWh", "USD/kW/month", "USD/hour", "USD/MW",
    "USD/(TH/s)", "USD/year", "USD/month", "TH/s", "EH/s", "ZH/s", "hash/s", "H", "%", "percent",
    "L/min", "cfm", "kg/m^2", "J/TH", "TR", "Pa", "mol", "henry", "dimensionless", "1/MW",
]

#: Numbers as users type them, extremes included.
NUMBER_TEXTS = [
    "0", "-0.0", "1", "-1", "0.5", "18", "-18", "1e308", "-1e308", "1.7976931348623157e308",
    "5e-324", "-5e-324", "1e-320", "1e400", "-1e400", "1e-400", "1_000", "1.", ".5", "+3",
    "9" * 400, "0." + "0" * 400 + "1", "2e9", "100", "1e6", "152.3e12",
]

#: Strings that break pint's parser or the regex before it (each a reproducer of issue 7).
GARBAGE_QUANTITIES = [
    "1 (W", "1 W)", "1 W/0", "1 1/0", "1 0**-1 W", "1 " + "*".join(["W"] * 600),
    "1 " + "*".join(["W"] * 300), "18 MW # comment", "1 W**", "1 ** W", "1 W^", "1 W**1e300",
    "1 W**-1e400", "1 W**(10**100)", "1 W**0.5", "1 W**0", "1 __class__", "1 W.__class__",
    "1 [W]", "1 {W}", "1 W;W", "1 W,W", "1 W W", "1 WW", "1 W\x00", "1 W\u202e", "1 W\n2 W",
    "1\tW", "1 W\r", "1 (W)", "1 " + "(" * 500 + "W" + ")" * 500, "1 W/(s*s)", "1 kW*h/h",
    "1 W*0", "1 0*W", "1 W*nan", "1 W/inf", "1 nan W", "1 inf W", "1 e", "1e", "1e+", "- 1 W",
    "1 -W", "1 W-1", "1 W+W", "1 degC*degC", "1 degC/degC", "1 delta_degC*K", "1 1e400 W",
    "1 W*1e308*1e308", "1 W/1e-320", "1 %%", "1 % %", "W", "MW 18", "", " ", "1 !", "1 $",
    "1 W#", "1 \\", "1 'W'", '1 "W"', "1 W\\n", "1 W;import os", "1 1j W", "1 True",
]

NAN_INF_TEXTS = ["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "nan W", "inf MW",
                 "-inf MW", "NaN kg", "inf K", "nan %", "inf USD/BTC", "nan USD/hour"]

#: Text that a table, a terminal or an error line must show as text.
MARKUP_TEXTS = [
    "[bold]x[/bold]", "[/x]", "[/]", "[link=http://x]y[/link]", "Site [phase 2]", "[", "]",
    "\\[", "[red on blue]hot", ":smile:", "x [b]", "[#ff0000]r", "[[x]]", "[i]y",
]
CONTROL_TEXTS = [
    "\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\x1b[2J", "\x07bell",
    "a\x00b", "\r\n", "tab\there", "\u202eevil", "\u200b", "\ufeffbom", "\x7f", "\x9b31m",
]
UNICODE_TEXTS = ["Ω", "名前", "💧🔥", "Ünïcödé", "e\u0301", "\U0010ffff", "ß" * 40, "١٢٣"]
LONG_TEXTS = ["x" * 100_000, "1" * 100_000, "1 " + "k" * 100_000 + "W", "[b]" * 30_000,
              "é" * 50_000, " " * 100_000]


def _no_nan_inf(s: str) -> bool:
    return NAN_INF.search(s) is None


def texts() -> st.SearchStrategy[str]:
    """Names and other free text: markup, control characters, unicode, long strings.

    Never a ``nan``/``inf`` token: text fields are printed as they are, and the output check
    looks for those tokens as numbers.
    """
    return st.one_of(
        st.sampled_from(MARKUP_TEXTS + CONTROL_TEXTS + UNICODE_TEXTS),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20).filter(_no_nan_inf),
        st.sampled_from(LONG_TEXTS),
    )


def quantity_texts() -> st.SearchStrategy[str]:
    """A number and a unit, each drawn from its list: right, wrong or no dimension."""
    return st.builds(lambda n, u, sep: f"{n}{sep}{u}", st.sampled_from(NUMBER_TEXTS),
                     st.sampled_from(UNITS), st.sampled_from([" ", "", "  "]))


EXTREME_FLOATS = [0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, math.nan, math.inf, -math.inf,
                  1.5, -1.0, 2.0, 100.0, 1e-9]
#: Dates at the ends of the calendar and on leap days (a horizon runs 1 to 50 years on).
DATES = [dt.date(2024, 2, 29), dt.date(9999, 12, 31), dt.date(9960, 1, 1), dt.date(1, 1, 1),
         dt.date(1970, 1, 1), dt.date(2100, 2, 28)]
EXTREME_INTS = [0, -1, 1, 2, 10**400, -(10**400), 2**63, 2**64, -(2**63) - 1, 100, 6_930_001]


def wrong_types() -> st.SearchStrategy[Any]:
    """A value of any TOML type, mostly not the one the field wants."""
    scalar = st.one_of(st.booleans(), st.sampled_from(EXTREME_INTS), st.integers(-1000, 1000),
                       st.sampled_from(EXTREME_FLOATS), st.floats(), st.dates(),
                       st.sampled_from(DATES),
                       st.times(), st.datetimes())
    return st.one_of(
        scalar,
        st.lists(scalar, max_size=3),
        st.dictionaries(st.sampled_from(["a", "value", "unit", "type", ""]), scalar, max_size=2),
        st.just([]), st.just({}),
    )


def scaled(value: str) -> st.SearchStrategy[str]:
    """A valid quantity string's unit with an extreme magnitude: ``"1e308 MW"``, ``"0 MW"``."""
    m = re.match(r"^\s*[-+]?[\d.]+(?:[eE][-+]?\d+)?\s*(.*)$", value)
    unit = m.group(1) if m else ""
    return st.sampled_from(NUMBER_TEXTS).map(lambda n: f"{n} {unit}".strip())


def _is_quantity_text(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^\s*[-+]?(?:\d|\.\d)", value) is not None


def is_text_field(value: Any) -> bool:
    """A string field that is not a quantity: a name, a vendor, a URL, a literal (``kind``)."""
    return isinstance(value, str) and not _is_quantity_text(value)


def values_for(old: Any) -> st.SearchStrategy[Any]:
    """Replacements for a field whose valid value is ``old``."""
    options = [wrong_types(), quantity_texts(), st.sampled_from(GARBAGE_QUANTITIES)]
    if is_text_field(old):
        options.append(texts())
    else:
        options.append(st.sampled_from(NAN_INF_TEXTS))
        options.append(texts())  # text where a number belongs: refused, never printed
    if _is_quantity_text(old):
        options.insert(0, scaled(old))
    elif isinstance(old, (int, float)) and not isinstance(old, bool):
        options.insert(0, st.sampled_from(EXTREME_FLOATS + EXTREME_INTS))
    return st.one_of(*options)


def safe_values_for(old: Any) -> st.SearchStrategy[Any]:
    """Like :func:`values_for`, but a text field only gets text (no nan/inf tokens)."""
    if is_text_field(old):
        return st.one_of(texts(), wrong_types())
    return values_for(old)


def _misspell(name: str) -> st.SearchStrategy[str]:
    if not name:
        return st.just("x")
    return st.integers(0, max(0, len(name) - 1)).flatmap(lambda i: st.sampled_from([
        name[:i] + name[i + 1:], name[:i] + name[i] * 2 + name[i + 1:],
        name + "s", name.upper(), name.replace("_", "-"), " " + name, name + " "]))


def new_keys(existing: Iterable[str]) -> st.SearchStrategy[str]:
    """Keys to add: misspelt fields, real optional fields, odd and unicode keys."""
    names = sorted(existing) or ["x"]
    return st.one_of(
        st.sampled_from(names).flatmap(_misspell),
        st.sampled_from(["id", "pue", "heat_rejection_capacity", "rack_units", "network_hashrate",
                         "floor_load_limit", "white_space", "notes", "hashrate", "gpus_per_unit",
                         "", " ", "a.b", "[x]", "\x1b[31m", "é", "utility_power.value",
                         "x" * 200]),
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
    )


def deep(kind: str, depth: int = 500) -> str:
    """A TOML value nested ``depth`` levels deep (arrays or inline tables)."""
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return "{a = " * depth + "1" + "}" * depth


# --- generated files ----------------------------------------------------------------------------

def _short(v: Any, n: int = 70) -> str:
    text = repr(v)
    return text if len(text) <= n else f"{text[:n]}... ({len(text):,} chars)"


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _tables(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if isinstance(doc, dict) else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_tables(v, prefix + (k,)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_tables(v, prefix + (i,)))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _keys(doc: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            keys.add(str(k))
            keys |= _keys(v)
    elif isinstance(doc, list):
        for v in doc:
            keys |= _keys(v)
    return keys


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


class FileCase:
    """A generated input file: its bytes and how it was made (for the failure report)."""

    def __init__(self, kind: str, base: str, steps: list[str], data: bytes,
                 field_level: bool = True, fields: set[str] | None = None,
                 text_only: bool = False):
        self.kind, self.base, self.steps, self.data = kind, base, steps, data
        #: valid TOML whose damage is in its fields: the error line must name a field
        self.field_level = field_level
        #: names the error line may give as the field
        self.fields = fields or set()
        #: only text fields were changed: a valid file
        self.text_only = text_only

    def __repr__(self) -> str:
        return f"FileCase({self.kind} {self.base}: {'; '.join(self.steps) or 'unchanged'})"


_FILE_DAMAGE = ["bom", "latin1", "empty", "junk", "truncate", "crlf", "duplicate", "nul",
                "utf16", "deep-array", "deep-table", "deep-header", "deep-field"]


@st.composite
def files(draw, kind: str, damage: bool = True) -> FileCase:
    """A built-in file of ``kind`` with one to three field mutations, and maybe file damage."""
    stem, base = draw(st.sampled_from(BASES[kind]))
    doc = copy.deepcopy(base)
    steps: list[str] = []
    names = _keys(base)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["replace", "drop", "add", "rename"]))
        paths = _paths(doc)
        if op in ("replace", "drop", "rename") and not paths:
            op = "add"
        if op == "replace":
            path = draw(st.sampled_from(paths))
            value = draw(values_for(_get(doc, path)))
            _get(doc, path[:-1])[path[-1]] = value
            steps.append(f"{_dotted(path)} = {_short(value)}")
        elif op == "drop":
            path = draw(st.sampled_from(paths))
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
            steps.append(f"drop {_dotted(path)}")
        elif op == "add":
            table = draw(st.sampled_from(_tables(doc)))
            key = draw(new_keys(names))
            value = draw(st.one_of(values_for("1 W"), texts()))
            _get(doc, table)[key] = value
            names.add(key)
            steps.append(f"add {_dotted(table + (key,))} = {_short(value)}")
        else:
            path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str)] or paths))
            parent = _get(doc, path[:-1])
            if isinstance(path[-1], str):
                key = draw(new_keys(names))
                value = parent.pop(path[-1])
                parent[key] = value
                names.add(key)
                steps.append(f"rename {_dotted(path)} -> {key!r}")
            else:
                del parent[path[-1]]
                steps.append(f"drop {_dotted(path)}")
    text = toml_dumps(doc)
    data = text.encode("utf-8")
    field_level = True
    if damage and draw(st.integers(0, 3)) == 0:
        how = draw(st.sampled_from(_FILE_DAMAGE))
        field_level = how == "crlf"
        steps.append(f"file: {how}")
        if how == "bom":
            data = b"\xef\xbb\xbf" + data
        elif how == "latin1":
            data = text.replace('"', '"Café ', 1).encode("latin-1", errors="replace")
        elif how == "empty":
            data = b""
        elif how == "junk":
            data = draw(st.one_of(st.binary(max_size=64),
                                  st.sampled_from([b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff" * 64,
                                                   b"\x00" * 64, b"PK\x03\x04"])))
        elif how == "truncate":
            data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
        elif how == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif how == "duplicate":
            first = text.splitlines()[0] if text else 'name = "x"'
            data = (text + first + "\n").encode("utf-8")
        elif how == "nul":
            data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2:]
        elif how == "utf16":
            data = text.encode("utf-16")
        elif how == "deep-array":
            data += f"deep = {deep('array')}\n".encode()
        elif how == "deep-table":
            data += f"deep = {deep('table')}\n".encode()
        elif how == "deep-header":
            data += ("[" + ".".join(["t"] * 500) + "]\nx = 1\n").encode()
        else:  # a field's value nested 500 deep
            key = draw(st.sampled_from(sorted(doc) or ["name"]))
            lines = [ln for ln in text.splitlines() if not ln.startswith(_toml_str(key) + " =")]
            data = ("\n".join(lines) + f"\n{_toml_str(key)} = {deep('array')}\n").encode()
    model_names = _model_field_names(kind)
    return FileCase(kind, stem, steps, data, field_level, names | model_names)


@st.composite
def text_files(draw, kind: str) -> FileCase:
    """A built-in file with only its free text (names, vendors, sources) replaced: valid."""
    stem, base = draw(st.sampled_from(BASES[kind]))
    doc = copy.deepcopy(base)
    targets = [p for p in _paths(doc)
               if p[-1] in ("name", "vendor", "assumptions", "notes", "supports")]
    steps = []
    for path in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True)):
        value = draw(st.one_of(st.sampled_from(MARKUP_TEXTS + CONTROL_TEXTS + UNICODE_TEXTS),
                               st.text(st.characters(exclude_categories=("Cs",)), min_size=1,
                                       max_size=20).filter(_no_nan_inf)))
        _get(doc, path[:-1])[path[-1]] = value
        steps.append(f"{_dotted(path)} = {_short(value)}")
    return FileCase(kind, stem, steps, toml_dumps(doc).encode("utf-8"), True,
                    _keys(base) | _model_field_names(kind), text_only=True)


def _model_field_names(kind: str) -> set[str]:
    from rackplan.economics.market import Market
    from rackplan.facility.profiles import Cooling, HardwareProfile, Source
    from rackplan.facility.site import CoolingPlant, PowerChain, Site

    models = {"site": (Site, CoolingPlant, PowerChain), "market": (Market, Source),
              "profile": (HardwareProfile, Cooling, Source)}[kind]
    return {name for m in models for name in m.model_fields}


# --- valid inputs at their extremes -------------------------------------------------------------
# Most damaged inputs are refused; these stay well-formed (right type, right unit) and push the
# numbers to the ends of what the models accept, so that runs reach the physics and the
# economics, where a division by a tiny number or an overflow turns into NaN or inf.

#: Factors on a valid value: zero, subnormal, tiny, around 1, huge, overflowing, negative.
FACTORS = [1.0, 0.5, 2.0, 10.0, 0.999999, 1.000001, 1e-3, 1e3, 1e-9, 1e6, 1e12, 0.0,
           5e-324, 1e-300, 1e100, 1e300, -1.0]
#: Shares and rates: their bounds and just inside them.
SHARES = [0.5, 0.01, 0.99, 1.0, 0.0, 1e-9, 0.999999, 1.0 - 1e-16, 1e-300, 5e-324, -0.5,
          -0.99, 1.5]
#: Counts and other integers.
COUNTS = [1, 2, 3, 10**3, 10**6, 0, 10**9, 2**31, 2**53, 10**18]

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _fmt(x: float) -> str:
    return repr(float(x))


#: Every valid choice of the fields that take a word, so that valid runs try each plant,
#: redundancy, coolant and cooling method.
CHOICES = {
    "type": ["dry_cooler", "cooling_tower", "chiller", "immersion", "air_fans"],
    "redundancy": ["N", "N+1", "2N"],
    "coolant": ["water", "PG25", "EG60", "pg1", " Water "],
    "method": ["air", "direct_liquid", "immersion", "hydro", "rear_door"],
}


def extreme_values(old: Any, name: str = "") -> st.SearchStrategy[Any]:
    """``old``, a valid value, scaled to an extreme but kept well-formed (a word field: any of
    its valid choices)."""
    if name.split(".")[-1] in CHOICES and isinstance(old, str):
        return st.sampled_from(CHOICES[name.split(".")[-1]])
    if isinstance(old, dt.date):
        return st.sampled_from(DATES)
    if isinstance(old, bool):
        return st.just(old)
    if isinstance(old, int):
        return st.sampled_from(COUNTS)
    if isinstance(old, float):
        if 0.0 <= old <= 1.0:
            return st.one_of(st.sampled_from(SHARES), st.sampled_from(FACTORS).map(
                lambda f: old * f))
        return st.sampled_from(FACTORS).map(lambda f: old * f)
    if isinstance(old, str):
        m = _QUANTITY.match(old)
        if m:
            number, unit = float(m.group(1).replace("_", "")), m.group(2)
            if unit == "%":
                return st.sampled_from(SHARES).map(lambda x: f"{_fmt(100 * x)} %")
            return st.sampled_from(FACTORS).map(lambda f: f"{_fmt(number * f)} {unit}".strip())
    return st.just(old)


def _numeric_paths(doc: dict) -> list[tuple]:
    out = []
    for path in _paths(doc):
        if path[0] == "sources":
            continue
        value = _get(doc, path)
        if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
            out.append(path)
        elif isinstance(value, str) and str(path[-1]) in CHOICES:
            out.append(path)
        elif isinstance(value, str) and _QUANTITY.match(value):
            out.append(path)
    return out


@st.composite
def extreme_files(draw, kind: str, stems: list[str] | None = None) -> FileCase:
    """A built-in file (one of ``stems``) with one to four numbers at an extreme, units kept."""
    choices = [b for b in BASES[kind] if stems is None or b[0] in stems]
    stem, base = draw(st.sampled_from(choices))
    doc = copy.deepcopy(base)
    steps = []
    paths = _numeric_paths(doc)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True)):
        value = draw(extreme_values(_get(doc, path), _dotted(path)))
        _get(doc, path[:-1])[path[-1]] = value
        steps.append(f"{_dotted(path)} = {_short(value)}")
    return FileCase(kind, stem, steps, toml_dumps(doc).encode("utf-8"), True,
                    _keys(base) | _model_field_names(kind))


def extreme_set_args(names: list[str]) -> st.SearchStrategy[list[str]]:
    """``--set NAME=VALUE`` with the field's valid value scaled to an extreme."""
    known = [n for n in names if n in BASE_VALUES or n.split(".")[-1] in BASE_VALUES]

    def one(name):
        old = BASE_VALUES.get(name, BASE_VALUES.get(name.split(".")[-1]))
        return extreme_values(old, name).map(lambda v: ["--set", f"{name}={cli_text(v)}"])

    return st.sampled_from(known).flatmap(one)


@functools.lru_cache(maxsize=1)
def _grid_bases() -> dict[str, tuple[float, str]]:
    from rackplan.studies.grid import make_grid

    inputs = make_grid(vary={}).inputs
    return {k: (v["value"], v["unit"]) for k, v in inputs.items() if math.isfinite(v["value"])}


@st.composite
def extreme_vary_args(draw, flag: str = "--vary") -> list[str]:
    """An axis around the input's base value, its ends scaled to extremes: at most 4 points."""
    bases = _grid_bases()
    name = draw(st.sampled_from(sorted(bases)))
    value, _ = bases[name]
    value = value or 1.0
    a, b = (value * draw(st.sampled_from(FACTORS)) for _ in range(2))
    if draw(st.booleans()):
        spec = f"{_fmt(a)}:{_fmt(b)}:{draw(st.sampled_from([2, 3, 4]))}"
    else:
        spec = ",".join(_fmt(value * f) for f in draw(
            st.lists(st.sampled_from(FACTORS), min_size=1, max_size=4)))
    return [flag, f"{name}={spec}"]


# --- command lines --------------------------------------------------------------------------------

def site_set_names() -> list[str]:
    from rackplan.facility.site import CoolingPlant, PowerChain, Site

    names = [n for n in Site.model_fields if n != "id"]
    names += [f"cooling_plant.{n}" for n in CoolingPlant.model_fields]
    names += [f"power_chain.{n}" for n in PowerChain.model_fields]
    return names


def market_set_names() -> list[str]:
    from rackplan.economics.market import Market

    names = [n for n in Market.model_fields if n not in ("id", "sources")]
    names += [f"gpu_hour_price.{g}" for g in GPU_IDS[:2]] + ["gpu_system_price.dgx-h100"]
    return names


def _base_values() -> dict[str, Any]:
    """Every field's valid value in the built-in files, by (dotted) name."""
    out: dict[str, Any] = {}
    for kind in ("site", "market"):
        for _, doc in BASES[kind]:
            for path in _paths(doc):
                value = _get(doc, path)
                if not isinstance(value, (dict, list)):
                    out.setdefault(_dotted(path), value)
                    out.setdefault(str(path[-1]), value)
    return out


#: Valid values of the optional fields no built-in file sets.
OPTIONAL_VALUES = {
    "pue": 1.25, "floor_load_limit": "1200 kg/m^2", "heat_rejection_capacity": "20 MW",
    "aisle_factor": 2.0, "cooling_plant.liquid_overhead": 0.06,
    "cooling_plant.air_overhead": 0.25, "network_hashrate": "1.1 ZH/s",
    "white_space": "4645 m^2", "coolant": "PG25", "cooling_plant.type": "chiller",
    "redundancy": "N+1",
}
BASE_VALUES = {**OPTIONAL_VALUES, **_base_values()}


def cli_text(v: Any) -> str:
    """How a user would type ``v`` after ``--set NAME=``: strings raw, the rest as TOML."""
    return v if isinstance(v, str) else toml_value(v)


def cli_values(name: str = "") -> st.SearchStrategy[str]:
    """Values for ``--set NAME=`` or a flag: valid ones, extremes, garbage, TOML oddities."""
    old = BASE_VALUES.get(name, BASE_VALUES.get(name.split(".")[-1], "1 W"))
    return st.one_of(
        st.just(cli_text(old)),
        safe_values_for(old).map(cli_text),
        st.sampled_from(['"18 MW"', "'18 MW'", "[1, 2]", "{a = 1}", "true", "1979-05-27",
                         "nan", "inf", "-inf", "=", "a=b", '"', "'", "[", "{", "", " ", "#",
                         "1 # x", '"\\u001b[31m"']),
        st.sampled_from([deep("array"), deep("table")]),
    )


def set_args(names: list[str]) -> st.SearchStrategy[list[str]]:
    """One ``--set NAME=VALUE`` (as two argv items), or a malformed one."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(names).flatmap(_misspell),
                     st.sampled_from(["", "id", "=", "a.b.c", "é", "\x1b[31m", "x" * 500,
                                      "cooling_plant", "power_chain.x", "sources"]))
    good = name.flatmap(lambda n: cli_values(n).map(lambda v: ["--set", f"{n}={v}"]))
    bad = st.sampled_from([["--set", "utility_power"], ["--set", "=1"], ["--set", ""],
                           ["--set", "==="], ["--set"]])
    return st.one_of(good, extreme_set_args(names), good, bad)


FORMATS = ["json", "table", "csv"]


def formats() -> st.SearchStrategy[str]:
    return st.sampled_from(FORMATS)


def flag_numbers() -> st.SearchStrategy[str]:
    """Values for numeric flags: numbers, extremes, units, garbage."""
    return st.one_of(st.sampled_from(NUMBER_TEXTS), st.sampled_from(NAN_INF_TEXTS),
                     quantity_texts(), st.sampled_from(GARBAGE_QUANTITIES),
                     st.sampled_from(["abc", "", " ", "--", "1,5", "0x10", "1/2", "½", "١"]))


def sweep_names() -> list[str]:
    from rackplan.economics.compare import user_units
    from rackplan.kernels import engine

    return sorted(set(engine.PARAMS) | set(user_units()))


SPEC_NUMBERS = ["-1", "0", "0.5", "1", "2", "3", "100", "50000", "1e308", "-1e308", "5e-324",
                "1e400", "nan", "inf", "1 W", "40 USD/MWh", "abc"]


def grid_specs() -> st.SearchStrategy[str]:
    """Tiny axes: ``a:b:n`` with n at most 5, lists of at most 4 values, and broken specs."""
    num = st.sampled_from(SPEC_NUMBERS)
    rng = st.builds(lambda a, b, n: f"{a}:{b}:{n}", num, num,
                    st.sampled_from(["1", "2", "3", "5", "0", "-1", "2.5", "nan", "1e400",
                                     "abc", ""]))
    lst = st.lists(num, min_size=1, max_size=4).map(",".join)
    bad = st.sampled_from(["", ":", "::", "1:2", "1:2:3:4", ",", ",,", "1,,2", " ", "a:b:c",
                           "1:2:" + deep("array")])
    return st.one_of(rng, lst, bad)


def vary_args(flag: str = "--vary") -> st.SearchStrategy[list[str]]:
    names = sweep_names()
    name = st.one_of(st.sampled_from(names), st.sampled_from(names).flatmap(_misspell),
                     st.sampled_from(["", "pue", "x" * 300, "\x1b[1m"]))
    one = st.builds(lambda n, s: [flag, f"{n}={s}"], name, grid_specs())
    return st.one_of(one, extreme_vary_args(flag), extreme_vary_args(flag),
                     st.sampled_from([[flag, "btc_price"], [flag, "=1:2:3"], [flag, ""]]))


# --- running the CLI ------------------------------------------------------------------------------

@dataclass
class Run:
    argv: list[str]
    code: Any
    out: str
    err: str
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


_DEFAULT_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run_cli(argv: list[str]) -> Run:
    """``rackplan ARGV`` in-process, as ``main`` runs it: exit code, stdout, stderr, and any
    exception or Python warning that escapes (each would print more lines in a shell)."""
    from rackplan.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.pop(k) for k in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
             if k in os.environ}
    error = None
    code: Any = None
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            try:
                code = main(list(argv))
            except Exception as exc:  # noqa: BLE001 - reported by check()
                error = exc
    finally:
        os.environ.update(saved)
    shown = [f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
             for w in caught if not issubclass(w.category, _DEFAULT_HIDDEN)]
    return Run(list(argv), code, out.getvalue(), err.getvalue(), error, shown)


def where(exc: BaseException) -> str:
    """``file:line in function`` of the innermost rackplan frame of a traceback, and the last."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/rackplan/" in f.filename.replace("\\", "/")]
    parts = []
    if ours:
        f = ours[-1]
        parts.append(f"{f.filename.split('/src/')[-1]}:{f.lineno} in {f.name}")
    if frames and (not ours or frames[-1] is not ours[-1]):
        f = frames[-1]
        parts.append(f"raised at {f.filename.split('site-packages/')[-1]}:{f.lineno} in {f.name}")
    return "; ".join(parts) or "?"


def _argv_text(argv: list[str]) -> str:
    return "rackplan " + " ".join(_short(a, 90) if len(a) > 90 or not a.isprintable() or " " in a
                                  else a for a in argv)


#: ``RACKPLAN_FUZZ_LOG=failures.jsonl``: a campaign records every failure there and goes on
#: (the example is rejected, not failed), so one run collects every kind of failure instead of
#: stopping at the first; ``python tests/fuzz_strategies.py failures.jsonl`` sums them up.
FUZZ_LOG = os.environ.get("RACKPLAN_FUZZ_LOG")
#: settings for a recording campaign: rejected examples must not trip a health check.
RECORDING = {"suppress_health_check": list(HealthCheck)} if FUZZ_LOG else {}


def _record(run: Run, why: str, context: str) -> None:
    entry = {"why": why, "argv": run.argv, "code": run.code if isinstance(run.code, int)
             else repr(run.code), "err": run.err[:2000], "out": run.out[:300],
             "context": context[:3000], "warnings": run.warnings[:3]}
    if run.error is not None:
        entry["exception"] = f"{type(run.error).__name__}: {str(run.error)[:300]}"
        entry["where"] = where(run.error)
    with open(FUZZ_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


#: ``RACKPLAN_FUZZ_IGNORE=REGEX``, with a log: failures whose reason or stderr match are
#: known ones, not recorded (a campaign then looks past them for new kinds).
FUZZ_IGNORE = os.environ.get("RACKPLAN_FUZZ_IGNORE")


def _fail(run: Run, why: str, context: str = "") -> None:
    if FUZZ_LOG:
        if not (FUZZ_IGNORE and re.search(FUZZ_IGNORE, f"{why}\n{run.err}")):
            _record(run, why, context)
        from hypothesis import reject
        from hypothesis.control import currently_in_test_context

        if currently_in_test_context():
            reject()
    lines = [why, f"command: {_argv_text(run.argv)}", f"exit code: {run.code!r}"]
    if run.error is not None:
        lines.append(f"exception: {type(run.error).__name__}: {_short(str(run.error), 200)}")
        lines.append(f"where: {where(run.error)}")
    if run.err:
        lines.append(f"stderr: {_short(run.err, 600)}")
    if run.out:
        lines.append(f"stdout: {_short(run.out, 300)}")
    if run.warnings:
        lines.append(f"warnings: {run.warnings[:3]}")
    if context:
        lines.append(context)
    raise AssertionError("\n".join(lines))


def _nonfinite(value: Any, path: str = "$") -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _nonfinite(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nonfinite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _forms(name: str) -> set[str]:
    """``name`` as an error line may show it: raw, repr-escaped, controls escaped."""
    controls = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return {name, repr(name)[1:-1], controls, name.encode("unicode_escape").decode("ascii")}


def _mentions(line: str, names: Iterable[str]) -> bool:
    for name in names:
        if not name:
            if "''" in line or '""' in line:  # an empty key, quoted
                return True
            continue
        if name[0] in "-/" and name in line:  # a flag or a path
            return True
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", line):
            return True
        if not name.isidentifier() or len(name) > 40:
            # escaped as the line shows control characters, and maybe cut ("…")
            if any(f[:40] in line for f in _forms(name)):
                return True
    return False


def said(argv: list[str]) -> set[str]:
    """What an error line about ``argv`` may name: a flag (``--years``, or ``years``), a word
    of the command line (a stray argument, a file), or the input named by a ``--vary``,
    ``--x`` or ``--y`` value. Not the field of a ``--set``: that line names ``--set``."""
    names: set[str] = set()
    for i, a in enumerate(argv):
        if a.startswith("--") and len(a) > 2:
            flag = a.split("=", 1)[0]
            names |= {flag, flag[2:], flag[2:].replace("-", "_")}
            if flag in ("--vary", "--x", "--y") and i + 1 < len(argv):
                names.add(argv[i + 1].split("=", 1)[0].strip())
        elif "=" not in a:
            names.add(a)
    return names


def check(run: Run, *, fmt: str | None = None, sources: Iterable[str] = (),
          fields: Iterable[str] = (), tmp: str | Path | None = None, context: str = "") -> None:
    """Assert the contract (module docstring) for one run.

    ``sources``: the error line must name one of these (file paths, flags, flag names);
    ``fields``: ... and, when given, one of these as the field; ``tmp``: a folder whose path is
    not counted in the line's length.
    """
    _event(run)
    if run.error is not None:
        _fail(run, "an exception escaped main() (a traceback for the user)", context)
    if run.code not in (0, 2):
        _fail(_debugged(run), "exit code is neither 0 nor 2", context)
    if fmt is None:
        fmt = "table"
        for i, a in enumerate(run.argv):
            if a == "--format" and i + 1 < len(run.argv):
                fmt = run.argv[i + 1]
            elif a.startswith("--format="):
                fmt = a.split("=", 1)[1]
    if "Traceback" in run.err:
        _fail(run, "a traceback on stderr", context)
    if run.code == 2:
        lines = run.err.split("\n")
        if not run.err.endswith("\n") or len(lines) != 2 or not lines[0].strip():
            _fail(run, f"stderr is not exactly one line ({run.err.count(chr(10))} newlines)",
                  context)
        line = lines[0]
        if not line.startswith("rackplan: error: "):
            _fail(run, "the error line does not start with 'rackplan: error: '", context)
        _check_line(run, line, sources, fields, tmp, context)
        if run.out.strip():
            _fail(run, "exit 2, but data on stdout", context)
        if run.warnings:
            _fail(run, "a Python warning escapes before the error line", context)
        return
    # exit 0: stderr holds rackplan's own lines only (warnings, "wrote FILE")
    if "--progress" not in run.argv:
        if _bad_chars(run.err.replace("\t", "")):
            _fail(run, f"control characters on stderr: {_bad_chars(run.err)!r}", context)
        stray = [ln for ln in run.err.splitlines()
                 if ln.strip() and not ln.startswith("rackplan: ")]
        if stray:
            _fail(run, f"a stray line on stderr: {stray[0][:100]!r}", context)
    if run.warnings:
        _fail(run, "a Python warning escapes (printed on stderr in a shell)", context)
    _check_output(run, fmt, context)


def _debugged(run: Run) -> Run:
    """``run`` with the exception behind an internal error, from a re-run with ``--debug``."""
    if run.error is None and run.argv and run.argv[0] != "--debug":
        again = run_cli(["--debug", *run.argv])
        if again.error is not None:
            run.error = again.error
    return run


def _event(run: Run) -> None:
    """``pytest --hypothesis-show-statistics`` counts the exit codes: how many examples
    reached a result (and its output checks) and how many were refused."""
    from hypothesis import event
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        event(f"exit {run.code}" if run.error is None else "exception")


def _check_line(run: Run, line: str, sources, fields, tmp, context) -> None:
    bad = _bad_chars(line)
    if bad:
        _fail(run, f"control characters in the error line: {bad!r}", context)
    shown = line  # file paths not counted: a path is shown whole, however long
    for s in sorted({str(s) for s in sources if str(s).startswith("/")}, key=len, reverse=True):
        shown = shown.replace(s, "")
    if tmp is not None:
        shown = shown.replace(str(tmp).rstrip("/") + "/", "")
    if len(shown) > MAX_LINE:
        _fail(run, f"the error line is {len(shown):,} characters (at most {MAX_LINE})", context)
    sources = [str(s) for s in sources]
    if sources and not _mentions(line, sources):
        _fail(run, f"the error line names none of {sorted(sources)[:8]}", context)
    fields = [str(f) for f in fields]
    # The field is asked of a line that names a file (a line about a flag names the flag).
    paths = [s for s in sources if s.startswith("/")]
    if paths and not any(p in line for p in paths):
        fields = []
    if fields and not _mentions(line, fields):
        _fail(run, "the error line names no field", context)


_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_chars(text: str) -> str:
    """Characters a terminal acts on: C0/C1 controls (ESC, NUL, CR, CSI ...), bidi overrides."""
    import unicodedata

    return "".join(sorted({c for c in text if c != "\n" and (
        unicodedata.category(c) == "Cc" or c in _BIDI)}))


def _check_output(run: Run, fmt: str, context: str) -> None:
    if fmt == "json":
        if not run.out.strip():
            return
        def refuse(name):
            raise ValueError(f"{name} in the JSON")
        try:
            data = json.loads(run.out, parse_constant=refuse)
        except ValueError as exc:
            _fail(run, f"stdout is not strict JSON: {exc}", context)
        bad = _nonfinite(data)
        if bad:
            _fail(run, f"a non-finite number in the JSON at {bad}", context)
    else:
        if "\x1b" in run.out or "\x9b" in run.out:
            _fail(run, f"an escape byte in the {fmt} output", context)
        m = NAN_INF.search(run.out)
        if m:
            start = max(0, m.start() - 60)
            _fail(run, f"{m.group(0)!r} in the {fmt} output: ...{run.out[start:m.end() + 20]!r}",
                  context)


def _summary(log: str) -> None:
    """Failure kinds of a recorded campaign, with the shortest example of each."""
    kinds: dict[tuple, list[dict]] = {}
    with open(log, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            why = re.sub(r"[\d,]+ (characters|newlines)", r"N \1", e["why"])
            why = re.sub(r"names none of .*", "names none of the sources", why)
            why = re.sub(r"'[^']*' in the (table|csv) output.*", r"nan/inf in the \1 output", why)
            shape = re.sub(r"/\S+\.toml", "FILE", e["err"].removeprefix("rackplan: error: "))
            shape = re.sub(r"'[^']*'|\"[^\"]*\"", "Q", shape)
            shape = re.sub(r"[\d.,e+-]+", "N", shape)[:40] if e["code"] == 2 else ""
            key = (why, e.get("where", "").split(";")[0], e.get("exception", "").split(":")[0],
                   shape)
            kinds.setdefault(key, []).append(e)
    for (why, place, exc, shape), items in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        best = min(items, key=lambda e: len(" ".join(e["argv"])) + len(e["context"]))
        print(f"== {len(items)} x {why} {exc} {place} [{shape}]")
        print("   command:", _argv_text(best["argv"]))
        print("   stderr:", _short(best["err"], 300))
        if best["context"]:
            print("   ", _short(best["context"], 600))


if __name__ == "__main__":
    import sys

    _summary(sys.argv[1])
