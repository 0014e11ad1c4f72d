"""Running workflows: bind inputs, turn the steps into an agent plan, run it, keep outputs.

The steps run through the agent graph's act and answer nodes, so a workflow step behaves like a
planned step: ``$`` references resolve to earlier results, a failed step skips the steps that
read it, and the request's checks (:class:`~agent.checks.RequestChecks`: sandbox, pixel limit)
pass every input and file argument once, before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent import references
from agent.checks import RequestChecks
from agent.graph import ToolLookup, request_checks, run_request
from agent.plan import Plan, PlanStep, Scene
from agent.progress import AgentProgress
from agent.state import AgentResult
from agent.workflows.inputs import convert_input
from agent.workflows.workflow import (
    Workflow,
    WorkflowError,
    WorkflowResult,
    load_workflow,
    substitute,
)
from tools.catalog import get_tool
from tools.core.arguments import closest
from tools.core.errors import InputError
from tools.core.registry import Describer, ToolRecord


def bind_inputs(workflow: Workflow, given: Mapping[str, Any], *,
                partial: bool = False) -> dict[str, Any]:
    """The value of every input: given (converted to its type) or its default.

    Args:
        workflow: The workflow.
        given: Values by input name.
        partial: Leave missing required inputs as ``$name`` (dry runs) instead of failing.

    Raises:
        WorkflowError: An unknown input name, a value not of its input's type, or a required
            input that was not given.
    """
    unknown = [k for k in given if k not in workflow.inputs]
    if unknown:
        near = [closest(str(k), workflow.inputs) for k in unknown]
        hint = "".join(f" (did you mean {n!r}?)" for n in near if n)
        raise WorkflowError(f"workflow {workflow.name}: no input named "
                            f"{', '.join(map(str, unknown))}{hint}; "
                            f"inputs: {', '.join(workflow.inputs) or 'none'}")
    values: dict[str, Any] = {}
    missing: list[str] = []
    for name, spec in workflow.inputs.items():
        if name in given:
            values[name] = convert_input(name, spec, given[name])
        elif spec.required and partial:
            values[name] = f"${name}"
        elif spec.required:
            about = f": {spec.description}" if spec.description else ""
            missing.append(f"{name} ({spec.type}{about})")
        else:
            values[name] = spec.default
    if missing:
        raise WorkflowError(f"workflow {workflow.path or workflow.name}: missing input(s) "
                            f"{'; '.join(missing)}. Give them with --set NAME=VALUE "
                            "(or as keyword arguments).")
    return values


def check_bound_step(record: ToolRecord[Any, Any], args: dict[str, Any], step: str) -> None:
    """A step's arguments, inputs bound, checked against the tool's input model before any
    step runs (arguments still holding a reference to an earlier step are checked when it ran).

    Raises:
        WorkflowError: A value the tool refuses (the step, the argument and why).
    """
    try:
        record.validate_args(args)
    except InputError as exc:
        cause = exc.__cause__
        if not isinstance(cause, ValidationError):
            raise WorkflowError(f"step {step}: {exc}") from None
        problems = [e for e in cause.errors()
                    if not (e["loc"] and references.step_ids(args.get(str(e["loc"][0]))))]
        if problems:
            shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}"
                              for e in problems)
            raise WorkflowError(f"step {step}: {record.name} refuses its arguments with the "
                                f"inputs given ({shown}); change the input values "
                                "(--set NAME=VALUE)") from None


def to_plan(workflow: Workflow, values: Mapping[str, Any]) -> tuple[Plan, dict[str, str]]:
    """The agent plan of a workflow with its inputs bound (steps renamed s1, s2, ...).

    Returns:
        The plan and the map from plan step ids to workflow step ids.
    """
    rename = {s.id: f"s{i}" for i, s in enumerate(workflow.steps, start=1)}
    names: dict[str, Any] = {**values, **{k: f"${v}" for k, v in rename.items()}}
    steps = [PlanStep(id=rename[s.id], tool=s.tool, args=substitute(s.args, names))
             for s in workflow.steps]
    return (Plan(request=workflow.description or workflow.name, steps=steps),
            {v: k for k, v in rename.items()})


class _FixedPlanner:
    name = "workflow"

    def __init__(self, plan: Plan) -> None:
        self._plan = plan

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        return self._plan


def run_workflow(workflow: Workflow | str | Path, inputs: Mapping[str, Any] | None = None, *,
                 workspace: str | Path = "workspace", dry_run: bool = False,
                 checks: RequestChecks | None = None, progress: AgentProgress | None = None,
                 describer: Describer | None = None,
                 tool_lookup: ToolLookup = get_tool) -> WorkflowResult:
    """Validate, bind inputs, and run a workflow through the agent's act/answer nodes.

    Args:
        workflow: A Workflow or the path of its YAML file (read as given: the caller's code).
        inputs: Input values by name (strings are converted to the input's type).
        workspace: Output folder.
        dry_run: Validate and bind only; return the plan that would run.
        checks: The request's checks (a runtime's; default: open paths and the pixel limit).
        progress: Listener of progress events.
        describer: The backend ``describe_scene`` steps answer with (default: none).
        tool_lookup: Tool name -> record.

    Raises:
        WorkflowError: Invalid workflow or inputs (nothing ran).
        InputError: A refused file or one over the pixel limit (nothing ran).
    """
    wf = workflow if isinstance(workflow, Workflow) else load_workflow(
        workflow, require_available=not dry_run)
    values = bind_inputs(wf, inputs or {}, partial=dry_run)
    one = checks or request_checks(None, tool_lookup)
    if not dry_run:  # every input and file argument once, before anything runs
        for name, spec in wf.inputs.items():
            if spec.type == "image" and values.get(name) is not None:
                values[name] = one.check_file(values[name], name)
            elif spec.type == "images" and values.get(name) is not None:
                values[name] = [one.check_file(v, f"{name}[{i}]")
                                for i, v in enumerate(values[name])]
        plan, back = to_plan(wf, values)
        for step in plan.steps:
            check_bound_step(tool_lookup(step.tool), step.args, back.get(step.id, step.id))
        for step in plan.steps:
            one.check_tool_args(step.tool, step.args)
    plan, back = to_plan(wf, values)
    images = [values[n] for n, s in wf.inputs.items()
              if s.type == "image" and values.get(n) and not references.is_reference(values[n])]
    result: AgentResult = run_request(plan.request, images, workspace, _FixedPlanner(plan),
                                      dry_run=dry_run, progress=progress, checks=one,
                                      describer=describer, tool_lookup=tool_lookup)
    return _result(wf, values, result, back)


def _result(wf: Workflow, values: dict[str, Any], result: AgentResult,
            back: dict[str, str]) -> WorkflowResult:
    steps = [s.model_copy(update={"id": back.get(s.id, s.id)}) for s in result.steps]
    numbers = [n.model_copy(update={"step": back.get(n.step, n.step)}) for n in result.numbers]
    kept = wf.outputs or [s.id for s in wf.steps]
    keep_steps = {o.split(".")[0] for o in kept}
    keep_numbers = {o for o in kept if "." in o}
    whole = {o for o in kept if "." not in o}
    numbers = [n for n in numbers if n.step in whole or f"{n.step}.{n.name}" in keep_numbers]
    artifacts = [a for a in result.artifacts
                 if back.get(a.call.step or "", a.call.step) in keep_steps]
    return WorkflowResult(workflow=wf.name, inputs=values, answer=result.answer, steps=steps,
                          numbers=numbers, artifacts=artifacts, errors=result.errors,
                          workspace=result.workspace, dry_run=result.dry_run, plan=result.plan)
