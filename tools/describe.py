"""``describe_raster``: metadata of a scene."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.raster import RasterInfo
from tools.registry import ToolContext, tool_record


class DescribeRasterInput(BaseModel):
    """Arguments of describe_raster."""

    image: str = Field(description="path of the raster file")


class DescribeRasterOutput(ToolResult):
    """Metadata of the scene."""

    info: RasterInfo


@tool_record(DescribeRasterInput, DescribeRasterOutput)
def describe_raster(args: DescribeRasterInput, ctx: ToolContext) -> DescribeRasterOutput:
    """Describe a scene: size, bands (names, wavelengths if known), dtype, CRS, pixel size in
    metres, bounds, nodata and the guessed modality (rgb, multispectral, sar, hyperspectral,
    panchromatic). Reads only the header, so it is instant on any scene size.
    """
    raise NotImplementedError
