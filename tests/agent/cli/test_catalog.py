"""``earthsight tools``: available, needs weights (installed, default weights absent) or not
installed, in the table and in --json."""

from __future__ import annotations

import dataclasses
import json

import pytest

from agent.cli import main as cli
from tools import catalog
from tools.catalog import NEEDS_WEIGHTS, NOT_INSTALLED, tool_status


@pytest.fixture
def states(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only MobileSAM's weights are here; estimate_biomass lacks a library."""
    monkeypatch.setattr(catalog, "weights_present", lambda r: r.name == "mobile_sam_vit_t")
    biomass = dataclasses.replace(catalog.REGISTRY["estimate_biomass"],
                                  requires="needs the deep extra (not installed: torch)")
    monkeypatch.setattr(catalog, "ALL_TOOLS", tuple(
        biomass if t.name == "estimate_biomass" else t for t in catalog.ALL_TOOLS))


def test_three_states(states: None) -> None:
    by_name = {t.name: t for t in catalog.ALL_TOOLS}
    assert tool_status(by_name["describe_raster"]) == ("available", [])
    assert tool_status(by_name["map_water"]) == ("available", [])  # its default needs none
    assert tool_status(by_name["segment"]) == ("available", [])  # MobileSAM is enough
    assert tool_status(by_name["detect_objects"]) == (NEEDS_WEIGHTS, ["yolo11n-obb.pt"])
    assert tool_status(by_name["classify_scene"])[0] == NEEDS_WEIGHTS
    assert tool_status(by_name["estimate_biomass"]) == (NOT_INSTALLED, [])


def test_table_and_json_say_which(states: None, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["tools"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "detect_objects" in line
               and "│" in line)
    assert "needs weights" in row
    assert "not installed" in next(line for line in out.splitlines()
                                   if "estimate_biomass" in line and "│" in line)
    assert "Needs weights: detect_objects" in out and "yolo11n-obb.pt not found" in out
    assert "Not available here: estimate_biomass" in out
    assert cli.main(["tools", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["detect_objects"]["status"] == "needs weights"
    assert listed["detect_objects"]["weights_missing"] == ["yolo11n-obb.pt"]
    assert listed["estimate_biomass"]["status"] == "not installed"
    assert listed["describe_raster"]["status"] == "available"
    assert cli.main(["tools", "--markdown"]) == 0
    assert "| `detect_objects` | needs weights |" in capsys.readouterr().out
