"""Layer routes: the scene list of the data roots, refused scene paths, a real scene's tile,
a session's layers after a real tool run, and vectors as lon/lat GeoJSON with areas."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pyproj import Geod, Transformer
from shapely.geometry import box, mapping, shape

from tests.agent.api_client import BASE_URL, TOKEN
from tests.conftest import write_tiff
from tools.catalog import run_tool
from tools.core.artifacts import Artifact, ToolCall
from tools.core.workspace import Workspace
from tools.geo.vector import write_geojson

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

S1 = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
S2 = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"
AREA_TEXT = re.compile(r"^[\d,.]+ (m²|ha|km²)$")


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A second data root of the server sandbox (set before the app is built)."""
    root = tmp_path / "more-data"
    root.mkdir()
    monkeypatch.setenv("EARTHSIGHT_DATA_ROOTS", str(root))
    return root


@pytest.fixture
def app(tmp_path: Path, data_root: Path) -> Any:
    """The API with ``data_root`` among its data roots."""
    from agent.serve import http_api

    return http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)


def centre_tile(bounds: list[float], z: int) -> tuple[int, int]:
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    n = 2**z
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int((lon + 180.0) / 360.0 * n), int(y)


def test_layer_routes_need_the_token(app: Any, client: Any, session: str) -> None:
    urls = ["/scenes", f"/scenes/tiles/0/0/0.png?path={S2}", f"/sessions/{session}/layers",
            f"/sessions/{session}/tiles/c001-water_mask/0/0/0.png",
            f"/sessions/{session}/layers/c001-water_polygons.geojson"]
    with TestClient(app, base_url=BASE_URL) as anonymous:
        for url in urls:
            assert anonymous.get(url).status_code == 401, url
            assert anonymous.get(url, headers={"Authorization": "Bearer no"}).status_code == 401
    assert client.get("/scenes").status_code == 200


def test_scenes_list_the_data_roots(client: Any, session: str, data_root: Path,
                                    data_dir: Path, tmp_path: Path) -> None:
    write_tiff(data_root / "b.tif", np.ones((3, 8, 8), dtype="uint8"))
    (data_root / "x" / "y" / "z" / "w").mkdir(parents=True)
    write_tiff(data_root / "x" / "y" / "z" / "w" / "deep.tif", np.ones((8, 8), "uint8"))
    (data_root / "x" / "y" / "z" / "w" / "v").mkdir()  # five folders down: not looked into
    write_tiff(data_root / "x" / "y" / "z" / "w" / "v" / "deeper.tif", np.ones((8, 8), "uint8"))
    (data_root / ".hidden").mkdir()
    write_tiff(data_root / ".hidden" / "h.tif", np.ones((8, 8), "uint8"))
    write_tiff(data_root / "a-chip.tif", np.ones((8, 8), "uint8"), crs=None)
    (data_root / "notes.txt").write_text("not a raster", encoding="utf-8")
    (data_root / "broken.tif").write_bytes(b"not a tiff")
    tool = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"image": S1}})
    assert tool.status_code == 200, tool.text

    answer = client.get("/scenes")
    assert answer.status_code == 200
    scenes = answer.json()["scenes"]
    paths = [s["path"] for s in scenes]
    assert str(tmp_path) not in answer.text and str(data_dir) not in answer.text
    assert S1 in paths and S2 in paths  # the real data folder (the first data root)
    assert {"b.tif", "a-chip.tif", "x/y/z/w/deep.tif"} <= set(paths)
    assert not any(p.endswith(("deeper.tif", "h.tif", "broken.tif", "water_mask.tif"))
                   for p in paths)  # too deep, hidden, not a raster, a session's file
    assert paths == sorted(paths)
    s2 = next(s for s in scenes if s["path"] == S2)
    assert (s2["name"], s2["crs"], s2["width"], s2["height"], s2["bands"]) == (
        Path(S2).name, "EPSG:4326", 512, 512, 13)
    west, south, east, north = s2["bounds"]
    assert -0.79 < west < east < -0.73 and 38.08 < south < north < 38.13
    assert s2["layer"]["id"] == f"scene:{S2}" and s2["layer"]["kind"] == "scene"
    assert s2["layer"]["tiles"] == ("/scenes/tiles/{z}/{x}/{y}.png?path="
                                    "multispectral%2Fsen1floods11_Spain_7370579_S2Hand.tif")
    chip = next(s for s in scenes if s["path"] == "a-chip.tif")
    assert chip["crs"] is None and chip["bounds"] is None and chip["layer"] is None


def test_refused_scene_paths(app: Any, client: Any, session: str, tmp_path: Path) -> None:
    outside = write_tiff(tmp_path / "outside.tif", np.ones((8, 8), dtype="uint8"))
    mine = write_tiff(Path(app.state.sessions.root) / session / "c001_mine.tif",
                      np.ones((8, 8), dtype="uint8"))
    for path in (str(outside), "../outside.tif", "/etc/hosts", "/vsicurl/http://x/y.tif",
                 f"{session}/c001_mine.tif", str(mine), "file:///etc/hosts"):
        answer = client.get("/scenes/tiles/0/0/0.png", params={"path": path})
        assert answer.status_code == 403, (path, answer.text)
        assert str(tmp_path) not in answer.text
    assert "refused" in client.get("/scenes/tiles/0/0/0.png",
                                   params={"path": str(outside)}).json()["detail"]
    assert client.get("/scenes/tiles/0/0/0.png", params={"path": "sar/*.tif"}).status_code == 400
    missing = client.get("/scenes/tiles/0/0/0.png", params={"path": "sar/nope.tif"})
    assert missing.status_code == 404


def test_real_scene_tile_at_its_centre(client: Any, data_dir: Path) -> None:
    scene = next(s for s in client.get("/scenes").json()["scenes"] if s["path"] == S2)
    x, y = centre_tile(scene["bounds"], 15)
    answer = client.get(scene["layer"]["tiles"].format(z=15, x=x, y=y))
    assert answer.status_code == 200, answer.text
    rgba = np.asarray(Image.open(io.BytesIO(answer.content)))
    drawn = rgba[..., 3] == 255
    assert drawn.mean() > 0.9  # the scene covers the tile at its centre
    assert rgba[drawn][:, :3].std() > 5  # an image, not a flat colour
    direct = client.get(f"/scenes/tiles/15/{x}/{y}.png",
                        params={"path": str(data_dir / S2)})  # absolute, inside the root
    assert direct.status_code == 200 and direct.content == answer.content


def test_session_layers_after_real_tools(client: Any, session: str, data_dir: Path,
                                         tmp_path: Path) -> None:
    assert client.get(f"/sessions/{session}/layers").json() == {"layers": []}
    water = client.post(f"/sessions/{session}/tools/map_water", json={"args": {"image": S1}})
    index = client.post(f"/sessions/{session}/tools/spectral_index",
                        json={"args": {"image": S2, "index": "NDWI"}})
    assert water.status_code == 200 and index.status_code == 200, (water.text, index.text)
    answer = client.get(f"/sessions/{session}/layers")
    assert str(tmp_path) not in answer.text and str(data_dir) not in answer.text
    views = answer.json()["layers"]
    assert [v["id"] for v in views] == ["c001-water_mask", "c001-water_polygons", "c002-ndwi"]
    mask, polygons, ndwi = views
    assert mask["legend"] == [{"value": 1, "label": "water", "color": "#1f78b4"}]
    assert (mask["tool"], mask["call_id"], mask["crs"]) == ("map_water", "c001", "EPSG:4326")
    assert mask["download"] == f"/sessions/{session}/artifacts/c001-water_mask"
    assert client.get(mask["download"]).status_code == 200
    assert polygons["kind"] == "vector" and polygons["tiles"] is None
    assert polygons["geojson"] == f"/sessions/{session}/layers/c001-water_polygons.geojson"
    assert ndwi["colorbar"]["min"] == -1.0 and ndwi["colorbar"]["max"] == 1.0
    assert ndwi["colorbar"]["units"] == ndwi["units"] == "index"

    x, y = centre_tile(mask["bounds"], 14)
    tile = np.asarray(Image.open(io.BytesIO(client.get(
        mask["tiles"].format(z=14, x=x, y=y)).content)))
    colours = {tuple(p) for p in tile.reshape(-1, 4)}
    assert colours == {(31, 120, 180, 255), (0, 0, 0, 0)}  # water, and land left transparent

    geo = client.get(polygons["geojson"])
    assert geo.status_code == 200 and geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    written = run_tool("map_water", {"image": str(data_dir / S1)}, tmp_path / "direct")
    assert len(features) == written.result.numbers()["polygon_count"].value
    west, south, east, north = polygons["bounds"]
    geod = Geod(ellps="WGS84")
    for feature in features:
        lon0, lat0, lon1, lat1 = shape(feature["geometry"]).bounds
        assert west <= lon0 <= lon1 <= east and south <= lat0 <= lat1 <= north
        props = feature["properties"]
        assert props["class"] == "water" and AREA_TEXT.match(props["area"]), props
        geodesic = abs(geod.geometry_area_perimeter(shape(feature["geometry"]))[0])
        assert props["area_m2"] == pytest.approx(geodesic, rel=1e-6, abs=1e-3)


def test_projected_vector_as_lon_lat(app: Any, client: Any, session: str) -> None:
    workspace = Workspace(Path(app.state.sessions.root) / session)
    square = box(500_000.0, 4_000_000.0, 500_100.0, 4_000_100.0)  # 100 m x 100 m
    features = [{"type": "Feature", "id": 1, "geometry": mapping(square),
                 "properties": {"class": "ship", "confidence": 0.91,
                                "scene": str(workspace.root / "scene.tif")}},
                {"type": "Feature", "id": 2, "geometry": {"type": "Point",
                                                          "coordinates": [500_050.0, 3_999_000.0]},
                 "properties": {"class": "buoy", "confidence": 0.5}}]
    path = write_geojson(workspace.root / "c001_objects.geojson", features, "EPSG:32633")[0]
    art = Artifact(id="c001-objects", name="objects", kind="vector", path=str(path),
                   crs="EPSG:32633", call=ToolCall(tool="detect_objects", args={}, step="s2"))
    workspace.record([art])
    view = client.get(f"/sessions/{session}/layers").json()["layers"][0]
    assert (view["kind"], view["crs"], view["step"]) == ("vector", "EPSG:32633", "s2")
    answer = client.get(view["geojson"])
    assert str(workspace.root) not in answer.text
    ship, buoy = answer.json()["features"]
    assert ship["properties"]["area_m2"] == pytest.approx(10_000.0)
    assert ship["properties"]["area"] == "1.00 ha"
    assert (ship["properties"]["class"], ship["properties"]["confidence"]) == ("ship", 0.91)
    assert ship["properties"]["scene"] == "scene.tif"  # redacted: workspace-relative
    to_ll = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    corner = to_ll.transform(500_000.0, 4_000_000.0)
    assert any(np.allclose(c, corner, atol=1e-9)
               for c in ship["geometry"]["coordinates"][0])
    assert 14.99 < corner[0] < 15.01  # lon first: x = longitude
    assert "area_m2" not in buoy["properties"] and buoy["geometry"]["type"] == "Point"
    assert view["bounds"] == pytest.approx([*to_ll.transform(500_000.0, 3_999_000.0),
                                            *to_ll.transform(500_100.0, 4_000_100.0)], abs=1e-6)


def test_unknown_and_mismatched_layers(app: Any, client: Any, session: str) -> None:
    workspace = Workspace(Path(app.state.sessions.root) / session)
    raster = write_tiff(workspace.root / "c001_water_mask.tif", np.ones((8, 8), "uint8"))
    vector = write_geojson(workspace.root / "c001_water.geojson", [], "EPSG:32633")[0]
    call = ToolCall(tool="map_water", args={})
    workspace.record([Artifact(id="c001-water_mask", name="water_mask", kind="mask",
                               path=str(raster), call=call),
                      Artifact(id="c001-water", name="water", kind="vector", path=str(vector),
                               call=call),
                      Artifact(id="c001-gone", name="gone", kind="mask",
                               path=str(workspace.root / "gone.tif"), call=call)])
    views = {v["id"]: v for v in client.get(f"/sessions/{session}/layers").json()["layers"]}
    assert views["c001-water"]["note"] == "no features to draw"
    assert views["c001-gone"]["note"] == "the file is missing from the session workspace"
    base = f"/sessions/{session}"
    for url in (f"{base}/tiles/c001-nope/0/0/0.png", f"{base}/layers/c001-nope.geojson",
                f"{base}/tiles/c001-water/0/0/0.png", f"{base}/layers/c001-water_mask.geojson",
                f"/sessions/{'0' * 32}/layers"):
        assert client.get(url).status_code == 404, url
    empty = client.get(f"{base}/layers/c001-water.geojson").json()
    assert empty == {"type": "FeatureCollection", "features": []}
