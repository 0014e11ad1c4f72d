"""Secure defaults of the HTTP API and the MCP-over-HTTP server (one shared policy)."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from agent.errors import BusyError, SandboxRefused, report
from agent.serve import http_api
from agent.serve.redact import Redactor
from agent.serve.security import SecurityPolicy
from agent.serve.token import load_token
from tests.agent.api_client import AUTH, BASE_URL, FLOW, TOKEN
from tests.agent.describer_fakes import make_scene
from tools.core.errors import InputError


@pytest.fixture
def app(tmp_path: Path, data_root: Path) -> Any:
    """The API over ``tmp_path/sessions`` with the test token."""
    return http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)


# --- token --------------------------------------------------------------------------------------

def test_no_token_no_answer(app: Any) -> None:
    with TestClient(app, base_url=BASE_URL) as anonymous:
        assert anonymous.get("/health").status_code == 401
        assert anonymous.post("/sessions").status_code == 401
        assert anonymous.get("/docs").status_code == 401
        wrong = anonymous.get("/health", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        browser = anonymous.get("/docs", headers={"Accept": "text/html"},
                                follow_redirects=False)
        assert browser.status_code == 303 and browser.headers["location"] == "/login"


def test_token_file_is_made_private_and_reused(tmp_path: Path) -> None:
    path = Path(os.environ["EARTHSIGHT_TOKEN_FILE"])
    assert not path.exists()
    first = http_api.create_app(tmp_path / "s1").state.token
    assert first.source == "file" and first.generated and first.path == path
    assert len(first.value) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert first.value in first.describe() and str(path) in first.describe()
    again = http_api.create_app(tmp_path / "s2").state.token
    assert again.value == first.value and not again.generated
    assert again.value not in again.describe() and again.value not in repr(again)
    with TestClient(http_api.create_app(tmp_path / "s3"), base_url=BASE_URL) as c:
        assert c.get("/health").status_code == 401
        assert c.get("/health", headers={"Authorization": f"Bearer {first.value}"}
                     ).status_code == 200


def test_a_loose_token_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loose = tmp_path / "loose-token"
    loose.write_text("secret-token\n", encoding="utf-8")
    loose.chmod(0o644)
    monkeypatch.setenv("EARTHSIGHT_TOKEN_FILE", str(loose))
    with pytest.raises(InputError, match="0644, looser than 0600"):
        load_token()
    loose.chmod(0o600)
    assert load_token().value == "secret-token"
    link = tmp_path / "link-token"
    link.symlink_to(loose)
    monkeypatch.setenv("EARTHSIGHT_TOKEN_FILE", str(link))
    with pytest.raises(InputError, match="symlink"):
        load_token()


def test_env_token_wins_over_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_TOKEN", "from-env")
    token = load_token()
    assert token.source == "env" and token.value == "from-env"
    assert "from-env" not in token.describe()
    assert not Path(os.environ["EARTHSIGHT_TOKEN_FILE"]).exists()


def test_serve_prints_its_start_up_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    access = logging.getLogger("earthsight.access")

    def run(app: Any, **kw: Any) -> None:
        calls.append({**kw, "handlers": list(access.handlers)})

    monkeypatch.setattr(uvicorn, "run", run)
    http_api.serve("127.0.0.1", 8123, tmp_path / "sessions")
    assert calls[0]["handlers"] and not access.handlers  # access lines to stderr while serving
    first = capsys.readouterr().err.strip().splitlines()
    token = Path(os.environ["EARTHSIGHT_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
    assert len(first) == 2, first  # the API line, then the map page's address
    assert "http://127.0.0.1:8123/login" in first[0] and token in first[0]
    assert first[1].endswith(f"http://127.0.0.1:8123/map#token={token}")
    assert os.environ["EARTHSIGHT_TOKEN_FILE"] in first[0]
    assert calls[0]["access_log"] is False and calls[0]["host"] == "127.0.0.1"
    http_api.serve("127.0.0.1", 8123, tmp_path / "sessions")  # a restart: the same file
    second = capsys.readouterr().err.strip().splitlines()
    assert len(second) == 2 and token not in second[0]  # the API line names only the file
    assert os.environ["EARTHSIGHT_TOKEN_FILE"] in second[0]
    assert second[1].endswith(f"/map#token={token}")  # the link a newcomer opens, every start


# --- Host, Origin, CORS -------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8000", "[::1]:9", "LOCALHOST"])
def test_loopback_names_are_accepted(client: TestClient, host: str) -> None:
    assert client.get("/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                                  "10.0.0.5"])
def test_a_foreign_host_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/health", headers={"Host": host})
    assert response.status_code == 403 and "not allowed" in response.json()["detail"]
    assert client.post("/sessions", headers={"Host": host}).status_code == 403


def test_allowed_hosts_from_the_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_ALLOWED_HOSTS", "earthsight.example.org, 10.0.0.5")
    app = http_api.create_app(tmp_path / "s", token=TOKEN, host="10.0.0.5", port=8000)
    with TestClient(app, base_url="http://10.0.0.5:8000", headers=AUTH) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/health", headers={"Host": "earthsight.example.org"}).status_code == 200
        assert c.get("/health", headers={"Host": "localhost"}).status_code == 403
        assert c.get("/health", headers={"Host": "evil.example"}).status_code == 403


def test_cross_origin_requests_are_refused(client: TestClient) -> None:
    evil = client.post("/sessions", headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "Origin" in evil.json()["detail"]
    assert client.post("/sessions", headers={"Origin": "null"}).status_code == 403
    other_port = client.post("/sessions", headers={"Origin": "http://127.0.0.1:3000"})
    assert other_port.status_code == 403  # another local site is another origin
    own = client.post("/sessions", headers={"Origin": "http://127.0.0.1"})
    assert own.status_code == 201 and "access-control-allow-origin" not in own.headers


def test_cors_only_for_listed_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_CORS_ORIGINS", "https://app.example.org")
    app = http_api.create_app(tmp_path / "s", token=TOKEN)
    with TestClient(app, base_url=BASE_URL) as c:
        preflight = c.options("/sessions", headers={
            "Origin": "https://app.example.org", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
        listed = c.post("/sessions", headers={**AUTH, "Origin": "https://app.example.org"})
        assert listed.status_code == 201
        assert listed.headers["access-control-allow-origin"] == "https://app.example.org"
        assert c.post("/sessions", headers={**AUTH, "Origin": "https://evil.example"}
                      ).status_code == 403
    monkeypatch.setenv("EARTHSIGHT_CORS_ORIGINS", "*")
    with pytest.raises(InputError, match="not accepted"):
        http_api.create_app(tmp_path / "s", token=TOKEN)


# --- body limits --------------------------------------------------------------------------------

def test_oversized_bodies_are_refused(client: TestClient, session: str) -> None:
    url = f"/sessions/{session}/tools/describe_raster"
    big = json.dumps({"args": {"image": "x" * (1024 * 1024 + 10)}}).encode()
    declared = client.post(url, content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "EARTHSIGHT_MAX_BODY_BYTES" in declared.text

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 64 * 1024):
            yield big[i:i + 64 * 1024]

    chunked = client.post(url, content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413, chunked.text
    fine = client.post(url, json={"args": {"image": "absent.tif"}})
    assert fine.status_code == 400  # a small body reaches the app


def test_the_body_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_MAX_BODY_BYTES", "100")
    app = http_api.create_app(tmp_path / "s", token=TOKEN)
    with TestClient(app, base_url=BASE_URL, headers=AUTH) as c:
        assert c.post("/sessions", content=b"{}" * 60).status_code == 413
        assert c.post("/sessions", content=iter([b"{}"] * 60)).status_code == 413
        assert c.post("/sessions", content=b"{}").status_code == 201


def test_oversized_inline_yaml_is_refused(client: TestClient, session: str) -> None:
    huge = FLOW + "#" + "x" * (300 * 1024) + "\n"
    response = client.post(f"/sessions/{session}/workflows", json={"yaml": huge, "inputs": {}})
    assert response.status_code == 413, response.text


# --- inline workflows stay in memory ------------------------------------------------------------

def test_inline_yaml_never_stays_in_the_workspace(client: TestClient, session: str,
                                                  tmp_path: Path) -> None:
    workspace = tmp_path / "sessions" / session
    before = sorted(p.name for p in workspace.iterdir())
    bad = FLOW.replace("pseudo_rgb", "no_such_tool")
    rejected = client.post(f"/sessions/{session}/workflows",
                           json={"yaml": bad, "inputs": {"image": "scenes/scene.tif"}})
    assert rejected.status_code == 400 and "no_such_tool" in rejected.text, rejected.text
    assert str(tmp_path) not in rejected.text and "inline-workflow" in rejected.text
    assert sorted(p.name for p in workspace.iterdir()) == before
    ok = client.post(f"/sessions/{session}/workflows",
                     json={"yaml": FLOW, "inputs": {"image": "scenes/scene.tif"}})
    assert ok.status_code == 200, ok.text
    assert not list(workspace.glob("*.yaml")) and not list(workspace.glob("*.yml"))


# --- no server paths in answers -----------------------------------------------------------------

def test_answers_name_no_server_path(client: TestClient, session: str, tmp_path: Path,
                                     data_root: Path) -> None:
    workspace = tmp_path / "sessions" / session
    make_scene(workspace, "mine.tif")
    texts: list[str] = []

    created = client.post("/sessions")
    assert created.json()["workspace"] == "<workspace>"
    texts.append(created.text)
    texts.append(client.get(f"/sessions/{session}").text)
    tool = client.post(f"/sessions/{session}/tools/describe_raster",
                       json={"args": {"image": "mine.tif"}})
    assert tool.status_code == 200, tool.text
    assert tool.json()["result_path"] == Path(tool.json()["result_path"]).name
    texts.append(tool.text)
    rgb = client.post(f"/sessions/{session}/tools/pseudo_rgb",
                      json={"args": {"image": "scenes/scene.tif"}})  # from the data root
    assert rgb.status_code == 200, rgb.text
    texts.append(rgb.text)
    listing = client.get(f"/sessions/{session}/artifacts")
    texts.append(listing.text)
    files = [a for a in listing.json()["artifacts"] if a.get("url")]
    assert files and all(not Path(a["path"]).is_absolute() for a in files)
    download = client.get(files[0]["url"])
    assert download.status_code == 200 and download.content[:2] in (b"II", b"MM")
    again = client.post(f"/sessions/{session}/tools/describe_raster",
                        json={"args": {"image": files[0]["path"]}})  # a returned path works
    assert again.status_code == 200, again.text
    texts.append(again.text)
    texts.append(client.get(f"/sessions/{session}/files/manifest.jsonl").text)
    texts.append(client.post(f"/sessions/{session}/ask", json={
        "request": "describe the raster", "images": ["mine.tif"]}).text)
    texts.append(client.post(f"/sessions/{session}/workflows", json={
        "yaml": FLOW, "inputs": {"image": "scenes/scene.tif"}}).text)
    outside = make_scene(tmp_path / "elsewhere", "secret.tif")
    refused = client.post(f"/sessions/{session}/tools/describe_raster",
                          json={"args": {"image": str(outside)}})
    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert "<workspace>" in detail and "<data>" in detail and "<server>/secret.tif" in detail
    texts.append(refused.text)
    missing = client.post(f"/sessions/{session}/workflows",
                          json={"workflow": "absent.yaml", "inputs": {}})
    texts.append(missing.text)
    texts.append(client.get("/tools").text)
    for text in texts:
        assert str(tmp_path) not in text, text[:500]


def test_the_redactor() -> None:
    red = Redactor("/srv/sessions/ab", ["/srv/sessions/ab", "/data/eo"])
    assert red.text("/srv/sessions/ab/s1_water.tif") == "s1_water.tif"
    assert red.text("at /data/eo/sar/x.tif.") == "at sar/x.tif."
    assert red.text("roots: /srv/sessions/ab, /data/eo.") == "roots: <workspace>, <data>."
    assert red.text("'/etc/ssh/key' missing") == "'<server>/key' missing"
    assert red.text("see http://host.example/a/b and file:///etc/passwd") == (
        "see http://host.example/a/b and file:///etc/passwd")
    assert red.text("/srv/sessions/abc/x.tif") == "<server>/x.tif"
    assert red({"url": "/sessions/ab/artifacts/1", "path": "/data/eo/a.tif"}) == {
        "url": "/sessions/ab/artifacts/1", "path": "a.tif"}


# --- status codes -------------------------------------------------------------------------------

def test_error_statuses() -> None:
    def status(exc: BaseException) -> int:
        return report(exc).http_status

    assert status(SandboxRefused("image: refused")) == 403
    assert status(PermissionError("no")) == 403
    assert status(BusyError("busy")) == 429
    assert status(InputError("bad")) == 400
    assert status(ValueError("bug")) == 500


def test_a_refused_path_is_403_everywhere(client: TestClient, session: str,
                                          tmp_path: Path) -> None:
    outside = str(make_scene(tmp_path / "elsewhere"))
    base = f"/sessions/{session}"
    assert client.post(f"{base}/tools/describe_raster",
                       json={"args": {"image": outside}}).status_code == 403
    assert client.post(f"{base}/ask", json={"request": "describe the raster",
                                            "images": [outside]}).status_code == 403
    assert client.post(f"{base}/workflows", json={"yaml": FLOW, "inputs": {"image": outside}}
                       ).status_code == 403
    assert client.post(f"{base}/workflows", json={"workflow": outside.replace(".tif", ".yaml")}
                       ).status_code == 403
    assert client.get(f"{base}/files/..%2F..%2Felsewhere%2Fscene.tif").status_code in (403, 404)


# --- browser login and docs ---------------------------------------------------------------------

def test_cookie_login_opens_the_docs(app: Any) -> None:
    with TestClient(app, base_url=BASE_URL) as browser:
        form = browser.get("/login")
        assert form.status_code == 200 and 'name="token"' in form.text
        assert "http://" not in form.text and "https://" not in form.text
        wrong = browser.post("/login", data={"token": "nope"}, follow_redirects=False)
        assert wrong.status_code == 401 and not browser.cookies
        login = browser.post("/login", data={"token": TOKEN}, follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/docs"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Path=/" in cookie and TOKEN not in cookie
        docs = browser.get("/docs")
        assert docs.status_code == 200, docs.text
        assert "/docs/assets/swagger-ui-bundle.js" in docs.text
        assert "/docs/assets/swagger-ui.css" in docs.text
        assert "http://" not in docs.text and "https://" not in docs.text
        script = browser.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and "SwaggerUIBundle" in script.text
        assert browser.get("/docs/assets/swagger-ui.css").status_code == 200
        assert browser.get("/openapi.json").status_code == 200
        assert browser.get("/redoc").status_code == 404
    with TestClient(app, base_url=BASE_URL) as stranger:
        assert stranger.get("/docs/assets/swagger-ui-bundle.js").status_code == 401


# --- access log ---------------------------------------------------------------------------------

def test_one_access_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="earthsight.access")
    client.get("/health?secret=shh")
    client.get("/health", headers={"Host": "evil.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "earthsight.access"]
    assert len(lines) == 2, lines
    assert '"GET /health" 200' in lines[0] and "ms" in lines[0]
    assert '"GET /health" 403' in lines[1]
    assert all("shh" not in line and TOKEN not in line for line in lines)


def test_policy_repr_hides_the_token() -> None:
    policy = SecurityPolicy.from_env("very-secret-token")
    assert "very-secret-token" not in repr(policy)
    assert policy.cookie_value() != "very-secret-token"


def test_validation_errors_are_redacted(client: TestClient, session: str,
                                        tmp_path: Path) -> None:
    response = client.post(f"/sessions/{session}/ask",
                           json={"images": [str(tmp_path / "a" / "b.tif")]})
    assert response.status_code == 422, response.text
    assert str(tmp_path) not in response.text and "request" in response.text
