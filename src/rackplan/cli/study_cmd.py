"""``rackplan sweep``, ``rackplan montecarlo`` and ``rackplan breakeven``: what-if at scale.

Results go to stdout (a summary table, JSON or CSV) or, with ``--out``, to a file (``.nc``,
``.csv``, ``.json``) that appears only when complete; estimates and progress bars go to stderr.
Heavy modules (numba, xarray, dask) load inside the commands.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from rackplan.cli.app import app

__all__ = ["sweep_command", "montecarlo_command", "breakeven_command"]


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


_SITE = typer.Option(None, "--site", metavar="ID|FILE",
                     help="Built-in site id or a site TOML file (default: Moses Lake).")
_MINING = typer.Option(None, "--mining-profile", metavar="ID|FILE",
                       help="Mining hardware profile (default: antminer-s21-xp-hyd).")
_GPU = typer.Option(None, "--gpu-profile", metavar="ID|FILE",
                    help="GPU hardware profile (default: gb300-nvl72).")
_MARKET = typer.Option(None, "--market", metavar="FILE",
                       help="Market TOML file (default: the built-in market).")
_SET = typer.Option(None, "--set", metavar="FIELD=VALUE",
                    help="Override an input of the base case, e.g. --set pue=1.3. Repeatable.")
_YEARS = typer.Option(5, "--years", min=1, help="Horizon in years.")
_FORMAT = typer.Option(Format.table, "--format", help="Format of the summary on stdout.")


def _overrides(set_: Optional[List[str]]) -> dict:
    from rackplan._io import parse_override

    return dict(parse_override(text) for text in (set_ or []))


def _vary(items: List[str], flag: str = "--vary") -> dict:
    from rackplan.errors import StudyError

    vary: dict = {}
    for text in items:
        name, eq, spec = text.partition("=")
        name = name.strip()
        if not eq or not name:
            raise StudyError(f"{text!r} is not NAME=start:stop:n or NAME=a,b,c", source=flag)
        if name in vary:
            raise StudyError(f"{name} is varied twice", source=flag)
        vary[name] = spec.strip()
    return vary


def _progress(flag: Optional[bool]) -> bool:
    return sys.stderr.isatty() if flag is None else flag


@app.command("sweep")
def sweep_command(
    vary: List[str] = typer.Option(
        ..., "--vary", metavar="NAME=START:STOP:N",
        help="An input to vary over N values from START to STOP (or NAME=a,b,c), in the unit "
             "users write it in (btc_price in USD/BTC, power_price in USD/MWh, gpu_hour_price "
             "in USD/h). Repeatable: one dimension each."),
    site: Optional[str] = _SITE, mining_profile: Optional[str] = _MINING,
    gpu_profile: Optional[str] = _GPU, market: Optional[str] = _MARKET,
    set_: Optional[List[str]] = _SET, years: int = _YEARS,
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE.nc|.csv|.json",
        help="Write the whole sweep (netCDF is written chunk by chunk)."),
    chunks: str = typer.Option(
        "auto", "--chunks", metavar="auto|off|N",
        help="auto: chunk with dask past the memory budget; off: never; N: scenarios a chunk."),
    memory_budget: str = typer.Option("2 GB", "--memory-budget", metavar="SIZE",
                                      help="Largest result held in memory."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="Run on a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr (default: on a terminal)."),
    fmt: Format = _FORMAT,
) -> None:
    """Evaluate mining vs GPUaaS vs colocation over a grid of inputs."""
    from rackplan.studyio import print_sweep_summary
    from rackplan.sweep import summary, sweep

    ds = sweep(site, mining_profile, gpu_profile, market, vary=_vary(vary), years=years,
               overrides=_overrides(set_), chunks=chunks, memory_budget=memory_budget,
               out=out, client=scheduler, progress=_progress(progress))
    if out is not None:
        print(f"rackplan: wrote {out} ({ds.sizes and _count(ds):,} scenarios)", file=sys.stderr)
        return
    print_sweep_summary(summary(ds), fmt.value)


def _count(ds) -> int:
    n = 1
    for size in ds.sizes.values():
        n *= size
    return n


@app.command("montecarlo")
def montecarlo_command(
    paths: int = typer.Option(10_000, "--paths", help="Number of random paths."),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives the same numbers."),
    site: Optional[str] = _SITE, mining_profile: Optional[str] = _MINING,
    gpu_profile: Optional[str] = _GPU, market: Optional[str] = _MARKET,
    set_: Optional[List[str]] = _SET, years: int = _YEARS,
    btc_drift: Optional[str] = typer.Option(
        None, "--btc-drift", metavar="RATE",
        help="Expected BTC price growth per year, e.g. '10 %' (default: the market's "
             "btc_price_growth)."),
    btc_volatility: str = typer.Option("0.45", "--btc-volatility", metavar="SIGMA",
                                       help="BTC price volatility per sqrt(year)."),
    difficulty_volatility: str = typer.Option(
        "0.04", "--difficulty-volatility", metavar="SIGMA",
        help="Volatility of monthly difficulty growth per sqrt(month)."),
    gpu_price_volatility: str = typer.Option(
        "0.5", "--gpu-price-volatility", metavar="SIGMA",
        help="GPU-hour price volatility around its trend per sqrt(year)."),
    utilization_volatility: str = typer.Option(
        "0.05", "--utilization-volatility", metavar="SIGMA",
        help="Relative spread of utilization around its trend."),
    correlation: str = typer.Option(
        "0", "--correlation", metavar="RHO",
        help="Correlation of BTC price and difficulty shocks (-1 to 1)."),
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE.nc|.csv|.json",
        help="Also write the distribution (every path) to a file."),
    memory_budget: str = typer.Option("2 GB", "--memory-budget", metavar="SIZE",
                                      help="Largest set of paths held in memory."),
    fmt: Format = _FORMAT,
) -> None:
    """Monte Carlo over BTC price, difficulty, GPU-hour price and utilization paths:
    NPV and NOI percentiles and the probability that each option wins."""
    from rackplan.montecarlo import montecarlo, summary, write
    from rackplan.studyio import print_montecarlo_summary

    ds = montecarlo(site, mining_profile, gpu_profile, market, paths=paths, seed=seed,
                    years=years, overrides=_overrides(set_), btc_drift=btc_drift,
                    btc_volatility=btc_volatility, difficulty_volatility=difficulty_volatility,
                    gpu_price_volatility=gpu_price_volatility,
                    utilization_volatility=utilization_volatility, correlation=correlation,
                    keep_paths=out is not None, memory_budget=memory_budget)
    if out is not None:
        write(ds, out)
        print(f"rackplan: wrote {out} ({paths:,} paths)", file=sys.stderr)
    print_montecarlo_summary(summary(ds), fmt.value)


@app.command("breakeven")
def breakeven_command(
    x: str = typer.Option(..., "--x", metavar="NAME=START:STOP:N", help="Columns."),
    y: str = typer.Option(..., "--y", metavar="NAME=START:STOP:N", help="Rows."),
    solve_for: str = typer.Option(
        "btc_price", "--solve-for", metavar="NAME",
        help="btc_price (the BTC price mining needs to match GPUaaS), gpu_hour_price (the "
             "GPU-hour price GPUaaS needs to match mining) or power_price."),
    site: Optional[str] = _SITE, mining_profile: Optional[str] = _MINING,
    gpu_profile: Optional[str] = _GPU, market: Optional[str] = _MARKET,
    set_: Optional[List[str]] = _SET, years: int = _YEARS,
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE.nc|.csv|.json",
                                      help="Also write the surface to a file."),
    fmt: Format = _FORMAT,
) -> None:
    """The breakeven surface: where mining and GPU-as-a-service have equal NPV, over two
    inputs, solved exactly at every grid point."""
    from rackplan.sweep import breakeven_surface, print_surface, write

    (xn, xs), = _vary([x], "--x").items()
    (yn, ys), = _vary([y], "--y").items()
    da = breakeven_surface(site, mining_profile, gpu_profile, market, x=(xn, xs), y=(yn, ys),
                           solve_for=solve_for, years=years, overrides=_overrides(set_))
    if out is not None:
        write(da.to_dataset(), out)
        print(f"rackplan: wrote {out}", file=sys.stderr)
    print_surface(da, fmt.value)
