"""The whole agent (offline planner → graph → real tools) on real Sentinel-1 data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from agent.graph import run_request
from agent.planners.shared import get_planner
from tools.geo.area import pixel_area_rows_m2

# Tolerance for the water area against the hand label: 15 %. The SAR water map agrees with
# the label pixel by pixel only moderately (IoU ~0.63, asserted in
# tests/tools/water/test_map_water.py): flooded fields with vegetation look like land at C-band
# (omission) and smooth bare fields look like water (commission). The two errors largely
# cancel in the area, and area agreement within ~15 % is what Otsu-type Sentinel-1 flood
# mapping typically reaches; a regression of the threshold (e.g. losing the speckle filter)
# moves the area by more.
AREA_TOLERANCE = 0.15


def test_agent_answers_flooded_area_close_to_the_hand_label(data_dir: Path, tmp_path: Path) -> None:
    s1 = data_dir / "sar" / "sen1floods11_Spain_7370579_S1Hand.tif"
    label = data_dir / "sar" / "sen1floods11_Spain_7370579_LabelHand.tif"
    result = run_request("How much of this Sentinel-1 scene is flooded? Area in hectares please.",
                         [s1], tmp_path / "ws", get_planner("offline"))
    assert result.ok, result.errors
    assert [s.tool for s in result.plan.steps] == ["map_water"]
    water = next(n for n in result.numbers if n.name == "water_area")
    assert water.unit == "ha"

    with rasterio.open(label) as src:
        hand = src.read(1)
        pixel_m2 = pixel_area_rows_m2(src.transform, src.crs, 0, src.height)
    truth_ha = float(((hand == 1) * pixel_m2[:, np.newaxis]).sum()) / 1e4
    error = (water.value - truth_ha) / truth_ha
    print(f"agent water area {water.value:.1f} ha vs hand label {truth_ha:.1f} ha "
          f"({error:+.1%})")
    assert abs(error) <= AREA_TOLERANCE
    assert f"{water.value:,.2f} ha" in result.answer

    mask = next(a for a in result.artifacts if a.kind == "mask")
    with rasterio.open(mask.path) as out, rasterio.open(s1) as src:
        assert out.crs == src.crs and out.transform == src.transform
