"""MATLAB ``.mat`` hyperspectral cubes as rasters: converted once into a cached GeoTIFF.

The cube is the variable named after ``#`` (``scene.mat#Y``), else the one array that fits the
first of these layouts (several that fit equally: an InputError lists them):

1. a 3-D array, rows x columns x bands (MATLAB's order: Indian Pines, Pavia, Salinas...);
2. a 2-D array, bands x pixels (or pixels x bands), with scalar ``nRow`` and ``nCol`` beside it:
   pixels in MATLAB's column-major order, pixel ``p = row + col * nRow`` (0-based), i.e.
   ``reshape(Y', nRow, nCol, nBand)`` in MATLAB (the unmixing sets Jasper Ridge, Urban, Samson);
3. a 2-D array, rows x columns: one band.

Wavelengths (nm) go into the band tags ``wavelength`` / ``wavelength_units`` that
:mod:`tools.geo.raster` reads: from a variable named ``wavelength(s)``, ``wl`` or ``lambda``
with one value per band (values below 30 are taken as micrometres); else, for a selection of
sensor channels (``SlectBands`` / ``SelectBands``, 1-based) out of ``nBand`` channels of a known
sensor, the channel centres assuming the channels evenly spaced over the sensor's range:
AVIRIS, 224 channels 380-2500 nm; HYDICE, 210 channels 400-2500 nm (the ranges the Jasper
Ridge and Urban data sets state). These are approximate (AVIRIS has four spectrometers with
overlaps; errors of ~10 nm); the dataset tag ``wavelength_source`` says so.

v5 / v4 files are read with :func:`scipy.io.loadmat`; v7.3 files are HDF5 and need ``h5py``.
The GeoTIFF keeps the source values and type, band-interleaved, with no CRS (a ``.mat`` holds
none). It is written atomically to ``$XDG_CACHE_HOME/earthsight/converted`` (default
``~/.cache/earthsight/converted``), named by a hash of the file's path, size, modification time
and the variable, so each file is converted once.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import rasterio
import scipy.io
from rasterio.errors import NotGeoreferencedWarning

from tools.core.errors import InputError
from tools.geo.atomic import atomic_path, remove_orphans

CONVERTER_VERSION = 1
"""Bump when the conversion changes, so cached copies are rebuilt."""
SENSORS = {224: ("AVIRIS", 380.0, 2500.0), 210: ("HYDICE", 400.0, 2500.0)}
"""Channel count -> (sensor, first and last channel centre in nm), evenly spaced."""
_WAVELENGTH_NAMES = ("wavelength", "wavelengths", "wavelength_nm", "wavelengths_nm", "wl",
                     "lambda")
_SELECTED_NAMES = ("slectbands", "selectbands", "selectedbands", "selected_bands")
_ROW_NAMES = ("nrow", "nrows", "lines")
_COL_NAMES = ("ncol", "ncols", "samples")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Cube:
    """A cube taken from a .mat file: data (bands, rows, cols) and what is known of it."""

    data: np.ndarray
    variable: str
    layout: str
    wavelengths_nm: list[float] | None = None
    wavelength_source: str = ""
    channels: list[int] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def is_mat(path: Path) -> bool:
    """Whether ``path`` names a MATLAB file (by its ``.mat`` suffix)."""
    return path.suffix.lower() == ".mat"


def converted_dir() -> Path:
    """Folder of converted copies: ``$XDG_CACHE_HOME/earthsight/converted``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "earthsight" / "converted"


def mat_to_geotiff(path: Path, variable: str | None = None, argument: str = "image") -> Path:
    """The cached GeoTIFF of the cube in ``path`` (converted on first use).

    Raises:
        InputError: The file cannot be read, holds no cube (or several), names no such
            variable, is v7.3 without ``h5py``, or the cache folder cannot be written.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"{argument}: cannot read {path} ({exc}).") from exc
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{variable}|"
                         f"{CONVERTER_VERSION}".encode()).hexdigest()[:20]
    folder = converted_dir()
    dest = folder / f"{_SAFE.sub('_', path.stem)}.{key}.tif"
    if dest.is_file():
        return dest
    cube = read_cube(path, variable, argument)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_orphans(folder)
        _write(cube, path, dest)
    except OSError as exc:
        raise InputError(f"{argument}: cannot write the GeoTIFF copy of {path} into {folder} "
                         f"({exc}). Set XDG_CACHE_HOME to a writable folder.") from exc
    return dest


def read_cube(path: Path, variable: str | None = None, argument: str = "image") -> Cube:
    """The cube of a .mat file as (bands, rows, cols), with wavelengths when known."""
    arrays = _load(path, argument)
    numeric = {k: v for k, v in arrays.items()
               if isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and v.size > 0}
    if variable is not None:
        if variable not in numeric or numeric[variable].ndim not in (2, 3):
            names = ", ".join(sorted(k for k, v in numeric.items()
                                     if v.ndim in (2, 3) and min(v.shape[:2]) > 1))
            raise InputError(f"{argument}: {path} has no 2-D or 3-D numeric variable "
                             f"'{variable}' (it has: {names or 'none'}). Name one after '#'.")
        name = variable
    else:
        name = _find(path, numeric, argument)
    cube = _shape(name, numeric, argument, path)
    _add_wavelengths(cube, numeric)
    return cube


def _h5py() -> ModuleType | None:
    try:
        return importlib.import_module("h5py")
    except ImportError:
        return None


def _load(path: Path, argument: str) -> dict[str, Any]:
    try:
        major, _ = scipy.io.matlab.matfile_version(str(path))
    except Exception as exc:  # scipy raises ValueError, MatReadError, OSError... for non-.mat
        raise InputError(f"{argument}: {path} is not a MATLAB .mat file scipy can read ({exc}). "
                         "Save it from MATLAB with save(..., '-v7') or pass a GeoTIFF.") from exc
    if major == 2:
        return _load_v73(path, argument)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data: dict[str, Any] = scipy.io.loadmat(str(path))
    except Exception as exc:  # truncated or corrupt: zlib, struct, ValueError, MatReadError...
        raise InputError(f"{argument}: {path} is a MATLAB file that cannot be read ({exc}). "
                         "Check that it is complete (copy it again).") from exc
    return {k: v for k, v in data.items() if not k.startswith("__")}


def _load_v73(path: Path, argument: str) -> dict[str, Any]:
    h5py = _h5py()
    if h5py is None:
        raise InputError(f"{argument}: {path} is a MATLAB v7.3 file (HDF5), which needs h5py: "
                         "pip install h5py (or save it in MATLAB with save(..., '-v7')).")
    out: dict[str, Any] = {}
    try:
        with h5py.File(str(path), "r") as handle:
            for key, item in handle.items():
                if isinstance(item, h5py.Dataset) and item.dtype.kind in "biuf":
                    out[key] = np.asarray(item[()]).T  # MATLAB's column-major order
    except (OSError, ValueError) as exc:
        raise InputError(f"{argument}: {path} is a MATLAB v7.3 file that cannot be read "
                         f"({exc}). Check that it is complete.") from exc
    return out


def _scalar(numeric: dict[str, np.ndarray], names: tuple[str, ...]) -> int | None:
    for key, value in numeric.items():
        if key.lower() in names and value.size == 1:
            return int(value.reshape(-1)[0])
    return None


def _grid(numeric: dict[str, np.ndarray]) -> tuple[int, int] | None:
    rows, cols = _scalar(numeric, _ROW_NAMES), _scalar(numeric, _COL_NAMES)
    return (rows, cols) if rows and cols and rows > 0 and cols > 0 else None


def _find(path: Path, numeric: dict[str, np.ndarray], argument: str) -> str:
    grid = _grid(numeric)
    pixels = grid[0] * grid[1] if grid else -1
    tiers = [
        [k for k, v in numeric.items() if v.ndim == 3 and min(v.shape[:2]) > 1],
        [k for k, v in numeric.items() if v.ndim == 2 and pixels in v.shape and pixels > 1],
        [k for k, v in numeric.items() if v.ndim == 2 and min(v.shape) > 1],
    ]
    for tier in tiers:
        if len(tier) == 1:
            return tier[0]
        if tier:
            listed = ", ".join(f"{k} {'x'.join(map(str, numeric[k].shape))}" for k in tier)
            raise InputError(f"{argument}: {path} holds several arrays that could be the image "
                             f"({listed}). Name one after '#', e.g. {path}#{tier[0]}.")
    raise InputError(f"{argument}: {path} holds no 2-D or 3-D numeric array to read as an image "
                     f"(variables: {', '.join(sorted(numeric)) or 'none'}).")


def _shape(name: str, numeric: dict[str, np.ndarray], argument: str, path: Path) -> Cube:
    arr = numeric[name]
    if arr.ndim == 3:
        return Cube(np.moveaxis(arr, 2, 0), name, "rows x cols x bands")
    grid = _grid(numeric)
    if grid:
        rows, cols = grid
        if arr.shape[1] == rows * cols:  # bands x pixels, pixels column-major
            data = arr.reshape(arr.shape[0], cols, rows).transpose(0, 2, 1)
            return Cube(data, name, f"bands x pixels, column-major {rows} x {cols}")
        if arr.shape[0] == rows * cols:
            data = arr.T.reshape(arr.shape[1], cols, rows).transpose(0, 2, 1)
            return Cube(data, name, f"pixels x bands, column-major {rows} x {cols}")
    if min(arr.shape) < 2:
        raise InputError(f"{argument}: {path}#{name} is {arr.shape[0]} x {arr.shape[1]}, not an "
                         "image. Name the image variable after '#'.")
    return Cube(arr[np.newaxis], name, "rows x cols")


def _add_wavelengths(cube: Cube, numeric: dict[str, np.ndarray]) -> None:
    bands = cube.data.shape[0]
    for key, value in numeric.items():
        if key.lower() in _WAVELENGTH_NAMES and value.size == bands:
            wl = value.astype(np.float64).reshape(-1)
            if np.nanmedian(wl) < 30:  # micrometres
                wl = wl * 1000.0
            cube.wavelengths_nm = [float(w) for w in wl]
            cube.wavelength_source = f"variable {key} of the file"
            return
    total = _scalar(numeric, ("nband", "nbands"))
    selected = next((v.reshape(-1) for k, v in numeric.items()
                     if k.lower() in _SELECTED_NAMES and v.size == bands), None)
    if selected is None and total == bands:
        selected = np.arange(1, bands + 1)
    if total not in SENSORS or selected is None or not (
            int(selected.min()) >= 1 and int(selected.max()) <= total):
        return
    sensor, first, last = SENSORS[total]
    step = (last - first) / (total - 1)
    cube.channels = [int(c) for c in selected]
    cube.wavelengths_nm = [first + (c - 1) * step for c in cube.channels]
    cube.wavelength_source = (f"approximate: {sensor} channels {', '.join(map(str, _runs(cube)))}"
                              f" of {total}, assumed evenly spaced over {first:g}-{last:g} nm")


def _runs(cube: Cube) -> list[str]:
    """Channel numbers as ranges (``4-107``)."""
    out: list[str] = []
    channels = cube.channels or []
    start = prev = channels[0] if channels else 0
    for c in [*channels[1:], None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
        if c is not None:
            start = prev = c
    return out


def _write(cube: Cube, source: Path, dest: Path) -> None:
    data = cube.data
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    elif data.dtype == np.float16:
        data = data.astype(np.float32)
    count, height, width = data.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": count,
               "dtype": str(data.dtype), "interleave": "band", "photometric": "minisblack",
               "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
               "BIGTIFF": "IF_SAFER"}
    tags = {"source_file": source.name, "source_variable": cube.variable,
            "source_layout": cube.layout}
    if cube.wavelength_source:
        tags["wavelength_source"] = cube.wavelength_source
    with warnings.catch_warnings(), atomic_path(dest, "part") as tmp:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a .mat has no georeference
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(np.ascontiguousarray(data))
            dst.update_tags(**tags)
            for i in range(count):
                if cube.channels:
                    dst.set_band_description(i + 1, f"channel {cube.channels[i]}")
                if cube.wavelengths_nm:
                    dst.update_tags(i + 1, wavelength=f"{cube.wavelengths_nm[i]:.2f}",
                                    wavelength_units="nm")
