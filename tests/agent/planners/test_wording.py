"""Learners' and translated wordings are read as the usual words."""

from __future__ import annotations

import pytest

from agent.planners.wording import read_wording


@pytest.mark.parametrize(("text", "read"), [
    ("ndvi more big than 0.3", "ndvi above 0.3"),
    ("nbr inferior to -0.1", "nbr below -0.1"),
    ("buildings bigger of 200 m2", "buildings above 200 m2"),
    ("ndwi over of 0", "ndwi above 0"),
    ("the area in qm", "the area in m2"),
    ("200 qm", "200 m2"),
    ("the pixel is of 10 cm", "the pixel is 10 cm"),
    ("the picture has 50 cm of resolution", "the picture with resolution 50 cm"),
    ("the medium surface of the buildings", "the mean area of the buildings"),
    ("the average surface", "the average area"),
    ("in the photo of before and photo of after", "in the before photo and after photo"),
    ("segment the boxes of $s1", "segment the boxes of step 1"),
])
def test_wordings_are_read(text: str, read: str) -> None:
    assert read_wording(text) == read


@pytest.mark.parametrize("text", [
    "larger than 200 m2",  # already the usual words
    "a higher resolution image",  # no number after the comparison
    "the image of before the flood",  # "before the flood" names the event
    "count the buildings bigger than the church",
    "count the medium size vehicles",  # a size class, no statistic
    "the mean surface temperature of the roofs",  # a surface property
    "ndvi greater than 0.25",  # the slot readers know it
])
def test_usual_wordings_stay(text: str) -> None:
    assert read_wording(text) == text
