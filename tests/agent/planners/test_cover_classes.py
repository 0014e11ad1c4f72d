"""Cover classes with an area for each: outlined by name, not classified as a scene."""

from __future__ import annotations

from agent.planners import cover_classes
from agent.planners.analysis import Analysis
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary


def _read(text: str, n_scenes: int = 1) -> Analysis:
    vocab = get_vocabulary()
    norm = read_request(text, vocab.corrector).norm
    a = Analysis(classify=True, labels=["x", "y"])
    cover_classes.read(a, norm, norm, vocab, n_scenes)
    return a


def test_list_after_into_is_outlined_with_an_area() -> None:
    a = _read("Split it into pavement, cracks and vegetation and give me the square metres of "
              "each.")
    assert a.segment and a.object_area and not a.classify and a.labels is None
    assert a.classes == ["pavement", "crack", "vegetation"]


def test_list_right_after_the_verb_and_units() -> None:
    a = _read("Using the composite x.tif, map forest, agricultural land, lake and snow, and give "
              "me the surface of each class in km2.")
    assert a.classes == ["forest", "agricultural land", "lake", "snow"]
    assert a.units == "km2"


def test_separate_from_shares_the_head_noun() -> None:
    a = _read("Separate permeable from impermeable surfaces and tell me how many hectares each "
              "covers.")
    assert a.classes == ["permeable surface", "impermeable surface"]


def test_those_classes_names_the_earlier_list() -> None:
    a = _read("We recode the clusters into water, forest, urban and bare soil. Classify the "
              "subset into those four classes and give me the area of each class.")
    assert a.classes == ["water", "forest", "urban", "bare soil"]


def test_habitat_words_and_known_classes() -> None:
    a = _read("Outline the trees, the giant kelp canopy and the reed stands and give me the area "
              "of each.")
    assert a.classes == ["tree", "giant kelp", "reed"]


def test_no_area_per_class_or_many_scenes_change_nothing() -> None:
    for text, n in (("Classify the image into water, forest and urban.", 1),
                    ("Map water, forest and urban and give me the area of each.", 3)):
        a = _read(text, n)
        assert a.classify and a.labels == ["x", "y"] and not a.segment
