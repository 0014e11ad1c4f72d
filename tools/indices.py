"""``spectral_index``: NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record

IndexName = Literal["NDVI", "NDWI", "MNDWI", "NBR", "NDSI", "NDBI", "SAVI", "EVI"]


class SpectralIndexInput(BaseModel):
    """Arguments of spectral_index."""

    image: str = Field(description="path of a multispectral raster")
    index: IndexName = Field(description="index name, upper case")
    threshold: float | None = Field(
        None, description="when given, also write a mask of pixels above it and report its area")
    below: bool = Field(False, description="mask pixels below the threshold instead of above")
    bands: dict[str, int] | None = Field(
        None, description="override band roles, e.g. {\"nir\": 4, \"red\": 3} (1-based)")
    sensor: Literal["sentinel2", "landsat8"] | None = Field(
        None, description="band-order preset when the file does not name its bands")


class SpectralIndexOutput(ToolResult):
    """Output of spectral_index."""


@tool_record(SpectralIndexInput, SpectralIndexOutput)
def spectral_index(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """Compute a spectral index (NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI)."""
    raise NotImplementedError("spectral_index: being implemented")
