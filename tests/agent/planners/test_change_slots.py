"""The settings of a change map a request states (``change_slots``)."""

from __future__ import annotations

import pytest

from agent.planners.change_slots import change_method, find_change_threshold


@pytest.mark.parametrize(("text", "threshold"), [
    ("apply a threshold of 0.08 to the before-minus-during difference", 0.08),
    ("use 0.05 on the difference between before and after", 0.05),
    ("flag every pixel whose backscatter changed by more than 3 db between a and b", 3.0),
    ("treat a rise of more than 1.65 db as new mining", 1.65),
    ("where the radiance dropped by more than 200 nw cm-2 sr-1", 200.0),
    ("how many square kilometres lost more than 15 nw/cm2/sr", 15.0),
    ("where ndvi dropped by more than 0.3 between the dates", None),  # an index change
    ("the lake changed by more than 20 % of its area", None),
    ("map what changed between the two dates", None),
])
def test_find_change_threshold(text: str, threshold: float | None) -> None:
    assert find_change_threshold(text) == threshold


@pytest.mark.parametrize(("text", "method"), [
    ("map the change with change vector analysis", "cva"),
    ("use the deep model, not cva", "deep"),
    ("use a learned change model", "deep"),
    ("map what changed", None),
])
def test_change_method(text: str, method: str | None) -> None:
    assert change_method(text) == method
