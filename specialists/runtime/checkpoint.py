"""Weights files with metadata: one format for the weights EarthSight trains and a user's own.

A weights file is a ``torch.save`` dictionary::

    {"format": "earthsight-weights/1", "model": "agb-mixer-resnet18",
     "meta": {"architecture": {...}, "bands": [...], "gsd_m": 30.0, "target_units": "Mg/ha",
              "metrics": {"val_rmse": ...}, ...},
     "state_dict": {...}}

It is read with ``weights_only=True`` (no pickled code runs) and written atomically: a
temporary file next to the destination, then a rename, so a crash never leaves half a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from specialists.runtime.atomic import atomic_path
from specialists.runtime.model_files import ModelFileRefused, load_tensors

FORMAT = "earthsight-weights/1"


class CheckpointError(ValueError):
    """A weights file is not readable or not for the model asked for (the message says why)."""


def save_checkpoint(path: str | Path, model: str, state_dict: dict[str, Any],
                    meta: dict[str, Any]) -> Path:
    """Write weights and metadata atomically (temporary file + rename).

    Args:
        path: Destination file (``.pt``); its folder is created.
        model: Model record name the weights belong to.
        state_dict: ``module.state_dict()``.
        meta: JSON-like metadata (architecture, bands, gsd_m, target_units, metrics...).

    Returns:
        The destination path.
    """
    import torch

    dest = Path(path).expanduser()
    payload = {"format": FORMAT, "model": model, "meta": meta,
               "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()}}
    with atomic_path(dest) as tmp:
        torch.save(payload, tmp)
    return dest


def load_checkpoint(path: str | Path, model: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a weights file written by :func:`save_checkpoint` (or by a user in that format).

    Args:
        path: The weights file.
        model: The model record name it must belong to.

    Returns:
        ``(state_dict, meta)``.

    Raises:
        CheckpointError: Unreadable, another format, or weights of another model.
    """

    p = Path(path)
    try:
        data = load_tensors(p)
    except ModelFileRefused as exc:
        raise CheckpointError(str(exc)) from exc
    except Exception as exc:
        raise CheckpointError(f"{p}: not a readable weights file ({type(exc).__name__}: {exc}); "
                              "pass a file written by `earthsight train`") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(
            f"{p}: not an EarthSight weights file (no 'format': '{FORMAT}' entry). A bare "
            "state_dict lacks the metadata (architecture, bands, gsd_m, target units) needed "
            "to rebuild the model: wrap it with specialists.runtime.checkpoint.save_checkpoint "
            "or train with `earthsight train`.")
    if data.get("model") != model:
        raise CheckpointError(f"{p}: weights of model '{data.get('model')}', not '{model}'; "
                              "pass the weights file of the right model")
    meta = data.get("meta")
    state = data.get("state_dict")
    if not isinstance(meta, dict) or not isinstance(state, dict) or "architecture" not in meta:
        raise CheckpointError(f"{p}: metadata or state_dict missing (need 'meta' with "
                              "'architecture', and 'state_dict')")
    return state, meta


def save_model(model: Any, path: str | Path, name: str, config: dict[str, Any],
               meta: dict[str, Any], target_units: str) -> Path:
    """Save a torch module's weights with its architecture ``config`` and ``meta`` (bands,
    gsd_m, metrics...) under the model ``name``."""
    full = {**meta, "architecture": config, "target_units": target_units}
    return save_checkpoint(path, name, model.state_dict(), full)


def load_model(path: str | Path, name: str, build: Callable[[dict[str, Any]], Any],
               device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Rebuild model ``name`` from a weights file's architecture config and load its weights.

    Args:
        path: Weights file.
        name: Model name the file must carry.
        build: Builds the (untrained) module from the stored architecture config.
        device: Where to put the module.

    Raises:
        CheckpointError: Not weights of ``name``, or they do not fit the stored architecture.
    """
    state, meta = load_checkpoint(path, name)
    model = build(meta["architecture"])
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the architecture in its metadata "
                              f"({exc})") from exc
    return model.to(device).eval(), meta
