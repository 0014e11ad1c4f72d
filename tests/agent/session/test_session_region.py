"""A session turn with a ``region`` and ``gsd`` beside its request: the plan puts them on the
scene-reading steps, the turn record keeps them with the ids of each step's artifacts, and
neither carries over to the next turn; approvals are recorded with the heavy steps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from agent.plan import Plan, PlanStep, Scene
from agent.session.session import Session
from tests.conftest import write_tiff
from tools.catalog import get_tool
from tools.core.artifacts import ToolResult
from tools.core.registry import ToolContext, ToolRecord, tool_record
from tools.core.workspace import Workspace
from tools.geo.vector import write_geojson
from tools.segmentation.segment import SegmentInput


@tool_record(SegmentInput, ToolResult)
def segment(args: SegmentInput, ctx: ToolContext) -> ToolResult:
    """Fake SAM: one building, and the pixels of the scene it was given (the region's clip)."""
    with rasterio.open(args.image) as ds:
        pixels = ds.width * ds.height
    objects = ctx.output_path("objects.geojson")
    ring = [[500_000, 3_999_990], [500_010, 3_999_990], [500_010, 4_000_000],
            [500_000, 4_000_000], [500_000, 3_999_990]]
    write_geojson(objects, [{"type": "Feature", "properties": {"class": "building"},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}}],
                  "EPSG:32633")
    ctx.artifact("objects", "vector", objects, crs="EPSG:32633")
    ctx.number("pixels_read", pixels, "count")
    return ToolResult(summary=f"read {pixels} pixels", image=args.image)


def lookup(name: str) -> ToolRecord[Any, Any]:
    return segment if name == "segment" else get_tool(name)


class Planner:
    name = "test"

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        return Plan(request=request, steps=[
            PlanStep(id="s1", tool="segment", args={"image": "$image", "classes": ["building"]}),
            PlanStep(id="s2", tool="measure", args={"source": "$s1", "statistic": "count"})])


@pytest.fixture
def scene(tmp_path: Path) -> str:
    """64 x 64 pixels of 10 m at (500000, 4000000) in EPSG:32633."""
    return str(write_tiff(tmp_path / "scene.tif", np.ones((3, 64, 64), dtype="uint8")))


def test_region_and_gsd_reach_the_plan_and_the_turn_record(tmp_path: Path, scene: str) -> None:
    # the left half of the scene, as a GeoJSON file in the scene's CRS
    ring = [[500_000, 3_999_360], [500_320, 3_999_360], [500_320, 4_000_000],
            [500_000, 4_000_000], [500_000, 3_999_360]]
    region = str(tmp_path / "half.geojson")
    write_geojson(region, [{"type": "Feature", "properties": {},
                            "geometry": {"type": "Polygon", "coordinates": [ring]}}],
                  "EPSG:32633")
    ws = tmp_path / "ws"
    session = Session("r-1", ws, Planner(), tool_lookup=lookup, auto_approve=True)
    first = session.ask("segment the buildings here", [scene], gsd=10.0, region=region)
    assert first.waiting is None and not first.errors, first.errors
    assert first.plan is not None
    s1, s2 = first.plan.steps
    assert s1.args["region"] == region and s1.args["gsd"] == 10.0
    assert "region" not in s2.args and "gsd" not in s2.args  # reads a result, not a scene
    assert "region" not in first.plan.request and region not in first.plan.request

    record = session.values()["turns"][-1]
    assert record["region"] == region and record["gsd"] == 10.0
    assert [p["id"] for p in record["plan"]] == ["s1", "s2"]
    assert record["plan"][0]["args"]["region"] == region
    manifest = {a.id: a for a in Workspace(ws).artifacts()}
    by_step = {s["id"]: s["artifacts"] for s in record["steps"]}
    assert by_step["s1"] and by_step["s2"]
    assert record["artifacts"] == by_step["s1"] + by_step["s2"]
    numbers = {manifest[i].name: manifest[i] for i in by_step["s1"]
               if manifest[i].kind == "number"}
    assert numbers["pixels_read"].value == 32 * 64  # only the region's window was read
    assert numbers["pixels_read"].units == "count"
    assert all(manifest[i].call.step == "s1" for i in by_step["s1"])
    assert all(manifest[i].call.step == "s2" for i in by_step["s2"])

    second = session.ask("segment the buildings")  # same scene, no region this time
    assert second.plan is not None and "region" not in second.plan.steps[0].args
    later = session.values()["turns"][-1]
    assert later["region"] is None and later["gsd"] is None
    pixels = [a for a in Workspace(ws).artifacts() if a.id in later["artifacts"]
              and a.name == "pixels_read"]
    assert [a.value for a in pixels] == [64 * 64]
    assert not set(later["artifacts"]) & set(record["artifacts"])
    session.close()

    reopened = Session("r-1", ws, Planner(), tool_lookup=lookup)
    assert [t["region"] for t in reopened.values()["turns"]] == [region, None]
    reopened.close()


def test_an_approval_is_recorded_with_its_heavy_steps(tmp_path: Path, scene: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_APPROVE_SECONDS", "0")
    session = Session("r-2", tmp_path / "ws", Planner(), tool_lookup=lookup)
    waiting = session.ask("segment the buildings", [scene]).waiting
    assert waiting is not None and waiting["estimates"]
    heavy = waiting["heavy"]
    assert [(h["step"], h["tool"]) for h in heavy] == [("s1", "segment")]
    assert heavy[0]["seconds"] > 0 and heavy[0]["pixels"] == 64 * 64
    assert session.values()["answer"] == ""  # not the last turn's answer

    declined = session.resume(False)
    assert declined.answer and "did not approve" in declined.answer
    record = session.values()["turns"][-1]
    assert record["approval"]["approved"] is False and record["steps"] == []
    assert [p["id"] for p in record["plan"]] == ["s1", "s2"]  # what was proposed

    assert session.ask("segment the buildings", [scene]).waiting is not None
    done = session.resume(True)
    assert done.answer and "read 4096 pixels" in done.answer
    record = session.values()["turns"][-1]
    assert record["approval"]["approved"] is True
    assert [s["status"] for s in record["steps"]] == ["ok", "ok"]
    session.close()
