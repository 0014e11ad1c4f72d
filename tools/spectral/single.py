"""Single-date indices of ``spectral_index``: the index raster, its statistics and the optional
thresholded mask, written window by window."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialists.spectral.indices import INDICES, ReflectanceScale, RunningStats, compute_index
from specialists.spectral.presets import Preset
from specialists.tiling import Tile
from specialists.water.rules import NODATA, encode_mask
from tools.core.errors import InputError
from tools.core.registry import ToolContext
from tools.geo.area import NO_CRS_WARNING, AreaTally
from tools.geo.bands import BandChoice, choose_bands, read_roles, reflectance_scale, role_text
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.raster import RasterInfo, describe, iter_tiles, open_dataset
from tools.spectral.common import (
    IndexTile,
    Ranges,
    SpectralIndexInput,
    SpectralIndexOutput,
    quantity,
    resolve_threshold,
    select,
    threshold_outputs,
)


@dataclass(frozen=True)
class _Rule:
    """The selection of the mask: index at or above (or below) a threshold, and for a preset
    with an NIR test (NDSI snow) NIR reflectance above a minimum too."""

    threshold: float
    below: bool
    nir_band: int | None = None
    nir_min: float | None = None

    def select(self, values: np.ndarray, bands: dict[str, np.ndarray]) -> np.ndarray:
        """Selected pixels of a tile (NaN never)."""
        chosen = select(values, self.threshold, self.below)
        if self.nir_min is not None:
            with np.errstate(invalid="ignore"):
                chosen &= bands["nir"] > np.float32(self.nir_min)
        return chosen

    def text(self, index: str) -> str:
        """The rule in words, e.g. 'NDSI ≥ 0.4 and NIR reflectance > 0.11'."""
        nir = f" and NIR reflectance > {self.nir_min:g}" if self.nir_min is not None else ""
        return f"{index} {'<' if self.below else '≥'} {self.threshold:g}{nir}"


def _rule(args: SpectralIndexInput, info: RasterInfo, choice: BandChoice, threshold: float | None,
          preset: Preset | None, warnings: list[str]) -> _Rule | None:
    """The mask rule; a preset's NIR test needs an NIR band (skipped, with a warning, without)."""
    if threshold is None:
        return None
    if preset is None or preset.nir_min is None or args.below:
        return _Rule(threshold, args.below)
    if "nir" in choice.roles:
        return _Rule(threshold, False, choice.roles["nir"], preset.nir_min)
    try:
        nir = choose_bands(info, ("nir",), f"the {preset.maps} NIR test", args.bands, args.sensor)
    except InputError:
        warnings.append(f"{args.image} has no identifiable NIR band, so the {preset.maps} preset's "
                        f"second test (NIR reflectance > {preset.nir_min:g}, which keeps water "
                        f"out) was skipped: water with {preset.index} ≥ {threshold:g} counts as "
                        f"{preset.maps}. Pass bands={{\"nir\": <band>}} to apply it.")
        return _Rule(threshold, False)
    return _Rule(threshold, False, nir.roles["nir"], preset.nir_min)


def _index_tile(src: Any, tile: Tile, index: str, roles: dict[str, int],
                scale: ReflectanceScale, rule: _Rule | None) -> IndexTile:
    """The index (and mask) of one tile: pure per-tile work, run wherever the tiles run."""
    bands = read_roles(src, tile.core, roles, scale)
    values = compute_index(index, bands)
    ranges = Ranges()
    ranges.add(bands, values)
    mask = None
    if rule is not None:
        mask = encode_mask(rule.select(values, bands), np.isfinite(values))
    return IndexTile(values, mask, ranges)


def _write_index(
    args: SpectralIndexInput, ctx: ToolContext, src: Any, choice: BandChoice,
    scale: ReflectanceScale, tally: AreaTally | None, rule: _Rule | None, runner: TileRunner,
) -> tuple[RunningStats, Ranges]:
    """One pass: index raster (and mask) window by window, statistics streamed in tile order
    (the tiles are computed wherever ``runner`` sends them; the writers stay here)."""
    spec = INDICES[args.index]
    name = spec.name.lower()
    stats, ranges = RunningStats(), Ranges()
    tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, 0))
    with contextlib.ExitStack() as stack:
        dst = stack.enter_context(grid_writer(
            ctx.output_path(f"{name}.tif"), src, 1, "float32", nodata=float("nan"),
            band_names=[spec.name], resampling="average",
            tags={"units": "index", "index": spec.name, "formula": spec.formula,
                  "bands": choice.text}))
        mdst = None
        roles = dict(choice.roles)
        if rule is not None:
            mdst = stack.enter_context(grid_writer(
                ctx.output_path(f"{name}_mask.tif"), src, 1, "uint8", nodata=NODATA,
                band_names=[f"{name}_mask"],
                tags={"units": "class", "values": "1 = selected, 0 = not, 255 = nodata",
                      "threshold": rule.text(spec.name)}))
            if rule.nir_band is not None:
                roles["nir"] = rule.nir_band
        parts = stack.enter_context(runner.results("index", _index_tile, src, tiles, spec.name,
                                                   roles, scale, rule))
        for tile, part in zip(tiles, parts, strict=True):
            part.take(tile, dst, mdst, stats, ranges, tally)
        if stats.count == 0:  # raised inside the writers: nothing is left half-written
            raise InputError(f"image: {args.image} has no valid pixels for {spec.name} "
                             f"({choice.text}): every pixel is nodata/NaN or has a zero "
                             "denominator. Check the nodata value and the band choice.")
    return stats, ranges


def single_date(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """A single-date index, with the optional thresholded mask."""
    spec = INDICES[args.index]
    threshold, preset = resolve_threshold(args, spec.name)
    info = describe(args.image)
    choice = choose_bands(info, spec.roles, spec.name, args.bands, args.sensor)
    warnings = list(choice.notes)
    rule = _rule(args, info, choice, threshold, preset, warnings)
    with open_dataset(args.image) as src:
        scale = reflectance_scale(src, list(choice.roles.values()))
        if spec.needs_reflectance and not scale.identity:
            warnings.append(f"{spec.name} is not scale-invariant: {scale.reason}")
        tally = AreaTally(src) if threshold is not None else None
        if tally is not None and not tally.has_area:
            warnings.append(NO_CRS_WARNING.format(path=args.image))
        runner = TileRunner(ctx)
        stats, ranges = _write_index(args, ctx, src, choice, scale, tally, rule, runner)
    name = spec.name.lower()
    ctx.artifact(name, "raster", ctx.output_path(f"{name}.tif"), units="index", crs=info.crs,
                 transform=info.transform,
                 description=f"{spec.name} = {spec.formula} ({choice.text}); nodata NaN")
    result = SpectralIndexOutput(
        summary="", image=args.image, warnings=warnings, index=spec.name, formula=spec.formula,
        bands_used={role_text(r): lab for r, lab in choice.labels.items()},
        band_source=choice.source, reflectance=scale.reason or "values used as stored",
        valid_pixels=stats.count, mean=quantity(stats.mean, "index"),
        min=quantity(stats.minimum, "index"), max=quantity(stats.maximum, "index"),
        reflectance_out_of_range=ranges.record(ranges.reflectance, "reflectance 0 to 1"),
        index_out_of_range=ranges.record(ranges.index, f"{spec.name} -1 to 1"),
    )
    result.cluster = runner.record()
    ranges.warn(result)
    for key, value in (("mean", stats.mean), ("min", stats.minimum), ("max", stats.maximum)):
        ctx.number(key, value, "index", f"{key} of {spec.name} over {stats.count} valid pixels")
    result.summary = (f"{spec.name} ({choice.text}): mean {stats.mean:.3f}, min "
                      f"{stats.minimum:.3f}, max {stats.maximum:.3f} (index) over {stats.count} "
                      "valid pixels.")
    if tally is not None and rule is not None:
        threshold_outputs(ctx, spec.name, info, tally, result, rule.threshold, rule.below, preset,
                          rule.text(spec.name))
    return result
