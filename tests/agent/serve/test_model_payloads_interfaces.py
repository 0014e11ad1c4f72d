"""A pickle payload given as ``model`` does nothing over the command line, MCP and HTTP, and a
YAML payload is refused there too (the tools' own refusal, reported as a clear error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("ultralytics")

from tests.payloads import pickle_payload, scenes, yaml_payload

TOOLS = ("detect_objects", "segment", "map_water", "detect_changes", "estimate_biomass",
         "classify_scene")


def _args(tool: str, folder: Path, model: str) -> dict[str, Any]:
    from tests.payloads import tool_calls

    make = tool_calls(scenes(folder))[tool][1]
    return dict(make(model))


@pytest.mark.parametrize("tool", TOOLS)
def test_command_line(tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.main import main

    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    marker = tmp_path / "pwned"
    payload = pickle_payload(tmp_path / "mine.pt", marker)
    args = _args(tool, tmp_path / "scenes", str(payload))
    assert main(["run-tool", tool, "--args", json.dumps(args), "--workspace",
                 str(tmp_path / "ws")]) == 2
    assert "mine.pt is refused" in capsys.readouterr().err
    assert not marker.exists()


def test_mcp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mcp")
    import anyio
    import mcp

    from agent.serve.mcp_server import build_server

    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    ws = tmp_path / "ws"
    marker = tmp_path / "pwned"
    payload = pickle_payload(ws / "mine.pt", marker)  # inside the sandbox: the workspace
    config = yaml_payload(ws / "net.yaml", marker)
    server = build_server(ws)

    async def body() -> list[Any]:
        async with mcp.Client(server) as client:
            return [await client.call_tool(tool, _args(tool, ws / "scenes", model))
                    for tool in TOOLS for model in ("mine.pt", "net.yaml")
                    if model == "mine.pt" or tool == "detect_objects"]

    results = anyio.run(body)
    assert len(results) == len(TOOLS) + 1
    for result in results:
        assert result.is_error and "refused" in result.content[0].text
    assert not marker.exists() and payload.exists() and config.exists()


def test_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from agent.serve import http_api

    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    token = "payload-test-token"
    app = http_api.create_app(tmp_path / "sessions", token=token, max_jobs=2)
    marker = tmp_path / "pwned"
    with TestClient(app, base_url="http://127.0.0.1",
                    headers={"Authorization": f"Bearer {token}"}) as client:
        session = client.post("/sessions").json()["session_id"]
        ws = tmp_path / "sessions" / session
        pickle_payload(ws / "mine.pt", marker)  # however it got there
        yaml_payload(ws / "net.yaml", marker)
        for tool in TOOLS:
            response = client.post(f"/sessions/{session}/tools/{tool}",
                                   json={"args": _args(tool, ws / "scenes", "mine.pt")})
            assert response.status_code == 400, response.text
            assert "mine.pt is refused" in response.text
        response = client.post(f"/sessions/{session}/tools/detect_objects",
                               json={"args": _args("detect_objects", ws / "scenes",
                                                   "net.yaml")})
        assert response.status_code == 400 and "must be an ultralytics .pt" in response.text
    assert not marker.exists()
