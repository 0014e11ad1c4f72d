"""Shared fixtures: generated GeoTIFFs (seeded), the real-data folder, a workspace."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from tools.core.settings import get_settings
from tools.core.workspace import Workspace

MakeTiff = Callable[..., Path]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real development imagery (EARTHSIGHT_DATA, default ../shared/data).

    Missing data fails under CI (CI=true) and skips elsewhere.
    """
    path = get_settings().data_dir
    if not path.is_dir():
        message = f"real data folder not found: {path} (set EARTHSIGHT_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace folder."""
    return Workspace(tmp_path / "ws")


def write_tiff(
    path: Path, array: np.ndarray, crs: str | None = "EPSG:32633",
    transform: Any = None, nodata: float | None = None,
    descriptions: list[str] | None = None, tags: dict[str, str] | None = None,
    band_tags: list[dict[str, str]] | None = None,
) -> Path:
    """Write ``array`` (bands, rows, cols) or (rows, cols) as a GeoTIFF.

    The default transform puts 10 m pixels at (500000, 4000000) in the given CRS, or 0.0001°
    pixels near (10°E, 45°N) when the CRS is geographic.
    """
    data = array if array.ndim == 3 else array[np.newaxis]
    if transform is None:
        if crs and rasterio.crs.CRS.from_user_input(crs).is_geographic:
            transform = from_origin(10.0, 45.0, 0.0001, 0.0001)
        else:
            transform = from_origin(500_000.0, 4_000_000.0, 10.0, 10.0)
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1],
               "count": data.shape[0], "dtype": str(data.dtype), "transform": transform,
               "nodata": nodata}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, name in enumerate(descriptions or [], start=1):
            dst.set_band_description(i, name)
        if tags:
            dst.update_tags(**tags)
        for i, bt in enumerate(band_tags or [], start=1):
            dst.update_tags(i, **bt)
    return path


@pytest.fixture
def make_tiff(tmp_path: Path) -> MakeTiff:
    """Factory: ``make_tiff(name, array, crs=..., transform=..., nodata=...)`` -> path."""

    def make(name: str, array: np.ndarray, **kwargs: Any) -> Path:
        return write_tiff(tmp_path / name, array, **kwargs)

    return make


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def offline_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Model libraries offline, ultralytics configured in the project's .yolo/ with its fonts.

    ultralytics fetches Arial.ttf when it draws; matplotlib's DejaVuSans is copied under both
    names it looks for, so nothing is ever downloaded.
    """
    root = Path(__file__).resolve().parent.parent
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("YOLO_OFFLINE", "1"), ("YOLO_AUTOINSTALL", "0"),
                       ("YOLO_VERBOSE", "False"), ("YOLO_CONFIG_DIR", str(root / ".yolo"))):
        os.environ.setdefault(key, value)
    # ONNX exports of test weights go to a session folder, never the user's cache
    os.environ.setdefault("EARTHSIGHT_EXPORTS_DIR", str(tmp_path_factory.mktemp("exports")))
    # EarthSight's default weights folder (and its trust store) too
    os.environ.setdefault("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    fonts = Path(os.environ["YOLO_CONFIG_DIR"]) / "Ultralytics"
    fonts.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        dejavu = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    except ImportError:  # pragma: no cover - matplotlib comes with ultralytics
        return fonts
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        if not (fonts / name).exists() and dejavu.exists():
            shutil.copyfile(dejavu, fonts / name)
    return fonts


@pytest.fixture(scope="session")
def random_obb_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolo11n-obb built from its config with random weights (DOTA v1 class names), as a .pt.

    Not under the published name ``yolo11n-obb.pt``: a file of that name must be the published
    one (or imported with ``earthsight models import``)."""
    pytest.importorskip("ultralytics")
    from specialists.detection.yolo import build_random
    from specialists.runtime.models import DOTA_V1_NATIVE

    return build_random("yolo11n-obb.yaml",
                        tmp_path_factory.mktemp("weights") / "yolo11n-obb-random.pt",
                        names=DOTA_V1_NATIVE)


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection off loopback (a model download, a real LLM server) fails the test;
    LLM settings and keys from the developer's environment are hidden."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise AssertionError(f"a test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    for name in ("OPENAI_API_KEY", "EARTHSIGHT_LLM_API_KEY", "EARTHSIGHT_LLM_BACKEND",
                 "EARTHSIGHT_LLM_MODEL", "EARTHSIGHT_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="module")
def local2() -> Iterator[Any]:
    """A 2-worker Dask LocalCluster (one thread each) on 127.0.0.1, shared by the module (the
    cluster tests; the ``cluster`` extra, which ``make`` installs)."""
    pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not "
                        "installed")
    from specialists.runtime.cluster import DaskExecutor, executor, shutdown

    ex = executor("local:2")
    assert isinstance(ex, DaskExecutor)
    yield ex
    shutdown()
