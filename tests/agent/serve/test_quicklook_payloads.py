"""Quick-looks and QGIS styles in what the servers answer: workspace-relative names in tool
payloads, download URLs in the HTTP artifact listing, files readable over MCP."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

from agent.serve.payloads import tool_payload
from agent.serve.redact import Redactor
from tests.conftest import write_tiff
from tools.catalog import run_tool


def _scene(folder: Path) -> Path:
    """VV, VH in dB: land on the left half, open water on the right half."""
    rng = np.random.default_rng(7)
    base = np.where(np.arange(80) < 40, 0.08, 0.004)[np.newaxis, :]
    vv = base * rng.exponential(1.0, (60, 80))
    db = (10 * np.log10(np.stack([vv, vv * 0.15]))).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    return write_tiff(folder / "s1.tif", db, crs="EPSG:32631", descriptions=["VV", "VH"])


def _mask(artifacts: list[dict[str, Any]]) -> dict[str, Any]:
    return next(a for a in artifacts if a["kind"] == "mask")


def test_tool_payload_names_the_quicklook_and_redaction_keeps_it_usable(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run = run_tool("map_water", {"image": str(_scene(ws))}, ws)
    payload = tool_payload(run)
    mask = _mask(payload["artifacts"])
    assert Path(mask["quicklook"]).is_file() and Path(mask["style"]).is_file()
    shown = _mask(Redactor(ws)(payload)["artifacts"])
    assert shown["quicklook"] == Path(mask["quicklook"]).name  # workspace-relative
    assert shown["style"] == Path(mask["style"]).name
    vectors = [a for a in payload["artifacts"] if a["kind"] == "vector"]
    assert vectors and all("quicklook" not in a and "style" not in a for a in vectors)


def test_http_listing_links_the_quicklook_and_style(client: Any, session: str, app: Any) -> None:
    _scene(Path(app.state.sessions.root) / session)
    tool = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"image": "s1.tif"}})
    assert tool.status_code == 200, tool.text
    mask = _mask(tool.json()["artifacts"])
    assert mask["quicklook"].endswith("_water_mask.png") and "/" not in mask["quicklook"]
    listing = _mask(client.get(f"/sessions/{session}/artifacts").json()["artifacts"])
    assert listing["quicklook_url"] == f"/sessions/{session}/files/{mask['quicklook']}"
    png = client.get(listing["quicklook_url"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.headers["content-type"] == "image/png"
    style = client.get(listing["style_url"])
    assert style.status_code == 200
    renderer = ET.fromstring(style.content).find("pipe/rasterrenderer")
    assert renderer is not None and renderer.get("type") == "paletted"
    others = client.get(f"/sessions/{session}/artifacts").json()["artifacts"]
    assert all("quicklook_url" not in a for a in others if a["kind"] != "mask")


def test_mcp_result_names_the_quicklook_as_a_workspace_file(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    import mcp

    from agent.serve.mcp_server import build_server

    ws = tmp_path / "ws"
    _scene(ws)
    server = build_server(ws)

    async def body() -> Any:
        async with mcp.Client(server) as client:
            result = await client.call_tool("map_water", {"image": "s1.tif"})
            name = _mask(result.structured_content["artifacts"])["quicklook"]
            return name, await client.read_resource(f"earthsight://files/{name}")

    name, resource = anyio.run(body)
    assert name.endswith("_water_mask.png") and "/" not in name
    assert base64.b64decode(resource.contents[0].blob)[:4] == b"\x89PNG"
