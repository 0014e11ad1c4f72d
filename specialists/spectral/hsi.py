"""Hyperspectral to three channels: nearest-wavelength bands, streaming PCA, band recombination.

* Nearest wavelengths: the bands whose centre wavelengths are closest to 640, 550 and 470 nm
  (or requested wavelengths) give an approximately natural-colour image.
* PCA: the mean and covariance of all bands are accumulated tile by tile
  (:class:`StreamingCovariance`), then every pixel is projected on the first three
  eigenvectors. Covariance (not correlation) PCA, so noisy low-variance bands weigh little.
* Recombination (REO-VLM style): consecutive 3-band groups of the cube are shown as RGB
  images, group ``g`` being bands ``3g+1 .. 3g+3`` (1-based). Like true colour, the longest
  wavelength (highest band index in a cube sorted by wavelength) goes to red.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RGB_NM = (640.0, 550.0, 470.0)
"""Target centre wavelengths (nm) of red, green and blue."""


def nearest_bands(wavelengths_nm: Sequence[float | None],
                  targets_nm: Sequence[float] = DEFAULT_RGB_NM) -> list[int]:
    """1-based indices of the bands nearest each target wavelength.

    Args:
        wavelengths_nm: Centre wavelength of every band in nm (None where unknown).
        targets_nm: Wanted wavelengths in nm.

    Raises:
        ValueError: No band has a wavelength.
    """
    known = [(i, float(w)) for i, w in enumerate(wavelengths_nm, start=1) if w is not None]
    if not known:
        raise ValueError("no band has a known wavelength")
    idx = np.array([i for i, _ in known])
    wl = np.array([w for _, w in known])
    return [int(idx[int(np.argmin(np.abs(wl - t)))]) for t in targets_nm]


def recombine_bands(count: int, group: int) -> list[int]:
    """1-based R, G, B band indices of 3-band group ``group`` (0-based) of a ``count``-band cube.

    Raises:
        ValueError: The group does not exist (the cube has ``count // 3`` full groups).
    """
    groups = count // 3
    if group < 0 or group >= groups:
        raise ValueError(f"group {group} does not exist: {count} bands make {groups} groups "
                         f"of 3 (valid: 0..{groups - 1})")
    first = 3 * group + 1
    return [first + 2, first + 1, first]


class StreamingCovariance:
    """Mean and covariance of pixel spectra, accumulated batch by batch in float64.

    Sums are taken around a shift (the first batch's mean) to avoid cancellation.

    Args:
        bands: Number of bands (columns of each batch).
    """

    def __init__(self, bands: int) -> None:
        self.bands = int(bands)
        self.count = 0
        self._shift: np.ndarray | None = None
        self._sum = np.zeros(self.bands)
        self._outer = np.zeros((self.bands, self.bands))

    def add(self, pixels: np.ndarray) -> None:
        """Add a ``(n, bands)`` batch; rows with any non-finite value are skipped."""
        x = np.asarray(pixels, dtype=np.float64).reshape(-1, self.bands)
        x = x[np.isfinite(x).all(axis=1)]
        if x.shape[0] == 0:
            return
        if self._shift is None:
            self._shift = x.mean(axis=0)
        d = x - self._shift
        self.count += x.shape[0]
        self._sum += d.sum(axis=0)
        self._outer += d.T @ d

    @property
    def mean(self) -> np.ndarray:
        """Mean spectrum."""
        if self._shift is None:
            raise ValueError("no valid pixels were added")
        out: np.ndarray = self._shift + self._sum / self.count
        return out

    @property
    def covariance(self) -> np.ndarray:
        """Population covariance matrix ``(bands, bands)``."""
        if self._shift is None:
            raise ValueError("no valid pixels were added")
        m = self._sum / self.count
        out: np.ndarray = self._outer / self.count - np.outer(m, m)
        return out


@dataclass(frozen=True)
class Pca:
    """Principal components of a set of spectra.

    Attributes:
        mean: Mean spectrum ``(bands,)``.
        components: Unit eigenvectors as columns ``(bands, k)``, largest variance first; each
            signed so its loadings sum to a non-negative value (PC1 grows with brightness).
        variances: Variance of each component (input units squared).
        explained: Fraction of the total variance each component holds.
    """

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray
    explained: np.ndarray


def principal_components(mean: np.ndarray, covariance: np.ndarray, k: int = 3) -> Pca:
    """The first ``k`` principal components from a mean and a covariance matrix."""
    cov = (covariance + covariance.T) / 2.0
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals = np.maximum(vals[order], 0.0)
    vecs = vecs[:, order]
    signs = np.where(vecs.sum(axis=0) < 0, -1.0, 1.0)
    vecs = vecs * signs
    total = float(vals.sum())
    explained = vals / total if total > 0 else np.zeros_like(vals)
    return Pca(mean=np.asarray(mean, dtype=np.float64), components=vecs[:, :k],
               variances=vals[:k], explained=explained[:k])


def project(cube: np.ndarray, pca: Pca) -> np.ndarray:
    """Project a ``(bands, rows, cols)`` cube on the components -> ``(k, rows, cols)`` float64.

    A pixel with any non-finite band is NaN in every component.
    """
    b, rows, cols = cube.shape
    x = np.asarray(cube, dtype=np.float64).reshape(b, -1).T
    scores = (x - pca.mean) @ pca.components
    scores[~np.isfinite(x).all(axis=1)] = np.nan
    out: np.ndarray = scores.T.reshape(-1, rows, cols)
    return out
