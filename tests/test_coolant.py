"""Coolant (CoolProp) and air properties, checked against published figures (sources inline)."""

from __future__ import annotations

import numpy as np
import pytest

from rackplan.facility.coolant import air_density, coolant_properties, coolprop_fluid
from rackplan.errors import SiteError
from rackplan.kernels.capacity import air_density as air_density_kernel
from rackplan.kernels.capacity import air_density_numpy


@pytest.mark.parametrize(
    ("name", "fluid"),
    [("water", "Water"), ("PG25", "INCOMP::MPG[0.25]"), ("pg40", "INCOMP::MPG[0.4]"),
     ("EG30", "INCOMP::MEG[0.3]")],
)
def test_names_map_to_coolprop_mass_fractions(name, fluid):
    assert coolprop_fluid(name) == fluid


def test_unknown_coolant_is_a_site_error():
    with pytest.raises(SiteError, match="coolant: unknown coolant 'brine'"):
        coolprop_fluid("brine")


def test_water_at_25_degc():
    # rho 0.997 g/mL at 25 degC (Dow propylene glycol note); cp 4.18-4.2 kJ/(kg K)
    w = coolant_properties("water", "25 degC")
    assert w.density.m_as("kg/m**3") == pytest.approx(997.05, abs=0.1)
    assert 4170 <= w.specific_heat.m_as("J/(kg*K)") <= 4200
    assert w.freezing_point.m_as("degC") == pytest.approx(0.0)


def test_pg25_by_mass():
    # PG25 cp ~3.9-4.0 kJ/(kg K) [U]; SG 1.020 (by volume, 15.6 degC, Perry's table 5.13); the
    # freezing point is -8.9 degC for 25 % by VOLUME, so 25 % by mass freezes a little lower.
    pg = coolant_properties("PG25", "45 degC")
    assert 3900 <= pg.specific_heat.m_as("J/(kg*K)") <= 4000
    assert 1000 <= pg.density.m_as("kg/m**3") <= 1020
    assert -11.0 <= pg.freezing_point.m_as("degC") <= -8.9


def test_more_glycol_freezes_lower_and_holds_less_heat():
    pg25 = coolant_properties("PG25", "30 degC")
    pg40 = coolant_properties("PG40", "30 degC")
    assert pg40.freezing_point < pg25.freezing_point
    # PG40 by volume freezes at -20.6 degC (Perry's Handbook table 5.13); by mass, near it
    assert pg40.freezing_point.m_as("degC") == pytest.approx(-20.6, abs=1.5)
    assert pg40.specific_heat < pg25.specific_heat


def test_temperature_in_fahrenheit_gives_the_same_properties():
    a = coolant_properties("PG25", "40 degC")
    b = coolant_properties("PG25", "104 degF")
    assert a.density.magnitude == pytest.approx(b.density.magnitude, rel=1e-12)


@pytest.mark.parametrize(("name", "temperature"),
                         [("water", "150 degC"), ("water", "-5 degC"), ("PG25", "120 degC")])
def test_a_temperature_outside_the_liquid_range_is_an_error(name, temperature):
    with pytest.raises(SiteError, match="coolant_supply_temperature"):
        coolant_properties(name, temperature)


def test_air_density_at_sea_level():
    # ideal gas: 101325 / (287.058 x 298.15) = 1.184 kg/m^3 at 25 degC;
    # 0.075 lb/ft^3 = 1.201 kg/m^3 is the air of the 1.08 rule (insidehpc.com), ~20 degC
    assert air_density("0 m", "25 degC").m_as("kg/m**3") == pytest.approx(1.184, abs=1e-3)
    assert air_density("0 m", "20 degC").m_as("kg/m**3") == pytest.approx(1.201, abs=5e-3)


@pytest.mark.parametrize(("feet", "atm"), [(2000, 0.93), (4000, 0.86), (6000, 0.80)])
def test_air_density_follows_the_inres_altitude_factors(feet, atm):
    # INRES "Data Heat Load" (scribd): 2,000 ft 0.93 atm, 4,000 ft 0.86, 6,000 ft 0.80
    ratio = air_density(f"{feet} ft", "25 degC") / air_density("0 m", "25 degC")
    assert ratio.m_as("") == pytest.approx(atm, abs=0.005)


def test_air_density_kernel_equals_its_twin():
    rng = np.random.default_rng(1)
    h = rng.uniform(-100, 3000, 200)
    t = rng.uniform(260, 320, 200)
    twin = air_density_numpy(h, t)
    kernel = np.array([air_density_kernel(a, b) for a, b in zip(h, t)])
    np.testing.assert_allclose(kernel, twin, rtol=1e-13)


@pytest.mark.parametrize("first", ["rackplan", "CoolProp"])
def test_coolprop_imported_by_the_user_too_in_either_order(first):
    """rackplan loads CoolProp's compiled core without the package's slow ``__init__``; a
    second load of that core aborts the process (nanobind refuses its types twice). A user's
    own ``import CoolProp``, before or after rackplan's, must reuse the one core."""
    import subprocess
    import sys

    ours = ("from rackplan.facility.coolant import _propssi; "
            "print(round(_propssi()('T', 'P', 101325, 'Q', 0, 'Water'), 3))")
    theirs = ("import CoolProp; from CoolProp.CoolProp import PropsSI; "
              "print(round(PropsSI('T', 'P', 101325, 'Q', 0, 'Water'), 3))")
    code = "; ".join([ours, theirs] if first == "rackplan" else [theirs, ours])
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-500:]
    assert run.stdout.split() == ["373.124", "373.124"]
