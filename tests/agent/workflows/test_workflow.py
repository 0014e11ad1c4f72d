"""YAML workflows: validation with line numbers, real-data runs, save-from-ask, batch, sandbox."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from agent.cli import main as cli
from agent.runtime import make_runtime
from agent.sandbox import Sandbox
from agent.workflows.batch import run_batch
from agent.workflows.run import run_workflow
from agent.workflows.workflow import WorkflowError, load_workflow, parse_workflow
from tests.conftest import write_tiff
from tools.catalog import run_tool
from tools.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workflows"
SAR = "sar/sen1floods11_Spain_7370579_S1Hand.tif"

GOOD = """\
name: water
inputs:
  image: image
  min_area: {type: number, default: 0}
steps:
  - id: water
    tool: map_water
    args: {image: $image}
  - id: count
    tool: measure
    args:
      source: $water
      statistic: count
      min_area_m2: ${min_area}
outputs: [water.water_area, count]
"""


def _problems(text: str) -> str:
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, "flow.yaml")
    return str(info.value)


def test_good_workflow_parses() -> None:
    wf = parse_workflow(GOOD, "flow.yaml")
    assert [s.id for s in wf.steps] == ["water", "count"]
    assert wf.inputs["image"].required and not wf.inputs["min_area"].required
    assert wf.outputs == ["water.water_area", "count"]


def test_unknown_tool_has_its_line() -> None:
    message = _problems(GOOD.replace("tool: measure", "tool: measure_things"))
    assert "flow.yaml:10: steps[1].tool: unknown tool 'measure_things'" in message


def test_bad_argument_name_and_value_have_their_lines() -> None:
    message = _problems(GOOD.replace("statistic: count", "statistik: count"))
    assert "flow.yaml:13: steps[1].args.statistik: measure has no argument 'statistik'" in message
    message = _problems(GOOD.replace("statistic: count", "statistic: volume"))
    assert "flow.yaml:13: steps[1].args.statistic: measure:" in message


def test_dangling_and_forward_references_have_their_lines() -> None:
    message = _problems(GOOD.replace("source: $water", "source: $wet"))
    assert "flow.yaml:12: steps[1].args.source: $wet is neither an input nor an earlier step" \
        in message
    message = _problems(GOOD.replace("args: {image: $image}", "args: {image: $count}"))
    assert "flow.yaml:8: steps[0].args.image: $count" in message


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("tool: measure", "tool: nope").replace("$image", "$img").replace(
        "outputs: [water.water_area, count]", "outputs: [gone]")
    message = _problems(text)
    assert message.startswith("3 problem(s)") and ":15: outputs[0]" in message


def test_yaml_syntax_error_has_its_line() -> None:
    assert _problems("steps:\n  - id: a\n   tool: [x\n").startswith("flow.yaml:")


def test_missing_and_unknown_inputs(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(GOOD)
    with pytest.raises(WorkflowError, match=r"missing input\(s\) image \(image\).*--set"):
        run_workflow(flow, {}, workspace=tmp_path / "ws")
    with pytest.raises(WorkflowError, match="no input named colour"):
        run_workflow(flow, {"image": "a.tif", "colour": "red"}, workspace=tmp_path / "ws")
    with pytest.raises(WorkflowError, match="min_area: 'big' is not a number"):
        run_workflow(flow, {"image": "a.tif", "min_area": "big"}, workspace=tmp_path / "ws")
    dry = run_workflow(flow, {}, workspace=tmp_path / "ws", dry_run=True)
    assert dry.plan is not None and dry.plan.steps[0].args == {"image": "$image"}
    assert not (tmp_path / "ws").exists()


@pytest.mark.realdata
def test_workflow_on_real_sar_gives_the_map_water_number(data_dir: Path, tmp_path: Path) -> None:
    scene = str(data_dir / SAR)
    direct = run_tool("map_water", {"image": scene}, tmp_path / "direct").result.numbers()
    result = run_workflow(EXAMPLES / "water_area.yaml", {"image": scene},
                          workspace=tmp_path / "ws")
    assert result.ok, result.errors
    by_name = {(n.step, n.name): n for n in result.numbers}
    assert by_name["water", "water_area"].value == pytest.approx(direct["water_area"].value)
    assert by_name["water", "water_area"].unit == "ha"
    assert by_name["bodies", "count"].unit == "count"
    assert any(a.kind == "mask" for a in result.artifacts)


@pytest.mark.realdata
def test_cli_run_and_save_workflow_round_trip(data_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    scene = str(data_dir / SAR)
    flow = tmp_path / "flow.yaml"
    assert cli.main(["ask", "How much open water is there?", "--image", scene, "--workspace",
                     str(tmp_path / "a"), "--json", "--save-workflow", str(flow)]) == 0
    asked = json.loads(capsys.readouterr().out)
    wf = load_workflow(flow)
    assert wf.inputs["image"].default == scene
    assert scene not in flow.read_text().split("default:")[0]  # steps read $image, not the path
    other = tmp_path / "copy.tif"
    shutil.copy(scene, other)
    assert cli.main(["run", str(flow), "--set", f"image={other}", "--workspace",
                     str(tmp_path / "b"), "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    area = {n["name"]: n["value"] for n in asked["numbers"]}["water_area"]
    assert {n["name"]: n["value"] for n in ran["numbers"]}["water_area"] == pytest.approx(area)
    assert ran["inputs"]["image"] == str(other)


@pytest.mark.realdata
def test_batch_with_one_bad_scene(data_dir: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    shutil.copy(data_dir / SAR, scenes / "good.tif")
    (scenes / "broken.tif").write_text("not a raster")
    status = cli.main(["run", str(EXAMPLES / "water_area.yaml"), "--batch", str(scenes),
                       "--workspace", str(tmp_path / "ws")])
    out = capsys.readouterr().out
    assert status == 1 and "broken.tif" in out and "summary.csv" in out
    assert "1 of 2 scene(s) failed" in out and "Ran on" not in out  # in-process
    [table] = (tmp_path / "ws").glob("c*_summary.csv")  # named after a call id of its own
    rows = list(csv.DictReader(table.open()))
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert "not a raster GDAL can read" in rows[0]["error"]
    assert float(rows[1]["water.water_area [ha]"]) > 0
    summary = json.loads(table.with_suffix(".json").read_text())
    assert summary["scenes"][1]["numbers"]["water.water_area [ha]"] == pytest.approx(
        float(rows[1]["water.water_area [ha]"]))


def test_batch_sandbox_and_missing_scenes(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="no scenes found"):
        run_batch(EXAMPLES / "water_area.yaml", str(tmp_path / "none" / "*.tif"),
                  workspace=tmp_path / "ws")
    box = Sandbox(tmp_path / "ws", data_roots=[])
    with pytest.raises(InputError, match="--batch"):
        make_runtime(tmp_path / "ws", sandbox=box).run_batch(EXAMPLES / "water_area.yaml",
                                                             "../*.tif")


@pytest.mark.parametrize("value", ["../x.tif", "/etc/passwd", "http://h/a.tif", "~/a.tif",
                                   "link.tif"])
def test_workflow_runner_refuses_traversal(tmp_path: Path, value: str) -> None:
    (tmp_path / "ws").mkdir()
    write_tiff(tmp_path / "x.tif", np.ones((4, 4), dtype=np.uint8))
    (tmp_path / "ws" / "link.tif").symlink_to(tmp_path / "x.tif")
    box = Sandbox(tmp_path / "ws", data_roots=[])
    with pytest.raises(InputError, match=r"^image: .* is refused"):
        make_runtime(tmp_path / "ws", sandbox=box).run_workflow(
            load_workflow(EXAMPLES / "water_area.yaml"), {"image": value})
    assert not list((tmp_path / "ws").glob("s1_*"))


def test_workflow_literal_path_refused_before_anything_runs(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - {id: d, tool: describe_raster, args: {image: /etc/hosts}}\n")
    with pytest.raises(InputError, match="lies outside"):
        make_runtime(tmp_path / "ws", sandbox=Sandbox(tmp_path / "ws", [])).run_workflow(
            load_workflow(flow), {})


def test_examples_are_valid() -> None:
    for path in EXAMPLES.glob("*.yaml"):
        assert load_workflow(path).steps
