"""pseudo_rgb and trend on a 2-worker Dask LocalCluster (127.0.0.1) give the same outputs as
in-process runs, on real scenes from $EARTHSIGHT_DATA and a generated larger scene:
pseudo_rgb's composite is byte-identical in every recipe that fans out differently (SAR with
the speckle pass, integer and float multispectral with histogram-only, moment + histogram and
min-max stretches, PCA), with equal stretch ranges, and the result names the scheduler, the
tasks (one per tile per pass) and both workers; trend reads each image as one task and gives
identical points, fit and CSV; an image's error raised on a worker is the same error; dNBR on
a real Landsat-8 scene with a burn scar is byte-identical (dNBR, classes, mask) with the
pre-fire scene on the same grid, warped from lon/lat with nodata, and warped with an alpha
band (each worker warps it itself), and so is the NDVI change over the same pair."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.warp import calculate_default_transform, reproject

from specialists.runtime.cluster import CLUSTER_ENV, DaskExecutor
from tests.tools.geo.cluster_runs import both
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError
from tools.core.workspace import Workspace

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

MakeTiff = Any
S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
S2 = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"
L8_FLOAT = "multispectral/landsat8_LC08_003069_20180906_clip.tif"  # 110 x 104, float32
L8_INT = "multispectral/landsat8_LC08_232066_20190727.tif"  # 318 x 235, int16
S1_2015 = "sar/S1A_IW_20150309_VV_grd_geo_norm_db.tif"
S1_2018 = "sar/S1_2018_VV_VH_clip.tif"


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _same_result(here: ToolResult, there: ToolResult) -> None:
    """Everything but where it ran and the workspace paths is equal."""
    skip = {"cluster", "artifacts", "path"}
    assert here.model_dump(mode="json", exclude=skip) == there.model_dump(mode="json", exclude=skip)
    assert here.cluster is None and "cluster" not in here.model_dump(mode="json")
    assert [a.name for a in here.artifacts] == [a.name for a in there.artifacts]


def _ran_there(there: ToolResult, local2: DaskExecutor, tasks: int, both: bool = True) -> None:
    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler and run.tasks == tasks
    workers = set(local2.client.scheduler_info()["workers"])
    assert run.workers and set(run.workers) <= workers
    if both:
        assert set(run.workers) == workers and len(workers) == 2


RGB_CASES = [
    # scene, arguments, tile size (px), tasks (tiles x fanned-out passes)
    (S1, {"speckle_filter": True}, 256, 4 * 3),  # speckle statistics, histogram, writing
    (S2, {}, 200, 9 * 2),  # int16 true colour: DN histogram, writing
    (S2, {"mode": "pca"}, 200, 9 * 2),  # PCA statistics here; histogram, writing there
    (L8_FLOAT, {}, 40, 9 * 3),  # float: moments, histogram, writing
    (L8_INT, {"composite": "false_color", "stretch": "minmax"}, 100, 12 * 2),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("scene", "extra", "tile", "tasks"), RGB_CASES,
                         ids=["sar-speckle", "s2-true-colour", "s2-pca", "l8-float",
                              "l8-minmax"])
def test_pseudo_rgb_real_scenes(scene: str, extra: dict[str, Any], tile: int, tasks: int,
                                data_dir: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    args = {"image": str(data_dir / scene), **extra}
    here, there = both("pseudo_rgb", args, tmp_path, monkeypatch, tile)
    assert _digest(here.path) == _digest(there.path)  # type: ignore[attr-defined]
    _same_result(here, there)
    _ran_there(there, local2, tasks)


def test_pseudo_rgb_generated_large_float_scene(make_tiff: MakeTiff, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                local2: DaskExecutor) -> None:
    rng = np.random.default_rng(11)
    bands = rng.gamma(2.0, 0.05, size=(4, 800, 1000)).astype(np.float32)
    bands[:, 300:700, 200:900] += 0.3  # a bright field
    bands[:, :50, :80] = np.nan  # a nodata corner
    scene = make_tiff("large_ms.tif", bands, descriptions=["blue", "green", "red", "nir"])
    here, there = both("pseudo_rgb", {"image": str(scene)}, tmp_path, monkeypatch, 256)
    assert _digest(here.path) == _digest(there.path)  # type: ignore[attr-defined]
    _same_result(here, there)
    _ran_there(there, local2, 3 * 16)  # 4 x 4 tiles: moments, histogram, writing


@pytest.mark.realdata
def test_trend_real_rasters(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            local2: DaskExecutor) -> None:
    images = [str(data_dir / p) for p in (L8_INT, S1_2015, L8_FLOAT, S1_2018)]
    here, there = both("trend", {"images": images}, tmp_path, monkeypatch, 64)
    _same_result(here, there)
    assert len(here.points) == 4  # type: ignore[attr-defined]
    tables = [{a.name: a.path for a in r.artifacts}["series"] for r in (here, there)]
    assert tables[0] and tables[1] and _digest(tables[0]) == _digest(tables[1])
    _ran_there(there, local2, 4, both=False)  # one task per image


def test_trend_generated_series_and_worker_error(make_tiff: MakeTiff, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 local2: DaskExecutor) -> None:
    rng = np.random.default_rng(5)
    images = [str(make_tiff(f"level_{2012 + i}-06-01.tif",
                            (40.0 - 1.2 * i + rng.normal(0, 0.5, (300, 260))).astype("float32"),
                            tags={"units": "dB"})) for i in range(8)]
    here, there = both("trend", {"images": images[::-1]}, tmp_path, monkeypatch, 100)
    _same_result(here, there)
    assert here.slope_per_year == pytest.approx(-1.2, abs=0.05)  # type: ignore[attr-defined]
    _ran_there(there, local2, 8)
    empty = str(make_tiff("empty_2021-06-01.tif", np.full((20, 20), -9999, "float32"),
                          nodata=-9999))
    errors = []
    for where in ("", "local:2"):
        monkeypatch.setenv(CLUSTER_ENV, where)
        with pytest.raises(InputError) as err:
            run_tool("trend", {"images": [*images[:2], empty]}, Workspace(tmp_path / "e"))
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "no valid pixels" in errors[0]


def _landsat_pair(scene: Path, tmp_path: Path) -> dict[str, Path]:
    """A burn scar in the real Landsat-8 scene (post-fire, its grid) and the scene as the
    pre-fire date: as it is, in lon/lat with nodata, and in lon/lat without nodata (alpha)."""
    with rasterio.open(scene) as src:
        raw, profile = src.read(), src.profile
        dst_t, w, h = calculate_default_transform(src.crs, "EPSG:4326", src.width, src.height,
                                                  *src.bounds)
        lonlat = np.full((src.count, h, w), -9999, np.int16)
        reproject(raw, lonlat, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=dst_t, dst_crs="EPSG:4326", src_nodata=-9999, dst_nodata=-9999)
    post = raw.copy()
    block = (slice(100, 160), slice(150, 250))
    ok = (raw[3][block] != -9999) & (raw[5][block] != -9999)
    post[3][block] = np.where(ok, raw[3][block] // 2, raw[3][block])  # NIR halved
    post[5][block] = np.where(ok, np.minimum(raw[5][block] * 2, 10000), raw[5][block])  # SWIR2
    paths = {"post": tmp_path / "post.tif", "lonlat": tmp_path / "pre_lonlat.tif",
             "alpha": tmp_path / "pre_lonlat_alpha.tif"}
    ll = {**profile, "crs": "EPSG:4326", "transform": dst_t, "width": w, "height": h}
    no_nodata = np.where(lonlat == -9999, 0, lonlat)
    for key, data, prof in (("post", post, profile), ("lonlat", lonlat, ll),
                            ("alpha", no_nodata, {**ll, "nodata": None})):
        with rasterio.open(paths[key], "w", **prof) as dst:
            dst.write(data)
    return paths


@pytest.mark.realdata
def test_dnbr_real_landsat_same_grid_and_warped(data_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                local2: DaskExecutor) -> None:
    scene = data_dir / L8_INT
    pair = _landsat_pair(scene, tmp_path)
    for name, before in (("same-grid", scene), ("warped", pair["lonlat"]),
                         ("warped-alpha", pair["alpha"])):
        args = {"image": str(pair["post"]), "before": str(before), "index": "dNBR"}
        here, there = both("spectral_index", args, tmp_path / name, monkeypatch, 64)
        files = {a.name: _digest(a.path) for a in here.artifacts
                 if a.kind in ("raster", "mask", "vector") and a.path}
        assert {"dnbr", "dnbr_severity", "dnbr_mask"} <= set(files), name
        assert files == {a.name: _digest(a.path) for a in there.artifacts
                         if a.kind in ("raster", "mask", "vector") and a.path}, name
        _same_result(here, there)
        assert ("warped onto the image grid" in " ".join(here.warnings)) == (name != "same-grid")
        assert here.numbers()["burned_area"].value > 0  # the scar
        _ran_there(there, local2, 5 * 4)  # 318 x 235 px at 64 px: 5 x 4 tiles, one pass


@pytest.mark.realdata
def test_ndvi_change_real_landsat_warped(data_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         local2: DaskExecutor) -> None:
    """The change of NDVI over the same pair (the pre-fire scene warped from lon/lat): each
    worker warps it itself, and the difference and its mask are byte-identical."""
    pair = _landsat_pair(data_dir / L8_INT, tmp_path)
    args = {"image": str(pair["post"]), "before": str(pair["lonlat"]), "index": "NDVI",
            "threshold": 0.2}
    here, there = both("spectral_index", args, tmp_path / "ndvi", monkeypatch, 64)
    files = {a.name: _digest(a.path) for a in here.artifacts if a.kind in ("raster", "mask")}
    assert set(files) == {"dndvi", "dndvi_mask"}
    assert files == {a.name: _digest(a.path) for a in there.artifacts
                     if a.kind in ("raster", "mask")}
    _same_result(here, there)
    assert here.numbers()["area"].value > 0  # NDVI fell in the scar
    _ran_there(there, local2, 5 * 4)
