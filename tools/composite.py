"""``pseudo_rgb``: SAR / hyperspectral / multispectral to a 3-band 8-bit composite."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record


class PseudoRgbInput(BaseModel):
    """Arguments of pseudo_rgb."""

    image: str = Field(description="path of the raster file")
    mode: Literal["auto", "sar", "hsi", "multispectral", "pca", "recombine"] = Field(
        "auto", description="auto picks from the modality; pca = first three principal "
        "components; recombine = consecutive 3-band group number `group` (REO-VLM style)")
    bands: list[int] | None = Field(None, description="three 1-based band indices for R, G, B")
    wavelengths_nm: list[float] | None = Field(
        None, description="three wavelengths in nm; the bands nearest them become R, G, B")
    composite: Literal["true_color", "false_color", "swir"] | None = Field(
        None, description="multispectral preset: true colour, colour-infrared, or SWIR")
    stretch: Literal["percentile", "minmax", "none"] = Field(
        "percentile", description="contrast stretch to 0-255 (percentile = 2-98 %)")
    speckle_filter: bool = Field(False, description="SAR only: apply a Lee filter first")
    group: int = Field(0, ge=0, description="recombine only: which 3-band group (0-based)")


class PseudoRgbOutput(ToolResult):
    """Output of pseudo_rgb."""


@tool_record(PseudoRgbInput, PseudoRgbOutput)
def pseudo_rgb(args: PseudoRgbInput, ctx: ToolContext) -> PseudoRgbOutput:
    """Composite SAR, hyperspectral or multispectral scenes into a 3-band 8-bit RGB GeoTIFF on the same grid
    that RGB models accept."""
    raise NotImplementedError("pseudo_rgb: being implemented")
