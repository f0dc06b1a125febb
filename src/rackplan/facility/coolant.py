"""Properties of the fluids that carry the heat away: liquid coolants (CoolProp) and air.

Liquids come from CoolProp, never from hand-typed tables. Glycol mixtures use its
incompressible-fluid database (the Melinder 2010 correlations, the same ones Modelica Buildings
uses for propylene glycol: A. Melinder, *Properties of Secondary Working Fluids for Indirect
Systems*, IIR, 2010). Pure water uses CoolProp's reference equation of state (IAPWS-95) rather
than ``INCOMP::Water``, whose fit is 0.17 % high in density at 25 degC (998.7 against the
reference 997.05 kg/m^3):

============  ==========================  ==============================================
name          CoolProp fluid              note
============  ==========================  ==============================================
``water``     ``Water`` (HEOS, IAPWS-95)  pure water
``PGnn``      ``INCOMP::MPG[0.nn]``       propylene glycol, **nn percent by mass**
``EGnn``      ``INCOMP::MEG[0.nn]``       ethylene glycol, nn percent by mass
============  ==========================  ==============================================

Glycol shares are by mass here. Trade tables (Perry's, Dow) often give them by volume: PG25
by volume freezes at -8.9 degC, PG25 by mass at about -9.8 degC.

CoolProp's package ``__init__`` lists every fluid it knows at import, which takes 3-4 s; the
property functions themselves load in milliseconds. :func:`_propssi` therefore loads CoolProp's
compiled core directly (falling back to the ordinary import), on first use only, so that
``rackplan size`` answers in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rackplan.errors import SiteError
from rackplan.kernels.capacity import AIR_CP, air_density_numpy
from rackplan.units import Q_, Quantity, parse_quantity

__all__ = [
    "CoolantProperties",
    "coolprop_fluid",
    "coolant_properties",
    "air_density",
    "AIR_SPECIFIC_HEAT",
    "LOOP_PRESSURE",
]

#: Specific heat of air [J/(kg K)] used for airflow: 0.24 BTU/(lb degF) [S] serverdevworker.com.
AIR_SPECIFIC_HEAT = Q_(AIR_CP, "J/(kg*K)")
#: Pressure at which liquid properties are evaluated [Pa]: 2 bar, a typical closed-loop
#: static pressure. [A] Liquids are nearly incompressible: 1 to 5 bar changes rho by < 0.02 %.
LOOP_PRESSURE = 2.0e5


@dataclass(frozen=True)
class CoolantProperties:
    """A coolant's properties at one temperature (quantities in SI units)."""

    name: str
    fluid: str
    temperature: Quantity
    density: Quantity
    specific_heat: Quantity
    freezing_point: Quantity

    @property
    def volumetric_heat_capacity(self) -> Quantity:
        """rho cp [J/(m^3 K)]."""
        return (self.density * self.specific_heat).to("J/(m**3*K)")


def coolprop_fluid(name: str) -> str:
    """The CoolProp fluid string of a coolant name: ``"PG25"`` -> ``"INCOMP::MPG[0.25]"``."""
    text = name.strip().upper()
    if text == "WATER":
        return "Water"
    for prefix, code in (("PG", "MPG"), ("EG", "MEG")):
        if text.startswith(prefix) and text[2:].isdigit() and 1 <= int(text[2:]) <= 60:
            return f"INCOMP::{code}[{int(text[2:]) / 100:g}]"
    raise SiteError(
        f"unknown coolant {name!r}: write 'water', 'PGnn' or 'EGnn' (nn percent by mass)",
        field="coolant",
    )


def coolant_properties(name: str, temperature) -> CoolantProperties:
    """Density [kg/m^3], specific heat [J/(kg K)] and freezing point of a coolant.

    Parameters
    ----------
    name : str
        ``"water"``, ``"PG25"``, ``"EG30"``, ...
    temperature : str or pint.Quantity
        Where to evaluate, e.g. the loop's mean temperature ``"45 degC"``.

    Raises
    ------
    SiteError
        For an unknown coolant, or a temperature outside CoolProp's range for it (frozen or
        boiling).
    """
    t = parse_quantity(temperature, "degC")
    t_k = float(t.to("K").magnitude)
    fluid = coolprop_fluid(name)
    try:
        rho, cp, freeze_k = _props(fluid, round(t_k, 9))
    except ValueError as exc:
        raise SiteError(
            f"{name} has no liquid properties at {t.magnitude:g} degC ({exc})",
            field="coolant_supply_temperature",
        ) from None
    return CoolantProperties(
        name=name,
        fluid=fluid,
        temperature=t,
        density=Q_(rho, "kg/m**3"),
        specific_heat=Q_(cp, "J/(kg*K)"),
        freezing_point=Q_(freeze_k - 273.15, "degC"),
    )


@lru_cache(maxsize=1)
def _propssi():
    """CoolProp's ``PropsSI``, from its compiled core without the slow package ``__init__``."""
    return _coolprop_core().PropsSI


@lru_cache(maxsize=1)
def _coolprop_core():
    """CoolProp's compiled core module (``PropsSI``, ``HAPropsSI``), loaded once. Loaded a
    second time it would register its types twice and abort the process, so every user of
    CoolProp in rackplan takes it from here, and it is registered as ``CoolProp.CoolProp`` for
    the package's own import."""
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    loaded = sys.modules.get("CoolProp.CoolProp")  # the user imported CoolProp first
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("CoolProp")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                core = Path(folder) / f"CoolProp{suffix}"
                if not core.is_file():
                    continue
                core_spec = importlib.util.spec_from_file_location("CoolProp.CoolProp", core)
                try:
                    module = importlib.util.module_from_spec(core_spec)
                    core_spec.loader.exec_module(module)
                    module.PropsSI, module.HAPropsSI  # an unusual build lacks them
                except (ImportError, AttributeError, OSError):
                    break  # an unusual build: take the ordinary, slower route below
                # where the package's own import looks for it: a user's later
                # ``import CoolProp`` then takes this module instead of loading it again
                sys.modules.setdefault("CoolProp.CoolProp", module)
                return module
    from CoolProp import CoolProp as module

    return module


@lru_cache(maxsize=64)
def _props(fluid: str, t_k: float) -> tuple[float, float, float]:
    PropsSI = _propssi()
    if fluid == "Water":
        # The equation of state answers for ice-cold or boiling water too: bound it to liquid.
        boiling = PropsSI("T", "P", LOOP_PRESSURE, "Q", 0, fluid)
        if not 273.15 < t_k < boiling:
            raise ValueError(f"liquid water at {LOOP_PRESSURE / 1e5:g} bar is 0 to "
                             f"{boiling - 273.15:.0f} degC")
    rho = PropsSI("D", "T", t_k, "P", LOOP_PRESSURE, fluid)
    cp = PropsSI("C", "T", t_k, "P", LOOP_PRESSURE, fluid)
    if fluid == "Water":
        freeze = 273.15  # ice point at 1 atm; the equation of state has no T_freeze
    else:
        freeze = PropsSI("T_freeze", "T", t_k, "P", LOOP_PRESSURE, fluid)
    return float(rho), float(cp), float(freeze)


def air_density(altitude, temperature) -> Quantity:
    """Density of dry air at ``altitude`` and ``temperature`` [kg/m^3].

    U.S. Standard Atmosphere pressure at the altitude, ideal gas at the temperature (the
    formula of :func:`rackplan.kernels.capacity.air_density`).

    >>> round(air_density("0 m", "25 degC").m_as("kg/m**3"), 3)
    1.184
    """
    h = parse_quantity(altitude, "m").magnitude
    t = parse_quantity(temperature, "degC").to("K").magnitude
    return Q_(float(air_density_numpy(float(h), float(t))), "kg/m**3")
