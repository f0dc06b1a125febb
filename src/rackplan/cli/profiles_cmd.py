"""``rackplan profiles list | show | validate``: the hardware catalog from the command line.

Data goes to stdout (table, JSON or CSV); ``validate`` writes one line per invalid file to
stderr and exits with code 2. Only typer is imported at module level: the profile models (pint,
pydantic) load inside the commands so that ``rackplan --help`` stays fast.
"""

from __future__ import annotations

import math
import os
import stat
import sys
from enum import Enum
from pathlib import Path
from typing import Any, List, Optional

import typer

from rackplan.cli.app import Format, app, ref_help

__all__ = ["profiles_app", "profile_summary", "profile_details"]

profiles_app = typer.Typer(
    name="profiles",
    help="List, show and validate hardware profiles (built-in ids or your own TOML files).",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(profiles_app, name="profiles")


class Kind(str, Enum):
    """``--kind``: GPU systems or ASIC miners."""

    gpu = "gpu"
    asic = "asic"


# Units shown to people; JSON names them beside every value.
POWER_UNIT = "kW"
HASHRATE_UNIT = "TH/s"
EFFICIENCY_UNIT = "J/TH"


def _to(q, unit: str):
    """``q`` in ``unit``, rounded to 12 significant digits: 10.2 kW, not 10.200000000000001."""
    converted = q.to(unit)
    return converted.__class__(float(f"{float(converted.magnitude):.12g}"), converted.units)


def profile_summary(p) -> dict[str, Any]:
    """One row of ``profiles list``: the figures that tell devices apart."""
    return {
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "power_max": _to(p.power_max, POWER_UNIT),
        "power_typical": _to(p.power_typical, POWER_UNIT),
        "hashrate": None if p.hashrate is None else _to(p.hashrate, HASHRATE_UNIT),
        "gpus_per_unit": p.gpus_per_unit,
        "efficiency": None if p.efficiency is None else _to(p.efficiency, EFFICIENCY_UNIT),
        "units_per_rack": p.units_per_rack,
        "cooling_method": p.cooling.method,
        "liquid_fraction": p.cooling.liquid_fraction,
    }


def profile_details(p, path: str | None = None) -> dict[str, Any]:
    """Every field of a profile with its unit, plus the derived rack power and efficiency."""
    # Miners in W (3,068 W, not 3.07 kW), GPU systems in kW.
    unit = "W" if p.kind == "asic" else POWER_UNIT
    data: dict[str, Any] = {
        "id": p.id,
        "name": p.name,
        "vendor": p.vendor,
        "kind": p.kind,
        "power_max": _to(p.power_max, unit),
        "power_typical": _to(p.power_typical, unit),
    }
    for name in ("power_peak", "power_outside_rack"):  # optional: shown where given
        if getattr(p, name) is not None:
            data[name] = _to(getattr(p, name), unit)
    if p.kind == "asic":
        data["hashrate"] = _to(p.hashrate, HASHRATE_UNIT)
        data["efficiency"] = _to(p.efficiency, EFFICIENCY_UNIT)
    else:
        data["gpus_per_unit"] = p.gpus_per_unit
    data["units_per_rack"] = p.units_per_rack
    if p.rack_units is not None:
        data["rack_units"] = p.rack_units
    # Derived, so an engineer sees the rack density at a glance.
    data["rack_power_max"] = _to(p.power_max * p.units_per_rack, POWER_UNIT)
    data["rack_weight"] = _to(p.rack_weight, "kg")
    data["rack_footprint"] = _to(p.rack_footprint, "m**2")
    cooling: dict[str, Any] = {
        "method": p.cooling.method,
        "liquid_fraction": p.cooling.liquid_fraction,
    }
    if p.cooling.coolant_supply_max is not None:
        cooling["coolant_supply_max"] = _to(p.cooling.coolant_supply_max, "degC")
    if p.cooling.air_inlet_max is not None:
        cooling["air_inlet_max"] = _to(p.cooling.air_inlet_max, "degC")
    table = p.cooling.flow_table
    if table is not None:  # one row per supply temperature: flat, so every format shows it
        for t, flow in zip(table.supply_temperature, table.rack_flow):
            cooling[f"rack_flow_at_{t.magnitude:g}_degC"] = _to(flow, "L/min")
        cooling["flow_table_source"] = table.source
    data["cooling"] = cooling
    data["sources"] = [{"url": s.url, "supports": s.supports} for s in p.sources]
    data["assumptions"] = p.assumptions
    if path is not None:
        data["file"] = path
    return data


@profiles_app.command("list")
def list_cmd(
    kind: Optional[Kind] = typer.Option(None, "--kind", help="Only GPU systems or only ASIC miners."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """List the built-in hardware profiles.

    Example: rackplan profiles list --format csv
    """
    from rackplan.facility.profiles import list_profiles

    rows = [profile_summary(p) for p in list_profiles() if kind is None or p.kind == kind.value]
    if fmt is Format.json:
        from rackplan.cli.output import print_json, warn_not_finite

        warn_not_finite(print_json(rows))  # a list of objects: `| jq '.[].id'`
    elif fmt is Format.csv:
        _print_list_csv(rows)
    else:
        _print_list_table(rows)


def _trim(x: float, decimals: int = 3) -> str:
    """``3.068``, ``142``, ``11.18``: enough digits to tell models apart, no trailing zeros."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.{decimals}f}".rstrip("0").rstrip(".")


def _print_list_table(rows: list[dict[str, Any]]) -> None:
    from rackplan.cli.output import console

    cells = []
    for r in rows:
        if r["hashrate"] is not None:
            output = f"{_trim(r['hashrate'].m, 1)} {HASHRATE_UNIT}"
        else:
            output = f"{r['gpus_per_unit']} GPUs"
        efficiency = "" if r["efficiency"] is None else _trim(r["efficiency"].m, 2)
        cells.append((r["id"], r["kind"], _trim(r["power_max"].m), _trim(r["power_typical"].m),
                      output, efficiency, r["cooling_method"].replace("_", " "),
                      f"{r['liquid_fraction']:.2f}"))
    from rich.measure import Measurement

    out = console()
    table = _list_table(cells, _LIST_COLUMNS)
    natural = Measurement.get(out, out.options.update(max_width=10_000), table).maximum
    if natural > out.width:
        # a narrow terminal (80 columns): the two columns `profiles show` repeats, left out
        # and said so, rather than every value cut to "3.…"
        table = _list_table(cells, _LIST_COLUMNS_NARROW)
        table.caption = (f"typical power ({POWER_UNIT}) and efficiency ({EFFICIENCY_UNIT}): "
                         "rackplan profiles show ID, or --format csv")
        table.caption_justify = "left"
    out.print(table)


#: The list's columns: header, index in a row of cells, justification.
_LIST_COLUMNS = (("id", 0, "left"), ("kind", 1, "left"), (f"max {POWER_UNIT}", 2, "right"),
                 (f"typical {POWER_UNIT}", 3, "right"), ("per unit", 4, "right"),
                 (EFFICIENCY_UNIT, 5, "right"), ("cooling", 6, "left"),
                 ("liquid", 7, "right"))
_LIST_COLUMNS_NARROW = tuple(c for c in _LIST_COLUMNS if c[1] not in (3, 5))


def _list_table(cells: list[tuple[str, ...]], columns):
    from rich import box

    from rackplan.cli.output import as_text, table as new_table

    table = new_table("Hardware profiles")
    table.box = box.SIMPLE_HEAD
    table.pad_edge = False
    for header, j, justify in columns:
        table.add_column(header, justify=justify, no_wrap=j != 0, overflow="fold")
    for row in cells:
        table.add_row(*[as_text(row[j]) for _, j, _ in columns])
    return table


def _print_list_csv(rows: list[dict[str, Any]]) -> None:
    import csv

    from rackplan.cli.output import finite, plain

    # The unit is in the column name so that each column is one plain number.
    columns = [
        ("id", None), ("kind", None), ("name", None),
        (f"power_max_{POWER_UNIT}", "power_max"), (f"power_typical_{POWER_UNIT}", "power_typical"),
        (f"hashrate_{HASHRATE_UNIT}", "hashrate"), ("gpus_per_unit", None),
        (f"efficiency_{EFFICIENCY_UNIT}", "efficiency"), ("units_per_rack", None),
        ("cooling_method", None), ("liquid_fraction", None),
    ]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    for r in rows:
        out = []
        for name, key in columns:
            value = r[key or name]
            if value is None:
                out.append("")
            elif hasattr(value, "magnitude") or isinstance(value, float):
                f = finite(getattr(value, "magnitude", value))
                out.append("" if f is None else repr(f))
            elif isinstance(value, str):
                out.append(plain(value))
            else:
                out.append(value)
        writer.writerow(out)


def is_file_reference(ref: str) -> bool:
    """The rule of every ID|FILE option (:data:`rackplan.cli.app.REF_RULE`): a path separator
    or a ``.toml`` ending makes a file path, anything else is a built-in id."""
    seps = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return ref.endswith(".toml") or any(sep in ref for sep in seps)


@profiles_app.command("show")
def show_cmd(
    ref: str = typer.Argument(..., metavar="ID|FILE",
                              help=ref_help("A built-in id or a path to a TOML file.")),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """Show every field of one profile, with units, sources and assumptions.

    Example: rackplan profiles show gb300-nvl72 --format json
    """
    from rackplan.cli.output import emit, print_json, warn_not_finite
    from rackplan.errors import ProfileError
    from rackplan.facility.profiles import load_profile

    try:
        profile = load_profile(ref)
    except ProfileError as exc:
        if exc.source == "--profile":  # resolve() names the flag of `size`; here it is an argument
            raise ProfileError(exc.message, source="profiles show", field=exc.field) from None
        raise
    is_file = is_file_reference(ref)
    data = profile_details(profile, path=ref if is_file else None)
    if fmt is Format.json:
        warn_not_finite(print_json(data))
        return
    # Table and CSV: one "section, field, value, unit" row per value, sources numbered.
    flat = dict(data)
    sources = flat.pop("sources")
    assumptions = flat.pop("assumptions")
    flat["sources"] = {f"source {i}": f"{s['url']} ({s['supports']})"
                       for i, s in enumerate(sources, 1)}
    flat["notes"] = {"assumptions": assumptions or "none"}
    emit(flat, fmt.value, title=f"Profile {profile.id}")


@profiles_app.command("validate")
def validate_cmd(
    files: List[str] = typer.Argument(..., metavar="FILE...", help="Profile TOML files to check."),
) -> None:
    """Check profile files: 'ok' per valid file on stdout, one line per invalid file on
    stderr; every file is checked, and the exit code is 2 if any failed.

    Example: rackplan profiles validate examples/my-rack.toml
    """
    from rackplan.cli import problem_line
    from rackplan.errors import RackplanError
    from rackplan.facility.profiles import load_profile

    failed = 0
    for name in files:
        # Only files: a name that is not a file is reported, never looked up as a built-in id.
        field = None
        try:
            problem = _not_a_file(name)
            if problem is None:
                load_profile(Path(name))
        except RackplanError as exc:
            field = getattr(exc, "field", None)
            problem = getattr(exc, "message", None) or str(exc)
        except RecursionError:
            problem = "nested too deeply to read"
        except MemoryError:
            problem = "too large to read"
        except OSError as exc:
            problem = f"cannot be read: {exc.strerror or exc}"
        except Exception as exc:  # one bad file never stops the batch
            problem = f"cannot be read as a profile ({type(exc).__name__}: {exc})"
        if problem is None:
            print(f"{_shown(name)}: ok")
        else:
            failed += 1
            print(problem_line("", [name, field], problem), file=sys.stderr)
    if failed:
        raise typer.Exit(code=2)


def _not_a_file(name: str) -> str | None:
    """Why ``name`` cannot be a profile file before it is opened (a FIFO would block, a
    device never end), or ``None``; folders and missing files are the loader's to report."""
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        return "file not found"
    except OSError:
        return None  # the loader reports it
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file (a pipe, socket or device)"


def _shown(name: str) -> str:
    from rackplan.cli.output import plain

    return plain(name)
