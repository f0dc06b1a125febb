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

# The module, not the public function of the same name (rackplan.studies.montecarlo).
mc = importlib.import_module("rackplan.studies.montecarlo")

GRID = ["--vary", "btc_price=60000:140000:3", "--vary", "gpu_hour_price=2,4"]
#: Miners that hash in every month: mining's NPV is then linear in the BTC price, and the BTC
#: breakeven exists at every point (with miners that switch off, the built-in mining never
#: loses more than its idle fleet costs, so it stays ahead of GPU-as-a-service at any price)
HASHING = ("--set", "miner_shutdown=false")


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
    code, out, err = run_cli("sweep", *GRID, *HASHING)
    assert code == 0, err
    assert "btc_price" in out and "USD/BTC" in out and "USD/h" in out
    assert "scenarios" in out and "npv_gpuaas_minus_mine" in out
    assert "%" in out  # the share of the grid each option wins
    # money in M USD as compare shows it (JSON keeps USD); a BTC breakeven below zero is "none"
    row = next(line for line in out.splitlines() if "npv_gpuaas " in line)
    assert "M USD" in row and "," not in row  # -164.5, not -164,529,104
    btc = next(line for line in out.splitlines() if "breakeven_btc_price" in line)
    assert btc.count("none") == 3 and "-" not in btc.split("│")[2]
    assert "none: a breakeven below zero" in out


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
    import rackplan.studies.io

    monkeypatch.setattr(rackplan.studies.io, "SCHEDULER_TIMEOUT_S", 1)
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
    assert {k: data["run"][k] for k in ("paths", "seed", "years")} == {"paths": 400, "seed": 7,
                                                                       "years": 5}
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
    npv = next(line for line in stdout.splitlines() if "npv p50" in line)
    assert npv.rstrip(" │").endswith("M USD") and "e+" not in npv
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


def test_a_breakeven_below_zero_reads_none(run_cli):
    """Where the NPVs meet only at a negative BTC price (GPU-as-a-service at 2 or 4 USD/hour
    trails mining at any BTC price), the table says "none" and why, never a negative price;
    JSON keeps where the lines cross, and the positive cells are the same in both."""
    args = ("breakeven", "--x", "gpu_hour_price=2:6:3", "--y", "power_price=20,80", *HASHING)
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(run_cli(*args, "--format", "json")[1])
    values = np.asarray(data["values"])
    assert (values[:, :2] < 0).all() and (values[:, 2] > 0).all()
    rows = [line for line in out.splitlines() if line.lstrip("│ ").startswith(("20 ", "80 "))]
    assert len(rows) == 2 and all(row.count("none") == 2 for row in rows)
    assert "-" not in "".join(rows)
    assert f"{values[0, 2]:,.0f}" in rows[0]
    assert "none: no BTC price makes the two NPVs equal there: they meet only below 0" in out


def test_breakeven_bad_input(run_cli):
    _one_error_line(*run_cli("breakeven", "--x", "gpu_hour_price=2:5:4", "--y",
                             "gpu_hour_price=1:2:2"), "both gpu_hour_price")
    _one_error_line(*run_cli("breakeven", "--x", "btc_price=1:2:2", "--y", "pue=1.1,1.2"),
                    "btc_price is solved for")


# --- bad input of every kind: one line naming the option, exit code 2 ---------------------------


def _nothing_left(folder, keep=()):
    left = sorted(p.name for p in folder.iterdir() if p.name not in keep)
    assert left == [], left


@pytest.mark.parametrize("args, pieces", [
    # varied inputs out of their models' ranges
    (["--vary", "gpu_rack_footprint=-1,0"], ["--vary gpu_rack_footprint", "greater than 0"]),
    (["--vary", "gpu_rack_footprint=0:3:4"], ["--vary gpu_rack_footprint", "greater than 0"]),
    (["--vary", "miner_power=-5000,0,5000"], ["--vary miner_power", "-5000 W"]),
    (["--vary", "miner_power=0:5000:3"], ["--vary miner_power", "0 W"]),
    (["--vary", "pue_mine=0.5,0"], ["--vary pue_mine", "must be at least 1"]),
    (["--vary", "pue_gpu=1.2,0.8"], ["--vary pue_gpu", "0.8 must be at least 1"]),
    (["--vary", "pue=0:2:3"], ["--vary pue", "must be at least 1"]),
    (["--vary", "gpus_per_unit=0,72"], ["--vary gpus_per_unit"]),
    (["--vary", "utilization=-1,0.5"], ["--vary utilization"]),
    (["--vary", "btc_price=nan,1"], ["--vary btc_price", "finite"]),
    (["--vary", "btc_price=1:inf:3"], ["--vary btc_price", "finite"]),
    (["--vary", "btc_price=1:2:nan"], ["--vary btc_price", "not a whole number"]),
    # --chunks
    (["--vary", "btc_price=1:2:3", "--chunks", "nan"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "inf"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "0"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "-1"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "2.5"], ["--chunks: must be"]),
    (["--vary", "btc_price=1:2:3", "--chunks", "1e400"], ["--chunks: must be"]),
    # --memory-budget
    (["--vary", "btc_price=1:2:3", "--memory-budget", "1 PB"], ["--memory-budget",
                                                                 "more than this machine"]),
    (["--vary", "btc_price=1:2:3", "--memory-budget", "nan GB"], ["--memory-budget"]),
    (["--vary", "btc_price=1:2:3", "--memory-budget", "-1 GB"], ["--memory-budget"]),
    (["--vary", "btc_price=1:2:3", "--memory-budget", "0 B"], ["--memory-budget"]),
    (["--vary", "btc_price=1:2:3", "--memory-budget", ""], ["--memory-budget"]),
    # --years
    (["--vary", "btc_price=1:2:3", "--years", "abc"], ["--years"]),
    (["--vary", "btc_price=1:2:3", "--years", "0"], ["--years"]),
    (["--vary", "btc_price=1:2:3", "--years", "1.5"], ["--years"]),
    (["--vary", "btc_price=1:2:3", "--years", "51"], ["--years"]),
    # sizes, before anything is allocated
    (["--vary", "btc_price=1:2:1e9", "--memory-budget", "100 MB", "--out", "s.nc"],
     ["--memory-budget", "1,000,000,000 values"]),
    (["--vary", "btc_price=1:2:1e12"], ["--memory-budget"]),
    (["--vary", "btc_price=1:2:1e6", "--vary", "power_price=1:2:1e4", "--out", "s.csv"],
     ["--out", "write large sweeps as .nc"]),
    (["--vary", "btc_price=1:2:1e6", "--vary", "power_price=1:2:1e3", "--chunks", "off"],
     ["--chunks", "chunking is off"]),
])
def test_sweep_bad_input_of_every_kind(run_cli, tmp_path, monkeypatch, args, pieces):
    monkeypatch.chdir(tmp_path)
    _one_error_line(*run_cli("sweep", *args), *pieces)
    _nothing_left(tmp_path)


@pytest.mark.parametrize("command, args", [
    ("sweep", ["--vary", "btc_price=60000:140000:3"]),
    ("montecarlo", ["--paths", "20"]),
    ("breakeven", ["--x", "gpu_hour_price=2:5:4", "--y", "power_price=30,60"]),
])
@pytest.mark.parametrize("out, pieces", [
    ("{tmp}/folder", ["is a folder"]),
    ("{tmp}/folder.nc", ["is a folder"]),
    ("{tmp}/nowhere/x.nc", ["does not exist"]),
    ("{tmp}/x.xlsx", ["unknown output format '.xlsx'"]),
    ("{tmp}/x", ["unknown output format"]),
    ("{tmp}/file.txt/x.nc", ["is not a folder"]),
    ("/proc/self/x.nc", ["cannot write in /proc/self"]),
    ("", ["empty file name"]),
])
def test_bad_out_of_every_kind(run_cli, tmp_path, command, args, out, pieces):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.nc").mkdir()
    (tmp_path / "file.txt").write_text("x")
    _one_error_line(*run_cli(command, *args, "--out", out.format(tmp=tmp_path)), "--out",
                    *pieces)
    _nothing_left(tmp_path, keep=("folder", "folder.nc", "file.txt"))
    assert not any((tmp_path / "folder").iterdir())


@pytest.mark.parametrize("command, args", [
    ("sweep", ["--vary", "btc_price=60000:140000:3"]),
    ("montecarlo", ["--paths", "20"]),
    ("breakeven", ["--x", "gpu_hour_price=2:5:4", "--y", "power_price=30,60"]),
])
def test_a_full_disk(run_cli, tmp_path, monkeypatch, command, args):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1000))
    _one_error_line(*run_cli(command, *args, "--out", str(tmp_path / "x.nc")), "--out",
                    "on disk, but only 1 kB is free")
    _nothing_left(tmp_path)


def test_an_io_error_while_writing(run_cli, tmp_path, monkeypatch):
    def broken(self, path, **kwargs):
        open(path, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    _one_error_line(*run_cli("sweep", *GRID, "--out", str(tmp_path / "x.nc")), "--out",
                    "cannot write (No space left on device)")
    _nothing_left(tmp_path)


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(run_cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        _one_error_line(*run_cli("sweep", *GRID, "--out", str(folder / "x.nc")), "--out",
                        "cannot write in")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("args, pieces", [
    (["--btc-volatility", "nan"], ["--btc-volatility", "not a finite number"]),
    (["--btc-volatility", "inf"], ["--btc-volatility"]),
    (["--btc-volatility", "-inf"], ["--btc-volatility"]),
    (["--btc-volatility", "1e400"], ["--btc-volatility"]),
    (["--btc-volatility", ""], ["--btc-volatility"]),
    (["--difficulty-volatility", "2"], ["--difficulty-volatility", "outside 0 to 1"]),
    (["--gpu-price-volatility", "nan"], ["--gpu-price-volatility"]),
    (["--utilization-volatility", "-0.5"], ["--utilization-volatility"]),
    (["--correlation", "2"], ["--correlation", "outside -1 to 1"]),
    (["--correlation", "nan"], ["--correlation"]),
    (["--correlation", "50 W"], ["--correlation"]),
    (["--btc-drift", "nan"], ["--btc-drift"]),
    (["--btc-drift", "-100 %"], ["--btc-drift"]),
    (["--paths", "abc"], ["--paths", "not a whole number"]),
    (["--paths", "1.5"], ["--paths"]),
    (["--paths", "0"], ["--paths"]),
    (["--paths", ""], ["--paths"]),
    (["--paths", "1e9"], ["--paths"]),
    (["--paths", "9" * 30], ["--paths"]),
    (["--seed", "-1"], ["--seed"]),
    (["--seed", "abc"], ["--seed"]),
    (["--seed", str(2**64)], ["--seed"]),
    (["--years", "0"], ["--years"]),
    (["--years", "abc"], ["--years"]),
    (["--memory-budget", "1 PB"], ["--memory-budget", "more than this machine"]),
    (["--memory-budget", "abc"], ["--memory-budget"]),
    (["--memory-budget", "1 kB"], ["--paths", "over the memory budget"]),
])
def test_montecarlo_bad_input_of_every_kind(run_cli, args, pieces):
    _one_error_line(*run_cli("montecarlo", "--paths", "10", *args), *pieces)


@pytest.mark.parametrize("command, args", [
    ("sweep", ["--vary", "btc_price=60000:140000:3"]),
    ("montecarlo", ["--paths", "20"]),
    ("breakeven", ["--x", "gpu_hour_price=2:5:4", "--y", "power_price=30,60"]),
])
@pytest.mark.parametrize("setting", ["utility_power=[]", "pue=[1.1, 1.2]", "pue={a=1}"])
def test_one_value_per_set(run_cli, command, args, setting):
    name = setting.split("=")[0]
    _one_error_line(*run_cli(command, *args, "--set", setting), f"--set {name}: ",
                    "one value is expected")


def test_montecarlo_budget_beyond_the_machine(run_cli, monkeypatch):
    import rackplan.studies.io

    monkeypatch.setattr(rackplan.studies.io, "physical_memory", lambda: 16e9)
    _one_error_line(*run_cli("montecarlo", "--paths", "100000000", "--memory-budget", "100 GB"),
                    "--memory-budget: 100 GB is more than this machine's memory (16 GB)")


@pytest.mark.parametrize("args, pieces", [
    (["--x", "gpu_hour_price=1:2:1e9", "--y", "power_price=30,40", "--format", "csv"],
     ["--memory-budget", "1,000,000,002 values"]),
    (["--x", "gpu_hour_price=1:2:1e5", "--y", "power_price=1:2:1e4", "--format", "csv"],
     ["--memory-budget", "the result of 1,000,000,000 scenarios"]),
    (["--x", "gpu_hour_price=1:2:1e9", "--y", "power_price=30,40"], ["--format", "too many"]),
    (["--x", "gpu_hour_price=1:2:300", "--y", "power_price=1:2:300"], ["--format",
                                                                       "too many"]),
    (["--x", "gpu_hour_price=1:2:3", "--y", "power_price=30,40", "--memory-budget", "1 PB"],
     ["--memory-budget"]),
    (["--x", "gpu_hour_price=-1:2:3", "--y", "power_price=30,40"], ["--x: gpu_hour_price"]),
    (["--x", "gpu_hour_price=1:2:3", "--y", "power_price=-30,40"], ["--y: power_price"]),
    (["--x", "gpu_hour_prize=1:2:3", "--y", "power_price=30,40"], ["--x", "did you mean"]),
    (["--x", "gpu_hour_price=1:2:3", "--y", "power_price=30,40", "--years", "abc"],
     ["--years"]),
    (["--x", "gpu_hour_price=1:2:3", "--y", "power_price=30,40", "--solve-for", "pue"],
     ["--solve-for"]),
])
def test_breakeven_bad_input_of_every_kind(run_cli, args, pieces):
    _one_error_line(*run_cli("breakeven", *args), *pieces)


# --- undefined figures: never NaN or infinity, always a warning that says why -------------------


NO_FIT = ["--vary", "utility_power=0.001,0.1,1"]


def test_sweep_summary_with_undefined_figures(run_cli):
    for fmt in ("table", "json", "csv"):
        code, out, err = run_cli("sweep", "--vary", "utility_power=0.001", "--format", fmt)
        assert code == 0, err
        assert "nan" not in out.lower() and "inf" not in out.lower().replace("info", "")
        lines = err.strip().splitlines()
        assert lines and all(line.startswith("rackplan: warning: ") for line in lines)
        assert "breakeven_btc_price is undefined at every scenario" in err
        assert "no miner fits the site at 1 of 1 scenarios" in err
        assert len(lines) == len(set(lines))  # each warning once
        if fmt == "json":
            data = json.loads(out)
            assert data["range"]["breakeven_btc_price"]["min"] is None
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(out)))
            row = next(r for r in rows if r[:2] == ["range.breakeven_btc_price", "min"])
            assert row[2] == ""
        else:
            assert "n/a" in out


def test_sweep_warns_where_no_unit_fits(run_cli):
    code, out, err = run_cli("sweep", *NO_FIT, "--format", "json")
    assert code == 0, err
    assert "no GPU system fits the site at 2 of 3 scenarios" in err
    assert "breakeven_gpu_hour_price is undefined at 2 of 3 scenarios" in err
    data = json.loads(out)
    assert data["range"]["breakeven_gpu_hour_price"]["min"]["value"] > 0


def test_breakeven_surface_with_undefined_points(run_cli):
    args = ("breakeven", "--x", "utility_power=0.001,1", "--y", "power_price=30,60", *HASHING)
    for fmt in ("table", "json", "csv"):
        code, out, err = run_cli(*args, "--format", fmt)
        assert code == 0, err
        assert "nan" not in out.lower() and "inf" not in out.lower()
        assert "breakeven_btc_price is undefined at 2 of 4 grid points" in err
        if fmt == "json":
            data = json.loads(out)
            assert [row[0] for row in data["values"]] == [None, None]
            assert all(v is not None for v in (row[1] for row in data["values"]))
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(out)))
            assert rows[1][2] == "" and rows[2][2] != ""
        else:
            assert "n/a" in out


def test_montecarlo_warns_where_no_unit_fits(run_cli):
    code, out, err = run_cli("montecarlo", "--paths", "20", "--set",
                             "utility_power=0.001 MW", "--format", "json")
    assert code == 0, err
    assert "rackplan: warning: no miner fits the site" in err
    json.loads(out)


def test_breakeven_out(run_cli, tmp_path):
    out = tmp_path / "be.csv"
    code, stdout, err = run_cli("breakeven", "--x", "gpu_hour_price=2:5:4", "--y",
                                "power_price=30,60", "--out", str(out), "--format", "json")
    assert code == 0, err
    assert f"wrote {out}" in err and [p.name for p in tmp_path.iterdir()] == ["be.csv"]
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert len(rows) == 1 + 8 and rows[0][2] == "breakeven_btc_price [USD/BTC]"


# --- signals during a chunked write -------------------------------------------------------------


@pytest.mark.slow
def test_signals_during_a_chunked_write_leave_nothing(tmp_path):
    """``rackplan sweep ... --out x.nc`` over a 4,000,000-point grid with a 200 MB budget
    writes chunk by chunk. SIGINT, SIGTERM or SIGHUP once the temporary file exists (and two
    SIGINTs in a row: the second, during the clean-up, is ignored): exit code 128 + the signal (130, 143, 129), at most one line on stderr,
    no traceback, and no file and no partial file left. Seven runs side by side."""
    import os
    import signal
    import subprocess
    import sys
    import time

    runs = [("SIGINT", 0.3, 1), ("SIGINT", 1.0, 1), ("SIGTERM", 0.3, 1), ("SIGTERM", 1.0, 1),
            ("SIGHUP", 0.3, 1), ("SIGHUP", 1.0, 1), ("SIGINT", 0.5, 2)]
    script = "import sys; from rackplan.cli import _console_main; sys.argv[0] = 'rackplan'; " \
             "_console_main()"
    procs = []
    for i, (name, delay, times) in enumerate(runs):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        argv = [sys.executable, "-c", script, "sweep", "--vary",
                "btc_price=50000:150000:2000", "--vary", "power_price=20:80:2000",
                "--memory-budget", "200 MB", "--out", str(folder / "x.nc")]
        procs.append((folder, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True)))
    sent = [None] * len(runs)
    start = time.monotonic()
    while None in sent and time.monotonic() - start < 120:
        for i, ((folder, proc), (name, delay, times)) in enumerate(zip(procs, runs)):
            if sent[i] is not None:
                continue
            partial = [p for p in folder.iterdir() if p.name.endswith(".partial")]
            if partial or proc.poll() is not None:
                sent[i] = time.monotonic() + delay
        time.sleep(0.02)
    pending = list(range(len(runs)))
    while pending:
        now = time.monotonic()
        for i in list(pending):
            if now >= sent[i]:
                name, _, times = runs[i]
                for k in range(times):
                    procs[i][1].send_signal(getattr(signal, name))
                    time.sleep(0.01)  # the second lands during the clean-up
                pending.remove(i)
        time.sleep(0.01)
    for (folder, proc), (name, delay, times) in zip(procs, runs):
        out, err = proc.communicate(timeout=120)
        signum = int(getattr(signal, name))
        # A second signal that arrives once the run has ended, while Python finalizes (which
        # resets the handlers to the default), ends the process by that signal: the shell shows
        # 130 all the same; the clean-up and the one line are done by then.
        codes = (128 + signum,) if times == 1 else (128 + signum, -signum)
        assert proc.returncode in codes, (name, delay, proc.returncode, err)
        assert "Traceback" not in err, err
        assert len(err.strip().splitlines()) <= 1, err
        assert err.startswith("rackplan: interrupted"), err
        assert list(folder.iterdir()) == [], (name, delay, list(folder.iterdir()))
    assert os.path.exists(tmp_path)


@pytest.mark.parametrize("args", [
    ["sweep", "--vary", "btc_price=1:2:1e9", "--memory-budget", "100 MB", "--out", "s.nc"],
    ["sweep", "--vary", "btc_price=1:2:1e12"],
    ["sweep", "--vary", "btc_price=1:2:1e5", "--vary", "power_price=1:2:1e5"],
    ["breakeven", "--x", "gpu_hour_price=1:2:1e9", "--y", "power_price=30,40", "--format",
     "json"],
    ["montecarlo", "--paths", "100000000"],
])
def test_huge_requests_are_refused_without_allocating(run_cli, tmp_path, monkeypatch, args):
    import tracemalloc

    monkeypatch.chdir(tmp_path)
    run_cli("sweep", "--vary", "btc_price=1,2")  # modules and the case, loaded outside the count
    tracemalloc.start()
    try:
        result = run_cli(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    _one_error_line(*result)
    assert "--memory-budget" in result[2] or "--paths" in result[2]
    assert peak < 50e6, f"{peak / 1e6:.0f} MB traced"
    _nothing_left(tmp_path)


def test_breakeven_too_wide_for_a_table_goes_to_its_file_alone(run_cli, tmp_path):
    out = tmp_path / "be.nc"
    code, stdout, err = run_cli("breakeven", "--x", "gpu_hour_price=1:6:150",
                                "--y", "power_price=20:80:150", "--years", "2",
                                "--out", str(out), *HASHING)
    assert code == 0, err
    assert stdout == "" and err.strip() == f"rackplan: wrote {out}"
    assert xr.open_dataset(out).sizes == {"power_price": 150, "gpu_hour_price": 150}


def test_a_breakeven_table_reads_whole_at_80_columns(run_cli, monkeypatch):
    """Ten columns of BTC prices at 80 columns: thousands as "87.9k" (a line says so), no
    vertical rules, no cell cut to "87,9…"; wide enough, the full numbers."""
    from rich.console import Console

    import rackplan.cli.output as output
    import rackplan.cli.study_output as study_output

    buf = io.StringIO()
    narrow = lambda stderr=False: Console(file=buf, width=80, highlight=False,  # noqa: E731
                                          emoji=False, markup=False)
    monkeypatch.setattr(output, "console", narrow)
    monkeypatch.setattr(study_output, "console", narrow)
    code, _, err = run_cli("breakeven", "--x", "gpu_hour_price=1.5:6:10", "--y",
                           "power_price=20:80:7", *HASHING)
    assert code == 0, err
    text = buf.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    import re

    assert re.search(r" \d{2,3}(\.\d)?k ", text)  # 87,934 USD/BTC as 87.9k
    assert "k: thousand, M: million" in text and "none" in text
    buf.truncate(0)
    buf.seek(0)
    wide = lambda stderr=False: Console(file=buf, width=120, highlight=False,  # noqa: E731
                                        emoji=False, markup=False)
    monkeypatch.setattr(study_output, "console", wide)
    assert run_cli("breakeven", "--x", "gpu_hour_price=1.5:6:10", "--y",
                   "power_price=20:80:7", *HASHING)[0] == 0
    assert re.search(r" \d{2,3},\d{3} ", buf.getvalue()) and "thousand" not in buf.getvalue()
