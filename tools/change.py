"""``detect_changes``: bi-temporal change between two co-located scenes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record


class DetectChangesInput(BaseModel):
    """Arguments of detect_changes."""

    before: str = Field(description="path of the earlier scene")
    after: str = Field(description="path of the later scene (reprojected onto the before grid "
                       "when grids differ)")
    method: Literal["auto", "cva", "deep"] = Field(
        "auto", description="cva = change vector analysis with Otsu; deep = learned siamese "
        "model (needs weights); auto = deep when weights exist, else cva")
    target: str | None = Field(
        None, description="class of interest, e.g. 'building' (needs a class-aware method)")
    threshold: float | None = Field(None, description="fixed change-magnitude threshold "
                                    "(default Otsu)")
    min_area_m2: float = Field(0.0, ge=0, description="drop change polygons smaller than this")
    wgs84: bool = Field(False, description="also write the polygons in EPSG:4326")


class DetectChangesOutput(ToolResult):
    """Output of detect_changes."""


@tool_record(DetectChangesInput, DetectChangesOutput)
def detect_changes(args: DetectChangesInput, ctx: ToolContext) -> DetectChangesOutput:
    """Detect bi-temporal change."""
    raise NotImplementedError("detect_changes: being implemented")
