"""The tiles of one scene on a 2-worker Dask LocalCluster (127.0.0.1) give the same outputs as
in-process runs: byte-equal masks and index rasters, equal polygons and numbers, for map_water
(SAR and optical, Otsu on the merged histogram) and spectral_index, on the real Sen1Floods11
scenes and on a generated larger scene; each result records the scheduler, >= 4 tasks and both
workers; a bad EARTHSIGHT_CLUSTER is a clear error that leaves nothing in the workspace."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from specialists.runtime.cluster import CLUSTER_ENV, DaskExecutor
from tests.tools.geo.cluster_runs import both, numbers, ran_on_both
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.errors import ToolUnavailable
from tools.core.workspace import Workspace

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
S2 = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"
MakeTiff = Any


def _digest(path: str | None) -> str:
    assert path is not None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(result: ToolResult) -> dict[str, str]:
    """Artifact name -> sha256 of its file (rasters and vectors)."""
    return {a.name: _digest(a.path) for a in result.artifacts
            if a.kind in ("mask", "raster", "vector") and a.path}


def _assert_identical(here: ToolResult, there: ToolResult, local2: DaskExecutor,
                      min_tasks: int) -> None:
    assert _files(here) and _files(here) == _files(there)
    assert numbers(here) == numbers(there)
    assert here.summary == there.summary and here.warnings == there.warnings
    ran_on_both(here, there, local2, min_tasks)
    assert "cluster" not in here.model_dump(mode="json")
    assert there.cluster is not None
    assert there.model_dump(mode="json")["cluster"]["tasks"] == there.cluster.tasks


@pytest.mark.realdata
def test_map_water_sar_real_scene(data_dir: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    # 512 x 512 at 200 px: 9 tiles, three passes (looks, histogram, mask)
    here, there = both("map_water", {"image": str(data_dir / S1)}, tmp_path, monkeypatch, 200)
    _assert_identical(here, there, local2, 27)
    assert there.method == "sar" and there.threshold_source == "otsu"  # type: ignore[attr-defined]


@pytest.mark.realdata
def test_map_water_optical_real_scene_min_area(data_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               local2: DaskExecutor) -> None:
    args = {"image": str(data_dir / S2), "min_area_m2": 5000}  # the staged-mask path
    here, there = both("map_water", args, tmp_path, monkeypatch, 128)
    _assert_identical(here, there, local2, 32)  # 16 tiles, histogram + mask
    assert there.method == "optical" and there.dropped_polygons > 0  # type: ignore[attr-defined]


@pytest.mark.realdata
def test_spectral_index_real_scene(data_dir: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    args = {"image": str(data_dir / S2), "index": "NDSI", "threshold": "default"}  # NIR test too
    here, there = both("spectral_index", args, tmp_path, monkeypatch, 200)
    _assert_identical(here, there, local2, 9)
    assert {"ndsi", "ndsi_mask"} <= set(_files(there))


def test_generated_large_sar_scene(make_tiff: MakeTiff, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    rng = np.random.default_rng(7)
    db = rng.normal(-8.0, 1.5, size=(2, 1100, 1300)).astype(np.float32)
    yy, xx = np.mgrid[:1100, :1300]
    db[:, (yy - 500) ** 2 / 300**2 + (xx - 700) ** 2 / 450**2 < 1] -= 14.0  # a lake
    db[:, :40, :60] = np.nan  # nodata corner
    scene = make_tiff("large_s1.tif", db, descriptions=["VV", "VH"])
    here, there = both("map_water", {"image": str(scene)}, tmp_path, monkeypatch, 256)
    _assert_identical(here, there, local2, 3 * 30)  # 5 x 6 tiles, three passes
    assert 0.2 < there.water_share_pct.value / 100 < 0.5  # type: ignore[attr-defined]


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_pixel_grid_scene_with_gsd(make_tiff: MakeTiff, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    """A scene without CRS read on the pixel grid of a stated gsd: workers open the same grid."""
    rng = np.random.default_rng(3)
    bands = rng.integers(200, 4000, size=(4, 300, 260)).astype(np.uint16)
    scene = make_tiff("chip.tif", bands, crs=None)
    args = {"image": str(scene), "index": "NDVI", "sensor": "rgbn", "threshold": 0.1, "gsd": 0.5}
    here, there = both("spectral_index", args, tmp_path, monkeypatch, 100)
    _assert_identical(here, there, local2, 9)
    assert there.area_m2 is not None  # type: ignore[attr-defined]


def _nothing_written(ws: Path) -> bool:
    return not [p for p in ws.rglob("*") if p.suffix in (".tif", ".geojson", ".json")
                and p.name != "manifest.jsonl"]


def test_unreachable_scheduler_names_the_setting(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(CLUSTER_ENV, f"tcp://127.0.0.1:{port}")
    monkeypatch.setenv("EARTHSIGHT_CLUSTER_TIMEOUT", "1")
    for tool, args in (("map_water", {"image": str(data_dir / S1)}),
                       ("spectral_index", {"image": str(data_dir / S2), "index": "NDVI"})):
        with pytest.raises(ToolUnavailable) as err:
            run_tool(tool, args, Workspace(tmp_path / tool))
        assert f"EARTHSIGHT_CLUSTER=tcp://127.0.0.1:{port}" in str(err.value)
        assert _nothing_written(tmp_path / tool)


def test_bad_setting_names_the_setting(data_dir: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLUSTER_ENV, "dask please")
    with pytest.raises(ToolUnavailable) as err:
        run_tool("map_water", {"image": str(data_dir / S1)}, Workspace(tmp_path / "ws"))
    message = str(err.value)
    assert "EARTHSIGHT_CLUSTER='dask please'" in message and "local:N" in message
    assert _nothing_written(tmp_path / "ws")
