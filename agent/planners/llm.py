"""The LLM planner: any LangChain chat model with tool calling writes the plan.

The model is bound to the catalog's tools (:func:`~agent.planners.llm_context.tool_specs`) plus
``finish`` and ``decline``; the system prompt is ``prompts/planner_system.md`` followed by the
development-corpus requests nearest to this one with their plans
(:func:`~agent.planners.llm_context.system_prompt`). A compact local model (the
``transformers`` backend) writes its own short system block (``prompts/planner_local.md`` and a
tool list) and drops the planner's, so for it the two nearest examples head the first message
instead, right after that unchanging block. The first message carries the request, the
``describe_raster`` facts of every scene and, when the backend accepts images, a thumbnail of
each. Every tool call the model makes becomes one step
(``s1``, ``s2`` ... in call order; ``"$sN"`` refers to earlier steps), after guard rails:

* the arguments must validate against the tool's pydantic input model (placeholders filled
  in), name a real tool, and read only earlier steps;
* file arguments other than ``$`` placeholders and the request's own scenes must lie inside
  the workspace or a data root (:class:`~agent.sandbox.Sandbox`): the sandbox of the session
  the plan is for when the caller passes one (the graph, sessions and the servers do; one
  planner may serve many sessions), else the planner's own;

Threads: one planner (and its chat model) may serve many sessions at once (the servers share
it). Plans on a remote backend run at once; a local in-process model carries one lock that the
planner holds for a whole plan and the ``describe_scene`` describer for one answer
(:func:`agent.llm.serial.model_lock`), so calls on it never overlap.

A call that repeats an earlier step with the same arguments is not added again: it ends the
plan, as ``finish`` does (small local models repeat their last call instead of finishing).

A rejected call goes back to the model as a ``ToolMessage`` carrying the error. After
``max_retries`` rejected calls (or when the model fails or goes silent), the fallback planner
(the offline planner by default) plans the request and the plan says so in its notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agent import references
from agent.llm import config as llm_config
from agent.llm.serial import model_lock
from agent.plan import Plan, Planner, PlanStep, Scene
from agent.planners.llm_context import (
    COMPACT_EXAMPLES_K,
    CONTROL_TOOLS,
    DECLINE,
    EXAMPLES_K,
    FINISH,
    examples_text,
    image_blocks,
    scene_facts,
    system_prompt,
    tool_specs,
)
from agent.planners.offline import OfflinePlanner
from agent.planners.validate import plan_problems
from agent.sandbox import Sandbox
from tools.catalog import REGISTRY
from tools.core.errors import InputError
from tools.core.registry import path_fields

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from agent.llm.config import LLMConfig
    from agent.sandbox import Paths

MAX_STEPS = 16


class _GiveUp(Exception):
    """The model could not produce a valid plan; the message says why."""


class LLMPlanner:
    """Plans with a tool-calling chat model; falls back to another planner when it cannot.

    Args:
        chat_model: A LangChain chat model whose ``bind_tools`` accepts OpenAI-style specs.
        max_retries: Rejected tool calls (or replies without one) allowed before falling back.
        images: Send a thumbnail of each scene in the first message (vision models).
        sandbox: Checks file arguments when a :meth:`plan` call brings no sandbox of its own
            (default: ``Sandbox.from_env(workspace)``).
        workspace: The workspace of the default sandbox.
        fallback: The planner used when the model fails (default: the offline planner).
        label: How notes name this planner's model (e.g. ``openai:gpt-4o-mini``).
        examples: Nearest dev-corpus examples shown per request (default 4, or 2 for a
            compact local model; 0: none).
    """

    name = "llm"
    takes_context: ClassVar[Literal[True]] = True  # an agent.plan.ContextPlanner

    def __init__(self, chat_model: Any, *, max_retries: int = 2, images: bool = False,
                 sandbox: Paths | None = None, workspace: str | Path = "workspace",
                 fallback: Planner | None = None, label: str | None = None,
                 examples: int | None = None) -> None:
        self.chat_model = chat_model
        self.examples = examples
        self.max_retries = max_retries
        self.images = images
        self._sandbox: Paths | None = sandbox
        self.workspace = workspace
        self._fallback = fallback
        self.label = label or type(chat_model).__name__
        self.transcript: list[BaseMessage] = []
        """The messages of the latest :meth:`plan` call on this planner, for debugging: a shared
        planner (servers) keeps whichever session planned last (last writer wins)."""

    @classmethod
    def from_config(cls, config: LLMConfig, chat_model: Any = None,
                    **kwargs: Any) -> LLMPlanner:
        """A planner for the chat model ``config`` names (see :mod:`agent.llm.config`).

        Args:
            config: Backend, model and planner settings.
            chat_model: The chat model of ``config`` when the caller already has one (the
                servers share one per configuration); default: a new one.
            **kwargs: Further arguments of :class:`LLMPlanner`.
        """

        # a small local model gets one retry (each costs a full generation on the CPU)
        retries = min(config.max_retries, 1) if config.backend == "transformers" else (
            config.max_retries)
        kwargs.setdefault("max_retries", retries)
        kwargs.setdefault("images", config.images)
        kwargs.setdefault("label", f"{config.backend}:{config.model or 'default'}")
        made = chat_model if chat_model is not None else llm_config.make_chat_model(config)
        return cls(made, **kwargs)

    @property
    def sandbox(self) -> Paths:
        """The sandbox that checks file arguments when a call brings none."""
        if self._sandbox is None:

            self._sandbox = Sandbox.from_env(self.workspace)
        return self._sandbox

    @property
    def fallback(self) -> Planner:
        """The planner used when the model fails."""
        if self._fallback is None:

            self._fallback = OfflinePlanner()
        return self._fallback

    # --- messages ------------------------------------------------------------------------------

    def first_messages(self, request: str, scenes: Sequence[Scene],
                       history: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
        """System prompt (with the nearest examples), earlier turns, and the request with scene
        facts (and thumbnails)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        compact = getattr(self.chat_model, "compact", None) is True
        k = self.examples if self.examples is not None else (
            COMPACT_EXAMPLES_K if compact else EXAMPLES_K)
        text = f"Request: {request}\n\nScenes:\n{scene_facts(scenes)}"
        if compact:  # the backend replaces our system text: examples lead the request instead
            system = system_prompt(request, compact=True, k=0)
            lead = examples_text(request, k)
            text = f"{lead}\n\n{text}" if lead else text
        else:
            system = system_prompt(request, k=k)
        content: Any = text
        if self.images:
            blocks = image_blocks(scenes)
            if blocks:
                content = [{"type": "text", "text": text}, *blocks]
        return [SystemMessage(content=system), *history, HumanMessage(content=content)]

    # --- guard rails ---------------------------------------------------------------------------

    def check_call(self, name: str, args: Any, steps: Sequence[PlanStep],
                   scenes: Sequence[Scene], sandbox: Paths | None = None) -> str | None:
        """Why a tool call cannot become the next step (None when it can).

        Args:
            name: The tool the model called.
            args: Its arguments.
            steps: The steps accepted so far.
            scenes: The request's scenes (their paths are not checked again).
            sandbox: Checks the file arguments (default: :attr:`sandbox`).
        """

        if not isinstance(args, dict):
            return f"the arguments of {name} must be a JSON object"
        record = REGISTRY.get(name)
        if record is None:
            return (f"there is no tool called {name!r}; tools are: "
                    f"{', '.join([*REGISTRY, *CONTROL_TOOLS])}")
        step = PlanStep(id=f"s{len(steps) + 1}", tool=name, args=args)
        problems = plan_problems(Plan(request="", steps=[*steps, step]))
        if problems:
            return "; ".join(problems)
        given = {s.path for s in scenes}
        box = sandbox if sandbox is not None else self.sandbox
        for field in path_fields(record.input_model):
            value = args.get(field)
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str) or references.is_reference(item) or item in given:
                    continue
                try:
                    box.resolve(item, field)
                except InputError as exc:
                    return str(exc)
        return None

    # --- planning ------------------------------------------------------------------------------

    def plan(self, request: str, scenes: Sequence[Scene] = (),
             history: Sequence[BaseMessage] = (), *, sandbox: Paths | None = None) -> Plan:
        """Plan ``request`` with the model; the fallback planner plans when the model cannot.

        Args:
            request: The analyst's request.
            scenes: The request's scenes (facts read from their headers when the files exist).
            history: Earlier turns of a session (messages), placed before the request.
            sandbox: The sandbox of the session the plan is for: proposed file arguments it
                refuses go back to the model with its error (default: :attr:`sandbox`).

        Returns:
            A plan whose steps all validate, or a declined plan, or the fallback's plan with a
            note saying why the model's was not used.
        """
        messages = self.first_messages(request, scenes, history)
        self.transcript = messages
        try:
            # a local model takes one plan at a time (its KV cache holds the last prompt);
            # remote backends take plans at once
            with model_lock(self.chat_model):
                return self._loop(request, scenes, messages, sandbox)
        except _GiveUp as why:
            plan = self.fallback.plan(request, scenes)
            note = (f"The LLM planner ({self.label}) gave no valid plan ({why}); the "
                    f"{self.fallback.name} planner planned this request instead.")
            return plan.model_copy(update={"notes": [note, *plan.notes]})

    def _invoke(self, model: Any, messages: list[BaseMessage]) -> Any:
        try:
            return model.invoke(messages)
        except Exception as exc:  # network, server, parsing: all end in the fallback
            raise _GiveUp(f"the model failed: {type(exc).__name__}: {exc}") from exc

    def _loop(self, request: str, scenes: Sequence[Scene], messages: list[BaseMessage],
              sandbox: Paths | None) -> Plan:
        from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

        model = self.chat_model.bind_tools(tool_specs())
        steps: list[PlanStep] = []
        rejected = 0
        last_error = ""
        while True:
            reply = self._invoke(model, messages)
            if not isinstance(reply, AIMessage):
                raise _GiveUp(f"the model replied with {type(reply).__name__}")
            messages.append(reply)
            if not reply.tool_calls:
                if steps:
                    break  # a text reply after steps: take it as finish
                rejected += 1
                last_error = "it replied without calling a tool"
                if rejected > self.max_retries:
                    raise _GiveUp(f"{rejected} rejected replies; last: {last_error}")
                messages.append(HumanMessage(content="Reply only with tool calls: one call per "
                                             "step, then `finish` (or `decline`)."))
                continue
            done = False
            for index, call in enumerate(reply.tool_calls):
                call_id = call.get("id") or f"call_{len(messages)}_{index}"
                name, args = call["name"], call.get("args", {})
                if name == DECLINE:
                    reason = str(args.get("reason") or "the model declined") if isinstance(
                        args, dict) else "the model declined"
                    return Plan(request=request, declined=reason)
                if name == FINISH:
                    done = True
                    messages.append(ToolMessage(content="ok", tool_call_id=call_id, name=name))
                    continue
                if any(s.tool == name and s.args == args for s in steps):
                    done = True  # a repeat adds nothing: small models repeat, not finish
                    messages.append(ToolMessage(content="ok: same as an earlier step; the plan "
                                                "is finished", tool_call_id=call_id, name=name))
                    continue
                error = self.check_call(name, args, steps, scenes, sandbox)
                if error is None:
                    step = PlanStep(id=f"s{len(steps) + 1}", tool=name, args=dict(args))
                    steps.append(step)
                    content = f"ok: added step {step.id}; later steps refer to it as ${step.id}"
                    messages.append(ToolMessage(content=content, tool_call_id=call_id,
                                                name=name))
                    continue
                rejected += 1
                last_error = error
                messages.append(ToolMessage(content=f"error: {error}", tool_call_id=call_id,
                                            name=name, status="error"))
            if done and steps:
                break
            if rejected > self.max_retries:
                raise _GiveUp(f"{rejected} rejected calls; last: {last_error}")
            if len(steps) >= MAX_STEPS:
                raise _GiveUp(f"more than {MAX_STEPS} steps")
            if done:  # finish with no steps yet
                rejected += 1
                last_error = "finish was called before any step"
                messages.append(HumanMessage(content="No step was added yet: call the tools "
                                             "that answer the request, or `decline`."))
        return Plan(request=request, steps=steps)
