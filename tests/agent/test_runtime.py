"""The runtime: one sandbox check and one header read per scene per request, on every entry
point; one describer rule; one error policy; references nested in lists and dicts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasterio.transform import from_origin

import agent.checks
from agent import references
from agent.analyst import Analyst
from agent.cli.main import main
from agent.errors import BusyError, SandboxRefused, report
from agent.graph import resolve_args
from agent.plan import Scene
from agent.runtime import make_runtime
from agent.sandbox import OpenPaths, Sandbox
from agent.session.session import Session
from agent.state import StepResult
from tests.conftest import write_tiff
from tools.core.errors import InputError

REQUEST = "describe the raster"
FLOW = """\
name: describe
inputs:
  image: {type: image}
steps:
  - id: d
    tool: describe_raster
    args: {image: $image}
"""


class Spy:
    """Counts, per file name, the sandbox/path checks and the header reads of the agent."""

    def __init__(self) -> None:
        self.checked: Counter[str] = Counter()
        self.read: Counter[str] = Counter()

    def reset(self) -> None:
        self.checked.clear()
        self.read.clear()

    def once(self, name: str) -> None:
        assert self.checked[name] == 1, f"{name} checked {self.checked[name]} times"
        assert self.read[name] == 1, f"{name} header read {self.read[name]} times"
        self.reset()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    counts = Spy()
    for cls in (Sandbox, OpenPaths):
        real_resolve = cls.resolve

        def resolve(self: Any, value: str, argument: str,
                    _real: Callable[..., str] = real_resolve) -> str:
            if isinstance(value, str) and not value.startswith("$"):
                counts.checked[Path(value).name] += 1
            return _real(self, value, argument)

        monkeypatch.setattr(cls, "resolve", resolve)
    real_describe = agent.checks.describe

    def describe(path: str, argument: str = "image") -> Any:
        counts.read[Path(path).name] += 1
        return real_describe(path, argument)

    for module in ("agent.checks", "agent.planners.llm_context", "agent.session.estimate"):
        monkeypatch.setattr(f"{module}.describe", describe)
    yield counts


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``scene.tif`` in a data root (``EARTHSIGHT_DATA``)."""
    monkeypatch.setenv("EARTHSIGHT_DATA", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    return write_tiff(tmp_path / "data" / "scene.tif",
                      np.arange(3 * 16 * 16, dtype=np.uint8).reshape(3, 16, 16),
                      crs="EPSG:32633", transform=from_origin(500_000, 4_000_000, 10, 10))


def test_python_api_and_workflows(tmp_path: Path, scene: Path, spy: Spy) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    for sandbox in (True, False):
        analyst = Analyst(workspace=tmp_path / f"ws{sandbox}", sandbox=sandbox)
        spy.reset()
        result = analyst.ask(REQUEST, images=[str(scene)])
        assert result.ok, result.errors
        spy.once("scene.tif")
        analyst.run_tool("describe_raster", image=str(scene))
        spy.once("scene.tif")
        assert analyst.run_workflow(flow, image=str(scene)).ok
        spy.once("scene.tif")


def test_command_line(tmp_path: Path, scene: Path, spy: Spy,
                      capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    ws = str(tmp_path / "ws")
    for sandbox in (["--sandbox"], []):
        spy.reset()
        assert main(["ask", REQUEST, "--image", str(scene), "--workspace", ws, "--json",
                     *sandbox]) == 0
        spy.once("scene.tif")
        assert main(["run", str(flow), "--set", f"image={scene}", "--workspace", ws, "--json",
                     *sandbox]) == 0
        spy.once("scene.tif")
    assert main(["run-tool", "describe_raster", "--args", json.dumps({"image": str(scene)}),
                 "--workspace", ws, "--json"]) == 0
    spy.once("scene.tif")
    capsys.readouterr()


def test_servers_and_graphs(tmp_path: Path, scene: Path, spy: Spy,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("mcp")
    import anyio
    import mcp

    from agent.serve import http_api
    from agent.serve.mcp_server import build_server
    from agent.serve.server_graph import make_graph
    from tests.agent.api_client import AUTH, BASE_URL, TOKEN

    app = http_api.create_app(tmp_path / "sessions", token=TOKEN)
    from fastapi.testclient import TestClient

    with TestClient(app, base_url=BASE_URL, headers=AUTH) as client:
        base = f"/sessions/{client.post('/sessions').json()['session_id']}"
        spy.reset()
        lines = client.post(f"{base}/ask", json={"request": REQUEST, "images": ["scene.tif"]})
        assert '"ok": true' in lines.text, lines.text
        spy.once("scene.tif")
        ran = client.post(f"{base}/tools/describe_raster", json={"args": {"image": "scene.tif"}})
        assert ran.status_code == 200, ran.text
        spy.once("scene.tif")
        flow = client.post(f"{base}/workflows", json={"yaml": FLOW,
                                                      "inputs": {"image": "scene.tif"}})
        assert flow.status_code == 200, flow.text
        spy.once("scene.tif")

    server = build_server(tmp_path / "mcp")

    async def calls() -> list[Any]:
        async with mcp.Client(server) as client:
            asked = await client.call_tool("ask", {"request": REQUEST, "images": ["scene.tif"]})
            spy.once("scene.tif")
            ran = await client.call_tool("describe_raster", {"image": "scene.tif"})
            spy.once("scene.tif")
            return [asked, ran]

    spy.reset()
    assert not any(r.is_error for r in anyio.run(calls))

    monkeypatch.setenv("EARTHSIGHT_WORKSPACE", str(tmp_path / "graph"))
    final = make_graph().invoke({"request": REQUEST, "scenes": [Scene(path="scene.tif")],
                                 "workspace": str(tmp_path / "graph"), "results": {}})
    assert final["results"]["s1"].status == "ok", final["results"]["s1"].error
    spy.once("scene.tif")

    runtime = make_runtime(tmp_path / "chat", sandbox=True)
    session = Session.from_runtime(runtime, "s", auto_approve=True)
    try:
        outcome = session.ask(REQUEST, [str(scene)])
    finally:
        session.close()
    assert outcome.answer and not outcome.errors
    spy.once("scene.tif")


def test_one_error_policy() -> None:
    assert report(SandboxRefused("image: refused")).http_status == 403
    assert report(BusyError("busy")).http_status == 429
    assert report(InputError("bad")).http_status == 400
    long = OSError(36, "File name too long", "x" * 300)
    shown = report(long)
    assert shown.http_status == 400 and shown.expected and "File name too long" in shown.message
    bug = report(KeyError("k"))
    assert bug.http_status == 500 and not bug.expected and "unexpected KeyError" in bug.message
    assert {report(e).exit_status for e in (InputError("x"), KeyError("k"))} == {2}


def test_references_nested_in_lists_and_dicts(tmp_path: Path) -> None:
    args = {"boxes": {"source": "$s1", "items": ["$image", "$s2.count"]},
            "images": ["a.tif", "$images"], "note": "cost $5"}
    assert references.step_ids(args) == ["s1", "s2"]
    record = tmp_path / "s2.json"
    record.write_text(json.dumps({"call": {}, "result": {"count": 7}}), encoding="utf-8")
    results = {"s1": StepResult(id="s1", tool="x", status="ok", result_path="s1.json"),
               "s2": StepResult(id="s2", tool="measure", status="ok",
                                result_path=str(record))}
    scenes = [Scene(path="one.tif"), Scene(path="two.tif")]
    out = resolve_args(args, results, scenes)
    assert out == {"boxes": {"source": "s1.json", "items": ["one.tif", 7]},
                   "images": ["a.tif", "one.tif", "two.tif"], "note": "cost $5"}
    with pytest.raises(InputError, match=r"boxes\.items\[0\]: the plan uses \$image"):
        resolve_args({"boxes": {"items": ["$image"]}}, {}, [])
    assert references.rename({"a": ["$water.area", "${n}"]}, {"water": "$s1", "n": 3}) == {
        "a": ["$s1.area", 3]}
