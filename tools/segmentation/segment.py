"""``segment``: SAM masks from box prompts, point prompts, class names, or everything.

Prompts are turned into scene pixels and grouped by the window they are segmented in
(:mod:`specialists.segmentation.sam_tiles`); each window is read once, embedded once, and all its
prompts are decoded in batches. Masks stay small crops in scene coordinates until they are painted,
block by block, into an instance-id GeoTIFF on the source grid and polygonised into GeoJSON in the
scene CRS with each object's area in m².

On a Dask cluster (``EARTHSIGHT_CLUSTER``) the windows are embedded and decoded on the workers,
one task per window (:mod:`tools.segmentation.remote`), and merged here with the same code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from specialists.runtime import models
from specialists.runtime.cache import get_or_load
from specialists.runtime.device import configure_threads, pick_device
from specialists.runtime.models import WeightsNotFound
from specialists.segmentation import sam
from specialists.segmentation.sam_tiles import Piece, merge_across_windows, plan_windows
from specialists.tiling import Window, slice_windows
from tools.core.artifacts import Quantity, ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import MODEL_FIELD, PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.geo.area import M2_PER_HA
from tools.geo.fanout import TileRunner
from tools.geo.raster import RasterInfo, describe, open_dataset
from tools.segmentation.output import write_outputs
from tools.segmentation.prompts import Prompts, box_prompts, point_prompts
from tools.segmentation.remote import (
    RemoteSam,
    load_worker_sam,
    remote_prompt_hits,
    remote_sam,
    remote_window_masks,
)
from tools.segmentation.windows import Hit, prompt_hits, read_rgb, window_masks

SAM_CPU_DEFAULT = "mobile_sam_vit_t"
SAM_DEFAULT = "sam_vit_b"


class SegmentInput(SceneOptions):
    """Arguments of segment."""

    image: str = Field(description="path of the scene", json_schema_extra=PATH_FIELD)
    boxes: str | None = Field(None, description="box prompts: an earlier detect_objects step "
                              "($s1) or a GeoJSON of boxes", json_schema_extra=PATH_FIELD)
    points: list[list[float]] | None = Field(
        None, description="point prompts as [x, y] in the scene CRS")
    classes: list[str] | None = Field(
        None, description="class names to detect and then segment")
    everything: bool = Field(False, description="automatic masks for everything in the scene")
    model: str | None = Field(None, description="SAM variant (sam_vit_b, sam_vit_h, "
                              "mobile_sam_vit_t) or weights file", json_schema_extra=MODEL_FIELD)
    min_confidence: float = Field(0.25, ge=0, le=1, description="class names: detection "
                                  "confidence below which boxes are not segmented")
    points_per_side: int = Field(16, ge=2, le=64, description="everything: automatic-mask "
                                 "point grid per window side")
    wgs84: bool = Field(False, description="also write the polygons in EPSG:4326")


class SegmentModelInfo(BaseModel):
    """Which SAM ran."""

    name: str = Field(description="model record name, or the weights file's stem")
    weights: str = Field(description="weights file used")
    encoder: str = Field(description="image encoder: vit_t (MobileSAM), vit_b, vit_l, vit_h")
    device: str
    embeddings: int = Field(description="image embeddings computed (one per window)")


class SegmentOutput(ToolResult):
    """Mask GeoTIFF (instance ids) and polygons with areas."""

    prompt: str = Field(description="boxes, points, classes or everything")
    count: int = Field(0, description="objects segmented")
    area_m2: Quantity | None = Field(None, description="total area of the objects (m²)")
    area_ha: Quantity | None = Field(None, description="total area of the objects (ha)")
    windows: int = Field(0, description="image windows embedded")
    model: SegmentModelInfo | None = None
    detection: str | None = Field(None, description="classes: the detect_objects result used")


def _mode(args: SegmentInput) -> str:
    given = [m for m, on in (("boxes", args.boxes is not None), ("points", bool(args.points)),
                             ("classes", bool(args.classes)), ("everything", args.everything))
             if on]
    if len(given) != 1:
        raise InputError("segment: give exactly one prompt source: boxes ($sN or a GeoJSON), "
                         "points ([[x, y], ...] in the scene CRS), classes (names to detect "
                         f"then segment) or everything=true (got {', '.join(given) or 'none'})")
    return given[0]


def _choose_weights(model: str | None, device: str) -> tuple[str, Path]:
    if model and model in models.MODELS:
        record = models.get_record(model)
        if record.task != "segment":
            sams = ", ".join(n for n, r in models.MODELS.items() if r.task == "segment")
            raise InputError(f"model: {model} is a {record.task} model; SAM models are: {sams}")
        return record.name, models.resolve_weights(record)
    if model:
        looks_like_file = Path(model).suffix or "/" in model or Path(model).exists()
        if not looks_like_file:
            names = ", ".join(n for n, r in models.MODELS.items() if r.task == "segment")
            raise InputError(f"model: unknown SAM model {model!r}; use one of {names} or the "
                             "path of a SAM checkpoint")
        path = Path(model).expanduser()
        if not path.is_file():
            raise InputError(f"model: SAM weights file not found: {path}. Provide SAM weights "
                             "one of three ways: (1) the path of an existing checkpoint here; "
                             f"(2) the official file (e.g. sam_vit_b_01ec64.pth, mobile_sam.pt) "
                             f"in ${models.WEIGHTS_ENV} and model='sam_vit_b' or "
                             "'mobile_sam_vit_t'; (3) that file in torch hub's cache "
                             f"({models.torch_hub_checkpoints()}).")
        return path.stem, path.resolve()
    if device == "cpu":
        light = models.get_record(SAM_CPU_DEFAULT)
        if models.weights_present(light):
            return light.name, models.resolve_weights(light)
    record = models.get_record(SAM_DEFAULT)
    return record.name, models.resolve_weights(record)


def _weights(model: str | None, device: str) -> tuple[str, Path]:
    """The record name and weights file of ``model`` (None: the default for ``device``)."""
    try:
        return _choose_weights(model, device)
    except WeightsNotFound as exc:
        # args[0] is the full message (str() of an OSError with .filename set is not)
        message = f"segment: {exc.args[0] if exc.args else exc}"
        if model and model not in models.MODELS:
            raise InputError(message) from exc
        raise ToolUnavailable(message) from exc


def load_model(model: str | None) -> tuple[Any, str]:
    """The SAM to run (cached per process) and its record name.

    Raises:
        ToolUnavailable: The weights are missing (the message names the file and the three
            ways to provide it); without torch / segment-anything the record's ``requires``
            already refuses the call.
        InputError: ``model`` names no SAM, or a file that is not a SAM checkpoint.
    """
    device = str(pick_device())
    name, path = _weights(model, device)
    try:
        seg = get_or_load(f"sam:{path}:{device}", lambda: sam.load_sam(path, device))
    except sam.SamLoadError as exc:
        raise InputError(f"model: {exc}") from exc
    configure_threads()
    return seg, name


def load_remote_model(model: str | None, runner: TileRunner) -> tuple[RemoteSam, str]:
    """The SAM on the cluster's workers (each loads it once) and its record name; the weights
    are chosen here as for :func:`load_model`.

    Raises:
        ToolUnavailable: The weights are missing.
        InputError: ``model`` names no SAM, or a file that is not a SAM checkpoint.
    """
    name, path = _weights(model, str(pick_device()))
    try:
        return remote_sam(runner, path, load_worker_sam), name
    except sam.SamLoadError as exc:
        raise InputError(f"model: {exc}") from exc


def _sam_source(args: SegmentInput, info: RasterInfo, ctx: ToolContext) -> tuple[str, list[int]]:
    """The file and bands SAM reads: the scene itself when it is 8-bit (one or two bands are
    shown as grey), else the composite of a ``pseudo_rgb`` child call."""
    if info.dtype == "uint8":
        return args.image, [1, 2, 3] if info.count >= 3 else [1, 1, 1]
    rgb = ctx.call_tool("pseudo_rgb", {"image": args.image}).first("raster")
    if rgb is None or rgb.path is None:
        raise InputError(f"image: pseudo_rgb wrote no composite of {args.image}")
    return rgb.path, [1, 2, 3]


BOX_MARGIN = 0.1
"""A box-prompted mask is kept within its box grown by this share of the box side (+2 px)."""


def _clip_to_box(hit: tuple[int, int, np.ndarray, float], b: np.ndarray
                 ) -> tuple[int, int, np.ndarray, float] | None:
    row, col, crop, score = hit
    mx, my = BOX_MARGIN * (b[2] - b[0]) + 2, BOX_MARGIN * (b[3] - b[1]) + 2
    r0, r1 = max(row, int(b[1] - my)), min(row + crop.shape[0], int(np.ceil(b[3] + my)))
    c0, c1 = max(col, int(b[0] - mx)), min(col + crop.shape[1], int(np.ceil(b[2] + mx)))
    if r1 <= r0 or c1 <= c0:
        return None
    sub = crop[r0 - row:r1 - row, c0 - col:c1 - col]
    return (r0, c0, np.ascontiguousarray(sub), score) if sub.any() else None


def _prompt_hits(src: Any, bands: list[int], seg: Any, kind: str,
                 items: list[tuple[Window, np.ndarray]]) -> Generator[list[Hit | None], None, None]:
    """Per window (with its prompts in scene pixels), its prompts' masks, in window order:
    on the cluster's workers for a :class:`RemoteSam`, else here."""
    if isinstance(seg, RemoteSam):
        yield from remote_prompt_hits(seg, str(src.name), bands, kind, items)
        return
    for win, coords in items:
        yield prompt_hits(seg, read_rgb(src, bands, win), kind, coords, win.row_off, win.col_off)


def _window_masks(src: Any, bands: list[int], seg: Any, wins: list[Window],
                  points_per_side: int) -> Generator[list[Hit], None, None]:
    """Per window, its automatic masks (window offsets), in window order: on the cluster's
    workers for a :class:`RemoteSam`, else here."""
    if isinstance(seg, RemoteSam):
        yield from remote_window_masks(seg, str(src.name), bands, wins, points_per_side)
        return
    for win in wins:
        yield window_masks(seg, read_rgb(src, bands, win), points_per_side)


def _segment_prompts(src: Any, bands: list[int], seg: Any, prompts: Prompts,
                     ctx: ToolContext) -> tuple[list[Piece], int]:
    side = int(seg.tile_side)
    plan = plan_windows(prompts.needs, src.width, src.height, side, side // 4)
    items = [(pw.window, prompts.coords[np.asarray(pw.indices)]) for pw in plan]
    pieces: list[Piece] = []
    with contextlib.closing(_prompt_hits(src, bands, seg, prompts.kind, items)) as found:
        for n, (pw, hits) in enumerate(zip(plan, found, strict=True), start=1):
            for i, hit in zip(pw.indices, hits, strict=True):
                if hit is not None and prompts.kind == "boxes":
                    hit = _clip_to_box(hit, prompts.coords[i])
                if hit is not None:
                    pieces.append(Piece(hit[0], hit[1], hit[2], hit[3], i, pw.window,
                                        dict(prompts.props[i])))
            ctx.progress("segment", n, len(plan))
    return pieces, len(plan)


def _segment_everything(src: Any, bands: list[int], seg: Any, points_per_side: int,
                        ctx: ToolContext) -> tuple[list[Piece], int]:
    side = int(seg.tile_side)
    wins = slice_windows(src.width, src.height, side, side // 4)
    pieces: list[Piece] = []
    with contextlib.closing(_window_masks(src, bands, seg, wins, points_per_side)) as found:
        for n, (win, masks) in enumerate(zip(wins, found, strict=True), start=1):
            for r0, c0, crop, score in masks:
                pieces.append(Piece(win.row_off + r0, win.col_off + c0, crop, score, -1, win))
            ctx.progress("segment everything", n, len(wins))
    return merge_across_windows(pieces), len(wins)


@tool_record(SegmentInput, SegmentOutput, needs=("torch", "segment_anything"),
             models=(SAM_CPU_DEFAULT, SAM_DEFAULT))
def segment(args: SegmentInput, ctx: ToolContext) -> SegmentOutput:
    """Segment objects with SAM from box prompts (e.g. a detect_objects result), point prompts,
    class names (detect then segment) or everything; returns a mask GeoTIFF, polygons and the
    area of each object in m².

    Args:
        args: Validated arguments.
        ctx: Tool context (workspace, settings, progress).
    """
    mode = _mode(args)
    info = describe(args.image)
    warnings: list[str] = []
    detection: Path | None = None
    prompts: Prompts | None = None
    if mode == "classes":  # detect first, in a child call: its result file holds the boxes
        ctx.call_tool("detect_objects", {"image": args.image, "classes": args.classes,
                                         "min_confidence": args.min_confidence})
        detection = ctx.child_runs[-1].result_path
        prompts = box_prompts(str(detection), info, warnings, argument="classes")
    elif mode == "boxes":
        prompts = box_prompts(str(args.boxes), info, warnings)
    elif mode == "points":
        prompts = point_prompts(args.points or [], info, warnings)
    runner = TileRunner(ctx)
    seg, name = (load_model(args.model) if runner.executor.in_process else
                 load_remote_model(args.model, runner))
    before = int(seg.embed_calls)
    rgb_path, bands = _sam_source(args, info, ctx)
    with open_dataset(rgb_path) as src:
        if prompts is None:
            pieces, windows = _segment_everything(src, bands, seg, args.points_per_side, ctx)
        elif len(prompts.coords):
            pieces, windows = _segment_prompts(src, bands, seg, prompts, ctx)
        else:
            pieces, windows = [], 0
    model = SegmentModelInfo(name=name, weights=str(seg.weights), encoder=str(seg.arch.name),
                             device=str(seg.device), embeddings=int(seg.embed_calls) - before)
    with open_dataset(args.image) as like:
        written = write_outputs(like, info, pieces, ctx, wgs84=args.wgs84)
    out = SegmentOutput(summary="", image=args.image, warnings=warnings + written.warnings,
                        prompt=mode, count=written.count, windows=windows, model=model,
                        detection=str(detection) if detection else None,
                        cluster=runner.record())
    ctx.number("count", written.count, "count", "objects segmented")
    if written.area_m2 is not None:
        out.area_m2 = Quantity(value=written.area_m2, unit="m²")
        out.area_ha = Quantity(value=written.area_m2 / M2_PER_HA, unit="ha")
        ctx.number("area", written.area_m2, "m²", "total area of the segmented objects")
        ctx.number("area_ha", written.area_m2 / M2_PER_HA, "ha",
                   "total area of the segmented objects")
        size = f"{out.area_m2} ({out.area_ha})"
    else:
        size = f"{written.pixels} pixels (no CRS, so no area)"
    source = {"boxes": f"{len(prompts.coords) if prompts else 0} box prompts",
              "classes": f"{len(prompts.coords) if prompts else 0} detected "
                         f"{'/'.join(args.classes or [])} boxes",
              "points": f"{len(prompts.coords) if prompts else 0} point prompts",
              "everything": "automatic masks"}[mode]
    out.summary = (f"Segmented {written.count} objects from {source} with SAM {model.encoder} "
                   f"({model.name}, {model.device}; {model.embeddings} window embeddings): "
                   f"total {size}.")
    return out
