"""Sweeps: the grid, units, the Dataset's layout, chunked and in-memory runs, output files,
breakeven surfaces and bad input.

The oracle for the numbers is the monthly engine's NumPy twin
(:func:`rackplan.kernels.engine_numpy.evaluate_numpy`), written apart from the numba kernels,
fed with grid points whose SI values are converted here by pint, independently of
:mod:`rackplan.studies.sweep`, and with the slots and output names of the registered options
(:func:`rackplan.economics.options.engine_table`).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import tracemalloc
import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from rackplan.economics.compare import scenario_base, user_units
from rackplan.economics.options import engine_table
from rackplan.errors import RackplanError, StudyError
from rackplan.kernels import engine
from rackplan.kernels.engine_numpy import evaluate_numpy
from rackplan.studies.grid import linspace_piece, parse_spec
from rackplan.kernels.sweep import grid_points, sweep_grid, sweep_grid_numpy, sweep_grid_serial
from rackplan.studies.io import StudyWarning
from rackplan.studies.sweep import FLAGS, breakeven_surface, make_grid, parse_axis, summary, sweep
from rackplan.units import Q_

# The modules, not the public functions of the same names.
sweep_module = importlib.import_module("rackplan.studies.sweep")
studyio = importlib.import_module("rackplan.studies.io")

VARY = {"btc_price": "60000:140000:5", "gpu_hour_price": [2.0, 3.5, 5.0]}

#: The engine's outputs for the built-in options, in order (those of the scenario kernel the
#: engine replaced): written out here, not taken from the engine.
BUILTIN_OUTPUTS = (
    "units_mine", "units_gpu", "gpu_count", "hashrate_mine", "it_power_mine", "it_power_gpu",
    "btc_mined", "revenue_mine", "revenue_gpuaas", "revenue_colocation", "noi_mine",
    "noi_gpuaas", "noi_colocation", "ebitda_mine", "ebitda_gpuaas", "ebitda_colocation",
    "capex_mine", "capex_gpuaas", "capex_colocation", "npv_mine", "npv_gpuaas",
    "npv_colocation", "npv_gpuaas_minus_mine", "winner", "breakeven_btc_price",
    "breakeven_gpu_hour_price", "breakeven_power_price",
)


@pytest.fixture(scope="module")
def ds():
    return sweep(vary=VARY)


@pytest.fixture(scope="module")
def base():
    b = scenario_base()
    return np.asarray([b[p] for p in engine.PARAMS])


@pytest.fixture(scope="module")
def table():
    """The engine's slots and outputs for the registered (built-in) options."""
    return engine_table()


def _twin(table, base, varied, idx, n_months=60):
    """Scenarios through the NumPy twin with the registered options' slots: float64[K, N],
    every output (rows named by ``table.names``)."""
    return evaluate_numpy(base, varied, np.asarray(idx, dtype=np.int64), n_months, table.kinds,
                          table.fleets, table.pair)


def _oracle(table, base, names, values_si, n_months=60):
    """Every grid point through the NumPy twin: float64[K, N] in grid (C) order."""
    mesh = np.meshgrid(*values_si, indexing="ij")
    varied = np.stack([m.ravel() for m in mesh], axis=1)
    idx = [engine.PARAMS.index(n) for n in names]
    return _twin(table, base, varied, idx, n_months)


# --- parsing the grid ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec, unit, expected", [
    ("1:3:3", "1", [1, 2, 3]),
    ((1, 3, 3), "1", [1, 2, 3]),
    ("3:1:3", "1", [3, 2, 1]),
    ([2, 1.5], "1", [2, 1.5]),
    ("1,2.5,4", "1", [1, 2.5, 4]),
    ("5", "1", [5]),
    (np.array([7.0]), "1", [7]),
    # quantity strings are converted to the user unit: 0.05 USD/kWh = 50 USD/MWh
    (["40 USD/MWh", "0.05 USD/kWh"], "USD/MWh", [40, 50]),
    ("40 USD/MWh:0.06 USD/kWh:3", "USD/MWh", [40, 50, 60]),
    ("85 %:95 %:3", "1", [0.85, 0.90, 0.95]),
])
def test_parse_axis(spec, unit, expected):
    np.testing.assert_allclose(parse_axis("x", spec, unit), expected, rtol=1e-12)


@pytest.mark.parametrize("spec, unit, message", [
    ("", "1", "empty range"),
    ([], "1", "empty range"),
    (",", "1", "empty range"),
    ("1:2:0", "1", "step count must be positive, got 0"),
    ("1:2:-4", "1", "step count must be positive, got -4"),
    ((1, 2, 0), "1", "step count must be positive"),
    ("1:2:2.5", "1", "not a whole number"),
    ("1:2", "1", "not start:stop:n"),
    ("1:2:3:4", "1", "not start:stop:n"),
    ("1:2:1", "1", "give n >= 2"),
    ([1.0, float("nan")], "1", "finite"),
    ("40 W:50 W:2", "USD/MWh", "not"),
    ("a:b:3", "1", "not a number"),
    ([True], "1", "not a number"),
])
def test_parse_axis_errors(spec, unit, message):
    with pytest.raises(StudyError, match=message) as exc:
        parse_axis("power_price", spec, unit)
    assert str(exc.value).startswith("vary power_price: ")


def test_unknown_name_lists_close_matches():
    with pytest.raises(StudyError, match=r"unknown input 'btc_prize'; did you mean 'btc_price'"):
        sweep(vary={"btc_prize": [1.0]})


def test_out_of_range_values_are_refused_by_the_models():
    # the market model's own bounds, as for --set: a price must be positive, a share <= 1
    with pytest.raises(StudyError, match=r"vary btc_price: -5 USD/BTC must be greater than 0"):
        sweep(vary={"btc_price": "-5:5:3"})
    with pytest.raises(StudyError, match="vary utilization: 1.5"):
        sweep(vary={"utilization": [0.5, 1.5]})


def test_nothing_to_vary():
    with pytest.raises(StudyError, match="nothing to vary"):
        sweep(vary={})


# --- the Dataset --------------------------------------------------------------------------------


def test_layout(ds, table):
    units = user_units()
    assert ds["npv_mine"].dims == ("btc_price", "gpu_hour_price")
    assert ds.sizes == {"btc_price": 5, "gpu_hour_price": 3}
    np.testing.assert_allclose(ds["btc_price"], [60000, 80000, 100000, 120000, 140000])
    for name in VARY:
        assert ds[name].attrs["units"] == units[name]
    assert table.names == BUILTIN_OUTPUTS
    assert set(ds.data_vars) == set(BUILTIN_OUTPUTS) | set(FLAGS)
    for name in [*table.names, *FLAGS]:
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
    w = ds["winner"]
    assert w.dtype == np.int8
    assert list(w.attrs["flag_values"]) == [0, 1, 2]
    assert w.attrs["flag_meanings"] == "mine gpuaas colocation"
    # breakevens are given in the unit users write the input in
    assert ds["breakeven_btc_price"].attrs["units"] == units["btc_price"]
    assert ds["breakeven_gpu_hour_price"].attrs["units"] == units["gpu_hour_price"]
    assert json.loads(ds.attrs["inputs"])["btc_price"]["unit"] == "USD/BTC"


def test_values_match_the_numpy_twin(ds, base, table):
    si = [Q_(np.asarray(ds[n].values), user_units()[n]).m_as(engine.PARAM_UNITS[n])
          for n in VARY]
    ref = _oracle(table, base, list(VARY), si)
    per_hour = Q_(1.0, "USD/s").m_as("USD/hour")
    for k, name in enumerate(table.names):
        expected = ref[k].reshape(ds[name].shape)
        if name == "winner":
            np.testing.assert_array_equal(ds[name].values, expected)
            continue
        if name == "breakeven_gpu_hour_price":
            expected = expected * per_hour
        if name == "breakeven_power_price":  # kernel unit USD/J, shown in USD/MWh
            expected = Q_(expected, "USD/J").m_as(ds[name].attrs["units"])
        np.testing.assert_allclose(ds[name].values, expected, rtol=1e-9, atol=1e-6,
                                   err_msg=name)


def test_the_unit_a_value_is_written_in_does_not_matter():
    a = sweep(vary={"power_price": [40.0, 55.0]})
    b = sweep(vary={"power_price": ["0.04 USD/kWh", "55 USD/MWh"]})
    xr.testing.assert_identical(a, b)


def test_pue_sets_both_plants_like_set(base, table):
    ds = sweep(vary={"pue": [1.1, 1.35]})
    for pue in (1.1, 1.35):
        b = scenario_base(overrides={"pue": pue})
        ref = _twin(table, np.asarray([b[p] for p in engine.PARAMS]), np.empty((1, 0)),
                    [])[:, 0]
        got = ds.sel(pue=pue)
        for k in (table.index("units_mine"), table.index("npv_gpuaas")):
            np.testing.assert_allclose(got[table.names[k]].item(), ref[k], rtol=1e-9)


def test_more_power_never_fits_fewer_units():
    ds = sweep(vary={"utility_power": "2:40:20"})
    assert np.all(np.diff(ds["units_mine"].values) >= 0)
    assert np.all(np.diff(ds["units_gpu"].values) >= 0)
    assert ds["units_gpu"].values[-1] > ds["units_gpu"].values[0]


def test_years_set_the_horizon():
    five = sweep(vary={"btc_price": [98076.0]})
    ten = sweep(vary={"btc_price": [98076.0]}, years=10)
    assert ten["noi_colocation"].item() > five["noi_colocation"].item()
    assert ten.attrs["years"] == 10


@settings(max_examples=25)
@given(
    n_power=st.integers(1, 4), n_util=st.integers(1, 3), n_pue=st.integers(1, 3),
    lo=st.floats(10, 60), hi=st.floats(60, 150),
)
def test_kernel_matches_twin_on_any_grid(n_power, n_util, n_pue, lo, hi):
    grid = make_grid(vary={"power_price": np.linspace(lo, hi, n_power).tolist(),
                           "utilization": np.linspace(0.5, 1.0, n_util).tolist(),
                           "pue": np.linspace(1.05, 1.5, n_pue).tolist()})
    t = engine_table()
    args = (*grid.kernel_args(), (t.kinds, t.fleets, t.pair),
            np.arange(len(t.names), dtype=np.int64))
    out = sweep_grid(*args)
    assert out.shape == (len(t.names), grid.size)
    np.testing.assert_allclose(out, sweep_grid_numpy(*args), rtol=1e-9, atol=1e-6)
    # the serial kernel (dask workers) gives the same bytes, and so does a slice of the grid
    np.testing.assert_array_equal(sweep_grid_serial(*args), out)
    half = grid.size // 2
    np.testing.assert_array_equal(sweep_grid(*args, half, grid.size), out[:, half:])
    # a few outputs only: the same rows, in the order asked for
    few = t.want(["winner", "npv_mine", "breakeven_power_price"])
    np.testing.assert_array_equal(sweep_grid(*args[:-1], few), out[few])
    np.testing.assert_array_equal(sweep_grid_serial(*args[:-1], few), out[few])


def test_grid_points_are_in_c_order():
    values = np.array([1.0, 2.0, 10.0, 20.0, 30.0])
    pts = grid_points(values, np.array([0, 2]), np.array([2, 3]), np.array([0, 1, 0]))
    np.testing.assert_array_equal(pts, [[1, 10, 1], [1, 20, 1], [1, 30, 1],
                                        [2, 10, 2], [2, 20, 2], [2, 30, 2]])
    np.testing.assert_array_equal(
        grid_points(values, np.array([0, 2]), np.array([2, 3]), np.array([1]), 2, 4),
        [[30], [10]])


# --- breakevens ---------------------------------------------------------------------------------


def test_at_the_breakeven_btc_price_the_npvs_are_equal(ds, base, table):
    """NPV is linear in the BTC price, so the kernel solves for the breakeven exactly: put it
    back in as the BTC price and mining's NPV equals GPUaaS's."""
    be = ds["breakeven_btc_price"].values  # [USD/BTC]
    hour = Q_(np.asarray(ds["gpu_hour_price"].values), "USD/hour").m_as("USD/s")
    for j in range(len(hour)):
        for i in (0, 4):
            if not np.isfinite(be[i, j]) or be[i, j] <= 0:
                continue
            idx = [engine.PARAMS.index("btc_price"), engine.PARAMS.index("gpu_hour_price")]
            r = _twin(table, base, np.array([[be[i, j], hour[j]]]), idx)[:, 0]
            scale = abs(r[table.index("npv_gpuaas")]) + 1e6
            assert abs(r[table.index("npv_gpuaas_minus_mine")]) < 1e-9 * scale
            # the same breakeven whatever BTC price the grid point started from
            np.testing.assert_allclose(be[:, j], be[0, j], rtol=1e-9)


def test_breakeven_surface():
    # miners that hash in every month: the BTC breakeven exists at every point
    hashing = {"miner_shutdown": False}
    da = breakeven_surface(x="gpu_hour_price=2:5:4", y=("power_price", [30, 45, 60]),
                           solve_for="btc_price", overrides=hashing)
    assert da.dims == ("power_price", "gpu_hour_price")
    assert da.name == "breakeven_btc_price" and da.attrs["units"] == "USD/BTC"
    full = sweep(vary={"power_price": [30, 45, 60], "gpu_hour_price": "2:5:4"},
                 overrides=hashing)
    xr.testing.assert_allclose(da, full["breakeven_btc_price"])
    # a dearer GPU hour makes GPUaaS worth more, so mining needs a higher BTC price to match
    assert np.all(np.diff(da.values, axis=1) > 0)
    other = breakeven_surface(x={"btc_price": "60000:120000:3"}, y="utilization=0.6:0.9:4",
                              solve_for="gpu_hour_price")
    assert other.attrs["units"] == "USD/hour" and other.dims == ("utilization", "btc_price")


@pytest.mark.parametrize("kwargs, message", [
    ({"solve_for": "btc_prize"}, "cannot solve for 'btc_prize'; did you mean 'btc_price'"),
    ({"solve_for": "gpu_hour_price"}, "cannot also be an axis"),
    ({"y": "gpu_hour_price=1:2:2"}, "both gpu_hour_price"),
    ({"y": "power_price"}, "must be NAME=start:stop:n"),
])
def test_breakeven_surface_errors(kwargs, message):
    args = {"x": "gpu_hour_price=2:5:4", "y": "power_price=30:60:3", "solve_for": "btc_price"}
    args.update(kwargs)
    with pytest.raises(StudyError, match=message):
        breakeven_surface(**args)


# --- chunks, files, budgets ---------------------------------------------------------------------


def test_chunked_equals_in_memory(ds):
    chunked = sweep(vary=VARY, chunks=4)
    xr.testing.assert_identical(chunked, ds)
    per_dim = sweep(vary=VARY, chunks={"gpu_hour_price": 1})
    xr.testing.assert_identical(per_dim, ds)


def test_over_the_budget_the_result_stays_lazy():
    # 200,000 scenarios take about 42 MB; with a budget of 40 MB the result stays lazy (the
    # coordinates, a few chunks in flight and dask's graph of 38 chunks fit)
    vary = {"btc_price": "60000:140000:200000"}
    lazy = sweep(vary=vary, memory_budget="40 MB")
    assert lazy["npv_mine"].chunks is not None  # dask-backed, computed on access
    ds = sweep(vary=vary)
    assert ds["npv_mine"].chunks is None
    xr.testing.assert_identical(lazy.compute(), ds)
    # (the built-in miners switch off: mining stays ahead at every BTC price, and says so)
    with pytest.warns(StudyWarning, match=r"breakeven_(btc|power)_price is undefined"):
        s_lazy, s_mem = summary(lazy), summary(ds)
    assert s_lazy["share_won"] == s_mem["share_won"]


def test_over_the_budget_with_chunking_off(tmp_path):
    out = tmp_path / "big.nc"
    with pytest.raises(StudyError, match="over the memory budget of 1 kB, and chunking is off"):
        sweep(vary=VARY, chunks="off", memory_budget="1 kB", out=out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("chunks, message", [
    ("sideways", "chunks: must be auto, off"), (0, "chunks: must be"), (-3, "chunks: must be"),
    (2.5, "chunks: must be"), ("nan", "chunks: must be"), ("inf", "chunks: must be"),
    (float("nan"), "chunks: must be"), (True, "chunks: must be"), ([4], "chunks: must be"),
    ({"pue": 2}, "not varied"), ({"btc_price": 0}, r"chunks\['btc_price'\]"),
    ({"btc_price": "x"}, r"chunks\['btc_price'\]"),
])
def test_bad_chunks(chunks, message):
    with pytest.raises(StudyError, match=message):
        sweep(vary=VARY, chunks=chunks)


@pytest.mark.parametrize("budget, message", [
    ("2 GW", "not an amount of memory"), ("lots", "not an amount of memory"),
    ("-1 GB", "positive amount"), (0, "positive amount"), (float("nan"), "positive amount"),
    (float("inf"), "positive amount"), (True, "not an amount of memory"),
    ([1e9], "not an amount of memory"), ("1 PB", "more than this machine's memory"),
])
def test_bad_memory_budget(budget, message):
    with pytest.raises(StudyError, match=f"memory_budget: .*{message}"):
        sweep(vary=VARY, memory_budget=budget)


def test_a_budget_over_the_available_memory_is_refused(monkeypatch):
    monkeypatch.setattr(studyio, "available_memory", lambda: 1e9)
    with pytest.raises(StudyError, match="memory_budget: 2 GB is more than the memory "
                                         "available now"):
        sweep(vary=VARY, memory_budget="2 GB")
    # the default budget is half the available memory when that is less than 2 GB
    assert studyio.budget_bytes(None) == 0.5e9


def test_netcdf_round_trip(ds, tmp_path):
    out = tmp_path / "sweep.nc"
    sweep(vary=VARY, out=out)
    with xr.open_dataset(out, engine="h5netcdf") as back:
        xr.testing.assert_equal(back, ds)
        assert back["npv_mine"].attrs["units"] == "USD"
        assert back["btc_price"].attrs["units"] == "USD/BTC"
        assert back["winner"].attrs["flag_meanings"] == "mine gpuaas colocation"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.nc"]  # no partial file


def test_chunked_netcdf_is_written_as_it_goes(ds, tmp_path):
    out = tmp_path / "big.nc"
    back = sweep(vary=VARY, memory_budget="4 kB", out=out)
    try:
        assert back["npv_mine"].chunks is not None  # opened lazily from the file
        xr.testing.assert_equal(back.compute(), ds)
    finally:
        back.close()


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(self, path, **kwargs):
        open(path, "wb").write(b"half")  # a partial file, then a failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(StudyError, match=r"out: .*s\.nc: cannot write \(No space left"):
        sweep(vary=VARY, out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []


def test_csv_and_json(ds, tmp_path):
    sweep(vary=VARY, out=tmp_path / "s.csv")
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0].startswith("btc_price [USD/BTC],gpu_hour_price [USD/hour],")
    assert "npv_mine [USD]" in lines[0]
    assert len(lines) == 1 + 15
    sweep(vary=VARY, out=tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["coords"]["btc_price"]["attrs"]["units"] == "USD/BTC"
    np.testing.assert_allclose(data["data_vars"]["npv_mine"]["data"], ds["npv_mine"].values)


@pytest.mark.parametrize("name, message", [
    ("s.xlsx", "unknown output format '.xlsx'"),
    ("s", r"unknown output format '\(none\)'"),
    ("nowhere/s.nc", "folder .*nowhere does not exist"),
    ("folder", "is a folder"),
    ("folder.nc", "is a folder"),
    ("file.txt/s.nc", "is not a folder"),
])
def test_bad_output_path(tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.nc").mkdir()
    (tmp_path / "file.txt").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StudyError, match=f"^out: .*{message}"):
        sweep(vary=VARY, out=tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_outputs_selection():
    ds = sweep(vary=VARY, outputs=["winner", "npv_mine"])
    assert set(ds.data_vars) == {"winner", "npv_mine"}
    assert set(sweep(vary=VARY, outputs="no_fit_mine").data_vars) == {"no_fit_mine"}
    with pytest.raises(StudyError, match="unknown output 'npv_min'; did you mean 'npv_mine'"):
        sweep(vary=VARY, outputs=["npv_min"])


def test_summary(ds):
    with pytest.warns(StudyWarning, match=r"breakeven_(btc|power)_price is undefined at 10 of 15"):
        s = summary(ds)
    assert s["grid"]["scenarios"] == 15
    assert s["grid"]["btc_price"]["values"] == 5
    shares = [q.m_as("percent") for q in s["share_won"].values()]
    assert sum(shares) == pytest.approx(100.0)
    for name, stats in s["range"].items():
        lo, mean, hi = (stats[k].magnitude for k in ("min", "mean", "max"))
        assert lo <= mean <= hi, name
    assert s["range"]["npv_mine"]["max"].magnitude == ds["npv_mine"].max().item()


def test_sigterm_while_writing_removes_the_partial_file(tmp_path, monkeypatch):
    """``kill`` (or a batch system's time limit) during a write: like Ctrl-C, the partial
    file goes, and the old SIGTERM handler is back afterwards."""
    import os
    import signal

    def killed(self, path, **kwargs):
        open(path, "wb").write(b"half")
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(xr.Dataset, "to_netcdf", killed)
    with pytest.raises(KeyboardInterrupt):
        sweep(vary=VARY, out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before


def test_sighup_while_writing_removes_the_partial_file(tmp_path, monkeypatch):
    """SIGHUP (a closed terminal) ends a write like SIGTERM does."""
    import signal

    def killed(self, path, **kwargs):
        open(path, "wb").write(b"half")
        os.kill(os.getpid(), signal.SIGHUP)

    before = signal.getsignal(signal.SIGHUP)
    monkeypatch.setattr(xr.Dataset, "to_netcdf", killed)
    with pytest.raises(KeyboardInterrupt, match="signal 1"):
        sweep(vary=VARY, out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGHUP) is before


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_during_a_chunked_write_leaves_nothing(tmp_path, monkeypatch, signum):
    """The chunks are computed on pool threads and written by this thread: a signal while the
    third chunk computes stops the pool, and the partial file goes; further signals during the
    clean-up are ignored (no second KeyboardInterrupt)."""
    import signal

    real = sweep_module._compute_block
    calls = []

    def compute(*args):
        calls.append(1)
        if len(calls) == 3:
            for _ in range(3):  # the second and third arrive while cleaning up
                os.kill(os.getpid(), getattr(signal, signum))
        return real(*args)

    monkeypatch.setattr(sweep_module, "_compute_block", compute)
    # What this process had (Python's handler, or SIG_IGN where it was started in the
    # background by a shell without job control) must be back afterwards.
    before = {s: signal.getsignal(getattr(signal, s)) for s in ("SIGINT", "SIGTERM", "SIGHUP")}
    with pytest.raises(KeyboardInterrupt, match=f"signal {int(getattr(signal, signum))}"):
        sweep(vary=VARY, memory_budget="4 kB", out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []
    assert {s: signal.getsignal(getattr(signal, s)) for s in before} == before


def test_an_error_in_a_chunk_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sweep_module, "_compute_block", broken)
    with pytest.raises(StudyError, match=r"^out: .*s\.nc: cannot write \(Input/output error\)"):
        sweep(vary=VARY, memory_budget="4 kB", out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_refused_before_anything_runs(tmp_path, monkeypatch):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=10_000))
    ran = []
    monkeypatch.setattr(sweep_module, "_run", lambda *a: ran.append(1))
    for name in ("s.nc", "s.csv", "s.json"):
        with pytest.raises(StudyError, match=rf"^out: .*{name}: needs about .* on disk, but "
                                             rf"only 10 kB is free"):
            sweep(vary=VARY, out=tmp_path / name)
    assert not ran and list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_refused(tmp_path):
    with pytest.raises(StudyError, match=r"^out: /proc/self/x\.nc: cannot write in /proc/self"):
        sweep(vary=VARY, out="/proc/self/x.nc")
    with pytest.raises(StudyError, match="^out: .*NUL"):
        sweep(vary=VARY, out=str(tmp_path / "a\x00.nc"))
    with pytest.raises(StudyError, match="^out: .*not a file name"):
        sweep(vary=VARY, out=3)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StudyError, match=r"^out: .*cannot write in .*ro"):
            sweep(vary=VARY, out=folder / "s.nc")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


# --- checking what is varied --------------------------------------------------------------------


@pytest.mark.parametrize("name, spec, message", [
    # profile figures: the hardware profile model's bounds
    ("gpu_rack_footprint", "-1,0", "-1 m.* must be greater than 0"),
    ("gpu_rack_footprint", "0:2:3", "0 m.* must be greater than 0"),
    ("miner_power", "-5000,0,5000", "-5000 W must be greater than 0"),
    ("miner_power", [3000, 0], "0 W must be greater than 0"),
    ("miner_hashrate", "0,100", "must be greater than 0"),
    ("gpu_power_max", "-1", "must be greater than 0"),
    ("gpu_power_typical", "100:200:3", "power_typical .* is larger than power_max"),
    ("gpus_per_unit", "0,72", "greater than 0"),
    ("gpus_per_unit", "72,72.5", "valid integer"),
    ("gpu_units_per_rack", "1:2:3", "valid integer"),  # 1.5 on the way
    ("miner_units_per_rack", "-2", "greater than 0"),
    ("miner_rack_weight", "0,500", "greater than 0"),
    # each plant's PUE is the site's pue: at least 1
    ("pue_mine", "0.5,0", "must be at least 1"),
    ("pue_mine", "1.2,0.99", "0.99 must be at least 1"),
    ("pue_gpu", "0:2:5", "0 must be at least 1"),
    ("pue", "0.9:1.3:3", "0.9 must be at least 1"),
    # site and market fields, as with --set
    ("utility_power", "0,10", "must be greater than 0"),
    ("aisle_factor", "0.5,2", "must be at least 1"),
    ("btc_price", "-5:5:3", "-5 USD/BTC must be greater than 0"),
    ("utilization", [0.5, 1.5], "1.5"),
    ("utilization", "-0.1,0.5", "-0.1"),
    ("uptime", "0,1", "0 is out of range"),
    ("pool_fee", "1", "out of range"),
    ("discount_rate", "2", "out of range"),
    ("block_height", "1:2:3", "valid integer"),
    ("block_height", "1e9", "less than or equal"),
    ("build_period", "1.5,3", "not a whole number of months"),
    ("build_period", "0:3:3", "not a whole number of months"),  # 1.5 month on the way
    ("build_period", "0,1.5,3", "1.5 month is not a whole number"),  # neither end: listed
    ("build_period", np.concatenate([np.arange(100.0), [2.5]]), "2.5 month is not a whole"),
    ("useful_life_it", "0,5", "must be greater than 0"),
    ("power_price", "-1,40", "must be at least 0"),
    ("mining_staff_per_mw", "-1,1", "greater than or equal to 0"),
])
def test_every_varied_input_is_range_checked_by_its_model(name, spec, message):
    with pytest.raises(StudyError, match=f"^vary {name}: .*{message}"):
        sweep(vary={name: spec})


@pytest.mark.parametrize("vary", [
    {"pue": "1:1.5:3"}, {"pue_mine": [1.0, 1.4]}, {"utilization": "0:1:3"},
    {"gpu_rack_footprint": "0.5:3:3"}, {"miner_power": "1000:6000:3"},
    {"block_height": "900000:900010:11"}, {"build_period": "0:6:4"},
    {"mining_staff_per_mw": [0.0, 0.5]},
    # power_typical <= power_max at every corner of the two axes (and at most the 190 kW a
    # Moses Lake rack position is designed for)
    {"gpu_power_typical": "50:150:3", "gpu_power_max": "150:190:3"},
])
def test_values_the_models_accept_run(vary):
    ds = sweep(vary=vary, outputs=["winner"])
    assert ds["winner"].size == math.prod(ds.sizes.values())


def test_cross_field_rules_are_checked_at_the_corners():
    # typical up to 160 kW, max down to 150 kW: the grid holds typical 160 > max 150
    with pytest.raises(StudyError, match="power_typical .* is larger than power_max"):
        sweep(vary={"gpu_power_typical": "50:160:3", "gpu_power_max": "150:200:3"})


@pytest.mark.parametrize("vary, message", [
    ({"pue": [1.1], "pue_mine": [1.2]}, "pue_mine and pue both set pue_mine"),
    ({"btc_price": (1, 2, True)}, "step count True is not a whole number"),
    ({"btc_price": "1:2:nan"}, "step count 'nan' is not a whole number"),
    ({"btc_price": "1:2:1e400"}, "not a whole number"),
    ({"btc_price": "1:2:1e16"}, "more than 1e\\+15 values"),
    ({"btc_price": "-1e308:1e308:3"}, "finite"),
    ({"btc_price": "1e400:1:3"}, "finite"),
    ({"btc_price": {"a": 1}}, "not a list of values or a range"),
    ({"btc_price": [[1, 2], [3, "x"]]}, "not a number"),
    ({"btc_price": [None]}, "not a number"),
    ({"btc_price": np.array([1.0, np.inf])}, "finite"),
])
def test_bad_axes(vary, message):
    with pytest.raises(StudyError, match=message):
        sweep(vary=vary)


@pytest.mark.parametrize("n", [2, 3, 7, 10, 1001])
@pytest.mark.parametrize("start, stop", [(0.0, 1.0), (60000.0, 140000.0), (1.1, -3.7),
                                         (5.0, 5.0), (1e-9, 3e-9)])
def test_a_piece_of_a_range_is_that_slice_of_linspace(start, stop, n):
    whole = np.linspace(start, stop, n)
    np.testing.assert_array_equal(linspace_piece(start, stop, n), whole)
    for lo, hi in ((0, 1), (1, n - 1), (n // 2, n), (n - 1, n)):
        np.testing.assert_array_equal(linspace_piece(start, stop, n, lo, hi), whole[lo:hi])
    axis = parse_spec("x", (start, stop, n), "1")
    assert len(axis) == n and axis.listed is None  # nothing materialized by parsing


# --- memory: sizes are checked from the counts, before anything is allocated ----------------------


def _peak_while(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("kwargs, message", [
    ({"vary": {"btc_price": "1:2:1e9"}, "memory_budget": "100 MB", "out": "s.nc"},
     "memory_budget: the 1,000,000,000 values of the varied inputs need about 24 GB"),
    ({"vary": {"btc_price": "1:2:1e12"}}, "memory_budget: the 1,000,000,000,000 values"),
    ({"vary": {"btc_price": "1:2:1e9"}, "chunks": "off"}, "memory_budget"),
    ({"vary": {"btc_price": "1:2:1e5", "power_price": "1:2:1e5"}},
     "memory_budget: .*lazy result of .* chunks"),
    ({"vary": {"btc_price": "1:2:1e5", "power_price": "1:2:1e5"}, "out": "s.csv"},
     "out: .*write large sweeps as .nc"),
    ({"vary": {"btc_price": "1:2:1e6", "power_price": "1:2:1e3"}, "chunks": "off"},
     "chunks: 1,000,000,000 scenarios need about"),
    ({"vary": {"btc_price": "1:2:1e5", "power_price": "1:2:1e3"}, "chunks": 10**8},
     "chunks: chunks of 100,000,000 scenarios need about"),
    ({"vary": {"btc_price": "1:2:1e5", "power_price": "1:2:1e3"}, "chunks": 1},
     "memory_budget: .*lazy result of 100,000,000 chunks"),
])
def test_huge_grids_are_refused_before_anything_is_allocated(tmp_path, kwargs, message):
    kwargs = dict(kwargs)
    if "out" in kwargs:
        kwargs["out"] = tmp_path / kwargs["out"]
    sweep(vary={"btc_price": [1e5]})  # the case and the modules, loaded outside the count
    errors = []

    def run():
        try:
            sweep(**kwargs)
        except StudyError as exc:
            errors.append(exc)

    peak = _peak_while(run)
    assert errors and pytest.raises  # refused
    assert __import__("re").search(message, str(errors[0])), str(errors[0])
    assert peak < 50e6, f"{peak / 1e6:.0f} MB traced while refusing"
    assert list(tmp_path.iterdir()) == []


def test_a_huge_breakeven_surface_is_refused_before_anything_is_allocated():
    errors = []

    def run():
        try:
            breakeven_surface(x="gpu_hour_price=1:2:1e9", y="power_price=30,40")
        except StudyError as exc:
            errors.append(exc)

    assert _peak_while(run) < 50e6
    assert "memory_budget" in str(errors[0])


# --- no unit fits, undefined figures ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_sites():
    """0.001 MW: nothing fits; 0.1 MW: miners but no GPU rack; 1 MW: both."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # miners that hash in every month: a BTC breakeven wherever miners fit
        ds = sweep(vary={"utility_power": [0.001, 0.1, 1.0]},
                   overrides={"miner_shutdown": False})
    return ds, [str(w.message) for w in caught if issubclass(w.category, StudyWarning)]


def test_no_fit_flags(tiny_sites):
    ds, messages = tiny_sites
    assert ds["no_fit_mine"].values.tolist() == [True, False, False]
    assert ds["no_fit_gpuaas"].values.tolist() == [True, True, False]
    np.testing.assert_array_equal(ds["no_fit_mine"].values, ds["units_mine"].values == 0)
    assert ds["no_fit_mine"].dtype == bool and ds["no_fit_mine"].attrs["long_name"]
    assert any(m.startswith("no miner fits the site at 1 of 3 scenarios") for m in messages)
    assert any(m.startswith("no GPU system fits the site at 2 of 3 scenarios")
               for m in messages)


def test_no_fit_warnings_in_every_route(tmp_path):
    vary = {"utility_power": [0.001, 0.1, 1.0]}
    for kwargs in ({"chunks": 1}, {"memory_budget": "4 kB", "out": tmp_path / "s.nc"}):
        with pytest.warns(StudyWarning) as record:
            back = sweep(vary=vary, **kwargs)
        assert any(str(w.message).startswith("no miner fits the site at 1 of 3")
                   for w in record)
        assert back["no_fit_gpuaas"].values.tolist() == [True, True, False]
        back.close()


def test_the_summary_says_what_is_undefined(tiny_sites):
    ds, _ = tiny_sites
    with pytest.warns(StudyWarning) as record:
        s = summary(ds)
    text = " ".join(str(w.message) for w in record)
    assert "breakeven_gpu_hour_price is undefined at 2 of 3 scenarios" in text
    assert "no GPU system fits" in text
    with pytest.warns(StudyWarning) as record:
        one = summary(ds.isel(utility_power=[0]))  # nothing fits: no breakeven at all
    assert any("breakeven_btc_price is undefined at every scenario" in str(w.message)
               for w in record)
    for stat in ("min", "mean", "max"):
        assert one["range"]["breakeven_btc_price"][stat] is None
    assert s["range"]["breakeven_btc_price"]["min"].magnitude == pytest.approx(
        float(np.nanmin(ds["breakeven_btc_price"].values)))


def test_files_hold_no_nan_or_infinity(tiny_sites, tmp_path):
    ds, _ = tiny_sites
    with pytest.warns(StudyWarning):
        sweep(vary={"utility_power": [0.001, 0.1, 1.0]}, out=tmp_path / "s.csv")
        sweep(vary={"utility_power": [0.001, 0.1, 1.0]}, out=tmp_path / "s.json")
    import csv

    rows = list(csv.reader((tmp_path / "s.csv").read_text().splitlines()))
    header, first = rows[0], rows[1]
    for row in rows[1:]:
        for cell in row:
            assert cell.lower().lstrip("+-") not in ("nan", "inf", "infinity"), row
    assert first[header.index("breakeven_gpu_hour_price [USD/hour]")] == ""
    assert first[header.index("no_fit_mine [1]")] == "True"

    def refuse(constant):
        raise AssertionError(f"{constant} in a JSON file")

    data = json.loads((tmp_path / "s.json").read_text(), parse_constant=refuse)
    assert data["data_vars"]["breakeven_gpu_hour_price"]["data"][:2] == [None, None]
    assert data["data_vars"]["no_fit_mine"]["data"] == [True, False, False]
    assert data["coords"]["utility_power"]["attrs"]["units"] == "MW"


# --- the Python API: every argument checked, each error naming it --------------------------------


@pytest.mark.parametrize("kwargs, name", [
    ({"years": True}, "years"), ({"years": "abc"}, "years"), ({"years": 0}, "years"),
    ({"years": 2.5}, "years"), ({"years": [5]}, "years"), ({"years": float("nan")}, "years"),
    ({"overrides": [("pue", 1.2)]}, "overrides"), ({"overrides": "pue=1.2"}, "overrides"),
    ({"overrides": {"pue": [1.1, 1.2]}}, "overrides"),
    ({"overrides": {"pue": np.array([1.1, 1.2])}}, "overrides"),
    ({"vary": [("btc_price", 1)]}, "vary"), ({"vary": "btc_price=1:2:3"}, "vary"),
    ({"vary": {3: [1]}}, "vary"), ({"vary": {}}, "vary"),
    ({"chunks": True}, "chunks"), ({"memory_budget": True}, "memory_budget"),
    ({"out": 3}, "out"), ({"out": b"s.nc"}, "out"), ({"client": 3}, "client"),
    ({"progress": "yes"}, "progress"), ({"outputs": 3}, "outputs"),
    ({"outputs": []}, "outputs"), ({"outputs": [3]}, "outputs"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    args = {"vary": VARY, **kwargs}
    with pytest.raises(RackplanError, match=rf"^{name}\b"):
        sweep(**args)


@pytest.mark.parametrize("kwargs, name", [
    ({"x": 3}, "x"), ({"y": ("power_price",)}, "y"), ({"x": {"a": 1, "b": 2}}, "x"),
    ({"x": (3, [1, 2])}, "x"), ({"x": "gpu_hour_price=-1:2:2"}, "x"),
    ({"y": "power_price=-1,2"}, "y"), ({"y": "power_price=1:2:0"}, "y"),
    ({"x": "gpu_hour_prize=1:2:2"}, "x"), ({"years": True}, "years"),
    ({"solve_for": 3}, "solve_for"), ({"solve_for": "pue"}, "solve_for"),
    ({"memory_budget": "100 GB"}, "memory_budget"), ({"overrides": 3}, "overrides"),
    ({"out": "s.xlsx"}, "out"), ({"chunks": "nan"}, "chunks"),
])
def test_bad_breakeven_arguments_name_themselves(kwargs, name):
    args = {"x": "gpu_hour_price=2:5:4", "y": "power_price=30:60:3", **kwargs}
    with pytest.raises(RackplanError, match=rf"^{name}\b"):
        breakeven_surface(**args)


def test_a_breakeven_surface_file(tmp_path):
    out = tmp_path / "be.nc"
    with pytest.warns(StudyWarning, match=r"breakeven_(btc|power)_price is undefined"):
        da = breakeven_surface(x="gpu_hour_price=2:5:4", y="power_price=30:60:3", out=out)
    with xr.open_dataset(out, engine="h5netcdf") as back:
        xr.testing.assert_equal(back["breakeven_btc_price"], da)
    assert [p.name for p in tmp_path.iterdir()] == ["be.nc"]
