"""Process-wide settings read from the environment (one place for every knob)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# GDAL's block cache defaults to 5 % of RAM; tools stream windows, so a small cache keeps the
# resident set of a whole-scene run bounded without slowing tiled reads.
os.environ.setdefault("GDAL_CACHEMAX", "256")


_CHECKOUT = Path(__file__).resolve().parents[2]
"""The folder that holds ``tools/`` (the repository root in a checkout)."""


@dataclass(frozen=True)
class Settings:
    """Tiling budget and data locations.

    Attributes:
        tile_size: Side in pixels of the windows tools read at once.
        tile_overlap: Overlap in pixels between neighbouring windows where a tool needs context.
        data_dir: Folder of the real development imagery (``EARTHSIGHT_DATA``; default
            ``../shared/data`` beside the checkout).
        examples_dir: The bundled example scenes of a checkout (``examples/data``), readable
            by every request like a data root when the folder exists.
    """

    tile_size: int = 1024
    tile_overlap: int = 32
    data_dir: Path = _CHECKOUT.parent / "shared" / "data"
    examples_dir: Path = _CHECKOUT / "examples" / "data"


def get_settings() -> Settings:
    """Read the settings from ``EARTHSIGHT_*`` environment variables."""
    default = Settings()
    data = os.environ.get("EARTHSIGHT_DATA")
    return Settings(
        tile_size=int(os.environ.get("EARTHSIGHT_TILE_SIZE", default.tile_size)),
        tile_overlap=int(os.environ.get("EARTHSIGHT_TILE_OVERLAP", default.tile_overlap)),
        data_dir=Path(data).expanduser().resolve() if data else default.data_dir,
    )
