"""Helpers for in-process HTTP API tests: a client that passes the Host check and the token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE_URL = "http://127.0.0.1"
FLOW = """\
name: rgb
inputs:
  image: {type: image}
steps:
  - id: rgb
    tool: pseudo_rgb
    args: {image: $image}
"""
"""A one-step workflow (an RGB composite of its image input)."""


def api_client(app: Any, **kwargs: Any) -> Any:
    """A ``TestClient`` of ``app`` addressing 127.0.0.1 with the bearer token."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url=BASE_URL, headers=AUTH, **kwargs)


def workspace_of(app: Any, session: dict[str, Any]) -> Path:
    """The folder of a session (answers name it ``<workspace>``, never by its path)."""
    return Path(app.state.sessions.root) / str(session["session_id"])
