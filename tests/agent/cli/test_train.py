"""``earthsight train biomass`` and ``earthsight train change`` end to end (tiny settings), then
the tools use the weights through ``earthsight run-tool`` and report numbers with units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from tests.tools.biomass.test_estimate_biomass import forest_scene
from tests.tools.biomass.test_gedi import GRANULE
from tests.tools.change.test_deep import PAIR, wrap_png


@pytest.fixture
def weights_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "weights"
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return folder


def test_train_help_lists_both_models(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "biomass" in text and "change" in text


def test_missing_footprints_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    status = main(["train", "biomass", "--image", str(tmp_path / "x.tif"), "--footprints",
                   str(tmp_path / "none.csv")])
    assert status == 2 and "footprints: file not found" in capsys.readouterr().err


@pytest.mark.realdata
def test_train_biomass_then_estimate(data_dir: Path, tmp_path: Path, weights_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("h5py")
    scene = forest_scene(data_dir, tmp_path / "forest.tif")
    status = main(["train", "biomass", "--image", str(scene), "--footprints",
                   str(data_dir / GRANULE), "--epochs", "2", "--patch", "16", "--small",
                   "--no-freeze-encoder"])
    out = capsys.readouterr().out
    with capsys.disabled():
        print(out)
    assert status == 0 and "held-out" in out and "Mg/ha" in out and "R²" in out
    assert (weights_dir / "agb_mixer.pt").is_file()  # default --out: the weights dir
    status = main(["run-tool", "estimate_biomass", "--args", json.dumps({"image": str(scene)}),
                   "--workspace", str(tmp_path / "ws"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    record = result.get("result", result)
    assert record["mean_agb"]["unit"] == "Mg/ha" and record["total_agb"]["unit"] == "Mg"
    assert record["total_agb"]["value"] > 0


@pytest.mark.realdata
def test_train_change_then_detect(data_dir: Path, tmp_path: Path, weights_dir: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    out_path = tmp_path / "cd.pt"
    status = main(["train", "change", "--pairs", str(data_dir / "change"), "--out",
                   str(out_path), "--epochs", "2", "--steps", "2", "--batch", "2", "--crop",
                   "64", "--gsd", "0.5"])
    out = capsys.readouterr().out
    with capsys.disabled():
        print(out)
    assert status == 0 and "F1" in out and "IoU" in out and out_path.is_file()
    levir = data_dir / "change" / "levir_cd"
    before = wrap_png(levir / "A" / PAIR, tmp_path / "before.tif")
    after = wrap_png(levir / "B" / PAIR, tmp_path / "after.tif")
    status = main(["run-tool", "detect_changes", "--args", json.dumps(
        {"before": str(before), "after": str(after), "method": "deep", "model": str(out_path)}),
        "--workspace", str(tmp_path / "ws"), "--json"])
    result = json.loads(capsys.readouterr().out)
    record = result.get("result", result)
    assert status == 0 and record["method"] == "deep"
    assert record["changed_area"]["unit"] == "ha"
