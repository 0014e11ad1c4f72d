"""A fake scene describer, a small scene, and a fake configured LLM for the wiring tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage

from tests.agent.llm_fakes import ScriptedChatModel, scripted
from tests.conftest import write_tiff
from tools.core.registry import DescribeRequest

QUESTION = "What does this scene show?"
CONFIGURED_ANSWER = "A configured model sees bright fields in the west."


DESCRIBE_FLOW = """\
name: caption
inputs:
  image: {type: image}
steps:
  - id: caption
    tool: describe_scene
    args: {image: $image, question: "What does this scene show?"}
"""
"""A one-step workflow that asks describe_scene about its image input."""


class FakeDescriber:
    """Answers every request with a fixed text and records what it was asked."""

    def __init__(self, answer: str = "The fake VLM sees a harbour.") -> None:
        self.answer = answer
        self.requests: list[DescribeRequest] = []

    def __call__(self, request: DescribeRequest) -> str:
        self.requests.append(request)
        return self.answer


def make_scene(folder: Path, name: str = "scene.tif") -> Path:
    """A 32 x 32 three-band scene (bright west half) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = np.full((3, 32, 32), 500, dtype="uint16")
    data[0, :, :16] = 900
    return write_tiff(folder / name, data, descriptions=["B4", "B3", "B2"])


def configure_llm(monkeypatch: pytest.MonkeyPatch) -> ScriptedChatModel:
    """Configure EarthSight's LLM on purpose (``EARTHSIGHT_LLM_MODEL``) with a fake chat model
    behind it; returns that model (its ``prompts`` record what it was sent)."""
    model = scripted(AIMessage(content=CONFIGURED_ANSWER))
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-vlm")
    monkeypatch.setattr("agent.llm.config.make_chat_model", lambda config: model)
    return model
