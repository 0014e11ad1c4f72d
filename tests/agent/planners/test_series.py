from __future__ import annotations

from agent.plan import Scene
from agent.planners.offline import OfflinePlanner

P = OfflinePlanner()


def _tools(text: str, files: list[str]) -> list[tuple[str, dict[str, object]]]:
    plan = P.plan(text, [Scene(path=f) for f in files])
    return [(s.tool, s.args) for s in plan.steps]


def test_outlines_per_date_trend_of_their_area() -> None:
    files = ["crust_2019-08-01.tif", "crust_2020-08-03.tif", "crust_2021-08-02.tif"]
    steps = _tools("Outline the salt crust on each of these images and tell me how its area "
                   "changed: " + ", ".join(files), files)
    assert [t for t, _ in steps].count("segment") == 3
    assert steps[-1][0] == "trend" and steps[-1][1]["statistic"] == "area"


def test_pre_fire_scene_pairs_with_each_later_date() -> None:
    files = ["pre_fire_2020-06-01.tif", "post_2020-09-01.tif", "post_2021-09-01.tif"]
    steps = _tools("Compute NBR against the pre-fire image for each later date and show the "
                   "trend: " + ", ".join(files), files)
    index = [a for t, a in steps if t == "spectral_index"]
    assert len(index) == 2 and all(a["before"] == files[0] for a in index)
    assert steps[-1][0] == "trend"
