"""The reliability verdict travels in the JSON of every interface: the HTTP API and MCP (tool
calls and ask), with the record's schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("mcp")

import anyio
import mcp
from fastapi.testclient import TestClient

from agent.serve import http_api
from agent.serve.mcp_server import build_server
from tests.agent.api_client import AUTH, BASE_URL, TOKEN

CLIP = "sar/S1_2018_VV_VH_clip.tif"
"""30 m S1 clip: Otsu's 'water' (31 %) is brighter than open water; flagged unreliable."""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)
    with TestClient(app, base_url=BASE_URL, headers=AUTH) as c:
        yield c


def _check(payload: dict[str, Any]) -> None:
    verdict = payload["reliability"]
    assert verdict["reliable"] is False
    assert "brighter than open water" in verdict["reasons"][0]
    assert verdict["diagnostics"]["water_mode_mean"] == pytest.approx(-16.1, abs=0.05)
    assert payload["summary"].startswith("unreliable: ")


@pytest.mark.realdata
def test_http_tool_and_ask_carry_reliability(client: TestClient, data_dir: Path) -> None:
    session = client.post("/sessions").json()["session_id"]
    tool = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"image": CLIP}})
    assert tool.status_code == 200, tool.text
    _check(tool.json())
    schema = client.get("/openapi.json").json()
    water = schema["paths"]["/sessions/{session_id}/tools/map_water"]["post"]
    out = water["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "reliability" in schema["components"]["schemas"][out.rsplit("/", 1)[1]]["properties"]
    with client.stream("POST", f"/sessions/{session}/ask", json={
            "request": "How much open water is in this Sentinel-1 scene?",
            "images": [CLIP]}) as streamed:
        streamed.read()
        final = [line for line in streamed.text.splitlines() if line.strip()][-1]
    result = json.loads(final)["result"]
    assert result["answer"].startswith("unreliable: s1 map_water: ")
    assert result["unreliable"] and result["steps"][0]["reliability"]["reliable"] is False


@pytest.mark.realdata
def test_mcp_tool_and_ask_carry_reliability(tmp_path: Path, data_dir: Path) -> None:
    server = build_server(tmp_path / "ws")

    async def main() -> Any:
        with anyio.fail_after(60):
            async with mcp.Client(server) as c:
                listed = {t.name: t for t in (await c.list_tools()).tools}
                tool = await c.call_tool("map_water", {"image": CLIP})
                ask = await c.call_tool("ask", {
                    "request": "How much open water is in this Sentinel-1 scene?",
                    "images": [CLIP]})
                return listed, tool, ask

    listed, tool, ask = anyio.run(main)
    assert "reliability" in (listed["map_water"].output_schema or {}).get("properties", {})
    assert not tool.is_error, tool.content
    _check(tool.structured_content)
    assert not ask.is_error, ask.content
    assert ask.structured_content["answer"].startswith("unreliable: s1 map_water: ")
    assert ask.structured_content["unreliable"][0].startswith("s1 map_water: ")
