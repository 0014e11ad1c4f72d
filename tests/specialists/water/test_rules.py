"""Water-mapping building blocks: Otsu split, boundary growth, SAR / optical rules, speckle."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.spectral.speckle import local_cv2, looks_from_cv2, to_db
from specialists.stats.thresholds import StreamingHistogram
from specialists.water.rules import (
    LAND,
    NODATA,
    WATER,
    Split,
    dual_pol_composite,
    encode_mask,
    filtered_db,
    grow,
    halo,
    optical_water,
    otsu_split,
    relaxed_threshold,
    sar_water,
)


def test_otsu_split_separates_two_modes_and_gives_class_means(rng: np.random.Generator) -> None:
    values = np.concatenate([rng.normal(-22, 1.0, 3000), rng.normal(-10, 1.0, 7000)])
    hist = StreamingHistogram(-50, 20, 1400)
    hist.add(values)
    split = otsu_split(hist.counts, hist.centres)
    assert -19 < split.threshold < -13
    assert split.low_mean == pytest.approx(-22, abs=0.2)
    assert split.high_mean == pytest.approx(-10, abs=0.2)
    assert relaxed_threshold(split) == pytest.approx((split.threshold + split.high_mean) / 2)
    assert relaxed_threshold(Split(-16.0, -20.0, float("nan"))) == -16.0


def test_grow_adds_only_candidates_within_the_step_limit() -> None:
    seed = np.zeros((1, 9), dtype=bool)
    seed[0, 0] = True
    candidate = np.ones((1, 9), dtype=bool)
    candidate[0, 5] = False
    assert grow(seed, candidate, 1)[0].tolist() == [True, True] + [False] * 7
    assert grow(seed, candidate, 3)[0, :5].tolist() == [True] * 4 + [False]
    assert not grow(seed, candidate, 20)[0, 5:].any()  # a non-candidate pixel stops growth
    assert grow(seed, candidate, 0).sum() == 1


def test_sar_water_thresholds_grows_and_ignores_nan() -> None:
    x = np.array([[-22.0, -15.0, -15.0, -9.0, np.nan, -25.0]], dtype=np.float32)
    plain = sar_water(x, -17.0, None)
    assert plain[0].tolist() == [True, False, False, False, False, True]
    grown = sar_water(x, -17.0, -14.0, steps=1)
    # -15 dB next to water joins; the second -15 dB is two steps away; NaN never is water
    assert grown[0].tolist() == [True, True, False, False, False, True]


def test_halo_covers_filter_and_growth() -> None:
    assert halo(True) > halo(False) >= 2


def test_optical_water_with_evi_screen() -> None:
    index = np.array([[0.5, 0.5, -0.2, np.nan]], dtype=np.float32)
    evi = np.array([[0.02, 0.4, 0.0, 0.0]], dtype=np.float32)
    assert optical_water(index, 0.1)[0].tolist() == [True, True, False, False]
    assert optical_water(index, 0.1, evi)[0].tolist() == [True, False, False, False]


def test_encode_mask_values() -> None:
    water = np.array([[True, False, True]])
    valid = np.array([[True, True, False]])
    assert encode_mask(water, valid)[0].tolist() == [WATER, LAND, NODATA]
    assert encode_mask(water, valid).dtype == np.uint8


def test_dual_pol_composite_is_mean_db_and_keeps_nan() -> None:
    vv = np.array([[-10.0, np.nan]], dtype=np.float32)
    vh = np.array([[-20.0, -20.0]], dtype=np.float32)
    out = dual_pol_composite([vv, vh])
    assert out[0, 0] == pytest.approx(-15.0)
    assert np.isnan(out[0, 1])


def test_local_cv2_estimates_looks_of_gamma_speckle(rng: np.random.Generator) -> None:
    looks = 4.0
    power = rng.gamma(looks, 1.0 / looks, size=(200, 200)).astype(np.float32) * 0.05
    cv2 = local_cv2(power, 7)
    assert looks_from_cv2(float(np.nanmedian(cv2))) == pytest.approx(looks, rel=0.3)
    assert np.nanmax(local_cv2(np.full((20, 20), 0.1, dtype=np.float32))) < 1e-6
    assert looks_from_cv2(float("nan")) == 1.0


def test_filtered_db_reduces_speckle_keeps_level_and_nan(rng: np.random.Generator) -> None:
    power = rng.gamma(3.0, 1.0 / 3.0, size=(120, 120)).astype(np.float32) * 0.1  # -10 dB mean
    db = to_db(power)
    db[0:5, 0:5] = np.nan
    out = filtered_db(db, looks=3.0)
    assert np.isnan(out[0:5, 0:5]).all() and np.isfinite(out[10:, 10:]).all()
    assert np.nanstd(out) < 0.5 * np.nanstd(db)
    assert 10 * np.log10(np.nanmean(10 ** (out / 10))) == pytest.approx(-10.0, abs=0.5)
    np.testing.assert_array_equal(filtered_db(db, None, speckle_filter=False), db)
