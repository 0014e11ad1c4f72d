"""One record per tool, and everything derived from it: JSON schema, LangChain tool, runner.

A tool is a handler ``(args: InputModel, ctx: ToolContext) -> OutputModel`` decorated with
:func:`tool_record`. The handler's docstring (up to ``Args:``) is the description that LLM
schemas, the MCP server, ``earthsight tools`` and the docs show.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from tools.core.artifacts import Artifact, ArtifactKind, ToolCall, ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.settings import Settings, get_settings
from tools.core.workspace import Workspace
from tools.geo.vector import write_json_atomic

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=ToolResult)

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``: called as long work advances."""


PATH_MARK = "x-earthsight-path"
"""JSON-schema key that marks an input field holding a file path (or a list of them)."""

PATH_FIELD: dict[str, Any] = {PATH_MARK: True}
"""``json_schema_extra`` of every file argument: sandboxes resolve and check exactly these."""


MODEL_FIELD: dict[str, Any] = {PATH_MARK: "model"}
"""``json_schema_extra`` of a ``model`` argument: a model record name, or a weights file that
sandboxes resolve and check like any other file argument."""


def path_fields(model: type[BaseModel], kind: str | None = None) -> list[str]:
    """Names of the fields of ``model`` marked as file paths.

    Args:
        model: A tool's input model.
        kind: None for every marked field, "file" for plain file arguments
            (:data:`PATH_FIELD`), "model" for model arguments (:data:`MODEL_FIELD`).
    """
    out: list[str] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        mark = extra.get(PATH_MARK) if isinstance(extra, dict) else None
        if not mark:
            continue
        field_kind = "model" if mark == "model" else "file"
        if kind is None or kind == field_kind:
            out.append(name)
    return out


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class DescribeRequest:
    """What a scene describer is asked: the question, the measured facts, a thumbnail."""

    question: str | None
    """The analyst's question (None: a short caption)."""
    facts: str
    """The scene's measured facts as plain text."""
    thumbnail_png: bytes | None = None
    """A small PNG of the scene (None: send the facts only)."""


Describer = Callable[[DescribeRequest], str]
"""A vision/language backend injected by the caller (``tools`` never imports ``agent``).

It returns the answer text and may raise (the tool then falls back to its measured facts).
A describer that can look at images may also have a ``thumbnail(path) -> bytes | None``
method: the tool calls it and sends the PNG it returns with the request."""


@dataclass
class ToolContext:
    """What a running tool may use: its workspace, its call record, settings, progress."""

    workspace: Workspace
    call: ToolCall
    call_id: str
    settings: Settings = field(default_factory=get_settings)
    progress: ProgressCallback = _no_progress
    produced: list[Artifact] = field(default_factory=list)
    describer: Describer | None = None
    """Optional vision/language backend that ``describe_scene`` answers with."""

    @property
    def prefix(self) -> str:
        """File-name prefix of this call's outputs (the plan step id, else the call id)."""
        return self.call.step or self.call_id

    def output_path(self, name: str) -> Path:
        """Path for an output file of this call, e.g. ``s2_water_mask.tif``."""
        return self.workspace.path(self.prefix, name)

    @property
    def result_path(self) -> Path:
        """Path of this call's result record (JSON)."""
        return self.output_path(f"{self.call.tool}.json")

    def artifact(
        self, name: str, kind: ArtifactKind, path: Path | None = None, *, units: str | None = None,
        crs: str | None = None, transform: list[float] | None = None, value: float | None = None,
        description: str = "",
    ) -> Artifact:
        """Create an artifact record for an output of this call."""
        art = Artifact(
            id=f"{self.call_id}-{name}", name=name, kind=kind,
            path=str(path if path is not None else self.result_path), units=units, crs=crs,
            transform=transform, value=value, description=description, call=self.call,
        )
        self.produced.append(art)
        return art

    def number(self, name: str, value: float, units: str, description: str = "") -> Artifact:
        """A number artifact (kept in this call's result file)."""
        return self.artifact(name, "number", units=units, value=float(value),
                             description=description)


@dataclass(frozen=True)
class ToolRecord(Generic[In, Out]):
    """The single source of truth for one tool."""

    name: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    handler: Callable[[In, ToolContext], Out]
    requires: str | None = None
    """What this installation lacks for the tool to run (None: it can run)."""

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments."""
        return self.input_model.model_json_schema()

    def schema(self) -> dict[str, Any]:
        """Name, description, input and output JSON schemas."""
        return {
            "name": self.name,
            "description": self.description,
            "available": self.requires is None,
            "requires": self.requires,
            "input_schema": self.input_schema(),
            "output_schema": self.output_model.model_json_schema(),
        }

    def validate_args(self, args: dict[str, Any]) -> In:
        """Validate arguments, turning pydantic errors into one readable InputError."""
        try:
            return self.input_model.model_validate(args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in exc.errors()
            )
            allowed = ", ".join(self.input_model.model_fields)
            raise InputError(f"{self.name}: invalid arguments ({problems}). "
                             f"Arguments it takes: {allowed}.") from exc


def _describe(handler: Callable[..., Any]) -> str:
    doc = inspect.getdoc(handler) or handler.__name__
    return doc.split("\nArgs:")[0].strip()


def tool_record(
    input_model: type[In], output_model: type[Out], requires: str | None = None
) -> Callable[[Callable[[In, ToolContext], Out]], ToolRecord[In, Out]]:
    """Turn a handler into its ToolRecord (name from the function, description from its doc)."""

    def wrap(handler: Callable[[In, ToolContext], Out]) -> ToolRecord[In, Out]:
        return ToolRecord(
            name=handler.__name__, description=_describe(handler), input_model=input_model,
            output_model=output_model, handler=handler, requires=requires,
        )

    return wrap


@dataclass(frozen=True)
class ToolRun:
    """A finished tool call: its typed result and the file that records it."""

    result: ToolResult
    result_path: Path


def run_record(
    record: ToolRecord[Any, Any], args: dict[str, Any], workspace: Workspace,
    step: str | None = None, progress: ProgressCallback | None = None,
    describer: Describer | None = None,
) -> ToolRun:
    """Validate ``args``, run the tool, write its result JSON and record its artifacts.

    ``describer`` (optional) is the vision/language backend handed to the tool's context.

    Raises:
        InputError: Bad arguments or input files (message names which and the fix).
        ToolUnavailable: The tool cannot run in this installation.
    """
    if record.requires is not None:
        raise ToolUnavailable(f"{record.name} cannot run here: {record.requires}")
    parsed = record.validate_args(args)
    call = ToolCall(tool=record.name, args=parsed.model_dump(mode="json", exclude_none=True),
                    step=step)
    ctx = ToolContext(workspace=workspace, call=call, call_id=workspace.new_call_id(),
                      progress=progress or _no_progress, describer=describer)
    result = record.handler(parsed, ctx)
    known = {a.id for a in result.artifacts}
    result.artifacts.extend(a for a in ctx.produced if a.id not in known)
    write_json_atomic(ctx.result_path, {"call": call.model_dump(mode="json"),
                                        "result": result.model_dump(mode="json")})
    workspace.record(result.artifacts)
    return ToolRun(result=result, result_path=ctx.result_path)


def load_result(path: str | Path, argument: str = "source") -> tuple[ToolCall, dict[str, Any]]:
    """Read a result file written by :func:`run_record` (what a ``$sN`` reference points to)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return ToolCall.model_validate(data["call"]), dict(data["result"])
    except FileNotFoundError as exc:
        raise InputError(f"{argument}: result file not found: {p}") from exc
    except (KeyError, ValueError) as exc:
        raise InputError(f"{argument}: {p} is not an EarthSight result file") from exc
