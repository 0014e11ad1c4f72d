"""``estimate_biomass``: above-ground biomass from a regression head over visual patch tokens.

The scene is read tile by tile (tiles a multiple of the model's patch size); each tile is cut
into patches, the head predicts AGB (Mg/ha) and its standard deviation per patch, and both go
to a 2-band float32 GeoTIFF on the source grid (band 1 AGB, band 2 1σ, Mg/ha; nodata where the
input is). Mean (Mg/ha, area-weighted) and total (Mg, from pixel areas) come from the written
raster over the scene, a mask, polygons, or an earlier step's output. Without trained weights
the tool refuses and says how to train or provide them; it never returns a default value.

On a Dask cluster (``EARTHSIGHT_CLUSTER``) the tiles are predicted on the workers, one task per
tile (a tile is the forward-pass group: its patches, 64 a pass, exactly as in-process). A task
carries a :class:`~specialists.runtime.worker_models.ModelSpec` (:func:`load_head` and the
weights path), never weights: each worker loads the head once. The caller keeps the one raster
writer and writes the tiles' windows in tile order, then computes the figures from the written
raster as in-process, so the raster is byte-equal and the numbers identical wherever the tiles
ran (workers must see the scene and the weights at the same paths). ``result.cluster`` records
where they ran.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from specialists.biomass.model import load_model, predict_patches
from specialists.runtime.cache import get_or_load
from specialists.runtime.device import configure_threads
from specialists.runtime.worker_models import ModelSpec, ensure_models, worker_model
from specialists.tiling import Tile
from tools.core.artifacts import Quantity, ToolResult
from tools.core.errors import InputError
from tools.core.model_inputs import find_weights, gsd_note, load_or_refuse, select_bands
from tools.core.registry import MODEL_FIELD, PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.geo.area import M2_PER_HA, require_crs
from tools.geo.fanout import TileRunner
from tools.geo.geotiff import grid_writer
from tools.geo.raster import (
    check_readable,
    crs_to_str,
    iter_tiles,
    open_dataset,
    read_masked,
    rio,
)
from tools.geo.zones import zonal_stats

MODEL = "agb-mixer"
TRAIN_HINT = "earthsight train biomass --image SCENE.tif --footprints GEDI_L4A.csv|.h5|.zip"
NODATA = -9999.0


class EstimateBiomassInput(SceneOptions):
    """Arguments of estimate_biomass."""

    image: str = Field(description="path of the scene",
                       json_schema_extra=PATH_FIELD)
    model: str | None = Field(None, description="AGB head weights file (default: agb_mixer.pt "
                              "in $EARTHSIGHT_WEIGHTS_DIR or the torch cache)",
                              json_schema_extra=MODEL_FIELD)


class EstimateBiomassOutput(ToolResult):
    """AGB raster in Mg/ha, mean in Mg/ha and total in Mg."""

    agb: str = Field(description="AGB GeoTIFF on the source grid: band 1 AGB, band 2 1σ (Mg/ha)")
    mean_agb: Quantity = Field(description="area-weighted mean AGB in Mg/ha")
    total_agb: Quantity = Field(description="total AGB in Mg")
    area: Quantity = Field(description="area summarised in ha")
    uncertainty: Quantity = Field(description="mean predicted 1σ per pixel in Mg/ha")
    total_sd: Quantity = Field(description="1σ of the total in Mg if patch errors were fully "
                               "correlated (an upper bound)")
    training_rmse: Quantity | None = Field(None, description="held-out RMSE of the weights "
                                           "(Mg/ha), from their metadata")
    region: str = Field(description="scene, mask or polygons")
    model: str = Field(description="weights file used")


def _load(weights: Path) -> tuple[Any, dict[str, Any]]:
    configure_threads()
    key = ("agb-mixer", str(weights), weights.stat().st_mtime_ns)
    return get_or_load(key, lambda: load_or_refuse(load_model, weights))


def load_head(weights: str, mtime_ns: int) -> tuple[Any, dict[str, Any]]:
    """The AGB head and its metadata from ``weights`` (the loader a worker's
    :class:`ModelSpec` names; ``mtime_ns`` makes a changed file a new model).

    Raises:
        ToolUnavailable: The file is not AGB head weights (the project's own refusal).
    """
    configure_threads()
    return load_or_refuse(load_model, Path(weights))


def predict_tile(src: Any, tile: Tile, head: Any, bands: list[int], p: int,
                 fill: np.ndarray) -> np.ndarray:
    """AGB and its 1σ (Mg/ha) of one tile's core window, (2, h, w) float32 with NODATA where
    the input is invalid.

    Args:
        src: The open scene.
        tile: The tile (its core window is predicted).
        head: The model (in-process) or its :class:`ModelSpec` (on a worker: loaded once).
        bands: 1-based scene bands in the model's order.
        p: Patch side in pixels.
        fill: Per-band value that replaces invalid pixels (the model's input mean).
    """
    model = worker_model(head)[0] if isinstance(head, ModelSpec) else head
    data = read_masked(src, tile.core, bands)
    invalid = np.ma.getmaskarray(data).any(axis=0)
    h, w = invalid.shape
    nh, nw = math.ceil(h / p), math.ceil(w / p)
    arr = np.where(np.ma.getmaskarray(data), fill[:, None, None], data.data)
    arr = np.pad(arr, ((0, 0), (0, nh * p - h), (0, nw * p - w)), mode="edge")
    patches = arr.reshape(len(bands), nh, p, nw, p).transpose(1, 3, 0, 2, 4)
    mu, sd = predict_patches(model, patches.reshape(nh * nw, len(bands), p, p))
    grow = np.ones((p, p), np.float32)
    agb = np.kron(np.maximum(mu, 0).reshape(nh, nw), grow)[:h, :w]
    sig = np.kron(sd.reshape(nh, nw), grow)[:h, :w]
    out = np.stack([agb, sig]).astype(np.float32)
    out[:, invalid] = NODATA
    return out


def predict_raster(src: Any, dest: Path, model: Any, meta: dict[str, Any], bands: list[int],
                   ctx: ToolContext, runner: TileRunner | None = None,
                   spec: ModelSpec | None = None) -> None:
    """Write AGB and its 1σ (Mg/ha) for every pixel of ``src`` to ``dest``, tile by tile.

    Args:
        src: The open scene.
        dest: Output GeoTIFF.
        model: The loaded head (its input mean fills invalid pixels).
        meta: Its metadata (``architecture.patch_px``).
        bands: 1-based scene bands in the model's order.
        ctx: Tool context (tile size, progress).
        runner: Where the tiles run (default: in this process).
        spec: How workers load the head (needed when ``runner`` is a cluster's).
    """
    p = int(meta["architecture"]["patch_px"])
    fill = model.in_mean.cpu().numpy().astype(np.float32)
    size = max(p, (ctx.settings.tile_size // p) * p)
    tiles = list(iter_tiles(src.width, src.height, size))
    runner = runner or TileRunner(ctx)
    remote = not runner.executor.in_process
    if remote and spec is None:
        raise RuntimeError("predict_raster on a cluster needs the head's ModelSpec")
    head = spec if remote else model
    tags = {"units": "Mg/ha", "model": "agb-mixer", "patch_px": str(p),
            "band1": "above-ground biomass (Mg/ha)", "band2": "1 sigma (Mg/ha)"}
    with grid_writer(dest, src, count=2, dtype="float32", nodata=NODATA, resampling="average",
                     band_names=["agb_mg_ha", "agb_sd_mg_ha"], tags=tags) as dst, \
            runner.results("biomass", predict_tile, src, tiles, head, bands, p, fill) as parts:
        for tile, out in zip(tiles, parts, strict=True):
            dst.write(out, window=rio(tile.core))


@tool_record(EstimateBiomassInput, EstimateBiomassOutput, needs=("torch",), models=(MODEL,))
def estimate_biomass(args: EstimateBiomassInput, ctx: ToolContext) -> EstimateBiomassOutput:
    """Estimate above-ground biomass with a regression head: an AGB raster in Mg/ha, the mean
    (Mg/ha) and the total (Mg) over the scene or a region.

    Args:
        args: Validated arguments.
        ctx: Tool context (workspace, settings, progress).
    """
    weights = find_weights(MODEL, args.model, "estimate_biomass", TRAIN_HINT)
    model, meta = _load(weights)
    runner = TileRunner(ctx)
    spec = None
    if not runner.executor.in_process:
        spec = ModelSpec(load_head, (str(weights), weights.stat().st_mtime_ns))
        client = getattr(runner.executor, "client", None)
        if client is not None:  # every worker loads the head once, now (and workers that join)
            ensure_models(client, [spec])
    dest = ctx.output_path("agb.tif")
    with open_dataset(args.image, "image") as src:
        check_readable(src, "image")
        require_crs(src.crs, f"image {args.image}")
        bands, warnings = select_bands(src, list(meta.get("bands", [])))
        warnings += gsd_note(src, meta.get("gsd_m"))
        crs, transform = crs_to_str(src.crs), list(src.transform)[:6]
        predict_raster(src, dest, model, meta, bands, ctx, runner, spec)
    what = "scene" if args.region is None else "region"  # the runner cut the scene to it
    stats = zonal_stats(dest, band=1, tile_size=ctx.settings.tile_size, progress=ctx.progress)
    sd_stats = zonal_stats(dest, band=2, tile_size=ctx.settings.tile_size)
    area_m2 = stats.overall["area_m2"]
    if not stats.overall["pixels"] or area_m2 <= 0:
        raise InputError(f"region: no valid pixel of {args.image} lies inside the {what}; pass a "
                         "region that overlaps the scene's data")
    mean, total = stats.overall["mean"], stats.overall["weighted_sum"] / M2_PER_HA
    mean_sd, total_sd = sd_stats.overall["mean"], sd_stats.overall["weighted_sum"] / M2_PER_HA
    rmse = meta.get("metrics", {}).get("val_rmse_mg_ha")
    ctx.artifact("agb", "raster", dest, units="Mg/ha", crs=crs, transform=transform,
                 description="AGB (band 1) and 1σ (band 2) in Mg/ha on the source grid")
    for name, value, unit, text in (
            ("mean_agb", mean, "Mg/ha", f"area-weighted mean AGB over the {what}"),
            ("total_agb", total, "Mg", f"total AGB over the {what}"),
            ("area", area_m2 / M2_PER_HA, "ha", "area with valid AGB"),
            ("agb_uncertainty", mean_sd, "Mg/ha", "mean predicted 1σ per pixel"),
            ("total_agb_sd", total_sd, "Mg", "1σ of the total, fully correlated errors")):
        ctx.number(name, value, unit, text)
    out = EstimateBiomassOutput(
        summary="", image=args.image, warnings=warnings, agb=str(dest),
        mean_agb=Quantity(value=mean, unit="Mg/ha"), total_agb=Quantity(value=total, unit="Mg"),
        area=Quantity(value=area_m2 / M2_PER_HA, unit="ha"),
        uncertainty=Quantity(value=mean_sd, unit="Mg/ha"),
        total_sd=Quantity(value=total_sd, unit="Mg"),
        training_rmse=None if rmse is None else Quantity(value=float(rmse), unit="Mg/ha"),
        region=what, model=str(weights), cluster=runner.record())
    out.summary = (f"Above-ground biomass over the {what}: mean {out.mean_agb} (±{out.uncertainty}"
                   f" 1σ per pixel), total {out.total_agb} (±{out.total_sd} if errors are fully "
                   f"correlated) over {out.area}"
                   + (f"; the weights' held-out RMSE is {out.training_rmse}" if rmse else "")
                   + f". Model agb-mixer ({Path(weights).name}).")
    return out
