"""Figures no tool gives, named for the answer's not-done list."""

from __future__ import annotations

import pytest

from agent.planners.unsupported_figures import named


@pytest.mark.parametrize(("text", "figure"), [
    ("what is the median area of the ponds?", "a median"),
    ("how wide is the river on average?", "a width"),
    ("estimate how many mw they produce", "a power or energy figure"),
    ("estimate how full it is in percent", "an occupancy"),
    ("what crop each grows", "a crop type per field"),
    ("compute ndvi outside the water", "a value outside a mask"),
    ("reclassify it into low (below 0.2), medium and high vegetation", "index classes"),
    ("split the ndvi into three classes: sparse, moderate and dense", "index classes"),
    ("count the cars in the lot and give their density per hectare", "a density per area"),
    ("how far did the shoreline move between the two images?", "a distance"),
    ("give me the area of each land-cover class in the raster", "an area per class"),
    ("rate the damage to the buildings", "a damage grade per building"),
    ("how many buildings have major damage in the post-event image?", "a damage grade"),
])
def test_a_figure_no_tool_gives(text: str, figure: str) -> None:
    assert any(name.startswith(figure) for name in named(text)), named(text)


@pytest.mark.parametrize("text", [
    "measure how full the dam is from the water inside its outline",
    "map the burn severity classes with dnbr",  # dNBR gives them
    "classify the buildings by roof type",
    "how much damaged cropland is there in hectares?",
    "damage levels are not needed, just count the collapsed buildings",
    "how many buildings were destroyed?",
    "give me the ndvi inside my polygon, with no data outside the polygon",
    "count the cars; we need the occupancy rate later and will divide by the capacity ourselves",
    "the 5 mw plant next to the river: count its panels",
    "sum the biomass density per hectare over the concession",
    "classify each tile and give me the area of each class in the classification of the tiles",
    "how far did you get with the report? map the water",
])
def test_figures_a_tool_gives_or_no_ask(text: str) -> None:
    assert named(text) == []
