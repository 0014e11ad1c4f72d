"""Failures on a 2-worker LocalCluster (127.0.0.1): a worker that dies mid-map has its tasks run
again elsewhere (with no retries for raised errors at all, so the scheduler's rescheduling is
what saves them); a task that raises is retried EARTHSIGHT_CLUSTER_RETRIES times; a task that
kills every worker it lands on is a ClusterError; a real Ctrl-C (SIGINT) while waiting for a
result cancels the map; a bad retries setting names itself."""

from __future__ import annotations

import inspect
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from specialists.runtime.cluster import (
    RETRIES_ENV,
    ClusterError,
    DaskExecutor,
    InProcess,
    Placement,
    executor,
)

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers get these functions


def _die_once(x: int, marker: str) -> int:
    """Kills the worker process running it the first time item 3 runs (``marker`` records it)."""
    if x == 3 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    time.sleep(0.02)
    return x * x


def _fail_once(x: int, marker: str) -> int:
    """Raises OSError the first time item 2 runs (a transient read error)."""
    if x == 2 and not os.path.exists(marker):
        Path(marker).touch()
        raise OSError("transient read error")
    return x + 1


def _always_die(x: int) -> int:
    os._exit(1)


def _wait_for_two(local2: DaskExecutor) -> set[str]:
    local2.client.wait_for_workers(2, timeout=30)
    return set(local2.client.scheduler_info()["workers"])


def test_lost_worker_tasks_run_elsewhere(local2: DaskExecutor, tmp_path: Path) -> None:
    before = _wait_for_two(local2)
    marker = tmp_path / "killed"
    items = list(range(16))
    expected = list(InProcess().map(lambda x: x * x, items))
    local2.retries = 0  # only the scheduler's rescheduling of a lost worker's tasks is left
    try:
        placement = Placement()
        got = list(local2.map(_die_once, items, str(marker), placement=placement, label="die"))
    finally:
        local2.retries = 2
    assert marker.exists()  # a worker did die, mid-map
    assert got == expected and placement.tasks == 16
    after = _wait_for_two(local2)  # the nanny restarted the dead worker on a new port
    assert len(after) == 2 and after != before


def test_raised_error_is_retried(local2: DaskExecutor, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RETRIES_ENV, raising=False)
    ex = executor("local:2")
    assert ex is local2 and local2.retries == 2
    assert list(ex.map(_fail_once, [1, 2, 3], str(tmp_path / "a"))) == [2, 3, 4]
    assert (tmp_path / "a").exists()
    monkeypatch.setenv(RETRIES_ENV, "0")
    ex = executor("local:2")
    with pytest.raises(OSError, match="transient read error"):
        list(ex.map(_fail_once, [1, 2, 3], str(tmp_path / "b")))
    monkeypatch.delenv(RETRIES_ENV)
    assert executor("local:2") is local2 and local2.retries == 2


@pytest.mark.parametrize("raw", ["-1", "two", "101", "1.5"])
def test_bad_retries_setting(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RETRIES_ENV, raw)
    with pytest.raises(ClusterError) as err:
        executor("local:2")
    assert f"{RETRIES_ENV}={raw!r}" in str(err.value) and "0 to 100" in str(err.value)


def test_task_that_kills_its_workers_is_an_error(local2: DaskExecutor) -> None:
    _wait_for_two(local2)
    started = time.perf_counter()
    with pytest.raises(ClusterError) as err:
        list(local2.map(_always_die, [1], label="killer"))
    message = str(err.value)
    assert "EARTHSIGHT_CLUSTER" in message and "killer-" in message
    assert "memory" in message and "EARTHSIGHT_TILE_SIZE" in message
    assert time.perf_counter() - started < 60
    assert len(_wait_for_two(local2)) == 2  # the cluster is usable again
    assert list(local2.map(abs, [-1, -2])) == [1, 2]


def _scheduler_tasks(dask_scheduler: Any) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks]


def test_real_ctrl_c_while_waiting_cancels_the_map(local2: DaskExecutor) -> None:
    """SIGINT arrives while the caller blocks on a task's result: every task of the map,
    the one being waited for included, is cancelled."""
    _wait_for_two(local2)
    # Python's own Ctrl-C handler (a run started in the background inherits SIGINT ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    found = local2.map(time.sleep, [2.0] * 6, label="interrupted")
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            list(found)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert inspect.getgeneratorstate(found) == "GEN_CLOSED"  # its clean-up ran
    deadline = time.monotonic() + 10
    while any(k.startswith("interrupted-") for k in local2.client.run_on_scheduler(
            _scheduler_tasks)):
        assert time.monotonic() < deadline, "tasks of the interrupted map are still there"
        time.sleep(0.05)
