"""``spectral_index``: NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI.

Bands come by role from :mod:`tools.geo.bands`; masked areas are tallied tile by tile with
:class:`tools.geo.area.AreaTally`.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from specialists.spectral.indices import INDICES, ReflectanceScale, RunningStats, compute_index
from specialists.water.rules import NODATA, encode_mask
from tools.core.artifacts import Quantity, ToolResult
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.geo.area import M2_PER_HA, NO_CRS_WARNING, AreaTally
from tools.geo.bands import BandChoice, choose_bands, read_roles, reflectance_scale, role_text
from tools.geo.geotiff import grid_writer
from tools.geo.raster import RasterInfo, describe, iter_tiles, open_dataset, rio

IndexName = Literal["NDVI", "NDWI", "MNDWI", "NBR", "NDSI", "NDBI", "SAVI", "EVI"]


class SpectralIndexInput(BaseModel):
    """Arguments of spectral_index."""

    image: str = Field(description="path of a multispectral raster",
                       json_schema_extra=PATH_FIELD)
    index: IndexName = Field(description="index name, upper case")
    threshold: float | None = Field(
        None, description="when given, also write a mask of pixels above it and report its area")
    below: bool = Field(False, description="mask pixels below the threshold instead of above")
    bands: dict[str, int] | None = Field(
        None, description="override band roles, e.g. {\"nir\": 4, \"red\": 3} (1-based)")
    sensor: Literal["sentinel2", "landsat8", "rgbn", "bgrn"] | None = Field(
        None, description="the file's band order when it does not name its bands: sentinel2 "
        "(B1-B12), landsat8 (B2-B7 or B1-B7), rgbn (red, green, blue, NIR), bgrn (blue, green, "
        "red, NIR, as PlanetScope)")


class OutOfRange(BaseModel):
    """Pixels whose values lie outside a physical range (counted, not changed)."""

    range: str = Field(description="the range, e.g. 'reflectance 0 to 1'")
    pixels: int = Field(0, description="valid pixels outside it")
    share_pct: Quantity = Field(description="their share of the valid pixels, %")


class SpectralIndexOutput(ToolResult):
    """Output of spectral_index: the index raster, its statistics and the optional mask."""

    index: str = ""
    formula: str = Field("", description="the formula applied, in band roles")
    bands_used: dict[str, str] = Field(
        default_factory=dict, description="role -> band of the file, e.g. {'NIR': 'B8'}")
    band_source: str = Field("", description="how the roles were decided (band names, "
                             "wavelengths, a sensor preset, or the bands argument)")
    reflectance: str = Field("", description="how stored values were turned into reflectance")
    valid_pixels: int = Field(0, description="pixels with a finite index value")
    mean: Quantity | None = None
    min: Quantity | None = None
    max: Quantity | None = None
    threshold: Quantity | None = None
    below: bool = False
    mask_pixels: int | None = Field(None, description="pixels selected by the threshold")
    area_m2: Quantity | None = Field(None, description="area selected by the threshold, m²")
    area_ha: Quantity | None = Field(None, description="area selected by the threshold, ha")
    area_share_pct: Quantity | None = Field(
        None, description="selected share of the valid area (of valid pixels without a CRS), %")
    reflectance_out_of_range: OutOfRange | None = Field(
        None, description="pixels where a band used has reflectance below 0 or above 1 (after "
        "scaling): not physical reflectance (atmospheric over-correction, saturation, wrong "
        "scale)")
    index_out_of_range: OutOfRange | None = Field(
        None, description="pixels whose index value lies outside -1 to 1")


# --- the tool --------------------------------------------------------------------------------

def _q(value: float, unit: str) -> Quantity | None:
    return Quantity(value=value, unit=unit) if math.isfinite(value) else None


def select(values: np.ndarray, threshold: float, below: bool) -> np.ndarray:
    """Pixels above (or below) ``threshold``; NaN is never selected."""
    valid = np.isfinite(values)
    filled = np.where(valid, values, threshold)
    return np.asarray(valid & ((filled < threshold) if below else (filled > threshold)))


class _Ranges:
    """Valid pixels, and those with reflectance outside 0-1 or an index outside -1 to 1."""

    def __init__(self) -> None:
        self.valid = self.reflectance = self.index = 0

    def add(self, bands: dict[str, np.ndarray], values: np.ndarray) -> None:
        stack = np.stack(list(bands.values()))
        finite = np.isfinite(stack).all(axis=0)
        with np.errstate(invalid="ignore"):
            outside = ((stack < 0) | (stack > 1)).any(axis=0) & finite
            self.index += int((np.abs(values) > 1).sum())
        self.valid += int(np.isfinite(values).sum())
        self.reflectance += int((outside & np.isfinite(values)).sum())

    def record(self, count: int, what: str) -> OutOfRange:
        share = 100.0 * count / self.valid if self.valid else 0.0
        return OutOfRange(range=what, pixels=count, share_pct=Quantity(value=share, unit="%"))


def _write_index(
    args: SpectralIndexInput, ctx: ToolContext, src: Any, choice: BandChoice,
    scale: ReflectanceScale, tally: AreaTally | None,
) -> tuple[RunningStats, _Ranges]:
    """One pass: index raster (and mask) window by window, statistics streamed."""
    spec = INDICES[args.index]
    name = spec.name.lower()
    stats, ranges = RunningStats(), _Ranges()
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, 0))
    with contextlib.ExitStack() as stack:
        dst = stack.enter_context(grid_writer(
            ctx.output_path(f"{name}.tif"), src, 1, "float32", nodata=float("nan"),
            band_names=[spec.name], resampling="average",
            tags={"units": "index", "index": spec.name, "formula": spec.formula,
                  "bands": choice.text}))
        mdst = None
        if args.threshold is not None:
            mdst = stack.enter_context(grid_writer(
                ctx.output_path(f"{name}_mask.tif"), src, 1, "uint8", nodata=NODATA,
                band_names=[f"{name}_mask"],
                tags={"units": "class", "values": "1 = selected, 0 = not, 255 = nodata"}))
        for i, tile in enumerate(tiles, start=1):
            bands = read_roles(src, tile.core, choice.roles, scale)
            values = compute_index(spec.name, bands)
            dst.write(values[np.newaxis], window=rio(tile.core))
            stats.add(values)
            ranges.add(bands, values)
            if mdst is not None and tally is not None and args.threshold is not None:
                valid = np.isfinite(values)
                chosen = select(values, args.threshold, args.below)
                mdst.write(encode_mask(chosen, valid)[np.newaxis], window=rio(tile.core))
                tally.add(chosen, valid, tile.core)
            ctx.progress("index", i, len(tiles))
        if stats.count == 0:  # raised inside the writers: nothing is left half-written
            raise InputError(f"image: {args.image} has no valid pixels for {spec.name} "
                             f"({choice.text}): every pixel is nodata/NaN or has a zero "
                             "denominator. Check the nodata value and the band choice.")
    return stats, ranges


@tool_record(SpectralIndexInput, SpectralIndexOutput)
def spectral_index(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """Compute a spectral index (NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI) as a float
    GeoTIFF on the scene grid (nodata NaN) with its mean, min and max; with a threshold, also a
    mask of the pixels above (or below) it with their area in m² and ha and their share of the
    valid area. Bands come from the file's band names, wavelengths or colour interpretation,
    else a band order (`sensor`, or one assumed from 6/7 or 12/13 bands and stated); an alpha
    band is never data and four unnamed bands are refused until `bands` or `sensor` says which
    is which. Integer reflectance (x 10000) is scaled before SAVI and EVI, which depend on
    scale; pixels with reflectance outside 0-1 or an index outside -1 to 1 are counted.

    Args:
        args: Image, index, optional threshold / below, band overrides, sensor preset.
        ctx: Tool context.
    """
    spec = INDICES[args.index]
    info = describe(args.image)
    choice = choose_bands(info, spec.roles, spec.name, args.bands, args.sensor)
    warnings = list(choice.notes)
    with open_dataset(args.image) as src:
        scale = reflectance_scale(src, list(choice.roles.values()))
        if spec.needs_reflectance and not scale.identity:
            warnings.append(f"{spec.name} is not scale-invariant: {scale.reason}")
        tally = AreaTally(src) if args.threshold is not None else None
        if tally is not None and not tally.has_area:
            warnings.append(NO_CRS_WARNING.format(path=args.image))
        stats, ranges = _write_index(args, ctx, src, choice, scale, tally)
    name = spec.name.lower()
    ctx.artifact(name, "raster", ctx.output_path(f"{name}.tif"), units="index", crs=info.crs,
                 transform=info.transform,
                 description=f"{spec.name} = {spec.formula} ({choice.text}); nodata NaN")
    result = SpectralIndexOutput(
        summary="", image=args.image, warnings=warnings, index=spec.name, formula=spec.formula,
        bands_used={role_text(r): lab for r, lab in choice.labels.items()},
        band_source=choice.source, reflectance=scale.reason or "values used as stored",
        valid_pixels=stats.count, mean=_q(stats.mean, "index"), min=_q(stats.minimum, "index"),
        max=_q(stats.maximum, "index"),
        reflectance_out_of_range=ranges.record(ranges.reflectance, "reflectance 0 to 1"),
        index_out_of_range=ranges.record(ranges.index, f"{spec.name} -1 to 1"),
    )
    for check in (result.reflectance_out_of_range, result.index_out_of_range):
        if check is not None and check.pixels:
            result.warnings.append(f"{check.pixels} of {ranges.valid} valid pixels "
                            f"({check.share_pct.value:.2g} %) lie outside {check.range} "
                            "(not physical: atmospheric over-correction, saturation, clouds or "
                            "a wrong scale); they are kept in the statistics")
    for key, value in (("mean", stats.mean), ("min", stats.minimum), ("max", stats.maximum)):
        ctx.number(key, value, "index", f"{key} of {spec.name} over {stats.count} valid pixels")
    result.summary = (f"{spec.name} ({choice.text}): mean {stats.mean:.3f}, min "
                      f"{stats.minimum:.3f}, max {stats.maximum:.3f} (index) over {stats.count} "
                      "valid pixels.")
    if tally is not None and args.threshold is not None:
        _threshold_outputs(args, ctx, info, tally, result)
    return result


def _threshold_outputs(
    args: SpectralIndexInput, ctx: ToolContext, info: RasterInfo, tally: AreaTally,
    result: SpectralIndexOutput,
) -> None:
    """Mask artifact, area numbers and summary text of a thresholded index."""
    assert args.threshold is not None
    name, t = args.index.lower(), args.threshold
    side = "below" if args.below else "above"
    what = f"{args.index} {side} {t:g}"
    ctx.artifact(f"{name}_mask", "mask", ctx.output_path(f"{name}_mask.tif"), units="class",
                 crs=info.crs, transform=info.transform,
                 description=f"1 = {what}, 0 = not, 255 = nodata")
    result.threshold = Quantity(value=t, unit="index")
    result.below = args.below
    result.mask_pixels = tally.selected_px
    result.area_share_pct = Quantity(value=tally.share_pct, unit="%")
    if tally.has_area:
        result.area_m2 = Quantity(value=tally.selected_m2, unit="m²")
        result.area_ha = Quantity(value=tally.selected_m2 / M2_PER_HA, unit="ha")
        ctx.number("area", tally.selected_m2 / M2_PER_HA, "ha", f"area where {what}")
        ctx.number("area_m2", tally.selected_m2, "m²", f"area where {what}")
        result.summary += (f" {what}: {result.area_ha} ({result.area_m2}), "
                           f"{tally.share_pct:.1f} % of the valid area.")
    else:
        result.summary += (f" {what}: {tally.selected_px} pixels, {tally.share_pct:.1f} % of "
                           "valid pixels (no CRS, so no area).")
    ctx.number("mask_pixels", tally.selected_px, "count", f"pixels where {what}")
    ctx.number("area_share", tally.share_pct, "%", f"share of the valid area where {what}")
