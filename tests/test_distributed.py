"""The same sweep on a ``dask.distributed`` cluster: the result must equal the in-process one.

A ``LocalCluster`` of two single-threaded workers in this process (``processes=False``: the
workers share the compiled numba kernels, so the test stays fast; the graph, the scheduler
and the task transport are the distributed ones all the same).
"""

from __future__ import annotations

import pytest
import xarray as xr

distributed = pytest.importorskip("distributed")

from rackplan.sweep import sweep  # noqa: E402

VARY = {"btc_price": "60000:140000:5", "power_price": [30, 45, 60], "utilization": [0.7, 0.9]}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def local():
    return sweep(vary=VARY)


def test_distributed_equals_in_process(client, local):
    remote = sweep(vary=VARY, client=client, chunks=5)
    assert client.run(lambda: 1)  # both workers answered
    xr.testing.assert_identical(remote, local)


def test_distributed_netcdf_written_as_it_goes(client, local, tmp_path):
    out = tmp_path / "sweep.nc"
    # 30 scenarios (6.6 kB) over a budget of 6 kB: chunks computed on the cluster, written
    # to the file here
    back = sweep(vary=VARY, client=client, chunks=2, memory_budget="6 kB", out=out)
    try:
        assert back["npv_mine"].chunks is not None  # over the budget: read back lazily
        xr.testing.assert_equal(back.compute(), local)
    finally:
        back.close()
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.nc"]


def test_scheduler_address(client, local):
    remote = sweep(vary=VARY, client=client.scheduler.address, chunks=7)
    xr.testing.assert_identical(remote, local)
