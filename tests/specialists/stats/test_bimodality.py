"""Ashman's D of a two-Gaussian fit to a histogram: bimodal mixtures pass, one population fails
(even though Otsu still returns a threshold for it), and the fit recovers the components."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.stats.thresholds import ASHMAN_D_MIN, StreamingHistogram, bimodality


def _hist(values: np.ndarray) -> StreamingHistogram:
    hist = StreamingHistogram(-50.0, 20.0, 1400)
    hist.add(values)
    return hist


def test_clear_mixtures_are_bimodal_whatever_the_water_share() -> None:
    rng = np.random.default_rng(0)
    for share in (0.05, 0.2, 0.5):
        n = 100_000
        water = int(n * share)
        hist = _hist(np.concatenate([rng.normal(-22.0, 2.0, water),
                                     rng.normal(-11.0, 2.5, n - water)]))
        fit = bimodality(hist.counts, hist.centres, hist.otsu())
        assert fit.bimodal and fit.d > 4.0
        assert fit.means == pytest.approx((-22.0, -11.0), abs=0.2)
        assert fit.sds == pytest.approx((2.0, 2.5), abs=0.2)
        assert fit.weights[0] == pytest.approx(share, abs=0.01)


@pytest.mark.parametrize("name", ["gaussian", "log-gamma speckle", "overlapping modes"])
def test_one_population_is_not_bimodal(name: str) -> None:
    rng = np.random.default_rng(1)
    values = {
        "gaussian": rng.normal(-12.0, 2.5, 100_000),
        "log-gamma speckle": 10 * np.log10(0.06 * rng.gamma(4.0, 0.25, 100_000)),
        "overlapping modes": np.concatenate([rng.normal(-16.0, 2.5, 20_000),
                                             rng.normal(-11.0, 2.5, 80_000)]),
    }[name]
    hist = _hist(values)
    fit = bimodality(hist.counts, hist.centres, hist.otsu())
    assert not fit.bimodal and fit.d < ASHMAN_D_MIN
    # Otsu's classes themselves look separated: D of the two truncated sides would be > 2.
    assert 0.55 < fit.separability < 0.75


def test_degenerate_histograms() -> None:
    const = _hist(np.full(1000, -10.0))
    fit = bimodality(const.counts, const.centres, const.otsu())
    assert fit.d == 0.0 and not fit.bimodal
    spikes = _hist(np.r_[np.full(100, -20.0), np.full(900, -10.0)])
    fit = bimodality(spikes.counts, spikes.centres, spikes.otsu())
    assert fit.bimodal and np.isfinite(fit.d)
    assert fit.weights == pytest.approx((0.1, 0.9))
