"""SAR speckle: dB/linear detection and the Lee filter."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter


def looks_like_db(values: np.ndarray) -> bool:
    """True when backscatter values look like decibels rather than linear power.

    Linear sigma0 is non-negative and mostly below 1; dB values are mostly negative
    (typically -30 to +5).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return True
    return bool((v < 0).mean() > 0.05 or np.median(v) > 2.0)


def to_db(linear: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Linear power to dB (values at or below ``floor`` are clamped)."""
    db: np.ndarray = 10.0 * np.log10(np.maximum(np.asarray(linear, dtype=np.float32), floor))
    return db.astype(np.float32)


def to_linear(db: np.ndarray) -> np.ndarray:
    """dB to linear power."""
    linear: np.ndarray = np.power(10.0, np.asarray(db, dtype=np.float32) / 10.0)
    return linear.astype(np.float32)


def local_moments(image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local mean and variance over ``size`` x ``size`` windows, ignoring NaN pixels.

    Returns:
        (mean, variance, valid) as float64 arrays and the finite-pixel mask.
    """
    img = np.asarray(image, dtype=np.float64)
    valid = np.isfinite(img)
    filled = np.where(valid, img, 0.0)
    weight = uniform_filter(valid.astype(np.float64), size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = uniform_filter(filled, size) / weight
        sq_mean = uniform_filter(filled * filled, size) / weight
    var: np.ndarray = np.maximum(sq_mean - mean * mean, 0.0)
    return mean, var, valid


def local_cv2(power: np.ndarray, size: int = 7) -> np.ndarray:
    """Local squared coefficient of variation ``var / mean²`` of linear intensity (NaN-aware).

    Its scene median estimates the speckle CV², i.e. 1 / looks (:func:`looks_from_cv2`).
    """
    mean, var, valid = local_moments(power, size)
    cv2 = var / np.maximum(mean * mean, 1e-12)
    cv2[~valid] = np.nan
    return np.asarray(cv2, dtype=np.float32)


def looks_from_cv2(median_cv2: float) -> float:
    """Equivalent number of looks from the scene median of local CV² (speckle CV² = 1/looks).

    Most windows of a scene are homogeneous, so the median local CV² estimates the speckle
    CV²; it is floored so that a textured scene cannot ask for an infinite number of looks.
    """
    if not np.isfinite(median_cv2) or median_cv2 <= 0:
        return 1.0
    return float(1.0 / max(median_cv2, 1e-3))


def lee_filter(image: np.ndarray, size: int = 7, looks: float | None = None) -> np.ndarray:
    """Lee speckle filter on linear intensity (Lee 1980), NaN-aware.

    Args:
        image: 2-D linear intensity; NaN marks nodata and stays NaN.
        size: Window side in pixels (odd).
        looks: Equivalent number of looks; estimated from the image when None.

    Returns:
        The filtered image (float32).
    """
    mean, var, valid = local_moments(image, size)
    filled = np.where(valid, np.asarray(image, dtype=np.float64), 0.0)
    if looks is None:
        cv2 = var[valid] / np.maximum(mean[valid] ** 2, 1e-12)
        noise_cv2 = float(np.nanmedian(cv2)) if cv2.size else 0.25
    else:
        noise_cv2 = 1.0 / looks
    noise_var = noise_cv2 * mean * mean
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.clip((var - noise_var) / np.maximum(var, 1e-12), 0.0, 1.0)
    out: np.ndarray = mean + k * (filled - mean)
    out[~valid] = np.nan
    return out.astype(np.float32)
