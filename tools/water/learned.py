"""``map_water`` method ``learned``: the trained SAR water head, tiled over any scene size.

The scene's VV and VH bands (named, or bands 1 and 2 of an unnamed SAR file) are read window by
window: tiles of ``tile_size`` grown by :data:`OVERLAP_PX` on every side so that the net sees
context at tile edges (its receptive field is about 100 pixels). Linear power is converted to
dB. The core of each tile's water probability is thresholded (0.5, or ``threshold``) into the
uint8 mask on the scene grid (1 water, 0 land, 255 nodata where any band is nodata); polygons,
the minimum mapping unit, areas and the result are made by :mod:`tools.water.output`, as for
the threshold methods.

``auto`` never picks this method: the head is only as good as the chips it was trained on, so
it runs when asked for (``method='learned'``), and the threshold chain stays the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from specialists.runtime.cache import get_or_load
from specialists.runtime.device import configure_threads, pick_device
from specialists.spectral.speckle import looks_like_db, to_db
from specialists.water.model import load_model, predict_probability
from specialists.water.rules import NODATA, encode_mask
from tools.core.errors import InputError
from tools.core.model_inputs import find_weights, gsd_note, load_or_refuse, probability_threshold
from tools.core.registry import ToolContext
from tools.geo.area import AreaTally
from tools.geo.bands import band_label
from tools.geo.geotiff import grid_writer
from tools.geo.min_area import staging_path
from tools.geo.raster import RasterInfo, iter_tiles, open_dataset, read_masked, rio
from tools.water.inputs import MapWaterInput, sar_bands
from tools.water.output import MASK_NAME, WaterRun

MODEL = "sar-water-unet"
TRAIN_HINT = ("earthsight train water --chips DIR (Sen1Floods11-style <id>_S1Hand.tif chips "
              "with <id>_LabelHand.tif labels)")
OVERLAP_PX = 64
"""Context in pixels added around each tile (about half the head's receptive field)."""


def _load(weights: Path, device: str) -> tuple[Any, dict[str, Any]]:
    if device == "cpu":
        configure_threads()
    key = (MODEL, str(weights), weights.stat().st_mtime_ns, device)
    return get_or_load(key, lambda: load_or_refuse(lambda p: load_model(p, device), weights))


def _bands(info: RasterInfo, meta: dict[str, Any], warnings: list[str]) -> list[int]:
    co, cross = sar_bands(info, warnings)
    if co is None or cross is None:
        raise InputError(f"image: {info.path} has no {'cross' if cross is None else 'co'}-"
                         "polarised band; the learned water head needs both VV and VH "
                         "(Sentinel-1 dual polarisation). Use method='sar' for single-"
                         "polarisation scenes.")
    names = [band_label(info, co), band_label(info, cross)]
    trained = [str(b) for b in meta.get("bands", ["VV", "VH"])]
    if all(n.upper() in ("HH", "HV") for n in names) and trained == ["VV", "VH"]:
        warnings.append(f"image: bands {names} fed to a head trained on {trained}; HH/HV "
                        "backscatter differs, so the mask may be off")
    return [co, cross]


def map_water_learned(args: MapWaterInput, ctx: ToolContext, info: RasterInfo) -> WaterRun:
    """Write the water mask of the learned head; see the module docstring.

    Raises:
        ToolUnavailable: No weights (the message says how to train or provide them).
        InputError: A threshold outside (0, 1), a single-polarisation scene, or no valid pixel.
    """
    weights = find_weights(MODEL, args.model, "map_water (method learned)", TRAIN_HINT)
    threshold = probability_threshold(args.threshold, "method 'learned'", "water")
    device = pick_device()
    model, meta = _load(weights, device)
    warnings: list[str] = []
    ignored = sorted({"index", "speckle_filter"} & args.model_fields_set)
    if ignored:
        warnings.append(f"{', '.join(ignored)}: not used by method 'learned' (the head reads "
                        "unfiltered VV/VH in dB)")
    bands = _bands(info, meta, warnings)
    final = ctx.output_path(MASK_NAME)
    mask_path = staging_path(final, args.min_area_m2)
    with open_dataset(args.image) as src:
        sample = src.read(bands[0], out_shape=(min(src.height, 256), min(src.width, 256)),
                          out_dtype="float32")
        is_db = looks_like_db(sample)
        if not is_db:
            warnings.append("backscatter looks linear (not dB); converted to dB")
        warnings += gsd_note(src, meta.get("gsd_m"))
        tally = AreaTally(src)
        tiles = list(iter_tiles(src.width, src.height, ctx.settings.tile_size, OVERLAP_PX))
        iou = meta.get("metrics", {}).get("val_iou")
        detail = (f"learned: U-Net water head {weights.name} on "
                  f"{band_label(info, bands[0])}/{band_label(info, bands[1])} in dB"
                  + (f" (validation IoU {iou:.3f})" if isinstance(iou, float) else "")
                  + f", water probability >= {threshold:g}, tiles of "
                  f"{ctx.settings.tile_size} px with {OVERLAP_PX} px overlap")
        with grid_writer(mask_path, src, 1, "uint8", nodata=NODATA, band_names=["water"],
                         tags={"units": "class", "values": "1 = water, 0 = land, 255 = nodata",
                               "method": detail, "model": str(weights),
                               "threshold": f"{threshold:g} probability"},
                         cog=mask_path == final) as dst:
            for i, tile in enumerate(tiles, start=1):
                data = read_masked(src, tile.read, bands).filled(np.nan)
                db = data if is_db else to_db(data)
                prob = predict_probability(model, db, device)
                rows, cols = tile.inner
                valid = np.isfinite(db).all(axis=0)[rows, cols]
                water = (prob[rows, cols] >= threshold) & valid
                dst.write(encode_mask(water, valid)[np.newaxis], window=rio(tile.core))
                tally.add(water, valid, tile.core)
                ctx.progress("water head", i, len(tiles))
            if tally.valid_px == 0:
                raise InputError(f"image: {src.name} has no valid pixels to map water on (all "
                                 "nodata or NaN). Check the nodata value of the file.")
    return WaterRun(
        method="learned", detail=detail, units="probability", threshold=threshold,
        source="model" if args.threshold is None else "user", mask_path=mask_path,
        tally=tally, bands_used={"co-pol": band_label(info, bands[0]),
                                 "cross-pol": band_label(info, bands[1])},
        warnings=warnings)
