"""Arguments are checked the same way on every interface: unknown names and non-finite numbers
are errors with the fix (never dropped, never a 500), on the command line, HTTP and MCP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("mcp")

import anyio
import mcp

from agent.cli import main as cli
from agent.serve import http_api
from agent.serve.mcp_server import build_server
from tests.agent.api_client import TOKEN, api_client
from tests.conftest import write_tiff


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SAR scene in the data root (relative name)."""
    root = tmp_path / "data"
    root.mkdir()
    data = np.stack([np.full((8, 8), -20.0), np.full((8, 8), -25.0)]).astype("float32")
    write_tiff(root / "sar.tif", data, descriptions=["VV", "VH"])
    monkeypatch.setenv("EARTHSIGHT_DATA", str(root))
    return "sar.tif"


@pytest.fixture
def http(tmp_path: Path, scene: str) -> Iterator[tuple[Any, str]]:
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN)
    with api_client(app) as client:
        yield client, client.post("/sessions").json()["session_id"]


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, content=json.dumps(body), headers={"content-type":
                                                               "application/json"})


def test_cli_refuses_unknown_and_non_finite_arguments(tmp_path: Path, scene: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "data" / scene)
    for args, said in ((f'{{"image": "{path}", "thresh": -18}}', "did you mean 'threshold'"),
                       (f'{{"image": "{path}", "threshold": NaN}}', "threshold: nan is not a "
                                                                    "finite number")):
        assert cli.main(["run-tool", "map_water", "--args", args, "--workspace",
                         str(tmp_path / "ws")]) == 2
        err = capsys.readouterr().err
        assert said in err and err.count(said) == 1
    binary = tmp_path / "args.json"
    binary.write_bytes(b"\xff\xfe\x00binary")
    assert cli.main(["run-tool", "describe_raster", "--args", f"@{binary}"]) == 2
    assert "is not a UTF-8 JSON file" in capsys.readouterr().err


def test_http_refuses_unknown_keys_at_every_level(http: tuple[Any, str], scene: str) -> None:
    client, session = http
    tool = f"/sessions/{session}/tools/map_water"
    nested = post(client, tool, {"args": {"image": scene, "thresh": -18}})
    assert nested.status_code == 400 and "did you mean 'threshold'" in nested.json()["detail"]
    top = post(client, tool, {"args": {"image": scene}, "thresh": -18})
    assert top.status_code == 422 and "thresh" in top.text
    ask = post(client, f"/sessions/{session}/ask", {"request": "water?", "image": [scene]})
    assert ask.status_code == 422 and "image" in ask.text  # not silently run without images
    flow = post(client, f"/sessions/{session}/workflows", {"yaml": "x: 1", "dryrun": True})
    assert flow.status_code == 422
    nan = post(client, tool, {"args": {"image": scene, "threshold": float("nan")}})
    assert nan.status_code == 400 and "not a finite number" in nan.json()["detail"]


@pytest.mark.parametrize("path", ["\ud800.tif", "a\x00.tif", "x" * 5000])
def test_http_odd_paths_are_request_errors(path: str, http: tuple[Any, str]) -> None:
    client, session = http
    for url, body in ((f"/sessions/{session}/tools/describe_raster", {"args": {"image": path}}),
                      (f"/sessions/{session}/ask", {"request": "describe", "images": [path]}),
                      (f"/sessions/{session}/workflows", {"workflow": path})):
        answer = post(client, url, body)
        assert answer.status_code in (400, 403), (url, answer.text[:200])
        assert "unexpected" not in answer.text
    assert client.get(f"/sessions/{session}/files/{'x' * 5000}").status_code == 400


def test_http_bodies_nested_too_deeply_are_refused_quickly(http: tuple[Any, str]) -> None:
    client, session = http
    deep = "[" * 100_000 + "]" * 100_000
    answer = client.post(f"/sessions/{session}/tools/map_water", content=deep,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 422
    start = time.perf_counter()
    flow = post(client, f"/sessions/{session}/workflows", {"yaml": "[" * 120_000})
    assert flow.status_code == 400 and "nested too deeply" in flow.json()["detail"]
    assert time.perf_counter() - start < 5  # YAML's scanner is quadratic in the nesting


def test_mcp_ask_refuses_unknown_arguments(tmp_path: Path, scene: str) -> None:
    async def body() -> Any:
        async with mcp.Client(build_server(tmp_path / "ws")) as client:
            typo = await client.call_tool("ask", {"request": "water?", "image": [scene]})
            wrong = await client.call_tool("ask", {"request": 5})
            tool = await client.call_tool("map_water", {"image": scene, "threshold": "inf"})
            return typo, wrong, tool

    typo, wrong, tool = anyio.run(body)
    assert typo.is_error and "ask: unknown argument 'image' (did you mean 'images'?)" in \
        typo.content[0].text
    assert wrong.is_error and wrong.content[0].text.startswith("ask: invalid arguments")
    assert tool.is_error and "threshold: inf is not a finite number" in tool.content[0].text
