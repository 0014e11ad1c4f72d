"""Shared plumbing of the CLIP tools: which model, its weights, loading, RGB composites, CSV."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from specialists.runtime.models import (
    DEFAULT_CLIP,
    MODELS,
    ModelRecord,
    WeightsNotFound,
    get_record,
    resolve_weights,
)
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import ToolContext

if TYPE_CHECKING:
    from specialists.clip.model import LoadedClip


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
        from specialists.clip.model import load_clip
    except ImportError as exc:  # pragma: no cover - the deep extra is missing
        raise ToolUnavailable(f"{tool} needs the `deep` extra ({exc.name} is missing): "
                              "pip install 'earthsight[deep]'") from exc
    try:
        return record, load_clip(weights, arch=arch, device=device, batch=batch)
    except ValueError as exc:  # CheckpointError, device errors
        raise InputError(f"model/device: {exc}") from exc


def clip_run(record: ModelRecord, enc: LoadedClip) -> ClipRun:
    """The :class:`ClipRun` record of a loaded model."""
    return ClipRun(name=record.name, weights=enc.weights, arch=enc.arch, device=enc.device,
                   image_size=enc.image_size)


def rgb_maker(ctx: ToolContext) -> Any:
    """A ``path -> RGB composite path`` function that runs ``pseudo_rgb`` in ``ctx``."""

    def to_rgb(path: Path) -> Path:
        from tools.pseudo_rgb import PseudoRgbInput, pseudo_rgb

        ctx.progress("pseudo_rgb", 0, 1)
        return Path(pseudo_rgb.handler(PseudoRgbInput(image=str(path)), ctx).path)

    return to_rgb


def write_csv_atomic(dest: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """Write a CSV to a temporary name beside ``dest`` and rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
