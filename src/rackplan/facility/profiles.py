"""Hardware profiles: one TOML file per device, unit-checked, each figure with its source.

Profiles live in the top-level ``hardware_profiles/`` folder of the repository (``gpu/`` and
``asic/`` sub-folders), which the wheel ships as ``rackplan/hardware_profiles``. The file stem is
the profile id: ``gb300-nvl72``, ``antminer-s21-xp-hyd``.

>>> from rackplan.facility.profiles import load_profile
>>> p = load_profile("gb300-nvl72")
>>> p.power_max.to("kW")
<Quantity(142.0, 'kilowatt')>
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from rackplan._io import load_toml, resolve, validate
from rackplan.errors import ProfileError
from rackplan.units import CountField, FractionField, QuantityField

__all__ = ["HardwareProfile", "Cooling", "FlowTable", "Source", "load_profile", "list_profiles",
           "profiles_dir"]

CoolingMethod = Literal["air", "direct_liquid", "immersion", "hydro", "rear_door"]


class Source(BaseModel):
    """Where a figure comes from: ``url`` and what it ``supports`` (which fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    url: str = Field(min_length=8)
    supports: str = Field(min_length=1)


class FlowTable(BaseModel):
    """The OEM's coolant flow for one full rack against the rack's coolant supply temperature.

    ``supply_temperature`` rises strictly and ``rack_flow`` never falls (a warmer supply leaves
    the chips less temperature rise, so it takes more water), one flow per temperature, 2 to
    50 rows; ``source`` says where the
    table is published (document and table number). Sizing interpolates linearly at the
    site's supply temperature and refuses one outside the table.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    supply_temperature: list[QuantityField("degC", gt=-50, lt=120)] = Field(
        min_length=2, max_length=50)
    # 0.01 L/min to 1,000 m^3/min per rack
    rack_flow: list[QuantityField("L/min", gt=0, ge=0.01, le=1e6)] = Field(
        min_length=2, max_length=50)
    source: str = Field(min_length=8)

    @field_validator("supply_temperature")
    @classmethod
    def _rising(cls, value):
        for a, b in zip(value, value[1:]):
            if not b.magnitude > a.magnitude:
                raise ValueError(f"must rise from row to row: {b.magnitude:g} degC follows "
                                 f"{a.magnitude:g} degC")
        return value

    @field_validator("rack_flow")
    @classmethod
    def _one_per_temperature_never_falling(cls, value, info: ValidationInfo):
        temps = info.data.get("supply_temperature")
        if temps is not None and len(temps) != len(value):
            raise ValueError(f"{len(value)} flows for {len(temps)} supply temperatures: give "
                             "one flow per temperature")
        for a, b in zip(value, value[1:]):
            if b.magnitude < a.magnitude:
                raise ValueError(f"must not fall as the supply warms: {b.magnitude:g} L/min "
                                 f"follows {a.magnitude:g} L/min")
        return value

    def rack_flow_at(self, supply_c: float) -> float | None:
        """Flow per rack [L/min] at ``supply_c`` [degC], linear between rows; ``None`` when
        ``supply_c`` is outside the table."""
        temps = [q.magnitude for q in self.supply_temperature]
        if not temps[0] - 1e-9 <= supply_c <= temps[-1] + 1e-9:
            return None
        flows = [q.magnitude for q in self.rack_flow]
        for (t0, f0), (t1, f1) in zip(zip(temps, flows), zip(temps[1:], flows[1:])):
            if supply_c <= t1:
                return f0 + (f1 - f0) * (min(max(supply_c, t0), t1) - t0) / (t1 - t0)
        return flows[-1]


class Cooling(BaseModel):
    """How a unit sheds its heat.

    ``liquid_fraction`` is the share of the unit's power that leaves in the liquid loop (cold
    plates, hydro blocks, immersion fluid) [0..1]; the rest goes to the room air.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    method: CoolingMethod
    liquid_fraction: FractionField()
    coolant_supply_max: QuantityField("degC", gt=-50, lt=120) | None = None
    air_inlet_max: QuantityField("degC", gt=-50, lt=80) | None = None
    flow_table: FlowTable | None = None

    # Cross-field checks are field validators (on the later field, which sees the earlier ones
    # in ``info.data``), so that an error names the field: "cooling.liquid_fraction: ...".
    @field_validator("liquid_fraction")
    @classmethod
    def _fraction_fits_method(cls, value: float, info: ValidationInfo) -> float:
        method = info.data.get("method")
        if method == "air" and value > 0:
            raise ValueError(f"an air-cooled unit has liquid_fraction 0 (got {value:g})")
        if method in ("direct_liquid", "immersion", "hydro") and value == 0:
            raise ValueError(f"a {method} unit sends some heat to liquid (liquid_fraction > 0)")
        return value

    @field_validator("flow_table")
    @classmethod
    def _table_needs_liquid(cls, value, info: ValidationInfo):
        if value is not None and info.data.get("liquid_fraction") == 0:
            raise ValueError("a unit that sends no heat to liquid has no coolant flow table")
        return value


class HardwareProfile(BaseModel):
    """A device, per unit: a miner, a server, or a rack-scale system (``units_per_rack = 1``).

    Quantities are stored in SI-friendly canonical units (W, kg, m^2, hash/s). Bounds:
    ``power_max`` and ``power_typical`` 1 W to 100 MW, ``power_outside_rack`` 0 to
    ``power_max``, ``hashrate`` 1 MH/s to 1 EH/s,
    ``rack_weight`` 1 kg to 100 t, ``rack_footprint`` 0.01 to 1,000 m^2, ``units_per_rack`` 1
    to 10,000, ``gpus_per_unit`` 1 to 100,000, ``rack_units`` 1 to 100.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = ""
    name: str = Field(min_length=1)
    vendor: str = Field(min_length=1)
    kind: Literal["gpu", "asic"]
    # Bounds: wide around any real device (a miner is ~5 kW, a rack-scale system ~150 kW and
    # 1.5 t on 0.7 m^2), tight enough that no count or ratio downstream overflows.
    power_max: QuantityField("W", gt=0, ge=1, le=1e8)
    power_typical: QuantityField("W", gt=0, ge=1, le=1e8)
    # the OEM's peak above power_max (load transients), where it publishes one: --basis peak
    # sizes on it, and the other bases warn when the units at their peak overrun the feed
    power_peak: QuantityField("W", gt=0, ge=1, le=1e8) | None = None
    # what a unit draws outside its rack: its share of the scale-out network, storage and
    # management, which a rack-scale system's power_max leaves out. The feed, the heat
    # rejection and the power bill carry it, its heat goes to air; a rack position does not.
    power_outside_rack: QuantityField("W", ge=0, le=1e8) | None = None
    units_per_rack: CountField(gt=0, le=10_000)
    # validate_default: the kind checks below must run when the field is left out.
    gpus_per_unit: CountField(gt=0, le=100_000) | None = Field(default=None,
                                                              validate_default=True)
    hashrate: QuantityField("hash/s", gt=0, ge=1e6, le=1e18) | None = Field(
        default=None, validate_default=True)
    rack_weight: QuantityField("kg", gt=0, ge=1, le=1e5)
    rack_footprint: QuantityField("m**2", gt=0, ge=0.01, le=1000)
    rack_units: CountField(gt=0, le=100) | None = Field(default=None,
                                                       description="height of one unit in U")
    cooling: Cooling
    sources: list[Source] = Field(min_length=1)
    assumptions: str = ""

    # Cross-field checks as field validators, so that errors name the field (see Cooling).
    @field_validator("power_typical")
    @classmethod
    def _typical_within_max(cls, value, info: ValidationInfo):
        power_max = info.data.get("power_max")
        if power_max is not None and value > power_max:
            raise ValueError(f"power_typical ({value:~g}) is larger than power_max ({power_max:~g})")
        return value

    @field_validator("power_peak")
    @classmethod
    def _peak_at_least_max(cls, value, info: ValidationInfo):
        power_max = info.data.get("power_max")
        if value is not None and power_max is not None and value < power_max:
            raise ValueError(f"power_peak ({value:~g}) is smaller than power_max "
                             f"({power_max:~g})")
        return value

    @field_validator("power_outside_rack")
    @classmethod
    def _outside_within_max(cls, value, info: ValidationInfo):
        power_max = info.data.get("power_max")
        if value is not None and power_max is not None and value > power_max:
            raise ValueError(f"power_outside_rack ({value.to('kW'):~g}) is larger than "
                             f"power_max ({power_max.to('kW'):~g}): it is per unit, not for "
                             "the whole site")
        return value

    @field_validator("gpus_per_unit")
    @classmethod
    def _gpus_for_gpu_kind(cls, value, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind == "gpu" and value is None:
            raise ValueError("a gpu profile needs gpus_per_unit")
        if kind == "asic" and value is not None:
            raise ValueError("an asic profile has no gpus_per_unit")
        return value

    @field_validator("hashrate")
    @classmethod
    def _hashrate_for_asic_kind(cls, value, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind == "asic" and value is None:
            raise ValueError("an asic profile needs hashrate")
        if kind == "gpu" and value is not None:
            raise ValueError("a gpu profile has no hashrate")
        return value

    @property
    def outside_rack_w(self) -> float:
        """What one unit draws outside its rack [W]: ``power_outside_rack``, 0 if not given."""
        return 0.0 if self.power_outside_rack is None else float(
            self.power_outside_rack.m_as("W"))

    def it_liquid_fraction(self, unit_power_w: float) -> float:
        """The share of a unit's IT power that leaves in liquid [1] when it draws
        ``unit_power_w`` [W] in its rack: ``liquid_fraction`` of that, none of what it draws
        outside the rack (:attr:`outside_rack_w`, air-cooled network and storage gear). What
        the plant that cools the hall sees."""
        lf = float(self.cooling.liquid_fraction)
        outside = self.outside_rack_w
        return lf if outside == 0.0 else lf * unit_power_w / (unit_power_w + outside)

    @property
    def efficiency(self):
        """Energy per hash of a miner at ``power_max`` [J/TH], or ``None`` for a GPU system."""
        if self.hashrate is None:
            return None
        return (self.power_max / self.hashrate).to("J/TH")


def profiles_dir() -> Path:
    """The folder of built-in profiles: in the installed wheel, else in the source checkout."""
    packaged = resources.files("rackplan") / "hardware_profiles"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "hardware_profiles"


def load_profile(ref: str | Path | HardwareProfile, *, source: str = "--profile"
                 ) -> HardwareProfile:
    """Load a profile by built-in id (``"gb300-nvl72"``) or by path to a user's TOML file.

    A :class:`~pathlib.Path`, or a string that contains ``/`` or ``\\`` or ends in ``.toml``,
    is a file path (``./my-miner.toml``); anything else is a built-in id, even if a file of
    that name exists in the current folder. A file is read again when it has changed since it
    was last loaded (its modification time or size differs). ``source`` names the option an
    unknown id came from (``--gpu-profile`` in ``compare``).
    """
    if isinstance(ref, HardwareProfile):
        return ref
    path = resolve(ref, profiles_dir(), "profile", ProfileError, source)
    return _load_path(str(path))


def _load_path(path: str) -> HardwareProfile:
    """The profile in file ``path``, from the cache while the file is unchanged."""
    try:
        resolved = str(Path(path).resolve())
        info = os.stat(resolved)
    except (OSError, ValueError, RuntimeError):
        return _read_profile(path)  # load_toml names the file and what is wrong with it
    return _cached_profile(resolved, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=256)
def _cached_profile(path: str, mtime_ns: int, size: int) -> HardwareProfile:
    # keyed on the file's modification time and size too: an edited file is read again
    return _read_profile(path)


def _read_profile(path: str) -> HardwareProfile:
    data = load_toml(path, ProfileError)
    if "id" in data:
        raise ProfileError("unknown field (the id is the file name)", source=path, field="id")
    profile = validate(HardwareProfile, data, source=path, error=ProfileError)
    return profile.model_copy(update={"id": Path(path).stem})


def list_profiles() -> list[HardwareProfile]:
    """Every built-in profile, sorted by kind then id."""
    paths = sorted(profiles_dir().rglob("*.toml"))
    profiles = [_load_path(str(p)) for p in paths]
    return sorted(profiles, key=lambda p: (p.kind, p.id))
