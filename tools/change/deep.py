"""``detect_changes`` method ``deep``: the learned siamese change model, tiled like CVA.

The pair is opened and checked as for CVA (same bands, overlap; the after scene warped onto
the before grid when grids differ). Tiles of the before grid, grown by an overlap so that the
model sees context at tile edges, go through the model; the core of each tile's change
probability is thresholded (0.5, or ``threshold``) into the uint8 mask (1 change, 0 none, 255
nodata). Polygons, areas and the result are made as for CVA (:mod:`tools.change.output`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from specialists.change.cva import MASK_NODATA, AreaTotals
from specialists.change.model import load_model, predict_probability
from specialists.runtime.cache import get_or_load
from specialists.runtime.device import configure_threads
from tools.change.inputs import DetectChangesInput
from tools.change.output import MASK_NAME, ChangeRun, DetectChangesOutput, finish
from tools.change.pair import open_pair, require_valid
from tools.core.model_inputs import (
    find_weights,
    gsd_note,
    has_weights,
    load_or_refuse,
    probability_threshold,
    select_bands,
)
from tools.core.registry import ToolContext
from tools.geo.area import pixel_area_rows_m2
from tools.geo.geotiff import grid_writer
from tools.geo.min_area import staging_path
from tools.geo.raster import crs_to_str, iter_tiles, rio

MODEL = "siamese-cd"
TRAIN_HINT = "earthsight train change --pairs DIR (A/, B/, label/ folders)"
OVERLAP_PX = 32
"""Context in pixels added around each tile (predictions near tile edges see their neighbours)."""


def deep_available(path: str | None) -> bool:
    """True when change-model weights are here (``auto`` then runs the deep method)."""
    return has_weights(MODEL, path)


def _load(weights: Path) -> tuple[Any, dict[str, Any]]:
    configure_threads()
    key = ("siamese-cd", str(weights), weights.stat().st_mtime_ns)
    return get_or_load(key, lambda: load_or_refuse(load_model, weights))


def detect_changes_deep(args: DetectChangesInput, ctx: ToolContext) -> DetectChangesOutput:
    """Run the learned change model over the pair; see the module docstring."""
    weights = find_weights(MODEL, args.model, "detect_changes (method deep)", TRAIN_HINT)
    threshold = probability_threshold(args.threshold, "the deep method", "change")
    model, meta = _load(weights)
    final = ctx.output_path(MASK_NAME)
    mask_path = staging_path(final, args.min_area_m2)
    vec_path = ctx.output_path("change_polygons.geojson")
    warnings: list[str] = []
    if args.target:
        warnings.append(f"target '{args.target}': the change model is class-agnostic (trained "
                        "on binary change labels), so the polygons are every change")
    if args.standardize:
        warnings.append("standardize applies to cva only; the deep method scales its inputs "
                        "with the statistics stored in its weights")
    with open_pair(args.before, args.after) as pair:
        warnings.extend(pair.warnings)
        src = pair.before
        picked, notes = select_bands(src, list(meta.get("bands", [])), "before")
        warnings += notes + gsd_note(src, meta.get("gsd_m"), "before")
        sel = [i - 1 for i in picked]
        crs, transform = crs_to_str(src.crs), list(src.transform)[:6]
        tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, OVERLAP_PX))
        areas = AreaTotals()
        row_areas = functools.lru_cache(maxsize=2)(
            lambda row, rows: pixel_area_rows_m2(src.transform, src.crs, row, rows))
        tags = {"method": "deep", "model": str(weights), "values": "1=change, 0=no change, "
                "255=nodata", "threshold_units": "probability", "before": args.before,
                "after": args.after}
        with grid_writer(mask_path, src, dtype="uint8", nodata=MASK_NODATA,
                         band_names=["change"], tags={**tags, "threshold": f"{threshold:g}"},
                         cog=mask_path == final) as dst:
            for i, tile in enumerate(tiles):
                (b, vb), (a, va) = pair.read_before(tile.read), pair.read_after(tile.read)
                prob = predict_probability(model, b[sel].astype(np.float32),
                                           a[sel].astype(np.float32))
                rows, cols = tile.inner
                valid = (vb & va)[rows, cols]
                mask = np.where(valid, (prob[rows, cols] >= threshold).astype(np.uint8),
                                MASK_NODATA).astype(np.uint8)
                areas.add(mask, row_areas(int(tile.core.row_off), int(tile.core.height)))
                dst.write(mask, 1, window=rio(tile.core))
                ctx.progress("change model", i + 1, len(tiles))
            require_valid(areas, args)
        reprojected = pair.reprojected
    f1 = meta.get("metrics", {}).get("val_f1")
    how = "deep" + (" (auto: change-model weights found)" if args.method == "auto" else "")
    note = (f"method: {how}, siamese change model {Path(weights).name}"
            + (f" (validation F1 {f1:.3f})" if isinstance(f1, float) else ""))
    return finish(args, ctx, ChangeRun(
        method="deep", note=note, mask_path=mask_path, vec_path=vec_path, areas=areas,
        threshold=threshold, threshold_method="model" if args.threshold is None else "fixed",
        units="probability", crs=crs, transform=transform, reprojected=reprojected,
        warnings=warnings, threshold_note=f"change probability threshold {threshold:g}"))
