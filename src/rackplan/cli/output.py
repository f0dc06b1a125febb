"""Printing results as a table, JSON or CSV. No physics here: values arrive computed.

A result is a nested ``dict``: keys are field names, values are pint quantities, counts
(``int``), strings, lists of strings, or further dicts (sections). JSON writes every quantity as
``{"value": <float>, "unit": "<unit>"}``; the table shows the unit beside every number; CSV has
one row per value: ``section,field,value,unit``.

Two rules hold for every printer here, whatever the result:

- No NaN or infinity is ever printed. A figure that is not a finite number (an undefined IRR, a
  value that overflowed) is ``null`` in JSON, an empty cell in CSV and ``n/a`` in a table;
  :func:`emit` warns on stderr when such a value reaches it unexplained.
- User text is text. Names from site and profile files reach rich only as
  :class:`rich.text.Text` (never parsed as markup: ``"Site [phase 2]"`` prints as written), and
  control characters (ESC, C0/C1, bidirectional overrides) are shown as escapes (``\\x1b``)
  instead of being sent to the terminal (:func:`plain`).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import numbers
import re
import sys
from typing import Any, Iterator, Mapping

FORMATS = ("table", "json", "csv")

# C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidirectional
# overrides: none of them is ever meant to reach a terminal from a name in a file.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                      "\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match) -> str:
    # the escapes Python writes (as rackplan.errors does): \x1b, \n, \u202e
    return match.group().encode("unicode_escape").decode("ascii")


def plain(text: Any) -> str:
    """``text`` safe for a terminal: control characters as escapes (ESC as ``\\x1b``, a newline
    as ``\\n``), a tab as a space. Printable text, markup brackets included, is unchanged."""
    return _CONTROL.sub(_escape_char, str(text).replace("\t", " "))


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_text(text: Any, style: str = "", lines: bool = False):
    """A :class:`rich.text.Text` of user text: printed as written, never read as markup.
    ``lines``: ``text`` is several lines of rackplan's own (their newlines are kept)."""
    from rich.text import Text

    if lines:
        return Text("\n".join(plain(line) for line in str(text).split("\n")), style=style)
    return Text(plain(text), style=style)


# --- numbers ----------------------------------------------------------------------------------


def finite(x: Any) -> float | None:
    """``float(x)``, or ``None`` when ``x`` is not a finite number (NaN, infinity, None)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _clean(mag: Any, bad: list[str] | None = None, where: str = "") -> Any:
    """A magnitude (number, list or array of numbers) for JSON: non-finite values become
    ``None`` (their place is noted in ``bad``)."""
    if hasattr(mag, "tolist") and not isinstance(mag, (str, bytes)):
        mag = mag.tolist()
    if isinstance(mag, (list, tuple)):
        return [_clean(m, bad, where) for m in mag]
    if isinstance(mag, bool) or mag is None:
        return mag
    if isinstance(mag, numbers.Integral):
        return int(mag)
    f = finite(mag)
    if f is None and bad is not None:
        bad.append(where)
    return f


def jsonable(value: Any, bad: list[str] | None = None, where: str = "") -> Any:
    """The JSON form of a result value: quantities become ``{"value", "unit"}``, NaN and
    infinity (plain, in quantities, in lists or arrays) become ``None``, dates ISO strings.
    ``bad`` collects the places of the non-finite values."""
    from rackplan.units import Quantity, format_unit

    if isinstance(value, Quantity):
        return {"value": _clean(value.magnitude, bad, where), "unit": format_unit(value.units)}
    if isinstance(value, dict):
        return {str(k): jsonable(v, bad, f"{where}.{k}" if where else str(k))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, bad, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Number) or hasattr(value, "tolist"):
        return _clean(value, bad, where)
    return str(value)


def format_number(x: Any) -> str:
    """A number for people: thousands separators, about four significant digits (3.125,
    14.77, 1.209, 0.0004077); ``n/a`` for anything that is not a finite number. The report's
    rule too (:func:`rackplan._html.number_text`, on the ground floor)."""
    from rackplan._html import number_text

    return number_text(x)


def _csv_number(x: Any) -> str:
    """A number for CSV: ``repr`` of the float (full precision), empty when not finite."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return str(int(x))
    f = finite(x)
    return "" if f is None else repr(f)


def _magnitudes(mag: Any) -> list[Any] | None:
    """The values of an array or list magnitude, ``None`` for a scalar."""
    if hasattr(mag, "tolist") and getattr(mag, "ndim", 0) != 0:
        mag = mag.tolist()
    if isinstance(mag, (list, tuple)):
        out: list[Any] = []
        for m in mag:
            inner = _magnitudes(m)
            out.extend([m] if inner is None else inner)
        return out
    return None


def is_finite_value(value: Any) -> bool:
    """False if ``value`` (a number, quantity, list or array) holds a NaN or an infinity."""
    bad: list[str] = []
    jsonable(value, bad)
    return not bad


_PRETTY = (("delta_degC", "K"), ("degC", "°C"), ("degF", "°F"), ("**2", "²"), ("**3", "³"))


def pretty_unit(unit: str) -> str:
    """A unit for the eye (``m³/s``, ``°C``); JSON and CSV keep the parseable ASCII form."""
    for ascii_form, shown in _PRETTY:
        unit = unit.replace(ascii_form, shown)
    return unit


def value_and_unit(value: Any) -> tuple[str, str]:
    """``("14,400", "kW")`` for a quantity, ``("101", "")`` for a count, ``("n/a", unit)`` for
    a figure that is not a finite number. Text is returned as given (see :func:`plain`)."""
    from rackplan.units import Quantity, format_unit

    if isinstance(value, Quantity):
        unit = pretty_unit(format_unit(value.units))
        many = _magnitudes(value.magnitude)
        if many is not None:
            return "; ".join(format_number(m) for m in many) or "none", unit
        return format_number(value.magnitude), unit
    if value is None:
        return "n/a", ""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, numbers.Number):
        return format_number(value), ""
    if hasattr(value, "tolist"):
        many = _magnitudes(value)
        return ("; ".join(format_number(m) for m in many) if many is not None
                else format_number(value)), ""
    if isinstance(value, (list, tuple)):
        return "; ".join(value_and_unit(v)[0] for v in value) or "none", ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat(), ""
    return str(value), ""


def _rows(data: dict[str, Any], section: str = "") -> Iterator[tuple[str, str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _rows(value, f"{section}.{key}" if section else key)
        else:
            yield section, key, value


# --- printers ---------------------------------------------------------------------------------


def print_json(data: Any, file=None) -> list[str]:
    """``data`` as indented JSON (no NaN or infinity: they are ``null``); returns the places of
    the values that were not finite numbers."""
    bad: list[str] = []
    out = file or sys.stdout
    # ensure_ascii (the default): control characters in names are written as \\u escapes.
    json.dump(jsonable(data, bad), out, indent=2, allow_nan=False)
    out.write("\n")
    return bad


def print_csv(data: dict[str, Any], file=None) -> list[str]:
    """One ``section,field,value,unit`` row per value; a value that is not a finite number is
    an empty cell. Returns the places of those values."""
    from rackplan.units import Quantity, format_unit

    bad: list[str] = []
    writer = csv.writer(file or sys.stdout, lineterminator="\n")
    writer.writerow(["section", "field", "value", "unit"])
    for section, key, value in _rows(data):
        where = f"{section}.{key}" if section else key
        if not is_finite_value(value):
            bad.append(where)
        if isinstance(value, Quantity):
            many = _magnitudes(value.magnitude)
            shown = ("; ".join(_csv_number(m) for m in many) if many is not None
                     else _csv_number(value.magnitude))
            writer.writerow([plain(section), plain(key), shown, format_unit(value.units)])
        elif value is None:
            writer.writerow([plain(section), plain(key), "", ""])
        elif isinstance(value, bool):
            writer.writerow([plain(section), plain(key), str(value), ""])
        elif isinstance(value, numbers.Number):
            writer.writerow([plain(section), plain(key), _csv_number(value), ""])
        elif isinstance(value, (list, tuple)):
            writer.writerow([plain(section), plain(key),
                             "; ".join(plain(value_and_unit(v)[0]) for v in value), ""])
        else:
            writer.writerow([plain(section), plain(key), plain(value_and_unit(value)[0]), ""])
    return bad


def console(stderr: bool = False):
    """A rich console on stdout (data) or stderr (messages), wide enough when piped."""
    from rich.console import Console

    file = sys.stderr if stderr else sys.stdout
    isatty = getattr(file, "isatty", None)
    tty = bool(isatty()) if callable(isatty) else False
    return Console(file=file, width=None if tty else 120, highlight=False, emoji=False,
                   markup=False)


def table(title: Any):
    """A rich table with a left-aligned title given as text (never markup)."""
    from rich.table import Table

    return Table(title=as_text(title, "table.title"), title_justify="left")


def print_table(data: dict[str, Any], title: str, file=None,
                labels: Mapping[str, str] | None = None) -> list[str]:
    """One table per section: field (its label in ``labels``, else its name with spaces),
    value, unit. Returns the places of the values that were not finite numbers (shown as
    ``n/a``)."""
    labels = labels or {}
    out = console() if file is None else _console_to(file)
    bad: list[str] = []
    sections: dict[str, list[tuple[str, Any]]] = {}
    for section, key, value in _rows(data):
        sections.setdefault(section, []).append((key, value))
    for section, rows in sections.items():
        t = table(f"{title}: {section}" if section else title)
        t.add_column("quantity")
        t.add_column("value", justify="right")
        t.add_column("unit")
        for key, value in rows:
            if not is_finite_value(value):
                bad.append(f"{section}.{key}" if section else key)
            shown, unit = value_and_unit(value)
            # Text cells: a value such as "[community catalog]" is text, not rich markup.
            label = labels.get(key) or str(key).replace("_", " ")
            t.add_row(as_text(label), as_text(shown), as_text(unit))
        out.print(t)
    return bad


def _console_to(file):
    from rich.console import Console

    return Console(file=file, width=120, highlight=False, emoji=False, markup=False)


def emit(data: dict[str, Any], fmt: str, title: str,
         labels: Mapping[str, str] | None = None) -> None:
    """Print ``data`` in ``fmt`` (``table``, ``json`` or ``csv``) to stdout; ``labels`` name
    the table's rows for people (JSON and CSV keep the field names).

    A value that is not a finite number never reaches the output as NaN or infinity: it is
    ``null``/empty/``n/a``, and one warning on stderr names the fields (the result is expected
    to explain such values itself; this is the safety net)."""
    if fmt == "json":
        bad = print_json(data)
    elif fmt == "csv":
        bad = print_csv(data)
    else:
        bad = print_table(data, title, labels=labels)
    warn_not_finite(bad)


def warn_not_finite(places: list[str]) -> None:
    """One warning naming the fields whose values were not finite numbers."""
    if not places:
        return
    shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
    shown_as = "null/empty/n/a"
    warn(f"{shown}: not a finite number (an input outside the model's range?); "
         f"shown as {shown_as}")


#: Characters of one warning line shown at most.
MAX_LINE = 2000


def warn(message: str) -> None:
    """A warning line on stderr (never mixed into the data on stdout); user text in it is made
    safe for the terminal."""
    print(f"rackplan: warning: {cut(plain(message), MAX_LINE)}", file=sys.stderr)
