"""``rackplan sweep``, ``rackplan montecarlo`` and ``rackplan breakeven``: what-if at scale.

Results go to stdout (a summary table, JSON or CSV) or, with ``--out``, to a file (``.nc``,
``.csv``, ``.json``) that appears only when complete; estimates, progress bars and warnings go
to stderr. Every option is checked by the Python function it feeds (numbers, sizes, the output
path, before anything runs); an error names the option as typed (``--memory-budget``, not
``memory_budget``). A study's findings (no unit fits somewhere, an undefined figure) are printed
as ``rackplan: warning: ...`` lines after a successful run. Heavy modules (numba, xarray, dask)
load inside the commands.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from typing import List, Optional

import typer

from rackplan.cli.app import Format, app, parse_set, ref_help

__all__ = ["sweep_command", "montecarlo_command", "breakeven_command"]


_SITE = typer.Option(None, "--site", metavar="ID|FILE",
                     help=ref_help("Built-in site id or a site TOML file (default: Moses Lake)."))
_MINING = typer.Option(None, "--mining-profile", metavar="ID|FILE",
                       help=ref_help("Mining hardware profile (default: antminer-s21-xp-hyd)."))
_GPU = typer.Option(None, "--gpu-profile", metavar="ID|FILE",
                    help=ref_help("GPU hardware profile (default: gb300-nvl72)."))
_MARKET = typer.Option(None, "--market", metavar="ID|FILE",
                       help=ref_help("Market TOML file or built-in id (default: the built-in "
                                     "2025-11-13 market)."))
_SET = typer.Option(None, "--set", metavar="FIELD=VALUE",
                    help="Override an input of the base case, e.g. --set pue=1.3. Repeatable.")
_YEARS = typer.Option("5", "--years", metavar="N", help="Horizon in years (1 to 50).")
_FORMAT = typer.Option(Format.table, "--format", help="Format of the summary on stdout.")
_BUDGET_HELP = ("Largest amount of memory the run may hold, e.g. '4 GB' (at most the memory "
                "available; default: 2 GB, or half the available memory if less).")

#: How the CLI names the arguments of the Python functions in error messages.
_FLAGS = {
    "memory_budget": "--memory-budget", "years": "--years", "overrides": "--set",
    "chunks": "--chunks", "out": "--out", "client": "--scheduler", "vary": "--vary",
    "paths": "--paths", "seed": "--seed", "x": "--x", "y": "--y", "solve_for": "--solve-for",
    "btc_drift": "--btc-drift", "btc_volatility": "--btc-volatility",
    "difficulty_volatility": "--difficulty-volatility",
    "gpu_price_volatility": "--gpu-price-volatility",
    "utilization_volatility": "--utilization-volatility",
    "utilization_persistence": "--utilization-persistence", "correlation": "--correlation",
    "gpu_price_persistence": "--gpu-price-persistence",
    "btc_trend_uncertainty": "--btc-trend-uncertainty",
    "difficulty_trend_uncertainty": "--difficulty-trend-uncertainty",
    "gpu_trend_uncertainty": "--gpu-trend-uncertainty",
    "progress": "--progress", "outputs": "--outputs",
}


def _flag_name(source: str | None) -> str | None:
    """``memory_budget`` -> ``--memory-budget``, ``vary pue`` -> ``--vary pue``,
    ``overrides['pue']`` -> ``--set pue``, ``chunks['btc_price']`` -> ``--chunks btc_price``."""
    if not source:
        return source
    head, sep, rest = source.partition(" ")
    if head in _FLAGS:
        return _FLAGS[head] + sep + rest
    base, bracket, tail = source.partition("[")
    if bracket and base in _FLAGS:
        key = tail.removesuffix("]").strip("'\"")
        return f"{_FLAGS[base]} {key}"
    return source


@contextmanager
def _cli_run():
    """Errors name the options as typed; on success, each study warning once on stderr."""
    from rackplan.errors import InputError
    from rackplan.studies.io import StudyWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StudyWarning)
        try:
            yield
        except InputError as exc:
            exc.source = _flag_name(exc.source)
            raise
    from rackplan.cli.output import warn

    seen = set()
    for w in caught:
        if issubclass(w.category, StudyWarning):
            text = str(w.message)
            if text not in seen:
                seen.add(text)
                warn(text)
        else:  # not ours: back to the caller's filters (the CLI lists them with --debug)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


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
    set_: Optional[List[str]] = _SET, years: str = _YEARS,
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE.nc|.csv|.json",
        help="Write the whole sweep (netCDF is written chunk by chunk)."),
    chunks: str = typer.Option(
        "auto", "--chunks", metavar="auto|off|N",
        help="auto: chunk past the memory budget; off: never; N: scenarios a chunk."),
    memory_budget: Optional[str] = typer.Option(None, "--memory-budget", metavar="SIZE",
                                                help=_BUDGET_HELP),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="Run on a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr (default: on a terminal)."),
    fmt: Format = _FORMAT,
) -> None:
    """Evaluate mining vs GPUaaS vs colocation over a grid of inputs.

    Example: rackplan sweep --vary btc_price=50000:150000:21 --vary pue=1.1:1.4:4 --out s.nc
    """
    from rackplan.cli.study_output import print_sweep_summary
    from rackplan.studies.sweep import summary, sweep

    with _cli_run():
        ds = sweep(site, mining_profile, gpu_profile, market, vary=_vary(vary), years=years,
                   overrides=parse_set(set_), chunks=chunks, memory_budget=memory_budget,
                   out=out, client=scheduler, progress=_progress(progress))
        if out is not None:
            n = _count(ds)
            ds.close()
            print(f"rackplan: wrote {out} ({n:,} scenarios)", file=sys.stderr)
            return
        print_sweep_summary(summary(ds), fmt.value)


def _count(ds) -> int:
    n = 1
    for size in ds.sizes.values():
        n *= size
    return n


@app.command("montecarlo")
def montecarlo_command(
    paths: str = typer.Option("10000", "--paths", metavar="N",
                              help="Number of random paths (1 to 100,000,000)."),
    seed: str = typer.Option("0", "--seed", metavar="N",
                             help="Seed; the same seed gives the same numbers."),
    site: Optional[str] = _SITE, mining_profile: Optional[str] = _MINING,
    gpu_profile: Optional[str] = _GPU, market: Optional[str] = _MARKET,
    set_: Optional[List[str]] = _SET, years: str = _YEARS,
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
    gpu_price_persistence: Optional[str] = typer.Option(
        None, "--gpu-price-persistence", metavar="PHI",
        help="Month-to-month persistence of the GPU-hour price's deviation from its trend, 0 "
             "to 1 (default 0.5 ** (1/12) = 0.944: a 12-month half-life; 1: a random walk)."),
    utilization_volatility: str = typer.Option(
        "0.05", "--utilization-volatility", metavar="SIGMA",
        help="Relative spread of utilization around its trend."),
    correlation: str = typer.Option(
        "0", "--correlation", metavar="RHO",
        help="Correlation of BTC price and difficulty shocks (-1 to 1)."),
    btc_trend_uncertainty: Optional[str] = typer.Option(
        None, "--btc-trend-uncertainty", metavar="SIGMA",
        help="Spread of each path's own BTC price trend, per year (default 0.45 / sqrt(10) = "
             "0.14: the mean of ten years of prices; 0: the market's trend on every path)."),
    difficulty_trend_uncertainty: Optional[str] = typer.Option(
        None, "--difficulty-trend-uncertainty", metavar="SIGMA",
        help="Spread of each path's own difficulty trend, per year, moving with the BTC "
             "price's (default 0.044)."),
    gpu_trend_uncertainty: Optional[str] = typer.Option(
        None, "--gpu-trend-uncertainty", metavar="SIGMA",
        help="Spread of each path's own GPU-hour price trend, per year (default 0.1)."),
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE.nc|.csv|.json",
        help="Also write the distribution (every path) to a file."),
    memory_budget: Optional[str] = typer.Option(None, "--memory-budget", metavar="SIZE",
                                                help=_BUDGET_HELP),
    fmt: Format = _FORMAT,
) -> None:
    """Monte Carlo over BTC price, difficulty, GPU-hour price and utilization paths:
    NPV and NOI percentiles and the probability that each option wins.

    Example: rackplan montecarlo --paths 100000 --seed 7 --btc-volatility "60 %"
    """
    from rackplan.studies.montecarlo import montecarlo, summary, write
    from rackplan.cli.study_output import print_montecarlo_summary
    from rackplan.studies.io import check_out

    with _cli_run():
        if out is not None:
            check_out(out)  # before the paths run
        ds = montecarlo(site, mining_profile, gpu_profile, market, paths=paths, seed=seed,
                        years=years, overrides=parse_set(set_), btc_drift=btc_drift,
                        btc_volatility=btc_volatility,
                        difficulty_volatility=difficulty_volatility,
                        gpu_price_volatility=gpu_price_volatility,
                        **({} if gpu_price_persistence is None else
                           {"gpu_price_persistence": gpu_price_persistence}),
                        utilization_volatility=utilization_volatility, correlation=correlation,
                        **_given(btc_trend_uncertainty=btc_trend_uncertainty,
                                 difficulty_trend_uncertainty=difficulty_trend_uncertainty,
                                 gpu_trend_uncertainty=gpu_trend_uncertainty),
                        keep_paths=out is not None, memory_budget=memory_budget)
        if out is not None:
            write(ds, out)
            print(f"rackplan: wrote {out} ({ds.attrs['paths']:,} paths)", file=sys.stderr)
        print_montecarlo_summary(summary(ds), fmt.value)


def _given(**flags) -> dict:
    """The flags given (not None): the others keep the library's defaults."""
    return {name: value for name, value in flags.items() if value is not None}


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
    set_: Optional[List[str]] = _SET, years: str = _YEARS,
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE.nc|.csv|.json",
                                      help="Also write the surface to a file."),
    memory_budget: Optional[str] = typer.Option(None, "--memory-budget", metavar="SIZE",
                                                help=_BUDGET_HELP),
    fmt: Format = _FORMAT,
) -> None:
    """The breakeven surface: where mining and GPU-as-a-service have equal NPV, over two
    inputs, solved exactly at every grid point.

    Example: rackplan breakeven --x gpu_hour_price=1.5:6:10 --y power_price=20:80:7
    """
    from rackplan.studies.grid import parse_grid
    from rackplan.cli.study_output import MAX_TABLE_CELLS, check_surface_table, print_surface
    from rackplan.studies.sweep import breakeven_surface

    with _cli_run():
        (xn, xs), = _vary([x], "--x").items()
        (yn, ys), = _vary([y], "--y").items()
        too_wide = False
        if fmt.value == "table":  # a grid too wide to print is refused before it runs
            try:
                axes, _ = parse_grid({xn: xs, yn: ys}) if xn != yn else ([], [])
            except Exception:
                axes = []  # breakeven_surface names the bad axis
            if axes and out is None:
                check_surface_table(len(axes[0]) * len(axes[1]), fmt.value)
            too_wide = bool(axes) and len(axes[0]) * len(axes[1]) > MAX_TABLE_CELLS
        da = breakeven_surface(site, mining_profile, gpu_profile, market, x=(xn, xs),
                               y=(yn, ys), solve_for=solve_for, years=years,
                               overrides=parse_set(set_), memory_budget=memory_budget,
                               out=out)
        if out is not None:
            print(f"rackplan: wrote {out}", file=sys.stderr)
            if too_wide:  # the file has it all; a table that size would help no one
                return
        print_surface(da, fmt.value)
