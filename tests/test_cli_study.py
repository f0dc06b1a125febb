"""``rackplan sweep``, ``montecarlo`` and ``breakeven`` from the command line: outputs on
stdout, files that appear only when complete, and one line with exit code 2 for bad input."""

from __future__ import annotations

import csv
import importlib
import io
import json

import numpy as np
import pytest
import xarray as xr

# The module, not the public function of the same name (rackplan.montecarlo).
mc = importlib.import_module("rackplan.montecarlo")

GRID = ["--vary", "btc_price=60000:140000:3", "--vary", "gpu_hour_price=2,4"]


def _one_error_line(code, out, err, *pieces):
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rackplan: error: ")
    for piece in pieces:
        assert piece in lines[0], lines[0]


# --- sweep --------------------------------------------------------------------------------------


def test_sweep_table(run_cli):
    code, out, err = run_cli("sweep", *GRID)
    assert code == 0, err
    assert "btc_price" in out and "USD/BTC" in out and "USD/h" in out
    assert "scenarios" in out and "npv_gpuaas_minus_mine" in out
    assert "%" in out  # the share of the grid each option wins


def test_sweep_json_summary(run_cli):
    code, out, err = run_cli("sweep", *GRID, "--format", "json", "--set", "pue=1.2")
    assert code == 0, err
    data = json.loads(out)
    assert data["grid"]["scenarios"] == 6
    assert data["grid"]["btc_price"]["from"] == {"value": 60000.0, "unit": "USD/BTC"}
    assert sum(q["value"] for q in data["share_won"].values()) == pytest.approx(100)
    assert data["range"]["npv_mine"]["min"]["unit"] == "USD"


def test_sweep_set_changes_the_base_case(run_cli):
    runs = [json.loads(run_cli("sweep", *GRID, "--format", "json", *extra)[1])
            for extra in ([], ["--set", "power_price=80 USD/MWh"])]
    assert runs[1]["range"]["npv_mine"]["max"]["value"] < runs[0]["range"]["npv_mine"]["max"][
        "value"]


@pytest.mark.parametrize("suffix", ["nc", "csv", "json"])
def test_sweep_out(run_cli, tmp_path, suffix):
    out = tmp_path / f"s.{suffix}"
    code, stdout, err = run_cli("sweep", *GRID, "--out", str(out))
    assert code == 0, err
    assert stdout == "" and f"wrote {out}" in err
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    if suffix == "nc":
        with xr.open_dataset(out, engine="h5netcdf") as ds:
            assert ds["npv_mine"].shape == (3, 2)
    elif suffix == "csv":
        rows = list(csv.reader(io.StringIO(out.read_text())))
        assert len(rows) == 7 and rows[0][0] == "btc_price [USD/BTC]"
    else:
        assert json.loads(out.read_text())["dims"] == {"btc_price": 3, "gpu_hour_price": 2}


def test_chunked_sweep_to_netcdf_matches(run_cli, tmp_path):
    # 80 scenarios (17 kB) over a budget of 10 kB: written chunk by chunk
    grid = ["--vary", "btc_price=60000:140000:40", "--vary", "gpu_hour_price=2,4"]
    small, big = tmp_path / "a.nc", tmp_path / "b.nc"
    assert run_cli("sweep", *grid, "--out", str(small))[0] == 0
    code, _, err = run_cli("sweep", *grid, "--out", str(big), "--memory-budget", "10 kB",
                           "--chunks", "auto", "--progress")
    assert code == 0, err
    assert "sweep (chunks)" in err  # the progress bar went to stderr
    with xr.open_dataset(small, engine="h5netcdf") as a, \
            xr.open_dataset(big, engine="h5netcdf") as b:
        xr.testing.assert_identical(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc", "b.nc"]


@pytest.mark.parametrize("args, pieces", [
    (["--vary", "btc_price="], ["vary btc_price", "empty range"]),
    (["--vary", "btc_price=1:2:0"], ["step count must be positive, got 0"]),
    (["--vary", "btc_price=1:2:-3"], ["step count must be positive, got -3"]),
    (["--vary", "btc_prize=1:2:3"], ["unknown input 'btc_prize'", "did you mean 'btc_price'"]),
    (["--vary", "btc_price"], ["--vary", "not NAME=start:stop:n"]),
    (["--vary", "pue=1.1,1.2", "--vary", "pue=1.3"], ["pue is varied twice"]),
    (["--vary", "utilization=0.5:1.5:3"], ["vary utilization", "1.5"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "sideways"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--memory-budget", "lots"], ["not an amount of memory"]),
    (["--vary", "btc_price=1:2:3", "--set", "pie=1.2"], ["--set pie", "did you mean", "'pue'"]),
])
def test_sweep_bad_input(run_cli, args, pieces):
    _one_error_line(*run_cli("sweep", *args), *pieces)


def test_over_budget_with_chunking_off_leaves_no_file(run_cli, tmp_path):
    out = tmp_path / "s.nc"
    result = run_cli("sweep", *GRID, "--chunks", "off", "--memory-budget", "1 kB",
                     "--out", str(out))
    _one_error_line(*result, "over the memory budget", "chunking is off")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler(run_cli, tmp_path, monkeypatch):
    import rackplan.studyio

    monkeypatch.setattr(rackplan.studyio, "SCHEDULER_TIMEOUT_S", 1)
    out = tmp_path / "s.nc"
    # port 9 (discard) has no dask scheduler listening on this machine
    result = run_cli("sweep", *GRID, "--scheduler", "tcp://127.0.0.1:9", "--out", str(out))
    _one_error_line(*result, "--scheduler", "cannot reach dask scheduler 'tcp://127.0.0.1:9'")
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_is_not_a_dask_scheduler(run_cli, tmp_path):
    """Something answers on the port, but not dask: one clear line, quickly."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer_garbage():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"\xff" * 64)
            conn.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    address = "tcp://127.0.0.1:%d" % server.getsockname()[1]
    try:
        result = run_cli("sweep", *GRID, "--scheduler", address, "--out", str(tmp_path / "s.nc"))
    finally:
        server.close()
    _one_error_line(*result, f"cannot reach dask scheduler '{address}'")
    assert list(tmp_path.iterdir()) == []


def test_bad_out_format(run_cli, tmp_path):
    _one_error_line(*run_cli("sweep", *GRID, "--out", str(tmp_path / "s.xlsx")),
                    "--out", "use .nc, .csv or .json")
    assert list(tmp_path.iterdir()) == []


# --- montecarlo ---------------------------------------------------------------------------------


def test_montecarlo_json_is_reproducible(run_cli):
    args = ("montecarlo", "--paths", "400", "--seed", "7", "--format", "json")
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert data["run"] == {"paths": 400, "seed": 7, "years": 5}
    p = sum(data[o]["win_probability"]["value"] for o in ("mine", "gpuaas", "colocation"))
    assert p == pytest.approx(100)
    q = [data["gpuaas"][f"npv_p{k}"]["value"] for k in (5, 50, 95)]
    assert q == sorted(q) and data["gpuaas"]["npv_p5"]["unit"] == "USD"
    assert run_cli(*args)[1] == out  # the same seed gives the same bytes


def test_montecarlo_table_and_options(run_cli, tmp_path):
    out = tmp_path / "paths.csv"
    code, stdout, err = run_cli("montecarlo", "--paths", "300", "--seed", "1", "--years", "3",
                                "--btc-volatility", "60 %", "--correlation", "0.5",
                                "--btc-drift", "10 %", "--out", str(out))
    assert code == 0, err
    assert "win probability" in stdout and "%" in stdout
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert len(rows) == 301 and "npv_mine [USD]" in rows[0]


def test_montecarlo_netcdf(run_cli, tmp_path):
    out = tmp_path / "mc.nc"
    assert run_cli("montecarlo", "--paths", "200", "--out", str(out))[0] == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["path"] == 200
        assert ds["npv"].dims == ("option", "percentile")
        assert ds.attrs["seed"] == 0


@pytest.mark.parametrize("args, pieces", [
    (["--paths", "0"], ["paths", "from 1"]),
    (["--seed", "-2"], ["seed", "from 0"]),
    (["--correlation", "2"], ["correlation", "outside -1 to 1"]),
    (["--btc-volatility", "fast"], ["--btc-volatility"]),
    (["--set", "utilization=1.5"], ["utilization", "1.5"]),
])
def test_montecarlo_bad_input(run_cli, args, pieces):
    _one_error_line(*run_cli("montecarlo", "--paths", "10", *args), *pieces)


def test_cli_defaults_are_the_sourced_constants():
    """The defaults shown in --help are the module's constants (with their sources)."""
    import inspect

    from rackplan.cli.study_cmd import montecarlo_command

    sig = inspect.signature(montecarlo_command)
    for name in ("btc_volatility", "difficulty_volatility", "gpu_price_volatility",
                 "utilization_volatility", "correlation"):
        assert float(sig.parameters[name].default.default) == mc.DEFAULTS[name], name


# --- breakeven ----------------------------------------------------------------------------------


def test_breakeven_table_json_csv(run_cli):
    args = ("breakeven", "--x", "gpu_hour_price=2:5:4", "--y", "power_price=30,60")
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert "USD/BTC" in out and "power_price" in out and "gpu_hour_price" in out
    data = json.loads(run_cli(*args, "--format", "json")[1])
    assert data["solve_for"] == "btc_price" and data["unit"] == "USD/BTC"
    assert data["x"]["values"] == [2.0, 3.0, 4.0, 5.0]
    assert np.asarray(data["values"]).shape == (2, 4)
    rows = list(csv.reader(io.StringIO(run_cli(*args, "--format", "csv")[1])))
    assert rows[0] == ["power_price [USD/MWh]", "gpu_hour_price [USD/hour]",
                       "breakeven_btc_price [USD/BTC]"]
    assert len(rows) == 1 + 8


def test_breakeven_bad_input(run_cli):
    _one_error_line(*run_cli("breakeven", "--x", "gpu_hour_price=2:5:4", "--y",
                             "gpu_hour_price=1:2:2"), "both gpu_hour_price")
    _one_error_line(*run_cli("breakeven", "--x", "btc_price=1:2:2", "--y", "pue=1.1,1.2"),
                    "btc_price is solved for")
