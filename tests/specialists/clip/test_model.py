"""CLIP specialist: random-init open_clip models from config (no download), shapes, batching,
calibrated scores, checkpoint save/load and architecture guessing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("open_clip")

from specialists.clip.model import (
    TINY_CONFIG,
    CheckpointError,
    build_model,
    build_random,
    guess_arch,
    load_clip,
    read_checkpoint,
    save_checkpoint,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_random("tiny", tmp_path_factory.mktemp("clip") / "tiny.pt", TINY_CONFIG, seed=1)


def test_tiny_shapes_batching_and_scores(tiny: Path) -> None:
    enc = load_clip(tiny, device="cpu")
    assert (enc.arch, enc.image_size, enc.embed_dim) == ("tiny", 32, 32)
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(5)]
    imgs.append(rng.integers(0, 256, (70, 50, 3), dtype=np.uint8))  # resized (squash)
    one = enc.encode_images(imgs, batch=1)
    many = enc.encode_images(imgs, batch=4)
    assert one.shape == (6, 32) and one.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(one, many, atol=1e-5)
    assert enc.encode_images([]).shape == (0, 32)
    labels = enc.encode_labels(["farmland", "forest", "airport"], ["a photo of {}.", "{}"])
    assert labels.shape == (3, 32)
    probs = enc.probabilities(one, labels)
    assert probs.shape == (6, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert enc.logit_scale == pytest.approx(1 / 0.07, rel=1e-3)
    with pytest.raises(ValueError, match="RGB"):
        enc.encode_images([np.zeros((8, 8), np.uint8)])


def test_save_load_round_trip(tiny: Path, tmp_path: Path) -> None:
    enc = load_clip(tiny, device="cpu")
    img = [np.full((32, 32, 3), 120, np.uint8)]
    arch, cfg, state = read_checkpoint(tiny)
    assert arch == "tiny" and cfg == TINY_CONFIG and "visual.conv1.weight" in state
    copy = save_checkpoint(enc.model, tmp_path / "copy.pt", "tiny", TINY_CONFIG)
    again = load_clip(copy, device="cpu")
    assert again is not enc
    np.testing.assert_allclose(again.encode_images(img), enc.encode_images(img), atol=1e-6)
    np.testing.assert_allclose(again.encode_texts(["a port"]), enc.encode_texts(["a port"]),
                               atol=1e-6)


def test_plain_state_dict_with_module_prefix(tmp_path: Path) -> None:
    import torch

    model = build_model("tiny", TINY_CONFIG, seed=2)
    # an open_clip training checkpoint: {"state_dict": {"module.<key>": ...}} without config
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}},
               tmp_path / "train.pt")
    with pytest.raises(CheckpointError, match="architecture"):
        read_checkpoint(tmp_path / "train.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        read_checkpoint(tmp_path / "junk.pt")


@pytest.mark.slow
@pytest.mark.parametrize(("arch", "dim"), [("ViT-B-32", 512), ("RN50", 1024)])
def test_record_architectures_from_config(arch: str, dim: int, tmp_path: Path) -> None:
    import torch

    model = build_model(arch, seed=0)
    state = model.state_dict()
    assert guess_arch(state) == arch
    torch.save(state, tmp_path / f"{arch}.pt")  # RemoteCLIP-style plain state dict
    enc = load_clip(tmp_path / f"{arch}.pt", device="cpu", batch=2)
    assert (enc.arch, enc.image_size, enc.embed_dim) == (arch, 224, dim)
    emb = enc.encode_images([np.zeros((224, 224, 3), np.uint8)] * 3)
    assert emb.shape == (3, dim)
    assert enc.encode_labels(["harbor"]).shape == (1, dim)


def test_vit_l_14_config_is_known() -> None:
    from specialists.clip.model import arch_config

    cfg = arch_config("ViT-L-14")
    assert cfg["embed_dim"] == 768 and cfg["vision_cfg"]["patch_size"] == 14
    with pytest.raises(ValueError, match="unknown open_clip architecture"):
        arch_config("ViT-Z-99")
