"""The end of every ``map_water`` method: polygons of the water mask, areas, the result.

Whatever wrote the mask (the SAR or optical threshold chain of :mod:`tools.water.map_water`, or the
learned SAR head of :mod:`tools.water.learned`), the polygons, the minimum mapping unit, the water
area (m², ha, km²), its share of the valid area and the artifact records are made here, the
same way. The histogram bimodality check of the threshold chain lives here too, with the
warning it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from specialists.stats.thresholds import ASHMAN_D_MIN
from specialists.stats.thresholds import Bimodality as HistogramBimodality
from specialists.water.rules import NODATA
from tools.core.artifacts import Quantity, Reliability, ToolResult
from tools.core.registry import ToolContext
from tools.geo.area import M2_PER_HA, M2_PER_KM2, NO_CRS_WARNING, AreaTally
from tools.geo.bimodality import Bimodality
from tools.geo.min_area import mask_polygons
from tools.geo.raster import RasterInfo, open_dataset
from tools.geo.vector import write_geojson
from tools.water.inputs import MapWaterInput

MASK_NAME = "water_mask.tif"
"""File name of the water mask in the workspace (with the call's prefix)."""
Method = Literal["sar", "optical", "learned"]
ThresholdSource = Literal["otsu", "user", "model"]


class MapWaterOutput(ToolResult):
    """Output of map_water: mask, polygons, areas and the threshold used."""

    method: Method = "sar"
    method_detail: str = Field("", description="the processing chain, in words")
    threshold: Quantity | None = Field(
        None, description="threshold used (dB for sar, index for optical, probability for "
        "learned)")
    threshold_source: ThresholdSource = "otsu"
    relaxed_threshold: Quantity | None = Field(
        None, description="SAR: boundary-growth threshold (dB)")
    bimodality: Bimodality | None = Field(
        None, description="Otsu thresholds: how clearly the histogram is bimodal (Ashman's D); "
        "not bimodal means the threshold, and so the area, is unreliable")
    bands_used: dict[str, str] = Field(default_factory=dict)
    water_pixels: int = 0
    valid_pixels: int = 0
    water_area_m2: Quantity | None = None
    water_area_ha: Quantity | None = None
    water_area_km2: Quantity | None = None
    water_share_pct: Quantity | None = Field(
        None, description="water share of the valid area (of valid pixels without a CRS), %")
    polygons: int = Field(0, description="water polygons written")
    dropped_polygons: int = Field(0, description="water regions below min_area_m2, removed "
                                  "from the polygons and set to land (0) in the mask")


def bimodality_warning(fit: HistogramBimodality, method: str, threshold: float,
                       image: str) -> str | None:
    """The warning for an Otsu threshold on a histogram that is not clearly bimodal (else None).

    The mask is kept as Otsu made it; the warning says how far to trust it and the fix.
    """
    if fit.bimodal:
        return None
    if method == "sar":
        units = "dB"
        fix = ("pass threshold= in dB for that scene (with a fixed threshold map_water "
               "thresholds the co-polarised band, VV or HH, alone; open water is usually "
               "darker than about -18 dB in VV, calm water darker still), or use "
               "method='learned' with a water head trained on labelled SAR chips")
    else:
        units = "index"
        fix = ("pass threshold= as an index value (0 is the conventional water boundary of "
               "NDWI and MNDWI)")
    return (f"{image}: the {'backscatter' if method == 'sar' else 'water-index'} histogram is "
            f"not clearly bimodal (Ashman's D {fit.d:.2f} of a two-Gaussian fit, <= "
            f"{ASHMAN_D_MIN:g}: water and land overlap), so the Otsu threshold "
            f"{threshold:.3g} {units} and the water area may be far off. Fix: {fix}.")


def implausible_water_warning(method: str, mean: float, limit: float, image: str) -> str:
    """The warning for an Otsu water class whose mean is not what open water looks like."""
    if method == "sar":
        return (f"{image}: the class Otsu calls water has a mean backscatter of {mean:.1f} dB, "
                f"brighter than open water in C-band (at most about {limit:.1f} dB for these "
                "polarisations): smooth fields, wet soil or shadow make up most of it, so the "
                "water area is likely too large. Fix: pass threshold= in dB (map_water then "
                "thresholds the co-polarised band alone; open water is usually darker than "
                "about -18 dB in VV), or map water on an optical scene of the same place")
    return (f"{image}: the class Otsu calls water has a mean water index of {mean:.2f}, not "
            f"above {limit:g} where open water lies, so it is mostly not water. Fix: pass "
            "threshold= as an index value (0 is the conventional water boundary)")


def water_reliability(run: WaterRun) -> Reliability | None:
    """The method's verdict on its water area (None for fixed thresholds and the learned head,
    which have no histogram to judge): the Otsu split must be bimodal (Ashman's D > 2) and the
    class it calls water must look like open water (:data:`OPEN_WATER_MAX_DB`,
    :data:`WATER_INDEX_MIN`)."""
    fit = run.bimodality
    if run.source != "otsu" or fit is None:
        return None
    what = "backscatter" if run.method == "sar" else "water-index"
    reasons: list[str] = []
    diagnostics = {"ashman_d": fit.ashman_d}
    if not fit.bimodal:
        reasons.append(f"the {what} histogram is not clearly bimodal (Ashman's D "
                       f"{fit.ashman_d:.2f} <= {ASHMAN_D_MIN:g}: water and land overlap)")
    if len(fit.modes) == 2 and run.water_limit is not None:
        sar = run.method == "sar"
        mean = fit.modes[0 if sar else 1].mean.value
        diagnostics.update({"water_mode_mean": mean, "water_mode_limit": run.water_limit})
        if (mean > run.water_limit) if sar else (mean <= run.water_limit):
            reasons.append(
                f"the class called water (mean {mean:.1f} dB) is brighter than open water "
                f"(at most about {run.water_limit:.1f} dB)" if sar else
                f"the class called water (mean index {mean:.2f}) is not above "
                f"{run.water_limit:g}, where open water lies")
            run.warnings.append(implausible_water_warning(run.method, mean, run.water_limit,
                                                          run.image))
    return Reliability(reliable=not reasons, reasons=reasons, diagnostics=diagnostics)


@dataclass
class WaterRun:
    """What a method produced: its mask, tally, threshold, and notes for the summary."""

    method: Method
    detail: str
    units: str
    threshold: float
    source: ThresholdSource
    mask_path: Path
    tally: AreaTally
    bands_used: dict[str, str]
    relaxed: float | None = None
    bimodality: Bimodality | None = None
    warnings: list[str] = field(default_factory=list)
    water_limit: float | None = None
    """Otsu thresholds: the brightest mean (dB, SAR) or lowest mean index (optical) of a class
    that is open water (a plausibility check of the result)."""
    image: str = ""


def finish(args: MapWaterInput, ctx: ToolContext, info: RasterInfo,
           run: WaterRun) -> MapWaterOutput:
    """Polygonise the mask, apply the minimum mapping unit, record artifacts and numbers.

    With ``min_area_m2`` the method wrote ``run.mask_path`` to
    ``staging_path(ctx.output_path("water_mask.tif"), ...)``; regions below the minimum are
    dropped from the polygons and set to land in the mask, and the areas are tallied on the
    cleaned mask (:func:`tools.geo.min_area.mask_polygons`).
    """
    if not run.tally.has_area:
        run.warnings.append(NO_CRS_WARNING.format(path=args.image))
    final = ctx.output_path(MASK_NAME)
    try:  # a failure past this point leaves no unrecorded mask behind
        with open_dataset(run.mask_path, "mask") as mask:
            tally = AreaTally(mask)
        found = mask_polygons(
            run.mask_path, final, min_area_m2=args.min_area_m2, ctx=ctx,
            properties={"class": "water"},
            tally=lambda win, data: tally.add(data == 1, data != NODATA, win))
        run.mask_path = final
        if found.dropped:
            run.tally = tally
        return _result(args, ctx, info, run, found.features, found.dropped)
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def _result(args: MapWaterInput, ctx: ToolContext, info: RasterInfo, run: WaterRun,
            features: list[dict[str, Any]], dropped: int) -> MapWaterOutput:
    for i, feat in enumerate(features, start=1):
        feat["id"] = i
        feat["properties"]["id"] = i
    vector_paths = write_geojson(ctx.output_path("water.geojson"), features, info.crs,
                                 wgs84=args.wgs84)
    ctx.artifact("water_mask", "mask", run.mask_path, units="class", crs=info.crs,
                 transform=info.transform, description="1 = water, 0 = land, 255 = nodata")
    for p in vector_paths:
        wgs = p.name.endswith(".4326.geojson")
        ctx.artifact("water_polygons_4326" if wgs else "water_polygons", "vector", p,
                     units="m²", crs="EPSG:4326" if wgs else info.crs,
                     description=f"{len(features)} water polygons, each with area_m2")
    tally = run.tally
    t_q = Quantity(value=run.threshold, unit=run.units)
    out = MapWaterOutput(
        summary="", image=args.image, warnings=run.warnings, method=run.method,
        method_detail=run.detail, threshold=t_q, threshold_source=run.source,
        relaxed_threshold=(Quantity(value=run.relaxed, unit="dB") if run.relaxed is not None
                           else None),
        bimodality=run.bimodality, bands_used=run.bands_used, water_pixels=tally.selected_px,
        valid_pixels=tally.valid_px, water_share_pct=Quantity(value=tally.share_pct, unit="%"),
        polygons=len(features), dropped_polygons=dropped, reliability=water_reliability(run),
    )
    out.warnings = run.warnings
    ctx.number("threshold", run.threshold, run.units, f"{run.source} threshold ({run.method})")
    if run.bimodality is not None:
        ctx.number("ashman_d", run.bimodality.ashman_d, "1",
                   "Ashman's D of the thresholded histogram (> 2: clearly bimodal; "
                   "dimensionless)")
    if tally.has_area:
        m2 = tally.selected_m2
        out.water_area_m2 = Quantity(value=m2, unit="m²")
        out.water_area_ha = Quantity(value=m2 / M2_PER_HA, unit="ha")
        out.water_area_km2 = Quantity(value=m2 / M2_PER_KM2, unit="km²")
        ctx.number("water_area", m2 / M2_PER_HA, "ha", "water area")
        ctx.number("water_area_m2", m2, "m²", "water area")
        ctx.number("water_area_km2", m2 / M2_PER_KM2, "km²", "water area")
        size = f"{out.water_area_ha} ({out.water_area_km2})"
    else:
        size = f"{tally.selected_px} pixels (no CRS, so no area)"
    ctx.number("water_share", tally.share_pct, "%", "water share of the valid area")
    ctx.number("water_pixels", tally.selected_px, "count", "water pixels")
    ctx.number("polygon_count", len(features), "count", "water polygons")
    how = (f"{run.source} threshold {t_q} ({run.method})" if run.method != "learned"
           else f"learned water head, probability threshold {run.threshold:g}")
    out.summary = (f"Water: {size}, {tally.share_pct:.1f} % of the valid area, in "
                   f"{len(features)} polygons; {how}.")
    if out.reliability is not None:
        out.summary = out.reliability.lead(out.summary)
    return out
