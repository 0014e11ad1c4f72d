"""Tests of the executor that decides where tiled work runs (``EARTHSIGHT_CLUSTER``): the
setting's forms and errors, in-process maps, and a 2-worker LocalCluster on 127.0.0.1 (order
kept, tasks and workers recorded, an early close cancels the rest)."""

from __future__ import annotations

import operator
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from specialists.runtime.cluster import (
    CLUSTER_ENV,
    IN_PROCESS,
    ClusterError,
    ClusterSpec,
    DaskExecutor,
    InProcess,
    Placement,
    executor,
    parse_cluster,
)

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("text", "spec"), [
    (None, ClusterSpec(IN_PROCESS)), ("", ClusterSpec(IN_PROCESS)),
    ("  ", ClusterSpec(IN_PROCESS)), ("local:2", ClusterSpec("local", workers=2)),
    ("LOCAL:16", ClusterSpec("local", workers=16)),
    ("tcp://10.0.0.5:8786", ClusterSpec("tcp", address="tcp://10.0.0.5:8786")),
    ("tcp://scheduler.lan:8786", ClusterSpec("tcp", address="tcp://scheduler.lan:8786")),
])
def test_parse_accepted_forms(text: str | None, spec: ClusterSpec) -> None:
    assert parse_cluster(text) == spec


@pytest.mark.parametrize("text", ["local", "local:0", "local:-1", "local:two", "ray://x:1",
                                  "10.0.0.5:8786", "tcp://host", "yes"])
def test_bad_setting_names_it_and_the_forms(text: str) -> None:
    with pytest.raises(ClusterError) as err:
        parse_cluster(text)
    message = str(err.value)
    assert CLUSTER_ENV in message and repr(text.strip()) in message
    assert "local:N" in message and "tcp://host:port" in message and "unset" in message


def test_unset_is_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    ex = executor()
    assert isinstance(ex, InProcess) and ex.in_process and ex.scheduler == IN_PROCESS
    placement = Placement()
    assert list(ex.map(operator.mul, [1, 2, 3], 10, placement=placement)) == [10, 20, 30]
    assert placement.tasks == 3 and placement.workers == {IN_PROCESS}


def test_in_process_map_is_lazy() -> None:
    seen: list[int] = []
    found = InProcess().map(seen.append, [1, 2, 3])
    assert seen == []
    next(found)
    assert seen == [1]


def test_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.setenv("EARTHSIGHT_CLUSTER_TIMEOUT", "1")
    started = time.perf_counter()
    with pytest.raises(ClusterError) as err:
        executor(address)
    assert time.perf_counter() - started < 20
    message = str(err.value)
    assert f"{CLUSTER_ENV}={address}" in message and "no Dask scheduler" in message
    assert "unset" in message


def test_bad_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_CLUSTER_TIMEOUT", "soon")
    with pytest.raises(ClusterError, match="EARTHSIGHT_CLUSTER_TIMEOUT"):
        executor("tcp://127.0.0.1:1")


def test_local_cluster_keeps_order_and_records_workers(local2: DaskExecutor) -> None:
    assert local2.scheduler.startswith("tcp://127.0.0.1:")
    assert executor("local:2") is local2  # started once per process, reused
    placement = Placement()
    items = list(range(40))
    assert list(local2.map(operator.mul, items, 3, placement=placement)) == [3 * i for i in items]
    assert placement.scheduler == local2.scheduler and placement.tasks == 40
    # tasks that take a while spread over both single-threaded workers
    spread = Placement()
    assert list(local2.map(time.sleep, [0.05] * 8, placement=spread)) == [None] * 8
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and spread.workers == workers
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)


def _scheduler_keys(dask_scheduler: Any) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks]


def test_early_close_cancels_the_rest(local2: DaskExecutor) -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the scheduler runs a helper
    placement = Placement()
    found = local2.map(time.sleep, [0.2] * 12, placement=placement, label="cancelled")
    assert next(found) is None
    found.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        keys = [k for k in local2.client.who_has() if str(k).startswith("cancelled-")]
        tasks = local2.client.run_on_scheduler(_scheduler_keys)
        if not keys and not any(k.startswith("cancelled-") for k in tasks):
            break
        time.sleep(0.1)
    else:
        pytest.fail("tasks of a closed map are still on the cluster")
    assert placement.tasks == 1


def test_errors_come_back_with_their_type(local2: DaskExecutor) -> None:
    with pytest.raises(ZeroDivisionError):
        list(local2.map(operator.truediv, [1, 2], 0))


def test_import_agent_and_tools_does_not_import_dask() -> None:
    code = ("import sys, agent, tools, tools.catalog, tools.geo.fanout; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_local_workers_keep_the_allocator_default(local2: DaskExecutor) -> None:
    """Dask's MALLOC_TRIM_THRESHOLD_ for workers (3x the page faults on tile temporaries, see
    bench/cluster_scaling.py) is not passed on; single-threaded maths libraries still are."""
    import os

    seen = local2.client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                      os.environ.get("OMP_NUM_THREADS")))
    assert len(seen) == 2
    assert all(trim is None and omp == "1" for trim, omp in seen.values()), seen
