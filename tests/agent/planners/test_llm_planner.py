"""The LLM planner with a scripted tool-calling model: guard rails, retries, fallback, config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.graph import run_request
from agent.llm.config import LLMConfig, load_config, make_chat_model
from agent.plan import Scene
from agent.planners.llm import LLMPlanner
from agent.planners.llm_context import quicklook_png, tool_specs
from agent.planners.shared import get_planner
from agent.planners.validate import check_plan
from agent.sandbox import Sandbox
from tests.agent.llm_fakes import call, calls, scripted
from tests.conftest import write_tiff

SHIPS = "how many ships are in this scene?"


def planner(model: object, tmp_path: Path, **kwargs: object) -> LLMPlanner:
    return LLMPlanner(model, sandbox=Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"]),
                      **kwargs)  # type: ignore[arg-type]


def tool_errors(model: object) -> list[str]:
    prompts = model.prompts  # type: ignore[attr-defined]
    return [str(m.content) for m in prompts[-1] if isinstance(m, ToolMessage)
            and str(m.content).startswith("error")]


def test_tool_specs_come_from_the_catalog() -> None:
    names = [s["function"]["name"] for s in tool_specs()]
    assert names[-2:] == ["finish", "decline"]
    assert {"detect_objects", "measure", "segment"} <= set(names)
    measure = next(s for s in tool_specs() if s["function"]["name"] == "measure")
    assert "x-earthsight-path" not in str(measure)
    assert measure["function"]["parameters"]["required"] == ["source", "statistic"]


def test_valid_plan(tmp_path: Path) -> None:
    model = scripted(calls(call("detect_objects", "a", image="$image", classes=["ship"]),
                           call("measure", "b", source="$s1", statistic="count")),
                     calls(call("finish")))
    plan = planner(model, tmp_path).plan(SHIPS)
    assert [s.tool for s in plan.steps] == ["detect_objects", "measure"]
    assert plan.steps[1].args == {"source": "$s1", "statistic": "count"}
    assert check_plan(plan) is plan and not plan.notes
    first = model.prompts[0]
    assert "planner of EarthSight" in str(first[0].content)
    assert SHIPS in str(first[1].content)


def test_invalid_args_go_back_and_the_fix_is_used(tmp_path: Path) -> None:
    model = scripted(calls(call("detect_objects", "a", image="$image", classes=["ship"]),
                           call("measure", "b", source="$s1", statistic="volume")),
                     calls(call("measure", "c", source="$s1", statistic="count")),
                     calls(call("finish")))
    plan = planner(model, tmp_path).plan(SHIPS)
    assert [s.id for s in plan.steps] == ["s1", "s2"]
    assert plan.steps[1].args["statistic"] == "count"
    errors = tool_errors(model)
    assert len(errors) == 1 and "statistic" in errors[0]


def test_hallucinated_tools_and_wrong_types_fall_back_to_offline(tmp_path: Path) -> None:
    model = scripted(calls(call("count_ships", image="$image")),
                     calls(call("detect_objects", image="$image", min_confidence="high")),
                     calls(call("measure", source="$s9", statistic="count")))
    plan = planner(model, tmp_path, max_retries=2).plan(SHIPS)
    assert plan.notes and "offline planner planned" in plan.notes[0]
    assert "detect_objects" in [s.tool for s in plan.steps]
    errors = tool_errors(model)
    assert any("no tool called 'count_ships'" in e for e in errors)
    assert any("min_confidence" in e for e in errors)


def test_a_repeated_call_ends_the_plan(tmp_path: Path) -> None:
    model = scripted(calls(call("detect_objects", "a", image="$image", classes=["road"])),
                     calls(call("detect_objects", "b", image="$image", classes=["road"])),
                     calls(call("decline", reason="never asked")))
    plan = planner(model, tmp_path).plan("is there a road?")
    assert [s.tool for s in plan.steps] == ["detect_objects"] and plan.declined is None
    assert len(model.prompts) == 2 and not plan.notes


def test_paths_outside_the_roots_are_refused(tmp_path: Path) -> None:
    model = scripted(calls(call("describe_raster", image="/etc/passwd")),
                     calls(call("describe_raster", image="../secret.tif")),
                     calls(call("describe_raster", image="$image"), call("finish")))
    plan = planner(model, tmp_path).plan("describe it")
    assert plan.steps[0].args == {"image": "$image"}
    errors = tool_errors(model)
    assert len(errors) == 2 and all("refused" in e for e in errors)


def test_a_given_scene_may_be_named_by_path(tmp_path: Path) -> None:
    scene = str(tmp_path / "elsewhere" / "scene.tif")
    model = scripted(calls(call("describe_raster", image=scene), call("finish")))
    plan = planner(model, tmp_path).plan("describe it", [Scene(path=scene)])
    assert plan.steps[0].args["image"] == scene


def test_decline_and_silence(tmp_path: Path) -> None:
    model = scripted(calls(call("decline", reason="weather is out of scope")))
    assert planner(model, tmp_path).plan("will it rain?").declined == "weather is out of scope"
    silent = scripted(AIMessage(content="I think there are 3 ships."))
    plan = planner(silent, tmp_path, max_retries=0).plan(SHIPS)
    assert "replied without calling a tool" in plan.notes[0]


def test_a_failing_model_falls_back(tmp_path: Path) -> None:
    class Broken:
        def bind_tools(self, tools: object) -> Broken:
            return self

        def invoke(self, messages: object) -> AIMessage:
            raise ConnectionError("connection refused")

    plan = planner(Broken(), tmp_path).plan(SHIPS)
    assert "connection refused" in plan.notes[0] and plan.steps


def test_the_graph_runs_with_the_llm_planner(tmp_path: Path) -> None:
    model = scripted(calls(call("detect_objects", image="$image", classes=["ship"])),
                     calls(call("finish")))
    p = get_planner("llm", chat_model=model, workspace=str(tmp_path / "ws"))
    result = run_request(SHIPS, [], tmp_path / "ws", p, dry_run=True)
    assert [s.tool for s in result.plan.steps] == ["detect_objects"]


def test_history_and_thumbnails_reach_the_model(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (3, 600, 400)).astype("uint8")
    (tmp_path / "data").mkdir()
    scene = write_tiff(tmp_path / "data" / "rgb.tif", rgb)
    png = quicklook_png(scene, max_size=64)
    assert png is not None and png.startswith(b"\x89PNG")
    model = scripted(calls(call("describe_raster", image="$image"), call("finish")))
    history = [HumanMessage(content="earlier question"), AIMessage(content="earlier answer")]
    planner(model, tmp_path, images=True).plan("describe it", [Scene(path=str(scene))],
                                               history=history)
    first = model.prompts[0]
    assert first[1].content == "earlier question"
    blocks: Any = first[3].content
    assert isinstance(blocks, list)
    assert "600" in blocks[0]["text"] or "400 x 600" in blocks[0]["text"]
    assert blocks[-1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_config_precedence_and_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "earthsight.toml").write_text(
        '[llm]\nbackend = "ollama"\nmodel = "from-file"\nimages = true\n', encoding="utf-8")
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "from-env")
    config = load_config({"base_url": "http://127.0.0.1:9/v1", "backend": None}, cwd=tmp_path)
    assert (config.backend, config.model, config.images) == ("ollama", "from-env", True)
    assert config.base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("EARTHSIGHT_LLM_API_KEY", "sk-secret")
    assert config.api_key() == "sk-secret" and "sk-secret" not in str(config.public())
    (tmp_path / "earthsight.toml").write_text('[llm]\napi_key = "sk-x"\n', encoding="utf-8")
    with pytest.raises(Exception, match="API keys may not be stored"):
        load_config(cwd=tmp_path)
    with pytest.raises(Exception, match="needs a model name"):
        make_chat_model(LLMConfig(backend="openai"))
