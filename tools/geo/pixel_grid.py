"""Images without georeference read on a *pixel grid* of a stated ground sample distance.

Benchmark chips (DOTA, LEVIR-CD, xView2) are PNG/JPEG files with a GSD stated beside them.
With ``gsd`` such an image opens with the identity transform (coordinates are pixel
coordinates: x = column, y = row) and a local CRS whose unit is one pixel of ``gsd`` metres,
``LOCAL_CS["pixel grid, 0.5 m per pixel", UNIT["metre", 0.5], ...]``. Areas and lengths then
come out of the same transform-and-CRS arithmetic as for any projected scene
(:mod:`tools.geo.area`), and every output written on that grid carries the same CRS, so a later
step (``measure`` of a change mask) knows the pixel size without being told again.

The stated values live in a context variable for the duration of one tool call
(:func:`stated_gsd`, set by the runner from the call's ``gsd`` argument);
:func:`tools.geo.raster.open_dataset` consults it for files that have no CRS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pyproj import CRS

from tools.core.errors import InputError

_NAME = re.compile(r'^LOCAL_CS\["pixel grid, ([0-9.eE+-]+) m per pixel"')
_STATED: ContextVar[Mapping[str, float]] = ContextVar("stated_gsd",
                                                    default=MappingProxyType({}))

_USES: ContextVar[dict[str, bool] | None] = ContextVar("gsd_uses", default=None)

PIXEL_COORDINATES_NOTE = ("{path} has no georeference: areas and lengths come from the stated "
                          "gsd of {gsd:g} m per pixel, and outputs are in pixel coordinates "
                          "(x = column, y = row from the top-left corner)")


def pixel_grid_wkt(gsd: float) -> str:
    """The WKT of the local CRS of a pixel grid of ``gsd`` metres per pixel."""
    return (f'LOCAL_CS["pixel grid, {gsd:g} m per pixel",UNIT["metre",{gsd!r}],'
            'AXIS["Easting",EAST],AXIS["Northing",NORTH]]')


def grid_gsd(crs: Any) -> float | None:
    """The GSD in metres when ``crs`` (a rasterio/pyproj CRS or its text) is a pixel grid, else
    None."""
    if not crs:
        return None
    text = crs if isinstance(crs, str) else crs.to_wkt()
    if not _NAME.match(text):
        return None
    axis = CRS.from_user_input(text).axis_info
    return float(axis[0].unit_conversion_factor) if axis else None


def _key(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


@contextmanager
def stated_gsd(by_path: Mapping[str, float] | Mapping[Path, float]) -> Iterator[dict[str, bool]]:
    """Within the block, files in ``by_path`` that have no CRS open on a pixel grid of the
    given GSD (metres per pixel).

    Yields:
        What became of each stated GSD as files open in the block: path -> True when the file
        opened on the pixel grid, False when it has its own georeference (the GSD unused).
    """
    merged = {**_STATED.get(), **{_key(p): float(g) for p, g in by_path.items()}}
    uses: dict[str, bool] = {}
    token, use_token = _STATED.set(merged), _USES.set(uses)
    try:
        yield uses
    finally:
        _STATED.reset(token)
        _USES.reset(use_token)


def record_use(path: str | Path, applied: bool) -> None:
    """Note that a file with a stated GSD opened on its pixel grid (``applied``) or with its
    own georeference (see :func:`stated_gsd`)."""
    uses = _USES.get()
    if uses is not None:
        uses.setdefault(str(path), applied)


def gsd_for(path: str | Path) -> float | None:
    """The GSD stated for ``path`` in the current call (None: none stated)."""
    stated = _STATED.get()
    return stated.get(_key(path)) if stated else None


def pixel_grid_name(name: str, gsd: float, argument: str = "image") -> str:
    """A GDAL name that opens ``name`` (a file GDAL reads) with the pixel-grid CRS of ``gsd``
    and the identity transform (GDAL's ``vrt://`` connection string)."""
    if "?" in name or "&" in name:
        raise InputError(f"{argument}: {name} holds '?' or '&', which GDAL cannot open with a "
                         "stated gsd; rename the file and retry")
    return f"vrt://{name}?a_srs={pixel_grid_wkt(gsd)}&a_gt=0,1,0,0,0,1"


def source_name(name: str) -> str:
    """The file behind a dataset name (strips the ``vrt://...?`` wrapper of a pixel grid)."""
    if name.startswith("vrt://") and "?" in name:
        return name[len("vrt://"):name.index("?")]
    return name
