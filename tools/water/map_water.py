"""``map_water``: water / flood extent from SAR (VV backscatter) or optical (water index).

Streaming: every pass reads one window at a time. SAR runs up to three passes (speckle
statistics for the number of looks, the dB histogram for Otsu, the mask), optical two (the
index histogram, the mask); then the mask is polygonised window by window. The methods and
why they were chosen are in :mod:`specialists.water.rules`. With an Otsu threshold, the same
histogram gives the bimodality check (Ashman's D of a two-Gaussian fit,
:func:`specialists.stats.thresholds.bimodality`): when the scene is not clearly bimodal the mask is
kept but the result warns and says how to fix it. Method ``learned`` (the trained SAR water
head) runs in :mod:`tools.water.learned`; every method ends in :mod:`tools.water.output`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from specialists.spectral.indices import ReflectanceScale, compute_index
from specialists.spectral.speckle import local_cv2, looks_from_cv2, looks_like_db, to_db, to_linear
from specialists.stats.thresholds import StreamingHistogram, bimodality
from specialists.tiling import Tile
from specialists.water.rules import (
    CV2_RANGE,
    EVI_WATER_MAX,
    INDEX_BINS,
    INDEX_RANGE,
    LEE_WINDOW,
    NODATA,
    SAR_BINS,
    SAR_DB_RANGE,
    WATER,
    WATER_INDEX_MIN,
    dual_pol_composite,
    encode_mask,
    filtered_db,
    halo,
    open_water_max_db,
    optical_water,
    otsu_split,
    relaxed_threshold,
    sar_water,
)
from tools.core.errors import InputError
from tools.core.registry import ToolContext, tool_record
from tools.geo.area import AreaTally, require_crs
from tools.geo.bands import band_label, choose_bands, read_roles, reflectance_scale, resolve_bands
from tools.geo.bimodality import Bimodality, bimodality_record
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.min_area import staging_path
from tools.geo.raster import RasterInfo, describe, iter_tiles, open_dataset, read_masked, rio
from tools.water.inputs import MapWaterInput, sar_bands
from tools.water.learned import map_water_learned
from tools.water.output import (
    MASK_NAME,
    MapWaterOutput,
    ThresholdSource,
    WaterRun,
    bimodality_warning,
    finish,
)

__all__ = ["MapWaterInput", "MapWaterOutput", "map_water"]

@dataclass
class _Plan:
    """What the mask pass computes per window (filled in by the SAR or optical set-up)."""

    method: Literal["sar", "optical"]
    detail: str
    units: str
    overlap: int
    bands_used: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    # SAR
    sar_bands: list[int] = field(default_factory=list)
    is_db: bool = True
    looks: list[float | None] = field(default_factory=list)
    speckle: bool = True
    # optical
    index: str = ""
    roles: dict[str, int] = field(default_factory=dict)
    screen: bool = False
    scale: ReflectanceScale = field(default_factory=ReflectanceScale)

    def values(self, src: Any, tile: Tile) -> tuple[np.ndarray, np.ndarray | None]:
        """The thresholded quantity of the read window (and EVI for the optical screen)."""
        if self.method == "sar":
            data = read_masked(src, tile.read, self.sar_bands).filled(np.nan)
            chans = [filtered_db(b if self.is_db else to_db(b), lk, self.speckle)
                     for b, lk in zip(data, self.looks, strict=True)]
            return dual_pol_composite(chans), None
        bands = read_roles(src, tile.read, self.roles, self.scale)
        index = compute_index(self.index, bands)
        return index, (compute_index("EVI", bands) if self.screen else None)


def _core(array: np.ndarray, tile: Tile) -> np.ndarray:
    rows, cols = tile.inner
    return array[..., rows, cols]


def _sar_plan(args: MapWaterInput, info: RasterInfo, src: Any, ctx: ToolContext,
              runner: TileRunner) -> _Plan:
    warnings: list[str] = []
    co, cross = sar_bands(info, warnings)
    main = co or cross
    assert main is not None
    bands = [main] if args.threshold is not None or cross is None or co is None else [co, cross]
    is_db = looks_like_db(src.read(main, out_shape=(min(src.height, 256), min(src.width, 256)),
                                   out_dtype="float32"))
    if not is_db:
        warnings.append("backscatter looks linear (not dB); converted to dB")
    used = {("co-pol" if b == co else "cross-pol"): band_label(info, b) for b in bands}
    plan = _Plan("sar", "", "dB", max(ctx.settings.tile_overlap, halo(args.speckle_filter)),
                 used, warnings, sar_bands=bands, is_db=is_db, looks=[None] * len(bands),
                 speckle=args.speckle_filter)
    if args.speckle_filter:
        plan.looks = _estimate_looks(src, plan, ctx, runner)
    chain = [f"Lee {LEE_WINDOW}x{LEE_WINDOW} speckle filter (looks "
             f"{', '.join(f'{lk:.1f}' for lk in plan.looks if lk)})"] if args.speckle_filter else []
    chain.append("mean of " + " and ".join(used.values()) + " in dB" if len(bands) == 2
                 else f"{used[next(iter(used))]} in dB")
    chain.append("fixed threshold" if args.threshold is not None else
                 "Otsu threshold on the scene histogram, grown one pixel into pixels below the "
                 "relaxed threshold (boundary growth)")
    plan.detail = "SAR: " + "; ".join(chain)
    return plan


def _looks_tile(src: Any, tile: Tile, plan: _Plan) -> list[np.ndarray]:
    """One tile's histogram counts of the local squared coefficient of variation, per band."""
    data = read_masked(src, tile.read, plan.sar_bands).filled(np.nan)
    counts = []
    for band in data:
        hist = StreamingHistogram(*CV2_RANGE, bins=4000)
        hist.add(_core(local_cv2(to_linear(band) if plan.is_db else band), tile))
        counts.append(hist.counts)
    return counts


def _estimate_looks(src: Any, plan: _Plan, ctx: ToolContext,
                    runner: TileRunner) -> list[float | None]:
    hists = [StreamingHistogram(*CV2_RANGE, bins=4000) for _ in plan.sar_bands]
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, plan.overlap))
    with runner.results("speckle statistics", _looks_tile, src, tiles, plan) as parts:
        for counts in parts:
            for hist, part in zip(hists, counts, strict=True):
                hist.counts += part
    return [looks_from_cv2(h.quantile(0.5)) for h in hists]


def _optical_plan(args: MapWaterInput, info: RasterInfo, src: Any, ctx: ToolContext,
                  runner: TileRunner) -> _Plan:
    roles, _, notes = resolve_bands(info)
    index = args.index or ("MNDWI" if "swir1" in roles else "NDWI")
    needed = ("green", "swir1") if index == "MNDWI" else ("green", "nir")
    choice = choose_bands(info, needed, f"optical water mapping with {index}")
    screen_roles = ("nir", "red", "blue")
    screen = all(r in roles for r in screen_roles)
    all_roles = {**choice.roles, **({r: roles[r] for r in screen_roles} if screen else {})}
    warnings = list(notes)
    scale = reflectance_scale(src, sorted(set(all_roles.values())))
    if screen and not scale.identity:
        warnings.append(f"EVI vegetation screen needs reflectance: {scale.reason}")
    if not screen:
        warnings.append("no blue/red/NIR bands for the EVI vegetation screen: water index "
                        "threshold only (vegetated wet pixels may be counted as water)")
    used = {("NIR" if r == "nir" else "SWIR1" if r == "swir1" else r): band_label(info, i)
            for r, i in all_roles.items()}
    how = "fixed threshold" if args.threshold is not None else "Otsu threshold"
    detail = (f"optical: {index} ({choice.text}) above its {how}"
              + (f", excluding vegetated pixels with EVI >= {EVI_WATER_MAX} (Zou et al. 2017)"
                 if screen else ""))
    return _Plan("optical", detail, "index", 0, used, warnings, index=index, roles=all_roles,
                 screen=screen, scale=scale)


@dataclass
class _Split:
    """Otsu's threshold of the scene histogram, the SAR growth threshold, and its bimodality."""

    threshold: float
    relaxed: float | None
    bimodality: Bimodality
    warning: str | None


def _scene_histogram(plan: _Plan) -> StreamingHistogram:
    low, high = SAR_DB_RANGE if plan.method == "sar" else INDEX_RANGE
    return StreamingHistogram(low, high, SAR_BINS if plan.method == "sar" else INDEX_BINS)


def _histogram_tile(src: Any, tile: Tile, plan: _Plan) -> np.ndarray:
    """One tile's counts of the thresholded quantity (summed over tiles before Otsu)."""
    hist = _scene_histogram(plan)
    hist.add(_core(plan.values(src, tile)[0], tile))
    return hist.counts


def _histogram_split(src: Any, plan: _Plan, ctx: ToolContext, image: str,
                     runner: TileRunner) -> _Split:
    hist = _scene_histogram(plan)
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, plan.overlap))
    with runner.results("histogram", _histogram_tile, src, tiles, plan) as parts:
        for counts in parts:
            hist.counts += counts
    if hist.total == 0:
        raise InputError(f"image: {src.name} has no valid pixels to map water on (all nodata or "
                         "NaN). Check the nodata value of the file.")
    split = otsu_split(hist.counts, hist.centres)
    fit = bimodality(hist.counts, hist.centres, split.threshold)
    return _Split(split.threshold, relaxed_threshold(split) if plan.method == "sar" else None,
                  bimodality_record(fit, plan.units),
                  bimodality_warning(fit, plan.method, split.threshold, image))


def _mask_tile(src: Any, tile: Tile, plan: _Plan, threshold: float,
               relaxed: float | None) -> np.ndarray:
    """One tile's encoded water mask (its core window: 1 water, 0 land, 255 nodata)."""
    values, evi = plan.values(src, tile)
    if plan.method == "sar":
        water = sar_water(values, threshold, relaxed)
    else:
        water = optical_water(values, threshold, evi)
    valid = _core(np.isfinite(values), tile)
    return encode_mask(_core(water, tile) & valid, valid)


def _write_mask(
    src: Any, plan: _Plan, threshold: float, relaxed: float | None, dest: Path,
    ctx: ToolContext, cog: bool, runner: TileRunner,
) -> AreaTally:
    tally = AreaTally(src)
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, plan.overlap))
    with grid_writer(dest, src, 1, "uint8", nodata=NODATA, band_names=["water"],
                     tags={"units": "class", "values": "1 = water, 0 = land, 255 = nodata",
                           "method": plan.detail, "threshold": f"{threshold:.4f} {plan.units}"},
                     cog=cog) as dst, \
            runner.results("water mask", _mask_tile, src, tiles, plan, threshold,
                           relaxed) as masks:
        for tile, mask in zip(tiles, masks, strict=True):
            dst.write(mask[np.newaxis], window=rio(tile.core))
            tally.add(mask == WATER, mask != NODATA, tile.core)
    return tally


@tool_record(MapWaterInput, MapWaterOutput)
def map_water(args: MapWaterInput, ctx: ToolContext) -> MapWaterOutput:
    """Map water / flood extent. SAR: Lee speckle filter, mean of VV and VH in dB, Otsu
    threshold on the scene histogram and one-pixel boundary growth. Optical: MNDWI (NDWI
    without SWIR) above its Otsu threshold, vegetated pixels (EVI >= 0.1) excluded. Learned
    (method 'learned', SAR only): a small U-Net on VV/VH in dB trained with `earthsight train
    water` on labelled chips, tiled over the scene. Returns a water mask GeoTIFF on the scene
    grid (1 water, 0 land, 255 nodata), water polygons (GeoJSON in the scene CRS, each with
    area_m2), the water area in m², ha and km², its share of the valid area in %, the
    threshold used (dB, index or probability) and, for Otsu thresholds, how clearly the
    histogram is bimodal (Ashman's D). `reliability` (and a summary starting 'unreliable:')
    says when the area is unreliable: a histogram that is not bimodal, or a class called water
    that is brighter (SAR) or lower in index (optical) than open water.

    Args:
        args: Image, method, optional index / threshold / speckle filter / min_area_m2 / wgs84
            / model.
        ctx: Tool context.
    """
    info = describe(args.image)
    if args.min_area_m2 > 0:
        require_crs(info.crs, f"image {args.image} (min_area_m2 needs areas in m²)")
    if args.method == "learned":
        return finish(args, ctx, info, map_water_learned(args, ctx, info))
    method = args.method
    if method == "auto":
        method = "sar" if info.modality == "sar" else "optical"
    final = ctx.output_path(MASK_NAME)
    mask_path = staging_path(final, args.min_area_m2)
    runner = TileRunner(ctx)
    with open_dataset(args.image) as src:
        plan = (_sar_plan if method == "sar" else _optical_plan)(args, info, src, ctx, runner)
        source: ThresholdSource = "user"
        threshold, relaxed, split = args.threshold, None, None
        if threshold is None:
            split, source = _histogram_split(src, plan, ctx, args.image, runner), "otsu"
            threshold, relaxed = split.threshold, split.relaxed
            if split.warning:
                plan.warnings.append(split.warning)
        tally = _write_mask(src, plan, threshold, relaxed, mask_path, ctx, mask_path == final,
                            runner)
    result = finish(args, ctx, info, WaterRun(
        method=plan.method, detail=plan.detail, units=plan.units, threshold=threshold,
        source=source, mask_path=mask_path, tally=tally, bands_used=plan.bands_used,
        relaxed=relaxed, bimodality=split.bimodality if split else None,
        warnings=plan.warnings, image=args.image,
        water_limit=(open_water_max_db(list(plan.bands_used)) if plan.method == "sar"
                     else WATER_INDEX_MIN)))
    result.cluster = runner.record()
    return result
