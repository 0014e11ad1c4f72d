"""The SAR water head: built from its config with random weights (shapes, NaN input), saved and
loaded with its metadata, the loss ignores unlabelled pixels, and a few epochs on generated
chips (dark water blobs in speckled fields) learn water far above a trivial baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from specialists.runtime.checkpoint import CheckpointError  # noqa: E402
from specialists.water.model import (  # noqa: E402
    _loss,
    build_model,
    default_config,
    evaluate,
    fit_water,
    load_model,
    predict_probability,
    save_model,
)
from tests.tools.water.test_learned import water_chip  # noqa: E402

SMALL = default_config(width=8, levels=3)


@pytest.fixture(autouse=True)
def _threads() -> None:
    torch.set_num_threads(2)


def test_shapes_any_size_and_nodata() -> None:
    torch.manual_seed(0)
    model = build_model(SMALL).eval()
    assert model.pad_multiple == 4
    logits = model(torch.zeros(3, 2, 32, 48))
    assert tuple(logits.shape) == (3, 1, 32, 48)
    db = np.random.default_rng(0).normal(-12.0, 4.0, (2, 37, 50)).astype(np.float32)
    db[:, :5, :7] = np.nan
    prob = predict_probability(model, db)
    assert prob.shape == (37, 50) and np.isfinite(prob).all()
    assert ((prob >= 0) & (prob <= 1)).all()
    assert predict_probability(model, db[:, :3, :2]).shape == (3, 2)  # smaller than the stride
    with pytest.raises(ValueError, match="levels"):
        build_model({**SMALL, "levels": 0})


def test_save_load_round_trip_keeps_metadata(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = build_model(SMALL).eval()
    path = save_model(model, tmp_path / "w" / "sar_water_unet.pt", SMALL,
                      {"metrics": {"val_iou": 0.5}})
    loaded, meta = load_model(path)
    assert meta["bands"] == ["VV", "VH"] and meta["gsd_m"] == 10.0
    assert meta["classes"] == ["land", "water"] and meta["input_units"] == "dB"
    assert meta["architecture"] == SMALL and meta["target_units"] == "water probability (0-1)"
    assert meta["metrics"]["val_iou"] == 0.5
    db = np.random.default_rng(2).normal(-12.0, 4.0, (2, 40, 40)).astype(np.float32)
    np.testing.assert_allclose(predict_probability(loaded, db), predict_probability(model, db),
                               atol=1e-6)
    assert not list(path.parent.glob(".*part*"))  # written atomically
    with pytest.raises(CheckpointError, match="siamese-cd"):
        from specialists.change.model import load_model as load_change

        load_change(path)


def test_loss_ignores_unlabelled_pixels() -> None:
    label = torch.tensor([[[[1.0, 0.0], [-1.0, -1.0]]]])
    a = torch.tensor([[[[2.0, -2.0], [5.0, -5.0]]]])
    b = torch.tensor([[[[2.0, -2.0], [-9.0, 9.0]]]])
    assert float(_loss(a, label)) == pytest.approx(float(_loss(b, label)))


def test_training_learns_water_on_generated_chips() -> None:
    rng = np.random.default_rng(0)
    train = [water_chip(rng) for _ in range(4)]
    val = [water_chip(rng) for _ in range(2)]
    held_out = [water_chip(rng) for _ in range(3)]
    train[0][1][:20] = -1  # unlabelled rows are ignored
    seen: list[int] = []
    model, report = fit_water(train, val, SMALL, epochs=2, steps=10, batch=8, crop=64,
                              on_epoch=lambda e, n, m: seen.append(e))
    iou, f1 = evaluate(model, held_out)
    share = float(np.mean([lab.mean() for _, lab in held_out]))
    print(f"\nwater head on generated chips: held-out IoU {iou:.3f}, F1 {f1:.3f} (all-water "
          f"baseline IoU {share:.3f}); validation IoU {report.val_iou:.3f}")
    assert seen == [1, 2] and report.n_train == 4 and report.n_val == 2
    assert report.best_epoch in (1, 2) and len(report.history) == 2
    assert iou > 0.6 and iou > 3 * share
    assert report.metrics()["val_iou"] == report.val_iou
    with pytest.raises(ValueError, match="no training chips"):
        fit_water([], val, SMALL)
    blank = [(train[0][0], np.full_like(train[0][1], -1))]
    with pytest.raises(ValueError, match="no labelled pixels"):
        fit_water(blank, [], SMALL)
