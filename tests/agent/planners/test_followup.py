"""Chat follow-ups that run the previous request on another scene, named in any way."""

from __future__ import annotations

from typing import Any

import pytest

from agent.planners.followup import resolve_followup
from agent.planners.offline import OfflinePlanner

SCENES = ["harbour_S1_VV_2019-05-02.tif", "harbour_S2_2021-05-04.tif", "harbour_S2_2023-05-06.tif"]
TURN: dict[str, Any] = {"request": "count the ships", "scenes": [SCENES[2]],
                        "steps": [{"id": "s1", "tool": "detect_objects", "status": "ok",
                                   "result_path": "ws/s1.geojson", "vectors": []}]}


@pytest.mark.parametrize(("request_text", "index"), [
    ("what about the radar one?", 0),
    ("now do it for the 2021 image", 1),
    ("and for the oldest scene?", 0),
    ("same for image 2", 1),
    ("how about the second picture", 1),
])
def test_the_other_scene_is_the_one_named(planner: OfflinePlanner, request_text: str,
                                          index: int) -> None:
    follow = resolve_followup(request_text, [TURN], SCENES, planner)
    assert follow is not None and follow.plan is not None
    assert [s.path for s in follow.scenes] == [SCENES[index]]
    images = {a.get("image") for a in (s.args for s in follow.plan.steps)}
    assert SCENES[index] in images or any(s.tool == "pseudo_rgb" for s in follow.plan.steps)


def test_a_new_request_is_no_follow_up(planner: OfflinePlanner) -> None:
    assert resolve_followup("what about the weather tomorrow?", [TURN], SCENES, planner) is None
    assert resolve_followup("count the planes in a.tif", [TURN], SCENES, planner) is None
