"""pseudo_rgb on inputs that are no GeoTIFF: the real Jasper Ridge MATLAB cube, an ENVI file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from tools import run_tool
from tools.core.workspace import Workspace
from tools.pseudo_rgb import PseudoRgbOutput

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Converted copies go to a test folder, never the user's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _run(workspace: Workspace, **args: Any) -> PseudoRgbOutput:
    result = run_tool("pseudo_rgb", args, workspace).result
    assert isinstance(result, PseudoRgbOutput)
    return result


def _rgb(path: str) -> np.ndarray:
    with rasterio.open(path) as src:
        assert src.crs is None  # the .mat holds no georeference; none is invented
        return np.asarray(src.read())


@pytest.mark.realdata
@pytest.mark.parametrize("mode", ["auto", "hsi"])
def test_real_jasper_ridge_mat_to_pseudo_rgb(data_dir: Path, workspace: Workspace,
                                            mode: str) -> None:
    folder = data_dir / "hyperspectral"
    with open(folder / "jasper_wavelengths_approx.csv") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["cube_band_index0"]))
    wl = np.array([float(row["approx_wavelength_nm"]) for row in rows])
    expected = [int(np.argmin(np.abs(wl - t))) + 1 for t in (640.0, 550.0, 470.0)]

    r = _run(workspace, image=str(folder / "jasperRidge2_R198.mat"), mode=mode)
    assert r.mode_used == "hsi" and r.source_bands == expected
    assert len(set(r.source_bands)) == 3
    assert r.wavelengths_nm == pytest.approx(list(wl[np.array(expected) - 1]), abs=0.06)
    assert r.valid_fraction == 1.0 and "jasperRidge2_R198.mat" in r.summary
    rgb = _rgb(r.path)
    assert rgb.shape == (3, 100, 100) and rgb.dtype == np.uint8
    assert (rgb > 0).all()  # no nodata in the cube
    for band in rgb:
        assert band.std() > 20 and np.unique(band).size > 100  # stretched, not constant
    # the three channels are different bands: not a grey image
    assert np.abs(rgb[0].astype(int) - rgb[2].astype(int)).mean() > 5
    # water (dark, low red) and land differ: the scene is a picture, not noise
    grey = rgb.astype(np.float64).mean(axis=0)
    near = np.abs(np.diff(grey, axis=1)).mean()
    shuffled = np.random.default_rng(0).permutation(grey.reshape(-1)).reshape(grey.shape)
    assert near < 0.5 * np.abs(np.diff(shuffled, axis=1)).mean()


def _write_envi(folder: Path, data: np.ndarray, wavelengths_um: list[float]) -> Path:
    """An ENVI BSQ uint16 file ``scene.dat`` and its header ``scene.hdr`` (returned)."""
    bands, rows, cols = data.shape
    data.astype("<u2").tofile(folder / "scene.dat")
    header = folder / "scene.hdr"
    header.write_text(
        f"ENVI\nsamples = {cols}\nlines = {rows}\nbands = {bands}\nheader offset = 0\n"
        "file type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\n"
        "wavelength units = Micrometers\n"
        "wavelength = {" + ", ".join(map(str, wavelengths_um)) + "}\n")
    return header


def test_envi_header_to_pseudo_rgb_picks_bands_by_wavelength(
        tmp_path: Path, workspace: Workspace, rng: np.random.Generator) -> None:
    wavelengths = [0.40, 0.47, 0.55, 0.64, 0.70, 0.86, 1.61, 2.20]
    data = rng.integers(100, 4000, size=(8, 20, 24)).astype(np.uint16)
    header = _write_envi(tmp_path, data, wavelengths)
    r = _run(workspace, image=str(header), mode="hsi")
    assert r.source_bands == [4, 3, 2]
    assert r.wavelengths_nm == pytest.approx([640.0, 550.0, 470.0])
    rgb = _rgb(r.path)
    assert rgb.shape == (3, 20, 24) and rgb.dtype == np.uint8
    # channel order follows the bands: R is band 4's ranking of pixels
    assert np.corrcoef(rgb[0].ravel(), data[3].ravel())[0, 1] > 0.9
