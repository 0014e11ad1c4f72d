"""The MCP server: every available EarthSight tool, the full agent (``ask``) and the artifacts.

    earthsight mcp [--workspace DIR]                     # stdio
    earthsight mcp --http --port 8765 [--host 127.0.0.1] # streamable HTTP at /mcp

* **Tools.** One MCP tool per *available* tool record, with the record's name, description and
  input JSON schema (``ToolRecord.input_schema()``, never written again here) and its output
  schema. Tools this installation cannot run (``ToolRecord.requires``) are **omitted** from the
  listing, so a client model never plans with them; the ``earthsight://tools`` resource and the
  server instructions name them and say what they need. ``ask`` runs the whole agent: request +
  images → answer text, numbers with units, artifacts.
* **Errors.** A tool error (bad argument, missing file, a path the sandbox refuses) comes back as
  an MCP tool result with ``isError`` set and the message as text; the server keeps running.
* **describe_scene.** The client is a language model already, so EarthSight calls one of its own
  only when one is configured on purpose (an ``[llm]`` table naming a backend or model in
  ``earthsight.toml`` / the user config file, or ``EARTHSIGHT_LLM_BACKEND`` /
  ``EARTHSIGHT_LLM_MODEL``): then ``describe_scene`` (called directly or planned by ``ask``)
  answers with that model, made on first use; otherwise it answers from measured facts.
  ``ask`` with the ``llm`` planner describes with that planner's model.
* **Sandbox.** Every file argument of every tool and every ``ask`` image is resolved by the
  workspace :class:`~agent.sandbox.Sandbox`; runs wait for one of ``Sandbox.max_jobs`` slots.
* **Resources.** ``earthsight://manifest`` (the workspace's artifact records),
  ``earthsight://tools`` (every tool, available or not), ``earthsight://artifacts/{artifact_id}``
  (an artifact's file: text for JSON/GeoJSON, bytes for rasters; number artifacts as their
  record) and ``earthsight://files/{name}`` (a file of the workspace by name).

* **Paths.** Tool results, ``ask`` answers, resources and error messages never show server
  paths (:mod:`agent.serve.redact`): workspace files are named relative to the workspace, data files
  relative to their data root (both work as arguments again), anything else as
  ``<server>/<name>``.

The HTTP transport binds 127.0.0.1 unless ``--host`` says otherwise and has the HTTP API's
security policy (:mod:`agent.serve.security`): every request needs
``Authorization: Bearer <token>`` (``EARTHSIGHT_TOKEN``, else the private token file, see
:mod:`agent.serve.token`), the ``Host`` must name the server, cross-origin requests need
``EARTHSIGHT_CORS_ORIGINS``, bodies are limited (``EARTHSIGHT_MAX_BODY_BYTES``), and the SDK's
own DNS-rebinding protection is on with the same hosts. Over stdio there is no network and no
token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import message
from agent.runtime import Runtime, make_runtime
from agent.sandbox import Sandbox
from agent.serve.payloads import ask_payload, payload_model, tool_payload
from agent.serve.redact import Redactor
from agent.serve.security import (
    SecurityPolicy,
    access_log_to_stderr,
    announce,
    check_bind,
    install,
)
from agent.serve.token import ServerToken, load_token
from tools.catalog import ALL_TOOLS, tool_schemas
from tools.core.arguments import validate
from tools.core.errors import InputError
from tools.core.registry import Describer, ToolRecord
from tools.core.scene_options import GSD_HELP, REGION_HELP, Gsd

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.types import CallToolResult

SERVER_NAME = "earthsight"
TEXT_SUFFIXES = {".json", ".jsonl", ".geojson", ".csv", ".txt", ".md", ".yaml", ".yml"}


class Service:
    """What one server closes over: its runtime (workspace, sandbox, planner, describer, job
    slots) and the redactor of its answers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.workspace = runtime.workspace
        self.redact = Redactor.for_sandbox(runtime.sandbox) if runtime.sandbox else Redactor()

    def run_tool(self, name: str, args: dict[str, Any]) -> CallToolResult:
        """Run one tool; errors become an error result."""
        try:
            with self.runtime.job():
                run = self.runtime.run_tool(name, args)
        except Exception as exc:  # every failure is reported to the client, never raised
            return _error_result(self.redact.text(message(exc)))
        payload = self.redact(tool_payload(run))
        return _ok_result(self.redact.text(run.result.summary), payload)

    def ask(self, request: str, images: list[str], dry_run: bool, gsd: float | None = None,
            region: str | list[float] | None = None) -> CallToolResult:
        """Run the full agent; errors become an error result."""
        try:
            with self.runtime.job():
                result = self.runtime.ask(request, images, dry_run=dry_run, gsd=gsd,
                                          region=region)
        except Exception as exc:  # reported to the client
            return _error_result(self.redact.text(message(exc)))
        payload = self.redact(ask_payload(result))
        return _ok_result(self.redact.text(result.answer), payload,
                          is_error=not (result.ok or dry_run))

    def artifact_file(self, artifact_id: str) -> str | bytes:
        """The content of artifact ``artifact_id`` (its record for a number)."""
        from mcp.server.mcpserver.exceptions import ResourceError

        for artifact in self.workspace.artifacts():
            if artifact.id == artifact_id:
                if artifact.kind == "number" or not artifact.path:
                    return json.dumps(self.redact(artifact.model_dump(mode="json")), indent=2)
                return self._read(Path(artifact.path))
        raise ResourceError(f"no artifact {artifact_id!r} in this workspace; "
                            "read earthsight://manifest for the ids")

    def workspace_file(self, name: str) -> str | bytes:
        """The content of file ``name`` of the workspace."""
        return self._read(self.workspace.root / name)

    def _read(self, path: Path) -> str | bytes:
        from mcp.server.mcpserver.exceptions import ResourceError

        real = path.resolve()
        if not real.is_relative_to(self.workspace.root):
            raise ResourceError(f"{path.name}: refused, it lies outside the workspace")
        if not real.is_file():
            raise ResourceError(f"{path.name}: no such file in the workspace")
        if real.suffix.lower() in TEXT_SUFFIXES:
            return self.redact.text(real.read_text(encoding="utf-8"))
        return real.read_bytes()


def _ok_result(text: str, payload: dict[str, Any], is_error: bool = False) -> CallToolResult:
    from mcp.types import CallToolResult, TextContent

    body = json.dumps(payload, ensure_ascii=False, default=str)
    return CallToolResult(content=[TextContent(type="text", text=text),
                                   TextContent(type="text", text=body)],
                          structured_content=payload, is_error=is_error)


def _error_result(message: str) -> CallToolResult:
    from mcp.types import CallToolResult, TextContent

    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def _passthrough_tool(name: str, description: str, parameters: dict[str, Any],
                      call: Callable[[dict[str, Any]], CallToolResult],
                      output: dict[str, Any] | None = None) -> Any:
    """An MCP tool that hands every argument, as given, to ``call`` (which validates them: an
    unknown or bad argument is an error result with EarthSight's message, never dropped)."""
    from mcp.server.mcpserver.tools import Tool
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
    from mcp.types import ToolAnnotations

    class Arguments(ArgModelBase):
        """Every argument as given; ``call`` validates them."""

        model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

        def model_dump_one_level(self) -> dict[str, Any]:
            return {"arguments": dict(self.model_extra or {})}

    return Tool(
        fn=call, name=name, description=description, parameters=parameters,
        fn_metadata=FuncMetadata(arg_model=Arguments, output_schema=output),
        is_async=False, context_kwarg=None,
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                    open_world_hint=False),
    )


def _record_tool(record: ToolRecord[Any, Any], service: Service) -> Any:
    """An MCP tool whose schemas are the record's (arguments pass through unparsed to the
    runtime, which checks them like every interface does)."""
    def call(arguments: dict[str, Any]) -> CallToolResult:
        return service.run_tool(record.name, arguments)

    return _passthrough_tool(record.name, record.description, record.input_schema(), call,
                             output=payload_model(record).model_json_schema())


class AskArguments(BaseModel):
    """Answer a plain-language question about scenes with the full agent.

    Plans tool calls, runs them and returns the answer text, the numbers with their units and
    the artifacts written (masks, vectors, rasters).
    """

    model_config = ConfigDict(extra="forbid")

    request: str = Field(description='the question, e.g. "How much open water is in this '
                         'Sentinel-1 scene?"')
    images: list[str] = Field(default_factory=list, description="scene files the question is "
                              "about (before/after order for changes)")
    gsd: Gsd | None = Field(None, description=GSD_HELP)
    region: str | list[float] | None = Field(None, description=REGION_HELP)
    dry_run: bool = Field(False, description="only plan; run nothing")


def _ask_tool(service: Service) -> Any:
    """The ``ask`` tool: its arguments checked like a tool's (unknown names refused)."""
    def call(arguments: dict[str, Any]) -> CallToolResult:
        try:
            parsed = validate("ask", AskArguments, arguments)
        except InputError as exc:
            return _error_result(service.redact.text(message(exc)))
        return service.ask(parsed.request, parsed.images, parsed.dry_run, parsed.gsd,
                           parsed.region)

    schema = AskArguments.model_json_schema()
    schema["additionalProperties"] = False
    return _passthrough_tool("ask", " ".join((AskArguments.__doc__ or "").split()), schema,
                             call)


def _instructions(unavailable: list[ToolRecord[Any, Any]]) -> str:
    text = ("EarthSight: remote-sensing tools over GeoTIFF scenes. File arguments are paths "
            "inside the workspace or the configured data folders. `ask` runs the whole agent "
            "on a plain-language request. Artifacts: read earthsight://manifest, then "
            "earthsight://artifacts/{id}.")
    if unavailable:
        names = "; ".join(f"{t.name} ({t.requires})" for t in unavailable)
        text += f" Not available in this installation (omitted): {names}."
    return text


def build_server(workspace: str | Path = "workspace", planner: str = "offline",
                 sandbox: Sandbox | None = None,
                 describer: Describer | None = None) -> MCPServer:
    """Build the MCP server over one workspace.

    Args:
        workspace: Folder for every output (created if missing).
        planner: Planner name the ``ask`` tool uses.
        sandbox: The file-argument sandbox (default: ``Sandbox.from_env(workspace)``).
        describer: A describer that wins over the configuration (see
            :func:`agent.runtime.choose_describer`).

    Raises:
        InputError: An invalid LLM configuration (file or environment).

    Returns:
        An ``MCPServer``; run it with :func:`run_stdio` or :func:`run_http`, or connect
        ``mcp.Client(server)`` to it in-process.
    """
    from mcp.server.mcpserver import MCPServer

    service = Service(make_runtime(workspace, planner=planner, sandbox=sandbox or True,
                                   describer=describer))
    available = [t for t in ALL_TOOLS if t.requires is None]
    unavailable = [t for t in ALL_TOOLS if t.requires is not None]
    server: MCPServer = MCPServer(
        SERVER_NAME, instructions=_instructions(unavailable), version="0.1.0",
        tools=[*(_record_tool(t, service) for t in available), _ask_tool(service)],
        log_level="WARNING")

    @server.resource("earthsight://manifest", name="manifest", mime_type="application/json",
                     description="Artifact records of this workspace (ids, kinds, units, files).")
    def manifest() -> str:
        records = [a.model_dump(mode="json") for a in service.workspace.artifacts()]
        return json.dumps(service.redact({"workspace": str(service.workspace.root),
                                          "artifacts": records}))

    @server.resource("earthsight://tools", name="tools", mime_type="application/json",
                     description="Every tool with its schemas; unavailable ones say why.")
    def tools() -> str:
        return json.dumps(tool_schemas())

    @server.resource("earthsight://artifacts/{artifact_id}", name="artifact",
                     description="An artifact's file (text for JSON/GeoJSON, else bytes).")
    def artifact(artifact_id: str) -> str | bytes:
        return service.artifact_file(artifact_id)

    @server.resource("earthsight://files/{name}", name="file",
                     description="A file of the workspace, by name.")
    def file(name: str) -> str | bytes:
        return service.workspace_file(name)

    return server


def run_stdio(server: MCPServer) -> None:
    """Serve over stdin/stdout until the client closes them."""
    server.run("stdio")


def mcp_transport_security(policy: SecurityPolicy) -> Any:
    """The MCP SDK's own ``TransportSecuritySettings``, consistent with ``policy`` (the SDK
    checks again behind :class:`~agent.serve.security.HostOriginGuard`; it needs ``name:*``
    for "any port")."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = [f"[{n}]" if ":" in n else n for n in sorted(policy.allowed_hosts)]
    origins = [f"{scheme}://{h}{port}" for h in hosts for scheme in ("http", "https")
               for port in ("", ":*")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for n in hosts for h in (n, f"{n}:*")],
        allowed_origins=origins + list(policy.cors_origins))


def http_app(server: MCPServer, host: str = "127.0.0.1", port: int | None = None,
             token: str | None = None) -> tuple[Any, ServerToken]:
    """The streamable-HTTP app of ``server`` (at ``/mcp``) behind the security policy, and
    where its token comes from (``token``, else ``EARTHSIGHT_TOKEN``, else the token file).

    Raises:
        InputError: A refused token file or a bad ``EARTHSIGHT_*`` security setting.
    """

    server_token = load_token(token)
    policy = SecurityPolicy.from_env(server_token.value, host, port)
    app: Any = server.streamable_http_app(
        host=host, transport_security=mcp_transport_security(policy),
        max_request_body_size=policy.max_body)
    install(app, policy)
    app.state.policy = policy
    return app, server_token


def run_http(server: MCPServer, host: str = "127.0.0.1", port: int = 8765,
             token: str | None = None) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` (blocks), after one start-up line on
    stderr (address, where the token comes from); one access line per request follows.

    Raises:
        InputError: A wildcard host without ``EARTHSIGHT_ALLOWED_HOSTS``, a refused token
            file, or a bad security setting.
    """
    import uvicorn

    check_bind(host)
    app, server_token = http_app(server, host, port, token)
    announce("EarthSight MCP server", app.state.policy, server_token.describe(), path="/mcp")
    with access_log_to_stderr():
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    server_header=False)
