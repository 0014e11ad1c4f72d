"""The agent graph: plan → act → answer (LangGraph).

* **plan** reads each real scene's header to learn its modality, then asks the injected
  :class:`~agent.plan.Planner` for a :class:`~agent.plan.Plan` (a
  :class:`~agent.plan.ContextPlanner`, the LLM planner, also gets the graph's sandbox, so its
  model is told what this session's sandbox refuses).
* **act** runs the steps in order through the injected tool lookup. ``"$sN"`` arguments (also
  inside lists and dicts) become the result file of step ``sN``; ``"$image"``, ``"$imageN"``,
  ``"$before"``, ``"$after"`` and ``"$images"`` become the request's scenes. A tool error becomes
  a message and a failed step; steps that read a failed or skipped step are skipped with the
  reason. Nothing raises out of the graph for a tool's sake.
* **answer** composes the text from the step summaries and numbers (no language model).

Dry runs and declined plans go from plan straight to answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.answer import compose_answer, step_call
from agent.plan import Plan, Planner, PlanStep, Scene, plan_request
from agent.progress import AgentProgress, ProgressEvent, ignore_progress
from agent.sandbox import file_checks
from agent.state import AgentResult, AgentState, StepResult, collect_numbers
from tools.catalog import get_tool
from tools.core.errors import EarthSightError, InputError
from tools.core.registry import Describer, ToolRecord, run_record
from tools.core.workspace import Workspace

if TYPE_CHECKING:
    from agent.sandbox import Sandbox

ToolLookup = Callable[[str], ToolRecord[Any, Any]]
"""Tool name -> its record (raises InputError for unknown names)."""

_STEP_REF = re.compile(r"^\$(s\d+)$")
_PLACEHOLDER = re.compile(r"^\$([A-Za-z_]+)(\d*)$")


def step_references(value: Any) -> list[str]:
    """Ids of the steps a value reads (``"$sN"`` strings, searched inside lists and dicts)."""
    if isinstance(value, str):
        match = _STEP_REF.match(value)
        return [match.group(1)] if match else []
    if isinstance(value, list | tuple):
        return [ref for item in value for ref in step_references(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in step_references(item)]
    return []


def _scene(scenes: Sequence[Scene], index: int, name: str, argument: str) -> str:
    if index >= len(scenes):
        given = f"{len(scenes)} image(s) were given" if scenes else "no image was given"
        raise InputError(f"{argument}: the plan uses {name}, but {given}. Pass the scene(s) "
                         "with --image (a dry run needs none).")
    return scenes[index].path


def _placeholder(value: str, scenes: Sequence[Scene], argument: str) -> str | list[str]:
    match = _PLACEHOLDER.match(value)
    if match is None:
        return value
    word, number = match.group(1), match.group(2)
    if word == "image" and not number:
        return _scene(scenes, 0, value, argument)
    if word == "image":
        return _scene(scenes, int(number) - 1, value, argument)
    if word == "before" and not number:
        return _scene(scenes, 0, value, argument)
    if word == "after" and not number:
        return _scene(scenes, 1, value, argument)
    if word == "images" and not number:
        if not scenes:
            _scene(scenes, 0, value, argument)
        return [s.path for s in scenes]
    raise InputError(f"{argument}: unknown placeholder {value}; plans may use $image, $imageN, "
                     "$before, $after, $images and $sN (an earlier step).")


def resolve_value(value: Any, results: dict[str, StepResult], scenes: Sequence[Scene],
                  argument: str) -> Any:
    """Replace ``$sN`` by step sN's result file and scene placeholders by scene paths.

    ``"$images"`` inside a list is spliced into it.

    Raises:
        InputError: A reference to a step that has no result, or a scene that was not given.
    """
    if isinstance(value, str):
        ref = _STEP_REF.match(value)
        if ref:
            result = results.get(ref.group(1))
            if result is None or result.result_path is None:
                raise InputError(f"{argument}: {value} is not an earlier step of this plan with "
                                 "a result")
            return result.result_path
        return _placeholder(value, scenes, argument)
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            resolved = resolve_value(item, results, scenes, argument)
            if item == "$images" and isinstance(resolved, list):
                out.extend(resolved)
            else:
                out.append(resolved)
        return out
    if isinstance(value, dict):
        return {k: resolve_value(v, results, scenes, f"{argument}.{k}") for k, v in value.items()}
    return value


def resolve_args(args: dict[str, Any], results: dict[str, StepResult],
                 scenes: Sequence[Scene]) -> dict[str, Any]:
    """Resolve every argument of a step (see :func:`resolve_value`)."""
    return {name: resolve_value(value, results, scenes, name) for name, value in args.items()}


def describe_scenes(scenes: Sequence[Scene]) -> tuple[list[Scene], list[str]]:
    """Fill in the modality of scenes whose files exist (header read only).

    Returns:
        The scenes (modality set where it could be read) and one message per unreadable file.
        Missing files are left as they are: a dry run needs none.
    """
    from tools.geo.raster import describe

    out: list[Scene] = []
    errors: list[str] = []
    for scene in scenes:
        if scene.modality is None and Path(scene.path).is_file():
            try:
                scene = scene.model_copy(update={"modality": describe(scene.path).modality})
            except Exception as exc:  # reported; the tools will say the same when run
                errors.append(_error_text(exc))
        out.append(scene)
    return out, errors


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, EarthSightError):
        return str(exc)
    if isinstance(exc, NotImplementedError):
        return f"not implemented in this installation ({exc})"
    return f"unexpected {type(exc).__name__}: {exc}"


def _step_error(result: StepResult) -> str:
    """The error line of a failed or skipped step (as listed in ``AgentResult.errors``)."""
    verb = "failed" if result.status == "failed" else "skipped"
    return f"{result.id} {result.tool} {verb}: {result.error}"


class _Runner:
    """The nodes of one graph, closed over the planner, tool lookup and progress listener."""

    def __init__(self, planner: Planner, tool_lookup: ToolLookup, progress: AgentProgress,
                 sandbox: Sandbox | None = None, describer: Describer | None = None) -> None:
        self.planner = planner
        self.tool_lookup = tool_lookup
        self.progress = progress
        self.sandbox = sandbox
        self.describer = describer

    def plan(self, state: AgentState) -> dict[str, Any]:
        """Describe the scenes, then plan."""
        return self.plan_turn(state)

    def plan_turn(self, state: AgentState,
                  history: Sequence[BaseMessage] = ()) -> dict[str, Any]:
        """Describe the scenes, then plan; a context planner also gets this graph's sandbox
        and ``history`` (a session's earlier turns)."""
        scenes, errors = describe_scenes(state.get("scenes", []))
        request = state["request"]
        try:
            plan = plan_request(self.planner, request, scenes, sandbox=self.sandbox,
                                history=history)
        except Exception as exc:  # a broken planner is reported, not raised
            plan = Plan(request=request, declined=f"the {self.planner.name} planner failed: "
                        f"{_error_text(exc)}")
        text = ", ".join(f"{s.id} {step_call(s)}" for s in plan.steps) or (
            plan.declined or "no steps")
        self.progress(ProgressEvent(kind="plan", count=len(plan.steps), message=text))
        return {"scenes": scenes, "plan": plan, "errors": errors,
                "messages": [AIMessage(content=f"Plan: {text}", name=self.planner.name)]}

    def _skip_reason(self, step: PlanStep, results: dict[str, StepResult]) -> str | None:
        for ref in step_references(step.args):
            earlier = results.get(ref)
            if earlier is not None and earlier.status != "ok":
                verb = "failed" if earlier.status == "failed" else "was skipped"
                return f"it needs the result of {ref} ({earlier.tool}), which {verb}"
        return None

    def _run_step(self, step: PlanStep, index: int, count: int, results: dict[str, StepResult],
                  scenes: Sequence[Scene], workspace: Workspace) -> StepResult:
        def on_progress(stage: str, done: int, total: int) -> None:
            self.progress(ProgressEvent(kind="step_progress", step=step.id, tool=step.tool,
                                        index=index, count=count, stage=stage, done=done,
                                        total=total))

        self.progress(ProgressEvent(kind="step_start", step=step.id, tool=step.tool,
                                    index=index, count=count))
        start = time.perf_counter()
        args: dict[str, Any] = dict(step.args)
        try:
            args = resolve_args(step.args, results, scenes)
            record = self.tool_lookup(step.tool)
            args = file_checks(self.sandbox).check_tool_args(record.name, args)
            run = run_record(record, args, workspace, step=step.id, progress=on_progress,
                             describer=self.describer)
        except Exception as exc:  # every tool error becomes a failed step
            result = StepResult(id=step.id, tool=step.tool, status="failed", args=args,
                                error=_error_text(exc), seconds=time.perf_counter() - start)
        else:
            result = StepResult(
                id=step.id, tool=step.tool, status="ok", args=args,
                result_path=str(run.result_path), summary=run.result.summary,
                numbers=run.result.numbers(), artifacts=list(run.result.artifacts),
                warnings=list(run.result.warnings), seconds=time.perf_counter() - start)
        self.progress(ProgressEvent(
            kind="step_finish", step=step.id, tool=step.tool, index=index, count=count,
            status=result.status, seconds=result.seconds,
            message=result.summary if result.status == "ok" else result.error or ""))
        return result

    def act(self, state: AgentState) -> dict[str, Any]:
        """Run the plan's steps in order; failures and skips are recorded, never raised."""
        plan = state["plan"]
        scenes = state.get("scenes", [])
        results: dict[str, StepResult] = {}
        messages: list[Any] = []
        errors: list[str] = []
        count = len(plan.steps)
        try:
            workspace: Workspace | None = Workspace(state.get("workspace") or "workspace")
            unusable = ""
        except OSError as exc:
            workspace, unusable = None, f"the workspace cannot be used: {exc}"
        for index, step in enumerate(plan.steps, start=1):
            reason = self._skip_reason(step, results)
            if workspace is None:
                result = StepResult(id=step.id, tool=step.tool, status="failed",
                                    args=dict(step.args), error=unusable)
            elif reason is not None:
                result = StepResult(id=step.id, tool=step.tool, status="skipped",
                                    args=dict(step.args), error=reason)
                self.progress(ProgressEvent(kind="step_skip", step=step.id, tool=step.tool,
                                            index=index, count=count, status="skipped",
                                            message=reason))
            else:
                result = self._run_step(step, index, count, results, scenes, workspace)
            results[step.id] = result
            if result.status == "ok":
                content = result.summary
            else:
                content = f"{result.status}: {result.error}"
                errors.append(_step_error(result))
            messages.append(ToolMessage(content=content, tool_call_id=step.id, name=step.tool,
                                        status="success" if result.status == "ok" else "error"))
        artifacts = [a for r in results.values() for a in r.artifacts if a.kind != "number"]
        return {"results": results, "messages": messages, "errors": errors,
                "artifacts": artifacts}

    def answer(self, state: AgentState) -> dict[str, Any]:
        """Compose the answer from the results."""
        text = compose_answer(state["plan"], state.get("results", {}),
                              self._scene_errors(state), dry_run=state.get("dry_run", False),
                              workspace=state.get("workspace"))
        return {"answer": text, "messages": [AIMessage(content=text)]}

    @staticmethod
    def _scene_errors(state: AgentState) -> list[str]:
        step_errors = {_step_error(r) for r in state.get("results", {}).values()}
        return [e for e in state.get("errors", []) if e not in step_errors]

    @staticmethod
    def route(state: AgentState) -> str:
        """After planning: act, unless this is a dry run or there is nothing to do."""
        plan = state["plan"]
        if state.get("dry_run") or plan.declined or not plan.steps:
            return "answer"
        return "act"


def build_graph(planner: Planner, tool_lookup: ToolLookup = get_tool,
                progress: AgentProgress | None = None, sandbox: Sandbox | None = None,
                describer: Describer | None = None) -> Any:
    """Build and compile the plan → act → answer graph.

    Args:
        planner: Turns the request and its scenes into a Plan.
        tool_lookup: Tool name -> ToolRecord (default: the installed tool catalog).
        progress: Listener of :class:`~agent.progress.ProgressEvent` (default: none).
        sandbox: When given, every step's file arguments are resolved and checked by it
            before the tool runs (a refused path fails that step).
        describer: Vision/language backend handed to the tools (``describe_scene`` answers
            with it; see :mod:`agent.llm.describe`). Default: none, facts only.

    Returns:
        A compiled LangGraph graph; ``invoke`` it with an :class:`~agent.state.AgentState`
        holding at least ``request`` (and ``scenes``, ``workspace``, ``dry_run``).
    """
    from langgraph.graph import END, START, StateGraph

    runner = _Runner(planner, tool_lookup, progress or ignore_progress, sandbox, describer)
    graph = StateGraph(AgentState)
    graph.add_node("plan", runner.plan)
    graph.add_node("act", runner.act)
    graph.add_node("answer", runner.answer)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", runner.route, {"act": "act", "answer": "answer"})
    graph.add_edge("act", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def run_request(
    request: str, images: Sequence[str | Path], workspace: str | Path, planner: Planner,
    dry_run: bool = False, *, tool_lookup: ToolLookup = get_tool,
    progress: AgentProgress | None = None, sandbox: Sandbox | None = None,
    describer: Describer | None = None,
) -> AgentResult:
    """Plan a request over its scenes, run the plan (unless ``dry_run``) and answer.

    Args:
        request: The analyst's question in plain language.
        images: Scene files the request is about (may be empty for a dry run).
        workspace: Folder for the outputs (created on a real run only).
        planner: The planner to use.
        dry_run: Only plan; run nothing and need no files.
        tool_lookup: Tool name -> ToolRecord (default: the installed tool catalog).
        progress: Listener of progress events.
        sandbox: When given, the scenes and every step's file arguments must pass it
            (relative paths resolve against its workspace and data roots).
        describer: Vision/language backend for ``describe_scene`` (default: none).

    Returns:
        The plan, answer text, numbers with units, artifacts and errors.

    Raises:
        InputError: A scene the sandbox refuses, or one over the pixel limit
            (``EARTHSIGHT_MAX_PIXELS``; refused step arguments fail their step).
    """
    ws = str(Path(workspace).expanduser().resolve())
    if not dry_run:  # the sandbox's checks, or without one the pixel limit
        images = file_checks(sandbox).check_request([str(p) for p in images])
    state: AgentState = {
        "messages": [HumanMessage(content=request)], "request": request,
        "scenes": [Scene(path=str(p)) for p in images], "workspace": ws, "dry_run": dry_run,
        "results": {}, "artifacts": [], "errors": [],
    }
    final: AgentState = build_graph(planner, tool_lookup, progress, sandbox,
                                     describer).invoke(state)
    results = final.get("results", {})
    return AgentResult(
        request=request, plan=final["plan"], answer=final.get("answer", ""),
        numbers=collect_numbers(results), artifacts=final.get("artifacts", []),
        errors=final.get("errors", []), steps=list(results.values()),
        scenes=final.get("scenes", []), workspace=None if dry_run else ws, dry_run=dry_run,
    )
