"""A search -> detect plan end to end: ``$s1`` (a search_images result) flows into the real
detect_objects, which detects only in the hit windows of the searched mosaic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.graph import run_request
from specialists.tiling import Window, slice_windows
from tests.agent.test_graph import ScriptedPlanner
from tests.conftest import MakeTiff
from tests.tools.detection.test_detect_objects import DOTA_NAMES, install_fake, xyxy_corners
from tests.tools.detection.test_hits import make_hit
from tools.catalog import get_tool
from tools.clip.classify_search import SearchImagesInput, SearchImagesOutput
from tools.core.registry import ToolContext, ToolRecord, tool_record
from tools.detection.inputs import touching

HIT_WINDOWS = [[0, 0, 224, 224], [1200, 600, 224, 224]]


@tool_record(SearchImagesInput, SearchImagesOutput)
def search_images(args: SearchImagesInput, ctx: ToolContext) -> SearchImagesOutput:
    """A stand-in search: the "airport" tiles of the archive scene are two fixed windows."""
    hits = [make_hit(rank, Path(args.archive), w, 0.3 - rank / 100)
            for rank, w in enumerate(HIT_WINDOWS, start=1)]
    return SearchImagesOutput(summary=f"{len(hits)} tiles match '{args.query}'.", hits=hits)


def lookup(name: str) -> ToolRecord[Any, Any]:
    return search_images if name == "search_images" else get_tool(name)


def test_search_then_detect_planes(make_tiff: MakeTiff, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "w" / "yolo11n-obb.pt"
    weights.parent.mkdir()
    weights.write_bytes(b"fake")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(weights.parent))
    width, height, tile, overlap = 1500, 900, 640, 128
    mosaic = make_tiff("s2_mosaic.tif", np.full((3, height, width), 80, np.uint8))
    boxes = [[100, 100, 150, 130], [1250, 650, 1300, 680], [700, 100, 760, 140]]
    fake = install_fake(monkeypatch, xyxy_corners(boxes), [0, 0, 0], DOTA_NAMES, False,
                        (width, height), tile, overlap)
    fake.windows = touching(slice_windows(width, height, tile, overlap),
                            [Window(*w) for w in HIT_WINDOWS])
    planner = ScriptedPlanner([
        {"id": "s1", "tool": "search_images", "args": {"query": "airport", "archive": "$image"}},
        {"id": "s2", "tool": "detect_objects",
         "args": {"image": "$s1", "classes": ["plane"], "tile_size": tile, "overlap": overlap}}])
    result = run_request("Which tiles of the big mosaic s2_mosaic.tif show an airport? then "
                         "count the planes there", [str(mosaic)], tmp_path / "ws", planner,
                         tool_lookup=lookup)
    assert result.ok, result.answer
    s1, s2 = result.steps
    assert s2.args["image"] == s1.result_path
    assert fake.seen == len(fake.windows) == 3
    record = json.loads(Path(str(s2.result_path)).read_text(encoding="utf-8"))["result"]
    assert record["counts"] == {"plane": 2}
    data = json.loads(Path(record["path"]).read_text(encoding="utf-8"))
    assert data["crs"]["properties"]["name"] == "EPSG:32633"
    assert sorted(f["properties"]["hit_rank"] for f in data["features"]) == [1, 2]
    assert {n.name: n.value for n in result.numbers}["count_plane"] == 2
