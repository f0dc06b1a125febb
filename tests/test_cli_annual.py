"""``rackplan annual``: the same names in every format, units on every number, the hourly
netCDF file, and bad input as one line with exit code 2."""

from __future__ import annotations

import json

import pytest

NAMES = ["annual_pue", "peak_pue", "wue", "water_use", "free_cooling_hours", "chiller_hours",
         "chiller_energy", "liquid_chiller_hours", "liquid_chiller_energy", "economizer_hours",
         "unmet_hours", "monthly_pue"]


def test_table(run_cli):
    code, out, err = run_cli("annual")
    assert code == 0
    assert "annual pue" in out and "free cooling hours" in out and "L/kWh" in out
    assert "stand-in" in err  # the Moses Lake site's weather is Yakima's, said so


def test_json_names_and_units(run_cli):
    code, out, _ = run_cli("annual", "--format", "json", "--set", "weather=houston-tx",
                           "--set", "cooling_plant.type=cooling_tower")
    assert code == 0
    data = json.loads(out)
    assert all(name in data for name in NAMES)
    for name in NAMES[:-1]:
        assert set(data[name]) == {"value", "unit"}, name
    assert data["wue"]["unit"] == "L/kWh" and data["wue"]["value"] > 0
    assert data["annual_pue"]["unit"] == "1" and data["free_cooling_hours"]["unit"] == "h"
    assert list(data["monthly_pue"]) == ["jan", "feb", "mar", "apr", "may", "jun", "jul",
                                         "aug", "sep", "oct", "nov", "dec"]
    assert data["inputs"]["weather"] == "houston-tx"


def test_csv(run_cli):
    code, out, _ = run_cli("annual", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "section,field,value,unit"
    assert any(line.startswith(",annual_pue,") and line.endswith(",1")
               for line in out.splitlines())


def test_hourly_netcdf(run_cli, tmp_path):
    import xarray as xr

    path = tmp_path / "hourly.nc"
    code, out, _ = run_cli("annual", "--format", "json", "--out", str(path))
    assert code == 0
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.sizes["hour"] == 8760
        assert ds.facility_power.attrs["units"] == "W"
        pue = float(ds.facility_power.sum() / ds.it_power.sum())
    assert pue == pytest.approx(json.loads(out)["annual_pue"]["value"])


@pytest.mark.parametrize("args, words", [
    (["--set", "weather=nowhere"], "--set: weather: unknown weather id 'nowhere'"),
    (["--site", "air-mining-100mw", "--profile", "antminer-s21"], "weather: no weather year"),
    (["--out", "hourly.txt"], "--out: write a netCDF file ending in .nc"),
    (["--set", "cooling_plant.type=swamp"], "cooling_plant.type"),
    (["--set", "weather=./missing.epw"], "./missing.epw: file not found"),
])
def test_bad_input_is_one_line(run_cli, args, words):
    code, out, err = run_cli("annual", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rackplan: error: ")
    assert words in err


def test_broken_weather_file_names_file_and_field(run_cli, tmp_path):
    path = tmp_path / "year.csv"
    path.write_text("hour,dry_bulb_degC,dew_point_degC,relative_humidity_pct\n1,2,3,4\n")
    code, _, err = run_cli("annual", "--set", f"weather={path}")
    assert code == 2 and err.count("\n") == 1
    assert f"{path}: pressure_mbar: missing column" in err
