"""``detect_objects``: YOLO boxes (horizontal or oriented) over scenes of any size.

The scene is read window by window (slices of ``tile_size`` pixels with ``overlap``), the
slices go through the detector in batches, boxes are shifted to scene pixels and merged
across slices (class-wise NMS, rotated overlap for oriented boxes) so an object cut by a
slice border is reported once, then written as GeoJSON polygons in the scene CRS. Non-RGB
scenes go through ``pseudo_rgb`` first. ``image`` may also be a ``search_images`` result: only
the slices touching its hit windows are read, and the boxes are written per CRS of the hit
scenes (see :mod:`tools.detection.inputs`). The detector is built by :func:`load_predictor`
(tests replace it with a fake that returns known boxes). On a Dask cluster
(``EARTHSIGHT_CLUSTER``) the slices are predicted on the workers (:mod:`tools.detection.remote`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from pydantic import BaseModel, Field
from shapely.geometry import Polygon, mapping

from prompts.classes import canonical_class
from specialists.detection.slicing import Detections, concat, merge
from specialists.detection.yolo import LoadedDetector, load_detector
from specialists.runtime.models import (
    MODELS,
    ModelRecord,
    WeightsNotFound,
    get_record,
    resolve_weights,
)
from specialists.tiling import Window, slice_windows
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import MODEL_FIELD, PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.detection.inputs import (
    ACCEPTED,
    HitWindow,
    Target,
    crs_groups,
    crs_slug,
    detection_targets,
    keep_in_hits,
    touching,
)
from tools.detection.remote import RemoteDetector, keep_part, remote_detector, remote_predictions
from tools.geo.area import geometry_area_m2, geometry_length_m
from tools.geo.fanout import TileRunner
from tools.geo.raster import crs_to_str, describe, open_dataset, rio
from tools.geo.vector import write_geojson


class DetectObjectsInput(SceneOptions):
    """Arguments of detect_objects."""

    image: str = Field(description=f"path of the scene (non-RGB goes through pseudo_rgb first): "
                                   f"{ACCEPTED}", json_schema_extra=PATH_FIELD)
    classes: list[str] | None = Field(
        None, description="canonical class names to keep, e.g. ['ship'] (default: all)")
    min_confidence: float = Field(0.25, ge=0, le=1, description="drop detections below this")
    oriented: bool | None = Field(
        None, description="oriented boxes (DOTA-style OBB); default: the model's own kind")
    model: str | None = Field(
        None, description="model name (see `earthsight models`, default yolo11n-obb, or "
                          "yolo11n when oriented=false) or an ultralytics weights file (.pt)",
        json_schema_extra=MODEL_FIELD)
    wgs84: bool = Field(False, description="also write the boxes in EPSG:4326")
    tile_size: int | None = Field(
        None, ge=64, description="slice side in pixels (default: 1024 for OBB models, else 640)")
    overlap: int | None = Field(
        None, ge=0, description="overlap of neighbouring slices in pixels (default: 20 % of "
                                "tile_size); objects up to this size are never cut")
    merge_threshold: float = Field(
        0.5, gt=0, le=1, description="overlap (intersection over the smaller box) above which "
                                     "boxes of one class from neighbouring slices are one object")
    batch: int | None = Field(None, ge=1, description="slices per forward pass (default: 16 "
                              "on GPU; on CPU 1 per ONNX Runtime session, 2 on torch)")
    device: str | None = Field(None, description="cpu, cuda or cuda:N (default: cuda if present)")


class ModelRun(BaseModel):
    """The model that ran."""

    name: str
    weights: str
    device: str
    runtime: str = Field("torch", description="inference runtime: torch or onnxruntime")
    oriented: bool
    tile_size: int = Field(description="slice side in pixels")
    overlap: int = Field(description="slice overlap in pixels")
    slices: int = Field(description="number of slices read")


class ObjectLayer(BaseModel):
    """One GeoJSON of boxes: the scenes (all in one CRS) they come from."""

    crs: str | None
    path: str
    scenes: list[str]
    count: int


class DetectObjectsOutput(ToolResult):
    """Boxes as GeoJSON in the scene CRS and counts per class."""

    counts: dict[str, int] = Field(default_factory=dict)
    path: str | None = Field(None, description="GeoJSON of the boxes (scene CRS; the first "
                                               "layer when the scenes differ in CRS)")
    layers: list[ObjectLayer] = Field(default_factory=list,
                                      description="one GeoJSON per CRS of the scenes")
    model: ModelRun | None = None


LoaderFn = Callable[[Path, str | None, float, int, int | None], LoadedDetector]


def load_predictor(weights: Path, device: str | None, conf: float, imgsz: int,
                   batch: int | None) -> LoadedDetector:
    """Load the YOLO detector (replaced by tests with a fake detector)."""
    return load_detector(weights, device=device, conf=conf, imgsz=imgsz, batch=batch)


def _detectors() -> list[str]:
    return [n for n, r in MODELS.items() if r.library == "ultralytics"]


def _resolve_model(args: DetectObjectsInput) -> tuple[ModelRecord, Path]:
    spec = args.model
    if spec is None:
        record = get_record("yolo11n" if args.oriented is False else "yolo11n-obb")
        path = None
    elif spec in MODELS:
        record, path = get_record(spec), None
        if record.library != "ultralytics":
            raise InputError(f"model: '{spec}' is a {record.task} model; detect_objects takes "
                             f"one of {', '.join(_detectors())} or an ultralytics .pt file")
    elif spec.endswith((".pt", ".pth")) or Path(spec).expanduser().exists():
        by_file = {r.weights: r for r in MODELS.values()}
        record = by_file.get(Path(spec).name) or ModelRecord(
            name=Path(spec).stem, task="detect", library="ultralytics", weights=Path(spec).name,
            classes=(), bands=("red", "green", "blue"), gsd_m=None, licence="unknown",
            source=spec)
        path = spec
    else:
        raise InputError(f"model: unknown model '{spec}'; pass one of "
                         f"{', '.join(_detectors())} or the path of an ultralytics .pt file")
    try:
        return record, resolve_weights(record, path)
    except WeightsNotFound as exc:
        if path is not None:
            raise InputError(f"model: {exc}") from exc
        raise ToolUnavailable(f"detect_objects: {exc}") from exc


def _class_filter(args: DetectObjectsInput, names: dict[int, str]
                  ) -> tuple[set[int] | None, list[str]]:
    if not args.classes:
        return None, []
    canon = {i: canonical_class(n) for i, n in names.items()}
    known = sorted(set(canon.values()))
    wanted = {canonical_class(c) for c in args.classes}
    missing = sorted(wanted - set(known))
    if missing and len(missing) == len(wanted):
        raise InputError(f"classes: the model does not detect {', '.join(missing)}; "
                         f"it knows: {', '.join(known)}")
    warnings = ([f"classes: the model does not detect {', '.join(missing)} (it knows: "
                 f"{', '.join(known)}); kept the others"] if missing else [])
    return {i for i, c in canon.items() if c in wanted}, warnings


def _read_batches(src: Any, windows: list[Window], batch: int
                  ) -> Generator[tuple[list[Window], list[np.ndarray]], None, None]:
    """Slices read as (H, W, 3) uint8, one batch ahead of the detector (a reader thread)."""
    groups = [windows[i:i + batch] for i in range(0, len(windows), batch)]

    def read(group: list[Window]) -> list[np.ndarray]:
        return [np.moveaxis(src.read([1, 2, 3], window=rio(w)), 0, -1) for w in group]

    if not groups:
        return
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pending = pool.submit(read, groups[0])
        for k, group in enumerate(groups):
            tiles = pending.result()
            if k + 1 < len(groups):
                pending = pool.submit(read, groups[k + 1])
            yield group, tiles
    finally:  # closed early: the read in flight finishes before the caller closes src
        pool.shutdown(wait=True, cancel_futures=True)


def detect_scene(path: str | Path, detector: LoadedDetector, tile_size: int, overlap: int,
                 min_confidence: float = 0.0, keep: set[int] | None = None,
                 merge_threshold: float = 0.5,
                 progress: Callable[[str, int, int], None] | None = None,
                 within: Sequence[Window] | None = None) -> Detections:
    """Sliced detection over a scene's windows; boxes in scene pixels, merged across slices.

    Args:
        path: 8-bit RGB raster (bands 1-3 are read).
        detector: Batch predictor, its batch size and its parallel workers.
        tile_size: Slice side in pixels.
        overlap: Slice overlap in pixels.
        min_confidence: Drop boxes scored below this (0-1).
        keep: Class ids to keep (None: all).
        merge_threshold: Intersection over the smaller box (0-1) that makes two boxes one.
        progress: ``(stage, done, total)`` callback.
        within: Pixel windows (col, row, width, height); when given, only the slices that
            overlap one of them are read and detected in (None: every slice).
    """
    with open_dataset(path) as src:
        windows = touching(slice_windows(src.width, src.height, tile_size, overlap), within)
        found = (remote_predictions(detector, str(src.name), windows, progress)
                 if isinstance(detector, RemoteDetector) else
                 _predictions(src, windows, detector, progress))
        with contextlib.closing(found):  # before src closes: a reader thread may be reading it
            parts = [keep_part(dets, win, min_confidence, keep) for win, dets in found]
    return merge(concat(parts, detector.oriented), merge_threshold, "ios")


def _predictions(src: Any, windows: list[Window], detector: LoadedDetector,
                 progress: Callable[[str, int, int], None] | None
                 ) -> Generator[tuple[Window, Detections], None, None]:
    """In this process: each slice window with its boxes (slice pixels), in window order."""
    done = 0
    batches = _read_batches(src, windows, detector.batch * detector.workers)
    with contextlib.closing(batches):  # its reader thread stops before this returns
        for group, tiles in batches:
            yield from zip(group, detector.predict(tiles), strict=True)
            done += len(group)
            if progress is not None:
                progress("detect", done, len(windows))


@dataclass
class _Georef:
    transform: Affine
    crs: str | None


def _features(dets: Detections, names: dict[int, str], geo: _Georef, scene: str | None = None,
              hits: Sequence[HitWindow | None] = ()) -> list[dict[str, Any]]:
    feats = []
    order = np.argsort(-dets.scores, kind="stable")
    for fid, i in enumerate(order, start=1):
        px = dets.corners[i]
        world = [geo.transform @ (float(x), float(y)) for x, y in px]
        poly = Polygon(world)
        native = names.get(int(dets.classes[i]), str(int(dets.classes[i])))
        x0, y0 = px.min(axis=0)
        x1, y1 = px.max(axis=0)
        props: dict[str, Any] = {
            "id": fid, "class": canonical_class(native), "model_class": native,
            "confidence": round(float(dets.scores[i]), 4),
            "pixel_box": [round(float(v), 2) for v in (x0, y0, x1, y1)],
        }
        if dets.oriented:
            props["pixel_corners"] = [[round(float(x), 2), round(float(y), 2)] for x, y in px]
        if scene is not None:
            props["scene"] = scene
        hit = hits[i] if len(hits) else None
        if hit is not None:
            props["hit_rank"], props["hit_score"] = hit.rank, hit.score
        if geo.crs:
            props["area_m2"] = round(geometry_area_m2(poly, geo.crs), 3)
            props["length_m"] = round(geometry_length_m(poly, geo.crs), 3)
        feats.append({"type": "Feature", "id": fid, "properties": props,
                      "geometry": mapping(poly)})
    return feats


@dataclass
class _SceneBoxes:
    target: Target
    crs: str | None
    feats: list[dict[str, Any]]
    slices: int


def _detect_target(target: Target, args: DetectObjectsInput, ctx: ToolContext,
                   detector: LoadedDetector, keep: set[int] | None, tile: int, overlap: int,
                   warnings: list[str]) -> _SceneBoxes:
    """Boxes of one scene (only the slices touching its hit windows, if any) as features.

    A scene that is not 8-bit RGB is composited by a ``pseudo_rgb`` child call first (its own
    file on the scene grid); the composite is listed among this call's artifacts."""
    scene = target.scene
    info = describe(scene)
    if not (info.modality == "rgb" and info.dtype == "uint8" and info.count in (3, 4)):
        out = ctx.call_tool("pseudo_rgb", {"image": scene})
        rgb = out.first("raster")
        if rgb is None or rgb.path is None:
            raise InputError(f"image: pseudo_rgb wrote no composite of {scene}")
        ctx.include(rgb)
        scene = rgb.path
        made = out.model_dump()
        warnings.append(f"{Path(target.scene).name}: {info.modality} scene composited to RGB "
                        f"with pseudo_rgb ({made['mode_used']}: {', '.join(made['bands_used'])})"
                        " before detection")
    dets = detect_scene(scene, detector, tile, overlap, args.min_confidence, keep,
                        args.merge_threshold, ctx.progress, within=target.windows)
    dets, hits = keep_in_hits(dets, target)
    with open_dataset(scene) as src:
        geo = _Georef(src.transform, crs_to_str(src.crs))
        slices = len(touching(slice_windows(src.width, src.height, tile, overlap),
                              target.windows))
    if not geo.crs:
        warnings.append(f"{Path(target.scene).name} has no CRS: boxes are written in its "
                        "pixel/transform coordinates without area_m2 / length_m")
    return _SceneBoxes(target, geo.crs, _features(dets, detector.names, geo, target.scene, hits),
                       slices)


def _write_layers(found: list[_SceneBoxes], args: DetectObjectsInput, ctx: ToolContext,
                  what: str) -> list[ObjectLayer]:
    """One GeoJSON per CRS of the scenes, each in that CRS (never reprojected, except the
    EPSG:4326 copies ``wgs84`` asks for)."""
    groups = crs_groups([f.crs for f in found])
    layers = []
    for crs, idx in groups.items():
        feats = sorted((ft for i in idx for ft in found[i].feats),
                       key=lambda ft: -float(ft["properties"]["confidence"]))
        for fid, ft in enumerate(feats, start=1):
            ft["id"] = ft["properties"]["id"] = fid
        name = "objects" if len(groups) == 1 else f"objects_{crs_slug(crs)}"
        paths = write_geojson(ctx.output_path(f"{name}.geojson"), feats, crs,
                              wgs84=args.wgs84 and crs is not None)
        scenes = [found[i].target.scene for i in idx]
        ctx.artifact(name, "vector", paths[0], crs=crs,
                     description=f"{len(feats)} {what}" + ("" if len(groups) == 1 else
                                                           f" in {crs or 'pixel coordinates'}"))
        if len(paths) > 1:
            ctx.artifact(f"{name}_wgs84", "vector", paths[1], crs="EPSG:4326",
                         description=f"the boxes of {name} in EPSG:4326")
        layers.append(ObjectLayer(crs=crs, path=str(paths[0]), scenes=scenes, count=len(feats)))
    return layers


@tool_record(DetectObjectsInput, DetectObjectsOutput, needs=("torch", "ultralytics"),
             models=("yolo11n-obb",))
def detect_objects(args: DetectObjectsInput, ctx: ToolContext) -> DetectObjectsOutput:
    """Detect objects (ships, planes, vehicles, storage tanks, buildings, trees...) with a YOLO
    model, horizontal or oriented boxes, tiled over any scene size; returns GeoJSON boxes in the
    scene CRS and the count per class. ``image`` may be a search_images result ($sN): only its
    hit windows are searched, boxes carry their scene and hit rank.
    """
    targets, warnings = detection_targets(args.image)
    record, weights = _resolve_model(args)
    if not targets:
        return DetectObjectsOutput(summary="Nothing to detect in: the search found no hits.",
                                   image=None, warnings=warnings)
    probe_oriented = record.task == "detect-obb"
    tile = args.tile_size or (1024 if probe_oriented else 640)
    overlap = args.overlap if args.overlap is not None else tile // 5
    if overlap >= tile:
        raise InputError(f"overlap: {overlap} px must be smaller than tile_size {tile} px")
    runner = TileRunner(ctx)
    loader_args = (weights, args.device, args.min_confidence, tile, args.batch)
    try:
        detector = (load_predictor(*loader_args) if runner.executor.in_process else
                    remote_detector(runner, load_predictor, loader_args))
    except ValueError as exc:
        raise InputError(f"model/device: {exc}") from exc
    if args.oriented is not None and args.oriented != detector.oriented:
        warnings.append(f"oriented={args.oriented} asked for, but {weights.name} is a "
                        f"{'oriented' if detector.oriented else 'horizontal'}-box model; "
                        "its own box kind is reported")
    if detector.fallback:
        warnings.append(f"{detector.fallback}; ran on torch")
    keep, class_warnings = _class_filter(args, detector.names)
    warnings += class_warnings
    found = [_detect_target(t, args, ctx, detector, keep, tile, overlap, warnings)
             for t in targets]
    what = (f"{'oriented' if detector.oriented else 'horizontal'} boxes from {record.name}")
    layers = _write_layers(found, args, ctx, what)
    if len(layers) > 1:
        warnings.append(f"the scenes are in {len(layers)} CRSs; one GeoJSON per CRS was written "
                        f"({', '.join(str(la.crs) for la in layers)}), none reprojected")
    feats = [ft for f in found for ft in f.feats]
    counts = dict(sorted(Counter(f["properties"]["class"] for f in feats).items()))
    ctx.number("count", len(feats), "count", "objects detected (all classes)")
    for name, n in counts.items():
        ctx.number(f"count_{name.replace(' ', '_')}", n, "count", f"objects of class {name}")
    listed = ", ".join(f"{n} {c}" for c, n in counts.items()) or "no objects"
    n_hits = sum(len(t.hits) for t in targets)
    where = (f" in {n_hits} search hit window(s) of {len(targets)} scene(s)" if n_hits else "")
    return DetectObjectsOutput(
        summary=f"Detected {len(feats)} objects ({listed}){where} at confidence >= "
                f"{args.min_confidence:g} with {record.name} on {detector.device} "
                f"({detector.runtime}).",
        image=targets[0].scene if len(targets) == 1 else None, counts=counts,
        path=layers[0].path, layers=layers, warnings=warnings,
        model=ModelRun(name=record.name, weights=str(weights), device=detector.device,
                       runtime=detector.runtime, oriented=detector.oriented, tile_size=tile,
                       overlap=overlap, slices=sum(f.slices for f in found)),
        cluster=runner.record())
