"""Slots of a dated series: the per-date statistic a trend follows, dates compared."""

from __future__ import annotations

import pytest

from agent.planners.series_slots import OF_DATES, series_statistic


@pytest.mark.parametrize(("text", "expected"), [
    ("give me the maximum ndvi of each 15-day period", "max"),
    ("the lowest ndvi value per scene", "min"),
    ("what was the maximum ndvi reached across the season?", None),
    ("which month had the lowest mean ndvi?", None),
    ("the peak ndvi over the growing season", None),
    ("the highest mean ndvi for each field", None),
])
def test_an_extreme_of_each_date_or_over_the_dates(text: str, expected: str | None) -> None:
    assert series_statistic(text) == expected


@pytest.mark.parametrize(("text", "compared"), [
    ("which date had the smallest flooded area?", True),
    ("when was the flooded area largest?", True),
    ("in which month was the lake surface at its smallest?", True),
    ("how big is the largest lake in each image?", False),
])
def test_the_dates_figures_compared(text: str, compared: bool) -> None:
    assert (OF_DATES.search(text) is not None) is compared
