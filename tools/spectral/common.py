"""What every ``spectral_index`` path shares: the input and output models, the threshold and
its preset, thresholded selection, out-of-range counts and the mask / area outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from specialists.spectral.burn import SEVERITY_SOURCE
from specialists.spectral.indices import RunningStats
from specialists.spectral.presets import Preset, preset_for
from specialists.tiling import Tile
from specialists.water.rules import NODATA
from tools.core.artifacts import Quantity, ToolResult
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext
from tools.core.scene_options import SceneOptions
from tools.geo.area import M2_PER_HA, AreaTally
from tools.geo.raster import RasterInfo, rio

IndexName = Literal["NDVI", "NDWI", "MNDWI", "NBR", "NDSI", "NDBI", "SAVI", "EVI", "NDMI",
                    "GNDVI", "NDRE", "NDCI", "NDTI", "dNBR"]


class SpectralIndexInput(SceneOptions):
    """Arguments of spectral_index."""

    image: str = Field(description="path of a multispectral raster (for dNBR: the post-fire "
                       "scene)", json_schema_extra=PATH_FIELD)
    index: IndexName = Field(description="index name, upper case (dNBR as written)")
    threshold: float | Literal["default"] | None = Field(
        None, description="when given, also write a mask of pixels at or above it and report "
        "its area; 'default' takes the documented preset of the index (NDSI 0.4 snow, NDVI 0.2 "
        "vegetation, NDWI / MNDWI 0 water, NDBI 0 built-up, dNBR 0.1 burned)")
    below: bool = Field(False, description="mask pixels below the threshold instead of at or "
                        "above it")
    bands: dict[str, int] | None = Field(
        None, description="override band roles, e.g. {\"nir\": 4, \"red\": 3} (1-based; for "
        "dNBR, of both scenes)")
    sensor: Literal["sentinel2", "landsat8", "rgbn", "bgrn"] | None = Field(
        None, description="the file's band order when it does not name its bands: sentinel2 "
        "(B1-B12), landsat8 (B2-B7 or B1-B7), rgbn (red, green, blue, NIR), bgrn (blue, green, "
        "red, NIR, as PlanetScope)")
    before: str | None = Field(
        None, description="the earlier scene (image is the later one), warped onto the image "
        "grid when the grids differ: dNBR's pre-fire scene, or for any other index the first "
        "date of its change INDEX(before) - INDEX(image), positive where it dropped",
        json_schema_extra=PATH_FIELD)
    direction: Literal["drop", "rise"] | None = Field(
        None, description="with before, for an index other than NBR: the change the threshold "
        "selects, a drop (the default) or a rise of at least the threshold (NDVI fell by more "
        "than 0.3: threshold 0.3; NDBI rose by more than 0.1: threshold 0.1, direction rise)")


class OutOfRange(BaseModel):
    """Pixels whose values lie outside a physical range (counted, not changed)."""

    range: str = Field(description="the range, e.g. 'reflectance 0 to 1'")
    pixels: int = Field(0, description="valid pixels outside it")
    share_pct: Quantity = Field(description="their share of the valid pixels, %")


class SeverityArea(BaseModel):
    """One burn severity class of a dNBR: its range, pixels and area."""

    code: int = Field(description="value in the class raster")
    name: str
    range: str = Field(description="dNBR range (unscaled)")
    pixels: int = 0
    area_ha: Quantity | None = Field(None, description="area, ha (None without a CRS)")
    share_pct: Quantity = Field(description="share of the valid area (of valid pixels without "
                                "a CRS), %")


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
    threshold_source: str | None = Field(
        None, description="'given', or 'default: <source>' for a preset threshold")
    maps: str | None = Field(None, description="what a preset threshold maps, e.g. 'snow cover'")
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
        None, description="pixels whose index value lies outside -1 to 1 (dNBR: outside the "
        "USGS table's -0.5 to 1.3)")
    before: str | None = Field(None, description="the earlier scene of dNBR or an index change")
    severity: list[SeverityArea] = Field(
        default_factory=list, description=f"dNBR: burn severity classes ({SEVERITY_SOURCE})")


def quantity(value: float, unit: str) -> Quantity | None:
    """``Quantity`` of a finite value, else None."""
    return Quantity(value=value, unit=unit) if math.isfinite(value) else None


def pct_text(share: float) -> str:
    """A share in % for a summary: one decimal, two significant digits below 0.1 (not 0.0)."""
    return f"{share:.2g}" if 0 < share < 0.1 else f"{share:.1f}"


def select(values: np.ndarray, threshold: float, below: bool) -> np.ndarray:
    """Pixels at or above ``threshold`` (or below it); NaN is never selected. The comparison is
    made in the values' type (float32), so a stored value equal to the threshold is selected."""
    valid = np.isfinite(values)
    filled = np.where(valid, values, threshold)
    return np.asarray(valid & ((filled < threshold) if below else (filled >= threshold)))


class Ranges:
    """Valid pixels, and those with reflectance outside 0-1 or an index outside a range."""

    def __init__(self, low: float = -1.0, high: float = 1.0) -> None:
        self.valid = self.reflectance = self.index = 0
        self.low, self.high = low, high

    def add(self, bands: dict[str, np.ndarray], values: np.ndarray) -> None:
        """Add a tile's role arrays and index values."""
        stack = np.stack(list(bands.values()))
        finite = np.isfinite(stack).all(axis=0)
        with np.errstate(invalid="ignore"):
            outside = ((stack < 0) | (stack > 1)).any(axis=0) & finite
            self.index += int(((values < self.low) | (values > self.high)).sum())
        self.valid += int(np.isfinite(values).sum())
        self.reflectance += int((outside & np.isfinite(values)).sum())

    def record(self, count: int, what: str) -> OutOfRange:
        """The out-of-range record of ``count`` pixels."""
        share = 100.0 * count / self.valid if self.valid else 0.0
        return OutOfRange(range=what, pixels=count, share_pct=Quantity(value=share, unit="%"))

    def warn(self, result: SpectralIndexOutput, index: bool = True) -> None:
        """Say in ``result.warnings`` which pixels lie outside the ranges (``index``: the index
        range too)."""
        checks = [result.reflectance_out_of_range, result.index_out_of_range if index else None]
        for check in checks:
            if check is not None and check.pixels:
                result.warnings.append(
                    f"{check.pixels} of {self.valid} valid pixels ({check.share_pct.value:.2g} "
                    f"%) lie outside {check.range} (not physical: atmospheric over-correction, "
                    "saturation, clouds or a wrong scale); they are kept in the statistics")


@dataclass
class IndexTile:
    """One tile's index values (core window), its encoded mask (None without a threshold) and
    its out-of-range counts, as a tile task returns them."""

    values: np.ndarray
    mask: np.ndarray | None
    ranges: Ranges

    def take(self, tile: Tile, dst: Any, mdst: Any, stats: RunningStats, ranges: Ranges,
             tally: AreaTally | None) -> None:
        """Write this tile (values, and mask when there is one) and add it to the statistics,
        range counts and area tally (the writers take the tiles in order)."""
        dst.write(self.values[np.newaxis], window=rio(tile.core))
        stats.add(self.values)
        ranges.valid += self.ranges.valid
        ranges.reflectance += self.ranges.reflectance
        ranges.index += self.ranges.index
        if mdst is not None and tally is not None and self.mask is not None:
            mdst.write(self.mask[np.newaxis], window=rio(tile.core))
            tally.add(self.mask == 1, self.mask != NODATA, tile.core)


def resolve_threshold(args: SpectralIndexInput, index: str) -> tuple[float | None, Preset | None]:
    """The threshold to apply (None: no mask) and the preset it came from, if any."""
    if args.threshold != "default":
        return args.threshold, None
    try:
        preset = preset_for(index)
    except KeyError as exc:
        raise InputError(f"threshold: 'default' for {index}: {exc.args[0]}") from None
    return preset.threshold, preset


def threshold_outputs(
    ctx: ToolContext, index: str, info: RasterInfo, tally: AreaTally, result: SpectralIndexOutput,
    threshold: float, below: bool, preset: Preset | None, what: str | None = None,
) -> None:
    """Mask artifact, area numbers and summary text of a thresholded index (the threshold and
    its source are stated; ``what`` is the rule in words when it is more than the threshold)."""
    name = index.lower()
    what = what or f"{index} {'<' if below else '≥'} {threshold:g}"
    if preset is None:
        label = what
    elif below:
        label = f"not {preset.maps} ({what}, default threshold: {preset.source})"
    else:
        label = f"{preset.maps} ({what}, default: {preset.source})"
    ctx.artifact(f"{name}_mask", "mask", ctx.output_path(f"{name}_mask.tif"), units="class",
                 crs=info.crs, transform=info.transform,
                 description=f"1 = {label}, 0 = not, 255 = nodata")
    result.threshold = Quantity(value=threshold, unit="index")
    result.threshold_source = "given" if preset is None else f"default: {preset.source}"
    result.maps = preset.maps if preset is not None else None
    result.below = below
    result.mask_pixels = tally.selected_px
    result.area_share_pct = Quantity(value=tally.share_pct, unit="%")
    if preset is not None and preset.caveat and not below:
        result.warnings.append(f"{preset.maps} as {what}: {preset.caveat}")
    if tally.has_area:
        ha = tally.selected_m2 / M2_PER_HA
        result.area_m2 = Quantity(value=tally.selected_m2, unit="m²")
        result.area_ha = Quantity(value=ha, unit="ha")
        ctx.number("area", ha, "ha", f"area of {label}")
        ctx.number("area_m2", tally.selected_m2, "m²", f"area of {label}")
        result.summary += (f" {label}: {pct_text(tally.share_pct)} % of the valid area, "
                           f"{result.area_ha} ({result.area_m2}).")
    else:
        result.summary += (f" {label}: {pct_text(tally.share_pct)} % of valid pixels, "
                           f"{tally.selected_px} pixels (no CRS, so no area).")
    ctx.number("mask_pixels", tally.selected_px, "count", f"pixels of {label}")
    ctx.number("area_share", tally.share_pct, "%", f"share of the valid area of {label}")
