"""Fuzzing the servers: every tool's schema drives generated arguments through the HTTP API
(FastAPI TestClient) and the MCP server (``mcp.Client`` in-process), both sandboxed.

No answer is a 500 or a traceback, MCP failures come back as error results with EarthSight's
message, and nothing half-written is left in the workspace. Deep tools stop after validation
(:func:`tests.fuzz_args.stop_deep_tools`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hypothesis")
pytest.importorskip("fastapi")
pytest.importorskip("mcp")

import anyio.from_thread
import mcp
from hypothesis import given
from hypothesis import strategies as st

from agent.serve import http_api
from agent.serve.mcp_server import AskArguments, build_server
from tests.agent.api_client import api_client, workspace_of
from tests.fuzz_args import FUZZ, arguments, check_workspace, make_scenes, stop_deep_tools
from tools.catalog import ALL_TOOLS, get_tool

NAMES = [t.name for t in ALL_TOOLS]
STATUSES = {200, 400, 403, 404, 413, 422, 429}


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox's data root (``EARTHSIGHT_DATA``) with the tiny scenes; deep tools stop
    after validation."""
    root = tmp_path / "data"
    make_scenes(root, tmp_path / "outside")
    monkeypatch.setenv("EARTHSIGHT_DATA", str(root))
    stop_deep_tools(monkeypatch)
    return root


def readable(text: str) -> bool:
    """An error message a person can read: no traceback, not EarthSight's own fault."""
    return bool(text.strip()) and "Traceback" not in text and not text.startswith("unexpected")


@pytest.fixture
def http(tmp_path: Path, data_root: Path) -> Iterator[tuple[Any, str, Path]]:
    """A client of a fresh app, a session id and the session's workspace."""
    app = http_api.create_app(tmp_path / "sessions", token="test-token-123", max_jobs=2)
    with api_client(app) as client:
        session = client.post("/sessions").json()
        yield client, session["session_id"], workspace_of(app, session)


def post_json(client: Any, url: str, body: Any) -> Any:
    """POST ``body`` as JSON the way any client may send it (NaN and Infinity included)."""
    return client.post(url, content=json.dumps(body), headers={"content-type":
                                                               "application/json"})


@pytest.mark.parametrize("name", NAMES)
def test_generated_arguments_through_http(name: str, http: tuple[Any, str, Path]) -> None:
    client, session, workspace = http

    @FUZZ
    @given(arguments(get_tool(name).input_schema()))
    def call(args: dict[str, Any]) -> None:
        answer = post_json(client, f"/sessions/{session}/tools/{name}", {"args": args})
        assert answer.status_code in STATUSES, (args, answer.status_code, answer.text[:300])
        if answer.status_code != 200:
            detail = answer.json()["detail"]
            assert isinstance(detail, list) or readable(str(detail)), (args, detail)
        check_workspace(workspace)

    call()


BODIES = st.one_of(
    st.dictionaries(st.sampled_from(("args", "arg", "thresh", "")),
                    st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2),
                              st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)),
                    max_size=3),
    st.sampled_from(([], "x", 1, None, {"args": [[[[[[1]]]]]]}, {"args": {"image": "a" * 300}})),
)


def test_odd_bodies_through_http(http: tuple[Any, str, Path]) -> None:
    client, session, workspace = http

    @FUZZ
    @given(BODIES, st.sampled_from(["map_water", "describe_raster", "no_such_tool"]))
    def call(body: Any, name: str) -> None:
        answer = post_json(client, f"/sessions/{session}/tools/{name}", body)
        assert answer.status_code in STATUSES, (body, answer.status_code, answer.text[:300])
        check_workspace(workspace)

    call()
    deep = "[" * 100_000 + "]" * 100_000  # nesting no JSON parser recursion survives
    answer = client.post(f"/sessions/{session}/tools/map_water", content=deep,
                         headers={"content-type": "application/json"})
    assert answer.status_code in (413, 422), answer.text[:200]


@pytest.mark.parametrize("name", [*NAMES, "ask"])
def test_generated_arguments_through_mcp(name: str, tmp_path: Path, data_root: Path) -> None:
    server = build_server(tmp_path / "ws")
    schema = (AskArguments.model_json_schema() if name == "ask"
              else get_tool(name).input_schema())
    with anyio.from_thread.start_blocking_portal() as portal, \
            portal.wrap_async_context_manager(mcp.Client(server)) as client:

        @FUZZ
        @given(arguments(schema))
        def call(args: dict[str, Any]) -> None:
            result = portal.call(client.call_tool, name, args)
            if result.is_error:
                text = result.content[0].text if result.content else ""
                assert readable(text), (args, text)
            check_workspace(tmp_path / "ws")

        call()
