"""The map page's conversation over HTTP: turns streamed as NDJSON, drawn regions as region files,
approvals of heavy steps, history across a restart — on real scenes from $EARTHSIGHT_DATA."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

import rasterio
import rasterio.warp
from pyproj import Geod
from shapely.geometry import box, shape

from agent.serve import http_api
from tests.agent.api_client import TOKEN, api_client

OPTICAL = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"  # EPSG:4326
SAR_UTM = "sar/S1A_IW_20150309_VV_grd_geo_norm_db.tif"  # EPSG:32631


def inner_box(path: Path, margin: float = 0.25) -> list[float]:
    """A lon/lat box [w, s, e, n] inside the scene (``margin`` of its extent cut off)."""
    with rasterio.open(path) as ds:
        w, s, e, n = rasterio.warp.transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)
    dx, dy = (e - w) * margin, (n - s) * margin
    return [w + dx, s + dy, e - dx, n - dy]


def lines(response: Any, *roots: Path) -> list[dict[str, Any]]:
    """The NDJSON lines of a streamed answer (no line names a server path under ``roots``)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    no_server_path(response.text, *roots)
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def no_server_path(text: str, *roots: Path) -> None:
    for root in roots:
        assert str(root) not in text and str(root.resolve()) not in text, root


def chat(client: Any, session: str, roots: tuple[Path, ...], **body: Any
         ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Send a message; the progress lines (checked to come first) and the TurnView."""
    events = lines(client.post(f"/sessions/{session}/chat", json=body), *roots)
    assert all(e["event"] == "progress" for e in events[:-1])
    assert events[-1]["event"] == "turn", events[-1]
    return events[:-1], events[-1]["turn"]


def approve(client: Any, session: str, roots: tuple[Path, ...], yes: bool
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = lines(client.post(f"/sessions/{session}/chat/approval", json={"approve": yes}),
                   *roots)
    assert all(e["event"] == "progress" for e in events[:-1])
    assert events[-1]["event"] == "turn", events[-1]
    return events[:-1], events[-1]["turn"]


def number(turn: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in turn["numbers"] if n["name"] == name)


def tool_water(client: Any, session: str, args: dict[str, Any]) -> float:
    response = client.post(f"/sessions/{session}/tools/map_water", json={"args": args})
    assert response.status_code == 200, response.text
    return next(float(a["value"]) for a in response.json()["artifacts"]
                if a["name"] == "water_area")


def test_water_inside_a_drawn_polygon_equals_run_tool(client: Any, session: str,
                                                      data_dir: Path, tmp_path: Path) -> None:
    roots = (tmp_path, data_dir)
    w, s, e, n = inner_box(data_dir / OPTICAL)
    drawn = {"type": "Feature", "properties": {"name": "my box"}, "geometry": {
        "type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n]]]}}  # left open
    message = "how much water inside this"
    progress, turn = chat(client, session, roots, message=message, images=[OPTICAL],
                          region=drawn)

    kinds = [p["kind"] for p in progress]
    assert kinds[0] == "plan" and "step_start" in kinds and kinds[-1] == "step_finish"
    assert turn["index"] == 1 and turn["status"] == "done" and turn["approval"] is None
    assert turn["request"] == message and turn["scenes"] == [OPTICAL]
    assert turn["region"]["file"] == "regions/region-1.geojson"
    assert [(p["id"], p["tool"]) for p in turn["plan"]] == [("s1", "map_water")]
    assert turn["plan"][0]["args"]["region"] == "regions/region-1.geojson"
    assert [(s["id"], s["status"]) for s in turn["steps"]] == [("s1", "ok")]

    # the file: lon/lat with its CRS, the ring closed, nothing of it pasted into the request
    written = json.loads((tmp_path / "sessions" / session / "regions" / "region-1.geojson")
                         .read_text(encoding="utf-8"))
    assert written["crs"]["properties"]["name"] == "EPSG:4326"
    ring = written["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    assert shape(written["features"][0]["geometry"]).equals(box(w, s, e, n))
    assert turn["region"]["geojson"] == written["features"][0]["geometry"]
    assert f"{w}" not in json.dumps(turn["plan"]) and f"{w:.4f}" not in turn["answer"]

    water = number(turn, "water_area")
    assert water["units"] == "ha" and water["step"] == "s1" and water["tool"] == "map_water"
    assert water["artifact_id"].startswith(water["call_id"] + "-")
    assert all(n["units"] and n["step"] == "s1" for n in turn["numbers"])
    listed = {a["id"]: a for a in client.get(f"/sessions/{session}/artifacts")
              .json()["artifacts"]}
    assert listed[water["artifact_id"]]["value"] == water["value"]
    assert {f["kind"] for f in turn["files"]} >= {"mask", "vector"}
    for f in turn["files"]:
        assert f["url"] == f"/sessions/{session}/artifacts/{f['artifact_id']}"
        assert f["step"] == "s1" and client.get(f["url"]).status_code == 200

    same = tool_water(client, session, {"image": OPTICAL, "region": turn["region"]["file"]})
    assert water["value"] == pytest.approx(same, rel=1e-9)
    whole = tool_water(client, session, {"image": OPTICAL})
    assert 0 < water["value"] < whole  # the region was applied


def test_a_box_on_a_projected_scene_is_reprojected(client: Any, session: str, data_dir: Path,
                                                   tmp_path: Path) -> None:
    roots = (tmp_path, data_dir)
    w, s, e, n = inner_box(data_dir / SAR_UTM)
    _, turn = chat(client, session, roots, message="how much water is in the drawn area",
                   images=[SAR_UTM], region=[w, s, e, n])
    assert turn["status"] == "done", turn["answer"]
    assert [p["tool"] for p in turn["plan"]] == ["map_water"]
    assert turn["plan"][0]["args"]["region"] == turn["region"]["file"]
    water = number(turn, "water_area")["value"]
    assert water == pytest.approx(tool_water(client, session, {
        "image": SAR_UTM, "region": turn["region"]["file"]}), rel=1e-9)
    # the region's area in the scene's UTM grid is the geodesic area of the lon/lat box
    geodesic = abs(Geod(ellps="WGS84").geometry_area_perimeter(box(w, s, e, n))[0])
    region_area = number(turn, "region_area")
    assert region_area["units"] == "m²"
    assert region_area["value"] == pytest.approx(geodesic, rel=0.01)


def test_heavy_steps_wait_for_approval(client: Any, session: str, data_dir: Path,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_APPROVE_SECONDS", "0")
    roots = (tmp_path, data_dir)
    assert client.post(f"/sessions/{session}/chat/approval",
                       json={"approve": True}).status_code == 409  # nothing waits
    progress, waiting = chat(client, session, roots, message="how much water is there",
                             images=[OPTICAL])
    assert [p["kind"] for p in progress] == ["plan"]
    assert waiting["status"] == "waiting" and waiting["numbers"] == []
    heavy = waiting["approval"]["heavy"]
    assert [(h["step"], h["tool"]) for h in heavy] == [("s1", "map_water")]
    assert heavy[0]["seconds"] > 0 and "Mpx" in heavy[0]["text"]
    assert waiting["steps"] == [{"id": "s1", "tool": "map_water", "status": "pending",
                                 "summary": "not run: waiting for approval"}]
    busy = client.post(f"/sessions/{session}/chat", json={"message": "and now?"})
    assert busy.status_code == 409 and "approval" in busy.json()["detail"]
    shown = client.get(f"/sessions/{session}/chat").json()
    assert shown["turns"] == [] and shown["waiting"] == waiting and not shown["running"]

    progress, done = approve(client, session, roots, True)
    assert "step_finish" in [p["kind"] for p in progress]
    assert done["status"] == "done" and done["approval"]["approved"] is True
    assert number(done, "water_area")["units"] == "ha"
    assert client.post(f"/sessions/{session}/chat/approval",
                       json={"approve": False}).status_code == 409

    _, again = chat(client, session, roots, message="how much water is there")  # same scene
    assert again["status"] == "waiting" and again["scenes"] == [OPTICAL]
    _, declined = approve(client, session, roots, False)
    assert declined["status"] == "done" and declined["numbers"] == []
    assert "not approve" in declined["answer"] and "not run" in declined["answer"]
    assert [s["status"] for s in declined["steps"]] == ["declined"]
    assert declined["approval"]["approved"] is False

    history = client.get(f"/sessions/{session}/chat").json()
    assert [t["index"] for t in history["turns"]] == [1, 2] and history["waiting"] is None
    assert history["turns"][0] == done and history["turns"][1] == declined
    no_server_path(json.dumps(history), *roots)


def test_history_and_a_waiting_turn_survive_a_restart(
        tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = (tmp_path, data_dir)
    root = tmp_path / "sessions"
    with api_client(http_api.create_app(root, token=TOKEN, max_jobs=2)) as first:
        session = first.post("/sessions").json()["session_id"]
        assert first.get(f"/sessions/{session}/chat").json()["turns"] == []
        _, done = chat(first, session, roots, message="how much water inside this",
                       images=[OPTICAL], region=inner_box(data_dir / OPTICAL))
        monkeypatch.setenv("EARTHSIGHT_APPROVE_SECONDS", "0")
        _, waiting = chat(first, session, roots, message="how much water inside this",
                          region=inner_box(data_dir / OPTICAL, 0.1))
        assert waiting["status"] == "waiting"
        assert waiting["region"]["file"] == "regions/region-2.geojson"
        before = first.get(f"/sessions/{session}/chat").json()

    with api_client(http_api.create_app(root, token=TOKEN, max_jobs=2)) as second:
        after = second.get(f"/sessions/{session}/chat").json()
        assert after == before and after["turns"] == [done]
        assert after["waiting"]["plan"][0]["args"]["region"] == "regions/region-2.geojson"
        _, resumed = approve(second, session, roots, True)
        assert resumed["index"] == 2 and resumed["status"] == "done"
        assert number(resumed, "water_area")["value"] > 0
        assert [t["index"] for t in second.get(f"/sessions/{session}/chat")
                .json()["turns"]] == [1, 2]


BAD_REGIONS: list[tuple[Any, str]] = [
    ([1, 2, 3], "4 numbers"),
    ([0, 0, 200, 10], "lon/lat"),
    ([10, 10, 5, 20], "west < east"),
    ("regions/region-1.geojson", "GeoJSON"),
    ({"type": "Point", "coordinates": [0, 0]}, "no area"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "3 distinct"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}, "latitude 95"),
    ({"type": "Polygon", "coordinates": [[[500000, 4e6], [500100, 4e6], [500100, 4.1e6]]]},
     "longitude"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1]]]}, "crossing"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1]]]}, "numbers"),
    ({"type": "Polygon", "crs": {"type": "name", "properties": {"name": "EPSG:32631"}},
      "coordinates": [[[0, 0], [1, 0], [1, 1]]]}, "not lon/lat"),
    ({"type": "FeatureCollection", "features": []}, "no features"),
    ({"type": "Feature", "geometry": None}, "no geometry"),
    ({"type": "Circle"}, "unknown GeoJSON type"),
    ({"type": "Polygon", "coordinates": [[[i * 1e-4, (i % 2) * 1e-4] for i in range(10_001)]]},
     "more than 10000"),
]


@pytest.mark.parametrize(("region", "words"), BAD_REGIONS)
def test_bad_regions_are_refused_naming_region(client: Any, session: str, tmp_path: Path,
                                               region: Any, words: str) -> None:
    response = client.post(f"/sessions/{session}/chat",
                           json={"message": "how much water inside this", "region": region})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("region:") and words in detail, detail
    assert not (tmp_path / "sessions" / session / "regions").exists()


def test_non_finite_coordinates_are_refused(client: Any, session: str) -> None:
    body = '{"message": "water here", "region": [NaN, 0, 1, 1]}'
    response = client.post(f"/sessions/{session}/chat", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("region: a box holds finite numbers")


def test_unknown_fields_and_busy_slots(app: Any, client: Any, session: str, data_dir: Path,
                                       tmp_path: Path) -> None:
    assert client.post(f"/sessions/{session}/chat",
                       json={"message": "x", "prompt": "y"}).status_code == 422
    assert client.post(f"/sessions/{session}/chat", json={"request": "x"}).status_code == 422
    assert client.post(f"/sessions/{session}/chat/approval",
                       json={"approve": True, "why": "x"}).status_code == 422
    assert client.post(f"/sessions/{session}/chat/approval",
                       json={"approve": "yes"}).status_code == 422
    refused = client.post(f"/sessions/{session}/chat",
                          json={"message": "water?", "images": ["/etc/passwd"]})
    assert refused.status_code == 403
    no_server_path(refused.text, tmp_path, data_dir)

    limiter = app.state.limiter
    taken = [limiter.try_acquire() for _ in range(limiter.max_jobs)]
    try:
        busy = client.post(f"/sessions/{session}/chat",
                           json={"message": "how much water", "images": [OPTICAL]})
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
    finally:
        for _ in taken:
            limiter.release()
    running = app.state.chats.entry(session).lock  # as while a turn of this session runs
    assert running.acquire(blocking=False)
    try:
        again = client.post(f"/sessions/{session}/chat", json={"message": "how much water"})
        assert again.status_code == 409 and "running" in again.json()["detail"]
        assert client.get(f"/sessions/{session}/chat").json()["running"] is True
    finally:
        running.release()
    _, turn = chat(client, session, (tmp_path, data_dir), message="how much water is there",
                   images=[OPTICAL])  # the session is free again
    assert turn["status"] == "done" and turn["index"] == 1
    assert client.get(f"/sessions/{session}/chat").json()["running"] is False
