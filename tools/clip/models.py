"""Shared plumbing of the CLIP tools: which model, its weights, loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic import BaseModel, Field

from specialists.clip.model import LoadedClip, load_clip
from specialists.runtime.models import (
    DEFAULT_CLIP,
    MODELS,
    ModelRecord,
    WeightsNotFound,
    get_record,
    resolve_weights,
)
from tools.core.errors import InputError, ToolUnavailable


class ClipRun(BaseModel):
    """The CLIP model that ran."""

    name: str = Field(description="model record name, or the checkpoint's file stem")
    weights: str = Field(description="checkpoint file")
    arch: str = Field(description="open_clip architecture")
    device: str
    image_size: int = Field(description="input side in pixels")


def clip_models() -> list[str]:
    """Names of the CLIP-family model records."""
    return [n for n, r in MODELS.items() if r.task == "contrastive"]


def resolve_clip(spec: str | None, tool: str) -> tuple[ModelRecord, Path, str | None]:
    """(record, checkpoint file, architecture or None to guess) for a ``model`` argument.

    Raises:
        InputError: Unknown name, a non-CLIP record, or a given file that does not exist.
        ToolUnavailable: The default/named model's weights are not on this machine.
    """
    path: str | None = None
    if spec is None:
        record = get_record(DEFAULT_CLIP)
    elif spec in MODELS:
        record = get_record(spec)
        if record.task != "contrastive":
            raise InputError(f"model: '{spec}' is a {record.task} model; {tool} takes one of "
                             f"{', '.join(clip_models())} or a CLIP checkpoint file (.pt)")
    elif spec.endswith((".pt", ".pth", ".bin")) or Path(spec).expanduser().exists():
        by_file = {r.weights: r for r in MODELS.values() if r.task == "contrastive"}
        record = by_file.get(Path(spec).name) or ModelRecord(
            name=Path(spec).stem, task="contrastive", library="open_clip",
            weights=Path(spec).name, classes=(), bands=("red", "green", "blue"), gsd_m=None,
            licence="unknown", source=spec, config=None)
        path = spec
    else:
        raise InputError(f"model: unknown model '{spec}'; pass one of {', '.join(clip_models())} "
                         "or the path of a CLIP checkpoint (.pt)")
    try:
        weights = resolve_weights(record, path)
    except WeightsNotFound as exc:
        if path is not None:
            raise InputError(f"model: {exc}") from exc
        raise ToolUnavailable(f"{tool}: {exc}") from exc
    return record, weights, record.config


def load_clip_model(spec: str | None, tool: str, device: str | None, batch: int | None
                    ) -> tuple[ModelRecord, LoadedClip]:
    """Resolve and load (cached) the CLIP model of a ``model`` argument.

    Raises:
        InputError: Bad model argument, device, or a checkpoint that is not a CLIP model.
        ToolUnavailable: Weights missing (the message names the file and the three ways).
    """
    record, weights, arch = resolve_clip(spec, tool)
    try:
        return record, load_clip_batched(str(weights), arch, device, batch)
    except ImportError as exc:  # pragma: no cover - the deep extra is missing
        raise ToolUnavailable(f"{tool} needs the `deep` extra ({exc.name} is missing): "
                              "pip install 'earthsight[deep]'") from exc
    except ValueError as exc:  # CheckpointError, device errors
        raise InputError(f"model/device: {exc}") from exc


def default_batch(device: str) -> int:
    """Images per forward pass when none is asked: 64 on CUDA, 16 on CPU (as ``load_clip``)."""
    return 64 if device.startswith("cuda") else 16


def load_clip_batched(weights: str, arch: str | None, device: str | None,
                      batch: int | None) -> LoadedClip:
    """The cached model of ``weights`` with exactly ``batch`` images per forward pass (None: the
    device's default), whatever earlier calls asked: a copy of the cached encoder (the network
    is shared), so one call's batch never leaks into the next call's forward-pass groups.

    Module-level and with plain arguments: it is also the loader that Dask workers run by name
    (:mod:`tools.clip.remote`), so a worker's encoder groups images as this process's would.

    Raises:
        CheckpointError: Not a checkpoint of a CLIP architecture it fits (a ValueError).
        ValueError: A bad device.
    """
    loaded = load_clip(weights, arch=arch, device=device)
    return dataclasses.replace(loaded, batch=batch or default_batch(loaded.device))


def clip_run(record: ModelRecord, enc: LoadedClip) -> ClipRun:
    """The :class:`ClipRun` record of a loaded model."""
    return ClipRun(name=record.name, weights=enc.weights, arch=enc.arch, device=enc.device,
                   image_size=enc.image_size)
