"""``rackplan sites list | show`` and ``rackplan markets list | show``: the built-in sites and
markets, each field with its unit, or a file as a starting point for your own (``--toml``).

Only typer is imported at module level: the models (pint, pydantic) load inside the commands,
so that ``rackplan --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import typer

from rackplan.cli.app import Format, app, ref_help

__all__ = ["sites_app", "markets_app", "model_fields"]

sites_app = typer.Typer(
    name="sites", no_args_is_help=True, rich_markup_mode=None, add_completion=False,
    help="List and show the built-in sites; 'show ID --toml' prints one as a starting file, "
         "e.g. rackplan sites show moses-lake --toml > my-site.toml")
markets_app = typer.Typer(
    name="markets", no_args_is_help=True, rich_markup_mode=None, add_completion=False,
    help="List and show the built-in markets; 'show ID --toml' prints one as a starting file, "
         "e.g. rackplan markets show 2025-11-13 --toml > my-market.toml")
app.add_typer(sites_app, name="sites")
app.add_typer(markets_app, name="markets")

_TOML = typer.Option(False, "--toml",
                     help="Print the file itself (a built-in's TOML, with its sources and "
                          "comments), to start your own from.")
_FORMAT = typer.Option(Format.table, "--format", help="Output format (without --toml).")


def model_fields(model) -> dict[str, Any]:
    """A model's fields for display: quantities with their units (powers in kW or MW), nested
    models and tables as sections, sources numbered; unset (``None``) fields left out."""
    from pydantic import BaseModel

    from rackplan.units import Quantity

    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None or name == "notes":
            continue
        if isinstance(value, BaseModel):
            out[name] = model_fields(value)
        elif name == "sources":
            out[name] = {f"source {i}": f"{s.url} ({s.supports})"
                         for i, s in enumerate(value, 1)}
        elif isinstance(value, dict):
            out[name] = dict(value)
        elif isinstance(value, Quantity) and value.check("[power]"):
            out[name] = value.to_compact()  # 18 MW, not 18,000,000 W
        elif isinstance(value, (list, tuple)):
            out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def _list(ids: list[str], load: Callable, fmt: Format, title: str) -> None:
    from rackplan.cli.output import emit

    emit({ref: load(ref).name for ref in ids}, fmt.value, title=title)


def _show(ref: str, load: Callable, folder: Path, toml: bool, fmt: Format, what: str) -> None:
    from rackplan.cli.output import emit
    from rackplan.cli.profiles_cmd import is_file_reference

    from rackplan.errors import RackplanError

    try:
        model = load(ref)  # a bad id or file: one line naming it, exit code 2
    except RackplanError as exc:
        if exc.source in ("--site", "--market"):  # the loaders name the flag of compare
            raise type(exc)(exc.message, source=f"{what.lower()}s show",
                            field=exc.field) from None
        raise
    if toml:
        path = Path(ref) if is_file_reference(ref) else folder / f"{ref}.toml"
        print(path.read_text(encoding="utf-8"), end="")
        return
    emit(model_fields(model), fmt.value, title=f"{what} {model.id or ref}")


@sites_app.command("list")
def sites_list(fmt: Format = _FORMAT) -> None:
    """List the built-in sites (example: rackplan sites list --format json)."""
    from rackplan.facility.site import list_sites, load_site

    _list(list_sites(), load_site, fmt, "Built-in sites")


@sites_app.command("show")
def sites_show(
    ref: str = typer.Argument("moses-lake", metavar="ID|FILE",
                              help=ref_help("A built-in site id or a path to a TOML file.")),
    toml: bool = _TOML, fmt: Format = _FORMAT,
) -> None:
    """Show every field of a site with its unit, or print its file (--toml); example:
    rackplan sites show moses-lake --toml > my-site.toml."""
    from rackplan.facility.site import load_site, sites_dir

    _show(ref, load_site, sites_dir(), toml, fmt, "Site")


@markets_app.command("list")
def markets_list(fmt: Format = _FORMAT) -> None:
    """List the built-in markets (example: rackplan markets list)."""
    from rackplan.economics.market import list_markets, load_market

    _list(list_markets(), load_market, fmt, "Built-in markets")


@markets_app.command("show")
def markets_show(
    ref: str = typer.Argument("2025-11-13", metavar="ID|FILE",
                              help=ref_help("A built-in market id (its date) or a path to a "
                                            "TOML file.")),
    toml: bool = _TOML, fmt: Format = _FORMAT,
) -> None:
    """Show every field of a market with its unit, or print its file (--toml); example:
    rackplan markets show 2025-11-13 --toml > my-market.toml."""
    from rackplan.economics.market import load_market, markets_dir

    _show(ref, load_market, markets_dir(), toml, fmt, "Market")
