"""Sizes and units in words: area / length filters and the unit an answer is asked in."""

from __future__ import annotations

import pytest

from agent.planners import number_words, unit_slots
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def norm(text: str) -> str:
    return read_request(text, V.corrector).norm


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("bigger than 15 m2", 15.0, None),
    ("larger than 100 square metres", 100.0, None),
    ("at least 2 ha", 20_000.0, None),
    ("smaller than 0.5 km2", None, 500_000.0),
    ("longer than 50 m", None, None),
])
def test_area_filters(text: str, lo: float | None, hi: float | None) -> None:
    min_area, max_area, _ = unit_slots.find_area_filters(norm(text))
    assert min_area == (pytest.approx(lo) if lo is not None else None)
    assert max_area == (pytest.approx(hi) if hi is not None else None)


@pytest.mark.parametrize(("text", "expected"), [
    ("longer than 50 m", 50.0), ("over 1.2 km long", 1200.0), ("300 ft long", 91.44),
    ("bigger than 15 m2", None), ("ignore boats under 10 metres", 10.0),
    ("leave out the vessels shorter than 25 m", 25.0), ("ignore roads under 5 m wide", None),
    ("ran found at least 26 km of new canals dug", None),
    ("a promenade of more than 9 km from frognerkilen to the alna", None),
])
def test_length_filter(text: str, expected: float | None) -> None:
    value, _ = unit_slots.find_length_filter(norm(text))
    assert value == (pytest.approx(expected) if expected is not None else None)


def test_output_units_ignore_filter_units() -> None:
    assert unit_slots.find_output_units(norm("area in hectares")) == "ha"
    assert unit_slots.find_output_units(norm("inundated area in km²")) == "km2"
    assert unit_slots.find_output_units(norm("anything above 0.4 is snow; how many square km?")) \
        == "km2"
    assert unit_slots.find_output_units(norm("the total acreage is known; map the flood")) is None
    assert unit_slots.find_output_units(norm("bigger than 15 m² please")) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("give me the area of the reservoir in acres", "acre"),
    ("how many acres of cropland flooded?", "acre"),
    ("its footprint in square miles", "mi2"),
    ("the area in sq mi", "mi2"),
    ("the largest roof and its size in square feet", "ft2"),
    ("a 2,000 square foot house; map the water", None),
    ("how many acres is that? actually hectares is fine", "ha"),
    ("council asks how many acres we mow; give me the total in hectares", "ha"),
    ("i manage an 80-acre farm; map the stressed zones", None),
    ("nasa counted 1.9 million fallow acres; map the fallow fields", None),
    ("under acres an extensive pasture must not be mown; map the mown area", None),
    ("how many acre-feet of water does the reservoir hold", None),
    ("yields of 3 t per ha; map the field", None),
])
def test_output_units_acres_and_square_miles(text: str, expected: str | None) -> None:
    """US units count only where the answer is asked in them; an adjective ("80-acre"), a
    reported figure or a scheme name is no unit of the answer, and a correction wins."""
    assert unit_slots.find_output_units(norm(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("total length of the runways in feet", "ft"), ("how long is the pier in miles", "mi"),
    ("how many miles of road", "mi"), ("the length in km", "km"), ("ships longer than 50 m", None),
    ("a 3 ft wide path", None),
])
def test_length_units(text: str, expected: str | None) -> None:
    assert unit_slots.find_length_units(norm(text)) == expected


def test_a_minimum_mapping_unit_and_a_yes_no_total() -> None:
    """A minimum mapping unit is the smallest patch kept (also when the dropping words repeat
    it); "is the flooded area larger than 10 km2?" asks about the total, no patch filter."""
    assert unit_slots.find_area_filters("minimum mapping unit 0.1 ha: map water")[:2] == (
        1000.0, None)
    assert unit_slots.find_area_filters("mmu 0.5 ha; area in ha")[:2] == (5000.0, None)
    assert unit_slots.find_area_filters("the layer uses a minimum mapping unit of 0.5 ha. map "
                                        "changes, dropping anything smaller than 0.5 ha")[:2] \
        == (5000.0, None)
    assert unit_slots.find_area_filters("how many buildings exceed 200 m2?")[:2] == (200.0, None)
    assert unit_slots.find_area_filters("is the flooded area larger than 10 km2?")[:2] == (
        None, None)
    assert unit_slots.find_area_filters("is the total building area above 2000 m2?")[:2] == (
        None, None)
    assert unit_slots.find_area_filters("how many lakes are larger than 10 ha?")[:2] == (
        100000.0, None)


def test_a_total_asked_of_one_clause_leaves_the_filters_of_the_others() -> None:
    """"only if the roof area is above 80 m2" filters each roof; "does the water area exceed 2
    km2?" asks a total; a total beside a filter leaves the filter."""
    assert unit_slots.find_area_filters("count buildings, but only if the roof area is above "
                                        "80 m2")[:2] == (80.0, None)
    assert unit_slots.find_area_filters("does the water area exceed 2 km2?")[:2] == (None, None)
    assert unit_slots.find_area_filters("tell me if the water area is larger than 5 km2 and "
                                        "count lakes over 1 ha")[:2] == (10000.0, None)


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("larger than a hectare", 10_000.0, None),
    ("throw out water bodies smaller than one hectare", 10_000.0, None),  # a minimum
    ("keep ponds under two hectares", None, 20_000.0),
    ("small potholes under a hectare come and go", None, None),  # no bound in digits or "than"
])
def test_area_filters_in_words(text: str, lo: float | None, hi: float | None) -> None:
    min_area, max_area, _ = unit_slots.find_area_filters(number_words.numerals(norm(text), V))
    assert (min_area, max_area) == (lo, hi)
