"""Streaming connected components and zone statistics agree with whole-array references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from specialists.stats.zonal import StreamingComponents, ZonalAccumulator


def _tiles(h: int, w: int, size: int) -> list[tuple[int, int, int, int]]:
    return [(r, c, min(size, h - r), min(size, w - c))
            for r in range(0, h, size) for c in range(0, w, size)]


@pytest.mark.parametrize("size", [7, 16, 64, 200])
def test_components_across_tiles_match_whole_array_labels(
        rng: np.random.Generator, size: int) -> None:
    mask = ndimage.binary_opening(rng.random((123, 97)) > 0.55)
    ref, n_ref = ndimage.label(mask)
    ref_sizes = np.sort(np.bincount(ref.ravel())[1:])
    comps = StreamingComponents(mask.shape[1])
    for r, c, h, w in _tiles(mask.shape[0], mask.shape[1], size):
        comps.add(mask[r:r + h, c:c + w], r, c, np.full(h, 2.0))
    pixels, area = comps.regions()
    assert pixels.size == n_ref
    assert np.array_equal(np.sort(pixels), ref_sizes)
    assert np.allclose(np.sort(area), ref_sizes * 2.0)


def test_u_shape_cut_by_tiles_is_one_region() -> None:
    mask = np.zeros((20, 20), dtype=bool)
    mask[2:18, 2] = mask[2:18, 17] = mask[17, 2:18] = True  # a U that only joins at the bottom
    comps = StreamingComponents(20)
    for r, c, h, w in _tiles(20, 20, 5):
        comps.add(mask[r:r + h, c:c + w], r, c)
    pixels, area = comps.regions()
    assert pixels.tolist() == [int(mask.sum())]
    assert area.tolist() == [0.0]


def test_zonal_accumulator_per_zone_and_overall() -> None:
    zones = np.array([[1, 1, 2], [0, 2, 2]])
    values = np.array([[1.0, 3.0, 10.0], [99.0, 20.0, -5.0]])
    valid = np.array([[True, True, True], [True, True, False]])
    acc = ZonalAccumulator(3)
    acc.add(zones, values, valid, np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    per = acc.per_zone()
    assert per["pixels"].tolist() == [2, 2, 0]
    assert per["mean"][:2].tolist() == [2.0, 15.0]
    assert per["min"][:2].tolist() == [1.0, 10.0] and np.isnan(per["min"][2])
    overall = acc.overall()
    assert overall["pixels"] == 4 and overall["mean"] == pytest.approx(34 / 4)
    assert overall["max"] == 20.0


def test_zonal_mean_is_area_weighted() -> None:
    acc = ZonalAccumulator(1)
    acc.add(np.ones((2, 1), dtype=int), np.array([[0.0], [10.0]]), np.ones((2, 1), bool),
            np.array([[3.0], [1.0]]))
    assert acc.overall()["mean"] == pytest.approx(2.5)
    assert acc.overall()["weighted_sum"] == pytest.approx(10.0)
