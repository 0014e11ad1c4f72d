"""Thresholds said per index in one request (``index_thresholds``)."""

from __future__ import annotations

import pytest

from agent.planners.index_thresholds import own_thresholds


def _named(text: str, *names: str) -> list[tuple[str, int]]:
    return [(n, text.index(n.lower())) for n in names]


@pytest.mark.parametrize(("text", "names", "first", "own"), [
    ("compute mndwi with threshold 0.05, then ndvi with threshold 0.3", ("MNDWI", "NDVI"), 0.05,
     {"NDVI": (0.3, False)}),
    ("ndvi above 0.3 and ndbi below 0 on this scene", ("NDVI", "NDBI"), 0.3,
     {"NDBI": (0.0, True)}),
    ("ndvi and ndwi above 0.3", ("NDVI", "NDWI"), 0.3, {}),  # one threshold, said once
    ("ndvi, ndwi > 0.2 and ndbi > 0.1", ("NDVI", "NDWI", "NDBI"), 0.2, {}),  # first has none
])
def test_own_thresholds(text: str, names: tuple[str, ...], first: float,
                        own: dict[str, tuple[float, bool]]) -> None:
    assert own_thresholds(text, _named(text, *names), [], first) == own
