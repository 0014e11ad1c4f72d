"""map_water's bimodality check: an Otsu threshold on a histogram that is not clearly bimodal
gives a warning naming Ashman's D and the fix (the mask is left as Otsu made it); clear water
gives none; real SAR scenes report their D."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.tools.water.test_map_water import S1, _run, _sar_scene
from tools.core.workspace import Workspace

MakeTiff = Any
CLIP = "sar/S1_2018_VV_VH_clip.tif"


def _land_only(rng: np.random.Generator, shape: tuple[int, int] = (120, 150)) -> np.ndarray:
    """VV/VH in dB: 10 x 10 pixel fields of normally distributed mean backscatter (VV -10 dB,
    sd 1.5 dB), 4-look speckle, no water."""
    fields = rng.normal(-10.0, 1.5, size=(shape[0] // 10, shape[1] // 10))
    vv = np.kron(fields, np.ones((10, 10)))
    power = 10 ** (np.stack([vv, vv - 7.0]) / 10) * rng.gamma(4.0, 0.25, size=(2, *shape))
    out: np.ndarray = (10 * np.log10(power)).astype(np.float32)
    return out


def test_clear_water_gives_no_warning(make_tiff: MakeTiff, workspace: Workspace,
                                      rng: np.random.Generator) -> None:
    path = make_tiff("s1.tif", _sar_scene(rng), descriptions=["VV", "VH"])
    r = _run(workspace, image=str(path))
    assert r.bimodality is not None and r.bimodality.bimodal
    assert r.bimodality.ashman_d > 4.0
    low, high = r.bimodality.modes
    assert low.mean.unit == "dB" and low.mean.value < -20.0 < -12.0 < high.mean.value
    assert low.share_pct.unit == "%" and 10.0 < low.share_pct.value < 25.0
    assert not any("bimodal" in w for w in r.warnings)
    assert r.numbers()["ashman_d"].unit == "1"


def test_land_only_scene_warns_and_keeps_the_otsu_mask(
    make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator
) -> None:
    path = make_tiff("land.tif", _land_only(rng), descriptions=["VV", "VH"])
    r = _run(workspace, image=str(path))
    assert r.bimodality is not None and not r.bimodality.bimodal
    assert r.bimodality.ashman_d < 2.0
    (warning,) = [w for w in r.warnings if "bimodal" in w]
    assert "Ashman's D" in warning and f"{r.bimodality.ashman_d:.2f}" in warning
    assert "threshold=" in warning and "dB" in warning and str(path) in warning
    assert "not clearly bimodal" in r.summary
    assert r.threshold_source == "otsu" and r.water_pixels > 0  # mask unchanged: Otsu's split
    fixed = _run(workspace, image=str(path), threshold=-18.0)
    assert fixed.bimodality is None and not any("bimodal" in w for w in fixed.warnings)
    assert fixed.water_pixels < r.water_pixels


def test_optical_warning_names_index_units(make_tiff: MakeTiff, workspace: Workspace,
                                           rng: np.random.Generator) -> None:
    shape = (60, 80)
    land = [0.04, 0.08, 0.06, 0.40, 0.25, 0.12]
    data = np.stack([np.full(shape, v) * rng.normal(1.0, 0.08, shape) for v in land])
    path = make_tiff("veg.tif", data.astype(np.float32),
                     descriptions=["blue", "green", "red", "nir", "swir1", "swir2"])
    r = _run(workspace, image=str(path))
    assert r.bimodality is not None and not r.bimodality.bimodal
    (warning,) = [w for w in r.warnings if "bimodal" in w]
    assert "index" in warning and "threshold=" in warning


@pytest.mark.realdata
@pytest.mark.parametrize("name", [S1, CLIP])
def test_real_sar_bimodality_is_reported(data_dir: Path, workspace: Workspace,
                                         name: str) -> None:
    r = _run(workspace, image=str(data_dir / name))
    b = r.bimodality
    assert b is not None and len(b.modes) == 2 and np.isfinite(b.ashman_d)
    print(f"\n{name}: Ashman's D {b.ashman_d:.2f} (bimodal {b.bimodal}), separability "
          f"{b.separability:.3f}, modes "
          + ", ".join(f"{m.mean} ± {m.sd} ({m.share_pct})" for m in b.modes)
          + f"; Otsu {r.threshold}, water {r.water_share_pct}")
    assert r.threshold is not None
    assert b.modes[0].mean.value < r.threshold.value < b.modes[1].mean.value
