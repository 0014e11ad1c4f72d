"""The MCP server: listing and calls in-process (``mcp.Client(server)``) and over stdio."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

import mcp
from mcp.client.stdio import StdioServerParameters

from agent.serve.mcp_server import build_server
from tools.catalog import ALL_TOOLS, run_tool

CHIP = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "YOLO_OFFLINE": "1",
               "YOLO_AUTOINSTALL": "0"}


def with_client(server: Any, body: Callable[[mcp.Client], Awaitable[Any]],
                timeout: float = 60) -> Any:
    """Run ``body(client)`` against ``server`` (an MCPServer or stdio parameters)."""

    async def main() -> Any:
        with anyio.fail_after(timeout):
            async with mcp.Client(server) as client:
                return await body(client)

    return anyio.run(main)


def water_area(payload: dict[str, Any]) -> float:
    """The ``water_area`` number (ha) of a map_water result payload."""
    return next(float(a["value"]) for a in payload["artifacts"] if a["name"] == "water_area")


@pytest.fixture
def server(tmp_path: Path) -> Any:
    """A server over an empty workspace (the sandbox roots: it and the data folder)."""
    return build_server(tmp_path / "ws")


def test_lists_every_available_tool_with_the_record_schema(server: Any) -> None:
    async def body(client: mcp.Client) -> Any:
        return (await client.list_tools()).tools, await client.read_resource(
            "earthsight://tools")

    tools, listing = with_client(server, body)
    by_name = {t.name: t for t in tools}
    available = [t for t in ALL_TOOLS if t.requires is None]
    assert set(by_name) == {t.name for t in available} | {"ask"}
    for record in available:
        listed = by_name[record.name]
        assert listed.input_schema == record.input_schema()
        assert listed.description == record.description
    assert "request" in by_name["ask"].input_schema["properties"]
    everything = json.loads(listing.contents[0].text)
    assert [s["name"] for s in everything] == [t.name for t in ALL_TOOLS]
    missing = [t for t in ALL_TOOLS if t.requires is not None]
    assert all(not by_name.get(t.name) for t in missing)
    assert all(t.name in (server.instructions or "") for t in missing)


def test_water_area_via_mcp_equals_run_tool(server: Any, data_dir: Path,
                                            tmp_path: Path) -> None:
    direct = run_tool("map_water", {"image": str(data_dir / CHIP)}, tmp_path / "direct")

    async def body(client: mcp.Client) -> Any:
        by_path = await client.call_tool("map_water", {"image": str(data_dir / CHIP)})
        relative = await client.call_tool("map_water", {"image": CHIP})  # a data-root path
        return by_path, relative

    for result in with_client(server, body):
        assert not result.is_error, result.content
        assert water_area(result.structured_content) == pytest.approx(
            direct.result.numbers()["water_area"].value, rel=1e-9)
        assert "Water:" in result.content[0].text
        result_path = result.structured_content["result_path"]
        assert not Path(result_path).is_absolute()  # no server path in answers
        assert (tmp_path / "ws" / result_path).is_file()


def test_ask_and_artifact_resources(server: Any, data_dir: Path, tmp_path: Path) -> None:
    direct = run_tool("map_water", {"image": str(data_dir / CHIP)}, tmp_path / "direct")

    async def body(client: mcp.Client) -> Any:
        answer = await client.call_tool("ask", {
            "request": "How much open water is in this Sentinel-1 scene?", "images": [CHIP]})
        manifest = json.loads((await client.read_resource("earthsight://manifest"))
                              .contents[0].text)
        files = {a["kind"]: a for a in manifest["artifacts"] if a["kind"] != "number"}
        mask = await client.read_resource(f"earthsight://artifacts/{files['mask']['id']}")
        vector = await client.read_resource(f"earthsight://artifacts/{files['vector']['id']}")
        named = await client.read_resource(
            f"earthsight://files/{Path(files['vector']['path']).name}")
        return answer, mask, vector, named

    answer, mask, vector, named = with_client(server, body)
    assert not answer.is_error, answer.content
    payload = answer.structured_content
    assert payload["ok"] and "water" in payload["answer"].lower()
    area = next(n for n in payload["numbers"] if n["name"] == "water_area")
    assert area["unit"] == "ha"
    assert area["value"] == pytest.approx(direct.result.numbers()["water_area"].value, rel=1e-9)
    assert {a["kind"] for a in payload["artifacts"]} >= {"mask", "vector"}
    assert mask.contents[0].blob  # a GeoTIFF, base64 on the wire
    assert json.loads(vector.contents[0].text)["type"] == "FeatureCollection"
    assert named.contents[0].text == vector.contents[0].text


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "link.tif",
                                   "http://example.com/scene.tif", "file:///etc/passwd"])
def test_file_arguments_outside_the_sandbox_are_tool_errors(value: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside.tif"
    outside.write_bytes(b"not a raster")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "link.tif").symlink_to(outside)
    server = build_server(tmp_path / "ws")

    async def body(client: mcp.Client) -> Any:
        tool = await client.call_tool("describe_raster", {"image": value})
        ask = await client.call_tool("ask", {"request": "describe this scene", "images": [value]})
        alive = await client.call_tool("describe_raster", {"image": "absent.tif"})
        return tool, ask, alive

    tool, ask, alive = with_client(server, body)
    for result in (tool, ask):
        assert result.is_error
        assert "refused" in result.content[0].text, result.content[0].text
    assert alive.is_error and "not found" in alive.content[0].text  # the server still runs


def test_bad_arguments_and_unknown_tools_are_tool_errors(server: Any) -> None:
    async def body(client: mcp.Client) -> Any:
        bad = await client.call_tool("map_water", {"img": "a.tif"})
        unknown = await client.call_tool("no_such_tool", {"image": "a.tif"})
        missing = await client.call_tool("map_water", {"image": "absent.tif"})
        return bad, unknown, missing

    bad, unknown, missing = with_client(server, body)
    assert bad.is_error and "unknown argument 'img' (did you mean 'image'?)" in bad.content[0].text
    assert unknown.is_error and "no_such_tool" in unknown.content[0].text
    assert missing.is_error and "not found" in missing.content[0].text


def test_resource_paths_outside_the_workspace_are_refused(server: Any) -> None:
    async def body(client: mcp.Client) -> list[str]:
        messages = []
        for uri in ("earthsight://files/..%2F..%2Fetc%2Fpasswd", "earthsight://files/%2Fetc%2Fpasswd",
                    "earthsight://artifacts/no-such-id"):
            try:
                await client.read_resource(uri)
            except Exception as exc:  # an MCP error answer, not a crash
                messages.append(str(exc))
        return messages

    assert len(with_client(server, body)) == 3


def test_stdio_subprocess(tmp_path: Path, data_dir: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "agent.cli.main", "mcp", "--workspace",
                                      str(tmp_path / "ws")],
        env={**OFFLINE_ENV, "EARTHSIGHT_DATA": str(data_dir),
             "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
             "PATH": os.environ.get("PATH", "")},
        cwd=str(tmp_path))
    direct = run_tool("map_water", {"image": str(data_dir / CHIP)}, tmp_path / "direct")

    async def body(client: mcp.Client) -> Any:
        names = [t.name for t in (await client.list_tools()).tools]
        water = await client.call_tool("map_water", {"image": CHIP})
        refused = await client.call_tool("map_water", {"image": "/etc/passwd"})
        return names, water, refused

    names, water, refused = with_client(params, body, timeout=90)
    assert "map_water" in names and "ask" in names
    assert not water.is_error, water.content
    assert water_area(water.structured_content) == pytest.approx(
        direct.result.numbers()["water_area"].value, rel=1e-9)
    assert refused.is_error and "refused" in refused.content[0].text


def test_streamable_http_with_a_token(tmp_path: Path, data_dir: Path) -> None:
    import socket
    import subprocess
    import time

    import httpx
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    token = "mcp-test-token"
    env = {**os.environ, **OFFLINE_ENV, "EARTHSIGHT_DATA": str(data_dir),
           "EARTHSIGHT_TOKEN": token, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli.main", "mcp", "--http", "--port", str(port),
         "--workspace", str(tmp_path / "ws")], env=env, cwd=str(tmp_path),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the MCP HTTP server did not start"
            try:
                anonymous = httpx.post(url, json={}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert anonymous.status_code == 401

        async def body(client: mcp.Client) -> Any:
            names = [t.name for t in (await client.list_tools()).tools]
            return names, await client.call_tool("map_water", {"image": CHIP})

        async def main() -> Any:
            with anyio.fail_after(60):
                async with httpx2.AsyncClient(
                        headers={"Authorization": f"Bearer {token}"}, timeout=30) as http, \
                        mcp.Client(streamable_http_client(url, http_client=http)) as client:
                    return await body(client)

        names, water = anyio.run(main)
        assert "map_water" in names
        assert not water.is_error and water_area(water.structured_content) > 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
