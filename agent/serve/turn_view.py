"""What the map page shows of a session turn (the ``TurnView`` of the chat routes).

A turn record (:func:`agent.session.session.turn_record`) keeps, per step, the ids of the
artifacts the step produced; the view looks them up in the workspace manifest, so every number
and file is attributed to its turn, step, tool and call:

    {"index": 1, "request": str, "scenes": [path], "status": "done"|"waiting"|"interrupted",
     "region": {"file": "regions/region-1.geojson", "geojson": {lon/lat geometry}} | null,
     "gsd": float | null, "answer": str, "plan": [{"id", "tool", "args"}],
     "steps": [{"id", "tool", "status", "summary"}],
     "numbers": [{"name", "value", "units", "step", "tool", "call_id", "artifact_id"}],
     "files": [{"artifact_id", "name", "kind", "step", "tool", "call_id", "url"}],
     "approval": {"heavy": [{"step", "tool", "seconds", "pixels", "text"}],
                  "approved": true | false | null} | null}

``index`` counts turns from 1. Step ``status`` is ``ok``, ``failed`` or ``skipped`` for steps
that ran, ``declined`` for the steps of a plan the analyst did not approve, ``pending`` for the
steps of a turn that waits for approval. Paths in the view are still server paths: the route
redacts the whole view (:class:`~agent.serve.redact.Redactor`) before sending it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent.serve.regions import read_region
from tools.core.artifacts import Artifact

__all__ = ["turn_view"]


def _call_id(artifact_id: str) -> str:
    """The call id an artifact id starts with (``c004`` of ``c004-water_area``)."""
    return artifact_id.split("-", 1)[0]


def _region(value: Any, workspace: Path) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return {"file": None, "geojson": None, "bbox": value}
    path = Path(str(value))
    root = workspace.resolve()
    try:
        real = path.resolve() if path.is_absolute() else (root / path).resolve()
    except (OSError, ValueError):
        return {"file": str(value), "geojson": None}
    if not real.is_relative_to(root):
        return {"file": str(value), "geojson": None}
    return {"file": real.relative_to(root).as_posix(), "geojson": read_region(real)}


def _approval(record: Mapping[str, Any], waiting: Mapping[str, Any] | None
              ) -> dict[str, Any] | None:
    if waiting is not None:
        heavy = waiting.get("heavy")
        if heavy is None:  # a checkpoint of an older version: the texts only
            heavy = [{"step": None, "tool": None, "seconds": None, "pixels": None, "text": t}
                     for t in waiting.get("estimates", [])]
        return {"heavy": list(heavy), "approved": None}
    approval = record.get("approval")
    if not approval:
        return None
    return {"heavy": list(approval.get("heavy", [])), "approved": approval.get("approved")}


def _steps(record: Mapping[str, Any], status: str) -> list[dict[str, Any]]:
    ran = [{"id": s["id"], "tool": s["tool"], "status": s["status"],
            "summary": s.get("summary") or s.get("error") or "", "cluster": s.get("cluster")}
           for s in record.get("steps", [])]
    done = {s["id"] for s in ran}
    approval = record.get("approval") or {}
    left = "pending" if status in ("waiting", "interrupted") else (
        "declined" if approval.get("approved") is False else None)
    if left is None:
        return ran
    reason = ("not run: waiting for approval" if left == "pending" and status == "waiting"
              else "not run yet" if left == "pending"
              else "not run: the heavy step(s) were not approved")
    return ran + [{"id": p["id"], "tool": p["tool"], "status": left, "summary": reason}
                  for p in record.get("plan", []) if p["id"] not in done]


def turn_view(index: int, record: Mapping[str, Any], session_id: str, workspace: Path,
              artifacts: Mapping[str, Artifact], *, status: str | None = None,
              waiting: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The TurnView of turn ``index`` (from 1) with the record ``record``.

    Args:
        session_id: The HTTP session (download URLs name it).
        workspace: Its workspace (the region file is shown relative to it).
        artifacts: The workspace manifest by artifact id.
        status: Overrides the record's status (``waiting`` for a paused turn).
        waiting: The approval request the turn is paused on, if any.
    """
    shown = status or str(record.get("status", "done"))
    numbers: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for step in record.get("steps", []):
        for artifact_id in step.get("artifacts", []):
            art = artifacts.get(artifact_id)
            if art is None:
                continue
            where = {"step": step["id"], "tool": art.call.tool, "call_id": _call_id(art.id),
                     "artifact_id": art.id}
            if art.kind == "number":
                if art.value is not None:
                    numbers.append({"name": art.name, "value": art.value,
                                    "units": art.units or "", **where})
            elif art.path:
                files.append({"artifact_id": art.id, "name": art.name, "kind": art.kind,
                              "step": step["id"], "tool": art.call.tool,
                              "call_id": _call_id(art.id),
                              "url": f"/sessions/{session_id}/artifacts/{art.id}"})
    return {"index": index, "request": record.get("request", ""),
            "scenes": list(record.get("scenes", [])),
            "region": _region(record.get("region"), workspace), "gsd": record.get("gsd"),
            "status": shown, "answer": "" if shown == "waiting" else record.get("answer", ""),
            "plan": [{"id": p["id"], "tool": p["tool"], "args": p.get("args", {})}
                     for p in record.get("plan", [])],
            "steps": _steps(record, shown), "numbers": numbers, "files": files,
            "approval": _approval(record, waiting)}
