"""Training of the AGB regression head on patches with known AGB (e.g. GEDI L4A footprints).

Patches are split into training and held-out sets; inputs and targets are standardised from
the training set (stored in the model's buffers); the loss is the Gaussian negative
log-likelihood of the predicted mean and log-variance plus squared error; augmentation is
flips and 90° rotations (AGB does not depend on orientation). The weights of the epoch with the
lowest held-out RMSE are kept. Progress is reported per epoch through a callback.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specialists.biomass.model import build_model, gaussian_loss, predict_patches, r2_score
from specialists.runtime.encoders import load_pretrained

EpochCallback = Callable[[int, int, dict[str, float]], None]
"""``(epoch, epochs, metrics)`` after each epoch (metrics: loss, val_rmse...)."""


def _no_epoch(epoch: int, epochs: int, metrics: dict[str, float]) -> None:
    return None


@dataclass
class BiomassTrainReport:
    """What a training run achieved; AGB figures in Mg/ha.

    Attributes:
        n_train: Training patches.
        n_val: Held-out patches.
        epochs: Epochs run.
        best_epoch: Epoch whose weights were kept (lowest held-out RMSE).
        train_rmse: RMSE on the training patches (Mg/ha).
        val_rmse: Held-out RMSE (Mg/ha).
        val_r2: Held-out coefficient of determination.
        val_bias: Held-out mean(prediction - target) (Mg/ha).
        val_mean_sd: Mean predicted standard deviation on held-out patches (Mg/ha).
        seconds: Wall time.
        frozen_encoder: Whether the encoder stayed frozen.
        history: Per-epoch metrics.
    """

    n_train: int
    n_val: int
    epochs: int
    best_epoch: int
    train_rmse: float
    val_rmse: float
    val_r2: float
    val_bias: float
    val_mean_sd: float
    seconds: float
    frozen_encoder: bool
    history: list[dict[str, float]] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """Figures stored in the weights file's metadata."""
        return {"train_rmse_mg_ha": self.train_rmse, "val_rmse_mg_ha": self.val_rmse,
                "val_r2": self.val_r2, "val_bias_mg_ha": self.val_bias,
                "val_mean_sd_mg_ha": self.val_mean_sd, "n_train": float(self.n_train),
                "n_val": float(self.n_val), "epochs": float(self.epochs)}


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random training and held-out indices (at least one of each when n >= 2)."""
    if n < 2:
        raise ValueError(f"need at least 2 samples to hold some out (got {n})")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 1, max(1, round(n * val_fraction)))
    return order[n_val:], order[:n_val]


def _augment(x: Any, gen: Any) -> Any:
    import torch

    k = int(torch.randint(0, 4, (1,), generator=gen))
    x = torch.rot90(x, k, dims=(2, 3))
    if bool(torch.randint(0, 2, (1,), generator=gen)):
        x = x.flip(3)
    return x


def fit_biomass(
    patches: np.ndarray, targets: np.ndarray, config: dict[str, Any], *, epochs: int = 30,
    freeze_encoder: bool = False, encoder_weights: str | Path | None = None,
    lr: float = 2e-3, batch: int = 32, val_fraction: float = 0.2, seed: int = 0,
    device: str = "cpu", on_epoch: EpochCallback = _no_epoch,
) -> tuple[Any, BiomassTrainReport]:
    """Train the AGB model on patches.

    Args:
        patches: Raw pixels (N, bands, patch_px, patch_px); NaN-free.
        targets: AGB of each patch in Mg/ha (N,).
        config: Architecture config (:func:`specialists.biomass.model.default_config`).
        epochs: Passes over the training patches.
        freeze_encoder: Train the head only.
        encoder_weights: torchvision weights for the encoder (e.g. ImageNet ResNet-18).
        lr: AdamW learning rate.
        batch: Patches per step.
        val_fraction: Share of patches held out.
        seed: Seed of the split, the initialisation and the augmentation.
        device: torch device.
        on_epoch: Called after each epoch.

    Returns:
        ``(model, report)``: the model with the best held-out weights, in eval mode.

    Raises:
        ValueError: Shapes that do not fit the config, or too few patches.
    """
    import torch

    start = time.perf_counter()
    x_all = np.asarray(patches, dtype=np.float32)
    y_all = np.asarray(targets, dtype=np.float32)
    p = int(config["patch_px"])
    bands = int(config["encoder"].get("in_chans", 3))
    if x_all.ndim != 4 or x_all.shape[1:] != (bands, p, p) or len(x_all) != len(y_all):
        raise ValueError(f"patches must be (N, {bands}, {p}, {p}) with one target each; got "
                         f"{x_all.shape} and {y_all.shape}")
    train_idx, val_idx = split_indices(len(x_all), val_fraction, seed)
    torch.manual_seed(seed)
    model = build_model(config)
    if encoder_weights is not None:
        load_pretrained(model.encoder, encoder_weights)
    xt = x_all[train_idx]
    mean = xt.mean(axis=(0, 2, 3))
    std = xt.std(axis=(0, 2, 3)) + 1e-6
    model.in_mean.copy_(torch.from_numpy(mean))
    model.in_std.copy_(torch.from_numpy(std))
    model.y_mean.fill_(float(y_all[train_idx].mean()))
    model.y_std.fill_(float(y_all[train_idx].std() + 1e-6))
    model.to(device)
    if freeze_encoder:
        for prm in model.encoder.parameters():
            prm.requires_grad_(False)
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    steps = max(1, epochs * int(np.ceil(len(train_idx) / batch)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    x_tensor = torch.from_numpy(x_all)
    y_std_t = (torch.from_numpy(y_all) - model.y_mean.cpu()) / model.y_std.cpu()
    best: tuple[float, int, dict[str, Any]] = (np.inf, 0, {})
    history: list[dict[str, float]] = []
    for epoch in range(1, epochs + 1):
        model.train()
        if freeze_encoder:
            model.encoder.eval()  # keep its batch-norm statistics
        order = train_idx[torch.randperm(len(train_idx), generator=gen).numpy()]
        total, count = 0.0, 0
        for i in range(0, len(order), batch):
            idx = torch.from_numpy(order[i:i + batch])
            if len(idx) < 2:
                continue  # batch norm needs two samples
            xb = _augment(x_tensor[idx], gen).to(device)
            mu, logvar = model.standardised(xb)
            loss = gaussian_loss(mu, logvar, y_std_t[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        pred, _ = predict_patches(model, x_all[val_idx], device=device)
        val_rmse = float(np.sqrt(np.mean((pred - y_all[val_idx]) ** 2)))
        metrics = {"epoch": float(epoch), "loss": total / max(count, 1), "val_rmse": val_rmse,
                   "val_r2": r2_score(y_all[val_idx], pred)}
        history.append(metrics)
        if val_rmse < best[0]:
            best = (val_rmse, epoch, copy.deepcopy(model.state_dict()))
        on_epoch(epoch, epochs, metrics)
    if best[2]:
        model.load_state_dict(best[2])
    model.eval()
    train_pred, _ = predict_patches(model, x_all[train_idx], device=device)
    val_pred, val_sd = predict_patches(model, x_all[val_idx], device=device)
    yv = y_all[val_idx]
    report = BiomassTrainReport(
        n_train=len(train_idx), n_val=len(val_idx), epochs=epochs, best_epoch=best[1],
        train_rmse=float(np.sqrt(np.mean((train_pred - y_all[train_idx]) ** 2))),
        val_rmse=float(np.sqrt(np.mean((val_pred - yv) ** 2))), val_r2=r2_score(yv, val_pred),
        val_bias=float(np.mean(val_pred - yv)), val_mean_sd=float(np.mean(val_sd)),
        seconds=time.perf_counter() - start, frozen_encoder=freeze_encoder, history=history)
    return model, report
