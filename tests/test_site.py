"""Sites: loading, defaults with their sources, --set overrides and the errors of bad input."""

from __future__ import annotations

import math

import pytest

from conftest import BROKEN, DATA
from rackplan.errors import SiteError
from rackplan.facility.site import (
    AISLE_FACTOR,
    CRAH_FANS,
    EXHAUST_FANS,
    PLANT_OVERHEAD,
    Site,
    list_sites,
    load_site,
    plant_overheads,
)
from rackplan.units import Q_

SITES = DATA / "sites"


def test_moses_lake_carries_the_published_figures():
    site = load_site("moses-lake")
    assert site.id == "moses-lake"
    assert site.utility_power.m_as("MW") == pytest.approx(18.0)  # 18 MW gross (pulse2.com)
    assert site.altitude.m_as("m") == pytest.approx(356.0)  # KMWH, 1,169 ft
    assert 38.0 <= site.design_dry_bulb.m_as("degC") <= 40.5  # Wenatchee 38.1, Hanford 40.4
    assert site.coolant == "PG25"
    assert site.pue is None and site.cooling_plant.type == "dry_cooler"


def test_the_default_site_is_moses_lake_and_both_built_ins_are_listed():
    assert load_site().id == "moses-lake"
    assert {"moses-lake", "air-mining-100mw"} <= set(list_sites())


def test_the_air_cooled_mining_site_has_no_ups_and_fans_only():
    site = load_site("air-mining-100mw")
    assert site.power_chain.ups == 1.0
    assert site.cooling_plant.type == "air_fans"
    assert site.redundancy == "N"
    assert "ILLUSTRATIVE" in (DATA.parents[1] / "src/rackplan/data/sites/air-mining-100mw.toml"
                              ).read_text()


def test_defaults_are_the_sourced_values():
    site = load_site(SITES / "fixed-pue.toml")
    assert site.power_chain.transformer == 0.985  # maddox "98% plus"
    assert site.power_chain.ups == 0.95  # Schneider double conversion 94-96 %
    assert site.power_chain.distribution == 0.97  # niteolimited PDU 94-98 %
    assert site.air_inlet_temperature.m_as("degC") == pytest.approx(27.0)  # ASHRAE recommended
    assert site.coolant_delta_t.m_as("K") == pytest.approx(10.0)  # OCP
    assert site.air_delta_t.m_as("K") == pytest.approx(20 / 1.8)  # INRES 20 degF
    assert site.cdu_capacity.m_as("kW") == pytest.approx(1368.0)  # Vertiv XDU 1350
    # Vertiv XDU1350 planning guide SL-71309: 1,200 L/min with two pumps
    assert site.cdu_flow_capacity.m_as("L/min") == pytest.approx(1200.0)
    assert site.cdu_approach.m_as("K") == pytest.approx(4.0)
    assert site.dry_cooler_approach.m_as("K") == pytest.approx(45 - 3 - 36)  # Modelica example
    assert site.redundancy == "N+1"


def test_aisle_factor_is_the_hot_cold_aisle_arithmetic():
    # 600 x 1200 mm rack; 1.2 m cold and hot aisles, each shared by two rows: 0.6 m of each
    width, depth, half_aisle = 0.6, 1.2, 0.6
    assert AISLE_FACTOR == pytest.approx(width * (depth + 2 * half_aisle) / (width * depth))


def test_fan_overheads_are_the_fan_law_arithmetic():
    # P / Q = dp / (eta rho cp dT): 400 Pa / (0.6 x 1.2 x 1006 x 11.11) = 0.0497;
    # 150 Pa gives 0.0186
    assert CRAH_FANS == pytest.approx(0.0497, abs=1e-4)
    assert EXHAUST_FANS == pytest.approx(0.0186, abs=1e-4)


def test_plant_overheads_can_be_overridden():
    site = load_site(SITES / "fixed-pue.toml", {"cooling_plant.type": "chiller"})
    assert plant_overheads(site) == PLANT_OVERHEAD["chiller"]
    site = load_site(site, {"cooling_plant.liquid_overhead": 0.1})
    assert plant_overheads(site) == (0.1, PLANT_OVERHEAD["chiller"][1])


@pytest.mark.parametrize(
    ("text", "kg_m2"),
    [("1200 kg/m^2", 1200.0), ("250 lb/ft^2", 250 * 0.45359237 / 0.3048**2)],
)
def test_floor_load_limit_accepts_metric_and_imperial(text, kg_m2):
    site = load_site(SITES / "fixed-pue.toml", {"floor_load_limit": text})
    assert site.floor_load_limit.m_as("kg/m**2") == pytest.approx(kg_m2)


@pytest.mark.parametrize(
    ("written", "stored"),
    [("water", "water"), ("Water", "water"), ("pg25", "PG25"), ("EG30", "EG30"), ("PG40", "PG40")],
)
def test_coolant_names_are_normalized(written, stored):
    assert load_site(SITES / "fixed-pue.toml", {"coolant": written}).coolant == stored


def test_overrides_change_fields_and_keep_the_file_unchanged():
    site = load_site("moses-lake", {"utility_power": "20 MW", "pue": 1.3, "redundancy": "2N"})
    assert site.utility_power.m_as("MW") == pytest.approx(20.0)
    assert site.pue == 1.3
    assert site.redundancy == "2N"
    assert load_site("moses-lake").utility_power.m_as("MW") == pytest.approx(18.0)


def test_a_fixed_pue_and_a_plant_can_coexist():
    site = load_site("moses-lake", {"pue": 1.25})
    assert site.pue == 1.25 and site.cooling_plant is not None


def test_a_site_model_is_returned_or_rebuilt_with_overrides():
    site = load_site("moses-lake")
    assert load_site(site) is site
    again = load_site(site, {"altitude": "1000 ft"})
    assert again.id == "moses-lake"
    assert again.altitude.m_as("m") == pytest.approx(304.8)
    assert again.coolant_delta_t == site.coolant_delta_t


def test_an_unknown_override_names_the_flag_and_suggests():
    with pytest.raises(SiteError) as info:
        load_site("moses-lake", {"utility_powr": "20 MW"})
    assert str(info.value).startswith("--set: utility_powr: unknown site field")
    assert "'utility_power'" in str(info.value)


def test_a_field_of_a_table_is_suggested_by_its_dotted_name():
    # "ups" is a field of [power_chain] (and of [mining_power_chain]), not of the site
    with pytest.raises(SiteError) as info:
        load_site("moses-lake", {"ups": 1.0})
    assert str(info.value) == ("--set: ups: unknown site field; did you mean "
                               "'power_chain.ups', 'mining_power_chain.ups'?")


def test_a_bad_override_value_names_the_flag_not_the_file():
    with pytest.raises(SiteError) as info:
        load_site("moses-lake", {"utility_power": "20 kg"})
    assert str(info.value).startswith("--set: utility_power: ")
    assert "not a power" in str(info.value)


def test_the_id_cannot_be_set():
    with pytest.raises(SiteError, match="--set: id: unknown site field"):
        load_site("moses-lake", {"id": "other"})


def test_unknown_site_id_lists_close_matches():
    with pytest.raises(SiteError) as info:
        load_site("moses-lakes")
    assert str(info.value) == "--site: unknown site id 'moses-lakes'; did you mean 'moses-lake'?"


def test_temperatures_in_fahrenheit_are_converted():
    site = load_site(SITES / "all-constraints.toml")
    assert site.coolant_supply_temperature.m_as("degC") == pytest.approx(30.0)  # 86 degF
    assert site.air_inlet_temperature.m_as("degC") == pytest.approx((80 - 32) / 1.8)


# Each broken file: the error names the file and the field (and what was wrong).
BROKEN_SITES = [
    ("site_wrong_dimension.toml", "utility_power", "not a power"),
    ("site_bare_number.toml", "utility_power", "needs a unit"),
    ("site_negative_power.toml", "utility_power", "greater than 0"),
    ("site_zero_power.toml", "utility_power", "greater than 0"),
    ("site_pue_below_one.toml", "pue", "at least 1"),
    ("site_unknown_field.toml", "utility_powr", "unknown field"),
    ("site_malformed.toml", None, "malformed TOML"),
    ("site_no_pue_or_plant.toml", None, "either a fixed pue"),
    ("site_unknown_coolant.toml", "coolant", "unknown coolant"),
    ("site_delta_as_temperature.toml", "coolant_delta_t", "temperature difference"),
    ("site_unknown_plant.toml", "cooling_plant.type", "swamp_cooler"),
    ("site_bad_redundancy.toml", "redundancy", "3N"),
    ("site_floor_load_as_mass.toml", "floor_load_limit", "mass per area"),
    ("site_comment_in_quantity.toml", "utility_power", "'#' is not part of one"),
    ("site_unbalanced_unit.toml", "utility_power", "unknown unit '(MW'"),
    ("site_unit_divided_by_zero.toml", "utility_power", "unknown unit 'MW/0'"),
    ("site_delta_as_dry_bulb.toml", "design_dry_bulb", "temperature difference, not a temp"),
    ("site_huge_floor_load.toml", "floor_load_limit", "is too large"),
    ("site_tiny_coolant_delta.toml", "coolant_delta_t", "is too small"),
    ("site_infinite_pue.toml", "pue", "not a finite number"),
]


@pytest.mark.parametrize(("name", "field", "fragment"), BROKEN_SITES)
def test_broken_site_files_name_file_and_field(name, field, fragment):
    path = BROKEN / name
    with pytest.raises(SiteError) as info:
        load_site(path)
    message = str(info.value)
    assert message.startswith(str(path))
    if field:
        assert info.value.field == field
    assert fragment in message


def test_every_broken_site_fixture_is_tested():
    assert {p.name for p in BROKEN.glob("site_*.toml")} == {n for n, _, _ in BROKEN_SITES}


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(SiteError, match="file not found"):
        load_site(missing)


def test_site_is_frozen():
    site = load_site(SITES / "fixed-pue.toml")
    with pytest.raises(Exception):
        site.pue = 2.0  # type: ignore[misc]
    assert isinstance(site, Site)
    assert site.utility_power == Q_(18, "MW")



# --- hardening: every bad value names its field, from a file or from --set ------------------

_BAD_OVERRIDES = [
    ("utility_power", "1 W/0", "unknown unit"),
    ("utility_power", "1 (W", "unknown unit"),
    ("utility_power", "1 " + "*".join(["W"] * 600), "too long for a quantity"),
    ("utility_power", "18 MW # comment", "'#' is not part of one"),
    ("utility_power", "1" * 200_000, "too long for a quantity"),
    ("utility_power", "1e200 GW", "must be at most 1e+11 W"),
    ("utility_power", "1e300 GW", "is not a finite number in W"),
    ("utility_power", "1e-300 W", "must be at least 1 W"),
    ("design_dry_bulb", "1 delta_degC", "temperature difference, not a temperature"),
    ("air_inlet_temperature", "20 delta_degF", "temperature difference, not a temperature"),
    ("floor_load_limit", "1e308 kg/m^2", "is too large"),
    ("floor_load_limit", "1e6 kg/m^2", "must be at most 100000 kg/m**2"),
    ("floor_load_limit", "1e-300 kg/m^2", "must be at least 1 kg/m**2"),
    ("white_space", "1e300 m^2", "must be at most"),
    ("coolant_delta_t", "5e-324 K", "is too small"),
    ("coolant_delta_t", "1e-9 K", "must be at least 1 K"),
    ("air_delta_t", "0.01 K", "must be at least 1 K"),
    ("cdu_capacity", "1e-300 W", "must be at least 1000 W"),
    ("cdu_flow_capacity", "0.5 L/min", "must be at least 1 L/min"),
    ("cdu_flow_capacity", "1200 kW", "is not a volume flow"),
    ("heat_rejection_capacity", "1e300 W", "must be at most"),
    ("pue", float("inf"), "not a finite number"),
    ("pue", "NaN", "is not a number"),
    ("pue", 1e9, "must be at most 10"),
    ("aisle_factor", 1e300, "must be at most 100"),
    ("house_load", float("nan"), "not a finite number"),
    ("power_chain.ups", 1e-300, "must be at least 0.5"),
    ("cooling_plant.liquid_overhead", float("inf"), "not a finite number"),
    ("cooling_plant.air_overhead", 1e6, "must be at most 10"),
]


@pytest.mark.parametrize(("field", "value", "fragment"), _BAD_OVERRIDES,
                         ids=[f"{f}={str(v)[:20]}" for f, v, _ in _BAD_OVERRIDES])
def test_a_bad_override_is_a_site_error_naming_the_field(field, value, fragment):
    overrides = {field: value}
    if field.startswith("cooling_plant."):
        overrides["cooling_plant.type"] = "dry_cooler"
    with pytest.raises(SiteError) as info:
        load_site("moses-lake", overrides)
    err = info.value
    assert err.source == "--set" and err.field == field
    assert fragment in err.message
    assert "\n" not in str(err) and len(str(err)) < 300


@pytest.mark.parametrize(("field", "value", "fragment"),
                         [c for c in _BAD_OVERRIDES if isinstance(c[1], str)],
                         ids=[f"{f}={v[:20]}" for f, v, _ in _BAD_OVERRIDES if isinstance(v, str)])
def test_a_bad_override_from_the_command_line_is_one_line(run_cli, field, value, fragment):
    code, out, err = run_cli("size", "--set", f"{field}={value}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"rackplan: error: --set: {field}: ")
    assert fragment in err


def test_sizing_at_the_field_bounds_gives_finite_whole_numbers():
    from rackplan.facility.capacity import size

    r = size("moses-lake", "antminer-s21-xp-hyd",
             overrides={"utility_power": "100 GW", "white_space": "1e7 m^2",
                        "floor_load_limit": "1e5 kg/m^2", "heat_rejection_capacity": "100 GW",
                        "coolant_delta_t": "1 K", "cdu_capacity": "1 kW"})
    assert r.unit_count > 0 and r.cdu_count > 0
    assert all(v is None or v >= 0 for v in r.units_by.values())
    assert math.isfinite(float(r.coolant_flow.magnitude))


def test_the_site_id_is_not_shadowed_by_a_file_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "moses-lake").write_text("not = [toml")
    assert load_site("moses-lake").name.startswith("Moses Lake")
    with pytest.raises(SiteError) as info:
        load_site("./moses-lake")
    assert str(info.value).startswith("./moses-lake: malformed TOML")


def test_a_site_file_with_a_byte_order_mark_loads():
    assert load_site(BROKEN / "bom.toml").name == "BOM site"


@pytest.mark.parametrize("overrides", [[("pue", 1.3)], "pue=1.3", {1: 2}, {"": 1}, {" ": 1}])
def test_overrides_that_are_not_a_mapping_of_names_are_a_site_error(overrides):
    with pytest.raises(SiteError) as info:
        load_site("moses-lake", overrides)
    assert info.value.source == "overrides"
