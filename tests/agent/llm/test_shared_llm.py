"""One LLM planner and one chat model per configuration, shared by every session of a server.

The planner checks the model's file arguments against the sandbox of the session each plan is
for (it is handed in per call), and the configured ``describe_scene`` describer takes its chat
model from the same cache as the planner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agent.plan import ContextPlanner, Plan, plan_request
from agent.planners import shared as jobs
from agent.planners.llm import LLMPlanner
from agent.runtime import make_runtime
from agent.sandbox import Sandbox
from agent.session.session import Session
from tests.agent.describer_fakes import CONFIGURED_ANSWER, QUESTION, make_scene
from tests.agent.llm_fakes import ScriptedChatModel, call, calls, scripted


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./earthsight.toml; the planner's own default sandbox here


class Factory:
    """Stands in for ``make_chat_model``: counts the models made; each replies with ``script``."""

    def __init__(self, *script: AIMessage) -> None:
        self.script = script
        self.models: list[ScriptedChatModel] = []

    def __call__(self, config: Any) -> ScriptedChatModel:
        self.models.append(scripted(*self.script))
        return self.models[-1]


def use(monkeypatch: pytest.MonkeyPatch, *script: AIMessage) -> Factory:
    """Configure an LLM on purpose, made by a counting factory replying with ``script``."""
    factory = Factory(*script)
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-shared")
    monkeypatch.setattr("agent.llm.config.make_chat_model", factory)
    return factory


def tool_replies(prompt: list[BaseMessage]) -> list[str]:
    return [str(m.content) for m in prompt if isinstance(m, ToolMessage)]


def other_then_own(own: Path, other: Path) -> list[AIMessage]:
    """A plan that first names the other session's file, then its own."""
    return [calls(call("describe_raster", image=str(other))),
            calls(call("describe_raster", image=str(own))), calls(call("finish"))]


# --- the sandbox is the session's ---------------------------------------------------------------

def test_plan_request_hands_context_only_to_context_planners(tmp_path: Path) -> None:
    class Plain:
        name = "plain"

        def plan(self, request: str, scenes: Any = ()) -> Plan:
            return Plan(request=request, notes=["plain"])

    assert plan_request(Plain(), "x", sandbox=Sandbox(tmp_path)).notes == ["plain"]
    assert not isinstance(Plain(), ContextPlanner)
    assert isinstance(LLMPlanner(scripted()), ContextPlanner)


def test_a_shared_planner_checks_each_ask_against_its_own_sandbox(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_scene(tmp_path / "ws_a", "a.tif")
    b = make_scene(tmp_path / "ws_b", "b.tif")
    factory = use(monkeypatch, *other_then_own(a, b), *other_then_own(b, a))
    results = [make_runtime(tmp_path / ws, planner="llm", sandbox=Sandbox(tmp_path / ws)).ask(
        "describe the raster", []) for ws in ("ws_a", "ws_b")]
    assert len(factory.models) == 1  # one cached planner (and model) served both workspaces
    prompts = factory.models[0].prompts
    for result, own, other, retry in ((results[0], a, b, prompts[1]),
                                      (results[1], b, a, prompts[4])):
        assert result.ok, result.errors
        assert [s.args["image"] for s in result.plan.steps] == [str(own)]
        assert not result.plan.notes  # the model's plan, no fallback
        error = tool_replies(retry)[-1]
        assert error.startswith("error: image") and str(other) in error
        assert "lies outside every root" in error and str(own.parent) in error
    assert tool_replies(prompts[2])[-1].startswith("ok: added step s1")  # own file accepted


def test_chat_sessions_hand_their_sandbox_to_the_planner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_scene(tmp_path / "ws_a", "a.tif")
    b = make_scene(tmp_path / "ws_b", "b.tif")
    factory = use(monkeypatch, *other_then_own(a, b), *other_then_own(b, a))
    planner = jobs.load_planner("llm")
    outcomes = []
    for ws in ("ws_a", "ws_b"):
        session = Session("s", tmp_path / ws, planner, auto_approve=True,
                          sandbox=Sandbox(tmp_path / ws))
        try:
            outcomes.append(session.ask("describe the raster", images=[]))
        finally:
            session.close()
    for outcome, own in zip(outcomes, (a, b), strict=True):
        assert outcome.plan is not None and not outcome.plan.notes
        assert [s.args["image"] for s in outcome.plan.steps] == [str(own)]
    errors = [tool_replies(factory.models[0].prompts[i])[-1] for i in (1, 4)]
    assert str(b) in errors[0] and str(a) in errors[1]


def test_without_a_sandbox_the_planner_uses_its_own(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "data", "x.tif")
    model = scripted(calls(call("describe_raster", image=str(scene))), calls(call("finish")))
    own = Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"])
    plan = LLMPlanner(model, sandbox=own).plan("describe")
    assert [s.args["image"] for s in plan.steps] == [str(scene)]


# --- one chat model per configuration -----------------------------------------------------------

def test_http_ask_and_describe_scene_share_one_chat_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from agent.serve import http_api
    from tests.agent.api_client import TOKEN, api_client, workspace_of

    factory = use(monkeypatch, calls(call("describe_raster", image="scene.tif")),
                  calls(call("finish")), AIMessage(content=CONFIGURED_ANSWER))
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)
    with api_client(app) as client:
        session = client.post("/sessions").json()
        make_scene(workspace_of(app, session))
        base = f"/sessions/{session['session_id']}"
        ask = client.post(f"{base}/ask", json={"request": "describe the raster",
                                               "images": ["scene.tif"], "planner": "llm"})
        last = json.loads(ask.text.splitlines()[-1])
        assert last["event"] == "result" and last["ok"], last
        tool = client.post(f"{base}/tools/describe_scene",
                           json={"args": {"image": "scene.tif", "question": QUESTION}})
        assert tool.status_code == 200, tool.text
    assert tool.json()["answer"] == CONFIGURED_ANSWER
    assert len(factory.models) == 1 and len(factory.models[0].prompts) == 3


def test_mcp_describe_scene_then_ask_share_one_chat_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mcp = pytest.importorskip("mcp")
    from agent.serve.mcp_server import build_server

    factory = use(monkeypatch, AIMessage(content=CONFIGURED_ANSWER),
                  calls(call("describe_raster", image="scene.tif")), calls(call("finish")))
    make_scene(tmp_path / "ws")
    server = build_server(tmp_path / "ws", planner="llm")

    async def main() -> tuple[Any, Any]:
        with anyio.fail_after(60):
            async with mcp.Client(server) as client:
                tool = await client.call_tool("describe_scene", {"image": "scene.tif",
                                                                 "question": QUESTION})
                ask = await client.call_tool("ask", {"request": "describe the raster",
                                                     "images": ["scene.tif"]})
                return tool, ask

    tool, ask = anyio.run(main)
    assert not tool.is_error and not ask.is_error, (tool.content, ask.content)
    assert tool.structured_content["answer"] == CONFIGURED_ANSWER
    assert len(factory.models) == 1 and len(factory.models[0].prompts) == 3
