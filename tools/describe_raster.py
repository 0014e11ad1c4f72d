"""``describe_raster``: metadata of a scene."""

from __future__ import annotations

from pydantic import Field

from tools.core.artifacts import ToolResult
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.geo.area import area_quantity
from tools.geo.header import footprint_area_m2, info_lines
from tools.geo.raster import RasterInfo, describe

__all__ = ["DescribeRasterInput", "DescribeRasterOutput", "describe_raster"]

class DescribeRasterInput(SceneOptions):
    """Arguments of describe_raster."""

    image: str = Field(description="path of the raster file",
                       json_schema_extra=PATH_FIELD)


class DescribeRasterOutput(ToolResult):
    """Metadata of the scene."""

    info: RasterInfo
    report: str = Field("", description="readable multi-line description of the metadata")


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
