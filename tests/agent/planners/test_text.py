"""Request normalisation: numbers in the notations analysts write them in."""

from __future__ import annotations

import pytest

from agent.planners.text import normalise


@pytest.mark.parametrize(("text", "norm"), [
    ("water below -17,5 dB", "water below -17.5 db"),  # decimal commas
    ("NDVI ≥ 0,3", "ndvi >= 0.3"),
    ("GSD 1,5 m", "gsd 1.5 m"),
    ("threshold 2,5", "threshold 2.5"),
    ("\u221219 dB", "-19 db"),  # the Unicode minus
    ("minus 18 dB", "-18 db"),
    ("drop patches under 1 000 m²", "drop patches under 1000 m2"),  # spaced thousands
    ("NDVI>0.45", "ndvi > 0.45"),
    ("vv_db<-18", "vv_db < -18"),
    ("min_area_m2=500", "min area 500 m2"),  # arguments written as code
    ('{"conf": 0.3}', "{confidence 0.3}"),
    ("units=km2", "in km2"),
    ("gsd 0,3 and 0,5 m respectively", "gsd 0.3 and 0.5 m respectively"),
    ("gsds of 1,5 and 2,5 m respectively", "gsds of 1.5 and 2.5 m respectively"),
    ("between 2,5 and 10 ha", "between 2.5 and 10 ha"),
    ("keep pixels above 0,35, then map", "keep pixels above 0.35, then map"),
])
def test_numbers_are_normalised(text: str, norm: str) -> None:
    assert normalise(text) == norm


@pytest.mark.parametrize(("text", "norm"), [
    ("x -> 0.3", "x then 0.3"),  # an arrow is the next step, no comparison
    ("ndvi >0.3 -> area ha", "ndvi > 0.3 then area ha"),
    ("water 2020->2022", "water 2020 to 2022"),  # between numbers: a range
])
def test_arrows_are_words(text: str, norm: str) -> None:
    assert normalise(text) == norm


@pytest.mark.parametrize("text", ["images 1,2 and 3", "bands 4,3,2", "a,b",
                                  "frames 0,1 and 2", "pixel sizes 10,20 and 60 m",
                                  "labels 0,1 and 2"])
def test_lists_and_arrows_stay(text: str) -> None:
    assert normalise(text) == text.lower()


def test_thousands_are_no_decimals() -> None:
    assert normalise("10,000 m2") == "10000 m2"
    assert normalise("the 1,000 ships") == "the 1000 ships"
