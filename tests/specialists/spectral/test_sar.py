"""Tests of specialists.spectral.sar: polarisation choice, units, composites and the Lee filter."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.spectral import sar, speckle


def test_select_polarisations_from_names() -> None:
    sel = sar.select_polarisations(["Sigma0_VH_db", "Sigma0_VV_db"])
    assert (sel.co, sel.cross, sel.co_label, sel.cross_label) == (2, 1, "VV", "VH")
    assert sel.notes == [] and sel.ignored == []
    sel = sar.select_polarisations(["HH", "HV", "ratio"])
    assert (sel.co, sel.cross, sel.ignored) == (1, 2, [3])


def test_select_polarisations_unnamed_assumes_vv_vh() -> None:
    sel = sar.select_polarisations([None, None, None])
    assert (sel.co, sel.cross, sel.co_label, sel.cross_label) == (1, 2, "VV", "VH")
    assert sel.ignored == [3]
    assert "assumed band 1 = VV" in sel.notes[0]
    single = sar.select_polarisations([None])
    assert (single.co, single.cross) == (1, None)
    lone = sar.select_polarisations(["VH"])
    assert (lone.co, lone.cross, lone.co_label) == (1, None, "VH")


def test_select_polarisations_file_name_hint_and_ignored_bands() -> None:
    sel = sar.select_polarisations([None], "S1A_IW_20150309_HH_grd_db.tif")
    assert sel.co_label == "HH" and "file name" in sel.notes[0]
    assert sar.select_polarisations([None], "scene.tif").co_label == "band 1"
    sel = sar.select_polarisations(["VV", "incidence angle"])
    assert (sel.co, sel.cross, sel.ignored) == (1, None, [2])
    assert "band(s) 2 not used (shown single-pol)" in sel.notes


def test_detect_scale(rng: np.random.Generator) -> None:
    linear = rng.exponential(0.05, 5000).astype(np.float32)
    db = 10 * np.log10(linear)
    assert sar.detect_scale(linear, "float32") == "linear"
    assert sar.detect_scale(db, "float32") == "dB"
    assert sar.detect_scale(rng.integers(50, 900, 100), "uint16") == "amplitude"


def test_to_decibels_from_each_scale() -> None:
    assert sar.to_decibels(np.array([0.1, 1.0]), "linear") == pytest.approx([-10.0, 0.0])
    assert sar.to_decibels(np.array([10.0]), "amplitude") == pytest.approx([20.0])
    assert sar.to_decibels(np.array([-7.5]), "dB") == pytest.approx([-7.5])
    assert np.isnan(sar.to_decibels(np.array([np.nan]), "linear")[0])


def test_dual_pol_composite_blue_is_ratio_in_db() -> None:
    co = np.full((4, 4), 0.1)
    cross = np.full((4, 4), 0.01)
    co[0, 0] = np.nan
    out = sar.composite(np.stack([co, cross]), "linear")
    assert out.shape == (3, 4, 4)
    assert out[0, 1, 1] == pytest.approx(-10.0)
    assert out[1, 1, 1] == pytest.approx(-20.0)
    assert out[2, 1, 1] == pytest.approx(10.0)  # 10 log10(0.1 / 0.01)
    assert np.isnan(out[0, 0, 0]) and np.isnan(out[2, 0, 0])


def test_single_pol_composite_is_grey() -> None:
    out = sar.composite(np.full((1, 3, 3), -12.0), "dB")
    assert out.shape == (3, 3, 3) and np.all(out == -12.0)


def _speckled(rng: np.random.Generator, looks: int) -> tuple[np.ndarray, np.ndarray]:
    clean = np.full((128, 128), 0.05)
    clean[:, 64:] = 0.2
    speckle = rng.gamma(looks, 1.0 / looks, clean.shape)
    return clean, clean * speckle


def test_looks_estimate_from_local_cv2(rng: np.random.Generator) -> None:
    _, noisy = _speckled(rng, 4)
    looks = speckle.looks_from_cv2(float(np.nanmedian(speckle.local_cv2(noisy))))
    assert 3.0 < looks < 6.0


def test_lee_filter_reduces_speckle_variance(rng: np.random.Generator) -> None:
    clean, noisy = _speckled(rng, 1)
    looks = speckle.looks_from_cv2(float(np.nanmedian(speckle.local_cv2(noisy))))
    raw = sar.channel_db(noisy, "linear", None)
    filtered = sar.channel_db(noisy, "linear", looks)
    region = (slice(10, 118), slice(10, 54))  # homogeneous, away from the edge
    assert np.var(filtered[region]) < np.var(raw[region]) / 4.0
    # speckle is multiplicative with mean 1: the filter keeps the mean power
    power = 10 ** (filtered[region] / 10)
    assert power.mean() == pytest.approx(clean[region].mean(), rel=0.15)
    assert np.isfinite(filtered).all()


def test_lee_filter_keeps_nodata() -> None:
    img = np.full((20, 20), 0.1)
    img[5, 5] = np.nan
    out = sar.per_band_db(img[np.newaxis], "linear", looks=1.0)
    assert out.shape == (1, 20, 20) and np.isnan(out[0, 5, 5])
    assert np.isfinite(out[0, 6, 6])
