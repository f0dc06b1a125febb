"""The typer application; commands register themselves on ``app`` from their own modules.

Only typer is imported here: numba, pint and xarray are imported inside the commands, so that
``rackplan --help`` answers fast.
"""

from __future__ import annotations

from enum import Enum

import typer

#: How ``--site``, ``--profile``, ``--market`` (and the other ID|FILE options) tell a built-in id
#: from a file; every such option's help ends with it.
# The same words as rackplan._io.REFERENCE_RULE (a test holds them equal); written out here
# because --help must not import pydantic.
REF_RULE = ("A value that contains '/' or '\\' or ends in '.toml' is a file path (write ./NAME "
            "for a file in the current folder); anything else is a built-in id, even if a file "
            "of that name exists.")


class Format(str, Enum):
    """``--format`` of every command that prints results."""
    table = "table"
    json = "json"
    csv = "csv"


class Basis(str, Enum):
    """``--basis``: size on each unit's ``power_max``, its ``power_typical`` or its OEM
    ``power_peak``."""
    max = "max"
    typical = "typical"
    peak = "peak"


def parse_set(set_: list[str] | None) -> dict:
    """The ``--set FIELD=VALUE`` flags of any command as an overrides dict, checked: a bad one
    is an error naming ``--set FIELD``."""
    from rackplan._args import overrides_mapping
    from rackplan._io import parse_override

    return overrides_mapping(dict(parse_override(text) for text in (set_ or [])), "--set")


def ref_help(what: str) -> str:
    """The help of an ID|FILE option: ``what`` it takes, then :data:`REF_RULE`."""
    return f"{what} {REF_RULE}"


app = typer.Typer(
    name="rackplan",
    help=(
        "Size HPC/GPU and Bitcoin-mining sites: what fits, how it must be cooled, "
        "and what it earns. Quantities take units: --set utility_power='20 MW'."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich help formatting alone costs ~0.1 s of imports, and --help must
    # answer in well under 0.3 s. rich stays in use for result tables and progress bars.
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"rackplan {version('rackplan')}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print rackplan's version and exit."),
) -> None:
    """rackplan: capacity, cooling and economics of power-rich sites."""
    # --debug is read by rackplan.cli.main before typer runs; declared here for the help.
