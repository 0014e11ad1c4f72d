"""Change vector analysis: moments, magnitude, quantised histogram and masks."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.change.cva import (
    LEVELS,
    MASK_NODATA,
    NODATA_CODE,
    DifferenceMoments,
    MagnitudeQuantiser,
    change_magnitude,
    change_mask,
    mask_from_magnitude,
    valid_pixels,
)


def _pair(rng: np.random.Generator, shape: tuple[int, int, int] = (3, 40, 50)
          ) -> tuple[np.ndarray, np.ndarray]:
    before = rng.integers(0, 200, shape).astype(np.uint8)
    after = np.clip(before.astype(np.int16) + rng.integers(-10, 10, shape), 0, 255)
    after[:, 10:20, 5:25] += 50  # a changed block
    return before, after.astype(np.uint8)


def test_valid_pixels_masks_nodata_and_nan() -> None:
    data = np.ones((2, 3, 3), dtype=np.float32)
    data[0, 0, 0] = -9999
    data[1, 2, 2] = np.nan
    valid = valid_pixels(data, -9999)
    assert valid.sum() == 7 and not valid[0, 0] and not valid[2, 2]
    assert valid_pixels(np.zeros((1, 2, 2), np.uint8), None).all()
    assert valid_pixels(np.zeros((1, 2, 2), np.uint8), float("nan")).all()


def test_magnitude_is_norm_of_difference(rng: np.random.Generator) -> None:
    before, after = _pair(rng)
    expected = np.linalg.norm(after.astype(np.float64) - before, axis=0)
    got = change_magnitude(before, after)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_magnitude_standardised_and_invalid(rng: np.random.Generator) -> None:
    before, after = _pair(rng)
    valid = np.ones(before.shape[1:], dtype=bool)
    valid[0, :5] = False
    offset, scale = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 2.0])
    d = (after.astype(np.float64) - before - offset[:, None, None]) * scale[:, None, None]
    got = change_magnitude(before, after, valid, offset, scale)
    assert np.isnan(got[0, :5]).all()
    np.testing.assert_allclose(got[valid], np.sqrt((d**2).sum(0))[valid], rtol=1e-5)
    with pytest.raises(ValueError, match="differ in shape"):
        change_magnitude(before, after[:, :-1])


def test_moments_match_numpy_and_merge(rng: np.random.Generator) -> None:
    before, after = _pair(rng)
    valid = rng.random(before.shape[1:]) > 0.2
    whole = DifferenceMoments(3)
    whole.add(before, after, valid)
    d = (after.astype(np.float64) - before)[:, valid]
    np.testing.assert_allclose(whole.mean, d.mean(axis=1))
    np.testing.assert_allclose(whole.std, d.std(axis=1))
    assert whole.count == valid.sum()
    halves = DifferenceMoments(3)
    for rows in (slice(0, 17), slice(17, None)):
        part = DifferenceMoments(3)
        part.add(before[:, rows], after[:, rows], valid[rows])
        halves.merge(part)
    np.testing.assert_allclose(halves.mean, whole.mean)
    np.testing.assert_allclose(halves.std, whole.std)
    np.testing.assert_array_equal(halves.low, whole.low)


def test_scaling_and_bound(rng: np.random.Generator) -> None:
    before, after = _pair(rng)
    after[2] = before[2]  # a band without change: no spread, scale stays 1
    valid = np.ones(before.shape[1:], dtype=bool)
    m = DifferenceMoments(3)
    m.add(before, after, valid)
    offset, scale = m.scaling(standardize=False)
    assert not offset.any() and (scale == 1).all()
    offset, scale = m.scaling(standardize=True)
    np.testing.assert_allclose(offset, m.mean)
    np.testing.assert_allclose(scale[:2], 1 / m.std[:2])
    assert scale[2] == 1.0
    mag = change_magnitude(before, after, valid, offset, scale)
    assert m.magnitude_bound(offset, scale) >= float(mag.max()) - 1e-4
    assert DifferenceMoments(3).magnitude_bound(offset, scale) == 0.0
    assert np.isnan(DifferenceMoments(2).mean).all()


def test_quantiser_otsu_separates_modes(rng: np.random.Generator) -> None:
    mag = np.concatenate([rng.normal(10, 2, 5000), rng.normal(60, 5, 1000)]).astype(np.float32)
    mag = np.clip(mag, 0, None).reshape(60, 100)
    mag[0, 0] = np.nan
    q = MagnitudeQuantiser(float(np.nanmax(mag)))
    codes = q.encode(mag)
    assert codes.dtype == np.uint16 and codes[0, 0] == NODATA_CODE
    assert codes[np.isfinite(mag)].max() == LEVELS - 1
    q.add(codes)
    assert q.histogram.total == mag.size - 1
    t = q.otsu()
    assert 15 < t < 45  # in the gap between the modes
    first = q.code_of(t)
    np.testing.assert_array_equal(change_mask(codes, first), mask_from_magnitude(mag, t))
    truth = np.zeros(mag.shape, dtype=bool)
    truth.ravel()[5000:] = True
    got = change_mask(codes, first)
    assert got[0, 0] == MASK_NODATA
    assert ((got == 1) == truth).ravel()[1:].mean() > 0.999


def test_quantiser_tiles_equal_whole(rng: np.random.Generator) -> None:
    mag = rng.gamma(2.0, 5.0, (64, 64)).astype(np.float32)
    whole, tiled = MagnitudeQuantiser(100.0, 4096), MagnitudeQuantiser(100.0, 4096)
    whole.add(whole.encode(mag))
    for rows in (slice(0, 10), slice(10, 40), slice(40, 64)):
        tiled.add_counts(tiled.counts(tiled.encode(mag[rows])))
    np.testing.assert_array_equal(whole.histogram.counts, tiled.histogram.counts)
    assert whole.otsu() == tiled.otsu()


def test_quantiser_clips_and_refuses_bad_range() -> None:
    q = MagnitudeQuantiser(10.0, 100)
    codes = q.encode(np.array([[0.0, 5.0, 10.0, 1e6]], dtype=np.float32))
    assert codes.tolist() == [[0, 50, 99, 99]]
    assert q.code_of(-1.0) == 0 and q.code_of(1e9) == 100
    for high in (0.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="range"):
            MagnitudeQuantiser(high)
    with pytest.raises(ValueError, match="levels"):
        MagnitudeQuantiser(1.0, LEVELS + 1)


def test_fixed_threshold_mask() -> None:
    mag = np.array([[0.0, 1.0, 2.0, np.nan]], dtype=np.float32)
    assert mask_from_magnitude(mag, 1.0).tolist() == [[0, 1, 1, MASK_NODATA]]
