"""Documented default thresholds: values, sources, refusals and the README table."""

from __future__ import annotations

import pytest

from specialists.spectral.presets import PRESETS, preset_for, preset_table


def test_presets_carry_value_and_source() -> None:
    snow = preset_for("ndsi")
    assert (snow.threshold, snow.maps, snow.nir_min) == (0.4, "snow cover", 0.11)
    assert "Hall" in snow.source
    assert snow.rule == "NDSI ≥ 0.4 and NIR reflectance > 0.11"
    assert preset_for("dNBR").threshold == preset_for("DNBR").threshold == 0.1
    assert preset_for("NDVI").threshold == 0.2 and "Sobrino" in preset_for("NDVI").source
    assert preset_for("MNDWI").threshold == 0.0 and preset_for("NDWI").maps == "open water"
    assert all(p.source for p in PRESETS.values())


@pytest.mark.parametrize("index", ["NBR", "EVI", "SAVI"])
def test_indices_without_a_documented_default_are_refused(index: str) -> None:
    with pytest.raises(KeyError) as err:
        preset_for(index)
    msg = str(err.value)
    assert "Defaults exist for: NDSI 0.4" in msg
    if index == "NBR":
        assert "before=" in msg and "dNBR" in msg


def test_table_lists_every_preset() -> None:
    table = preset_table().splitlines()
    assert table[0].startswith("| index |") and len(table) == 2 + len(PRESETS)
    assert "| NDSI | NDSI ≥ 0.4 and NIR reflectance > 0.11 | snow cover |" in table[2]
