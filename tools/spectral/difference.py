"""The change of an index between two dates (``spectral_index`` with ``before``, any index but
NBR / dNBR, which :mod:`tools.spectral.burn` grades as burn severity).

d<INDEX> = INDEX(before) - INDEX(image), on the image grid (the before scene read or warped onto
it by :mod:`tools.spectral.pair`): positive where the index dropped, as dNBR. With a threshold,
the mask selects a drop of at least the threshold ("where NDVI dropped by more than 0.3":
threshold 0.3), with ``direction`` "rise" a rise of at least it ("rose by more than 0.2":
the difference at or under -0.2), or with ``below`` a difference under the threshold; its area
comes from the transform and CRS. The tiles run wherever
``EARTHSIGHT_CLUSTER`` says; the writers and tallies stay here and take the tiles in order.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialists.spectral.indices import INDICES, RunningStats, compute_index
from specialists.tiling import Tile
from specialists.water.rules import NODATA, encode_mask
from tools.core.errors import InputError
from tools.core.registry import ToolContext
from tools.geo.area import NO_CRS_WARNING, AreaTally
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.raster import check_readable, describe, iter_tiles, open_dataset
from tools.spectral.common import (
    IndexTile,
    Ranges,
    SpectralIndexInput,
    SpectralIndexOutput,
    quantity,
    select,
    threshold_outputs,
)
from tools.spectral.pair import ScenePair, date_scenes, dates, on_grid, pair_fields


@dataclass(frozen=True)
class _Rule:
    """What the mask selects: a drop of at least ``threshold`` (difference >= it), a difference
    under it (``below``), or a rise of at least it (``rise``: the negated difference >= it)."""

    threshold: float
    below: bool = False
    rise: bool = False

    def select(self, values: np.ndarray) -> np.ndarray:
        """Selected pixels of a tile (NaN never)."""
        return select(-values if self.rise else values, self.threshold, self.below)

    def text(self, name: str, index: str) -> str:
        """The rule in words, e.g. 'dNDVI ≥ 0.3 (NDVI dropped by at least 0.3)'."""
        if self.rise:
            return f"{name} ≤ {-self.threshold:g} ({index} rose by at least {self.threshold:g})"
        if self.below:
            return f"{name} < {self.threshold:g}"
        return f"{name} ≥ {self.threshold:g} ({index} dropped by at least {self.threshold:g})"


def _diff_tile(src: Any, tile: Tile, pair: ScenePair, index: str,
               rule: _Rule | None) -> IndexTile:
    """The difference of one tile: pure per-tile work, run wherever the tiles run."""
    with dates(pair, src) as (post, pre):
        after, before = post.read(tile.core), pre.read(tile.core)
    values = (compute_index(index, before) - compute_index(index, after)).astype(np.float32)
    ranges = Ranges(-2.0, 2.0)
    ranges.add({**after, **{f"pre_{k}": v for k, v in before.items()}}, values)
    mask = None if rule is None else encode_mask(rule.select(values), np.isfinite(values))
    return IndexTile(values, mask, ranges)


def _write(args: SpectralIndexInput, ctx: ToolContext, pair: ScenePair, tally: AreaTally | None,
           rule: _Rule | None, runner: TileRunner) -> tuple[RunningStats, Ranges]:
    """One pass: the difference raster (and mask) window by window, statistics and areas
    tallied in tile order."""
    spec = INDICES[args.index]
    name = f"d{spec.name}"
    src = pair.post.ds
    stats, ranges = RunningStats(), Ranges(-2.0, 2.0)
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, 0))
    with contextlib.ExitStack() as stack:
        dst = stack.enter_context(grid_writer(
            ctx.output_path(f"{name.lower()}.tif"), src, 1, "float32", nodata=float("nan"),
            band_names=[name], resampling="average",
            tags={"units": "index difference", "index": name,
                  "formula": f"{spec.name}(before) - {spec.name}(image), {spec.name} = "
                             f"{spec.formula}",
                  "bands": f"image: {pair.post.choice.text}; before: {pair.pre.choice.text}"}))
        mdst = None
        if rule is not None:
            mdst = stack.enter_context(grid_writer(
                ctx.output_path(f"{name.lower()}_mask.tif"), src, 1, "uint8", nodata=NODATA,
                band_names=[f"{name.lower()}_mask"],
                tags={"units": "class", "values": "1 = selected, 0 = not, 255 = nodata",
                      "threshold": rule.text(name, spec.name)}))
        sent = pair if runner.executor.in_process else pair.for_workers()
        parts = stack.enter_context(runner.results(name, _diff_tile, src, tiles, sent,
                                                   spec.name, rule))
        for tile, part in zip(tiles, parts, strict=True):
            part.take(tile, dst, mdst, stats, ranges, tally)
        if stats.count == 0:  # raised inside the writers: nothing is left half-written
            raise InputError(f"before ({args.before}) and image ({args.image}) share no pixel "
                             f"with a {spec.name} on both dates (image {pair.post.choice.text}; "
                             f"before {pair.pre.choice.text}): they do not overlap, or one is "
                             "nodata where they do. Pass two scenes of the same place.")
    return stats, ranges


def index_difference(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """d<INDEX> = INDEX(before) - INDEX(image), with the optional mask of a threshold."""
    assert args.before is not None
    spec = INDICES[args.index]
    name = f"d{spec.name}"
    if args.threshold == "default":
        raise InputError(f"threshold: no default for a change of {spec.name} between two dates; "
                         f"give the drop to select (0.3: {spec.name} fell by at least 0.3), or "
                         "drop before for the preset of one date")
    rise = args.direction == "rise"
    if rise and args.below:
        raise InputError("below: not used with direction 'rise' (a rise of at least the "
                         "threshold is selected); drop one of them")
    rule = None if args.threshold is None else _Rule(float(args.threshold), args.below, rise)
    info = describe(args.image)
    with open_dataset(args.image) as src, open_dataset(args.before, "before") as pre_src:
        check_readable(pre_src, "before")
        post, pre, warnings = date_scenes(args, info, src, pre_src, spec.roles, (
            f"{spec.name} of the image", f"{spec.name} of the before scene"))
        if spec.needs_reflectance and not (post.scale.identity and pre.scale.identity):
            warnings.append(f"{spec.name} is not scale-invariant: image: "
                            f"{post.scale.reason or 'as stored'}; before: "
                            f"{pre.scale.reason or 'as stored'}")
        tally = AreaTally(src) if rule is not None else None
        if tally is not None and not tally.has_area:
            warnings.append(NO_CRS_WARNING.format(path=args.image))
        runner = TileRunner(ctx)
        with on_grid(pre_src, src, args, name, warnings) as (ds, alpha):
            pre.ds, pre.alpha = ds, alpha
            pair = ScenePair(post, pre, str(pre_src.name), warp=ds is not pre_src)
            stats, ranges = _write(args, ctx, pair, tally, rule, runner)
    formula = f"{spec.name}(before) - {spec.name}(image)"
    bands = f"image: {post.choice.text}; before: {pre.choice.text}"
    ctx.artifact(name.lower(), "raster", ctx.output_path(f"{name.lower()}.tif"),
                 units="index difference", crs=info.crs, transform=info.transform,
                 description=f"{name} = {formula}, {spec.name} = {spec.formula} ({bands}); "
                             "positive where the index dropped; nodata NaN")
    result = SpectralIndexOutput(
        summary="", image=args.image, before=args.before, warnings=warnings, index=name,
        formula=f"{formula}, {spec.name} = {spec.formula}",
        **pair_fields(post, pre),
        valid_pixels=stats.count, mean=quantity(stats.mean, "index difference"),
        min=quantity(stats.minimum, "index difference"),
        max=quantity(stats.maximum, "index difference"),
        reflectance_out_of_range=ranges.record(ranges.reflectance, "reflectance 0 to 1"))
    result.cluster = runner.record()
    ranges.warn(result, index=False)
    for key, value in (("mean", stats.mean), ("min", stats.minimum), ("max", stats.maximum)):
        ctx.number(key, value, "index difference",
                   f"{key} of {name} = {formula} over {stats.count} valid pixels")
    result.summary = (f"{name} = {formula} ({bands}), positive where {spec.name} dropped: mean "
                      f"{stats.mean:.3f}, min {stats.minimum:.3f}, max {stats.maximum:.3f} over "
                      f"{stats.count} valid pixels.")
    if tally is not None and rule is not None:
        threshold_outputs(ctx, name, info, tally, result, rule.threshold, rule.below, None,
                          rule.text(name, spec.name))
    return result
