"""describe_scene through the graph with the LLM planner's chat model as its describer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agent.graph import run_request
from agent.llm.describe import ChatDescriber
from agent.planners.llm import LLMPlanner
from agent.planners.offline import OfflinePlanner
from agent.runtime import choose_describer
from agent.sandbox import Sandbox
from tests.agent.llm_fakes import call, calls, scripted
from tests.conftest import write_tiff


@pytest.mark.parametrize("images", [False, True])
def test_graph_describes_with_the_planner_chat_model(tmp_path: Path, images: bool) -> None:
    (tmp_path / "data").mkdir()
    data = np.full((3, 32, 32), 500, dtype="uint16")
    data[0, :, :16] = 900
    scene = write_tiff(tmp_path / "data" / "scene.tif", data, descriptions=["B4", "B3", "B2"])
    model = scripted(calls(call("describe_scene", "a", image="$image",
                                question="What does this scene show?")),
                     calls(call("finish")),
                     AIMessage(content="Mostly bright fields in the west."))
    planner = LLMPlanner(model, images=images,
                         sandbox=Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"]))
    describer = choose_describer(planner)
    assert isinstance(describer, ChatDescriber) and describer.chat_model is model
    result = run_request("describe the scene", [scene], tmp_path / "ws", planner,
                         describer=describer)
    assert result.ok, result.errors
    step = result.steps[0]
    assert step.tool == "describe_scene" and "bright fields" in step.summary
    # the describer's prompt: the question, the measured facts and (vision) the thumbnail
    prompt = model.prompts[-1][-1]
    assert isinstance(prompt, HumanMessage)
    text = str(prompt.content)
    assert "What does this scene show?" in text and "32 x 32 pixels" in text
    assert ("data:image/png;base64," in text) is images
    saved = json.loads(Path(step.result_path or "").read_text(encoding="utf-8"))
    expected = "vlm" if images else "llm (from measured facts)"
    assert saved["result"]["answered_from"] == expected


def test_only_the_llm_planner_gets_a_describer() -> None:
    assert choose_describer(OfflinePlanner()) is None
