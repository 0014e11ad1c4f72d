"""The HTTP API (FastAPI): sessions, streamed agent runs, tools, workflows, artifacts.

    earthsight serve [--host 127.0.0.1] [--port 8000] [--root sessions]

Endpoints (OpenAPI schema at ``/openapi.json``, docs at ``/docs``):

* ``POST /sessions`` → ``{"session_id", "workspace"}``: a new workspace folder under the root.
* ``POST /sessions/{id}/ask`` ``{"request", "images", "planner", "dry_run"}`` → NDJSON stream
  (``application/x-ndjson``): one ``{"event": "progress", ...}`` line per agent progress event,
  then one ``{"event": "result", "result": AgentResult}`` (or ``{"event": "error"}``) line.
* ``POST /sessions/{id}/tools/{name}`` ``{"args"}`` → the tool's result record (one operation
  per tool in the OpenAPI schema, its arguments and result typed from the tool record).
* ``POST /sessions/{id}/workflows`` ``{"workflow" | "yaml", "inputs"}`` → the workflow's result.
* ``GET /sessions/{id}/artifacts`` → the manifest's records with download URLs (a raster's
  quick-look PNG and QGIS style too: ``quicklook_url``, ``style_url``);
  ``GET /sessions/{id}/artifacts/{artifact_id}`` and ``GET /sessions/{id}/files/{path}``
  download a file; anything resolving outside the session workspace is refused (403).
* ``/sessions/{id}/chat`` (a persisted multi-turn session with approvals and drawn regions,
  :mod:`agent.serve.chat`), ``/scenes`` and ``/sessions/{id}/layers`` (scenes and artifacts as
  map layers, :mod:`agent.serve.layers`), ``/map`` (the map page, :mod:`agent.serve.map_page`).
* ``GET /tools`` → every tool's schemas; ``GET /health``.

Streamed runs (ask, chat turns) take their job slot and stream through
:func:`agent.serve.streams.run_streamed`.

**Security** (:mod:`agent.serve.security`, one policy with the MCP server). Every request needs
``Authorization: Bearer <token>`` or the browser login cookie (401 otherwise): the token is
``EARTHSIGHT_TOKEN``, else the private token file (made on first start, see
:mod:`agent.serve.token`). The ``Host`` header must name the server and a cross-origin
``Origin`` must be listed in ``EARTHSIGHT_CORS_ORIGINS`` (403 otherwise); bodies over
``EARTHSIGHT_MAX_BODY_BYTES`` (1 MiB) and inline workflows over 256 KiB are refused (413).
``GET /login`` is a token form for browsers; ``/docs`` (Swagger UI, served locally) needs the
login. Every file argument goes through the session's :class:`~agent.sandbox.Sandbox` (403
when refused). Answers never show server paths (:mod:`agent.serve.redact`): workspace files are
named relative to the workspace, data files relative to their data root. Inline workflow YAML
is parsed in memory, never written to the workspace.

**Runtime.** Each session runs through its own :class:`~agent.runtime.Runtime` (its workspace,
its sandbox, the describer rule of :func:`agent.runtime.choose_describer`); all share one set of
job slots. Errors follow :func:`agent.errors.report` (400, 403 refused, 429 busy, 500).

**Jobs.** At most ``Sandbox.max_jobs`` runs (ask, tool, workflow) at once, server-wide; a request
beyond that is answered ``429`` with ``Retry-After`` at once rather than queued, so a client
never hangs on a busy server. An ask's planner is built inside its slot (a local model load
counts as a job); an unknown planner name is refused before (``400``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.planners.shared import planner_key
from agent.runtime import make_runtime
from agent.serve.chat import add_chat_routes
from agent.serve.http_docs import LOGIN_PATH, add_browser_pages
from agent.serve.http_tools import ToolBody, add_tool_routes
from agent.serve.layers import add_layer_routes
from agent.serve.map_page import MAP_PUBLIC_PATHS, add_map_page, map_page_url
from agent.serve.payloads import to_jsonable
from agent.serve.redact import Redactor
from agent.serve.security import (
    SecurityPolicy,
    access_log_to_stderr,
    announce,
    check_bind,
    install,
    is_loopback,
    token_ok,
)
from agent.serve.sessions import Sessions, download, fail, inside
from agent.serve.streams import Progress, run_streamed
from agent.serve.token import TOKEN_ENV, ServerToken, load_token
from tools.catalog import tool_schemas
from tools.core.errors import InputError
from tools.core.registry import Describer
from tools.core.scene_options import GSD_HELP, REGION_HELP, Gsd
from tools.core.workspace import Workspace

__all__ = ["TOKEN_ENV", "InputError", "ToolBody", "check_bind", "create_app", "is_loopback",
           "serve", "token_ok"]

MAX_INLINE_YAML = 256 * 1024


class AskBody(BaseModel):
    """A question for the agent."""

    model_config = ConfigDict(extra="forbid")

    request: str = Field(description="the question, in plain language")
    images: list[str] = Field(default_factory=list, description="scene files (sandboxed)")
    gsd: Gsd | None = Field(None, description=GSD_HELP)
    region: str | list[float] | None = Field(None, description=REGION_HELP)
    planner: str = "offline"
    dry_run: bool = False


class WorkflowBody(BaseModel):
    """A workflow to run: a file or inline YAML, and its inputs."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None = Field(None, description="workflow file (sandboxed path)")
    yaml: str | None = Field(None, description="or the workflow itself, as YAML text "
                             "(at most 256 KiB; parsed in memory, never stored)")
    inputs: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False


def _error_handlers(app: FastAPI, redactor: Redactor) -> None:
    """Every error detail goes through ``redactor`` (a safety net: endpoints redact with the
    session's redactor first)."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse({"detail": redactor(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = to_jsonable([{k: v for k, v in e.items() if k != "ctx"}
                              for e in exc.errors()])
        return JSONResponse({"detail": redactor(detail)}, status_code=422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def create_app(root: str | Path = "sessions", token: str | None = None,
               max_jobs: int | None = None, describer: Describer | None = None, *,
               host: str = "127.0.0.1", port: int | None = None) -> FastAPI:
    """Build the FastAPI app (with the security policy of :mod:`agent.serve.security`).

    Args:
        root: Folder that holds one workspace folder per session.
        token: Bearer token every request must carry (None or empty: ``EARTHSIGHT_TOKEN``,
            else the token file, made when missing; see :func:`agent.serve.token.load_token`).
        max_jobs: Runs at once (default: ``EARTHSIGHT_MAX_JOBS``).
        describer: A describer that wins over the configuration (see
            :func:`agent.runtime.choose_describer`).
        host: The address the app is served on (the ``Host`` names it accepts).
        port: The port it is served on (its own ``Origin``).

    Returns:
        The app (serve it with uvicorn, or test it with ``fastapi.testclient.TestClient`` and
        ``base_url="http://127.0.0.1"``). ``app.state.token`` says where the token came from.

    Raises:
        InputError: An invalid LLM configuration (file or environment), a refused token file
            or a bad ``EARTHSIGHT_*`` security setting.
    """
    server_token: ServerToken = load_token(token)
    policy = SecurityPolicy.from_env(server_token.value, host, port,
                                     public_paths={LOGIN_PATH, *MAP_PUBLIC_PATHS},
                                     login_path=LOGIN_PATH)
    server = make_runtime(Path(root), max_jobs=max_jobs, sandbox=True, describer=describer)
    sessions = Sessions(Path(root), server.limiter, server.explicit_describer or
                        server.describer)
    server_redactor = Redactor(None, server.sandbox.roots[1:] if server.sandbox else ())

    app = FastAPI(title="EarthSight", version="0.1.0", docs_url=None, redoc_url=None,
                  description="A remote-sensing analyst's agent over HTTP.")
    install(app, policy)
    _error_handlers(app, server_redactor)
    add_browser_pages(app, policy)
    add_map_page(app, policy)
    app.state.limiter = server.limiter
    app.state.sessions = sessions
    app.state.policy = policy
    app.state.token = server_token

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "running": server.limiter.running,
                "max_jobs": server.limiter.max_jobs}

    @app.get("/tools")
    def list_tools() -> list[dict[str, Any]]:
        schemas: list[dict[str, Any]] = server_redactor(tool_schemas())
        return schemas

    @app.post("/sessions", status_code=201)
    def create_session() -> dict[str, str]:
        session_id = sessions.create()
        return {"session_id": session_id,
                "workspace": sessions.redactor(session_id).text(
                    str(sessions.workspace(session_id)))}

    @app.get("/sessions/{session_id}")
    def get_session(session_id: str) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        return {"session_id": session_id,
                "workspace": sessions.redactor(session_id).text(str(workspace)),
                "artifacts": len(Workspace(workspace).artifacts())}

    @app.post("/sessions/{session_id}/ask")
    def ask(session_id: str, body: AskBody) -> StreamingResponse:
        runtime = sessions.runtime(session_id)
        redact = sessions.redactor(session_id)
        checks = runtime.checks()
        try:  # refused before a job slot is taken: the images (checked once), the planner
            if not body.dry_run:
                checks.scenes(body.images, must_exist=True)
            planner_key(body.planner)
        except Exception as exc:
            raise fail(exc, redact) from exc

        def work(progress: Progress) -> dict[str, Any]:  # the planner is built in the slot
            result = runtime.ask(body.request, body.images, dry_run=body.dry_run,
                                 progress=progress, planner=body.planner, checks=checks,
                                 gsd=body.gsd, region=body.region)
            return {"event": "result", "result": result.model_dump(mode="json"),
                    "ok": result.ok}

        return run_streamed(runtime, redact, f"ask-{session_id[:8]}", work)

    add_tool_routes(app, sessions.runtime, sessions.redactor, fail)
    add_chat_routes(app, sessions)
    add_layer_routes(app, sessions)

    @app.post("/sessions/{session_id}/workflows")
    def run_workflow(session_id: str, body: WorkflowBody) -> dict[str, Any]:
        runtime = sessions.runtime(session_id)
        redact = sessions.redactor(session_id)
        if (body.workflow is None) == (body.yaml is None):
            raise HTTPException(400, "give exactly one of `workflow` (a file) or `yaml` (text)")
        if body.yaml is not None and len(body.yaml.encode("utf-8")) > MAX_INLINE_YAML:
            raise HTTPException(413, f"inline workflow over {MAX_INLINE_YAML // 1024} KiB")
        try:
            with runtime.job(wait=False):
                result = runtime.run_workflow(body.workflow or "", body.inputs,
                                              dry_run=body.dry_run, text=body.yaml)
        except Exception as exc:
            raise fail(exc, redact) from exc
        return {"result": redact(to_jsonable(result))}

    @app.get("/sessions/{session_id}/artifacts")
    def list_artifacts(session_id: str) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        records = []
        for artifact in Workspace(workspace).artifacts():
            record = artifact.model_dump(mode="json")
            if artifact.path and artifact.kind != "number":
                record["url"] = f"/sessions/{session_id}/artifacts/{artifact.id}"
            for key, path in (("quicklook", artifact.quicklook), ("style", artifact.style)):
                if path and Path(path).resolve().is_relative_to(workspace.resolve()):
                    name = Path(path).resolve().relative_to(workspace.resolve()).as_posix()
                    record[f"{key}_url"] = f"/sessions/{session_id}/files/{name}"
            records.append(record)
        return {"session_id": session_id, "artifacts": sessions.redactor(session_id)(records)}

    @app.get("/sessions/{session_id}/artifacts/{artifact_id}")
    def download_artifact(session_id: str, artifact_id: str) -> Response:
        workspace = sessions.workspace(session_id)
        for artifact in Workspace(workspace).artifacts():
            if artifact.id == artifact_id and artifact.path:
                real = inside(workspace, Path(artifact.path))
                return download(real, sessions.redactor(session_id))
        raise HTTPException(404, f"no artifact {artifact_id!r} in this session")

    @app.get("/sessions/{session_id}/files/{path:path}")
    def download_file(session_id: str, path: str) -> Response:
        workspace = sessions.workspace(session_id)
        if "://" in path or Path(path).is_absolute():
            raise HTTPException(403, "refused: give a path relative to the session workspace")
        real = inside(workspace, workspace / path)
        return download(real, sessions.redactor(session_id))

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, root: str | Path = "sessions") -> None:
    """Run the API with uvicorn (blocks), after the start-up lines on stderr (address, where
    the token comes from, the browser login URL; the map page's address with the token in its
    fragment: treat it like the token); one access line per request follows.

    Raises:
        InputError: A wildcard host without ``EARTHSIGHT_ALLOWED_HOSTS``, a refused token
            file, or a bad security setting.
    """
    import uvicorn

    check_bind(host)
    token = load_token()
    app = create_app(root, token.value, host=host, port=port)
    announce("EarthSight API", app.state.policy, token.describe(), login=True)
    print(f"EarthSight map page (chat beside a map): {map_page_url(app.state.policy)}",
          file=sys.stderr, flush=True)
    with access_log_to_stderr():
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    server_header=False)
