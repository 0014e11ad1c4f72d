"""Input formats: ENVI headers, netCDF / HDF5 subdatasets, MATLAB cubes (synthetic and the
real Jasper Ridge file), missing drivers, and one clean message per unreadable input."""

from __future__ import annotations

import csv
import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import scipy.io

from tools.core.errors import InputError
from tools.geo import formats, matlab
from tools.geo.raster import describe, open_dataset

# the test files carry no georeference on purpose
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Converted copies go to a test folder, never the user's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "earthsight" / "converted"


def _read(name: str | Path) -> np.ndarray:
    with open_dataset(name) as src:
        return np.asarray(src.read())


# --- ENVI ------------------------------------------------------------------------------------

def write_envi(folder: Path, stem: str, data: np.ndarray, wavelengths: list[float] | None,
               units: str = "Micrometers", data_suffix: str = ".dat",
               header_name: str | None = None) -> tuple[Path, Path]:
    """An ENVI BSQ file (uint16, bands x rows x cols) and its header; returns (header, data)."""
    bands, rows, cols = data.shape
    raw = folder / f"{stem}{data_suffix}"
    data.astype("<u2").tofile(raw)
    lines = ["ENVI", f"samples = {cols}", f"lines = {rows}", f"bands = {bands}",
             "header offset = 0", "file type = ENVI Standard", "data type = 12",
             "interleave = bsq", "byte order = 0"]
    if wavelengths is not None:
        lines += [f"wavelength units = {units}",
                  "wavelength = {" + ", ".join(f"{w:g}" for w in wavelengths) + "}"]
    header = folder / (header_name or f"{stem}.hdr")
    header.write_text("\n".join(lines) + "\n")
    return header, raw


@pytest.fixture
def envi_cube(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, Path, np.ndarray]:
    data = rng.integers(0, 4000, size=(5, 7, 9)).astype(np.uint16)
    header, raw = write_envi(tmp_path, "scene", data, [0.45, 0.55, 0.65, 0.86, 1.61])
    return header, raw, data


def test_envi_header_and_data_file_open_with_wavelengths_in_nm(
        envi_cube: tuple[Path, Path, np.ndarray]) -> None:
    header, raw, data = envi_cube
    for name in (header, raw):
        info = describe(name)
        assert (info.count, info.height, info.width, info.dtype) == (5, 7, 9, "uint16")
        assert info.wavelengths_nm == pytest.approx([450, 550, 650, 860, 1610])
        np.testing.assert_array_equal(_read(name), data)
    assert formats.source_file(header) == raw and formats.gdal_name(header) == str(raw)


@pytest.mark.parametrize(("stem", "suffix", "header_name"), [
    ("a", "", None), ("b", ".img", None), ("c", ".BSQ", None), ("d", ".img", "d.img.hdr")])
def test_envi_header_finds_its_data_file_by_the_usual_names(
        tmp_path: Path, stem: str, suffix: str, header_name: str | None) -> None:
    data = np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4)
    header, raw = write_envi(tmp_path, stem, data, [450.0, 550.0], units="Nanometers",
                             data_suffix=suffix, header_name=header_name)
    assert formats.envi_data_file(header) == raw
    np.testing.assert_array_equal(_read(header), data)
    assert describe(header).wavelengths_nm == [450.0, 550.0]


def test_envi_index_units_are_no_wavelengths(tmp_path: Path) -> None:
    data = np.ones((3, 4, 4), np.uint16)
    header, _ = write_envi(tmp_path, "idx", data, [1, 2, 3], units="Index")
    assert describe(header).wavelengths_nm == [None, None, None]


def test_envi_header_errors(tmp_path: Path) -> None:
    lone = tmp_path / "lone.hdr"
    lone.write_text("ENVI\nsamples = 2\nlines = 2\nbands = 1\ndata type = 1\n")
    with pytest.raises(InputError, match=r"image: no data file found beside the ENVI header "
                       r".*lone\.hdr \(looked for lone, lone\.dat, lone\.img"):
        describe(lone)
    other = tmp_path / "notes.hdr"
    other.write_text("just some text\n")
    (tmp_path / "notes.dat").write_bytes(b"\0" * 16)
    with pytest.raises(InputError, match="is not an ENVI header"):
        describe(other, "before")


# --- netCDF / HDF5 -----------------------------------------------------------------------------

def write_netcdf(path: Path, variables: dict[str, tuple[tuple[str, ...], np.ndarray]],
                 dims: dict[str, int]) -> Path:
    """A netCDF-3 classic file (scipy's writer) with the given variables."""
    nc = scipy.io.netcdf_file(str(path), "w")
    for name, size in dims.items():
        nc.createDimension(name, size)
    for name, (var_dims, values) in variables.items():
        var = nc.createVariable(name, values.dtype.char, var_dims)
        var[:] = values
    nc.close()
    return path


@pytest.fixture
def two_var_nc(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, np.ndarray, np.ndarray]:
    temp = rng.random((3, 20, 30)).astype(np.float32)
    mask = (rng.random((20, 30)) > 0.5).astype(np.int16)
    path = write_netcdf(tmp_path / "two vars.nc", {
        "temp": (("t", "y", "x"), temp), "mask": (("y", "x"), mask),
        "x": (("x",), np.arange(30.0)), "y": (("y",), np.arange(20.0))},
        {"t": 3, "y": 20, "x": 30})
    return path, temp, mask


def test_netcdf_without_a_name_lists_its_variables(
        two_var_nc: tuple[Path, np.ndarray, np.ndarray]) -> None:
    path = two_var_nc[0]
    with pytest.raises(InputError) as err:
        describe(path)
    text = str(err.value)
    assert "image:" in text and "holds 2 variables" in text
    assert "two vars.nc#mask [20x30] 16-bit integer" in text
    assert "two vars.nc#temp [3x20x30] 32-bit floating-point" in text
    assert f"e.g. {path}#mask." in text and text.count("image") == 1  # said once per input


def test_netcdf_variable_picked_by_name_or_gdal_syntax(
        two_var_nc: tuple[Path, np.ndarray, np.ndarray]) -> None:
    path, temp, mask = two_var_nc
    # y grows northwards in the file, so GDAL shows its last row on top (north up)
    north_up = temp[:, ::-1]
    np.testing.assert_array_equal(_read(f"{path}#temp"), north_up)
    np.testing.assert_array_equal(_read(f"{path}#mask")[0], mask[::-1])
    np.testing.assert_array_equal(_read(f'NETCDF:"{path}":temp'), north_up)
    info = describe(f"{path}#temp")
    assert (info.count, info.height, info.width) == (3, 20, 30)
    assert info.path == f"{path}#temp"
    with pytest.raises(InputError, match="has no single subdataset named 'salinity'"):
        describe(f"{path}#salinity")


def test_netcdf_coordinates_are_skipped_and_one_variable_is_used(
        tmp_path: Path, rng: np.random.Generator) -> None:
    sst = rng.random((20, 30)).astype(np.float32)
    lat, lon = np.meshgrid(np.arange(20.0), np.arange(30.0), indexing="ij")
    path = write_netcdf(tmp_path / "swath.nc", {
        "sst": (("y", "x"), sst), "lat": (("y", "x"), lat), "lon": (("y", "x"), lon)},
        {"y": 20, "x": 30})
    assert formats.gdal_name(path).endswith(":sst")
    np.testing.assert_array_equal(_read(path)[0], sst[::-1])


def test_single_variable_netcdf_opens_directly(tmp_path: Path) -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = write_netcdf(tmp_path / "one.nc", {"depth": (("y", "x"), values)}, {"y": 3, "x": 4})
    assert formats.gdal_name(path) == str(path)
    np.testing.assert_array_equal(_read(f"{path}#depth")[0], values[::-1])
    with pytest.raises(InputError, match="holds a single raster, not 'height'"):
        describe(f"{path}#height")


def test_hdf5_datasets_by_path_or_leaf_with_wavelength_attribute(
        tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "scene.h5"
    cube = rng.random((5, 8, 6)).astype(np.float32)
    if importlib.util.find_spec("h5py") is None:
        # no h5py: a netCDF-4 file is an HDF5 file too; GDAL's netCDF writer makes one
        src = tmp_path / "cube.tif"
        with rasterio.open(src, "w", driver="GTiff", width=6, height=8, count=5,
                           dtype="float32") as dst:
            dst.write(cube)
        rasterio.shutil.copy(src, path, driver="netCDF", FORMAT="NC4")
        assert formats.container_kind(path) == "HDF5"
        np.testing.assert_array_equal(_read(path), cube)
        return
    import h5py

    with h5py.File(path, "w") as f:
        f.create_dataset("science/reflectance", data=cube)
        f["science/reflectance"].attrs["wavelength"] = np.array([450.0, 550, 650, 750, 850])
        f.create_dataset("science/quality", data=np.ones((8, 6), np.uint8))
        f.create_dataset("meta/lookup", data=np.arange(10.0))
    assert formats.container_kind(path) == "HDF5"
    with pytest.raises(InputError, match=r"scene\.h5#science/quality \[8x6\] 8-bit unsigned "
                       r"character; scene\.h5#science/reflectance \[5x8x6\] 32-bit floating-point"):
        describe(path)
    for name in (f"{path}#science/reflectance", f"{path}#/science/reflectance",
                 f"{path}#reflectance", f'HDF5:"{path}"://science/reflectance'):
        np.testing.assert_array_equal(_read(name), cube)
    info = describe(f"{path}#reflectance")
    assert info.wavelengths_nm == [450.0, 550.0, 650.0, 750.0, 850.0]
    assert info.modality == "multispectral"


def test_missing_driver_gives_a_clear_error(
        two_var_nc: tuple[Path, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    hdf4 = tmp_path / "MOD09.hdf"
    hdf4.write_bytes(b"\x0e\x03\x13\x01" + bytes(200))
    assert formats.container_kind(hdf4) == "HDF4"
    with pytest.raises(InputError) as err:
        describe(hdf4)
    if "HDF4" not in formats.gdal_drivers():  # the rasterio wheels have none
        assert "is an HDF4 file, but the GDAL" in str(err.value)
        assert "has no HDF4 driver" in str(err.value) and "gdal_translate" in str(err.value)
    monkeypatch.setattr(formats, "gdal_drivers", lambda: frozenset({"GTiff", "HDF5"}))
    with pytest.raises(InputError, match=r"image: .*two vars\.nc is a netCDF file, but the "
                       r"GDAL .* has no netCDF driver"):
        describe(f"{two_var_nc[0]}#temp")


# --- MATLAB -------------------------------------------------------------------------------------

def test_mat_3d_cube_with_micrometre_wavelengths(tmp_path: Path,
                                                 rng: np.random.Generator) -> None:
    cube = rng.random((6, 4, 5)).astype(np.float32)  # rows x cols x bands
    path = tmp_path / "pines.mat"
    scipy.io.savemat(path, {"pines": cube, "wavelength": np.array([[0.4, 0.5, 0.6, 0.7, 0.8]]),
                            "labels": np.ones((6, 4), np.uint8)})
    info = describe(path)
    assert (info.count, info.height, info.width, info.dtype) == (5, 6, 4, "float32")
    assert info.wavelengths_nm == pytest.approx([400, 500, 600, 700, 800])
    assert info.crs is None and info.path == str(path)
    np.testing.assert_array_equal(_read(path), np.moveaxis(cube, 2, 0))
    np.testing.assert_array_equal(_read(f"{path}#labels")[0], np.ones((6, 4)))


@pytest.mark.parametrize("pixels_first", [False, True])
def test_mat_bands_by_pixels_is_column_major(tmp_path: Path, pixels_first: bool) -> None:
    rows, cols, bands = 3, 5, 4
    y = np.arange(bands * rows * cols, dtype=np.uint16).reshape(bands, rows * cols)
    path = tmp_path / "unmix.mat"
    scipy.io.savemat(path, {"Y": y.T if pixels_first else y, "nRow": rows, "nCol": cols})
    out = _read(path)
    assert out.shape == (bands, rows, cols) and out.dtype == np.uint16
    for b, r, c in ((0, 0, 0), (1, 2, 0), (2, 0, 4), (3, 2, 3), (0, 1, 2)):
        assert out[b, r, c] == y[b, r + c * rows]  # MATLAB's reshape(Y', nRow, nCol, nBand)


def test_mat_variable_choice_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "two.mat"
    scipy.io.savemat(path, {"a": np.ones((3, 3, 2)), "b": np.zeros((3, 3, 2)), "n": 3})
    with pytest.raises(InputError, match=r"several arrays that could be the image \(a 3x3x2, "
                       r"b 3x3x2\)\. Name one after '#', e\.g\. /.*two\.mat#a\.$"):
        describe(path)
    assert _read(f"{path}#b").sum() == 0 and _read(f"{path}#a").sum() == 18
    with pytest.raises(InputError, match=r"no 2-D or 3-D numeric variable 'c' \(it has: a, b\)"):
        describe(f"{path}#c")


def test_mat_is_converted_once_and_again_when_it_changes(tmp_path: Path,
                                                         cache_dir: Path) -> None:
    path = tmp_path / "cube.mat"
    scipy.io.savemat(path, {"c": np.ones((4, 4, 3))})
    first = Path(formats.gdal_name(path))
    assert first.parent == cache_dir and first.name.startswith("cube.")
    stamp = first.stat().st_mtime_ns
    assert Path(formats.gdal_name(path)) == first and first.stat().st_mtime_ns == stamp
    scipy.io.savemat(path, {"c": np.full((4, 4, 3), 2.0)})
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    second = Path(formats.gdal_name(path))
    assert second != first and _read(path).max() == 2.0
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([first.name, second.name])


def _write_v73(path: Path, cube: np.ndarray) -> None:
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        f.create_dataset("cube", data=cube.T)  # MATLAB writes column-major
        f.create_dataset("wavelength", data=np.array([[500.0, 600.0]]).T)
    with path.open("r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, HDF5 schema 1.00 .".ljust(116) + bytes(8)
                     + b"\x00\x02IM")


def test_mat_v73_reads_with_h5py_or_says_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cube = np.arange(3 * 4 * 2, dtype=np.float64).reshape(3, 4, 2)
    path = tmp_path / "big.mat"
    if importlib.util.find_spec("h5py") is not None:
        _write_v73(path, cube)
        np.testing.assert_array_equal(_read(path), np.moveaxis(cube, 2, 0))
        assert describe(path).wavelengths_nm == [500.0, 600.0]
        path = tmp_path / "big2.mat"
        _write_v73(path, cube)
    else:
        path.write_bytes(b"MATLAB 7.3 MAT-file".ljust(116) + bytes(8) + b"\x00\x02IM"
                         + bytes(400))
    monkeypatch.setattr(matlab, "_h5py", lambda: None)
    with pytest.raises(InputError, match=r"MATLAB v7\.3 file \(HDF5\), which needs h5py: "
                       r"pip install h5py"):
        describe(path)


# --- one clean message per unreadable input ---------------------------------------------------

def _bad_inputs(folder: Path) -> dict[str, tuple[Path | str, str]]:
    garbage = np.random.default_rng(7).bytes(3000)
    (folder / "noise.tif").write_bytes(garbage)
    (folder / "cut.nc").write_bytes(b"CDF\x01" + garbage[:100])
    (folder / "cut.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + garbage[:500])
    (folder / "noise.mat").write_bytes(b"MATLAB 5.0 MAT-file".ljust(124) + b"\x00\x01IM"
                                       + garbage[:300])
    (folder / "plain.mat").write_bytes(garbage)
    (folder / "broken.hdr").write_text("ENVI\nsamples = x\n")
    (folder / "broken.dat").write_bytes(garbage)
    (folder / "cube.nc").write_bytes(b"")
    return {
        "noise.tif": (folder / "noise.tif", "is not a raster GDAL can read"),
        "cut.nc": (folder / "cut.nc", "looks like a netCDF file, but GDAL cannot open it"),
        "cut.h5": (folder / "cut.h5", "looks like an HDF5 / netCDF-4 file, but GDAL cannot"),
        "noise.mat": (folder / "noise.mat", "is a MATLAB file that cannot be read"),
        "plain.mat": (folder / "plain.mat", "is not a MATLAB .mat file scipy can read"),
        "broken.hdr": (folder / "broken.hdr", "is not a raster GDAL can read"),
        "missing#var": (f"{folder / 'missing.nc'}#var", "file not found"),
        "empty.nc": (f"{folder / 'cube.nc'}#var", "no netCDF, HDF5 or MATLAB file"),
    }


def test_each_unreadable_input_gives_one_message_and_nothing_else(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    for label, (name, expected) in _bad_inputs(tmp_path).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(InputError) as err:
                describe(name, "scene")
        text = str(err.value)
        assert text.startswith("scene: ") and expected in text, (label, text)
        assert text.count("scene:") == 1, text
        assert caught == [], (label, [str(w.message) for w in caught])
        out, errors = capfd.readouterr()
        assert out == "" and errors == "", (label, out, errors)


# --- the real Jasper Ridge cube ---------------------------------------------------------------

@pytest.mark.realdata
def test_real_jasper_ridge_mat_as_raster(data_dir: Path) -> None:
    path = data_dir / "hyperspectral" / "jasperRidge2_R198.mat"
    info = describe(path)
    assert (info.count, info.height, info.width, info.dtype) == (198, 100, 100, "uint16")
    assert info.modality == "hyperspectral" and info.crs is None
    with open(data_dir / "hyperspectral" / "jasper_wavelengths_approx.csv") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["cube_band_index0"]))
    expected = [float(row["approx_wavelength_nm"]) for row in rows]
    assert info.wavelengths_nm == pytest.approx(expected, abs=0.06)
    assert info.bands[0].name == "channel 4" and info.bands[-1].name == "channel 219"
    mat = scipy.io.loadmat(path)
    cube = _read(path)
    reference = np.moveaxis(mat["Y"].T.reshape((100, 100, 198), order="F"), 2, 0)
    np.testing.assert_array_equal(cube, reference)
    # spatially coherent: neighbours differ far less than random pixel pairs
    band = cube[30].astype(np.float64)
    near = np.abs(np.diff(band, axis=1)).mean() + np.abs(np.diff(band, axis=0)).mean()
    shuffled = np.random.default_rng(0).permutation(band.reshape(-1)).reshape(band.shape)
    far = np.abs(np.diff(shuffled, axis=1)).mean() + np.abs(np.diff(shuffled, axis=0)).mean()
    assert near < 0.5 * far
    with rasterio.open(formats.gdal_name(path)) as src:
        assert "approximate: AVIRIS channels 4-107, 113-153, 167-219 of 224" in \
            src.tags()["wavelength_source"]
