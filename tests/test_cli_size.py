"""``rackplan size`` from the command line: the three formats and the one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import BROKEN, DATA
from test_site import BROKEN_SITES

FIXED = str(DATA / "sites" / "fixed-pue.toml")


def test_defaults_size_moses_lake_for_the_gb300_as_a_table(run_cli):
    code, out, err = run_cli("size")
    assert code == 0
    assert "Moses Lake" in out and "NVIDIA GB300 NVL72" in out
    # a unit beside the numbers
    row = next(line for line in out.splitlines() if "IT power the feed allows" in line)
    assert "MW" in row
    # rows labelled for people, the unit column telling the two heat loads apart
    heat = [line for line in out.splitlines() if "│ heat load " in line]
    assert len(heat) == 2 and "Btu/h" in heat[0] and "TR" in heat[1]
    assert "btuh" not in out and "m3h" not in out
    assert "feed left unused" in out and " kW " in next(
        line for line in out.splitlines() if "feed left unused" in line)
    # the dry-cooler finding goes to stderr, as a warning line
    assert err.startswith("rackplan: warning: dry coolers cannot hold")
    assert "Traceback" not in err


def test_json_has_every_key_with_value_unit_pairs(run_cli):
    code, out, err = run_cli("size", "--format", "json", "--set", "pue=1.25")
    assert code == 0
    data = json.loads(out)
    assert data["rack_count"] == 101  # 14.4 MW / 142 kW [D]
    for key in ("utility_power", "it_power_available", "it_power", "facility_power",
                "stranded_power", "heat_to_liquid", "heat_to_air", "heat_load_btuh",
                "heat_load_tons", "coolant_flow", "coolant_flow_m3h", "coolant_mass_flow",
                "airflow", "airflow_cfm", "power_density_rack", "power_density_area"):
        assert set(data[key]) == {"value", "unit"}, key
        assert isinstance(data[key]["value"], float) and data[key]["unit"]
    for key in ("unit_count", "rack_count", "cdu_count", "gpu_count"):
        assert isinstance(data[key], int)
    assert data["pue"] == 1.25
    assert data["binding_constraint"] == "power"
    assert data["hashrate"] is None
    assert isinstance(data["warnings"], list) and data["warnings"]
    assert data["inputs"]["site"] == "moses-lake"
    assert data["inputs"]["profile"] == "gb300-nvl72"
    # in JSON mode the warnings live in the data, and stderr stays quiet
    assert err == ""


def test_csv_parses_with_a_unit_column(run_cli):
    code, out, _ = run_cli("size", "--site", FIXED, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    by_field = {(r["section"], r["field"]): r for r in rows}
    assert by_field[("", "unit_count")]["value"] == "101"
    assert by_field[("", "it_power")]["unit"] == "MW"
    assert float(by_field[("", "it_power")]["value"]) == pytest.approx(14.342)
    assert by_field[("units_by", "power")]["value"] == "101"


def test_profile_basis_and_set_flags(run_cli):
    code, out, _ = run_cli("size", "--site", FIXED, "--basis", "typical", "--format", "json")
    assert json.loads(out)["rack_count"] == 109  # 14,400 / 132
    code, out, _ = run_cli("size", "--site", FIXED, "--profile", "antminer-s21-xp-hyd",
                           "--set", "pue=1.05", "--format", "json")
    data = json.loads(out)
    assert data["unit_count"] == 3020  # 18 MW / 1.05 / 5,676 W [D]
    assert data["hashrate"]["unit"] == "EH/s"
    assert data["hashrate"]["value"] == pytest.approx(1.428, abs=1e-3)
    code, out, _ = run_cli("size", "--site", FIXED, "--set", "utility_power=20 MW",
                           "--set", 'white_space="100 m^2"', "--format", "json")
    data = json.loads(out)
    assert data["binding_constraint"] == "floor_area"  # 100 / 1.44 = 69.4 -> 69 racks
    assert data["unit_count"] == 69


def test_a_site_file_from_the_user(run_cli):
    code, out, _ = run_cli("size", "--site", str(DATA / "sites" / "all-constraints.toml"),
                           "--format", "json")
    assert code == 0
    assert json.loads(out)["binding_constraint"] == "heat_rejection"


@pytest.mark.parametrize(("name", "field", "fragment"), BROKEN_SITES)
def test_broken_sites_give_one_line_and_exit_2(run_cli, name, field, fragment):
    path = str(BROKEN / name)
    code, out, err = run_cli("size", "--site", path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"rackplan: error: {path}: ")
    if field:
        assert f": {field}: " in err
    assert fragment in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--site", "no-such-site"), "rackplan: error: --site: unknown site id 'no-such-site'"),
        (("--site", "missing/site.toml"), "rackplan: error: missing/site.toml: file not found"),
        (("--profile", "gb300-nvl27"), "rackplan: error: --profile: unknown profile id"),
        (("--set", "pue"), "rackplan: error: --set: 'pue' is not FIELD=VALUE"),
        (("--set", "utility_powr=20 MW"), "rackplan: error: --set: utility_powr: unknown site"),
        (("--set", "utility_power=18 kg"), "rackplan: error: --set: utility_power: '18 kg' is "
                                           "not a power"),
        (("--set", "utility_power=18000000"), "rackplan: error: --set: utility_power: bare "
                                              "number"),
        (("--set", "pue=0.8"), "rackplan: error: --set: pue: 0.8 must be at least 1"),
        (("--set", "cooling_plant.type=swamp"), "rackplan: error: --set: cooling_plant.type: "),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(run_cli, args, expected):
    code, out, err = run_cli("size", *args)
    assert code == 2
    assert out == ""
    assert err.startswith(expected)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_profile_that_is_not_a_file_is_an_error(run_cli, tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text('name = "x"\nvendor = "y"\nkind = "gpu"\npower_max = "142 kg"\n')
    code, _, err = run_cli("size", "--profile", str(bad))
    assert code == 2
    assert err.startswith(f"rackplan: error: {bad}: ")


# --- user text is text, never markup or terminal control -------------------------------------


def _site_named(tmp_path, name: str) -> str:
    import re

    site = (DATA / "sites" / "toy-1mw.toml").read_text()
    path = tmp_path / "site.toml"
    path.write_text(re.sub(r'^name = .*$', lambda _: f'name = "{name}"', site, flags=re.M))
    return str(path)


@pytest.mark.parametrize("name, shown", [
    (r"Site [phase 2] \u001b[31m", r"Site [phase 2] \x1b[31m"),
    ("Rack [/x]", "Rack [/x]"),
    ("[link=https://x.test]click[/link]", "[link=https://x.test]click[/link]"),
    ("[bold]B[/bold] :thumbs_up:", "[bold]B[/bold] :thumbs_up:"),
    (r"a\u009b2Jb\u202ec\u0007", r"a\x9b2Jb\u202ec\x07"),
])
@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_site_names_print_as_written(run_cli, tmp_path, name, shown, fmt):
    code, out, err = run_cli("size", "--site", _site_named(tmp_path, name), "--format", fmt)
    assert code == 0, err
    assert shown in out
    for byte in ("\x1b", "\x9b", "\u202e", "\x07"):
        assert byte not in out and byte not in err


def test_profile_names_print_as_written(run_cli, tmp_path):
    text = (DATA / "profiles" / "toy-gpu.toml").read_text()
    path = tmp_path / "toy.toml"
    path.write_text(text.replace('name = "Toy GPU system"', r'name = "GPU [/x] \u001b]8;;x"'))
    code, out, err = run_cli("size", "--profile", str(path), "--site", FIXED)
    assert code == 0, err
    assert r"GPU [/x] \x1b]8;;x" in " ".join(out.split()) and "\x1b" not in out + err


# --- printers: no NaN or infinity, whatever reaches them --------------------------------------


def test_printers_turn_non_finite_values_into_null_empty_and_na(capsys):
    import math

    import numpy as np

    from rackplan.cli.output import emit
    from rackplan.units import Q_

    data = {"a": Q_(math.inf, "MW"), "b": math.nan, "c": [1.0, -math.inf],
            "d": Q_(np.array([1.0, math.nan]), "kW"), "e": np.float64("inf"),
            "s": {"f": Q_(2.0, "m"), "g": np.array([math.nan])}}
    emit(data, "json", "t")
    out, err = capsys.readouterr()
    d = json.loads(out, parse_constant=lambda c: pytest.fail(c))
    assert d["a"] == {"value": None, "unit": "MW"} and d["b"] is None
    assert d["c"] == [1.0, None] and d["d"]["value"] == [1.0, None] and d["e"] is None
    assert d["s"] == {"f": {"value": 2.0, "unit": "m"}, "g": [None]}
    assert err.startswith("rackplan: warning: a, b, c[1], d, e and 1 more: not a finite number")
    for fmt in ("table", "csv"):
        emit(data, fmt, "t")
        out, err = capsys.readouterr()
        assert "nan" not in out.lower() and "inf" not in out.lower()
        assert err.count("\n") == 1
    emit(data, "table", "t")
    out = capsys.readouterr().out
    assert "n/a" in out


def test_cdus_by_heat_and_by_flow_in_every_format(run_cli):
    # Moses Lake, GB300 NVL72 (test_capacity: 9 by heat, 10 by flow, 11 with N+1)
    code, out, _ = run_cli("size", "--format", "json")
    data = json.loads(out)
    assert (data["cdus_by_heat"], data["cdus_by_flow"], data["cdu_count"]) == (9, 10, 11)
    assert data["cdu_basis"] == "flow"
    assert data["rack_coolant_flow"] == {"value": 119.0, "unit": "L/min"}
    assert data["inputs"]["cdu_flow_capacity"] == {"value": 1200.0, "unit": "L/min"}
    code, out, _ = run_cli("size", "--format", "csv")
    by_field = {(r["section"], r["field"]): r for r in csv.DictReader(io.StringIO(out))}
    assert by_field[("", "cdus_by_flow")]["value"] == "10"
    assert by_field[("", "cdu_basis")]["value"] == "flow"
    code, out, _ = run_cli("size")
    row = next(line for line in out.splitlines() if "CDUs counted by" in line)
    assert "flow" in row


def test_a_profile_with_a_bad_flow_table_is_one_line_and_exit_2(run_cli):
    path = str(BROKEN / "profile_flow_table_falling.toml")
    code, out, err = run_cli("size", "--profile", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "profile_flow_table_falling.toml: cooling.flow_table.rack_flow: must not fall" in err


def test_a_supply_outside_the_flow_table_is_one_line_and_exit_2(run_cli):
    code, out, err = run_cli("size", "--set", "coolant_supply_temperature=50 degC")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "gb300-nvl72.toml: cooling.flow_table.supply_temperature: the site's coolant " \
           "supply 50 degC is outside the table (25 to 45 degC)" in err


def test_the_peak_basis_of_a_profile_without_a_peak_is_one_line(run_cli):
    code, out, err = run_cli("size", "--basis", "peak")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "power_peak" in err and "no power_peak to size on" in err
