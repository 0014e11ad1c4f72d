"""Ways around the sandbox that a review found, each closed: values brought in by references,
folders and patterns, VRTs by content, result files naming outside scenes, client-supplied
graph state; and workflow YAML that could stall a server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from agent.checks import RequestChecks
from agent.errors import SandboxRefused
from agent.runtime import make_runtime
from agent.sandbox import Sandbox
from agent.workflows.workflow import WorkflowError, parse_workflow
from tests.conftest import write_tiff
from tools.core.registry import DescribeRequest

FLOW = """\
inputs:
  image: {type: image}
steps:
  - id: a
    tool: describe_scene
    args: {image: $image, question: "where is it"}
  - id: b
    tool: describe_raster
    args: {image: $a.answer}
"""


def _tif(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_tiff(path, np.ones((1, 8, 8), np.uint8), crs="EPSG:32633",
                      transform=from_origin(0, 80, 10, 10))


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Sandbox, Path, Path]:
    """A sandbox over ``ws`` and ``data``; ``outside/secret.tif`` lies outside both."""
    (tmp_path / "ws").mkdir()
    _tif(tmp_path / "data" / "scene.tif")
    secret = _tif(tmp_path / "outside" / "secret.tif")
    return Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"]), tmp_path / "data", secret


def test_a_value_brought_by_a_reference_is_checked(roots: tuple[Sandbox, Path, Path],
                                                    tmp_path: Path) -> None:
    box, data, secret = roots

    def describer(request: DescribeRequest) -> str:
        return str(secret)  # a model can be steered to answer anything

    runtime = make_runtime(tmp_path / "ws", sandbox=box, describer=describer)
    result = runtime.run_workflow(parse_workflow(FLOW), {"image": str(data / "scene.tif")})
    by_id = {s.id: s for s in result.steps}
    assert by_id["a"].status == "ok"
    assert by_id["b"].status == "failed" and "refused" in (by_id["b"].error or "")


def test_folders_and_patterns_may_not_reach_outside(roots: tuple[Sandbox, Path, Path]) -> None:
    box, data, secret = roots
    checks = RequestChecks(box, box.max_pixels)
    assert checks.check_file("scene.tif", "images") == str(data / "scene.tif")
    (data / "archive").mkdir()
    _tif(data / "archive" / "ok.tif")
    assert RequestChecks(box, box.max_pixels).check_file("archive", "images")
    (data / "archive" / "link.tif").symlink_to(secret)
    for spec in ("archive", "archive/*.tif", str(data / "archive")):
        with pytest.raises(SandboxRefused, match="outside every root"):
            RequestChecks(box, box.max_pixels).check_file(spec, "images")


def test_a_vrt_is_refused_whatever_its_name(roots: tuple[Sandbox, Path, Path]) -> None:
    box, data, secret = roots
    vrt = (f'<VRTDataset rasterXSize="8" rasterYSize="8"><VRTRasterBand dataType="Byte" '
           f'band="1"><SimpleSource><SourceFilename>{secret}</SourceFilename>'
           "</SimpleSource></VRTRasterBand></VRTDataset>")
    (data / "innocent.tif").write_text(vrt, encoding="utf-8")
    for spec in ("innocent.tif", "*.tif"):
        with pytest.raises(SandboxRefused, match="VRT"):
            RequestChecks(box, box.max_pixels).check_file(spec, "image")


def test_a_result_file_naming_an_outside_scene_is_refused(
        roots: tuple[Sandbox, Path, Path], tmp_path: Path) -> None:
    box, _, secret = roots
    record = tmp_path / "ws" / "c001-s1_search_images.json"
    record.write_text(json.dumps({"call": {"tool": "search_images", "args": {}}, "result": {
        "summary": "", "artifacts": [], "hits": [{"scene": str(secret), "score": 0.9}]}}))
    with pytest.raises(SandboxRefused, match="points at"):
        RequestChecks(box, box.max_pixels).check_tool_args(
            "detect_objects", {"image": str(record)})


def test_the_server_graph_takes_dict_scenes_and_keeps_its_own_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.serve.server_graph import make_graph

    scene = _tif(tmp_path / "ws" / "scene.tif")
    monkeypatch.setenv("EARTHSIGHT_WORKSPACE", str(tmp_path / "ws"))
    final = make_graph().invoke({"request": "describe the raster",
                                 "scenes": [{"path": str(scene)}],
                                 "workspace": str(tmp_path / "elsewhere"), "results": {}})
    step = final["results"]["s1"]
    assert step.status == "ok", step.error
    assert Path(step.result_path).parent == tmp_path / "ws"
    assert not (tmp_path / "elsewhere").exists()


def test_workflow_yaml_aliases_are_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(WorkflowError, match="aliases"):
        parse_workflow(bomb + "steps: [{id: s, tool: describe_raster, args: {image: *b}}]\n")


def test_a_weights_file_argument_is_no_scene_error(roots: tuple[Sandbox, Path, Path]) -> None:
    box, data, _ = roots
    (data / "mine.pt").write_bytes(b"not a raster")
    checks = RequestChecks(box, box.max_pixels)
    checks.check_tool_args("detect_objects", {"image": "scene.tif", "model": "mine.pt"})
    assert checks.errors == []
