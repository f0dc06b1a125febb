"""Command-line response times, as a user sees them: ``rackplan --help`` and ``rackplan size``.

Targets (issue 4 section 4): ``rackplan size`` under 1 s once numba's cache is warm, and
``rackplan --help`` under 0.3 s. Each is timed as a whole subprocess (interpreter start,
imports, command) and recorded in the benchmark JSON; ``benchmarks/check_ratios.py`` prints
them beside their targets. They are not asserted anywhere: a shared machine's wall clock is
too noisy for a pass/fail line, and a slow run says so in the printed table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

TARGETS_S = {"help": 0.3, "size": 1.0}
COMMANDS = {"help": ["--help"], "size": ["size"]}


def _rackplan() -> list[str]:
    exe = shutil.which("rackplan")
    if exe and os.path.dirname(exe) == os.path.dirname(sys.executable):
        return [exe]
    return [sys.executable, "-c", "import sys; from rackplan.cli import main; sys.exit(main())"]


def _run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    return proc


@pytest.mark.benchmark(group="cli", warmup=False)
@pytest.mark.parametrize("command", ["help", "size"])
def test_cli_response(benchmark, command):
    argv = _rackplan() + COMMANDS[command]
    try:
        _run(argv)  # warm: numba's cache filled, files in the page cache
    except RuntimeError as exc:
        pytest.skip(f"rackplan {' '.join(COMMANDS[command])} fails here: {exc}")
    benchmark.pedantic(_run, args=(argv,), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info["target_s"] = TARGETS_S[command]
    benchmark.extra_info["command"] = "rackplan " + " ".join(COMMANDS[command])
