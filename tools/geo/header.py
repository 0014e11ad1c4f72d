"""A scene's header in words: its modality, readable metadata lines and footprint area.

Shared by ``describe_raster``, ``describe_scene`` and the LLM planner's scene facts.
"""

from __future__ import annotations

from rasterio.transform import Affine

from tools.core.untrusted_text import quoted
from tools.geo.area import area_quantity, pixel_area_rows_m2
from tools.geo.pixel_grid import grid_gsd
from tools.geo.raster import RasterInfo

MODALITY_WORDS = {
    "rgb": "RGB (true colour)",
    "multispectral": "multispectral",
    "sar": "SAR (radar backscatter)",
    "hyperspectral": "hyperspectral",
    "panchromatic": "single-band (panchromatic or a mask)",
}


def footprint_area_m2(info: RasterInfo) -> float | None:
    """Area in m² covered by the raster grid (None without a CRS).

    Geographic grids sum geodesic pixel areas row by row (header arithmetic, no pixels read).
    """
    if info.crs is None:
        return None
    transform = Affine(*info.transform)
    total = 0.0
    step = 4096
    for row in range(0, info.height, step):
        rows = min(step, info.height - row)
        total += float(pixel_area_rows_m2(transform, info.crs, row, rows).sum()) * info.width
    return total


def _band_text(info: RasterInfo, limit: int = 16) -> str:
    parts = []
    for band in info.bands[:limit]:
        text = quoted(band.name) if band.name else f"band {band.index}"
        if band.wavelength_nm is not None:
            text += f" ({band.wavelength_nm:g} nm)"
        parts.append(text)
    if info.count > limit:
        parts.append(f"... {info.count - limit} more")
    return ", ".join(parts)


def info_lines(info: RasterInfo) -> list[str]:
    """Readable lines describing ``info`` (size, bands, dtype, CRS, pixel size, bounds, ...)."""
    lines = [f"File: {quoted(info.path, 200)}",
             f"Size: {info.width} x {info.height} pixels, {info.count} band(s) of {info.dtype}",
             f"Bands: {_band_text(info)}",
             f"Modality (guessed from the header): {MODALITY_WORDS[info.modality]}"]
    gsd = grid_gsd(info.crs)
    if info.crs is None:
        lines.append("CRS: none (not georeferenced: areas and lengths in metres are unavailable;"
                     " pass gsd, the metres per pixel)")
    elif gsd is not None:
        lines.append(f"CRS: none; a pixel grid of the stated gsd {gsd:g} m per pixel "
                     "(coordinates are pixel coordinates: x = column, y = row)")
    else:
        crs = info.crs if len(info.crs) < 60 else info.crs[:57] + "..."
        lines.append(f"CRS: {crs}" + (" (geographic, degrees)" if info.is_geographic else ""))
    if info.pixel_size_m is not None:
        px, py = info.pixel_size_m
        where = " at the scene centre" if info.is_geographic else ""
        lines.append(f"Pixel size: {px:.3g} m x {py:.3g} m{where}")
    left, bottom, right, top = info.bounds
    lines.append(f"Bounds (left, bottom, right, top): {left:.6g}, {bottom:.6g}, {right:.6g}, "
                 f"{top:.6g}")
    area = footprint_area_m2(info)
    if area is not None:
        lines.append(f"Footprint: {area_quantity(area)}")
    lines.append(f"Nodata: {info.nodata if info.nodata is not None else 'not declared'}")
    return lines
