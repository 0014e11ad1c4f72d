"""Amounts of things no class names (agent/planners/named_amounts.py)."""

from __future__ import annotations

import pytest

from agent.plan import Scene
from agent.planners.offline import OfflinePlanner
from agent.planners.vocab import participle
from tests.agent.planners.plans import steps


@pytest.mark.parametrize(("text", "noun", "statistic"), [
    ("What is the total area of the sinkholes in k.tif?", "sinkhole", "area"),
    ("How long is the breakwater in bay.tif, in metres?", "breakwater", "length"),
    ("What is the mean size of the charcoal mounds in c.tif?", "charcoal mound", "mean"),
    ("What is the mean length of the trenches in t.tif?", "trench", "length"),
    ("How much bare ground is there in g.tif?", "ground", "area"),
])
def test_amount_of_an_unnamed_thing_is_its_outline_measured(
        planner: OfflinePlanner, text: str, noun: str, statistic: str) -> None:
    plan = planner.plan(text)
    done = dict(steps(plan))
    assert noun in done["segment"]["classes"][0]
    assert done["measure"]["statistic"] == statistic


@pytest.mark.parametrize("text", [
    "How long was the drought shown in a.tif?",        # a duration, no outline
    "How big is the fine for this in a.tif?",          # abstract
    "Is the area occupied by the grass larger than the area occupied by the houses in a.tif?",
])
def test_abstract_nouns_and_yes_no_questions_outline_nothing(planner: OfflinePlanner,
                                                            text: str) -> None:
    assert "segment" not in [tool for tool, _ in steps(planner.plan(text))]


def test_a_series_question_is_a_trend(planner: OfflinePlanner) -> None:
    scenes = [Scene(path=f"pads_{y}.tif") for y in (2019, 2021, 2023)]
    plan = planner.plan("Has the gravel pad area been growing?", scenes)
    assert [tool for tool, _ in steps(plan)][-1] == "trend"


def test_participle() -> None:
    assert participle("ended") and participle("parked")
    assert not any(participle(w) for w in ("reed", "seabed", "woodshed", "breed", "red"))
