"""The change of an index over two dates, read from the request."""

from __future__ import annotations

import pytest

from agent.planners.index_change import moved_by


@pytest.mark.parametrize(("text", "expected"), [
    ("flag where ndvi dropped by more than 0.3", (0.3, False)),
    ("where ndbi rose by more than 0.1", (0.1, True)),
    ("difference the ndvi of 2015 and 2020 to find vegetation loss greater than 0.2", (0.2, False)),
    ("an ndvi increase of more than 0.15", (0.15, True)),
    ("where did ndvi drop?", (None, False)),
    ("places where ndvi dropped sharply after the event", (None, False)),
    ("where has ndwi increased?", (None, True)),
    ("compute the ndvi difference between 2018 and 2022", (None, False)),
    ("compute the ndvi anomaly of 2022 compared with 2018", (None, False)),
])
def test_the_size_and_direction_of_a_change(text: str,
                                            expected: tuple[float | None, bool]) -> None:
    assert moved_by(text) == expected


@pytest.mark.parametrize("text", [
    "forest loss greater than 5 ha",
    "a loss of more than 20 % of the canopy",
    "ndvi dropped by 30 percent",
    "the ndvi of both dates",
    "where ndvi dropped by more than 0.3 m",
])
def test_no_index_change(text: str) -> None:
    assert moved_by(text) is None


def test_a_size_at_the_end_of_a_sentence() -> None:
    assert moved_by("flag where ndwi dropped by more than 0.3.") == (0.3, False)
