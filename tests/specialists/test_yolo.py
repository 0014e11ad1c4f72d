"""Real YOLO architectures built from config with random weights (CPU, fp32, save/load)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ultralytics")

from specialists.yolo import build_random, load_detector, load_yolo


def test_obb_from_config_round_trip(random_obb_weights: Path) -> None:
    import torch

    model = load_yolo(random_obb_weights, "cpu")
    assert model.task == "obb" and len(model.names) == 15 and model.names[0] == "plane"
    param = next(model.model.parameters())
    assert param.device.type == "cpu" and param.dtype == torch.float32
    det = load_detector(random_obb_weights, device="cpu", conf=0.001, imgsz=320)
    assert det.oriented and det.device == "cpu" and det.batch == 2
    assert torch.get_num_threads() >= 1
    tiles = [np.zeros((320, 320, 3), np.uint8), np.full((200, 320, 3), 128, np.uint8)]
    out = det.predict(tiles)
    assert len(out) == 2
    for d in out:
        assert d.oriented and d.corners.shape[1:] == (4, 2)
    assert det.predict([]) == []
    # same file, same process: the cached model is reused
    assert load_yolo(random_obb_weights, "cpu") is model


def test_detect_from_config_raw_shapes(tmp_path: Path) -> None:
    import torch

    path = build_random("yolo11n.yaml", tmp_path / "yolo11n.pt", names=["car", "boat"])
    model = load_yolo(path, "cpu")
    assert model.task == "detect" and model.names == {0: "car", 1: "boat"}
    with torch.no_grad():
        raw = model.model.eval()(torch.zeros(1, 3, 256, 256))
    first = raw[0] if isinstance(raw, (list, tuple)) else raw
    assert first.shape[0] == 1 and first.shape[1] == 4 + 2  # box + 2 class scores per anchor
    det = load_detector(path, device="cpu", conf=0.5, imgsz=256)
    assert not det.oriented and len(det.predict([np.zeros((256, 256, 3), np.uint8)])) == 1
