"""Generated 3-band uint8 GeoTIFF scenes for the benches.

A scene is written in 2048-pixel blocks (tiled 512 x 512, deflate, EPSG:32633) to a temporary
name and renamed when complete; an existing file is reused. Each bench says what a block looks
like with a function ``block(row, col, yy, xx, rng) -> (3, h, w) float32`` of the block's
origin, its pixel row/column grids and the scene's random generator (called in block order).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

Block = Callable[[int, int, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]
STEP = 2048
"""Block side in pixels."""


def write_scene(path: Path, size: int, seed: int, block: Block, pixel_m: float = 1.0,
                bigtiff: str = "IF_SAFER", low: int = 0) -> Path:
    """Write a ``size`` x ``size`` scene block by block (values clipped to ``low``..255)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8",
               "crs": "EPSG:32633", "transform": from_origin(300_000, 5_000_000, pixel_m, pixel_m),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
               "BIGTIFF": bigtiff}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.part.tif")
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            for row in range(0, size, STEP):
                for col in range(0, size, STEP):
                    h, w = min(STEP, size - row), min(STEP, size - col)
                    yy, xx = np.mgrid[row:row + h, col:col + w].astype(np.float32)
                    tile = block(row, col, yy, xx, rng)
                    dst.write(np.clip(tile, low, 255).astype(np.uint8),
                              window=Window(col, row, w, h))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
