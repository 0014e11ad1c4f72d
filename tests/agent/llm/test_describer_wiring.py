"""describe_scene's describer: one rule (agent.runtime.choose_describer) through chat, the
Python API, workflows and the server graph."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agent import Analyst
from agent.llm.config import explicit_config
from agent.llm.describe import ChatDescriber, ConfiguredDescriber, configured_describer
from agent.plan import Scene
from agent.planners.llm import LLMPlanner
from agent.planners.offline import OfflinePlanner
from agent.runtime import choose_describer, make_runtime
from agent.sandbox import Sandbox
from agent.session.session import Session
from tests.agent.describer_fakes import (
    CONFIGURED_ANSWER,
    DESCRIBE_FLOW,
    QUESTION,
    FakeDescriber,
    configure_llm,
    make_scene,
)
from tests.agent.llm_fakes import call, calls, scripted


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./earthsight.toml of the repository's checkout


def llm_planner(tmp_path: Path, answer: str = "The planner's model sees bright fields.",
                ) -> LLMPlanner:
    """An LLM planner whose scripted model plans describe_scene, then answers it."""
    model = scripted(calls(call("describe_scene", "a", image="$image", question=QUESTION)),
                     calls(call("finish")), AIMessage(content=answer))
    return LLMPlanner(model, sandbox=Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"]))


def saved(step: Any) -> dict[str, Any]:
    """The result record a step wrote."""
    data: dict[str, Any] = json.loads(Path(step.result_path).read_text(encoding="utf-8"))
    return dict(data["result"])


# --- configuration and the choice ---------------------------------------------------------------

def test_explicit_config_needs_a_backend_or_model(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert explicit_config(tmp_path) is None and configured_describer(tmp_path) is None
    (tmp_path / "earthsight.toml").write_text("[llm]\nimages = true\n", encoding="utf-8")
    assert explicit_config(tmp_path) is None  # settings alone configure no model
    (tmp_path / "earthsight.toml").write_text('[llm]\nmodel = "qwen2.5-vl"\nimages = true\n',
                                              encoding="utf-8")
    config = explicit_config(tmp_path)
    assert config is not None and config.model == "qwen2.5-vl" and config.images
    (tmp_path / "earthsight.toml").unlink()
    monkeypatch.setenv("EARTHSIGHT_LLM_BACKEND", "ollama")
    described = configured_describer(tmp_path)
    assert isinstance(described, ConfiguredDescriber) and described.chat_model is None


def test_configured_describer_makes_its_model_on_first_use(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = configure_llm(monkeypatch)
    described = configured_describer()
    assert isinstance(described, ConfiguredDescriber) and described.chat_model is None
    analyst_answer = Analyst(describer=described).run_tool(
        "describe_scene", image=str(make_scene(Path("data"))), question=QUESTION)
    assert described.chat_model is model and analyst_answer.summary == CONFIGURED_ANSWER


def test_choose_describer_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Injected, else the LLM planner's model, else the configured LLM, else none."""
    injected = FakeDescriber("injected")
    planner = llm_planner(tmp_path)
    assert choose_describer(planner, injected) is injected
    from_planner = choose_describer(planner)
    assert isinstance(from_planner, ChatDescriber)
    assert from_planner.chat_model is planner.chat_model
    assert choose_describer(OfflinePlanner()) is None and choose_describer(None) is None
    named = choose_describer("llm", llm={"backend": "ollama", "model": "m"})
    assert isinstance(named, ConfiguredDescriber) and named.config.model == "m"
    configure_llm(monkeypatch)
    for planner_or_none in (OfflinePlanner(), "offline", None):
        assert isinstance(choose_describer(planner_or_none), ConfiguredDescriber)
    assert choose_describer(OfflinePlanner(), injected) is injected


def test_every_entry_point_follows_the_one_rule(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same configuration gives the same describer kind through every runtime."""
    configure_llm(monkeypatch)
    for runtime in (make_runtime(tmp_path / "a"), make_runtime(tmp_path / "b", sandbox=True),
                    Analyst(workspace=tmp_path / "c").runtime):
        assert isinstance(runtime.describer, ConfiguredDescriber)


# --- Python API ---------------------------------------------------------------------------------

def test_analyst_describes_with_its_llm_planner(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "data")
    analyst = Analyst(workspace=tmp_path / "ws", planner=llm_planner(tmp_path))
    assert isinstance(analyst.describer, ChatDescriber)
    result = analyst.ask("describe the scene", images=[scene])
    assert result.ok, result.errors
    assert "planner's model" in result.steps[0].summary
    assert saved(result.steps[0])["answered_from"] == "llm (from measured facts)"


def test_analyst_injected_describer_reaches_every_call(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "data")
    fake = FakeDescriber()
    analyst = Analyst(workspace=tmp_path / "ws", describer=fake)
    tool = analyst.run_tool("describe_scene", image=str(scene), question=QUESTION)
    assert tool.summary == fake.answer
    asked = analyst.ask(QUESTION, images=[scene])  # the offline planner plans describe_scene
    assert asked.steps[0].tool == "describe_scene" and asked.steps[0].summary == fake.answer
    flow = tmp_path / "caption.yaml"
    flow.write_text(DESCRIBE_FLOW, encoding="utf-8")
    assert analyst.run_workflow(flow, image=str(scene)).steps[0].summary == fake.answer
    batch = analyst.run_batch(flow, str(tmp_path / "data"))
    assert [row.status for row in batch.rows] == ["ok"]
    lc_tool = next(t for t in analyst.langchain_tools() if t.name == "describe_scene")
    assert json.loads(lc_tool.invoke({"image": str(scene)}))["answer"] == fake.answer
    assert len(fake.requests) == 5 and fake.requests[0].question == QUESTION
    assert "32 x 32 pixels" in fake.requests[0].facts


def test_analyst_without_a_describer_answers_from_facts(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "data")
    analyst = Analyst(workspace=tmp_path / "ws")
    assert analyst.describer is None  # nothing configured
    result = analyst.run_tool("describe_scene", image=str(scene), question=QUESTION)
    assert result.model_dump()["answered_from"] == "measured facts"


def test_analyst_uses_the_configured_llm_like_every_interface(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_llm(monkeypatch)
    scene = make_scene(tmp_path / "data")
    result = Analyst(workspace=tmp_path / "ws").run_tool("describe_scene", image=str(scene),
                                                        question=QUESTION)
    assert result.summary == CONFIGURED_ANSWER


# --- chat ---------------------------------------------------------------------------------------

class FakeConsole:
    """Feeds input lines to ``earthsight chat`` and collects what it prints."""

    def __init__(self, lines: list[str]) -> None:
        self._lines: Iterator[str] = iter(lines)
        self.printed: list[str] = []

    def input(self, prompt: str = "") -> str:
        try:
            return next(self._lines)
        except StopIteration:
            raise EOFError from None

    def print(self, *items: Any, **kwargs: Any) -> None:
        self.printed.append(" ".join(str(i) for i in items))


@pytest.mark.parametrize("planner", ["llm", "offline"])
def test_chat_describes_with_the_llm_planner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             planner: str) -> None:
    import agent.cli.chat as cli_chat

    scene = make_scene(tmp_path / "data")
    chosen = llm_planner(tmp_path) if planner == "llm" else OfflinePlanner()
    console = FakeConsole([QUESTION, "/quit"])
    real = cli_chat.make_runtime
    monkeypatch.setattr(cli_chat, "make_runtime",
                        lambda workspace, **kw: real(workspace, **{**kw, "planner": chosen}))
    monkeypatch.setattr(cli_chat, "console", lambda stderr=False: console)
    ns = argparse.Namespace(session="s1", workspace=str(tmp_path / "ws"), image=[str(scene)],
                            yes=True, planner=planner)
    assert cli_chat.cmd_chat(ns) == 0
    said = "\n".join(console.printed)
    if planner == "llm":
        assert "The planner's model sees bright fields." in said
    else:
        assert "measured" in said and "planner's model" not in said


def test_session_takes_an_injected_describer(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "data")
    fake = FakeDescriber()
    session = Session("s", tmp_path / "ws", OfflinePlanner(), auto_approve=True, describer=fake)
    try:
        outcome = session.ask(QUESTION, [str(scene)])
    finally:
        session.close()
    assert fake.answer in (outcome.answer or "") and len(fake.requests) == 1


# --- langgraph.json graph -----------------------------------------------------------------------

@pytest.mark.parametrize("configured", [True, False])
def test_server_graph_uses_the_configured_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              configured: bool) -> None:
    from agent.serve.server_graph import make_graph

    if configured:
        configure_llm(monkeypatch)
    monkeypatch.setenv("EARTHSIGHT_WORKSPACE", str(tmp_path / "ws"))
    scene = make_scene(tmp_path / "ws")
    final = make_graph().invoke({"request": QUESTION, "scenes": [Scene(path=str(scene))],
                                 "workspace": str(tmp_path / "ws"), "results": {}})
    step = final["results"]["s1"]
    assert step.status == "ok", step.error
    expected = "llm (from measured facts)" if configured else "measured facts"
    assert saved(step)["answered_from"] == expected
    assert (CONFIGURED_ANSWER in step.summary) is configured
