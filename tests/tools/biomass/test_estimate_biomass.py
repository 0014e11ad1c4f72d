"""estimate_biomass: refuses clearly without weights; with weights trained on a generated scene
over the real GEDI footprints it writes an AGB GeoTIFF on the source grid and reports mean
(Mg/ha), total (Mg) and uncertainty over the scene, a mask and polygons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.transform import from_origin

from tests.conftest import write_tiff
from tests.tools.biomass.test_gedi import CSV, scene_grid
from tools import run_tool
from tools.biomass.estimate_biomass import EstimateBiomassOutput
from tools.biomass.gedi import footprint_pixels, read_footprints
from tools.core.errors import ToolUnavailable
from tools.core.workspace import Workspace


@pytest.fixture
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nowhere to find weights: empty weights dir and torch cache."""
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


def forest_scene(data_dir: Path, path: Path) -> Path:
    """RGB-like scene over the real footprints: a 3x3 block at each footprint is greener and
    darker in red the higher its GEDI AGBD; elsewhere smooth fields and noise."""
    x0, y1, w, h = scene_grid(data_dir)
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 90 + 20 * np.sin(xx / 23.0) * np.cos(yy / 31.0)
    img = np.stack([base + 30, base, base - 20]) + rng.normal(0, 3, (3, h, w))
    transform = from_origin(x0, y1, 10.0, 10.0)
    path = write_tiff(path, np.clip(img, 0, 255).astype(np.uint8), crs="EPSG:32639",
                      transform=transform, descriptions=["red", "green", "blue"])
    fp = read_footprints(data_dir / CSV)
    with rasterio.open(path, "r+") as ds:
        rows, cols = footprint_pixels(fp, ds)
        data = ds.read()
        for r, c, agb in zip(rows.astype(int), cols.astype(int), fp.agbd, strict=True):
            if 1 <= r < h - 1 and 1 <= c < w - 1:
                data[0, r - 1:r + 2, c - 1:c + 2] = np.clip(150 - agb / 3, 0, 255)
                data[1, r - 1:r + 2, c - 1:c + 2] = np.clip(60 + agb / 2, 0, 255)
        ds.write(data)
    return path


def test_without_weights_it_says_how_to_get_them(tmp_path: Path, workspace: Workspace,
                                                 no_weights: None) -> None:
    scene = write_tiff(tmp_path / "s.tif", np.zeros((3, 20, 20), np.uint8))
    with pytest.raises(ToolUnavailable, match="earthsight train biomass") as info:
        run_tool("estimate_biomass", {"image": str(scene)}, workspace)
    assert "EARTHSIGHT_WEIGHTS_DIR" in str(info.value) and "agb_mixer.pt" in str(info.value)


@pytest.mark.realdata
def test_trained_head_maps_biomass(data_dir: Path, tmp_path: Path, workspace: Workspace,
                                   no_weights: None) -> None:
    pytest.importorskip("torch")
    from tools.biomass.training import train_biomass_head

    scene = forest_scene(data_dir, tmp_path / "forest.tif")
    run = train_biomass_head(scene, data_dir / CSV, tmp_path / "agb.pt", epochs=3, patch_px=16,
                             small=True)
    assert run.sampled >= 150 and run.bands == ["red", "green", "blue"]
    assert run.gsd_m == pytest.approx(10.0)
    out = run_tool("estimate_biomass", {"image": str(scene), "model": str(run.weights)},
                   workspace).result
    assert isinstance(out, EstimateBiomassOutput)
    with rasterio.open(scene) as src, rasterio.open(out.agb) as agb:
        assert (agb.crs, agb.transform, agb.shape) == (src.crs, src.transform, src.shape)
        assert agb.count == 2 and agb.descriptions == ("agb_mg_ha", "agb_sd_mg_ha")
        assert agb.tags()["units"] == "Mg/ha"
        values = agb.read(1)
        area_ha = src.width * src.height * 100.0 / 10_000
    assert out.mean_agb.unit == "Mg/ha" and out.total_agb.unit == "Mg"
    assert out.area.value == pytest.approx(area_ha)
    assert out.mean_agb.value == pytest.approx(float(values.mean()), rel=1e-4)
    assert out.total_agb.value == pytest.approx(out.mean_agb.value * area_ha, rel=1e-4)
    assert out.uncertainty.value > 0 and out.training_rmse is not None
    assert "Mg/ha" in out.summary and "Mg" in out.summary
    # region: a mask of the western half, then a polygon in EPSG:4326
    with rasterio.open(scene) as src:
        mask = np.zeros((src.height, src.width), np.uint8)
        mask[:, : src.width // 2] = 1
        mask_path = write_tiff(tmp_path / "mask.tif", mask, crs="EPSG:32639",
                               transform=src.transform)
        left, bottom, right, top = rasterio.warp.transform_bounds(src.crs, "EPSG:4326",
                                                                  *src.bounds)
    half = run_tool("estimate_biomass", {"image": str(scene), "model": str(run.weights),
                                         "region": str(mask_path)}, workspace).result
    assert isinstance(half, EstimateBiomassOutput)
    assert half.area.value == pytest.approx(area_ha * (mask.mean()), rel=1e-6)
    assert half.total_agb.value < out.total_agb.value
    poly = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[
                [left, bottom], [(left + right) / 2, bottom], [(left + right) / 2, top],
                [left, top], [left, bottom]]]}}]}
    (tmp_path / "west.geojson").write_text(json.dumps(poly), encoding="utf-8")
    west = run_tool("estimate_biomass", {"image": str(scene), "model": str(run.weights),
                                         "region": str(tmp_path / "west.geojson")},
                    workspace).result
    assert isinstance(west, EstimateBiomassOutput)
    assert 0.3 * area_ha < west.area.value < 0.7 * area_ha
    assert west.region == "region" and "inside the region (the polygons of west.geojson" in \
        west.summary
