"""Scenes named by words and tokens of their file names (``scene_names``)."""

from __future__ import annotations

from agent.planners import scene_names
from agent.planners.scenes import of_kind

FRAMES = ["frame_0.png", "frame_1.png", "frame_2.png", "frame_3.png"]


def test_a_number_names_a_frame_numbered_from_zero_else_its_place() -> None:
    assert scene_names.number_index("0", FRAMES, "frame") == 0
    assert scene_names.number_index("2", FRAMES, "frame") == 2
    assert scene_names.number_index("2", ["a.tif", "b.tif", "c.tif"], "image") == 1


def test_a_letter_names_the_file_ending_in_it_else_its_place() -> None:
    assert scene_names.letter_index("b", ["airport_a.tif", "airport_b.tif"]) == 1
    assert scene_names.letter_index("b", ["x_b.tif", "y_a.tif"]) == 0
    assert scene_names.letter_index("c", ["one.tif", "two.tif", "three.tif"]) == 2
    assert scene_names.letter_index("e", ["one.tif", "two.tif"]) is None


def test_optical_covers_every_optical_modality() -> None:
    assert of_kind("optical", "rgb") and of_kind("optical", "multispectral")
    assert not of_kind("optical", "sar")
    assert of_kind("sar", "sar") and not of_kind("sar", None)
