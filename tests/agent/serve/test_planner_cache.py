"""Servers build each planner once per configuration; the CLI describes with a configured LLM."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from agent.planners import shared as jobs
from tests.agent.describer_fakes import (
    CONFIGURED_ANSWER,
    DESCRIBE_FLOW,
    QUESTION,
    configure_llm,
    make_scene,
)
from tests.agent.llm_fakes import ScriptedChatModel, call, calls, scripted
from tools.core.errors import InputError


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./earthsight.toml of the repository's checkout


class CountingFactory:
    """Stands in for ``make_chat_model``: a fresh scripted planner model per call, counted."""

    def __init__(self, fail_first: bool = False) -> None:
        self.models: list[ScriptedChatModel] = []
        self.configs: list[Any] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, config: Any) -> ScriptedChatModel:
        with self.lock:
            self.configs.append(config)
            if self.fail_first and len(self.configs) == 1:
                raise InputError("the test backend is not ready")
            model = scripted(calls(call("describe_raster", image="scene.tif"), call("finish")))
            self.models.append(model)
            return model


@pytest.fixture
def factory(monkeypatch: pytest.MonkeyPatch) -> CountingFactory:
    made = CountingFactory()
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-a")
    monkeypatch.setattr("agent.llm.config.make_chat_model", made)
    return made


# --- the planner cache --------------------------------------------------------------------------

def test_load_planner_builds_once_per_configuration(factory: CountingFactory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = jobs.load_planner("llm")
    assert jobs.load_planner(" LLM ") is first and len(factory.models) == 1
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-b")
    second = jobs.load_planner("llm")
    assert second is not first and len(factory.models) == 2
    assert [c.model for c in factory.configs] == ["fake-a", "fake-b"]
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-a")
    assert jobs.load_planner("llm") is first and len(factory.models) == 2
    assert jobs.load_planner("offline") is jobs.load_planner("offline")


def test_a_new_api_key_makes_a_new_planner(factory: CountingFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_LLM_API_KEY", "sk-one")
    first = jobs.load_planner("llm")
    monkeypatch.setenv("EARTHSIGHT_LLM_API_KEY", "sk-two")
    assert jobs.load_planner("llm") is not first and len(factory.models) == 2
    assert not any("sk-" in str(key) for key in jobs._PLANNERS)  # only a digest is kept


def test_a_failed_build_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    made = CountingFactory(fail_first=True)
    monkeypatch.setenv("EARTHSIGHT_LLM_MODEL", "fake-a")
    monkeypatch.setattr("agent.llm.config.make_chat_model", made)
    with pytest.raises(InputError, match="planner: the test backend is not ready"):
        jobs.load_planner("llm")
    planner = jobs.load_planner("llm")
    assert jobs.load_planner("llm") is planner and len(made.configs) == 2
    with pytest.raises(InputError, match="unknown planner"):
        jobs.load_planner("oracle")


def test_concurrent_first_asks_build_one_planner(factory: CountingFactory) -> None:
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(jobs.load_planner("llm")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(factory.models) == 1 and all(p is got[0] for p in got)


# --- servers ------------------------------------------------------------------------------------

def test_http_asks_share_one_llm_planner(tmp_path: Path, factory: CountingFactory) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from agent.serve import http_api
    from tests.agent.api_client import TOKEN, api_client, workspace_of

    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)
    with api_client(app) as client:
        for _ in range(2):  # two sessions, two asks each
            session = client.post("/sessions").json()
            make_scene(workspace_of(app, session))
            for _ in range(2):
                reply = client.post(f"/sessions/{session['session_id']}/ask",
                                    json={"request": "describe the raster",
                                          "images": ["scene.tif"], "planner": "llm"})
                last = json.loads(reply.text.splitlines()[-1])
                assert last["event"] == "result" and last["ok"], last
                assert last["result"]["plan"]["steps"][0]["tool"] == "describe_raster"
    assert len(factory.models) == 1 and len(factory.models[0].prompts) == 4


def test_mcp_asks_share_one_llm_planner(tmp_path: Path, factory: CountingFactory) -> None:
    pytest.importorskip("mcp")
    import anyio
    import mcp

    from agent.serve.mcp_server import build_server

    make_scene(tmp_path / "ws")
    servers = [build_server(tmp_path / "ws", planner="llm") for _ in range(2)]

    async def main() -> list[Any]:
        results = []
        with anyio.fail_after(60):
            for server in servers:
                async with mcp.Client(server) as client:
                    for _ in range(2):
                        results.append(await client.call_tool(
                            "ask", {"request": "describe the raster", "images": ["scene.tif"]}))
        return results

    results = anyio.run(main)
    assert all(not r.is_error for r in results), [r.content for r in results]
    assert len(factory.models) == 1 and len(factory.models[0].prompts) == 4


# --- the CLI's describe_scene -------------------------------------------------------------------

def _cli(*argv: str) -> tuple[int, str]:
    import contextlib
    import io

    from agent.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def _run_tool(tmp_path: Path) -> dict[str, Any]:
    make_scene(tmp_path)
    code, out = _cli("run-tool", "describe_scene", "--workspace", str(tmp_path / "ws"),
                     "--args", json.dumps({"image": str(tmp_path / "scene.tif"),
                                           "question": QUESTION}), "--json")
    assert code == 0, out
    result: dict[str, Any] = json.loads(out)["result"]
    return result


def _run_flow(tmp_path: Path) -> dict[str, Any]:
    make_scene(tmp_path)
    flow = tmp_path / "caption.yaml"
    flow.write_text(DESCRIBE_FLOW, encoding="utf-8")
    code, out = _cli("run", str(flow), "--set", f"image={tmp_path / 'scene.tif'}",
                     "--workspace", str(tmp_path / "ws"), "--json")
    assert code == 0, out
    step = json.loads(out)["steps"][0]
    record: dict[str, Any] = json.loads(Path(step["result_path"]).read_text(encoding="utf-8"))
    return dict(record["result"])


def test_cli_run_tool_and_run_use_a_configured_llm(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    model = configure_llm(monkeypatch)
    for result in (_run_tool(tmp_path / "tool"), _run_flow(tmp_path / "flow")):
        assert result["answer"] == CONFIGURED_ANSWER
        assert result["answered_from"] == "llm (from measured facts)"
    assert len(model.prompts) == 2 and QUESTION in str(model.prompts[-1][-1].content)


def test_cli_without_an_llm_answers_from_facts(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(config: Any) -> Any:
        raise AssertionError("no LLM is configured: no chat model may be made")

    monkeypatch.setattr("agent.llm.config.make_chat_model", no_model)
    for result in (_run_tool(tmp_path / "tool"), _run_flow(tmp_path / "flow")):
        assert result["answered_from"] == "measured facts"
        assert not any("describer failed" in w for w in result["warnings"])
