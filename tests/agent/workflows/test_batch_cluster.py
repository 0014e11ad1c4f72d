"""A workflow batch on a 2-worker Dask LocalCluster (127.0.0.1): one task a scene, rows in scene
order identical to an in-process batch (status, numbers with units, byte-equal masks), the
broken scene reported with its file and error while the batch goes on, the exit status and the
summary counting the failure; a scene whose workers keep dying is an error row and the scenes
after it still run; scene tasks run their tools under the caller's settings."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.cli import main as cli
from agent.workflows import cluster as scene_cluster
from agent.workflows.batch import BatchResult, SceneRow, run_batch
from agent.workflows.scene import SceneJob
from specialists.runtime.cluster import CLUSTER_ENV, ClusterError, DaskExecutor, Placement
from tests.conftest import write_tiff
from tools.core.workspace import BOOKKEEPING

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

FLOW = Path(__file__).resolve().parents[3] / "examples" / "workflows" / "water_area.yaml"
S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"


def _sar(seed: int, water: tuple[slice, slice]) -> np.ndarray:
    """VV/VH in dB: land, one water body, 4-look gamma speckle."""
    rng = np.random.default_rng(seed)
    shape = (96, 128)
    vv, vh = np.full(shape, -8.0), np.full(shape, -15.0)
    vv[water], vh[water] = -22.0, -28.0
    power = 10 ** (np.stack([vv, vh]) / 10) * rng.gamma(4.0, 0.25, size=(2, *shape))
    return (10 * np.log10(power)).astype(np.float32)


@pytest.fixture
def scenes(tmp_path: Path, data_dir: Path) -> Path:
    """Four generated SAR scenes, one real Sentinel-1 scene and a broken file."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    for i in range(4):
        write_tiff(folder / f"gen{i}.tif", _sar(i, (slice(10, 40 + 10 * i), slice(20, 90))),
                   crs="EPSG:32631", descriptions=["VV", "VH"])
    shutil.copy(data_dir / S1, folder / "real_s1.tif")
    (folder / "broken.tif").write_text("not a raster")
    return folder


def _outputs(row: SceneRow) -> dict[str, bytes]:
    """The scene folder's output files by name (rasters byte for byte; the records' names)."""
    files = sorted(p for p in Path(row.workspace).iterdir() if p.name not in BOOKKEEPING)
    return {p.name: p.read_bytes() if p.suffix == ".tif" else b"" for p in files}


def _same_rows(here: list[SceneRow], there: list[SceneRow], here_root: Path,
               there_root: Path) -> None:
    assert [r.model_dump(exclude={"workspace"}) for r in here] == \
        [r.model_dump(exclude={"workspace"}) for r in there]
    assert [Path(r.workspace).relative_to(here_root) for r in here] == \
        [Path(r.workspace).relative_to(there_root) for r in there]


@pytest.mark.realdata
def test_batch_on_two_workers(scenes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str], local2: DaskExecutor) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "128")  # the workers' own is 1024: shipped
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    seen: list[tuple[int, int, str]] = []
    here = run_batch(FLOW, str(scenes), workspace=tmp_path / "here",
                     on_scene=lambda d, n, r: seen.append((d, n, Path(r.scene).name)))
    assert here.cluster is None
    assert seen == [(i, 6, n) for i, n in enumerate(
        ["broken.tif", "gen0.tif", "gen1.tif", "gen2.tif", "gen3.tif", "real_s1.tif"], 1)]

    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    status = cli.main(["run", str(FLOW), "--batch", str(scenes), "--workspace",
                       str(tmp_path / "there"), "--json"])
    there = BatchResult.model_validate(json.loads(capsys.readouterr().out))
    assert status == 1  # one scene failed
    _same_rows(here.rows, there.rows, tmp_path / "here", tmp_path / "there")
    broken, *good = there.rows
    assert broken.status == "failed" and "broken.tif" in broken.error
    assert "not a raster GDAL can read" in broken.error
    assert [r.status for r in good] == ["ok"] * 5  # the batch went on after it
    for a, b in zip(here.rows[1:], good, strict=True):
        assert _outputs(a) == _outputs(b) and any(n.endswith(".tif") for n in _outputs(b))
        assert b.numbers["water.water_area [ha]"] > 0 and "bodies.count [count]" in b.numbers
    areas = [r.numbers["water.water_area [ha]"] for r in good[:4]]
    assert areas == sorted(areas) and len(set(areas)) == 4  # water grows from gen0 to gen3

    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler and run.tasks == 6
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(run.workers) == workers
    summary = json.loads(Path(there.json_path).read_text())
    assert summary["scenes_total"] == 6 and summary["scenes_failed"] == 1
    assert summary["cluster"]["tasks"] == 6
    assert json.loads(Path(here.json_path).read_text())["cluster"] is None


class _DyingCluster:
    """An executor whose workers die on the scenes named ``deadly`` (the scheduler gives the
    task up); other scenes run here, in order."""

    in_process = False
    scheduler = "tcp://127.0.0.1:1"

    def __init__(self, deadly: set[str]) -> None:
        self.deadly = deadly
        self.maps = 0

    def map(self, fn: Any, items: Sequence[SceneJob], *args: Any,
            placement: Placement | None = None,
            label: str = "task") -> Generator[SceneRow, None, None]:
        self.maps += 1
        for job in items:
            if Path(job.scene).name in self.deadly:
                raise ClusterError(f"{CLUSTER_ENV}: task {label}-0 was running on workers that "
                                   "died each time")
            if placement is not None:
                placement.tasks += 1
                placement.workers.add("tcp://127.0.0.1:2")
            yield fn(job, *args)


def test_scene_that_kills_workers_is_reported(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "scenes"
    folder.mkdir()
    for i in range(3):
        write_tiff(folder / f"s{i}.tif", _sar(i, (slice(10, 50), slice(20, 90))),
                   crs="EPSG:32631", descriptions=["VV", "VH"])
    fake = _DyingCluster({"s1.tif"})
    monkeypatch.setattr("agent.workflows.batch.current_executor", lambda: fake)
    result = run_batch(FLOW, str(folder), workspace=tmp_path / "ws")
    assert [r.status for r in result.rows] == ["ok", "error", "ok"]
    assert result.rows[1].error.startswith("s1.tif: the cluster gave it up")
    assert fake.maps == 2  # a new map for the scenes after the lost one
    assert result.cluster is not None and result.cluster.tasks == 2
    assert json.loads(Path(result.json_path).read_text())["scenes_failed"] == 1


def test_scene_tasks_run_under_the_callers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "64")
    monkeypatch.delenv("EARTHSIGHT_TILE_OVERLAP", raising=False)
    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    settings = scene_cluster.caller_settings()
    # a worker with settings of its own
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "1024")
    monkeypatch.setenv("EARTHSIGHT_TILE_OVERLAP", "8")
    scope = scene_cluster._Scope()
    with scope.using(settings), scope.using(settings):  # two tasks of one batch together
        assert os.environ["EARTHSIGHT_TILE_SIZE"] == "64"
        assert "EARTHSIGHT_TILE_OVERLAP" not in os.environ
        assert CLUSTER_ENV not in os.environ  # the scene's tools run in the worker's process
    assert os.environ["EARTHSIGHT_TILE_SIZE"] == "1024"
    assert os.environ["EARTHSIGHT_TILE_OVERLAP"] == "8" and os.environ[CLUSTER_ENV] == "local:2"
