"""Tests of specialists.spectral.multispectral: preset composites and band labels."""

from __future__ import annotations

import pytest

from specialists.spectral import multispectral as ms
from specialists.spectral.bands import SENTINEL2_13, resolve_roles


def test_sentinel2_composites_from_names() -> None:
    roles = resolve_roles(13, SENTINEL2_13)
    assert ms.composite_bands(roles, "true_color") == [4, 3, 2]
    assert ms.composite_bands(roles, "false_color") == [8, 4, 3]
    assert ms.composite_bands(roles, "swir") == [13, 8, 4]


def test_missing_role_names_it() -> None:
    roles = resolve_roles(3, [None, None, None])
    with pytest.raises(ValueError, match="nir"):
        ms.composite_bands(roles, "false_color")


def test_labels_and_nominal_wavelengths() -> None:
    assert ms.nominal_wavelength("B04") == 665.0
    assert ms.nominal_wavelength("B8A") == 865.0
    assert ms.nominal_wavelength("VV") is None
    assert ms.band_label(4, "B4", 665.0, "red") == "B4 (red, 665 nm)"
    assert ms.band_label(3, None, None, "red") == "band 3 (red)"
    assert ms.band_label(2, None, None) == "band 2"
    assert ms.band_wavelengths(["B2", None], [None, 700.0]) == [490.0, 700.0]
