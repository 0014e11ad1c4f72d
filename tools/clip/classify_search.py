"""``classify_scene`` and ``search_images``: CLIP-family zero-shot classification and retrieval.

Both run a CLIP-family model (RemoteCLIP / GeoRSCLIP checkpoints; see ``earthsight models``)
over scenes read window by window: whole images up to a size, tiles of larger scenes, each
window decimated by GDAL to the model's input side. Non-RGB scenes go through ``pseudo_rgb``.
``search_images`` keeps a persistent index per archive (SQLite + FAISS, see
:mod:`tools.clip.index`) that it refreshes incrementally before each query; ``earthsight
index`` builds it ahead of time. With ``EARTHSIGHT_CLUSTER`` set, the images and tiles are
embedded on the cluster's workers, one forward-pass group per task (:mod:`tools.clip.remote`),
and everything else happens here as in-process: the same labels, scores and index files.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.warp
from pydantic import BaseModel, Field

from prompts import load_yaml
from specialists.runtime.models import DEFAULT_CLIP
from tools.clip.archive import (
    CLIP_TILE,
    Progress,
    RefreshStats,
    Scene,
    counter,
    expand,
    prepare,
    scene_embeddings,
    scene_items,
)
from tools.clip.archive import refresh as refresh_index
from tools.clip.index import ImageIndex, IndexMismatch, Item, index_path, is_index, valid_name
from tools.clip.models import ClipRun, clip_run
from tools.clip.remote import clip_model
from tools.core.artifacts import ClusterRun, ToolResult
from tools.core.errors import InputError
from tools.core.registry import MODEL_FIELD, PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.core.sources import load_result, load_source
from tools.geo.atomic import write_csv_atomic
from tools.geo.fanout import TileRunner
from tools.geo.vector import write_geojson

WHOLE_MAX = 2048
"""Images whose longer side is at most this many pixels are classified whole, else in tiles."""


def default_vocabulary() -> tuple[list[str], list[str]]:
    """(labels, prompt templates) of ``prompts/scene_labels.yaml`` (AID/NWPU-RESISC45/UCM)."""
    doc = load_yaml("scene_labels")
    return [str(x["name"]) for x in doc["labels"]], [str(t) for t in doc["templates"]]


class ClassifySceneInput(SceneOptions):
    """Arguments of classify_scene."""

    images: list[str] = Field(min_length=1, description="scenes (or tiles) to classify",
                              json_schema_extra=PATH_FIELD)
    labels: list[str] | None = Field(
        None, description="candidate labels (default: a standard remote-sensing scene vocabulary)")
    top_k: int = Field(3, ge=1, description="labels to report per image")
    model: str | None = Field(None, description="CLIP model name (see `earthsight models`, "
                                                "default remoteclip-vit-b-32) or a checkpoint",
                                 json_schema_extra=MODEL_FIELD)
    tile_size: int | None = Field(
        None, ge=32, description="classify tiles of this side in pixels (default: whole images "
                                 f"up to {WHOLE_MAX} px, tiles of {CLIP_TILE} px beyond)")
    batch: int | None = Field(None, ge=1, description="images per forward pass")
    device: str | None = Field(None, description="cpu, cuda or cuda:N (default: cuda if present)")


class LabelScore(BaseModel):
    """One label and its probability (0-1, softmax over the candidate labels)."""

    label: str
    score: float


class SceneLabels(BaseModel):
    """The top labels of one image (tiled scenes: tile probabilities averaged)."""

    image: str
    tiles: int = Field(description="windows classified (1: the whole image)")
    labels: list[LabelScore]
    tile_counts: dict[str, int] | None = Field(None, description="tiles per top label")


class ClassifySceneOutput(ToolResult):
    """Top labels with scores per image and counts per label."""

    results: list[SceneLabels] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict, description="images per top label")
    vocabulary: str = Field("", description="where the labels came from and how many")
    table: str | None = Field(None, description="CSV: one row per image or tile")
    model: ClipRun | None = None


class SearchImagesInput(BaseModel):
    """Arguments of search_images."""

    query: str = Field(description="what to look for, in words")
    archive: str = Field(description="folder, glob, index name, or a large scene to cut in tiles",
                         json_schema_extra=PATH_FIELD)
    top_k: int = Field(10, ge=1, description="how many hits to return")
    index: str | None = Field(None, description="index name to use or create (default: derived "
                                                "from the archive path)")
    model: str | None = Field(None, description="CLIP model name or checkpoint (default: the "
                                                "index's own, else remoteclip-vit-b-32)",
                                 json_schema_extra=MODEL_FIELD)
    tile_size: int = Field(CLIP_TILE, ge=32, description="tile side in pixels for large scenes")
    update: bool = Field(True, description="index new/changed files and drop deleted ones first")
    wgs84: bool = Field(False, description="also write the footprints in EPSG:4326")
    batch: int | None = Field(None, ge=1, description="images per forward pass")
    device: str | None = Field(None, description="cpu, cuda or cuda:N (default: cuda if present)")


class Hit(BaseModel):
    """One ranked scene or tile."""

    rank: int
    score: float = Field(description="cosine similarity of image and query (-1..1)")
    scene: str
    window: list[int] = Field(description="col, row, width, height in the scene's pixels")
    bounds: list[float] = Field(description="left, bottom, right, top in `crs`")
    crs: str | None


class IndexRun(BaseModel):
    """The index a search used and what its refresh did."""

    name: str
    path: str
    items: int = Field(description="scenes/tiles in the index")
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = Field(0, description="scenes/tiles embedded by this call")
    cluster: ClusterRun | None = Field(None, exclude_if=lambda v: v is None, description=(
        "where the images were embedded on a Dask cluster (EARTHSIGHT_CLUSTER); absent: here"))


class SearchImagesOutput(ToolResult):
    """Ranked scenes or tiles with scores and footprints."""

    hits: list[Hit] = Field(default_factory=list)
    path: str | None = Field(None, description="GeoJSON of the hit footprints")
    table: str | None = Field(None, description="CSV of the hits")
    index: IndexRun | None = None
    model: ClipRun | None = None


def expand_inputs(spec: str, argument: str) -> list[Path]:
    """Like :func:`~tools.clip.archive.expand`, plus earlier results (``$sN``): a
    ``pseudo_rgb`` result gives its composite, a ``search_images`` result its hit scenes.
    """
    p = Path(spec)
    if p.suffix.lower() == ".json" and p.is_file():
        _, raw = load_result(p, argument)
        scenes = list(dict.fromkeys(str(h["scene"]) for h in raw.get("hits") or []))
        if scenes:
            return [Path(s) for s in scenes]
        src = load_source(p, argument)
        if src.raster is not None or src.image:
            return [Path(src.raster or str(src.image)).resolve()]
        raise InputError(f"{argument}: {p} holds no raster to classify")
    return expand(spec, argument)


def _labels(args: ClassifySceneInput) -> tuple[list[str], list[str], str]:
    default, templates = default_vocabulary()
    if args.labels is None:
        return default, templates, (f"default AID / NWPU-RESISC45 / UC Merced vocabulary "
                                    f"({len(default)} labels)")
    labels = list(dict.fromkeys(x.strip() for x in args.labels if x.strip()))
    if len(labels) < 2:
        raise InputError("labels: give at least two candidate labels (scores are relative to "
                         "the other labels), or leave labels out for the default vocabulary")
    return labels, templates, f"{len(labels)} labels given"


def _scene_labels(image: str, items: list[Item], probs: np.ndarray, labels: list[str], k: int,
                  rows: list[list[Any]]) -> SceneLabels:
    """One image's result from its windows' label probabilities ``(N, L)`` (tiles averaged);
    appends a table row per window to ``rows``."""
    for it, p in zip(items, probs, strict=True):
        top = np.argsort(-p, kind="stable")[:k]
        rows.append([image, it.col, it.row, it.width, it.height,
                     *[v for i in top for v in (labels[i], round(float(p[i]), 4))]])
    mean = probs.mean(axis=0)
    top = np.argsort(-mean, kind="stable")[:k]
    tile_counts = (dict(Counter(labels[int(i)] for i in probs.argmax(axis=1)).most_common())
                   if len(items) > 1 else None)
    return SceneLabels(
        image=image, tiles=len(items), tile_counts=tile_counts,
        labels=[LabelScore(label=labels[i], score=round(float(mean[i]), 4)) for i in top])


@tool_record(ClassifySceneInput, ClassifySceneOutput, needs=("torch", "open_clip"),
             models=(DEFAULT_CLIP,))
def classify_scene(args: ClassifySceneInput, ctx: ToolContext) -> ClassifySceneOutput:
    """Classify scenes zero-shot into land-use / scene labels (CLIP family): top labels with
    scores per image and counts per label across images.
    """
    files = list(dict.fromkeys(f for spec in args.images for f in expand_inputs(spec, "images")))
    labels, templates, vocab = _labels(args)
    runner = TileRunner(ctx)
    record, enc = clip_model(runner, args.model, "classify_scene", args.device, args.batch)
    label_emb = enc.encode_labels(labels, templates)
    k = min(args.top_k, len(labels))
    results: list[SceneLabels] = []
    rows: list[list[Any]] = []
    warnings: list[str] = []
    work: list[tuple[Scene, list[Item]]] = []
    for f in files:
        scene = prepare(f, ctx.call_tool, "images")
        if scene.note:
            warnings.append(scene.note)
        if scene.composite:
            ctx.include(scene.composite)
        work.append((scene, scene_items(scene, args.tile_size or CLIP_TILE,
                                        None if args.tile_size else WHOLE_MAX)))
    step = counter(ctx.progress, "classify", sum(len(items) for _, items in work))
    with contextlib.closing(scene_embeddings(work, enc, step)) as found:
        for (scene, items), emb in zip(work, found, strict=True):
            probs = enc.probabilities(emb, label_emb)
            results.append(_scene_labels(str(scene.path), items, probs, labels, k, rows))
    counts = dict(Counter(r.labels[0].label for r in results).most_common())
    header = ["image", "col", "row", "width", "height",
              *[f"{c}_{j}" for j in range(1, k + 1) for c in ("label", "score")]]
    table = write_csv_atomic(ctx.output_path("scene_labels.csv"), header, rows)
    ctx.artifact("scene_labels", "table", table,
                 description=f"top {k} labels per {'tile' if len(rows) > len(files) else 'image'}")
    for label, c in counts.items():
        ctx.number(f"count_{re.sub(r'[^a-z0-9]+', '_', label.lower()).strip('_')}", c, "count",
                   f"images whose top label is {label}")
    listed = ", ".join(f"{label} {c}" for label, c in counts.items())
    one = (f" Top: {results[0].labels[0].label} ({results[0].labels[0].score:.2f})."
           if len(results) == 1 else "")
    return ClassifySceneOutput(
        summary=f"Classified {len(files)} image(s) ({len(rows)} window(s)) among "
                f"{len(labels)} labels with {record.name} on {enc.device}; images per top "
                f"label: {listed}.{one}",
        image=str(files[0]) if len(files) == 1 else None, results=results, counts=counts,
        vocabulary=vocab, table=str(table), warnings=warnings, model=clip_run(record, enc),
        cluster=runner.record())


def default_index_name(archive: str) -> str:
    """An index name for an archive path: its stem plus a hash of the absolute spec."""
    absolute = str(Path(archive).expanduser().resolve()) if not any(
        c in archive for c in "*?[") else str(Path(archive).expanduser().absolute())
    base = Path(archive.rstrip("/*"))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", (base.stem if base.is_file() else base.name) or "x")
    digest = hashlib.sha1(absolute.encode()).hexdigest()[:8]
    return f"{stem.strip('._-')[:40] or 'archive'}-{digest}"


def open_archive(archive: str, name: str | None) -> tuple[str, Path, str | None]:
    """(index name, index folder, archive spec to index or None for an index-only name).

    Raises:
        InputError: A bad index name, or an archive that is neither a path nor an index.
    """
    if name is not None and not valid_name(name):
        raise InputError(f"index: '{name}' is not a valid index name (letters, digits, ._-)")
    if not Path(archive).expanduser().exists() and not any(c in archive for c in "*?["):
        if valid_name(archive) and is_index(index_path(archive)):
            return archive, index_path(archive), None
        if is_index(archive):
            return Path(archive).name, Path(archive).resolve(), None
        raise InputError(f"archive: {archive} is not a file, folder, glob or existing index "
                         "name (build one with `earthsight index ARCHIVE --index NAME`)")
    name = name or default_index_name(archive)
    return name, index_path(name), archive


def build_index(archive: str, name: str | None, model: str | None, tile_size: int,
                ctx: ToolContext, update: bool = True, batch: int | None = None,
                device: str | None = None, progress: Progress | None = None,
                runner: TileRunner | None = None) -> tuple[ImageIndex, IndexRun, Any, Any]:
    """Open (create) the index of ``archive`` and refresh it: (index, run, record, encoder).

    With ``EARTHSIGHT_CLUSTER`` set, the images are embedded on the cluster's workers (the
    ``runner``'s, default a new one) and ``run.cluster`` records where.

    Raises:
        InputError: Bad archive/index/model, or an index built with another model/tile size.
    """
    name, root, spec = open_archive(archive, name)
    runner = runner or TileRunner(ctx)
    index = ImageIndex.open(root)
    try:
        info = index.info()
        if spec is None:
            spec = info.get("source")
            tile_size = int(info.get("tile_size", tile_size))
        record, enc = clip_model(runner, model or info.get("weights"), "search_images", device,
                                 batch)
        source = (str(Path(spec).expanduser().resolve()) if spec and Path(spec).exists()
                  else spec)
        try:
            index.check_compatible(weights=enc.weights, arch=enc.arch, dim=enc.embed_dim,
                                   tile_size=tile_size, source=source)
        except IndexMismatch as exc:
            raise InputError(f"index: {exc}") from exc
        index.set_info(model=record.name)
        stats = RefreshStats(items_total=len(index))
        if update and spec:
            files = expand(spec, "archive")
            single = len(files) == 1 and Path(spec).expanduser().is_file()
            stats = refresh_index(index, files, enc, tile_size,
                                  None if single else 2 * tile_size, ctx.call_tool,
                                  progress or ctx.progress)
            for art in stats.composites:
                ctx.include(art)
    except BaseException:  # the last committed state stays; nothing half-written
        index.close()
        raise
    run = IndexRun(name=name, path=str(root), items=stats.items_total, added=stats.added,
                   updated=stats.updated, removed=stats.removed, unchanged=stats.unchanged,
                   embedded=stats.items_embedded, cluster=runner.record())
    return index, run, record, enc


def _hit_features(hits: list[Item]) -> tuple[list[dict[str, Any]], str | None]:
    crss = {h.crs for h in hits}
    target = next(iter(crss)) if len(crss) == 1 else "EPSG:4326"
    feats = []
    for rank, h in enumerate(hits, start=1):
        geom: dict[str, Any] | None = {"type": "Polygon", "coordinates": [h.footprint]}
        if h.crs != target:
            geom = (rasterio.warp.transform_geom(h.crs, target, geom) if h.crs and target
                    else None)
        feats.append({"type": "Feature", "id": rank, "geometry": geom, "properties": {
            "rank": rank, "score": round(h.score, 4), "scene": h.path, "crs": h.crs,
            "window": [h.col, h.row, h.width, h.height]}})
    return feats, target


@tool_record(SearchImagesInput, SearchImagesOutput, needs=("torch", "open_clip", "faiss"),
             models=(DEFAULT_CLIP,))
def search_images(args: SearchImagesInput, ctx: ToolContext) -> SearchImagesOutput:
    """Find the scenes of an archive, or the tiles of a large scene, that best match a text
    query: ranked hits with scores and footprints.
    """
    runner = TileRunner(ctx)
    index, run, record, enc = build_index(args.archive, args.index, args.model, args.tile_size,
                                          ctx, args.update, args.batch, args.device,
                                          runner=runner)
    try:
        _, templates = default_vocabulary()
        query = enc.encode_labels([args.query], templates)[0]
        hits = index.search(query, args.top_k)
    finally:
        index.close()
    feats, crs = _hit_features(hits)
    paths = write_geojson(ctx.output_path("hits.geojson"), feats, crs,
                          wgs84=args.wgs84 and crs is not None and crs != "EPSG:4326")
    warnings = []
    if len({h.crs for h in hits}) > 1:
        warnings.append("the hits lie in different CRSs: footprints written in EPSG:4326"
                        " (scenes without a CRS have no geometry)")
    elif hits and crs is None:
        warnings.append("the archive has no CRS: footprints are in pixel coordinates")
    out_hits = []
    for rank, h in enumerate(hits, start=1):
        xs = [p[0] for p in h.footprint]
        ys = [p[1] for p in h.footprint]
        out_hits.append(Hit(rank=rank, score=round(h.score, 4), scene=h.path,
                            window=[h.col, h.row, h.width, h.height],
                            bounds=[min(xs), min(ys), max(xs), max(ys)], crs=h.crs))
    table = write_csv_atomic(ctx.output_path("hits.csv"),
                             ["rank", "score", "scene", "col", "row", "width", "height", "crs"],
                             [[x.rank, x.score, x.scene, *x.window, x.crs] for x in out_hits])
    ctx.artifact("hits", "vector", paths[0], crs=crs,
                 description=f"footprints of the {len(hits)} best matches for '{args.query}'")
    if len(paths) > 1:
        ctx.artifact("hits_wgs84", "vector", paths[1], crs="EPSG:4326",
                     description="the footprints in EPSG:4326")
    ctx.artifact("hits_table", "table", table, description="ranked hits")
    ctx.number("count", len(hits), "count", "hits returned")
    best = (f" Best: {Path(out_hits[0].scene).name} window {out_hits[0].window} "
            f"(score {out_hits[0].score:.3f})." if out_hits else "")
    scenes = {h.scene for h in out_hits}
    return SearchImagesOutput(
        summary=f"Searched {run.items} scenes/tiles of index '{run.name}' for '{args.query}' "
                f"with {record.name}: {len(hits)} hits ({run.embedded} newly embedded).{best}",
        image=next(iter(scenes)) if len(scenes) == 1 else None, hits=out_hits,
        path=str(paths[0]), table=str(table), warnings=warnings, index=run,
        model=clip_run(record, enc), cluster=runner.record())
