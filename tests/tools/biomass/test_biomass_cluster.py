"""estimate_biomass on a 2-worker Dask LocalCluster (127.0.0.1) writes the same AGB raster as
in-process (byte-equal file) and reports the same numbers with the same units, on a generated
scene with nodata holes and on a real RGB scene; the head is a random-weight AGB head built
from its config, the tiles run as >= 4 tasks over both workers, and each worker loads the
head once however many tiles it predicts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from specialists.runtime.cluster import DaskExecutor
from specialists.runtime.worker_models import ModelSpec, load_counts
from tests.conftest import MakeTiff
from tests.tools.geo.cluster_runs import both, numbers, ran_on_both
from tools.biomass.estimate_biomass import EstimateBiomassOutput, load_head

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
torch = pytest.importorskip("torch")

RGB = "multispectral/rasterio_RGB.byte.tif"


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight AGB head (small ResNet stage-1 encoder, 16 px patches) for RGB scenes."""
    from specialists.biomass.model import build_model, default_config, save_model

    torch.manual_seed(7)
    config = default_config(patch_px=16, small=True, stages=1)
    model = build_model(config)
    model.in_mean.copy_(torch.tensor([90.0, 80.0, 70.0]))
    model.in_std.fill_(40.0)
    model.y_mean.fill_(120.0)
    model.y_std.fill_(60.0)
    return save_model(model, tmp_path_factory.mktemp("w") / "agb_mixer.pt", config,
                      {"bands": ["red", "green", "blue"], "gsd_m": 10.0,
                       "metrics": {"val_rmse_mg_ha": 30.0}})


def _digest(result: EstimateBiomassOutput) -> str:
    return hashlib.sha256(Path(result.agb).read_bytes()).hexdigest()


def _assert_identical(here: Any, there: Any, local2: DaskExecutor, min_tasks: int) -> None:
    assert isinstance(here, EstimateBiomassOutput) and isinstance(there, EstimateBiomassOutput)
    assert _digest(here) == _digest(there)  # the whole GeoTIFF, byte for byte
    assert numbers(here) == numbers(there)
    assert {u for _, u in numbers(there).values()} >= {"Mg/ha", "Mg", "ha"}
    for name in ("mean_agb", "total_agb", "area", "uncertainty", "total_sd"):
        assert getattr(here, name) == getattr(there, name)
    assert here.summary == there.summary and here.warnings == there.warnings
    ran_on_both(here, there, local2, min_tasks)


def _loads(local2: DaskExecutor, weights: Path) -> list[int]:
    """Loads of the head each worker made so far."""
    spec = ModelSpec(load_head, (str(weights), weights.stat().st_mtime_ns))
    found = local2.client.run(load_counts)
    return sorted(counts.get(spec.name, 0) for counts in found.values())


def test_generated_scene(make_tiff: MakeTiff, tmp_path: Path, head: Path,
                         monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    rng = np.random.default_rng(5)
    h, w = 150, 200  # 64 px tiles: 4 x 3 = 12 tiles, the last row and column partial
    yy, xx = np.mgrid[0:h, 0:w]
    base = 90 + 40 * np.sin(xx / 17.0) * np.cos(yy / 23.0)
    img = np.clip(np.stack([base + 20, base, base - 30]) + rng.normal(0, 6, (3, h, w)), 1, 255)
    img = img.astype(np.uint8)
    img[:, 40:70, 100:130] = 0  # nodata hole across tile borders
    image = make_tiff("forest.tif", img, nodata=0, descriptions=["red", "green", "blue"])
    here, there = both("estimate_biomass", {"image": str(image), "model": str(head)},
                       tmp_path, monkeypatch, tile_size=64)
    _assert_identical(here, there, local2, 12)
    assert isinstance(there, EstimateBiomassOutput)
    assert there.cluster is not None and there.cluster.tasks == 12
    assert 0 < there.area.value < h * w * 100 / 10_000  # ha: the hole is not counted
    assert _loads(local2, head.resolve()) == [1, 1]


@pytest.mark.realdata
def test_real_scene(data_dir: Path, tmp_path: Path, head: Path,
                    monkeypatch: pytest.MonkeyPatch, local2: DaskExecutor) -> None:
    # 791 x 718 px at 256 px tiles: 4 x 3 = 12 tiles; a nodata (0) collar around the scene
    here, there = both("estimate_biomass", {"image": str(data_dir / RGB), "model": str(head)},
                       tmp_path, monkeypatch, tile_size=256)
    _assert_identical(here, there, local2, 12)
    assert isinstance(there, EstimateBiomassOutput) and there.total_agb.value > 0
