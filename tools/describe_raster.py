"""``describe_raster``: metadata of a scene."""

from __future__ import annotations

from pydantic import BaseModel, Field
from rasterio.transform import Affine

from tools.core.artifacts import Quantity, ToolResult
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.untrusted_text import quoted
from tools.geo.area import M2_PER_HA, M2_PER_KM2, pixel_area_rows_m2
from tools.geo.raster import RasterInfo, describe

MODALITY_WORDS = {
    "rgb": "RGB (true colour)",
    "multispectral": "multispectral",
    "sar": "SAR (radar backscatter)",
    "hyperspectral": "hyperspectral",
    "panchromatic": "single-band (panchromatic or a mask)",
}


class DescribeRasterInput(BaseModel):
    """Arguments of describe_raster."""

    image: str = Field(description="path of the raster file",
                       json_schema_extra=PATH_FIELD)


class DescribeRasterOutput(ToolResult):
    """Metadata of the scene."""

    info: RasterInfo
    report: str = Field("", description="readable multi-line description of the metadata")


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


def area_quantity(area_m2: float) -> Quantity:
    """An area in the unit a person would use: km² from 1 km², ha from 1 ha, else m²."""
    if area_m2 >= M2_PER_KM2:
        return Quantity(value=area_m2 / M2_PER_KM2, unit="km²")
    if area_m2 >= M2_PER_HA:
        return Quantity(value=area_m2 / M2_PER_HA, unit="ha")
    return Quantity(value=area_m2, unit="m²")


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
    if info.crs is None:
        lines.append("CRS: none (not georeferenced: areas and lengths in metres are unavailable)")
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


@tool_record(DescribeRasterInput, DescribeRasterOutput)
def describe_raster(args: DescribeRasterInput, ctx: ToolContext) -> DescribeRasterOutput:
    """Describe a scene: size, bands (names, wavelengths if known), dtype, CRS, pixel size in
    metres, bounds, nodata and the guessed modality (rgb, multispectral, sar, hyperspectral,
    panchromatic). Reads only the header, so it is instant on any scene size.

    Args:
        args: The image to describe.
        ctx: Tool context.
    """
    info = describe(args.image)
    warnings: list[str] = []
    ctx.number("width", info.width, "px", "scene width")
    ctx.number("height", info.height, "px", "scene height")
    ctx.number("band_count", info.count, "count", "number of bands")
    size = ""
    if info.pixel_size_m is None:
        warnings.append(f"{args.image} has no CRS: pixel size and areas in metres are unknown")
    else:
        px, py = info.pixel_size_m
        note = " at the scene centre" if info.is_geographic else ""
        ctx.number("pixel_size_x", px, "m", f"pixel width{note}")
        ctx.number("pixel_size_y", py, "m", f"pixel height{note}")
        size = f", {px:.3g} m x {py:.3g} m pixels"
    area = footprint_area_m2(info)
    if area is not None:
        q = area_quantity(area)
        ctx.number("footprint_area", q.value, q.unit, "area covered by the grid")
        ctx.number("footprint_area_m2", area, "m²", "area covered by the grid")
    crs = info.crs if info.crs is None or len(info.crs) <= 40 else "a custom CRS (WKT)"
    summary = (f"{info.width} x {info.height} px {info.modality} scene with {info.count} "
               f"{info.dtype} band(s), CRS {crs or 'none'}{size}.")
    return DescribeRasterOutput(summary=summary, image=args.image, info=info,
                                report="\n".join(info_lines(info)), warnings=warnings)
