"""``spectral_index``: NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI.

Also the band, reflectance and area helpers that :mod:`tools.water.map_water` shares: which band
plays which role (:func:`choose_bands`), how stored values become reflectance
(:func:`reflectance_scale`), reading role arrays of a window (:func:`read_roles`) and areas of
mask pixels tallied tile by tile (:class:`AreaTally`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from rasterio.enums import Resampling
from rasterio.windows import Window

from specialists.spectral.bands import ROLE_WAVELENGTH_NM, resolve_roles
from specialists.spectral.indices import (
    INDICES,
    ReflectanceScale,
    RunningStats,
    compute_index,
    detect_reflectance_scale,
)
from specialists.water.rules import NODATA, encode_mask
from tools.core.artifacts import Quantity, ToolResult
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.geo.area import M2_PER_HA, pixel_area_rows_m2
from tools.geo.geotiff import grid_writer
from tools.geo.raster import RasterInfo, crs_to_str, describe, iter_tiles, open_dataset, read_masked

IndexName = Literal["NDVI", "NDWI", "MNDWI", "NBR", "NDSI", "NDBI", "SAVI", "EVI"]

KNOWN_ROLES = (*ROLE_WAVELENGTH_NM, "nir_narrow", "water_vapour", "cirrus")
_ROLE_TEXT = {"nir": "NIR", "swir1": "SWIR1", "swir2": "SWIR2", "nir_narrow": "NIR (narrow)"}


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
    sensor: Literal["sentinel2", "landsat8"] | None = Field(
        None, description="band-order preset when the file does not name its bands")


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


# --- shared helpers ---------------------------------------------------------------------------

def role_text(role: str) -> str:
    """How a role is written for people: 'NIR', 'SWIR1', 'red'."""
    return _ROLE_TEXT.get(role, role)


def band_label(info: RasterInfo, index: int) -> str:
    """The file's name of band ``index`` (e.g. 'B8'), else 'band 4'."""
    name = info.bands[index - 1].name if 0 < index <= len(info.bands) else None
    return name or f"band {index}"


@dataclass(frozen=True)
class BandChoice:
    """Bands chosen for the roles a computation needs."""

    roles: dict[str, int]
    labels: dict[str, str]
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """E.g. 'NIR=B8, red=B4'."""
        return ", ".join(f"{role_text(r)}={self.labels[r]}" for r in self.roles)


def _check_override(bands: dict[str, int], count: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, idx in bands.items():
        role = key.strip().lower()
        if role not in KNOWN_ROLES:
            raise InputError(f"bands: unknown role {key!r}; roles are {', '.join(KNOWN_ROLES)}")
        if not 1 <= int(idx) <= count:
            raise InputError(f"bands: {key}={idx} is outside the file's bands 1..{count} "
                             "(band numbers are 1-based)")
        out[role] = int(idx)
    return out


def resolve_bands(
    info: RasterInfo, bands: dict[str, int] | None = None, sensor: str | None = None
) -> tuple[dict[str, int], str, list[str]]:
    """Every role that can be decided for ``info`` (``bands`` overrides), how, and notes."""
    found = resolve_roles(info.count, info.band_names, info.wavelengths_nm, sensor)
    roles = dict(found.roles)
    if "nir" not in roles and "nir_narrow" in roles:
        roles["nir"] = roles["nir_narrow"]
    source, notes = found.source, list(found.notes)
    if bands:
        roles.update(_check_override(bands, info.count))
        source = f"bands argument + {source}" if found.roles else "bands argument"
        notes = [n for n in notes if "assumed" not in n] if len(bands) >= 2 else notes
    return roles, source, notes


def choose_bands(
    info: RasterInfo, needed: Sequence[str], purpose: str, bands: dict[str, int] | None = None,
    sensor: str | None = None, argument: str = "image",
) -> BandChoice:
    """Pick the band of each role in ``needed``.

    Raises:
        InputError: A role cannot be found; the message names the file, the missing roles and
            how to pass them.
    """
    roles, source, notes = resolve_bands(info, bands, sensor)
    missing = [r for r in needed if r not in roles]
    if missing:
        names = [n for n in info.band_names if n]
        what = (f"band names {', '.join(names)}" if names else "no band names or wavelengths")
        example = ", ".join(f'"{r}": <1-based band>' for r in missing)
        raise InputError(
            f"{argument}: {purpose} needs the {', '.join(role_text(r) for r in needed)} bands, "
            f"but {info.path} has {info.count} band(s) ({what}) and no "
            f"{' or '.join(role_text(r) for r in missing)} band could be identified. Pass "
            f"bands={{{example}}}, or sensor='sentinel2' / 'landsat8' when the file uses that "
            "band order, or use a raster that has these bands.")
    chosen = {r: roles[r] for r in needed}
    return BandChoice(chosen, {r: band_label(info, i) for r, i in chosen.items()}, source, notes)


def sample_bands(src: Any, indexes: Sequence[int], max_side: int = 256) -> np.ndarray:
    """A decimated read of ``indexes`` (at most ``max_side`` pixels a side) with nodata as NaN."""
    h, w = min(src.height, max_side), min(src.width, max_side)
    data = src.read(list(indexes), out_shape=(len(indexes), h, w), out_dtype="float32",
                    resampling=Resampling.nearest)
    if src.nodata is not None and not (isinstance(src.nodata, float) and math.isnan(src.nodata)):
        data[data == np.float32(src.nodata)] = np.nan
    return np.asarray(data)


def reflectance_scale(src: Any, indexes: Sequence[int]) -> ReflectanceScale:
    """How stored values of ``indexes`` become 0-1 reflectance (see
    :func:`specialists.spectral.indices.detect_reflectance_scale`)."""
    first = indexes[0] - 1
    dtype = src.dtypes[first]
    sample = None if np.issubdtype(np.dtype(dtype), np.integer) else sample_bands(src, indexes)
    return detect_reflectance_scale(dtype, sample, scales=(src.scales[first],),
                                    offsets=(src.offsets[first],))


def read_roles(
    src: Any, window: Window, roles: dict[str, int], scale: ReflectanceScale
) -> dict[str, np.ndarray]:
    """Read the bands of ``roles`` in ``window`` as reflectance (float32, NaN = nodata)."""
    order = sorted(set(roles.values()))
    data = read_masked(src, window, order).filled(np.nan)
    return {r: scale.apply(data[order.index(i)]) for r, i in roles.items()}


class AreaTally:
    """Selected and valid pixels and their areas (m², from the transform and CRS), tile by tile.

    Without a CRS only pixel counts are kept: areas are then None.
    """

    def __init__(self, src: Any) -> None:
        self.transform = src.transform
        self.crs = crs_to_str(src.crs)
        self.selected_px = 0
        self.valid_px = 0
        self.selected_m2 = 0.0
        self.valid_m2 = 0.0
        self._rows: dict[tuple[int, int], np.ndarray] = {}

    def add(self, selected: np.ndarray, valid: np.ndarray, window: Window) -> None:
        """Add a core window's boolean ``selected`` and ``valid`` arrays (rows, cols)."""
        sel = np.asarray(selected, dtype=bool) & np.asarray(valid, dtype=bool)
        val = np.asarray(valid, dtype=bool)
        self.selected_px += int(sel.sum())
        self.valid_px += int(val.sum())
        if self.crs is None:
            return
        key = (int(window.row_off), int(window.height))
        if key not in self._rows:
            self._rows[key] = pixel_area_rows_m2(self.transform, self.crs, *key)
        rows = self._rows[key]
        self.selected_m2 += float((sel.sum(axis=1) * rows).sum())
        self.valid_m2 += float((val.sum(axis=1) * rows).sum())

    @property
    def has_area(self) -> bool:
        """True when areas in m² are known (the raster has a CRS)."""
        return self.crs is not None

    @property
    def share_pct(self) -> float:
        """Selected share of the valid area (of valid pixels without a CRS), in %."""
        if self.has_area:
            return 100.0 * self.selected_m2 / self.valid_m2 if self.valid_m2 else 0.0
        return 100.0 * self.selected_px / self.valid_px if self.valid_px else 0.0


NO_CRS_WARNING = ("{path} has no CRS: areas in m² cannot be computed, so only pixel counts "
                  "and the pixel share are reported. Assign a CRS (e.g. gdal_edit.py -a_srs "
                  "EPSG:32633 FILE) to get areas.")


# --- the tool --------------------------------------------------------------------------------

def _q(value: float, unit: str) -> Quantity | None:
    return Quantity(value=value, unit=unit) if math.isfinite(value) else None


def select(values: np.ndarray, threshold: float, below: bool) -> np.ndarray:
    """Pixels above (or below) ``threshold``; NaN is never selected."""
    valid = np.isfinite(values)
    filled = np.where(valid, values, threshold)
    return np.asarray(valid & ((filled < threshold) if below else (filled > threshold)))


def _write_index(
    args: SpectralIndexInput, ctx: ToolContext, src: Any, choice: BandChoice,
    scale: ReflectanceScale, tally: AreaTally | None,
) -> RunningStats:
    """One pass: index raster (and mask) window by window, statistics streamed."""
    spec = INDICES[args.index]
    name = spec.name.lower()
    stats = RunningStats()
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
            values = compute_index(spec.name, read_roles(src, tile.core, choice.roles, scale))
            dst.write(values[np.newaxis], window=tile.core)
            stats.add(values)
            if mdst is not None and tally is not None and args.threshold is not None:
                valid = np.isfinite(values)
                chosen = select(values, args.threshold, args.below)
                mdst.write(encode_mask(chosen, valid)[np.newaxis], window=tile.core)
                tally.add(chosen, valid, tile.core)
            ctx.progress("index", i, len(tiles))
        if stats.count == 0:  # raised inside the writers: nothing is left half-written
            raise InputError(f"image: {args.image} has no valid pixels for {spec.name} "
                             f"({choice.text}): every pixel is nodata/NaN or has a zero "
                             "denominator. Check the nodata value and the band choice.")
    return stats


@tool_record(SpectralIndexInput, SpectralIndexOutput)
def spectral_index(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """Compute a spectral index (NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI) as a float
    GeoTIFF on the scene grid (nodata NaN) with its mean, min and max; with a threshold, also a
    mask of the pixels above (or below) it with their area in m² and ha and their share of the
    valid area. Bands come from the file's band names or wavelengths, else a sensor preset;
    integer reflectance (x 10000) is scaled before SAVI and EVI, which depend on scale.

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
        stats = _write_index(args, ctx, src, choice, scale, tally)
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
    )
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
