"""A year of hourly weather: dry bulb, dew point, humidity, pressure and the wet bulb.

:func:`load_weather` reads a built-in id (``"yakima-wa"``, see ``rackplan/data/weather/``) or a
user's file in one of three formats, told apart by their first lines:

- rackplan's CSV (the built-in files): ``#`` comments, then the header
  ``hour,dry_bulb_degC,dew_point_degC,relative_humidity_pct,pressure_mbar`` (optionally
  ``,wet_bulb_degC`` after them) and 8,760 rows;
- NREL's TMY3 CSV (NREL/TP-581-43156): a station line, a header line naming ``Dry-bulb (C)``,
  ``Dew-point (C)``, ``RHum (%)`` and ``Pressure (mbar)``, then 8,760 rows;
- an EnergyPlus weather file (EPW): eight header lines (the first ``LOCATION,...``), then
  8,760 rows whose fields 7-10 are dry bulb (degC), dew point (degC), relative humidity (%) and
  station pressure (Pa) ("Auxiliary Programs", EnergyPlus documentation, "Data Field
  Descriptions" of the EPW format).

A bad file raises :class:`~rackplan.errors.WeatherError` naming the file, the column and the
line. The wet bulb comes from CoolProp's humid-air functions (``HAPropsSI``, the ASHRAE RP-1485
real-gas model), once per distinct hour and once per file and process (:func:`load_weather`
caches by path, size and modification time): CoolProp takes about 0.1 ms a call, so a year
costs a few seconds the first time and nothing after. The built-in files carry the column
already.

>>> w = load_weather("yakima-wa")                                   # doctest: +SKIP
>>> round(w.design_dry_bulb().m_as("degC"), 1)                       # doctest: +SKIP
35.6
"""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rackplan._io import DATA_DIR, close_matches
from rackplan.errors import WeatherError, shown
from rackplan.units import Q_, Quantity

__all__ = ["Weather", "load_weather", "list_weather", "weather_dir", "wet_bulb",
           "add_wet_bulb_column", "looks_like_weather_path",
           "HOURS", "HOUR_MONTH", "DESIGN_PERCENT", "MAX_WEATHER_BYTES"]

#: Hours of a weather year: 365 days (TMY3 and EPW typical years have no 29 February).
HOURS = 8760
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: Month (0 = January) of each hour of the year.
HOUR_MONTH = np.repeat(np.arange(12), np.array(_DAYS) * 24)
#: Design conditions are the values exceeded in 0.4 % of the hours of the year (35 hours): the
#: cooling design percentile of the ASHRAE Handbook - Fundamentals, ch. 14, "Climatic Design
#: Information" (the 0.4 % dry bulb and the 0.4 % evaporation wet bulb).
DESIGN_PERCENT = 0.4
#: The largest weather file read [bytes]; an EPW or TMY3 year is about 1.7 MB.
MAX_WEATHER_BYTES = 16 << 20

#: Plausible ranges of each column (beyond them a file is wrong, not extreme): the world's
#: recorded extremes of air temperature are -89 and +57 degC; station pressure from the
#: summit of a high mountain (~500 mbar) to below sea level (~1,090 mbar).
_RANGES = {
    "dry_bulb": (-90.0, 60.0, "degC"),
    "dew_point": (-100.0, 60.0, "degC"),
    "relative_humidity": (0.0, 100.0, "%"),
    "pressure": (500e2, 1100e2, "Pa"),
    "wet_bulb": (-100.0, 60.0, "degC"),
}
_RACKPLAN_COLUMNS = ("hour", "dry_bulb_degC", "dew_point_degC", "relative_humidity_pct",
                     "pressure_mbar")
#: An optional last column of rackplan's CSV: the wet bulb, as :func:`wet_bulb` gives it to
#: 0.01 K. The built-in files carry it (written by :func:`add_wet_bulb_column`), so loading
#: one takes a parse, not the second of CoolProp calls a year costs.
_WET_BULB_COLUMN = "wet_bulb_degC"
_TMY3_COLUMNS = ("Dry-bulb (C)", "Dew-point (C)", "RHum (%)", "Pressure (mbar)")
# EPW data fields 7-10 (0-based 6-9): dry bulb, dew point, relative humidity, pressure [Pa].
_EPW_FIELDS = (6, 7, 8, 9)
_EPW_NAMES = ("dry bulb (field 7)", "dew point (field 8)", "relative humidity (field 9)",
              "atmospheric station pressure (field 10)")


@dataclass(frozen=True, eq=False)
class Weather:
    """A weather year: hourly arrays (quantities) and the station it comes from."""

    id: str
    name: str
    source: str
    dry_bulb: Quantity
    dew_point: Quantity
    relative_humidity: Quantity
    pressure: Quantity
    wet_bulb: Quantity
    latitude: float | None = None
    longitude: float | None = None
    elevation: Quantity | None = None

    def design_dry_bulb(self, percent: float = DESIGN_PERCENT) -> Quantity:
        """The dry bulb exceeded in ``percent`` % of the hours [degC]."""
        return Q_(_exceeded(self.dry_bulb.m_as("degC"), percent), "degC")

    def design_wet_bulb(self, percent: float = DESIGN_PERCENT) -> Quantity:
        """The wet bulb exceeded in ``percent`` % of the hours [degC]."""
        return Q_(_exceeded(self.wet_bulb.m_as("degC"), percent), "degC")


def _exceeded(values: np.ndarray, percent: float) -> float:
    # linear interpolation between order statistics (NumPy's default quantile method)
    return float(np.quantile(values, 1.0 - percent / 100.0))


def weather_dir() -> Path:
    """The folder of built-in weather years."""
    return DATA_DIR / "weather"


def list_weather() -> list[str]:
    """Ids of the built-in weather years."""
    return sorted(p.stem for p in weather_dir().glob("*.csv"))


def looks_like_weather_path(ref: str | Path) -> bool:
    """Whether a site's ``weather`` names a file (a path separator, or a .csv, .epw or .tmy3
    name) rather than a built-in id."""
    if isinstance(ref, Path):
        return True
    text = str(ref)
    return ("/" in text or "\\" in text or os.sep in text
            or text.lower().endswith((".csv", ".epw", ".tmy3")))


def load_weather(ref: str | Path, base: Path | None = None) -> Weather:
    """Read a weather year: a built-in id or a file (rackplan CSV, NREL TMY3 CSV or EPW).

    Parameters
    ----------
    ref : str or Path
        A built-in id (``"yakima-wa"``, see :func:`list_weather`) or a path. A
        :class:`~pathlib.Path`, or a string containing ``/`` or ``\\`` or ending in ``.csv``,
        ``.epw`` or ``.tmy3``, is a path; anything else is an id.
    base : Path, optional
        Folder a relative path is read from (a site file's folder); default the current one.

    Raises
    ------
    WeatherError
        Unknown id, a missing or unreadable file, an unknown format, a missing column, a year
        that is not 8,760 hours, or a value out of range; the message names the file, and the
        column and line where there is one.
    """
    if not isinstance(ref, (str, Path)) or not str(ref).strip():
        raise WeatherError(f"must be a built-in id or a path, got {shown(ref)}",
                           source="weather")
    if not looks_like_weather_path(ref):
        path = weather_dir() / f"{ref}.csv"
        if not path.is_file():
            known = list_weather()
            hint = close_matches(str(ref), known)
            raise WeatherError(f"unknown weather id {shown(str(ref))}; "
                               + (f"did you mean {hint}?" if hint else
                                  f"known ids: {', '.join(known)}"), source="weather")
        return _load_cached(str(path), str(ref), str(ref))
    path = Path(ref).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise WeatherError("file not found", source=str(ref)) from None
    except (OSError, ValueError) as exc:
        raise WeatherError(f"cannot read file ({exc.__class__.__name__})",
                           source=str(ref)) from None
    if not stat.S_ISREG(info.st_mode):
        raise WeatherError("is not a regular file; give a CSV, TMY3 or EPW file",
                           source=str(ref))
    if info.st_size > MAX_WEATHER_BYTES:
        raise WeatherError(f"file too large ({info.st_size:,} bytes; a weather year is at "
                           f"most {MAX_WEATHER_BYTES:,})", source=str(ref))
    return _load_cached(str(path), str(ref), path.stem, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=16)
def _load_cached(path: str, source: str, weather_id: str, size: int = 0,
                 mtime: int = 0) -> Weather:
    # size and mtime are part of the key: an edited file is read again
    text = _read_text(Path(path), source)
    rows = list(csv.reader(text.splitlines()))
    first = ",".join(rows[0]) if rows else ""
    if first.upper().startswith("LOCATION"):
        columns, meta = _parse_epw(rows, source)
    elif len(rows) > 1 and all(c in rows[1] for c in _TMY3_COLUMNS):
        columns, meta = _parse_tmy3(rows, source)
    else:
        columns, meta = _parse_rackplan(rows, source)
    db, dp, rh, p = columns[:4]
    _check_year(db, source)
    dp = np.minimum(dp, db)  # a dew point a rounding above the dry bulb: a saturated hour
    wb = _checked_wet_bulb(columns[4], db, source) if len(columns) > 4 else wet_bulb(db, dp, p)
    return Weather(
        id=weather_id, name=meta.get("name") or weather_id, source=source,
        dry_bulb=Q_(db, "degC"), dew_point=Q_(dp, "degC"),
        relative_humidity=Q_(rh, "percent"), pressure=Q_(p, "Pa"), wet_bulb=Q_(wb, "degC"),
        latitude=meta.get("latitude"), longitude=meta.get("longitude"),
        elevation=None if meta.get("elevation") is None else Q_(meta["elevation"], "m"))


def _checked_wet_bulb(wb: np.ndarray, db: np.ndarray, source: str) -> np.ndarray:
    """A file's own wet-bulb column: never above the dry bulb (beyond its 0.01 K rounding)."""
    above = np.flatnonzero(wb > db + 0.01)
    if above.size:
        h = int(above[0])
        raise WeatherError(f"hour {h + 1}: wet bulb {wb[h]:g} degC is above the dry bulb "
                           f"{db[h]:g} degC", source=source, field=_WET_BULB_COLUMN)
    return np.minimum(wb, db)


def _read_text(path: Path, source: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WeatherError(f"cannot read file ({exc.__class__.__name__}: {exc.strerror})",
                           source=source) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # EPW headers from older tools: every byte decodes


def _check_year(dry_bulb: np.ndarray, source: str) -> None:
    if dry_bulb.size != HOURS:
        leap = " (a leap year's 8,784: remove 29 February)" if dry_bulb.size == 8784 else ""
        raise WeatherError(f"{dry_bulb.size:,} hourly rows{leap}; a weather year has "
                           f"{HOURS:,}", source=source, field="rows")


def _floats(rows: list[list[str]], index: int, first_line: int, source: str, column: str,
            key: str, scale: float = 1.0) -> np.ndarray:
    """Column ``index`` of ``rows`` as floats, each checked against its range in ``key``.

    All at once where every value is a number within its range (a year of 8,760 rows in about
    a millisecond); otherwise row by row, to name the first bad line."""
    lo, hi, _ = _RANGES[key]
    try:
        out = np.array([row[index] for row in rows], dtype=float) * scale
    except (IndexError, ValueError):
        return _floats_by_row(rows, index, first_line, source, column, key, scale)
    if not np.all((out >= lo) & (out <= hi)):  # NaN fails too
        return _floats_by_row(rows, index, first_line, source, column, key, scale)
    return out


def _floats_by_row(rows: list[list[str]], index: int, first_line: int, source: str,
                   column: str, key: str, scale: float) -> np.ndarray:
    """:func:`_floats` one row at a time: the first bad value is an error naming its line."""
    lo, hi, unit = _RANGES[key]
    out = np.empty(len(rows))
    for i, row in enumerate(rows):
        line = first_line + i
        try:
            value = float(row[index]) * scale
        except IndexError:
            raise WeatherError(f"line {line}: no value (the row has {len(row)} fields)",
                               source=source, field=column) from None
        except ValueError:
            raise WeatherError(f"line {line}: {shown(row[index])} is not a number",
                               source=source, field=column) from None
        if not lo <= value <= hi:  # False for NaN too
            shown_value = value / scale
            raise WeatherError(f"line {line}: {shown_value:g} is out of range "
                               f"({lo / scale:g} to {hi / scale:g} {unit if scale == 1 else ''})"
                               .replace(" )", ")"), source=source, field=column)
        out[i] = value
    return out


def _parse_rackplan(rows: list[list[str]], source: str):
    start = 0
    while start < len(rows) and (not rows[start] or rows[start][0].lstrip().startswith("#")):
        start += 1
    if start == len(rows):
        raise WeatherError("no header line; expected "
                           f"{','.join(_RACKPLAN_COLUMNS)} (or a TMY3 or EPW file)",
                           source=source)
    header = [c.strip() for c in rows[start]]
    for column in _RACKPLAN_COLUMNS[1:]:
        if column not in header:
            raise WeatherError(f"missing column (the header has {', '.join(header)[:120]}); "
                               f"expected {','.join(_RACKPLAN_COLUMNS)}", source=source,
                               field=column)
    data = _without_trailing_blanks(rows[start + 1:])  # blank lines inside are errors
    first = start + 2
    keys = ("dry_bulb", "dew_point", "relative_humidity", "pressure")
    scales = (1.0, 1.0, 1.0, 100.0)  # mbar to Pa
    columns = tuple(_floats(data, header.index(c), first, source, c, k, s)
                    for c, k, s in zip(_RACKPLAN_COLUMNS[1:], keys, scales))
    if _WET_BULB_COLUMN in header:
        columns += (_floats(data, header.index(_WET_BULB_COLUMN), first, source,
                            _WET_BULB_COLUMN, "wet_bulb"),)
    return columns, _comment_meta(rows[:start])


def _without_trailing_blanks(rows: list[list[str]]) -> list[list[str]]:
    end = len(rows)
    while end and not any(c.strip() for c in rows[end - 1]):
        end -= 1
    return rows[:end]


def _comment_meta(comments: list[list[str]]) -> dict:
    meta: dict = {}
    for row in comments:
        line = ",".join(row).lstrip("# ").strip()
        if not meta.get("name") and line and ":" in line:
            meta["name"] = line.split(":")[0].strip()
        if line.startswith("station:"):
            for part in line[len("station:"):].split(","):
                key, _, value = part.strip().partition("=")
                target = {"latitude": "latitude", "longitude": "longitude",
                          "elevation_m": "elevation"}.get(key)
                if target:
                    meta[target] = _number(value)
    return meta


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _parse_tmy3(rows: list[list[str]], source: str):
    station, header = rows[0], [c.strip() for c in rows[1]]
    data = _without_trailing_blanks(rows[2:])
    keys = ("dry_bulb", "dew_point", "relative_humidity", "pressure")
    columns = tuple(_floats(data, header.index(c), 3, source, c, k, 100.0 if k == "pressure"
                            else 1.0) for c, k in zip(_TMY3_COLUMNS, keys))
    meta = {}
    if len(station) >= 7:
        meta = {"name": f"{station[1].strip().title()}, {station[2].strip()}",
                "latitude": _number(station[4]), "longitude": _number(station[5]),
                "elevation": _number(station[6])}
    return columns, meta


def _parse_epw(rows: list[list[str]], source: str):
    location = rows[0]
    data = _without_trailing_blanks(rows[8:])
    keys = ("dry_bulb", "dew_point", "relative_humidity", "pressure")
    columns = tuple(_floats(data, i, 9, source, name, k)
                    for i, name, k in zip(_EPW_FIELDS, _EPW_NAMES, keys))
    meta = {}
    if len(location) >= 10:
        meta = {"name": ", ".join(p.strip() for p in location[1:3] if p.strip()),
                "latitude": _number(location[6]), "longitude": _number(location[7]),
                "elevation": _number(location[9])}
    return columns, meta


def wet_bulb(dry_bulb_c, dew_point_c, pressure_pa) -> np.ndarray:
    """Thermodynamic wet-bulb temperature [degC] from dry bulb and dew point [degC] and
    pressure [Pa] (arrays), by CoolProp's ``HAPropsSI``.

    Each distinct (dry bulb, dew point, pressure) is computed once; CoolProp's wet bulb from the
    dew point directly is slow (an inner iteration), so the humidity ratio is taken from the
    dew point first and the wet bulb from it.
    """
    db = np.asarray(dry_bulb_c, dtype=float)
    dp = np.asarray(dew_point_c, dtype=float)
    p = np.asarray(pressure_pa, dtype=float)
    keys = np.stack([db, dp, p], axis=-1).reshape(-1, 3)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    ha = _hapropssi()
    out = np.empty(len(unique))
    for i, (t, d, pa) in enumerate(unique):
        w = ha("W", "T", t + 273.15, "P", pa, "D", d + 273.15)
        out[i] = ha("B", "T", t + 273.15, "P", pa, "W", w) - 273.15
    return out[inverse.reshape(-1)].reshape(db.shape)


def add_wet_bulb_column(path: str | Path) -> None:
    """Append :func:`wet_bulb` (0.01 K) as the last column of a rackplan weather CSV that has
    none, in place: how the built-in files got theirs (``tests/test_weather.py`` recomputes a
    sample of their hours with CoolProp)."""
    path = Path(path)
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    if _WET_BULB_COLUMN in lines[start]:
        return
    (db, dp, _rh, p), _meta = _parse_rackplan(list(csv.reader(lines)), str(path))
    wb = wet_bulb(db, np.minimum(dp, db), p)
    body = [f"{line},{w:.2f}" for line, w in zip(lines[start + 1:], wb)]
    note = ("# wet_bulb_degC: added by rackplan (CoolProp HAPropsSI, ASHRAE RP-1485) from "
            "dry bulb, dew point and pressure")
    path.write_text("\n".join(lines[:start] + [note, lines[start] + f",{_WET_BULB_COLUMN}"]
                              + body) + "\n")


@lru_cache(maxsize=1)
def _hapropssi():
    """CoolProp's ``HAPropsSI`` from its compiled core (as :mod:`rackplan.facility.coolant`
    loads ``PropsSI``: without the slow package ``__init__``)."""
    from rackplan.facility.coolant import _coolprop_core

    return _coolprop_core().HAPropsSI
