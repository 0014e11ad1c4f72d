"""What the learned specialists need from a scene: their weights, and the bands they were
trained on.

Band labels are roles where the file says which band is which (``red``, ``nir``...), else the
band description, else ``band<i>``; a weights file records the labels of its training scene, and
a scene's bands are matched to them by label, else by order when the counts agree.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from specialists.runtime.checkpoint import CheckpointError
from specialists.runtime.models import WeightsNotFound, get_record, resolve_weights, weights_present
from specialists.spectral.bands import resolve_roles
from tools.core.errors import InputError, ToolUnavailable
from tools.geo.raster import pixel_size_m


def band_labels(src: Any) -> list[str]:
    """One label per band of an open dataset (role, description, or ``band<i>``)."""
    names = list(src.descriptions)
    roles = resolve_roles(src.count, names, [])
    by_index: dict[int, str] = {}
    for role, idx in roles.roles.items():
        by_index.setdefault(idx, role)
    return [by_index.get(i) or (names[i - 1] or f"band{i}").lower()
            for i in range(1, src.count + 1)]


def select_bands(src: Any, wanted: list[str], argument: str = "image"
                 ) -> tuple[list[int], list[str]]:
    """1-based indices of the scene bands that match a model's training bands, and notes.

    Raises:
        InputError: The scene lacks bands the model needs (the message names them and the fix).
    """
    labels = band_labels(src)
    if all(w in labels for w in wanted):
        return [labels.index(w) + 1 for w in wanted], []
    if len(labels) == len(wanted):
        return (list(range(1, src.count + 1)),
                [f"{argument}: bands {labels} matched to the model's bands {wanted} by order"])
    missing = [w for w in wanted if w not in labels]
    raise InputError(
        f"{argument}: {src.name} has bands {labels} but the model was trained on {wanted} "
        f"(missing: {', '.join(missing)}). Pass a scene with those bands (set band "
        "descriptions, e.g. red/green/blue), or train weights on this kind of scene.")


def gsd_note(src: Any, trained_gsd_m: float | None, argument: str = "image") -> list[str]:
    """A warning when the scene's pixel size differs from the training pixel size by > 2x."""
    size = pixel_size_m(src)
    if not size or not trained_gsd_m:
        return []
    gsd = (size[0] + size[1]) / 2
    if gsd > 2 * trained_gsd_m or gsd < trained_gsd_m / 2:
        return [f"{argument}: pixel size {gsd:.3g} m differs from the model's training pixel "
                f"size {trained_gsd_m:.3g} m; predictions may be off"]
    return []


def find_weights(model: str, path: str | None, tool: str, train_hint: str) -> Path:
    """The weights file of a learned specialist (explicit path, weights dir, torch cache).

    Raises:
        ToolUnavailable: No weights anywhere; the message says how to train or provide them.
    """
    record = get_record(model)
    try:
        return resolve_weights(record, path)
    except WeightsNotFound as exc:
        raise ToolUnavailable(
            f"{tool}: no trained weights for the {record.name} model ({exc.weights_file}); it "
            f"will not guess a value without them. Train them with `{train_hint}` and either "
            f"pass the file as model='/path/to/{record.weights}', or put it in the folder "
            f"named by $EARTHSIGHT_WEIGHTS_DIR as {record.weights}. Details: {exc}") from exc


def probability_threshold(value: float | None, method: str, what: str) -> float:
    """The probability cut of a learned method: ``value`` when given (must lie in (0, 1)),
    else 0.5.

    Args:
        value: The tool's ``threshold`` argument.
        method: How the error names the method, e.g. ``method 'learned'``.
        what: What the model's probability is of, e.g. ``water``.

    Raises:
        InputError: ``value`` is not a number strictly between 0 and 1.
    """
    if value is None:
        return 0.5
    if not (math.isfinite(value) and 0 < value < 1):
        raise InputError(f"threshold: {method} thresholds a {what} probability, so it must lie "
                         f"in (0, 1) (got {value}); leave it out for 0.5")
    return float(value)


def has_weights(model: str, path: str | None) -> bool:
    """True when the model's weights are on this machine (no download attempted)."""
    return Path(path).is_file() if path else weights_present(get_record(model))


def load_or_refuse(loader: Any, weights: Path,
                   argument: str = "model") -> tuple[Any, dict[str, Any]]:
    """Call a specialist's ``load_model`` with a clear error for unusable files."""
    try:
        model, meta = loader(weights)
    except CheckpointError as exc:
        raise InputError(f"{argument}: {exc}") from exc
    return model, meta
