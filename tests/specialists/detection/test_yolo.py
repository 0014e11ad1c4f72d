"""Real YOLO architectures built from config with random weights (CPU, fp32, save/load)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ultralytics")

from specialists.detection.yolo import build_random, load_detector, load_yolo


def test_obb_from_config_round_trip(random_obb_weights: Path) -> None:
    import torch

    model = load_yolo(random_obb_weights, "cpu")
    assert model.task == "obb" and len(model.names) == 15 and model.names[0] == "plane"
    param = next(model.model.parameters())
    assert param.device.type == "cpu" and param.dtype == torch.float32
    det = load_detector(random_obb_weights, device="cpu", conf=0.001, imgsz=320)
    assert det.oriented and det.device == "cpu"
    assert det.batch == (1 if det.runtime == "onnxruntime" else 2)  # CPU defaults
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

    path = build_random("yolo11n.yaml", tmp_path / "yolo11n-random.pt", names=["car", "boat"])
    model = load_yolo(path, "cpu")
    assert model.task == "detect" and model.names == {0: "car", 1: "boat"}
    with torch.no_grad():
        raw = model.model.eval()(torch.zeros(1, 3, 256, 256))
    first = raw[0] if isinstance(raw, (list, tuple)) else raw
    assert first.shape[0] == 1 and first.shape[1] == 4 + 2  # box + 2 class scores per anchor
    det = load_detector(path, device="cpu", conf=0.5, imgsz=256)
    assert not det.oriented and len(det.predict([np.zeros((256, 256, 3), np.uint8)])) == 1


def _responsive_yolo(dest: Path, config: str = "yolo11n.yaml") -> Path:
    """yolo11n (2 classes; detect or OBB by ``config``) from config whose outputs depend on the
    image: random init, then BatchNorm statistics recalibrated on random tiles (random-init
    activations vanish)."""
    import torch
    from ultralytics import YOLO

    path = build_random(config, dest, names=["car", "boat"], seed=3)
    yolo = YOLO(str(path))
    net = yolo.model.float()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    gen = torch.Generator().manual_seed(0)
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.rand(2, 3, 128, 128, generator=gen))
    net.eval()
    yolo.save(str(path))
    return path


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def test_onnx_export_cached_and_raw_parity(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    import onnxruntime
    import torch
    from ultralytics import YOLO

    from specialists.detection.yolo import export_onnx

    weights = _responsive_yolo(tmp_path / "yolo11n-random.pt")
    out = export_onnx(weights, 128, 2, dest=tmp_path / "exports")
    assert out.parent == tmp_path / "exports" and out.name.endswith("-128px-b2.onnx")
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind
    inode = out.stat().st_ino  # a new export would be renamed in: another inode
    assert export_onnx(weights, 128, 2, dest=tmp_path / "exports") == out  # reused, not redone
    assert out.stat().st_ino == inode
    assert export_onnx(weights, 160, 2, dest=tmp_path / "exports") != out  # keyed by size
    old = tmp_path / "exports" / out.name.replace("-128px", "-160px")
    os.utime(old, ns=(1, 1))  # unused for long: with keep=2 the 160 px export is the one to go
    newest = export_onnx(weights, 96, 2, dest=tmp_path / "exports", keep=2)
    assert sorted(p.name for p in out.parent.glob("*.onnx")) == sorted([out.name, newest.name])

    x = np.random.default_rng(0).random((2, 3, 128, 128), dtype=np.float32)
    net = YOLO(str(weights)).model.float().fuse().eval()
    with torch.no_grad():
        ref = net(torch.from_numpy(x))[0].numpy()
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert got.shape == ref.shape
    assert float(np.std(ref[:, 4:])) > 1e-3  # class scores depend on the image
    np.testing.assert_allclose(got, ref, atol=2e-3 * max(1.0, float(np.abs(ref).max())))


def test_onnx_runtime_detector_matches_torch(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    weights = _responsive_yolo(tmp_path / "yolo11n-parity.pt")
    rng = np.random.default_rng(1)
    # 2 + 2 + 1 slices: batches run on parallel sessions, a short tail, and one slice smaller
    # than the graph (letterboxed, boxes scaled back)
    tiles = [rng.integers(0, 256, (128, 128, 3), dtype=np.uint8) for _ in range(4)]
    tiles.append(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))
    monkeypatch.setenv("EARTHSIGHT_THREADS", "2")
    fast = load_detector(weights, device="cpu", conf=0.01, imgsz=128, batch=2)
    assert fast.runtime == "onnxruntime" and fast.fallback is None and fast.workers == 2
    monkeypatch.setenv("EARTHSIGHT_CPU_RUNTIME", "torch")
    slow = load_detector(weights, device="cpu", conf=0.01, imgsz=128, batch=2)
    assert slow.runtime == "torch" and slow.workers == 1
    a, b = fast.predict(tiles), slow.predict(tiles)
    assert sum(len(d) for d in b) > 0 and len(b[-1]) > 0
    for da, db in zip(a, b, strict=True):
        assert len(da) == len(db)
        assert np.array_equal(np.sort(db.classes), np.sort(da.classes))
        if len(db):  # every torch box has a same-class ONNX Runtime box at IoU >= 0.99
            iou = _iou(db.xyxy, da.xyxy)
            iou[db.classes[:, None] != da.classes[None, :]] = 0.0
            assert iou.max(axis=1).min() >= 0.99


def test_onnx_runtime_obb_matches_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    weights = _responsive_yolo(tmp_path / "yolo11n-obb-parity.pt", "yolo11n-obb.yaml")
    rng = np.random.default_rng(2)
    tiles = [rng.integers(0, 256, (128, 128, 3), dtype=np.uint8) for _ in range(3)]
    fast = load_detector(weights, device="cpu", conf=0.01, imgsz=128, batch=2)
    assert fast.runtime == "onnxruntime" and fast.oriented
    monkeypatch.setenv("EARTHSIGHT_CPU_RUNTIME", "torch")
    slow = load_detector(weights, device="cpu", conf=0.01, imgsz=128, batch=2)
    a, b = fast.predict(tiles), slow.predict(tiles)
    assert sum(len(d) for d in b) > 0
    for da, db in zip(a, b, strict=True):
        assert len(da) == len(db)
        if len(db):  # every box has a partner with the same corners (to 0.05 px), class and
            # score; paired by corner distance, since near-tied scores of random weights may
            # rank differently between the two runtimes
            from scipy.optimize import linear_sum_assignment

            cost = np.abs(da.corners[:, None] - db.corners[None]).sum(axis=(2, 3))
            rows, cols = linear_sum_assignment(cost)
            np.testing.assert_allclose(da.corners[rows], db.corners[cols], atol=0.05)
            assert np.array_equal(da.classes[rows], db.classes[cols])
            np.testing.assert_allclose(da.scores[rows], db.scores[cols], atol=1e-3)


def test_onnx_export_failure_falls_back_to_torch(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    import specialists.detection.yolo as yolo

    def broken(*_a: object, **_k: object) -> Path:
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(yolo, "export_onnx", broken)
    path = build_random("yolo11n.yaml", tmp_path / "yolo11n-fallback.pt", names=["car"])
    det = load_detector(path, device="cpu", conf=0.5, imgsz=96)
    assert det.runtime == "torch" and det.fallback is not None and "exporter broke" in det.fallback
    assert len(det.predict([np.zeros((96, 96, 3), np.uint8)])) == 1
