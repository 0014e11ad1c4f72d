"""Secure defaults beyond the HTTP API: the MCP-over-HTTP app (same policy), MCP answers without
server paths, and the pixel limit on every interface (CLI and Python API without a sandbox)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.agent.api_client import AUTH, FLOW, TOKEN
from tests.agent.describer_fakes import make_scene
from tools.core.errors import InputError

# --- MCP over HTTP ------------------------------------------------------------------------------

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}}
MCP_HEADERS = {**AUTH, "Accept": "application/json, text/event-stream"}


def test_the_mcp_http_app_has_the_same_policy(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("mcp")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from agent.serve.mcp_server import build_server, http_app, mcp_transport_security

    caplog.set_level(logging.INFO, logger="earthsight.access")
    app, token = http_app(build_server(tmp_path / "ws"), "127.0.0.1", 8765, token=TOKEN)
    assert token.source == "argument"
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.post("/mcp", json=INIT).status_code == 401
        assert c.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Host": "evil.example"}
                      ).status_code == 403
        assert c.post("/mcp", json=INIT, headers={**MCP_HEADERS,
                                                  "Origin": "http://evil.example"}
                      ).status_code == 403
        big = c.post("/mcp", content=b" " * (1024 * 1024 + 1),
                     headers={**MCP_HEADERS, "Content-Type": "application/json"})
        assert big.status_code == 413
        ok = c.post("/mcp", json=INIT, headers={**MCP_HEADERS,
                                                "Origin": "http://127.0.0.1:8765"})
        assert ok.status_code == 200 and "earthsight" in ok.text, ok.text
    assert any('"POST /mcp" 200' in r.getMessage() for r in caplog.records)
    sdk = mcp_transport_security(app.state.policy)
    assert sdk.enable_dns_rebinding_protection and "127.0.0.1:*" in sdk.allowed_hosts
    assert "evil.example" not in " ".join(sdk.allowed_hosts + sdk.allowed_origins)


def test_mcp_answers_name_no_server_path(tmp_path: Path, data_root: Path) -> None:
    pytest.importorskip("mcp")
    import anyio
    import mcp

    from agent.serve.mcp_server import build_server

    make_scene(tmp_path / "ws", "mine.tif")
    server = build_server(tmp_path / "ws")

    async def main() -> list[str]:
        with anyio.fail_after(60):
            return await calls()

    async def calls() -> list[str]:
        async with mcp.Client(server) as client:
            out = []
            for args in ({"image": "mine.tif"}, {"image": "scenes/scene.tif"},
                         {"image": str(tmp_path / "elsewhere.tif")}, {"image": "absent.tif"}):
                result = await client.call_tool("pseudo_rgb", args)
                out.append(json.dumps([c.model_dump() for c in result.content]))
                out.append(json.dumps(result.structured_content))
            manifest = await client.read_resource("earthsight://manifest")
            out.append(manifest.contents[0].text)
            return out

    texts = anyio.run(main)
    assert "<workspace>" in texts[-1]
    for text in texts:
        assert str(tmp_path) not in text, text[:500]


# --- the pixel limit on every interface ---------------------------------------------------------

def test_the_pixel_limit_applies_without_a_sandbox(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from agent import Analyst
    from agent.cli.main import main

    scene = str(make_scene(tmp_path))  # 32 x 32 = 1,024 pixels
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    ws = str(tmp_path / "ws")
    assert main(["run-tool", "describe_raster", "--args", json.dumps({"image": scene}),
                 "--workspace", ws, "--json"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("EARTHSIGHT_MAX_PIXELS", "100")
    for argv in (["run-tool", "describe_raster", "--args", json.dumps({"image": scene}),
                  "--workspace", ws, "--json"],
                 ["ask", "describe the raster", "--image", scene, "--workspace", ws],
                 ["run", str(flow), "--set", f"image={scene}", "--workspace", ws]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "EARTHSIGHT_MAX_PIXELS" in err and "100" in err, err
    with pytest.raises(InputError, match="EARTHSIGHT_MAX_PIXELS"):
        Analyst(workspace=ws).run_tool("describe_raster", image=scene)
    with pytest.raises(InputError, match="EARTHSIGHT_MAX_PIXELS"):
        Analyst(workspace=ws).ask("describe the raster", images=[scene])


def test_mcp_run_http_prints_one_start_up_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("mcp")
    import uvicorn

    from agent.serve.mcp_server import build_server, run_http

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setenv("EARTHSIGHT_TOKEN", "env-token-xyz")
    run_http(build_server(tmp_path / "ws"), "127.0.0.1", 8765)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "http://127.0.0.1:8765/mcp" in lines[0], lines
    assert "EARTHSIGHT_TOKEN" in lines[0] and "env-token-xyz" not in lines[0]
    assert calls[0]["access_log"] is False
    with pytest.raises(InputError, match="EARTHSIGHT_ALLOWED_HOSTS"):
        run_http(build_server(tmp_path / "ws"), "0.0.0.0", 8765)
