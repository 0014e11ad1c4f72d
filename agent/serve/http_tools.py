"""``POST /sessions/{id}/tools/{name}``: one operation per tool, typed from its record.

Each tool gets its own route, so the OpenAPI schema shows the tool's arguments (its input
model, under ``args``) and its result (its output model plus ``result_path``) — both derived
from the tool record, the single source of every schema. The body is still validated once, by
the runtime's tool call (:meth:`agent.runtime.Runtime.run_tool`), so every interface refuses
bad arguments with the same message; an unknown tool name is answered 400 by a catch-all route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from agent.runtime import Runtime
from agent.serve.payloads import payload_model, tool_payload
from agent.serve.redact import Redactor
from tools.catalog import ALL_TOOLS
from tools.core.registry import ToolRecord

COMPONENTS = "#/components/schemas/{model}"


class ToolBody(BaseModel):
    """Arguments of one tool call."""

    model_config = ConfigDict(extra="forbid")

    args: dict[str, Any] = Field(default_factory=dict)


def _components(records: list[ToolRecord[Any, Any]]) -> dict[str, Any]:
    """The input and output models of ``records`` as OpenAPI component schemas."""
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (m, "validation") for r in records for m in (r.input_model, payload_model(r))]
    _, defs = models_json_schema(models, ref_template=COMPONENTS)
    components: dict[str, Any] = defs.get("$defs", {})
    return components


def _operation(record: ToolRecord[Any, Any]) -> dict[str, Any]:
    ref = COMPONENTS.format(model=record.input_model.__name__)
    out = COMPONENTS.format(model=payload_model(record).__name__)
    return {
        "summary": record.description.split(".")[0],
        "description": record.description,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["args"],
            "properties": {"args": {"$ref": ref}}}}}},
        "responses": {"200": {"description": "the tool's result record", "content": {
            "application/json": {"schema": {"$ref": out}}}}},
    }


def add_tool_routes(app: FastAPI, runtime_of: Callable[[str], Runtime],
                    redactor_of: Callable[[str], Redactor],
                    fail: Callable[[BaseException, Redactor], Exception]) -> None:
    """Add one ``POST /sessions/{session_id}/tools/<name>`` per available tool, plus the
    catch-all for unknown names, and put the tools' models into the OpenAPI components."""
    records = [r for r in ALL_TOOLS if r.requires is None]

    def run(session_id: str, name: str, body: ToolBody) -> dict[str, Any]:
        runtime = runtime_of(session_id)
        redact = redactor_of(session_id)
        try:
            with runtime.job(wait=False):
                done = runtime.run_tool(name, body.args)
        except Exception as exc:
            raise fail(exc, redact) from exc
        payload: dict[str, Any] = redact(tool_payload(done))
        return payload

    def route_for(record: ToolRecord[Any, Any]) -> Callable[..., Any]:
        async def call(session_id: str, request: Request) -> dict[str, Any]:
            try:  # the body is declared from the record (openapi_extra), parsed here
                body = ToolBody.model_validate(await request.json())
            except (ValueError, ValidationError, RecursionError) as exc:
                raise HTTPException(422, f"the body must be {{\"args\": {{...}}}} ({exc})") from exc
            return await run_in_threadpool(run, session_id, record.name, body)
        call.__name__ = f"tool_{record.name}"
        return call

    for record in records:
        app.add_api_route(f"/sessions/{{session_id}}/tools/{record.name}", route_for(record),
                          methods=["POST"], tags=["tools"], name=f"tool_{record.name}",
                          openapi_extra=_operation(record))

    @app.post("/sessions/{session_id}/tools/{name}", include_in_schema=False)
    def any_tool(session_id: str, name: str, body: ToolBody) -> dict[str, Any]:
        return run(session_id, name, body)

    components = _components(records)
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
