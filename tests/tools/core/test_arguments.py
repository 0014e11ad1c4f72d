"""The one argument check (``ToolRecord.validate_args``): unknown names, non-finite numbers,
integers beyond 64 bits, text no file system can hold, nesting — refused with the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import MakeTiff
from tools.catalog import as_langchain_tools, get_tool, run_tool
from tools.core.arguments import closest
from tools.core.artifacts import ToolCall
from tools.core.errors import InputError
from tools.core.registry import ToolContext
from tools.core.workspace import Workspace


def refused(tool: str, args: dict[str, Any]) -> str:
    with pytest.raises(InputError) as caught:
        get_tool(tool).validate_args(args)
    return str(caught.value)


def test_an_unknown_argument_is_an_error_naming_the_closest_one() -> None:
    text = refused("map_water", {"image": "a.tif", "thresh": -18})
    assert "map_water: unknown argument 'thresh' (did you mean 'threshold'?)" in text
    assert "Arguments it takes: image, method" in text
    assert "did you mean" not in refused("describe_raster", {"image": "a.tif", "zzzz": 1})
    assert closest("statistik", ["source", "statistic"]) == "statistic"


def test_a_misspelt_threshold_no_longer_runs_otsu(make_tiff: MakeTiff, tmp_path: Path) -> None:
    sar = make_tiff("sar.tif", np.full((2, 8, 8), -20, "float32"), descriptions=["VV", "VH"])
    with pytest.raises(InputError, match="did you mean 'threshold'"):
        run_tool("map_water", {"image": str(sar), "thresh": -18.0}, tmp_path / "ws")
    assert not list((tmp_path / "ws").glob("*.tif"))  # nothing ran


@pytest.mark.parametrize(("args", "where"), [
    ({"threshold": float("nan")}, "threshold: nan is not a finite number"),
    ({"threshold": float("inf")}, "threshold: inf is not a finite number"),
    ({"threshold": "-inf"}, "threshold: -inf is not a finite number"),  # text parses to -inf
    ({"min_area_m2": 1e999}, "min_area_m2: inf is not a finite number"),
])
def test_non_finite_numbers_are_refused(args: dict[str, Any], where: str) -> None:
    assert where in refused("map_water", {"image": "a.tif", **args})


def test_non_finite_numbers_inside_lists_and_dicts_are_refused() -> None:
    text = refused("segment", {"image": "a.tif", "points": [[1.0, 2.0], [3.0, float("nan")]]})
    assert "points[1][1]: nan is not a finite number" in text
    text = refused("pseudo_rgb", {"image": "a.tif", "wavelengths_nm": [450.0, float("-inf")]})
    assert "wavelengths_nm[1]" in text


def test_integers_beyond_64_bits_and_unusable_text_are_refused() -> None:
    assert "group: 1000" in refused("pseudo_rgb", {"image": "a.tif", "group": 10**30})
    assert "too large" in refused("spectral_index", {"image": "a.tif", "index": "NDVI",
                                                     "bands": {"red": 2**64}})
    assert "NUL character" in refused("describe_raster", {"image": "a\x00.tif"})
    assert "lone surrogate" in refused("describe_scene", {"image": "a.tif",
                                                          "question": "\ud800?"})
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    assert "nested more than" in refused("measure", {"source": "a.json", "statistic": "count",
                                                     "classes": deep})
    assert "must be a mapping" in refused("describe_raster", ["a.tif"])  # type: ignore[arg-type]


def test_child_calls_are_checked_the_same_way(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ctx = ToolContext(workspace=ws, call=ToolCall(tool="detect_objects", args={}),
                      call_id=ws.new_call_id())
    with pytest.raises(InputError, match=r"unknown argument 'mod'.*did you mean 'mode'"):
        ctx.call_tool("pseudo_rgb", {"image": "a.tif", "mod": "sar"})


def test_the_schema_every_interface_shows_says_no_other_arguments() -> None:
    assert get_tool("map_water").input_schema()["additionalProperties"] is False


def test_a_file_error_of_a_tool_is_an_input_error_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        run_tool("describe_raster", {"image": "x" * 5000}, tmp_path / "ws")
    assert str(caught.value).startswith("describe_raster: xxx")
    assert "File name too long; shorten the path" in str(caught.value)


def test_langchain_tools_hand_unknown_arguments_to_the_check(tmp_path: Path) -> None:
    tools = {t.name: t for t in as_langchain_tools(tmp_path / "ws")}
    said = tools["map_water"].invoke({"image": "a.tif", "thresh": -18})
    assert said.startswith("error: map_water: unknown argument 'thresh' (did you mean")
