"""`earthsight ask --backend openai --base-url http://127.0.0.1:PORT/v1` against a local server.

The test starts a tiny OpenAI-compatible server (stdlib ``http.server`` on loopback, a free
port, scripted replies) and runs the real CLI in-process: langchain-openai sends real HTTP
requests, the LLM planner turns the scripted tool calls into the plan.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.cli.main import main

pytest.importorskip("langchain_openai", reason="the openai backend needs the `llm` extra "
                    "(langchain-openai is not installed)")

SCENE = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
REQUEST = "How much water is in this scene?"


def _completion(index: int, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-test-{index}", "object": "chat.completion", "created": 0,
        "model": "test",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None,
                     "message": {"role": "assistant", "content": None,
                                 "tool_calls": tool_calls}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _tool_call(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}


class ScriptedServer:
    """An OpenAI-compatible ``/v1/chat/completions`` that replies from a script, in turn."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                owner.requests.append(body)
                index = len(owner.requests) - 1
                if index >= len(owner.replies):
                    self._send(500, {"error": {"message": "the script has no more replies"}})
                    return
                self._send(200, owner.replies[index])

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 5
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture
def scene(data_dir: Path) -> Path:
    path = data_dir / SCENE
    if not path.is_file():
        pytest.skip(f"real scene not found: {path}")
    return path


@pytest.fixture
def server(scene: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    for name in ("EARTHSIGHT_LLM_API_KEY", "EARTHSIGHT_LLM_BACKEND", "EARTHSIGHT_LLM_MODEL",
                 "EARTHSIGHT_LLM_BASE_URL", "EARTHSIGHT_LLM_IMAGES", "OPENAI_BASE_URL",
                 "OPENAI_API_BASE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                 "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    monkeypatch.setenv("EARTHSIGHT_CONFIG", str(scene.parent / "no-such-config.toml"))
    replies = [
        _completion(0, [_tool_call("call_1", "map_water", {"image": str(scene)})]),
        _completion(1, [_tool_call("call_2", "finish", {})]),
    ]
    with ScriptedServer(replies) as srv:
        yield srv


def _ask(srv: ScriptedServer, scene: Path, workspace: Path, *extra: str) -> int:
    return main(["ask", REQUEST, "--image", str(scene), "--workspace", str(workspace),
                 "--planner", "llm", "--backend", "openai", "--base-url", srv.base_url,
                 "--model", "test", "--json", *extra])


def _check_requests(srv: ScriptedServer, scene: Path) -> None:
    assert len(srv.requests) == 2, "the planner asks once per scripted reply"
    first = srv.requests[0]
    assert first["model"] == "test"
    names = {t["function"]["name"] for t in first.get("tools", [])}
    assert {"map_water", "finish", "decline"} <= names, names
    water = next(t for t in first["tools"] if t["function"]["name"] == "map_water")
    assert "image" in water["function"]["parameters"]["properties"]
    assert REQUEST in json.dumps(first["messages"])
    # the second request carries the model's call and the planner's answer to it
    roles = [m["role"] for m in srv.requests[1]["messages"]]
    assert "tool" in roles and "assistant" in roles


def test_ask_dry_run_plans_with_the_server(server: ScriptedServer, scene: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert _ask(server, scene, tmp_path / "ws", "--dry-run") == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["tool"] for s in plan["steps"]] == ["map_water"]
    assert plan["steps"][0]["args"]["image"] == str(scene)
    _check_requests(server, scene)


def test_ask_runs_the_served_plan(server: ScriptedServer, scene: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert _ask(server, scene, tmp_path / "ws") == 0
    result = json.loads(capsys.readouterr().out)
    assert [s["tool"] for s in result["plan"]["steps"]] == ["map_water"]
    assert not any("fallback" in n or "offline planner" in n
                   for n in result["plan"].get("notes", []))
    assert "water area" in result["answer"]
    assert " ha" in result["answer"]
    assert not result["errors"]
    _check_requests(server, scene)
