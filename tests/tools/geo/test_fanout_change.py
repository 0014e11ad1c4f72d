"""detect_changes (CVA) on a 2-worker Dask LocalCluster (127.0.0.1) gives the same outputs as
the in-process threads: byte-identical change mask and polygons, equal numbers, threshold and
bimodality, on real LEVIR-CD and DSIFN pairs (Otsu, a fixed threshold, a minimum mapping unit),
on a generated larger pair, and with the after scene on another grid (each worker warps it
itself); the result names the scheduler and one task per window per pass."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import from_origin

from specialists.runtime.cluster import DaskExecutor
from tests.conftest import write_tiff
from tests.tools.geo.cluster_runs import both
from tools.core.artifacts import ToolResult

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

ORIGIN = (500_000.0, 4_000_000.0)


def _files(result: ToolResult) -> dict[str, str]:
    return {a.name: hashlib.sha256(Path(a.path).read_bytes()).hexdigest()
            for a in result.artifacts if a.kind in ("mask", "raster", "vector") and a.path}


def _assert_same(here: ToolResult, there: ToolResult, local2: DaskExecutor, tasks: int) -> None:
    assert _files(here) and _files(here) == _files(there)
    skip = {"cluster", "artifacts", "path", "mask", "vector"}  # paths differ
    assert here.model_dump(mode="json", exclude=skip) == there.model_dump(mode="json", exclude=skip)
    assert here.cluster is None
    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler and run.tasks == tasks
    assert set(run.workers) == set(local2.client.scheduler_info()["workers"])


def _png_pair(folder: Path, name: str, pixel_m: float, tmp_path: Path) -> list[Path]:
    out = []
    for k in ("A", "B"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(folder / k / f"{name}.png") as src:
                data = np.asarray(src.read())
        out.append(write_tiff(tmp_path / f"{name}_{k}.tif", data, crs="EPSG:32650",
                              transform=from_origin(*ORIGIN, pixel_m, pixel_m)))
    return out


@pytest.mark.realdata
@pytest.mark.parametrize(("dataset", "name", "pixel_m", "extra"), [
    ("levir_cd", "test_102_0512_0000", 0.5, {}),
    ("levir_cd", "test_102_0512_0000", 0.5, {"min_area_m2": 20.0}),
    ("dsifn", "0_2", 2.0, {"threshold": 2.5}),
], ids=["levir-otsu", "levir-min-area", "dsifn-fixed"])
def test_real_pairs(dataset: str, name: str, pixel_m: float, extra: dict[str, Any],
                    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    local2: DaskExecutor) -> None:
    before, after = _png_pair(data_dir / "change" / dataset, name, pixel_m, tmp_path)
    args = {"before": str(before), "after": str(after), "method": "cva", **extra}
    here, there = both("detect_changes", args, tmp_path, monkeypatch, 64)
    _assert_same(here, there, local2, 1 + 16)  # one statistics window; 4 x 4 tiles
    assert here.changed_area_m2.value > 0  # type: ignore[attr-defined]


def _generated(tmp_path: Path, shape: tuple[int, int]) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(21)
    h, w = shape
    before = rng.normal(100, 8, size=(3, h, w)).astype(np.float32)
    after = before + rng.normal(0, 3, size=before.shape).astype(np.float32)
    after[:, h // 4: h // 2, w // 3: w // 2] += 45.0  # a new building block
    return write_tiff(tmp_path / "before.tif", before), after


def test_generated_large_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              local2: DaskExecutor) -> None:
    before, after = _generated(tmp_path, (1100, 1300))
    after_path = write_tiff(tmp_path / "after.tif", after)
    args = {"before": str(before), "after": str(after_path), "method": "cva"}
    here, there = both("detect_changes", args, tmp_path, monkeypatch, 256)
    _assert_same(here, there, local2, 4 + 30)  # 2 x 2 statistics windows; 5 x 6 tiles


def test_after_on_another_grid_is_warped_on_the_workers(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        local2: DaskExecutor) -> None:
    before, after = _generated(tmp_path, (300, 280))
    utm = from_origin(*ORIGIN, 10.0, 10.0)
    bounds = rasterio.transform.array_bounds(300, 280, utm)
    geo_t, w, h = rasterio.warp.calculate_default_transform("EPSG:32633", "EPSG:4326", 280, 300,
                                                            *bounds)
    geo = np.zeros((3, h, w), np.float32)
    rasterio.warp.reproject(after, geo, src_transform=utm, src_crs="EPSG:32633",
                            dst_transform=geo_t, dst_crs="EPSG:4326",
                            resampling=rasterio.warp.Resampling.bilinear)
    after_path = write_tiff(tmp_path / "after_lonlat.tif", geo, crs="EPSG:4326", transform=geo_t)
    args = {"before": str(before), "after": str(after_path), "method": "cva"}
    here, there = both("detect_changes", args, tmp_path, monkeypatch, 100)
    assert here.reprojected  # type: ignore[attr-defined]
    _assert_same(here, there, local2, 1 + 9)  # one statistics window; 3 x 3 tiles
