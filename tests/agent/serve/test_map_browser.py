"""The map page in a real browser: headless Debian Chromium driven by Playwright against the real
app (uvicorn on 127.0.0.1), on a real Sentinel-2 scene. Every request that is not for
127.0.0.1 is aborted and fails the test; a missing browser fails it too (``make test``
installs Chromium).

With ``EARTHSIGHT_SCREENSHOT=1`` the scenario saves the page to ``examples/map_page.png``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from scipy import ndimage

from agent.serve import http_api
from agent.serve.security import LOGIN_COOKIE
from tests.agent.api_client import AUTH, TOKEN
from tests.agent.serve.browser import Browser, browser, free_port, live_server
from tools.core.workspace import Workspace

SCENE = "multispectral/sen1floods11_Spain_7370579_S2Hand.tif"
SCREENSHOT = Path(__file__).resolve().parents[3] / "examples" / "map_page.png"
LAST_TURN = ("(a) => { const t = earthsight.lastTurn; if (earthsight.errors.length > a.errors) "
             "return {errors: earthsight.errors}; "
             "return !earthsight.busy && t && t.status === a.status && t; }")

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture
def served(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[Any, str]]:
    """The app (every step heavy: each turn waits for approval) served on a free port."""
    monkeypatch.setenv("EARTHSIGHT_APPROVE_SECONDS", "0")
    port = free_port()
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2,
                              host="127.0.0.1", port=port)
    with live_server(app, port) as url:
        yield app, url


def ask(b: Browser, message: str, approve: bool = True, meanwhile: str | None = None
        ) -> dict[str, Any]:
    """Ask ``message``; the turn waits (every step is heavy); approve or reject it. With
    ``meanwhile``, that is asked while the turn waits: the server's refusal shows in the chat."""
    errors = len(b.state("errors"))
    b.page.get_by_test_id("ask-input").fill(message)
    b.page.get_by_test_id("ask-button").click()
    waiting = b.wait(LAST_TURN, arg={"status": "waiting", "errors": errors})
    assert waiting.get("request") == message and waiting["approval"]["heavy"], waiting
    if meanwhile is not None:
        b.page.get_by_test_id("ask-input").fill(meanwhile)
        b.page.get_by_test_id("ask-button").click()
        shown = b.wait("(n) => earthsight.errors.length > n && earthsight.errors", arg=errors)
        assert "approval" in shown[-1] and shown[-1].startswith("409"), shown
        assert "approval" in b.page.get_by_test_id("chat-error").last.inner_text()
        assert b.page.get_by_test_id("ask-input").input_value() == meanwhile  # kept
        b.page.get_by_test_id("ask-input").fill("")
        errors = len(shown)
    card = b.page.locator(f'[data-testid=turn][data-index="{waiting["index"]}"]')
    card.get_by_test_id("approve" if approve else "reject").click()
    done: dict[str, Any] = b.wait(LAST_TURN, 120, arg={"status": "done", "errors": errors})
    assert done.get("index") == waiting["index"], done
    return done


def water_point(app: Any, session: str, layer_id: str) -> tuple[float, float]:
    """Lon/lat of a pixel well inside the water of the mask layer."""
    workspace = app.state.sessions.workspace(session)
    art = next(a for a in Workspace(workspace).artifacts() if a.id == layer_id)
    with rasterio.open(art.path) as src:
        water = src.read(1) == 1
        transform, crs = src.transform, src.crs
    inner = ndimage.binary_erosion(water, iterations=6)
    rows, cols = np.nonzero(inner)
    assert rows.size, "no water well inside the mask"
    x, y = transform * (cols[rows.size // 2] + 0.5, rows[rows.size // 2] + 0.5)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return float(lon), float(lat)


def save_screenshot(png: bytes) -> None:
    """``examples/map_page.png`` (256 colours: a third of the size), written under a temporary
    name then renamed."""
    from PIL import Image

    SCREENSHOT.parent.mkdir(exist_ok=True)
    partial = SCREENSHOT.with_name(f".{SCREENSHOT.name}.partial")
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    image.save(partial, format="PNG", optimize=True)
    partial.replace(SCREENSHOT)


def draw_shapes(b: Browser, box: tuple[float, float, float, float]) -> None:
    """A polygon (three clicks, Finish), then a point (a 30 m circle), then Clear."""
    west, south, east, north = box
    page = b.page
    page.get_by_test_id("draw-polygon").click()
    for lon, lat in ((west, south), (east, south), ((west + east) / 2, north)):
        corner = page.evaluate("([lon, lat]) => earthsight.pointOf(lon, lat)", [lon, lat])
        page.mouse.click(corner["x"], corner["y"])
    page.get_by_test_id("draw-finish").click()
    polygon = b.state("region")
    assert polygon["shape"] == "polygon" and len(polygon["geometry"]["coordinates"][0]) == 4
    page.get_by_test_id("draw-point").click()
    centre = page.evaluate("([lon, lat]) => earthsight.pointOf(lon, lat)",
                           [(west + east) / 2, (south + north) / 2])
    page.mouse.click(centre["x"], centre["y"])
    point = b.state("region")
    assert point["shape"] == "point" and point["radius_m"] == 30
    assert len(point["geometry"]["coordinates"][0]) == 33
    assert point["area_m2"] == pytest.approx(np.pi * 30**2, rel=0.01)  # a 32-gon of r 30 m
    assert "30 m radius" in page.get_by_test_id("region-note").inner_text()
    page.get_by_test_id("draw-clear").click()
    assert b.state("region") is None and not page.get_by_test_id("region-note").is_visible()


def distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return sum(abs(p - q) for p, q in zip(a, b, strict=True))


def test_map_page_end_to_end(served: tuple[Any, str]) -> None:
    app, url = served
    with browser() as b:
        page = b.page
        page.goto(f"{url}/map#token={TOKEN}")
        b.wait("() => window.earthsight && earthsight.ready && earthsight.loggedIn", 30)
        assert "#" not in page.url and TOKEN not in page.url
        cookie = next(c for c in b.context.cookies() if c["name"] == LOGIN_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        # the scene as the base layer
        page.locator(f'[data-testid=scene-option][data-path="{SCENE}"] input').check()
        b.wait("() => earthsight.layers.some(l => l.kind === 'scene' && l.loaded)", 60)

        # ask, approve, see the mask layer appear
        first = ask(b, "map the water")
        streamed = b.state("lastStream")  # the approved run, as the page read it line by line
        assert streamed[-1] == "turn" and {"step_start", "step_finish"} <= set(streamed)
        session = b.state("session")
        assert f"session={session}" in page.url and first["scenes"] == [SCENE]
        assert [s["status"] for s in first["steps"]] == ["ok"] * len(first["plan"])
        mask = b.wait("() => earthsight.layers.find(l => l.kind === 'mask' && l.loaded)", 60)
        item = page.locator(f'[data-testid=layer-item][data-layer-id="{mask["id"]}"]')
        assert item.count() == 1 and item.get_by_test_id("layer-legend").count() == 1

        # a screen pixel inside the overlay changes when the layer is hidden, and comes back
        lon, lat = water_point(app, session, mask["id"])
        point = page.evaluate("([lon, lat]) => earthsight.pointOf(lon, lat)", [lon, lat])
        shown = b.pixel(point["x"], point["y"])
        item.get_by_test_id("layer-toggle").uncheck()
        b.wait("(id) => !earthsight.layers.find(l => l.id === id).visible", arg=mask["id"])
        hidden = b.pixel(point["x"], point["y"])
        assert distance(shown, hidden) > 30, (shown, hidden)
        item.get_by_test_id("layer-toggle").check()
        b.wait("(id) => earthsight.layers.find(l => l.id === id && l.visible && l.loaded)",
               arg=mask["id"])
        assert distance(b.pixel(point["x"], point["y"]), shown) <= 6

        # draw a box inside the scene and ask about it: the number equals the tool's own
        west, south, east, north = next(s for s in b.state("scenes")
                                        if s["path"] == SCENE)["bounds"]
        box = (west + (east - west) / 4, south + (north - south) / 4,
               east - (east - west) / 4, north - (north - south) / 4)
        page.get_by_test_id("draw-box").click()
        for lon_, lat_ in ((box[0], box[1]), (box[2], box[3])):
            corner = page.evaluate("([lon, lat]) => earthsight.pointOf(lon, lat)", [lon_, lat_])
            page.mouse.click(corner["x"], corner["y"])
        region = b.state("region")
        ring = np.array(region["geometry"]["coordinates"][0])
        assert region["shape"] == "box" and page.get_by_test_id("region-note").is_visible()
        assert np.allclose([ring[:, 0].min(), ring[:, 1].min(), ring[:, 0].max(),
                            ring[:, 1].max()], box, atol=2e-4)
        second = ask(b, "how much water inside this")
        region_file = second["region"]["file"]
        assert region_file.startswith("regions/") and b.state("region") is None
        assert all(step["args"].get("region") == region_file for step in second["plan"]
                   if step["tool"] == "map_water"), second["plan"]
        row = page.locator(f'[data-testid=number-row][data-turn="{second["index"]}"]'
                           '[data-name="water_area"]')
        assert row.count() == 1 and row.get_attribute("data-units")
        inside = float(row.get_attribute("data-value") or "nan")
        with httpx.Client(base_url=url, headers=AUTH, timeout=120) as api:
            direct = api.post(f"/sessions/{session}/tools/map_water", json={"args": {
                "image": SCENE, "method": "optical", "region": region_file}})
        assert direct.status_code == 200, direct.text
        expected = next(a for a in direct.json()["artifacts"] if a["name"] == "water_area")
        assert inside == pytest.approx(float(expected["value"]), rel=1e-9)
        assert row.get_attribute("data-units") == expected["units"]
        whole = next(n for n in first["numbers"] if n["name"] == "water_area")["value"]
        assert 0 < inside < whole
        if os.environ.get("EARTHSIGHT_SCREENSHOT") == "1":
            save_screenshot(page.screenshot())

        # a question while a turn waits: the server's refusal in the chat; reject: nothing runs
        third = ask(b, "map the water", approve=False, meanwhile="count the ships")
        assert {s["status"] for s in third["steps"]} == {"declined"}

        # opacity, the other shapes, and the test state is read-only
        item.get_by_test_id("layer-opacity").fill("0.5")
        b.wait("(id) => earthsight.layers.find(l => l.id === id).opacity === 0.5",
               arg=mask["id"])
        draw_shapes(b, box)
        page.evaluate("() => { earthsight.lastTurn.request = 'x'; earthsight.turns.pop(); "
                      "try { earthsight.busy = true; } catch (e) {} }")
        assert b.state("lastTurn")["request"] == "map the water" and not b.state("busy")
        assert len(b.state("turns")) == 3

        # reload: the session, its turns and its layers come back
        layer_ids = {layer["id"] for layer in b.state("layers")}
        page.reload()
        b.wait("() => earthsight.ready && earthsight.loggedIn && earthsight.turns.length === 3",
               30)
        assert b.state("session") == session
        assert [t["request"] for t in b.state("turns")] == [
            "map the water", "how much water inside this", "map the water"]
        b.wait("(ids) => ids.every(id => earthsight.layers.some(l => l.id === id))",
               arg=sorted(layer_ids))
        assert page.get_by_test_id("turn").count() == 3
        links = page.get_by_test_id("file-link")
        assert links.count() >= 1
        download = page.request.get(url + (links.first.get_attribute("href") or ""))
        assert download.status == 200
        assert not b.blocked, f"the page tried to leave 127.0.0.1: {b.blocked}"
        assert not b.page_errors, b.page_errors
        assert not [e for e in b.console_errors if "Content Security Policy" in e]


def test_without_a_token_the_page_shows_how_to_log_in(served: tuple[Any, str]) -> None:
    _, url = served
    with browser() as b:
        b.page.goto(f"{url}/map")
        b.wait("() => window.earthsight && earthsight.ready")
        assert b.page.get_by_test_id("login-panel").is_visible()
        assert not b.state("loggedIn") and b.state("scenes") == []
        b.page.get_by_test_id("login-token").fill("wrong")
        b.page.get_by_test_id("login-form").locator("button").click()
        b.wait("() => document.querySelector('[data-testid=login-error]').textContent")
        assert not b.state("loggedIn")
        b.page.get_by_test_id("login-token").fill(TOKEN)
        b.page.get_by_test_id("login-form").locator("button").click()
        b.wait("() => earthsight.loggedIn && earthsight.scenes.length > 0", 30)
        assert not b.page.get_by_test_id("login-panel").is_visible()
        assert not b.blocked and not b.page_errors, (b.blocked, b.page_errors)
