"""The end of every ``detect_changes`` method: polygons of the change mask, areas, the result.

Whatever method wrote the mask (CVA or the learned siamese model), the polygons, the minimum
mapping unit (:mod:`tools.geo.min_area`: regions below ``min_area_m2`` leave the polygons and the
mask), the changed area (ha, m², from the cleaned mask), its share of the valid area, and the
artifact records are made here, the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from specialists.change.cva import AreaTotals
from specialists.stats.thresholds import ASHMAN_D_MIN
from specialists.stats.thresholds import Bimodality as HistogramBimodality
from tools.change.inputs import DetectChangesInput
from tools.core.artifacts import Quantity, Reliability, ToolResult
from tools.core.registry import ToolContext
from tools.geo.area import M2_PER_HA, pixel_area_rows_m2
from tools.geo.bimodality import Bimodality
from tools.geo.min_area import mask_polygons
from tools.geo.raster import open_dataset
from tools.geo.vector import write_geojson

MASK_NAME = "change_mask.tif"
"""File name of the change mask in the workspace (with the call's prefix)."""


class DetectChangesOutput(ToolResult):
    """Output of detect_changes: change mask, polygons, changed area and share."""

    method: Literal["cva", "deep"] = Field("cva", description="method that ran")
    changed_area: Quantity = Field(description="changed area in ha")
    changed_area_m2: Quantity = Field(description="changed area in m²")
    changed_share: Quantity = Field(description="changed area as % of the valid scene area")
    valid_area: Quantity = Field(description="area in ha where both scenes have valid pixels")
    threshold: Quantity = Field(description="change-magnitude threshold used")
    threshold_method: Literal["otsu", "fixed", "model"]
    bimodality: Bimodality | None = Field(
        None, description="cva with Otsu's threshold: how clearly the change-magnitude histogram "
        "splits into change and no change (Ashman's D); not bimodal means the threshold, and "
        "so the changed area, is unreliable")
    polygons: int = Field(description="number of change polygons kept")
    dropped_polygons: int = Field(0, description="change regions below min_area_m2, removed "
                                  "from the polygons and set to no change (0) in the mask")
    standardized: bool
    reprojected: bool = Field(description="the after scene was warped onto the before grid")
    resampling_tolerance_px: int | None = Field(
        None, description="cva on a reprojected pair: a pixel counts as change only where the "
        "after value lies outside the range of the before values within this many pixels "
        "(what resampling alone produces); null on a shared grid")
    mask: str = Field(description="change mask GeoTIFF (1 change, 0 none, 255 nodata)")
    vector: str = Field(description="change polygons GeoJSON (before CRS)")


@dataclass
class ChangeRun:
    """What a method produced: its mask, areas, threshold, and notes for the summary."""

    method: str
    note: str
    mask_path: Path
    vec_path: Path
    areas: AreaTotals
    threshold: float
    threshold_method: str
    units: str
    crs: str | None
    transform: list[float]
    reprojected: bool
    threshold_note: str
    warnings: list[str] = field(default_factory=list)
    bimodality: Bimodality | None = None
    tolerance: int = 0


def magnitude_bimodality_warning(fit: HistogramBimodality, threshold: float, units: str) -> str:
    """The warning for an Otsu threshold on a change-magnitude histogram that is not clearly
    bimodal. On the dev LEVIR-CD / DSIFN pairs D was 2.2 on the one pair where CVA works
    (F1 0.78) and 1.5-1.9 on the others (F1 0.0-0.35, the no-change pair included)."""
    return (f"the change-magnitude histogram is not clearly bimodal (Ashman's D {fit.d:.2f} of "
            f"a two-Gaussian fit, <= {ASHMAN_D_MIN:g}): there is no distinct population of "
            f"changed pixels, so the Otsu threshold {threshold:.4g} {units} and the changed area "
            "may be far off (seasonal, illumination or registration differences look like "
            "change to CVA). Fix: pass threshold= as a magnitude for this pair, or use "
            "method='deep' with change-model weights trained on labelled pairs")


OVERLAP_MIN_PCT = 50.0
"""Below this share of the before grid with valid pixels in both scenes, the changed area
describes less than half the scene and is reported as unreliable."""


def change_reliability(run: ChangeRun, raw_changed_m2: float) -> Reliability:
    """The method's verdict on its changed area: an Otsu threshold needs a bimodal
    change-magnitude histogram (unless no pixel differs at all: then 0 is exact), and the two
    scenes must overlap on at least :data:`OVERLAP_MIN_PCT` of the before grid."""
    areas = run.areas
    overlap = 100.0 * areas.valid_m2 / areas.grid_m2 if areas.grid_m2 else 0.0
    reasons: list[str] = []
    diagnostics = {"valid_share_pct": overlap}
    fit = run.bimodality
    if fit is not None:
        diagnostics["ashman_d"] = fit.ashman_d
        if not fit.bimodal and raw_changed_m2 > 0:
            reasons.append(f"the change-magnitude histogram is not clearly bimodal (Ashman's D "
                           f"{fit.ashman_d:.2f} <= {ASHMAN_D_MIN:g}: no distinct population of "
                           "changed pixels)")
    if overlap < OVERLAP_MIN_PCT:
        reasons.append(f"only {overlap:.0f} % of the before scene has valid pixels in both "
                       "scenes")
    return Reliability(reliable=not reasons, reasons=reasons, diagnostics=diagnostics)


def _polygons(run: ChangeRun, args: DetectChangesInput,
              ctx: ToolContext) -> tuple[list[dict[str, Any]], int]:
    """Polygons of the mask with the minimum mapping unit; ``run`` then names the final mask
    and, when regions were dropped, holds the areas of the cleaned mask."""
    final = ctx.output_path(MASK_NAME)
    with open_dataset(run.mask_path, "mask") as ds:
        transform, crs = ds.transform, ds.crs
    row_areas = functools.lru_cache(maxsize=2)(
        lambda row, rows: pixel_area_rows_m2(transform, crs, row, rows))
    areas = AreaTotals()
    found = mask_polygons(
        run.mask_path, final, min_area_m2=args.min_area_m2, ctx=ctx,
        properties={"class": "change", "method": run.method},
        tally=lambda win, data: areas.add(data, row_areas(int(win.row_off), int(win.height))))
    run.mask_path = final
    if found.dropped:
        run.areas = areas
    for i, f in enumerate(found.features, start=1):
        f["id"] = i
        f["properties"]["id"] = i
    return found.features, found.dropped


def finish(args: DetectChangesInput, ctx: ToolContext, run: ChangeRun) -> DetectChangesOutput:
    """Polygons, numbers and artifacts of a written change mask; the tool's result."""
    warnings, raw_m2 = run.warnings, run.areas.changed_m2
    try:
        features, dropped = _polygons(run, args, ctx)
        vec_paths = write_geojson(run.vec_path, features, run.crs, wgs84=args.wgs84)
    except BaseException:
        run.mask_path.unlink(missing_ok=True)
        raise
    areas, mask_path = run.areas, run.mask_path
    changed_m2 = areas.changed_m2
    share = 100.0 * changed_m2 / areas.valid_m2
    if areas.valid_m2 < 0.99 * areas.grid_m2:
        warnings.append(f"only {100 * areas.valid_m2 / areas.grid_m2:.1f} % of the before grid "
                        "has valid pixels in both scenes; the rest is nodata (255) in the mask")
    if dropped:
        warnings.append(f"min_area_m2={args.min_area_m2:g}: {dropped} change region(s) smaller "
                        f"than that ({(raw_m2 - changed_m2) / M2_PER_HA:,.4g} ha) were removed "
                        "from the polygons and set to no change (0) in the mask")
    ctx.artifact("change_mask", "mask", mask_path, crs=run.crs, transform=run.transform,
                 description="change mask on the before grid: 1 change, 0 no change, 255 nodata")
    ctx.artifact("change_polygons", "vector", vec_paths[0], crs=run.crs,
                 description=f"{len(features)} change polygons (area_m2 per polygon)")
    if len(vec_paths) > 1:
        ctx.artifact("change_polygons_wgs84", "vector", vec_paths[1], crs="EPSG:4326",
                     description="change polygons in EPSG:4326")
    for name, value, unit, text in (
            ("changed_area", changed_m2 / M2_PER_HA, "ha", "changed area"),
            ("changed_area_m2", changed_m2, "m²", "changed area"),
            ("changed_share", share, "%", "changed share of the valid scene area"),
            ("valid_area", areas.valid_m2 / M2_PER_HA, "ha", "area valid in both scenes"),
            ("threshold", run.threshold, run.units,
             f"change threshold ({run.threshold_method})"),
            ("change_polygons", len(features), "count", "number of change polygons")):
        ctx.number(name, value, unit, text)
    out = DetectChangesOutput(
        summary="", image=args.before, warnings=warnings, method=run.method,
        changed_area=Quantity(value=changed_m2 / M2_PER_HA, unit="ha"),
        changed_area_m2=Quantity(value=changed_m2, unit="m²"),
        changed_share=Quantity(value=share, unit="%"),
        valid_area=Quantity(value=areas.valid_m2 / M2_PER_HA, unit="ha"),
        threshold=Quantity(value=run.threshold, unit=run.units),
        threshold_method=run.threshold_method, bimodality=run.bimodality,
        polygons=len(features), dropped_polygons=dropped,
        standardized=args.standardize, reprojected=run.reprojected,
        resampling_tolerance_px=run.tolerance or None,
        mask=str(mask_path), vector=str(vec_paths[0]),
        reliability=change_reliability(run, raw_m2),
    )
    assert out.reliability is not None
    out.summary = out.reliability.lead(
        f"{run.note}. Changed area {out.changed_area} ({out.changed_area_m2}), {share:.2f} % of "
        f"the {out.valid_area} valid area, in {len(features)} polygon(s); {run.threshold_note}.")
    return out
