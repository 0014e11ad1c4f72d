"""``map_water``: water / flood extent from SAR (VV backscatter) or optical (water index)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record


class MapWaterInput(BaseModel):
    """Arguments of map_water."""

    image: str = Field(description="path of a SAR (VV, optionally VH) or optical raster")
    method: Literal["auto", "sar", "optical"] = Field(
        "auto", description="auto: SAR when the scene is SAR, else the optical water index")
    index: Literal["NDWI", "MNDWI"] | None = Field(
        None, description="optical only: water index (default MNDWI when SWIR exists, else NDWI)")
    threshold: float | None = Field(
        None, description="fixed threshold (dB for SAR, index value for optical); default Otsu")
    speckle_filter: bool = Field(True, description="SAR only: Lee filter before thresholding")
    min_area_m2: float = Field(0.0, ge=0, description="drop water polygons smaller than this")
    wgs84: bool = Field(False, description="also write the polygons in EPSG:4326")


class MapWaterOutput(ToolResult):
    """Output of map_water."""


@tool_record(MapWaterInput, MapWaterOutput)
def map_water(args: MapWaterInput, ctx: ToolContext) -> MapWaterOutput:
    """Map water / flood extent."""
    raise NotImplementedError("map_water: being implemented")
