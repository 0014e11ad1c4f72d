"""Failures while a tool's tiles run on a 2-worker LocalCluster (127.0.0.1), on the real
Sen1Floods11 scenes: a worker killed mid-scene (SIGKILL, while it holds tiles of the pass) has
its tiles run again elsewhere and the mask, polygons and numbers are byte-identical to an
in-process run; Ctrl-C (KeyboardInterrupt from the progress callback) in any pass, in-process
or on the cluster, cancels the tiles not yet read (nothing of the call is left on the
scheduler) and leaves no artifact in the manifest and no file or temporary in the workspace;
the same for detect_changes (CVA) in its magnitude and mask passes."""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from specialists.runtime.cluster import CLUSTER_ENV, DaskExecutor
from tests.conftest import write_tiff
from tests.tools.geo.cluster_runs import numbers
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.workspace import Workspace

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the scheduler runs a helper

S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
S2 = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"
TILE = 128  # 512 x 512 scenes: 16 tiles a pass


def _files(result: ToolResult) -> dict[str, str]:
    return {a.name: hashlib.sha256(Path(a.path).read_bytes()).hexdigest()
            for a in result.artifacts if a.kind in ("mask", "raster", "vector") and a.path}


def _scheduler_tasks(dask_scheduler: Any) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks]


def _two_workers(local2: DaskExecutor) -> set[str]:
    local2.client.wait_for_workers(2, timeout=30)
    return set(local2.client.scheduler_info()["workers"])


@pytest.mark.realdata
def test_worker_killed_mid_scene(data_dir: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    args = {"image": str(data_dir / S1)}
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    here = run_tool("map_water", args, Workspace(tmp_path / "here")).result
    _two_workers(local2)
    pids = local2.client.run(os.getpid)
    killed: list[tuple[str, int]] = []

    def kill_one(stage: str, done: int, total: int) -> None:
        if stage != "histogram" or done != 2 or killed:
            return
        holding = dict(local2.client.has_what())
        for worker, keys in local2.client.processing().items():
            holding[worker] = [*holding.get(worker, ()), *keys]
        victim = next(w for w, keys in sorted(holding.items())
                      if any(str(k).startswith("histogram-") for k in keys))
        os.kill(pids[victim], signal.SIGKILL)
        killed.append((victim, pids[victim]))

    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    there = run_tool("map_water", args, Workspace(tmp_path / "there"), progress=kill_one).result
    assert killed, "no worker held tiles of the histogram pass"
    assert _files(here) and _files(there) == _files(here)
    assert numbers(there) == numbers(here) and there.summary == here.summary
    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler
    assert run.tasks == 3 * 16  # every tile of every pass came back once
    after = _two_workers(local2)  # the nanny restarted the killed worker on a new port
    assert killed[0][0] not in after
    assert set(run.workers) & after  # later tiles ran on the workers there are now


def _files_in(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class _Interrupt:
    """A progress callback that presses Ctrl-C after ``after`` tiles of ``stage``."""

    def __init__(self, stage: str, after: int = 2) -> None:
        self.stage, self.after, self.fired = stage, after, False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == self.stage and done == self.after:
            self.fired = True
            raise KeyboardInterrupt


CASES = [(S1, {}, "speckle statistics"), (S1, {}, "histogram"), (S1, {}, "water mask"),
         (S2, {"min_area_m2": 5000}, "water mask"),
         (S2, {"min_area_m2": 5000}, "minimum mapping unit")]


@pytest.mark.realdata
@pytest.mark.parametrize("where", ["in-process", "local:2"])
@pytest.mark.parametrize(("scene", "extra", "stage"), CASES,
                         ids=[f"{Path(s).parts[0]}-{st.replace(' ', '-')}" for s, _, st in CASES])
def test_ctrl_c_leaves_nothing(where: str, scene: str, extra: dict[str, Any], stage: str,
                               data_dir: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    if where == "in-process":
        monkeypatch.delenv(CLUSTER_ENV, raising=False)
    else:
        monkeypatch.setenv(CLUSTER_ENV, where)
        _two_workers(local2)
    baseline = Workspace(tmp_path / "baseline")
    baseline.new_call_id()  # what reserving a call id alone leaves (the call counter)
    ws = Workspace(tmp_path / "ws")
    interrupt = _Interrupt(stage)
    with pytest.raises(KeyboardInterrupt):
        run_tool("map_water", {"image": str(data_dir / scene), **extra}, ws, progress=interrupt)
    assert interrupt.fired
    assert ws.artifacts() == []
    assert _files_in(ws.root) == _files_in(baseline.root)  # no output, no temporary
    if where != "in-process":
        deadline = time.monotonic() + 10
        while local2.client.run_on_scheduler(_scheduler_tasks):
            assert time.monotonic() < deadline, "tasks of the interrupted call are still there"
            time.sleep(0.05)
        assert not local2.client.who_has()
    # the same call runs to the end afterwards (no state left behind in the executor)
    done = run_tool("map_water", {"image": str(data_dir / scene), **extra}, ws).result
    assert done.artifacts and (where == "in-process") == (done.cluster is None)


@pytest.mark.parametrize("where", ["in-process", "local:2"])
@pytest.mark.parametrize("stage", ["change magnitude", "change mask"])
def test_ctrl_c_in_detect_changes_leaves_nothing(where: str, stage: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 local2: DaskExecutor) -> None:
    """Otsu CVA keeps its magnitude codes in a scratch file between passes: gone too."""
    rng = np.random.default_rng(4)
    before = rng.normal(100, 8, size=(3, 300, 280)).astype(np.float32)
    after = before + rng.normal(0, 3, size=before.shape).astype(np.float32)
    after[:, 60:150, 90:140] += 45.0
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    paths = [write_tiff(scenes / f"{k}.tif", a) for k, a in (("before", before),
                                                             ("after", after))]
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "100")
    if where == "in-process":
        monkeypatch.delenv(CLUSTER_ENV, raising=False)
    else:
        monkeypatch.setenv(CLUSTER_ENV, where)
        _two_workers(local2)
    baseline = Workspace(tmp_path / "baseline")
    baseline.new_call_id()
    ws = Workspace(tmp_path / "ws")
    interrupt = _Interrupt(stage)
    args = {"before": str(paths[0]), "after": str(paths[1]), "method": "cva"}
    with pytest.raises(KeyboardInterrupt):
        run_tool("detect_changes", args, ws, progress=interrupt)
    assert interrupt.fired and ws.artifacts() == []
    assert _files_in(ws.root) == _files_in(baseline.root)
    if where != "in-process":
        deadline = time.monotonic() + 10
        while local2.client.run_on_scheduler(_scheduler_tasks):
            assert time.monotonic() < deadline, "tasks of the interrupted call are still there"
            time.sleep(0.05)
