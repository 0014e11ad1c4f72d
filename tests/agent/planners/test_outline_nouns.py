"""What an outline names when no known class does (agent.planners.outline_nouns)."""

from __future__ import annotations

import pytest

from agent.planners.outline_nouns import outlined_noun, own_noun
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


@pytest.mark.parametrize(("text", "noun"), [
    ("outline the seagrass beds and give me their area", "seagrass"),
    ("outline the brown sediment plume off the river mouth", "sediment plume"),
    ("trace the fence line and tell me its length", "fence"),
    ("outline the truck parking lot and give me its area", "parking lot"),
    ("outline the exposed sandbars inside the zone", "sandbar"),
])
def test_outlined_noun_without_habitat_and_state_words(text: str, noun: str) -> None:
    assert outlined_noun(text, V) == noun


@pytest.mark.parametrize("text", [
    "count the potholes, outline them and give me their area",
    "outline it and give me the area",
    "outline the area of interest",
])
def test_pronouns_and_generic_heads_name_nothing(text: str) -> None:
    assert outlined_noun(text, V) is None


def test_a_power_line_keeps_its_line() -> None:
    assert outlined_noun("trace the power lines across the valley", V) == "power line"


@pytest.mark.parametrize(("text", "noun"), [
    ("outline every fresh slip on it", "slip"),
    ("segment the green roofs", "green roof"),
    ("outline the roof and give me its area", None),  # a part of the building named elsewhere
    ("outline them", None),
])
def test_own_noun(text: str, noun: str | None) -> None:
    assert own_noun(text, V) == noun
