"""Normalised differences written as band math are read as the index they are."""

from __future__ import annotations

import pytest

from agent.planners.band_math import read_band_math


@pytest.mark.parametrize(("text", "read"), [
    ("(b8-b4)/(b8+b4) > 0.3", "ndvi > 0.3"),
    ("(nir - red) / (nir + red) mean", "ndvi mean"),
    ("(b5 - b4)/(b5 + b4) on landsat 8", "ndvi on landsat 8"),  # Landsat's NIR is B5
    ("(nir - swir2)/(nir + swir2)", "nbr"),
    ("img.normalizeddifference(['b3','b8']) > 0", "img.ndwi > 0"),
    ("snow: (green - swir1)/(green + swir1)", "snow: ndsi"),  # over snow, not MNDWI
    ("water: (green - swir1)/(green + swir1)", "water: mndwi"),
    ("ndvi.gt(0.35) area", "ndvi > 0.35 area"),
    ("ndvi.lte(-0.1)", "ndvi <= -0.1"),
])
def test_band_math_is_its_index(text: str, read: str) -> None:
    assert read_band_math(text) == read


@pytest.mark.parametrize("text", [
    "(b8-b4)/(b3+b4)",  # not one pair of bands
    "(b8-b1)/(b8+b1)",  # no index of NIR and the coastal band
    "which index is computed as (green - swir)/(green + swir)?",  # a question about it
    "what does (b8-b4)/(b8+b4) measure?",
    "compute (b5-b4)/(b5+b4) and its mean",  # b5: landsat's nir, sentinel-2's red edge
])
def test_other_math_is_left_as_written(text: str) -> None:
    assert read_band_math(text) == text
