"""Weather years: the built-in TMY3 copies, the three file formats, wet bulb and design values,
and the errors of broken files (made here from a built-in year, one fault each)."""

from __future__ import annotations

import numpy as np
import pytest

from rackplan.errors import RackplanError, WeatherError
from rackplan.facility.weather import (HOUR_MONTH, HOURS, list_weather, load_weather,
                                       wet_bulb, weather_dir)

BUILT_IN = ["chicago-il", "houston-tx", "midland-tx", "phoenix-az", "yakima-wa"]


def test_built_in_years():
    assert list_weather() == BUILT_IN
    for weather_id in BUILT_IN:
        w = load_weather(weather_id)
        assert w.dry_bulb.m_as("degC").shape == (HOURS,)
        db, wb, dp = (q.m_as("degC") for q in (w.dry_bulb, w.wet_bulb, w.dew_point))
        # the wet bulb lies between the dew point and the dry bulb, every hour
        assert np.all(wb <= db + 1e-9) and np.all(wb >= dp - 1e-9)


def test_attribution_ships_with_the_data():
    readme = (weather_dir() / "README.md").read_text()
    assert "NREL" in readme and "pnnl/tesp" in readme and "stand-in" in readme
    for weather_id in BUILT_IN:
        head = (weather_dir() / f"{weather_id}.csv").read_text().splitlines()[:5]
        assert any("TMY3" in line for line in head) and any("pnnl/tesp" in line for line in head)


def test_hour_months():
    assert HOUR_MONTH.size == HOURS
    assert np.bincount(HOUR_MONTH).tolist() == [d * 24 for d in
                                                (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)]


def test_wet_bulb_hand_worked():
    # Saturated air: the wet bulb is the dry bulb. 40 degC at 20 % RH: vapour pressure 0.2 x
    # 7.384 kPa (saturation at 40 degC, IAPWS) = 1.477 kPa, whose dew point is 12.8 degC; its
    # wet bulb at sea level reads 22.0 degC on the ASHRAE psychrometric chart No. 1.
    assert wet_bulb([25.0], [25.0], [101325.0])[0] == pytest.approx(25.0, abs=1e-3)
    assert wet_bulb([40.0], [12.8], [101325.0])[0] == pytest.approx(22.0, abs=0.15)
    # lower pressure (altitude) lowers the wet bulb of the same air
    assert wet_bulb([40.0], [12.8], [85000.0])[0] < wet_bulb([40.0], [12.8], [101325.0])[0]


def test_built_in_wet_bulb_column_is_coolprops():
    # the shipped column (add_wet_bulb_column) against CoolProp, on every 97th hour
    for weather_id in BUILT_IN:
        w = load_weather(weather_id)
        hours = np.arange(0, HOURS, 97)
        db, dp = (q.m_as("degC")[hours] for q in (w.dry_bulb, w.dew_point))
        expected = wet_bulb(db, dp, w.pressure.m_as("Pa")[hours])
        np.testing.assert_allclose(w.wet_bulb.m_as("degC")[hours], expected, rtol=0,
                                   atol=0.0051)


def test_design_values():
    # the 0.4 % dry bulb: exceeded in 35 of 8,760 hours; Phoenix is the hottest, Chicago's
    # and Yakima's near the ASHRAE Handbook's 0.4 % values for those stations (about 33-34 degC)
    design = {i: load_weather(i).design_dry_bulb().m_as("degC") for i in BUILT_IN}
    assert max(design, key=design.get) == "phoenix-az"
    assert 42.0 < design["phoenix-az"] < 44.5
    w = load_weather("houston-tx")
    db = w.dry_bulb.m_as("degC")
    assert np.count_nonzero(db > w.design_dry_bulb().m_as("degC")) <= 35
    assert w.design_wet_bulb().m_as("degC") > load_weather("yakima-wa").design_wet_bulb().m_as(
        "degC") + 5  # humid Houston against the semi-arid Columbia Basin


def _rows(weather_id="yakima-wa"):
    lines = (weather_dir() / f"{weather_id}.csv").read_text().splitlines()
    return [line.split(",") for line in lines if not line.startswith("#")][1:]


def _tmy3(path, rows):
    head = ["Date (MM/DD/YYYY)", "Time (HH:MM)", "Dry-bulb (C)", "Dew-point (C)", "RHum (%)",
            "Pressure (mbar)"]
    lines = ['727810,"YAKIMA AIR TERMINAL",WA,-8.0,46.567,-120.550,324', ",".join(head)]
    lines += [f"01/01/1986,{int(r[0]) % 24:02d}:00,{r[1]},{r[2]},{r[3]},{r[4]}" for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _epw(path, rows):
    lines = ["LOCATION,Yakima Air Terminal,WA,USA,TMY3,727810,46.57,-120.55,-8.0,324.0"]
    lines += [f"HEADER {i}" for i in range(2, 9)]
    for r in rows:
        fields = ["1986", "1", "1", "1", "60", "A7A7", r[1], r[2], r[3],
                  str(float(r[4]) * 100.0)] + ["0"] * 25
        lines.append(",".join(fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tmy3_and_epw_read_as_the_built_in(tmp_path):
    rows = _rows()
    built_in = load_weather("yakima-wa")
    for w in (load_weather(_tmy3(tmp_path / "y.tmy3", rows)),
              load_weather(str(_epw(tmp_path / "y.epw", rows)))):
        np.testing.assert_allclose(w.dry_bulb.m_as("degC"), built_in.dry_bulb.m_as("degC"))
        # the built-in file's own column is CoolProp's to 0.01 K
        np.testing.assert_allclose(w.wet_bulb.m_as("degC"), built_in.wet_bulb.m_as("degC"),
                                   rtol=0, atol=0.0051)
        assert w.latitude == pytest.approx(46.57, abs=0.01)
        assert "Yakima" in w.name.title()


def test_relative_path_from_a_base_folder(tmp_path):
    _tmy3(tmp_path / "y.tmy3", _rows())
    assert load_weather("./y.tmy3", base=tmp_path).id == "y"


def _rackplan_file(path, rows, header="hour,dry_bulb_degC,dew_point_degC,"
                   "relative_humidity_pct,pressure_mbar"):
    path.write_text("# a user's year\n" + header + "\n"
                    + "\n".join(",".join(r) for r in rows) + "\n")
    return str(path)


@pytest.mark.parametrize("fault, field, words", [
    ("short", "rows", "8,759 hourly rows"),
    ("leap", "rows", "29 February"),
    ("no_column", "pressure_mbar", "missing column"),
    # the built-in file: a comment line, the header, then row 101 on line 103
    ("hot", "dry_bulb_degC", "line 103: 99 is out of range"),
    ("text", "relative_humidity_pct", "line 8: 'wet' is not a number"),
    ("low_pressure", "pressure_mbar", "out of range"),
    ("wet_above_dry", "wet_bulb_degC", "hour 3: wet bulb 5 degC is above the dry bulb"),
])
def test_broken_files(tmp_path, fault, field, words):
    rows = [list(r) for r in _rows()]
    header = "hour,dry_bulb_degC,dew_point_degC,relative_humidity_pct,pressure_mbar"
    if fault == "short":
        rows = rows[:-1]
    elif fault == "leap":
        rows = rows + rows[:24]
    elif fault == "no_column":
        header = header.replace(",pressure_mbar", "")
        rows = [r[:4] for r in rows]
    elif fault == "hot":
        rows[100][1] = "99"
    elif fault == "text":
        rows[5][3] = "wet"
    elif fault == "low_pressure":
        rows[0][4] = "12"
    elif fault == "wet_above_dry":
        header += ",wet_bulb_degC"
        rows[2][5] = "5"
    path = _rackplan_file(tmp_path / f"{fault}.csv", rows, header)
    with pytest.raises(WeatherError) as info:
        load_weather(path)
    assert info.value.source == path and info.value.field == field
    assert words in str(info.value)


def test_unknown_id_and_missing_file(tmp_path):
    with pytest.raises(WeatherError, match="did you mean 'yakima-wa'"):
        load_weather("yakima")
    with pytest.raises(WeatherError, match="file not found"):
        load_weather(str(tmp_path / "none.epw"))
    with pytest.raises(RackplanError, match="is not a regular file"):
        load_weather(str(tmp_path) + "/")
