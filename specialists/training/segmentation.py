"""Training of the binary segmentation models (the change model, the water head): the epoch
loop that keeps the best validation weights, and the report of what a run achieved."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

EpochCallback = Callable[[int, int, dict[str, float]], None]
"""``(epoch, epochs, metrics)`` after each epoch."""


@dataclass
class SegmentationTrainReport:
    """Figures of one training run of a binary segmentation model.

    Attributes:
        n_train: Training items (chips or pairs).
        n_val: Validation items.
        epochs: Epochs run.
        first_loss: Mean training loss of the first epoch.
        last_loss: Mean training loss of the last epoch.
        val_iou: IoU of the positive class (water, change) on the validation items at
            probability 0.5, with the weights kept.
        val_f1: F1 of the positive class on the validation items.
        best_epoch: The epoch whose weights were kept (best validation score).
        seconds: Wall time.
        history: Per-epoch metrics.
    """

    n_train: int
    n_val: int
    epochs: int
    first_loss: float
    last_loss: float
    val_iou: float
    val_f1: float
    best_epoch: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """Figures stored in the weights file's metadata."""
        return {"val_iou": self.val_iou, "val_f1": self.val_f1, "first_loss": self.first_loss,
                "last_loss": self.last_loss, "n_train": float(self.n_train),
                "n_val": float(self.n_val), "epochs": float(self.epochs),
                "best_epoch": float(self.best_epoch)}


def iou_f1(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """IoU and F1 of the positive class from pixel counts (1.0 each when there is nothing to
    find and nothing was found)."""
    if tp + fp + fn == 0:
        return 1.0, 1.0
    return tp / (tp + fp + fn), 2 * tp / (2 * tp + fp + fn)


def run_epochs(model: Any, optimiser: Any, step_loss: Callable[[], Any],
               score: Callable[[], tuple[float, float]], *, epochs: int, steps: int,
               keep_best: Literal["iou", "f1"], n_train: int, n_val: int,
               on_epoch: EpochCallback | None = None) -> tuple[Any, SegmentationTrainReport]:
    """Train ``model`` for ``epochs`` of ``steps`` optimiser steps; after each epoch score it
    and keep the weights of the best epoch.

    Args:
        model: torch module (put in train mode for the steps).
        optimiser: torch optimiser over the model's parameters.
        step_loss: The loss of one fresh training batch (a scalar tensor).
        score: ``(iou, f1)`` of the positive class on the validation items.
        epochs: Epochs to run.
        steps: Optimiser steps per epoch.
        keep_best: Which score picks the epoch whose weights are kept.
        n_train: Training items (for the report).
        n_val: Validation items (for the report).
        on_epoch: ``(epoch, epochs, metrics)`` after each epoch.

    Returns:
        The model (eval mode, best weights) and the run's report (scores of the kept weights).

    Raises:
        ValueError: ``epochs`` or ``steps`` below 1.
    """
    if epochs < 1 or steps < 1:
        raise ValueError(f"epochs and steps must be at least 1 (got epochs={epochs}, "
                         f"steps={steps}); pass --epochs N / --steps N with N >= 1")
    start = time.perf_counter()
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, Any]] = (-1.0, 0, {})
    for epoch in range(1, epochs + 1):
        model.train()
        losses = []
        for _ in range(steps):
            loss = step_loss()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        iou, f1 = score()
        metrics = {"epoch": float(epoch), "loss": float(np.mean(losses)), "val_iou": iou,
                   "val_f1": f1}
        history.append(metrics)
        value = iou if keep_best == "iou" else f1
        if value > best[0]:
            best = (value, epoch, copy.deepcopy(model.state_dict()))
        if on_epoch is not None:
            on_epoch(epoch, epochs, metrics)
    model.load_state_dict(best[2])
    model.eval()
    kept = history[best[1] - 1]  # the kept weights' scores (no second validation pass)
    iou, f1 = kept["val_iou"], kept["val_f1"]
    return model, SegmentationTrainReport(
        n_train=n_train, n_val=n_val, epochs=epochs, first_loss=history[0]["loss"],
        last_loss=history[-1]["loss"], val_iou=iou, val_f1=f1, best_epoch=best[1],
        seconds=time.perf_counter() - start, history=history)
