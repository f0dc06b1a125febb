"""``rackplan annual``: a year of the site's cooling plant, hour by hour.

Prints annual and peak PUE, WUE, water use, free-cooling, chiller and economizer hours and
monthly PUE, every number with its unit (PUE in ``1``), under the names of the JSON keys;
``--out FILE.nc`` writes the 8,760 hours as netCDF. Heavy modules load inside the command.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from rackplan.cli.app import Basis, Format, app, parse_set, ref_help

__all__ = ["annual_command"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_HOURS = ("free_cooling_hours", "chiller_hours", "liquid_chiller_hours", "economizer_hours",
          "unmet_hours")


@app.command("annual")
def annual_command(
    site: str = typer.Option(
        "moses-lake", "--site", metavar="ID|FILE",
        help=ref_help("Built-in site id or a site TOML file (with a [cooling_plant] and a "
                      "weather year).")),
    profile: str = typer.Option(
        "gb300-nvl72", "--profile", metavar="ID|FILE",
        help=ref_help("Hardware profile id or a profile TOML file.")),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="FIELD=VALUE",
        help="Override a site field, e.g. --set weather=houston-tx "
             "--set cooling_plant.type=cooling_tower. Repeatable."),
    basis: Basis = typer.Option(
        Basis.max, "--basis", help="Size units on power_max (default), power_typical or the OEM's power_peak."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE.nc", help="Write the 8,760 hours to a netCDF file."),
) -> None:
    """A year of the cooling plant: annual and peak PUE, WUE, water, free-cooling hours.

    Example: rackplan annual --set weather=houston-tx --set cooling_plant.type=cooling_tower
    """
    from rackplan.cli.output import emit, warn
    from rackplan.errors import InputError
    from rackplan.facility.annual import annual

    if out is not None and not out.lower().endswith(".nc"):
        raise InputError(f"write a netCDF file ending in .nc, got {out!r}", source="--out")
    result = annual(site, profile, basis=basis.value, overrides=parse_set(set_))
    data = _data(result)
    if fmt is Format.table:
        for message in result.warnings:
            warn(message)
        data.pop("warnings")
        emit(data, "table", f"{result.inputs['site_name']} / {result.inputs['profile_name']}")
    else:
        emit(data, fmt.value, "annual")
    if out is not None:
        _write(result.hourly, out)


def _data(result) -> dict:
    from rackplan.units import Q_

    data = result.as_quantities()
    for name in ("annual_pue", "peak_pue"):
        data[name] = Q_(data[name], "")
    for name in _HOURS:
        data[name] = Q_(data[name], "hour")
    data["it_power"] = data["it_power"].to("MW")
    data["monthly_pue"] = {m: Q_(v, "") for m, v in zip(_MONTHS, result.monthly_pue)}
    data["warnings"] = list(result.warnings)
    inputs = data.pop("inputs")
    data["inputs"] = {k: v for k, v in inputs.items() if v != ""}
    return data


def _write(dataset, path: str) -> None:
    from rackplan.errors import InputError

    try:
        dataset.to_netcdf(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot write the hourly file ({type(exc).__name__}: {exc})",
                         source="--out") from None
