"""One record per tool, and everything derived from it: JSON schema, LangChain tool, runner.

A tool is a handler ``(args: InputModel, ctx: ToolContext) -> OutputModel`` decorated with
:func:`tool_record`. The handler's docstring (up to ``Args:``) is the description that LLM
schemas, the MCP server, ``earthsight tools`` and the docs show.

Every call goes through one runner (:func:`run_record`): validated arguments, a call id, an
output prefix, a result record file and manifest entries. The call id is allocated atomically
across processes (:meth:`Workspace.new_call_id`) and starts every output name of the call, so
no run ever overwrites another's files: a plan step's outputs are ``<call id>-<step>_<name>``
(``c004-s1_water_mask.tif``, result record ``c004-s1_map_water.json``), a direct call's
``<call id>_<name>``. A tool that needs another tool (a non-RGB scene composited by
``pseudo_rgb`` before detection) runs it through its context with
:meth:`ToolContext.call_tool`: a child call through the same runner, with its own call id,
outputs named ``<parent prefix>.<k>_...`` (k counts the children of the parent call), its own
result record, and ``call.parent`` naming the parent call on the child's artifacts.
"""

from __future__ import annotations

import importlib.machinery
import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tools.core.arguments import validate
from tools.core.artifacts import Artifact, ArtifactKind, ParentCall, ToolCall, ToolResult
from tools.core.errors import InputError, ToolUnavailable, os_error_text
from tools.core.fields import MODEL_FIELD as MODEL_FIELD  # re-exported for the tools
from tools.core.fields import PATH_FIELD as PATH_FIELD
from tools.core.fields import PATH_MARK as PATH_MARK
from tools.core.fields import argument_names
from tools.core.fields import path_fields as path_fields
from tools.core.scene_options import scene_scope
from tools.core.settings import Settings, get_settings
from tools.core.workspace import Workspace
from tools.geo.atomic import atomic_path
from tools.geo.quicklook import add_quicklooks

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=ToolResult)

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``: called as long work advances."""


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
    lookup: ToolLookup | None = None
    """Tool name -> record, for :meth:`call_tool` (None: the lookup ``tools.catalog``
    registers with :func:`register_lookup`)."""
    out_prefix: str | None = None
    """File-name prefix of the outputs (None: ``<call id>-<step>``, else the call id)."""
    child_runs: list[ToolRun] = field(default_factory=list)
    """The finished child calls (result and result record file), in call order; their
    artifacts are in the manifest, recorded by the child calls themselves."""
    children: int = 0
    """Child calls started so far (numbers their output prefixes)."""

    @property
    def prefix(self) -> str:
        """File-name prefix of this call's outputs: ``<call id>-<step>`` for a plan step
        (``c004-s1``), else the call id; for a child call ``<parent prefix>.<k>``. The call id
        is unique in the workspace, so the names are too."""
        if self.out_prefix:
            return self.out_prefix
        return f"{self.call_id}-{self.call.step}" if self.call.step else self.call_id

    def call_tool(self, name: str, args: dict[str, Any]) -> ToolResult:
        """Run tool ``name`` with ``args`` as a child of this call, through the same runner.

        The child gets validated arguments, its own call id, the output prefix
        ``<this prefix>.<k>`` (k = 1, 2, ... per child of this call; step and call ids never
        hold a dot, and this prefix starts with this call's own id, so it is unique in the
        workspace), its own result record, and
        ``call.parent`` (this call's id, tool and step) on its artifacts. It shares this call's
        progress callback, describer, settings and tool lookup. Its artifacts are recorded in
        the manifest by the child call; :meth:`include` also lists one in this call's result.
        Its result record file is ``child_runs[-1].result_path`` after the call.

        Raises:
            InputError: Unknown tool or bad arguments (the message names the tool).
            ToolUnavailable: The child cannot run here, or no tool lookup is known.
        """
        lookup = self.lookup or (_REGISTERED[0] if _REGISTERED else None)
        if lookup is None:
            raise ToolUnavailable(f"{self.call.tool} cannot run {name}: this context has no tool "
                                  "lookup (pass lookup= to run_record, or import tools.catalog)")
        record = lookup(name)
        parsed = _checked(record, args)
        self.children += 1
        call = ToolCall(tool=record.name, args=parsed.model_dump(mode="json", exclude_none=True),
                        parent=ParentCall(call_id=self.call_id, tool=self.call.tool,
                                          step=self.call.step))
        child = ToolContext(workspace=self.workspace, call=call,
                            call_id=self.workspace.new_call_id(), settings=self.settings,
                            progress=self.progress, describer=self.describer, lookup=lookup,
                            out_prefix=f"{self.prefix}.{self.children}")
        self.progress(record.name, 0, 1)
        run = _execute(record, parsed, child)
        self.child_runs.append(run)
        return run.result

    def output_path(self, name: str) -> Path:
        """Path for an output file of this call, e.g. ``c004-s2_water_mask.tif``."""
        return self.workspace.path(self.prefix, name)

    @property
    def result_path(self) -> Path:
        """Path of this call's result record (JSON)."""
        return self.output_path(f"{self.call.tool}.json")

    def include(self, art: Artifact) -> None:
        """List an artifact of a child call (e.g. the composite a tool worked on) in this call's
        result too; the manifest keeps it once, recorded by the child."""
        self.produced.append(art)

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
    """What this installation lacks for the tool to run (None: it can run); see
    :func:`missing_requirements`."""
    models: tuple[str, ...] = ()
    """Model records a call without a ``model`` argument may load (``earthsight tools`` says
    "needs weights" when the weights of none of them are on this machine)."""

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (no others: unknown names are refused)."""
        schema = self.input_model.model_json_schema()
        props = schema.get("properties", {})
        schema["properties"] = {n: props[n] for n in argument_names(self.input_model)
                                if n in props}
        schema.setdefault("additionalProperties", False)
        return schema

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
        """Check and parse arguments (:func:`tools.core.arguments.validate`: unknown names,
        non-finite numbers, then the input model), as one readable InputError."""
        return validate(self.name, self.input_model, args)


ToolLookup = Callable[[str], ToolRecord[Any, Any]]
"""Tool name -> its record (``tools.catalog.get_tool``); raises InputError for unknown names."""

_REGISTERED: list[ToolLookup] = []


def register_lookup(lookup: ToolLookup) -> None:
    """Make ``lookup`` the tool lookup of contexts made without one (``tools.catalog`` registers
    its ``get_tool`` on import, so ``tools.core`` never imports the catalog)."""
    _REGISTERED[:] = [lookup]


def _describe(handler: Callable[..., Any]) -> str:
    doc = inspect.getdoc(handler) or handler.__name__
    return doc.split("\nArgs:")[0].strip()


def missing_requirements(needs: Sequence[str], extra: str = "deep") -> str | None:
    """What this installation lacks of the top-level modules ``needs`` (None: nothing).

    Modules are looked up on ``sys.path`` without importing them (and without the import
    hooks), so asking costs a few file-system look-ups and never loads torch.
    """
    missing = [m for m in needs if importlib.machinery.PathFinder.find_spec(m) is None]
    if not missing:
        return None
    return (f"needs the {extra} extra (pip install 'earthsight[{extra}]'; not installed: "
            f"{', '.join(missing)})")


def tool_record(
    input_model: type[In], output_model: type[Out], needs: Sequence[str] = (),
    models: Sequence[str] = (),
) -> Callable[[Callable[[In, ToolContext], Out]], ToolRecord[In, Out]]:
    """Turn a handler into its ToolRecord (name from the function, description from its doc).

    Args:
        input_model: The arguments.
        output_model: The result.
        needs: Optional top-level modules (of the ``deep`` extra) every call of the tool
            imports; the record's ``requires`` says which are missing, once, at import.
        models: Model records its default call loads (:attr:`ToolRecord.models`).
    """

    def wrap(handler: Callable[[In, ToolContext], Out]) -> ToolRecord[In, Out]:
        return ToolRecord(
            name=handler.__name__, description=_describe(handler), input_model=input_model,
            output_model=output_model, handler=handler, requires=missing_requirements(needs),
            models=tuple(models),
        )

    return wrap


@dataclass(frozen=True)
class ToolRun:
    """A finished tool call: its typed result and the file that records it."""

    result: ToolResult
    result_path: Path


def _checked(record: ToolRecord[In, Out], args: dict[str, Any]) -> In:
    if record.requires is not None:
        raise ToolUnavailable(f"{record.name} cannot run here: {record.requires}")
    return record.validate_args(args)


def _execute(record: ToolRecord[Any, Any], parsed: BaseModel, ctx: ToolContext) -> ToolRun:
    """Run the handler, write the result record and record the call's own artifacts."""
    try:
        with scene_scope(parsed, ctx.output_path) as scope:
            result = record.handler(scope.args, ctx)
            scope.finish(result, ctx.number)
    except OSError as exc:  # about a file (a name too long...): the request's error
        if isinstance(exc, PermissionError) or exc.filename is None:
            raise  # refused (403), or no file named: as it is
        raise InputError(f"{record.name}: {os_error_text(exc)}") from exc
    listed = {a.id for a in result.artifacts}
    for art in ctx.produced:
        if art.id not in listed:
            result.artifacts.append(art)
            listed.add(art.id)
    add_quicklooks(result)
    record_text = json.dumps({"call": ctx.call.model_dump(mode="json"),
                              "result": result.model_dump(mode="json")}, indent=1, default=str)
    with atomic_path(ctx.result_path, "tmp", replace=False) as tmp:  # never over another's
        tmp.write_text(record_text, encoding="utf-8")
    recorded = {a.id for r in ctx.child_runs for a in r.result.artifacts}  # by the children
    ctx.workspace.record([a for a in result.artifacts if a.id not in recorded])
    return ToolRun(result=result, result_path=ctx.result_path)


def run_record(
    record: ToolRecord[Any, Any], args: dict[str, Any], workspace: Workspace,
    step: str | None = None, progress: ProgressCallback | None = None,
    describer: Describer | None = None, lookup: ToolLookup | None = None,
) -> ToolRun:
    """Validate ``args``, run the tool, write its result JSON and record its artifacts.

    Args:
        record: The tool.
        args: Its arguments (validated here).
        workspace: Where outputs, the result record and the manifest go.
        step: Plan step id (s1, s2...; no dot): the output files are named
            ``<call id>-<step>_<name>``.
        progress: ``(stage, done, total)`` callback.
        describer: The vision/language backend handed to the tool's context.
        lookup: Tool name -> record for the tool's child calls
            (:meth:`ToolContext.call_tool`; None: the lookup the catalog registers).

    Raises:
        InputError: Bad arguments or input files (message names which and the fix).
        ToolUnavailable: The tool cannot run in this installation.
    """
    if step is not None and "." in step:
        raise InputError(f"step: {step!r} holds a dot, which is reserved for the output "
                         "prefixes of child calls (<step>.<k>); use ids like s1, s2")
    parsed = _checked(record, args)
    call = ToolCall(tool=record.name, args=parsed.model_dump(mode="json", exclude_none=True),
                    step=step)
    ctx = ToolContext(workspace=workspace, call=call, call_id=workspace.new_call_id(),
                      progress=progress or _no_progress, describer=describer, lookup=lookup)
    return _execute(record, parsed, ctx)
