"""HTTP API fixtures: an app with the test token, a client that passes the Host check and the
token, and a new session (a test module may override ``app``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent.api_client import TOKEN, api_client


@pytest.fixture
def app(tmp_path: Path) -> Any:
    """The API over ``tmp_path/sessions`` with the test token and 2 job slots."""
    pytest.importorskip("fastapi")
    from agent.serve import http_api

    return http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    """A client of ``app`` that sends the token."""
    with api_client(app) as c:
        yield c


@pytest.fixture
def session(client: Any) -> str:
    """A new session id."""
    response = client.post("/sessions")
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])
