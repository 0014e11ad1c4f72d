"""Labels of a yes/no question asked of each image of a set (``yes_no_labels``)."""

from __future__ import annotations

import pytest

from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary
from agent.planners.yes_no_labels import land_use_labels, presence_labels

V = get_vocabulary()


def labels_of(text: str) -> list[str] | None:
    found = presence_labels(read_request(text, V.corrector).norm, V)
    return found[0] if found else None


@pytest.mark.parametrize(("text", "labels"), [
    ("which of these village chips contain a sports pitch?", ["sports pitch", "no sports pitch"]),
    ("which of the tiles a.png, b.png, c.png show residential areas?",
     ["residential area", "no residential area"]),
    ("which of a.png, b.png and c.png are farmland?", ["farmland", "not farmland"]),
    ("how many of these five chips show an industrial area?",
     ["industrial area", "no industrial area"]),
    ("among a.tif, b.tif and c.tif, how many are forest?", ["forest", "not forest"]),
    ("which of these image candidates are cloud free?", ["cloud free", "not cloud free"]),
    ("which of the following images depict a golf course?", ["golf course", "no golf course"]),
    ("which photos show a construction site?", ["construction site", "no construction site"]),
    ("which of these pictures are of a beach?", ["beach", "no beach"]),
    ("how many images in this series contain a flooded road?",
     ["flooded road", "no flooded road"]),  # a class in a state: no detector sees the state
    ("how many images in the set show a golf course?", ["golf course", "no golf course"]),
    ("in how many of the photos is there a stadium?", ["stadium", "no stadium"]),
    ("how many of these photos look like farmland?", ["farmland", "not farmland"]),
    ("of the five snapshots, how many look like dense residential areas?",
     ["dense residential area", "not dense residential area"]),
    ("which of these four images show mostly cropland?", ["cropland", "no cropland"]),
    ("count the scenes that are predominantly industrial.", ["industrial", "not industrial"]),
    ("list the tiles that show a quarry", ["quarry", "no quarry"]),
])
def test_a_yes_no_label_per_image(text: str, labels: list[str]) -> None:
    assert labels_of(text) == labels


@pytest.mark.parametrize("text", [
    "how many of these boats are damaged?",  # objects, not images
    "which of these are radar and which optical?",  # the headers answer
    "which of the two images is of a smaller scale?",  # a comparison
    "which of these tiles contain buildings?",  # a detectable class is counted
    "which of the two shows more water?",
])
def test_no_label_pair(text: str) -> None:
    assert labels_of(text) is None


@pytest.mark.parametrize("text", [
    "which images are filled with clouds?",  # a state of the images, no label pair
    "which images show more water?",  # a comparison
])
def test_no_yes_no_label(text: str) -> None:
    assert labels_of(text) is None


@pytest.mark.parametrize(("text", "labels"), [
    ("is this a residential area?", ["residential area", "not residential area"]),
    ("is it urban?", ["urban", "not urban"]),
    ("does this image show farmland?", ["farmland", "not farmland"]),
    ("is the scene mostly industrial?", ["industrial", "not industrial"]),
    ("is this area flooded?", None),  # a state water mapping answers
    ("is this a harbor?", None),  # a detector class
    ("is this a residential or an industrial area?", None),  # a list of labels
])
def test_land_use_yes_no(text: str, labels: list[str] | None) -> None:
    found = land_use_labels(read_request(text, V.corrector).norm)
    assert (found[0] if found else None) == labels
