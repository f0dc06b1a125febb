"""Hardware profiles (rackplan.facility.profiles): the built-in catalog, user files, and broken files.

Reference figures are from the profiles' own sources (the URLs in their ``[[sources]]``); the
arithmetic is worked by hand in comments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from rackplan._io import validate
from rackplan.errors import ProfileError
from rackplan.facility.profiles import HardwareProfile, list_profiles, load_profile, profiles_dir
from rackplan.units import Q_

from conftest import BROKEN

REPO = Path(__file__).resolve().parents[1]
BUILTIN_FILES = sorted(profiles_dir().rglob("*.toml"))

# The catalog issue 2 asks for, at least.
REQUIRED_IDS = {
    "gb300-nvl72", "gb200-nvl72", "dgx-b200", "dgx-b300", "dgx-h100", "dgx-h200",
    "antminer-s19j-pro", "antminer-s21", "antminer-s21-pro", "antminer-s21-xp",
    "antminer-s21-hyd", "antminer-s21-xp-hyd", "antminer-s21e-xp-hyd-3u", "whatsminer-m60s",
    "whatsminer-m66s", "avalon-a1566",
}


def _kw(q):
    return q.to("kW").magnitude


# --- the built-in catalog ----------------------------------------------------------------------

def test_the_catalog_holds_every_required_profile():
    assert REQUIRED_IDS <= {p.id for p in list_profiles()}


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_every_builtin_profile_loads_and_validates(path):
    profile = load_profile(path.stem)
    assert isinstance(profile, HardwareProfile)
    assert profile.id == path.stem
    assert profile.kind == path.parent.name  # gpu/ and asic/ sub-folders
    assert profile.power_typical <= profile.power_max
    # Loading by path gives the same profile as loading by id.
    assert load_profile(path) == profile


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_every_builtin_profile_cites_sources_and_names_its_assumptions(path):
    profile = load_profile(path)
    assert profile.sources
    for source in profile.sources:
        assert source.url.startswith("https://")
        assert "example.org" not in source.url
        assert source.supports.strip()
    # Every built-in profile estimates something (rack layout at least) and must say so.
    assert "assum" in profile.assumptions


def test_ids_are_file_stems_and_unique_across_subfolders():
    stems = [p.stem for p in BUILTIN_FILES]
    assert len(stems) == len(set(stems)), "the same id in gpu/ and asic/ would be ambiguous"
    assert sorted(p.id for p in list_profiles()) == sorted(stems)


def test_list_profiles_is_sorted_by_kind_then_id():
    keys = [(p.kind, p.id) for p in list_profiles()]
    assert keys == sorted(keys)


@pytest.mark.parametrize("profile", list_profiles(), ids=lambda p: p.id)
def test_cooling_data_is_physically_consistent(profile):
    c = profile.cooling
    if c.method == "air":
        assert c.liquid_fraction == 0
        assert c.air_inlet_max is not None
    else:
        assert c.coolant_supply_max is not None
    if c.method == "hydro":
        # PSU and control board shed some heat to the room: not 100% to liquid.
        assert 0.5 < c.liquid_fraction < 1
    if c.method == "immersion":
        assert c.liquid_fraction >= 0.95
    if c.method == "direct_liquid":
        assert 0.5 < c.liquid_fraction < 1  # fans still cool power shelves and networking


# --- reference figures --------------------------------------------------------------------------

def test_gb300_nvl72_matches_nvidias_reference_architecture():
    # NVIDIA Enterprise RA: "full rack requiring up to 142 kW"; 72 GPUs, 36 Grace CPUs.
    p = load_profile("gb300-nvl72")
    assert _kw(p.power_max) == pytest.approx(142.0)
    assert _kw(p.power_typical) == pytest.approx(132.0)  # Supermicro: 132-140 kW operating
    assert p.gpus_per_unit == 72
    assert p.units_per_rack == 1
    assert p.hashrate is None and p.efficiency is None


def test_gb200_nvl72_power_max_is_half_the_installed_shelves():
    # 8 shelves x 6 PSUs x 5.5 kW = 264 kW installed; N+N -> 132 kW.
    p = load_profile("gb200-nvl72")
    assert _kw(p.power_max) == pytest.approx(8 * 6 * 5.5 / 2)
    assert _kw(p.power_typical) == pytest.approx(120.0)
    assert p.gpus_per_unit == 72


def test_dgx_h100_rack_is_nvidias_40_8_kw():
    # NVIDIA suggests 4 DGX H100 per rack: 4 x 10.2 kW = 40.8 kW.
    p = load_profile("dgx-h100")
    assert _kw(p.power_max * p.units_per_rack) == pytest.approx(40.8)
    assert p.rack_units == 8
    assert p.gpus_per_unit == 8


def test_dgx_b200_matches_the_nvidia_user_guide():
    p = load_profile("dgx-b200")
    assert _kw(p.power_max) == pytest.approx(14.3)
    assert p.rack_units == 10
    assert p.cooling.method == "air"


@pytest.mark.parametrize(
    ("profile_id", "th_s", "watts", "j_per_th"),
    [
        ("antminer-s21-xp-hyd", 473, 5676, 12.0),     # 5,676 / 473 = 12.0
        ("antminer-s19j-pro", 104, 3068, 29.5),       # 3,068 / 104 = 29.5
        ("antminer-s21-xp", 270, 3645, 13.5),         # 3,645 / 270 = 13.5
        ("antminer-s21-hyd", 335, 5360, 16.0),        # 5,360 / 335 = 16.0
        ("antminer-s21e-xp-hyd-3u", 860, 11180, 13.0),  # 11,180 / 860 = 13.0
        ("whatsminer-m60s", 186, 3441, 18.5),         # 3,441 / 186 = 18.5
        ("whatsminer-m66s", 298, 5513, 18.5),         # 5,513 / 298 = 18.5
        ("antminer-s21", 200, 3550, 17.75),           # AMV 3,550 W (Bitmain: 17.5 at 3,500 W)
    ],
)
def test_miner_hashrate_power_and_efficiency_match_the_cited_figures(profile_id, th_s, watts,
                                                                      j_per_th):
    p = load_profile(profile_id)
    assert p.hashrate.to("TH/s").magnitude == pytest.approx(th_s)
    assert p.power_max.to("W").magnitude == pytest.approx(watts)
    assert p.efficiency.to("J/TH").magnitude == pytest.approx(j_per_th, abs=0.01)


def test_s21_typical_power_is_bitmains_17_5_j_per_th():
    p = load_profile("antminer-s21")
    assert (p.power_typical / p.hashrate).to("J/TH").magnitude == pytest.approx(17.5)


def test_moses_lake_worked_arithmetic():
    # [D] 18 MW gross (pulse2.com) / PUE 1.25 (the middle of Bitfarms' 1.2-1.3 target)
    # = 14.4 MW IT -> 101 racks at 142 kW (NVIDIA Enterprise RA);
    # 18 MW / PUE 1.05 on S21 XP Hyd (5,676 W, 473 TH/s) -> ~3,020 units -> ~1.43 EH/s.
    gb300 = load_profile("gb300-nvl72")
    assert int(Q_(14.4, "MW") // gb300.power_max) == 101
    hyd = load_profile("antminer-s21-xp-hyd")
    units = int(Q_(18 / 1.05, "MW") // hyd.power_max)
    assert units == 3020
    assert (units * hyd.hashrate).to("EH/s").magnitude == pytest.approx(1.43, abs=0.005)


# --- user files and unknown ids -----------------------------------------------------------------

def test_an_unknown_id_lists_close_matches():
    with pytest.raises(ProfileError) as info:
        load_profile("gb300-nvl27")
    assert "unknown profile id 'gb300-nvl27'" in str(info.value)
    assert "did you mean 'gb300-nvl72'" in str(info.value)


def test_an_unknown_id_without_close_match_lists_the_known_ids():
    with pytest.raises(ProfileError) as info:
        load_profile("zzzz")
    assert "known ids:" in str(info.value) and "dgx-h100" in str(info.value)


def test_a_users_own_toml_file_loads_by_path(tmp_path):
    data = (profiles_dir() / "asic" / "antminer-s21-xp.toml").read_text()
    own = tmp_path / "my-overclocked-s21xp.toml"
    own.write_text(data.replace('power_max = "3645 W"', 'power_max = "4.2 kW"'))
    for ref in (own, str(own)):
        p = load_profile(ref)
        assert p.id == "my-overclocked-s21xp"
        assert p.power_max.to("W").magnitude == pytest.approx(4200.0)


def test_load_profile_passes_a_profile_through():
    p = load_profile("dgx-h200")
    assert load_profile(p) is p


def test_a_missing_user_file_is_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ProfileError, match="file not found"):
        load_profile(missing)


def test_an_id_field_is_refused_because_the_file_name_is_the_id(tmp_path):
    data = (profiles_dir() / "gpu" / "dgx-h100.toml").read_text()
    own = tmp_path / "rack.toml"
    own.write_text('id = "other"\n' + data)
    with pytest.raises(ProfileError) as info:
        load_profile(own)
    assert info.value.field == "id"
    assert "the id is the file name" in str(info.value)


# --- broken files: each names the file and the field -------------------------------------------

BROKEN_CASES = [
    ("profile_wrong_dimension.toml", "power_max", "'142 kg' is not a power (expected units like W)"),
    ("profile_bare_number.toml", "power_max", "bare number 142000 needs a unit"),
    ("profile_negative_power.toml", "power_max", "must be greater than 0 W"),
    ("profile_liquid_fraction_above_1.toml", "cooling.liquid_fraction", "1.5 must be at most 1"),
    ("profile_unknown_field.toml", "power_maximum", "unknown field (did you mean 'power_max'"),
    ("profile_malformed.toml", None, "malformed TOML"),
    ("profile_gpu_without_gpus_per_unit.toml", "gpus_per_unit", "a gpu profile needs gpus_per_unit"),
    ("profile_air_with_liquid_fraction.toml", "cooling.liquid_fraction",
     "an air-cooled unit has liquid_fraction 0"),
    ("profile_subnormal_power.toml", "power_max", "is too small"),
    ("profile_boolean_units_per_rack.toml", "units_per_rack", "True is not a whole number"),
    ("profile_flow_table_falling.toml", "cooling.flow_table.rack_flow",
     "must not fall as the supply warms: 100 L/min follows 120 L/min"),
]


def test_every_broken_profile_fixture_is_covered():
    assert {name for name, _, _ in BROKEN_CASES} == {p.name for p in BROKEN.glob("profile_*.toml")}


@pytest.mark.parametrize(("name", "field", "fragment"), BROKEN_CASES, ids=lambda v: str(v))
def test_a_broken_profile_names_file_and_field(name, field, fragment):
    path = BROKEN / name
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    err = info.value
    assert err.source == str(path.resolve())
    assert err.field == field
    assert fragment in err.message
    expected_head = f"{path.resolve()}: {field}: " if field else f"{path.resolve()}: "
    assert str(err).startswith(expected_head)


def _asic_data(**changes):
    data = tomllib.loads((profiles_dir() / "asic" / "antminer-s21-hyd.toml").read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"power_typical": "6 kW"}, "power_typical", "is larger than power_max"),
        ({"hashrate": None}, "hashrate", "an asic profile needs hashrate"),
        ({"gpus_per_unit": 8}, "gpus_per_unit", "an asic profile has no gpus_per_unit"),
        ({"kind": "gpu", "gpus_per_unit": 8}, "hashrate", "a gpu profile has no hashrate"),
        ({"cooling": {"method": "hydro", "liquid_fraction": 0}}, "cooling.liquid_fraction",
         "a hydro unit sends some heat to liquid"),
        ({"cooling": {"method": "boiling", "liquid_fraction": 1}}, "cooling.method", "Input should be"),
        ({"sources": []}, "sources", "at least 1 item"),
        ({"units_per_rack": 0}, "units_per_rack", "greater than 0"),
        ({"cooling": {"method": "hydro", "liquid_fraction": 0.9, "coolant_supply_max": "45 K"}},
         "cooling.coolant_supply_max", "must be greater than -50"),  # 45 K = -228 degC
    ],
)
def test_cross_field_checks_name_the_field(changes, field, fragment):
    with pytest.raises(ProfileError) as info:
        validate(HardwareProfile, _asic_data(**changes), source="p.toml", error=ProfileError)
    assert info.value.field == field
    assert fragment in info.value.message


# --- where the built-in profiles are found ------------------------------------------------------

def test_profiles_dir_finds_the_checkout_folder():
    # Editable install: the wheel's rackplan/hardware_profiles does not exist, the checkout does.
    assert profiles_dir() == REPO / "hardware_profiles"
    assert {p.name for p in profiles_dir().iterdir() if p.is_dir()} >= {"gpu", "asic"}


def test_the_wheel_force_includes_the_profiles_folder():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["hardware_profiles"] == "rackplan/hardware_profiles"


@pytest.mark.slow
def test_profiles_are_found_from_an_installed_wheel(tmp_path):
    # Offline: build with the installed hatchling (no build isolation, no index), ~2 s.
    pytest.importorskip("hatchling")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=120,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("rackplan-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    shipped = {Path(n).stem for n in names
               if n.startswith("rackplan/hardware_profiles/") and n.endswith(".toml")}
    assert shipped == {p.stem for p in BUILTIN_FILES}
    # PEP 561: the package says it is typed; the weather years and their attribution ship too
    assert "rackplan/py.typed" in names
    assert {"rackplan/data/weather/yakima-wa.csv", "rackplan/data/weather/README.md"} <= set(names)

    # A fresh interpreter that imports rackplan from the unpacked wheel, not from src/.
    code = ("import rackplan, rackplan.facility.profiles as p; print(rackplan.__file__); "
            "print(p.profiles_dir()); print(len(p.list_profiles()))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    module_file, folder, count = run.stdout.split("\n")[:3]
    assert Path(module_file).is_relative_to(site)
    assert Path(folder) == site / "rackplan" / "hardware_profiles"
    assert int(count) == len(BUILTIN_FILES)
    shutil.rmtree(site)



# --- hardening: bounds, the cache, the id rule -------------------------------------------------

def _hydro_table(temps, flows):
    """A hydro unit's cooling table with a coolant flow table of these rows."""
    return {"method": "hydro", "liquid_fraction": 0.9,
            "flow_table": {"supply_temperature": temps, "rack_flow": flows,
                           "source": "a test table, no document behind it"}}


@pytest.mark.parametrize(("changes", "field", "fragment"), [
    ({"power_max": "5e-324 W", "power_typical": "5e-324 W"}, "power_max", "is too small"),
    ({"power_max": "0.001 W", "power_typical": "0.001 W"}, "power_max", "must be at least 1 W"),
    ({"power_max": "1e300 W"}, "power_max", "must be at most 1e+08 W"),
    ({"power_max": "1e400 W"}, "power_max", "not a finite number"),
    ({"power_max": "5 kW # measured"}, "power_max", "'#' is not part of one"),
    ({"power_max": "5 kW/0"}, "power_max", "unknown unit"),
    ({"hashrate": "1e-300 TH/s"}, "hashrate", "must be at least 1e+06 H/s"),
    ({"hashrate": "1e200 TH/s"}, "hashrate", "must be at most 1e+18 H/s"),
    ({"rack_weight": "1e-300 kg"}, "rack_weight", "must be at least 1 kg"),
    ({"rack_weight": "1e300 kg"}, "rack_weight", "must be at most 100000 kg"),
    ({"rack_footprint": "1e-300 m^2"}, "rack_footprint", "must be at least 0.01 m**2"),
    ({"units_per_rack": True}, "units_per_rack", "is not a whole number"),
    ({"units_per_rack": 10**30}, "units_per_rack", "less than or equal to 10000"),
    ({"units_per_rack": float("inf")}, "units_per_rack", "finite number"),
    ({"rack_units": 10**6}, "rack_units", "less than or equal to 100"),
    ({"cooling": {"method": "hydro", "liquid_fraction": float("nan")}},
     "cooling.liquid_fraction", "not a finite number"),
    ({"cooling": {"method": "hydro", "liquid_fraction": 0.9,
                  "coolant_supply_max": "10 delta_degC"}},
     "cooling.coolant_supply_max", "temperature difference, not a temperature"),
    ({"cooling": _hydro_table(["25 degC", "25 degC"], ["10 L/min", "12 L/min"])},
     "cooling.flow_table.supply_temperature", "must rise from row to row"),
    ({"cooling": _hydro_table(["25 degC", "35 degC", "45 degC"], ["10 L/min", "12 L/min"])},
     "cooling.flow_table.rack_flow", "2 flows for 3 supply temperatures"),
    ({"cooling": _hydro_table(["25 degC", "35 degC"], ["10 kW", "12 kW"])},
     "cooling.flow_table.rack_flow.0", "is not a volume flow"),
    ({"cooling": _hydro_table(["25 K", "35 K"], ["10 L/min", "12 L/min"])},
     "cooling.flow_table.supply_temperature.0", "must be greater than -50"),
    ({"cooling": _hydro_table(["25 degC"], ["10 L/min"])},
     "cooling.flow_table.supply_temperature", "at least 2 items"),
    ({"cooling": {**_hydro_table(["25 degC", "35 degC"], ["1 L/min", "2 L/min"]),
                  "method": "air", "liquid_fraction": 0}},
     "cooling.flow_table", "sends no heat to liquid has no coolant flow table"),
])
def test_out_of_range_profile_values_name_the_field(changes, field, fragment):
    with pytest.raises(ProfileError) as info:
        validate(HardwareProfile, _asic_data(**changes), source="p.toml", error=ProfileError)
    assert info.value.field == field
    assert fragment in info.value.message


def _write(path: Path, power: str, mtime_ns: int) -> None:
    data = (profiles_dir() / "asic" / "antminer-s21-xp.toml").read_text()
    path.write_text(data.replace('power_max = "3645 W"', f'power_max = "{power}"'))
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_an_edited_profile_file_is_read_again(tmp_path):
    own = tmp_path / "mine.toml"
    _write(own, "4000 W", 1_000_000_000_000_000_000)
    assert load_profile(own).power_max.m_as("W") == 4000
    # same size, newer modification time: the edit shows
    _write(own, "4100 W", 1_000_000_000_000_000_001)
    assert load_profile(own).power_max.m_as("W") == 4100
    # another size, the same time (a coarse clock): the edit shows too
    _write(own, "4200.5 W", 1_000_000_000_000_000_001)
    assert load_profile(str(own)).power_max.m_as("W") == 4200.5
    # unchanged: the cached profile itself
    assert load_profile(own) is load_profile(own)


def test_an_edited_profile_that_became_invalid_is_reported(tmp_path):
    own = tmp_path / "mine.toml"
    _write(own, "4000 W", 1_000_000_000_000_000_000)
    load_profile(own)
    _write(own, "-4000 W", 1_000_000_000_000_000_002)
    with pytest.raises(ProfileError, match="power_max"):
        load_profile(own)


def test_a_profile_id_is_not_shadowed_by_a_file_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("gb300-nvl72").write_text("garbage = [")
    Path("gb300-nvl72.toml").write_text("garbage = [")
    assert load_profile("gb300-nvl72").name == "NVIDIA GB300 NVL72"
    for ref in ("./gb300-nvl72", "gb300-nvl72.toml", Path("gb300-nvl72")):
        with pytest.raises(ProfileError, match="malformed TOML"):
            load_profile(ref)


@pytest.mark.parametrize("name", ["profile_subnormal_power.toml",
                                  "profile_boolean_units_per_rack.toml"])
@pytest.mark.parametrize("command", [("size", "--profile"), ("profiles", "show"),
                                     ("profiles", "validate")])
def test_new_broken_profiles_are_one_line_from_the_command_line(run_cli, name, command):
    path = BROKEN / name
    code, out, err = run_cli(*command, str(path))
    assert code == 2 and "Traceback" not in err
    assert err.count("\n") == 1
    assert str(path.resolve()) in err or str(path) in err
