"""The same sweep on a ``dask.distributed`` cluster: the result must equal the in-process one.

A ``LocalCluster`` of two single-threaded workers in this process (``processes=False``: the
workers share the compiled numba kernels, so the test stays fast; the graph, the scheduler
and the task transport are the distributed ones all the same).
"""

from __future__ import annotations

import pytest
import xarray as xr

distributed = pytest.importorskip("distributed")

from rackplan.studies.sweep import sweep  # noqa: E402

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


def test_a_failing_chunk_on_the_cluster_leaves_nothing(client, tmp_path, monkeypatch):
    """The chunks come back to this process, which alone writes the file: a chunk that fails
    on a worker is one StudyError naming the output, and the partial file is gone."""
    import importlib

    from rackplan.errors import StudyError

    sweep_module = importlib.import_module("rackplan.studies.sweep")

    def broken(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sweep_module, "_compute_block", broken)
    with pytest.raises(StudyError, match=r"^out: .*s\.nc: cannot write"):
        sweep(vary=VARY, client=client, chunks=2, memory_budget="6 kB", out=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", [3, 2.5, object(), ["tcp://127.0.0.1:1"]])
def test_a_bad_client(bad):
    from rackplan.errors import StudyError

    with pytest.raises(StudyError, match="^client: must be a dask.distributed Client"):
        sweep(vary=VARY, client=bad)


def test_without_distributed_the_message_does_not_name_a_missing_extra(monkeypatch):
    """dask and distributed are core dependencies: the message says to reinstall rackplan,
    not to install an extra that no longer exists."""
    import sys

    from rackplan.errors import StudyError
    from rackplan.studies.io import connect

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(StudyError) as exc:
        connect("tcp://127.0.0.1:9")
    assert "reinstall rackplan" in str(exc.value) and "[scale]" not in str(exc.value)
