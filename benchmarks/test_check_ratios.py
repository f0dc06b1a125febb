"""The gate's own logic, on made-up timings (no benchmark runs, nothing timed).

``pytest benchmarks/test_check_ratios.py``. (``check_ratios.py`` runs the benchmarks with
``--benchmark-only``, which skips these.)
"""

from __future__ import annotations

import json

import pytest

import check_ratios as cr


def _bench(group, impl, seconds, timer="process_time", threads=1):
    return {"group": group, "name": f"test_{group}[{impl}]", "params": {"impl": impl},
            "stats": {"min": seconds, "median": seconds * 1.1},
            "options": {"timer": timer}, "extra_info": {"threads": threads}}


def _pairs(ratio_of):
    """Every gated group at the ratio ``ratio_of(gate)`` (numba side 1 ms)."""
    return {g.group: {"numpy": ratio_of(g) * 1e-3, "numba": 1e-3} for g in cr.GATES}


def test_every_floor_follows_from_its_measured_ratios():
    assert cr.table_problems() == []
    for g in cr.ALL_GATES:
        assert min(g.measured) >= cr.MARGIN * g.floor
        assert max(g.measured) / cr.REGRESSION < g.floor


def test_a_floor_without_the_figures_to_back_it_is_refused():
    too_high = cr.Gate("x", 10.0, (12.0, 13.0), "")
    too_low = cr.Gate("y", 1.0, (12.0, 13.0), "")
    unmeasured = cr.Gate("z", 1.0, (), "")
    problems = cr.table_problems((too_high, too_low, unmeasured))
    assert len(problems) == 3
    assert "margin" in problems[0] and "regression" in problems[1] and "no measured" in problems[2]


def test_the_lowest_measured_ratios_pass():
    rows, ok = cr.check(_pairs(lambda g: min(g.measured)))
    assert ok, rows


@pytest.mark.parametrize("gate", cr.GATES, ids=lambda g: g.group)
def test_a_numba_side_three_times_slower_than_its_fastest_run_fails(gate):
    pairs = _pairs(lambda g: min(g.measured))
    pairs[gate.group]["numba"] *= cr.REGRESSION * max(gate.measured) / min(gate.measured)
    rows, ok = cr.check(pairs)
    assert not ok
    assert [r[7] for r in rows if r[0] == gate.group] == ["FAIL: below the floor"]


def test_a_missing_or_one_sided_group_fails():
    pairs = _pairs(lambda g: min(g.measured))
    del pairs["sweep"]
    assert not cr.check(pairs)[1]
    assert cr.check(pairs, require_all=False)[1]  # a subset asked for on the command line
    pairs = _pairs(lambda g: min(g.measured))
    del pairs["montecarlo"]["numba"]
    assert not cr.check(pairs, require_all=False)[1]


def test_each_machine_has_one_floor_per_group():
    for machine in ("amd", "intel", "other"):
        groups = [g.group for g in cr.ALL_GATES if machine in g.machines]
        assert sorted(groups) == sorted(set(groups)) and len(groups) == 6
    assert cr.machine_kind("vendor_id\t: AuthenticAMD\n") == "amd"
    assert cr.machine_kind("vendor_id\t: GenuineIntel\n") == "intel"
    assert cr.machine_kind("CPU implementer\t: 0x41\n") == "other"


def test_groups_are_gated_by_the_longest_prefix_and_unknown_ones_by_the_default():
    assert cr.gate_for("cashflow-timepaths").group == "cashflow-timepaths"
    assert cr.gate_for("cashflow").group == "cashflow"
    assert cr.gate_for("capacity-size_sites-1e6").group == "capacity"
    assert cr.gate_for("sweepish") is cr.DEFAULT_GATE  # not "sweep" nor "sweep-..."


def test_pairs_not_timed_like_with_like_are_named(tmp_path):
    data = {"benchmarks": [
        _bench("sweep", "numpy", 1.0), _bench("sweep", "numba", 0.01),
        _bench("montecarlo", "numpy", 1.0, timer="perf_counter"),
        _bench("montecarlo", "numba", 0.1, threads=None),
        {"group": "cli", "name": "test_cli", "params": {"command": "help"},
         "stats": {"min": 0.1, "median": 0.1}, "extra_info": {"target_s": 0.3}},
    ]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    pairs, others, unlike = cr.read(path)
    assert pairs == {"sweep": {"numpy": 1.0, "numba": 0.01},
                     "montecarlo": {"numpy": 1.0, "numba": 0.1}}
    assert [o["name"] for o in others] == ["test_cli"]
    assert len(unlike) == 2 and "perf_counter" in unlike[0] and "None thread" in unlike[1]


@pytest.mark.parametrize("timer", ["process_time", "perf_counter"])
def test_the_gate_passes_only_pairs_timed_like_with_like(tmp_path, timer, capsys):
    benches = []
    for g in cr.GATES:
        benches += [_bench(g.group, "numpy", min(g.measured) * 1e-3),
                    _bench(g.group, "numba", 1e-3, timer=timer)]
    benches += [{"group": "cli", "name": f"test_cli_response[{g.command}]",
                 "params": {"command": g.command}, "stats": {"min": 0.4, "median": 0.4},
                 "extra_info": {"command": g.command,
                                "ratio_to_import_numpy": min(g.measured)}}
                for g in cr.CLI_GATES]
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"benchmarks": benches}))
    assert cr.main(["--json", str(path)]) == (0 if timer == "process_time" else 1)
    assert ("not like with like" in capsys.readouterr().out) == (timer != "process_time")


# --- the start-up ceilings of the one-site commands ---------------------------------------------


def _cli(ratio_of):
    """A benchmark record per gated command at the start-up ratio ``ratio_of(gate)``."""
    return [{"group": "cli", "name": g.command, "median": 0.4,
             "extra": {"command": g.command, "ratio_to_import_numpy": ratio_of(g)}}
            for g in cr.CLI_GATES]


def test_every_ceiling_follows_from_its_measured_ratios():
    assert cr.cli_table_problems() == []
    loose = cr.CliGate("rackplan x", 30.0, (5.0, 6.0), "")
    tight = cr.CliGate("rackplan y", 7.0, (5.0, 6.0), "")
    problems = cr.cli_table_problems((loose, tight))
    assert len(problems) == 2
    assert "regression" in problems[0] and "margin" in problems[1]


def test_the_highest_measured_start_ups_pass():
    rows, ok = cr.check_cli(_cli(lambda g: max(g.measured)))
    assert ok, rows


@pytest.mark.parametrize("gate", cr.CLI_GATES, ids=lambda g: g.command)
def test_a_command_three_times_slower_to_start_fails(gate):
    rows, ok = cr.check_cli(_cli(lambda g: cr.REGRESSION * min(g.measured)
                                 if g is gate else min(g.measured)))
    assert not ok
    assert [r[4] for r in rows if r[0] == gate.command] == ["FAIL: above the ceiling"]


def test_a_command_not_measured_fails_unless_benchmarks_were_chosen():
    records = _cli(lambda g: min(g.measured))[1:]
    assert not cr.check_cli(records)[1]
    assert cr.check_cli(records, require_all=False)[1]
