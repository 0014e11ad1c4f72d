"""``earthsight train water`` end to end on generated Sen1Floods11-style chips, then
``earthsight run-tool map_water`` with method learned; ``earthsight models`` lists the head."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agent.cli.main import main
from tests.conftest import write_tiff
from tests.tools.water.test_learned import water_chip, write_chips


def test_train_water_then_map_water(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("EARTHSIGHT_DEVICE", "cpu")
    chips = write_chips(tmp_path / "chips", 3, np.random.default_rng(3))
    status = main(["train", "water", "--chips", str(chips), "--epochs", "1", "--steps", "4",
                   "--batch", "4", "--crop", "64", "--width", "8", "--levels", "3"])
    out = capsys.readouterr().out
    assert status == 0 and "water IoU" in out and "F1" in out, out
    weights = tmp_path / "weights" / "sar_water_unet.pt"  # default --out: the weights dir
    assert weights.is_file() and "method='learned'" in out

    db, _ = water_chip(np.random.default_rng(4), shape=(96, 96))
    scene = write_tiff(tmp_path / "s1.tif", db, descriptions=["VV", "VH"])
    status = main(["run-tool", "map_water", "--args", json.dumps(
        {"image": str(scene), "method": "learned"}), "--workspace", str(tmp_path / "ws"),
        "--json"])
    record = json.loads(capsys.readouterr().out)
    assert status == 0
    result = record["result"]
    assert result["method"] == "learned" and result["threshold"]["unit"] == "probability"
    assert result["water_area_m2"]["unit"] == "m²"

    status = main(["models", "--json"])
    models = {m["name"]: m for m in json.loads(capsys.readouterr().out)}
    water = models["sar-water-unet"]
    assert status == 0 and water["task"] == "water" and water["present"]
    assert water["source"] == "earthsight train water --chips DIR" and water["gsd_m"] == 10.0


def test_train_water_errors_are_one_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    chips = write_chips(tmp_path / "chips", 2, np.random.default_rng(5))
    (chips / "LabelHand" / "Chip_0_LabelHand.tif").unlink()
    status = main(["train", "water", "--chips", str(chips), "--epochs", "1"])
    err = capsys.readouterr().err
    assert status == 2 and "Chip_0_LabelHand.tif" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "water" in capsys.readouterr().out
