"""Sites: the power, floor, climate and cooling plant that hardware must fit into.

A site is a TOML file (or the id of a built-in one in ``rackplan/data/sites/``) read into a
frozen :class:`Site`. Every quantity is a string with its unit (``"18 MW"``, ``"356 m"``,
``"40 degC"``, ``"10 K"``). A site gives either a fixed ``pue`` or a ``[cooling_plant]``
from which :func:`rackplan.facility.capacity.plant_pue` computes one; when both are given the fixed
``pue`` is used, so ``--set pue=1.3`` always works.

>>> from rackplan.facility.site import load_site
>>> site = load_site("moses-lake", {"pue": 1.25})
>>> (site.utility_power / site.pue).to("MW")
<Quantity(14.4, 'megawatt')>

Every default below is a named constant with its original public source (URLs in
``docs/sizing.md``, section Sources). Reliability tags: [P] primary (vendor documents,
standards, official repositories), [S] secondary (trade press, vendor blogs), [D] derived here
by arithmetic on cited figures, [A] an assumption of rackplan, with no published figure behind
it. ``docs/sizing.md`` shows the model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rackplan._io import (DATA_DIR, FileMemo, apply_overrides, check_overrides, field_hint,
                         model_input, read_reference, resolve, validate)
from rackplan.errors import SiteError
from rackplan.facility.weather import looks_like_weather_path
from rackplan.units import CountField, FractionField, QuantityField

__all__ = [
    "Site",
    "CoolingPlant",
    "PowerChain",
    "PlantType",
    "PLANT_OVERHEAD",
    "load_site",
    "list_sites",
    "sites_dir",
    "plant_overheads",
    "mining_hall",
]

# --- Power chain -----------------------------------------------------------------------------
#: Transformer efficiency: "98% plus" [S] maddox.com (DOE efficiency standards).
TRANSFORMER_EFFICIENCY = 0.985
#: UPS efficiency, double conversion "typically 94-96%" [S] schneiderupsus.com; colocation
#: operators rarely use eco mode [S] centiel.com. A mining site without UPS sets ``ups = 1``.
UPS_EFFICIENCY = 0.95
#: A mining hall's UPS: none. Miners are an interruptible load: an outage only stops hashing,
#: and large sites switch off for the grid on purpose (Riot's Whinstone site curtails or shuts
#: down for up to 275 hours a year [S] Bloomberg, 2022-02, via jetcoinz.com). [A] so a mining
#: hall is built without UPS; a site that has one gives a ``[mining_power_chain]``.
MINING_UPS_EFFICIENCY = 1.0
#: Distribution (switchgear, PDUs, busway) efficiency; PDUs 94-98 % [S] niteolimited.com.
DISTRIBUTION_EFFICIENCY = 0.97
#: House load (lighting, offices, security, controls) as a share of IT power. [A] No public
#: figure found; a mining site with little office space may set 0.01.
HOUSE_LOAD = 0.02

# --- Cooling plant overheads: electrical power per unit of heat removed [W/W] ----------------
#: CDU pumping: Google "Project Deschutes" CDU, 74 kW electrical for 2,000 kW thermal
#: (OCP meeting, 24 Mar 2026) [P] lbl-srg/modelica-buildings record
#: Buildings/Applications/DataCenters/LiquidCooled/CDUs/Data/GoogleProjectDeschutes.mo.
CDU_PUMPING = 74.0 / 2000.0
#: Dry-cooler fans at design, 2 % of the heat. [A] No published figure found; an assumption.
DRY_COOLER_FANS = 0.02
#: An evaporative (cooling-tower) plant's auxiliaries, pumps and fans together: 25 kW on a
#: 720 kW Minerbase container cooled by a tower [S] https://minerbase.com/en/service.
EVAPORATIVE_AUX = 25.0 / 720.0
#: Chiller COP of the Modelica Buildings liquid-cooled data-center example
#: [P] lbl-srg/modelica-buildings Buildings/Applications/DataCenters/LiquidCooled/Examples/
#: ChillerWSE.mo.
CHILLER_COP = 5.0
#: Water-cooled centrifugal chiller COP 6-7 [S] open-exam-prep.com (EXIN CDCP study guide,
#: cooling infrastructure); the midpoint.
WATER_COOLED_CHILLER_COP = 6.5
#: Fans: power = volume flow x pressure rise / efficiency, and volume flow per watt of heat is
#: 1 / (rho cp dT). [A] total efficiency 0.6; rise 400 Pa through a CRAH (coil and filter),
#: 150 Pa through the walls of exhaust fans of a mining hall; [D] at 1.2 kg/m^3, 1006 J/(kg K)
#: and the 11.1 K (20 degF) air rise of the INRES rule ("Data Heat Load", scribd 317841832).
FAN_EFFICIENCY = 0.6
CRAH_PRESSURE_RISE = 400.0
EXHAUST_PRESSURE_RISE = 150.0
_FAN_W_PER_W_PER_PA = 1.0 / (FAN_EFFICIENCY * 1.2 * 1006.0 * (20.0 / 1.8))
CRAH_FANS = CRAH_PRESSURE_RISE * _FAN_W_PER_W_PER_PA  # 0.0497
EXHAUST_FANS = EXHAUST_PRESSURE_RISE * _FAN_W_PER_W_PER_PA  # 0.0186

PlantType = Literal["dry_cooler", "adiabatic_cooler", "cooling_tower", "chiller",
                    "water_cooled_chiller", "immersion", "air_fans"]
#: A plant's chiller: trim on a dry cooler or tower, the main cooling of a chiller plant, or none.
TrimChiller = Literal["air_cooled", "water_cooled", "none"]
#: The air side: a CRAH room (or rear doors) fed by the plant's chiller, or outdoor air moved
#: through the hall by exhaust fans, as in a mining hall: Antminers take inlet air up to
#: 40 degC (104 degF ambient shut-off in the manual [S] compassmining.io, 2022 summer update).
AirSide = Literal["crah", "exhaust"]

#: ``(liquid side, air side)`` overhead per plant type [W/W], see ``docs/sizing.md``. The air
#: side of a liquid plant is a CRAH room (or rear doors) fed by a chiller, because dry-cooler
#: or tower water is too warm for a 27 degC air inlet on a design day.
PLANT_OVERHEAD: dict[str, tuple[float, float]] = {
    "dry_cooler": (CDU_PUMPING + DRY_COOLER_FANS, CRAH_FANS + 1.0 / CHILLER_COP),
    # on the design day adiabatic pads only lower the dry bulb the fans work against
    "adiabatic_cooler": (CDU_PUMPING + DRY_COOLER_FANS, CRAH_FANS + 1.0 / CHILLER_COP),
    "cooling_tower": (EVAPORATIVE_AUX, CRAH_FANS + 1.0 / WATER_COOLED_CHILLER_COP),
    "chiller": (CDU_PUMPING + 1.0 / CHILLER_COP, CRAH_FANS + 1.0 / CHILLER_COP),
    "water_cooled_chiller": (CDU_PUMPING + EVAPORATIVE_AUX + 1.0 / WATER_COOLED_CHILLER_COP,
                             CRAH_FANS + 1.0 / WATER_COOLED_CHILLER_COP),
    "immersion": (EVAPORATIVE_AUX, EXHAUST_FANS),
    # Air-cooled halls have no liquid loop; a liquid share is charged as a dry-cooler loop.
    "air_fans": (CDU_PUMPING + DRY_COOLER_FANS, EXHAUST_FANS),
}

# --- Floor and air -----------------------------------------------------------------------------
#: White space per rack over rack footprint. [D] 600 x 1200 mm racks in hot/cold-aisle rows,
#: 1.2 m aisles each shared by two rows: a rack holds 0.6 m x (1.2 + 0.6 + 0.6) m = 1.44 m^2,
#: twice its 0.72 m^2 footprint. End-of-row and perimeter clearances are not counted.
AISLE_FACTOR = 2.0
#: Rack air inlet: the ASHRAE TC 9.9 recommended upper limit, 27 degC (Thermal Guidelines,
#: 5th ed., 2021) [S] open-exam-prep.com, flashgenius.net.
AIR_INLET_TEMPERATURE = "27 degC"
#: Air temperature rise through the IT: 20 degF (11.1 K), the rise of the INRES rule of
#: 154 CFM per kW [S] INRES, "Data Heat Load" (scribd 317841832).
AIR_DELTA_T = "20 delta_degF"

# --- Liquid loop -----------------------------------------------------------------------------
#: Rack (TCS) coolant supply: "supply ~25 degC, return ~45 degC" typical [S] factryze.ai
#: (scale-atlas, direct liquid cooling).
COOLANT_SUPPLY_TEMPERATURE = "25 degC"
#: Coolant temperature rise: OCP OAI system liquid-cooling guidelines (Mar 2023), dT <= 10 degC
#: typical [S] via prophetstor.com.
COOLANT_DELTA_T = "10 K"
#: CDU: Vertiv Liebert XDU 1350, 1,368 kW thermal, approach 4 degC [P] modelica-buildings
#: CDUs/Data/VertivLiebertXDU1350.mo (Vertiv datasheet SL-70799).
CDU_CAPACITY = "1368 kW"
CDU_APPROACH = "4 K"
#: CDU secondary (rack-side) flow: the same XDU 1350 is rated 1,200 L/min at 2.5 bar external
#: with two pumps, 1,800 L/min at 2.0 bar with three [P] Vertiv, "Liebert XDU1350 Coolant
#: Distribution Unit Application and Planning Guide" (SL-71309). Two pumps, the lower figure:
#: a site with three pumps sets 1800 L/min. [D] The datasheet's nominal 20.6 kg/s of PG20 at
#: 1,368 kW is about 1,210 L/min, so heat and flow ratings meet at two pumps.
CDU_FLOW_CAPACITY = "1200 L/min"
#: Dry-cooler approach (facility water supply over dry bulb). [D] Modelica example: dry cooler
#: sized at 36 degC dry bulb for 45 degC rack supply with a 3 K CDU approach: 45 - 3 - 36 = 6 K.
DRY_COOLER_APPROACH = "6 K"
#: CDU redundancy: "2N power with N+1 cooling" is the common mix [S] resistancezero.com.
REDUNDANCY = "N+1"

_COOLANT = re.compile(r"^(?:(water)|(PG|EG)(\d{1,2}))$", re.IGNORECASE)


class PowerChain(BaseModel):
    """Efficiencies from the utility meter to the rack [0..1]."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)
    # gt=0 then ge=0.5: a negative efficiency "must be greater than 0", 0.1 "at least 0.5"
    transformer: FractionField(gt=0, ge=0.5) = TRANSFORMER_EFFICIENCY
    ups: FractionField(gt=0, ge=0.5) = UPS_EFFICIENCY
    distribution: FractionField(gt=0, ge=0.5) = DISTRIBUTION_EFFICIENCY


class CoolingPlant(BaseModel):
    """The plant that rejects the heat; ``liquid_overhead``/``air_overhead`` [W/W] override
    the electrical power per unit of heat of :data:`PLANT_OVERHEAD` for its type."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)
    type: PlantType
    # at most 10 W of cooling power per W of heat (a chiller of COP 0.1)
    liquid_overhead: FractionField(le=10.0) | None = None
    air_overhead: FractionField(le=10.0) | None = None
    # The hourly model's (rackplan.facility.plant); None: the default of the plant type there.
    trim_chiller: TrimChiller | None = None
    tower_approach: QuantityField("K", ge=0.5, le=20, delta=True) | None = None
    cycles_of_concentration: FractionField(gt=1.0, ge=1.5, le=50.0) | None = None
    drift: FractionField(le=0.01) | None = None
    pad_effectiveness: FractionField(le=1.0) | None = None
    chiller_cop_max: FractionField(ge=1.0, le=50.0) | None = None
    # None: the plant type's (exhaust for immersion and air_fans, crah for the others)
    air_side: AirSide | None = None

    @model_validator(mode="after")
    def _chiller_plant_has_chiller(self):
        if self.type in ("chiller", "water_cooled_chiller") and self.trim_chiller == "none":
            raise ValueError(f"a {self.type} plant cools with its chiller: trim_chiller cannot "
                             "be 'none'")
        return self


class Site(BaseModel):
    """A site. Quantities are stored in W, m^2, kg/m^2, m, degC and K (differences).

    Bounds beyond the physical ones: ``utility_power`` and ``heat_rejection_capacity`` 1 W to
    100 GW, ``white_space`` 1 m^2 to 10 km^2, ``floor_load_limit`` 1 to 100,000 kg/m^2,
    ``pue`` 1 to 10, ``aisle_factor`` 1 to 100, ``air_delta_t`` 1 to 50 K, ``coolant_delta_t``
    1 to 40 K, ``cdu_capacity`` 1 kW to 1 GW, ``cdu_flow_capacity`` 1 to 1,000,000 L/min;
    power-chain efficiencies 0.5 to 1, plant overheads 0 to 10 W/W.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    # Bounds: wide around any real site, tight enough that no unit count, flow or cost
    # downstream overflows (a positive value must be "greater than 0", then "at least" the
    # lower bound, so that 5e-324 K does not give an infinite coolant flow).
    id: str = ""
    name: str = Field(min_length=1)
    utility_power: QuantityField("W", gt=0, ge=1, le=1e11)  # 1 W to 100 GW
    pue: FractionField(ge=1.0, le=10.0) | None = None
    cooling_plant: CoolingPlant | None = None
    power_chain: PowerChain = PowerChain()
    # The mining hall's, where it differs (see mining_hall): None takes the site's own.
    mining_pue: FractionField(ge=1.0, le=10.0) | None = None
    mining_cooling_plant: CoolingPlant | None = None
    mining_power_chain: PowerChain | None = None
    house_load: FractionField() = HOUSE_LOAD
    white_space: QuantityField("m**2", gt=0, ge=1, le=1e7) | None = None  # up to 10 km^2
    aisle_factor: FractionField(ge=1.0, le=100.0) = AISLE_FACTOR
    floor_load_limit: QuantityField("kg/m**2", gt=0, ge=1, le=1e5) | None = None
    altitude: QuantityField("m", ge=-500, le=6000) = "0 m"
    design_dry_bulb: QuantityField("degC", gt=-60, lt=70) | None = None
    design_wet_bulb: QuantityField("degC", gt=-60, lt=50) | None = None
    # A year of hourly weather (rackplan.facility.weather): a built-in id or a file (a relative
    # path from a site file is read from the site file's folder); note says where it is from.
    weather: str | None = Field(default=None, min_length=1, max_length=1000)
    weather_note: str | None = Field(default=None, max_length=500)
    air_inlet_temperature: QuantityField("degC", gt=0, lt=70) = AIR_INLET_TEMPERATURE
    air_delta_t: QuantityField("K", gt=0, ge=1, le=50, delta=True) = AIR_DELTA_T
    coolant: str = "water"
    coolant_supply_temperature: QuantityField("degC", gt=0, lt=90) = COOLANT_SUPPLY_TEMPERATURE
    coolant_delta_t: QuantityField("K", gt=0, ge=1, le=40, delta=True) = COOLANT_DELTA_T
    cdu_capacity: QuantityField("W", gt=0, ge=1e3, le=1e9) = CDU_CAPACITY  # 1 kW to 1 GW
    # rack-side flow of one CDU: 1 L/min to 1,000 m^3/min
    cdu_flow_capacity: QuantityField("L/min", gt=0, ge=1, le=1e6) = CDU_FLOW_CAPACITY
    cdu_approach: QuantityField("K", ge=0, le=30, delta=True) = CDU_APPROACH
    dry_cooler_approach: QuantityField("K", ge=0, le=30, delta=True) = DRY_COOLER_APPROACH
    redundancy: Literal["N", "N+1", "2N"] = REDUNDANCY
    heat_rejection_capacity: QuantityField("W", gt=0, ge=1, le=1e11) | None = None
    # the rack positions the hall has, and the power each is designed for (its busway or
    # PDUs and its cooling): a rack holds fewer units where they would draw more
    rack_positions: CountField(ge=1, le=10_000_000) | None = None
    design_rack_power: QuantityField("W", gt=0, ge=100, le=1e7) | None = None  # 100 W-10 MW

    @field_validator("coolant")
    @classmethod
    def _known_coolant(cls, value: str) -> str:
        match = _COOLANT.match(value.strip())
        if match is None:
            raise ValueError(
                f"unknown coolant {value!r}: write 'water', 'PGnn' (propylene glycol) or "
                "'EGnn' (ethylene glycol), nn the percent by mass, e.g. 'PG25'"
            )
        if match.group(1):
            return "water"
        percent = int(match.group(3))
        if not 1 <= percent <= 60:
            raise ValueError(f"{value!r}: glycol share must be 1 to 60 % by mass")
        return f"{match.group(2).upper()}{percent}"

    @model_validator(mode="after")
    def _pue_or_plant(self):
        if self.pue is None and self.cooling_plant is None:
            raise ValueError(
                "give either a fixed pue (e.g. pue = 1.25) or a [cooling_plant] table "
                "(type = dry_cooler | adiabatic_cooler | cooling_tower | chiller | "
                "water_cooled_chiller | immersion | air_fans)"
            )
        return self


def plant_overheads(site: Site) -> tuple[float, float]:
    """The site's cooling overhead ``(liquid, air)`` [W/W]: its plant type's, or its overrides."""
    if site.cooling_plant is None:
        raise SiteError("no cooling_plant to take overheads from", source=site.id or None)
    plant = site.cooling_plant
    liquid, air = PLANT_OVERHEAD[plant.type]
    if plant.air_side == "exhaust":
        air = EXHAUST_FANS
    elif plant.air_side == "crah" and plant.type in ("immersion", "air_fans"):
        air = CRAH_FANS + 1.0 / CHILLER_COP
    if plant.liquid_overhead is not None:
        liquid = plant.liquid_overhead
    if plant.air_overhead is not None:
        air = plant.air_overhead
    return liquid, air


def mining_hall(site: Site) -> Site:
    """``site`` as its mining hall sees it: the ``mining_pue``, ``[mining_cooling_plant]`` and
    ``[mining_power_chain]`` it gives, else its own power chain without UPS
    (:data:`MINING_UPS_EFFICIENCY`) and its own cooling plant with the air side on exhaust
    fans (miners take warm outdoor air; no chiller serves the air) and without trim chillers
    (miners curtail on the hours the plant cannot hold the supply). A fixed ``pue`` carries
    over unless the site gives a mining plant or ``mining_pue``."""
    chain = site.mining_power_chain or site.power_chain.model_copy(
        update={"ups": MINING_UPS_EFFICIENCY})
    plant = site.mining_cooling_plant
    pue = site.mining_pue
    if plant is None:
        pue = site.pue if pue is None else pue
        if site.cooling_plant is not None:
            # no trim chiller either where the plant type has a device: on hours the device
            # cannot hold the supply, interruptible miners curtail instead
            trim = ({} if site.cooling_plant.type in ("chiller", "water_cooled_chiller")
                    else {"trim_chiller": "none"})
            plant = site.cooling_plant.model_copy(update={"air_side": "exhaust",
                                                          "air_overhead": None, **trim})
    # (the rack positions and their design power are the AI hall's: miners stand on shelves)
    return site.model_copy(update={"power_chain": chain, "cooling_plant": plant, "pue": pue,
                                   "rack_positions": None, "design_rack_power": None})


def sites_dir() -> Path:
    """The folder of built-in sites."""
    return DATA_DIR / "sites"


def list_sites() -> list[str]:
    """Ids of the built-in sites."""
    return sorted(p.stem for p in sites_dir().glob("*.toml"))


def load_site(ref: str | Path | Site = "moses-lake",
              overrides: Mapping[str, Any] | None = None) -> Site:
    """Load a site by built-in id (``"moses-lake"``) or path, applying ``--set`` overrides.

    Parameters
    ----------
    ref : str, Path or Site
        A built-in id, a path to a TOML file, or a :class:`Site` (returned as is, or rebuilt
        with the overrides). A :class:`~pathlib.Path`, or a string that contains ``/`` or
        ``\\`` or ends in ``.toml``, is a file path (``./my-site.toml``); anything else is a
        built-in id, even if a file of that name exists in the current folder.
    overrides : mapping, optional
        ``{"utility_power": "20 MW", "pue": 1.3, "cooling_plant.type": "chiller"}``, as given
        by ``--set``. A name that is not a site field raises :class:`SiteError`.

    Raises
    ------
    SiteError
        Missing or malformed file, unknown id or field, a value with the wrong unit or out of
        range; the message names the file (or ``--set``) and the field.
    """
    overrides = check_overrides(overrides, SiteError)
    if not overrides and not isinstance(ref, Site):
        return _SITE_FILES(ref, resolve(ref, sites_dir(), "site", SiteError))
    return _load_site(ref, overrides)


def _load_site(ref: str | Path | Site, overrides: dict[str, Any]) -> Site:
    """:func:`load_site` with its overrides checked."""
    if isinstance(ref, Site):
        if not overrides:
            return ref
        data, source, site_id = model_input(ref), ref.id or "site", ref.id
    else:
        data, source, site_id = read_reference(ref, sites_dir(), "site", SiteError)
    overridden: set[str] = set()
    if overrides:
        data, leftover = apply_overrides(data, overrides, Site)
        leftover.update({k: v for k, v in overrides.items() if k.split(".")[0] == "id"})
        for name in leftover:
            hint = field_hint(name, [Site])
            message = "unknown site field" + (f"; did you mean {hint}?" if hint else "")
            raise SiteError(message, source="--set", field=name)
        overridden = {k.split(".")[0] for k in overrides}
    try:
        site = validate(Site, data, source=source, error=SiteError)
    except SiteError as exc:
        if exc.field and exc.field.split(".")[0] in overridden:
            raise SiteError(exc.message, source="--set", field=exc.field) from None
        raise
    if not isinstance(ref, Site) and "weather" not in overridden:
        site = _weather_from_folder(site, Path(source).expanduser().parent)
    return site.model_copy(update={"id": site_id})


_SITE_FILES: FileMemo[Site] = FileMemo(lambda ref: _load_site(ref, {}))


def _weather_from_folder(site: Site, folder: Path) -> Site:
    """A site file's relative ``weather`` path, from the file's folder (not the current
    one), so the site finds its year wherever it is passed on to."""
    ref = site.weather
    if ref is None or not looks_like_weather_path(ref) or Path(ref).expanduser().is_absolute():
        return site
    return site.model_copy(update={"weather": str(folder / ref)})
