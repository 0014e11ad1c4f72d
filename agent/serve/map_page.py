"""The map page: a chat panel beside a map, served by the app itself (no remote assets).

* ``GET /map``: the page shell (``agent/serve/web/map/index.html``; no data in it, so it is
  public), with a strict Content-Security-Policy: scripts, styles and connections only from
  the server itself, images from it (tiles) and ``data:``/``blob:``, no framing.
* ``GET /map/assets/{name}``: the page's own scripts and stylesheet and the vendored Leaflet
  1.9.4 (``agent/serve/web/leaflet``, from npm, BSD-2-Clause; see ``SOURCE.md`` there). Only
  the files listed in :data:`ASSETS` are served; any other name is a 404.
* ``GET /``: 303 to ``/map``.

Everything the page shows beyond the shell (scenes, layers, tiles, the conversation) comes from
routes behind the token or the login cookie: the page posts the ``#token=...`` fragment of the
URL ``earthsight serve`` prints to ``/login`` (``next=/map``) and then uses the cookie.

An online basemap is optional and chosen on the page (a URL template kept in the browser's
``localStorage``); the CSP lets images load only from the origins listed in
``EARTHSIGHT_MAP_TILE_ORIGINS`` (comma-separated, e.g. ``https://tile.openstreetmap.org``),
none by default, so nothing leaves the machine unless the operator allows it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response

from agent.serve.security import SecurityPolicy
from tools.core.errors import InputError

WEB_DIR = Path(__file__).resolve().parent / "web"
MAP_DIR = WEB_DIR / "map"
LEAFLET_DIR = WEB_DIR / "leaflet"
LEAFLET_VERSION = "1.9.4"
MAP_PATH = "/map"
ASSET_PREFIX = MAP_PATH + "/assets/"
TILE_ORIGINS_ENV = "EARTHSIGHT_MAP_TILE_ORIGINS"

_JS, _CSS, _PNG = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "image/png"
ASSETS: dict[str, tuple[Path, str]] = {
    **{name: (MAP_DIR / name, _JS)
       for name in ("api.js", "layers.js", "draw.js", "chat.js", "map.js")},
    "map.css": (MAP_DIR / "map.css", _CSS),
    "leaflet.js": (LEAFLET_DIR / "leaflet.js", _JS),
    "leaflet.css": (LEAFLET_DIR / "leaflet.css", _CSS),
    **{f"images/{name}": (LEAFLET_DIR / "images" / name, _PNG)
       for name in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                    "marker-shadow.png")},
}
"""Every file ``/map/assets/`` serves: the name in the URL -> (file, media type). Leaflet's
stylesheet names its images relative to itself (``images/...``)."""

MAP_PUBLIC_PATHS: frozenset[str] = frozenset(
    {"/", MAP_PATH, *(ASSET_PREFIX + name for name in ASSETS)})
"""Paths reachable without the token: the page shell and its vendored assets (no data)."""

_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


def tile_origins(text: str | None = None) -> tuple[str, ...]:
    """The extra image origins of the CSP (``EARTHSIGHT_MAP_TILE_ORIGINS`` when ``text`` is
    None): ``http(s)://host[:port]``, ``*.`` allowed as the first label.

    Raises:
        InputError: An entry that is not such an origin (a path, a quote, ``*`` alone).
    """
    raw = os.environ.get(TILE_ORIGINS_ENV, "") if text is None else text
    origins = []
    for item in raw.split(","):
        origin = item.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise InputError(f"{TILE_ORIGINS_ENV}: {item.strip()!r} is not an origin like "
                             "https://tile.example.org (scheme and host, no path)")
        origins.append(origin)
    return tuple(origins)


def content_security_policy(extra_image_origins: tuple[str, ...] = ()) -> str:
    """The page's CSP: nothing from elsewhere (images only from ``extra_image_origins``)."""
    images = " ".join(("'self'", "data:", "blob:", *extra_image_origins))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def add_map_page(app: FastAPI, policy: SecurityPolicy) -> None:
    """Add ``/map``, its assets and the ``/`` redirect to ``app``; every path of
    :data:`MAP_PUBLIC_PATHS` must be among ``policy.public_paths`` (the page shell and assets
    carry no data; the data routes stay behind the token).

    Raises:
        InputError: A bad ``EARTHSIGHT_MAP_TILE_ORIGINS``.
    """
    missing = MAP_PUBLIC_PATHS - policy.public_paths
    if missing:
        raise InputError(f"the map page needs public paths {sorted(missing)} in the policy")
    headers = {"Content-Security-Policy": content_security_policy(tile_origins()),
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(MAP_PATH, status_code=303)

    @app.get(MAP_PATH, include_in_schema=False)
    def map_page() -> Response:
        return FileResponse(MAP_DIR / "index.html", media_type="text/html; charset=utf-8",
                            headers=headers)

    @app.get(ASSET_PREFIX + "{name:path}", include_in_schema=False)
    def map_asset(name: str) -> Response:
        known = ASSETS.get(name)
        if known is None:
            return Response("no such asset", status_code=404, media_type="text/plain")
        path, media = known
        return FileResponse(path, media_type=media, headers={
            "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def map_page_url(policy: SecurityPolicy) -> str:
    """The map page's address with the token in its fragment (never sent to the server: the
    page posts it to ``/login`` for the cookie and removes it from the address)."""
    from urllib.parse import quote

    from agent.serve.security import base_url

    return f"{base_url(policy)}{MAP_PATH}#token={quote(policy.token, safe='')}"
