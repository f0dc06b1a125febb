"""What decides the winner: each input 10 % lower and higher (rackplan.economics.sensitivity),
checked against compare() run with the input moved by hand."""

from __future__ import annotations

import json

import pytest

from rackplan.economics.compare import compare
from rackplan.economics.sensitivity import STEP, sensitivities


def _lead(r, winner):
    """The NPV lead of ``winner`` over the best other option [USD]."""
    npv = {k: float(o.npv.m_as("USD")) for k, o in r.options.items()}
    return npv[winner] - max(v for k, v in npv.items() if k != winner)


def test_each_move_equals_the_engine_with_the_input_moved():
    """Each input moved by hand in the scenario vector and run through the engine's kernel
    (``run_options``, the path ``compare`` takes; some inputs, the PUE of each fleet, come from
    the site's plant and have no ``--set`` of their own)."""
    from rackplan.economics.compare import run_options, scenario_base

    r = compare()
    assert len(r.sensitivities) == 3
    base = scenario_base()
    for s in r.sensitivities:
        assert s.lead == pytest.approx(_lead(r, r.winner), rel=1e-9)
        for factor, lead, winner in ((1 - STEP, s.lead_down, s.winner_down),
                                     (1 + STEP, s.lead_up, s.winner_up)):
            moved = dict(base, **{s.name: base[s.name] * factor})
            run = run_options(moved, 60)
            npv = {o.name: run.outputs[f"npv_{o.name}"] for o in run.options}
            others = max(v for k, v in npv.items() if k != r.winner)
            assert lead == pytest.approx(npv[r.winner] - others, rel=1e-7, abs=1.0), s.name
            assert winner == max(npv, key=npv.get), s.name


def test_a_settable_input_equals_compare_with_it_moved():
    r = compare()
    s = next(s for s in r.sensitivities if s.name == "colocation_rate")
    moved = compare(overrides={"colocation_rate": f"{s.value * (1 + STEP)!r} USD/kW/month"})
    assert s.lead_up == pytest.approx(_lead(moved, r.winner), rel=1e-7)


def test_the_largest_swings_come_first():
    swings = [s.swing for s in compare().sensitivities]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0


def test_an_input_that_flips_the_winner_names_the_new_winner():
    """At 5.5 USD per GPU-hour GPU-as-a-service leads colocation by about 19 M USD: 10 %
    less utilization, or 10 % more for the GPU systems, and colocation wins."""
    r = compare(overrides={"gpu_hour_price": "5.5 USD/hour"})
    assert r.winner == "gpuaas"
    flips = {s.name: (s.winner_down, s.winner_up) for s in r.sensitivities}
    assert flips["utilization"][0] == "colocation"
    assert flips["gpu_system_price"][1] == "colocation"


def test_sensitivities_in_json_and_the_list_is_short():
    d = json.loads(json.dumps(compare().to_dict(), allow_nan=False))
    assert [s["input"] for s in d["sensitivities"]] == [s.name for s in compare().sensitivities]
    assert {"value", "unit", "step", "lead", "lead_down", "lead_up", "winner_down",
            "winner_up"} <= set(d["sensitivities"][0])
    from rackplan.economics.compare import scenario_base

    assert len(sensitivities(scenario_base(), 60, top=5)) == 5
