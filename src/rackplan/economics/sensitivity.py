"""Which assumptions decide the winner: each input moved by a tenth, one at a time.

For every input of the scenario vector that has a value (not NaN, not zero) and a unit people
write, the case is run twice more, with the input 10 % lower and 10 % higher, and the change of
the winner's NPV lead over the runner-up is measured. The inputs whose move changes that lead
most are the assumptions that decide the answer; where a 10 % move already makes another
option win, the winner hangs on that input. One-at-a-time moves, a tornado chart's data: they
say nothing of inputs moving together (``rackplan sweep`` and ``rackplan montecarlo`` do).

The runs go through the engine's NumPy twin (:mod:`rackplan.kernels.engine_numpy`), vectorized
over the ~120 scenarios: a few milliseconds, and nothing to compile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

__all__ = ["Sensitivity", "sensitivities", "STEP", "SKIPPED"]

#: The relative move of each input.
STEP = 0.10
#: Inputs not moved: identities and counters (a block height, units per rack, GPUs per unit
#: are facts of the hardware or the chain, not assumptions), and the site's size (moving it
#: moves every option alike, by design), and the weather's uptime of the mining hall (a share
#: of hours that a 10 % move would take past 1).
SKIPPED = frozenset({"block_height", "gpus_per_unit", "miner_units_per_rack",
                     "gpu_units_per_rack", "utility_power", "terminal_value",
                     "miner_shutdown", "tax_depreciation", "difficulty_model",
                     "mining_existing", "mining_weather_uptime"})


@dataclass(frozen=True)
class Sensitivity:
    """One input's effect on the winner's lead: ``lead_down``/``lead_up`` [USD] are the
    winner's NPV lead over the runner-up with the input 10 % lower/higher (the lead at the
    base case is :attr:`lead`); ``winner_down``/``winner_up`` name the option that wins
    then."""

    name: str
    value: float  # the input at the base case, in ``unit``
    unit: str
    lead: float
    lead_down: float
    lead_up: float
    winner_down: str
    winner_up: str

    @property
    def swing(self) -> float:
        """The larger change of the lead [USD]."""
        return max(abs(self.lead_down - self.lead), abs(self.lead_up - self.lead))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the input, its value and unit, the step, the leads and the winners."""
        return {"input": self.name, "value": self.value, "unit": self.unit,
                "step": STEP, "lead": self.lead, "lead_down": self.lead_down,
                "lead_up": self.lead_up, "winner_down": self.winner_down,
                "winner_up": self.winner_up}


def sensitivities(base: Mapping[str, float], n_months: int, top: int = 3) -> list[Sensitivity]:
    """The ``top`` inputs whose 10 % move changes the winner's NPV lead most, largest first.

    ``base`` is the case's parameter vector (:func:`rackplan.economics.compare.scenario_base`),
    ``n_months`` the horizon."""
    from rackplan.economics.inputs import user_units
    from rackplan.economics.options import engine_table
    from rackplan.kernels.engine import PARAMS, PARAM_UNITS
    from rackplan.kernels.engine_numpy import evaluate_numpy
    from rackplan.units import Q_

    table = engine_table()
    names = [o.name for o in table.options]
    npv_rows = [table.names.index(f"npv_{name}") for name in names]
    p = np.array([base[k] for k in PARAMS], dtype=float)
    moved = [i for i, k in enumerate(PARAMS)
             if k not in SKIPPED and math.isfinite(p[i]) and p[i] != 0.0]
    varied = np.tile(p, (2 * len(moved) + 1, 1))
    for j, i in enumerate(moved):
        varied[2 * j + 1, i] *= 1.0 - STEP
        varied[2 * j + 2, i] *= 1.0 + STEP
    out = evaluate_numpy(p, varied, np.arange(len(PARAMS)), n_months, table.kinds,
                         table.fleets, table.pair)
    npv = out[npv_rows]  # [option, scenario]
    win = int(np.nanargmax(npv[:, 0]))
    second = np.max(np.delete(npv, win, axis=0), axis=0)
    lead = npv[win] - second  # the base winner's lead in every scenario (< 0: it lost)
    best = np.nanargmax(npv, axis=0)
    units = user_units()
    result = []
    for j, i in enumerate(moved):
        k = PARAMS[i]
        unit = units.get(k, PARAM_UNITS[k])
        value = float(Q_(p[i], PARAM_UNITS[k]).m_as(unit)) if unit != "1" else float(p[i])
        result.append(Sensitivity(
            name=k, value=value, unit=unit, lead=float(lead[0]),
            lead_down=float(lead[2 * j + 1]), lead_up=float(lead[2 * j + 2]),
            winner_down=names[best[2 * j + 1]], winner_up=names[best[2 * j + 2]]))
    result.sort(key=lambda s: -s.swing)
    return result[:top]
