"""Workflow inputs (``--set``, HTTP ``inputs``) are converted and checked against the input types
and the tools' schemas before any step runs; a file that is no YAML text says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.cli import main as cli
from agent.runtime import make_runtime
from agent.workflows.batch import run_batch
from agent.workflows.inputs import WorkflowInput, convert_input
from agent.workflows.workflow import WorkflowError, load_workflow, parse_workflow
from tests.conftest import write_tiff

FLOW = """\
name: water
inputs:
  image: image
  min_area: {type: number, default: 0}
steps:
  - id: rgb
    tool: pseudo_rgb
    args: {image: $image}
  - id: water
    tool: map_water
    args: {image: $image, min_area_m2: "${min_area}"}
"""


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    data = np.stack([np.full((8, 8), -20.0), np.full((8, 8), -25.0)]).astype("float32")
    return write_tiff(tmp_path / "sar.tif", data, descriptions=["VV", "VH"])


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return path


def run_refused(flow: Path, inputs: dict[str, Any], workspace: Path) -> str:
    with pytest.raises(WorkflowError) as caught:
        make_runtime(workspace).run_workflow(flow, inputs)
    assert not workspace.exists() or not list(workspace.glob("*.tif"))  # no step ran
    return str(caught.value)


@pytest.mark.parametrize(("value", "said"), [
    ("nan", "input min_area: nan is not a finite number"),
    ("1e999", "input min_area: inf is not a finite number"),
    ("big", "input min_area: 'big' is not a number; give a finite number, e.g. --set "
            "min_area=500"),
    ([1, 2], "input min_area: [1, 2] is not a number"),
    (True, "input min_area: True is not a number"),
])
def test_input_values_are_converted_and_checked(value: Any, said: str, flow: Path, scene: Path,
                                                tmp_path: Path) -> None:
    text = run_refused(flow, {"image": str(scene), "min_area": value}, tmp_path / "ws")
    assert said in text


def test_a_value_the_tool_refuses_stops_the_workflow_before_any_step(
        flow: Path, scene: Path, tmp_path: Path) -> None:
    text = run_refused(flow, {"image": str(scene), "min_area": "-5"}, tmp_path / "ws")
    assert "step water: map_water refuses its arguments with the inputs given (min_area_m2: " \
           "Input should be greater than or equal to 0)" in text


def test_a_misspelt_input_names_the_closest(flow: Path, scene: Path, tmp_path: Path) -> None:
    text = run_refused(flow, {"image": str(scene), "min_are": "5"}, tmp_path / "ws")
    assert "no input named min_are (did you mean 'min_area'?)" in text


def test_a_default_of_the_wrong_type_is_found_when_parsing() -> None:
    with pytest.raises(WorkflowError, match=r"flow.yaml:4: inputs.min_area.default: .*'big' "
                                            r"is not a number"):
        parse_workflow(FLOW.replace("default: 0", "default: big"), "flow.yaml")


def test_integer_and_boolean_inputs() -> None:
    assert convert_input("n", WorkflowInput(type="integer"), "3") == 3
    assert convert_input("n", WorkflowInput(type="integer"), 3.0) == 3
    assert convert_input("b", WorkflowInput(type="boolean"), "Yes") is True
    assert convert_input("i", WorkflowInput(type="images"), "a.tif, b.tif") == ["a.tif", "b.tif"]
    with pytest.raises(WorkflowError, match="is not an integer"):
        convert_input("n", WorkflowInput(type="integer"), "9" * 5000)


@pytest.mark.parametrize(("content", "said"), [
    (b"II*\x00\x08\x00\x00\x00binary", "not a text file (a raster or other binary file?)"),
    ("name: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 9); save it as UTF-8"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
])
def test_a_file_that_is_no_yaml_text_says_so(content: bytes, said: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scene.tif"
    path.write_bytes(content)
    with pytest.raises(WorkflowError, match=r"scene\.tif"):
        load_workflow(path)
    assert cli.main(["run", str(path), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("earthsight: error:") == 1 and "Traceback" not in err


def test_a_batch_checks_its_inputs_once_before_any_scene(flow: Path, scene: Path,
                                                         tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="input min_area: 'big' is not a number"):
        run_batch(flow, str(scene.parent), inputs={"min_area": "big"},
                  workspace=tmp_path / "batch")
    assert not (tmp_path / "batch").exists()
