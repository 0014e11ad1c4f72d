"""The agent graph: plan → act → answer (LangGraph).

* **plan** reads each real scene's header to learn its modality, then asks the injected
  :class:`~agent.plan.Planner` for a :class:`~agent.plan.Plan` (a
  :class:`~agent.plan.ContextPlanner`, the LLM planner, also gets the request's path rules, so
  its model is told what this session's sandbox refuses).
* **act** runs the steps in order through the injected tool lookup. ``"$sN"`` arguments (also
  inside lists and dicts) become the result file of step ``sN``; ``"$image"``, ``"$imageN"``,
  ``"$before"``, ``"$after"`` and ``"$images"`` become the request's scenes. A tool error becomes
  a message and a failed step; steps that read a failed or skipped step are skipped with the
  reason. Nothing raises out of the graph for a tool's sake.
* **answer** composes the text from the step summaries and numbers (no language model).

Dry runs and declined plans go from plan straight to answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent import references
from agent.answer import compose_answer, step_call
from agent.checks import RequestChecks, ToolLookup
from agent.errors import message
from agent.limits import max_pixels_from_env
from agent.plan import Plan, Planner, PlanStep, Scene, plan_request
from agent.progress import AgentProgress, ProgressEvent, ignore_progress
from agent.request_options import apply_request_options
from agent.sandbox import OpenPaths, Sandbox
from agent.state import AgentResult, AgentState, StepResult, collect_numbers
from tools.catalog import get_tool
from tools.core.errors import InputError
from tools.core.registry import Describer, run_record
from tools.core.workspace import Workspace

__all__ = ["AgentNodes", "ToolLookup", "build_graph", "resolve_args", "run_request"]

NewChecks = Callable[[], RequestChecks]
"""Makes the checks of one request (see :meth:`agent.runtime.Runtime.checks`)."""


def _scene_value(ref: references.Reference, scenes: Sequence[Scene], where: str) -> Any:
    def pick(index: int) -> str:
        if index >= len(scenes):
            given = f"{len(scenes)} image(s) were given" if scenes else "no image was given"
            raise InputError(f"{where}: the plan uses {ref}, but {given}. Pass the scene(s) "
                             "with --image (a dry run needs none).")
        return scenes[index].path

    name = ref.name
    if name == "images":
        if not scenes:
            pick(0)
        return [s.path for s in scenes]
    if name in ("image", "before"):
        return pick(0)
    if name == "after":
        return pick(1)
    return pick(int(name[len("image"):]) - 1)


def _step_value(ref: references.Reference, results: dict[str, StepResult], where: str) -> Any:
    result = results.get(ref.name)
    if result is None or result.result_path is None:
        raise InputError(f"{where}: {ref} is not an earlier step of this plan with a result")
    if ref.field is None:
        return result.result_path
    number = result.numbers.get(ref.field)
    if number is not None:
        return number.value
    record = json.loads(Path(result.result_path).read_text(encoding="utf-8"))["result"]
    if ref.field not in record:
        raise InputError(f"{where}: step {ref.name} ({result.tool}) has no number or field "
                         f"{ref.field!r}; it has {', '.join([*result.numbers, *record])}")
    return record[ref.field]


def resolve_args(args: dict[str, Any], results: dict[str, StepResult],
                 scenes: Sequence[Scene]) -> dict[str, Any]:
    """Replace every reference in a step's arguments (:mod:`agent.references`): ``$sN`` by
    step sN's result file, ``$sN.name`` by its number ``name`` (or result field), scene
    references by scene paths (``$images`` spliced into lists).

    Raises:
        InputError: A reference to a step without a result, a scene that was not given, or an
            unknown reference.
    """
    def replace(ref: references.Reference, where: str) -> Any:
        if ref.is_step:
            return _step_value(ref, results, where)
        if ref.is_scene:
            return _scene_value(ref, scenes, where)
        raise InputError(f"{where}: unknown reference {ref}; plans may use "
                         f"{', '.join(references.SCENE_NAMES)} and $sN (an earlier step)")

    return {name: references.substitute(value, replace, name) for name, value in args.items()}


def _step_error(result: StepResult) -> str:
    """The error line of a failed or skipped step (as listed in ``AgentResult.errors``)."""
    verb = "failed" if result.status == "failed" else "skipped"
    return f"{result.id} {result.tool} {verb}: {result.error}"


class AgentNodes:
    """The nodes of one graph, closed over the planner, the tool lookup, the progress listener,
    the checks of each request and the describer."""

    def __init__(self, planner: Planner, tool_lookup: ToolLookup, progress: AgentProgress,
                 new_checks: NewChecks, describer: Describer | None = None,
                 workspace: str | Path | None = None) -> None:
        self.planner = planner
        self.tool_lookup = tool_lookup
        self.progress = progress
        self.new_checks = new_checks
        self.describer = describer
        self.workspace = workspace
        """Where outputs go whatever the state says (a server's own workspace)."""

    def plan(self, state: AgentState) -> dict[str, Any]:
        """Describe the scenes, then plan."""
        return self.plan_turn(state)

    def plan_turn(self, state: AgentState,
                  history: Sequence[BaseMessage] = ()) -> dict[str, Any]:
        """Check the scenes not checked yet (header read once), then plan; a context planner
        also gets the request's path rules and ``history`` (a session's earlier turns)."""
        checks = self.new_checks()
        known = len(checks.errors)
        scenes: list[Scene] = []
        refused: list[str] = []
        for given in state.get("scenes", []):
            # scenes from a client (the LangGraph server) may come as dicts, never with a header
            s = given if isinstance(given, Scene) else Scene(path=str(dict(given)["path"]))
            if s.info is not None or not Path(s.path).is_file():
                scenes.append(s)
                continue
            try:
                scenes.append(checks.scene(s.path, "image"))
            except Exception as exc:  # the steps that read it fail with the same message
                scenes.append(s)
                refused.append(message(exc))
        errors = [*checks.errors[known:], *refused]
        request = state["request"]
        try:
            plan = plan_request(self.planner, request, scenes, sandbox=checks.paths,
                                history=history)
        except Exception as exc:  # a broken planner is reported, not raised
            plan = Plan(request=request, declined=f"the {self.planner.name} planner failed: "
                        f"{message(exc)}")
        plan = apply_request_options(plan, state.get("gsd"), state.get("region"),
                                     self.tool_lookup)
        text = ", ".join(f"{s.id} {step_call(s)}" for s in plan.steps) or (
            plan.declined or "no steps")
        self.progress(ProgressEvent(kind="plan", count=len(plan.steps), message=text))
        return {"scenes": scenes, "plan": plan, "errors": errors,
                "messages": [AIMessage(content=f"Plan: {text}", name=self.planner.name)]}

    def _skip_reason(self, step: PlanStep, results: dict[str, StepResult]) -> str | None:
        for ref in references.step_ids(step.args):
            earlier = results.get(ref)
            if earlier is not None and earlier.status != "ok":
                verb = "failed" if earlier.status == "failed" else "was skipped"
                return f"it needs the result of {ref} ({earlier.tool}), which {verb}"
        return None

    def _run_step(self, step: PlanStep, index: int, count: int, results: dict[str, StepResult],
                  scenes: Sequence[Scene], workspace: Workspace,
                  checks: RequestChecks) -> StepResult:
        def on_progress(stage: str, done: int, total: int) -> None:
            self.progress(ProgressEvent(kind="step_progress", step=step.id, tool=step.tool,
                                        index=index, count=count, stage=stage, done=done,
                                        total=total))

        self.progress(ProgressEvent(kind="step_start", step=step.id, tool=step.tool,
                                    index=index, count=count))
        start = time.perf_counter()
        args: dict[str, Any] = dict(step.args)
        try:
            record = self.tool_lookup(step.tool)
                # literal paths are refused before anything is resolved; then every value the
            # references brought in (scenes, results, $sN.name values) is checked too (a
            # scene or result checked before in this request costs nothing: the memo)
            args = resolve_args(checks.check_tool_args(record.name, args), results, scenes)
            args = checks.check_tool_args(record.name, args)
            run = run_record(record, args, workspace, step=step.id, progress=on_progress,
                             lookup=self.tool_lookup,
                             describer=self.describer)
        except Exception as exc:  # every tool error becomes a failed step
            result = StepResult(id=step.id, tool=step.tool, status="failed", args=args,
                                error=message(exc), seconds=time.perf_counter() - start)
        else:
            result = StepResult(
                id=step.id, tool=step.tool, status="ok", args=args,
                result_path=str(run.result_path), summary=run.result.summary,
                numbers=run.result.numbers(), artifacts=list(run.result.artifacts),
                warnings=list(run.result.warnings), reliability=run.result.reliability,
                cluster=run.result.cluster, seconds=time.perf_counter() - start)
        self.progress(ProgressEvent(
            kind="step_finish", step=step.id, tool=step.tool, index=index, count=count,
            status=result.status, seconds=result.seconds, cluster=result.cluster,
            message=result.summary if result.status == "ok" else result.error or ""))
        return result

    def _workspace(self, state: AgentState) -> tuple[Workspace | None, str]:
        try:
            return Workspace(self.workspace or state.get("workspace") or "workspace"), ""
        except OSError as exc:
            return None, f"the workspace cannot be used: {exc}"

    def _one(self, state: AgentState, index: int, results: dict[str, StepResult],
             checks: RequestChecks) -> tuple[StepResult, dict[str, Any]]:
        """Run (or skip, or fail) step ``index`` (1-based) of the plan; the result and what
        the step adds to the state (its message, its error line, its files)."""
        plan = state["plan"]
        step, count = plan.steps[index - 1], len(plan.steps)
        workspace, unusable = self._workspace(state)
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
            result = self._run_step(step, index, count, results, state.get("scenes", []),
                                    workspace, checks)
        ok = result.status == "ok"
        content = result.summary if ok else f"{result.status}: {result.error}"
        added = {"messages": [ToolMessage(content=content, tool_call_id=step.id, name=step.tool,
                                          status="success" if ok else "error")],
                 "errors": [] if ok else [_step_error(result)],
                 "artifacts": [a for a in result.artifacts if a.kind != "number"]}
        return result, added

    def act(self, state: AgentState) -> dict[str, Any]:
        """Run the plan's steps in order in one node; failures and skips are recorded, never
        raised."""
        results: dict[str, StepResult] = {}
        out: dict[str, list[Any]] = {"messages": [], "errors": [], "artifacts": []}
        checks = self.new_checks()
        for index in range(1, len(state["plan"].steps) + 1):
            result, added = self._one(state, index, results, checks)
            results[result.id] = result
            for key, items in added.items():
                out[key].extend(items)
        return {"results": results, **out}

    def act_step(self, state: AgentState) -> dict[str, Any]:
        """Run the next step not run yet (one node per step: a checkpointed session resumes
        after the last finished step, never redoing it)."""
        results = dict(state.get("results", {}))
        index = len(results) + 1
        result, added = self._one(state, index, results, self.new_checks())
        results[result.id] = result
        return {"results": results, **added}

    @staticmethod
    def more_steps(state: AgentState) -> str:
        """After a step: the next one, or the answer."""
        return "act" if len(state.get("results", {})) < len(state["plan"].steps) else "answer"

    def answer(self, state: AgentState) -> dict[str, Any]:
        """Compose the answer from the results."""
        text = compose_answer(state["plan"], state.get("results", {}),
                              self._scene_errors(state), dry_run=state.get("dry_run", False),
                              workspace=state.get("workspace"))
        return {"answer": text, "messages": [AIMessage(content=text)]}

    @staticmethod
    def _scene_errors(state: AgentState) -> list[str]:
        """Errors that are not a step's own (a scene error a step repeated is said once, by
        the step; the two may name the argument differently: ``--image:`` / ``image:``)."""
        results = state.get("results", {}).values()
        step_errors = {_step_error(r) for r in results}
        said = " ".join(r.error or "" for r in results)

        def repeated(error: str) -> bool:
            _, sep, text = error.partition(": ")
            return error in step_errors or bool(sep and text and text in said)

        return [e for e in state.get("errors", []) if not repeated(e)]

    @staticmethod
    def route(state: AgentState) -> str:
        """After planning: act, unless this is a dry run or there is nothing to do."""
        plan = state["plan"]
        if state.get("dry_run") or plan.declined or not plan.steps:
            return "answer"
        return "act"


def request_checks(sandbox: Sandbox | None = None, tool_lookup: ToolLookup = get_tool,
                   ) -> RequestChecks:
    """Checks for one request without a runtime: ``sandbox``'s path rules (else open paths)
    and ``EARTHSIGHT_MAX_PIXELS`` (a runtime gives its own, :meth:`Runtime.checks`)."""
    if sandbox is not None:
        return RequestChecks(sandbox, sandbox.max_pixels, tool_lookup)
    return RequestChecks(OpenPaths(), max_pixels_from_env(), tool_lookup)


def build_graph(planner: Planner, tool_lookup: ToolLookup = get_tool,
                progress: AgentProgress | None = None, sandbox: Sandbox | None = None,
                describer: Describer | None = None, *,
                new_checks: NewChecks | None = None,
                workspace: str | Path | None = None) -> Any:
    """Build and compile the plan → act → answer graph.

    Args:
        planner: Turns the request and its scenes into a Plan.
        tool_lookup: Tool name -> ToolRecord (default: the installed tool catalog).
        progress: Listener of :class:`~agent.progress.ProgressEvent` (default: none).
        sandbox: The path rules every scene and step file argument must pass (a refused path
            fails that step); ignored when ``new_checks`` is given.
        describer: Vision/language backend handed to the tools (``describe_scene`` answers
            with it; see :func:`agent.runtime.choose_describer`). Default: none, facts only.
        new_checks: Makes the checks of a request (a runtime's :meth:`~Runtime.checks`).
        workspace: The output folder, whatever the invoking state says (a server's own).

    Returns:
        A compiled LangGraph graph; ``invoke`` it with an :class:`~agent.state.AgentState`
        holding at least ``request`` (and ``scenes``, ``workspace``, ``dry_run``).
    """
    from langgraph.graph import END, START, StateGraph

    checks = new_checks or (lambda: request_checks(sandbox, tool_lookup))
    nodes = AgentNodes(planner, tool_lookup, progress or ignore_progress, checks, describer,
                       workspace)
    graph = StateGraph(AgentState)
    graph.add_node("plan", nodes.plan)
    graph.add_node("act", nodes.act)
    graph.add_node("answer", nodes.answer)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", nodes.route, {"act": "act", "answer": "answer"})
    graph.add_edge("act", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def run_request(
    request: str, images: Sequence[str | Path], workspace: str | Path, planner: Planner,
    dry_run: bool = False, *, tool_lookup: ToolLookup = get_tool,
    progress: AgentProgress | None = None, sandbox: Sandbox | None = None,
    describer: Describer | None = None, checks: RequestChecks | None = None,
    scenes: Sequence[Scene] | None = None, gsd: float | None = None,
    region: str | list[float] | None = None,
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
        sandbox: The path rules of the request (see :func:`request_checks`).
        describer: Vision/language backend for ``describe_scene`` (default: none).
        checks: The request's checks (a runtime's); wins over ``sandbox``.
        scenes: The images as checked scenes, when the caller checked them already.
        gsd: Metres per pixel of images without georeference (stated beside the request).
        region: Area of interest beside the request (bbox, vector file); steps that read a
            scene and state none of their own get it.

    Returns:
        The plan, answer text, numbers with units, artifacts and errors.

    Raises:
        InputError: A scene the sandbox refuses, or one over the pixel limit
            (``EARTHSIGHT_MAX_PIXELS``; refused step arguments fail their step).
    """
    ws = str(Path(workspace).expanduser().resolve())
    one = checks or request_checks(sandbox, tool_lookup)
    if scenes is None:
        scenes = (one.dry_run_scenes(images) if dry_run
                  else one.scenes([str(p) for p in images]))
    state: AgentState = {
        "messages": [HumanMessage(content=request)], "request": request,
        "scenes": list(scenes), "workspace": ws, "dry_run": dry_run,
        "results": {}, "artifacts": [], "errors": list(one.errors), "gsd": gsd, "region": region,
    }
    final: AgentState = build_graph(planner, tool_lookup, progress, describer=describer,
                                     new_checks=lambda: one).invoke(state)
    results = final.get("results", {})
    return AgentResult(
        request=request, plan=final["plan"], answer=final.get("answer", ""),
        numbers=collect_numbers(results), artifacts=final.get("artifacts", []),
        errors=final.get("errors", []), steps=list(results.values()),
        scenes=final.get("scenes", []), workspace=None if dry_run else ws, dry_run=dry_run,
    )
