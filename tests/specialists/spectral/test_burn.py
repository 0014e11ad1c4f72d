"""dNBR and the USGS FIREMON burn severity classes (Key & Benson 2006) on hand-made values."""

from __future__ import annotations

import numpy as np
import pytest

from specialists.spectral.burn import (
    BURNED_MIN_DNBR,
    NODATA_CLASS,
    SEVERITY_CLASSES,
    ClassTally,
    classify_severity,
    dnbr,
    nbr,
)

# The USGS table in dNBR x 1000 (integers): each class's lowest and highest scaled value.
USGS_TABLE = [(-500, -251), (-250, -101), (-100, 99), (100, 269), (270, 439), (440, 659),
              (660, 1300)]


def test_every_integer_of_the_usgs_table_lands_in_its_class() -> None:
    for code, (low, high) in enumerate(USGS_TABLE, start=1):
        scaled = np.arange(low, high + 1)
        codes = classify_severity((scaled / 1000.0).astype(np.float32))
        assert (codes == code).all(), (code, scaled[codes != code][:5])


def test_class_records_match_the_table() -> None:
    names = [c.name for c in SEVERITY_CLASSES]
    assert names == ["enhanced regrowth, high", "enhanced regrowth, low", "unburned",
                     "low severity", "moderate-low severity", "moderate-high severity",
                     "high severity"]
    assert [c.code for c in SEVERITY_CLASSES] == list(range(1, 8))
    assert [c.burned for c in SEVERITY_CLASSES] == [False] * 3 + [True] * 4
    assert SEVERITY_CLASSES[0].range_text == "< -0.25"
    assert SEVERITY_CLASSES[4].range_text == "0.27 to < 0.44"
    assert SEVERITY_CLASSES[6].range_text == ">= 0.66"
    assert BURNED_MIN_DNBR == SEVERITY_CLASSES[3].lower == 0.10


def test_dnbr_is_pre_minus_post_and_nan_stays_nodata() -> None:
    # pre: NIR 0.4, SWIR2 0.1 -> NBR 0.6; post: NIR 0.2, SWIR2 0.3 -> NBR -0.2
    pre = nbr(np.array([0.4, 0.4, np.nan]), np.array([0.1, 0.1, 0.1]))
    post = nbr(np.array([0.2, 0.4, 0.2]), np.array([0.3, 0.1, 0.3]))
    d = dnbr(pre, post)
    assert d.dtype == np.float32
    assert d[0] == pytest.approx(0.6 - -0.2, abs=1e-6)  # 0.8: high severity
    assert d[1] == pytest.approx(0.0, abs=1e-7)
    assert np.isnan(d[2])
    np.testing.assert_array_equal(classify_severity(d), [7, 3, NODATA_CLASS])


def test_class_tally_counts_pixels_and_row_areas() -> None:
    codes = np.array([[4, 4, 3, NODATA_CLASS],
                      [7, 4, 1, 3]], dtype=np.uint8)
    tally = ClassTally()
    tally.add(codes, np.array([100.0, 50.0]))  # m² per pixel of each row
    assert tally.pixels[4] == 3 and tally.pixels[3] == 2 and tally.pixels[7] == 1
    assert tally.area_m2[4] == pytest.approx(2 * 100 + 50)
    assert tally.area_m2[3] == pytest.approx(100 + 50)
    assert tally.valid_pixels == 7 and tally.valid_m2 == pytest.approx(3 * 100 + 4 * 50)
    no_crs = ClassTally()
    no_crs.add(codes)
    assert no_crs.valid_pixels == 7 and no_crs.valid_m2 == 0.0
