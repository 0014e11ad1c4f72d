"""The sandbox and a request's checks with container subdatasets (``file.nc#var``), ENVI
headers and HDF5 rasters: resolved inside the roots, escapes refused, pixel limit applied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from agent.checks import RequestChecks
from agent.sandbox import Sandbox
from tools.core.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _netcdf(path: Path, side: int = 20) -> Path:
    nc = scipy.io.netcdf_file(str(path), "w")
    nc.createDimension("y", side)
    nc.createDimension("x", side)
    for name in ("a", "b"):
        nc.createVariable(name, "f", ("y", "x"))[:] = np.ones((side, side), np.float32)
    nc.close()
    return path


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    """A sandbox over tmp/ws and tmp/data; tmp/out (outside) holds a secret netCDF, and the
    workspace a symlink to it."""
    for name in ("ws", "data", "out"):
        (tmp_path / name).mkdir()
    _netcdf(tmp_path / "data" / "grid.nc")
    _netcdf(tmp_path / "out" / "secret.nc")
    (tmp_path / "ws" / "link.nc").symlink_to(tmp_path / "out" / "secret.nc")
    return Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"], max_pixels=1000)


def test_subdataset_of_a_file_in_a_data_root_resolves(box: Sandbox, tmp_path: Path) -> None:
    resolved = box.resolve("grid.nc#b", "image")
    assert resolved == f"{tmp_path / 'data' / 'grid.nc'}#b"
    checks = RequestChecks(box, box.max_pixels)
    assert checks.check_file("grid.nc#b", "image") == resolved
    scene = checks.scene("grid.nc#b", "image", must_exist=True)
    assert scene.info is not None and (scene.info.width, scene.info.height) == (20, 20)


def test_subdataset_of_a_symlink_outside_is_refused(box: Sandbox) -> None:
    with pytest.raises(InputError, match=r"image: 'link\.nc' is refused \(it is a symlink"):
        box.resolve("link.nc#a", "image")


def test_pixel_limit_applies_to_subdatasets_and_hdf5(box: Sandbox, tmp_path: Path) -> None:
    _netcdf(tmp_path / "data" / "big.nc", side=40)  # 1600 px > 1000
    with pytest.raises(InputError, match="pixel"):
        RequestChecks(box, box.max_pixels).check_file("big.nc#a", "image")
    h5 = tmp_path / "data" / "big.h5"
    (tmp_path / "data" / "big.nc").rename(h5)  # a netCDF file under an HDF5-ish name
    with pytest.raises(InputError, match="pixel"):
        RequestChecks(box, box.max_pixels).check_file("big.h5#a", "image")


def test_envi_header_data_file_outside_is_refused(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "ws" / "scene.hdr").write_text("ENVI\nsamples = 2\nlines = 2\nbands = 1\n"
                                               "data type = 1\ninterleave = bsq\n")
    (tmp_path / "out" / "private.dat").write_bytes(bytes(4))
    (tmp_path / "ws" / "scene.dat").symlink_to(tmp_path / "out" / "private.dat")
    with pytest.raises(InputError, match="outside every root"):
        RequestChecks(box, box.max_pixels).check_file("scene.hdr", "image")
