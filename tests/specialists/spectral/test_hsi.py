"""Tests of specialists.spectral.hsi: nearest wavelengths, recombination groups, streaming PCA."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.spectral import hsi


def test_nearest_bands_skips_unknown_wavelengths() -> None:
    wl = [None, 450.0, 480.0, 545.0, 560.0, 630.0, 655.0]
    assert hsi.nearest_bands(wl) == [6, 4, 3]  # 630 for 640, 545 for 550, 480 for 470
    assert hsi.nearest_bands(wl, [1000.0]) == [7]
    with pytest.raises(ValueError):
        hsi.nearest_bands([None, None])


def test_recombine_bands_groups_of_three() -> None:
    assert hsi.recombine_bands(10, 0) == [3, 2, 1]
    assert hsi.recombine_bands(10, 2) == [9, 8, 7]
    with pytest.raises(ValueError, match=r"valid: 0\.\.2"):
        hsi.recombine_bands(10, 3)


def test_streaming_covariance_matches_numpy(rng: np.random.Generator) -> None:
    mix = rng.normal(size=(5, 5))
    x = rng.normal(size=(3000, 5)) @ mix + 500.0
    x[7, 2] = np.nan  # skipped row
    acc = hsi.StreamingCovariance(5)
    for batch in np.array_split(x, 9):
        acc.add(batch)
    good = x[np.isfinite(x).all(axis=1)]
    assert acc.count == good.shape[0]
    np.testing.assert_allclose(acc.mean, good.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(acc.covariance, np.cov(good.T, bias=True), rtol=1e-9, atol=1e-9)


def test_principal_components_decreasing_variance_and_projection(
    rng: np.random.Generator,
) -> None:
    scales = np.array([9.0, 4.0, 2.0, 1.0, 0.5, 0.1])
    basis, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    x = (rng.normal(size=(20000, 6)) * scales) @ basis.T + 10.0
    pca = hsi.principal_components(x.mean(axis=0), np.cov(x.T, bias=True), 3)
    assert np.all(np.diff(pca.variances) < 0)
    np.testing.assert_allclose(np.sqrt(pca.variances), scales[:3], rtol=0.05)
    assert 0 < pca.explained.sum() <= 1.0
    assert np.all(pca.components.sum(axis=0) >= 0)
    cube = x.T.reshape(6, 100, 200)
    scores = hsi.project(cube, pca)
    assert scores.shape == (3, 100, 200)
    np.testing.assert_allclose(scores.reshape(3, -1).var(axis=1), pca.variances, rtol=1e-6)


def test_project_marks_incomplete_pixels_nodata() -> None:
    cube = np.ones((4, 2, 2))
    cube[1, 0, 0] = np.nan
    pca = hsi.principal_components(np.zeros(4), np.eye(4), 3)
    scores = hsi.project(cube, pca)
    assert np.isnan(scores[:, 0, 0]).all() and np.isfinite(scores[:, 1, 1]).all()
