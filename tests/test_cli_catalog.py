"""``rackplan sites list | show`` and ``rackplan markets list | show``: the built-ins, every
field with its unit, and a built-in printed as a starting file (``--toml``) that loads back."""

from __future__ import annotations

import json

import pytest

from rackplan.economics.market import load_market, markets_dir
from rackplan.facility.site import list_sites, load_site, sites_dir


def test_lists_name_every_built_in(run_cli):
    code, out, _ = run_cli("sites", "list", "--format", "json")
    assert code == 0
    assert json.loads(out) == {ref: load_site(ref).name for ref in list_sites()}
    assert set(json.loads(out)) == {"moses-lake", "air-mining-100mw"}
    code, out, _ = run_cli("markets", "list", "--format", "json")
    assert code == 0 and json.loads(out) == {"2025-11-13": load_market("2025-11-13").name}
    code, out, _ = run_cli("sites", "list")
    assert code == 0 and "moses-lake" in out and "air-mining-100mw" in out


@pytest.mark.parametrize("group, ref, folder, load", [
    ("sites", "moses-lake", sites_dir(), load_site),
    ("markets", "2025-11-13", markets_dir(), load_market),
])
def test_a_built_in_as_a_starting_file_loads_back(run_cli, tmp_path, group, ref, folder, load):
    """``show ID --toml`` prints the built-in file as it is (comments and sources kept);
    written to a file of one's own it loads to the same model, and ``show FILE`` reads it."""
    code, out, err = run_cli(group, "show", ref, "--toml")
    assert code == 0 and err == ""
    assert out == (folder / f"{ref}.toml").read_text(encoding="utf-8")
    mine = tmp_path / "mine.toml"
    mine.write_text(out, encoding="utf-8")
    assert load(str(mine)).model_dump(exclude={"id"}) == load(ref).model_dump(exclude={"id"})
    code, again, _ = run_cli(group, "show", str(mine), "--toml")
    assert code == 0 and again == out


def test_show_gives_each_field_with_its_unit(run_cli):
    code, out, _ = run_cli("sites", "show", "moses-lake", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["utility_power"] == {"value": 18.0, "unit": "MW"}
    assert data["design_dry_bulb"]["unit"] in ("degC", "°C")
    code, out, _ = run_cli("markets", "show", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["btc_price"] == {"value": 98076.0, "unit": "USD/BTC"}
    assert data["terminal_value"] == "dcf" and data["miner_shutdown"] is True
    assert data["sources"]["source 1"].startswith("http")
    code, out, _ = run_cli("sites", "show")
    assert code == 0 and "utility power" in out and "MW" in out


@pytest.mark.parametrize("args, message", [
    (("sites", "show", "nowhere"), "sites show: unknown site id 'nowhere'"),
    (("markets", "show", "1999-01-01"), "markets show: "),
    (("markets", "show", "./missing.toml", "--toml"), "missing.toml: file not found"),
])
def test_a_bad_reference_is_one_line_and_exit_code_2(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
