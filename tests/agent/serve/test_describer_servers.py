"""describe_scene over the HTTP API and the MCP server: the configured LLM, or measured facts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.agent.describer_fakes import (
    CONFIGURED_ANSWER,
    DESCRIBE_FLOW,
    QUESTION,
    FakeDescriber,
    configure_llm,
    make_scene,
)

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("mcp")

import mcp

from agent.serve import http_api
from agent.serve.mcp_server import build_server
from tests.agent.api_client import TOKEN, api_client, workspace_of
from tools.core.errors import InputError

FACTS = "measured facts"
CONFIGURED = "llm (from measured facts)"


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./earthsight.toml of the repository's checkout


# --- HTTP ---------------------------------------------------------------------------------------

def http_describe(tmp_path: Path, describer: Any = None) -> dict[str, Any]:
    """A tool call, an ask and a workflow over HTTP; what each answered and from what."""
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2, describer=describer)
    with api_client(app) as client:
        session = client.post("/sessions").json()
        workspace = workspace_of(app, session)
        make_scene(workspace)
        base = f"/sessions/{session['session_id']}"
        tool = client.post(f"{base}/tools/describe_scene",
                           json={"args": {"image": "scene.tif", "question": QUESTION}})
        assert tool.status_code == 200, tool.text
        ask = client.post(f"{base}/ask", json={"request": QUESTION, "images": ["scene.tif"]})
        lines = [json.loads(line) for line in ask.text.splitlines() if line.strip()]
        result = lines[-1]["result"]
        flow = client.post(f"{base}/workflows",
                           json={"yaml": DESCRIBE_FLOW, "inputs": {"image": "scene.tif"}})
        assert flow.status_code == 200, flow.text
    steps = [result["steps"][0], flow.json()["result"]["steps"][0]]
    records = [json.loads((workspace / s["result_path"]).read_text(encoding="utf-8"))["result"]
               for s in steps]
    return {"answers": [tool.json()["answer"], *(r["answer"] for r in records)],
            "from": [tool.json()["answered_from"], *(r["answered_from"] for r in records)]}


def test_http_without_an_llm_answers_from_facts(tmp_path: Path) -> None:
    got = http_describe(tmp_path)
    assert got["from"] == [FACTS] * 3


def test_http_with_a_configured_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = configure_llm(monkeypatch)
    got = http_describe(tmp_path)
    assert got["from"] == [CONFIGURED] * 3 and got["answers"] == [CONFIGURED_ANSWER] * 3
    assert QUESTION in str(model.prompts[-1][-1].content)


def test_http_injected_describer_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_llm(monkeypatch)
    fake = FakeDescriber()
    got = http_describe(tmp_path, describer=fake)
    assert got["answers"] == [fake.answer] * 3 and len(fake.requests) == 3


def test_http_refuses_to_start_on_a_broken_llm_config(tmp_path: Path) -> None:
    (tmp_path / "earthsight.toml").write_text('[llm]\nmodel = "m"\napi_key = "sk-x"\n',
                                              encoding="utf-8")
    with pytest.raises(InputError, match="API keys"):
        http_api.create_app(tmp_path / "sessions", token=TOKEN)


# --- MCP ----------------------------------------------------------------------------------------

def with_client(server: Any, body: Callable[[mcp.Client], Awaitable[Any]]) -> Any:
    """Run ``body(client)`` against ``server`` in-process."""

    async def main() -> Any:
        with anyio.fail_after(60):
            async with mcp.Client(server) as client:
                return await body(client)

    return anyio.run(main)


def mcp_describe(tmp_path: Path, describer: Any = None) -> tuple[dict[str, Any], str]:
    """describe_scene called directly and through ``ask``: (the tool's payload, ask's answer)."""
    make_scene(tmp_path / "ws")
    server = build_server(tmp_path / "ws", describer=describer)

    async def body(client: mcp.Client) -> Any:
        tool = await client.call_tool("describe_scene", {"image": "scene.tif",
                                                         "question": QUESTION})
        ask = await client.call_tool("ask", {"request": QUESTION, "images": ["scene.tif"]})
        return tool, ask

    tool, ask = with_client(server, body)
    assert not tool.is_error and not ask.is_error, (tool.content, ask.content)
    return tool.structured_content, ask.structured_content["answer"]


def test_mcp_without_an_llm_answers_from_facts(tmp_path: Path) -> None:
    tool, answer = mcp_describe(tmp_path)
    assert tool["answered_from"] == FACTS and CONFIGURED_ANSWER not in answer


def test_mcp_with_a_configured_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_llm(monkeypatch)
    tool, answer = mcp_describe(tmp_path)
    assert tool["answered_from"] == CONFIGURED and tool["answer"] == CONFIGURED_ANSWER
    assert CONFIGURED_ANSWER in answer


def test_mcp_injected_describer(tmp_path: Path) -> None:
    fake = FakeDescriber()
    tool, answer = mcp_describe(tmp_path, describer=fake)
    assert tool["answer"] == fake.answer and fake.answer in answer and len(fake.requests) == 2


def test_mcp_model_failure_falls_back_to_facts(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_LLM_BACKEND", "ollama")  # configured, but no model named
    tool, _ = mcp_describe(tmp_path)
    assert tool["answered_from"] == FACTS
    assert any("the describer failed" in w and "model name" in w for w in tool["warnings"])
