"""``gsd`` and ``region`` beside the request (``--gsd``, ``--region``, API fields)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.cli import main as cli
from agent.plan import Plan, PlanStep
from agent.request_options import apply_request_options, parse_region
from tools.catalog import get_tool
from tools.core.errors import InputError

LEVIR = "change/levir_cd"
CHIP = "test_102_0512_0000.png"


def test_parse_region() -> None:
    assert parse_region("1,2,3,4") == [1.0, 2.0, 3.0, 4.0]
    assert parse_region("aoi.geojson") == "aoi.geojson"
    with pytest.raises(InputError, match="4 numbers"):
        parse_region("1,2,3")


def test_options_go_on_scene_steps_only() -> None:
    plan = Plan(request="r", steps=[
        PlanStep(id="s1", tool="detect_changes", args={"before": "$before", "after": "$after"}),
        PlanStep(id="s2", tool="measure", args={"source": "$s1", "statistic": "area"}),
        PlanStep(id="s3", tool="pseudo_rgb", args={"image": "$image", "gsd": 2.0}),
    ])
    out = apply_request_options(plan, 0.5, [0, 0, 10, 10], get_tool)
    s1, s2, s3 = out.steps
    assert s1.args["gsd"] == 0.5 and s1.args["region"] == [0, 0, 10, 10]
    assert "gsd" not in s2.args and "region" not in s2.args  # reads results, not scenes
    assert s3.args["gsd"] == 2.0  # its own value is kept
    assert apply_request_options(plan, None, None, get_tool) is plan


def test_cli_ask_with_gsd_and_region(data_dir: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    before, after = data_dir / LEVIR / "A" / CHIP, data_dir / LEVIR / "B" / CHIP
    request = "How much has changed between these two images?"
    argv = ["ask", request, "--image", str(before), "--image", str(after), "--gsd", "0.5",
            "--region", "0,0,128,128", "--workspace", str(tmp_path / "ws"), "--json"]
    assert cli.main([*argv[:-1], "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    change = next(s for s in plan["steps"] if s["tool"] == "detect_changes")
    assert change["args"]["gsd"] == 0.5 and change["args"]["region"] == [0, 0, 128, 128]
    cli.main(argv)
    result = json.loads(capsys.readouterr().out)
    numbers = {n["name"]: n for n in result["numbers"]}
    assert numbers["region_area"]["value"] == pytest.approx(128 * 128 * 0.25)
    assert "inside the region" in result["answer"]


def test_cli_refuses_a_bad_gsd(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["ask", "water?", "--gsd", "-2", "--dry-run"])
    assert "--gsd" in capsys.readouterr().err


def test_run_tool_gsd_flag(data_dir: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    label = data_dir / LEVIR / "label" / CHIP
    argv = ["run-tool", "measure", "--args", json.dumps({"source": str(label),
                                                          "statistic": "area"}),
            "--workspace", str(tmp_path / "ws"), "--json"]
    assert cli.main([*argv, "--gsd", "0.5"]) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert result["units"] in ("m²", "ha")
    changed = int((np.asarray(Image.open(label)) > 0).sum())
    area_m2 = result["value"] * (10_000 if result["units"] == "ha" else 1)
    assert area_m2 == pytest.approx(changed * 0.25, rel=1e-6)
    assert cli.main([*argv[:-1], "--gsd", "0.5", "--args", '{"gsd": 1}']) == 2
