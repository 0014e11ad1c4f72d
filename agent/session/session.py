"""Analysis sessions: a multi-turn agent graph persisted with LangGraph's SQLite checkpointer.

    plan → approve → act (one node per step) → answer → record
                                                (plan/approve may go straight to answer)

* Each turn is one ``invoke`` on the session's thread (``thread_id`` = session id); the state
  (turns, scenes, messages) lives in ``<workspace>/sessions.sqlite`` and survives exits and
  crashes: a new :class:`Session` with the same id continues where the last one stopped.
* **plan** first tries :func:`~agent.planners.followup.resolve_followup` (filters on the last
  result, the last request on another scene, exports); otherwise the planner plans, and an
  LLM planner also gets the earlier turns as messages.
* **act** runs one step per node, so every finished step is checkpointed: a process killed
  in the middle of a turn (even ``kill -9`` during a tool call) comes back with that turn
  *interrupted* (:meth:`Session.interrupted`), its finished steps kept; :meth:`Session.finish`
  runs the rest without redoing them, and a new request records it as interrupted first.
* **approve** estimates each step (:mod:`agent.session.estimate`); when one is heavy and the session
  is not ``auto_approve`` it pauses with ``interrupt()`` carrying the estimates. Resume with
  ``Command(resume=True)`` (run it) or ``False`` (skip; the plan is declined).
* A turn may carry a ``gsd`` and a ``region`` beside its request (:meth:`Session.ask`): the
  plan node puts them on the steps that read a scene
  (:func:`agent.request_options.apply_request_options`), as a one-shot run does.
* Each turn is recorded as a plain dict (:func:`turn_record`): the request, scenes, region, the
  plan, every step with its status and the ids of the artifacts it produced (so each number and
  file is attributable to its turn and step), the answer and the approval asked for.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agent.checks import RequestChecks
from agent.graph import AgentNodes, NewChecks, ToolLookup, request_checks
from agent.plan import Plan, Planner, Scene
from agent.planners.followup import resolve_followup
from agent.progress import AgentProgress, ignore_progress
from agent.session.estimate import heavy_steps
from agent.session.export import export
from agent.state import AgentState
from tools.catalog import get_tool
from tools.core.registry import Describer

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from agent.sandbox import Sandbox

DB_NAME = "sessions.sqlite"
RECURSION_LIMIT = 1000
"""Node runs a turn may take (one per step, plus plan, approve, answer, record)."""
CHECKPOINT_TYPES = (("agent.plan", "Plan"), ("agent.plan", "PlanStep"), ("agent.plan", "Scene"),
                    ("agent.state", "StepResult"), ("tools.core.artifacts", "Artifact"),
                    ("tools.core.artifacts", "ToolCall"), ("tools.core.artifacts", "Quantity"))
"""The EarthSight types a session checkpoint may hold (LangGraph's msgpack allow-list)."""
_YES = ("y", "yes", "ok", "approve", "approved", "run", "go")


class SessionState(AgentState, total=False):
    """The agent state plus what a session remembers across turns."""

    turns: Annotated[list[dict[str, Any]], operator.add]
    session_scenes: list[str]
    auto_approve: bool
    direct_answer: str | None
    pending: list[str]
    approval: dict[str, Any] | None
    """The heavy steps this turn asked approval for and the decision (None: nothing asked)."""


def approved(decision: Any) -> bool:
    """Whether a resume value means "run it" (True, "yes", {"approve": True} ...)."""
    if isinstance(decision, dict):
        decision = decision.get("approve", decision.get("approved", False))
    if isinstance(decision, str):
        return decision.strip().lower() in _YES
    return bool(decision)


def turn_record(state: SessionState, status: str = "done") -> dict[str, Any]:
    """The plain-dict record of a turn (what follow-ups and the chat history read).

    ``status`` is ``done``, ``interrupted`` (the process stopped before the turn finished) or
    ``waiting`` (paused for an approval). Keys: ``request``, ``scenes`` (paths), ``region`` and
    ``gsd`` (as given beside the request), ``plan`` (``[{"id", "tool", "args"}]``: the steps
    proposed, also when the analyst declined them), ``steps`` (``[{"id", "tool", "status",
    "result_path", "summary", "error", "vectors", "artifacts", "cluster"}]``, ``artifacts`` the
    ids of the step's artifacts in the workspace manifest, ``cluster`` where its tiles ran or
    None), ``artifacts`` (every id of the turn),
    ``answer``, ``approval`` and ``status``."""
    steps: list[dict[str, Any]] = []
    produced: list[str] = []
    for r in state.get("results", {}).values():
        vectors = [a.path for a in r.artifacts if a.kind == "vector" and a.path]
        ids = [a.id for a in r.artifacts]
        produced += ids
        steps.append({"id": r.id, "tool": r.tool, "status": r.status,
                      "result_path": r.result_path, "summary": r.summary, "error": r.error,
                      "vectors": vectors, "artifacts": ids,
                      "cluster": r.cluster.model_dump() if r.cluster else None})
    plan = state.get("plan")
    request = plan.request if plan is not None and plan.request else state["request"]
    approval = state.get("approval")
    proposed = (approval or {}).get("steps") or [
        {"id": s.id, "tool": s.tool, "args": dict(s.args)} for s in (plan.steps if plan else [])]
    return {"request": request, "scenes": [_path(s) for s in state.get("scenes", [])],
            "region": state.get("region"), "gsd": state.get("gsd"), "plan": proposed,
            "steps": steps, "artifacts": produced,
            "answer": state.get("answer", ""), "approval": approval, "status": status}


def _path(scene: Any) -> str:
    return str(scene.path if isinstance(scene, Scene) else dict(scene)["path"])


def history_messages(turns: Sequence[dict[str, Any]], limit: int = 6) -> list[BaseMessage]:
    """Earlier turns as messages for an LLM planner (request, then results with their files)."""
    out: list[BaseMessage] = []
    for turn in turns[-limit:]:
        out.append(HumanMessage(content=f"Earlier request: {turn['request']}"))
        lines = [f"{s['id']} {s['tool']} ({s['status']}): {s.get('summary', '')} "
                 f"result file: {s.get('result_path')}" for s in turn.get("steps", [])]
        out.append(AIMessage(content="Earlier results (pass a result file as `source` to reuse "
                             "it):\n" + ("\n".join(lines) or "none")))
    return out


class SessionNodes(AgentNodes):
    """The session's nodes. LangGraph hands a node only the keys of its annotated state type,
    so every node that reads session keys is annotated with :class:`SessionState`."""

    def plan(self, state: SessionState) -> dict[str, Any]:  # type: ignore[override]
        s = state
        turns = s.get("turns", [])
        follow = resolve_followup(s["request"], turns, s.get("session_scenes", []),
                                  self.planner, sandbox=self.new_checks().paths)
        if follow is not None and follow.export:
            return {"plan": Plan(request=s["request"], steps=[], notes=["export"]),
                    "direct_answer": export(follow.export, s.get("workspace", "."))}
        if follow is not None and follow.plan is not None:
            fixed = _FixedPlanner(self.planner.name, follow.plan)
            turn: AgentState = {"request": s["request"], "workspace": s.get("workspace", "."),
                                "scenes": follow.scenes or s.get("scenes", []),
                                "gsd": s.get("gsd"), "region": s.get("region")}
            out = AgentNodes(fixed, self.tool_lookup, self.progress, self.new_checks).plan(turn)
            return {**out, "direct_answer": None}
        # a context planner (the LLM planner) also gets the earlier turns and the sandbox
        out = self.plan_turn(state, history_messages(turns))
        return {**out, "direct_answer": None}

    def approve(self, state: SessionState) -> dict[str, Any]:
        from langgraph.types import interrupt

        s = state
        plan = s["plan"]
        if s.get("dry_run") or plan.declined or not plan.steps:
            return {}
        heavy = heavy_steps(plan, s.get("scenes", []))
        if not heavy or s.get("auto_approve"):
            return {}
        texts = [e.text() for e in heavy]
        listed = [{"step": e.step, "tool": e.tool, "pixels": e.pixels, "seconds": e.seconds,
                   "text": e.text()} for e in heavy]
        decision = interrupt({"question": "Some steps are heavy. Run them?", "estimates": texts,
                              "heavy": listed})
        if approved(decision):
            return {"approval": {"heavy": listed, "approved": True}}
        declined = plan.model_copy(update={"steps": [], "declined": "not run: the analyst did "
                                           "not approve the heavy step(s): " + "; ".join(texts)})
        proposed = [{"id": p.id, "tool": p.tool, "args": dict(p.args)} for p in plan.steps]
        return {"plan": declined,
                "approval": {"heavy": listed, "approved": False, "steps": proposed}}

    def finish(self, state: SessionState) -> dict[str, Any]:
        s = state
        if s.get("direct_answer"):
            text = str(s["direct_answer"])
            return {"answer": text, "messages": [AIMessage(content=text)]}
        return self.answer(state)

    def record(self, state: SessionState) -> dict[str, Any]:
        return {"turns": [turn_record(state)]}

    def after_plan(self, state: SessionState) -> str:
        return "answer" if state.get("direct_answer") else "approve"


class _FixedPlanner:
    def __init__(self, name: str, plan: Plan) -> None:
        self.name, self._plan = name, plan

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        return self._plan


def build_session_graph(planner: Planner, checkpointer: Any, tool_lookup: ToolLookup = get_tool,
                        progress: AgentProgress | None = None,
                        sandbox: Sandbox | None = None,
                        describer: Describer | None = None, *,
                        new_checks: NewChecks | None = None) -> Any:
    """The session graph compiled with ``checkpointer`` (e.g. a ``SqliteSaver``); the other
    arguments are those of :func:`agent.graph.build_graph`."""
    from langgraph.graph import END, START, StateGraph

    checks = new_checks or (lambda: request_checks(sandbox, tool_lookup))
    r = SessionNodes(planner, tool_lookup, progress or ignore_progress, checks, describer)
    graph = StateGraph(SessionState)
    graph.add_node("plan", r.plan)
    graph.add_node("approve", r.approve)
    graph.add_node("act", r.act_step)
    graph.add_node("answer", r.finish)
    graph.add_node("record", r.record)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", r.after_plan, {"approve": "approve", "answer": "answer"})
    graph.add_conditional_edges("approve", r.route, {"act": "act", "answer": "answer"})
    graph.add_conditional_edges("act", r.more_steps, {"act": "act", "answer": "answer"})
    graph.add_edge("answer", "record")
    graph.add_edge("record", END)
    return graph.compile(checkpointer=checkpointer)


@dataclass
class Outcome:
    """A turn's result: the answer, or the approval the graph waits for."""

    answer: str | None = None
    plan: Plan | None = None
    waiting: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)


class Session:
    """One persisted analysis session (``thread_id`` = ``session_id``) in ``workspace``.

    Args:
        session_id: The session's name; reuse it to resume.
        workspace: Folder of the outputs and of ``sessions.sqlite``.
        planner: Plans new requests.
        auto_approve: Run heavy steps without asking (``--yes``).
        tool_lookup, progress, sandbox, new_checks: As for :func:`agent.graph.build_graph`.
        describer: The backend ``describe_scene`` answers with (default: none; a runtime's,
            see :meth:`from_runtime`).
    """

    def __init__(self, session_id: str, workspace: str | Path, planner: Planner, *,
                 auto_approve: bool = False, tool_lookup: ToolLookup = get_tool,
                 progress: AgentProgress | None = None, sandbox: Sandbox | None = None,
                 describer: Describer | None = None,
                 new_checks: NewChecks | None = None) -> None:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.session_id = session_id
        self.workspace = Path(workspace).expanduser().resolve()
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.auto_approve = auto_approve
        self._conn = sqlite3.connect(self.workspace / DB_NAME, check_same_thread=False)
        serde = JsonPlusSerializer(allowed_msgpack_modules=list(CHECKPOINT_TYPES))
        self.describer = describer
        self._new_checks: NewChecks = new_checks or (lambda: request_checks(sandbox,
                                                                            tool_lookup))
        self._turn_checks: RequestChecks | None = None
        self.graph = build_session_graph(planner, SqliteSaver(self._conn, serde=serde),
                                         tool_lookup, progress, sandbox, describer,
                                         new_checks=self._checks)
        self.config: dict[str, Any] = {"configurable": {"thread_id": session_id}}

    def _checks(self) -> RequestChecks:
        """The checks of the turn that runs (one per turn: each scene checked once)."""
        if self._turn_checks is None:
            self._turn_checks = self._new_checks()
        return self._turn_checks

    @classmethod
    def from_runtime(cls, runtime: Runtime, session_id: str, *, auto_approve: bool = False,
                     progress: AgentProgress | None = None,
                     planner: str | None = None) -> Session:
        """The session ``session_id`` in ``runtime``'s workspace, with its planner (or the
        planner called ``planner``, with its describer rule, as :meth:`Runtime.ask` picks one),
        describer and checks.

        Raises:
            InputError: An unknown planner name, or one that cannot be made.
        """
        chosen, describer = runtime.planner, runtime.describer
        if planner is not None:
            from agent.planners.shared import load_planner
            from agent.runtime import choose_describer

            chosen = load_planner(planner, runtime.llm)
            describer = choose_describer(chosen, runtime.explicit_describer, runtime.llm)
        return cls(session_id, runtime.workspace.root, chosen,
                   auto_approve=auto_approve, tool_lookup=runtime.tool_lookup,
                   progress=progress, describer=describer, new_checks=runtime.checks)

    def values(self) -> dict[str, Any]:
        """The session's current state (empty for a new session)."""
        return dict(self.graph.get_state(self.config).values)

    def interrupted(self) -> dict[str, Any] | None:
        """The turn the last process left unfinished (killed, crashed), as its record with
        ``status: interrupted`` and the steps it finished; None when there is none (an
        approval the session waits on is :meth:`waiting`, not an interruption)."""
        snapshot = self.graph.get_state(self.config)
        if not snapshot.next or any(t.interrupts for t in snapshot.tasks):
            return None
        return turn_record(dict(snapshot.values), status="interrupted")  # type: ignore[arg-type]

    def finish(self) -> Outcome:
        """Run the rest of the interrupted turn from its last checkpoint (finished steps are
        not run again)."""
        self._turn_checks = None
        self.graph.invoke(None, {**self.config, "recursion_limit": RECURSION_LIMIT})
        return self._outcome()

    def waiting(self) -> dict[str, Any] | None:
        """The approval request the session is paused on, if any."""
        for task in self.graph.get_state(self.config).tasks:
            for item in task.interrupts:
                return dict(item.value)
        return None

    def _outcome(self) -> Outcome:
        waiting = self.waiting()
        values = self.values()
        if waiting is not None:
            return Outcome(waiting=waiting, plan=values.get("plan"))
        return Outcome(answer=values.get("answer", ""), plan=values.get("plan"),
                       errors=list(values.get("errors", [])))

    def ask(self, request: str, images: Sequence[str] | None = None, *,
            gsd: float | None = None, region: str | list[float] | None = None) -> Outcome:
        """Run one turn; ``images`` replace the turn's scenes (default: the last turn's).

        Args:
            gsd: Metres per pixel of scenes without georeference, for this turn.
            region: This turn's area of interest (a bbox, a vector file, ``$sN``): every step
                that reads a scene and states none gets it. Neither carries over to later
                turns.
        """
        from langgraph.types import Overwrite

        left = self.interrupted()
        if left is not None:  # recorded as interrupted; its finished steps stay in the turns
            self.graph.update_state(self.config, {"turns": [left]}, as_node="record")
        values = self.values()
        known: list[str] = list(values.get("session_scenes", []))
        if images is not None:
            paths = [str(Path(p).expanduser().resolve()) for p in images]
            known += [p for p in paths if p not in known]
            scenes = [Scene(path=p) for p in paths]
        else:
            scenes = list(values.get("scenes", []))
        state = {"messages": [HumanMessage(content=request)], "request": request,
                 "scenes": scenes, "session_scenes": known, "workspace": str(self.workspace),
                 "dry_run": False, "results": {}, "auto_approve": self.auto_approve,
                 "direct_answer": None, "artifacts": Overwrite([]), "errors": Overwrite([]),
                 "gsd": gsd, "region": region, "approval": None, "answer": ""}
        self._turn_checks = None
        self.graph.invoke(state, {**self.config, "recursion_limit": RECURSION_LIMIT})
        return self._outcome()

    def resume(self, decision: Any) -> Outcome:
        """Answer the pending approval (True / "yes" runs the heavy steps)."""
        from langgraph.types import Command

        self._turn_checks = None
        self.graph.invoke(Command(resume=decision),
                          {**self.config, "recursion_limit": RECURSION_LIMIT})
        return self._outcome()

    def close(self) -> None:
        """Close the checkpoint database."""
        self._conn.close()
