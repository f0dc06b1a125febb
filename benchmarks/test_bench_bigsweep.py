"""A 10^9-point sweep, chunked: it must finish with peak memory under 1 GB (the engine issue).

The sweep runs in a subprocess (so its peak resident memory is its own) with a memory budget
of 1 GB: 10^9 points x 27 outputs would take 216 GB in memory, so
``rackplan.studies.sweep`` cuts the grid into dask chunks and writes the ``winner`` of every point to
netCDF as it goes (1 GB on disk), then the share of points each option wins is read back
chunk by chunk.

Full mode (``RACKPLAN_BENCH_FULL=1``) runs the whole 10^9 points (minutes on 2 cores). The
default and CI's short mode run 10^7 points with the same chunk size and extrapolate the time
linearly to 10^9 (``extrapolated_s_1e9`` in the JSON): every chunk is the same work, and the
peak memory is set by the chunk size and the number of threads, not by the grid's size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FULL = os.environ.get("RACKPLAN_BENCH_FULL") == "1"
BIG = 10**9
POINTS = BIG if FULL else 10**7
VARY = {
    "btc_price": f"40000:160000:{POINTS // 10**6}",
    "gpu_hour_price": "1:7:1000",
    "power_price": "10:110:1000",
}
BUDGET = "1 GB"

SCRIPT = """
import json, resource, sys, time
from rackplan.studies.sweep import sweep
vary, out, budget = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
t = time.perf_counter()
sweep(vary={"btc_price": [1e5, 2e5]}, chunks=1)  # compile the dask workers' kernel first
compile_s = time.perf_counter() - t
t = time.perf_counter()
ds = sweep(vary=vary, memory_budget=budget, out=out, outputs=["winner"])
written = time.perf_counter() - t
rss_written = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
share = [float((ds.winner == k).mean()) for k in range(3)]
ds.close()
print(json.dumps({"seconds": time.perf_counter() - t, "write_seconds": written,
                  "compile_seconds": compile_s, "peak_rss_mb_after_write": rss_written,
                  "share_won": share,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(out):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(VARY), str(out), BUDGET],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.benchmark(group="bigsweep", warmup=False)
def test_bigsweep(benchmark, tmp_path):
    result = benchmark.pedantic(_run, args=(tmp_path / "big.nc",), rounds=1, iterations=1)
    assert (tmp_path / "big.nc").exists()
    assert abs(sum(result["share_won"]) - 1.0) < 1e-9
    scale = BIG / POINTS
    benchmark.extra_info.update(
        points=POINTS, full=FULL, memory_budget=BUDGET, seconds=result["seconds"],
        peak_rss_mb=result["peak_rss_mb"], points_per_s=POINTS / result["write_seconds"],
        compile_s=result["compile_seconds"], peak_rss_mb_write=result["peak_rss_mb_after_write"],
        extrapolated_s_1e9=result["write_seconds"] * scale, share_won=result["share_won"])
