"""``pseudo_rgb``: SAR / hyperspectral / multispectral to a 3-band 8-bit composite.

The scene is read tile by tile, in passes: optional scene statistics (speckle level, PCA
covariance), then per-channel moments and/or histograms for the stretch, then the write
(:mod:`tools.geo.composite`). Valid pixels become 1..255; 0 is nodata (where any band that
feeds the composite is nodata). This module picks the recipe: which bands, which channels.

The speckle, stretch and write passes run their tiles wherever ``EARTHSIGHT_CLUSTER`` says
(:class:`tools.geo.fanout.TileRunner`) and are merged here in tile order: the composite is
byte-identical to an in-process run. The PCA statistics pass stays in this process (its
shifted covariance sums depend on the order the pixels arrive in).
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from specialists.spectral import hsi, multispectral, sar, speckle
from specialists.spectral import stretch as st
from specialists.spectral.bands import resolve_roles
from specialists.stats.thresholds import StreamingHistogram
from specialists.tiling import Tile
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.geo.composite import (
    Recipe,
    raw_tiles,
    read_float,
    sample,
    stretch_limits,
    tile_side,
    write_composite,
)
from tools.geo.fanout import TileRunner
from tools.geo.raster import RasterInfo, describe, iter_tiles, open_dataset


class PseudoRgbInput(SceneOptions):
    """Arguments of pseudo_rgb."""

    image: str = Field(description="path of the raster file",
                       json_schema_extra=PATH_FIELD)
    mode: Literal["auto", "sar", "hsi", "multispectral", "pca", "recombine"] = Field(
        "auto", description="auto picks from the modality; pca = first three principal "
        "components; recombine = consecutive 3-band group number `group` (REO-VLM style)")
    bands: list[int] | None = Field(None, description="three 1-based band indices for R, G, B")
    wavelengths_nm: list[float] | None = Field(
        None, description="three wavelengths in nm; the bands nearest them become R, G, B")
    composite: Literal["true_color", "false_color", "swir"] | None = Field(
        None, description="multispectral preset: true colour, colour-infrared, or SWIR")
    stretch: Literal["percentile", "minmax", "none"] = Field(
        "percentile", description="contrast stretch to 0-255 (percentile = 2-98 %)")
    speckle_filter: bool = Field(False, description="SAR only: apply a Lee filter first")
    group: int = Field(0, ge=0, description="recombine only: which 3-band group (0-based)")


class StretchRange(BaseModel):
    """The input values that map to 1 and 255 in one output band."""

    band: str = Field(description="output band description")
    low: float = Field(description="input value shown as 1 (darkest)")
    high: float = Field(description="input value shown as 255 (brightest)")
    unit: str = Field(description="unit of low and high")


class PseudoRgbOutput(ToolResult):
    """Output of pseudo_rgb."""

    path: str = Field(description="the RGB GeoTIFF (uint8, 3 bands, nodata 0, source grid)")
    mode_used: str = Field(description="sar, hsi, pca, recombine, multispectral or rgb")
    bands_used: list[str] = Field(description="what R, G and B show")
    source_bands: list[int] = Field(
        description="1-based input bands shown as R, G, B (SAR: co-pol, cross-pol; pca: all)")
    wavelengths_nm: list[float | None] | None = Field(
        None, description="centre wavelength (nm) of the R, G, B source bands when known")
    stretch: str = Field(description="stretch applied")
    stretch_ranges: list[StretchRange]
    input_scale: str | None = Field(None, description="SAR only: dB, linear or amplitude")
    speckle_looks: float | None = Field(
        None, description="SAR Lee filter: equivalent number of looks estimated (looks)")
    explained_variance: list[float] | None = Field(
        None, description="pca only: fraction (0-1) of the total variance per component")
    valid_fraction: float = Field(description="fraction (0-1) of pixels with data")


def _check_bands(bands: list[int], count: int, allowed: tuple[int, ...]) -> list[int]:
    if len(bands) not in allowed or any(b < 1 or b > count for b in bands):
        want = " or ".join(str(n) for n in allowed)
        raise InputError(f"bands: expected {want} 1-based band indices between 1 and {count} "
                         f"(got {bands}). Example: bands=[3, 2, 1].")
    return bands


def _take(data: np.ndarray, pos: list[int]) -> np.ndarray:
    """The channels at ``pos`` of the read bands (a band may be taken more than once)."""
    return data[pos]


def _plain(info: RasterInfo, bands: list[int], mode: str, size: int,
           wavelengths: list[float | None], roles: dict[int, str] | None = None) -> Recipe:
    """Three source bands stretched as they are (a single band is replicated)."""
    roles = roles or {}
    labels = [multispectral.band_label(b, info.bands[b - 1].name, wavelengths[b - 1], roles.get(b))
              for b in bands]
    read = sorted(set(bands))
    pos = [read.index(b) for b in bands]
    rng = st.integer_range(info.dtype)
    return Recipe(
        mode=mode, read_bands=read, labels=labels, compute=partial(_take, pos=pos), tile=size,
        unit="DN" if rng else "input units", ranges=[rng] * 3 if rng else None,
        wavelengths=[wavelengths[b - 1] for b in bands], shown=list(bands))


def _wavelength_pick(info: RasterInfo, targets: list[float], mode: str, size: int,
                     wavelengths: list[float | None], warnings: list[str]) -> Recipe:
    if len(targets) != 3 or any(t <= 0 for t in targets):
        raise InputError(f"wavelengths_nm: pass three positive wavelengths in nm for R, G, B "
                         f"(got {targets}), e.g. [640, 550, 470].")
    bands = hsi.nearest_bands(wavelengths, targets)
    for b, t in zip(bands, targets, strict=True):
        w = wavelengths[b - 1]
        if w is not None and abs(w - t) > 30:
            warnings.append(f"the band nearest {t:.0f} nm is band {b} at {w:.0f} nm "
                            f"({abs(w - t):.0f} nm away)")
    return _plain(info, bands, mode, size, wavelengths)


def _pca(src: Any, info: RasterInfo, size: int, ctx: ToolContext) -> Recipe:
    if info.count < 3:
        raise InputError(f"mode: pca needs at least 3 bands; {info.path} has {info.count}. "
                         "Use mode='auto'.")
    bands = list(range(1, info.count + 1))
    tile = tile_side(info.count, size)
    acc = hsi.StreamingCovariance(info.count)
    for _, data in raw_tiles(src, bands, tile, 0, "pca statistics", ctx.progress):
        acc.add(data.reshape(info.count, -1).T)
    if acc.count == 0:
        raise InputError(f"image: {info.path} has no pixel valid in every band, so no principal "
                         "components can be computed. Check its nodata value.")
    pca = hsi.principal_components(acc.mean, acc.covariance, 3)
    ranges = []
    for var in pca.variances:
        lo, hi = st.nice_range(-8.0 * math.sqrt(var), 8.0 * math.sqrt(var))
        ranges.append((lo, hi, st.FLOAT_BINS))
    labels = [f"PC{k + 1} ({100 * e:.1f} % of variance)" for k, e in enumerate(pca.explained)]
    return Recipe(mode="pca", read_bands=bands, labels=labels, unit="PC score (input units)",
                   compute=partial(hsi.project, pca=pca), tile=tile, ranges=ranges,
                   extra={"explained_variance": [float(e) for e in pca.explained]})


def _sar(src: Any, info: RasterInfo, args: PseudoRgbInput, size: int,
         runner: TileRunner) -> Recipe:
    names = info.band_names
    warnings: list[str] = []
    if args.bands:
        bands = _check_bands(args.bands, info.count, (2, 3))
        tags = [sar.polarisation(names[b - 1]) or names[b - 1] or f"band {b}" for b in bands]
        dual = len(bands) == 2
    else:
        sel = sar.select_polarisations(names, Path(info.path).name)
        bands = [sel.co] + ([sel.cross] if sel.cross else [])
        tags = [sel.co_label] + ([sel.cross_label or ""] if sel.cross else [])
        dual = sel.cross is not None
        warnings += sel.notes
    scale = sar.detect_scale(sample(src, bands), info.dtype)
    looks = _looks(src, bands, scale, size, runner) if args.speckle_filter else None
    compute = partial(sar.composite, scale=scale, looks=looks)
    if dual:
        labels = [f"{tags[0]} dB", f"{tags[1]} dB", f"{tags[0]}-{tags[1]} dB"]
        ranges = [sar.DB_HIST, sar.DB_HIST, sar.RATIO_HIST]
    elif len(bands) == 1:
        labels, ranges = [f"{tags[0]} dB"] * 3, [sar.DB_HIST] * 3
    else:
        labels, ranges = [f"{t} dB" for t in tags], [sar.DB_HIST] * 3
        compute = partial(sar.per_band_db, scale=scale, looks=looks)
    return Recipe(mode="sar", read_bands=bands, labels=labels, unit="dB", compute=compute,
                   tile=size, overlap=sar.LEE_SIZE // 2 if looks else 0, ranges=ranges,
                   warnings=warnings, extra={"input_scale": scale, "speckle_looks": looks})


def _looks_tile(src: Any, tile: Tile, bands: list[int], scale: sar.Scale) -> np.ndarray:
    """One tile's histogram counts of the local squared coefficient of variation (all bands)."""
    hist = StreamingHistogram(*sar.CV2_HIST)
    rows, cols = tile.inner
    for band in read_float(src, tile, bands):
        hist.add(speckle.local_cv2(sar.to_power(band, scale))[rows, cols])
    return hist.counts


def _looks(src: Any, bands: list[int], scale: sar.Scale, size: int,
           runner: TileRunner) -> float:
    """Scene-wide equivalent number of looks from the median local coefficient of variation."""
    hist = StreamingHistogram(*sar.CV2_HIST)
    tiles = list(iter_tiles(src.width, src.height, size, sar.LEE_SIZE // 2))
    with runner.results("speckle statistics", _looks_tile, src, tiles, bands, scale) as parts:
        for counts in parts:
            hist.counts += counts
    return speckle.looks_from_cv2(hist.quantile(0.5))


def _optical(src: Any, info: RasterInfo, args: PseudoRgbInput, mode: str, size: int,
             ctx: ToolContext) -> Recipe:
    """hsi, multispectral, rgb, pca and recombine recipes."""
    names = info.band_names
    wavelengths = multispectral.band_wavelengths(names, info.wavelengths_nm)
    if args.bands and mode in ("pca", "recombine"):
        raise InputError(f"bands: cannot be combined with mode='{mode}' (it chooses the bands "
                         "itself). Drop bands or use mode='auto'.")
    if args.bands:
        return _plain(info, _check_bands(args.bands, info.count, (3,)), mode, size, wavelengths)
    if mode == "pca":
        return _pca(src, info, size, ctx)
    if mode == "recombine":
        try:
            picked = hsi.recombine_bands(info.count, args.group)
        except ValueError as exc:
            raise InputError(f"group: {exc}.") from exc
        return _plain(info, picked, mode, size, wavelengths)
    warnings: list[str] = []
    if args.wavelengths_nm:
        if all(w is None for w in wavelengths):
            raise InputError(f"wavelengths_nm: {info.path} does not record band wavelengths "
                             "(no 'wavelength' band tags). Pass bands=[r, g, b] instead.")
        recipe = _wavelength_pick(info, list(args.wavelengths_nm), mode, size, wavelengths,
                                  warnings)
    elif mode == "hsi":
        if all(w is None for w in wavelengths):
            recipe = _pca(src, info, size, ctx)
            warnings.append("band wavelengths are unknown, so the first three principal "
                            "components are shown instead of natural colour")
        else:
            recipe = _wavelength_pick(info, list(hsi.DEFAULT_RGB_NM), mode, size, wavelengths,
                                      warnings)
    elif mode == "multispectral":
        roles = resolve_roles(info.count, names, wavelengths, None, info.colours,
                              info.alpha_bands)
        data = [b.index for b in info.bands if not b.alpha]
        if not roles.roles and not args.composite and len(data) >= 3:
            picked = data[:3]  # display only: no role is claimed for them
            warnings.append("the band order is unknown, so bands "
                            f"{', '.join(map(str, picked))} are shown as R, G, B (pass bands= "
                            "or composite= with named bands for a true-colour image)")
        else:
            try:
                picked = multispectral.composite_bands(roles, args.composite or "true_color")
            except ValueError as exc:
                raise InputError(f"composite: {exc}. Pass bands=[r, g, b] (1-based) to choose "
                                 "the bands yourself.") from exc
        role_map = {b: multispectral.role_of(roles, b) or "" for b in picked}
        recipe = _plain(info, picked, mode, size, wavelengths, role_map)
        warnings += roles.notes
    else:
        picked = [1, 2, 3] if info.count >= 3 else [1, 1, 1]
        if info.count == 2:
            warnings.append("2-band image without SAR band names: band 1 shown as grey, "
                            "band 2 not used")
        guess = resolve_roles(info.count, names, wavelengths, None, info.colours,
                              info.alpha_bands) if info.count >= 3 else None
        named = ({b: multispectral.role_of(guess, b) or "" for b in picked}
                 if guess and guess.roles else None)
        recipe = _plain(info, picked, "rgb", size, wavelengths, named)
        if named and guess:
            warnings += guess.notes
    recipe.warnings = warnings + recipe.warnings
    return recipe


def _resolve_mode(args: PseudoRgbInput, info: RasterInfo) -> str:
    if args.mode != "auto":
        return args.mode
    if args.composite:
        return "multispectral"
    return {"sar": "sar", "hyperspectral": "hsi",
            "multispectral": "multispectral"}.get(info.modality, "rgb")


_TITLES = {"sar": "SAR", "hsi": "hyperspectral", "pca": "principal-component",
           "recombine": "band-recombination", "multispectral": "multispectral", "rgb": "RGB"}


@tool_record(PseudoRgbInput, PseudoRgbOutput)
def pseudo_rgb(args: PseudoRgbInput, ctx: ToolContext) -> PseudoRgbOutput:
    """Composite SAR, hyperspectral or multispectral scenes into a 3-band 8-bit RGB GeoTIFF on
    the same grid that RGB models accept. SAR: R = VV dB, G = VH dB, B = VV-VH dB (single-pol:
    grey), optional Lee speckle filter; hyperspectral: bands nearest 640/550/470 nm, PCA, or
    3-band recombination; multispectral: true colour, false colour (NIR) or SWIR. Robust
    2-98 % stretch gathered over the whole scene; nodata stays 0.

    Args:
        args: Validated arguments.
        ctx: Tool context (workspace, settings, progress).
    """
    info = describe(args.image)
    mode = _resolve_mode(args, info)
    if mode == "sar" and args.wavelengths_nm:
        raise InputError("wavelengths_nm: SAR bands have no optical wavelengths; pass bands "
                         "instead, or mode='hsi'/'multispectral' for optical images.")
    size = ctx.settings.tile_size
    runner = TileRunner(ctx)
    with open_dataset(args.image) as src:
        if mode == "sar":
            recipe = _sar(src, info, args, size, runner)
        else:
            recipe = _optical(src, info, args, mode, size, ctx)
        if args.composite and recipe.mode != "multispectral":
            recipe.warnings.append(f"composite={args.composite!r} applies to multispectral "
                                   "images only; ignored")
        if args.speckle_filter and recipe.mode != "sar":
            recipe.warnings.append("speckle_filter applies to SAR only; ignored")
        if args.stretch == "none" and not (info.dtype == "uint8" and recipe.unit == "DN"):
            recipe.warnings.append(f"stretch='none' clips {recipe.unit} to 1-255 unscaled; "
                                   "use stretch='percentile' unless the input is 8-bit")
        limits = stretch_limits(src, recipe, args.stretch, runner)
        dest = ctx.output_path("rgb.tif")
        valid = write_composite(src, recipe, limits, dest, runner)
    result = _result(args, info, recipe, limits, dest, valid, ctx)
    result.cluster = runner.record()
    return result


def _result(args: PseudoRgbInput, info: RasterInfo, recipe: Recipe,
            limits: list[tuple[float, float]] | None, dest: Path, valid: int,
            ctx: ToolContext) -> PseudoRgbOutput:
    lims = limits if limits is not None else [(1.0, 255.0)] * 3
    ranges = [StretchRange(band=lab, low=lo, high=hi, unit=recipe.unit)
              for lab, (lo, hi) in zip(recipe.labels, lims, strict=True)]
    how = {"percentile": f"{st.LOW_PERCENT:g}-{st.HIGH_PERCENT:g} % stretch",
           "minmax": "min-max stretch",
           "none": "no stretch (values clipped to 1-255)"}[args.stretch]
    title = _TITLES.get(recipe.mode, recipe.mode)
    channels = ", ".join(f"{c} = {r.band} [{r.low:.4g} to {r.high:.4g} {r.unit}]"
                         for c, r in zip("RGB", ranges, strict=True))
    fraction = valid / float(info.width * info.height)
    summary = (f"Wrote a {info.width} x {info.height} px 8-bit {title} composite of "
               f"{Path(args.image).name} ({how}): {channels}; {100 * fraction:.1f} % of pixels "
               "have data (nodata = 0).")
    looks = recipe.extra.get("speckle_looks")
    if looks is not None:
        summary += f" Lee filter {sar.LEE_SIZE}x{sar.LEE_SIZE} px, {looks:.2f} looks."
    art = ctx.artifact(name="rgb", kind="raster", path=dest, crs=info.crs,
                       transform=info.transform, units="8-bit display value",
                       description=f"3-band uint8 {title} composite: " + "; ".join(recipe.labels))
    return PseudoRgbOutput(
        summary=summary, image=args.image, artifacts=[art], warnings=recipe.warnings,
        path=str(dest), mode_used=recipe.mode, bands_used=recipe.labels,
        source_bands=recipe.shown or recipe.read_bands, wavelengths_nm=recipe.wavelengths,
        stretch=args.stretch, stretch_ranges=ranges, input_scale=recipe.extra.get("input_scale"),
        speckle_looks=float(looks) if looks is not None else None,
        explained_variance=recipe.extra.get("explained_variance"), valid_fraction=fraction)
