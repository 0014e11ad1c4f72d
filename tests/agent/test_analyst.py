"""The Python API (Analyst), LangChain tool binding, and the langgraph.json graph factory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent import Analyst
from agent.sandbox import Sandbox
from agent.serve.server_graph import make_graph
from agent.state import AgentResult
from tests.conftest import write_tiff
from tools.catalog import as_langchain_tools, run_tool
from tools.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SAR = "sar/sen1floods11_Spain_7370579_S1Hand.tif"


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    """A small water/land SAR-like scene (dB) inside a data root."""
    data = np.full((64, 64), -8.0, dtype=np.float32)
    data[:, :32] = -22.0
    (tmp_path / "data").mkdir()
    return write_tiff(tmp_path / "data" / "s1.tif", data, descriptions=["VV"])


@pytest.mark.realdata
def test_analyst_round_trip_matches_the_tool(data_dir: Path, tmp_path: Path) -> None:
    analyst = Analyst(workspace=tmp_path / "ws", sandbox=True)  # data_dir is a default root
    result = analyst.ask("How much open water is there?", images=[SAR])
    assert isinstance(result, AgentResult) and result.ok, result.errors
    area = next(n for n in result.numbers if n.name == "water_area")
    direct = run_tool("map_water", {"image": str(data_dir / SAR)}, tmp_path / "d").result
    assert area.value == pytest.approx(direct.numbers()["water_area"].value)
    assert area.unit == "ha" and "ha" in result.answer
    assert any(a.kind == "mask" and Path(str(a.path)).is_file() for a in result.artifacts)
    tool = analyst.run_tool("map_water", image=SAR)
    assert tool.numbers()["water_area"].value == pytest.approx(area.value)
    flow = analyst.run_workflow(ROOT / "examples" / "workflows" / "water_area.yaml", image=SAR)
    got = next(n for n in flow.numbers if n.name == "water_area")
    assert got.value == pytest.approx(area.value)
    assert analyst.artifacts()


@pytest.mark.parametrize("value", ["../outside.tif", "/etc/passwd", "http://x/a.tif", "~/a.tif",
                                   "link.tif"])
def test_analyst_with_sandbox_refuses_traversal(tmp_path: Path, scene: Path, value: str) -> None:
    write_tiff(tmp_path / "outside.tif", np.ones((4, 4), dtype=np.uint8))
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "link.tif").symlink_to(tmp_path / "outside.tif")
    analyst = Analyst(tmp_path / "ws", sandbox=Sandbox(tmp_path / "ws", [tmp_path / "data"]))
    with pytest.raises(InputError, match="refused"):
        analyst.ask("How much water is there?", images=[value])
    with pytest.raises(InputError, match=r"^image: .*refused"):
        analyst.run_tool("describe_raster", image=value)
    with pytest.raises(InputError, match="refused"):
        analyst.run_workflow(ROOT / "examples" / "workflows" / "water_area.yaml", image=value)


def test_analyst_without_sandbox_reads_paths_as_given(tmp_path: Path, scene: Path) -> None:
    analyst = Analyst(tmp_path / "ws")
    result = analyst.ask("How much open water is there?", images=[str(scene)])
    assert result.ok, result.errors
    assert next(n for n in result.numbers if n.name == "water_area").value == pytest.approx(
        64 * 32 * 100 / 10_000, rel=0.1)
    assert "Analyst(" in repr(analyst)


def test_sandboxed_plan_step_with_a_literal_outside_path_fails_that_step(
        tmp_path: Path, scene: Path) -> None:
    class Literal:
        name = "literal"

        def plan(self, request: str, scenes: Sequence[Any] = ()) -> Any:
            from agent.plan import Plan, PlanStep

            return Plan(request=request, steps=[
                PlanStep(id="s1", tool="describe_raster", args={"image": "/etc/hosts"})])

    analyst = Analyst(tmp_path / "ws", planner=Literal(), sandbox=Sandbox(tmp_path / "ws", []))
    result = analyst.ask("describe it")
    assert not result.ok and "refused" in result.errors[0]


class ToolCallingFake(FakeMessagesListChatModel):
    """A chat model that replays scripted messages and accepts ``bind_tools``."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        """Tools are ignored: the script already holds the tool call."""
        return self


def test_langchain_tools_in_a_fake_chat_model_loop(tmp_path: Path, scene: Path) -> None:
    tools = {t.name: t for t in as_langchain_tools(tmp_path / "ws")}
    assert "map_water" in tools and tools["map_water"].args_schema is not None
    model = ToolCallingFake(responses=[
        AIMessage(content="", tool_calls=[{"id": "c1", "name": "map_water",
                                           "args": {"image": str(scene)}}]),
        AIMessage(content="done"),
    ]).bind_tools(list(tools.values()))
    messages: list[BaseMessage] = [HumanMessage(content="map the water")]
    reply = model.invoke(messages)
    for call in reply.tool_calls:
        output = tools[call["name"]].invoke(call["args"])
        messages += [reply, ToolMessage(content=output, tool_call_id=call["id"])]
    assert model.invoke(messages).content == "done"
    payload = json.loads(str(messages[-1].content))
    numbers = {a["name"]: a for a in payload["artifacts"] if a["kind"] == "number"}
    assert numbers["water_area"]["units"] == "ha" and numbers["water_area"]["value"] > 0
    assert tools["describe_raster"].invoke({"image": str(tmp_path / "nope.tif")}).startswith(
        "error:")


def test_analyst_langchain_tools_are_sandboxed(tmp_path: Path, scene: Path) -> None:
    analyst = Analyst(tmp_path / "ws", sandbox=Sandbox(tmp_path / "ws", [tmp_path / "data"]))
    tools = {t.name: t for t in analyst.langchain_tools()}
    assert "refused" in tools["describe_raster"].invoke({"image": "/etc/passwd"})
    described = json.loads(tools["describe_raster"].invoke({"image": "s1.tif"}))
    assert "summary" in described


def test_langgraph_json_points_at_a_factory_that_builds_and_invokes(
        tmp_path: Path, scene: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    target = config["graphs"]["earthsight"]
    module_file, _, name = target.partition(":")
    assert (ROOT / module_file).is_file() and name == "make_graph"
    monkeypatch.setenv("EARTHSIGHT_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("EARTHSIGHT_DATA_ROOTS", str(tmp_path / "data"))
    graph = make_graph()
    from agent.plan import Scene

    final = graph.invoke({"request": "How much open water is there?", "messages": [],
                          "scenes": [Scene(path=str(scene))], "workspace": str(tmp_path / "ws")})
    assert final["plan"].steps and "ha" in final["answer"]
    outside = graph.invoke({"request": "How much open water is there?", "messages": [],
                            "scenes": [Scene(path="/etc/hosts")],
                            "workspace": str(tmp_path / "ws")})
    assert any("refused" in e for e in outside["errors"])
