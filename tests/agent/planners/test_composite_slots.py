"""Composite and output slots: bands, wavelengths, the stretch and a WGS84 copy."""

from __future__ import annotations

from agent.planners import composite_slots as cs


def test_bands_and_wavelengths() -> None:
    assert cs.find_wavelengths("bands nearest 650, 550 and 450 nm") == [650, 550, 450]
    assert cs.find_wavelengths("650, 550 and 450") is None
    assert cs.find_bands("bands 4, 3, 2") == [4, 3, 2]
    assert cs.find_bands("b8/b4/b3") == [8, 4, 3]
    assert cs.find_bands("r=29 g=20 b=12") == [29, 20, 12]
    assert cs.find_bands("band 5 (near-ir) on red, band 4 (red) on green and band 3 (green) on "
                         "blue") == [5, 4, 3]
    assert cs.find_bands("a colour composite of the scene") is None


def test_stretch() -> None:
    assert cs.find_stretch("with a percentile stretch so clouds don't wash out") == "percentile"
    assert cs.find_stretch("a 2 % linear stretch") == "percentile"
    assert cs.find_stretch("apply a min-max stretch") == "minmax"
    assert cs.find_stretch("show it without any stretch") == "none"
    assert cs.find_stretch("a true colour composite") is None


def test_wgs84() -> None:
    assert cs.find_wgs84("give me their positions in wgs84")
    assert cs.find_wgs84("export the polygons as lat/lon")
    assert cs.find_wgs84("write an epsg:4326 copy")
    assert not cs.find_wgs84("the scene is in utm zone 33")
