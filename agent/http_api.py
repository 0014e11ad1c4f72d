"""The HTTP API (FastAPI): sessions, streamed agent runs, tools, workflows, artifacts.

    earthsight serve [--host 127.0.0.1] [--port 8000] [--root sessions]

Endpoints (OpenAPI schema at ``/openapi.json``, docs at ``/docs``):

* ``POST /sessions`` → ``{"session_id", "workspace"}``: a new workspace folder under the root.
* ``POST /sessions/{id}/ask`` ``{"request", "images", "planner", "dry_run"}`` → NDJSON stream
  (``application/x-ndjson``): one ``{"event": "progress", ...}`` line per agent progress event,
  then one ``{"event": "result", "result": AgentResult}`` (or ``{"event": "error"}``) line.
* ``POST /sessions/{id}/tools/{name}`` ``{"args"}`` → the tool's result record.
* ``POST /sessions/{id}/workflows`` ``{"workflow" | "yaml", "inputs"}`` → the workflow's result.
* ``GET /sessions/{id}/artifacts`` → the manifest's records with download URLs;
  ``GET /sessions/{id}/artifacts/{artifact_id}`` and ``GET /sessions/{id}/files/{path}``
  download a file; anything resolving outside the session workspace is refused (403).
* ``GET /tools`` → every tool's schemas; ``GET /health``.

**Security.** The server binds 127.0.0.1 unless told otherwise. When ``EARTHSIGHT_TOKEN`` is set,
and always when bound to another address (it refuses to start without one), every request
needs ``Authorization: Bearer <token>`` (401 otherwise). Every file argument goes through the
session's :class:`~agent.sandbox.Sandbox` (403 when refused).

**describe_scene.** When EarthSight's LLM is configured on purpose (``[llm]`` naming a backend
or model in a config file, or ``EARTHSIGHT_LLM_BACKEND`` / ``EARTHSIGHT_LLM_MODEL``), tool calls,
workflows and asks answer ``describe_scene`` with it (made on first use); an ask with the
``llm`` planner uses that planner's model. Otherwise ``describe_scene`` answers from measured
facts (see :func:`agent.llm_describe.choose_describer`).

**Jobs.** At most ``Sandbox.max_jobs`` runs (ask, tool, workflow) at once, server-wide; a request
beyond that is answered ``429`` with ``Retry-After`` at once rather than queued, so a client
never hangs on a busy server. An ask's planner is built inside its slot (a local model load
counts as a job); an unknown planner name is refused before (``400``).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import queue
import re
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from agent import jobs
from agent.progress import ProgressEvent
from tools.errors import EarthSightError, InputError
from tools.registry import Describer

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

TOKEN_ENV = "EARTHSIGHT_TOKEN"
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class AskBody(BaseModel):
    """A question for the agent."""

    request: str = Field(description="the question, in plain language")
    images: list[str] = Field(default_factory=list, description="scene files (sandboxed)")
    planner: str = "offline"
    dry_run: bool = False


class ToolBody(BaseModel):
    """Arguments of one tool call."""

    args: dict[str, Any] = Field(default_factory=dict)


class WorkflowBody(BaseModel):
    """A workflow to run: a file or inline YAML, and its inputs."""

    workflow: str | None = Field(None, description="workflow file (sandboxed path)")
    yaml: str | None = Field(None, description="or the workflow itself, as YAML text")
    inputs: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve on a non-loopback address without a token.

    Raises:
        InputError: ``host`` is not a loopback address and no token is set.
    """
    if not token and not is_loopback(host):
        raise InputError(f"--host {host}: serving beyond this machine needs a bearer token; "
                         f"set {TOKEN_ENV}")


def token_ok(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries the bearer ``token``."""
    if not header or not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


class BearerAuth:
    """ASGI middleware: 401 for HTTP requests without the bearer token (lifespan passes).

    Args:
        app: The wrapped ASGI app.
        token: The required token.
    """

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the header of HTTP requests, pass everything else through."""
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            header = headers.get(b"authorization", b"").decode("latin-1")
            if not token_ok(header, self.token):
                body = json.dumps({"detail": "missing or wrong bearer token"}).encode()
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _Sessions:
    """Session folders under one root, each with its sandbox."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._sandboxes: dict[str, Any] = {}
        self._lock = threading.Lock()

    def create(self) -> str:
        session_id = uuid.uuid4().hex
        (self.root / session_id).mkdir()
        return session_id

    def workspace(self, session_id: str) -> Path:
        path = self.root / session_id
        if not _SESSION_ID.match(session_id) or not path.is_dir():
            raise HTTPException(404, f"no session {session_id!r}; POST /sessions first")
        return path

    def sandbox(self, session_id: str) -> Any:
        workspace = self.workspace(session_id)
        with self._lock:
            if session_id not in self._sandboxes:
                self._sandboxes[session_id] = jobs.load_sandbox(workspace)
            return self._sandboxes[session_id]


def _status(exc: BaseException) -> int:
    """HTTP status of an error: 403 for sandbox refusals, 429 busy, 400 other input errors."""
    names = {c.__name__ for c in type(exc).__mro__}
    if isinstance(exc, jobs.BusyError) or any("Busy" in n for n in names):
        return 429
    if isinstance(exc, PermissionError) or any("Sandbox" in n or "Refused" in n for n in names):
        return 403
    if isinstance(exc, EarthSightError):
        return 400
    return 500


def _fail(exc: BaseException) -> HTTPException:
    status = _status(exc)
    headers = {"Retry-After": "1"} if status == 429 else None
    return HTTPException(status, jobs.error_text(exc), headers=headers)


def _inside(root: Path, candidate: Path) -> Path:
    """``candidate`` resolved (symlinks followed), or 403 when it lies outside ``root``."""
    real = candidate.resolve()
    if not real.is_relative_to(root.resolve()):
        raise HTTPException(403, "refused: the path lies outside the session workspace")
    if not real.is_file():
        raise HTTPException(404, "no such file in the session workspace")
    return real


def create_app(root: str | Path = "sessions", token: str | None = None,
               max_jobs: int | None = None, describer: Describer | None = None) -> FastAPI:
    """Build the FastAPI app.

    Args:
        root: Folder that holds one workspace folder per session.
        token: Bearer token every request must carry (default: ``EARTHSIGHT_TOKEN``; none
            when unset and empty).
        max_jobs: Runs at once (default: the sandbox's ``max_jobs``).
        describer: The backend ``describe_scene`` answers with (default: EarthSight's LLM
            when one is configured on purpose, see
            :func:`agent.llm_describe.configured_describer`; else measured facts only).

    Returns:
        The app (serve it with uvicorn, or test it with ``fastapi.testclient.TestClient``).

    Raises:
        InputError: An invalid LLM configuration (file or environment).
    """
    from agent.llm_describe import configured_describer
    from tools.catalog import tool_schemas
    from tools.workspace import Workspace

    configured = configured_describer() if describer is None else None
    tool_describer = describer or configured
    secret = token if token is not None else os.environ.get(TOKEN_ENV) or None
    sessions = _Sessions(Path(root))
    limit = max_jobs if max_jobs is not None else jobs.max_jobs(jobs.load_sandbox(sessions.root))
    limiter = jobs.JobLimiter(limit)

    app = FastAPI(title="EarthSight", version="0.1.0",
                  description="A remote-sensing analyst's agent over HTTP.")

    @app.middleware("http")
    async def authorize(request: Request, call_next: Callable[[Request], Awaitable[Response]],
                        ) -> Response:
        if secret and not token_ok(request.headers.get("authorization"), secret):
            return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    app.state.limiter = limiter
    app.state.sessions = sessions

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "running": limiter.running, "max_jobs": limiter.max_jobs}

    @app.get("/tools")
    def list_tools() -> list[dict[str, Any]]:
        return tool_schemas()

    @app.post("/sessions", status_code=201)
    def create_session() -> dict[str, str]:
        session_id = sessions.create()
        return {"session_id": session_id, "workspace": str(sessions.workspace(session_id))}

    @app.get("/sessions/{session_id}")
    def get_session(session_id: str) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        return {"session_id": session_id, "workspace": str(workspace),
                "artifacts": len(Workspace(workspace).artifacts())}

    @app.post("/sessions/{session_id}/ask")
    def ask(session_id: str, body: AskBody) -> StreamingResponse:
        workspace = sessions.workspace(session_id)
        sandbox = sessions.sandbox(session_id)
        try:
            images = jobs.check_images(sandbox, body.images)
            jobs.check_planner(body.planner)  # an unknown name: 400 now, not a slot taken
        except Exception as exc:
            raise _fail(exc) from exc
        if not limiter.try_acquire():
            raise _fail(jobs.BusyError(f"all {limiter.max_jobs} job slots are busy"))
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()

        def on_progress(event: ProgressEvent) -> None:
            events.put({"event": "progress", **event.__dict__})

        def work() -> None:
            try:  # built once (a local model load holds this slot), reused by later asks
                planner = jobs.load_planner(body.planner)
                result = jobs.ask_job(body.request, images, workspace, planner,
                                      sandbox=sandbox, dry_run=body.dry_run,
                                      progress=on_progress, describer=describer,
                                      default_describer=configured)
                events.put({"event": "result", "result": result.model_dump(mode="json"),
                            "ok": result.ok})
            except Exception as exc:  # streamed to the client as the last line
                events.put({"event": "error", "status": _status(exc),
                            "message": jobs.error_text(exc)})
            finally:
                limiter.release()
                events.put(None)

        threading.Thread(target=work, name=f"ask-{session_id[:8]}", daemon=True).start()

        def stream() -> Iterator[str]:
            while (item := events.get()) is not None:
                yield json.dumps(item, default=str) + "\n"

        return StreamingResponse(stream(), media_type="application/x-ndjson")

    @app.post("/sessions/{session_id}/tools/{name}")
    def run_tool(session_id: str, name: str, body: ToolBody) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        try:
            with limiter.slot():
                run = jobs.run_tool_job(name, body.args, workspace, sessions.sandbox(session_id),
                                        describer=tool_describer)
        except Exception as exc:
            raise _fail(exc) from exc
        return jobs.tool_payload(run)

    @app.post("/sessions/{session_id}/workflows")
    def run_workflow(session_id: str, body: WorkflowBody) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        if (body.workflow is None) == (body.yaml is None):
            raise HTTPException(400, "give exactly one of `workflow` (a file) or `yaml` (text)")
        workflow = body.workflow
        if body.yaml is not None:
            inline = workspace / f"workflow_{uuid.uuid4().hex[:8]}.yaml"
            inline.write_text(body.yaml, encoding="utf-8")
            workflow = str(inline)
        try:
            with limiter.slot():
                result = jobs.workflow_job(str(workflow), body.inputs, workspace,
                                           sandbox=sessions.sandbox(session_id),
                                           dry_run=body.dry_run, describer=tool_describer)
        except Exception as exc:
            raise _fail(exc) from exc
        return {"result": jobs.to_jsonable(result)}

    @app.get("/sessions/{session_id}/artifacts")
    def list_artifacts(session_id: str) -> dict[str, Any]:
        workspace = sessions.workspace(session_id)
        records = []
        for artifact in Workspace(workspace).artifacts():
            record = artifact.model_dump(mode="json")
            if artifact.path and artifact.kind != "number":
                record["url"] = f"/sessions/{session_id}/artifacts/{artifact.id}"
            records.append(record)
        return {"session_id": session_id, "artifacts": records}

    @app.get("/sessions/{session_id}/artifacts/{artifact_id}")
    def download_artifact(session_id: str, artifact_id: str) -> FileResponse:
        workspace = sessions.workspace(session_id)
        for artifact in Workspace(workspace).artifacts():
            if artifact.id == artifact_id and artifact.path:
                real = _inside(workspace, Path(artifact.path))
                return FileResponse(real, filename=real.name)
        raise HTTPException(404, f"no artifact {artifact_id!r} in this session")

    @app.get("/sessions/{session_id}/files/{path:path}")
    def download_file(session_id: str, path: str) -> FileResponse:
        workspace = sessions.workspace(session_id)
        if "://" in path or Path(path).is_absolute():
            raise HTTPException(403, "refused: give a path relative to the session workspace")
        real = _inside(workspace, workspace / path)
        return FileResponse(real, filename=real.name)

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, root: str | Path = "sessions") -> None:
    """Run the API with uvicorn (blocks).

    Raises:
        InputError: A non-loopback host without ``EARTHSIGHT_TOKEN``.
    """
    import uvicorn

    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    uvicorn.run(create_app(root, token), host=host, port=port, log_level="warning")
