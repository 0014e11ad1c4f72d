"""SAR pseudo-RGB: polarisation choice, dB/linear/amplitude handling, Lee-filtered composites.

Dual-pol composite (the usual Sentinel-1 colour scheme):
    R = co-pol dB (VV or HH), G = cross-pol dB (VH or HV), B = co - cross in dB
    (a difference of dB values is the co/cross power ratio in dB).

Single-pol: the one channel in dB is replicated into R, G and B (a grey image). A
texture or filtered second channel would tint the image in colours no RGB model has seen;
SAR ship and object detectors are trained on grey amplitude chips (HRSID, SSDD), which the
grey composite resembles.

Speckle filtering runs on linear power (the Lee filter's noise model is multiplicative on
power). Its equivalent number of looks is estimated once per scene from the median local
coefficient of variation (:func:`local_cv2` gathered over tiles), so tiles are filtered with
the same strength and show no seams.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from specialists.spectral.speckle import lee_filter, looks_like_db, to_db

Scale = Literal["dB", "linear", "amplitude"]

CO_POLS = ("VV", "HH")
CROSS_POLS = ("VH", "HV")
_POL = re.compile(r"(?:^|[^A-Z])(VV|VH|HH|HV)(?:[^A-Z]|$)")

DB_HIST = (-80.0, 40.0, 12000)
"""Histogram range and bins of backscatter in dB (0.01 dB bins; -60 dB is the linear floor)."""
RATIO_HIST = (-60.0, 60.0, 12000)
"""Histogram range and bins of a co/cross ratio in dB."""
LEE_SIZE = 7
"""Lee filter window side in pixels."""
CV2_HIST = (0.0, 4.0, 4000)
"""Histogram of local squared coefficients of variation (looks estimate)."""


def polarisation(name: str | None) -> str | None:
    """The polarisation a band name states (VV, VH, HH, HV), e.g. 'Sigma0_VV_db' -> 'VV'."""
    if not name:
        return None
    m = _POL.search(name.upper())
    return m.group(1) if m else None


@dataclass(frozen=True)
class PolSelection:
    """Which bands are co- and cross-polarised (1-based) and what was assumed.

    Attributes:
        co: Band index of the co-pol channel.
        cross: Band index of the cross-pol channel (None for single-pol).
        co_label: Its polarisation or band label, e.g. 'VV' or 'band 1'.
        cross_label: Same for the cross-pol band.
        ignored: Bands not used.
        notes: Assumptions made.
    """

    co: int
    cross: int | None
    co_label: str
    cross_label: str | None
    ignored: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def select_polarisations(names: Sequence[str | None], file_name: str = "") -> PolSelection:
    """Pick the co- and cross-pol bands from band names, else assume band 1 = VV, band 2 = VH.

    Args:
        names: Band names in file order (None where unnamed).
        file_name: Name of the file; a single unnamed band takes the polarisation it states
            (e.g. 'S1A_IW_..._VV_grd.tif').
    """
    count = len(names)
    if count == 0:
        raise ValueError("no bands")
    pols = [polarisation(n) for n in names]
    co = next((i for i, p in enumerate(pols, 1) if p in CO_POLS), None)
    cross = next((i for i, p in enumerate(pols, 1) if p in CROSS_POLS), None)
    if co is None and cross is not None:
        co, cross = cross, None  # a lone cross-pol band is shown single-pol
    notes: list[str] = []
    if co is not None:
        co_label, cross_label = str(pols[co - 1]), str(pols[cross - 1]) if cross else None
    elif count == 1:
        co, co_label, cross_label = 1, names[0] or "band 1", None
    else:
        co, cross, co_label, cross_label = 1, 2, "VV", "VH"
        notes.append("bands are not named; assumed band 1 = VV and band 2 = VH")
    hint = polarisation(file_name)
    if cross is None and polarisation(co_label) is None and hint:
        co_label = hint
        notes.append(f"polarisation {hint} taken from the file name")
    ignored = [i for i in range(1, count + 1) if i not in (co, cross)]
    if ignored:
        shown = "the co/cross ratio is computed instead" if cross else "shown single-pol"
        notes.append(f"band(s) {', '.join(map(str, ignored))} not used ({shown})")
    return PolSelection(co, cross, co_label, cross_label, ignored, notes)


def detect_scale(sample: np.ndarray, dtype: str) -> Scale:
    """Whether backscatter is in dB, linear power, or integer amplitude (DN).

    Unsigned-integer data are amplitude DNs (e.g. GRD products); floats are dB or linear
    power as :func:`specialists.spectral.speckle.looks_like_db` decides on the sample.
    """
    if np.dtype(dtype).kind == "u" and np.dtype(dtype).itemsize >= 2:
        return "amplitude"
    return "dB" if looks_like_db(sample) else "linear"


def to_power(values: np.ndarray, scale: Scale) -> np.ndarray:
    """Backscatter to linear power (float64; NaN stays NaN)."""
    v = np.asarray(values, dtype=np.float64)
    if scale == "dB":
        out: np.ndarray = np.power(10.0, v / 10.0)
        return out
    if scale == "amplitude":
        return v * v
    return v


def to_decibels(values: np.ndarray, scale: Scale) -> np.ndarray:
    """Backscatter to dB (float32; linear power is floored at 1e-6, i.e. -60 dB)."""
    if scale == "dB":
        return np.asarray(values, dtype=np.float32)
    return to_db(to_power(values, scale))


def channel_db(values: np.ndarray, scale: Scale, looks: float | None) -> np.ndarray:
    """One band to dB, Lee-filtered on linear power first when ``looks`` is given."""
    if looks is None:
        return to_decibels(values, scale)
    filtered = lee_filter(to_power(values, scale), size=LEE_SIZE, looks=looks)
    return to_db(filtered)


def composite(bands: np.ndarray, scale: Scale, looks: float | None = None) -> np.ndarray:
    """The pseudo-RGB channels (in dB) of one or two SAR bands.

    Args:
        bands: ``(1, rows, cols)`` single-pol or ``(2, rows, cols)`` co-pol then cross-pol;
            NaN marks nodata.
        scale: Unit of the input ('dB', 'linear' power or integer 'amplitude').
        looks: Equivalent number of looks for the Lee filter; None = no filtering.

    Returns:
        ``(3, rows, cols)`` float32: co, cross, co - cross in dB for dual-pol; the single
        band three times for single-pol.
    """
    if bands.shape[0] == 1:
        db = channel_db(bands[0], scale, looks)
        return np.stack([db, db, db])
    co = channel_db(bands[0], scale, looks)
    cross = channel_db(bands[1], scale, looks)
    return np.stack([co, cross, co - cross]).astype(np.float32)


def per_band_db(bands: np.ndarray, scale: Scale, looks: float | None = None) -> np.ndarray:
    """Each of ``(n, rows, cols)`` bands to dB on its own (optionally Lee-filtered)."""
    return np.stack([channel_db(b, scale, looks) for b in bands]).astype(np.float32)
