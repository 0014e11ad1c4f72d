"""Vector layers: a file with more features than the map takes shows its largest ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.serve import vectors


def _square(x: float, y: float, side: float) -> dict[str, object]:
    ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_layer_over_the_cap_keeps_its_largest_polygons(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sides = [10.0, 50.0, 20.0, 40.0, 30.0]  # m, in EPSG:32633
    features = [{"type": "Feature", "id": i + 1, "properties": {"class": "slick"},
                 "geometry": _square(500_000 + 100 * i, 5_000_000, side)}
                for i, side in enumerate(sides)]
    path = tmp_path / "slicks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, "crs": {
        "type": "name", "properties": {"name": "EPSG:32633"}}}))
    monkeypatch.setattr(vectors, "MAX_FEATURES", 3)
    layer = vectors.vector_layer(path, None)
    shown = layer.collection["features"]
    assert [f["id"] for f in shown] == [2, 4, 5]  # 50, 40 and 30 m squares, in file order
    assert [f["properties"]["area_m2"] for f in shown] == pytest.approx([2500, 1600, 900])
    assert layer.total == 5
    assert layer.note == "showing the 3 largest of 5 features; the download has them all"
    lon, lat = shown[0]["geometry"]["coordinates"][0][0]
    assert 14.9 < lon < 15.1 and 45.0 < lat < 45.2  # lon/lat for the map


def test_a_layer_under_the_cap_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": _square(10.0, 45.0, 0.01)}]}))
    layer = vectors.vector_layer(path, "EPSG:4326")
    assert layer.total == 1 and len(layer.collection["features"]) == 1 and layer.note is None
