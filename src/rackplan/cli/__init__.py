"""Command line: ``rackplan size``, ``compare``, ``hashprice``, ``sweep``, ``montecarlo``,
``profiles``. Data goes to stdout, messages to stderr; bad input exits with code 2."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args

    from rackplan.cli.app import app
    from rackplan.cli import profiles_cmd, size_cmd, economics_cmd, study_cmd  # noqa: F401
    from rackplan.errors import RackplanError

    try:
        app(args=args, prog_name="rackplan", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except RackplanError as exc:
        if debug:
            raise
        print(f"rackplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rackplan: interrupted", file=sys.stderr)
        return 130
    return 0


def _console_main() -> None:  # pragma: no cover - thin wrapper for the entry point
    sys.exit(main())
