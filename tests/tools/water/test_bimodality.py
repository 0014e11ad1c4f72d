"""map_water's bimodality check: an Otsu threshold on a histogram that is not clearly bimodal
gives a warning naming Ashman's D and the fix (the mask is left as Otsu made it); clear water
gives none; real SAR scenes report their D."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

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
    assert r.reliability is not None and r.reliability.reliable and not r.reliability.reasons
    assert r.reliability.diagnostics["ashman_d"] == pytest.approx(r.bimodality.ashman_d)
    assert r.reliability.diagnostics["water_mode_mean"] < -20.0
    assert r.summary.startswith("Water:")


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
    assert r.summary.startswith("unreliable: the backscatter histogram is not clearly bimodal")
    assert r.reliability is not None and r.reliability.reliable is False
    assert f"Ashman's D {r.bimodality.ashman_d:.2f}" in r.reliability.reasons[0]
    assert r.threshold_source == "otsu" and r.water_pixels > 0  # mask unchanged: Otsu's split
    fixed = _run(workspace, image=str(path), threshold=-18.0)
    assert fixed.bimodality is None and not any("bimodal" in w for w in fixed.warnings)
    assert fixed.reliability is None  # a threshold the caller chose: nothing to judge it by
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
    assert r.reliability is not None and not r.reliability.reliable
    assert r.summary.startswith("unreliable: the water-index histogram")


def test_bright_dark_class_is_not_open_water(make_tiff: MakeTiff, workspace: Workspace,
                                             rng: np.random.Generator) -> None:
    """Two clean populations, but the darker one (VV -12 dB, VH -19 dB: smooth fields) is far
    brighter than open water: bimodal, yet the 'water' area is flagged."""
    shape = (120, 150)
    vv, vh = np.full(shape, -6.0), np.full(shape, -13.0)
    vv[20:80, 30:110], vh[20:80, 30:110] = -12.0, -19.0
    power = 10 ** (np.stack([vv, vh]) / 10) * rng.gamma(4.0, 0.25, size=(2, *shape))
    path = make_tiff("fields.tif", (10 * np.log10(power)).astype(np.float32),
                     descriptions=["VV", "VH"])
    r = _run(workspace, image=str(path))
    assert r.bimodality is not None and r.bimodality.bimodal
    assert r.reliability is not None and r.reliability.reliable is False
    (reason,) = r.reliability.reasons
    assert "brighter than open water" in reason and "-18.5 dB" in reason
    assert r.reliability.diagnostics["water_mode_limit"] == -18.5
    assert r.summary.startswith("unreliable: the class called water (mean -15.")
    assert any("Fix: pass threshold=" in w for w in r.warnings)


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


LABEL = "sar/sen1floods11_Spain_7370579_LabelHand.tif"
SELECTIVITY = [
    # scene, method, flagged?  Sen1Floods11: right (area within 2 points of the hand label);
    # the bundled S1 clip: 31 % 'water' where the co-registered Landsat-8 clip has 8 %
    (S1, "sar", False), ("multispectral/sen1floods11_Spain_7370579_S2Hand.tif", "optical", False),
    (CLIP, "sar", True), ("multispectral/landsat8_LC08_003069_20180906_clip.tif", "optical", False),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "method", "flagged"), SELECTIVITY)
def test_reliability_flag_is_selective_on_real_scenes(
        data_dir: Path, workspace: Workspace, name: str, method: str, flagged: bool) -> None:
    r = _run(workspace, image=str(data_dir / name))
    assert r.method == method and r.reliability is not None and r.water_share_pct is not None
    print(f"\n{name}: water {r.water_share_pct}, flagged {not r.reliability.reliable} "
          f"{r.reliability.reasons}")
    assert r.reliability.reliable is not flagged
    assert r.summary.startswith("unreliable:") is flagged
    if "sen1floods11" in name:  # right: the labelled water share is 26.7 %
        with rasterio.open(data_dir / LABEL) as lab:
            label = lab.read(1)
        truth = 100 * float((label == 1).sum()) / float((label != -1).sum())
        assert abs(r.water_share_pct.value - truth) < 2.0
    if flagged:
        assert "brighter than open water" in r.reliability.reasons[0]
