"""``describe_scene``: caption / visual question answering.

When the caller injects a describer (``ToolContext.describer``, e.g. the configured chat
model), the tool sends it the question, the measured facts and, when the describer can look at
images, a thumbnail, and answers with its text (falling back to the measured facts with a
warning when it fails). Without one, the tool answers only from what it can measure: the
header (size, bands, CRS, pixel size, footprint, location), the guessed modality, and
statistics streamed window by window (valid share, band means, mean NDVI when red and NIR
bands are known). It never describes visual content it has not measured; a
question about what the scene shows gets a plain statement that it needs a VLM backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import Field
from pyproj import Transformer

from specialists.spectral.bands import resolve_roles
from tools.core.artifacts import ToolResult
from tools.core.registry import PATH_FIELD, Describer, DescribeRequest, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.core.untrusted_text import quoted
from tools.geo.area import area_quantity
from tools.geo.header import MODALITY_WORDS, footprint_area_m2
from tools.geo.pixel_grid import grid_gsd
from tools.geo.raster import RasterInfo, describe, iter_tiles, open_dataset, read_masked
from tools.geo.zones import raster_units

NO_VLM = ("describing what the scene shows needs a vision-language (VLM) backend, which this "
          "installation does not have")
_PIXEL_BUDGET = 8_000_000  # values per window (bands x rows x cols)
_MAX_BAND_NUMBERS = 16
_TOPICS: dict[str, tuple[str, ...]] = {
    "size": ("size", "pixel", "dimension", "width", "height", "large", "big"),
    "bands": ("band", "channel", "wavelength", "spectral"),
    "crs": ("crs", "projection", "coordinate", "epsg", "reference system"),
    "resolution": ("resolution", "pixel size", "gsd", "spacing", "metre", "meter"),
    "location": ("where", "location", "located", "bounds", "extent", "latitude", "longitude"),
    "area": ("area", "how big", "cover", "footprint", "km", "hectare"),
    "modality": ("modality", "sensor", "sar", "radar", "optical", "multispectral",
                 "hyperspectral", "kind of image", "type of image", "what kind", "rgb"),
    "validity": ("nodata", "no data", "valid", "missing", "empty"),
    "ndvi": ("ndvi", "vegetation index", "green"),
    "statistics": ("mean", "average", "statistic", "brightness", "value", "backscatter"),
}


class DescribeSceneInput(SceneOptions):
    """Arguments of describe_scene."""

    image: str = Field(description="path of the scene",
                       json_schema_extra=PATH_FIELD)
    question: str | None = Field(None, description="a question about the scene (default: a "
                                 "short caption)")


class DescribeSceneOutput(ToolResult):
    """Answer text."""

    answer: str = ""
    answered_from: str = Field("", description="'vlm', 'llm (from measured facts)' or "
                               "'measured facts'")
    facts: list[str] = Field(default_factory=list, description="the measured facts used")


@dataclass
class SceneStats:
    """Streamed statistics of a scene."""

    valid_share: float
    band_mean: list[float]
    band_min: list[float]
    band_max: list[float]
    units: str | None
    mean_ndvi: float | None = None
    notes: list[str] = field(default_factory=list)


def scene_stats(info: RasterInfo, tile_size: int) -> SceneStats:
    """Valid share, per-band mean/min/max and (when red and NIR are known) mean NDVI, streamed
    over windows sized so that one window holds at most a few million values."""
    count = info.count
    size = max(64, min(tile_size, int(math.sqrt(_PIXEL_BUDGET / max(count, 1)))))
    total = np.zeros(count)
    n = np.zeros(count, dtype=np.int64)
    lo, hi = np.full(count, np.inf), np.full(count, -np.inf)
    all_valid = 0
    roles = resolve_roles(count, info.band_names, info.wavelengths_nm, None, info.colours,
                          info.alpha_bands)
    red, nir = roles.get("red"), roles.get("nir")
    use_ndvi = red is not None and nir is not None and info.modality in (
        "multispectral", "hyperspectral")
    ndvi_sum, ndvi_n = 0.0, 0
    with open_dataset(info.path) as src:
        units = raster_units(src, 1)
        for tile in iter_tiles(info.width, info.height, size):
            data = read_masked(src, tile.core)
            valid = ~np.ma.getmaskarray(data)
            all_valid += int(valid.all(axis=0).sum())
            filled = np.where(valid, data.data, 0.0)
            total += filled.reshape(count, -1).sum(axis=1)
            n += valid.reshape(count, -1).sum(axis=1)
            lo = np.minimum(lo, np.where(valid, data.data, np.inf).reshape(count, -1).min(axis=1))
            hi = np.maximum(hi, np.where(valid, data.data, -np.inf).reshape(count, -1).max(axis=1))
            if use_ndvi and red is not None and nir is not None:
                r, v = data.data[red - 1].astype(float), data.data[nir - 1].astype(float)
                ok = valid[red - 1] & valid[nir - 1] & ((r + v) != 0)
                ndvi_sum += float(((v[ok] - r[ok]) / (v[ok] + r[ok])).sum())
                ndvi_n += int(ok.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    stats = SceneStats(valid_share=all_valid / max(info.width * info.height, 1),
                       band_mean=[float(x) for x in mean],
                       band_min=[float(x) if np.isfinite(x) else math.nan for x in lo],
                       band_max=[float(x) if np.isfinite(x) else math.nan for x in hi],
                       units=units, notes=list(roles.notes) if use_ndvi else [])
    if ndvi_n:
        stats.mean_ndvi = ndvi_sum / ndvi_n
    return stats


def _centre_lonlat(info: RasterInfo) -> tuple[float, float] | None:
    if info.crs is None or grid_gsd(info.crs) is not None:  # a pixel grid is nowhere on Earth
        return None
    left, bottom, right, top = info.bounds
    x, y = (left + right) / 2, (bottom + top) / 2
    if info.is_geographic:
        return x, y
    lon, lat = Transformer.from_crs(info.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return float(lon), float(lat)


def _facts(info: RasterInfo, stats: SceneStats) -> dict[str, str]:
    bands = ", ".join((quoted(b.name) if b.name else f"band {b.index}")
                      + (" (alpha: transparency, not data)" if b.alpha else "")
                      for b in info.bands[:8])
    more = f" and {info.count - 8} more" if info.count > 8 else ""
    article = "an" if info.modality == "rgb" else "a"
    facts = {
        "size": f"The scene is {info.width} x {info.height} pixels with {info.count} band(s) "
                f"of {info.dtype}.",
        "bands": f"Bands: {bands}{more}.",
        "modality": f"From its header it looks like {article} {MODALITY_WORDS[info.modality]} "
                    "image (a guess from band names, count, data type and file name).",
        "crs": f"CRS: {info.crs}." if info.crs else "It has no CRS (not georeferenced).",
        "validity": f"{stats.valid_share:.1%} of the pixels are valid in every band.",
    }
    wl = [b.wavelength_nm for b in info.bands if b.wavelength_nm is not None]
    if wl:
        facts["bands"] += f" Wavelengths {min(wl):g}-{max(wl):g} nm."
    if info.pixel_size_m:
        facts["resolution"] = (f"Pixels are {info.pixel_size_m[0]:.3g} m x "
                               f"{info.pixel_size_m[1]:.3g} m.")
    area = footprint_area_m2(info)
    if area is not None:
        facts["area"] = f"It covers {area_quantity(area)}."
    centre = _centre_lonlat(info)
    if centre is not None:
        lon, lat = centre
        facts["location"] = (f"Its centre is at {abs(lat):.4f}°{'N' if lat >= 0 else 'S'}, "
                             f"{abs(lon):.4f}°{'E' if lon >= 0 else 'W'}.")
    unit = f" ({stats.units})" if stats.units else " (raw pixel values)"
    means = ", ".join(f"{quoted(b.name) if b.name else b.index}: {m:.4g}" for b, m in
                      zip(info.bands[:8], stats.band_mean[:8], strict=False) if not b.alpha)
    facts["statistics"] = f"Mean value per band{unit}: {means}{more}."
    if stats.mean_ndvi is not None:
        facts["ndvi"] = f"Mean NDVI is {stats.mean_ndvi:.3f}."
    return facts


def _topics(question: str) -> list[str]:
    q = question.lower()
    return [topic for topic, words in _TOPICS.items() if any(w in q for w in words)]


@tool_record(DescribeSceneInput, DescribeSceneOutput)
def describe_scene(args: DescribeSceneInput, ctx: ToolContext) -> DescribeSceneOutput:
    """Caption a scene or answer a question about it. Needs a VLM backend for visual answers;
    offline it answers from measured facts (metadata, modality, simple statistics) or says why
    it cannot.

    Args:
        args: Image and optional question.
        ctx: Tool context.
    """
    info = describe(args.image)
    stats = scene_stats(info, ctx.settings.tile_size)
    facts = _facts(info, stats)
    ctx.number("valid_share", stats.valid_share * 100.0, "%", "pixels valid in every band")
    unit = stats.units or "pixel value"
    for band, mean in list(zip(info.bands, stats.band_mean, strict=True))[:_MAX_BAND_NUMBERS]:
        if not math.isnan(mean) and not band.alpha:
            ctx.number(f"mean_band_{band.index}", mean, unit, f"mean of {band.name or 'band'}")
    if stats.mean_ndvi is not None:
        ctx.number("mean_ndvi", stats.mean_ndvi, "1", "mean NDVI over valid pixels")
    order = ["modality", "size", "bands", "resolution", "area", "location", "crs", "validity",
             "ndvi", "statistics"]
    if args.question is None:
        used = [facts[k] for k in order if k in facts]
        answer = " ".join(used) + f" Nothing more is said about its content: {NO_VLM}."
    else:
        topics = [t for t in _topics(args.question) if t in facts]
        if topics:
            used = [facts[t] for t in topics]
            answer = " ".join(used) + (" (Answered from measured facts only; visual content "
                                       "would need a VLM backend.)")
        else:
            used = [facts[k] for k in order[:6] if k in facts]
            answer = (f"I cannot answer this from the pixels' content: {NO_VLM}. What I "
                      "measured: " + " ".join(used) + " For objects, water, vegetation or "
                      "change, use detect_objects, map_water, spectral_index or detect_changes.")
    warnings = [f"no VLM backend: {NO_VLM}", *stats.notes]
    answered_from = "measured facts"
    if ctx.describer is not None:
        backend = _ask_describer(ctx.describer, args, [facts[k] for k in order if k in facts])
        if isinstance(backend, str):
            warnings = [f"the describer failed, answered from measured facts: {backend}",
                        *stats.notes]
        else:
            answer, answered_from = backend
            used = [facts[k] for k in order if k in facts]
            warnings = list(stats.notes)
    summary = answer if len(answer) <= 300 else answer[:297] + "..."
    return DescribeSceneOutput(summary=summary, image=args.image, answer=answer,
                               answered_from=answered_from, facts=used, warnings=warnings)


def _ask_describer(describer: Describer, args: DescribeSceneInput,
                   facts: list[str]) -> tuple[str, str] | str:
    """``(answer, answered_from)`` from the describer, or the error text when it fails."""
    try:
        make_thumbnail = getattr(describer, "thumbnail", None)
        png = make_thumbnail(args.image) if callable(make_thumbnail) else None
        text = describer(DescribeRequest(question=args.question, facts="\n".join(facts),
                                         thumbnail_png=png))
        if not isinstance(text, str) or not text.strip():
            raise ValueError("it returned no text")
    except Exception as exc:  # any backend failure falls back to the measured facts
        return f"{type(exc).__name__}: {exc}"
    return text.strip(), "vlm" if png is not None else "llm (from measured facts)"
