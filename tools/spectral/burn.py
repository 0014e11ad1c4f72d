"""dNBR burn severity of ``spectral_index``: a pre-fire ``before`` scene and a post-fire ``image``.

dNBR = NBR(before) - NBR(image), unscaled, on the image (post-fire) grid; the USGS FIREMON
classes (:mod:`specialists.spectral.burn`, Key & Benson 2006) go to a uint8 class raster with
their names in the tags and a colour table; the area of each class and the burned area (dNBR at
or above the threshold, 0.1 by default: low severity and above) come from the transform and CRS.

The pre-fire scene is read on the post-fire grid (:mod:`tools.spectral.pair`: directly when the
grids match, else warped on the fly with a warning). Everything streams window by window.

The tiles run wherever ``EARTHSIGHT_CLUSTER`` says (:class:`tools.geo.fanout.TileRunner`): a
worker opens both scenes by name (and warps the pre-fire one onto the post-fire grid the same
way) and returns the tile's dNBR, classes, mask and range counts; the three writers, the
statistics and the area tallies stay here and take the tiles in order, so the outputs are
byte-identical to an in-process run.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialists.spectral import burn
from specialists.spectral.indices import RunningStats
from specialists.spectral.presets import Preset
from specialists.tiling import Tile
from specialists.water.rules import NODATA, encode_mask
from tools.core.artifacts import Quantity
from tools.core.errors import InputError
from tools.core.registry import ToolContext
from tools.geo.area import M2_PER_HA, NO_CRS_WARNING, AreaTally, pixel_area_rows_m2
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.raster import check_readable, describe, iter_tiles, open_dataset, rio
from tools.spectral.common import (
    Ranges,
    SeverityArea,
    SpectralIndexInput,
    SpectralIndexOutput,
    pct_text,
    quantity,
    select,
    threshold_outputs,
)
from tools.spectral.pair import ScenePair, date_scenes, dates, on_grid, pair_fields

ROLES = ("nir", "swir2")


@dataclass
class _DnbrTile:
    """One tile's dNBR (core window), severity codes, encoded burned mask and range counts."""

    values: np.ndarray
    codes: np.ndarray
    mask: np.ndarray
    ranges: Ranges


def _dnbr_tile(src: Any, tile: Tile, pair: ScenePair, threshold: float) -> _DnbrTile:
    """dNBR of one tile: pure per-tile work, run wherever the tiles run."""
    with dates(pair, src) as (post, pre):
        after, before = post.read(tile.core), pre.read(tile.core)
    values = burn.dnbr(burn.nbr(before["nir"], before["swir2"]),
                       burn.nbr(after["nir"], after["swir2"]))
    ranges = Ranges(*burn.TABLE_RANGE)
    ranges.add({**after, **{f"pre_{k}": v for k, v in before.items()}}, values)
    mask = encode_mask(select(values, threshold, False), np.isfinite(values))
    return _DnbrTile(values, burn.classify_severity(values), mask, ranges)


def _class_writer(ctx: ToolContext, like: Any) -> Any:
    tags = {"units": "class", "source": burn.SEVERITY_SOURCE,
            "values": "; ".join(f"{c.code} = {c.name} (dNBR {c.range_text})"
                                for c in burn.SEVERITY_CLASSES) + "; 255 = nodata"}
    tags.update({f"class_{c.code}": f"{c.name}: dNBR {c.range_text}"
                 for c in burn.SEVERITY_CLASSES})
    return grid_writer(ctx.output_path("dnbr_severity.tif"), like, 1, "uint8",
                       nodata=burn.NODATA_CLASS, band_names=["burn_severity"], tags=tags)


def _write(args: SpectralIndexInput, ctx: ToolContext, pair: ScenePair, tally: AreaTally,
           threshold: float, runner: TileRunner) -> tuple[RunningStats, Ranges, burn.ClassTally]:
    """One pass: dNBR, class raster and burned mask window by window (the tiles computed
    wherever ``runner`` sends them), statistics and areas tallied in tile order."""
    post, pre = pair.post, pair.pre
    src = post.ds
    stats, ranges, classes = RunningStats(), Ranges(*burn.TABLE_RANGE), burn.ClassTally()
    rows: dict[tuple[int, int], np.ndarray] = {}
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, 0))
    with contextlib.ExitStack() as stack:
        dst = stack.enter_context(grid_writer(
            ctx.output_path("dnbr.tif"), src, 1, "float32", nodata=float("nan"),
            band_names=["dNBR"], resampling="average",
            tags={"units": "dNBR (unscaled; USGS tables print dNBR x 1000)", "index": "dNBR",
                  "formula": burn.DNBR_FORMULA, "bands": f"image: {post.choice.text}; before: "
                  f"{pre.choice.text}"}))
        cdst = stack.enter_context(_class_writer(ctx, src))
        cdst.write_colormap(1, {**{c.code: (*c.rgb, 255) for c in burn.SEVERITY_CLASSES},
                                burn.NODATA_CLASS: (0, 0, 0, 0)})
        mdst = stack.enter_context(grid_writer(
            ctx.output_path("dnbr_mask.tif"), src, 1, "uint8", nodata=NODATA,
            band_names=["dnbr_mask"], tags={"units": "class", "threshold": f"dNBR >= {threshold:g}",
                                            "values": "1 = burned, 0 = not, 255 = nodata"}))
        sent = pair if runner.executor.in_process else pair.for_workers()
        parts = stack.enter_context(runner.results("dNBR", _dnbr_tile, src, tiles, sent,
                                                   threshold))
        for tile, part in zip(tiles, parts, strict=True):
            win = rio(tile.core)
            dst.write(part.values[np.newaxis], window=win)
            cdst.write(part.codes[np.newaxis], window=win)
            mdst.write(part.mask[np.newaxis], window=win)
            stats.add(part.values)
            ranges.valid += part.ranges.valid
            ranges.reflectance += part.ranges.reflectance
            ranges.index += part.ranges.index
            tally.add(part.mask == 1, part.mask != NODATA, tile.core)
            key = (int(tile.core.row_off), int(tile.core.height))
            if tally.has_area and key not in rows:
                rows[key] = pixel_area_rows_m2(src.transform, tally.crs, *key)
            classes.add(part.codes, rows.get(key))
        if stats.count == 0:  # raised inside the writers: nothing is left half-written
            raise InputError(f"before ({args.before}) and image ({args.image}) share no pixel "
                             f"with an NBR on both dates (image {post.choice.text}; before "
                             f"{pre.choice.text}): they do not overlap, or one is nodata where "
                             "they do. Pass pre- and post-fire scenes of the same place.")
    return stats, ranges, classes


def _severity(ctx: ToolContext, classes: burn.ClassTally, has_area: bool) -> list[SeverityArea]:
    """Severity records and their number artifacts (ha, or pixels without a CRS)."""
    out = []
    for c in burn.SEVERITY_CLASSES:
        px, m2 = int(classes.pixels[c.code]), float(classes.area_m2[c.code])
        share = (100.0 * m2 / classes.valid_m2 if has_area and classes.valid_m2
                 else 100.0 * px / classes.valid_pixels if classes.valid_pixels else 0.0)
        out.append(SeverityArea(code=c.code, name=c.name, range=c.range_text, pixels=px,
                                area_ha=Quantity(value=m2 / M2_PER_HA, unit="ha") if has_area
                                else None, share_pct=Quantity(value=share, unit="%")))
        if has_area:
            ctx.number(f"area_{c.key}", m2 / M2_PER_HA, "ha", f"{c.name} (dNBR {c.range_text})")
        else:
            ctx.number(f"pixels_{c.key}", px, "count", f"{c.name} (dNBR {c.range_text})")
    return out


def burn_severity(args: SpectralIndexInput, ctx: ToolContext, threshold: float,
                  preset: Preset | None) -> SpectralIndexOutput:
    """dNBR of a pre/post-fire pair with USGS severity classes, class areas and burned area."""
    assert args.before is not None
    info = describe(args.image)
    with open_dataset(args.image) as src, open_dataset(args.before, "before") as pre_src:
        check_readable(pre_src, "before")
        post, pre, warnings = date_scenes(args, info, src, pre_src, ROLES, (
            "dNBR (post-fire NBR)", "dNBR (pre-fire NBR)"))
        tally = AreaTally(src)
        if not tally.has_area:
            warnings.append(NO_CRS_WARNING.format(path=args.image))
        runner = TileRunner(ctx)
        with on_grid(pre_src, src, args, "dNBR", warnings) as (ds, alpha):
            pre.ds, pre.alpha = ds, alpha
            pair = ScenePair(post, pre, str(pre_src.name), warp=ds is not pre_src)
            stats, ranges, classes = _write(args, ctx, pair, tally, threshold, runner)
    bands = f"image: {post.choice.text}; before: {pre.choice.text}"
    ctx.artifact("dnbr", "raster", ctx.output_path("dnbr.tif"), units="dNBR", crs=info.crs,
                 transform=info.transform, description=f"dNBR = {burn.DNBR_FORMULA} ({bands}); "
                 "unscaled (USGS x 1000 = 1000 x this); nodata NaN")
    ctx.artifact("dnbr_severity", "raster", ctx.output_path("dnbr_severity.tif"), units="class",
                 crs=info.crs, transform=info.transform,
                 description="burn severity classes " + "; ".join(
                     f"{c.code} = {c.name}" for c in burn.SEVERITY_CLASSES)
                 + f"; 255 = nodata ({burn.SEVERITY_SOURCE})")
    result = SpectralIndexOutput(
        summary="", image=args.image, before=args.before, warnings=warnings, index="dNBR",
        formula=burn.DNBR_FORMULA,
        **pair_fields(post, pre),
        valid_pixels=stats.count, mean=quantity(stats.mean, "dNBR"),
        min=quantity(stats.minimum, "dNBR"), max=quantity(stats.maximum, "dNBR"),
        reflectance_out_of_range=ranges.record(ranges.reflectance, "reflectance 0 to 1"),
        index_out_of_range=ranges.record(ranges.index, "dNBR -0.5 to 1.3 (the USGS table)"),
        severity=_severity(ctx, classes, tally.has_area))
    result.cluster = runner.record()
    ranges.warn(result, index=False)  # dNBR beyond the table: said in _burned_summary
    for key, value in (("mean", stats.mean), ("min", stats.minimum), ("max", stats.maximum)):
        ctx.number(key, value, "dNBR", f"{key} of dNBR (unscaled) over {stats.count} pixels")
    result.summary = (f"dNBR = NBR(before) - NBR(image) ({bands}), unscaled (USGS tables print "
                      f"dNBR x 1000): mean {stats.mean:.3f}, min {stats.minimum:.3f}, max "
                      f"{stats.maximum:.3f} over {stats.count} valid pixels.")
    threshold_outputs(ctx, "dNBR", info, tally, result, threshold, False, preset)
    _burned_summary(ctx, result, classes, tally.has_area)
    return result


def _burned_summary(ctx: ToolContext, result: SpectralIndexOutput, classes: burn.ClassTally,
                    has_area: bool) -> None:
    """Burned area (low severity and above) as a number, and the class areas in the summary."""
    burned = [c.code for c in burn.SEVERITY_CLASSES if c.burned]
    m2 = float(classes.area_m2[burned].sum())
    what = f"dNBR >= {burn.BURNED_MIN_DNBR:g} (USGS low severity and above)"
    if has_area:
        ctx.number("burned_area", m2 / M2_PER_HA, "ha", f"burned area: {what}")
    ctx.number("burned_pixels", int(classes.pixels[burned].sum()), "count",
               f"burned pixels: {what}")
    parts = [f"{s.name} {s.area_ha if s.area_ha is not None else f'{s.pixels} pixels'} "
             f"({pct_text(s.share_pct.value)} %)" for s in result.severity]
    if result.threshold_source == "given" and has_area:
        result.summary += (f" burned area (dNBR ≥ {burn.BURNED_MIN_DNBR:g}, USGS low severity "
                           f"and above): {Quantity(value=m2 / M2_PER_HA, unit='ha')}.")
    result.summary += (f" Burn severity ({burn.SEVERITY_SOURCE}; dNBR unscaled): "
                       + "; ".join(parts) + ".")
    if result.index_out_of_range is not None and result.index_out_of_range.pixels:
        out = result.index_out_of_range
        result.warnings.append(f"{out.pixels} valid pixels ({pct_text(out.share_pct.value)} %) "
                               "have a dNBR outside the USGS table's -0.5 to 1.3, which is rarely "
                               "fire (cloud, cloud shadow, water, misregistration): check them "
                               "before trusting the high-severity and regrowth areas")
