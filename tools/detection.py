"""``detect_objects``: YOLO boxes over scenes of any size.

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


@tool_record(DetectObjectsInput, DetectObjectsOutput, requires=DEEP_REQUIRES)
def detect_objects(args: DetectObjectsInput, ctx: ToolContext) -> DetectObjectsOutput:
    """Detect objects (ships, planes, vehicles, storage tanks, buildings, trees...) with a YOLO
    model, horizontal or oriented boxes, tiled over any scene size; returns GeoJSON boxes in the
    scene CRS and the count per class.
    """
    raise NotImplementedError(DEEP_REQUIRES)
