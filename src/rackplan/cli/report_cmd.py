"""``rackplan report``: one self-contained HTML page of a case, for a person to read.

The page is written by :func:`rackplan.report`; this command parses the options, names them in
errors as typed (``--out``, ``--paths``), and says on stderr where the page went and what the
run found. matplotlib and the models load inside the command.
"""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from rackplan.cli.app import app, parse_set, ref_help

__all__ = ["report_command"]

#: How the CLI names the arguments of :func:`rackplan.report` in error messages.
_FLAGS = {"out": "--out", "paths": "--paths", "seed": "--seed", "years": "--years",
          "overrides": "--set"}


@app.command("report")
def report_command(
    site: Optional[str] = typer.Option(
        None, "--site", metavar="ID|FILE",
        help=ref_help("Built-in site id or a site TOML file (default: Moses Lake).")),
    mining_profile: Optional[str] = typer.Option(
        None, "--mining-profile", metavar="ID|FILE",
        help=ref_help("Bitcoin miner profile (default: antminer-s21-xp-hyd).")),
    gpu_profile: Optional[str] = typer.Option(
        None, "--gpu-profile", metavar="ID|FILE",
        help=ref_help("GPU system profile (default: gb300-nvl72).")),
    market: Optional[str] = typer.Option(
        None, "--market", metavar="ID|FILE",
        help=ref_help("Market TOML file or built-in id (default: the built-in 2025-11-13 "
                      "market).")),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="FIELD=VALUE",
        help="Override a site field, else a market field: --set pue=1.3 "
             "--set gpu_hour_price='4 USD/hour'. Repeatable."),
    years: str = typer.Option("5", "--years", metavar="N", help="Horizon in years (1-50)."),
    paths: str = typer.Option(
        "5000", "--paths", metavar="N",
        help="Monte Carlo paths (1 to 1,000,000; the report records them)."),
    seed: str = typer.Option(
        "7", "--seed", metavar="N",
        help="Monte Carlo seed; the same seed gives the same numbers (recorded)."),
    out: str = typer.Option(
        "report.html", "--out", metavar="FILE.html",
        help="Where to write the page (.html or .htm, in a folder that exists); it appears "
             "only when complete."),
) -> None:
    """Write one self-contained HTML report of a case: the inputs with their sources, the
    sizing of each option, the year of weather, the cash flows with NPV, IRR and payback side
    by side, the breakevens and their surface, the Monte Carlo distributions and win
    probabilities, and the warnings. It opens in any browser without a network.

    Example: rackplan report --set gpu_hour_price="4.5 USD/hour" --paths 20000 --out moses-lake.html
    """
    import rackplan
    from rackplan.cli.output import warn
    from rackplan.errors import InputError

    overrides = parse_set(set_)
    try:
        result = rackplan.report(site, mining_profile, gpu_profile, market, years=years,
                                 overrides=overrides, paths=paths, seed=seed, out=out)
    except InputError as exc:
        exc.source = _FLAGS.get(exc.source, exc.source)
        raise
    for message in _findings(result):
        warn(message)
    print(f"rackplan: wrote {result.path}", file=sys.stderr)


def _findings(result) -> list[str]:
    """The warnings the page shows, to say them on stderr too (each once)."""
    data = result.data
    found = list(data.comparison.warnings)
    for year in data.annual.values():
        found += [year] if isinstance(year, str) else list(year.warnings)
    return list(dict.fromkeys(found + data.notes))
