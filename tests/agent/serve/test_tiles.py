"""Map tiles of session artifacts and scenes: web mercator geometry, colours at the expected
pixels (masks from their .qml, index rasters on their ramp, scenes in natural colour),
transparency off the data, and proof that tiles come from window reads (blocks outside the
tile poisoned) and from overviews at low zoom (full-resolution blocks poisoned)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.transform import from_origin

from tests.agent.api_client import TOKEN
from tests.conftest import write_tiff
from tools.core.artifacts import Artifact, ToolCall
from tools.core.workspace import Workspace
from tools.geo.qml import VEGETATION, Paletted, PaletteEntry, write_qml
from tools.geo.quicklook import write_quicklook

pytest.importorskip("fastapi")

from agent.serve.styles import scene_bands
from agent.serve.tiles import check_tile, tile_bounds, transparent_tile

BLUE = (31, 120, 180, 255)
UTM = "EPSG:32633"
X0, Y0 = 500_000.0, 4_000_000.0  # the fixtures' origin: 15°E (the zone's central meridian)
HALF = math.pi * 6378137.0


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root of the server sandbox (set before the app is built)."""
    root = tmp_path / "more-data"
    root.mkdir()
    monkeypatch.setenv("EARTHSIGHT_DATA_ROOTS", str(root))
    return root


@pytest.fixture
def app(tmp_path: Path, data_root: Path) -> Any:
    """The API with ``data_root`` among its data roots."""
    from agent.serve import http_api

    return http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)


def locate(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """XYZ tile (x, y) holding lon/lat at zoom z and the pixel (col, row) inside it, from the
    spherical-mercator formulas (independent of the code under test)."""
    n = 2**z
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    x, y = int(fx), int(fy)
    return x, y, int((fx - x) * 256), int((fy - y) * 256)


def utm_lonlat(col: float, row: float, pixel_m: float = 10.0) -> tuple[float, float]:
    """Lon/lat of a pixel position of the fixtures' UTM grid."""
    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(X0 + col * pixel_m, Y0 - row * pixel_m)
    return float(lon), float(lat)


def get_tile(client: Any, template: str, lon: float, lat: float,
             z: int) -> tuple[Any, np.ndarray | None, tuple[int, int]]:
    """The answer for the tile holding lon/lat, its RGBA pixels and the pixel of lon/lat."""
    x, y, col, row = locate(lon, lat, z)
    answer = client.get(template.format(z=z, x=x, y=y))
    if answer.status_code != 200:
        return answer, None, (col, row)
    image = Image.open(io.BytesIO(answer.content))
    assert answer.headers["content-type"] == "image/png"
    assert image.size == (256, 256) and image.mode == "RGBA"
    return answer, np.asarray(image), (col, row)


def add_artifact(app: Any, session: str, path: Path, kind: str, name: str, units: str,
                 description: str = "", quicklook: bool = True) -> Artifact:
    """Record ``path`` (inside the session workspace) as an artifact, with the quick-look
    PNG and QGIS style every raster output gets."""
    workspace = Workspace(Path(app.state.sessions.root) / session)
    art = Artifact(id=f"{workspace.new_call_id()}-{name}", name=name, kind=kind,
                   path=str(path), units=units, description=description,
                   call=ToolCall(tool="test", args={}, step="s1"))
    if quicklook:
        written = write_quicklook(art)
        assert written is not None
        art.quicklook, art.style = (str(p) for p in written)
    workspace.record([art])
    return art


def layer(client: Any, session: str, layer_id: str) -> dict[str, Any]:
    listing = client.get(f"/sessions/{session}/layers")
    assert listing.status_code == 200, listing.text
    found: dict[str, Any] = next(v for v in listing.json()["layers"] if v["id"] == layer_id)
    return found


def workspace_of(app: Any, session: str) -> Path:
    return Path(app.state.sessions.root) / session


def test_tile_geometry() -> None:
    assert tile_bounds(0, 0, 0) == pytest.approx((-HALF, -HALF, HALF, HALF))
    assert tile_bounds(1, 0, 0) == pytest.approx((-HALF, 0.0, 0.0, HALF))  # y = 0: the north
    assert tile_bounds(1, 1, 1) == pytest.approx((0.0, -HALF, HALF, 0.0))
    for bad in ((1, 2, 0), (1, 0, -1), (-1, 0, 0), (31, 0, 0)):
        with pytest.raises(ValueError, match="no tile"):
            check_tile(*bad)
    image = Image.open(io.BytesIO(transparent_tile()))
    assert image.size == (256, 256) and not np.asarray(image)[..., 3].any()


def test_mask_tile_colours_and_transparency(app: Any, client: Any, session: str) -> None:
    mask = np.zeros((200, 200), dtype="uint8")
    mask[:, :100] = 1  # water on the left half
    mask[180:, :] = 255  # a nodata strip at the bottom
    path = write_tiff(workspace_of(app, session) / "c001_water_mask.tif", mask, nodata=255)
    art = add_artifact(app, session, path, "mask", "water_mask", "class",
                       "1 = water, 0 = land, 255 = nodata")
    view = layer(client, session, art.id)
    assert view["kind"] == "mask" and view["crs"] == UTM and view["step"] == "s1"
    assert view["legend"] == [{"value": 1, "label": "water", "color": "#1f78b4"}]
    assert view["colorbar"] is None and view["note"] is None
    west, south, east, north = view["bounds"]
    assert 14.99 < west < 15.0 < east < 15.03 and 36.1 < south < north < 36.15

    for (col, row), expected in (((50, 50), BLUE), ((150, 50), None), ((50, 190), None)):
        lon, lat = utm_lonlat(col, row)
        answer, rgba, (c, r) = get_tile(client, view["tiles"], lon, lat, 16)
        assert answer.status_code == 200, answer.text
        assert rgba is not None
        if expected is None:  # land (class 0) and nodata: transparent
            assert rgba[r, c, 3] == 0
        else:
            assert tuple(rgba[r, c]) == expected
    lon, lat = utm_lonlat(50, 50)
    x, y, _, _ = locate(lon, lat, 16)
    far = client.get(view["tiles"].format(z=16, x=x + 40, y=y))
    assert far.status_code == 200 and far.content == transparent_tile()
    bad = client.get(view["tiles"].format(z=16, x=2**16, y=y))
    assert bad.status_code == 404


def test_class_colours_come_from_the_qml(app: Any, client: Any, session: str) -> None:
    classes = np.repeat(np.array([[1, 2, 3]], dtype="uint8"), 300, axis=1).repeat(90, axis=0)
    path = write_tiff(workspace_of(app, session) / "c001_classes.tif", classes)
    art = add_artifact(app, session, path, "raster", "land_cover", "class",
                       "1 = water; 2 = forest; 3 = urban")
    assert art.style is not None
    style = Path(art.style)  # edited in QGIS: forest becomes pink
    style.write_text(style.read_text(encoding="utf-8").replace(
        'value="2" color="#', 'value="2" color="#ff00ff" old="#'), encoding="utf-8")
    view = layer(client, session, art.id)
    legend = {e["value"]: (e["label"], e["color"]) for e in view["legend"]}
    assert legend[2] == ("forest", "#ff00ff") and legend[1][0] == "water"
    lon, lat = utm_lonlat(450, 45)  # the middle third: class 2
    answer, rgba, (c, r) = get_tile(client, view["tiles"], lon, lat, 15)
    assert rgba is not None, answer.text
    assert tuple(rgba[r, c]) == (255, 0, 255, 255)


def test_index_raster_colorbar_and_ramp(app: Any, client: Any, session: str) -> None:
    ndvi = np.full((100, 200), 1.0, dtype="float32")
    ndvi[:, 100:] = -1.0
    ndvi[:10, :] = np.nan  # nodata along the top
    path = write_tiff(workspace_of(app, session) / "c001_ndvi.tif", ndvi, crs="EPSG:4326",
                      nodata=float("nan"), tags={"index": "NDVI"})
    art = add_artifact(app, session, path, "raster", "ndvi", "index")
    view = layer(client, session, art.id)
    assert view["kind"] == "raster" and view["legend"] is None and view["units"] == "index"
    bar = view["colorbar"]
    assert (bar["min"], bar["max"], bar["units"]) == (-1.0, 1.0, "index")
    assert bar["colors"][0] == "#a50026" and bar["colors"][-1] == "#006837"  # RdYlGn
    assert view["bounds"] == pytest.approx([10.0, 45.0 - 0.01, 10.02, 45.0])
    pixel = 0.0001  # the fixture's geographic pixel (degrees)
    for col, row, expected in ((50, 50, VEGETATION[-1][1]), (150, 50, VEGETATION[0][1])):
        answer, rgba, (c, r) = get_tile(client, view["tiles"], 10.0 + col * pixel,
                                        45.0 - row * pixel, 16)
        assert rgba is not None, answer.text
        assert tuple(rgba[r, c]) == (*expected, 255)
    answer, rgba, (c, r) = get_tile(client, view["tiles"], 10.0 + 50 * pixel, 45.0 - 3 * pixel,
                                    17)
    assert rgba is not None and rgba[r, c, 3] == 0  # NaN: transparent


def test_raster_without_georeference_is_not_drawn(app: Any, client: Any, session: str) -> None:
    path = write_tiff(workspace_of(app, session) / "c001_chip_mask.tif",
                      np.ones((20, 20), dtype="uint8"), crs=None)
    art = add_artifact(app, session, path, "mask", "chip_mask", "class", quicklook=False)
    view = layer(client, session, art.id)
    assert view["bounds"] is None and view["tiles"] is None
    assert view["note"] == "no georeference: not drawn on the map"
    tile = client.get(f"/sessions/{session}/tiles/{art.id}/0/0/0.png")
    assert tile.status_code == 404 and "no georeference" in tile.json()["detail"]


def test_scene_bands_for_natural_colour(tmp_path: Path) -> None:
    cases: list[tuple[np.ndarray, dict[str, Any], tuple[int, ...]]] = [
        (np.zeros((13, 4, 4), "int16"), {"descriptions": [f"B{i}" for i in range(1, 14)]},
         (4, 3, 2)),
        (np.zeros((8, 4, 4), "uint16"), {}, (4, 3, 2)),
        (np.zeros((6, 4, 4), "int16"), {}, (3, 2, 1)),  # Landsat-8 bands 2-7
        (np.zeros((2, 4, 4), "float32"), {"descriptions": ["VV", "VH"]}, (1,)),
        (np.zeros((1, 4, 4), "uint16"), {}, (1,)),
    ]
    for k, (array, options, expected) in enumerate(cases):
        with rasterio.open(write_tiff(tmp_path / f"s{k}.tif", array, **options)) as src:
            assert scene_bands(src) == expected, (array.shape, options)


def big_mask(path: Path, side: int = 4096, overviews: bool = False) -> Path:
    """A tiled (256 px blocks), deflate-compressed 0/1 mask of water everywhere."""
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 1,
               "dtype": "uint8", "crs": UTM, "transform": from_origin(X0, Y0, 10.0, 10.0),
               "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
               "nodata": 255}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, side, side), dtype="uint8"))
    if overviews:
        with rasterio.open(path, "r+") as dst:
            dst.build_overviews([2, 4, 8, 16], Resampling.nearest)
    return path


def poison(path: Path, keep: Callable[[int, int], bool]) -> int:
    """Overwrite the compressed bytes of every full-resolution block (col, row) of band 1
    that ``keep`` rejects with noise (reading such a block fails); returns how many."""
    with rasterio.open(path) as src:
        cols = math.ceil(src.width / 256)
        rows = math.ceil(src.height / 256)
        spans = [(int(src.get_tag_item(f"BLOCK_OFFSET_{c}_{r}", "TIFF", bidx=1)),
                  int(src.get_tag_item(f"BLOCK_SIZE_{c}_{r}", "TIFF", bidx=1)))
                 for r in range(rows) for c in range(cols) if not keep(c, r)]
    noise = np.random.default_rng(7)
    with path.open("r+b") as handle:
        for offset, size in spans:
            handle.seek(offset)
            handle.write(noise.integers(0, 256, size, dtype="uint8").tobytes())
    with rasterio.open(path) as src, pytest.raises(RasterioIOError):
        src.read(1)  # the poison works: a whole-raster read fails
    return len(spans)


def test_tiles_are_window_reads(app: Any, client: Any, session: str) -> None:
    path = big_mask(workspace_of(app, session) / "c001_water_mask.tif")
    write_qml(path.with_suffix(".qml"), Paletted(1, (
        PaletteEntry(0, (225, 225, 225), "land", 0), PaletteEntry(1, BLUE[:3], "water"))))
    art = add_artifact(app, session, path, "mask", "water_mask", "class", quicklook=False)
    poisoned = poison(path, lambda c, r: abs(c - 8) <= 1 and abs(r - 8) <= 1)
    assert poisoned == 256 - 9  # only the 3 x 3 blocks around block (8, 8) are readable
    view = layer(client, session, art.id)
    assert view["legend"] == [{"value": 1, "label": "water", "color": "#1f78b4"}]
    lon, lat = utm_lonlat(8 * 256 + 128, 8 * 256 + 128)  # the centre of block (8, 8)
    answer, rgba, (c, r) = get_tile(client, view["tiles"], lon, lat, 16)
    assert rgba is not None, answer.text
    assert tuple(rgba[r, c]) == BLUE and (rgba[..., 3] == 255).all()
    lon, lat = utm_lonlat(2 * 256, 2 * 256)  # over poisoned blocks: the same route fails
    answer, rgba, _ = get_tile(client, view["tiles"], lon, lat, 16)
    assert answer.status_code == 500 and "could not be read" in answer.json()["detail"]
    assert str(workspace_of(app, session)) not in answer.text


def test_low_zoom_tiles_read_overviews(client: Any, data_root: Path) -> None:
    path = big_mask(data_root / "scene.tif", overviews=True)
    with rasterio.open(path, "r+") as dst:  # a scene: red on the left half, blue on the right
        dst.nodata = None
    scene = data_root / "rgb.tif"
    with rasterio.open(path) as src:
        profile = {**src.profile, "count": 3}
    half = 4096 // 2
    with rasterio.open(scene, "w", **profile) as dst:
        for band, (left, right) in enumerate(((200, 30), (30, 30), (30, 200)), start=1):
            block = np.full((4096, 4096), left, dtype="uint8")
            block[:, half:] = right
            dst.write(block, band)
    with rasterio.open(scene, "r+") as dst:
        dst.build_overviews([2, 4, 8, 16], Resampling.nearest)
    poison(scene, lambda c, r: False)  # every full-resolution block is unreadable
    listing = client.get("/scenes").json()["scenes"]
    view = next(s for s in listing if s["path"] == "rgb.tif")["layer"]
    assert view["kind"] == "scene" and view["tiles"].endswith("?path=rgb.tif")
    for col, red in ((half // 2, True), (half + half // 2, False)):
        lon, lat = utm_lonlat(col, half)
        answer, rgba, (c, r) = get_tile(client, view["tiles"], lon, lat, 10)
        assert rgba is not None, answer.text
        pixel = rgba[r, c]
        assert pixel[3] == 255 and (pixel[0] > pixel[2] if red else pixel[2] > pixel[0])
    lon, lat = utm_lonlat(half // 2, half)
    answer, _, _ = get_tile(client, view["tiles"], lon, lat, 16)  # full resolution: poisoned
    assert answer.status_code == 500
