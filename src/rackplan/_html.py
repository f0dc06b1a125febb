"""Small HTML tables with a unit beside every number: the ``_repr_html_`` of the result objects
(a notebook shows them as tables) and the tables of :func:`rackplan.report`.

The ground floor: it imports nothing of rackplan but :mod:`rackplan.units`, so the results of
every wing can use it and the arrows keep pointing down. Every string that reaches the page goes
through :func:`html.escape` here (a site or profile name is user text, never markup).
"""

from __future__ import annotations

import math
import numbers
from html import escape
from typing import Any, Iterable, Sequence

__all__ = ["number_text", "value_and_unit", "table", "rows_table", "warnings_list", "text"]

#: The unit shown beside a count (units, racks, hours) and beside a bare ratio.
COUNT_UNIT = "count"
RATIO_UNIT = "1"
#: How a figure that is not a finite number is shown (its reason is among the warnings).
MISSING = "n/a"


def text(value: Any) -> str:
    """``value`` as escaped HTML text (quotes too: it may land in an attribute)."""
    return escape(str(value), quote=True)


def number_text(x: Any) -> str:
    """A number for people: thousands separators, about four significant digits; ``n/a``
    for anything that is not a finite number. The command line's tables use it too
    (:func:`rackplan.cli.output.format_number`)."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return f"{int(x):,}"
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return MISSING
    if isinstance(x, bool) or not math.isfinite(f):
        return MISSING
    ax = abs(f)
    if ax == 0:
        return "0"
    if ax >= 1e9 or ax < 1e-3:
        return f"{f:.4g}"
    if ax >= 1000:
        return f"{f:,.0f}"
    return f"{f:.4g}"


def _unit_text(units: Any) -> str:
    from rackplan.units import format_unit

    unit = format_unit(units).replace("**", "^")
    if unit.endswith("/a"):  # pint's annum: a year to a reader
        unit = unit[:-2] + "/year"
    # the spellings a CFO reads without a pint manual
    return {"percent": "%", "%/a": "%/year", "a": "year", "h": "hour", "MUSD": "M USD",
            "USD/h": "USD/hour"}.get(unit, unit)


#: Units models hold in SI that people read with a prefix (18 MW, not 18,000,000 W).
_COMPACT = ("W", "hash/s", "H/s", "J", "Wh")


def _for_people(q):
    from rackplan.units import format_unit

    if format_unit(q.units) in _COMPACT and getattr(q.magnitude, "ndim", 0) == 0:
        try:
            return q.to_compact()
        except Exception:  # pragma: no cover - a magnitude to_compact cannot scale (0, NaN)
            return q
    return q


def value_and_unit(value: Any) -> tuple[str, str]:
    """``(value text, unit text)`` of a quantity, a count, a ratio, a string or ``None``:
    a quantity in its own unit (``"13.49", "MW"``), a count with ``count``, a bare float with
    ``1`` (a ratio), a string as itself with no unit, ``None`` as ``n/a``. Not escaped."""
    from rackplan.units import Quantity

    if isinstance(value, Quantity):
        value = _for_people(value)
        magnitude = value.magnitude
        if getattr(magnitude, "ndim", 0):
            return ", ".join(number_text(v) for v in magnitude.ravel()), _unit_text(value.units)
        return number_text(magnitude), _unit_text(value.units)
    if value is None:
        return MISSING, ""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, numbers.Integral):
        return number_text(value), COUNT_UNIT
    if isinstance(value, numbers.Real):
        return number_text(value), RATIO_UNIT
    if isinstance(value, (list, tuple)):
        return ", ".join(value_and_unit(v)[0] for v in value), ""
    return str(value), ""


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str = "",
          numeric_from: int = 1, css_class: str = "rackplan") -> str:
    """An HTML table: ``header`` cells, then ``rows`` of cells (each escaped; columns from
    ``numeric_from`` on are right-aligned numbers, except the last when it is the unit)."""
    out = [f'<table class="{text(css_class)}">']
    if caption:
        out.append(f"<caption>{text(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{text(h)}</th>" for h in header)
               + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for k, cell in enumerate(row):
            numeric = (numeric_from <= k < len(row) - (1 if header[-1] == "unit" else 0)
                       and _looks_numeric(str(cell)))
            cells.append(f'<td class="num">{text(cell)}</td>' if numeric
                         else f"<td>{text(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _looks_numeric(cell: str) -> bool:
    # numbers align right; a word in a number column (a constraint's name) stays left
    return cell == MISSING or cell[:1].isdigit() or cell[:2].lstrip("-+")[:1].isdigit()


def rows_table(items: Iterable[tuple[str, Any]], *, caption: str = "") -> str:
    """A ``quantity | value | unit`` table of ``(label, value)`` pairs (:func:`value_and_unit`)."""
    rows = [(label, *value_and_unit(value)) for label, value in items]
    return table(("quantity", "value", "unit"), rows, caption=caption)


def warnings_list(warnings: Iterable[str], *, title: str = "Warnings") -> str:
    """The findings as an escaped list (nothing when there are none)."""
    items = [f"<li>{text(w)}</li>" for w in warnings]
    if not items:
        return ""
    return f'<p class="rackplan-warnings">{text(title)}:</p><ul>' + "".join(items) + "</ul>"
