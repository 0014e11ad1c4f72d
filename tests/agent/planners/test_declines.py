"""Out-of-scope topics decline what they name and nothing that only mentions their words."""

from __future__ import annotations

import pytest

from agent.plan import Scene
from agent.planners.offline import OfflinePlanner


@pytest.mark.parametrize("request_text", [
    "How many cholera cases should the district expect next month?",
    "Can the lift company still appeal, and is the glacier now legally protected?",
    "How far has the water table dropped since 2000?",
    "Model the flood wave of a future outburst down the valley.",
    "Work out the fastest detour for the relief convoy to the shelter.",
    "Compute the Normalized Difference Drought Index of modis.tif",  # (a participle first)
    "Monitor the drought by computing VCI from the NDVI of n_2019.tif and n_2020.tif",
    "What is the population of 3 districts in this image?",  # a count of districts, no figure
])
def test_out_of_scope_asks_are_declined(planner: OfflinePlanner, request_text: str) -> None:
    plan = planner.plan(request_text)
    assert plan.declined and not plan.steps


@pytest.mark.parametrize(("request_text", "tool"), [
    ("Count the buildings inside the legally protected zone in x.tif", "detect_objects"),
    ("Map the flooding behind the levy in x.tif", "map_water"),
    ("How many head of cattle are in the paddock in x.tif?", "detect_objects"),
    ("Threshold the backscattering coefficient below -18 dB to map open water in x.tif",
     "map_water"),
    ("Map the standing water in x.tif where the water table is close to the surface",
     "map_water"),
    ("What's the quickest way to map the flooded area in x.tif?", "map_water"),
    ("Map the water extent in x.tif, captured the day after the flood wave passed Cologne",
     "map_water"),
    ("Hi, our town (population 8,900) wants to know how many ships are in x.tif.",
     "detect_objects"),  # a population figure given as context
])
def test_words_of_a_topic_in_an_in_scope_ask_decline_nothing(
    planner: OfflinePlanner, request_text: str, tool: str
) -> None:
    plan = planner.plan(request_text, [Scene(path="x.tif")])
    assert not plan.declined and tool in [s.tool for s in plan.steps]
