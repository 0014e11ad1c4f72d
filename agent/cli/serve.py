"""``earthsight mcp`` and ``earthsight serve``: the MCP server and the HTTP API.

    earthsight mcp [--workspace DIR] [--planner P] [--http --port N [--host 127.0.0.1]]
    earthsight serve [--host 127.0.0.1] [--port N] [--root DIR]

Both need the ``serve`` extra (mcp, fastapi, uvicorn); without it they say so and exit 2.
Over HTTP both always check a bearer token: ``EARTHSIGHT_TOKEN``, else the private token file
(``~/.config/earthsight/server-token``, made on first start; ``EARTHSIGHT_TOKEN_FILE``). They
print one start-up line (address, token source, browser login) and one access line per request
on stderr. A wildcard ``--host`` (``0.0.0.0``) needs ``EARTHSIGHT_ALLOWED_HOSTS``. See
:mod:`agent.serve.security`.

``earthsight serve`` also prints the address of the map page with the token in its fragment
(``http://127.0.0.1:8000/map#token=...``): opening it logs the browser in (the page posts the
token to ``/login`` for the cookie and removes it from the address; a fragment is never sent to
the server nor kept in its access log). Treat that line like the token itself.
"""

from __future__ import annotations

import argparse
from typing import Any

from agent.errors import UsageError


def _serve_extra(exc: ImportError) -> UsageError:
    return UsageError(f"the server needs the `serve` extra ({exc.name} is missing): "
                      "pip install 'earthsight[serve]'")


def cmd_mcp(ns: argparse.Namespace) -> int:
    """Serve the tools, ``ask`` and the artifacts over MCP (stdio, or streamable HTTP)."""
    try:
        from agent.serve.mcp_server import build_server, run_http, run_stdio

        server = build_server(ns.workspace, planner=ns.planner)
    except ImportError as exc:
        raise _serve_extra(exc) from exc
    if ns.http:
        run_http(server, host=ns.host, port=ns.port)
    else:
        run_stdio(server)
    return 0


def cmd_serve(ns: argparse.Namespace) -> int:
    """Serve the HTTP API (FastAPI + uvicorn) until interrupted."""
    try:
        from agent.serve.http_api import serve
    except ImportError as exc:
        raise _serve_extra(exc) from exc
    serve(host=ns.host, port=ns.port, root=ns.root)
    return 0


def add_serve_parsers(sub: Any, workspace: str, planner: str) -> None:
    """Add the ``mcp`` and ``serve`` subcommands to the ``earthsight`` subparsers."""
    p = sub.add_parser("mcp", help="serve the tools and the agent over MCP (stdio by default)")
    p.add_argument("--workspace", default=workspace, help=f"output folder (./{workspace})")
    p.add_argument("--planner", default=planner, help="planner of the `ask` tool")
    p.add_argument("--http", action="store_true", help="streamable HTTP at /mcp instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="address to bind with --http (127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port with --http (8765)")
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("serve", help="serve the HTTP API (bearer token always checked)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.add_argument("--root", default="sessions", help="folder of session workspaces (./sessions)")
    p.set_defaults(func=cmd_serve)
