"""``assess``: accuracy of a result (mask or polygons) against a reference (labels or polygons).

Pixels are compared window by window on one grid (:mod:`tools.geo.grid_layers`): the result's
mask grid, else the reference raster's, else that of the scene the result came from. Reference
nodata and ``ignore`` values, and result nodata, are left out. When both sides hold polygons,
objects are matched one to one on their IoU as well.
"""

from __future__ import annotations

import math
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from shapely.geometry import mapping

from prompts.classes import canonical_class
from specialists.stats.accuracy import (
    MatchMethod,
    PixelTally,
    binary_scores,
    class_scores,
    match_objects,
    overlap_pairs,
)
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.core.sources import Source, load_source
from tools.geo.atomic import write_csv_atomic
from tools.geo.grid_layers import (
    Grid,
    PolygonLayer,
    RasterLayer,
    geometries_to_crs,
    grid_of,
    raster_on_grid,
)
from tools.geo.objects import Obj, class_of, load_objects
from tools.geo.raster import crs_to_str, iter_tiles, open_dataset, rio

Layer = RasterLayer | PolygonLayer
Classes = list[int] | dict[str, str] | Literal["all"]


class AssessInput(SceneOptions):
    """Arguments of assess."""

    result: str = Field(description="what to check: an earlier step ($s1: its mask, and its "
                        "polygons for object matching), a mask raster or a GeoJSON",
                        json_schema_extra=PATH_FIELD)
    reference: str = Field(description="the truth: a label raster (GeoTIFF, or a PNG label on "
                           "the result's pixel grid), polygons (GeoJSON) or an earlier step",
                           json_schema_extra=PATH_FIELD)
    classes: Classes | None = Field(
        None, description="multi-class assessment: label values [1, 2, 3], values with names "
        "{\"1\": \"water\", \"2\": \"forest\"} (polygons burn the value of their class name), or "
        "\"all\" (every value found); default: binary (positive against the rest)")
    positive: list[float] | None = Field(
        None, description="binary: values that count as positive in result and reference "
        "(default: any non-zero value)")
    ignore: list[float] | None = Field(
        None, description="reference values left out besides its nodata (default [-1], the "
        "no-data label of e.g. Sen1Floods11; [] for none)")
    iou_threshold: float = Field(0.5, gt=0, le=1, description="least IoU of an object match")
    matching: MatchMethod = Field("hungarian", description="object matching: hungarian "
                                  "(most total IoU) or greedy (highest IoU first)")


class ClassMetrics(BaseModel):
    """Metrics of one class against all others (dimensionless; null where undefined)."""

    value: float
    iou: float | None
    f1: float | None
    precision: float | None
    recall: float | None
    reference_pixels: int
    result_pixels: int


class ObjectScores(BaseModel):
    """One-to-one object matching at an IoU threshold."""

    iou_threshold: float
    result_objects: int
    reference_objects: int
    matched: int
    missed: int = Field(description="reference objects without a match")
    false: int = Field(description="result objects without a match")
    precision: float | None
    recall: float | None
    f1: float | None
    mean_iou: float | None = Field(description="mean IoU of the matched pairs")


class AssessOutput(ToolResult):
    """Output of assess: pixel metrics (dimensionless, null where undefined) and objects."""

    mode: Literal["binary", "multiclass", "objects"] = "binary"
    iou: float | None = None
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    overall_accuracy: float | None = None
    kappa: float | None = None
    mean_iou: float | None = None
    macro_f1: float | None = None
    pixels: int = Field(0, description="pixels compared")
    labels: list[str] = Field(default_factory=list, description="confusion matrix classes")
    confusion_matrix: list[list[int]] = Field(
        default_factory=list, description="pixel counts, reference in rows, result in columns")
    per_class: dict[str, ClassMetrics] = Field(default_factory=dict)
    objects: ObjectScores | None = None


def _num(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "class"


def _objects(path: Path, argument: str) -> tuple[list[Obj], str | None, list[str]]:
    try:
        return load_objects(path)
    except InputError as exc:
        raise InputError(f"{argument}: {path} is not a readable GeoJSON FeatureCollection. "
                         "Pass polygons, a mask raster or an earlier step.") from exc


def _burn_value(obj: Obj, names: dict[str, float] | None, default: float) -> float | None:
    """What a polygon burns: ``default`` (binary), else its numeric value / class property or
    the value its class name has in ``names``."""
    if names is None:
        return default
    props = obj.feature.get("properties") or {}
    for key in ("value", "class", "label"):
        raw = props.get(key)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
    cls = class_of(obj)
    return names.get(cls) if cls else None


def _polygon_layer(path: Path, argument: str, grid: Grid, args: AssessInput,
                   warnings: list[str]) -> PolygonLayer:
    objs, crs, warns = _objects(path, argument)
    warnings.extend(warns)
    names = None
    if args.classes is not None:
        names = {canonical_class(n): v for v, n in _class_table(args.classes)[1].items()}
    default = args.positive[0] if args.positive else 1.0
    geoms = geometries_to_crs([o.geom for o in objs], crs, crs_to_str(grid.crs), warnings,
                              f"{argument} {path.name}")
    shapes, skipped = [], 0
    for obj, geom in zip(objs, geoms, strict=True):
        value = _burn_value(obj, names, default)
        if value is None or geom.is_empty:
            skipped += 1
        else:
            shapes.append((mapping(geom), geom.bounds, value))
    if skipped:
        warnings.append(f"{skipped} polygon(s) of {argument} have no class named in classes "
                        "(or no area) and were not burnt")
    return PolygonLayer(shapes, grid)


def _class_table(classes: Classes | None) -> tuple[list[float] | None, dict[float, str]]:
    """Listed class values (None: every value found) and their names."""
    if classes is None or classes == "all":
        return None, {}
    if isinstance(classes, list):
        return [float(v) for v in classes], {}
    names: dict[float, str] = {}
    for key, name in classes.items():
        try:
            value = float(key)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"classes: key {key!r} is not a label value; map label values to "
                             "names, e.g. {\"1\": \"water\", \"2\": \"forest\"}")
        names[value] = name
    return sorted(names), names


def _label(value: float, names: dict[float, str]) -> str:
    return names.get(value) or (str(int(value)) if value.is_integer() else f"{value:g}")


def _compare(res: Layer, ref: Layer, grid: Grid, args: AssessInput,
             ctx: ToolContext) -> PixelTally:
    tally = PixelTally([-1.0] if args.ignore is None else args.ignore,
                       binary=args.classes is None, positive=args.positive)
    tiles = iter_tiles(grid.width, grid.height, ctx.settings.tile_size)
    for i, tile in enumerate(tiles):
        ctx.progress("assess", i + 1, len(tiles))
        win = rio(tile.core)
        try:
            tally.add(*ref.read(win), *res.read(win))
        except ValueError:
            raise InputError("classes: the rasters hold more than 256 distinct values; a "
                             "multi-class assessment needs class labels (integers). List the "
                             "classes or leave classes out for a binary mask.") from None
    return tally


_METRICS = {
    "iou": ("IoU", "intersection over union of the positive class"),
    "f1": ("F1", "F1 score (Dice) of the positive class"),
    "precision": ("precision", "precision (user's accuracy) of the positive class"),
    "recall": ("recall", "recall (producer's accuracy) of the positive class"),
    "overall_accuracy": ("overall accuracy", "share of the compared pixels that agree"),
    "kappa": ("kappa", "Cohen's kappa"),
    "mean_iou": ("mean IoU", "mean of the per-class IoUs"),
    "macro_f1": ("macro F1", "mean of the per-class F1 scores"),
}


def _record(metrics: dict[str, float], out: AssessOutput, ctx: ToolContext,
            warnings: list[str]) -> str:
    """Set the output fields and number artifacts (unit 1) of ``metrics``; their text."""
    shown, undefined = [], []
    for name, value in metrics.items():
        label, text = _METRICS[name]
        setattr(out, name, _num(value))
        if math.isnan(value):
            undefined.append(name)
            shown.append(f"{label} n/a")
        else:
            ctx.number(name, value, "1", text)
            shown.append(f"{label} {value:.4f}")
    if undefined:
        warnings.append(f"undefined (0 / 0) for these pixels: {', '.join(undefined)}")
    return ", ".join(shown)


def _pixel_metrics(tally: PixelTally, args: AssessInput, out: AssessOutput, ctx: ToolContext,
                   warnings: list[str]) -> str:
    counter = tally.counter
    values, names = _class_table(args.classes)
    binary = args.classes is None
    order = [0.0, 1.0] if binary else values or counter.values
    matrix = counter.matrix(order)
    out.pixels = int(matrix.sum())
    if out.pixels == 0:
        raise InputError("reference: no pixel can be compared: every pixel is reference nodata, "
                         "an ignore value, result nodata or a value outside classes. Check "
                         "ignore / classes and that result and reference overlap.")
    if counter.total > out.pixels:
        warnings.append(f"{counter.total - out.pixels} pixel(s) hold values not listed in "
                        f"classes (found {', '.join(_label(v, names) for v in counter.values)})"
                        " and were left out")
    out.labels = ["negative", "positive"] if binary else [_label(v, names) for v in order]
    out.confusion_matrix = matrix.tolist()
    ctx.number("compared_pixels", out.pixels, "count", "pixels compared")
    if binary:
        s = binary_scores(matrix)
        out.mode = "binary"
        shown = _record({"iou": s.iou, "f1": s.f1, "precision": s.precision,
                         "recall": s.recall, "overall_accuracy": s.overall_accuracy,
                         "kappa": s.kappa}, out, ctx, warnings)
        for name, n in (("true_positive", s.tp), ("false_positive", s.fp),
                        ("false_negative", s.fn), ("true_negative", s.tn)):
            ctx.number(f"{name}_pixels", n, "count", f"{name.replace('_', ' ')} pixels")
        counts = f"TP {s.tp:,}, FP {s.fp:,}, FN {s.fn:,}, TN {s.tn:,}"
    else:
        c = class_scores(matrix)
        out.mode = "multiclass"
        shown = _record({"overall_accuracy": c.overall_accuracy, "kappa": c.kappa,
                         "mean_iou": c.mean_iou, "macro_f1": c.macro_f1}, out, ctx, warnings)
        for k, (value, label) in enumerate(zip(order, out.labels, strict=True)):
            per = {"iou": c.iou[k], "f1": c.f1[k], "precision": c.precision[k],
                   "recall": c.recall[k]}
            out.per_class[label] = ClassMetrics(
                value=value, reference_pixels=int(c.support[k]),
                result_pixels=int(c.predicted[k]), **{m: _num(v) for m, v in per.items()})
            for metric, v in per.items():
                if not math.isnan(v):
                    ctx.number(f"{metric}_{_key(label)}", v, "1", f"{metric} of class {label}")
        counts = f"{len(order)} classes"
    rows = [[label, *row] for label, row in zip(out.labels, out.confusion_matrix, strict=True)]
    table = write_csv_atomic(ctx.output_path("confusion_matrix.csv"),
                             ["reference \\ result", *out.labels], rows)
    ctx.artifact("confusion_matrix", "table", table, units="count",
                 description="pixel counts: reference classes in rows, result in columns")
    extra = "".join(f"; {n:,} {what}" for n, what in (
        (tally.ignored, "reference pixels ignored"), (tally.result_invalid,
                                                      "result nodata pixels")) if n)
    return f"{shown} over {out.pixels:,} pixels ({counts}{extra})."


def _match(res_path: Path, ref_path: Path, args: AssessInput, out: AssessOutput,
           ctx: ToolContext, warnings: list[str]) -> str:
    res, res_crs, w1 = _objects(res_path, "result")
    ref, ref_crs, w2 = _objects(ref_path, "reference")
    warnings.extend(w1 + w2)
    ref_geoms = geometries_to_crs([o.geom for o in ref], ref_crs, res_crs, warnings,
                                  "reference polygons")
    by_class = all(class_of(o) for o in res + ref)
    labels = ([class_of(o) for o in res], [class_of(o) for o in ref]) if by_class else (
        None, None)
    ia, ib, iou = overlap_pairs([o.geom for o in res], ref_geoms, *labels)
    m = match_objects(ia, ib, iou, len(res), len(ref), args.iou_threshold, args.matching)
    out.objects = ObjectScores(
        iou_threshold=args.iou_threshold, result_objects=m.n_result,
        reference_objects=m.n_reference, matched=m.matched, missed=m.missed, false=m.false,
        precision=_num(m.precision), recall=_num(m.recall), f1=_num(m.f1),
        mean_iou=_num(m.mean_iou))
    for name, value in (("matched", m.matched), ("missed", m.missed), ("false", m.false)):
        ctx.number(f"objects_{name}", value, "count", f"{name} objects at IoU >= "
                   f"{args.iou_threshold:g}")
    for name, v in (("precision", m.precision), ("recall", m.recall), ("f1", m.f1),
                    ("mean_iou", m.mean_iou)):
        if not math.isnan(v):
            ctx.number(f"object_{name}", v, "1", f"object {name.replace('_', ' ')}")
    pair = {i: (j, round(v, 6)) for i, j, v in m.pairs}
    rows: list[list[Any]] = [[i, *pair.get(i, ("", "")), "matched" if i in pair else "false"]
                             for i in range(m.n_result)]
    rows += [["", j, "", "missed"] for j in sorted(set(range(m.n_reference)) - {
        j for j, _ in pair.values()})]
    table = write_csv_atomic(ctx.output_path("object_matches.csv"),
                             ["result_index", "reference_index", "iou", "status"], rows)
    ctx.artifact("object_matches", "table", table, description="result and reference objects: "
                 "matched (with IoU), false or missed")
    scope = " per class" if by_class else ""
    mean = f", mean IoU of matches {m.mean_iou:.4f}" if m.pairs else ""
    return (f"Objects at IoU >= {args.iou_threshold:g}{scope}: {m.matched} matched, {m.missed} "
            f"missed, {m.false} false of {m.n_result} result / {m.n_reference} reference "
            f"(precision {m.precision:.4f}, recall {m.recall:.4f}, F1 {m.f1:.4f}{mean}).")


def _raster_of(src: Source, argument: str) -> Path | None:
    """The mask (else raster) of a side; an error when it has neither that nor polygons."""
    raster = src.mask or src.raster
    if raster is None and src.vector is None:
        made = f" (made by {src.call.tool})" if src.call else ""
        raise InputError(f"{argument}: {src.path}{made} holds no mask, raster or polygons to "
                         "compare. Pass a step that writes a mask or polygons, or a file.")
    return raster


@tool_record(AssessInput, AssessOutput)
def assess(args: AssessInput, ctx: ToolContext) -> AssessOutput:
    """Assess the accuracy of a result (mask or polygons, e.g. an earlier step) against a
    reference (label raster such as a hand label, a label PNG of the same chip, or polygons):
    IoU, F1, precision, recall, overall accuracy, Cohen's kappa and the confusion matrix
    (binary: positive = non-zero or the positive values; per class with classes); reference
    nodata and ignore values (default -1) are left out. When both hold polygons, objects are
    matched one to one at iou_threshold: matched, missed and false objects, object precision,
    recall, F1 and mean IoU.

    Args:
        args: Result, reference and options.
        ctx: Tool context.
    """
    res_src = load_source(args.result, "result")
    ref_src = load_source(args.reference, "reference")
    res_r, ref_r = _raster_of(res_src, "result"), _raster_of(ref_src, "reference")
    warnings: list[str] = []
    if args.classes is not None and args.positive is not None:
        warnings.append("positive is for binary masks; ignored with classes")
    out = AssessOutput(summary="", image=res_src.image)
    parts: list[str] = []
    scene = Path(res_src.image) if res_src.image and Path(res_src.image).is_file() else None
    grid_path = res_r or ref_r or scene
    if grid_path is not None:
        with ExitStack() as stack:
            first = "reference" if res_r is None and ref_r is not None else "result"
            grid_ds = stack.enter_context(open_dataset(grid_path, first))
            grid = grid_of(grid_ds)
            layers: list[Layer] = []
            for src, r, argument in ((res_src, res_r, "result"), (ref_src, ref_r, "reference")):
                if r is None:
                    assert src.vector is not None
                    layers.append(_polygon_layer(src.vector, argument, grid, args, warnings))
                    continue
                ds = grid_ds if r == grid_path else stack.enter_context(open_dataset(r, argument))
                layers.append(raster_on_grid(ds, grid, argument, stack, warnings))
            tally = _compare(layers[0], layers[1], grid, args, ctx)
            parts.append(_pixel_metrics(tally, args, out, ctx, warnings))
    if res_src.vector is not None and ref_src.vector is not None:
        parts.append(_match(res_src.vector, ref_src.vector, args, out, ctx, warnings))
        if len(parts) == 1:
            out.mode = "objects"
    if not parts:
        raise InputError(f"result: nothing to compare: {args.result} gives polygons without the "
                         f"grid of a scene, and {args.reference} gives no polygons. Pass a mask "
                         "or a label raster on one side, or polygons on both sides.")
    named = [f"{s.path.name} ({s.call.tool})" if s.call else s.path.name
             for s in (res_src, ref_src)]
    out.summary = f"Accuracy of {named[0]} against {named[1]}: " + " ".join(parts)
    out.warnings = warnings
    return out
