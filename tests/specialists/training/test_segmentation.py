"""The shared epoch loop of the binary segmentation trainers: best weights kept, bad counts."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from specialists.training.segmentation import run_epochs  # noqa: E402


def test_keeps_the_best_epoch_and_reports_its_scores() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scores = iter([(0.2, 0.3), (0.9, 0.8), (0.5, 0.95)])  # (iou, f1) after epochs 1, 2, 3
    weights = []

    def score() -> tuple[float, float]:
        weights.append(model.weight.detach().clone())
        return next(scores)

    def step_loss() -> object:
        return (model(torch.ones(4, 3)) - 5).pow(2).mean()

    seen: list[int] = []
    model, report = run_epochs(model, opt, step_loss, score, epochs=3, steps=2,
                               keep_best="iou", n_train=4, n_val=1,
                               on_epoch=lambda e, n, m: seen.append(e))
    assert seen == [1, 2, 3] and report.best_epoch == 2
    assert (report.val_iou, report.val_f1) == (0.9, 0.8)  # the kept epoch's, not the last's
    assert torch.equal(model.weight, weights[1]) and not model.training
    assert report.first_loss > report.last_loss and len(report.history) == 3


def test_zero_epochs_is_a_clear_error() -> None:
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="--epochs"):
        run_epochs(model, opt, lambda: None, lambda: (0.0, 0.0), epochs=0, steps=1,
                   keep_best="f1", n_train=1, n_val=0)
