"""Parts a request rules out are cut before it is read; scene exclusions and filters stay."""

from __future__ import annotations

import pytest

from agent.planners.exclusions import read_exclusions
from agent.planners.offline import OfflinePlanner


def names_work(part: str) -> bool:
    return OfflinePlanner()._names_work(part)


@pytest.mark.parametrize(("text", "kept", "cut"), [
    ("Deliverables: 1) number of planes. Out of scope: vehicle counts. Due Monday.",
     "Deliverables: 1) number of planes. Due Monday.", ["Out of scope: vehicle counts"]),
    ("Count ships. No need for a water mask. Thanks", "Count ships. Thanks",
     ["No need for a water mask"]),
    ("Deliverables: - count planes. Please don't count vehicles. Thanks",
     "Deliverables: - count planes. Thanks", ["Please don't count vehicles"]),
    ("Skip the NDVI, just count the storage tanks", "just count the storage tanks",
     ["Skip the NDVI"]),
    ("Count planes (helicopters not needed)", "Count planes", ["(helicopters not needed)"]),
    ("Vehicles are out of scope. Count the buildings.", "Count the buildings.",
     ["Vehicles are out of scope"]),
    ("Map the flood. We do not need biomass this time.", "Map the flood.",
     ["We do not need biomass this time"]),
    ("Please map water. Skip: NDVI and count the ships", "Please map water. and count the ships",
     ["Skip: NDVI"]),  # a field ends where the next ask starts
    ("Detect trees. Vehicles: not needed. Ships are out of scope.", "Detect trees.",
     ["Vehicles: not needed", "Ships are out of scope"]),
])
def test_ruled_out_parts_are_cut(text: str, kept: str, cut: list[str]) -> None:
    assert read_exclusions(text, names_work) == (kept, cut)


@pytest.mark.parametrize("text", [
    "Ignore the first file and count cars in the rest",  # a scene left out: scene_refs
    "Count the ships in every scene except harbour_c.tif",
    "Do not count buildings smaller than 50 m2",  # a filter
    "Don't count the ones outside the park",
    "Skip the cloudy 2019 scene and map the water",
    "Do not map water.",  # nothing would be left
    "Count the buildings that are not damaged",  # no clause that rules out a task
    "Count the buildings. Exclude none.",
    "Map water. Exclude: clouds, shadows.",
    "How much forest was lost? Don't include the plantation to the north.",  # a condition
    "Map the flood. No need to vectorize.",  # names no work
])
def test_scene_exclusions_filters_and_whole_requests_are_kept(text: str) -> None:
    assert read_exclusions(text, names_work) == (text, [])
