"""``trend``: multitemporal trend of a statistic over dated scenes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record


class TrendInput(BaseModel):
    """Arguments of trend."""

    images: list[str] = Field(
        min_length=2, description="one per date: earlier steps ($s1, $s2, ...) or rasters")
    statistic: str = Field(
        "auto", description="which number of each source: auto (the main area or mean), or a "
        "name such as water_area, mean, total, count, area")
    dates: list[str] | None = Field(
        None, description="ISO dates aligned with images (default: parsed from file names or "
        "TIFF tags)")


class TrendOutput(ToolResult):
    """Output of trend."""


@tool_record(TrendInput, TrendOutput)
def trend(args: TrendInput, ctx: ToolContext) -> TrendOutput:
    """Multitemporal trend of a statistic."""
    raise NotImplementedError("trend: being implemented")
