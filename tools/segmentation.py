"""``segment``: SAM masks from box prompts, point prompts, class names, or everything."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.detection import DEEP_REQUIRES
from tools.registry import ToolContext, tool_record


class SegmentInput(BaseModel):
    """Arguments of segment."""

    image: str = Field(description="path of the scene")
    boxes: str | None = Field(None, description="box prompts: an earlier detect_objects step "
                              "($s1) or a GeoJSON of boxes")
    points: list[list[float]] | None = Field(
        None, description="point prompts as [x, y] in the scene CRS")
    classes: list[str] | None = Field(
        None, description="class names to detect and then segment")
    everything: bool = Field(False, description="automatic masks for everything in the scene")
    model: str | None = Field(None, description="SAM variant or weights file")


class SegmentOutput(ToolResult):
    """Mask GeoTIFF (instance ids) and polygons with areas."""


@tool_record(SegmentInput, SegmentOutput, requires=DEEP_REQUIRES)
def segment(args: SegmentInput, ctx: ToolContext) -> SegmentOutput:
    """Segment objects with SAM from box prompts (e.g. a detect_objects result), point prompts,
    class names (detect then segment) or everything; returns a mask GeoTIFF, polygons and the
    area of each object in m².
    """
    raise NotImplementedError(DEEP_REQUIRES)
