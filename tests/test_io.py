"""Reading TOML inputs and --set overrides (rackplan._io)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from rackplan._io import apply_overrides, load_toml, parse_override, resolve, validate
from rackplan.errors import InputError, SiteError
from rackplan.units import QuantityField


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "dry_cooler"


class _Toy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    utility_power: QuantityField("W", gt=0)
    plant: _Inner = _Inner()


def test_load_toml_names_the_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SiteError) as info:
        load_toml(missing, SiteError)
    assert str(info.value) == f"{missing}: file not found"


def test_load_toml_reports_malformed_toml_with_its_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nutility_power = = 3\n')
    with pytest.raises(InputError) as info:
        load_toml(bad)
    assert str(bad) in str(info.value)
    assert "malformed TOML" in str(info.value) and "line 2" in str(info.value)


def test_validate_names_file_and_field_for_a_wrong_dimension():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "18 kg"}, source="site.toml")
    assert str(info.value) == "site.toml: utility_power: '18 kg' is not a power (expected units like W)"


def test_validate_suggests_the_field_meant():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "18 MW", "utility_powr": "1 MW"}, source="s.toml")
    message = str(info.value)
    assert message.startswith("s.toml: utility_powr: unknown field")
    assert "'utility_power'" in message


def test_validate_lists_every_problem_on_one_line():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "-1 MW", "x": 1, "y": 2}, source="s.toml")
    message = str(info.value)
    assert message == ("s.toml: x: unknown field (also y); "
                       "utility_power: -1e+06 W must be greater than 0 W")
    assert info.value.field == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pue=1.3", ("pue", 1.3)),
        ("units_per_rack=4", ("units_per_rack", 4)),
        ("utility_power=20 MW", ("utility_power", "20 MW")),
        ('utility_power="20 MW"', ("utility_power", "20 MW")),
        ("redundancy=N+1", ("redundancy", "N+1")),
        ("cooling_plant.type=chiller", ("cooling_plant.type", "chiller")),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["pue", "=1.3"])
def test_parse_override_rejects_what_is_not_field_equals_value(text):
    with pytest.raises(InputError, match="--set"):
        parse_override(text)


def test_apply_overrides_routes_known_fields_and_returns_the_rest():
    data = {"utility_power": "18 MW", "plant": {"kind": "dry_cooler"}}
    new, leftover = apply_overrides(
        data, {"utility_power": "20 MW", "plant.kind": "chiller", "btc_price": 1}, _Toy
    )
    assert new == {"utility_power": "20 MW", "plant": {"kind": "chiller"}}
    assert leftover == {"btc_price": 1}
    assert data["plant"]["kind"] == "dry_cooler"  # the input is not changed


def test_resolve_finds_ids_paths_and_suggests_close_ids(tmp_path):
    (tmp_path / "gpu").mkdir()
    (tmp_path / "gpu" / "gb300-nvl72.toml").write_text("")
    assert resolve("gb300-nvl72", tmp_path, "profile", InputError).name == "gb300-nvl72.toml"
    own = tmp_path / "mine.toml"
    own.write_text("")
    assert resolve(str(own), tmp_path, "profile", InputError) == own
    with pytest.raises(InputError) as info:
        resolve("gb300-nvl27", tmp_path, "profile", InputError)
    assert str(info.value) == "--profile: unknown profile id 'gb300-nvl27'; did you mean 'gb300-nvl72'?"
    with pytest.raises(InputError, match="file not found"):
        resolve(str(tmp_path / "other.toml"), tmp_path, "profile", InputError)
