"""Which scene of a pair is before: the analyst's order, roles by order or letter, dates noted."""

from __future__ import annotations

import pytest

from agent.planners.builder import SceneRef
from agent.planners.pair_order import ordered_pair


@pytest.mark.parametrize(("raw", "paths", "before"), [
    ("use the second image as before and the first as after", ["a.tif", "b.tif"], "b.tif"),
    ("use the first image as before and the second as after", ["a.tif", "b.tif"], "a.tif"),
    ("take image B as the baseline", ["a.tif", "b.tif"], "b.tif"),
    ("pre-event is the second file", ["x.tif", "y.tif"], "y.tif"),
    ("the latter is the reference", ["x.tif", "y.tif"], "y.tif"),
    ("use the second image as a baseline", ["a.tif", "b.tif"], "b.tif"),
    ("what changed between them?", ["x.tif", "y.tif"], "x.tif"),  # the order given
    ("a burn severity map: pre-fire is the first file, post-fire the second", ["a.tif", "b.tif"],
     "a.tif"),
    ("post-fire is the first file, pre-fire the second", ["a.tif", "b.tif"], "b.tif"),
    ("image a as the reference and image b as the target", ["a.tif", "b.tif"], "a.tif"),
    ("detect changes with the newer image as the reference", ["x_2019.tif", "x_2021.tif"],
     "x_2021.tif"),
    ("the later image as before, the earlier as after", ["x_2021.tif", "x_2019.tif"],
     "x_2021.tif"),
    ("the older one as the baseline", ["x_2021.tif", "x_2019.tif"], "x_2019.tif"),
    ("dnbr of the two scenes", ["LC09_postfire_2023.tif", "LC08_prefire_2023.tif"],
     "LC08_prefire_2023.tif"),
    ("the first listed is the post-fire one", ["x.tif", "y.tif"], "y.tif"),
    ("map the change from image b to image a", ["a.tif", "b.tif"], "b.tif"),
    ("the 2019 image is lake_b.tif and the 2023 image is lake_a.tif. how much did the water "
     "change?", ["lake_a.tif", "lake_b.tif"], "lake_b.tif"),  # years said of the files
    ("compare lake_a.tif (june 2023) with lake_b.tif (june 2019)", ["lake_a.tif", "lake_b.tif"],
     "lake_b.tif"),
    ("x.tif, acquired in 2021, and y.tif, acquired in 2017: new buildings?", ["x.tif", "y.tif"],
     "y.tif"),
    ("x.tif was acquired in 2017 and y.tif in 2021", ["x.tif", "y.tif"], "x.tif"),
])
def test_roles_said_by_order_or_letter(raw: str, paths: list[str], before: str) -> None:
    pair = ordered_pair([SceneRef(p, None) for p in paths], raw)
    assert pair[0].path == before


def test_dates_that_disagree_are_said_not_reordered() -> None:
    notes: list[str] = []
    pair = ordered_pair([SceneRef("f_2021.tif", None), SceneRef("f_2019.tif", None)],
                        "the first image as before and the second as after", notes.append)
    assert [s.path for s in pair] == ["f_2021.tif", "f_2019.tif"]
    assert len(notes) == 1 and "f_2021.tif" in notes[0] and "looks newer" in notes[0]


def test_the_baseline_of_a_comparison_is_before() -> None:
    """"new since 2019" names the earlier scene though the later is mentioned first."""
    notes: list[str] = []
    pair = ordered_pair([SceneRef("x_2021.tif", None), SceneRef("x_2019.tif", None)],
                        "how many buildings are in the 2021 image, and how many of them are new "
                        "since 2019?", notes.append)
    assert [s.path for s in pair] == ["x_2019.tif", "x_2021.tif"] and notes == []


def test_a_later_scene_after_than_is_compared_not_before() -> None:
    """"more mangroves in 2010 than in 2020": the comparison names 2020 but the time order
    stays (no note); "new since 2021" of a 2019 and a 2021 scene is still "before" (noted)."""
    notes: list[str] = []
    pair = ordered_pair([SceneRef("m_2010.tif", None), SceneRef("m_2020.tif", None)],
                        "do the mangroves in 2010 cover more area than in 2020?", notes.append)
    assert [s.path for s in pair] == ["m_2010.tif", "m_2020.tif"] and notes == []
    pair = ordered_pair([SceneRef("x_2019.tif", None), SceneRef("x_2021.tif", None)],
                        "what is new since the 2021 image?", notes.append)
    assert [s.path for s in pair] == ["x_2021.tif", "x_2019.tif"] and len(notes) == 1


@pytest.mark.parametrize(("text", "paths", "before"), [
    ("scene 1 is before the fire and scene 2 is after. map the burned area.",
     ["l8_postfire.tif", "l8_prefire.tif"], "l8_postfire.tif"),
    ("compare scene a and scene b for building changes, a is the newer one.",
     ["scene_A.tif", "scene_B.tif"], "scene_B.tif"),
    ("image a was taken after the hurricane and image b before it. what changed?",
     ["A.tif", "B.tif"], "B.tif"),
    ("image 1 (0.5 m) is after the hail, image 2 (0.3 m) is before.", ["x1.png", "x2.png"],
     "x2.png"),
])
def test_the_order_said_in_words_wins_over_the_names(text: str, paths: list[str],
                                                       before: str) -> None:
    """The roles the analyst states are kept; file names that say the other way round are
    noted, never followed silently."""
    notes: list[str] = []
    pair = ordered_pair([SceneRef(p, None) for p in paths], text, notes.append)
    assert pair[0].path == before
    assert bool(notes) == ("fire" in paths[0]), notes


def test_the_years_of_the_sentence_that_names_both_give_the_order() -> None:
    """A year said alone in the background ("it nearly dried out in 2022") is no order."""
    pair = ordered_pair([SceneRef("lake_2019-08-20.tif", None), SceneRef("lake_2022-08-24.tif",
                                                                         None)],
                        "The lake nearly dried out in 2022. Compare the 2019 scene with the 2022 "
                        "scene and tell me how much water was lost.")
    assert [s.path for s in pair] == ["lake_2019-08-20.tif", "lake_2022-08-24.tif"]


def test_a_sentence_with_both_years_and_no_order_word_keeps_the_given_order() -> None:
    """"compare the 2021 image with the 2019 image" says no order: the order given (and a note,
    since the file dates disagree)."""
    notes: list[str] = []
    pair = ordered_pair([SceneRef("s_2021.tif", None), SceneRef("s_2019.tif", None)],
                        "The area burned in 2019. Compare the 2021 image with the 2019 image: how "
                        "much vegetation regrew?", notes.append)
    assert [s.path for s in pair] == ["s_2021.tif", "s_2019.tif"] and len(notes) == 1
    pair = ordered_pair([SceneRef("f_2021.tif", None), SceneRef("f_2016.tif", None)],
                        "How much forest was lost from 2016 to 2021?")
    assert [s.path for s in pair] == ["f_2016.tif", "f_2021.tif"]
