"""The ``gsd`` slot: values in metres per pixel, bound to files and before/after roles."""

from __future__ import annotations

import pytest

from agent.planners import gsd_slots
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def gsd_of(text: str) -> gsd_slots.Gsd:
    req = read_request(text, V.corrector)
    return gsd_slots.find_gsd(req.norm, req.mentions)[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("count the planes, GSD 0.5 m", [0.5]),
    ("a 0.5 m resolution chip", [0.5]),
    ("segment roofs at 30 cm per pixel", [0.3]),
    ("ground sample distance of 2 m", [2.0]),
    ("tiles at 0.3m/px", [0.3]),
    ("GSD=0.3", [0.3]),
    ("a 2-m resolution scene", [2.0]),
    ("pixel size of 50 cm", [0.5]),
    ("spatial resolution: 1 km", [1000.0]),
    ("ships longer than 50 m at 0.5 m resolution", [0.5]),
    ("each pixel of yard.jpg covers 30 cm on the ground", [0.3]),
    ("each image pixel corresponds to 2 metres", [2.0]),
    ("each pixel covers 0.3 x 0.3 m", [0.3]),
    ("1 px = 0.5 m", [0.5]),
    ("ground sampling is 50 centimetres for depot.png", [0.5]),
    ("the imagery was captured at 0.4 m", [0.4]),
    ("these tiles are sampled at 0.5 m", [0.5]),
    ("pixels are 0.25 m square in lot.png", [0.25]),
    ("the scene's pixels measure 40 cm across", [0.4]),
    ("spatial res: 0.6m", [0.6]),
    ("with a pixel footprint of 0.3 m", [0.3]),
    ("the before chip is 0.5 m and the after chip is 0.3 m", [0.5, 0.3]),
    ("a drone export at 2 cm per pixel", [0.02]),
    ("the image was exported at 0.5 m; count the cars", [0.5]),
])
def test_gsd_values_in_metres(text: str, expected: list[float]) -> None:
    assert gsd_of(text).values == pytest.approx(expected)


@pytest.mark.parametrize("text", [
    "find the top 5 tiles", "what changed between 2019 and 2023?", "count 50 m long ships",
    "ships longer than 50 m", "buildings within 100 m of the coast", "what is the resolution?",
    "buildings bigger than 10 m2", "NDVI above 0.3", "bands 4, 3, 2",
    "the image is 10 km by 10 km", "the drone was flown at 120 m altitude",
    "photos taken at 100 m height", "the scene is 20 km wide", "the scene is 185 km x 180 km",
    "samples were collected at 5 m intervals", "the photo was taken at 10 m above the ground",
    "the plots are 30 m apart",
    "compute ndvi and export the result at 30 m resolution", "resample it to 10 m",
])
def test_unrelated_numbers_are_no_gsd(text: str) -> None:
    assert gsd_of(text).values == []


def test_two_gsds_bound_to_roles_and_files() -> None:
    for text in ("before at 0.5 m and after at 0.3 m",
                 "GSD 0.5 m for the before image and 0.3 m for the after",
                 "GSD: 0.5 m (before) and 0.3 m (after)"):
        gsd = gsd_of(text)
        assert gsd.values == [0.5, 0.3], text
        assert gsd.by_role == {"before": 0.5, "after": 0.3}, text
        assert gsd.of("x.png", "after") == 0.3 and gsd.of("x.png", None) == 0.5
    gsd = gsd_of("a.png at 0.5 m and b.png at 0.3 m")
    assert gsd.by_file == {"a.png": 0.5, "b.png": 0.3}
    assert gsd.of("b.png", "before") == 0.3  # the file's own value wins
    assert gsd_slots.Gsd().of("a.png", None) is None


def test_values_listed_for_the_files_in_order() -> None:
    gsd = gsd_of("a.png, b.png and c.png have resolutions of 0.5, 0.3 and 1 m")
    assert gsd.by_file == {"a.png": 0.5, "b.png": 0.3, "c.png": 1.0}
    assert gsd_of("a.png and b.png have resolutions of 0.5, 0.3 and 1 m").by_file == {}


def test_a_value_for_the_rest_of_the_scenes() -> None:
    """"a.png is 0.5 m, the rest are 0.3 m": the rest is the value of every scene not named
    with its own (not the first value for all)."""
    gsd = gsd_of("a.png is 0.5 m gsd, the rest are 0.3 m")
    assert gsd.by_file == {"a.png": 0.5} and gsd.rest == 0.3
    assert gsd.of("a.png", None) == 0.5 and gsd.of("b.png", None) == 0.3
    gsd = gsd_of("the first is 0.5 m per pixel, the other 0.3 m")
    assert gsd.by_role == {"before": 0.5} and gsd.rest == 0.3
    assert gsd.of("b.png", "after") == 0.3
    assert gsd_of("only 0.5 m per pixel; the other ships are 30 m long").rest is None


def test_values_each_with_its_unit_in_order() -> None:
    """"resolutions: 1 m, 0.5 m and 3 m": each joined value is read, a unit after each."""
    assert gsd_of("ships in each image (resolutions: 1 m, 0.5 m and 3 m respectively)").values \
        == [1.0, 0.5, 3.0]


@pytest.mark.parametrize("text", ["count ships, res 1 m", "ships, 1m res",
                                  "how many planes? 1 m px", "the chip has 1 m ground sampling",
                                  "the chip is 1024x1024 px at 1 m"])
def test_gsd_in_short_words(text: str) -> None:
    assert gsd_of(text).values == [1.0]


def test_values_said_of_scenes_by_number_letter_or_ordinal() -> None:
    """"image 3 (0.5 m)", "image B is 0.5 m", "first gsd 1 m second 0.5 m": the scene by its
    place among those given (0-based, -1 the last); the next value's subject is not this
    one's."""
    gsd = gsd_of("how many pools in image 1 (0.3 m), image 2 (0.4 m) and image 3 (0.5 m)?")
    assert gsd.by_index == {0: 0.3, 1: 0.4, 2: 0.5}
    assert gsd_of("image a is 0.3 m and image b is 0.5 m").by_index == {0: 0.3, 1: 0.5}
    assert gsd_of("vehicles in image 2 (gsd 0.1m) vs image 1 (gsd 0.2m)").by_index == {
        1: 0.1, 0: 0.2}
    assert gsd_of("ships in both; first gsd 1m second 0.5m").by_index == {0: 1.0, 1: 0.5}
    assert gsd_of("the last image is 0.5 m").by_index == {-1: 0.5}


def test_a_value_said_of_one_file_is_no_other_files() -> None:
    """"s1_a.tif (radar) and wv3_b.png (optical, GSD 0.31 m)": the GSD is the PNG's only."""
    text = read_request("count ships in s1_a.tif (radar) and in wv3_b.png (optical, GSD 0.31 m)",
                        None)
    gsd, _ = gsd_slots.find_gsd(text.norm, text.mentions)
    assert gsd.by_file == {"wv3_b.png": 0.31}
    assert gsd.of("wv3_b.png", None) == 0.31 and gsd.of("s1_a.tif", None) is None


def test_sizes_that_name_no_scene_or_belong_to_both() -> None:
    """"a.png and b.png (RGB, GSD 0.3 m)": both files'; "right, so the GSD is 0.5 m": no scene;
    "buffer the first (500 m)": no GSD."""
    text = read_request("total building area in a.png and b.png (RGB, GSD 0.3 m)", None)
    gsd, _ = gsd_slots.find_gsd(text.norm, text.mentions)
    assert gsd.of("a.png", None) == 0.3 and gsd.of("b.png", None) == 0.3
    assert gsd_of("right, so the gsd is 0.5 m. the second image is 1 m").by_index == {1: 1.0}
    assert gsd_of("buffer the first (500 m) and count buildings").values == []


def test_values_by_number_across_words_and_listed_for_the_frames() -> None:
    """"0.3 m in image 1 and 0.5 m in image 2": each its image; "gsd 0.3, 0.3, 0.5 and 0.8 m
    respectively" with no file named: the scenes given, in order; "0.8 m for t0, 0.5 m for t1":
    before and after."""
    gsd, _ = gsd_slots.find_gsd("the gsd is 0.3 m in image 1 and 0.5 m in image 2.", [])
    assert gsd.by_index == {0: 0.3, 1: 0.5}
    gsd, _ = gsd_slots.find_gsd("frames t0..t3 have gsd 0.3, 0.3, 0.5 and 0.8 m respectively.",
                                [])
    assert gsd.by_index == {0: 0.3, 1: 0.3, 2: 0.5, 3: 0.8}
    gsd, _ = gsd_slots.find_gsd("gsds are 0.5, 1 and 2 m for the three frames.", [])
    assert gsd.values == [0.5, 1.0, 2.0]
    gsd, _ = gsd_slots.find_gsd("gsd 0.8 m for t0, 0.5 m for t1. how much changed?", [])
    assert gsd.by_role == {"before": 0.8, "after": 0.5}


@pytest.mark.parametrize(("text", "values"), [
    ("sentinel-2 has bands at resolutions of 10, 20 and 60 m; compute ndvi", []),  # the sensor's
    ("note that a car is 4.5 m, which at 0.15 m gsd is about 30 pixels", [0.15]),
    ("vehicles bigger than 12 sq. m, pixel 0.3 metres, count", [0.3]),
    ("does it have a nir band, is the pixel 0.3 m?", []),  # asked, not said
    ("about 30 houses damaged. the photo is at 30 cm. how many buildings?", [0.3]),
    ("the second image 50 m north of the bridge", []),
    ("image 1 at 0.5 m, image 2 at 1 m", [0.5, 1.0]),
    ("count the cars; the gsd is 0.5.", [0.5]),  # a value ending its sentence
    ("the image was at 500 m over the city; count buildings", []),  # an altitude
    ("this tile is at 1 km scale", []),
    ("buffer pixels 10 m around buildings; map water", []),
    ("three chips from the same 15 cm flight: count the cars", [0.15]),
    ("lot.png comes from a 0.5 m product. count the cars", [0.5]),
    ("taken from a 30 cm aerial survey", [0.3]),
    ("the drone made a 120 m flight over the orchard", []),  # a flight's length or height
])
def test_gsd_said_in_more_ways_and_not_of_other_sizes(text: str, values: list[float]) -> None:
    assert gsd_slots.find_gsd(text, [])[0].values == values


def test_values_said_of_years_and_roles_without_a_verb() -> None:
    gsd, _ = gsd_slots.find_gsd("count storage tanks 2017 and 2023; gsd 0.5 m in 2017 and 0.3 m "
                                "in 2023", [])
    assert gsd.by_year == {"2017": 0.5, "2023": 0.3}
    gsd, _ = gsd_slots.find_gsd("the 2019 image is 1 m and the 2023 image is 0.5 m.", [])
    assert gsd.by_year == {"2019": 1.0, "2023": 0.5}
    gsd, _ = gsd_slots.find_gsd("buildings destroyed? pre image 0.5 m, post image 0.8 m.", [])
    assert gsd.by_role == {"before": 0.5, "after": 0.8}
