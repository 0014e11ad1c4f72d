"""A learned bi-temporal change detector: siamese encoder, feature differences, decoder.

Both dates go through the same torchvision encoder (:mod:`specialists.runtime.encoders`, ResNet-18
trunk); the absolute differences of their feature maps at every scale feed a U-Net-style
decoder that upsamples back to the input size and predicts a change logit per pixel. Input
scaling lives in the model's buffers (raw pixels in, logits out). Training reads pairs
(before, after, binary label), samples random crops with flips, and minimises binary
cross-entropy plus soft Dice; validation reports F1 and IoU of the change class.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from specialists.runtime import checkpoint
from specialists.runtime.encoders import build_encoder, encoder_channels, encoder_strides
from specialists.training.segmentation import (
    EpochCallback,
    SegmentationTrainReport,
    iou_f1,
    run_epochs,
)

MODEL_NAME = "siamese-cd"
Pair = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(before (C, H, W), after (C, H, W), label (H, W) bool)."""


def default_config(in_chans: int = 3, stages: int = 3, decoder: int = 32) -> dict[str, Any]:
    """Architecture config of the change model."""
    return {"encoder": {"family": "resnet18", "in_chans": in_chans, "stages": stages},
            "decoder_channels": decoder}


def pad_multiple(config: dict[str, Any]) -> int:
    """Input sides must be a multiple of this (the coarsest encoder stride)."""
    return encoder_strides(config["encoder"])[-1]


def build_model(config: dict[str, Any]) -> Any:
    """The siamese change model with random weights: ``model(a, b) -> logits (B, 1, H, W)``."""
    import torch

    nn = torch.nn
    fn = torch.nn.functional
    if config["encoder"].get("family", "resnet18") != "resnet18":
        raise ValueError("the change model needs a resnet18 encoder (multi-scale features)")
    chans = encoder_channels(config["encoder"])
    dec = int(config["decoder_channels"])
    in_chans = int(config["encoder"].get("in_chans", 3))

    def block(cin: int, cout: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class SiameseChange(nn.Module):
        """Shared encoder, |f(a) - f(b)| per scale, U-Net decoder, one change logit."""

        in_mean: Any
        in_std: Any
        pad_multiple: int

        def __init__(self) -> None:
            super().__init__()
            self.encoder = build_encoder(config["encoder"])
            self.lateral = nn.ModuleList([nn.Conv2d(c, dec, 1) for c in chans])
            self.fuse = nn.ModuleList([block(2 * dec, dec) for _ in chans[:-1]])
            self.top = block(dec, dec)
            self.out = nn.Conv2d(dec, 1, 1)
            self.register_buffer("in_mean", torch.zeros(in_chans))
            self.register_buffer("in_std", torch.ones(in_chans))

        def _features(self, x: Any) -> list[Any]:
            x = (x - self.in_mean[None, :, None, None]) / self.in_std[None, :, None, None]
            return list(self.encoder(x))

        def forward(self, a: Any, b: Any) -> Any:
            n = a.shape[0]
            feats = self._features(torch.cat([a, b], dim=0))  # one pass for both dates
            diffs = [(f[:n] - f[n:]).abs() for f in feats]
            y = self.top(self.lateral[-1](diffs[-1]))
            for i in range(len(diffs) - 2, -1, -1):
                skip = self.lateral[i](diffs[i])
                y = fn.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
                y = self.fuse[i](torch.cat([y, skip], dim=1))
            y = fn.interpolate(y, size=a.shape[-2:], mode="bilinear", align_corners=False)
            return self.out(y)

    model: Any = SiameseChange()
    model.pad_multiple = pad_multiple(config)
    return model


def predict_probability(model: Any, before: np.ndarray, after: np.ndarray,
                        device: str = "cpu") -> np.ndarray:
    """Change probability (H, W) of one pair of raw (C, H, W) arrays (padded internally)."""
    import torch

    h, w = before.shape[-2:]
    m = model.pad_multiple
    ph, pw = (-h) % m, (-w) % m
    pad = ((0, 0), (0, ph), (0, pw))
    mode: Literal["reflect", "edge"] = "reflect" if ph < h and pw < w else "edge"
    a = np.pad(np.asarray(before, np.float32), pad, mode=mode)
    b = np.pad(np.asarray(after, np.float32), pad, mode=mode)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(a)[None].to(device), torch.from_numpy(b)[None].to(device))
    return torch.sigmoid(logits)[0, 0, :h, :w].float().cpu().numpy()


def _crops(pairs: Sequence[Pair], n: int, crop: int, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a_s, b_s, l_s = [], [], []
    for _ in range(n):
        a, b, lab = pairs[int(rng.integers(len(pairs)))]
        h, w = lab.shape
        r, c = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        sl = (slice(r, r + crop), slice(c, c + crop))
        ca, cb, cl = a[:, sl[0], sl[1]], b[:, sl[0], sl[1]], lab[sl]
        k = int(rng.integers(4))
        ca, cb, cl = (np.rot90(ca, k, (1, 2)), np.rot90(cb, k, (1, 2)), np.rot90(cl, k))
        if rng.integers(2):  # the dates swapped: change is symmetric
            ca, cb = cb, ca
        a_s.append(ca)
        b_s.append(cb)
        l_s.append(cl)
    return (np.stack(a_s).astype(np.float32), np.stack(b_s).astype(np.float32),
            np.stack(l_s).astype(np.float32)[:, None])


def fit_change(train: Sequence[Pair], val: Sequence[Pair], config: dict[str, Any], *,
               epochs: int = 10, steps: int = 8, batch: int = 4, crop: int = 128,
               lr: float = 1e-3, seed: int = 0, device: str = "cpu",
               on_epoch: EpochCallback | None = None) -> tuple[Any, SegmentationTrainReport]:
    """Train the siamese change model on random crops of ``train``; score on ``val``.

    Args:
        train: Training pairs (before, after, label), raw pixels.
        val: Validation pairs (scored whole, F1/IoU at probability 0.5).
        config: Architecture config (:func:`default_config`).
        epochs: Epochs of ``steps`` optimiser steps each.
        steps: Steps per epoch.
        batch: Crops per step.
        crop: Crop side in pixels (a multiple of :func:`pad_multiple`).
        lr: AdamW learning rate.
        seed: Seed of crops and initialisation.
        device: torch device.
        on_epoch: ``(epoch, epochs, metrics)`` after each epoch.

    Raises:
        ValueError: No training pairs, or pairs smaller than the crop.
    """
    import torch

    if not train:
        raise ValueError("no training pairs")
    crop = min(crop, *(p[2].shape[0] for p in train), *(p[2].shape[1] for p in train))
    crop -= crop % pad_multiple(config)
    if crop <= 0:
        raise ValueError("training pairs are smaller than one encoder stride")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model(config)
    stack = np.concatenate([np.concatenate([a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)],
                                           axis=1) for a, b, _ in train], axis=1)
    model.in_mean.copy_(torch.from_numpy(stack.mean(axis=1).astype(np.float32)))
    model.in_std.copy_(torch.from_numpy(stack.std(axis=1).astype(np.float32) + 1e-6))
    positive = float(np.mean([p[2].mean() for p in train]))
    pos_weight = torch.tensor(min(20.0, (1 - positive) / max(positive, 1e-3)))
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)

    def step_loss() -> Any:
        a, b, lab = (torch.from_numpy(np.ascontiguousarray(t)).to(device)
                     for t in _crops(train, batch, crop, rng))
        logits = model(a, b)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, lab, pos_weight=pos_weight.to(device))
        prob = torch.sigmoid(logits)
        dice = 1 - (2 * (prob * lab).sum() + 1) / (prob.sum() + lab.sum() + 1)
        return bce + dice

    return run_epochs(model, opt, step_loss, lambda: evaluate(model, val or train, device),
                      epochs=epochs, steps=steps, keep_best="f1",
                      n_train=len(train), n_val=len(val), on_epoch=on_epoch)


def evaluate(model: Any, pairs: Sequence[Pair], device: str = "cpu") -> tuple[float, float]:
    """IoU and F1 of the change class over all pixels of ``pairs`` (probability >= 0.5)."""
    tp = fp = fn_ = 0
    for a, b, lab in pairs:
        pred = predict_probability(model, a, b, device) >= 0.5
        tp += int((pred & lab).sum())
        fp += int((pred & ~lab).sum())
        fn_ += int((~pred & lab).sum())
    return iou_f1(tp, fp, fn_)


def save_model(model: Any, path: str | Path, config: dict[str, Any],
               meta: dict[str, Any]) -> Path:
    """Save weights and metadata (architecture, bands, gsd_m, target units, metrics)."""
    return checkpoint.save_model(model, path, MODEL_NAME, config, meta, "change probability (0-1)")


def load_model(path: str | Path, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Rebuild the change model from a weights file's architecture config and load its weights.

    Raises:
        specialists.runtime.checkpoint.CheckpointError: Not change model weights, or they do not
        fit.
    """
    return checkpoint.load_model(path, MODEL_NAME, build_model, device)
