"""Siamese change model: shapes, weights round trip, and training on the real dev pairs
(LEVIR-CD, DSIFN): the loss falls; validation F1 and IoU are printed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from specialists.change.model import (  # noqa: E402
    build_model,
    default_config,
    evaluate,
    fit_change,
    load_model,
    predict_probability,
    save_model,
)
from tools.biomass.training import read_pairs  # noqa: E402


def test_shapes_any_size() -> None:
    model = build_model(default_config(stages=3, decoder=16)).eval()
    a = torch.zeros(2, 3, 64, 64)
    assert model(a, a + 1).shape == (2, 1, 64, 64)
    prob = predict_probability(model, np.zeros((3, 50, 70)), np.ones((3, 50, 70)))
    assert prob.shape == (50, 70) and np.all((prob >= 0) & (prob <= 1))


def test_weights_round_trip(tmp_path: Path) -> None:
    config = default_config(stages=2, decoder=8)
    model = build_model(config).eval()
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 255, (2, 3, 40, 40)).astype(np.float32)
    before = predict_probability(model, a, b)
    path = save_model(model, tmp_path / "cd.pt", config, {"bands": ["red", "green", "blue"],
                                                          "gsd_m": 0.5})
    loaded, meta = load_model(path)
    np.testing.assert_allclose(predict_probability(loaded, a, b), before, atol=1e-5)
    assert meta["bands"] == ["red", "green", "blue"] and meta["architecture"] == config


@pytest.mark.realdata
def test_training_loss_falls_on_dev_pairs(data_dir: Path) -> None:
    pairs, bands, _ = read_pairs(data_dir / "change")
    assert bands == ["red", "green", "blue"] and len(pairs) >= 4
    arrays = [p for _, p in pairs]
    val, train = arrays[:1], arrays[1:]
    config = default_config(stages=2, decoder=16)
    model, report = fit_change(train, val, config, epochs=5, steps=4, batch=4, crop=64,
                               lr=2e-3)
    losses = [h["loss"] for h in report.history]
    iou, f1 = evaluate(model, val)
    print(f"losses {[round(x, 3) for x in losses]}; validation F1 {report.val_f1:.3f}, "
          f"IoU {report.val_iou:.3f} ({report.seconds:.1f} s)")
    assert min(losses[-2:]) < losses[0]
    assert 0.0 <= f1 <= 1.0 and 0.0 <= iou <= f1 + 1e-9
