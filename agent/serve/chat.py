"""The analysis session over HTTP (the map page's conversation): turns with approvals, history.

* ``POST /sessions/{id}/chat`` ``{"message", "images", "region", "gsd", "planner"}`` → NDJSON
  (``application/x-ndjson``): ``{"event": "progress", ...}`` lines (the agent's progress events,
  as ``/sessions/{id}/ask`` streams them), then one ``{"event": "turn", "turn": TurnView}`` line
  (:mod:`agent.serve.turn_view`), or ``{"event": "error", "status", "message"}``.
* ``POST /sessions/{id}/chat/approval`` ``{"approve": bool}`` → the same stream for the turn that
  waits for approval (409 when none waits).
* ``GET /sessions/{id}/chat`` → ``{"session_id", "turns": [TurnView], "waiting": TurnView|null,
  "running": bool}``: what a reloaded page shows.

Each HTTP session has one persisted :class:`~agent.session.session.Session` (its runtime's
planner, describer and checks; ``thread_id`` = the session id; the checkpoint in the workspace's
``sessions.sqlite``), so turns, follow-ups and a pending approval survive a server restart. One
turn runs at a time in a session (409 while one runs, or while a turn waits for approval) and
each takes one of the server's job slots (429 when all are busy). A heavy step (estimate over
``EARTHSIGHT_APPROVE_SECONDS``, :mod:`agent.session.estimate`) pauses the turn: its TurnView has
``status: waiting`` and the estimates under ``approval``.

A drawn ``region`` (GeoJSON or a lon/lat box) is checked (400 naming ``region``) and written to
``regions/region-<n>.geojson`` in the workspace with its CRS (:mod:`agent.serve.regions`); that
file is the turn's ``region``, which the plan puts on every step that reads a scene — it is
never pasted into the request text. Every line goes through the session's
:class:`~agent.serve.redact.Redactor`: no server path leaves the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from agent.plan import Plan, Scene
from agent.planners.shared import planner_key
from agent.progress import ProgressEvent
from agent.runtime import Runtime
from agent.serve.payloads import to_jsonable
from agent.serve.regions import MAX_VERTICES, parse_region, write_region
from agent.serve.sessions import Sessions, fail
from agent.serve.streams import Progress, Work, run_streamed
from agent.serve.turn_view import turn_view
from agent.session.session import DB_NAME, Outcome, Session, SessionState, turn_record
from tools.core.artifacts import Artifact
from tools.core.scene_options import GSD_HELP, Gsd
from tools.core.workspace import Workspace

__all__ = ["ApprovalBody", "ChatBody", "ChatSessions", "add_chat_routes"]

REGION_HELP = (f"the area the message refers to, drawn on the map: a GeoJSON Polygon or "
               f"MultiPolygon (geometry, Feature or FeatureCollection) in lon/lat (EPSG:4326), "
               f"or a box [west, south, east, north] in degrees; at most {MAX_VERTICES} "
               "positions. It is written to regions/region-<n>.geojson in the session "
               "workspace and becomes the `region` of every step that reads a scene")


class ChatBody(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000, description="the question")
    images: list[str] | None = Field(None, description="scene files (sandboxed); null: the "
                                     "scenes of the last turn")
    region: Any = Field(None, description=REGION_HELP)
    gsd: Gsd | None = Field(None, description=GSD_HELP)
    planner: str = Field("offline", description="planner name (offline, llm)")


class ApprovalBody(BaseModel):
    """The analyst's answer to a turn that waits for approval."""

    model_config = ConfigDict(extra="forbid")

    approve: StrictBool = Field(description="true: run the heavy step(s); false: do not")


class _Relay:
    """The progress listener of a cached session: forwards to the running turn's stream."""

    def __init__(self) -> None:
        self.target: Callable[[ProgressEvent], None] | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if self.target is not None:
            self.target(event)


class _NoPlanner:
    """The planner of a session opened only to read its history (never plans)."""

    name = "none"

    def plan(self, request: str, scenes: Any = ()) -> Plan:
        raise RuntimeError("a history reader does not plan")


@dataclass
class _Entry:
    """One HTTP session's conversation: its Session (made on first turn) and its turn lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    relay: _Relay = field(default_factory=_Relay)
    session: Session | None = None
    planner: str | None = None


class ChatSessions:
    """One persisted :class:`Session` per HTTP session, made on first use and cached."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def entry(self, session_id: str) -> _Entry:
        """The session's entry (its lock is held while a turn runs)."""
        with self._lock:
            return self._entries.setdefault(session_id, _Entry())

    def session(self, entry: _Entry, runtime: Runtime, session_id: str,
                planner: str | None) -> Session:
        """The entry's Session with ``planner`` (None: the one it has, else the runtime's);
        call with ``entry.lock`` held (a planner may load a model: inside a job slot)."""
        key = planner.strip().lower() if planner is not None else entry.planner
        if entry.session is not None and key in (None, entry.planner):
            return entry.session
        if entry.session is not None:
            entry.session.close()
            entry.session = None
        entry.session = Session.from_runtime(runtime, session_id, progress=entry.relay,
                                             planner=key)
        entry.planner = key
        return entry.session

    def read(self, entry: _Entry, runtime: Runtime, session_id: str
             ) -> tuple[Session | None, bool]:
        """A session to read the history from (the cached one, else a reader without a
        planner: close it after) and whether it is a new reader; None when the workspace holds
        no session database yet."""
        if entry.session is not None:
            return entry.session, False
        workspace = self.sessions.workspace(session_id)
        if not (workspace / DB_NAME).is_file():
            return None, False
        return Session(session_id, workspace, _NoPlanner(), tool_lookup=runtime.tool_lookup,
                       new_checks=runtime.checks), True


def _record(values: dict[str, Any]) -> dict[str, Any]:
    """The record of the turn that waits for approval (its plan; no step ran yet)."""
    return turn_record(cast(SessionState, values), status="waiting")


def _manifest(workspace: Path) -> dict[str, Artifact]:
    return {a.id: a for a in Workspace(workspace).artifacts()}


def history(session: Session, session_id: str, workspace: Path, running: bool
            ) -> dict[str, Any]:
    """Every recorded turn (plus one a killed process left, unless a turn runs now) and the
    turn that waits for approval, as TurnViews."""
    values = session.values()
    records = list(values.get("turns", []))
    left = None if running else session.interrupted()
    if left is not None:
        records.append(left)
    manifest = _manifest(workspace)
    turns = [turn_view(i, r, session_id, workspace, manifest)
             for i, r in enumerate(records, start=1)]
    pending = None if running else session.waiting()
    waiting = None
    if pending is not None:
        waiting = turn_view(len(records) + 1, _record(values), session_id, workspace,
                            manifest, status="waiting", waiting=pending)
    return {"session_id": session_id, "turns": turns, "waiting": waiting, "running": running}


def outcome_view(session: Session, outcome: Outcome, session_id: str, workspace: Path
                 ) -> dict[str, Any]:
    """The TurnView of the turn that just ran (or now waits)."""
    values = session.values()
    records = list(values.get("turns", []))
    manifest = _manifest(workspace)
    if outcome.waiting is not None:
        return turn_view(len(records) + 1, _record(values), session_id, workspace, manifest,
                         status="waiting", waiting=outcome.waiting)
    return turn_view(len(records), records[-1], session_id, workspace, manifest)


def _relayed(entry: _Entry, turn: Callable[[], dict[str, Any]]) -> Work:
    """``turn`` as streamed work: the cached session's progress goes to this run's stream."""

    def work(progress: Progress) -> dict[str, Any]:
        entry.relay.target = progress
        try:
            return {"event": "turn", "turn": turn()}
        finally:
            entry.relay.target = None

    return work


def _busy() -> HTTPException:
    return HTTPException(409, "a turn of this session is running; wait for its last line, "
                         "then send the next message")


def add_chat_routes(app: FastAPI, sessions: Sessions) -> None:
    """Add the ``/sessions/{id}/chat`` routes to ``app``."""
    chats = ChatSessions(sessions)
    app.state.chats = chats

    def waits(entry: _Entry, runtime: Runtime, session_id: str) -> bool:
        reader, new = chats.read(entry, runtime, session_id)
        if reader is None:
            return False
        try:
            return reader.waiting() is not None
        finally:
            if new:
                reader.close()

    @app.post("/sessions/{session_id}/chat")
    def chat(session_id: str, body: ChatBody) -> StreamingResponse:
        runtime = sessions.runtime(session_id)
        redact = sessions.redactor(session_id)
        workspace = sessions.workspace(session_id)
        try:  # refused before anything is written or a slot taken
            geometry = parse_region(body.region) if body.region is not None else None
            planner_key(body.planner)
            scenes: list[Scene] | None = None
            if body.images is not None:
                scenes = runtime.checks().scenes(body.images, must_exist=True)
        except Exception as exc:
            raise fail(exc, redact) from exc
        entry = chats.entry(session_id)
        if not entry.lock.acquire(blocking=False):
            raise _busy()
        try:
            if waits(entry, runtime, session_id):
                raise HTTPException(409, "a turn of this session waits for approval: POST "
                                    f"/sessions/{session_id}/chat/approval "
                                    '{"approve": true} or {"approve": false} first')
        except BaseException:
            entry.lock.release()
            raise
        region: list[str] = []

        def prepare() -> None:
            if geometry is not None:
                region.append(str(write_region(workspace, geometry)))

        def turn() -> dict[str, Any]:
            session = chats.session(entry, runtime, session_id, body.planner)
            images = None if scenes is None else [s.path for s in scenes]
            outcome = session.ask(body.message, images, gsd=body.gsd,
                                  region=region[0] if region else None)
            return outcome_view(session, outcome, session_id, workspace)

        try:
            return run_streamed(runtime, redact, f"chat-{session_id[:8]}", _relayed(entry, turn),
                                prepare=prepare, done=entry.lock.release)
        except Exception as exc:
            if isinstance(exc, HTTPException):
                raise
            raise fail(exc, redact) from exc

    @app.post("/sessions/{session_id}/chat/approval")
    def approval(session_id: str, body: ApprovalBody) -> StreamingResponse:
        runtime = sessions.runtime(session_id)
        redact = sessions.redactor(session_id)
        workspace = sessions.workspace(session_id)
        entry = chats.entry(session_id)
        if not entry.lock.acquire(blocking=False):
            raise _busy()
        try:
            if not waits(entry, runtime, session_id):
                raise HTTPException(409, "no turn of this session waits for approval")
        except BaseException:
            entry.lock.release()
            raise

        def turn() -> dict[str, Any]:
            session = chats.session(entry, runtime, session_id, None)
            outcome = session.resume(body.approve)
            return outcome_view(session, outcome, session_id, workspace)

        return run_streamed(runtime, redact, f"approve-{session_id[:8]}",
                            _relayed(entry, turn), done=entry.lock.release)

    @app.get("/sessions/{session_id}/chat")
    def get_chat(session_id: str) -> dict[str, Any]:
        runtime = sessions.runtime(session_id)
        workspace = sessions.workspace(session_id)
        entry = chats.entry(session_id)
        running = entry.lock.locked()
        reader, new = chats.read(entry, runtime, session_id)
        if reader is None:
            return {"session_id": session_id, "turns": [], "waiting": None, "running": running}
        try:
            shown = history(reader, session_id, workspace, running)
        finally:
            if new:
                reader.close()
        out: dict[str, Any] = sessions.redactor(session_id)(to_jsonable(shown))
        return out
