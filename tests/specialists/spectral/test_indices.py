"""Index formulas on hand-computed values, nodata / zero-denominator safety, scaling, stats."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specialists.spectral.indices import (
    INDICES,
    ReflectanceScale,
    RunningStats,
    compute_index,
    detect_reflectance_scale,
    index_spec,
)

# Reflectances of one pixel and the index values computed by hand from them.
PIXEL = {"blue": 0.05, "green": 0.08, "red": 0.10, "rededge1": 0.16, "nir": 0.50, "swir1": 0.20,
         "swir2": 0.10}
EXPECTED = {
    "NDVI": (0.50 - 0.10) / (0.50 + 0.10),                       # 0.6667
    "NDWI": (0.08 - 0.50) / (0.08 + 0.50),                       # -0.7241
    "MNDWI": (0.08 - 0.20) / (0.08 + 0.20),                      # -0.4286
    "NBR": (0.50 - 0.10) / (0.50 + 0.10),                        # 0.6667
    "NDSI": (0.08 - 0.20) / (0.08 + 0.20),                       # -0.4286
    "NDBI": (0.20 - 0.50) / (0.20 + 0.50),                       # -0.4286
    "SAVI": 1.5 * (0.50 - 0.10) / (0.50 + 0.10 + 0.5),           # 0.5455
    "EVI": 2.5 * (0.50 - 0.10) / (0.50 + 6 * 0.10 - 7.5 * 0.05 + 1.0),  # 0.5797
    "NDMI": (0.50 - 0.20) / (0.50 + 0.20),                       # 0.4286
    "GNDVI": (0.50 - 0.08) / (0.50 + 0.08),                      # 0.7241
    "NDRE": (0.50 - 0.16) / (0.50 + 0.16),                       # 0.5152
    "NDCI": (0.16 - 0.10) / (0.16 + 0.10),                       # 0.2308
    "NDTI": (0.10 - 0.08) / (0.10 + 0.08),                       # 0.1111
}


def _bands(values: dict[str, float], shape: tuple[int, int] = (2, 3)) -> dict[str, np.ndarray]:
    return {k: np.full(shape, v, dtype=np.float32) for k, v in values.items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_index_matches_hand_computed_value(name: str) -> None:
    out = compute_index(name, _bands(PIXEL))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, EXPECTED[name], rtol=1e-5)


def test_all_indices_are_known_with_roles() -> None:
    assert set(INDICES) == set(EXPECTED)
    assert index_spec("ndvi").roles == ("nir", "red")
    assert index_spec("EVI").roles == ("nir", "red", "blue")
    with pytest.raises(KeyError, match="known"):
        index_spec("XYZ")


def test_nan_input_gives_nan_and_zero_denominator_is_safe() -> None:
    nir = np.array([[0.5, np.nan, 0.0, 0.3]], dtype=np.float32)
    red = np.array([[0.1, 0.1, 0.0, -0.3]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero / invalid-value warnings
        out = compute_index("NDVI", {"nir": nir, "red": red})
    assert out[0, 0] == pytest.approx(0.4 / 0.6, rel=1e-6)
    assert np.isnan(out[0, 1])  # nodata in -> NaN out
    assert np.isnan(out[0, 2])  # 0 / 0
    assert np.isnan(out[0, 3])  # x / 0


def test_evi_zero_denominator_is_nan() -> None:
    # NIR + 6 red - 7.5 blue + 1 = 0  ->  0.5 + 0.6 - 2.1 + 1 = 0
    b = _bands({"nir": 0.5, "red": 0.1, "blue": 0.28}, (1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(compute_index("EVI", b)[0, 0])


def test_savi_and_evi_depend_on_scale_but_normalized_differences_do_not() -> None:
    dn = {k: v * 10000 for k, v in PIXEL.items()}
    assert compute_index("NDVI", _bands(dn))[0, 0] == pytest.approx(EXPECTED["NDVI"], rel=1e-5)
    assert compute_index("EVI", _bands(dn))[0, 0] != pytest.approx(EXPECTED["EVI"], rel=1e-2)
    scaled = ReflectanceScale(1e-4).apply(np.float32(dn["nir"]) * np.ones(1))
    assert scaled[0] == pytest.approx(PIXEL["nir"], rel=1e-6)


def test_reflectance_scale_detection() -> None:
    ints = detect_reflectance_scale("int16")
    assert ints.scale == pytest.approx(1e-4) and "10000" in ints.reason
    assert detect_reflectance_scale("uint16").scale == pytest.approx(1e-4)
    floats = detect_reflectance_scale("float32", np.array([0.01, 0.3, 0.6, np.nan]))
    assert floats.identity and floats.reason == ""
    big = detect_reflectance_scale("float32", np.array([500.0, 2500.0, 4000.0]))
    assert big.scale == pytest.approx(1e-4)
    declared = detect_reflectance_scale("uint16", scales=(2.75e-5,), offsets=(-0.2,))
    assert declared.scale == pytest.approx(2.75e-5) and declared.offset == -0.2
    assert declared.apply(np.array([10000.0]))[0] == pytest.approx(0.075, rel=1e-5)


def test_running_stats_over_chunks_equals_whole(rng: np.random.Generator) -> None:
    data = rng.normal(0.2, 0.3, size=(40, 50)).astype(np.float32)
    data[3:7, 5:9] = np.nan
    stats = RunningStats()
    for chunk in np.array_split(data, 7, axis=0):
        stats.add(chunk)
    finite = data[np.isfinite(data)]
    assert stats.count == finite.size
    assert stats.mean == pytest.approx(float(finite.mean()), rel=1e-6)
    assert (stats.minimum, stats.maximum) == (float(finite.min()), float(finite.max()))
    assert np.isnan(RunningStats().mean)
