"""Sizing kernels: how many units fit in a site, and what their heat asks of the cooling.

Float64 SI only (W, kg, m, m^2, K, kg/s, m^3/s); no pint, pydantic or xarray. NaN in an optional
constraint argument means "the site does not give it". The public model is
:func:`rackplan.facility.capacity.size`; these kernels are what it calls, and what sweeps call from
their own numba code:

- :func:`fit_units` (scalar, ``@njit``): units that fit and the binding constraint. Its
  signature is fixed: the economics and sweep kernels call it.
- :func:`units_by_constraint` (scalar): the units each constraint alone allows.
- :func:`size_site` (scalar) and :func:`size_sites` (arrays, ``prange``): the whole sizing.
  ``size_sites`` writes into output arrays its caller allocates with NumPy
  (:func:`empty_site_outputs`); :func:`size_sites_alloc` allocates them and returns them.
- :func:`air_density` and :func:`plant_pue`: small formulas shared with the models.

Each has a NumPy twin ``*_numpy`` with the same results (the test oracle and the benchmark
baseline).
"""

from __future__ import annotations

import math

import numpy as np

from rackplan._jit import njit, prange

__all__ = [
    "BINDING",
    "REDUNDANCY",
    "AIR_CP",
    "air_density",
    "air_density_numpy",
    "plant_pue",
    "plant_pue_numpy",
    "units_by_constraint",
    "units_by_constraint_numpy",
    "rack_units",
    "rack_units_numpy",
    "fit_units",
    "fit_units_numpy",
    "size_site",
    "SITE_OUTPUTS",
    "empty_site_outputs",
    "size_sites",
    "size_sites_alloc",
    "size_sites_numpy",
]

#: Names of the constraints, indexed by the binding code the kernels return.
BINDING = ("power", "floor_area", "floor_loading", "heat_rejection", "rack_positions",
           "rack_power")
_RACK_POWER = 5
#: CDU redundancy schemes, indexed by the code the kernels take: N, N+1 (one spare), 2N.
REDUNDANCY = ("N", "N+1", "2N")

#: Specific heat of air [J/(kg K)]: 0.24 BTU/(lb degF) = 1.006 kJ/(kg K) [S]
#: serverdevworker.com. Constant over 0-45 degC to within 0.1 %.
AIR_CP = 1006.0
#: Specific gas constant of dry air [J/(kg K)] (R = 8.314462618 / 0.0289644 kg/mol).
AIR_R = 287.058
#: Standard sea-level pressure [Pa] and the U.S. Standard Atmosphere 1976 troposphere
#: barometric formula p = p0 (1 - L h / T0)^(g M / (R L)), with L / T0 = 0.0065 / 288.15
#: [1/m] and g M / (R L) = 5.25588. It gives 0.93 atm at 2,000 ft and 0.86 at 4,000 ft,
#: the factors of the INRES airflow rule [S] ("Data Heat Load", scribd document 317841832).
SEA_LEVEL_PRESSURE = 101325.0
_LAPSE_OVER_T0 = 2.25577e-5
_BARO_EXPONENT = 5.25588

# Kernels use numba's "numpy" error model: a division by zero gives inf/NaN as in the NumPy
# twin, instead of a Python ZeroDivisionError check on every division, which also keeps the
# selects below free of branches. Inputs are validated upstream (powers > 0).
_KERNEL = {"error_model": "numpy"}

# Counts are floor()/ceil() of ratios that may be one ulp off an integer (18e6 / 1.25 / 120e3
# could come out as 119.99999999999999); nudge by this relative amount so exact ratios count.
_RTOL = 1e-12


def _air_density(altitude_m, temperature_k):
    p = SEA_LEVEL_PRESSURE * (1.0 - _LAPSE_OVER_T0 * altitude_m) ** _BARO_EXPONENT
    return p / (AIR_R * temperature_k)


air_density = njit(**_KERNEL)(_air_density)
air_density.__doc__ = """Density of dry air [kg/m^3] at ``altitude_m`` [m], ``temperature_k`` [K].

Standard-atmosphere pressure at that altitude, ideal gas at that temperature:
1.184 kg/m^3 at sea level and 25 degC.
"""
#: NumPy twin of :func:`air_density` (the same arithmetic; works on arrays).
air_density_numpy = _air_density


def _plant_pue(eta_transformer, eta_ups, eta_distribution, k_liquid, k_air, liquid_fraction,
               house_load):
    # facility = IT / (eta_t eta_ups eta_dist)   IT load through the whole chain
    #          + cooling / eta_t                 cooling is fed after the transformer, no UPS
    #          + house_load * IT                 lighting, offices, controls
    # cooling  = IT (f k_liquid + (1 - f) k_air); PUE = facility / IT.
    cooling = liquid_fraction * k_liquid + (1.0 - liquid_fraction) * k_air
    return (1.0 / (eta_transformer * eta_ups * eta_distribution)
            + cooling / eta_transformer + house_load)


plant_pue = njit(**_KERNEL)(_plant_pue)
plant_pue.__doc__ = """PUE of a site from its power chain and cooling plant [1].

Parameters: transformer, UPS and distribution efficiencies [0..1]; the cooling plant's
electrical power per unit of heat for the liquid and the air side, ``k_liquid`` and ``k_air``
[W/W]; the share of the IT heat that leaves in liquid [0..1]; the house load as a share of IT
power [1]. See ``docs/sizing.md``.
"""
#: NumPy twin of :func:`plant_pue`.
plant_pue_numpy = _plant_pue


@njit(**_KERNEL)
def _floor(x):
    # np.floor, not math.floor: it stays a float, so NaN (a constraint not given) survives.
    return np.floor(x * (1.0 + _RTOL))


@njit(**_KERNEL)
def _ceil(x):
    return np.ceil(x * (1.0 - _RTOL))


@njit(**_KERNEL)
def rack_units(units_per_rack, unit_power_w, design_rack_power_w):
    """Units a rack holds [1]: the profile's ``units_per_rack``, fewer where the site's rack
    positions are designed for less than that many units draw (``design_rack_power_w`` [W];
    NaN: not given). 0 where one unit draws more than a position is designed for."""
    by_power = _floor(design_rack_power_w / unit_power_w)
    return units_per_rack if not by_power < units_per_rack else by_power


@njit(**_KERNEL)
def units_by_constraint(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
                        aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2,
                        heat_rejection_w, rack_positions, design_rack_power_w,
                        outside_power_w):
    """Units each constraint alone allows, NaN for a constraint the site does not give.

    Returns ``(by_power, by_floor_area, by_floor_loading, by_heat_rejection,
    by_rack_positions, by_rack_power)``, with a rack holding :func:`rack_units` units:

    - power: ``floor(utility / pue / (unit_power + outside_power))``;
    - floor area: ``floor(white_space / (rack_footprint * aisle_factor))`` racks, times
      the units a rack holds;
    - floor loading: ``floor(floor_load * white_space / rack_weight)`` racks (the white space's
      total allowed mass), times the units a rack holds; needs floor_load and white_space;
    - heat rejection: ``floor(heat_rejection / (unit_power + outside_power))``;
    - rack positions: ``rack_positions`` racks, times the units a rack holds;
    - rack power: 0 where one unit draws more than a position is designed for, else NaN
      (it binds through the units a rack holds, in the constraints above).

    ``unit_power_w`` is what a unit draws in its rack, ``outside_power_w`` what it draws
    outside the rack (its share of the scale-out network, storage and management; 0 when the
    profile gives none): the feed and the heat rejection carry both, a rack position only the
    first. Arguments in W, m^2, kg, kg/m^2; ``pue``, ``units_per_rack``, ``aisle_factor`` and
    ``rack_positions`` are plain numbers.
    """
    # No branches: NaN (not given) propagates through the arithmetic, which keeps the loop
    # free of hard-to-predict jumps when many sites mix given and missing constraints.
    per_rack = rack_units(units_per_rack, unit_power_w, design_rack_power_w)
    it_power_w = unit_power_w + outside_power_w  # a unit's IT power, in the rack and out
    by_power = _floor(utility_power_w / pue / it_power_w)
    by_area = _floor(white_space_m2 / (rack_footprint_m2 * aisle_factor)) * per_rack
    by_load = _floor(floor_load_kg_m2 * white_space_m2 / rack_weight_kg) * per_rack
    by_heat = _floor(heat_rejection_w / it_power_w)
    by_positions = _floor(rack_positions) * per_rack
    by_rack_power = 0.0 if per_rack == 0.0 else math.nan
    return by_power, by_area, by_load, by_heat, by_positions, by_rack_power


@njit(**_KERNEL)
def fit_units(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
              aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2, heat_rejection_w,
              rack_positions, design_rack_power_w, outside_power_w):
    """Units that fit [1] and the binding constraint (an index into :data:`BINDING`).

    The fewest of :func:`units_by_constraint`, NaN constraints ignored; on a tie the first in
    ``BINDING`` order binds, except that no unit fitting a rack position binds first.
    Returns ``(nan, -1)`` if the power constraint itself is NaN.
    """
    by = units_by_constraint(utility_power_w, pue, unit_power_w, units_per_rack,
                             rack_footprint_m2, aisle_factor, white_space_m2, rack_weight_kg,
                             floor_load_kg_m2, heat_rejection_w, rack_positions,
                             design_rack_power_w, outside_power_w)
    if math.isnan(by[0]):
        return math.nan, -1
    if by[_RACK_POWER] == 0.0:
        return 0.0, _RACK_POWER
    best = by[0]
    code = 0
    for i in range(1, 5):
        if by[i] < best:  # False for NaN: a constraint not given never binds
            best = by[i]
            code = i
    return best, code


@njit(**_KERNEL)
def size_site(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
              aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2, heat_rejection_w,
              rack_positions, design_rack_power_w, outside_power_w, liquid_fraction,
              coolant_density, coolant_cp, coolant_delta_t_k, rack_flow_m3_s, altitude_m,
              air_inlet_k, air_delta_t_k, cdu_capacity_w, cdu_flow_m3_s, redundancy):
    """Size one site. Arguments after :func:`fit_units`'s thirteen:

    ``liquid_fraction`` [0..1], the share of the power in the rack that leaves in liquid
    (what a unit draws outside its rack goes to air); the coolant's ``coolant_density``
    [kg/m^3] and ``coolant_cp`` [J/(kg K)] at its mean temperature (NaN is fine when no heat
    goes to liquid);
    ``coolant_delta_t_k`` [K]; ``rack_flow_m3_s``, the coolant flow a full rack asks for
    [m^3/s] (the OEM's figure at the supply temperature; NaN: from ``coolant_delta_t_k``);
    ``altitude_m`` [m]; ``air_inlet_k`` [K]; ``air_delta_t_k`` [K]; one CDU's heat
    ``cdu_capacity_w`` [W] and flow ``cdu_flow_m3_s`` [m^3/s]; ``redundancy`` (index into
    :data:`REDUNDANCY`).

    Returns ``(unit_count, rack_count, binding, it_power_w, facility_power_w, heat_to_liquid_w,
    heat_to_air_w, coolant_mass_flow_kg_s, coolant_volume_flow_m3_s, airflow_m3_s,
    cdu_count, cdus_by_heat, cdus_by_flow)``; counts are whole numbers held in floats,
    ``binding`` an int. ``cdu_count`` is the larger of the two counts before it, with
    redundancy.
    """
    units, binding = fit_units(utility_power_w, pue, unit_power_w, units_per_rack,
                               rack_footprint_m2, aisle_factor, white_space_m2, rack_weight_kg,
                               floor_load_kg_m2, heat_rejection_w, rack_positions,
                               design_rack_power_w, outside_power_w)
    per_rack = rack_units(units_per_rack, unit_power_w, design_rack_power_w)
    racks = _ceil(units / per_rack) if per_rack > 0.0 else 0.0
    it_power = units * (unit_power_w + outside_power_w)
    facility = it_power * pue
    to_liquid = units * unit_power_w * liquid_fraction
    to_air = it_power - to_liquid
    # Written as selects, not branches (see units_by_constraint). With no liquid heat the
    # coolant properties may be NaN; the select drops them.
    has_liquid = to_liquid > 0.0
    # The OEM's rack flow when given (a unit takes its share of a rack's), else Q = m cp dT.
    from_table = rack_flow_m3_s == rack_flow_m3_s  # False for NaN
    table_flow = units / units_per_rack * rack_flow_m3_s
    mass_flow_q = (table_flow * coolant_density if from_table
                   else to_liquid / (coolant_cp * coolant_delta_t_k))
    volume_flow_q = table_flow if from_table else mass_flow_q / coolant_density
    mass_flow = mass_flow_q if has_liquid else 0.0
    volume_flow = volume_flow_q if has_liquid else 0.0
    # CDUs: enough for the heat and enough for the flow, then the spares.
    by_heat = _ceil(to_liquid / cdu_capacity_w) if has_liquid else 0.0
    by_flow = _ceil(volume_flow_q / cdu_flow_m3_s) if has_liquid else 0.0
    n = max(by_heat, by_flow)
    n = n + 1.0 if redundancy == 1 else (2.0 * n if redundancy == 2 else n)
    cdus = n if has_liquid else 0.0
    rho_air = air_density(altitude_m, air_inlet_k)
    airflow = to_air / (rho_air * AIR_CP * air_delta_t_k) if to_air > 0.0 else 0.0
    return (units, racks, binding, it_power, facility, to_liquid, to_air, mass_flow,
            volume_flow, airflow, cdus, by_heat, by_flow)


#: Names of :func:`size_sites`'s outputs, in order (``binding`` is int64, the rest float64).
SITE_OUTPUTS = ("unit_count", "rack_count", "binding", "it_power_w", "facility_power_w",
                "heat_to_liquid_w", "heat_to_air_w", "coolant_mass_flow_kg_s",
                "coolant_volume_flow_m3_s", "airflow_m3_s", "cdu_count", "cdus_by_heat",
                "cdus_by_flow")


def empty_site_outputs(n):
    """The 13 output arrays of :func:`size_sites` for ``n`` sites, allocated by NumPy
    (``np.empty``: uninitialized; ``binding`` int64, the rest float64)."""
    return tuple(np.empty(n, dtype=np.int64 if name == "binding" else np.float64)
                 for name in SITE_OUTPUTS)


@njit(parallel=True, **_KERNEL)
def size_sites(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
               aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2, heat_rejection_w,
               rack_positions, design_rack_power_w, outside_power_w,
               liquid_fraction, coolant_density, coolant_cp, coolant_delta_t_k,
               rack_flow_m3_s, altitude_m, air_inlet_k, air_delta_t_k, cdu_capacity_w,
               cdu_flow_m3_s, redundancy,
               units, racks, binding, it_power, facility, to_liquid, to_air, mass_flow,
               volume_flow, airflow, cdus, cdus_by_heat, cdus_by_flow):
    """:func:`size_site` over 1-D float64 arrays of one length (``redundancy`` int64), written
    into the caller's arrays.

    The 24 inputs are :func:`size_site`'s arguments; the 13 outputs after them are
    its results in order (:data:`SITE_OUTPUTS`), 1-D arrays of the inputs' length, ``binding``
    int64 and the rest float64, overwritten. Allocate them with :func:`empty_site_outputs`
    (NumPy's large allocations get transparent huge pages where the system offers them; the
    kernel's own would not) or use :func:`size_sites_alloc`. Raises ``ValueError`` when an
    array's length differs from ``utility_power_w``'s. Returns nothing.
    """
    n = utility_power_w.shape[0]
    # Nothing is bounds-checked inside the loop: check every length once, here. (Written out,
    # not a loop over a tuple: arrays of different layouts would make the tuple heterogeneous.)
    if (pue.shape[0] != n or unit_power_w.shape[0] != n or units_per_rack.shape[0] != n
            or rack_footprint_m2.shape[0] != n or aisle_factor.shape[0] != n
            or white_space_m2.shape[0] != n or rack_weight_kg.shape[0] != n
            or floor_load_kg_m2.shape[0] != n or heat_rejection_w.shape[0] != n
            or rack_positions.shape[0] != n or design_rack_power_w.shape[0] != n
            or outside_power_w.shape[0] != n or liquid_fraction.shape[0] != n or coolant_density.shape[0] != n
            or coolant_cp.shape[0] != n or coolant_delta_t_k.shape[0] != n
            or rack_flow_m3_s.shape[0] != n
            or altitude_m.shape[0] != n or air_inlet_k.shape[0] != n
            or air_delta_t_k.shape[0] != n or cdu_capacity_w.shape[0] != n
            or cdu_flow_m3_s.shape[0] != n or redundancy.shape[0] != n):
        raise ValueError("size_sites: the input arrays differ in length")
    if (units.shape[0] != n or racks.shape[0] != n or binding.shape[0] != n
            or it_power.shape[0] != n or facility.shape[0] != n or to_liquid.shape[0] != n
            or to_air.shape[0] != n or mass_flow.shape[0] != n or volume_flow.shape[0] != n
            or airflow.shape[0] != n or cdus.shape[0] != n or cdus_by_heat.shape[0] != n
            or cdus_by_flow.shape[0] != n):
        raise ValueError("size_sites: an output's length differs from the inputs'")
    for i in prange(n):
        r = size_site(utility_power_w[i], pue[i], unit_power_w[i], units_per_rack[i],
                      rack_footprint_m2[i], aisle_factor[i], white_space_m2[i],
                      rack_weight_kg[i], floor_load_kg_m2[i], heat_rejection_w[i],
                      rack_positions[i], design_rack_power_w[i], outside_power_w[i],
                      liquid_fraction[i], coolant_density[i], coolant_cp[i],
                      coolant_delta_t_k[i], rack_flow_m3_s[i], altitude_m[i], air_inlet_k[i],
                      air_delta_t_k[i], cdu_capacity_w[i], cdu_flow_m3_s[i], redundancy[i])
        units[i] = r[0]
        racks[i] = r[1]
        binding[i] = r[2]
        it_power[i] = r[3]
        facility[i] = r[4]
        to_liquid[i] = r[5]
        to_air[i] = r[6]
        mass_flow[i] = r[7]
        volume_flow[i] = r[8]
        airflow[i] = r[9]
        cdus[i] = r[10]
        cdus_by_heat[i] = r[11]
        cdus_by_flow[i] = r[12]


def size_sites_alloc(*inputs):
    """:func:`size_sites` with its outputs allocated here (:func:`empty_site_outputs`):
    the 24 input arrays in, the 13 output arrays out, as :func:`size_sites_numpy`."""
    if len(inputs) != 24:
        raise TypeError(f"size_sites_alloc takes 24 input arrays, got {len(inputs)}")
    out = empty_site_outputs(np.shape(inputs[0])[0])
    size_sites(*inputs, *out)
    return out


# ---------------------------------------------------------------------------------------------
# NumPy twins: the same arithmetic, vectorized. Written separately on purpose (an oracle that
# shared the kernel's code could not catch its mistakes).


def _floor_np(x):
    return np.floor(x * (1.0 + _RTOL))


def _ceil_np(x):
    return np.ceil(x * (1.0 - _RTOL))


def rack_units_numpy(units_per_rack, unit_power_w, design_rack_power_w):
    """NumPy twin of :func:`rack_units`."""
    with np.errstate(invalid="ignore"):
        by_power = _floor_np(np.asarray(design_rack_power_w, float) / unit_power_w)
        return np.where(by_power < units_per_rack, by_power, units_per_rack)


def units_by_constraint_numpy(utility_power_w, pue, unit_power_w, units_per_rack,
                              rack_footprint_m2, aisle_factor, white_space_m2, rack_weight_kg,
                              floor_load_kg_m2, heat_rejection_w, rack_positions,
                              design_rack_power_w, outside_power_w):
    """NumPy twin of :func:`units_by_constraint` (arrays broadcast; NaN propagates)."""
    per_rack = rack_units_numpy(units_per_rack, unit_power_w, design_rack_power_w)
    it_power_w = np.add(unit_power_w, outside_power_w)
    with np.errstate(invalid="ignore"):
        by_power = _floor_np(np.asarray(utility_power_w, float) / pue / it_power_w)
        by_area = _floor_np(white_space_m2 / (np.multiply(rack_footprint_m2, aisle_factor))) \
            * per_rack
        by_load = _floor_np(np.multiply(floor_load_kg_m2, white_space_m2) / rack_weight_kg) \
            * per_rack
        by_heat = _floor_np(np.asarray(heat_rejection_w, float) / it_power_w)
        by_positions = _floor_np(np.asarray(rack_positions, float)) * per_rack
    by_rack_power = np.where(per_rack == 0.0, 0.0, np.nan)
    return by_power, by_area, by_load, by_heat, by_positions, by_rack_power


def fit_units_numpy(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
                    aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2,
                    heat_rejection_w, rack_positions, design_rack_power_w, outside_power_w):
    """NumPy twin of :func:`fit_units`: ``(unit_count, binding)`` arrays."""
    by = np.broadcast_arrays(*units_by_constraint_numpy(
        utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2, aisle_factor,
        white_space_m2, rack_weight_kg, floor_load_kg_m2, heat_rejection_w, rack_positions,
        design_rack_power_w, outside_power_w))
    counts = np.stack(by[:_RACK_POWER])
    stacked = np.where(np.isnan(counts), np.inf, counts)
    binding = np.argmin(stacked, axis=0)  # first minimum: ties go to the earlier constraint
    units = np.take_along_axis(stacked, binding[None], axis=0)[0]
    no_rack = by[_RACK_POWER] == 0.0  # no unit fits a rack position: that binds first
    units = np.where(no_rack, 0.0, units)
    binding = np.where(no_rack, _RACK_POWER, binding)
    power_nan = np.isnan(by[0])
    units = np.where(power_nan, np.nan, units)
    binding = np.where(power_nan, -1, binding).astype(np.int64)
    return units, binding


def size_sites_numpy(utility_power_w, pue, unit_power_w, units_per_rack, rack_footprint_m2,
                     aisle_factor, white_space_m2, rack_weight_kg, floor_load_kg_m2,
                     heat_rejection_w, rack_positions, design_rack_power_w, outside_power_w,
                     liquid_fraction, coolant_density, coolant_cp, coolant_delta_t_k,
                     rack_flow_m3_s, altitude_m, air_inlet_k, air_delta_t_k, cdu_capacity_w,
                     cdu_flow_m3_s, redundancy):
    """NumPy twin of :func:`size_sites_alloc` (the same inputs; returns the 13 outputs)."""
    units, binding = fit_units_numpy(utility_power_w, pue, unit_power_w, units_per_rack,
                                     rack_footprint_m2, aisle_factor, white_space_m2,
                                     rack_weight_kg, floor_load_kg_m2, heat_rejection_w,
                                     rack_positions, design_rack_power_w, outside_power_w)
    per_rack = rack_units_numpy(units_per_rack, unit_power_w, design_rack_power_w)
    with np.errstate(invalid="ignore", divide="ignore"):
        racks = np.where(per_rack > 0.0, _ceil_np(units / per_rack), 0.0)
    it_power = units * (unit_power_w + outside_power_w)
    facility = it_power * pue
    to_liquid = units * unit_power_w * liquid_fraction
    to_air = it_power - to_liquid
    has_liquid = to_liquid > 0.0
    from_table = ~np.isnan(rack_flow_m3_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        table_flow = units / units_per_rack * rack_flow_m3_s
        dt_mass = to_liquid / (coolant_cp * coolant_delta_t_k)
        mass_flow = np.where(has_liquid, np.where(from_table, table_flow * coolant_density,
                                                  dt_mass), 0.0)
        volume_flow = np.where(has_liquid, np.where(from_table, table_flow,
                                                    dt_mass / coolant_density), 0.0)
        by_heat = np.where(has_liquid, _ceil_np(to_liquid / cdu_capacity_w), 0.0)
        by_flow = np.where(has_liquid, _ceil_np(volume_flow / cdu_flow_m3_s), 0.0)
        n = np.maximum(by_heat, by_flow)
        n = np.where(redundancy == 1, n + 1.0, np.where(redundancy == 2, 2.0 * n, n))
        cdus = np.where(has_liquid, n, 0.0)
        rho_air = air_density_numpy(altitude_m, air_inlet_k)
        airflow = np.where(to_air > 0.0, to_air / (rho_air * AIR_CP * air_delta_t_k), 0.0)
    return (units, racks, binding, it_power, facility, to_liquid, to_air, mass_flow,
            volume_flow, airflow, cdus, by_heat, by_flow)
