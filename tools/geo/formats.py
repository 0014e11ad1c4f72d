"""Input formats beyond plain GDAL rasters: the name GDAL opens for a file the user names.

* ENVI: a header ``scene.hdr`` stands for its data file (``scene``, ``scene.dat``, ``.img``,
  ``.bsq``, ``.bil``, ``.bip``, ``.raw``, ``.bin``; ``scene.img.hdr`` for ``scene.img``), which
  GDAL's ENVI driver opens with the header beside it (band ``wavelength`` and
  ``wavelength_units`` tags come from the header's ``wavelength`` list).
* netCDF / HDF5 containers: ``file.nc#variable`` or ``file.h5#group/dataset`` (or GDAL's own
  ``NETCDF:"file.nc":variable`` / ``HDF5:"file.h5"://group/dataset``) picks one subdataset;
  without a name the one 2-D or 3-D raster-like variable is used, else an InputError lists them.
  A name is only ever matched against the subdatasets GDAL lists, never handed to GDAL itself.
* MATLAB ``.mat`` cubes: converted once into a cached GeoTIFF (:mod:`tools.geo.matlab`).

Every failure is one :class:`~tools.core.errors.InputError` naming the argument and the fix.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasterio
from rasterio.env import Env
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from tools.core.errors import InputError
from tools.geo.matlab import is_mat, mat_to_geotiff

ENVI_DATA_SUFFIXES = ("", ".dat", ".img", ".bsq", ".bil", ".bip", ".raw", ".bin")
"""Data-file names tried beside an ENVI header ``scene.hdr`` (``scene`` + each suffix)."""

_GDAL_SYNTAX = re.compile(r'^(?P<driver>NETCDF|HDF5|HDF4|HDF4_SDS|HDF4_EOS):"(?P<file>[^"]+)":'
                          r"(?P<sub>.+)$", re.IGNORECASE)
_DIMS = re.compile(r"^\[(?P<dims>\d+(?:x\d+)*)\]\s*(?P<rest>.*)$")
_COORDINATES = {"lat", "lon", "latitude", "longitude", "x", "y", "time", "crs", "spatial_ref",
                "lat_bnds", "lon_bnds", "time_bnds", "x_bnds", "y_bnds"}
"""Variable names that are coordinates, never the raster a user means."""
_MAX_LISTED = 20

# container kind: (signature test, drivers that can read it, what to call it)
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_HDF4_MAGIC = b"\x0e\x03\x13\x01"
_KINDS = {"netCDF": (("netCDF",), "a netCDF"),
          "HDF5": (("HDF5", "netCDF"), "an HDF5 / netCDF-4"), "HDF4": (("HDF4",), "an HDF4")}


@dataclass(frozen=True)
class Subdataset:
    """One subdataset GDAL lists in a container."""

    name: str
    """GDAL's name for it (``NETCDF:"file.nc":var``)."""
    short: str
    """The part a user types after ``#`` (``var``, ``group/dataset``)."""
    dims: tuple[int, ...]
    """Its shape (outermost first), from GDAL's description."""
    description: str

    @property
    def shape_and_type(self) -> str:
        """``[3x20x30] 32-bit floating-point`` (what GDAL's description says)."""
        kind = re.search(r"\(([^()]*)\)\s*$", self.description)
        shape = "[" + "x".join(map(str, self.dims)) + "]" if self.dims else ""
        return f"{shape} {kind.group(1) if kind else ''}".strip()

    @property
    def raster_like(self) -> bool:
        """2-D, or 3-D (bands first), with rows and columns, and not a coordinate variable."""
        leaf = self.short.rsplit("/", 1)[-1].lower()
        return (len(self.dims) in (2, 3) and min(self.dims[-2:]) > 1
                and leaf not in _COORDINATES and not leaf.endswith(("_bnds", "_bounds")))


def split_name(name: str | Path) -> tuple[Path, str | None]:
    """The file a name refers to and the subdataset (or ``.mat`` variable) it picks.

    ``file.nc#var`` -> (``file.nc``, ``var``) when ``file.nc#var`` itself is no file;
    ``NETCDF:"file.nc":var`` -> (``file.nc``, ``var``); anything else -> (the path, None).
    """
    text = str(name)
    match = _GDAL_SYNTAX.match(text)
    if match:
        return Path(match["file"]), match["sub"]
    path = Path(text)
    if "#" in text and not path.exists():
        head, _, sub = text.rpartition("#")
        if head and sub:
            return Path(head), sub
    return path, None


def source_file(name: str | Path) -> Path:
    """The file on disk whose pixels a name reads: ``file.nc#var`` -> ``file.nc``; an ENVI
    header -> its data file (the header itself when none is found, so the error says so)."""
    path, _ = split_name(name)
    if path.suffix.lower() == ".hdr":
        return envi_data_file(path) or path
    return path


def envi_data_file(header: Path) -> Path | None:
    """The data file beside an ENVI header (None: none of the usual names exists)."""
    base = header.with_suffix("")
    for suffix in ENVI_DATA_SUFFIXES:
        for variant in dict.fromkeys((suffix, suffix.upper())):
            candidate = base.with_name(base.name + variant)
            if candidate.is_file():
                return candidate
    return None


@functools.cache
def gdal_drivers() -> frozenset[str]:
    """Short names of the raster drivers of the GDAL inside rasterio."""
    with Env() as env:
        return frozenset(env.drivers())


def gdal_name(name: str | Path, argument: str = "image") -> str:
    """The name to hand ``rasterio.open`` for what the user named (the path itself for plain
    GDAL rasters).

    Raises:
        InputError: An ENVI header without a data file, a container whose variable is not
            named and not obvious, a name that is not in the file, a driver GDAL lacks, or an
            unreadable ``.mat`` file.
    """
    path, sub = split_name(name)
    if is_mat(path):
        return str(mat_to_geotiff(path, sub, argument))
    if path.suffix.lower() == ".hdr":
        if sub:
            raise InputError(f"{argument}: an ENVI header holds one raster; drop '#{sub}' from "
                             f"{path}.")
        return str(_envi(path, argument))
    kind = container_kind(path)
    if kind is None:
        if sub:
            raise InputError(f"{argument}: {path} is no netCDF, HDF5 or MATLAB file, so "
                             f"'#{sub}' names nothing in it. Pass the file without '#{sub}'.")
        return str(path)
    _check_driver(kind, path, argument)
    return _pick(path, sub, kind, argument)


def container_kind(path: Path) -> str | None:
    """'netCDF', 'HDF5' or 'HDF4' from the file's first bytes (None: none of them)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(2056)
    except OSError:
        return None
    if head[:3] == b"CDF" and head[3:4] in (b"\x01", b"\x02", b"\x05"):
        return "netCDF"
    if any(head[at:at + 8] == _HDF5_MAGIC for at in (0, 512, 1024, 2048)):
        return "HDF5"
    if head[:4] == _HDF4_MAGIC:
        return "HDF4"
    return None


def _check_driver(kind: str, path: Path, argument: str) -> None:
    drivers, label = _KINDS[kind]
    if any(d in gdal_drivers() for d in drivers):
        return
    raise InputError(
        f"{argument}: {path} is {label} file, but the GDAL {rasterio.__gdal_version__} "
        f"inside this rasterio build has no {' or '.join(drivers)} driver. Convert it to "
        "GeoTIFF with a GDAL that has one (e.g. conda-forge gdal: gdal_translate "
        f'{drivers[0].upper()}:"{path.name}":VARIABLE out.tif) and pass that, or install '
        f"rasterio built against a GDAL with {drivers[0]} support.")


def _envi(header: Path, argument: str) -> Path:
    try:
        with header.open("rb") as handle:
            first = handle.read(64).lstrip()
    except OSError as exc:
        raise InputError(f"{argument}: cannot read the ENVI header {header} ({exc}).") from exc
    if not first.startswith(b"ENVI"):
        raise InputError(f"{argument}: {header} is not an ENVI header (its first line is not "
                         "'ENVI'). Pass the raster file itself.")
    data = envi_data_file(header)
    if data is None:
        base = header.with_suffix("").name
        tried = ", ".join(base + s for s in ENVI_DATA_SUFFIXES)
        raise InputError(f"{argument}: no data file found beside the ENVI header {header} "
                         f"(looked for {tried}). Put the data file next to the header under "
                         "one of these names, or pass the data file itself.")
    return data


def subdatasets(src: Any) -> list[Subdataset]:
    """The subdatasets of an open container, with shapes, from GDAL's SUBDATASETS metadata."""
    tags: dict[str, str] = src.tags(ns="SUBDATASETS")
    out = []
    n = 1
    while f"SUBDATASET_{n}_NAME" in tags:
        full = tags[f"SUBDATASET_{n}_NAME"]
        desc = tags.get(f"SUBDATASET_{n}_DESC", "")
        match, dims = _GDAL_SYNTAX.match(full), _DIMS.match(desc)
        short = (match["sub"] if match else full).lstrip("/")
        shape = tuple(int(d) for d in dims["dims"].split("x")) if dims else ()
        out.append(Subdataset(name=full, short=short, dims=shape, description=desc))
        n += 1
    return out


def _pick(path: Path, sub: str | None, kind: str, argument: str) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a container has none
            src = rasterio.open(str(path))
        with src:
            count = src.count
            subs = subdatasets(src)
            varname = src.tags(1).get("NETCDF_VARNAME") if count else None
    except RasterioIOError as exc:
        raise InputError(f"{argument}: {path} looks like {_KINDS[kind][1]} file, but GDAL "
                         f"cannot open it ({exc}). Check that the file is complete (copy or "
                         "download it again).") from exc
    if not subs:
        if count and (sub is None or sub.lstrip("/") == varname):
            return str(path)
        if not count:
            raise InputError(f"{argument}: {path} holds no 2-D raster GDAL can read (no "
                             "subdatasets). Export the grid you need to GeoTIFF.")
        raise InputError(f"{argument}: {path} holds a single raster, not '{sub}'. Pass the "
                         f"file without '#{sub}'.")
    if sub is None:
        if count:
            return str(path)
        raster_like = [s for s in subs if s.raster_like]
        if len(raster_like) == 1:
            return raster_like[0].name
        raise _choose(path, raster_like or subs, argument, None)
    want = sub.lstrip("/")
    exact = [s for s in subs if s.short == want]
    by_leaf = [s for s in subs if s.short.rsplit("/", 1)[-1] == want]
    for found in (exact, by_leaf):
        if len(found) == 1:
            return found[0].name
    raise _choose(path, by_leaf or subs, argument, sub)


def _choose(path: Path, subs: list[Subdataset], argument: str, sub: str | None) -> InputError:
    listed = "; ".join(f"{path.name}#{s.short} {s.shape_and_type}" for s in subs[:_MAX_LISTED])
    more = f" (and {len(subs) - _MAX_LISTED} more)" if len(subs) > _MAX_LISTED else ""
    if sub is None:
        why = f"holds {len(subs)} variables that could be the raster"
    else:
        why = f"has no single subdataset named '{sub}'"
    return InputError(f"{argument}: {path} {why}: {listed}{more}. Name one after '#', e.g. "
                      f"{path}#{subs[0].short}.")
