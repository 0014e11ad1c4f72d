"""Write GeoTIFFs window by window on a source grid, then publish them as COGs atomically.

Pixels go to a hidden temporary tiled GeoTIFF next to the destination; on success it is
copied into Cloud-Optimized GeoTIFF layout (overviews, tiles) and renamed into place. On any
error the temporaries are removed and nothing is left at the destination. A file that is
still to be edited (a staged mask) can skip the COG copy and be published later with
:func:`publish_cog`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.windows import Window

from tools.geo.atomic import atomic_path, scratch_path


@contextlib.contextmanager
def grid_writer(
    dest: str | Path,
    like: Any,
    count: int = 1,
    dtype: str = "uint8",
    nodata: float | None = None,
    band_names: list[str] | None = None,
    resampling: str = "nearest",
    tags: dict[str, str] | None = None,
    cog: bool = True,
) -> Iterator[Any]:
    """Open a writer on the grid (size, CRS, transform) of ``like``.

    Args:
        dest: Final path of the GeoTIFF.
        like: An open rasterio dataset whose grid the output shares.
        count: Number of bands.
        dtype: Pixel type.
        nodata: Nodata value to declare, if any.
        band_names: Band descriptions to set.
        resampling: Overview resampling ('nearest' for masks and classes, 'average' otherwise).
        tags: Dataset tags (e.g. units) to store.
        cog: Publish as a COG (default); False renames the tiled GeoTIFF into place as it is
            (a staging file that is edited and published with :func:`publish_cog` later).

    Yields:
        A rasterio dataset open for writing; call ``dst.write(array, window=...)``.
    """
    dest = Path(dest)
    profile = {
        "driver": "GTiff",
        "width": like.width,
        "height": like.height,
        "count": count,
        "dtype": dtype,
        "crs": like.crs,
        "transform": like.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    # COG: the tiled file is a scratch copy that publish_cog copies into place; else it is
    # renamed into place as it is
    with (scratch_path(dest, "part") if cog else atomic_path(dest, "part")) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            if band_names:
                for i, name in enumerate(band_names, start=1):
                    dst.set_band_description(i, name)
            if tags:
                dst.update_tags(**tags)
            yield dst
        if cog:
            publish_cog(tmp, dest, resampling)


def publish_cog(src: str | Path, dest: str | Path, resampling: str = "nearest") -> Path:
    """Copy the GeoTIFF ``src`` into COG layout beside ``dest`` and rename it into place.

    Args:
        src: A finished GeoTIFF (left as it is).
        dest: Final path; it appears by rename only, or not at all on an error.
        resampling: Overview resampling ('nearest' for masks and classes).

    Returns:
        ``dest``.
    """
    dest = Path(dest)
    with atomic_path(dest, "cog") as cog:
        rasterio.shutil.copy(
            src, cog, driver="COG", COMPRESS="DEFLATE", BLOCKSIZE=512,
            RESAMPLING=resampling.upper(), BIGTIFF="IF_SAFER", NUM_THREADS="2",
        )
    return dest


def write_array(
    dest: str | Path, array: np.ndarray, like: Any, nodata: float | None = None,
    band_names: list[str] | None = None, resampling: str = "nearest",
    tags: dict[str, str] | None = None,
) -> Path:
    """Write a small whole array (bands, rows, cols) or (rows, cols) on the grid of ``like``."""
    data = array if array.ndim == 3 else array[np.newaxis]
    with grid_writer(dest, like, count=data.shape[0], dtype=str(data.dtype), nodata=nodata,
                     band_names=band_names, resampling=resampling, tags=tags) as dst:
        dst.write(data, window=Window(0, 0, like.width, like.height))
    return Path(dest)
