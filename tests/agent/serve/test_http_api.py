"""The HTTP API: FastAPI TestClient, and one real uvicorn server on 127.0.0.1 (bounded)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import httpx
from fastapi.testclient import TestClient

from agent.runtime import Runtime
from agent.serve import http_api
from tests.agent.api_client import AUTH, BASE_URL, TOKEN
from tools.catalog import run_tool

CHIP = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
WORKFLOW = """\
name: water-area
inputs:
  image: {type: image}
steps:
  - id: water
    tool: map_water
    args: {image: $image}
outputs: [water.water_area]
"""


def water_area(artifacts: list[dict[str, Any]]) -> float:
    return next(float(a["value"]) for a in artifacts if a["name"] == "water_area")


def read_stream(response: httpx.Response) -> list[dict[str, Any]]:
    """Every NDJSON line of a streamed answer, parsed."""
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_token_is_required(tmp_path: Path) -> None:
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN)
    with TestClient(app, base_url=BASE_URL) as anonymous:
        for method, url in [("GET", "/health"), ("GET", "/tools"), ("POST", "/sessions"),
                            ("GET", "/openapi.json"), ("GET", "/sessions/x/artifacts")]:
            assert anonymous.request(method, url).status_code == 401
            wrong = anonymous.request(method, url, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert wrong.headers["www-authenticate"] == "Bearer"
        assert anonymous.get("/health", headers=AUTH).status_code == 200


def test_token_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http_api.TOKEN_ENV, TOKEN)
    app = http_api.create_app(tmp_path / "sessions")
    assert app.state.token.source == "env"
    with TestClient(app, base_url=BASE_URL) as c:
        assert c.get("/health").status_code == 401
        assert c.get("/health", headers=AUTH).status_code == 200


def test_a_wildcard_bind_needs_host_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for host in ("0.0.0.0", "::"):
        with pytest.raises(http_api.InputError, match="EARTHSIGHT_ALLOWED_HOSTS"):
            http_api.check_bind(host)
    http_api.check_bind("127.0.0.1")
    http_api.check_bind("::1")
    http_api.check_bind("10.0.0.5")
    monkeypatch.setenv("EARTHSIGHT_ALLOWED_HOSTS", "earthsight.example.org")
    http_api.check_bind("0.0.0.0")


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/sessions", "/sessions/{session_id}/ask", "/sessions/{session_id}/workflows",
                 "/sessions/{session_id}/artifacts",
                 "/sessions/{session_id}/artifacts/{artifact_id}",
                 "/sessions/{session_id}/files/{path}", "/tools"):
        assert path in paths, path
    # one typed operation per tool: its arguments and its result, from the tool record
    water = paths["/sessions/{session_id}/tools/map_water"]["post"]
    body = water["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["args"] == {"$ref": "#/components/schemas/MapWaterInput"}
    components = schema["components"]["schemas"]
    assert "min_area_m2" in components["MapWaterInput"]["properties"]
    out = water["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "result_path" in components[out.rsplit("/", 1)[1]]["properties"]
    assert sum(p.startswith("/sessions/{session_id}/tools/") for p in paths) >= 12


def test_tool_ask_workflow_and_downloads(client: TestClient, session: str, data_dir: Path,
                                         tmp_path: Path) -> None:
    expected = run_tool("map_water", {"image": str(data_dir / CHIP)},
                        tmp_path / "direct").result.numbers()["water_area"].value

    tool = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"image": CHIP}})
    assert tool.status_code == 200, tool.text
    assert water_area(tool.json()["artifacts"]) == pytest.approx(expected, rel=1e-9)

    with client.stream("POST", f"/sessions/{session}/ask", json={
            "request": "How much open water is in this Sentinel-1 scene?",
            "images": [CHIP]}) as streamed:
        streamed.read()
        events = read_stream(streamed)
    kinds = [e.get("kind") for e in events[:-1]]
    assert all(e["event"] == "progress" for e in events[:-1])
    assert kinds[0] == "plan" and "step_start" in kinds and "step_finish" in kinds
    final = events[-1]
    assert final["event"] == "result" and final["ok"], final
    numbers = {n["name"]: n for n in final["result"]["numbers"]}
    assert numbers["water_area"]["value"] == pytest.approx(expected, rel=1e-9)
    assert numbers["water_area"]["unit"] == "ha"

    flow = client.post(f"/sessions/{session}/workflows",
                       json={"yaml": WORKFLOW, "inputs": {"image": CHIP}})
    assert flow.status_code == 200, flow.text
    kept = flow.json()["result"]["numbers"]
    assert [n["name"] for n in kept] == ["water_area"]
    assert kept[0]["value"] == pytest.approx(expected, rel=1e-9)

    listing = client.get(f"/sessions/{session}/artifacts").json()["artifacts"]
    mask = next(a for a in listing if a["kind"] == "mask")
    download = client.get(mask["url"])
    assert download.status_code == 200 and download.content[:4] in (b"II*\x00", b"MM\x00*")
    assert not Path(mask["path"]).is_absolute()  # workspace-relative
    by_name = client.get(f"/sessions/{session}/files/{mask['path']}")
    assert by_name.content == download.content
    manifest = client.get(f"/sessions/{session}/files/manifest.jsonl")
    records = [json.loads(line) for line in manifest.text.splitlines()]
    assert {r["id"] for r in records} == {a["id"] for a in listing}  # one line a record


def test_errors_are_clear(client: TestClient, session: str) -> None:
    assert client.get("/sessions/" + "0" * 32).status_code == 404
    bad = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"img": "a.tif"}})
    assert bad.status_code == 400
    assert "unknown argument 'img' (did you mean 'image'?)" in bad.json()["detail"]
    unknown = client.post(f"/sessions/{session}/tools/nope", json={"args": {}})
    assert unknown.status_code == 400 and "unknown tool" in unknown.json()["detail"]
    both = client.post(f"/sessions/{session}/workflows", json={"inputs": {}})
    assert both.status_code == 400


TRAVERSALS = ["../../../../etc/passwd", "/etc/passwd", "link.tif", "http://example.com/a.tif",
              "file:///etc/passwd", "/vsicurl/http://example.com/a.tif"]


@pytest.mark.parametrize("value", TRAVERSALS)
def test_traversal_is_refused_through_every_endpoint(value: str, client: TestClient,
                                                     session: str, tmp_path: Path) -> None:
    outside = tmp_path / "secret.tif"
    outside.write_bytes(b"II*\x00secret")
    workspace = tmp_path / "sessions" / session
    (workspace / "link.tif").symlink_to(outside)
    (workspace / "link.yaml").symlink_to(tmp_path / "flow.yaml")
    (tmp_path / "flow.yaml").write_text(WORKFLOW, encoding="utf-8")

    tool = client.post(f"/sessions/{session}/tools/describe_raster",
                       json={"args": {"image": value}})
    assert tool.status_code == 403 and "refused" in tool.json()["detail"], tool.text
    ask = client.post(f"/sessions/{session}/ask", json={"request": "describe it",
                                                        "images": [value]})
    assert ask.status_code == 403 and "refused" in ask.json()["detail"], ask.text
    flow_input = client.post(f"/sessions/{session}/workflows",
                             json={"yaml": WORKFLOW, "inputs": {"image": value}})
    assert flow_input.status_code == 403, flow_input.text
    flow_file = client.post(f"/sessions/{session}/workflows",
                            json={"workflow": value.replace(".tif", ".yaml"), "inputs": {}})
    assert flow_file.status_code == 403, flow_file.text
    download = client.get(f"/sessions/{session}/files/{value}")
    assert download.status_code in (403, 404), download.text
    assert b"secret" not in download.content


@pytest.mark.parametrize("url", ["/sessions/{s}/files/..%2F..%2Fsecret.tif",
                                 "/sessions/{s}/files/%2E%2E/%2E%2E/secret.tif",
                                 "/sessions/{s}/files/link.tif",
                                 "/sessions/{s}/files//etc/passwd",
                                 "/sessions/..%2F{s}/files/manifest.jsonl",
                                 "/sessions/{s}/artifacts/..%2F..%2Fsecret.tif"])
def test_download_outside_the_session_is_refused(url: str, client: TestClient, session: str,
                                                 tmp_path: Path) -> None:
    (tmp_path / "secret.tif").write_bytes(b"II*\x00secret")
    (tmp_path / "sessions" / session / "link.tif").symlink_to(tmp_path / "secret.tif")
    response = client.get(url.format(s=session))
    assert response.status_code in (403, 404), response.text
    assert b"secret" not in response.content


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """A real uvicorn server on 127.0.0.1 (a free port) in a thread; yields (url, app)."""
    import uvicorn

    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


def test_concurrent_requests_respect_the_job_limit(live_server: tuple[str, Any], data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url, app = live_server
    running, peak, guard = [0], [0], threading.Lock()
    real = Runtime.run_tool

    def slow(*args: Any, **kwargs: Any) -> Any:
        with guard:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.3)
            return real(*args, **kwargs)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(Runtime, "run_tool", slow)
    with httpx.Client(base_url=url, headers=AUTH, timeout=30) as c:
        session = c.post("/sessions").json()["session_id"]
    statuses: list[int] = []
    start = threading.Barrier(6)

    def worker() -> None:
        with httpx.Client(base_url=url, headers=AUTH, timeout=30) as c:
            start.wait(timeout=10)
            for _ in range(2):
                r = c.post(f"/sessions/{session}/tools/describe_raster",
                           json={"args": {"image": CHIP}})
                with guard:
                    statuses.append(r.status_code)
                if r.status_code == 429:
                    assert r.headers["retry-after"]

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 12 and set(statuses) <= {200, 429}, statuses
    assert 200 in statuses and 429 in statuses, statuses
    assert peak[0] <= 2 and app.state.limiter.peak <= 2
    with httpx.Client(base_url=url, timeout=10) as anonymous:
        assert anonymous.get("/health").status_code == 401


def test_serve_command_refuses_a_wildcard_host_without_host_names(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in (http_api.TOKEN_ENV, "EARTHSIGHT_ALLOWED_HOSTS")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    proc = subprocess.run([sys.executable, "-m", "agent.cli.main", "serve", "--host", "0.0.0.0",
                           "--root", str(tmp_path / "s")], capture_output=True, text=True,
                          env=env, timeout=60, check=False, cwd=str(tmp_path))
    assert proc.returncode == 2 and "EARTHSIGHT_ALLOWED_HOSTS" in proc.stderr
    assert not Path(env["EARTHSIGHT_TOKEN_FILE"]).exists()  # refused before any token


def test_importing_the_package_loads_no_server_library() -> None:
    code = ("import sys, agent, tools, agent.cli.main, agent.serve.payloads, agent.cli.serve; "
            "agent.cli.main.build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'mcp', 'fastapi', 'uvicorn', 'starlette', 'torch'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
