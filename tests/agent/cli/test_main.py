"""The ``earthsight`` command line, through ``main(argv)`` and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.cli import main as cli
from agent.plan import Plan, PlanStep, Scene
from agent.state import AgentResult
from tools.catalog import ALL_TOOLS

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "YOLO_OFFLINE": "1",
               "YOLO_AUTOINSTALL": "0"}


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables wide enough that the asserted cells are not folded."""
    monkeypatch.setenv("COLUMNS", "160")


class FakePlanner:
    """Plans: describe the scene, then map water on it, then measure the water area."""

    name = "fake"

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        """Return the scripted plan."""
        return Plan(request=request, steps=[
            PlanStep(id="s1", tool="describe_raster", args={"image": "$image"}),
            PlanStep(id="s2", tool="detect_objects", args={"image": "$image",
                                                           "classes": ["ship"]}),
            PlanStep(id="s3", tool="measure", args={"source": "$s2", "statistic": "count"}),
        ], notes=["counted ships only"])


@pytest.fixture
def fake_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``--planner`` load the fake planner."""
    monkeypatch.setattr("agent.runtime.load_planner",
                        lambda name, overrides=None: FakePlanner())


@pytest.fixture
def scene(make_tiff: Callable[..., Path], rng: np.random.Generator) -> Path:
    """A small RGB GeoTIFF (10 m pixels, EPSG:32633)."""
    return make_tiff("scene.tif", rng.integers(0, 255, (3, 24, 32)).astype("uint8"))


def test_tools_json_lists_every_tool_with_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tools", "--json"]) == 0
    schemas = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in schemas] == [t.name for t in ALL_TOOLS]
    for s in schemas:
        assert s["description"]
        assert isinstance(s["available"], bool)
        assert s["input_schema"]["type"] == "object" and s["input_schema"]["properties"]
        assert "output_schema" in s
        assert s["available"] or s["requires"]


def test_tools_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tools"]) == 0
    out = capsys.readouterr().out
    for t in ALL_TOOLS:
        assert t.name in out
    assert "image*" in out
    unavailable = [t.name for t in ALL_TOOLS if t.requires is not None]
    if unavailable:
        assert f"Not available here: {unavailable[0]}" in out
    else:
        assert "Not available here" not in out


def test_run_tool_describe_raster(scene: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    args = json.dumps({"image": str(scene)})
    ws = tmp_path / "ws"
    assert cli.main(["run-tool", "describe_raster", "--args", args, "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "32 x 24 px rgb scene" in out
    assert "32 px" in out and "10 m" in out
    assert "Result record" in out

    assert cli.main(["run-tool", "describe_raster", "--args", args, "--workspace", str(ws),
                     "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Path(data["result_path"]).is_file()
    assert data["result"]["info"]["width"] == 32
    numbers = {a["name"]: (a["value"], a["units"]) for a in data["result"]["artifacts"]}
    assert numbers["height"] == (24.0, "px")


def test_run_tool_args_from_a_file(scene: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"image": str(scene)}), encoding="utf-8")
    assert cli.main(["run-tool", "describe_raster", "--args", f"@{args}", "--workspace",
                     str(tmp_path / "ws"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"]["info"]["count"] == 3


@pytest.mark.parametrize(("argv", "message"), [
    (["run-tool", "no_such_tool"], "unknown tool 'no_such_tool'"),
    (["run-tool", "describe_raster", "--args", '{"image": "absent.tif"}'], "file not found"),
    (["run-tool", "describe_raster", "--args", "{image: 1"], "not valid JSON"),
    (["run-tool", "describe_raster", "--args", "[1, 2]"], "must be a JSON object"),
    (["run-tool", "describe_raster", "--args", '{"img": "a.tif"}'],
     "unknown argument 'img' (did you mean 'image'?)"),
    (["run-tool", "detect_objects", "--args", '{"image": "a.tif"}'],
     "weights of model 'yolo11n-obb' not found"),
])
def test_run_tool_errors(argv: list[str], message: str, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*argv, "--workspace", str(tmp_path / "ws")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.startswith("earthsight: error:")
    assert "Traceback" not in captured.err and captured.out == ""


def test_run_tool_error_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "agent.cli.main", "run-tool", "describe_raster", "--args",
         json.dumps({"image": str(tmp_path / "absent.tif")}), "--workspace", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, **OFFLINE_ENV}, timeout=120,
        check=False)
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr


def _check_design_plan(plan: dict[str, Any], request: str) -> None:
    """A plan in the DESIGN.md JSON format: request + steps of id, tool, args."""
    names = {t.name for t in ALL_TOOLS}
    assert plan["request"] == request
    assert isinstance(plan["steps"], list)
    for number, step in enumerate(plan["steps"], start=1):
        assert set(step) == {"id", "tool", "args"}
        assert step["id"] == f"s{number}"
        assert step["tool"] in names
        assert isinstance(step["args"], dict)
    assert set(plan) <= {"request", "steps", "declined", "notes"}


def test_ask_dry_run_json_with_a_fake_planner(fake_planner: None, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    request = "How many ships are in this scene?"
    assert cli.main(["ask", request, "--dry-run", "--json", "--workspace", str(ws)]) == 0
    plan = json.loads(capsys.readouterr().out)
    _check_design_plan(plan, request)
    assert plan["steps"][0] == {"id": "s1", "tool": "describe_raster",
                                "args": {"image": "$image"}}
    assert plan["steps"][2]["args"]["source"] == "$s2"
    assert not ws.exists()


def test_ask_dry_run_with_the_real_planner(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    request = "How much open water is in this Sentinel-1 scene?"
    assert cli.main(["ask", request, "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    _check_design_plan(plan, request)
    assert plan["steps"], plan
    assert any("$image" in json.dumps(s["args"]) for s in plan["steps"])


def test_ask_runs_and_reports_failures(fake_planner: None, scene: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    status = cli.main(["ask", "ships?", "--image", str(scene), "--workspace", str(ws)])
    out = capsys.readouterr().out
    assert status == 1  # a step failed; the answer says which and why
    assert "s1 describe_raster: 32 x 24 px rgb scene" in out
    assert "width: 32 px" in out
    assert "s2 detect_objects failed: detect_objects: weights of model 'yolo11n-obb' not found" \
        in out
    assert "s3 measure skipped: it needs the result of s2" in out
    assert "Assumptions: counted ships only" in out

    status = cli.main(["ask", "ships?", "--image", str(scene), "--workspace", str(ws),
                       "--json"])
    result = AgentResult.model_validate_json(capsys.readouterr().out)
    assert status == 1
    assert [s.status for s in result.steps] == ["ok", "failed", "skipped"]
    assert {n.name: n.unit for n in result.numbers}["width"] == "px"
    assert result.plan.to_design_json()["steps"][0]["tool"] == "describe_raster"


def test_ask_needs_existing_images_for_a_real_run(fake_planner: None, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "water?", "--image", str(tmp_path / "absent.tif"),
                     "--workspace", str(tmp_path / "ws")]) == 2
    assert "--image: file not found" in capsys.readouterr().err


def test_unknown_planner_is_a_usage_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["ask", "water?", "--dry-run", "--planner", "no-such-planner"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("earthsight: error:") and "Traceback" not in err


def test_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", str(tmp_path / "absent.jsonl")]) == 2
    assert "query file not found" in capsys.readouterr().err


def test_eval_with_the_real_planner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("agent.evaluate")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({
        "id": "q1", "question": "How much open water is in this Sentinel-1 scene?",
        "images": ["s1.tif"], "gold": {"required": ["map_water"], "ordered": True}}) + "\n",
        encoding="utf-8")
    out = tmp_path / "report.json"
    assert cli.main(["eval", str(queries), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip()
    assert json.loads(out.read_text(encoding="utf-8"))


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "data"


def test_bundled_example_data_is_attributed() -> None:
    import hashlib

    attribution = (EXAMPLES / "ATTRIBUTION.md").read_text(encoding="utf-8")
    scenes = sorted(EXAMPLES.glob("*.tif"))
    assert [p.name for p in scenes] == ["S1_2018_VV_VH_clip.tif",
                                        "landsat8_LC08_003069_20180906_clip.tif",
                                        "rasterio_RGB.byte.tif"]
    for path in scenes:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{path.name}` | {path.stat().st_size} | `{digest}`" in attribution


def test_demo_question_on_the_bundled_scenes(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    sar = EXAMPLES / "S1_2018_VV_VH_clip.tif"
    optical = EXAMPLES / "landsat8_LC08_003069_20180906_clip.tif"
    demo = (EXAMPLES.parent / "demo.sh").read_text(encoding="utf-8")
    question = demo.split('DEMO_QUESTION:-"', 1)[1].split('"}', 1)[0]
    status = cli.main(["ask", question, "--image", str(sar), "--image", str(optical),
                       "--workspace", str(tmp_path / "ws"), "--json"])
    result = AgentResult.model_validate_json(capsys.readouterr().out)
    assert status == 0, result.errors
    assert {(s.tool, Path(str(s.args["image"])).name) for s in result.plan.steps} == {
        ("map_water", sar.name), ("spectral_index", optical.name)}
    done = {(s.tool, Path(str(s.args.get("image"))).name): s for s in result.steps
            if s.status == "ok"}
    water = done[("map_water", sar.name)]
    assert water.numbers["water_area"].unit == "ha" and water.numbers["water_area"].value > 0
    ndvi = done[("spectral_index", optical.name)]
    assert -1 <= ndvi.numbers["mean"].value <= 1
    kinds = {a.kind for a in result.artifacts}
    assert {"mask", "vector", "raster"} <= kinds
    assert all(Path(str(a.path)).is_file() for a in result.artifacts)
