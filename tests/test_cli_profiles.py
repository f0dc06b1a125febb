"""``rackplan profiles list | show | validate`` in every format, and their errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from rackplan.facility.profiles import list_profiles, profiles_dir

from conftest import BROKEN

ALL_IDS = [p.id for p in list_profiles()]
ASIC_IDS = [p.id for p in list_profiles() if p.kind == "asic"]
GPU_IDS = [p.id for p in list_profiles() if p.kind == "gpu"]


def test_profiles_help_lists_the_three_commands(run_cli):
    code, out, _ = run_cli("profiles", "--help")
    assert code == 0
    for command in ("list", "show", "validate"):
        assert command in out


# --- list ---------------------------------------------------------------------------------------

def test_list_table_shows_every_profile_with_units_in_the_headers(run_cli):
    code, out, err = run_cli("profiles", "list")
    assert code == 0 and err == ""
    for profile_id in ALL_IDS:
        assert profile_id in out
    for header in ("kW", "TH/s", "J/TH", "liquid", "cooling"):
        assert header in out
    assert "473 TH/s" in out and "72 GPUs" in out


def test_list_kind_filters(run_cli):
    code, out, _ = run_cli("profiles", "list", "--kind", "asic")
    assert code == 0
    assert all(i in out for i in ASIC_IDS)
    assert not any(i in out for i in GPU_IDS)


def test_list_json_is_a_list_of_objects_with_units(run_cli):
    code, out, _ = run_cli("profiles", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ALL_IDS
    by_id = {r["id"]: r for r in rows}
    assert by_id["gb300-nvl72"]["power_max"] == {"value": 142.0, "unit": "kW"}
    assert by_id["gb300-nvl72"]["gpus_per_unit"] == 72
    assert by_id["gb300-nvl72"]["hashrate"] is None
    hyd = by_id["antminer-s21-xp-hyd"]
    assert hyd["hashrate"] == {"value": 473.0, "unit": "TH/s"}
    assert hyd["efficiency"]["unit"] == "J/TH"
    assert hyd["efficiency"]["value"] == pytest.approx(12.0)
    assert hyd["liquid_fraction"] == pytest.approx(0.95)


def test_list_csv_has_one_row_per_profile_and_units_in_the_column_names(run_cli):
    code, out, _ = run_cli("profiles", "list", "--kind", "gpu", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == GPU_IDS
    gb300 = next(r for r in rows if r["id"] == "gb300-nvl72")
    assert float(gb300["power_max_kW"]) == 142.0
    assert gb300["hashrate_TH/s"] == ""
    assert gb300["gpus_per_unit"] == "72"


def test_list_rejects_an_unknown_kind_as_a_usage_error(run_cli):
    code, out, err = run_cli("profiles", "list", "--kind", "fpga")
    assert code == 2
    assert out == ""
    assert "fpga" in err and "Traceback" not in err


# --- show ---------------------------------------------------------------------------------------

def test_show_table_has_every_field_with_units_sources_and_assumptions(run_cli):
    code, out, err = run_cli("profiles", "show", "gb300-nvl72")
    assert code == 0 and err == ""
    for text in ("power max", "142", "kW", "gpus per unit", "72", "rack weight", "kg",
                 "coolant supply max", "°C", "liquid fraction",
                 "docs.nvidia.com/enterprise-reference-architectures", "assumption"):
        assert text in out, text


def test_show_table_keeps_bracketed_text(run_cli):
    # "[community catalog]" in a source must not be eaten as rich markup.
    code, out, _ = run_cli("profiles", "show", "antminer-s21-xp-hyd")
    assert code == 0
    assert "[community catalog]" in out


def test_show_json_names_every_unit(run_cli):
    code, out, _ = run_cli("profiles", "show", "antminer-s21-xp-hyd", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "antminer-s21-xp-hyd"
    assert data["power_max"] == {"value": 5676.0, "unit": "W"}
    assert data["hashrate"] == {"value": 473.0, "unit": "TH/s"}
    assert data["efficiency"]["value"] == pytest.approx(12.0)
    # 16 units x 5,676 W = 90.816 kW per rack
    assert data["rack_power_max"]["value"] == pytest.approx(90.816)
    assert data["cooling"]["method"] == "hydro"
    assert data["cooling"]["coolant_supply_max"]["value"] == pytest.approx(45.0)
    assert all(set(s) == {"url", "supports"} for s in data["sources"])
    assert "liquid_fraction 0.95" in data["assumptions"]
    assert "file" not in data


def test_show_gives_the_flow_table_row_by_row(run_cli):
    # Lenovo LP2357 table 27
    code, out, _ = run_cli("profiles", "show", "gb300-nvl72", "--format", "json")
    cooling = json.loads(out)["cooling"]
    assert cooling["rack_flow_at_40_degC"] == {"value": 119.0, "unit": "L/min"}
    assert "LP2357" in cooling["flow_table_source"]
    code, out, _ = run_cli("profiles", "show", "gb300-nvl72")
    assert "rack flow at 45 degC" in out


def test_show_csv(run_cli):
    code, out, _ = run_cli("profiles", "show", "dgx-h100", "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "field", "value", "unit"]
    assert ["", "power_max", "10.2", "kW"] in rows
    assert ["", "rack_units", "8", ""] in rows
    assert any(r[0] == "sources" for r in rows)


def test_show_takes_a_users_file(run_cli, tmp_path):
    own = tmp_path / "my-rack.toml"
    own.write_text((profiles_dir() / "gpu" / "dgx-b200.toml").read_text())
    code, out, _ = run_cli("profiles", "show", str(own), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "my-rack"
    assert data["file"] == str(own)


def test_show_gives_the_optional_powers_where_a_profile_has_them(run_cli, tmp_path):
    own = tmp_path / "gb300-fabric.toml"
    own.write_text((profiles_dir() / "gpu" / "gb300-nvl72.toml").read_text().replace(
        "power_typical =", 'power_outside_rack = "7.2 kW"\npower_peak = "155 kW"\n'
        "power_typical =", 1))
    code, out, _ = run_cli("profiles", "show", str(own), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["power_outside_rack"] == {"value": 7.2, "unit": "kW"}
    assert data["power_peak"] == {"value": 155.0, "unit": "kW"}
    code, out, _ = run_cli("profiles", "show", "gb300-nvl72", "--format", "json")
    assert "power_outside_rack" not in json.loads(out)


def test_show_an_unknown_id_suggests_close_matches_in_one_line(run_cli):
    code, out, err = run_cli("profiles", "show", "gb300-nvl27")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("rackplan: error: profiles show: unknown profile id 'gb300-nvl27'")
    assert "did you mean 'gb300-nvl72'" in err
    assert "Traceback" not in err


# --- validate -----------------------------------------------------------------------------------

def test_validate_every_builtin_file_is_ok(run_cli):
    files = [str(p) for p in sorted(profiles_dir().rglob("*.toml"))]
    code, out, err = run_cli("profiles", "validate", *files)
    assert code == 0 and err == ""
    assert out.splitlines() == [f"{f}: ok" for f in files]


BROKEN_LINES = [
    ("profile_wrong_dimension.toml", "power_max: '142 kg' is not a power (expected units like W)"),
    ("profile_bare_number.toml",
     "power_max: bare number 142000 needs a unit: expected a power, e.g. '142000 W'"),
    ("profile_negative_power.toml", "power_max: -142000 W must be greater than 0 W"),
    ("profile_liquid_fraction_above_1.toml", "cooling.liquid_fraction: 1.5 must be at most 1"),
    ("profile_unknown_field.toml", "power_maximum: unknown field (did you mean 'power_max'"),
    ("profile_malformed.toml", "malformed TOML: "),
    ("profile_gpu_without_gpus_per_unit.toml", "gpus_per_unit: a gpu profile needs gpus_per_unit"),
    ("profile_air_with_liquid_fraction.toml",
     "cooling.liquid_fraction: an air-cooled unit has liquid_fraction 0 (got 0.3)"),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN_LINES, ids=[n for n, _ in BROKEN_LINES])
def test_validate_a_broken_file_gives_one_line_and_exit_code_2(run_cli, name, expected):
    path = str(BROKEN / name)
    code, out, err = run_cli("profiles", "validate", path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"{path}: {expected}")
    assert "Traceback" not in err


def test_validate_checks_every_file_not_just_the_first(run_cli):
    good = str(profiles_dir() / "gpu" / "gb300-nvl72.toml")
    broken = [str(BROKEN / name) for name, _ in BROKEN_LINES]
    code, out, err = run_cli("profiles", "validate", broken[0], good, *broken[1:], "missing.toml")
    assert code == 2
    assert out == f"{good}: ok\n"
    lines = err.splitlines()
    assert len(lines) == len(broken) + 1
    assert [line.split(": ")[0] for line in lines] == [*broken, "missing.toml"]
    assert lines[-1] == "missing.toml: file not found"


def test_validate_does_not_take_an_id_for_a_file(run_cli):
    code, _, err = run_cli("profiles", "validate", "gb300-nvl72")
    assert code == 2
    assert err == "gb300-nvl72: file not found\n"


def test_validate_needs_at_least_one_file(run_cli):
    code, _, err = run_cli("profiles", "validate")
    assert code == 2
    assert err == "rackplan: error: profiles validate: missing argument FILE\n"


def test_validate_a_folder(run_cli, tmp_path):
    code, _, err = run_cli("profiles", "validate", str(tmp_path))
    assert code == 2
    assert err == f"{tmp_path}: is a folder, not a TOML file\n"


def test_broken_profile_through_show_is_one_line(run_cli):
    path = BROKEN / "profile_wrong_dimension.toml"
    code, out, err = run_cli("profiles", "show", str(path))
    assert code == 2 and out == ""
    assert err == (f"rackplan: error: {Path(path).resolve()}: power_max: "
                   "'142 kg' is not a power (expected units like W)\n")


def test_validate_checks_every_file_of_a_batch(run_cli, tmp_path):
    import os

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 500 + "]" * 500 + "\n")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbfname = 'x'\n")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    good = str(Path(__file__).parent / "data" / "profiles" / "toy-gpu.toml")
    odd = tmp_path / "a\x1b[2Jb.toml"
    files = [str(deep), str(bom), "/dev/zero", str(fifo), str(odd), good, str(tmp_path)]
    code, out, err = run_cli("profiles", "validate", *files)
    assert code == 2
    assert out == f"{good}: ok\n"
    lines = err.splitlines()
    assert len(lines) == len(files) - 1, err
    assert lines[0].startswith(f"{deep}: ") and lines[2].startswith("/dev/zero: not a regular")
    assert lines[3].startswith(f"{fifo}: not a regular file")
    assert "\x1b" not in err and "a\\x1b[2Jb.toml: file not found" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("width", [80, 120])
def test_the_list_reads_whole_at_80_columns(monkeypatch, width):
    """No value cut to "3.…": at 80 columns the two columns `profiles show` repeats (typical
    power, efficiency) are left out and a line says where they are; at 120 all are there."""
    import io

    from rich.console import Console

    import rackplan.cli.output as output
    from rackplan.cli.profiles_cmd import _print_list_table
    from rackplan.cli.profiles_cmd import profile_summary
    from rackplan.facility.profiles import list_profiles

    buf = io.StringIO()
    monkeypatch.setattr(output, "console", lambda stderr=False: Console(
        file=buf, width=width, highlight=False, emoji=False, markup=False))
    _print_list_table([profile_summary(p) for p in list_profiles()])
    text = buf.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    assert "antminer-s21e-xp-hyd-3u" in text and "11.18" in text and "860 TH/s" in text
    assert "direct liquid" in text
    if width == 80:
        assert "J/TH" not in text.splitlines()[2] and "rackplan profiles show ID" in text
    else:
        assert "typical kW" in text and "29.5" in text and "profiles show ID" not in text
