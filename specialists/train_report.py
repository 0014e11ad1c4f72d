"""What a binary segmentation training run achieved (the change model, the water head)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
