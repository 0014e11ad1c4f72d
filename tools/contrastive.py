"""``classify_scene`` and ``search_images``: CLIP-family zero-shot classification and retrieval."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import PATH_FIELD, ToolContext, tool_record

CLIP_REQUIRES = ("the CLIP-family specialists (RemoteCLIP / GeoRSCLIP) are not part of this "
                 "installation yet; install a release that ships them")


class ClassifySceneInput(BaseModel):
    """Arguments of classify_scene."""

    images: list[str] = Field(min_length=1, description="scenes (or tiles) to classify",
                              json_schema_extra=PATH_FIELD)
    labels: list[str] | None = Field(
        None, description="candidate labels (default: a standard remote-sensing scene vocabulary)")
    top_k: int = Field(3, ge=1, description="labels to report per image")


class ClassifySceneOutput(ToolResult):
    """Top labels with scores per image and counts per label."""


class SearchImagesInput(BaseModel):
    """Arguments of search_images."""

    query: str = Field(description="what to look for, in words")
    archive: str = Field(description="folder, glob, index name, or a large scene to cut in tiles",
                         json_schema_extra=PATH_FIELD)
    top_k: int = Field(10, ge=1, description="how many hits to return")


class SearchImagesOutput(ToolResult):
    """Ranked scenes or tiles with scores and footprints."""


@tool_record(ClassifySceneInput, ClassifySceneOutput, requires=CLIP_REQUIRES)
def classify_scene(args: ClassifySceneInput, ctx: ToolContext) -> ClassifySceneOutput:
    """Classify scenes zero-shot into land-use / scene labels (CLIP family): top labels with
    scores per image and counts per label across images.
    """
    raise NotImplementedError(CLIP_REQUIRES)


@tool_record(SearchImagesInput, SearchImagesOutput, requires=CLIP_REQUIRES)
def search_images(args: SearchImagesInput, ctx: ToolContext) -> SearchImagesOutput:
    """Find the scenes of an archive, or the tiles of a large scene, that best match a text
    query: ranked hits with scores and footprints.
    """
    raise NotImplementedError(CLIP_REQUIRES)
