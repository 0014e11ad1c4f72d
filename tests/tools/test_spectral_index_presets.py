"""spectral_index threshold "default": documented presets, the threshold and its source stated,
NDSI snow with SNOMAP's NIR test, refusals, the scene options, and real Sentinel-2 / Landsat-8."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from tools import InputError, run_tool
from tools.core.scene_options import SceneOptions
from tools.core.workspace import Workspace
from tools.spectral_index import SpectralIndexInput, SpectralIndexOutput

MakeTiff = Any


def _run(workspace: Workspace, **args: Any) -> SpectralIndexOutput:
    result = run_tool("spectral_index", args, workspace).result
    assert isinstance(result, SpectralIndexOutput)
    return result


def _mask(result: SpectralIndexOutput) -> np.ndarray:
    art = result.first("mask")
    assert art is not None and art.path is not None
    with rasterio.open(art.path) as src:
        return np.asarray(src.read(1))


def _snow_scene(with_nir: bool = True) -> tuple[np.ndarray, list[str]]:
    """20 x 20 pixels of 10 m: snow (rows 0-4), water (rows 5-9), bare land elsewhere."""
    green = np.full((20, 20), 0.10, np.float32)
    swir1 = np.full((20, 20), 0.25, np.float32)   # land: NDSI -0.43
    nir = np.full((20, 20), 0.30, np.float32)
    green[0:5], swir1[0:5], nir[0:5] = 0.80, 0.10, 0.70    # snow: NDSI 0.78, NIR 0.70
    green[5:10], swir1[5:10], nir[5:10] = 0.08, 0.01, 0.02  # water: NDSI 0.78, NIR 0.02
    if with_nir:
        return np.stack([green, swir1, nir]), ["green", "swir1", "nir"]
    return np.stack([green, swir1]), ["green", "swir1"]


def test_ndsi_default_is_snomap_and_states_threshold_and_source(
    make_tiff: MakeTiff, workspace: Workspace
) -> None:
    data, names = _snow_scene()
    r = _run(workspace, image=str(make_tiff("snow.tif", data, descriptions=names)),
             index="NDSI", threshold="default")
    assert r.threshold is not None and r.threshold.value == 0.4
    assert r.threshold_source is not None and "Hall" in r.threshold_source
    assert r.maps == "snow cover"
    assert r.mask_pixels == 100  # the snow rows; the water rows fail the NIR test
    assert r.area_ha is not None and r.area_ha.value == pytest.approx(1.0)  # 100 x 100 m²
    assert r.area_share_pct is not None and r.area_share_pct.value == pytest.approx(25.0)
    assert ("snow cover (NDSI ≥ 0.4 and NIR reflectance > 0.11, default: Hall, Riggs & "
            "Salomonson 1995") in r.summary
    assert "25.0 % of the valid area, 1.00 ha" in r.summary
    mask = _mask(r)
    assert (mask[0:5] == 1).all() and (mask[5:] == 0).all()

    no_nir, two = _snow_scene(with_nir=False)
    bare = _run(workspace, image=str(make_tiff("snow2.tif", no_nir, descriptions=two)),
                index="NDSI", threshold="default")
    assert bare.mask_pixels == 200  # without NIR the water counts as snow, and it is said
    assert any("second test" in w and "skipped" in w for w in bare.warnings)
    assert "snow cover (NDSI ≥ 0.4, default:" in bare.summary
    given = _run(workspace, image=str(make_tiff("snow3.tif", data, descriptions=names)),
                 index="NDSI", threshold=0.4)
    assert given.mask_pixels == 200 and given.threshold_source == "given"  # a number: NDSI only
    assert "NDSI ≥ 0.4:" in given.summary


def test_ndvi_and_water_defaults_select_at_or_above(make_tiff: MakeTiff,
                                                    workspace: Workspace) -> None:
    red = np.full((10, 10), 0.2, np.float32)
    nir = np.full((10, 10), 0.2, np.float32)  # NDVI 0, NDWI 0 (green = NIR)
    nir[:3] = 0.6                              # NDVI 0.5: vegetation
    green = nir.copy()
    green[:3] = 0.1
    path = make_tiff("v.tif", np.stack([green, red, nir]), descriptions=["green", "red", "nir"])
    veg = _run(workspace, image=str(path), index="NDVI", threshold="default")
    assert veg.mask_pixels == 30 and veg.threshold is not None and veg.threshold.value == 0.2
    assert "vegetation (NDVI ≥ 0.2, default: Sobrino et al. 2004" in veg.summary
    water = _run(workspace, image=str(path), index="NDWI", threshold="default")
    assert water.threshold is not None and water.threshold.value == 0.0
    assert water.mask_pixels == 70  # NDWI exactly 0 is at the threshold: selected
    assert "open water (NDWI ≥ 0, default: McFeeters 1996)" in water.summary
    dry = _run(workspace, image=str(path), index="NDVI", threshold="default", below=True)
    assert dry.mask_pixels == 70 and "not vegetation (NDVI < 0.2" in dry.summary


@pytest.mark.parametrize(("index", "words"), [("NBR", "before="), ("EVI", "pass a number")])
def test_default_without_a_documented_value_is_refused(
    index: str, words: str, make_tiff: MakeTiff, workspace: Workspace
) -> None:
    data = np.stack([np.full((4, 4), v, np.float32) for v in (0.05, 0.1, 0.5, 0.2)])
    path = make_tiff("x.tif", data, descriptions=["blue", "red", "nir", "swir2"])
    with pytest.raises(InputError) as err:
        _run(workspace, image=str(path), index=index, threshold="default")
    msg = str(err.value)
    assert msg.startswith(f"threshold: 'default' for {index}") and words in msg
    assert not list(workspace.root.glob("*.tif"))
    with pytest.raises(InputError, match="threshold"):
        _run(workspace, image=str(path), index="NDVI", threshold="auto")


def test_input_takes_the_scene_options() -> None:
    assert issubclass(SpectralIndexInput, SceneOptions)
    args = SpectralIndexInput.model_validate({"image": "a.tif", "index": "NDSI",
                                              "threshold": "default", "gsd": 0.5,
                                              "region": [0, 0, 10, 10]})
    assert args.gsd == 0.5 and args.region == [0, 0, 10, 10] and args.threshold == "default"
    assert SpectralIndexInput.model_validate({"image": "a.tif", "index": "NDSI",
                                              "threshold": "0.3"}).threshold == 0.3
    extra = SpectralIndexInput.model_fields["before"].json_schema_extra
    assert isinstance(extra, dict) and extra  # a file argument: the sandbox checks it


@pytest.mark.realdata
def test_real_sentinel2_ndsi_default_keeps_the_flood_water_out(
    data_dir: Path, workspace: Workspace
) -> None:
    """Sen1Floods11 Spain: a flood scene, no snow. NDSI >= 0.4 alone marks the flood water
    (hand label) as 'snow'; the default adds SNOMAP's NIR test and keeps it out."""
    s2 = data_dir / "multispectral" / "sen1floods11_Spain_7370579_S2Hand.tif"
    with rasterio.open(data_dir / "sar" / "sen1floods11_Spain_7370579_LabelHand.tif") as src:
        water = np.asarray(src.read(1)) == 1
    default = _run(workspace, image=str(s2), index="NDSI", threshold="default")
    assert "NDSI ≥ 0.4 and NIR reflectance > 0.11, default:" in default.summary
    assert default.threshold is not None and default.threshold.value == 0.4
    assert default.area_share_pct is not None and 0.0 <= default.area_share_pct.value < 5.0
    assert default.area_ha is not None and default.area_ha.unit == "ha"
    plain = _run(workspace, image=str(s2), index="NDSI", threshold=0.4)
    assert plain.area_share_pct is not None and plain.area_share_pct.value > 10.0
    d, p = _mask(default) == 1, _mask(plain) == 1
    assert not (d & ~p).any()  # the default only removes pixels
    assert (p & water).sum() / p.sum() > 0.8  # what NDSI alone calls snow is mostly water
    # the NIR test drops ~89 % of that water (5015 of 44794 labelled-water pixels are left:
    # turbid flood water with NIR reflectance above 0.11)
    assert (d & water).sum() < 0.15 * (p & water).sum()


@pytest.mark.realdata
def test_real_landsat_ndsi_default_runs_and_states_the_threshold(
    data_dir: Path, workspace: Workspace
) -> None:
    scene = data_dir / "multispectral" / "landsat8_LC08_232066_20190727.tif"
    r = _run(workspace, image=str(scene), index="NDSI", threshold="default")
    assert "(NDSI ≥ 0.4" in r.summary and "default: Hall" in r.summary
    assert r.area_share_pct is not None and 0.0 <= r.area_share_pct.value < 1.0  # tropics
    assert r.numbers()["area"].unit == "ha"
