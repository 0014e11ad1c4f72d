"""The map page's shell and assets (in process, no browser): public paths, CSP, known assets
only, no remote URL in what ships, the login's ``next`` and the start-up line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from agent.serve import http_api
from agent.serve.map_page import ASSETS, MAP_DIR, MAP_PUBLIC_PATHS, content_security_policy
from agent.serve.security import LOGIN_COOKIE
from tests.agent.api_client import BASE_URL, TOKEN
from tools.core.errors import InputError

REMOTE = re.compile(r"(?i)\bhttps?://|(?:src|href)\s*=\s*[\"']//|url\(\s*[\"']?//")


@pytest.fixture
def anonymous(app: Any) -> Any:
    """A client without the token."""
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


def _csp(response: Any) -> dict[str, list[str]]:
    parts = [p.split() for p in response.headers["content-security-policy"].split(";")]
    return {p[0]: p[1:] for p in parts if p}


def test_page_is_public_with_a_strict_policy(anonymous: Any) -> None:
    page = anonymous.get("/map")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = _csp(page)
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["connect-src"] == ["'self'"]
    assert not any("unsafe" in v for values in csp.values() for v in values)
    assert page.headers["x-frame-options"] == "DENY"
    assert "data-testid=\"map\"" in page.text and "<script>" not in page.text
    root = anonymous.get("/", follow_redirects=False)
    assert root.status_code == 303 and root.headers["location"] == "/map"


def test_data_routes_stay_behind_the_token(anonymous: Any) -> None:
    for path in ("/scenes", "/sessions", "/map/assets/nope.js", "/map/x", "/mapx"):
        assert anonymous.get(path).status_code == 401, path
    assert "/scenes" not in MAP_PUBLIC_PATHS and "/map" in MAP_PUBLIC_PATHS


def test_assets_are_the_known_files_only(anonymous: Any, client: Any) -> None:
    for name, (path, media) in ASSETS.items():
        answer = anonymous.get(f"/map/assets/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == media
        assert answer.content == path.read_bytes()
    for name in ("nope.js", "index.html", "../map_page.py", "..%2F..%2Fhttp_api.py",
                 "%2E%2E/leaflet/leaflet.js", "images/../../map_page.py", "LICENSE",
                 "/etc/passwd", "images"):
        assert client.get(f"/map/assets/{name}").status_code == 404, name


def test_page_loads_only_served_assets_and_names_no_remote_url() -> None:
    html = (MAP_DIR / "index.html").read_text(encoding="utf-8")
    for ref in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
        assert ref.startswith("/map/assets/") or ref.startswith("data:"), ref
        if ref.startswith("/map/assets/"):
            assert ref.removeprefix("/map/assets/") in ASSETS, ref
    own = [MAP_DIR / name for name in ("index.html", "map.css")] + [
        path for path, media in ASSETS.values() if path.parent == MAP_DIR]
    assert {p.name for p in MAP_DIR.iterdir()} == {p.name for p in own}
    for path in own:
        text = path.read_text(encoding="utf-8")
        code = re.sub(r"<!--.*?-->|/\*.*?\*/", "", text, flags=re.S)
        if path.suffix == ".js":
            code = re.sub(r"(?m)^\s*//.*$", "", code)
        assert not REMOTE.search(code), f"{path.name}: {REMOTE.search(code)}"


def test_vendored_leaflet_fetches_nothing_remote() -> None:
    leaflet = ASSETS["leaflet.js"][0].read_text(encoding="utf-8")
    found = set(re.findall(r"https?://[^\s\"' )]+", leaflet))
    # the SVG namespace (never fetched) and the attribution link the page replaces
    assert found <= {"http://www.w3.org/2000/svg", "https://leafletjs.com"}, found
    css = re.sub(r"/\*.*?\*/", "", ASSETS["leaflet.css"][0].read_text(encoding="utf-8"),
                 flags=re.S)
    assert not REMOTE.search(css)
    assert "1.9.4" in leaflet[:200]
    source = (ASSETS["leaflet.js"][0].parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "1.9.4" in source and "sha512-" in source and "BSD" in source


def test_tile_origins_widen_only_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_MAP_TILE_ORIGINS", "https://tile.example.org, https://*.b.org")
    app = http_api.create_app(tmp_path / "s", token=TOKEN)
    with TestClient(app, base_url=BASE_URL) as c:
        csp = _csp(c.get("/map"))
    assert csp["img-src"][-2:] == ["https://tile.example.org", "https://*.b.org"]
    assert csp["connect-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    for bad in ("*", "https://a.org/path", "javascript:x", "https://a.org'; script-src *"):
        monkeypatch.setenv("EARTHSIGHT_MAP_TILE_ORIGINS", bad)
        with pytest.raises(InputError, match="EARTHSIGHT_MAP_TILE_ORIGINS"):
            http_api.create_app(tmp_path / "s", token=TOKEN)
    assert "'unsafe" not in content_security_policy()


def test_login_goes_back_to_the_map_and_nowhere_else(anonymous: Any) -> None:
    form = anonymous.get("/login?next=/map")
    assert 'name="next" value="/map"' in form.text
    assert 'name="next"' not in anonymous.get("/login?next=https://evil.example").text
    for given, where in (("/map", "/map"), ("/docs", "/docs"), ("https://evil.example", "/docs"),
                         ("//evil.example", "/docs"), ("/map/../x", "/docs"), ("", "/docs")):
        answer = anonymous.post("/login", data={"token": TOKEN, "next": given},
                                follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == where, given
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith(LOGIN_COOKIE) and "httponly" in cookie
        assert "samesite=strict" in cookie
    wrong = anonymous.post("/login", data={"token": "nope", "next": "/map"},
                           follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


def test_serve_prints_the_map_address_with_the_token(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    monkeypatch.setenv("EARTHSIGHT_TOKEN", "a b/c+d")
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    http_api.serve("127.0.0.1", 8000, root=tmp_path / "sessions")
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].endswith("http://127.0.0.1:8000/map#token=" + quote("a b/c+d", safe=""))
    assert "EARTHSIGHT_TOKEN" in lines[0]  # the token's source is still named first
    monkeypatch.delenv("EARTHSIGHT_ALLOWED_HOSTS", raising=False)
    with pytest.raises(InputError, match="EARTHSIGHT_ALLOWED_HOSTS"):
        http_api.serve("0.0.0.0", 8000, root=tmp_path / "sessions")
