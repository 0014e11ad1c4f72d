"""Slot extraction and the vocabulary: the values plans are made of."""

from __future__ import annotations

import pytest

from agent.planners import label_slots, number_words, scenes, slots, topics
from agent.planners.text import osa_distance, read_request
from agent.planners.vocab import canonical_class, get_vocabulary, singular

V = get_vocabulary()


def norm(text: str) -> str:
    return read_request(text, V.corrector).norm


@pytest.mark.parametrize(("word", "canonical"), [
    ("vessels", "ship"), ("Boats", "ship"), ("airplanes", "plane"), ("aircraft", "plane"),
    ("jets", "plane"), ("cars", "vehicle"), ("trucks", "vehicle"), ("small vehicles", "vehicle"),
    ("houses", "building"), ("harbour", "harbor"), ("marinas", "harbor"), ("tree crowns", "tree"),
    ("storage tanks", "storage tank"), ("soccer-field", "soccer ball field"),
    ("lorries", "vehicle"), ("ferries", "ship"), ("unknown thing", "unknown thing"),
])
def test_class_synonyms_and_plurals(word: str, canonical: str) -> None:
    assert canonical_class(word) == canonical


def test_building_as_a_verb_is_no_class() -> None:
    assert slots.find_classes("count the ships and tell me whether the queue is building", V) == [
        "ship"]
    assert slots.find_classes("we are building a model. count the cars", V) == ["vehicle"]
    assert slots.find_classes("is building 7 damaged?", V) == ["building"]
    assert slots.find_classes("outline a building", V) == ["building"]


def test_find_classes_drops_places_and_negations() -> None:
    assert slots.find_classes("count the boats in the marina", V) == ["ship"]
    assert slots.find_classes("planes and helicopters", V) == ["plane", "helicopter"]
    assert slots.find_classes("all aircraft except helicopters", V) == ["plane"]
    assert slots.find_classes("is there a harbour", V) == ["harbor"]


@pytest.mark.parametrize(("text", "expected"), [
    ("drop anything under 0.5 confidence", 0.5),
    ("confidence above 0.7", 0.7),
    ("at least 60% confident", 0.6),
    ("min conf 0.25", 0.25),
    ("a score of at least 0.3", 0.3),
    ("no confidence words here 0.4", None),
])
def test_confidence(text: str, expected: float | None) -> None:
    value, _ = slots.find_confidence(text)
    assert value == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(("text", "expected"), [
    ("ndvi > 0.3", (0.3, False)), ("ndvi above 0.6", (0.6, False)),
    ("mndwi thresh 0.0", (0.0, False)), ("ndwi below -0.1", (-0.1, True)),
    ("ndvi of 0.4 or more", (0.4, False)), ("ndvi, area larger than 15 m2", (None, False)),
    ("ndvi for 2 scenes", (None, False)),
    ("ndvi for each image; flag the ones where mean ndvi is under 0.2", (None, False)),
    ("the scenes whose average ndvi falls below 0.3", (None, False)),
    ("anything above an ndbi of 0.1 counts as built-up", (0.1, False)),
    ("pixels under an ndvi value of 0.15 are bare", (0.15, True)),
    ("ndwi, mask out pixels below 0 for the water mask", (0.0, False)),
    ("ndvi, then filter out everything below 0.2", (0.2, False)),
    ("ndvi, remove pixels with ndvi above 0.8", (0.8, True)),
    ("ndvi; remove pixels where ndvi is below 0.2", (0.2, False)),
    ("pixels where ndvi dropped below 0.3", (0.3, True)),
    ("ndvi, keep values of 0.4 and up", (0.4, False)),
    ("ndvi <= 0.15", (0.15, True)), ("ndwi no more than 0", (0.0, True)),
    ("ndwi is at most -0.2", (-0.2, True)), ("ndvi not exceeding 0.2", (0.2, True)),
    ("ndvi not less than 0.3", (0.3, False)), ("ndvi >= 0.6", (0.6, False)),
    ("an ndwi water mask with 0.2 as the cut", (0.2, False)),
])
def test_threshold(text: str, expected: tuple[float | None, bool]) -> None:
    assert slots.find_threshold(text, 0, []) == expected


def test_counts_points_boxes() -> None:
    assert slots.find_points("the roof at (512300, 4100200)") == [[512300.0, 4100200.0]]
    assert slots.find_oriented("oriented boxes") is True
    assert slots.find_oriented("axis-aligned boxes") is False
    assert slots.find_oriented("boxes") is None
    assert slots.find_oriented("use horizontal boxes, not oriented ones") is False
    assert slots.find_oriented("detect ships --no-oriented --conf 0.5") is False
    assert slots.find_oriented("they are not all oriented the same way, so use rotated boxes")
    assert slots.find_oriented("non-oriented boxes would miss the hulls, so use oriented ones")


def test_labels_and_queries() -> None:
    labels = label_slots.find_labels(norm("which ones are farmland, forest or residential"), V)
    assert labels is not None and labels[0] == ["farmland", "forest", "residential"]
    labels = label_slots.find_labels(norm("is it a rural or an urban area?"), V)
    assert labels is not None and labels[0] == ["rural", "urban"]
    assert label_slots.find_labels(norm("count the ships"), V) is None
    assert label_slots.find_labels(norm(  # the unit of the answer is no label
        "give me the area of each land-cover class in the classification raster, in hectares"),
        V) is None


def test_dates_modality_roles() -> None:
    assert scenes.file_date("s2_2019-07-01.tif") == "2019-07-01"
    assert scenes.file_date("x_20210315_b.tif") == "2021-03-15"
    assert scenes.file_date("scene_s1_2018.tif") == "2018"
    assert scenes.file_date("ortho_10cm.tif") is None
    assert scenes.guess_modality("scene_s1.tif", V) == "sar"
    assert scenes.guess_modality("aviris_cube.tif", V) == "hyperspectral"
    assert scenes.guess_modality("data/s2/tile.tif", V) == "multispectral"
    assert scenes.guess_modality("before.tif", V) is None
    assert scenes.role_of("pre_flood.tif", "") == "before"
    assert scenes.role_of("a.tif", "b.tif (after) and a.tif (before)") == "before"


@pytest.mark.parametrize(("typed", "expected"), [
    ("watr", "water"), ("evrything", "everything"), ("segmnets", "segments"),
    ("vesels", "vessels"), ("biomas", "biomass"), ("detetc", "detect"), ("ndiv", "ndvi"),
    ("shipps", "ships"), ("skip", None), ("word", None), ("parsed", None), ("visual", None),
    ("place", None), ("sort", None), ("true", None), ("later", None), ("condition", None),
    ("forested", None), ("plates", None), ("calc", None), ("localize", None), ("summarise", None),
    ("compared", None), ("demolitions", None),
])
def test_typo_corrector(typed: str, expected: str | None) -> None:
    assert V.corrector.correct(typed) == expected


def test_osa_distance() -> None:
    assert osa_distance("detetc", "detect", 2) == 1
    assert osa_distance("watr", "water", 2) == 1
    assert osa_distance("abc", "xyz", 1) == 2


@pytest.mark.parametrize(("phrase", "one"), [
    ("pastures", "pasture"), ("arable land", "arable land"), ("cities", "city"),
    ("beaches", "beach"), ("grass", "grass"), ("tennis", "tennis"), ("bus", "bus"),
    ("storage tanks", "storage tank"), ("", ""),
])
def test_singular(phrase: str, one: str) -> None:
    assert singular(phrase) == one


def test_names_inside_a_sentence_are_not_typos() -> None:
    req = read_request("Map the burn scar of the Carr Fire. Carr shows cars.", V.corrector)
    assert "the carr fire" in req.norm and ("carr", "car") not in req.corrections
    assert read_request("count the shipps", V.corrector).corrections == [("shipps", "ships")]


@pytest.mark.parametrize(("text", "written"), [
    ("keep ponds over half a hectare", "keep ponds over 0.5 hectare"),
    ("a quarter of a hectare", "0.25 hectare"),
    ("ndvi higher than a half, and", "ndvi higher than 0.5, and"),
    ("where ndwi exceeds zero", "where ndwi exceeds 0   "),
    ("greater than zero point three five", "greater than 0.35"),
    ("above point two", "above 0.2"),
    ("cut the field in half.", "cut the field in half."),  # no threshold, no unit
    ("half of the scene is water", "half of the scene is water"),
    ("the point three roads meet", "the point three roads meet"),
])
def test_numbers_in_words_become_digits(text: str, written: str) -> None:
    assert number_words.numerals(text, V) == written


def test_a_negated_class_with_a_size_is_a_filter() -> None:
    assert slots.find_classes(norm("Ignore buildings under 50 square metres and count the rest."),
                              V) == ["building"]
    assert slots.find_classes(norm("Count the cars, ignore the trucks."), V) == ["vehicle"]


@pytest.mark.parametrize(("text", "expected"), [
    ("how many tennis and basketball courts", "how many tennis courts and basketball courts"),
    ("count the small and large vehicles", "count the small vehicles and large vehicles"),
    ("storage and oil tanks", "storage tanks and oil tanks"),
    ("the tennis courts and the pools", "the tennis courts and the pools"),
    ("baseball and tennis courts", "baseball and tennis courts"),  # "baseball court": no class
])
def test_shared_heads_name_each_class(text: str, expected: str) -> None:
    """Classes sharing one head noun are spelled out where modifier + head is a class."""
    assert " ".join(slots.shared_heads(text, V).split()) == expected


def test_computed_indices_include_those_listed_after_one() -> None:
    """"compute NDVI, NDWI and NDBI" asks for all three; an index only named in context ("a
    thesis combined MNDWI and NDBI") is not asked for."""
    from agent.planners.topics import COMPUTE_BEFORE

    assert set(slots.computed_indices(norm("compute NDVI, NDWI and NDBI"), V, COMPUTE_BEFORE)) \
        == {"NDVI", "NDWI", "NDBI"}
    text = norm("A thesis combined MNDWI, NDVI and NDBI. Please compute NDVI on a.tif.")
    assert set(slots.computed_indices(text, V, COMPUTE_BEFORE)) == {"NDVI"}


def test_a_numbered_series_is_named_by_no_sensor() -> None:
    """s1.png .. s4.png are a series (no Sentinel-1 radar); s1.tif beside s2.tif keeps the
    sensor reading (a radar and an optical scene)."""
    vocab = get_vocabulary()
    assert scenes.guess_modalities(["s1.png", "s2.png", "s3.png", "s4.png"], vocab) == [
        None, None, None, None]
    assert scenes.guess_modalities(["s1.tif", "s2.tif"], vocab) == ["sar", "multispectral"]


@pytest.mark.parametrize(("text", "value"), [
    ("how many ships, excluding ships with confidence below 0.2?", 0.2),
    ("use 0.4 as the confidence cut-off.", 0.4),
    ("how many planes, at a 0.45 or more confidence, in each", 0.45),
])
def test_confidence_cut_offs_in_words(text: str, value: float) -> None:
    assert slots.find_confidence(text)[0] == value


def test_a_hyperspectral_cube_format_names_its_modality() -> None:
    vocab = get_vocabulary()
    assert scenes.guess_modality("pavia_u.mat", vocab) == "hyperspectral"
    assert scenes.guess_modality("scene.hdr", vocab) == "hyperspectral"
    assert scenes.guess_modality("scene.tif", vocab) is None


def test_a_chained_index_is_computed_too() -> None:
    vocab = get_vocabulary()
    text = "compute mndwi with threshold 0.05, then ndvi with threshold 0.3"
    assert list(slots.computed_indices(text, vocab, topics.COMPUTE_BEFORE)) == ["MNDWI", "NDVI"]
    text = "a thesis combined mndwi and ndbi. compute ndvi"
    assert list(slots.computed_indices(text, vocab, topics.COMPUTE_BEFORE)) == ["NDVI"]


@pytest.mark.parametrize(("text", "expected"), [
    ("treat mndwi greater than one tenth as water", "treat mndwi greater than 0.1 as water"),
    ("ndvi above a quarter", "ndvi above 0.25"),
    ("ponds larger than a hectare", "ponds larger than 1 hectare"),
    ("a tenth of the scene is cloud", "a tenth of the scene is cloud"),  # no bound
])
def test_numerals_read_fractions_and_single_units(text: str, expected: str) -> None:
    assert number_words.numerals(text, V) == expected


def test_count_as_defines_a_class_but_not_count_as_well() -> None:
    assert topics.COUNT_AS.search("count a pixel as blacked out where the radiance fell")
    assert not topics.COUNT_AS.search("count the pixels as well as the clouds")
