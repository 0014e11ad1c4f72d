"""Scripted workflows: a YAML file of named inputs, tool steps and the outputs to keep.

```yaml
name: water-area
description: Open-water extent and area of a SAR scene
inputs:
  image: {type: image, description: Sentinel-1 VV(/VH) scene}
  min_area_m2: {type: number, default: 500}
steps:
  - id: water
    tool: map_water
    args: {image: $image}
  - id: big
    tool: measure
    args: {source: $water, statistic: area, min_area_m2: ${min_area_m2}}
outputs: [water.water_area, big]
```

* ``inputs``: name -> ``{type, default, description}`` (or just the type). Types: ``image``
  (a file), ``images`` (a list of files; ``--set images=a.tif,b.tif``), ``number``,
  ``integer``, ``string``, ``boolean``. An input without ``default`` is required.
* ``steps``: ``id`` (letters, digits, ``_``), ``tool`` (see ``earthsight tools``), ``args``.
* References (:mod:`agent.references`): an argument whose whole value is ``$name`` or
  ``${name}`` takes the input ``name``, or the result of the earlier step with id ``name``
  (``$name.number`` one of its numbers), also inside lists and dicts.
* ``outputs``: step ids (all their numbers and files) or ``step.number`` (one number);
  default: every step.

Everything is checked before anything runs (unknown tool or argument, a value the tool's input
model rejects, a reference to nothing or to a later step, a missing input); each problem names
the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from agent import references
from agent.plan import Plan
from agent.state import NumberRecord, StepResult
from agent.workflows.inputs import INPUT_TYPES, convert_input
from agent.workflows.inputs import WorkflowError as WorkflowError
from agent.workflows.inputs import WorkflowInput as WorkflowInput
from tools.catalog import REGISTRY
from tools.core.arguments import closest
from tools.core.artifacts import Artifact
from tools.core.errors import InputError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_KEYS = ("name", "description", "version", "inputs", "steps", "outputs")
MAX_NESTING = 32
"""Deepest nesting of ``[ ]`` / ``{ }`` a workflow may have (a real one has 2 or 3)."""
MAX_WORKFLOW_BYTES = 1024 * 1024
"""Largest workflow file read (a workflow is a few hundred bytes)."""


class WorkflowStep(BaseModel):
    """One tool call; ``$name`` / ``${name}`` values refer to inputs or earlier steps."""

    id: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class Workflow(BaseModel):
    """A parsed, validated workflow."""

    name: str
    description: str = ""
    inputs: dict[str, WorkflowInput] = Field(default_factory=dict)
    steps: list[WorkflowStep]
    outputs: list[str] = Field(default_factory=list)
    path: str | None = None


class WorkflowResult(BaseModel):
    """What a workflow run returns: inputs used, steps, the kept numbers and files, the answer."""

    workflow: str
    inputs: dict[str, Any]
    answer: str
    steps: list[StepResult]
    numbers: list[NumberRecord] = Field(default_factory=list, description="kept outputs")
    artifacts: list[Artifact] = Field(default_factory=list, description="files of kept steps")
    errors: list[str] = Field(default_factory=list)
    workspace: str | None = None
    dry_run: bool = False
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        """True when every step ran without error."""
        return not self.errors and all(s.status == "ok" for s in self.steps)


@dataclass
class _Doc:
    """The YAML text with the line of every node, addressed by its key path."""

    source: str
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def index(self, node: yaml.Node, path: tuple[Any, ...] = ()) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value if isinstance(key, yaml.ScalarNode) else str(key)
                self.lines[(*path, k, "<key>")] = key.start_mark.line + 1
                self.index(value, (*path, k))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.index(item, (*path, i))

    def line(self, path: tuple[Any, ...]) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: tuple[Any, ...], message: str) -> None:
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path if p != "<key>")
        self.problems.append(f"{self.source}:{self.line(path)}: "
                             f"{where.replace('.[', '[') + ': ' if where else ''}{message}")


def _placeholder(kind: str, default: Any) -> Any:
    """A value of an input's type for checking arguments before the real value is known."""
    if default is not None:
        return default
    return {"image": "input.tif", "images": ["a.tif", "b.tif"], "number": 1.0, "integer": 1,
            "string": "text", "boolean": True}.get(kind, "input")


def substitute(value: Any, names: dict[str, Any]) -> Any:
    """``value`` with the references to ``names`` (inputs, step ids) replaced (lists splice)."""
    return references.rename(value, names)


def _parse_inputs(raw: Any, doc: _Doc) -> dict[str, WorkflowInput]:
    inputs: dict[str, WorkflowInput] = {}
    if raw is None:
        return inputs
    if not isinstance(raw, dict):
        doc.error(("inputs",), "must be a mapping of input names to {type, default}")
        return inputs
    for name, spec in raw.items():
        path = ("inputs", name)
        if not isinstance(name, str) or not _NAME.match(name):
            doc.error((*path, "<key>"), f"input name {name!r} must be letters, digits and _")
            continue
        spec = {"type": spec} if isinstance(spec, str) or spec is None else spec
        if not isinstance(spec, dict):
            doc.error(path, "must be a type name or {type, default, description}")
            continue
        extra = set(spec) - {"type", "default", "description"}
        if extra:
            doc.error(path, f"unknown key(s) {', '.join(sorted(map(str, extra)))}; an input "
                      "takes type, default, description")
        kind = spec.get("type") or "image"
        if kind not in INPUT_TYPES:
            doc.error((*path, "type"), f"unknown type {kind!r}; types: {', '.join(INPUT_TYPES)}")
        one = WorkflowInput(type=str(kind), default=spec.get("default"),
                            description=str(spec.get("description") or ""),
                            required="default" not in spec)
        if one.default is not None and kind in INPUT_TYPES:
            try:
                one.default = convert_input(name, one, one.default)
            except WorkflowError as exc:
                doc.error((*path, "default"), f"default: {exc}")
        inputs[name] = one
    return inputs


def _check_step(step: WorkflowStep, index: int, known: dict[str, Any], doc: _Doc,
                require_available: bool) -> None:
    path: tuple[Any, ...] = ("steps", index)
    record = REGISTRY.get(step.tool)
    for ref, where in references.find(step.args):
        if ref.name not in known:
            at = tuple(int(p) if p.isdigit() else p
                       for p in where.replace("[", ".").replace("]", "").split(".") if p)
            doc.error((*path, "args", *at), f"{ref} is neither an input nor an earlier step "
                      f"(inputs and earlier steps: {', '.join(known) or 'none'})")
    if record is None:
        doc.error((*path, "tool"), f"unknown tool {step.tool!r}; tools are: "
                  f"{', '.join(REGISTRY)}")
        return
    if require_available and record.requires is not None:
        doc.error((*path, "tool"), f"{step.tool} cannot run in this installation: "
                  f"{record.requires}")
    fields = record.input_model.model_fields
    for name in step.args:
        if name not in fields:
            near = closest(str(name), fields)
            hint = f" (did you mean {near!r}?)" if near else ""
            doc.error((*path, "args", name, "<key>"), f"{step.tool} has no argument {name!r}"
                      f"{hint}; it takes: {', '.join(fields)}")
    args = {k: v for k, v in substitute(step.args, known).items() if k in fields}
    try:
        record.validate_args(args)
    except InputError as exc:
        cause = exc.__cause__
        errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
        for e in errors or [{"loc": (), "msg": str(exc)}]:
            loc = tuple(e["loc"])
            doc.error((*path, "args", *loc), f"{step.tool}: {e['msg']}")


def _too_deep(text: str) -> int | None:
    """The line where flow collections (``[``, ``{``) nest deeper than :data:`MAX_NESTING`,
    outside quotes and comments (None: nowhere); one pass, before YAML reads the text."""
    depth, line, quote, comment, escaped, before = 0, 1, "", False, False, " "
    for ch in text:
        if ch == "\n":
            line, comment = line + 1, False
        elif comment:
            pass
        elif quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"" and before in " \t\n[{,:":
            quote = ch
        elif ch == "#" and before in " \t\n":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
        before = ch
    return None


def parse_workflow(text: str, source: str = "<workflow>", *,
                   require_available: bool = True) -> Workflow:
    """Parse and validate a workflow in full (nothing runs).

    Args:
        text: The YAML text.
        source: File name used in messages.
        require_available: Also refuse tools this installation cannot run.

    Raises:
        WorkflowError: Every problem found, one per line, each with ``file:line:``.
    """
    doc = _Doc(source)
    deep = _too_deep(text)
    if deep is not None:  # YAML's scanner slows down with the square of the nesting
        raise WorkflowError(f"{source}:{deep}: not a workflow: values nested too deeply (more "
                            f"than {MAX_NESTING} levels of [ ] or {{ }})")
    try:
        alias = next((t for t in yaml.scan(text) if isinstance(t, yaml.AliasToken)), None)
        if alias is not None:  # aliases multiply nodes (a few bytes can stand for millions)
            raise WorkflowError(f"{source}:{alias.start_mark.line + 1}: YAML aliases (*name) "
                                "are not allowed in workflows; write the value out")
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except RecursionError:
        raise WorkflowError(f"{source}:1: not a workflow: values nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "1"
        raise WorkflowError(f"{source}:{line}: not valid YAML: "
                            f"{getattr(exc, 'problem', None) or exc}") from None
    if node is None or not isinstance(raw, dict):
        raise WorkflowError(f"{source}:1: a workflow is a mapping with inputs, steps, outputs")
    doc.index(node)
    for key in raw:
        if key not in _TOP_KEYS:
            doc.error((key, "<key>"), f"unknown key {key!r}; a workflow has: "
                      f"{', '.join(_TOP_KEYS)}")
    inputs = _parse_inputs(raw.get("inputs"), doc)
    known: dict[str, Any] = {n: _placeholder(i.type, i.default) for n, i in inputs.items()}
    steps: list[WorkflowStep] = []
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        doc.error(("steps",), "a workflow needs a list of steps (- id: s1, tool: ..., args: ...)")
        raw_steps = []
    for i, item in enumerate(raw_steps):
        path: tuple[Any, ...] = ("steps", i)
        if not isinstance(item, dict) or "tool" not in item:
            doc.error(path, "a step is a mapping with id, tool and args")
            continue
        sid = str(item.get("id") or f"s{i + 1}")
        if not _NAME.match(sid) or sid in known:
            doc.error((*path, "id"), f"step id {sid!r} must be unique, not an input name, and "
                      "letters, digits and _ only")
        extra = set(item) - {"id", "tool", "args"}
        if extra:
            doc.error(path, f"unknown key(s) {', '.join(sorted(map(str, extra)))}; a step "
                      "takes id, tool, args")
        args = item.get("args") or {}
        if not isinstance(args, dict):
            doc.error((*path, "args"), "args must be a mapping of argument names to values")
            args = {}
        step = WorkflowStep(id=sid, tool=str(item["tool"]), args=args)
        _check_step(step, i, known, doc, require_available)
        known[sid] = "earlier-step-result.json"
        steps.append(step)
    outputs = raw.get("outputs") or []
    if not isinstance(outputs, list):
        doc.error(("outputs",), "outputs is a list of step ids (or step.number)")
        outputs = []
    step_ids = {s.id for s in steps}
    for i, out in enumerate(outputs):
        if str(out).split(".")[0] not in step_ids:
            doc.error(("outputs", i), f"{out!r} names no step; steps: {', '.join(step_ids)}")
    if doc.problems:
        raise WorkflowError(f"{len(doc.problems)} problem(s) in workflow {source}:\n"
                            + "\n".join(doc.problems))
    return Workflow(name=str(raw.get("name") or Path(source).stem),
                    description=str(raw.get("description") or ""), inputs=inputs, steps=steps,
                    outputs=[str(o) for o in outputs], path=source)


def load_workflow(path: str | Path, *, require_available: bool = True) -> Workflow:
    """Read and validate a workflow file (see :func:`parse_workflow`).

    Raises:
        WorkflowError: The file cannot be read, is not a YAML text file (a GeoTIFF given by
            mistake, a file over :data:`MAX_WORKFLOW_BYTES`), or is an invalid workflow.
    """
    p = Path(path)
    fix = "give a YAML workflow file (see examples/workflows/)"
    try:
        with p.open("rb") as handle:
            data = handle.read(MAX_WORKFLOW_BYTES + 1)
    except OSError as exc:
        raise WorkflowError(f"workflow {p}: cannot read it ({exc.strerror or exc}); "
                            f"{fix}") from None
    if len(data) > MAX_WORKFLOW_BYTES:
        raise WorkflowError(f"workflow {p}: over {MAX_WORKFLOW_BYTES // 1024} KiB, so not a "
                            f"workflow; {fix}")
    if b"\x00" in data:
        raise WorkflowError(f"workflow {p}: not a text file (a raster or other binary file?); "
                            f"{fix}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowError(f"workflow {p}: not UTF-8 text (byte {exc.start}); save it as UTF-8, "
                            f"or {fix}") from None
    return parse_workflow(text, str(p), require_available=require_available)
