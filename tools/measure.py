"""``measure``: numbers with units from earlier artifacts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record

Statistic = Literal["count", "area", "mean", "sum", "min", "max", "length"]


class MeasureInput(BaseModel):
    """Arguments of measure."""

    source: str = Field(description="an earlier step ($s1) or a GeoJSON / mask / raster file")
    statistic: Statistic = Field(description="count, area, mean, sum, min, max or length")
    attribute: str | None = Field(
        None, description="vector property the statistic reads (default: area_m2 for "
        "mean/sum/min/max of polygons, length_m for length)")
    image: str | None = Field(
        None, description="zonal statistics: raster whose values are summarised inside the "
        "source mask or polygons")
    classes: list[str] | None = Field(None, description="keep only these object classes")
    min_area_m2: float | None = Field(None, ge=0, description="keep objects at least this large")
    max_area_m2: float | None = Field(None, ge=0, description="keep objects at most this large")
    min_length_m: float | None = Field(None, ge=0, description="keep objects at least this long")
    min_confidence: float | None = Field(None, ge=0, le=1, description="keep detections at "
                                         "least this confident")
    units: Literal["m2", "ha", "km2"] | None = Field(None, description="area unit of the answer")


class MeasureOutput(ToolResult):
    """Output of measure."""


@tool_record(MeasureInput, MeasureOutput)
def measure(args: MeasureInput, ctx: ToolContext) -> MeasureOutput:
    """Measure numbers with units from earlier artifacts."""
    raise NotImplementedError("measure: being implemented")
