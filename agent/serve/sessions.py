"""The HTTP API's sessions: one workspace folder per session under the server's root, each with
its runtime; the shared error answer and the guarded file download every route uses."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

from fastapi import HTTPException, Response
from fastapi.responses import FileResponse

from agent.errors import report
from agent.limits import JobLimiter
from agent.runtime import Runtime, make_runtime
from agent.sandbox import Sandbox
from agent.serve.redact import Redactor
from tools.core.registry import Describer

__all__ = ["Sessions", "download", "fail", "inside"]

_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class Sessions:
    """Session folders under one root, each with its runtime (sharing the server's job
    slots and describer)."""

    def __init__(self, root: Path, limiter: JobLimiter, describer: Describer | None) -> None:
        self.root = root.expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.limiter = limiter
        self.describer = describer
        self._runtimes: dict[str, Runtime] = {}
        self._lock = threading.Lock()

    def create(self) -> str:
        """A new session folder; its id."""
        session_id = uuid.uuid4().hex
        (self.root / session_id).mkdir()
        return session_id

    def workspace(self, session_id: str) -> Path:
        """The folder of an existing session (404 otherwise)."""
        path = self.root / session_id
        if not _SESSION_ID.match(session_id) or not path.is_dir():
            raise HTTPException(404, f"no session {session_id!r}; POST /sessions first")
        return path

    def runtime(self, session_id: str) -> Runtime:
        """The session's runtime (made on first use)."""
        workspace = self.workspace(session_id)
        with self._lock:
            if session_id not in self._runtimes:
                self._runtimes[session_id] = make_runtime(
                    workspace, sandbox=Sandbox.from_env(workspace), describer=self.describer,
                    limiter=self.limiter)
            return self._runtimes[session_id]

    def redactor(self, session_id: str) -> Redactor:
        """Rewrites this session's paths (workspace-relative, data-root-relative)."""
        return Redactor.for_sandbox(self.runtime(session_id).sandbox)


def fail(exc: BaseException, redactor: Redactor) -> HTTPException:
    """The HTTP error of ``exc`` (:func:`agent.errors.report`), its message redacted."""
    shown = report(exc)
    headers = {"Retry-After": "1"} if shown.http_status == 429 else None
    return HTTPException(shown.http_status, redactor.text(shown.message), headers=headers)


def inside(root: Path, candidate: Path) -> Path:
    """``candidate`` resolved (symlinks followed), or 403 when it lies outside ``root``."""
    try:
        real = candidate.resolve()
        inside, exists = real.is_relative_to(root.resolve()), real.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL, a lone surrogate
        raise HTTPException(400, "not a file name this server can use "
                            f"({getattr(exc, 'strerror', None) or 'invalid characters'})"
                            ) from exc
    if not inside:
        raise HTTPException(403, "refused: the path lies outside the session workspace")
    if not exists:
        raise HTTPException(404, "no such file in the session workspace")
    return real


TEXT_SUFFIXES = {".json": "application/json", ".jsonl": "application/x-ndjson",
                 ".geojson": "application/geo+json",
                 ".csv": "text/csv", ".txt": "text/plain", ".md": "text/markdown",
                 ".yaml": "application/yaml", ".yml": "application/yaml"}


def download(real: Path, redact: Redactor) -> Response:
    """A workspace file; text files (result records, manifests, GeoJSON) with server paths
    rewritten like every other answer."""
    media = TEXT_SUFFIXES.get(real.suffix.lower())
    if media is not None:
        try:
            text = real.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            pass
        else:
            return Response(redact.text(text), media_type=media, headers={
                "Content-Disposition": f'attachment; filename="{real.name}"'})
    return FileResponse(real, filename=real.name)
