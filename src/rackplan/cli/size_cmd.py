"""``rackplan size``: what fits in a site, what binds, and what the cooling must carry.

Defaults to the built-in Moses Lake site and the GB300 NVL72. Data goes to stdout; warnings
(design findings such as "dry coolers cannot hold the supply temperature") go to stderr in table
mode and into the ``warnings`` list in JSON and CSV. Heavy modules load inside the command.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from rackplan.cli.app import Basis, Format, app, parse_set, ref_help

__all__ = ["size_command", "LABELS"]


@app.command("size")
def size_command(
    site: str = typer.Option(
        "moses-lake", "--site", metavar="ID|FILE",
        help=ref_help("Built-in site id or a site TOML file.")),
    profile: str = typer.Option(
        "gb300-nvl72", "--profile", metavar="ID|FILE",
        help=ref_help("Hardware profile id (see 'rackplan profiles list') or a profile TOML "
                      "file.")),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="FIELD=VALUE",
        help="Override a site field, e.g. --set utility_power='20 MW' --set pue=1.3 "
             "--set cooling_plant.type=chiller. Repeatable."),
    basis: Basis = typer.Option(
        Basis.max, "--basis", help="Size units on power_max (default), power_typical or the OEM's power_peak."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """Size a site for a hardware profile: units, racks, binding constraint, heat and flows.

    Example: rackplan size --profile antminer-s21-xp-hyd --set utility_power="20 MW"
    """
    from rackplan.facility.capacity import size
    from rackplan.cli.output import emit, warn

    overrides = parse_set(set_)
    result = size(site, profile, basis=basis.value, overrides=overrides)
    data = result.as_quantities()
    if fmt is Format.table:
        for message in result.warnings:
            warn(message)
        data = {k: v for k, v in data.items() if k not in ("warnings", "units_by", "inputs")}
        data["units_by"] = {k: ("not given" if v is None else v)
                            for k, v in result.units_by.items()}
        data["inputs"] = result.inputs
        if data.get("stranded_power") is not None:
            data["stranded_power"] = data["stranded_power"].to("kW")  # 146.6 kW, not 0.1466 MW
        title = f"{result.inputs['site_name']} / {result.inputs['profile_name']}"
        emit(_without_none(data), "table", title, labels=LABELS)
    else:
        data["warnings"] = list(result.warnings)
        emit(data, fmt.value, "size")


#: The table's row labels, where a field's name reads badly (JSON and CSV keep the names;
#: the unit column tells the two heat loads, coolant flows and airflows apart).
LABELS = {
    "pue": "PUE (design hour)",
    "it_power_available": "IT power the feed allows",
    "unit_count": "units",
    "rack_count": "racks",
    "it_power": "IT power",
    "stranded_power": "feed left unused",
    "heat_load_btuh": "heat load",
    "heat_load_tons": "heat load",
    "coolant_flow_m3h": "coolant flow",
    "coolant_flow_per_kw": "coolant flow per kW of liquid heat",
    "rack_coolant_flow": "coolant flow per rack",
    "airflow_cfm": "airflow",
    "power_density_rack": "power per rack",
    "power_density_area": "power per m² of white space",
    "cdu_count": "CDUs",
    "cdus_by_heat": "CDUs by heat",
    "cdus_by_flow": "CDUs by flow",
    "cdu_basis": "CDUs counted by",
    "gpu_count": "GPUs",
    "dry_cooler_min_supply": "lowest supply dry coolers hold",
    "pue_from": "PUE from",
}


def _without_none(data: dict) -> dict:
    """Rows with no value (hashrate of a GPU system) are left out of the table."""
    return {k: (_without_none(v) if isinstance(v, dict) else v)
            for k, v in data.items() if v is not None}
