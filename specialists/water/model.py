"""A learned SAR water head: a small U-Net on Sentinel-1 VV and VH backscatter in dB.

Why a learned head: the unsupervised chain of :mod:`specialists.water.rules` (Lee filter, Otsu on
the VV/VH composite, boundary growth) decides pixel by pixel from backscatter alone, so it
cannot use the texture and context that separate open water from other dark surfaces (smooth
fields, shadow) or recover flooded areas with land-like backscatter. A fully convolutional net
trained on hand-labelled chips (Sen1Floods11's hand-labelled split, Bonafilia et al. 2020, is
the public example) learns both.

Architecture: a U-Net (Ronneberger et al. 2015) cut down to ``levels`` resolutions with
``width`` channels at full resolution (doubling at each level): two 3 x 3 convolutions with
batch norm and ReLU per level, max-pooling down, bilinear upsampling and skip concatenation up,
and a 1 x 1 convolution to one water logit per pixel. ``width=16, levels=4`` has about 0.5 M
parameters and a receptive field of 101 pixels (about 1 km at 10 m).

Inputs are VV and VH sigma0 in dB (raw backscatter, no speckle filter: the net learns its own
smoothing), clipped to :data:`CLIP_DB` and standardised with fixed constants
(:data:`IN_MEAN_DB`, :data:`IN_STD_DB`: rounded typical values of Sentinel-1 IW GRD over mixed
land and water; they only bring the inputs near zero mean and unit spread, so they are not fitted
to any dataset). NaN (nodata) inputs become 0 after standardisation. All of this is stored in
the weights' architecture config, so a file carries how to feed it.

Training minimises binary cross-entropy plus soft Dice over the labelled pixels of random
crops (rotations and flips); label -1 (nodata) and NaN inputs are ignored. Validation reports
the IoU and F1 of the water class over whole held-out chips; the epoch with the best IoU is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from specialists.runtime import checkpoint
from specialists.training.segmentation import (
    EpochCallback,
    SegmentationTrainReport,
    iou_f1,
    run_epochs,
)

MODEL_NAME = "sar-water-unet"
BANDS = ("VV", "VH")
"""Input bands, in order (sigma0 in dB)."""
GSD_M = 10.0
"""Pixel size the head is meant for (Sentinel-1 IW GRD, Sen1Floods11 chips), m."""
CLASSES = ("land", "water")
IN_MEAN_DB = (-14.0, -22.0)
"""Standardisation means of VV and VH, dB."""
IN_STD_DB = (5.0, 6.0)
"""Standardisation spreads of VV and VH, dB."""
CLIP_DB = (-50.0, 10.0)
"""Inputs are clipped to this range first, dB."""
IGNORE = -1
"""Label value of pixels without a label (Sen1Floods11 LabelHand nodata)."""

Chip = tuple[np.ndarray, np.ndarray]
"""(backscatter (C, H, W) float dB with NaN for nodata, label (H, W): 1 water, 0 land, -1 none)."""


def default_config(width: int = 16, levels: int = 4) -> dict[str, Any]:
    """Architecture config of the water head (stored in its weights file)."""
    return {"bands": list(BANDS), "width": int(width), "levels": int(levels),
            "in_mean_db": list(IN_MEAN_DB), "in_std_db": list(IN_STD_DB),
            "clip_db": list(CLIP_DB)}


def pad_multiple(config: dict[str, Any]) -> int:
    """Input sides must be a multiple of this (the coarsest pooling stride)."""
    return int(2 ** (int(config["levels"]) - 1))


def build_model(config: dict[str, Any]) -> Any:
    """The U-Net with random weights: ``model(db (B, C, H, W)) -> logits (B, 1, H, W)``."""
    import torch

    nn = torch.nn
    fn = torch.nn.functional
    bands = list(config["bands"])
    width, levels = int(config["width"]), int(config["levels"])
    if levels < 1 or width < 1:
        raise ValueError(f"water head config needs levels >= 1 and width >= 1 (got {config})")
    chans = [width * 2**i for i in range(levels)]

    def block(cin: int, cout: int) -> Any:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True))

    class WaterUNet(nn.Module):
        """Encoder-decoder with skips; one water logit per pixel."""

        in_mean: Any
        in_std: Any
        pad_multiple: int

        def __init__(self) -> None:
            super().__init__()
            self.down = nn.ModuleList(
                [block(len(bands) if i == 0 else chans[i - 1], c) for i, c in enumerate(chans)])
            self.up = nn.ModuleList([block(chans[i] + chans[i + 1], chans[i])
                                     for i in range(levels - 1)])
            self.out = nn.Conv2d(chans[0], 1, 1)
            self.register_buffer("in_mean", torch.tensor(config["in_mean_db"], dtype=torch.float32))
            self.register_buffer("in_std", torch.tensor(config["in_std_db"], dtype=torch.float32))
            self.clip = (float(config["clip_db"][0]), float(config["clip_db"][1]))

        def forward(self, db: Any) -> Any:
            x = (db.clamp(*self.clip) - self.in_mean[None, :, None, None]) \
                / self.in_std[None, :, None, None]
            x = torch.nan_to_num(x, nan=0.0)
            skips = []
            for i, layer in enumerate(self.down):
                x = layer(x if i == 0 else fn.max_pool2d(x, 2))
                skips.append(x)
            for i in range(levels - 2, -1, -1):
                x = fn.interpolate(x, size=skips[i].shape[-2:], mode="bilinear",
                                   align_corners=False)
                x = self.up[i](torch.cat([x, skips[i]], dim=1))
            return self.out(x)

    model: Any = WaterUNet()
    model.pad_multiple = pad_multiple(config)
    return model


def predict_probability(model: Any, db: np.ndarray, device: str = "cpu") -> np.ndarray:
    """Water probability (H, W) of one (C, H, W) array of backscatter in dB (NaN allowed;
    padded internally to the pooling stride)."""
    import torch

    h, w = db.shape[-2:]
    m = int(model.pad_multiple)
    ph, pw = (-h) % m, (-w) % m
    mode: Literal["reflect", "edge"] = "reflect" if ph < h and pw < w else "edge"
    x = np.pad(np.asarray(db, np.float32), ((0, 0), (0, ph), (0, pw)), mode=mode)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x)[None].to(device))
    prob: np.ndarray = torch.sigmoid(logits)[0, 0, :h, :w].float().cpu().numpy()
    return prob


def _valid_label(db: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Pixels that count: labelled 0 or 1 and every input band finite."""
    valid: np.ndarray = np.isin(label, (0, 1)) & np.isfinite(db).all(axis=0)
    return valid


def evaluate(model: Any, chips: Sequence[Chip], device: str = "cpu",
             threshold: float = 0.5) -> tuple[float, float]:
    """IoU and F1 of the water class over the labelled pixels of ``chips`` (1.0 when neither
    the labels nor the predictions have water)."""
    tp = fp = fn_ = 0
    for db, label in chips:
        valid = _valid_label(db, label)
        pred = (predict_probability(model, db, device) >= threshold) & valid
        truth = (label == 1) & valid
        tp += int((pred & truth).sum())
        fp += int((pred & ~truth).sum())
        fn_ += int((~pred & truth).sum())
    return iou_f1(tp, fp, fn_)


def _crops(chips: Sequence[Chip], n: int, crop: int, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for _ in range(n):
        db, label = chips[int(rng.integers(len(chips)))]
        h, w = label.shape
        r, c = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        x = np.asarray(db[:, r:r + crop, c:c + crop], np.float32)
        y = np.where(_valid_label(x, label[r:r + crop, c:c + crop]),
                     label[r:r + crop, c:c + crop], IGNORE)
        k = int(rng.integers(4))
        x, y = np.rot90(x, k, (1, 2)), np.rot90(y, k)
        if rng.integers(2):
            x, y = x[:, :, ::-1], y[:, ::-1]
        xs.append(x)
        ys.append(y)
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32)[:, None]


def _loss(logits: Any, label: Any) -> Any:
    """Binary cross-entropy plus soft Dice over the labelled pixels (label -1 ignored)."""
    import torch

    valid = (label >= 0).float()
    target = label.clamp(min=0)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    n = valid.sum().clamp(min=1.0)
    prob = torch.sigmoid(logits) * valid
    dice = 1 - (2 * (prob * target).sum() + 1) / (prob.sum() + (target * valid).sum() + 1)
    return (bce * valid).sum() / n + dice


def fit_water(train: Sequence[Chip], val: Sequence[Chip], config: dict[str, Any], *,
              epochs: int = 20, steps: int = 16, batch: int = 8, crop: int = 128,
              lr: float = 2e-3, seed: int = 0, device: str = "cpu",
              on_epoch: EpochCallback | None = None) -> tuple[Any, SegmentationTrainReport]:
    """Train the water head on random crops of ``train``; score on ``val`` after each epoch.

    Args:
        train: Training chips (backscatter in dB, labels 1/0/-1).
        val: Validation chips (scored whole; IoU/F1 at probability 0.5). Empty: the training
            chips are scored instead.
        config: Architecture config (:func:`default_config`).
        epochs: Epochs of ``steps`` optimiser steps each.
        steps: Steps per epoch.
        batch: Crops per step.
        crop: Crop side in pixels (cut to the smallest chip and to a multiple of
            :func:`pad_multiple`).
        lr: AdamW learning rate.
        seed: Seed of crops and initialisation.
        device: torch device.
        on_epoch: ``(epoch, epochs, metrics)`` after each epoch.

    Raises:
        ValueError: No training chips, chips smaller than one pooling stride, or no labelled
            pixel in them.
    """
    import torch

    if not train:
        raise ValueError("no training chips")
    if not any(_valid_label(db, lab).any() for db, lab in train):
        raise ValueError("the training chips have no labelled pixels (all -1 or nodata)")
    crop = min(crop, *(lab.shape[0] for _, lab in train), *(lab.shape[1] for _, lab in train))
    crop -= crop % pad_multiple(config)
    if crop <= 0:
        raise ValueError(f"training chips are smaller than {pad_multiple(config)} pixels")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)

    def step_loss() -> Any:
        x, y = (torch.from_numpy(np.ascontiguousarray(t)).to(device)
                for t in _crops(train, batch, crop, rng))
        return _loss(model(x), y)

    return run_epochs(model, opt, step_loss, lambda: evaluate(model, val or train, device),
                      epochs=epochs, steps=steps, keep_best="iou", n_train=len(train),
                      n_val=len(val), on_epoch=on_epoch)


def save_model(model: Any, path: str | Path, config: dict[str, Any],
               meta: dict[str, Any]) -> Path:
    """Save weights and metadata (architecture, bands, gsd_m, classes, metrics) atomically."""
    full = {"bands": list(config["bands"]), "gsd_m": GSD_M, "classes": list(CLASSES),
            "input_units": "dB", **meta}
    return checkpoint.save_model(model, path, MODEL_NAME, config, full, "water probability (0-1)")


def load_model(path: str | Path, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Rebuild the water head from a weights file's architecture config and load its weights.

    Raises:
        specialists.runtime.checkpoint.CheckpointError: Not water-head weights, or they do not fit.
    """
    return checkpoint.load_model(path, MODEL_NAME, build_model, device)
