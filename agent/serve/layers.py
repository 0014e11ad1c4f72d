"""Scenes and artifacts as map layers: raster tiles from window reads, vectors as GeoJSON.

Routes (all behind the token or login cookie; answers never show server paths):

* ``GET /scenes`` -> ``{"scenes": [SceneView]}``: the raster files (.tif .tiff .jp2 .img) under
  the server's data roots (never the session workspaces), at most 4 folders deep, at most
  500, sorted by path. A SceneView is ``{"path" (as the API takes it: relative to its data
  root), "name", "crs", "width", "height", "bands", "bounds" ([w, s, e, n] lon/lat; null: no
  georeference), "layer" (a LayerView; null when not drawable)}``.
* ``GET /scenes/tiles/{z}/{x}/{y}.png?path=...``: a tile of a scene in natural colour (a path
  the server sandbox accepts, outside the session workspaces; refused: 403).
* ``GET /sessions/{id}/layers`` -> ``{"layers": [LayerView]}``: one per mask, raster and vector
  artifact of the session, in manifest order.
* ``GET /sessions/{id}/tiles/{layer_id}/{z}/{x}/{y}.png``: a tile of a mask or raster artifact
  in its style (the ``.qml`` beside it).
* ``GET /sessions/{id}/layers/{layer_id}.geojson``: a vector artifact in lon/lat
  (:mod:`agent.serve.vectors`).

A LayerView is ``{"id", "name", "kind" (scene | mask | raster | vector), "artifact_id", "step",
"tool", "call_id", "crs" (the source CRS), "bounds" ([w, s, e, n] lon/lat or null), "tiles"
(URL template with literal {z}/{x}/{y}), "geojson", "legend" ([{"value", "label", "color"}]),
"colorbar" ({"min", "max", "units", "colors"}), "units", "download", "note"}``.

Tiles are 256 x 256 RGBA PNGs in web mercator (:mod:`agent.serve.tiles`); a tile off the data
is transparent, a layer without georeference answers 404.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse

from agent.sandbox import GLOB_CHARS, Sandbox
from agent.serve.redact import Redactor
from agent.serve.sessions import Sessions, fail, inside
from agent.serve.styles import LayerStyle, artifact_style, scene_style
from agent.serve.tiles import (
    NOT_GEOREFERENCED,
    NotDrawable,
    RasterFacts,
    cached_style,
    check_tile,
    file_key,
    intersects,
    raster_facts,
    render_tile,
    tile_bounds,
    transparent_tile,
)
from agent.serve.vectors import vector_layer
from tools.core.artifacts import Artifact
from tools.core.workspace import Workspace

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2", ".img")
MAX_SCENES = 500
MAX_DEPTH = 4
"""Folders below a data root that ``/scenes`` looks into."""
MAX_SCANNED = 20_000
"""Raster files ``/scenes`` looks at before sorting and keeping :data:`MAX_SCENES`."""
LAYER_KINDS = ("mask", "raster", "vector")
TILE_CACHE = "private, max-age=300"
_CALL = re.compile(r"^(c\d+)(?=$|[-_.])")


def _view(**fields: Any) -> dict[str, Any]:
    """A LayerView with every key (None where not given)."""
    keys = ("id", "name", "kind", "artifact_id", "step", "tool", "call_id", "crs", "bounds",
            "tiles", "geojson", "legend", "colorbar", "units", "download", "note")
    return {key: fields.get(key) for key in keys}


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": TILE_CACHE})


def _tile(real: Path, facts: RasterFacts, style: Callable[[], LayerStyle], z: int, x: int,
          y: int, redact: Redactor) -> Response:
    """The PNG answer of tile z/x/y (404: no such tile or no georeference; 500: unreadable)."""
    try:
        check_tile(z, x, y)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from exc
    if facts.footprint is None:
        raise HTTPException(404, f"{real.name}: {NOT_GEOREFERENCED}")
    if not intersects(tile_bounds(z, x, y), facts.footprint.mercator):
        return _png(transparent_tile())
    try:
        return _png(render_tile(real, facts, style(), z, x, y))
    except NotDrawable as exc:
        raise HTTPException(404, f"{real.name}: {exc}") from exc
    except Exception as exc:  # GDAL cannot read the blocks under the tile: say which
        raise HTTPException(500, redact.text(f"tile {z}/{x}/{y} of {real.name} could not be "
                                             f"read: {type(exc).__name__}: {exc}")) from exc


def _facts(real: Path, redact: Redactor) -> RasterFacts:
    try:
        return raster_facts(real)
    except Exception as exc:
        raise HTTPException(400, redact.text(f"{real.name} is not a raster GDAL can read: "
                                             f"{exc}")) from exc


def _workspace_file(workspace: Path, path: str | None) -> Path | None:
    """The artifact's file resolved inside the workspace (None: missing or outside)."""
    if not path:
        return None
    try:
        return inside(workspace, Path(path))
    except HTTPException:
        return None


def _style_file(workspace: Path, art: Artifact, real: Path) -> Path | None:
    """The QGIS style beside a raster artifact: the one its record names, else
    ``<stem>.qml`` (both only inside the workspace)."""
    return _workspace_file(workspace, art.style) or _workspace_file(
        workspace, str(real.with_suffix(".qml")))


def _raster_style(workspace: Path, art: Artifact, real: Path) -> LayerStyle:
    qml = _style_file(workspace, art, real)
    extra = (art.id, art.name, art.units, art.description, file_key(qml) if qml else None)
    return cached_style(real, extra, lambda src: artifact_style(src, art, qml))


class _Routes:
    """The layer routes over the sessions and the server's sandbox."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.sandbox = Sandbox.from_env(sessions.root)  # as create_app builds the server's
        self.data_roots = [r for r in self.sandbox.roots if r != self.sandbox.workspace]
        self.redact = Redactor.for_sandbox(self.sandbox)

    # --- scenes -----------------------------------------------------------------------------

    def _in_sessions(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.sessions.root)

    def _scan(self) -> list[tuple[str, Path]]:
        """(path relative to its data root, file) of the rasters under the data roots; a path
        that an earlier root already holds is left out (the sandbox resolves it there)."""
        found: dict[str, Path] = {}
        for root in self.data_roots:
            if not root.is_dir() or self._in_sessions(root):
                continue
            for folder, dirs, files in os.walk(root):
                here = Path(folder)
                deep = len(here.relative_to(root).parts) >= MAX_DEPTH
                dirs[:] = [] if deep else sorted(
                    d for d in dirs if not d.startswith(".") and not self._in_sessions(here / d))
                for name in sorted(files):
                    file = here / name
                    rel = file.relative_to(root).as_posix()
                    if (name.startswith(".") or file.suffix.lower() not in RASTER_SUFFIXES
                            or rel in found or not self.sandbox.inside(file)
                            or self._in_sessions(file)):
                        continue
                    found[rel] = file
                    if len(found) >= MAX_SCANNED:
                        return sorted(found.items())
        return sorted(found.items())

    def scenes(self) -> dict[str, Any]:
        out = []
        for rel, file in self._scan():
            try:
                facts = raster_facts(file)
            except Exception:  # not a raster GDAL reads (a stray .img): not a scene
                continue
            foot = facts.footprint
            layer = None if foot is None else _view(
                id=f"scene:{rel}", name=file.name, kind="scene", crs=facts.crs,
                bounds=list(foot.lon_lat),
                tiles=f"/scenes/tiles/{{z}}/{{x}}/{{y}}.png?path={quote(rel, safe='')}")
            out.append({"path": rel, "name": file.name, "crs": facts.crs,
                        "width": facts.width, "height": facts.height, "bands": facts.count,
                        "bounds": None if foot is None else list(foot.lon_lat),
                        "layer": layer})
            if len(out) >= MAX_SCENES:
                break
        return {"scenes": out}  # relative paths and file names: nothing to redact

    def scene_file(self, path: str) -> Path:
        """The scene ``path`` names, through the server sandbox (403 refused, 404 missing)."""
        if GLOB_CHARS.search(path):
            raise HTTPException(400, "path: name one scene file, not a pattern")
        try:
            resolved = Path(self.sandbox.resolve(path, "path"))
        except Exception as exc:
            raise fail(exc, self.redact) from exc
        if not resolved.is_file():
            raise HTTPException(404, self.redact.text(f"path: no such scene {path!r}"))
        if self._in_sessions(resolved):
            raise HTTPException(403, "path: refused: files of a session are its layers "
                                "(GET /sessions/{id}/layers), not scenes")
        try:
            self.sandbox.check_members([resolved], "path")  # a GDAL VRT by its content
        except Exception as exc:
            raise fail(exc, self.redact) from exc
        return resolved.resolve()

    def scene_tile(self, path: str, z: int, x: int, y: int) -> Response:
        real = self.scene_file(path)
        facts = _facts(real, self.redact)
        return _tile(real, facts, lambda: cached_style(real, "scene", scene_style), z, x, y,
                     self.redact)

    # --- session artifacts --------------------------------------------------------------------

    def _artifact(self, workspace: Path, layer_id: str, kinds: tuple[str, ...]) -> Artifact:
        for art in Workspace(workspace).artifacts():
            if art.id == layer_id and art.kind in LAYER_KINDS and art.path:
                if art.kind not in kinds:
                    other = ("GET its tiles" if art.kind != "vector" else
                             "GET /sessions/{id}/layers/{layer_id}.geojson")
                    raise HTTPException(404, f"layer {layer_id!r} is a {art.kind}: {other}")
                return art
        raise HTTPException(404, f"no layer {layer_id!r} in this session")

    def _artifact_view(self, sid: str, workspace: Path, art: Artifact,
                       redact: Redactor) -> dict[str, Any]:
        layer = quote(art.id, safe="")
        call = _CALL.match(art.id)
        view = _view(id=art.id, name=art.name, kind=art.kind, artifact_id=art.id,
                     step=art.call.step, tool=art.call.tool,
                     call_id=call.group(1) if call else None, crs=art.crs, units=art.units,
                     download=f"/sessions/{sid}/artifacts/{layer}")
        real = _workspace_file(workspace, art.path)
        if real is None:
            return {**view, "note": "the file is missing from the session workspace"}
        try:
            if art.kind == "vector":
                found = vector_layer(real, art.crs)
                return {**view, "crs": found.crs, "geojson":
                        f"/sessions/{sid}/layers/{layer}.geojson",
                        "bounds": None if found.bounds is None else list(found.bounds),
                        "note": found.note}
            facts = raster_facts(real)
            view["crs"] = facts.crs or art.crs
            if facts.footprint is None:
                return {**view, "note": NOT_GEOREFERENCED}
            style = _raster_style(workspace, art, real)
        except NotDrawable as exc:
            return {**view, "note": str(exc)}
        except Exception as exc:  # an unreadable file: listed, with why it is not drawn
            return {**view, "note": redact.text(f"not drawn: {type(exc).__name__}: {exc}")}
        legend = style.legend()
        for entry in legend or []:
            entry["label"] = redact.text(entry["label"])
        return {**view, "bounds": list(facts.footprint.lon_lat), "legend": legend,
                "colorbar": style.colorbar(),
                "tiles": f"/sessions/{sid}/tiles/{layer}/{{z}}/{{x}}/{{y}}.png"}

    def layers(self, sid: str) -> dict[str, Any]:
        workspace = self.sessions.workspace(sid)
        redact = self.sessions.redactor(sid)
        views, seen = [], set()
        for art in Workspace(workspace).artifacts():
            if art.kind not in LAYER_KINDS or not art.path or art.id in seen:
                continue
            seen.add(art.id)
            view = self._artifact_view(sid, workspace, art, redact)
            view.update(name=redact.text(view["name"]), crs=view["crs"] and redact.text(
                view["crs"]))
            views.append(view)
        return {"layers": views}

    def layer_tile(self, sid: str, layer_id: str, z: int, x: int, y: int) -> Response:
        workspace = self.sessions.workspace(sid)
        redact = self.sessions.redactor(sid)
        art = self._artifact(workspace, layer_id, ("mask", "raster"))
        real = inside(workspace, Path(art.path or ""))
        facts = _facts(real, redact)
        return _tile(real, facts, lambda: _raster_style(workspace, art, real), z, x, y, redact)

    def geojson(self, sid: str, layer_id: str) -> JSONResponse:
        workspace = self.sessions.workspace(sid)
        redact = self.sessions.redactor(sid)
        art = self._artifact(workspace, layer_id, ("vector",))
        real = inside(workspace, Path(art.path or ""))
        try:
            found = vector_layer(real, art.crs)
        except NotDrawable as exc:
            raise HTTPException(404, f"{real.name}: {exc}") from exc
        except Exception as exc:
            raise HTTPException(500, redact.text(f"{real.name} could not be read: "
                                                 f"{type(exc).__name__}: {exc}")) from exc
        features = [{**f, "properties": redact(f["properties"])}
                    for f in found.collection["features"]]
        return JSONResponse({"type": "FeatureCollection", "features": features},
                            media_type="application/geo+json")


def add_layer_routes(app: FastAPI, sessions: Sessions) -> None:
    """Add ``/scenes`` and the ``/sessions/{id}/layers`` routes to ``app`` (see the module
    docstring for what they answer)."""
    routes = _Routes(sessions)

    @app.get("/scenes")
    def list_scenes() -> dict[str, Any]:
        return routes.scenes()

    @app.get("/scenes/tiles/{z}/{x}/{y}.png", response_class=Response)
    def scene_tile(z: int, x: int, y: int, path: str) -> Response:
        return routes.scene_tile(path, z, x, y)

    @app.get("/sessions/{session_id}/layers")
    def list_layers(session_id: str) -> dict[str, Any]:
        return routes.layers(session_id)

    @app.get("/sessions/{session_id}/tiles/{layer_id}/{z}/{x}/{y}.png", response_class=Response)
    def layer_tile(session_id: str, layer_id: str, z: int, x: int, y: int) -> Response:
        return routes.layer_tile(session_id, layer_id, z, x, y)

    @app.get("/sessions/{session_id}/layers/{layer_id}.geojson", response_class=JSONResponse)
    def layer_geojson(session_id: str, layer_id: str) -> JSONResponse:
        return routes.geojson(session_id, layer_id)
