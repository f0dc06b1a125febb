"""Shared test fixtures: a CLI runner and the hypothesis settings for this 2-core machine."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Every run, CI's included, draws the same examples: a property that fails, fails every time,
# and a green run is not luck. No example database, so a run leaves no files behind. The
# deadline only catches a hang: the first call of a numba kernel compiles it (seconds).
settings.register_profile(
    "rackplan",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=60),
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
# A long, random campaign for finding new bugs (docs/testing.md, "Fuzzing"):
# HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
settings.register_profile(
    "long",
    parent=settings.get_profile("rackplan"),
    max_examples=5_000,
    derandomize=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rackplan"))

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"


def _no_design():
    from rackplan.facility.site import load_site

    return load_site("moses-lake").model_copy(update={"design_dry_bulb": None,
                                                      "weather": None})


#: Moses Lake without a design condition (no design dry bulb, no weather year): its plant is
#: priced by the design-day overheads of its type, for both sizing and energy
NO_DESIGN = _no_design()
#: The built-in hardware profiles (the repository's hardware_profiles/)
PROFILES = Path(__file__).parent.parent / "hardware_profiles"


@pytest.fixture
def run_cli(capsys):
    """Run ``rackplan ARGS...`` in-process; returns ``(exit_code, stdout, stderr)``."""
    from rackplan.cli import main

    def run(*args: str):
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
