"""Printing results as a table, JSON or CSV. No physics here: values arrive computed.

A result is a nested ``dict``: keys are field names, values are pint quantities, counts
(``int``), strings, lists of strings, or further dicts (sections). JSON writes every quantity as
``{"value": <float>, "unit": "<unit>"}``; the table shows the unit beside every number; CSV has
one row per value: ``section,field,value,unit``.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Any, Iterator

FORMATS = ("table", "json", "csv")


def jsonable(value: Any) -> Any:
    """The JSON form of a result value (quantities become ``{"value", "unit"}``)."""
    from rackplan.units import Quantity, format_unit

    if isinstance(value, Quantity):
        mag = value.magnitude
        if hasattr(mag, "tolist"):
            mag = mag.tolist()
        return {"value": _clean(mag), "unit": format_unit(value.units)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _clean(mag: Any) -> Any:
    if isinstance(mag, list):
        return [_clean(m) for m in mag]
    f = float(mag)
    return None if math.isnan(f) else f


def format_number(x: float) -> str:
    """A number for people: thousands separators, about four significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, int):
        return f"{x:,}"
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1e9 or ax < 1e-3:
        return f"{x:.4g}"
    if ax >= 1000:
        return f"{x:,.0f}"
    # Four significant digits, no padding zeros: 3.125, 14.77, 1.209, 0.0004077.
    return f"{x:.4g}"


_PRETTY = (("delta_degC", "K"), ("degC", "°C"), ("degF", "°F"), ("**2", "²"), ("**3", "³"))


def pretty_unit(unit: str) -> str:
    """A unit for the eye (``m³/s``, ``°C``); JSON and CSV keep the parseable ASCII form."""
    for ascii_form, shown in _PRETTY:
        unit = unit.replace(ascii_form, shown)
    return unit


def value_and_unit(value: Any) -> tuple[str, str]:
    """``("14,400", "kW")`` for a quantity, ``("101", "")`` for a count."""
    from rackplan.units import Quantity, format_unit

    if isinstance(value, Quantity):
        return format_number(float(value.magnitude)), pretty_unit(format_unit(value.units))
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, (int, float)):
        return format_number(value), ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or "none", ""
    return str(value), ""


def _rows(data: dict[str, Any], section: str = "") -> Iterator[tuple[str, str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _rows(value, f"{section}.{key}" if section else key)
        else:
            yield section, key, value


def print_json(data: dict[str, Any], file=None) -> None:
    json.dump(jsonable(data), file or sys.stdout, indent=2, allow_nan=False)
    (file or sys.stdout).write("\n")


def print_csv(data: dict[str, Any], file=None) -> None:
    writer = csv.writer(file or sys.stdout, lineterminator="\n")
    writer.writerow(["section", "field", "value", "unit"])
    for section, key, value in _rows(data):
        from rackplan.units import Quantity, format_unit

        if isinstance(value, Quantity):
            writer.writerow([section, key, repr(float(value.magnitude)), format_unit(value.units)])
        elif isinstance(value, (list, tuple)):
            writer.writerow([section, key, "; ".join(map(str, value)), ""])
        else:
            writer.writerow([section, key, value, ""])


def console(stderr: bool = False):
    """A rich console on stdout (data) or stderr (messages), wide enough when piped."""
    from rich.console import Console

    file = sys.stderr if stderr else sys.stdout
    return Console(file=file, width=None if file.isatty() else 120, highlight=False)


def print_table(data: dict[str, Any], title: str, file=None) -> None:
    """One table per section: field, value, unit."""
    from rich.markup import escape
    from rich.table import Table

    out = console() if file is None else _console_to(file)
    sections: dict[str, list[tuple[str, Any]]] = {}
    for section, key, value in _rows(data):
        sections.setdefault(section, []).append((key, value))
    for section, rows in sections.items():
        table = Table(title=f"{title}: {section}" if section else title, title_justify="left")
        table.add_column("quantity")
        table.add_column("value", justify="right")
        table.add_column("unit")
        for key, value in rows:
            shown, unit = value_and_unit(value)
            # escape: a value such as "[community catalog]" is text, not rich markup.
            table.add_row(key.replace("_", " "), escape(shown), unit)
        out.print(table)


def _console_to(file):
    from rich.console import Console

    return Console(file=file, width=120, highlight=False)


def emit(data: dict[str, Any], fmt: str, title: str) -> None:
    """Print ``data`` in ``fmt`` (``table``, ``json`` or ``csv``) to stdout."""
    if fmt == "json":
        print_json(data)
    elif fmt == "csv":
        print_csv(data)
    else:
        print_table(data, title)


def warn(message: str) -> None:
    """A warning line on stderr (never mixed into the data on stdout)."""
    print(f"rackplan: warning: {message}", file=sys.stderr)
