"""Printing the studies' results: the sweep and Monte Carlo summaries and breakeven surfaces,
as tables, JSON or CSV. No computing here: the studies hand over their summaries
(:func:`rackplan.studies.io.sweep_summary`, :func:`rackplan.studies.montecarlo.summary`) and
surfaces (:func:`rackplan.studies.sweep.breakeven_surface`). A value that is not a finite
number is ``null`` in JSON, an empty cell in CSV and ``n/a`` in a table.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Any

import numpy as np

from rackplan.cli.output import console, emit, format_number, value_and_unit
from rackplan.errors import StudyError
from rackplan.studies.io import OPTIONS, _json_array

__all__ = ["print_sweep_summary", "print_montecarlo_summary", "print_surface",
           "check_surface_table", "MAX_TABLE_CELLS"]


def _cell(value) -> tuple[str, str]:
    """A table cell and its unit; money in M USD, as ``compare`` shows it (JSON and CSV keep
    USD)."""
    if value is None:
        return "n/a", ""
    text, unit = value_and_unit(value)
    if unit == "USD":
        return format_number(value.m_as("USD") / 1e6), "M USD"
    return text, unit


def _breakeven_cell(name: str, value) -> tuple[str, str]:
    """A breakeven's cell: ``none`` where the NPVs meet only at a negative price."""
    text, unit = _cell(value)
    if name.startswith("breakeven_") and value is not None and value.magnitude < 0:
        return "none", unit
    return text, unit


def _emit(data: dict[str, Any], fmt: str, title: str) -> None:
    emit(data, fmt, title)


def print_sweep_summary(data: dict[str, Any], fmt: str) -> None:
    """:func:`rackplan.studies.io.sweep_summary` on stdout: JSON and CSV as :func:`rackplan.cli.output.emit`
    (``null``/empty for undefined figures), the table as three compact tables (grid, share of
    the grid each option wins, ranges; ``n/a`` for undefined figures)."""
    if fmt != "table":
        _emit(data, fmt, "sweep")
        return
    from rich.table import Table

    out = console()
    grid = Table(title="sweep: grid", title_justify="left")
    for col, just in (("input", "left"), ("from", "right"), ("to", "right"),
                      ("unit", "left"), ("values", "right")):
        grid.add_column(col, justify=just)
    for name, axis in data["grid"].items():
        if name == "scenarios":
            continue
        lo, unit = _cell(axis["from"])
        hi, unit_hi = _cell(axis["to"])
        grid.add_row(name, lo, hi, unit or unit_hi, f"{axis['values']:,}")
    grid.add_row("scenarios", "", "", "", f"{data['grid']['scenarios']:,}")
    out.print(grid)
    if "share_won" in data:
        won = Table(title="share of the grid where each option has the highest NPV",
                    title_justify="left")
        won.add_column("option")
        won.add_column("share", justify="right")
        won.add_column("unit")
        for option, q in data["share_won"].items():
            won.add_row(option, *_cell(q))
        out.print(won)
    ranges = Table(title="range over the grid", title_justify="left")
    for col, just in (("output", "left"), ("min", "right"), ("mean", "right"),
                      ("max", "right"), ("unit", "left")):
        ranges.add_column(col, justify=just)
    negative = False
    for name, stats in data["range"].items():
        cells = [_breakeven_cell(name, stats[s]) for s in ("min", "mean", "max")]
        negative |= any(c[0] == "none" for c in cells)
        unit = next((c[1] for c in cells if c[1]), "")
        ranges.add_row(name, *(c[0] for c in cells), unit)
    out.print(ranges)
    if negative:
        out.print("none: a breakeven below zero, where the NPVs meet only at a negative price "
                  "(the option behind leads at any price); JSON and CSV keep the crossing.")


def print_montecarlo_summary(data: dict[str, Any], fmt: str) -> None:
    """:func:`rackplan.studies.montecarlo.summary` on stdout: JSON and CSV as
    :func:`rackplan.cli.output.emit`; the table with one column per option."""
    if fmt != "table":
        _emit(data, fmt, "montecarlo")
        return
    from rich.table import Table

    run = data["run"]
    table = Table(title=f"Monte Carlo: {run['paths']:,} paths, seed {run['seed']}, "
                        f"{run['years']} years", title_justify="left")
    table.add_column("")
    options = [k for k in data if k != "run"] or list(OPTIONS)
    for option in options:
        table.add_column(option, justify="right")
    table.add_column("unit")
    for row in data[options[0]]:
        cells = [_cell(data[o][row]) for o in options]
        unit = next((c[1] for c in cells if c[1]), "")
        table.add_row(row.replace("_", " "), *(c[0] for c in cells), unit)
    console().print(table)
    ends = [run.get(f"btc_price_end_p{p}") for p in (5, 50, 95)]
    if all(e is not None for e in ends):
        p5, p50, p95 = (_cell(e)[0] for e in ends)
        console().print(f"BTC price in the last month: median {p50} USD/BTC "
                        f"(P5 {p5}, P95 {p95}).")


#: Cells of a breakeven surface printed as a table at most (a wider grid is for CSV or JSON).
MAX_TABLE_CELLS = 20_000


def print_surface(da, fmt: str, file=None) -> None:
    """A breakeven surface as a grid table (rows: y, columns: x), JSON or long CSV; a value
    that is not a finite number is ``null``, an empty cell or ``n/a``. JSON and CSV are
    written a row at a time."""
    file = file or sys.stdout
    ydim, xdim = da.dims
    unit = da.attrs.get("units", "")
    yu, xu = da[ydim].attrs.get("units", ""), da[xdim].attrs.get("units", "")
    values = np.asarray(da.values, dtype=np.float64)
    xs, ys = np.asarray(da[xdim].values, dtype=np.float64), np.asarray(da[ydim].values,
                                                                     dtype=np.float64)
    if fmt == "json":
        head = {"solve_for": da.attrs.get("solve_for"), "unit": unit,
                "x": {"name": xdim, "unit": xu}, "y": {"name": ydim, "unit": yu}}
        file.write("{\n")
        for key, value in head.items():
            if isinstance(value, dict):
                file.write(f'  {json.dumps(key)}: {{"name": {json.dumps(value["name"])}, '
                           f'"unit": {json.dumps(value["unit"])}, "values": ')
                _json_array(file, xs if key == "x" else ys)
                file.write("},\n")
            else:
                file.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        file.write('  "values": [')
        for i in range(values.shape[0]):
            file.write(",\n    " if i else "\n    ")
            _json_array(file, values[i])
        file.write("\n  ]\n}\n")
        return
    if fmt == "csv":
        w = csv.writer(file, lineterminator="\n")
        w.writerow([f"{ydim} [{yu}]", f"{xdim} [{xu}]", f"{da.name} [{unit}]"])
        for i, yv in enumerate(ys):
            for j, xv in enumerate(xs):
                v = values[i, j]
                w.writerow([repr(float(yv)), repr(float(xv)),
                            repr(float(v)) if math.isfinite(v) else ""])
        return
    if values.size > MAX_TABLE_CELLS:
        raise StudyError(f"{values.size:,} values are too many for a table (at most "
                         f"{MAX_TABLE_CELLS:,}): use --format csv or json, or --out",
                         source="--format")
    from rich.measure import Measurement

    what = da.attrs.get("long_name", da.name)
    title = f"{what} [{unit}]; rows {ydim} [{yu}], columns {xdim} [{xu}]"
    out = console()
    table = _surface_table(title, f"{ydim} \\ {xdim}", xs, ys, values, _surface_cell)
    if Measurement.get(out, out.options.update(max_width=10_000), table).maximum > out.width:
        # a narrow terminal: thousands as "87.9k", no vertical rules, rather than "87,9…"
        table = _surface_table(title, "", xs, ys, values, _compact_cell)
        table.box, table.pad_edge = _simple_head(), False
        if (np.abs(values[np.isfinite(values)]) >= 1e4).any():
            table.caption, table.caption_justify = "k: thousand, M: million", "left"
    out.print(table)
    if (values < 0).any():  # (NaN compares False)
        price = _PRICES.get(da.attrs.get("solve_for"), "price")
        out.print(f"none: no {price} makes the two NPVs equal there: they meet only below 0 "
                  "(--format json or csv gives where).")


_PRICES = {"btc_price": "BTC price", "gpu_hour_price": "GPU-hour price",
           "power_price": "power price"}


def _surface_table(title: str, corner: str, xs, ys, values, cell):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(corner, justify="right")
    for xv in xs:
        table.add_column(format_number(float(xv)), justify="right")
    for i, yv in enumerate(ys):
        table.add_row(format_number(float(yv)), *[cell(v) for v in values[i]])
    return table


def _simple_head():
    from rich import box

    return box.SIMPLE_HEAD


def _compact_cell(v: float) -> str:
    """:func:`_surface_cell` in at most five characters: 87,912 is ``87.9k``."""
    if not math.isfinite(v) or v < 0 or abs(v) < 1e4:
        return _surface_cell(v)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    return _surface_cell(v)  # pragma: no cover - |v| >= 1e4 took a branch


def _surface_cell(v: float) -> str:
    # a price is never negative: a crossing below 0 is no breakeven
    if not math.isfinite(v):
        return "n/a"
    return "none" if v < 0 else format_number(float(v))


def check_surface_table(n_cells: int, fmt: str) -> None:
    """Refuse, before computing, a breakeven surface too large to print as a table."""
    if fmt == "table" and n_cells > MAX_TABLE_CELLS:
        raise StudyError(f"{n_cells:,} values are too many for a table (at most "
                         f"{MAX_TABLE_CELLS:,}): use --format csv or json, or --out",
                         source="--format")
