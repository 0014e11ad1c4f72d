"""detect_changes method deep: the learned siamese model on a real LEVIR-CD pair wrapped as
GeoTIFFs; auto picks deep when weights exist and cva otherwise, and says which ran."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_origin

from tests.conftest import write_tiff
from tools import run_tool
from tools.change.detect_changes import DetectChangesOutput
from tools.core.errors import InputError, ToolUnavailable
from tools.core.workspace import Workspace

PAIR = "test_2_0000_0000.png"


def wrap_png(png: Path, dest: Path) -> Path:
    """A PNG as a GeoTIFF: 0.5 m pixels in UTM 33N (LEVIR-CD's ground sample distance)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(png) as src:
            data = src.read()
    return write_tiff(dest, data, crs="EPSG:32633",
                      transform=from_origin(500_000.0, 4_000_000.0, 0.5, 0.5),
                      descriptions=["red", "green", "blue"][: data.shape[0]])


@pytest.fixture
def weights_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return folder


@pytest.mark.realdata
def test_deep_uses_trained_weights(data_dir: Path, tmp_path: Path, workspace: Workspace,
                                   weights_dir: Path) -> None:
    pytest.importorskip("torch")
    from tools.biomass.training import train_change_model

    levir = data_dir / "change" / "levir_cd"
    before = wrap_png(levir / "A" / PAIR, tmp_path / "before.tif")
    after = wrap_png(levir / "B" / PAIR, tmp_path / "after.tif")
    args = {"before": str(before), "after": str(after)}
    cva = run_tool("detect_changes", args, workspace).result
    assert isinstance(cva, DetectChangesOutput) and cva.method == "cva"
    assert "auto" in cva.summary and "earthsight train change" in cva.summary
    with pytest.raises(ToolUnavailable, match="earthsight train change"):
        run_tool("detect_changes", {**args, "method": "deep"}, workspace)

    weights, report, val = train_change_model(data_dir / "change", weights_dir / "siamese_cd.pt",
                                              epochs=2, steps=2, batch=2, crop=64, stages=2,
                                              decoder=8, gsd_m=0.5)
    print(f"change model: validation {val} F1 {report.val_f1:.3f} IoU {report.val_iou:.3f}")
    out = run_tool("detect_changes", args, workspace).result  # auto finds the weights now
    assert isinstance(out, DetectChangesOutput) and out.method == "deep"
    assert out.summary.startswith("method: deep (auto") and "siamese_cd.pt" in out.summary
    assert out.threshold.unit == "probability" and out.threshold.value == 0.5
    assert out.changed_area.unit == "ha" and out.valid_area.value == pytest.approx(
        256 * 256 * 0.25 / 10_000)
    with rasterio.open(out.mask) as m, rasterio.open(before) as b:
        assert (m.crs, m.transform, m.shape) == (b.crs, b.transform, b.shape)
        assert set(np.unique(m.read(1))) <= {0, 1}
    cut = run_tool("detect_changes", {**args, "min_area_m2": 25.0}, workspace).result
    assert isinstance(cut, DetectChangesOutput) and cut.method == "deep"
    with rasterio.open(cut.mask) as m:
        cleaned = m.read(1)
    assert cut.changed_area_m2.value == pytest.approx(float((cleaned == 1).sum()) * 0.25)
    assert cut.changed_area_m2.value <= out.changed_area_m2.value
    assert cut.polygons + cut.dropped_polygons == out.polygons and cut.dropped_polygons > 0
    explicit = run_tool("detect_changes", {**args, "method": "deep", "model": str(weights),
                                           "threshold": 0.9}, workspace).result
    assert isinstance(explicit, DetectChangesOutput)
    assert explicit.changed_area_m2.value <= out.changed_area_m2.value
    with pytest.raises(InputError, match="probability"):
        run_tool("detect_changes", {**args, "method": "deep", "threshold": 3}, workspace)
    forced = run_tool("detect_changes", {**args, "method": "cva"}, workspace).result
    assert isinstance(forced, DetectChangesOutput) and forced.method == "cva"
