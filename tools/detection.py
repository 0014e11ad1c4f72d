"""``detect_objects`` and ``segment``: YOLO boxes and SAM masks over scenes of any size.

The models come with the deep specialists (YOLO via ultralytics, SAM via segment-anything);
until they are installed and wired these tools are part of the public surface (so plans and
schemas name them) but report that they cannot run.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record

DEEP_REQUIRES = ("the deep specialists (YOLO / SAM) are not part of this installation yet; "
                 "install a release that ships them")


class DetectObjectsInput(BaseModel):
    """Arguments of detect_objects."""

    image: str = Field(description="path of the scene (non-RGB goes through pseudo_rgb first)")
    classes: list[str] | None = Field(
        None, description="canonical class names to keep, e.g. ['ship'] (default: all)")
    min_confidence: float = Field(0.25, ge=0, le=1, description="drop detections below this")
    oriented: bool | None = Field(
        None, description="oriented boxes (DOTA-style OBB); default: the model's own kind")
    model: str | None = Field(None, description="model name or weights file")
    wgs84: bool = Field(False, description="also write the boxes in EPSG:4326")


class DetectObjectsOutput(ToolResult):
    """Boxes as GeoJSON in the scene CRS and counts per class."""

    counts: dict[str, int] = Field(default_factory=dict)


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


@tool_record(DetectObjectsInput, DetectObjectsOutput, requires=DEEP_REQUIRES)
def detect_objects(args: DetectObjectsInput, ctx: ToolContext) -> DetectObjectsOutput:
    """Detect objects (ships, planes, vehicles, storage tanks, buildings, trees...) with a YOLO
    model, horizontal or oriented boxes, tiled over any scene size; returns GeoJSON boxes in the
    scene CRS and the count per class.
    """
    raise NotImplementedError(DEEP_REQUIRES)


@tool_record(SegmentInput, SegmentOutput, requires=DEEP_REQUIRES)
def segment(args: SegmentInput, ctx: ToolContext) -> SegmentOutput:
    """Segment objects with SAM from box prompts (e.g. a detect_objects result), point prompts,
    class names (detect then segment) or everything; returns a mask GeoTIFF, polygons and the
    area of each object in m².
    """
    raise NotImplementedError(DEEP_REQUIRES)
