"""The tool registry: schemas of the public surface, readable validation errors, run records."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from tests.conftest import MakeTiff
from tools.catalog import ALL_TOOLS, REGISTRY, get_tool, run_tool, tool_schemas
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import (
    ToolContext,
    missing_requirements,
    run_record,
    tool_record,
)
from tools.core.sources import load_result, load_source
from tools.core.workspace import Workspace

PUBLIC = {"describe_raster", "pseudo_rgb", "spectral_index", "map_water", "detect_objects",
          "segment", "detect_changes", "estimate_biomass", "measure", "trend", "classify_scene",
          "search_images", "describe_scene", "assess"}


def test_the_public_surface_has_13_tools_with_json_schemas() -> None:
    schemas = tool_schemas()
    assert {s["name"] for s in schemas} == PUBLIC and len(ALL_TOOLS) == 14
    for s in schemas:
        json.dumps(s)  # serialisable as-is for LLM / MCP clients
        assert s["description"] and "Args:" not in s["description"]
        assert s["input_schema"]["type"] == "object" and s["input_schema"]["properties"]
        assert "summary" in s["output_schema"]["properties"]
        assert isinstance(s["available"], bool)
        assert (s["requires"] is None) == s["available"]


@pytest.mark.parametrize(("tool", "required"), [
    ("describe_raster", {"image"}), ("measure", {"source", "statistic"}), ("trend", {"images"}),
    ("describe_scene", {"image"}),
])
def test_required_arguments_are_declared(tool: str, required: set[str]) -> None:
    assert set(REGISTRY[tool].input_schema().get("required", [])) == required


def test_validation_errors_are_readable() -> None:
    with pytest.raises(InputError) as err:
        get_tool("measure").validate_args({"source": "x.geojson", "statistic": "median",
                                           "min_area_m2": -1})
    text = str(err.value)
    assert text.startswith("measure: invalid arguments (")
    assert "statistic: Input should be 'count', 'area'" in text
    assert "min_area_m2: Input should be greater than or equal to 0" in text
    assert "Arguments it takes: source, statistic" in text
    with pytest.raises(InputError, match=r"trend: invalid arguments \(images: Field required"):
        get_tool("trend").validate_args({})


def test_unknown_tool_lists_the_names() -> None:
    with pytest.raises(InputError, match="unknown tool 'frobnicate'; tools are: describe_raster"):
        get_tool("frobnicate")


def test_unavailable_tool_says_why(workspace: Workspace) -> None:
    record = dataclasses.replace(get_tool("describe_raster"), requires="needs the moon")
    with pytest.raises(ToolUnavailable, match="describe_raster cannot run here: needs the moon"):
        run_record(record, {"image": "x.tif"}, workspace)
    assert not workspace.manifest_path.exists()


def test_run_record_writes_the_result_and_the_manifest(
        make_tiff: MakeTiff, workspace: Workspace) -> None:
    image = make_tiff("scene.tif", np.ones((3, 20, 30), dtype="uint8"))
    run = run_tool("describe_raster", {"image": str(image)}, workspace, step="s1")
    assert run.result_path == workspace.root / "c001-s1_describe_raster.json"
    stored = json.loads(run.result_path.read_text())
    assert stored["call"] == {"tool": "describe_raster", "args": {"image": str(image)},
                              "step": "s1"}
    assert stored["result"]["info"]["width"] == 30
    manifest = [json.loads(line) for line in workspace.manifest_path.read_text().splitlines()]
    names = {a["name"] for a in manifest}
    assert {"width", "height", "band_count", "pixel_size_x"} <= names
    for art in manifest:
        assert art["call"]["tool"] == "describe_raster" and art["call"]["step"] == "s1"
        assert art["id"].startswith("c001-")
    # The result file is what a $s1 reference resolves to.
    call, result = load_result(run.result_path)
    assert call.tool == "describe_raster" and result["image"] == str(image)
    source = load_source(run.result_path)
    assert source.numbers["width"].value == 30 and source.numbers["width"].unit == "px"
    run2 = run_tool("describe_raster", {"image": str(image)}, workspace)
    assert run2.result_path.name == "c002_describe_raster.json"
    assert len(workspace.artifacts()) == 2 * len(run.result.artifacts)


def test_load_result_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"source: result file not found: .*none\.json"):
        load_result(tmp_path / "none.json")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(InputError, match=r"other\.json is not an EarthSight result file"):
        load_result(other)


def test_failed_run_writes_no_result(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        run_tool("describe_raster", {"image": str(tmp_path / "missing.tif")}, workspace)
    assert not list(workspace.root.glob("*_describe_raster.json"))


def test_requires_names_what_the_installation_lacks(workspace: Workspace) -> None:
    assert missing_requirements(("json", "numpy")) is None
    text = missing_requirements(("numpy", "no_such_module_xyz"))
    assert text == ("needs the deep extra (pip install 'earthsight[deep]'; not installed: "
                    "no_such_module_xyz)")

    class NoArgs(BaseModel):
        """No arguments."""

    @tool_record(NoArgs, ToolResult, needs=("no_such_module_xyz",))
    def needy(args: NoArgs, ctx: ToolContext) -> ToolResult:
        """Needs a module nobody has."""
        return ToolResult(summary="ran")

    assert needy.requires == text and needy.schema()["available"] is False
    with pytest.raises(ToolUnavailable, match="needy cannot run here: needs the deep extra"):
        run_record(needy, {}, workspace)
    # the deep tools declare the libraries every call imports; the others run anywhere
    deep = {"detect_objects": ("torch", "ultralytics"), "segment": ("torch", "segment_anything"),
            "classify_scene": ("torch", "open_clip"),
            "search_images": ("torch", "open_clip", "faiss"), "estimate_biomass": ("torch",)}
    for name, needs in deep.items():
        assert get_tool(name).requires == missing_requirements(needs)
    assert all(get_tool(name).requires is None for name in PUBLIC - set(deep))
