"""Trend statistics: OLS with standard error, Mann-Kendall (ties), Sen's slope, wording."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from specialists.stats.trend import analyse, direction_text, mann_kendall, ols, sens_slope


def test_mann_kendall_strictly_increasing_matches_hand_values() -> None:
    mk = mann_kendall([1, 2, 3, 4, 5])
    assert mk.s == 10
    assert mk.var_s == pytest.approx(5 * 4 * 15 / 18)
    assert mk.z == pytest.approx(9 / math.sqrt(5 * 4 * 15 / 18))
    assert mk.p == pytest.approx(0.02749, abs=1e-4)
    assert mk.tau == pytest.approx(1.0)


def test_mann_kendall_tie_correction() -> None:
    # Ties (1,1) and (2,2): S = 8, var = (300 - 2 * 2*1*9) / 18.
    mk = mann_kendall([1, 1, 2, 2, 3])
    assert mk.s == 8
    assert mk.var_s == pytest.approx((300 - 36) / 18)
    assert mk.z == pytest.approx(7 / math.sqrt((300 - 36) / 18))
    assert mk.p == pytest.approx(2 * sps.norm.sf(mk.z))


def test_mann_kendall_decreasing_and_constant() -> None:
    mk = mann_kendall([9.0, 7.0, 8.0, 3.0, 1.0, 0.5])
    assert mk.s < 0 and mk.z < 0
    flat = mann_kendall([2.0, 2.0, 2.0, 2.0])
    assert flat.s == 0 and flat.z == 0 and flat.p == 1.0


def test_ols_matches_scipy_linregress(rng: np.random.Generator) -> None:
    t = np.arange(2000, 2012, dtype=float)
    y = 3.0 - 0.7 * (t - 2000) + rng.normal(0, 0.3, t.size)
    fit = ols(t, y)
    ref = sps.linregress(t, y)
    assert fit.slope == pytest.approx(ref.slope)
    assert fit.intercept == pytest.approx(ref.intercept)
    assert fit.slope_stderr == pytest.approx(ref.stderr)
    assert fit.r2 == pytest.approx(ref.rvalue**2)


def test_ols_two_points_has_no_stderr() -> None:
    fit = ols([2019.0, 2020.0], [1.0, 3.0])
    assert fit.slope == pytest.approx(2.0) and fit.slope_stderr is None


def test_sens_slope_is_robust_to_an_outlier() -> None:
    t = np.arange(10, dtype=float)
    y = 2.0 * t + 1.0
    y[7] = 500.0
    slope, intercept = sens_slope(t, y)
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(1.0)
    assert ols(t, y).slope > 5  # OLS is pulled by the outlier


def test_analyse_sorts_by_time_and_words_the_direction() -> None:
    t = [2020.0, 2016.0, 2018.0, 2017.0, 2019.0, 2015.0, 2021.0]
    y = [5.0 - 0.5 * (x - 2015) for x in t]
    stats = analyse(t, y)
    assert stats.ols.slope == pytest.approx(-0.5)
    assert stats.sen_slope == pytest.approx(-0.5)
    assert stats.mk.s == -21
    assert direction_text(stats).startswith("decreasing, significant at 5 %")


def test_direction_text_for_noise_is_not_significant() -> None:
    stats = analyse(range(8), [5.0, 7.0, 4.0, 6.0, 5.5, 4.5, 6.5, 5.2])
    assert stats.mk.p > 0.5
    assert "not significant" in direction_text(stats)


@pytest.mark.parametrize(("t", "y", "message"), [
    ([1.0], [1.0], "at least 2"),
    ([1.0, 1.0], [1.0, 2.0], "distinct"),
    ([1.0, 2.0], [1.0, float("nan")], "finite"),
    ([1.0, 2.0, 3.0], [1.0, 2.0], "equally long"),
])
def test_bad_series_are_refused(t: list[float], y: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(t, y)
