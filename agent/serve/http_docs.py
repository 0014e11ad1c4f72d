"""Browser pages of the HTTP API: ``/login`` and the API docs at ``/docs`` (no remote assets).

* ``GET /login``: a small self-contained form asking for the token (reachable without it).
* ``POST /login`` (form fields ``token``, optional ``next``): the right token sets the login
  cookie (an HMAC of the token; ``HttpOnly``, ``SameSite=Strict``, ``Path=/``, ``Secure`` over
  HTTPS) and redirects (303) to ``next`` when it is one of :data:`NEXT_PAGES` (``/map``,
  ``/docs``), else to ``/docs``; a wrong one answers a 401 page. ``GET /login?next=/map`` keeps
  ``next`` in the form.
* ``GET /docs``: Swagger UI (behind the token or the cookie), its script and stylesheet served
  by the app itself from ``agent/serve/web/swagger`` (``swagger-ui-dist`` 5.35.0, Apache-2.0, see
  the ``LICENSE`` and ``NOTICE`` there), never from a CDN. ``/redoc`` is off.
"""

from __future__ import annotations

import hmac
import html
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from agent.serve.security import LOGIN_COOKIE, SecurityPolicy

SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_DIR = Path(__file__).resolve().parent / "web" / "swagger"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
LOGIN_PATH = "/login"
DOCS_PATH = "/docs"
NEXT_PAGES = ("/docs", "/map")
"""Where a login may redirect (never an address given by the client: no open redirect)."""
MAX_FORM = 4096

_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")
_DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "frame-ancestors 'none'; base-uri 'none'")
_LOGIN = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>EarthSight login</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:26em;margin:4em auto;padding:0 1em}}
input{{width:100%;padding:.5em;margin:.5em 0;box-sizing:border-box}}
.error{{color:#b00020}}</style></head>
<body><h1>EarthSight</h1>{message}
<form method="post" action="/login">{next_field}
<label for="token">Server token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="submit" value="Log in"></form>
<p>The token is printed when the server starts (or read <code>EARTHSIGHT_TOKEN</code> /
the server's token file).</p></body></html>
"""


def _next_page(value: str | None) -> str:
    """``value`` when it is one of :data:`NEXT_PAGES`, else ``/docs``."""
    return value if value in NEXT_PAGES else DOCS_PATH


def _page(message: str = "", status: int = 200, next_page: str = DOCS_PATH) -> HTMLResponse:
    field = (f'\n<input type="hidden" name="next" value="{html.escape(next_page)}">'
             if next_page != DOCS_PATH else "")
    body = _LOGIN.format(message=f'<p class="error">{html.escape(message)}</p>' if message
                         else "", next_field=field)
    return HTMLResponse(body, status_code=status, headers={
        "Content-Security-Policy": _PAGE_CSP, "Cache-Control": "no-store"})


def add_browser_pages(app: FastAPI, policy: SecurityPolicy) -> None:
    """Add ``/login``, ``/docs`` and the docs' assets to ``app`` (built with ``docs_url=None``,
    ``redoc_url=None``); ``/login`` must be among ``policy.public_paths``."""

    @app.get(LOGIN_PATH, include_in_schema=False)
    def login_form(next_page: str | None = Query(None, alias="next")) -> HTMLResponse:
        return _page(next_page=_next_page(next_page))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_FORM:
            return _page("The form is too large.", 413)
        fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8)
        given = (fields.get("token") or [""])[0].strip()
        next_page = _next_page((fields.get("next") or [""])[0])
        if not given or not hmac.compare_digest(given.encode(), policy.token.encode()):
            return _page("Wrong token.", 401, next_page)
        response = RedirectResponse(next_page, status_code=303)
        response.set_cookie(LOGIN_COOKIE, policy.cookie_value(), httponly=True,
                            samesite="strict", path="/", secure=request.url.scheme == "https")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        from fastapi.openapi.docs import get_swagger_ui_html

        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{DOCS_PATH}/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_PATH}/assets/swagger-ui.css",
            swagger_favicon_url="data:,",
            swagger_ui_parameters={"validatorUrl": None})
        page.headers["Content-Security-Policy"] = _DOCS_CSP
        return page

    @app.get(DOCS_PATH + "/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media = ASSETS.get(name)
        if media is None:
            return Response(status_code=404)
        return FileResponse(SWAGGER_DIR / name, media_type=media,
                            headers={"Cache-Control": "private, max-age=86400"})
