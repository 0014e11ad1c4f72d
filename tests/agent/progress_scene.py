"""The scene and tiling of the progress-across-workers tests (CLI and HTTP)."""

from __future__ import annotations

import math
from pathlib import Path

import rasterio

SCENE = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"  # 512 x 512 px, 13 bands
TILE = 128  # px
PASSES = ("histogram", "water mask")  # the optical method's tile passes


def tiles(data_dir: Path) -> int:
    """Tiles of the scene at ``TILE`` px."""
    with rasterio.open(data_dir / SCENE) as src:
        return int(math.ceil(src.width / TILE) * math.ceil(src.height / TILE))
