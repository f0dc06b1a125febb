"""Shared test fixtures: a CLI runner and the hypothesis settings for this 2-core machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "rackplan",
    max_examples=60,
    deadline=None,  # the first call of a numba kernel compiles it
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("rackplan")

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"


@pytest.fixture
def run_cli(capsys):
    """Run ``rackplan ARGS...`` in-process; returns ``(exit_code, stdout, stderr)``."""
    from rackplan.cli import main

    def run(*args: str):
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
