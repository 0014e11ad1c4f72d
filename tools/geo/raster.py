"""Raster references: what a scene is (size, bands, CRS, pixel size, modality) and how to tile it.

Tiles are :mod:`specialists.tiling` windows; :func:`rio` turns one into rasterio's window for
``read``/``write``. Nothing here reads more than one window of pixels at a time.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import rasterio
from pydantic import BaseModel, Field
from pyproj import CRS, Geod
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window as RioWindow

from specialists.tiling import Tile, Window, grid_tiles
from tools.core.errors import InputError
from tools.core.untrusted_text import clean
from tools.geo.formats import gdal_name, source_file
from tools.geo.pixel_grid import gsd_for, pixel_grid_name, record_use, source_name

# Our own messages say when a scene has no georeference (and name ``gsd`` as the fix); GDAL's
# raw warning would only repeat it on the terminal.
warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)

Modality = Literal["rgb", "multispectral", "sar", "hyperspectral", "panchromatic"]

_SAR_NAMES = {"VV", "VH", "HH", "HV"}
_SAR_HINT = re.compile(r"(^|[^a-z0-9])(s1[abc]?|sar|grd|slc|sigma0|vv|vh|hh|hv)([^a-z0-9]|$)", re.I)
_HSI_HINT = re.compile(r"(aviris|hyperion|prisma|enmap|hyperspectral|hsi)", re.I)
_WAVELENGTH_KEYS = ("wavelength", "WAVELENGTH", "wavelength_nm", "CENTRAL_WAVELENGTH_UM")


class BandInfo(BaseModel):
    """One band of a raster."""

    index: int = Field(description="1-based band index in the file")
    name: str | None = Field(None, description="band name from the file (description or tags)")
    wavelength_nm: float | None = Field(None, description="centre wavelength in nm when known")
    colour: str | None = Field(None, description="colour interpretation the file gives the band "
                               "(GDAL's: red, green, blue, alpha, gray, nir...; None: undefined)")
    alpha: bool = Field(False, description="an alpha (transparency) or mask band: never used "
                        "as data")


class RasterInfo(BaseModel):
    """Metadata of a raster file, read from its header (no pixels)."""

    path: str
    width: int
    height: int
    count: int
    dtype: str
    crs: str | None = Field(description="'EPSG:n' when the CRS has a code, else WKT; None: absent")
    transform: list[float] = Field(description="affine transform a, b, c, d, e, f")
    bounds: list[float] = Field(description="left, bottom, right, top in the scene CRS")
    nodata: float | None
    bands: list[BandInfo]
    pixel_size_m: list[float] | None = Field(
        description="pixel width and height in metres (None when the CRS is missing)"
    )
    is_geographic: bool
    modality: Modality

    @property
    def band_names(self) -> list[str | None]:
        """Band names in file order."""
        return [b.name for b in self.bands]

    @property
    def wavelengths_nm(self) -> list[float | None]:
        """Centre wavelengths in nm in file order."""
        return [b.wavelength_nm for b in self.bands]

    @property
    def colours(self) -> list[str | None]:
        """Colour interpretations in file order."""
        return [b.colour for b in self.bands]

    @property
    def alpha_bands(self) -> list[int]:
        """1-based indices of the alpha (transparency / mask) bands."""
        return [b.index for b in self.bands if b.alpha]


def crs_to_str(crs: Any) -> str | None:
    """Render a rasterio CRS as 'EPSG:n' when possible, else WKT, or None."""
    if not crs:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.to_wkt())


def open_dataset(path: str | Path, argument: str = "image") -> Any:
    """Open a raster for reading with a clear error for missing or unreadable files.

    Args:
        path: File to open.
        argument: Name of the tool argument the path came from (used in messages).

    Returns:
        An open ``rasterio`` dataset (use it as a context manager).

    Raises:
        InputError: The file is missing, a folder, or not a raster GDAL can read.
    """
    p = source_file(path)  # file.nc#var: file.nc; an ENVI header: its data file
    if not p.exists():
        raise InputError(f"{argument}: file not found: {p}. Check the path (relative paths are "
                         "resolved against the current folder).")
    if p.is_dir():
        raise InputError(f"{argument}: {p} is a folder, not a raster file. Pass one GeoTIFF.")
    try:
        src = rasterio.open(gdal_name(path, argument))
    except RasterioIOError as exc:
        raise InputError(f"{argument}: {p} is not a raster GDAL can read ({exc}). Pass a GeoTIFF "
                         "or another GDAL-readable raster.") from exc
    gsd = gsd_for(path)
    if gsd is None:
        return src
    if src.crs or src.gcps[0] or src.rpcs:
        record_use(path, applied=False)
        return src
    record_use(path, applied=True)
    name = src.name
    src.close()
    return rasterio.open(pixel_grid_name(name, gsd, argument))


def same_grid(a: Any, b: Any) -> bool:
    """True when two open datasets share size, CRS and transform (to ``Affine.almost_equals``
    precision): their pixels line up one to one."""
    return bool(a.width == b.width and a.height == b.height and a.crs == b.crs
                and a.transform.almost_equals(b.transform))


def check_readable(src: Any, argument: str = "image") -> None:
    """Read the first and last block to catch truncated or corrupt files early."""
    try:
        for row, col in ((0, 0), (src.height - 1, src.width - 1)):
            src.read(1, window=RioWindow(col, row, 1, 1))
    except RasterioIOError as exc:
        raise InputError(f"{argument}: {src.name} is truncated or corrupt; its pixels cannot be "
                         f"read ({exc}). Re-export or re-download the file.") from exc


def _wavelength(tags: dict[str, str]) -> float | None:
    for key in _WAVELENGTH_KEYS:
        if key in tags:
            try:
                value = float(re.findall(r"[-+]?\d*\.?\d+", tags[key])[0])
            except (IndexError, ValueError):
                continue
            unit = tags.get("wavelength_units", tags.get("WAVELENGTH_UNIT", "")).lower()
            if unit in ("index", "unknown") or unit.endswith("hz"):  # ENVI: band numbers, SAR
                return None
            if key.endswith("_UM") or unit.startswith(("micro", "um", "µm")) or value < 30:
                value *= 1000.0
            return value
    return None


def alpha_bands(src: Any) -> set[int]:
    """1-based bands of an open dataset that are alpha (transparency) or mask bands: colour
    interpretation alpha, or, when the data bands' mask flags say an alpha band masks them, the
    last band."""
    colours = [c.name for c in src.colorinterp]
    found = {i for i, c in enumerate(colours, start=1) if c == "alpha"}
    if not found and src.count > 1 and any(
            MaskFlags.alpha in flags for flags in src.mask_flag_enums[:-1]):
        found = {src.count}
    return found


def _band_infos(src: Any) -> list[BandInfo]:
    infos = []
    alpha = alpha_bands(src)
    colours = [c.name for c in src.colorinterp]
    envi_units = src.tags(ns="ENVI").get("wavelength_units")  # GDAL drops "Index"/"Unknown"
    for i in range(1, src.count + 1):
        tags = src.tags(i)
        if envi_units and "wavelength_units" not in tags:
            tags["wavelength_units"] = envi_units
        name = clean(src.descriptions[i - 1] or tags.get("name") or tags.get("BAND_NAME"))
        colour = colours[i - 1] if i <= len(colours) else None
        infos.append(BandInfo(index=i, name=name, wavelength_nm=_wavelength(tags),
                              colour=None if colour in (None, "undefined") else colour,
                              alpha=i in alpha))
    return infos


def pixel_size_m(src: Any) -> list[float] | None:
    """Pixel width and height in metres; geographic CRSs use the scene-centre latitude."""
    if not src.crs:
        return None
    xres, yres = abs(src.transform.a), abs(src.transform.e)
    if src.crs.is_geographic:
        lon = (src.bounds.left + src.bounds.right) / 2.0
        lat = (src.bounds.bottom + src.bounds.top) / 2.0
        geod = Geod(ellps="WGS84")
        width = geod.inv(lon, lat, lon + xres, lat)[2]
        height = geod.inv(lon, lat, lon, lat + yres)[2]
        return [abs(width), abs(height)]
    axis = CRS.from_user_input(src.crs.to_wkt()).axis_info
    factor = float(axis[0].unit_conversion_factor) if axis else 1.0
    return [xres * factor, yres * factor]


def guess_modality(src: Any, bands: list[BandInfo]) -> Modality:
    """Guess rgb / multispectral / sar / hyperspectral / panchromatic from header facts.

    Band names (VV/VH, B4...), wavelengths, band count, dtype, nodata and the file name are
    used; pixel values are never read here.
    """
    names = {(b.name or "").upper() for b in bands}
    stem = Path(source_name(src.name)).name
    if names & _SAR_NAMES or (src.count <= 3 and _SAR_HINT.search(stem)):
        return "sar"
    if src.count >= 30 or sum(b.wavelength_nm is not None for b in bands) >= 30:
        return "hyperspectral"
    if _HSI_HINT.search(stem) and src.count > 3:
        return "hyperspectral"
    if src.count in (3, 4) and src.dtypes[0] == "uint8":
        return "rgb"
    if src.count == 1:
        negative_nodata = (src.nodata or 0) < 0
        return "sar" if src.dtypes[0].startswith("float") and negative_nodata else "panchromatic"
    if src.count <= 3 and src.dtypes[0].startswith("float"):
        return "sar"
    return "multispectral" if src.count > 3 else "rgb"


def describe(path: str | Path, argument: str = "image") -> RasterInfo:
    """Read the metadata of a raster file (header only, plus a two-pixel readability check)."""
    with open_dataset(path, argument) as src:
        check_readable(src, argument)
        bands = _band_infos(src)
        return RasterInfo(
            path=str(path),
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=src.dtypes[0],
            crs=crs_to_str(src.crs),
            transform=list(src.transform)[:6],
            bounds=list(src.bounds),
            nodata=src.nodata,
            bands=bands,
            pixel_size_m=pixel_size_m(src),
            is_geographic=bool(src.crs is not None and src.crs.is_geographic),
            modality=guess_modality(src, bands),
        )


def rio(window: Window) -> RioWindow:
    """The rasterio window of a tiling window (what ``read``, ``write`` and
    ``window_transform`` take)."""
    return RioWindow(window.col_off, window.row_off, window.width, window.height)


def iter_tiles(width: int, height: int, size: int = 1024, overlap: int = 0) -> list[Tile]:
    """The grid tiles of :func:`specialists.tiling.grid_tiles`: core windows of ``size`` and
    read windows grown by ``overlap``; every pixel belongs to exactly one core window.

    Raises:
        InputError: ``size`` <= 0 or ``overlap`` < 0.
    """
    try:
        return grid_tiles(width, height, size, overlap)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def read_masked(src: Any, window: Window | RioWindow,
                bands: list[int] | None = None) -> np.ma.MaskedArray:
    """Read a window as float32 with nodata and NaN masked.

    Args:
        src: Open dataset.
        window: Window to read (a tiling window or rasterio's).
        bands: 1-based band indices (default: all).
    """
    idx = bands or list(range(1, src.count + 1))
    win = rio(window) if isinstance(window, Window) else window
    data = src.read(idx, window=win, out_dtype="float32")
    invalid = ~np.isfinite(data)
    flags = src.mask_flag_enums[0] if src.mask_flag_enums else ()
    if MaskFlags.per_dataset in flags and MaskFlags.alpha not in flags:  # e.g. a region clip
        invalid |= src.read_masks(idx[0], window=win)[np.newaxis] == 0
    if src.nodata is not None and not (isinstance(src.nodata, float) and math.isnan(src.nodata)):
        invalid |= data == np.float32(src.nodata)
    return np.ma.MaskedArray(data, mask=invalid)


@contextlib.contextmanager
def warped_onto(ds: Any, like: Any, resampling: Resampling) -> Iterator[tuple[Any, int | None]]:
    """``ds`` warped on the fly onto the grid (CRS, transform, size) of ``like``, and the
    1-based alpha band that marks the pixels it covers (None: its nodata marks them)."""
    alpha = None if ds.nodata is not None else ds.count + 1
    with WarpedVRT(ds, crs=like.crs, transform=like.transform, width=like.width,
                   height=like.height, resampling=resampling,
                   add_alpha=alpha is not None) as vrt:
        yield vrt, alpha
