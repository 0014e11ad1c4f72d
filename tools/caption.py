"""``describe_scene``: caption / visual question answering."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import ToolContext, tool_record


class DescribeSceneInput(BaseModel):
    """Arguments of describe_scene."""

    image: str = Field(description="path of the scene")
    question: str | None = Field(None, description="a question about the scene (default: a "
                                 "short caption)")


class DescribeSceneOutput(ToolResult):
    """Answer text."""

    answer: str = ""
    answered_from: str = Field("", description="'vlm' or 'measured facts'")


@tool_record(DescribeSceneInput, DescribeSceneOutput)
def describe_scene(args: DescribeSceneInput, ctx: ToolContext) -> DescribeSceneOutput:
    """Caption a scene or answer a question about it. Needs a VLM backend for visual answers;
    offline it answers from measured facts (metadata, modality, simple statistics) or says why
    it cannot.
    """
    raise NotImplementedError("describe_scene: being implemented")
