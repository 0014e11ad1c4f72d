"""Answer options that are scene labels (``option_labels``)."""

from __future__ import annotations

import pytest

from agent.planners.option_labels import change_answers, offered
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def _offered(full: str, words: list[str]) -> tuple[bool, list[str] | None]:
    span = (full.index(words[0]), len(full))
    found, labels = offered(full, (words, span), V)
    return found, labels[0] if labels else None


@pytest.mark.parametrize(("full", "words", "labels"), [
    ("what is the dominant class? options: forest, water or urban",
     ["forest", "water", "urban"], ["forest", "water", "urban"]),
    ("which is visible? options: harbor, airport or stadium", ["harbor", "airport", "stadium"],
     ["harbor", "airport", "stadium"]),  # mostly scene labels
    ("which is absent? options: ship, harbor or plane", ["ship", "harbor", "plane"],
     ["ship", "harbor", "plane"]),  # all detector classes
    ("what is at the centre? options: roundabout, bridge, stadium or harbor",
     ["roundabout", "bridge", "stadium", "harbor"], None),  # mostly classes: read as before
    ("where is the plane? options: top left, top right or bottom left",
     ["top left", "top right", "bottom left"], None),
    ("what is the trend? options: increasing, decreasing or stable",
     ["increasing", "decreasing", "stable"], None),  # no scene labels
    ("which is it? options: forest, water or ndvi", ["forest", "water", "ndvi"],
     ["forest", "water"]),
])
def test_options_as_labels(full: str, words: list[str], labels: list[str] | None) -> None:
    assert _offered(full, words) == (True, labels)


def test_a_list_that_is_no_options_is_kept() -> None:
    assert _offered("is it forest or water?", ["forest", "water"]) == (False, ["forest", "water"])


@pytest.mark.parametrize(("text", "answers"), [
    ("what changed? options: water, road or tree", True),
    ("what appeared between the dates? options: buildings, roads or fields", True),
    ("how did the water change? options: increase or decrease", False),  # directions
    ("how many ships are new? options: 0, 1 or 2", False),  # numbers
    ("what is the dominant class? options: forest, water or urban", False),  # no change asked
])
def test_change_answers(text: str, answers: bool) -> None:
    assert change_answers(text, V) is answers
