"""What the servers send back: results as plain JSON data (the HTTP API and the MCP server)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, create_model

from agent.state import AgentResult
from tools.core.registry import ToolRecord, ToolRun

_PAYLOAD_MODELS: dict[str, type[BaseModel]] = {}


def to_jsonable(value: Any) -> Any:
    """A pydantic model, dataclass, path or container as plain JSON data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return json.loads(json.dumps(value, default=str))


def payload_model(record: ToolRecord[Any, Any]) -> type[BaseModel]:
    """The model of :func:`tool_payload` for a tool: its output model plus ``result_path``
    (derived from the record: the MCP output schema and the HTTP response schema)."""
    if record.name not in _PAYLOAD_MODELS:
        _PAYLOAD_MODELS[record.name] = create_model(
            f"{record.output_model.__name__}Run", __base__=record.output_model,
            result_path=(str, Field(description="the result record (JSON) in the workspace")))
    return _PAYLOAD_MODELS[record.name]


def tool_payload(run: ToolRun) -> dict[str, Any]:
    """A finished tool run as JSON data: the result record plus its file."""
    return {"result_path": str(run.result_path), **run.result.model_dump(mode="json")}


def ask_payload(result: AgentResult) -> dict[str, Any]:
    """The parts of an agent result a caller needs: answer, numbers, artifacts, errors."""
    return {
        "ok": result.ok, "answer": result.answer,
        "numbers": [n.model_dump(mode="json") for n in result.numbers],
        "artifacts": [a.model_dump(mode="json") for a in result.artifacts],
        "errors": list(result.errors), "workspace": result.workspace,
        "unreliable": result.unreliable,
        "plan": result.plan.to_design_json(),
    }
