"""Capacity and cooling of a site for one hardware profile: :func:`size`.

>>> import rackplan
>>> r = rackplan.size("moses-lake", "gb300-nvl72", overrides={"pue": 1.25})
>>> r.rack_count, r.binding_constraint
(101, 'power')

The model (``docs/sizing.md``): usable IT power is ``utility_power / pue``, the PUE of the site's
plant in its design hour (:func:`plant_pue`: trim chillers included, so the units fit the feed
on the hottest hours); units that fit are
the fewest allowed by power, floor area, floor loading and heat rejection (each only when the
site gives it); their heat goes to liquid (``liquid_fraction``) and to air; coolant flow is
``Q / (rho cp dT)`` with CoolProp properties at the loop's mean temperature, airflow
``Q / (rho_air cp_air dT)`` at the site's altitude and inlet temperature. The arithmetic is in
:mod:`rackplan.kernels.capacity`; this module converts units and reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rackplan._args import overrides_mapping
from rackplan._jit import one_site
from rackplan._io import resolve
from rackplan.facility.coolant import air_density, coolant_properties
from rackplan.errors import InputError, ProfileError, SiteError, shown
from rackplan.kernels import capacity as kernels
from rackplan.facility.profiles import HardwareProfile, load_profile, profiles_dir
from rackplan.facility.plant import (annual_pue, design_condition, design_pue, needs_wet_bulb,
                                     plant_layout, site_weather)
from rackplan.facility.site import Site, load_site, mining_hall, plant_overheads
from rackplan.facility.weather import Weather
from rackplan.units import Q_, Quantity, finite_or_none, to_json

__all__ = ["size", "size_in", "plant_pue", "energy_pue", "hall_for", "SizingResult", "BASES",
           "check_reference", "check_arguments"]

#: What each unit draws when sized: its ``power_max`` (the feed carries every unit at full
#: power), its ``power_typical``, or its OEM ``power_peak`` (the feed carries the transients).
BASES = ("max", "typical", "peak")

# Output units, chosen for people; to_xarray uses UDUNITS spellings of the same units.
_UNITS = {
    "utility_power": "MW",
    "it_power_available": "MW",
    "it_power": "MW",
    "facility_power": "MW",
    "stranded_power": "MW",
    "heat_to_liquid": "MW",
    "heat_to_air": "MW",
    "heat_load_btuh": "BTU/hour",
    "heat_load_tons": "refrigeration_ton",
    "coolant_mass_flow": "kg/s",
    "coolant_flow": "L/min",
    "coolant_flow_m3h": "m**3/hour",
    "coolant_flow_per_kw": "L/min/kW",
    "rack_coolant_flow": "L/min",
    "airflow": "m**3/s",
    "airflow_cfm": "cfm",
    "power_density_rack": "kW",
    "power_density_area": "kW/m**2",
    "hashrate": "EH/s",
    "dry_cooler_min_supply": "degC",
}
_UDUNITS = {
    "BTU/hour": "W",  # not UDUNITS; to_xarray converts to the SI unit
    "refrigeration_ton": "W",
    "m**3/hour": "m^3/h",
    "m**3/s": "m^3/s",
    "kW/m**2": "kW/m^2",
    "L/min/kW": "L/min/kW",
    "cfm": "m^3/s",
}
_LONG_NAMES = {
    "utility_power": "gross utility interconnect",
    "pue": "power usage effectiveness",
    "it_power_available": "IT power the utility feed allows (utility / PUE)",
    "unit_count": "units that fit",
    "rack_count": "racks",
    "it_power": "IT power of the units that fit",
    "facility_power": "facility power (IT x PUE)",
    "stranded_power": "utility power left unused",
    "heat_to_liquid": "heat to the liquid loop",
    "heat_to_air": "heat to room air",
    "heat_load_btuh": "total heat load",
    "heat_load_tons": "total heat load in tons of refrigeration",
    "coolant_mass_flow": "coolant mass flow",
    "coolant_flow": "coolant volume flow",
    "coolant_flow_m3h": "coolant volume flow",
    "coolant_flow_per_kw": "coolant flow per kW of liquid heat",
    "airflow": "airflow at the rack inlet",
    "airflow_cfm": "airflow at the rack inlet",
    "power_density_rack": "IT power per full rack",
    "power_density_area": "IT power per square metre of white space",
    "cdu_count": "CDUs including redundancy",
    "cdus_by_heat": "CDUs the liquid heat needs, before redundancy",
    "cdus_by_flow": "CDUs the coolant flow needs, before redundancy",
    "rack_coolant_flow": "coolant flow per full rack",
    "hashrate": "total hash rate",
    "gpu_count": "GPUs",
    "dry_cooler_min_supply": "lowest coolant supply dry coolers hold at the design dry bulb",
}


@dataclass(frozen=True)
class SizingResult:
    """What fits in a site and what its cooling must carry (quantities in people's units).

    Counts are ``int``; ``hashrate`` is ``None`` for GPU systems, ``gpu_count`` for miners;
    ``power_density_area`` is ``None`` when the site gives no white space,
    ``dry_cooler_min_supply`` when it gives no design dry bulb or no heat goes to liquid.
    ``units_by`` holds the units each constraint alone allows (``None`` for one the site does
    not give). ``cdu_count`` is the larger of ``cdus_by_heat`` and ``cdus_by_flow`` plus
    redundancy; ``cdu_basis`` says which one sets it (``"heat"``, ``"flow"``, ``"both"`` when
    they are equal, ``"none"`` with no liquid heat). ``rack_coolant_flow`` is from the
    profile's flow table when it has one (``inputs["coolant_flow_from"]``), else from the
    site's ``coolant_delta_t``. ``warnings`` are findings, not errors.
    """

    utility_power: Quantity
    pue: float
    it_power_available: Quantity
    unit_count: int
    rack_count: int
    binding_constraint: str
    units_by: dict[str, int | None]
    it_power: Quantity
    facility_power: Quantity
    stranded_power: Quantity
    heat_to_liquid: Quantity
    heat_to_air: Quantity
    heat_load_btuh: Quantity
    heat_load_tons: Quantity
    coolant_mass_flow: Quantity
    coolant_flow: Quantity
    coolant_flow_m3h: Quantity
    coolant_flow_per_kw: Quantity | None
    rack_coolant_flow: Quantity | None
    airflow: Quantity
    airflow_cfm: Quantity
    power_density_rack: Quantity
    power_density_area: Quantity | None
    cdu_count: int
    cdus_by_heat: int
    cdus_by_flow: int
    cdu_basis: str
    hashrate: Quantity | None
    gpu_count: int | None
    dry_cooler_min_supply: Quantity | None
    warnings: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_quantities(self) -> dict[str, Any]:
        """The result as an ordered dict of quantities, counts, strings and sub-dicts."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every quantity ``{"value", "unit"}``, counts ``int``, ``None`` kept; a
        value that is not a finite number (never expected) is ``None`` too."""
        return _jsonable(self.as_quantities())

    def _repr_html_(self) -> str:
        """A notebook shows the result as a table, a unit beside every number."""
        from rackplan._html import rows_table, text, warnings_list

        rows = []
        for name, value in self.as_quantities().items():
            if name in ("warnings", "inputs"):
                continue
            if name == "units_by":
                rows += [(f"units the {key.replace('_', ' ')} constraint allows", count)
                         for key, count in value.items() if count is not None]
                continue
            label = _LONG_NAMES.get(name, name.replace("_", " "))
            rows.append((label, value))
        title = (f"{self.inputs.get('site_name') or self.inputs.get('site', '')}: "
                 f"{self.inputs.get('profile', '')}, sized on {self.inputs.get('basis', '')}")
        return (f"<div><strong>{text(title)}</strong>" + rows_table(rows)
                + warnings_list(self.warnings) + "</div>")

    def to_xarray(self):
        """An ``xarray.Dataset`` of scalars, units in ``attrs["units"]`` (UDUNITS-like)."""
        import numpy as np
        import xarray as xr

        data_vars = {}
        for name, value in self.as_quantities().items():
            if name in ("warnings", "inputs", "units_by", "binding_constraint", "cdu_basis"):
                continue
            attrs = {"long_name": _LONG_NAMES.get(name, name.replace("_", " "))}
            if isinstance(value, Quantity) or (value is None and name in _UNITS):
                unit = _UNITS[name]
                out_unit = _UDUNITS.get(unit, unit)
                magnitude = np.nan if value is None else float(value.to(out_unit).magnitude)
                attrs["units"] = out_unit.replace("**", "^")
                data_vars[name] = xr.Variable((), magnitude, attrs)
            elif name == "pue":
                data_vars[name] = xr.Variable((), float(value), {**attrs, "units": "1"})
            else:  # counts; NaN stands for None (gpu_count of a miner)
                data_vars[name] = xr.Variable((), np.nan if value is None else float(value),
                                              {**attrs, "units": "1"})
        data_vars["binding_constraint"] = xr.Variable(
            (), self.binding_constraint, {"long_name": "constraint that limits unit_count"})
        data_vars["cdu_basis"] = xr.Variable(
            (), self.cdu_basis, {"long_name": "what sets the CDU count: heat, flow or both"})
        for key, count in self.units_by.items():
            data_vars[f"units_by_{key}"] = xr.Variable(
                (), np.nan if count is None else float(count),
                {"long_name": f"units the {key.replace('_', ' ')} constraint allows",
                 "units": "1"})
        attrs = {k: str(v) for k, v in self.inputs.items() if not isinstance(v, dict)}
        attrs["warnings"] = "\n".join(self.warnings)
        return xr.Dataset(data_vars, attrs=attrs)


def _jsonable(value: Any) -> Any:
    """JSON-ready copy: quantities ``{"value", "unit"}``, NaN and infinity ``None``."""
    if isinstance(value, Quantity):
        mag = value.magnitude
        if getattr(mag, "ndim", 0) == 0 and not isinstance(mag, (list, tuple)):
            f = finite_or_none(mag)
            return None if f is None else {**to_json(value), "value": f}
        return {"value": _jsonable(list(getattr(mag, "tolist", lambda: mag)())),
                "unit": to_json(Q_(1.0, value.units))["unit"]}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # a NumPy scalar
        value = value.item()
    if isinstance(value, float):
        return finite_or_none(value)
    return value


def check_reference(value: Any, name: str, model: type, *, optional: bool = False) -> Any:
    """``value`` if it can name a ``model`` (a built-in id, a path, or the model itself), else an
    :class:`InputError` naming the argument ``name``; ``None`` passes when ``optional``."""
    if value is None and optional:
        return value
    if isinstance(value, (str, Path, model)):
        return value
    raise InputError(f"must be a built-in id, a path to a TOML file or a {model.__name__}, "
                     f"got {shown(value)}", source=name)


def hall_for(site: Site, hw: HardwareProfile) -> Site:
    """The hall of ``site`` that ``hw`` goes into: the mining hall
    (:func:`~rackplan.facility.site.mining_hall`) for ASIC miners, the site itself for GPUs."""
    return mining_hall(site) if hw.kind == "asic" else site


def plant_pue(site: Site, liquid_fraction: float, weather: Weather | None = None) -> float:
    """The PUE that sizes ``site`` for hardware that sends ``liquid_fraction`` of its heat to
    liquid [1]: the facility power over the IT power on the hottest hours the units must fit.

    The site's fixed ``pue`` when it gives one; else its plant in the design hour, trim
    chillers included (:func:`rackplan.facility.plant.design_pue`: the site's design dry and
    wet bulb, else ``weather``'s 0.4 % values); else, for a site with neither, the design-day
    overheads of its plant type (:func:`rackplan.kernels.capacity.plant_pue`)::

        PUE = 1 / (eta_t eta_ups eta_dist) + (f k_liquid + (1 - f) k_air) / eta_t + house_load
    """
    if site.pue is not None:
        return float(site.pue)
    design = design_pue(site, liquid_fraction, weather)
    if design is not None:
        return design
    k_liquid, k_air = plant_overheads(site)
    chain = site.power_chain
    return float(kernels.plant_pue_numpy(chain.transformer, chain.ups, chain.distribution,
                                         k_liquid, k_air, float(liquid_fraction),
                                         site.house_load))


def energy_pue(site: Site, liquid_fraction: float, weather: Weather | None = None) -> float:
    """The PUE that prices the energy [1]: the site's fixed ``pue``; else its plant over
    ``weather``'s year (:func:`rackplan.facility.plant.annual_pue`, ISO/IEC 30134-2); else,
    without a weather year, the sizing PUE (:func:`plant_pue`), which overstates it."""
    if site.pue is not None:
        return float(site.pue)
    annual = annual_pue(site, liquid_fraction, weather)
    return plant_pue(site, liquid_fraction, weather) if annual is None else annual


def size(site: str | Path | Site = "moses-lake",
         profile: str | Path | HardwareProfile = "gb300-nvl72", *, basis: str = "max",
         overrides: Mapping[str, Any] | None = None) -> SizingResult:
    """Size ``site`` for ``profile``: what fits, what binds, what the cooling must carry.

    Parameters
    ----------
    site : str, Path or Site
        Built-in site id, path to a site TOML file, or a :class:`~rackplan.facility.site.Site`.
    profile : str, Path or HardwareProfile
        Built-in profile id, path to a profile TOML file, or a profile.
    basis : {"max", "typical", "peak"}
        Size units on their ``power_max`` (default: the feed must carry every unit at full
        power), ``power_typical``, or the OEM's ``power_peak`` (the feed carries transients
        too; a profile without one raises :class:`ProfileError`).
    overrides : mapping, optional
        Site fields to override, as ``--set`` gives them: ``{"pue": 1.3}``.

    Returns
    -------
    SizingResult

    Raises
    ------
    InputError
        A bad site, profile, ``basis`` or ``overrides`` (not a mapping of field names to single
        values); design shortfalls are warnings in the result instead.
    """
    overrides = check_arguments(site, profile, basis, overrides)
    hw = load_profile(profile)
    st = load_site(site, overrides)
    try:
        return size_in(st, hw, basis=basis, weather=site_weather(st, overrides))
    except ProfileError as exc:
        if exc.field not in _PROFILE_FIELDS or isinstance(profile, HardwareProfile):
            raise
        source = str(resolve(profile, profiles_dir(), "profile", ProfileError, "--profile"))
        raise ProfileError(exc.message, source=source, field=exc.field) from None
    except SiteError as exc:
        if exc.field not in _COOLANT_FIELDS:
            raise
        from_flag = {k.split(".")[0] for k in overrides} & set(_COOLANT_FIELDS)
        source = "--set" if from_flag else (st.id if isinstance(site, Site) else str(site))
        raise SiteError(exc.message, source=source, field=exc.field) from None


def check_arguments(site: Any, profile: Any, basis: Any, overrides: Any) -> dict[str, Any]:
    """The checks :func:`size` and :func:`rackplan.annual` make of their arguments before
    reading a file: a :class:`InputError` naming a bad ``basis``, ``site``, ``profile`` or
    ``overrides``; returns the overrides as a dict."""
    if not isinstance(basis, str) or basis not in BASES:
        raise InputError(f"must be 'max', 'typical' or 'peak', got {shown(basis)}",
                         source="basis")
    overrides = overrides_mapping(overrides)
    check_reference(site, "site", Site)
    check_reference(profile, "profile", HardwareProfile)
    return overrides


#: Site fields a coolant's properties come from: an error in them names the site or --set.
_COOLANT_FIELDS = ("coolant", "coolant_supply_temperature", "coolant_delta_t")
#: The profile field of a supply temperature outside its flow table; an error in it, or in a
#: peak the basis asks for, names the profile file.
_FLOW_TABLE_FIELD = "cooling.flow_table.supply_temperature"
_PROFILE_FIELDS = (_FLOW_TABLE_FIELD, "power_peak")


@one_site  # one site: the kernels run as Python, numba is never imported
def size_in(site: Site, hw: HardwareProfile, *, basis: str = "max",
            weather: Weather | None = None) -> SizingResult:
    """:func:`size` of a loaded site and profile, with the site's loaded weather year (None:
    the design condition is the site's own, or the plant type's design-day overheads)."""
    st = hall_for(site, hw)
    unit_power = _unit_power(hw, basis)
    unit_w = float(unit_power.m_as("W"))
    lf = float(hw.cooling.liquid_fraction)  # of the power in the rack
    pue = plant_pue(st, hw.it_liquid_fraction(unit_w), weather)

    supply = st.coolant_supply_temperature
    coolant = None
    rho = cp = math.nan
    if lf > 0:
        mean_t = Q_(supply.magnitude + st.coolant_delta_t.m_as("K") / 2.0, "degC")
        coolant = coolant_properties(st.coolant, mean_t)
        rho = float(coolant.density.m_as("kg/m**3"))
        cp = float(coolant.specific_heat.m_as("J/(kg*K)"))

    rack_flow = _rack_flow(hw, supply) if lf > 0 else None
    nan = math.nan
    args = (
        float(st.utility_power.m_as("W")), pue, unit_w, float(hw.units_per_rack),
        float(hw.rack_footprint.m_as("m**2")), float(st.aisle_factor),
        nan if st.white_space is None else float(st.white_space.m_as("m**2")),
        float(hw.rack_weight.m_as("kg")),
        nan if st.floor_load_limit is None else float(st.floor_load_limit.m_as("kg/m**2")),
        nan if st.heat_rejection_capacity is None
        else float(st.heat_rejection_capacity.m_as("W")),
        nan if st.rack_positions is None else float(st.rack_positions),
        nan if st.design_rack_power is None else float(st.design_rack_power.m_as("W")),
        hw.outside_rack_w,
    )
    inlet_k = float(st.air_inlet_temperature.to("K").magnitude)
    (units, racks, binding, it_w, facility_w, liquid_w, air_w, mass_flow, volume_flow,
     airflow, cdus, by_heat, by_flow) = kernels.size_site(
        *args, lf, rho, cp, float(st.coolant_delta_t.m_as("K")),
        nan if rack_flow is None else float(rack_flow.m_as("m**3/s")),
        float(st.altitude.m_as("m")), inlet_k, float(st.air_delta_t.m_as("K")),
        float(st.cdu_capacity.m_as("W")), float(st.cdu_flow_capacity.m_as("m**3/s")),
        kernels.REDUNDANCY.index(st.redundancy))
    by = kernels.units_by_constraint(*args)
    units_by = {name: (None if math.isnan(v) else int(v)) for name, v in zip(kernels.BINDING, by)}

    utility_w = args[0]
    stranded_w = utility_w - facility_w
    if -1e-9 * utility_w < stranded_w < 0.0:  # rounding of the floor() in the kernel
        stranded_w = 0.0
    unit_count = int(units)
    it = Q_(it_w, "W")
    liquid_flow = Q_(volume_flow, "m**3/s")
    dry_min = _dry_cooler_min_supply(st, weather) if lf > 0 else None

    result = SizingResult(
        utility_power=st.utility_power.to("MW"),
        pue=pue,
        it_power_available=Q_(utility_w / pue, "W").to("MW"),
        unit_count=unit_count,
        rack_count=int(racks),
        binding_constraint=kernels.BINDING[binding],
        units_by=units_by,
        it_power=it.to("MW"),
        facility_power=Q_(facility_w, "W").to("MW"),
        stranded_power=Q_(stranded_w, "W").to("MW"),
        heat_to_liquid=Q_(liquid_w, "W").to("MW"),
        heat_to_air=Q_(air_w, "W").to("MW"),
        heat_load_btuh=it.to("BTU/hour"),
        heat_load_tons=it.to("refrigeration_ton"),
        coolant_mass_flow=Q_(mass_flow, "kg/s"),
        coolant_flow=liquid_flow.to("L/min"),
        coolant_flow_m3h=liquid_flow.to("m**3/hour"),
        coolant_flow_per_kw=(liquid_flow / Q_(liquid_w, "W")).to("L/min/kW")
        if liquid_w > 0 else None,
        rack_coolant_flow=_rack_coolant_flow(rack_flow, lf, unit_w, hw, rho, cp, st),
        airflow=Q_(airflow, "m**3/s"),
        airflow_cfm=Q_(airflow, "m**3/s").to("cfm"),
        power_density_rack=(unit_power * _per_rack(st, hw, unit_w)).to("kW"),
        power_density_area=None if st.white_space is None
        else (it / st.white_space).to("kW/m**2"),
        cdu_count=int(cdus),
        cdus_by_heat=int(by_heat),
        cdus_by_flow=int(by_flow),
        cdu_basis=_cdu_basis(by_heat, by_flow),
        hashrate=None if hw.hashrate is None else (hw.hashrate * unit_count).to("EH/s"),
        gpu_count=None if hw.gpus_per_unit is None else hw.gpus_per_unit * unit_count,
        dry_cooler_min_supply=dry_min,
        warnings=tuple(_warnings(st, hw, lf, unit_count, dry_min, coolant, unit_w, weather)
                       + _over_the_feed(st, hw, basis, unit_count, pue)),
        inputs=_inputs(st, hw, basis, unit_power, lf, coolant, inlet_k, rack_flow, weather),
    )
    return result


def _unit_power(hw: HardwareProfile, basis: str) -> Quantity:
    if basis == "peak":
        if hw.power_peak is None:
            raise ProfileError("no power_peak to size on: give the OEM's peak (power_peak = "
                               "\"155 kW\") or size on --basis max", source=hw.id or hw.name,
                               field="power_peak")
        return hw.power_peak
    return hw.power_max if basis == "max" else hw.power_typical


def _rack_flow(hw: HardwareProfile, supply: Quantity) -> Quantity | None:
    """The profile's flow per rack at the site's supply temperature, or ``None`` when the
    profile has no flow table; a supply outside the table is a :class:`ProfileError`."""
    table = hw.cooling.flow_table
    if table is None:
        return None
    flow = table.rack_flow_at(float(supply.magnitude))
    if flow is None:
        temps = table.supply_temperature
        raise ProfileError(
            f"the site's coolant supply {supply.magnitude:g} degC is outside the table "
            f"({temps[0].magnitude:g} to {temps[-1].magnitude:g} degC); set "
            "coolant_supply_temperature within it", source=hw.id or hw.name,
            field=_FLOW_TABLE_FIELD)
    return Q_(flow, "L/min")


def _per_rack(st: Site, hw: HardwareProfile, unit_w: float) -> float:
    """Units a full rack holds: the profile's, fewer where a rack position's design power
    would be exceeded (:func:`rackplan.kernels.capacity.rack_units`)."""
    design_w = math.nan if st.design_rack_power is None else st.design_rack_power.m_as("W")
    return kernels.rack_units(float(hw.units_per_rack), unit_w, float(design_w))


def _rack_coolant_flow(rack_flow: Quantity | None, lf: float, unit_w: float,
                       hw: HardwareProfile, rho: float, cp: float, st: Site) -> Quantity | None:
    """Flow per full rack [L/min]: the table's, else Q / (rho cp dT) of a rack's liquid heat."""
    if rack_flow is not None:
        return rack_flow
    if lf <= 0:
        return None
    rack_liquid_w = unit_w * _per_rack(st, hw, unit_w) * lf
    return Q_(rack_liquid_w / (rho * cp * st.coolant_delta_t.m_as("K")), "m**3/s").to("L/min")


def _cdu_basis(by_heat: float, by_flow: float) -> str:
    if by_heat == 0 and by_flow == 0:
        return "none"
    if by_heat == by_flow:
        return "both"
    return "heat" if by_heat > by_flow else "flow"


def _dry_cooler_min_supply(site: Site, weather: Weather | None) -> Quantity | None:
    """Lowest rack supply temperature dry coolers hold at the design dry bulb [degC]:
    dry bulb + dry-cooler approach + CDU approach."""
    condition = design_condition(site, weather)
    if condition is None:
        return None
    return Q_(condition[0].m_as("degC") + site.dry_cooler_approach.m_as("K")
              + site.cdu_approach.m_as("K"), "degC")


def _over_the_feed(site: Site, hw: HardwareProfile, basis: str, unit_count: int,
                   pue: float) -> list[str]:
    """The finding that the units would overrun the feed at a power above the one they were
    sized on: their ``power_max`` (sized on the typical basis), their OEM ``power_peak``."""
    feed_w = float(site.utility_power.m_as("W"))
    out = []
    for power, name, why in (
            (hw.power_max, "power_max", "cap their power or size on --basis max"),
            (hw.power_peak, "power_peak (the OEM's peak)",
             "a peak longer than the UPS and the racks' power shelves ride through needs "
             "--basis peak")):
        if power is None or power.m_as("W") <= _unit_power(hw, basis).m_as("W"):
            continue
        at_w = unit_count * (float(power.m_as("W")) + hw.outside_rack_w) * pue
        if at_w > feed_w * (1.0 + 1e-12):
            out.append(f"sized on {'power_' + basis}, the {unit_count:,} units would draw "
                       f"{at_w / 1e6:,.2f} MW from the feed at their {power.m_as('kW'):g} kW "
                       f"{name}, more than the {feed_w / 1e6:,.2f} MW utility feed: {why}")
    return out


def _warnings(site: Site, hw: HardwareProfile, lf: float, unit_count: int,
              dry_min: Quantity | None, coolant, unit_w: float,
              weather: Weather | None) -> list[str]:
    out = _rack_power_warnings(site, hw, unit_w)
    plant = None if site.cooling_plant is None else site.cooling_plant.type
    supply_c = site.coolant_supply_temperature.magnitude
    if unit_count == 0:
        out.append(f"not one {hw.id or hw.name} unit fits this site")
    if lf > 0 and plant == "air_fans":
        out.append("the air_fans plant has no liquid loop; the liquid share of the heat is "
                   "counted as a dry-cooler loop in the PUE")
    if lf > 0 and plant in ("dry_cooler", "air_fans") and dry_min is not None \
            and dry_min.magnitude > supply_c + 1e-9:
        out.append(_dry_cooler_warning(site, hw, dry_min.magnitude, weather))
    c = hw.cooling
    if lf > 0 and c.coolant_supply_max is not None and supply_c > c.coolant_supply_max.magnitude:
        out.append(f"coolant supply {supply_c:g} degC is above the "
                   f"{c.coolant_supply_max.magnitude:g} degC that {hw.id or hw.name} allows")
    inlet_c = site.air_inlet_temperature.magnitude
    if lf < 1 and c.air_inlet_max is not None and inlet_c > c.air_inlet_max.magnitude:
        out.append(f"air inlet {inlet_c:g} degC is above the {c.air_inlet_max.magnitude:g} degC "
                   f"that {hw.id or hw.name} allows")
    if site.floor_load_limit is not None:
        own = (hw.rack_weight / hw.rack_footprint).to("kg/m**2")
        limit = site.floor_load_limit.to("kg/m**2")
        if own.magnitude > limit.magnitude:
            out.append(f"one rack weighs {own.magnitude:,.0f} kg/m^2 over its own footprint, more "
                       f"than the {limit.magnitude:,.0f} kg/m^2 floor limit: it needs a spreader "
                       "plate or a slab")
    if coolant is not None and supply_c <= coolant.freezing_point.magnitude:
        out.append(f"{site.coolant} freezes at {coolant.freezing_point.magnitude:.1f} degC, at or "
                   f"above the {supply_c:g} degC coolant supply")
    return out


def _dry_cooler_warning(site: Site, hw: HardwareProfile, dry_min_c: float,
                        weather: Weather | None) -> str:
    """Dry coolers too warm in the design hour: who carries the rest (trim chillers, sized
    here; curtailed miners; or nobody yet)."""
    supply_c = site.coolant_supply_temperature.magnitude
    db = design_condition(site, weather)[0].m_as("degC")
    limit = db - (dry_min_c - supply_c)
    head = (f"dry coolers cannot hold the {supply_c:g} degC coolant supply at the {db:g} degC "
            f"design dry bulb: with {site.dry_cooler_approach.m_as('K'):g} K dry-cooler and "
            f"{site.cdu_approach.m_as('K'):g} K CDU approaches they give {dry_min_c:g} degC; "
            f"they suffice up to {limit:g} degC dry bulb")
    if site.pue is None and plant_layout(site)[1] != "none":
        return (head + "; above it trim chillers carry the rest, and the units are sized on "
                "the design hour's PUE with them")
    if hw.kind == "asic":
        return head + "; above it the miners curtail (the mining hall has no trim chiller)"
    return head + ", above it plan adiabatic assist or trim chillers"


def _rack_power_warnings(site: Site, hw: HardwareProfile, unit_w: float) -> list[str]:
    """Where a rack position's design power holds fewer units than the profile's rack."""
    if site.design_rack_power is None:
        return []
    design_kw = site.design_rack_power.m_as("kW")
    fits = _per_rack(site, hw, unit_w)
    name = hw.id or hw.name
    if fits == 0:
        return [f"one {name} unit draws {unit_w / 1000:g} kW, more than the {design_kw:g} kW "
                "a rack position is designed for: none fits"]
    if fits < hw.units_per_rack:
        return [f"a rack holds {fits:g} {name} units, not {hw.units_per_rack}: "
                f"{hw.units_per_rack} x {unit_w / 1000:g} kW would exceed the {design_kw:g} kW "
                "a rack position is designed for"]
    return []


def _pue_from(site: Site, hw: HardwareProfile, weather: Weather | None) -> str:
    """Where the PUE comes from; for a miner, the mining hall's plant and power chain."""
    if site.pue is not None:
        source = "fixed"
    else:
        plant, ups = site.cooling_plant, site.power_chain.ups
        source = f"cooling_plant ({plant.type}"
        if hw.kind == "asic":
            source += (f", air side {plant.air_side or 'of its type'}, "
                       + ("no UPS" if ups == 1.0 else f"UPS {ups:g}"))
        condition = design_condition(site, weather)
        if condition is None:
            source += "), the design-day overheads of its type (no design condition)"
        else:
            db, wb = (t.m_as("degC") for t in condition)
            wet = f", {wb:.1f} degC wet bulb" if needs_wet_bulb(site) else ""
            source += f") in the design hour: {db:.1f} degC dry bulb{wet}"
    return f"mining hall: {source}" if hw.kind == "asic" else source


def _inputs(site: Site, hw: HardwareProfile, basis: str, unit_power: Quantity, lf: float,
            coolant, inlet_k: float, rack_flow: Quantity | None,
            weather: Weather | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "site": site.id,
        "site_name": site.name,
        "profile": hw.id,
        "profile_name": hw.name,
        "basis": basis,
        "unit_power": unit_power.to("kW"),
        "power_outside_rack": Q_(hw.outside_rack_w, "W").to("kW"),
        "units_per_rack": hw.units_per_rack,
        "liquid_fraction": lf,
        "pue_from": _pue_from(site, hw, weather),
        "air_density": air_density(site.altitude, Q_(inlet_k - 273.15, "degC")),
    }
    if coolant is not None:
        inputs.update({
            "coolant": site.coolant,
            "coolant_fluid": coolant.fluid,
            "coolant_mean_temperature": coolant.temperature,
            "coolant_density": coolant.density,
            "coolant_specific_heat": coolant.specific_heat.to("kJ/(kg*K)"),
            "coolant_freezing_point": coolant.freezing_point,
            "coolant_flow_from": "delta_t" if rack_flow is None else "flow_table",
            "cdu_capacity": site.cdu_capacity.to("kW"),
            "cdu_flow_capacity": site.cdu_flow_capacity.to("L/min"),
        })
    return inputs

