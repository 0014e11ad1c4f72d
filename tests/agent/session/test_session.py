"""Sessions through the graph API: SQLite persistence across rebuilds, follow-ups, approval."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.plan import Plan, PlanStep, Scene
from agent.session.estimate import heavy_steps
from agent.session.session import Session, approved
from tests.conftest import write_tiff
from tools.catalog import get_tool
from tools.core.artifacts import ToolResult
from tools.core.registry import ToolContext, ToolRecord, tool_record
from tools.geo.vector import write_geojson
from tools.segmentation.segment import SegmentInput


def _square(x: float, y: float, side: float) -> dict[str, Any]:
    ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return {"type": "Feature", "properties": {"class": "building", "area_m2": side * side},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


@tool_record(SegmentInput, ToolResult)
def segment(args: SegmentInput, ctx: ToolContext) -> ToolResult:
    """Fake SAM: three buildings of 100, 400 and 900 m²."""
    path = ctx.output_path("objects.geojson")
    features = [_square(500_000 + i * 100, 3_990_000, side) for i, side in
                enumerate((10.0, 20.0, 30.0))]
    write_geojson(path, features, "EPSG:32633")
    ctx.artifact("objects", "vector", path, crs="EPSG:32633")
    return ToolResult(summary="3 buildings segmented.", image=args.image)


def lookup(name: str) -> ToolRecord[Any, Any]:
    return segment if name == "segment" else get_tool(name)


class SegmentPlanner:
    name = "test"

    def __init__(self) -> None:
        self.calls = 0

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        self.calls += 1
        return Plan(request=request, steps=[
            PlanStep(id="s1", tool="segment", args={"image": "$image", "classes": ["building"]}),
            PlanStep(id="s2", tool="measure", args={"source": "$s1", "statistic": "count"})])


@pytest.fixture
def scenes(tmp_path: Path) -> list[str]:
    rgb = np.zeros((3, 2100, 2100), dtype="uint8")
    big = write_tiff(tmp_path / "big.tif", rgb)
    small = write_tiff(tmp_path / "small.tif", rgb[:, :64, :64])
    return [str(big), str(small)]


def test_estimates_flag_sam_over_a_large_scene(scenes: list[str]) -> None:
    plan = SegmentPlanner().plan("x")
    heavy = heavy_steps(plan, [Scene(path=scenes[0])])
    assert [e.step for e in heavy] == ["s1"] and "Mpx" in heavy[0].text()
    assert not heavy_steps(plan, [Scene(path=scenes[1])])
    assert approved("yes") and approved({"approve": True}) and not approved("no")


def test_a_session_persists_follows_up_and_asks_before_heavy_steps(
        tmp_path: Path, scenes: list[str]) -> None:
    ws = tmp_path / "ws"
    session = Session("s-1", ws, SegmentPlanner(), tool_lookup=lookup)
    first = session.ask("segment the buildings", images=scenes)
    assert first.waiting is not None and "segment" in first.waiting["estimates"][0]
    session.close()

    session = Session("s-1", ws, SegmentPlanner(), tool_lookup=lookup)  # "after exit"
    assert session.waiting() is not None
    done = session.resume(True)
    assert done.answer and "3 buildings" in done.answer and not done.errors

    bigger = session.ask("now only the ones bigger than 200 m²")
    assert bigger.plan is not None and bigger.plan.steps[0].args["min_area_m2"] == 200
    numbers = session.values()["results"]["s1"].numbers
    assert numbers["count"].value == 2

    again = session.ask("same for the second image")
    assert again.waiting is None and again.plan is not None
    assert "second" not in again.plan.request and "small.tif" in again.plan.notes[0]
    assert session.values()["results"]["s1"].args["image"] == scenes[1]

    export = session.ask("export that as GeoJSON")
    assert export.answer and "exports" in export.answer
    assert list((ws / "exports").glob("*.geojson"))
    session.close()

    reopened = Session("s-1", ws, SegmentPlanner(), tool_lookup=lookup)
    turns = reopened.values()["turns"]
    assert [t["request"] for t in turns][:2] == ["segment the buildings",
                                                 "now only the ones bigger than 200 m²"]
    assert len(turns) == 4
    reopened.close()


def test_declining_and_auto_approve(tmp_path: Path, scenes: list[str]) -> None:
    session = Session("s-2", tmp_path / "ws", SegmentPlanner(), tool_lookup=lookup)
    assert session.ask("segment", images=scenes[:1]).waiting is not None
    declined = session.resume("no")
    assert declined.answer and "did not approve" in declined.answer
    session.close()
    yes = Session("s-3", tmp_path / "ws", SegmentPlanner(), tool_lookup=lookup,
                  auto_approve=True)
    assert yes.ask("segment", images=scenes[:1]).waiting is None
    yes.close()
