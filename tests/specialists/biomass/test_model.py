"""AGB head: shapes of both encoder families, synthetic recovery (held-out R² >= 0.95),
weights round trip with metadata, pretrained torchvision weights into a band-adapted stem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from specialists.biomass.model import (  # noqa: E402
    build_model,
    default_config,
    load_model,
    predict_patches,
    save_model,
    token_grid,
)
from specialists.runtime.checkpoint import CheckpointError, save_checkpoint  # noqa: E402
from specialists.runtime.encoders import build_encoder, load_pretrained  # noqa: E402
from specialists.training.biomass import fit_biomass  # noqa: E402


def synthetic(n: int, rng: np.random.Generator, patch: int = 16
              ) -> tuple[np.ndarray, np.ndarray]:
    """Patches whose canopy cover d sets AGB = 300 d^1.5 Mg/ha: trees are green, not red."""
    d = rng.uniform(0, 1, n)
    x = rng.normal(0, 8, (n, 3, patch, patch)).astype(np.float32)
    cover = rng.uniform(0, 1, (n, patch, patch)) < d[:, None, None]
    x[:, 0] += 120 - 60 * cover
    x[:, 1] += 90 + 70 * cover
    x[:, 2] += 80
    return x, 300 * d ** 1.5


@pytest.mark.parametrize("family", ["resnet18", "vit"])
def test_shapes(family: str) -> None:
    config = default_config(in_chans=4, patch_px=32, family=family, small=True)
    model = build_model(config).eval()
    mu, logvar = model(torch.zeros(2, 4, 32, 32))
    assert mu.shape == (2,) and logvar.shape == (2,)
    assert token_grid(config) == 16
    feats = build_encoder(config["encoder"])(torch.zeros(1, 4, 32, 32))
    assert feats[-1].shape[-2:] == (4, 4)


def test_training_recovers_a_known_function(rng: np.random.Generator) -> None:
    x, y = synthetic(320, rng)
    config = default_config(patch_px=16, small=True, stages=1)
    epochs: list[int] = []
    model, report = fit_biomass(x, y, config, epochs=10, batch=32, lr=3e-3,
                                on_epoch=lambda e, n, m: epochs.append(e))
    x_new, y_new = synthetic(100, np.random.default_rng(99))
    pred, sd = predict_patches(model, x_new)
    r2 = 1 - ((pred - y_new) ** 2).sum() / ((y_new - y_new.mean()) ** 2).sum()
    print(f"held-out R² {report.val_r2:.3f}, fresh-sample R² {r2:.3f}, RMSE "
          f"{report.val_rmse:.1f} Mg/ha, {report.seconds:.1f} s")
    assert epochs == list(range(1, 11))
    assert report.val_r2 >= 0.95 and r2 >= 0.95
    assert np.all(sd > 0) and report.val_mean_sd > 0


def test_weights_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    config = default_config(patch_px=16, small=True, stages=1)
    model = build_model(config)
    model.y_mean.fill_(100.0)
    x, _ = synthetic(4, rng)
    before, _ = predict_patches(model, x)
    path = save_model(model, tmp_path / "w" / "agb.pt", config,
                      {"bands": ["red", "green", "blue"], "gsd_m": 10.0,
                       "metrics": {"val_rmse_mg_ha": 12.5}})
    assert not list(path.parent.glob(".*part*"))  # atomic write leaves no temporary
    loaded, meta = load_model(path)
    after, _ = predict_patches(loaded, x)
    np.testing.assert_allclose(before, after, rtol=1e-5)
    assert meta["target_units"] == "Mg/ha" and meta["architecture"] == config
    assert meta["bands"] == ["red", "green", "blue"] and meta["gsd_m"] == 10.0
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="metadata"):
        load_model(tmp_path / "bare.pt")
    save_checkpoint(tmp_path / "other.pt", "siamese-cd", {}, {"architecture": {}})
    with pytest.raises(CheckpointError, match="siamese-cd"):
        load_model(tmp_path / "other.pt")


def test_pretrained_torchvision_weights_fit_a_band_adapted_stem(tmp_path: Path) -> None:
    import torchvision

    torch.save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "r18.pth")
    encoder = build_encoder({"family": "resnet18", "in_chans": 5, "stages": 2})
    assert load_pretrained(encoder, tmp_path / "r18.pth") > 20
    assert encoder.conv1.weight.shape == (64, 5, 7, 7)
    with pytest.raises(ValueError, match="no tensor fits"):
        torch.save({"x": torch.zeros(1)}, tmp_path / "junk.pth")
        load_pretrained(encoder, tmp_path / "junk.pth")
