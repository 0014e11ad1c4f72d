"""Calls on one chat model: serialised for local in-process models, at once for remote ones.

The servers share one chat model per configuration between the LLM planner and the
``describe_scene`` describer (:func:`agent.llm.shared.shared_chat_model`); a local model carries one
``call_lock`` that both take (:func:`agent.llm.serial.model_lock`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from agent.llm.describe import SYSTEM, configured_describer
from agent.llm.serial import model_lock
from agent.plan import Scene
from agent.planners import shared as jobs
from agent.planners.llm import LLMPlanner
from tests.agent.describer_fakes import CONFIGURED_ANSWER, QUESTION, make_scene
from tests.agent.llm_fakes import call, scripted
from tools.core.registry import DescribeRequest


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./earthsight.toml of the repository's checkout


class Recorder:
    """Counts the calls inside a model at once and logs who called, in order."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.inside = 0
        self.peak = 0
        self.log: list[str] = []

    @contextmanager
    def entered(self, who: str) -> Iterator[None]:
        with self.guard:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.log.append(who)
        try:
            yield
        finally:
            with self.guard:
                self.inside -= 1


class SlowChatModel(BaseChatModel):
    """Takes ``delay`` seconds per call; plans ``describe_raster(image)`` then ``finish``,
    answers describe prompts with :data:`CONFIGURED_ANSWER`. ``call_lock``: as a local model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    recorder: Any
    image: str = ""
    delay: float = 0.15
    call_lock: Any = None

    @property
    def _llm_type(self) -> str:
        return "slow-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> SlowChatModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        describe = isinstance(messages[0], SystemMessage) and messages[0].content == SYSTEM
        with self.recorder.entered("describe" if describe else "plan"):
            time.sleep(self.delay)
        if describe:
            reply = AIMessage(content=CONFIGURED_ANSWER)
        elif any(isinstance(m, AIMessage) for m in messages):
            reply = AIMessage(content="", tool_calls=[call("finish")])
        else:
            reply = AIMessage(content="", tool_calls=[call("describe_raster", image=self.image)])
        return ChatResult(generations=[ChatGeneration(message=reply)])


def shared_model(monkeypatch: pytest.MonkeyPatch, image: Path, local: bool) -> SlowChatModel:
    """Configure an LLM on purpose whose (one, shared) chat model is a :class:`SlowChatModel`."""
    model = SlowChatModel(recorder=Recorder(), image=str(image),
                          call_lock=threading.RLock() if local else None)
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-slow")
    monkeypatch.setattr("agent.llm.config.make_chat_model", lambda config: model)
    jobs.clear_planners()
    return model


def together(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, all started at once; their results in order."""
    start = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int) -> None:
        try:
            start.wait(timeout=10)
            results[index] = work[index]()
        except BaseException as exc:  # re-raised in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_describe_and_plan_on_a_shared_local_model_never_overlap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scene = make_scene(tmp_path / "ws")
    scenes = [Scene(path=str(scene))]
    model = shared_model(monkeypatch, scene, local=True)
    planner = jobs.load_planner("llm")
    describer = configured_describer(tmp_path)
    assert isinstance(planner, LLMPlanner) and describer is not None
    request = DescribeRequest(question=QUESTION, facts="3 bands, 32 x 32")
    try:
        plan, answer = together(lambda: planner.plan("describe the raster", scenes),
                                lambda: describer(request))
    finally:
        jobs.clear_planners()
    assert getattr(describer, "chat_model", None) is model  # one model for both
    assert answer == CONFIGURED_ANSWER
    assert [s.tool for s in plan.steps] == ["describe_raster"] and not plan.notes
    assert model.recorder.peak == 1
    # the plan's two turns run back to back: no describe slips in between (the KV cache)
    assert model.recorder.log in (["plan", "plan", "describe"], ["describe", "plan", "plan"])


def test_plans_on_a_remote_model_run_at_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    scene = make_scene(tmp_path / "ws")
    scenes = [Scene(path=str(scene))]
    model = shared_model(monkeypatch, scene, local=False)
    planner = jobs.load_planner("llm")
    try:
        plans = together(*(lambda: planner.plan("describe the raster", scenes),) * 2)
    finally:
        jobs.clear_planners()
    assert all([s.tool for s in p.steps] == ["describe_raster"] and not p.notes for p in plans)
    assert model.recorder.peak == 2  # no lock queued the second ask behind the first


def test_local_models_carry_one_lock_shared_with_their_bound_copies() -> None:
    from agent.llm.local import LocalToolChatModel

    local = LocalToolChatModel(model=object(), tokenizer=object())
    bound = local.bind_tools([{"type": "function", "function": {"name": "finish"}}])
    assert bound.call_lock is local.call_lock
    assert model_lock(local) is local.call_lock
    with model_lock(local), model_lock(bound):  # re-entrant: a plan's own calls pass
        pass
    assert isinstance(model_lock(scripted()), nullcontext)  # remote / fakes: no lock


# --- the HTTP API builds the planner inside the job slot ----------------------------------------

def test_http_ask_builds_its_planner_in_a_slot(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from agent.serve import http_api
    from tests.agent.api_client import TOKEN, api_client, workspace_of

    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=1)
    running: list[int] = []
    import agent.runtime

    load = jobs.load_planner

    def counted(name: str, overrides: Any = None) -> Any:
        running.append(app.state.limiter.running)
        return load(name, overrides)

    monkeypatch.setattr(agent.runtime, "load_planner", counted)
    with api_client(app) as client:
        session = client.post("/sessions").json()
        make_scene(workspace_of(app, session))
        base = f"/sessions/{session['session_id']}"
        bad = client.post(f"{base}/ask", json={"request": "describe the raster",
                                               "images": ["scene.tif"], "planner": "nope"})
        assert bad.status_code == 400 and "unknown planner 'nope'" in bad.text, bad.text
        assert running == [] and app.state.limiter.running == 0  # refused before any slot
        ok = client.post(f"{base}/ask", json={"request": "describe the raster",
                                              "images": ["scene.tif"], "planner": "offline"})
        assert '"event": "result"' in ok.text.splitlines()[-1], ok.text
    assert running == [1]  # built while its slot was held
