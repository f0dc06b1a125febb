"""The hourly plant: hand-worked hours, energy and heat balance every hour, the kernels against
their NumPy twins, and annual results that must hold (annual below peak PUE, Houston above
Chicago on dry coolers, no water where nothing evaporates)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import rackplan
from rackplan.errors import SiteError, WeatherError
from rackplan.facility.annual import annual
from rackplan.facility.plant import PLANT_LAYOUT, annual_pue, plant_params, site_weather
from rackplan.facility.site import load_site
from rackplan.facility.weather import HOUR_MONTH, load_weather
from rackplan.kernels import plant as k
from rackplan.kernels.plant_numpy import plant_hours_numpy, plant_years_numpy

C = 273.15
#: A plant with round numbers for hand-worked hours: 1 MW of IT, 80 % to liquid.
ROUND = dict(
    it_power=1e6, liquid_fraction=0.8, eta_transformer=1.0, eta_ups=1.0, eta_distribution=1.0,
    house_load=0.0, device=1, chiller=1, air_mode=0, t_need_liquid=C + 36.0, dt_liquid=10.0,
    t_need_air=C + 21.0, dt_air=6.0, approach_dry=6.0, approach_tower=4.0,
    pad_effectiveness=0.8, pad_air_rise=10.0, carnot_fraction=0.5, lift_extra=15.0,
    cop_max=12.0, pumps_liquid=0.05, pumps_air=0.01, fans_air=0.05, fans_device=0.02,
    fans_tower=0.01, pumps_condenser=0.01, fan_min_speed=0.2, evaporated_share=0.85,
    cycles=4.0, drift=5e-5, latent_heat=2.4e6, water_cp=4180.0)


def params(**changes) -> np.ndarray:
    values = {**ROUND, **changes}
    return np.array([float(values[name]) for name in k.PARAMS])


def hour(p, t_db_c, t_wb_c):
    return dict(zip(k.HOURLY, k.plant_hour(p, C + t_db_c, C + t_wb_c)))


def test_cold_hour_on_dry_coolers_alone():
    # 0 degC: the dry coolers give 6 degC water, far below the 36 (liquid) and 21 degC (CRAH)
    # needed; no chiller runs and the fans slow down to speed approach / spare approach.
    h = hour(params(), 0.0, -2.0)
    q_liquid = 0.8e6 * 1.05                  # liquid heat + CDU and facility pumps
    q_air = 0.2e6 * (1 + 0.05 + 0.01)        # air heat + CRAH fans + CRAH pumps
    fans = 0.02 * q_liquid * 0.2 ** 3 + 0.02 * q_air * (6 / 21) ** 3 + 0.05 * 0.2e6
    pumps = 0.05 * 0.8e6 + 0.01 * 0.2e6
    assert h["chiller_power"] == 0 and h["liquid_chiller_share"] == 0
    assert h["fan_power"] == pytest.approx(fans, rel=1e-12)
    assert h["pump_power"] == pytest.approx(pumps, rel=1e-12)
    assert h["facility_power"] == pytest.approx(1e6 + fans + pumps, rel=1e-12)
    assert h["water_use"] == 0


def test_hot_hour_with_trim():
    # 35 degC: dry coolers give 41 degC water against 36 needed over a 10 K range: half the
    # liquid heat on the air-cooled trim chiller; COP 0.5 x 309.15 / (35 + 15 - 36) = 11.04.
    # The CRAH loop (21 degC needed) is all on the chiller: COP 0.5 x 294.15 / 29 = 5.072.
    h = hour(params(), 35.0, 20.0)
    q_liquid, q_air = 0.8e6 * 1.05, 0.2e6 * 1.06
    cop_liquid, cop_air = 0.5 * (C + 36) / 14.0, 0.5 * (C + 21) / 29.0
    assert h["liquid_chiller_share"] == pytest.approx(0.5)
    assert h["air_chiller_share"] == 1.0
    chiller = 0.5 * q_liquid / cop_liquid + q_air / cop_air
    assert h["chiller_power"] == pytest.approx(chiller, rel=1e-12)
    assert h["liquid_chiller_power"] == pytest.approx(0.5 * q_liquid / cop_liquid, rel=1e-12)
    # the dry coolers carry the other half at full fan speed; the air loop's are idle
    fans = 0.02 * 0.5 * q_liquid + 0.05 * 0.2e6
    assert h["fan_power"] == pytest.approx(fans, rel=1e-12)


def test_tower_hour_with_evaporation():
    # wet bulb 20 degC + 4 K approach = 24 degC: a free hour for the liquid loop (36 needed),
    # half on the chiller for the CRAH loop (21 needed, range 6: (24 - 21) / 6).
    p = params(device=3, chiller=2)
    h = hour(p, 30.0, 20.0)
    q_liquid, q_air = 0.8e6 * 1.05, 0.2e6 * 1.06
    assert h["liquid_chiller_share"] == 0 and h["air_chiller_share"] == pytest.approx(0.5)
    # the liquid loop's tower: evaporation 0.85 q / L, drift 5e-5 q / (cp dt), blowdown to 4
    # cycles: E / 3 - D
    e_liquid = 0.85 * q_liquid / 2.4e6
    d_liquid = 5e-5 * q_liquid / (4180.0 * 10.0)
    water_liquid = e_liquid + d_liquid + (e_liquid / 3 - d_liquid)
    # the CRAH loop's tower: half its heat directly, plus the chiller's condenser heat (load,
    # compressor and condenser pumps); chiller COP 0.5 x 294.15 / (24 + 15 - 21)
    load = 0.5 * q_air
    power = load / (0.5 * (C + 21) / 18.0)
    condenser = (load + power) * 1.01
    tower_air = 0.5 * q_air + condenser
    e_air = 0.85 * tower_air / 2.4e6
    d_air = 5e-5 * tower_air / (4180.0 * 6.0)
    water = water_liquid + e_air + d_air + (e_air / 3 - d_air)
    assert h["evaporation"] == pytest.approx(e_liquid + e_air, rel=1e-12)
    assert h["water_use"] == pytest.approx(water, rel=1e-12)
    assert h["chiller_power"] == pytest.approx(power, rel=1e-12)


def test_adiabatic_pads_cool_just_enough():
    # 40 degC, wet bulb 20: dry alone gives 46 degC. Pads cool the air to 30 degC (36 - 6),
    # within their reach (40 - 0.8 x 20 = 24 degC): no chiller on the liquid loop; pad water
    # = q (40 - 30) / (10 K x L), bled at 4 cycles.
    h = hour(params(device=2), 40.0, 20.0)
    q_liquid = 0.8e6 * 1.05
    assert h["liquid_chiller_share"] == 0
    pads_liquid = q_liquid * 10.0 / (10.0 * 2.4e6)
    # the CRAH loop (21 degC needed): pads at full reach, 24 + 6 = 30, still all on the chiller
    assert h["air_chiller_share"] == 1.0
    assert h["water_use"] == pytest.approx(pads_liquid * 4 / 3, rel=1e-12)


def _balance(p, h):
    it, lf = p[k.IT], p[k.LF]
    assert np.allclose(h[:, 1], h[:, 0] + h[:, 2] + h[:, 7] + h[:, 8], rtol=1e-12)
    # heat out = IT + what pumps, CRAH/exhaust fans and chillers put into the loops; the
    # device and tower fans blow their own heat away with the air
    in_loops = h[:, 2] - (h[:, 6] - p[k.FANS_A] * (1 - lf) * it)
    assert np.allclose(h[:, 9], it + in_loops, rtol=1e-12)


@pytest.mark.parametrize("plant", sorted(PLANT_LAYOUT))
@pytest.mark.parametrize("city", ["yakima-wa", "houston-tx"])
def test_kernel_equals_twin_and_balances(plant, city):
    site = load_site("moses-lake", {"cooling_plant.type": plant})
    w = load_weather(city)
    db, wb = w.dry_bulb.m_as("K"), w.wet_bulb.m_as("K")
    p = plant_params(site, 13e6, 0.85)
    h = k.plant_hours(p, db, wb, np.empty((db.size, len(k.HOURLY))))
    np.testing.assert_allclose(h, plant_hours_numpy(p, db, wb), rtol=1e-13, atol=1e-9)
    _balance(p, h)
    years = k.plant_years_alloc(p[None, :], db, wb, HOUR_MONTH)
    np.testing.assert_allclose(years, plant_years_numpy(p[None, :], db, wb, HOUR_MONTH),
                               rtol=1e-12)


@given(st.integers(0, 3), st.integers(0, 2), st.integers(0, 1),
       st.floats(0.0, 1.0), st.floats(-30.0, 50.0), st.floats(0.0, 30.0),
       st.floats(20.0, 50.0), st.floats(2.0, 20.0), st.floats(1.5, 10.0))
def test_twin_and_balance_for_any_plant(device, chiller, air_mode, lf, t_db, depression,
                                        t_need, dt, cycles):
    assume(device != 0 or chiller != 0)  # no device and no chiller: no plant at all
    p = params(device=device, chiller=chiller, air_mode=air_mode, liquid_fraction=lf,
               t_need_liquid=C + t_need, dt_liquid=dt, cycles=cycles, eta_ups=0.95,
               house_load=0.02)
    db = np.array([C + t_db, C + t_db + 5.0])
    wb = db - depression
    h = k.plant_hours(p, db, wb, np.empty((2, len(k.HOURLY))))
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(h, plant_hours_numpy(p, db, wb), rtol=1e-13, atol=1e-9)
    _balance(p, h)
    assert np.all(h[:, 10] >= 0) and np.all(h[:, 2] >= 0)


def test_water_constants_are_coolprops():
    from rackplan.facility import plant
    from rackplan.facility.coolant import _propssi

    props = _propssi()
    t = 303.15
    latent = props("H", "T", t, "Q", 1, "Water") - props("H", "T", t, "Q", 0, "Water")
    cp = props("C", "T", t, "P", 2e5, "Water")
    rho = props("D", "T", t, "P", 2e5, "Water")
    assert plant.WATER_LATENT_HEAT == pytest.approx(latent, rel=1e-8)
    assert plant.WATER_CP == pytest.approx(cp, rel=1e-7)
    assert plant.WATER_RHO_CP == pytest.approx(cp * rho, rel=1e-7)


def test_annual_api_and_hourly_dataset():
    r = rackplan.annual("moses-lake", "gb300-nvl72")
    assert 1.0 < r.annual_pue < r.peak_pue
    assert r.wue.m_as("L/kWh") == 0 and r.water_use.m_as("m**3") == 0  # nothing evaporates
    assert r.free_cooling_hours + r.chiller_hours == 8760
    assert len(r.monthly_pue) == 12 and min(r.monthly_pue) < r.annual_pue < max(r.monthly_pue)
    ds = r.hourly
    assert ds.sizes["hour"] == 8760 and all("units" in v.attrs for v in ds.data_vars.values())
    assert float(ds.facility_power.sum() / ds.it_power.sum()) == pytest.approx(r.annual_pue)
    assert any("stand-in" in w for w in r.warnings)
    # the units are sized on the 40 degC design hour: it draws at most the 18 MW feed
    assert r.peak_pue == pytest.approx(rackplan.size("moses-lake", "gb300-nvl72").pue)
    assert 17.8 < r.peak_facility_power.m_as("MW") <= 18.0
    assert not any("more than the 18 MW feed" in w for w in r.warnings)
    # a fixed pue below the design hour's: the warning says so
    fixed = rackplan.annual("moses-lake", "gb300-nvl72", overrides={"pue": 1.2})
    assert any("sized on the site's fixed pue, not on the design hour" in w
               for w in fixed.warnings)


def test_the_hourly_plant_sees_the_power_outside_the_racks():
    """A GB300 NVL72 that draws 7.2 kW outside its rack (a test figure): 90 fit Moses Lake's
    design hour (`size`), 90 x 149.2 kW = 13,428 kW of IT every hour; its plant cools
    0.85 x 142 / 149.2 of that in liquid, as `compare` prices the energy."""
    from rackplan.economics.compare import scenario_base
    from rackplan.facility.profiles import load_profile
    from rackplan.units import Q_

    fabric = load_profile("gb300-nvl72").model_copy(
        update={"power_outside_rack": Q_(7.2e3, "W")})
    r = rackplan.annual("moses-lake", fabric)
    sized = rackplan.size("moses-lake", fabric)
    assert sized.unit_count == 90
    assert float(r.hourly.it_power.max()) == pytest.approx(90 * 149.2e3, rel=1e-12)
    assert float(r.hourly.it_power.min()) == pytest.approx(90 * 149.2e3, rel=1e-12)
    assert r.peak_pue == pytest.approx(sized.pue, rel=1e-12)
    site = load_site("moses-lake")
    hall = annual_pue(site, 0.85 * 142 / 149.2, site_weather(site))
    assert r.annual_pue == pytest.approx(hall, rel=1e-12)
    assert scenario_base(gpu_profile=fabric)["energy_pue_gpu"] == pytest.approx(hall, rel=1e-12)
    assert r.annual_pue != pytest.approx(rackplan.annual("moses-lake", "gb300-nvl72").annual_pue,
                                         rel=1e-6)


def test_the_plants_year_is_remembered_per_plant_and_weather_never_stale():
    # annual_pue remembers each (plant, weather year) pair's year: asked in any order, for
    # other plants and liquid fractions on the same weather object, each answer is the one
    # the NumPy twin gives from scratch
    site = load_site("moses-lake")
    weather = site_weather(site)
    db, wb = (np.ascontiguousarray(q.m_as("K")) for q in (weather.dry_bulb, weather.wet_bulb))
    towers = site.model_copy(update={"cooling_plant": site.cooling_plant.model_copy(
        update={"type": "cooling_tower"})})

    def fresh(plant_site, lf):
        params = plant_params(plant_site, 1.0, lf)[None, :]
        year = plant_years_numpy(params, db, wb, HOUR_MONTH)[0]
        return year[k.ANNUAL.index("facility_energy")] / year[k.ANNUAL.index("it_energy")]

    cases = [(site, 0.85), (towers, 0.85), (site, 0.5), (site, 0.85), (towers, 0.5)]
    answers = [annual_pue(plant_site, lf, weather) for plant_site, lf in cases]
    assert answers == [pytest.approx(fresh(plant_site, lf), rel=1e-15)
                       for plant_site, lf in cases]
    assert answers[0] == answers[3] and len(set(answers)) == 4
    # another weather year on the same plant is another answer
    other = load_weather("houston-tx")
    assert annual_pue(site, 0.85, other) > answers[0]


def test_houston_above_chicago_and_annual_below_peak():
    pue = {}
    for city in ("chicago-il", "houston-tx", "phoenix-az", "midland-tx", "yakima-wa"):
        r = annual("moses-lake", "gb300-nvl72", overrides={"weather": city})
        assert r.annual_pue < r.peak_pue
        pue[city] = r.annual_pue
    assert pue["houston-tx"] > pue["chicago-il"]


def test_water_for_evaporative_plants():
    dry = annual("moses-lake", "gb300-nvl72", overrides={"weather": "phoenix-az"})
    tower = annual("moses-lake", "gb300-nvl72", overrides={
        "weather": "phoenix-az", "cooling_plant.type": "cooling_tower"})
    pads = annual("moses-lake", "gb300-nvl72", overrides={
        "weather": "phoenix-az", "cooling_plant.type": "adiabatic_cooler"})
    assert dry.wue.m_as("L/kWh") == 0
    # a tower evaporates about 0.85 x 3.6 MJ / 2.43 MJ/kg = 1.26 L per kWh of heat it
    # rejects, plus blowdown (4 cycles: x 4/3) and drift
    assert 1.0 < tower.wue.m_as("L/kWh") < 2.5
    assert 0 < pads.wue.m_as("L/kWh") < tower.wue.m_as("L/kWh")
    assert pads.liquid_chiller_hours < dry.liquid_chiller_hours


def test_site_without_weather_or_plant():
    with pytest.raises(SiteError, match="no weather year") as info:
        annual("air-mining-100mw", "antminer-s21")
    assert info.value.field == "weather"
    with pytest.raises(WeatherError) as info:
        annual("moses-lake", "gb300-nvl72", overrides={"weather": "houston"})
    assert info.value.source == "--set" and "houston-tx" in str(info.value)
    with pytest.raises(SiteError, match="trim_chiller cannot be 'none'"):
        load_site("moses-lake", {"cooling_plant.type": "chiller",
                                 "cooling_plant.trim_chiller": "none"})


def test_weather_path_from_the_site_folder(tmp_path):
    from rackplan.facility.site import sites_dir
    from rackplan.facility.weather import weather_dir

    (tmp_path / "year.csv").write_text((weather_dir() / "chicago-il.csv").read_text())
    site = (sites_dir() / "moses-lake.toml").read_text()
    site = site.replace('weather = "yakima-wa"', 'weather = "./year.csv"')
    (tmp_path / "site.toml").write_text(site)
    r = annual(str(tmp_path / "site.toml"), "gb300-nvl72")
    chicago = annual("moses-lake", "gb300-nvl72", overrides={"weather": "chicago-il"})
    assert r.annual_pue == pytest.approx(chicago.annual_pue, rel=1e-12)
    # the loaded site carries the path from its file's folder, so it finds its year when it
    # is passed on as a Site (to size, compare, a sweep)
    site = load_site(str(tmp_path / "site.toml"))
    assert site.weather == str(tmp_path / "year.csv")
    assert rackplan.size(site, "gb300-nvl72").pue == pytest.approx(r.peak_pue, rel=1e-12)
