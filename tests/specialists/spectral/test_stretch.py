"""Tests of specialists.spectral.stretch: streaming moments, histogram ranges, 8-bit scaling."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.spectral.stretch import (
    StreamingMoments,
    add_to_histograms,
    clip_to_uint8,
    integer_range,
    moment_ranges,
    new_histograms,
    nice_range,
    percentile_limits,
    percentile_stretch,
    scale_to_uint8,
)


def test_scale_to_uint8_maps_limits_to_1_and_255() -> None:
    values = np.array([[[0.0, 10.0, 5.0, -3.0, 20.0]]])
    out = scale_to_uint8(values, [(0.0, 10.0)])
    assert out.dtype == np.uint8
    # 0 -> 1, 10 -> 255, 5 -> 1 + 127 = 128, below/above saturate.
    assert out[0, 0].tolist() == [1, 255, 128, 1, 255]


def test_scale_to_uint8_nodata_in_any_channel_is_zero_everywhere() -> None:
    values = np.ones((3, 2, 2))
    values[1, 0, 1] = np.nan
    out = scale_to_uint8(values, [(0.0, 2.0)] * 3)
    assert out[:, 0, 1].tolist() == [0, 0, 0]
    assert (out[:, [0, 1, 1], [0, 0, 1]] == 128).all()


def test_scale_to_uint8_constant_channel_is_mid_grey() -> None:
    out = scale_to_uint8(np.full((1, 2, 2), 7.0), [(7.0, 7.0)])
    assert (out == 128).all()


def test_clip_to_uint8_keeps_8bit_values_and_reserves_zero() -> None:
    values = np.array([[[0.0, 1.0, 254.6, 300.0, np.nan]]])
    assert clip_to_uint8(values)[0, 0].tolist() == [1, 1, 255, 255, 0]


def test_streaming_moments_over_chunks_match_numpy(rng: np.random.Generator) -> None:
    data = rng.normal(1000.0, 3.0, (2, 90, 70))
    data[0, :5] = np.nan
    m = StreamingMoments(2)
    for chunk in np.array_split(data, 7, axis=2):
        m.add(chunk)
    for c in range(2):
        x = data[c][np.isfinite(data[c])]
        assert m.count[c] == x.size
        assert m.mean[c] == pytest.approx(x.mean(), rel=1e-12)
        assert m.std[c] == pytest.approx(x.std(), rel=1e-9)
        assert m.min[c] == x.min() and m.max[c] == x.max()


def test_integer_histogram_gives_exact_quantiles(rng: np.random.Generator) -> None:
    data = rng.integers(0, 256, (1, 50, 60)).astype(np.uint8)
    rng_u8 = integer_range("uint8")
    assert rng_u8 == (-0.5, 255.5, 256)
    hists = new_histograms([rng_u8])
    add_to_histograms(hists, data.astype(np.float64))
    (lo, hi), = percentile_limits(hists, 2.0, 98.0)
    assert lo == np.percentile(data, 2.0, method="inverted_cdf")
    assert hi == np.percentile(data, 98.0, method="inverted_cdf")
    assert integer_range("int16") == (-32768.5, 32767.5, 65536)
    assert integer_range("float32") is None and integer_range("int32") is None


def test_moment_range_holds_percentiles_of_heavy_tailed_data(rng: np.random.Generator) -> None:
    x = rng.lognormal(0.0, 1.5, (1, 200, 200))
    x[0, 0, :20] = 1e9  # extreme outliers must not swamp the bins
    m = StreamingMoments(1)
    m.add(x)
    (low, high, bins), = moment_ranges(m)
    p2, p98 = np.percentile(x, [2.0, 98.0])
    assert low <= p2 and p98 <= high
    hists = new_histograms([(low, high, bins)])
    add_to_histograms(hists, x)
    (lo, hi), = percentile_limits(hists)
    width = (high - low) / bins
    assert lo == pytest.approx(p2, abs=width)
    assert hi == pytest.approx(p98, abs=width)


def test_nice_range_contains_input_and_is_stable() -> None:
    lo, hi = nice_range(-3.14159, 27.1828)
    assert lo <= -3.14159 and hi >= 27.1828
    assert (hi - lo) < 31.0
    assert nice_range(-3.14159 + 1e-12, 27.1828 - 1e-12) == (lo, hi)
    lo2, hi2 = nice_range(5.0, 5.0)
    assert lo2 < 5.0 < hi2


def test_percentile_stretch_in_memory() -> None:
    values = np.arange(101, dtype=np.float64).reshape(1, 1, 101)
    img, limits = percentile_stretch(values)
    assert limits == [(2.0, 98.0)]
    assert img[0, 0, 2] == 1 and img[0, 0, 98] == 255 and img[0, 0, 50] == 128
