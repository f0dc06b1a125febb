"""The files of ``examples/`` load, and the commands the README and the docs run on them give
the numbers worked out by hand below."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from rackplan.economics.market import load_market
from rackplan.facility.profiles import load_profile
from rackplan.facility.site import load_site

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), EXAMPLES / "README.md"]


def test_every_example_file_loads():
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == [
        "my-market.toml", "my-rack.toml", "my-site.toml"]
    assert load_site(EXAMPLES / "my-site.toml").utility_power.m_as("MW") == 10
    assert load_profile(EXAMPLES / "my-rack.toml").units_per_rack == 2
    market = load_market(EXAMPLES / "my-market.toml")
    base = load_market("2025-11-13")
    # the three fields it sets; every other one, the built-in's
    assert market.btc_price.m_as("USD/BTC") == 110_000 and market.gpu_contract_share == 0.5
    assert market.power_price.m_as("USD/MWh") == 45
    assert market.colocation_rate == base.colocation_rate
    assert market.tenant_default_rate == base.tenant_default_rate


def test_my_rack_on_my_site_by_hand(run_cli):
    """Ten MW on a cooling tower for air-cooled DGX B200 servers, sized in Midland's design
    hour (the weather year's 0.4 % dry and wet bulb): the PUE is the tower plant's that hour
    (the hourly model, hand-worked in tests/test_plant.py), 10 MW / PUE / 14.3 kW servers,
    two a rack, power binding."""
    from rackplan.facility.plant import design_pue
    from rackplan.facility.weather import load_weather

    code, out, err = run_cli("size", "--site", "examples/my-site.toml", "--profile",
                             "examples/my-rack.toml", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    pue = design_pue(load_site(EXAMPLES / "my-site.toml"), 0.0, load_weather("midland-tx"))
    assert d["pue"] == pytest.approx(pue, rel=1e-12)
    assert d["inputs"]["pue_from"].startswith("cooling_plant (cooling_tower) in the design hour")
    # below the 1.328 of the design-day overheads (a COP 6.5 chiller on all the air heat): in
    # Midland's design hour the tower water carries part of the CRAH load
    assert round(pue, 3) == 1.307
    units = math.floor(10e6 / pue / 14_300)
    assert (d["unit_count"], d["rack_count"]) == (units, math.ceil(units / 2)) == (535, 268)
    assert d["binding_constraint"] == "power"


def test_my_market_in_compare(run_cli):
    code, out, err = run_cli("compare", "--market", "examples/my-market.toml", "--format",
                             "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["inputs"]["btc_price"]["value"] == 110_000
    assert d["inputs"]["power_price"]["value"] == pytest.approx(45)
    assert "50 % of the GPUs on a take-or-pay contract" in d["conventions"]["gpu_hour_price"]


def _example_commands():
    """Every ``rackplan ...`` line of the README and the docs that names a file of
    ``examples/`` (a ``| jq`` or ``> file`` tail dropped, continuation lines joined)."""
    found = []
    for doc in DOCS:
        text = re.sub(r"\\\n\s*", " ", doc.read_text())
        for line in text.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("rackplan ") and "examples/" in line:
                command = re.split(r"\s[|>#]", line)[0]
                found.append(pytest.param(command, id=f"{doc.name}: {command[9:60]}"))
    return found


@pytest.mark.parametrize("command", _example_commands())
def test_the_documented_commands_on_the_examples_run(run_cli, command, monkeypatch):
    import shlex

    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert out.strip()
